//! Macros (additions beyond the seed): the team's canned answers. Listing them (or finding
//! them by title), and previewing one on a ticket: the field changes it would make and the
//! comment it would add, with the exact call that applies it. The preview changes nothing;
//! applying is a ticket update the agent (or model) decides on.

use serde_json::{Map, Value, json};
use zendesk::Detached;
use zendesk_types::{MacroId, TicketId};

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};
use crate::tools::comments::plain_text;

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_macros", get_macros),
    ("zendesk_apply_macro", apply_macro),
];

fn get_macros(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields()?;
    let keys = p.record_keys();
    let mut list = match p.text("query")?.map(str::trim) {
        Some(query) if !query.is_empty() => Detached.macros().search(query),
        _ => Detached.macros().list(),
    };
    if let Some(active) = p.boolean("active")? {
        list = list.param("active", active.to_string());
    }
    Plan::list(p.paged(list)?, move |mut page| {
        // A macro as listed: its own JSON cut to the keys a model reads.
        page.items = page.items.iter().map(|m| output::keys(m, &keys)).collect();
        Ok(output::page(page, "macros", fields.as_deref()))
    })
}

/// The ticket fields a preview compares, with the name the change is reported under.
const COMPARED: &[(&str, &str)] = &[
    ("subject", "subject"),
    ("status", "status"),
    ("priority", "priority"),
    ("type", "type"),
    ("group_id", "group_id"),
    ("assignee_id", "assignee_id"),
    ("tags", "tags"),
];

/// What the preview says: the changes from `before` to `after`, the comment, and the update
/// that applies them.
fn preview(ticket_id: u64, macro_id: u64, before: &Value, result: &Value) -> Value {
    let after = &result["ticket"];
    let mut changes = Vec::new();
    let mut params = Map::new();
    params.insert("ticketId".into(), json!(ticket_id.to_string()));
    for (key, name) in COMPARED {
        if after.get(*key).is_none() || before[*key] == after[*key] {
            continue;
        }
        changes.push(json!({"field": name, "from": before[*key], "to": after[*key]}));
        let param = match *key {
            "group_id" => "groupId",
            "assignee_id" => "assigneeId",
            other => other,
        };
        let value = match &after[*key] {
            Value::Array(tags) => json!(
                tags.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Value::Number(n) => json!(n.to_string()),
            Value::Null => json!(""),
            other => other.clone(),
        };
        params.insert(param.into(), value);
    }
    let mut custom = Map::new();
    let before_fields = before["custom_fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for field in after["custom_fields"].as_array().into_iter().flatten() {
        let old = before_fields
            .iter()
            .find(|f| f["id"] == field["id"])
            .map(|f| f["value"].clone())
            .unwrap_or(Value::Null);
        if old != field["value"] {
            changes.push(json!({"field": format!("custom_fields.{}", field["id"]), "from": old, "to": field["value"]}));
            custom.insert(field["id"].to_string(), field["value"].clone());
        }
    }
    if !custom.is_empty() {
        params.insert(
            "customFields".into(),
            json!(Value::Object(custom).to_string()),
        );
    }
    let comment = match result.get("comment").filter(|c| c.is_object()) {
        Some(comment) => {
            let body = plain_text(comment);
            let public = comment["public"].as_bool().unwrap_or(true);
            params.insert("comment".into(), json!(body));
            params.insert("commentPublic".into(), json!(public.to_string()));
            json!({"body": body, "public": public})
        }
        None => Value::Null,
    };
    json!({
        "ticket_id": ticket_id, "macro_id": macro_id, "applied": false,
        "changes": changes, "comment": comment,
        "to_apply": {"tool": "zendesk_update_ticket", "params": params}
    })
}

fn apply_macro(p: &Params) -> Result<Plan, ToolError> {
    let ticket_id = p.required_id("ticketId")?;
    let macro_id = p.required_id("macroId")?;
    Plan::both(
        Detached.tickets().show(TicketId(ticket_id)),
        Detached
            .macros()
            .apply_to_ticket(TicketId(ticket_id), MacroId(macro_id)),
        ["ticketId", "macroId"],
        move |ticket, applied| {
            let result = applied.get("result").ok_or_else(|| {
                ToolError::invalid(
                    "Zendesk's answer had no `result`; check the subdomain or ZENDESK_BASE_URL",
                )
            })?;
            Ok(preview(ticket_id, macro_id, &ticket["ticket"], result))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_lists_what_changes_and_how_to_apply_it() {
        let before = json!({"id": 4, "status": "new", "priority": "high", "tags": ["login"],
                            "group_id": 1, "custom_fields": [{"id": 9, "value": null}]});
        let result = json!({
            "ticket": {"id": 4, "status": "pending", "priority": "high", "tags": ["login", "sent"],
                       "group_id": 2, "custom_fields": [{"id": 9, "value": "portal"}]},
            "comment": {"body": "Hi Wile", "html_body": "<p>Hi Wile</p>", "public": true}
        });
        let out = preview(4, 30, &before, &result);
        assert_eq!(
            out["changes"],
            json!([
                {"field": "status", "from": "new", "to": "pending"},
                {"field": "group_id", "from": 1, "to": 2},
                {"field": "tags", "from": ["login"], "to": ["login", "sent"]},
                {"field": "custom_fields.9", "from": null, "to": "portal"}
            ])
        );
        assert_eq!(out["comment"], json!({"body": "Hi Wile", "public": true}));
        assert_eq!(
            out["to_apply"]["params"],
            json!({"ticketId": "4", "status": "pending", "groupId": "2", "tags": "login,sent",
                   "customFields": "{\"9\":\"portal\"}", "comment": "Hi Wile", "commentPublic": "true"})
        );
        assert_eq!(out["applied"], false);
    }
}
