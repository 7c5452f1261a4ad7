//! Macros: what a create, update and delete do (actions checked against the fields a macro can
//! set, as `GET /macros/actions` lists them), and what applying one would do to a ticket,
//! without changing it: `GET /tickets/{id}/macros/{id}/apply` answers the ticket as it would be
//! and the comment it would add (placeholders such as `{{ticket.requester.first_name}}` filled
//! in), `GET /macros/{id}/apply` only the fields it sets. The agent then applies them with a
//! ticket update, as on Zendesk.

use serde_json::{Map, Value, json};

use super::restriction;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::resources::input::{as_id, opt_bool, opt_str, tag_list};
use crate::resources::{fetch, required_text};
use crate::store::{Reader, Table, Writer};
use crate::util::{iso, now};

/// What a macro action may set, and the values it takes.
#[derive(Clone, Copy)]
enum Takes {
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// A user id, `current_user`, or `""` (unassign).
    Assignee,
    /// A group id or `""`.
    Group,
    /// Any text.
    Text,
    /// Tags (a space-separated string or an array).
    Tags,
    /// The comment's text (a string, or `["channel:all", "text"]`).
    Comment,
    /// `"true"` or `"false"`.
    Flag,
}

const STATUSES: &[&str] = &["open", "pending", "hold", "solved", "closed"];
const PRIORITIES: &[&str] = &["", "low", "normal", "high", "urgent"];
const TYPES: &[&str] = &["", "question", "incident", "problem", "task"];

/// The action fields the sandbox applies (`custom_fields_<id>` besides), with their titles.
const ACTIONS: &[(&str, &str, Takes)] = &[
    ("status", "Status", Takes::OneOf(STATUSES)),
    ("priority", "Priority", Takes::OneOf(PRIORITIES)),
    ("type", "Type", Takes::OneOf(TYPES)),
    ("group_id", "Group", Takes::Group),
    ("assignee_id", "Assignee", Takes::Assignee),
    ("subject", "Set subject", Takes::Text),
    ("set_tags", "Set tags", Takes::Tags),
    ("current_tags", "Add tags", Takes::Tags),
    ("remove_tags", "Remove tags", Takes::Tags),
    ("comment_value", "Comment/description", Takes::Comment),
    (
        "comment_value_html",
        "Comment/description (HTML)",
        Takes::Text,
    ),
    ("comment_mode_is_public", "Comment mode", Takes::Flag),
];

/// `GET /macros/actions`: the actions a macro may hold.
pub fn definitions() -> Value {
    let actions: Vec<Value> = ACTIONS
        .iter()
        .map(|(field, title, takes)| {
            let values = match takes {
                Takes::OneOf(values) => json!({"type": "list", "list": values
                    .iter()
                    .map(|v| json!({"value": v, "title": if v.is_empty() { "-" } else { v }, "enabled": true}))
                    .collect::<Vec<_>>()}),
                Takes::Flag => json!({"type": "list", "list": [
                    {"value": "true", "title": "Public reply", "enabled": true},
                    {"value": "false", "title": "Private comment", "enabled": true}]}),
                Takes::Assignee | Takes::Group => json!({"type": "list", "list": []}),
                Takes::Tags => json!({"type": "tags", "list": []}),
                Takes::Text | Takes::Comment => json!({"type": "text", "list": []}),
            };
            json!({"title": title, "title_for_field": title, "value": field, "group": "ticket",
                   "operators": [{"value": "is", "title": "Is"}], "values": values,
                   "output_key": null, "target": null})
        })
        .collect();
    json!({ "actions": actions })
}

fn bad_action(detail: impl Into<String>) -> ApiError {
    ApiError::invalid(
        "actions",
        format!("Actions: {}", detail.into()),
        "InvalidValue",
    )
}

/// A value as the text Zendesk compares (numbers and booleans as their digits or words).
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    }
}

/// Checks a macro's `actions` and returns them as stored.
fn check_actions(tx: &mut dyn Reader, value: &Value) -> Result<Vec<Value>, ApiError> {
    let Some(actions) = value.as_array() else {
        return Err(bad_action(format!(
            "must be an array such as [{{\"field\": \"status\", \"value\": \"solved\"}}], got {value}"
        )));
    };
    if actions.is_empty() {
        return Err(bad_action(
            "give at least one action, such as {\"field\": \"status\", \"value\": \"solved\"}",
        ));
    }
    let fields: Vec<&str> = ACTIONS.iter().map(|(field, _, _)| *field).collect();
    let mut checked = Vec::with_capacity(actions.len());
    for action in actions {
        let field = action.get("field").and_then(Value::as_str).ok_or_else(|| {
            bad_action(format!(
                "every action needs a `field` and a `value`, got {action}"
            ))
        })?;
        let value = action.get("value").cloned().unwrap_or(Value::Null);
        if let Some(id) = field.strip_prefix("custom_fields_") {
            let id = id.parse::<i64>().ok().ok_or_else(|| {
                bad_action(format!("`{field}` does not name a ticket field by its id"))
            })?;
            if tx.record(Table::TicketFields, id)?.is_none() {
                return Err(bad_action(format!(
                    "no ticket field has id {id} (`{field}`)"
                )));
            }
            checked.push(json!({"field": field, "value": value}));
            continue;
        }
        let Some((_, _, takes)) = ACTIONS.iter().find(|(name, _, _)| *name == field) else {
            return Err(bad_action(format!(
                "`{field}` is not an action the sandbox applies; use one of {}, or custom_fields_<id>",
                fields.join(", ")
            )));
        };
        let value = match takes {
            Takes::OneOf(allowed) => {
                let text = text_of(&value).unwrap_or_default().to_lowercase();
                if !allowed.contains(&text.as_str()) {
                    return Err(bad_action(format!(
                        "{field} `{value}` is not valid; use one of {}",
                        allowed
                            .iter()
                            .map(|v| if v.is_empty() { "\"\"" } else { v })
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
                json!(text)
            }
            Takes::Assignee | Takes::Group => {
                let text = text_of(&value).unwrap_or_default();
                let text = text.trim();
                if text.is_empty() || (text == "current_user" && field == "assignee_id") {
                    json!(text)
                } else {
                    let table = if field == "group_id" {
                        Table::Groups
                    } else {
                        Table::Users
                    };
                    let id = as_id(&json!(text)).ok_or_else(|| {
                        bad_action(format!(
                            "{field} must be an id{}, got {value}",
                            if field == "assignee_id" {
                                ", \"current_user\" or \"\""
                            } else {
                                " or \"\""
                            }
                        ))
                    })?;
                    if tx.record(table, id)?.is_none() {
                        return Err(bad_action(format!(
                            "{field}: no {} has id {id}",
                            table.record_name()
                        )));
                    }
                    json!(id.to_string())
                }
            }
            Takes::Text => json!(
                text_of(&value)
                    .ok_or_else(|| bad_action(format!("{field} must be text, got {value}")))?
            ),
            Takes::Tags => json!(tag_list(&value, "actions")?.join(" ")),
            Takes::Comment => match &value {
                Value::String(_) => value.clone(),
                Value::Array(parts) if parts.len() == 2 && parts.iter().all(Value::is_string) => {
                    value.clone()
                }
                _ => {
                    return Err(bad_action(format!(
                        "comment_value must be text or [\"channel:all\", \"text\"], got {value}"
                    )));
                }
            },
            Takes::Flag => match text_of(&value).as_deref() {
                Some("true") | Some("false") => json!(text_of(&value)),
                _ => {
                    return Err(bad_action(format!(
                        "comment_mode_is_public must be \"true\" or \"false\", got {value}"
                    )));
                }
            },
        };
        checked.push(json!({"field": field, "value": value}));
    }
    Ok(checked)
}

fn apply_input(
    tx: &mut dyn Writer,
    caller: &Caller,
    record: &mut Value,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    if let Some(title) = required_text(input, "title", creating)? {
        record["title"] = json!(title.trim());
        record["raw_title"] = json!(title.trim());
    }
    if let Some(description) = opt_str(input, "description")? {
        record["description"] = json!(description);
    }
    if let Some(active) = opt_bool(input, "active")? {
        record["active"] = json!(active);
    }
    if let Some(position) = input.get("position").filter(|v| !v.is_null()) {
        let position = as_id(position).filter(|p| *p >= 0).ok_or_else(|| {
            ApiError::invalid(
                "position",
                format!("Position: must be a whole number, got {position}"),
                "InvalidValue",
            )
        })?;
        record["position"] = json!(position);
    }
    match input.get("actions") {
        Some(actions) => record["actions"] = json!(check_actions(tx, actions)?),
        None if creating => {
            return Err(ApiError::invalid(
                "actions",
                "Actions: cannot be blank; give at least one, such as [{\"field\": \"status\", \"value\": \"solved\"}]",
                "BlankValue",
            ));
        }
        None => {}
    }
    if let Some(restriction) = restriction::read(tx, caller, input, creating)? {
        record["restriction"] = restriction;
    }
    Ok(())
}

/// Creates a macro (an agent's is personal: see `restriction`).
pub fn create(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let at = iso(now());
    let id = tx.allocate_id(Table::Macros)?;
    let mut record = json!({
        "id": id, "title": "", "raw_title": "", "description": null, "active": true,
        "position": 9999, "default": false, "restriction": null, "actions": [],
        "created_at": at, "updated_at": at
    });
    apply_input(tx, caller, &mut record, input, true)?;
    tx.save(Table::Macros, &record)?;
    Ok(record)
}

/// One macro `caller` may see, or 404.
pub fn visible(tx: &mut dyn Reader, caller: &Caller, id: i64) -> Result<Value, ApiError> {
    restriction::fetch_visible(tx, caller, Table::Macros, id)
}

pub fn update(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let mut record = visible(tx, caller, id)?;
    restriction::check_owner(caller, &record, "macro")?;
    apply_input(tx, caller, &mut record, input, false)?;
    record["updated_at"] = json!(iso(now()));
    tx.save(Table::Macros, &record)?;
    Ok(record)
}

pub fn delete(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    restriction::delete(tx, caller, Table::Macros, "macro", id)
}

/// The comment a macro adds: its text (or HTML), public or not.
struct MacroComment {
    body: Option<String>,
    html: Option<String>,
    public: bool,
}

fn comment_of(actions: &[Value]) -> Option<MacroComment> {
    let mut comment = MacroComment {
        body: None,
        html: None,
        public: true,
    };
    for action in actions {
        let value = &action["value"];
        match action["field"].as_str() {
            Some("comment_value") => {
                comment.body = match value {
                    Value::Array(parts) => parts.get(1).and_then(Value::as_str).map(str::to_string),
                    other => other.as_str().map(str::to_string),
                }
            }
            Some("comment_value_html") => comment.html = value.as_str().map(str::to_string),
            Some("comment_mode_is_public") => comment.public = value.as_str() != Some("false"),
            _ => {}
        }
    }
    (comment.body.is_some() || comment.html.is_some()).then_some(comment)
}

/// The ticket fields a macro sets, as a ticket update's keys (`comment` apart).
fn field_changes(caller: &Caller, actions: &[Value], ticket: &Value) -> Map<String, Value> {
    let mut changes = Map::new();
    let mut tags: Vec<String> = ticket["tags"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut tags_changed = false;
    let words = |value: &Value| -> Vec<String> {
        value
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect()
    };
    for action in actions {
        let value = &action["value"];
        let Some(field) = action["field"].as_str() else {
            continue;
        };
        let text = value.as_str().unwrap_or_default();
        match field {
            "status" | "priority" | "type" => {
                changes.insert(
                    field.into(),
                    if text.is_empty() {
                        Value::Null
                    } else {
                        json!(text)
                    },
                );
            }
            "subject" => {
                changes.insert("subject".into(), json!(text));
            }
            "assignee_id" => {
                let id = match text {
                    "" => Value::Null,
                    "current_user" => json!(caller.id),
                    other => other.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
                };
                changes.insert("assignee_id".into(), id);
            }
            "group_id" => {
                let id = text.parse::<i64>().map(Value::from).unwrap_or(Value::Null);
                changes.insert("group_id".into(), id);
            }
            "set_tags" => {
                tags = words(value);
                tags_changed = true;
            }
            "current_tags" => {
                for tag in words(value) {
                    if !tags.contains(&tag) {
                        tags.push(tag);
                    }
                }
                tags_changed = true;
            }
            "remove_tags" => {
                let remove = words(value);
                tags.retain(|t| !remove.contains(t));
                tags_changed = true;
            }
            custom if custom.starts_with("custom_fields_") => {
                let id: i64 = custom["custom_fields_".len()..].parse().unwrap_or_default();
                let fields = changes.entry("custom_fields").or_insert_with(|| json!([]));
                if let Some(list) = fields.as_array_mut() {
                    list.push(json!({"id": id, "value": value}));
                }
            }
            _ => {}
        }
    }
    if tags_changed {
        changes.insert("tags".into(), json!(tags));
    }
    changes
}

/// `{{ticket.requester.first_name}}` and friends, filled in from the ticket and the caller.
/// Placeholders the sandbox does not know are left as written, so they show up in a preview.
fn fill_placeholders(
    tx: &mut dyn Reader,
    caller: &Caller,
    ticket: &Value,
    text: &str,
) -> Result<String, ApiError> {
    if !text.contains("{{") {
        return Ok(text.to_string());
    }
    let user = |tx: &mut dyn Reader, id: Option<i64>| -> Result<Value, ApiError> {
        Ok(match id {
            Some(id) => tx.record(Table::Users, id)?.unwrap_or_default(),
            None => Value::Null,
        })
    };
    let requester = user(tx, ticket["requester_id"].as_i64())?;
    let assignee = user(tx, ticket["assignee_id"].as_i64())?;
    let me = user(tx, Some(caller.id))?;
    let name = |u: &Value| u["name"].as_str().unwrap_or_default().to_string();
    let first = |u: &Value| {
        name(u)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let whole = &rest[start..start + end + 2];
        let key = whole[2..whole.len() - 2].trim();
        let value = match key {
            "ticket.id" => Some(ticket["id"].to_string()),
            "ticket.title" | "ticket.subject" => {
                Some(ticket["subject"].as_str().unwrap_or_default().to_string())
            }
            "ticket.status" => Some(ticket["status"].as_str().unwrap_or_default().to_string()),
            "ticket.priority" => Some(ticket["priority"].as_str().unwrap_or_default().to_string()),
            "ticket.requester.name" => Some(name(&requester)),
            "ticket.requester.first_name" => Some(first(&requester)),
            "ticket.requester.email" => {
                Some(requester["email"].as_str().unwrap_or_default().to_string())
            }
            "ticket.assignee.name" => Some(name(&assignee)),
            "ticket.assignee.first_name" => Some(first(&assignee)),
            "current_user.name" => Some(name(&me)),
            "current_user.first_name" => Some(first(&me)),
            "current_user.email" => Some(me["email"].as_str().unwrap_or_default().to_string()),
            _ => None,
        };
        out.push_str(value.as_deref().unwrap_or(whole));
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn html_of(body: &str) -> String {
    let escaped = body
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<p>{}</p>",
        escaped.replace("\n\n", "</p><p>").replace('\n', "<br>")
    )
}

/// The comment as Zendesk's apply answers it.
fn comment_json(
    tx: &mut dyn Reader,
    caller: &Caller,
    ticket: &Value,
    comment: &MacroComment,
) -> Result<Value, ApiError> {
    let body = match (&comment.body, &comment.html) {
        (Some(body), _) => fill_placeholders(tx, caller, ticket, body)?,
        (None, Some(html)) => crate::util::html_text(&fill_placeholders(tx, caller, ticket, html)?),
        (None, None) => String::new(),
    };
    let html = match &comment.html {
        Some(html) => fill_placeholders(tx, caller, ticket, html)?,
        None => html_of(&body),
    };
    Ok(json!({
        "body": body, "html_body": html, "public": comment.public,
        "scoped_body": [["channel:all", body]]
    }))
}

/// `GET /tickets/{ticket}/macros/{macro}/apply`: the ticket as the macro would leave it, and the
/// comment it would add. Nothing is changed.
pub fn preview(
    tx: &mut dyn Reader,
    caller: &Caller,
    ticket_id: i64,
    macro_id: i64,
) -> Result<Value, ApiError> {
    let ticket = fetch(tx, Table::Tickets, ticket_id)?;
    let record = visible(tx, caller, macro_id)?;
    let actions = record["actions"].as_array().cloned().unwrap_or_default();
    let mut after = ticket.clone();
    for (key, value) in field_changes(caller, &actions, &ticket) {
        if key == "custom_fields" {
            let mut fields = after["custom_fields"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for change in value.as_array().into_iter().flatten() {
                match fields.iter_mut().find(|f| f["id"] == change["id"]) {
                    Some(existing) => *existing = change.clone(),
                    None => fields.push(change.clone()),
                }
            }
            after["custom_fields"] = json!(fields);
            after["fields"] = json!(fields);
            continue;
        }
        if key == "subject" {
            after["raw_subject"] = value.clone();
        }
        if key == "status" {
            after["custom_status_id"] = ticket["custom_status_id"].clone();
        }
        after[key.as_str()] = value;
    }
    let comment = match comment_of(&actions) {
        Some(comment) => comment_json(tx, caller, &after, &comment)?,
        None => Value::Null,
    };
    if !comment.is_null() {
        after["comment"] = comment.clone();
    }
    Ok(json!({"result": {"ticket": after, "comment": comment}}))
}

/// `GET /macros/{macro}/apply`: only what the macro sets (its comment inside the ticket).
pub fn changes(tx: &mut dyn Reader, caller: &Caller, macro_id: i64) -> Result<Value, ApiError> {
    let record = visible(tx, caller, macro_id)?;
    let actions = record["actions"].as_array().cloned().unwrap_or_default();
    let mut ticket = Value::Object(field_changes(caller, &actions, &json!({"tags": []})));
    if let Some(comment) = comment_of(&actions) {
        let body = comment
            .body
            .clone()
            .or_else(|| comment.html.as_deref().map(crate::util::html_text))
            .unwrap_or_default();
        ticket["comment"] = json!({"body": body, "public": comment.public,
            "scoped_body": [["channel:all", body]]});
    }
    Ok(json!({"result": {"ticket": ticket}}))
}
