//! Which registry tools a server exposes: all of them, only those that change nothing
//! (`--read-only`), or an explicit allow-list (`--tools a,b,c`). Decided once at start; an
//! unknown name is refused there, with the valid names, rather than discovered by a model.

use zendesk_tools::{Registry, Tool};

/// The operator's choice of tools.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolSelection {
    /// Expose only tools annotated read-only.
    pub read_only: bool,
    /// Expose only these tool ids (in registry order); `None` means every tool.
    pub only: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectionError {
    #[error("unknown tool name(s): {}. Valid tool names: {}", .unknown.join(", "), .valid.join(", "))]
    UnknownTools {
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
}

impl ToolSelection {
    /// Parse a comma-separated list as given to `--tools`: names are trimmed, empties dropped.
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
        let Some(only) = &self.only else {
            return Ok(all
                .iter()
                .filter(|tool| !self.read_only || tool.spec.annotations.read_only)
                .collect());
        };
        if only.is_empty() {
            return Err(SelectionError::Empty { valid: valid() });
        }
        let unknown: Vec<String> = only
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
        let chosen: Vec<&Tool> = all
            .iter()
            .filter(|tool| only.iter().any(|name| name == tool.spec.id))
            .collect();
        if self.read_only {
            let writers: Vec<String> = chosen
                .iter()
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
        Ok(chosen)
    }
}
