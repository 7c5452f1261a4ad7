//! The trigger run, as Zendesk runs triggers after every ticket create and update: the active
//! triggers in position order; when one fires and changes the ticket, the cycle starts again
//! from the top; each trigger fires at most once per write; nothing runs on a closed ticket.
//! Conditions see the write's ticket before it and the ticket as the triggers have left it so
//! far, so "assignee changed" holds after a trigger assigned the ticket.
//!
//! The run returns the ticket the triggers leave, what each trigger changed (the audit's
//! `Change` events, with `via` naming the trigger) and the notifications they asked for, which
//! the caller renders with `effects::render_effects` once it has read the people they name.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::actions::{Change, apply};
use super::conditions::Facts;
use super::effects::{Effect, Rendered};
use super::rule::{Rule, running_order};
use super::ticket_update::TicketUpdate;
use super::vocabulary::RuleRef;

/// One trigger that fired, and what it changed (possibly nothing: a trigger that only mails).
#[derive(Debug, Clone, PartialEq)]
pub struct Firing {
    pub rule: RuleRef,
    pub changes: Vec<Change>,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerRun {
    /// The ticket as the triggers left it.
    pub ticket: Value,
    /// The triggers that fired, in the order they fired.
    pub fired: Vec<Firing>,
    /// Their notification actions, to render.
    pub effects: Vec<Effect>,
}

impl TriggerRun {
    /// True when some trigger changed a field of the ticket.
    pub fn changed_ticket(&self) -> bool {
        self.fired.iter().any(|f| !f.changes.is_empty())
    }

    /// The audit events of the run, numbered from `first_id` (see [`audit_events`]).
    pub fn audit_events(&self, rendered: &Rendered, first_id: i64) -> Vec<Value> {
        audit_events(&self.fired, rendered, first_id)
    }
}

/// The audit events of rules that fired, numbered from `first_id`: each rule's `Change`
/// events, then the `Notification` events of the rendered emails that reached someone, each
/// with `via: {"channel": "rule", "source": {"from": {"id", "title"}, "rel": "trigger"}}` (or
/// `"automation"`) naming its rule.
pub fn audit_events(fired: &[Firing], rendered: &Rendered, first_id: i64) -> Vec<Value> {
    let mut events = Vec::new();
    let mut id = first_id;
    for firing in fired {
        for change in &firing.changes {
            events.push(json!({
                "id": id, "type": "Change", "field_name": change.field_name,
                "value": audit_value(&change.value),
                "previous_value": audit_value(&change.previous_value),
                "via": firing.rule.via(),
            }));
            id += 1;
        }
    }
    for notification in &rendered.notifications {
        if notification.recipients.is_empty() {
            continue;
        }
        events.push(json!({
            "id": id, "type": "Notification", "subject": notification.subject,
            "body": notification.body, "recipients": notification.recipients,
            "via": notification.rule.via(),
        }));
        id += 1;
    }
    events
}

/// An audit event's value as Zendesk writes it: ids and numbers as strings.
fn audit_value(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

/// Runs `triggers` on a write: `update` says what the ticket was and who wrote, `after` is the
/// ticket the write produced, `now` the sandbox's time.
pub fn run(triggers: &[Rule], update: &TicketUpdate, after: Value, now: i64) -> TriggerRun {
    let mut ticket = after;
    let mut fired = Vec::new();
    let mut effects = Vec::new();
    let closed = |t: &Value| t["status"] == "closed";
    // A closed ticket sets nothing off (nor does one created closed).
    if update.before.map_or(closed(&ticket), closed) {
        return TriggerRun {
            ticket,
            fired,
            effects,
        };
    }
    let order = running_order(triggers);
    let mut done: HashSet<i64> = HashSet::new();
    'cycle: loop {
        for rule in &order {
            if done.contains(&rule.id) {
                continue;
            }
            let facts = Facts {
                ticket: &ticket,
                update: Some(update),
                times: None,
                now,
            };
            if !rule.definition.conditions.hold(&facts) {
                continue;
            }
            done.insert(rule.id);
            let changes = apply(&rule.definition.actions, &mut ticket, update.current_user);
            let reference = rule.reference();
            effects.extend(
                rule.definition
                    .actions
                    .iter()
                    .filter(|a| a.is_notification())
                    .map(|action| Effect {
                        rule: reference.clone(),
                        action: action.clone(),
                    }),
            );
            let changed = !changes.is_empty();
            fired.push(Firing {
                rule: reference,
                changes,
            });
            if changed {
                continue 'cycle;
            }
        }
        break;
    }
    TriggerRun {
        ticket,
        fired,
        effects,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::effects::render_effects;
    use crate::business_rules::fixtures::{
        WEBHOOK, agent, directory, end_user, ticket, vocabulary,
    };
    use crate::business_rules::rule::RuleDefinition;
    use crate::business_rules::ticket_update::AddedComment;
    use crate::business_rules::vocabulary::RuleKind;

    fn trigger(id: i64, position: i64, conditions: Value, actions: Value) -> Rule {
        let input = json!({"title": format!("Trigger {id}"), "position": position,
            "conditions": conditions, "actions": actions});
        Rule {
            id,
            definition: RuleDefinition::parse_new(
                RuleKind::Trigger,
                input.as_object().unwrap(),
                &vocabulary(),
            )
            .unwrap(),
        }
    }

    fn titles(run: &TriggerRun) -> Vec<String> {
        run.fired.iter().map(|f| f.rule.title.clone()).collect()
    }

    #[test]
    fn the_cycle_restarts_after_a_change_and_each_trigger_fires_once() {
        // Position 1 waits for the tag that position 2 adds; position 3 reacts to the priority.
        let triggers = vec![
            trigger(
                1,
                1,
                json!({"all": [{"field": "current_tags", "operator": "includes", "value": "vip"}]}),
                json!([{"field": "priority", "value": "urgent"}]),
            ),
            trigger(
                2,
                2,
                json!({"all": [{"field": "update_type", "operator": "is", "value": "Create"}]}),
                json!([{"field": "current_tags", "value": "vip"}]),
            ),
            trigger(
                3,
                3,
                json!({"all": [{"field": "priority", "operator": "value", "value": "urgent"}]}),
                json!([{"field": "current_tags", "value": "paged"},
                       {"field": "notification_webhook", "value": [WEBHOOK, "{\"id\": \"{{ticket.id}}\"}"]}]),
            ),
            // Always true and always changing: it still fires only once.
            trigger(
                4,
                4,
                json!({"all": [{"field": "status", "operator": "less_than", "value": "closed"}]}),
                json!([{"field": "current_tags", "value": "seen"}]),
            ),
        ];
        let me = end_user(5);
        let update = TicketUpdate {
            before: None,
            current_user: Some(&me),
            comment: None,
            via: "web",
        };
        let run = run(&triggers, &update, ticket(), 0);
        assert_eq!(
            titles(&run),
            ["Trigger 2", "Trigger 1", "Trigger 3", "Trigger 4"]
        );
        assert_eq!(run.ticket["priority"], "urgent");
        assert_eq!(
            run.ticket["tags"],
            json!(["printer", "vip", "paged", "seen"])
        );
        assert_eq!(run.effects.len(), 1);
        assert!(run.changed_ticket());
    }

    #[test]
    fn a_closed_ticket_sets_nothing_off() {
        let triggers = vec![trigger(
            1,
            1,
            json!({"all": [{"field": "update_type", "operator": "is", "value": "Change"}]}),
            json!([{"field": "current_tags", "value": "touched"}]),
        )];
        let mut closed = ticket();
        closed["status"] = json!("closed");
        let me = agent(7);
        let update = TicketUpdate {
            before: Some(&closed),
            current_user: Some(&me),
            comment: None,
            via: "api",
        };
        let run = run(&triggers, &update, closed.clone(), 0);
        assert!(run.fired.is_empty());
        assert_eq!(run.ticket, closed);
    }

    #[test]
    fn inactive_triggers_do_not_run() {
        let mut quiet = trigger(
            1,
            1,
            json!({"all": [{"field": "update_type", "operator": "is", "value": "Create"}]}),
            json!([{"field": "current_tags", "value": "x"}]),
        );
        quiet.definition.active = false;
        let update = TicketUpdate {
            before: None,
            current_user: None,
            comment: None,
            via: "api",
        };
        assert!(run(&[quiet], &update, ticket(), 0).fired.is_empty());
    }

    #[test]
    fn audit_events_name_the_trigger_and_the_mail_sent() {
        let triggers = vec![trigger(
            9,
            1,
            json!({"all": [{"field": "comment_is_public", "operator": "is", "value": "true"}]}),
            json!([{"field": "priority", "value": "high"},
                   {"field": "group_id", "value": "21"},
                   {"field": "notification_user", "value": ["requester_id", "Re: {{ticket.title}}", "{{ticket.latest_comment.value}}"]},
                   {"field": "notification_user", "value": ["current_user", "nobody", "no address"]}]),
        )];
        let before = ticket();
        let comment = AddedComment {
            id: Some(1),
            author_id: 7,
            body: "We are on it.".into(),
            public: true,
        };
        // The current user has no address: mail to them reaches no one.
        let me = agent(7);
        let mut people = directory();
        people.people.get_mut(&7).unwrap().email = None;
        let update = TicketUpdate {
            before: Some(&before),
            current_user: Some(&me),
            comment: Some(&comment),
            via: "api",
        };
        let run = run(&triggers, &update, before.clone(), 0);
        let rendered = render_effects(&run.effects, &run.ticket, Some(&me), &people);
        let events = run.audit_events(&rendered, 100);
        let via = json!({"channel": "rule", "source": {"to": {}, "from": {"id": 9, "title": "Trigger 9"}, "rel": "trigger"}});
        assert_eq!(
            events,
            [
                json!({"id": 100, "type": "Change", "field_name": "priority", "value": "high",
                       "previous_value": "normal", "via": via}),
                json!({"id": 101, "type": "Change", "field_name": "group_id", "value": "21",
                       "previous_value": "20", "via": via}),
                json!({"id": 102, "type": "Notification", "subject": "Re: {{ticket.title}}",
                       "body": "{{ticket.latest_comment.value}}", "recipients": [5], "via": via}),
            ]
        );
    }
}
