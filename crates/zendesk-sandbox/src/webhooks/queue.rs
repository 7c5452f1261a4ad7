//! Where a change hands over its deliveries. The ticket write path calls [`enqueue`] inside its
//! own transaction with the webhook calls its triggers and automations made and the
//! `zen:event-type:ticket.*` events it set off ([`event_deliveries`] turns those into
//! deliveries): a committed change has its deliveries durably queued, a refused one has none.
//! [`active_webhooks`] is what rules may name and events may reach. The worker (`worker`)
//! sends what is queued, at least once.
//!
//! [`ticket_written`] and [`ticket_operation`] are the ticket resource's one-line hooks: the
//! events of a write (or of a merge, a soft delete) queued for the webhooks subscribed to them.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
use tokio::sync::Notify;

use super::definition::{RequestFormat, Webhook};
use super::delivery::SANDBOX_ACCOUNT_ID;
use super::events::{
    Lifecycle, PayloadParts, Sequence, TicketEvent, events_of_write, lifecycle_event, payload,
};
use super::ids::{new_event_id, new_ulid};
use crate::business_rules::ticket_update::{AddedComment, Person};
use crate::business_rules::vocabulary::WebhookTarget;
use crate::store::{NewDeliveryRow, Reader, StoreError, Table, Writer};

/// What set a delivery off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliverySource {
    /// A trigger's `notification_webhook` action (the trigger's id).
    Trigger(i64),
    /// An automation's `notification_webhook` action (the automation's id).
    Automation(i64),
    /// A `zen:event-type:ticket.*` event the webhook is subscribed to.
    Event,
}

impl DeliverySource {
    fn column(self) -> (&'static str, Option<i64>) {
        match self {
            DeliverySource::Trigger(id) => ("trigger", Some(id)),
            DeliverySource::Automation(id) => ("automation", Some(id)),
            DeliverySource::Event => ("event", None),
        }
    }
}

/// A delivery to queue: which webhook, the body it sends (a rule's rendered body, or an event
/// payload), the ticket it is about, and what set it off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub webhook_id: String,
    pub body: String,
    pub ticket_id: i64,
    pub source: DeliverySource,
}

/// Rung after a delivery is queued, so a worker of this process claims it without waiting for
/// its next look at the queue. A worker that rings while the queueing transaction has not
/// committed yet claims through the same writer, after that transaction.
pub(crate) static QUEUED: Notify = Notify::const_new();
/// Counts the rings, so a worker that was not waiting when one rang still sees it.
pub(crate) static RINGS: AtomicU64 = AtomicU64::new(0);

/// Queues `deliveries` in the caller's transaction: they are sent once it commits, and never
/// if it rolls back. Each gets its invocation id (a ULID) here.
pub fn enqueue(tx: &mut dyn Writer, deliveries: &[NewDelivery]) -> Result<(), StoreError> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let now_ms = now_ms();
    for delivery in deliveries {
        let (source, source_id) = delivery.source.column();
        let id = new_ulid();
        tx.insert_delivery(&NewDeliveryRow {
            id: &id,
            webhook_id: &delivery.webhook_id,
            ticket_id: Some(delivery.ticket_id),
            source,
            source_id,
            body: &delivery.body,
            created_at: now_ms / 1_000,
            due_ms: now_ms,
        })?;
    }
    RINGS.fetch_add(1, Ordering::SeqCst);
    QUEUED.notify_waiters();
    Ok(())
}

/// An active webhook: its id and its checked record.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveWebhook {
    pub id: String,
    pub webhook: Webhook,
}

impl ActiveWebhook {
    /// The webhook as a rule's `notification_webhook` action may name it.
    pub fn target(&self) -> WebhookTarget {
        WebhookTarget {
            id: self.id.clone(),
            name: self.webhook.name.clone(),
            conditional: self.webhook.answers_rules(),
            json: self.webhook.request_format == RequestFormat::Json,
        }
    }
}

/// The account's active webhooks, oldest first: rules call those that
/// [`Webhook::answers_rules`], events reach those that [`Webhook::receives`] them.
pub fn active_webhooks(tx: &mut dyn Reader) -> Result<Vec<ActiveWebhook>, StoreError> {
    let rows = tx.active_webhook_rows()?;
    let mut active = Vec::with_capacity(rows.len());
    for row in rows {
        match Webhook::from_stored(&row.record) {
            Ok(webhook) => active.push(ActiveWebhook {
                id: row.id,
                webhook,
            }),
            // Stored records were checked when saved; one that no longer reads is skipped
            // rather than failing the ticket write that asked.
            Err(error) => {
                tracing::warn!(webhook = %row.id, %error, "a stored webhook does not read back")
            }
        }
    }
    Ok(active)
}

/// The deliveries of the events one write set off on `ticket`: each event to each active
/// webhook subscribed to its type, in Zendesk's payload, the write's events sharing one
/// sequence id. `actor_id` is who made the change; `time` when (Unix seconds).
pub fn event_deliveries(
    webhooks: &[ActiveWebhook],
    events: &[TicketEvent],
    ticket: &Value,
    actor_id: Option<i64>,
    time: i64,
) -> Vec<NewDelivery> {
    let Some(ticket_id) = crate::util::as_id(&ticket["id"]) else {
        return Vec::new();
    };
    let sequence_id = new_ulid();
    let mut deliveries = Vec::new();
    for (position, event) in events.iter().enumerate() {
        let receivers: Vec<&ActiveWebhook> = webhooks
            .iter()
            .filter(|w| w.webhook.receives(event.kind.name()))
            .collect();
        if receivers.is_empty() {
            continue;
        }
        let sequence = Sequence {
            id: sequence_id.clone(),
            position: position + 1,
            total: events.len(),
        };
        let event_id = new_event_id();
        let body = payload(
            event,
            ticket,
            &PayloadParts {
                account_id: SANDBOX_ACCOUNT_ID,
                event_id: &event_id,
                time,
                actor_id,
                sequence: &sequence,
            },
        )
        .to_string();
        for receiver in receivers {
            deliveries.push(NewDelivery {
                webhook_id: receiver.id.clone(),
                body: body.clone(),
                ticket_id,
                source: DeliverySource::Event,
            });
        }
    }
    deliveries
}

/// Queues the events of one ticket write (`before` is `None` when it created the ticket) for
/// the active webhooks subscribed to them, in the write's transaction. `audit` is the write's
/// audit: its author made the change, and its `Comment` event is the comment the write added.
pub fn ticket_written(
    tx: &mut dyn Writer,
    before: Option<&Value>,
    after: &Value,
    audit: &Value,
) -> Result<(), StoreError> {
    let webhooks = event_webhooks(tx)?;
    if webhooks.is_empty() {
        return Ok(());
    }
    let actor_id = audit["author_id"].as_i64();
    let author = match actor_id {
        Some(id) => tx
            .record(Table::Users, id)?
            .as_ref()
            .and_then(Person::from_record),
        None => None,
    };
    let comment = audit["events"].as_array().and_then(|events| {
        events
            .iter()
            .find(|e| e["type"] == "Comment")
            .map(|c| AddedComment {
                id: c["id"].as_i64(),
                author_id: c["author_id"].as_i64().unwrap_or_default(),
                body: c["body"].as_str().unwrap_or_default().to_string(),
                public: c["public"].as_bool().unwrap_or(true),
            })
    });
    let events = events_of_write(before, after, comment.as_ref(), author.as_ref());
    let deliveries = event_deliveries(&webhooks, &events, after, actor_id, crate::util::now());
    enqueue(tx, &deliveries)
}

/// Queues the event of an operation on `ticket` that is not a field write (merged into
/// another, soft deleted, ...) for the active webhooks subscribed to it.
pub fn ticket_operation(
    tx: &mut dyn Writer,
    ticket: &Value,
    operation: Lifecycle,
    actor_id: i64,
) -> Result<(), StoreError> {
    let webhooks = event_webhooks(tx)?;
    if webhooks.is_empty() {
        return Ok(());
    }
    let event = lifecycle_event(operation);
    let deliveries = event_deliveries(
        &webhooks,
        std::slice::from_ref(&event),
        ticket,
        Some(actor_id),
        crate::util::now(),
    );
    enqueue(tx, &deliveries)
}

/// The active webhooks subscribed to at least one event type (those rules call get nothing
/// from a write on their own).
fn event_webhooks(tx: &mut dyn Reader) -> Result<Vec<ActiveWebhook>, StoreError> {
    let mut webhooks = active_webhooks(tx)?;
    webhooks.retain(|w| !w.webhook.answers_rules());
    Ok(webhooks)
}

/// Now, in Unix milliseconds (deliveries are timed to the millisecond: `Retry-After: 1`).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::fixtures::ticket;
    use crate::webhooks::events::events_of_write;
    use serde_json::json;

    fn hook(subscriptions: Value, status: &str) -> Webhook {
        Webhook::parse_new(
            json!({"name": "h", "endpoint": "http://127.0.0.1:9/h", "status": status,
                   "subscriptions": subscriptions})
            .as_object()
            .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn each_event_goes_to_each_subscribed_webhook_once() {
        let webhooks = [
            ActiveWebhook {
                id: "01A".into(),
                webhook: hook(
                    json!([
                        "zen:event-type:ticket.status_changed",
                        "zen:event-type:ticket.tags_changed"
                    ]),
                    "active",
                ),
            },
            ActiveWebhook {
                id: "01B".into(),
                webhook: hook(json!(["zen:event-type:ticket.status_changed"]), "active"),
            },
            ActiveWebhook {
                id: "01C".into(),
                webhook: hook(json!(["conditional_ticket_events"]), "active"),
            },
        ];
        let before = ticket();
        let mut after = before.clone();
        after["status"] = json!("open");
        after["tags"] = json!(["printer", "vip"]);
        after["priority"] = json!("high");
        let events = events_of_write(Some(&before), &after, None, None);
        let deliveries = event_deliveries(&webhooks, &events, &after, Some(7), 1_700_000_000);
        let sent: Vec<(&str, String)> = deliveries
            .iter()
            .map(|d| {
                let body: Value = serde_json::from_str(&d.body).unwrap();
                (
                    d.webhook_id.as_str(),
                    body["type"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            sent,
            [
                ("01A", "zen:event-type:ticket.status_changed".to_string()),
                ("01B", "zen:event-type:ticket.status_changed".to_string()),
                ("01A", "zen:event-type:ticket.tags_changed".to_string()),
            ]
        );
        assert!(
            deliveries
                .iter()
                .all(|d| d.ticket_id == 42 && d.source == DeliverySource::Event)
        );
        // One write: one sequence, positions among all its events (priority reached no one).
        let bodies: Vec<Value> = deliveries
            .iter()
            .map(|d| serde_json::from_str(&d.body).unwrap())
            .collect();
        let sequence = &bodies[0]["event"]["meta"]["sequence"];
        assert_eq!(sequence["total"], 3);
        assert_eq!(bodies[2]["event"]["meta"]["sequence"]["id"], sequence["id"]);
        // The same event to two webhooks is the same event (one id).
        assert_eq!(bodies[0]["id"], bodies[1]["id"]);
        assert_ne!(bodies[0]["id"], bodies[2]["id"]);
    }

    #[test]
    fn a_rule_names_active_webhooks_by_their_target() {
        let called = ActiveWebhook {
            id: "01C".into(),
            webhook: hook(json!(["conditional_ticket_events"]), "active"),
        };
        let target = called.target();
        assert!(target.conditional && target.json);
        let events = ActiveWebhook {
            id: "01E".into(),
            webhook: hook(json!(["zen:event-type:ticket.created"]), "active"),
        };
        assert!(!events.target().conditional);
    }
}
