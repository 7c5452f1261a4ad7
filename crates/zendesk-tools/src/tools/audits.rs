//! A ticket's history (an addition beyond the seed): every audit (one change set) with its
//! author, time, channel and events, each event cut to what a reader needs (a field's previous
//! and new value, a comment's text and visibility, a notification's subject and recipients).

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use zendesk::Detached;
use zendesk_types::TicketId;

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};
use crate::tools::comments::{author_of, authors, plain_text};

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[("zendesk_get_ticket_audits", get_ticket_audits)];

/// The audit Zendesk wrote for a write (create or update), as the write's result carries it:
/// what changed and who was emailed, in a few hundred bytes. Each event is
/// `{type: "Change", field, previous, value}`, `{type: "Create", field, value}`,
/// `{type: "Comment", public, author}` (the author's user ID) or
/// `{type: "Notification", recipients}` (user IDs); other kinds give their type only.
pub(crate) fn of_write(audit: &Value) -> Value {
    let events: Vec<Value> = audit
        .get("events")
        .and_then(Value::as_array)
        .map(|events| {
            events
                .iter()
                .map(|event| match event.get("type").and_then(Value::as_str) {
                    Some("Change") => json!({
                        "type": "Change", "field": event.get("field_name"),
                        "previous": event.get("previous_value"), "value": event.get("value"),
                    }),
                    Some("Create") => json!({
                        "type": "Create", "field": event.get("field_name"), "value": event.get("value"),
                    }),
                    Some(kind @ ("Comment" | "VoiceComment")) => json!({
                        "type": kind, "public": event.get("public"), "author": event.get("author_id"),
                    }),
                    Some("Notification") => json!({
                        "type": "Notification", "recipients": event.get("recipients"),
                    }),
                    kind => json!({ "type": kind }),
                })
                .collect()
        })
        .unwrap_or_default();
    json!({ "id": audit.get("id"), "events": events })
}

/// One event, compact. Kinds not named here keep their keys (but their ID).
fn compact_event(event: &Value) -> Value {
    let kind = event.get("type").cloned().unwrap_or(Value::Null);
    match kind.as_str() {
        Some("Create") => json!({
            "type": kind, "field": event.get("field_name"), "to": event.get("value"),
        }),
        Some("Change") => json!({
            "type": kind, "field": event.get("field_name"),
            "from": event.get("previous_value"), "to": event.get("value"),
        }),
        Some("Comment" | "VoiceComment") => json!({
            "type": kind, "comment_id": event.get("id"), "public": event.get("public"),
            "body": plain_text(event),
        }),
        Some("Notification") => json!({
            "type": kind, "subject": event.get("subject"), "recipients": event.get("recipients"),
        }),
        _ => {
            let mut rest: Map<String, Value> = event.as_object().cloned().unwrap_or_default();
            rest.remove("id");
            Value::Object(rest)
        }
    }
}

fn compact_audit(audit: &Value, authors: &HashMap<u64, Value>) -> Value {
    let events: Vec<Value> = audit
        .get("events")
        .and_then(Value::as_array)
        .map(|events| events.iter().map(compact_event).collect())
        .unwrap_or_default();
    json!({
        "id": audit.get("id"),
        "created_at": audit.get("created_at"),
        "author": author_of(audit, authors),
        "via": audit.pointer("/via/channel"),
        "events": events,
    })
}

fn get_ticket_audits(p: &Params) -> Result<Plan, ToolError> {
    let id = TicketId(p.required_id("ticketId")?);
    let fields = p.fields()?;
    let list = Detached.tickets().audits(id).include("users");
    Plan::list(p.paged(list)?, move |mut page| {
        let authors = authors(&page);
        page.items = page
            .items
            .iter()
            .map(|audit| compact_audit(audit, &authors))
            .collect();
        Ok(output::page(page, "audits", fields.as_deref()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_keep_what_a_reader_needs() {
        let audit = json!({"id": 5, "ticket_id": 1, "created_at": "2024-01-01T00:00:00Z", "author_id": 7,
        "metadata": {"system": {"ip_address": "1.2.3.4"}}, "via": {"channel": "web", "source": {}},
        "events": [
            {"id": 1, "type": "Change", "field_name": "status", "value": "pending", "previous_value": "open"},
            {"id": 2, "type": "Create", "field_name": "tags", "value": ["vip"]},
            {"id": 3, "type": "Comment", "body": "Looking", "html_body": "<p>Looking</p>", "public": false, "author_id": 7},
            {"id": 4, "type": "Notification", "subject": "Re: printer", "body": "long", "recipients": [9]},
            {"id": 6, "type": "SatisfactionRating", "score": "good"}
        ]});
        let out = compact_audit(&audit, &HashMap::new());
        assert_eq!(
            out,
            json!({"id": 5, "created_at": "2024-01-01T00:00:00Z",
            "author": {"id": 7, "name": null, "email": null, "role": null}, "via": "web",
            "events": [
                {"type": "Change", "field": "status", "from": "open", "to": "pending"},
                {"type": "Create", "field": "tags", "to": ["vip"]},
                {"type": "Comment", "comment_id": 3, "public": false, "body": "Looking"},
                {"type": "Notification", "subject": "Re: printer", "recipients": [9]},
                {"type": "SatisfactionRating", "score": "good"}
            ]})
        );
    }
}
