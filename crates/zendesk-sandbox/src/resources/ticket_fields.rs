//! Ticket fields: the system fields every account has (subject, description, status, type,
//! priority, group, assignee), created once per database, and custom fields (create, update,
//! delete); and the rule for custom field values set on a ticket (`check_ticket_values`): the
//! field must exist and the value must fit its type. A drop-down or multi-select value, or a
//! checked checkbox's tag, is also a tag on the ticket, as on Zendesk. Only admins write fields.

use serde_json::{Map, Value, json};
use zendesk_types::{TicketPriority, TicketType};

use super::field_values::{check_value, read_options, tags_of_value};
use super::input::{as_id, opt_bool, opt_str};
use super::{fetch, required_text};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Filter, Reader, Table, Writer};
use crate::util::{iso, now};

/// The custom field types Zendesk offers for tickets.
pub const CUSTOM_TYPES: [&str; 11] = [
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "partialcreditcard",
    "multiselect",
    "tagger",
    "lookup",
];

/// A ticket field's JSON with Zendesk's defaults.
fn field_json(id: i64, kind: &str, title: &str, at: &str) -> Value {
    json!({
        "id": id, "type": kind, "title": title, "raw_title": title, "description": "",
        "raw_description": "", "position": 9999, "active": true, "required": false,
        "collapsed_for_agents": false, "regexp_for_validation": null, "title_in_portal": title,
        "raw_title_in_portal": title, "visible_in_portal": false, "editable_in_portal": false,
        "required_in_portal": false, "tag": null, "created_at": at, "updated_at": at,
        "removable": true, "key": null, "agent_description": null
    })
}

fn options(names: &[(&str, &str)]) -> Value {
    Value::Array(
        names
            .iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect(),
    )
}

fn capitalized(value: &str) -> String {
    let mut chars = value.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Creates the system fields when the account has none (a new database).
pub fn ensure_system_fields(tx: &mut dyn Writer) -> Result<(), ApiError> {
    if tx.count(Table::TicketFields, &[Filter::Eq("system", 1.into())])? > 0 {
        return Ok(());
    }
    let at = iso(now());
    let named = |values: &[&'static str]| -> Vec<(String, &'static str)> {
        values.iter().map(|v| (capitalized(v), *v)).collect()
    };
    let status = [
        ("Open", "open"),
        ("Pending", "pending"),
        ("On-hold", "hold"),
        ("Solved", "solved"),
    ];
    let kinds = named(TicketType::KNOWN);
    let priorities = named(TicketPriority::KNOWN);
    let as_pairs = |list: &[(String, &'static str)]| -> Value {
        options(
            &list
                .iter()
                .map(|(n, v)| (n.as_str(), *v))
                .collect::<Vec<_>>(),
        )
    };
    let system: [(&str, &str, Option<Value>, bool); 7] = [
        ("subject", "Subject", None, false),
        ("description", "Description", None, false),
        ("status", "Status", Some(options(&status)), true),
        ("tickettype", "Type", Some(as_pairs(&kinds)), false),
        ("priority", "Priority", Some(as_pairs(&priorities)), false),
        ("group", "Group", None, false),
        ("assignee", "Assignee", None, true),
    ];
    for (position, (kind, title, choices, required)) in system.into_iter().enumerate() {
        let id = tx.allocate_id(Table::TicketFields)?;
        let mut field = field_json(id, kind, title, &at);
        field["position"] = json!(position + 1);
        field["removable"] = json!(false);
        field["required"] = json!(required);
        field["visible_in_portal"] = json!(kind == "subject" || kind == "description");
        field["editable_in_portal"] = json!(kind == "subject" || kind == "description");
        field["required_in_portal"] = json!(kind == "subject" || kind == "description");
        if let Some(choices) = choices {
            field["system_field_options"] = choices;
        }
        tx.save(Table::TicketFields, &field)?;
    }
    Ok(())
}

fn apply(
    tx: &mut dyn Writer,
    field: &mut Value,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    if let Some(title) = required_text(input, "title", creating)? {
        let title = title.trim().to_string();
        field["title"] = json!(title);
        field["raw_title"] = json!(title);
        if input.get("title_in_portal").is_none() {
            field["title_in_portal"] = json!(title);
            field["raw_title_in_portal"] = json!(title);
        }
        if creating && input.get("description").is_none() {
            field["description"] = json!(title);
            field["raw_description"] = json!(title);
        }
    }
    for key in ["description", "agent_description", "title_in_portal"] {
        if let Some(text) = opt_str(input, key)? {
            field[key] = json!(text);
            let raw = format!("raw_{key}");
            if field.get(&raw).is_some() {
                field[raw] = json!(text);
            }
        }
    }
    for key in [
        "active",
        "required",
        "collapsed_for_agents",
        "visible_in_portal",
        "editable_in_portal",
        "required_in_portal",
    ] {
        if let Some(flag) = opt_bool(input, key)? {
            field[key] = json!(flag);
        }
    }
    if let Some(position) = input.get("position").filter(|v| !v.is_null()) {
        let position = as_id(position).ok_or_else(|| {
            ApiError::invalid(
                "position",
                format!("Position: must be an integer, got {position}"),
                "InvalidValue",
            )
        })?;
        field["position"] = json!(position);
    }
    let kind = field["type"].as_str().unwrap_or("text").to_string();
    if kind == "checkbox"
        && let Some(tag) = opt_str(input, "tag")?
    {
        field["tag"] = json!(tag.map(|t| t.trim().to_lowercase()));
    }
    if kind == "regexp"
        && let Some(pattern) = opt_str(input, "regexp_for_validation")?
    {
        let pattern = pattern.unwrap_or_default();
        regex::Regex::new(&pattern).map_err(|e| {
            ApiError::invalid(
                "regexp_for_validation",
                format!("Regexp for validation: `{pattern}` is not a valid pattern: {e}"),
                "InvalidValue",
            )
        })?;
        field["regexp_for_validation"] = json!(pattern);
    }
    if (kind == "tagger" || kind == "multiselect")
        && let Some(raw) = input.get("custom_field_options")
    {
        let options = read_options(tx, field, raw)?;
        field["custom_field_options"] = json!(options);
    }
    Ok(())
}

/// Creates one custom ticket field.
pub fn create(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let kind = opt_str(input, "type")?
        .flatten()
        .map(|t| t.trim().to_lowercase())
        .unwrap_or_default();
    if !CUSTOM_TYPES.contains(&kind.as_str()) {
        return Err(ApiError::invalid(
            "type",
            format!(
                "Type: `{kind}` is not a custom ticket field type; use one of {}",
                CUSTOM_TYPES.join(", ")
            ),
            if kind.is_empty() {
                "BlankValue"
            } else {
                "InvalidValue"
            },
        ));
    }
    let at = iso(now());
    let id = tx.allocate_id(Table::TicketFields)?;
    let mut field = field_json(id, &kind, "", &at);
    if kind == "tagger" || kind == "multiselect" {
        field["custom_field_options"] = json!([]);
    }
    apply(tx, &mut field, input, true)?;
    let needs_options = (kind == "tagger" || kind == "multiselect")
        && field["custom_field_options"]
            .as_array()
            .is_none_or(Vec::is_empty);
    if needs_options {
        return Err(ApiError::invalid(
            "custom_field_options",
            "Custom field options: a drop-down needs at least one option, such as [{\"name\": \"Gold\", \"value\": \"gold\"}]",
            "BlankValue",
        ));
    }
    if kind == "regexp" && field["regexp_for_validation"].is_null() {
        return Err(ApiError::invalid(
            "regexp_for_validation",
            "Regexp for validation: a regexp field needs a pattern",
            "BlankValue",
        ));
    }
    tx.save(Table::TicketFields, &field)?;
    Ok(field)
}

/// Updates one ticket field; a system field keeps its type and options.
pub fn update(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let mut field = fetch(tx, Table::TicketFields, id)?;
    // Zendesk ignores a changed `type` (a field's type is fixed at creation).
    let mut input = input.clone();
    input.remove("type");
    if field["removable"] == false {
        input.remove("custom_field_options");
    }
    apply(tx, &mut field, &input, false)?;
    field["updated_at"] = json!(iso(now()));
    tx.save(Table::TicketFields, &field)?;
    Ok(field)
}

/// Deletes one custom ticket field (system fields cannot be deleted).
pub fn delete(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    caller.require_admin()?;
    let field = fetch(tx, Table::TicketFields, id)?;
    if field["removable"] == false {
        return Err(ApiError::invalid(
            "base",
            format!(
                "Base: {} is a system field and cannot be deleted",
                field["title"].as_str().unwrap_or("this field")
            ),
            "InvalidValue",
        ));
    }
    tx.delete_row(Table::TicketFields, id)?;
    Ok(())
}

/// The live custom fields, by id.
fn custom_fields(tx: &mut dyn Reader) -> Result<Vec<Value>, ApiError> {
    Ok(tx
        .find(
            Table::TicketFields,
            &[Filter::Live(Table::TicketFields)],
            10_000,
        )?
        .into_iter()
        .filter(|f| f["removable"] != false)
        .collect())
}

/// Checks custom field values set on a ticket (`[{"id", "value"}]`): each id must be a live
/// custom field and each value fit its type. Returns the normalised values.
pub fn check_ticket_values(
    tx: &mut dyn Reader,
    changes: Vec<Value>,
) -> Result<Vec<Value>, ApiError> {
    if changes.is_empty() {
        return Ok(changes);
    }
    let fields = custom_fields(tx)?;
    changes
        .into_iter()
        .map(|change| {
            let id = change["id"].as_i64().unwrap_or_default();
            let Some(field) = fields.iter().find(|f| f["id"].as_i64() == Some(id)) else {
                return Err(ApiError::invalid(
                    "custom_fields",
                    format!(
                        "Custom fields: there is no ticket field with id {id}; GET /api/v2/ticket_fields lists them"
                    ),
                    "InvalidValue",
                ));
            };
            let name = format!("{id} ({})", field["title"].as_str().unwrap_or(""));
            let value = check_value(field, &change["value"], &name, "Custom fields")
                .map_err(|message| ApiError::invalid("custom_fields", message, "InvalidValue"))?;
            Ok(json!({"id": id, "value": value}))
        })
        .collect()
}

/// The tags a ticket's custom field values carry (drop-down and multi-select values, checked
/// checkboxes' tags).
pub fn tags_of_values(tx: &mut dyn Reader, values: &[Value]) -> Result<Vec<String>, ApiError> {
    if values.iter().all(|v| v["value"].is_null()) {
        return Ok(Vec::new());
    }
    let fields = custom_fields(tx)?;
    let mut tags = Vec::new();
    for value in values {
        if let Some(field) = fields.iter().find(|f| f["id"] == value["id"]) {
            for tag in tags_of_value(field, &value["value"]) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
    }
    Ok(tags)
}
