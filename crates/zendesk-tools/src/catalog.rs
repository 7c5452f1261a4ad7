//! The tool catalog: `tools.json` (beside this crate's `Cargo.toml`), the one place the tools are
//! declared as data (ids, descriptions, parameters with their forms, outputs, hints, toolsets),
//! read once into `ToolSpec`s. The registry pairs each with its plan; the MCP schemas, the CLI's
//! tool list and the spec test all read these declarations.
//!
//! The file's shape:
//! - `credentials`: the three params every tool declares first (the spec's contract), filled
//!   from configuration; `subdomain_example` is the longer subdomain wording some tools use
//!   (`"subdomain_example": true` on the tool).
//! - `toolsets`: the named sets by Zendesk area; every tool names exactly one.
//! - `params`: params several tools share word for word, used by name in a tool's list (a
//!   string), or as `{"use": name, "sets": key}` to write it to another record key.
//! - `records`: output field lists several outputs share (a ticket, a user, paging...), used as
//!   `"record": name` in place of `fields`.
//! - `tools`: `id`, `toolset`, `annotations` (`readOnly`, `destructive`, `idempotent`; absent
//!   is false), `description`, `params`, `outputs`.
//!
//! A param is `{name, required?, form?, values?, sets?, example?, description}`: `form` is
//! `text` (the default), `id`, `number`, `json` or `list`; `values` names a closed set of values
//! (Zendesk's vocabularies, defined once in `zendesk-types`); `sets` is the Zendesk record key
//! the param fills as given; `example` is a value of the right form, for error messages, and
//! replaces `{example}` in the description (a shared `fields` shows each record's own keys).
//!
//! Strings are kept for the life of the process (the catalog is read once into a static), which
//! lets every declaration hand out `&'static str` as a compiled-in table would.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::spec::{Annotations, FilledBy, OutputSpec, ParamForm, ParamSpec, ToolSpec, Toolset};

const TOOLS_JSON: &str = include_str!("../tools.json");

/// The catalog, read once.
pub(crate) struct Catalog {
    pub tools: Vec<ToolSpec>,
    pub toolsets: Vec<Toolset>,
    records: BTreeMap<&'static str, Vec<OutputSpec>>,
}

pub(crate) fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| match read(TOOLS_JSON) {
        Ok(catalog) => catalog,
        // A project file, checked by every test that touches the registry.
        Err(error) => panic!("crates/zendesk-tools/tools.json: {error}"),
    })
}

impl Catalog {
    /// The top-level keys of a named record (`ticket`, `user`, ...).
    pub fn record_keys(&self, record: &str) -> Vec<&'static str> {
        self.records
            .get(record)
            .map(|fields| fields.iter().map(|field| field.name).collect())
            .unwrap_or_default()
    }
}

/// The named closed sets of values a param may take (`"values": "ticket_status"`), each defined
/// once, where the Zendesk vocabulary lives.
fn vocabulary(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "ticket_status" => zendesk_types::TicketStatus::KNOWN,
        "ticket_priority" => zendesk_types::TicketPriority::KNOWN,
        "ticket_type" => zendesk_types::TicketType::KNOWN,
        "ticket_sort" => zendesk_types::TICKET_SORTS,
        "search_result_type" => zendesk_types::SearchResultType::KNOWN,
        "user_role" => zendesk_types::UserRole::KNOWN,
        "sort_order" => zendesk_types::SortOrder::KNOWN,
        "organization_field_type" => zendesk_types::OrganizationFieldType::CREATABLE,
        "flag" => &["true", "false"],
        _ => return None,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    credentials: Vec<ParamDecl>,
    subdomain_example: String,
    toolsets: Vec<ToolsetDecl>,
    params: BTreeMap<String, ParamDecl>,
    records: BTreeMap<String, Vec<OutputDecl>>,
    tools: Vec<ToolDecl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolsetDecl {
    name: String,
    description: String,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct ParamDecl {
    name: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    form: FormDecl,
    values: Option<String>,
    sets: Option<String>,
    example: Option<String>,
    description: String,
}

#[derive(Deserialize, Clone, Copy, Default, PartialEq)]
#[serde(rename_all = "snake_case")]
enum FormDecl {
    #[default]
    Text,
    Id,
    Number,
    Json,
    List,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ParamRef {
    Shared(String),
    Use(UseDecl),
    Inline(ParamDecl),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UseDecl {
    #[serde(rename = "use")]
    shared: String,
    sets: Option<String>,
    example: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputDecl {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    description: String,
    fields: Option<Vec<OutputDecl>>,
    record: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AnnotationsDecl {
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    destructive: bool,
    #[serde(default)]
    idempotent: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolDecl {
    id: String,
    toolset: String,
    #[serde(default)]
    annotations: AnnotationsDecl,
    #[serde(default)]
    subdomain_example: bool,
    description: String,
    params: Vec<ParamRef>,
    outputs: Vec<OutputDecl>,
}

fn keep(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn param(decl: ParamDecl, filled_by: FilledBy) -> Result<ParamSpec, String> {
    let form = match (decl.values.as_deref(), decl.form) {
        (Some(name), FormDecl::Text) => ParamForm::OneOf(
            vocabulary(name)
                .ok_or_else(|| format!("param {}: unknown values {name:?}", decl.name))?,
        ),
        (Some(_), _) => {
            return Err(format!(
                "param {}: values is a closed set of text, not of another form",
                decl.name
            ));
        }
        (None, FormDecl::Text) => ParamForm::Text,
        (None, FormDecl::Id) => ParamForm::Id,
        (None, FormDecl::Number) => ParamForm::Number,
        (None, FormDecl::Json) => ParamForm::Json,
        (None, FormDecl::List) => ParamForm::List,
    };
    // A shared description may show the example of each use (`e.g. "{example}"`).
    let description = match (decl.description.contains("{example}"), &decl.example) {
        (false, _) => decl.description,
        (true, Some(example)) => decl.description.replace("{example}", example),
        (true, None) => {
            return Err(format!(
                "param {}: the description shows {{example}} but no example is given",
                decl.name
            ));
        }
    };
    Ok(ParamSpec {
        name: keep(decl.name),
        ty: "string",
        required: decl.required,
        description: keep(description),
        filled_by,
        form,
        sets: decl.sets.map(keep),
        example: decl.example.map(keep),
    })
}

struct Reader {
    records: BTreeMap<String, Vec<OutputDecl>>,
    /// How deep records are being read inside records: a record that names itself is refused
    /// instead of read forever. (A record used by many outputs is read once per use:
    /// `OutputSpec` owns its fields.)
    depth: usize,
}

impl Reader {
    fn outputs(&mut self, decls: &[OutputDecl]) -> Result<Vec<OutputSpec>, String> {
        decls.iter().map(|decl| self.output(decl)).collect()
    }

    fn output(&mut self, decl: &OutputDecl) -> Result<OutputSpec, String> {
        if self.depth > 16 {
            return Err(format!(
                "output {}: records nest too deep (a cycle?)",
                decl.name
            ));
        }
        let fields = match (&decl.fields, &decl.record) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "output {}: give fields or record, not both",
                    decl.name
                ));
            }
            (Some(fields), None) => self.outputs(fields)?,
            (None, Some(record)) => {
                let Some(fields) = self.records.remove(record) else {
                    return Err(format!("output {}: unknown record {record:?}", decl.name));
                };
                self.depth += 1;
                let read = self.outputs(&fields);
                self.depth -= 1;
                self.records.insert(record.clone(), fields);
                read?
            }
            (None, None) => Vec::new(),
        };
        Ok(OutputSpec {
            name: keep(decl.name.clone()),
            ty: keep(decl.ty.clone()),
            description: keep(decl.description.clone()),
            fields,
        })
    }
}

fn read(text: &str) -> Result<Catalog, String> {
    let file: File = serde_json::from_str(text).map_err(|error| error.to_string())?;
    let toolsets: Vec<Toolset> = file
        .toolsets
        .into_iter()
        .map(|set| Toolset {
            name: keep(set.name),
            description: keep(set.description),
        })
        .collect();
    let credentials = file
        .credentials
        .into_iter()
        .map(|decl| param(decl, FilledBy::Configuration))
        .collect::<Result<Vec<_>, _>>()?;
    let subdomain_example = keep(file.subdomain_example);
    let mut reader = Reader {
        records: file.records,
        depth: 0,
    };
    let mut tools = Vec::with_capacity(file.tools.len());
    for decl in file.tools {
        let at = |error: String| format!("{}: {error}", decl.id);
        if !toolsets.iter().any(|set| set.name == decl.toolset) {
            return Err(at(format!("unknown toolset {:?}", decl.toolset)));
        }
        let mut params = credentials.clone();
        if decl.subdomain_example
            && let Some(subdomain) = params.iter_mut().find(|p| p.name == "subdomain")
        {
            subdomain.description = subdomain_example;
        }
        for item in decl.params {
            let decl = match item {
                ParamRef::Inline(decl) => decl,
                ParamRef::Shared(name) => shared(&file.params, &name).map_err(at)?,
                ParamRef::Use(UseDecl {
                    shared: name,
                    sets,
                    example,
                }) => {
                    let decl = shared(&file.params, &name).map_err(at)?;
                    ParamDecl {
                        sets: sets.or(decl.sets),
                        example: example.or(decl.example),
                        ..decl
                    }
                }
            };
            let spec = param(decl, FilledBy::Model).map_err(at)?;
            if params.iter().any(|p| p.name == spec.name) {
                return Err(at(format!("param {} is declared twice", spec.name)));
            }
            params.push(spec);
        }
        tools.push(ToolSpec {
            id: keep(decl.id.clone()),
            description: keep(decl.description),
            params,
            outputs: reader.outputs(&decl.outputs).map_err(at)?,
            annotations: Annotations {
                read_only: decl.annotations.read_only,
                destructive: decl.annotations.destructive,
                idempotent: decl.annotations.idempotent,
            },
            toolset: toolsets
                .iter()
                .find(|set| set.name == decl.toolset)
                .map(|set| set.name)
                .unwrap_or_default(),
        });
    }
    let mut records = BTreeMap::new();
    let names: Vec<String> = reader.records.keys().cloned().collect();
    for name in names {
        let fields = reader.records.remove(&name).unwrap_or_default();
        let read = reader.outputs(&fields)?;
        reader.records.insert(name.clone(), fields);
        records.insert(keep(name), read);
    }
    Ok(Catalog {
        tools,
        toolsets,
        records,
    })
}

fn shared(params: &BTreeMap<String, ParamDecl>, name: &str) -> Result<ParamDecl, String> {
    params
        .get(name)
        .cloned()
        .ok_or_else(|| format!("unknown shared param {name:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_reads_and_every_tool_names_a_toolset() {
        let catalog = catalog();
        assert!(!catalog.tools.is_empty());
        for tool in &catalog.tools {
            assert!(
                catalog.toolsets.iter().any(|set| set.name == tool.toolset),
                "{}",
                tool.id
            );
        }
        assert!(catalog.record_keys("ticket").contains(&"subject"));
    }

    #[test]
    fn no_two_params_of_a_tool_fill_the_same_record_key() {
        for tool in &catalog().tools {
            let mut keys: Vec<&str> = tool.params.iter().filter_map(|p| p.sets).collect();
            let count = keys.len();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), count, "{}", tool.id);
        }
    }

    /// The example of a `fields` param shows keys its records have (a ticket's `subject`, a
    /// user's `email`), so a model copying it gets an answer, not a refusal.
    #[test]
    fn fields_examples_name_keys_of_the_tools_records() {
        for tool in &catalog().tools {
            let Some(fields) = tool.param("fields") else {
                continue;
            };
            let valid = if tool.id == "zendesk_search" {
                ["ticket", "user", "organization", "group"]
                    .iter()
                    .flat_map(|record| catalog().record_keys(record))
                    .collect()
            } else {
                tool.record_keys()
            };
            let example = fields
                .description
                .split('"')
                .nth(1)
                .unwrap_or_else(|| panic!("{}: fields has no example", tool.id));
            for key in example.split(',') {
                assert!(valid.contains(&key), "{}: {key} is not a key", tool.id);
            }
        }
    }

    #[test]
    fn mistakes_in_the_file_are_named() {
        let base = r#"{"credentials": [], "subdomain_example": "", "toolsets": [{"name": "t", "description": ""}],
            "params": {}, "records": {}, "tools": [TOOL]}"#;
        let with = |tool: &str| read(&base.replace("TOOL", tool)).err().unwrap_or_default();
        assert!(
            with(
                r#"{"id": "x", "toolset": "nope", "description": "", "params": [], "outputs": []}"#
            )
            .contains("unknown toolset")
        );
        assert!(with(r#"{"id": "x", "toolset": "t", "description": "", "params": ["fields"], "outputs": []}"#)
            .contains("unknown shared param"));
        assert!(with(r#"{"id": "x", "toolset": "t", "description": "", "params": [{"name": "a", "values": "colours", "description": ""}], "outputs": []}"#)
            .contains("unknown values"));
        assert!(with(r#"{"id": "x", "toolset": "t", "description": "", "params": [], "outputs": [{"name": "o", "type": "object", "description": "", "record": "r"}]}"#)
            .contains("unknown record"));
        assert!(
            with(r#"{"id": "x", "toolset": "t", "descripton": "", "params": [], "outputs": []}"#)
                .contains("unknown field")
        );
    }
}
