//! Ticket events, the records of Zendesk's incremental ticket event export: each audit of a
//! ticket (its creation, an update, a merge) as one event, what it changed in `child_events`.
//!
//! A comment is described by `comment_present` and `comment_public` only, unless the export
//! asks for `include=comment_events`: then the comment itself is a child event (body, HTML body,
//! author, attachments), as Zendesk serves it.

use serde_json::{Map, Value, json};

/// Zendesk's name for where an event came from, from a `via` object's channel (the event
/// stream names channels as people read them, not as `via.channel` spells them).
pub fn via_name(via: &Value) -> &'static str {
    match via.get("channel").and_then(Value::as_str).unwrap_or("api") {
        "web" => "Web form",
        "email" => "Mail",
        "rule" => "Rule",
        "system" => "System",
        "mobile" => "Mobile",
        "closed_ticket" => "Closed ticket",
        "merge" => "Merge",
        _ => "Web service",
    }
}

/// The ticket event of one stored audit, made at `timestamp` (Unix seconds).
pub fn from_audit(audit: &Value, timestamp: i64, comment_events: bool) -> Value {
    let via = via_name(&audit["via"]);
    let child_events: Vec<Value> = audit["events"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|event| child_event(event, via, comment_events))
        .collect();
    let metadata = &audit["metadata"];
    json!({
        "id": audit["id"],
        "ticket_id": audit["ticket_id"],
        "timestamp": timestamp,
        "created_at": audit["created_at"],
        "updater_id": audit["author_id"],
        "via": via,
        "system": metadata.get("system").cloned().unwrap_or_else(|| json!({})),
        "metadata": metadata.get("custom").cloned().unwrap_or_else(|| json!({})),
        "event_type": "Audit",
        "child_events": child_events,
    })
}

/// One change of an audit as a child event: `{id, via, via_reference_id, <field>: value,
/// previous_value, event_type}` for a field; a comment in full or as two booleans.
fn child_event(event: &Value, via: &str, comment_events: bool) -> Value {
    let kind = event["type"].as_str().unwrap_or("Change");
    let mut child = Map::new();
    child.insert("id".into(), event["id"].clone());
    child.insert("via".into(), json!(via));
    child.insert("via_reference_id".into(), Value::Null);
    match (kind, event.as_object()) {
        ("Comment", Some(comment)) if comment_events => {
            // In Zendesk's three text forms, whatever the audit stored.
            for (key, value) in super::comment_forms::served_comment(comment.clone()) {
                if key != "id" && key != "via" {
                    child.insert(key, value);
                }
            }
        }
        ("Comment", _) => {
            child.insert("comment_present".into(), json!(true));
            child.insert(
                "comment_public".into(),
                json!(event["public"].as_bool().unwrap_or(true)),
            );
        }
        (_, Some(fields)) => match fields.get("field_name").and_then(Value::as_str) {
            Some(field) => {
                child.insert(field.to_string(), event["value"].clone());
                child.insert("field_name".into(), json!(field));
                if let Some(previous) = fields.get("previous_value") {
                    child.insert("previous_value".into(), previous.clone());
                }
            }
            None => {
                for (key, value) in fields {
                    if !matches!(key.as_str(), "id" | "type" | "via") {
                        child.insert(key.clone(), value.clone());
                    }
                }
            }
        },
        (_, None) => {}
    }
    child.insert("event_type".into(), json!(kind));
    Value::Object(child)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit() -> Value {
        json!({"id": 100, "ticket_id": 7, "created_at": "2024-03-01T10:00:00Z", "author_id": 5,
        "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": null}},
        "metadata": {"system": {"client": "zd-sandbox"}, "custom": {}},
        "events": [
            {"id": 101, "type": "Comment", "body": "It is on fire", "html_body": "<p>It is on fire</p>",
             "public": false, "author_id": 5, "attachments": [], "audit_id": 100},
            {"id": 102, "type": "Change", "field_name": "status", "value": "open",
             "previous_value": "new"},
            {"id": 103, "type": "Create", "field_name": "priority", "value": "high"}
        ]})
    }

    #[test]
    fn an_audit_is_one_event_with_its_changes_as_child_events() {
        let event = from_audit(&audit(), 1_709_287_200, false);
        assert_eq!(event["id"], 100);
        assert_eq!(event["ticket_id"], 7);
        assert_eq!(event["timestamp"], 1_709_287_200);
        assert_eq!(event["updater_id"], 5);
        assert_eq!(event["via"], "Web service");
        assert_eq!(event["event_type"], "Audit");
        let children = event["child_events"].as_array().unwrap();
        assert_eq!(
            children[0],
            json!({"id": 101, "via": "Web service", "via_reference_id": null,
                "comment_present": true, "comment_public": false, "event_type": "Comment"})
        );
        assert_eq!(children[1]["status"], "open");
        assert_eq!(children[1]["previous_value"], "new");
        assert_eq!(children[1]["event_type"], "Change");
        assert_eq!(children[2]["priority"], "high");
        assert!(children[2].get("previous_value").is_none());
    }

    #[test]
    fn comment_events_bring_the_comment_itself() {
        let event = from_audit(&audit(), 1_709_287_200, true);
        let comment = &event["child_events"][0];
        assert_eq!(comment["body"], "It is on fire");
        assert_eq!(comment["html_body"], "<p>It is on fire</p>");
        assert_eq!(comment["public"], false);
        assert_eq!(comment["event_type"], "Comment");
        assert_eq!(comment["type"], "Comment");
        assert!(comment.get("comment_present").is_none());
    }
}
