//! Shared test fixtures: an account's vocabulary, people, a directory and tickets.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use zendesk_types::UserRole;

use super::effects::{Account, Directory, GroupInfo, MailComment};
use super::ticket_update::Person;
use super::vocabulary::{CustomField, CustomFieldKind, Named, Vocabulary, WebhookTarget};

/// The conditional webhook rules may call.
pub const WEBHOOK: &str = "01HZX3B6J0X9Q8W6V5T4S3R2Q1";
/// A webhook subscribed to event types, which no rule may call.
pub const EVENT_WEBHOOK: &str = "01HZX3B6J0X9Q8W6V5T4S3R2Q2";

pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        custom_fields: vec![
            CustomField {
                id: 100,
                title: "Plan".into(),
                kind: CustomFieldKind::Dropdown(vec![
                    ("plan_gold".into(), "Gold".into()),
                    ("plan_silver".into(), "Silver".into()),
                ]),
            },
            CustomField {
                id: 101,
                title: "VIP".into(),
                kind: CustomFieldKind::Checkbox,
            },
            CustomField {
                id: 102,
                title: "Amount".into(),
                kind: CustomFieldKind::Number,
            },
            CustomField {
                id: 103,
                title: "Order".into(),
                kind: CustomFieldKind::Text,
            },
        ],
        groups: vec![
            Named {
                id: 20,
                name: "Support".into(),
            },
            Named {
                id: 21,
                name: "Billing".into(),
            },
        ],
        agents: vec![
            Named {
                id: 7,
                name: "Agent Seven".into(),
            },
            Named {
                id: 8,
                name: "Agent Eight".into(),
            },
        ],
        webhooks: vec![
            WebhookTarget {
                id: WEBHOOK.into(),
                name: "On-call pager".into(),
                conditional: true,
                json: true,
            },
            WebhookTarget {
                id: EVENT_WEBHOOK.into(),
                name: "Event stream".into(),
                conditional: false,
                json: true,
            },
        ],
    }
}

pub fn agent(id: i64) -> Person {
    Person {
        id,
        name: format!("Agent {id}"),
        email: Some(format!("agent{id}@example.com")),
        role: UserRole::Agent,
    }
}

pub fn end_user(id: i64) -> Person {
    Person {
        id,
        name: format!("Customer {id}"),
        email: Some(format!("customer{id}@example.com")),
        role: UserRole::EndUser,
    }
}

/// A new ticket from customer 5, unassigned, in group 20.
pub fn ticket() -> Value {
    json!({
        "id": 42, "subject": "Printer on fire", "description": "It is on fire.",
        "status": "new", "priority": "normal", "type": null, "requester_id": 5,
        "submitter_id": 5, "assignee_id": null, "group_id": 20, "organization_id": null,
        "tags": ["printer"], "custom_fields": [{"id": 100, "value": null}],
        "email_cc_ids": [6], "via": {"channel": "web"}, "external_id": null
    })
}

/// Customers 5 and 6, agents 7 and 8, group 20 (agents 7 and 8) and 21 (agent 8).
pub fn directory() -> Directory {
    let people: BTreeMap<i64, Person> = [end_user(5), end_user(6), agent(7), agent(8)]
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let groups = [
        GroupInfo {
            id: 20,
            name: "Support".into(),
            member_ids: vec![7, 8],
        },
        GroupInfo {
            id: 21,
            name: "Billing".into(),
            member_ids: vec![8],
        },
    ]
    .into_iter()
    .map(|g| (g.id, g))
    .collect();
    Directory {
        account: Account {
            name: "Sandbox".into(),
            url: "http://127.0.0.1:8080".into(),
        },
        people,
        groups,
        organizations: BTreeMap::new(),
        comments: vec![
            MailComment {
                author_id: 7,
                body: "Internal: check the toner.".into(),
                public: false,
                created_at: 2_000,
            },
            MailComment {
                author_id: 5,
                body: "It is on fire.".into(),
                public: true,
                created_at: 1_000,
            },
        ],
    }
}
