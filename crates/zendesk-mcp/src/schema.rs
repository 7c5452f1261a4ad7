//! Registry declarations -> MCP tool descriptions: the input JSON Schema a model fills in, the
//! output schema of the structured result, and the behaviour hints (annotations). Everything is
//! derived from `zendesk_tools::ToolSpec`; nothing here names a particular tool.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool as McpTool, ToolAnnotations};
use serde_json::{Value, json};
use zendesk_tools::{FilledBy, OutputSpec, ParamForm, ParamSpec, ToolSpec};

/// The parameters a model supplies: credentials and connection settings
/// (`FilledBy::Configuration`) belong to the server's configuration and are never shown.
pub fn model_params(spec: &ToolSpec) -> impl Iterator<Item = &ParamSpec> {
    spec.params
        .iter()
        .filter(|param| param.filled_by == FilledBy::Model)
}

/// The JSON Schema of one argument: its type and description, the `enum` of a closed value set
/// (still strings), and for a list param a string or an array of strings (or numbers, for IDs).
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
            "items": { "type": ["string", "number"] },
            "description": param.description,
        }),
    }
}

/// The JSON Schema of a tool's arguments, as a model sees it.
///
/// Unknown properties are refused (`additionalProperties: false`) so a model that invents an
/// argument learns it at once instead of having it silently ignored.
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
    schema.insert("additionalProperties".into(), Value::Bool(false));
    schema
}

/// The JSON Schema of a tool's structured result (the `output` object of the tool result).
///
/// Deliberately permissive: Zendesk returns `null` for many documented fields and adds fields
/// over time, and a client that validates against a too-strict schema would reject real
/// results. So every type also admits `null`, nothing is required, and extra properties are
/// allowed (JSON Schema's default, stated once at the top). It describes; it does not police.
///
/// Only the top-level outputs carry descriptions: nested record fields are Zendesk's own,
/// self-explanatory names, and their descriptions would double the size of `tools/list`,
/// which a model pays for in context on every conversation.
pub fn output_schema(spec: &ToolSpec) -> JsonObject {
    let mut schema = serde_json::Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), properties_of(&spec.outputs, true));
    schema.insert("additionalProperties".into(), Value::Bool(true));
    schema
}

fn properties_of(fields: &[OutputSpec], described: bool) -> Value {
    Value::Object(
        fields
            .iter()
            .map(|field| (field.name.to_owned(), output_field_schema(field, described)))
            .collect(),
    )
}

/// A custom field's `value` takes its field's type on Zendesk (a checkbox is true or false, a
/// multi-select a list, a number field a number), whatever the spec's summary type says: its
/// schema accepts any JSON, so a real answer is never rejected by a validating client.
fn item_properties(field: &OutputSpec) -> Value {
    let mut properties = properties_of(&field.fields, false);
    if field.name == "custom_fields"
        && let Some(value) = properties.get_mut("value")
    {
        *value = json!({});
    }
    properties
}

fn output_field_schema(field: &OutputSpec, described: bool) -> Value {
    let mut schema = serde_json::Map::new();
    match field.ty {
        "object" => {
            schema.insert("type".into(), json!(["object", "null"]));
            if !field.fields.is_empty() {
                schema.insert("properties".into(), properties_of(&field.fields, false));
            }
        }
        "array" => {
            schema.insert("type".into(), json!(["array", "null"]));
            if !field.fields.is_empty() {
                // The spec lists an array's item fields directly: the items are objects.
                schema.insert(
                    "items".into(),
                    json!({
                        "type": ["object", "null"],
                        "properties": item_properties(field),
                    }),
                );
            }
        }
        "string" | "number" | "boolean" | "integer" => {
            schema.insert("type".into(), json!([field.ty, "null"]));
        }
        // `json` (free-form values such as custom field values) and any type the registry may
        // add later: accept anything rather than reject a real result.
        _ => {}
    }
    if described && !field.description.is_empty() {
        schema.insert("description".into(), json!(field.description));
    }
    Value::Object(schema)
}

/// MCP behaviour hints: read-only tools `readOnlyHint`, deletes and merges `destructiveHint`,
/// updates `idempotentHint` where repeating them changes nothing more; every tool talks to a
/// Zendesk account, an open world (`openWorldHint`).
pub fn annotations(spec: &ToolSpec) -> ToolAnnotations {
    let hints = spec.annotations;
    ToolAnnotations::with_title(title(spec.id))
        .read_only(hints.read_only)
        .destructive(!hints.read_only && hints.destructive)
        .idempotent(hints.idempotent)
        .open_world(true)
}

/// A human title from the tool id: `zendesk_get_tickets` -> `Get tickets`.
pub fn title(id: &str) -> String {
    let words = id.strip_prefix("zendesk_").unwrap_or(id).replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The complete MCP description of one registry tool.
pub fn mcp_tool(spec: &ToolSpec) -> McpTool {
    McpTool::new(spec.id, spec.description, input_schema(spec))
        .with_raw_output_schema(Arc::new(output_schema(spec)))
        .with_title(title(spec.id))
        .with_annotations(annotations(spec))
}
