//! What a ticket write sets off, done in the write's own transaction (a refused write sets off
//! nothing; a committed one has its emails and webhook calls durably recorded with it):
//!
//! 1. the triggers run on the ticket as the write left it (`triggers::run`);
//! 2. the notifications of the rules that fired (the automations' of a pass, then the
//!    triggers') are rendered for their recipients, with the people, groups and comments they
//!    name read from the store;
//! 3. the audit gets the rules' `Change` and `Notification` events, each naming its rule;
//! 4. every email is captured in the outbox;
//! 5. the webhook calls (`notification_webhook` to a webhook called by rules, and the
//!    `zen:event-type:ticket.*` events of the write to the webhooks subscribed to them) are
//!    handed to the delivery queue (`webhooks::queue`);
//! 6. the ticket's moments (`hours_since_*`) are kept.
//!
//! The ticket resource saves the ticket the rules leave and the audit.

use std::collections::BTreeMap;

use serde_json::Value;

use super::account::{AccountRules, Moment};
use super::effects::{
    Directory, Effect, GroupInfo, MailComment, Needed, Rendered, WebhookCall, needed,
    render_effects,
};
use super::outbox::OutboxEmail;
use super::ticket_update::{AddedComment, Person, TicketTimes, TicketUpdate};
use super::triggers::{self, Firing};
use super::vocabulary::RuleKind;
use crate::store::{Bind, Filter, Reader, StoreError, Table, Writer};
use crate::util::parse_time;
use crate::webhooks::events::{Lifecycle, TicketEvent, events_of_write, lifecycle_event};
use crate::webhooks::queue::{self, ActiveWebhook, DeliverySource, NewDelivery};

/// The most comments a notification reads of a ticket (`{{ticket.comments_formatted}}`).
const MAX_MAIL_COMMENTS: i64 = 1_000;

/// One ticket write, as the ticket resource hands it over once the write's own changes are
/// made and checked, before anything is saved.
pub struct TicketWrite<'a> {
    /// The ticket before the write; `None` when the write creates it.
    pub before: Option<&'a Value>,
    /// The ticket as the write left it.
    pub after: Value,
    /// Who wrote; `None` for the system (an automation's pass).
    pub current_user: Option<&'a Person>,
    /// The comment the write added (already stored).
    pub comment: Option<AddedComment>,
    /// The channel of the write (`api`, `rule`).
    pub via: &'a str,
    /// What the automations of a pass did to the ticket before the write (none otherwise).
    pub automated: Vec<Firing>,
    pub automated_effects: Vec<Effect>,
}

/// What the rules did: the ticket as they left it, and the audit events to add.
pub struct RulesOutcome {
    pub ticket: Value,
    pub events: Vec<Value>,
}

/// Runs the rules on `write` and does what they set off (see the module's comment).
pub fn run_rules(
    tx: &mut dyn Writer,
    account: &AccountRules,
    moment: &Moment,
    write: TicketWrite<'_>,
) -> Result<RulesOutcome, StoreError> {
    let ticket_id = write.after["id"].as_i64().unwrap_or_default();
    let update = TicketUpdate {
        before: write.before,
        current_user: write.current_user,
        comment: write.comment.as_ref(),
        via: write.via,
    };
    let run = triggers::run(&moment.rules.triggers, &update, write.after, moment.now);
    let ticket = run.ticket;
    let mut effects = write.automated_effects;
    effects.extend(run.effects);
    let rendered = if effects.is_empty() {
        Rendered::default()
    } else {
        let wanted = needed(&effects, &ticket, write.current_user);
        let directory = read_directory(tx, account, &wanted, ticket_id)?;
        render_effects(&effects, &ticket, write.current_user, &directory)
    };
    let mut fired = write.automated;
    fired.extend(run.fired);
    let mut events = triggers::audit_events(&fired, &rendered, 0);
    number_events(tx, &mut events)?;

    for email in rendered.emails() {
        let id = tx.allocate_id(Table::OutboxEmails)?;
        let record = OutboxEmail::new(id, email, ticket_id, moment.now).to_json();
        tx.save(Table::OutboxEmails, &record)?;
    }

    let actor = write.current_user.map(|p| p.id);
    let ticket_events = events_of_write(
        write.before,
        &ticket,
        write.comment.as_ref(),
        write.current_user,
    );
    let deliveries = deliveries(
        &moment.rules.webhooks,
        &rendered.webhook_calls,
        &ticket_events,
        &ticket,
        actor,
        moment.now,
    );
    if !deliveries.is_empty() {
        queue::enqueue(tx, &deliveries)?;
    }

    let mut times = tx
        .ticket_times(ticket_id)?
        .map(|m| TicketTimes::from_moments(&m))
        .unwrap_or_default();
    times.record(write.before, &ticket, actor, moment.now);
    tx.save_ticket_times(ticket_id, &times.to_moments())?;
    Ok(RulesOutcome { ticket, events })
}

/// Hands the event of an operation on a ticket (merged, soft deleted, restored, deleted for
/// good) to the webhooks subscribed to it.
pub fn operation_event(
    tx: &mut dyn Writer,
    moment: &Moment,
    ticket: &Value,
    operation: Lifecycle,
    actor: Option<i64>,
) -> Result<(), StoreError> {
    let event = lifecycle_event(operation);
    let deliveries = deliveries(
        &moment.rules.webhooks,
        &[],
        std::slice::from_ref(&event),
        ticket,
        actor,
        moment.now,
    );
    if deliveries.is_empty() {
        return Ok(());
    }
    queue::enqueue(tx, &deliveries)
}

/// Gives the audit events ids from the event counter (at most 32 per reservation).
fn number_events(tx: &mut dyn Writer, events: &mut [Value]) -> Result<(), StoreError> {
    for chunk in events.chunks_mut(32) {
        let first = tx.next_ids("event", chunk.len() as i64)?;
        for (offset, event) in chunk.iter_mut().enumerate() {
            event["id"] = Value::from(first + offset as i64);
        }
    }
    Ok(())
}

/// The webhook calls a write sets off: each rule's `notification_webhook` to a webhook that
/// answers rules (active, subscribed to `conditional_ticket_events`; another is not called),
/// then each event to every active webhook subscribed to its type (`queue::event_deliveries`).
fn deliveries(
    webhooks: &[ActiveWebhook],
    calls: &[WebhookCall],
    events: &[TicketEvent],
    ticket: &Value,
    actor: Option<i64>,
    now: i64,
) -> Vec<NewDelivery> {
    let Some(ticket_id) = ticket["id"].as_i64() else {
        return Vec::new();
    };
    let mut out: Vec<NewDelivery> = calls
        .iter()
        .filter(|call| {
            webhooks
                .iter()
                .any(|w| w.id == call.webhook_id && w.webhook.answers_rules())
        })
        .map(|call| NewDelivery {
            webhook_id: call.webhook_id.clone(),
            body: call.body.clone(),
            ticket_id,
            source: match call.rule.kind {
                RuleKind::Trigger => DeliverySource::Trigger(call.rule.id),
                RuleKind::Automation => DeliverySource::Automation(call.rule.id),
            },
        })
        .collect();
    out.extend(queue::event_deliveries(
        webhooks, events, ticket, actor, now,
    ));
    out
}

/// A user as the rules see one (`None` when there is no such user).
pub fn person(tx: &mut dyn Reader, id: i64) -> Result<Option<Person>, StoreError> {
    Ok(tx
        .record(Table::Users, id)?
        .as_ref()
        .and_then(Person::from_record))
}

/// Reads what rendering names: the people (and every member of the groups), the groups, the
/// organizations and the ticket's comments, newest first.
fn read_directory(
    tx: &mut dyn Reader,
    account: &AccountRules,
    wanted: &Needed,
    ticket_id: i64,
) -> Result<Directory, StoreError> {
    let mut groups = BTreeMap::new();
    let mut user_ids: Vec<i64> = wanted.users.iter().copied().collect();
    for group_id in &wanted.groups {
        let Some(group) = tx.record(Table::Groups, *group_id)? else {
            continue;
        };
        let member_ids: Vec<i64> = tx
            .find(
                Table::GroupMemberships,
                &[Filter::Eq("group_id", Bind::Int(*group_id))],
                10_000,
            )?
            .iter()
            .filter_map(|m| m["user_id"].as_i64())
            .collect();
        user_ids.extend(&member_ids);
        groups.insert(
            *group_id,
            GroupInfo {
                id: *group_id,
                name: group["name"].as_str().unwrap_or_default().to_string(),
                member_ids,
            },
        );
    }
    user_ids.sort_unstable();
    user_ids.dedup();
    let people = tx
        .records(Table::Users, &user_ids)?
        .iter()
        .filter_map(Person::from_record)
        .map(|p| (p.id, p))
        .collect();
    let organization_ids: Vec<i64> = wanted.organizations.iter().copied().collect();
    let organizations = tx
        .records(Table::Organizations, &organization_ids)?
        .iter()
        .filter_map(|o| Some((o["id"].as_i64()?, o["name"].as_str()?.to_string())))
        .collect();
    let mut comments: Vec<MailComment> = tx
        .find(
            Table::TicketComments,
            &[Filter::Eq("ticket_id", Bind::Int(ticket_id))],
            MAX_MAIL_COMMENTS,
        )?
        .iter()
        .map(|c| MailComment {
            author_id: c["author_id"].as_i64().unwrap_or_default(),
            body: c["body"].as_str().unwrap_or_default().to_string(),
            public: c["public"].as_bool().unwrap_or(true),
            created_at: c["created_at"]
                .as_str()
                .and_then(parse_time)
                .unwrap_or_default(),
        })
        .collect();
    comments.reverse();
    Ok(Directory {
        account: account.account.clone(),
        people,
        groups,
        organizations,
        comments,
    })
}
