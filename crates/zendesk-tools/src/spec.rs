//! The declaration of a tool, as every host reads it: its id, description, parameters (who fills
//! each and what values it takes), outputs and behaviour hints. The values come from the tool
//! catalog (`tools.json`, read by `catalog`); this module only says what they mean.
//! Serialized, a `ToolSpec` has the shape of the spec's `tools.json` (`zd tools list --json`).

use serde::Serialize;

/// Who supplies a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FilledBy {
    /// The caller (a model or a person) chooses it per call.
    Model,
    /// Credentials and connection settings: the user's configuration, never a model.
    Configuration,
}

/// What values a parameter takes, beyond its string type: the MCP input schema says it (an
/// `enum`, or a string-or-array), and the registry checks it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParamForm {
    /// Any string of the form the description gives (a text, a cursor...).
    #[default]
    Text,
    /// A record ID: a positive whole number, as a string (`"12345"`) or a number.
    Id,
    /// A whole number, as a string or a number.
    Number,
    /// JSON: a JSON text, or the JSON value itself.
    Json,
    /// One of these values (case and surrounding spaces ignored).
    OneOf(&'static [&'static str]),
    /// A list: a comma-separated string, or a JSON array of strings (or numbers, for IDs). A
    /// string that starts with `[` is read as a JSON array.
    List,
}

impl ParamForm {
    /// The closed set of values, if the form has one.
    pub fn values(self) -> Option<&'static [&'static str]> {
        match self {
            ParamForm::OneOf(values) => Some(values),
            _ => None,
        }
    }

    /// `"true"` or `"false"`.
    pub fn is_flag(self) -> bool {
        self.values() == Some(&["true", "false"][..])
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    /// Always `"string"`, as `tools.json` says: numbers, flags, lists and JSON travel as text
    /// (and are accepted in their JSON form too).
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub required: bool,
    pub description: &'static str,
    #[serde(skip)]
    pub filled_by: FilledBy,
    /// Closed value sets, lists, IDs. Not part of `tools.json`'s shape, so not serialized there.
    #[serde(skip)]
    pub form: ParamForm,
    /// The key of the Zendesk record this param fills when given (`assigneeId` ->
    /// `assignee_id`), for the params a tool writes through as they are.
    #[serde(skip)]
    pub sets: Option<&'static str>,
    /// A value of the right form, for error messages (`{"membership_level": "gold"}`).
    #[serde(skip)]
    pub example: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputSpec {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub description: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<OutputSpec>,
}

/// MCP-style hints about what a tool does to the help desk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolSpec {
    pub id: &'static str,
    pub description: &'static str,
    pub params: Vec<ParamSpec>,
    pub outputs: Vec<OutputSpec>,
    #[serde(skip)]
    pub annotations: Annotations,
    /// The Zendesk area the tool belongs to (`tickets`, `users`, ...): hosts expose tools by
    /// set (`zd mcp --toolsets`).
    #[serde(skip)]
    pub toolset: &'static str,
}

impl ToolSpec {
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|param| param.name == name)
    }

    /// The names a caller may pass, in declaration order (for "valid names are ..." messages).
    pub fn param_names(&self) -> Vec<&'static str> {
        self.params.iter().map(|param| param.name).collect()
    }

    /// The top-level keys of the records the tool answers with (its first output: the records
    /// of a list, or the one record of a read): what `fields` may ask for.
    pub fn record_keys(&self) -> Vec<&'static str> {
        self.outputs
            .first()
            .map(|output| output.fields.iter().map(|field| field.name).collect())
            .unwrap_or_default()
    }
}

/// A named set of tools by Zendesk area, for hosts that expose only some (`--toolsets`).
#[derive(Debug, Clone, Serialize)]
pub struct Toolset {
    pub name: &'static str,
    /// What the set holds, in a line (`zd mcp --help` lists it).
    pub description: &'static str,
}
