//! Registry declarations -> MCP tool descriptions: the input JSON Schema a model fills in and
//! the behaviour hints (annotations). Everything is derived from `zendesk_tools::ToolSpec`;
//! nothing here names a particular tool.
//!
//! What a model's client loads is paid for in context on every conversation, so the list says
//! what a model needs to call well and nothing twice:
//! - no output schemas: every property of a Zendesk record may be null and Zendesk adds fields,
//!   so a schema a real answer always passes can only list names, and most hosts never show it
//!   to the model; they were 53% of the list. A result is still structured content, and the
//!   registry's declared outputs stay readable (`zd tools list --json`).
//! - annotations only where MCP's default is not the truth (`readOnlyHint` on readers,
//!   `destructiveHint` on every writer, `idempotentHint` where repeating changes nothing more);
//!   every tool talks to a Zendesk account, MCP's default open world. No title: the name says it.
//! - no `additionalProperties: false`: the server refuses an unknown argument itself, naming
//!   the ones the tool takes, which teaches a model more than a schema failure.

use rmcp::model::{JsonObject, Tool as McpTool, ToolAnnotations};
use serde_json::{Value, json};
use zendesk_tools::{FilledBy, ParamForm, ParamSpec, ToolSpec};

/// The parameters a model supplies: credentials and connection settings
/// (`FilledBy::Configuration`) belong to the server's configuration and are never shown.
pub fn model_params(spec: &ToolSpec) -> impl Iterator<Item = &ParamSpec> {
    spec.params
        .iter()
        .filter(|param| param.filled_by == FilledBy::Model)
}

/// The JSON Schema of one argument: its type and description, the `enum` of a closed value set
/// (still strings), and for a list param a string or an array.
pub fn param_schema(param: &ParamSpec) -> Value {
    match param.form {
        ParamForm::Text | ParamForm::Id | ParamForm::Number | ParamForm::Json => {
            json!({ "type": param.ty, "description": param.description })
        }
        ParamForm::OneOf(values) => {
            json!({ "type": param.ty, "enum": values, "description": param.description })
        }
        ParamForm::List => json!({
            "type": [param.ty, "array"],
            "description": param.description,
        }),
    }
}

/// The JSON Schema of a tool's arguments, as a model sees it.
pub fn input_schema(spec: &ToolSpec) -> JsonObject {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for param in model_params(spec) {
        properties.insert(param.name.to_owned(), param_schema(param));
        if param.required {
            required.push(Value::String(param.name.to_owned()));
        }
    }
    let mut schema = serde_json::Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        schema.insert("required".into(), Value::Array(required));
    }
    schema
}

/// MCP behaviour hints where MCP's defaults (not read-only, destructive, not idempotent, open
/// world) are not the truth: `readOnlyHint` on readers; on writers `destructiveHint` always
/// (false for those that only add or set) and `idempotentHint` where repeating a call changes
/// nothing more.
pub fn annotations(spec: &ToolSpec) -> ToolAnnotations {
    let hints = spec.annotations;
    let mut annotations = ToolAnnotations::default();
    if hints.read_only {
        annotations.read_only_hint = Some(true);
    } else {
        annotations.destructive_hint = Some(hints.destructive);
        if hints.idempotent {
            annotations.idempotent_hint = Some(true);
        }
    }
    annotations
}

/// The complete MCP description of one registry tool.
pub fn mcp_tool(spec: &ToolSpec) -> McpTool {
    McpTool::new(spec.id, spec.description, input_schema(spec)).with_annotations(annotations(spec))
}
