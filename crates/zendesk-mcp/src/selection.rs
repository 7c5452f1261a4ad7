//! Which registry tools a server exposes: all of them, named sets by Zendesk area
//! (`--toolsets tickets,search`), an explicit list (`--tools a,b,c`; with toolsets, the tools of
//! both), and of those only the ones that change nothing (`--read-only`). Decided once at start;
//! an unknown name is refused there, with the valid names, rather than discovered by a model.
//!
//! A tool that starts a background job (a bulk tool, a merge) brings `zendesk_get_job_status`
//! along, whichever set it came from, so the job it starts can always be followed.

use zendesk_tools::{Registry, Tool};

/// The tool that follows the jobs bulk tools and merges start.
pub(crate) const JOB_FOLLOWER: &str = "zendesk_get_job_status";

/// The operator's choice of tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolSelection {
    /// Expose only tools annotated read-only.
    pub read_only: bool,
    /// Expose these tool ids (in registry order); with `toolsets`, these and theirs. `None`
    /// (and no toolsets) means every tool.
    pub only: Option<Vec<String>>,
    /// Expose the tools of these toolsets (`tickets`, `search`, ...).
    pub toolsets: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("unknown tool name(s): {}. Valid tool names: {}", .unknown.join(", "), .valid.join(", "))]
    UnknownTools {
        unknown: Vec<String>,
        valid: Vec<String>,
    },
    #[error("unknown toolset(s): {}. Toolsets: {}", .unknown.join(", "), .valid.join(", "))]
    UnknownToolsets {
        unknown: Vec<String>,
        valid: Vec<String>,
    },
    #[error(
        "--read-only allows only tools that change nothing, but these change data: {}. \
         Read-only tools: {}",
        .writers.join(", "),
        .read_only.join(", ")
    )]
    NotReadOnly {
        writers: Vec<String>,
        read_only: Vec<String>,
    },
    #[error("the tool list is empty: name at least one tool (valid names: {})", .valid.join(", "))]
    Empty { valid: Vec<String> },
    #[error(
        "no tool is left: the toolsets {} hold no tool that changes nothing; drop --read-only \
         or add a toolset with readers (tickets, search, ...)",
        .toolsets.join(", ")
    )]
    NothingLeft { toolsets: Vec<String> },
}

impl ToolSelection {
    /// Parse a comma-separated list as given to `--tools` or `--toolsets`: names are trimmed,
    /// empties dropped.
    pub fn parse_list(list: &str) -> Vec<String> {
        list.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The tools to expose, in registry order.
    pub fn select<'r>(&self, registry: &'r Registry) -> Result<Vec<&'r Tool>, SelectionError> {
        let all = registry.tools();
        let valid = || {
            all.iter()
                .map(|tool| tool.spec.id.to_owned())
                .collect::<Vec<_>>()
        };
        if self.only.is_none() && self.toolsets.is_none() {
            return Ok(all
                .iter()
                .filter(|tool| !self.read_only || tool.spec.annotations.read_only)
                .collect());
        }
        let named = self.only.as_deref().unwrap_or_default();
        let sets = self.toolsets.as_deref().unwrap_or_default();
        if named.is_empty() && sets.is_empty() {
            return Err(SelectionError::Empty { valid: valid() });
        }
        let unknown: Vec<String> = named
            .iter()
            .filter(|name| registry.get(name).is_none())
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(SelectionError::UnknownTools {
                unknown,
                valid: valid(),
            });
        }
        let unknown: Vec<String> = sets
            .iter()
            .filter(|name| !registry.toolsets().iter().any(|set| set.name == *name))
            .cloned()
            .collect();
        if !unknown.is_empty() {
            return Err(SelectionError::UnknownToolsets {
                unknown,
                valid: registry
                    .toolsets()
                    .iter()
                    .map(|set| set.name.to_owned())
                    .collect(),
            });
        }
        if self.read_only {
            let writers: Vec<String> = named
                .iter()
                .filter_map(|name| registry.get(name))
                .filter(|tool| !tool.spec.annotations.read_only)
                .map(|tool| tool.spec.id.to_owned())
                .collect();
            if !writers.is_empty() {
                return Err(SelectionError::NotReadOnly {
                    writers,
                    read_only: all
                        .iter()
                        .filter(|tool| tool.spec.annotations.read_only)
                        .map(|tool| tool.spec.id.to_owned())
                        .collect(),
                });
            }
        }
        let in_sets = |tool: &Tool| sets.iter().any(|set| set == tool.spec.toolset);
        let mut chosen: Vec<&Tool> = all
            .iter()
            .filter(|tool| named.iter().any(|name| name == tool.spec.id) || in_sets(tool))
            // Named tools passed the check above; a set's writers are left out.
            .filter(|tool| !self.read_only || tool.spec.annotations.read_only)
            .collect();
        let starts_jobs = chosen.iter().any(|tool| crate::policy::starts_a_job(tool));
        if starts_jobs
            && !chosen.iter().any(|tool| tool.spec.id == JOB_FOLLOWER)
            && let Some(follower) = registry.get(JOB_FOLLOWER)
        {
            chosen.push(follower);
            chosen.sort_by_key(|tool| all.iter().position(|t| t.spec.id == tool.spec.id));
        }
        if chosen.is_empty() {
            return Err(SelectionError::NothingLeft {
                toolsets: sets.to_vec(),
            });
        }
        Ok(chosen)
    }
}
