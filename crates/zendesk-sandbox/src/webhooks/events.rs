//! Ticket events for webhooks subscribed to `zen:event-type:ticket.*`: which events a ticket
//! write sets off (from the ticket before and after it, and the comment it added), which a
//! lifecycle operation sets off (merge, soft delete...), and the payload Zendesk sends:
//! `{type, account_id, id, time, zendesk_event_version, subject: "zen:ticket:<id>", detail,
//! event}`, `detail` holding the ticket's core fields (ids as strings, status, priority and type
//! upper-cased) and `event` what changed.

use serde_json::{Value, json};

use crate::business_rules::ticket_update::{AddedComment, Person, custom_field, tags, text};
use crate::business_rules::vocabulary::via_of_channel;
use crate::util::iso;

pub use zendesk_types::webhooks::{CONDITIONAL_TICKET_EVENTS, EVENT_TYPE_PREFIX, TicketEventType};

/// The version of the event schema the payloads follow.
pub const ZENDESK_EVENT_VERSION: &str = "2022-11-06";

/// Every event type a webhook may subscribe to in the sandbox, in Zendesk's order.
pub fn ticket_event_names() -> impl Iterator<Item = &'static str> {
    TicketEventType::ALL.iter().map(|t| t.name())
}

/// One event a write or an operation set off: its type and its `event` object.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketEvent {
    pub kind: TicketEventType,
    pub event: Value,
}

/// Ticket fields whose change is an event of their own: (field, event, how the value reads).
const FIELD_EVENTS: &[(&str, TicketEventType, Reading)] = &[
    ("status", TicketEventType::StatusChanged, Reading::Upper),
    ("priority", TicketEventType::PriorityChanged, Reading::Upper),
    ("type", TicketEventType::TypeChanged, Reading::Upper),
    ("subject", TicketEventType::SubjectChanged, Reading::Text),
    (
        "description",
        TicketEventType::DescriptionChanged,
        Reading::Text,
    ),
    (
        "assignee_id",
        TicketEventType::AgentAssignmentChanged,
        Reading::Id,
    ),
    (
        "group_id",
        TicketEventType::GroupAssignmentChanged,
        Reading::Id,
    ),
    (
        "requester_id",
        TicketEventType::RequesterChanged,
        Reading::Id,
    ),
    (
        "organization_id",
        TicketEventType::OrganizationChanged,
        Reading::Id,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// `OPEN`, as event payloads write statuses, priorities and types.
    Upper,
    Text,
    /// Ids as strings.
    Id,
}

fn read(value: &Value, reading: Reading) -> Value {
    if value.is_null() || value.as_str() == Some("") {
        return Value::Null;
    }
    match reading {
        Reading::Upper => json!(text(value).to_uppercase()),
        Reading::Text | Reading::Id => json!(text(value)),
    }
}

/// The events a ticket write set off: `created` alone for a create (its first comment is the
/// description), otherwise one event per changed field, for the tags, per changed custom field,
/// and for the added comment (`author` is the comment's author).
pub fn events_of_write(
    before: Option<&Value>,
    after: &Value,
    comment: Option<&AddedComment>,
    author: Option<&Person>,
) -> Vec<TicketEvent> {
    let Some(before) = before else {
        return vec![TicketEvent {
            kind: TicketEventType::Created,
            event: json!({}),
        }];
    };
    let mut events = Vec::new();
    for (field, kind, reading) in FIELD_EVENTS {
        let (was, now) = (
            read(&before[*field], *reading),
            read(&after[*field], *reading),
        );
        if was != now {
            events.push(TicketEvent {
                kind: *kind,
                event: json!({"current": now, "previous": was}),
            });
        }
    }
    let (had, has) = (tags(before), tags(after));
    let added: Vec<&String> = has.iter().filter(|t| !had.contains(t)).collect();
    let removed: Vec<&String> = had.iter().filter(|t| !has.contains(t)).collect();
    if !added.is_empty() || !removed.is_empty() {
        events.push(TicketEvent {
            kind: TicketEventType::TagsChanged,
            event: json!({"tags_added": added, "tags_removed": removed}),
        });
    }
    let ids = |ticket: &Value| -> Vec<i64> {
        ticket["custom_fields"]
            .as_array()
            .map(|fields| fields.iter().filter_map(|f| f["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let mut field_ids = ids(after);
    field_ids.extend(
        ids(before)
            .into_iter()
            .filter(|id| !ids(after).contains(id)),
    );
    for id in field_ids {
        let (was, now) = (custom_field(before, id), custom_field(after, id));
        if was != now {
            events.push(TicketEvent {
                kind: TicketEventType::CustomFieldChanged,
                event: json!({"custom_field": {"id": id.to_string()}, "current": now, "previous": was}),
            });
        }
    }
    if let Some(comment) = comment {
        events.push(TicketEvent {
            kind: TicketEventType::CommentAdded,
            event: json!({"comment": {
                "id": comment.id.map(|id| id.to_string()),
                "body": comment.body,
                "is_public": comment.public,
                "author": {
                    "id": comment.author_id.to_string(),
                    "is_staff": author.is_some_and(Person::is_staff),
                    "name": author.map(|a| a.name.clone()).unwrap_or_default(),
                },
            }}),
        });
    }
    events
}

/// An operation on a ticket that is not a field write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    /// Merged into the ticket `target`.
    Merged {
        target: i64,
    },
    MarkedAsSpam,
    SoftDeleted,
    Undeleted,
    PermanentlyDeleted,
}

/// The event an operation sets off.
pub fn lifecycle_event(operation: Lifecycle) -> TicketEvent {
    let (kind, event) = match operation {
        Lifecycle::Merged { target } => (
            TicketEventType::Merged,
            json!({"target_ticket_id": target.to_string()}),
        ),
        Lifecycle::MarkedAsSpam => (TicketEventType::MarkedAsSpam, json!({})),
        Lifecycle::SoftDeleted => (TicketEventType::SoftDeleted, json!({})),
        Lifecycle::Undeleted => (TicketEventType::Undeleted, json!({})),
        Lifecycle::PermanentlyDeleted => (TicketEventType::PermanentlyDeleted, json!({})),
    };
    TicketEvent { kind, event }
}

/// The `detail` of a ticket event: the ticket's core fields, ids as strings, closed values
/// upper-cased, the channel as Zendesk's via type.
pub fn detail(ticket: &Value, actor_id: Option<i64>) -> Value {
    let id = |field: &str| read(&ticket[field], Reading::Id);
    let channel = ticket["via"]["channel"].as_str().unwrap_or_default();
    json!({
        "actor_id": actor_id.map(|a| a.to_string()),
        "assignee_id": id("assignee_id"),
        "brand_id": id("brand_id"),
        "created_at": ticket["created_at"],
        "custom_status": id("custom_status_id"),
        "description": ticket["description"],
        "external_id": read(&ticket["external_id"], Reading::Text),
        "form_id": id("ticket_form_id"),
        "group_id": id("group_id"),
        "id": id("id"),
        "is_public": ticket["is_public"].as_bool().unwrap_or(true),
        "organization_id": id("organization_id"),
        "priority": read(&ticket["priority"], Reading::Upper),
        "requester_id": id("requester_id"),
        "status": read(&ticket["status"], Reading::Upper),
        "subject": ticket["subject"],
        "submitter_id": id("submitter_id"),
        "tags": tags(ticket),
        "type": read(&ticket["type"], Reading::Upper),
        "updated_at": ticket["updated_at"],
        "via": {"channel": via_of_channel(channel).map_or(channel, |via| via.via_type)},
    })
}

/// Where an event sits among those one write set off: events of one write share the sequence
/// id (Zendesk does not promise their order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub id: String,
    pub position: usize,
    pub total: usize,
}

/// The payload Zendesk sends a subscribed webhook for `event` on `ticket`.
pub struct PayloadParts<'a> {
    pub account_id: i64,
    /// A fresh UUID (`ids::new_event_id`).
    pub event_id: &'a str,
    /// When the write happened, Unix seconds (the sandbox clock's).
    pub time: i64,
    pub actor_id: Option<i64>,
    pub sequence: &'a Sequence,
}

/// `{type, account_id, id, time, zendesk_event_version, subject, detail, event}`.
pub fn payload(event: &TicketEvent, ticket: &Value, parts: &PayloadParts) -> Value {
    let mut body = event.event.clone();
    if let Value::Object(map) = &mut body {
        map.insert(
            "meta".into(),
            json!({"sequence": {"id": parts.sequence.id, "position": parts.sequence.position,
                                "total": parts.sequence.total}}),
        );
    }
    json!({
        "type": event.kind.name(),
        "account_id": parts.account_id,
        "id": parts.event_id,
        "time": iso(parts.time),
        "zendesk_event_version": ZENDESK_EVENT_VERSION,
        "subject": format!("zen:ticket:{}", text(&ticket["id"])),
        "detail": detail(ticket, parts.actor_id),
        "event": body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::fixtures::{agent, ticket};

    fn kinds(events: &[TicketEvent]) -> Vec<&'static str> {
        events.iter().map(|e| e.kind.name()).collect()
    }

    #[test]
    fn every_event_type_round_trips_its_name() {
        assert_eq!(ticket_event_names().count(), 19);
        for name in ticket_event_names() {
            assert!(name.starts_with(EVENT_TYPE_PREFIX));
            assert_eq!(TicketEventType::from_name(name).unwrap().name(), name);
        }
    }

    #[test]
    fn a_create_is_one_created_event() {
        assert_eq!(
            kinds(&events_of_write(None, &ticket(), None, None)),
            ["zen:event-type:ticket.created"]
        );
    }

    #[test]
    fn an_update_sets_off_one_event_per_change() {
        let before = ticket();
        let mut after = before.clone();
        after["status"] = json!("open");
        after["priority"] = json!("urgent");
        after["assignee_id"] = json!(7);
        after["group_id"] = json!(21);
        after["tags"] = json!(["paged"]);
        after["custom_fields"] = json!([{"id": 100, "value": "plan_gold"}]);
        let comment = AddedComment {
            id: Some(77),
            author_id: 7,
            body: "On it".into(),
            public: true,
        };
        let events = events_of_write(Some(&before), &after, Some(&comment), Some(&agent(7)));
        assert_eq!(
            kinds(&events),
            [
                "zen:event-type:ticket.status_changed",
                "zen:event-type:ticket.priority_changed",
                "zen:event-type:ticket.agent_assignment_changed",
                "zen:event-type:ticket.group_assignment_changed",
                "zen:event-type:ticket.tags_changed",
                "zen:event-type:ticket.custom_field_changed",
                "zen:event-type:ticket.comment_added",
            ]
        );
        assert_eq!(
            events[0].event,
            json!({"current": "OPEN", "previous": "NEW"})
        );
        assert_eq!(events[2].event, json!({"current": "7", "previous": null}));
        assert_eq!(
            events[4].event,
            json!({"tags_added": ["paged"], "tags_removed": ["printer"]})
        );
        assert_eq!(
            events[6].event,
            json!({"comment": {"id": "77", "body": "On it", "is_public": true,
                               "author": {"id": "7", "is_staff": true, "name": "Agent 7"}}})
        );
        assert!(events_of_write(Some(&before), &before, None, None).is_empty());
    }

    #[test]
    fn the_payload_has_zendesks_envelope() {
        let mut t = ticket();
        t["via"] = json!({"channel": "api"});
        t["status"] = json!("open");
        let event = lifecycle_event(Lifecycle::Merged { target: 9 });
        let sequence = Sequence {
            id: "01HZX3B6J0X9Q8W6V5T4S3R2Q9".into(),
            position: 1,
            total: 1,
        };
        let body = payload(
            &event,
            &t,
            &PayloadParts {
                account_id: 1,
                event_id: "2b24ef10-19d4-4740-93cf-8f98ec4776c0",
                time: 1_700_000_000,
                actor_id: Some(7),
                sequence: &sequence,
            },
        );
        assert_eq!(body["type"], "zen:event-type:ticket.merged");
        assert_eq!(body["subject"], "zen:ticket:42");
        assert_eq!(body["time"], "2023-11-14T22:13:20Z");
        assert_eq!(body["zendesk_event_version"], "2022-11-06");
        assert_eq!(body["detail"]["id"], "42");
        assert_eq!(body["detail"]["status"], "OPEN");
        assert_eq!(body["detail"]["requester_id"], "5");
        assert_eq!(body["detail"]["assignee_id"], Value::Null);
        assert_eq!(body["detail"]["actor_id"], "7");
        assert_eq!(body["detail"]["via"], json!({"channel": "web_service"}));
        assert_eq!(body["event"]["target_ticket_id"], "9");
        assert_eq!(body["event"]["meta"]["sequence"]["position"], 1);
    }
}
