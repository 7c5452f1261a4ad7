//! Where a change hands over its deliveries. The ticket write path calls [`enqueue`] inside its
//! own transaction with the webhook calls its triggers and automations made and the
//! `zen:event-type:ticket.*` events it set off ([`event_deliveries`] turns those into
//! deliveries): a committed change has its deliveries durably queued, a refused one has none.
//! [`active_webhooks`] is what rules may name and events may reach.
//!
//! This is the seam only: until the webhooks resource and its delivery queue are part of the
//! sandbox, an account has no webhooks ([`active_webhooks`] answers none, so no rule can name
//! one and no event reaches one) and [`enqueue`] has nothing to keep. Whoever changes the
//! webhooks table must call `WriteRules::bump_rules_version` in the same transaction: ticket
//! writes cache the list under the rules' stamp.

use serde_json::Value;

use super::definition::{RequestFormat, Webhook};
use super::events::{PayloadParts, Sequence, TicketEvent, payload};
use super::ids::{new_event_id, new_ulid};
use crate::business_rules::account::ACCOUNT_ID;
use crate::business_rules::vocabulary::WebhookTarget;
use crate::store::{Reader, StoreError, Writer};

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

/// A delivery to queue: which webhook, the body it sends (a rule's rendered body, or an event
/// payload), the ticket it is about, and what set it off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub webhook_id: String,
    pub body: String,
    pub ticket_id: i64,
    pub source: DeliverySource,
}

/// Queues `deliveries` in the caller's transaction: they are sent once it commits, and never
/// if it rolls back. With no webhooks in the account there is never anything to queue.
pub fn enqueue(tx: &mut dyn Writer, deliveries: &[NewDelivery]) -> Result<(), StoreError> {
    let _ = (tx, deliveries);
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

/// The account's active webhooks, oldest first (none until the webhooks resource exists).
pub fn active_webhooks(tx: &mut dyn Reader) -> Result<Vec<ActiveWebhook>, StoreError> {
    let _ = tx;
    Ok(Vec::new())
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
            .filter(|w| w.webhook.receives(event.kind.as_str()))
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
                account_id: ACCOUNT_ID,
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
