//! Ticket fields (an addition beyond the seed): the system and custom fields with what a model
//! needs to fill `customFields` right (the field's ID, its type, whether it is required, and the
//! values a dropdown takes).

use serde_json::{Value, json};
use zendesk::Detached;

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[("zendesk_get_ticket_fields", get_ticket_fields)];

/// A ticket field, compact: custom options for dropdowns and multiselects, system options for
/// status, priority and type.
fn compact_field(field: &Value) -> Value {
    let options = ["custom_field_options", "system_field_options"]
        .iter()
        .find_map(|key| field.get(*key).and_then(Value::as_array))
        .map(|options| {
            options
                .iter()
                .map(|o| json!({ "name": o.get("name"), "value": o.get("value") }))
                .collect::<Vec<_>>()
        });
    let mut out = json!({
        "id": field.get("id"),
        "title": field.get("title"),
        "type": field.get("type"),
        "required": field.get("required").and_then(Value::as_bool).unwrap_or(false),
        "active": field.get("active").and_then(Value::as_bool).unwrap_or(false),
        // Zendesk marks the fields every ticket has as not removable.
        "system": field.get("removable").and_then(Value::as_bool).map(|removable| !removable),
        "description": field.get("description"),
    });
    if let (Some(options), Value::Object(map)) = (options, &mut out) {
        map.insert("options".into(), Value::Array(options));
    }
    out
}

fn get_ticket_fields(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields()?;
    Plan::list(
        p.paged(Detached.ticket_fields().list())?,
        move |mut page| {
            page.items = page.items.iter().map(compact_field).collect();
            Ok(output::page(page, "ticket_fields", fields.as_deref()))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropdown_lists_its_option_values() {
        let field = json!({"id": 9, "type": "tagger", "title": "Plan", "required": true, "active": true,
            "removable": true, "description": "Support plan", "position": 3,
            "custom_field_options": [{"id": 1, "name": "Gold", "raw_name": "Gold", "value": "gold", "default": false}]});
        assert_eq!(
            compact_field(&field),
            json!({"id": 9, "title": "Plan", "type": "tagger", "required": true, "active": true,
                   "system": false, "description": "Support plan",
                   "options": [{"name": "Gold", "value": "gold"}]})
        );
        let status = json!({"id": 2, "type": "status", "title": "Status", "removable": false,
            "system_field_options": [{"name": "Open", "value": "open"}]});
        assert_eq!(compact_field(&status)["system"], true);
        assert_eq!(compact_field(&status)["options"][0]["value"], "open");
        let text = json!({"id": 3, "type": "text", "title": "Order"});
        assert!(compact_field(&text).get("options").is_none());
    }
}
