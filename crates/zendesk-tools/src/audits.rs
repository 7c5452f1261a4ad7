//! A ticket's history (an addition beyond the seed): every audit (one change set) with its
//! author, time, channel and events, each event cut to what a reader needs (a field's previous
//! and new value, a comment's text and visibility, a notification's subject and recipients).

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use zendesk::Detached;
use zendesk_types::TicketId;

use crate::Tool;
use crate::ToolError;
use crate::comments::{author_of, authors, plain_text};
use crate::output;
use crate::params::Params;
use crate::plan::Plan;
use crate::spec::*;

pub(crate) fn get_ticket_audits() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_ticket_audits",
            description: "Read a ticket's history, oldest first: each change set (audit) with who made it, when, through which channel, and its events (fields set or changed with their previous and new values, comments added, notifications emailed)",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "ticketId",
                        "Ticket whose history to read, as a numeric string (e.g., \"12345\")",
                    ),
                    optional(
                        "perPage",
                        "Audits per page as a number string (default: \"100\", max: \"100\")",
                    ),
                    optional(
                        "pageAfter",
                        "Cursor from a previous response to fetch the next page of audits",
                    ),
                    fields_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "audits",
                    "array",
                    "The audits, oldest first",
                    audit_fields(),
                ),
                nested(
                    "paging",
                    "object",
                    "Cursor-based pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
            ],
            annotations: READ_ONLY,
        },
        plan_get_ticket_audits,
    )
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

fn plan_get_ticket_audits(p: &Params) -> Result<Plan, ToolError> {
    let id = TicketId(p.required_id("ticketId")?);
    let fields = p.fields(&keys_of(&audit_fields()))?;
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
