//! Automations: time-based rules, run by an hourly pass over the tickets that are not closed.
//! In a pass each active automation, in position order, fires on every ticket its conditions
//! hold for (at most [`MAX_TICKETS_PER_AUTOMATION`] a pass; the rest wait for the next one), and
//! later automations see what earlier ones changed.
//!
//! Zendesk's rule that an automation must nullify itself is checked at save (`nullify`).

use serde_json::Value;

use super::actions::apply;
use super::conditions::Facts;
use super::effects::Effect;
use super::rule::{Rule, running_order};
use super::ticket_update::TicketTimes;
use super::triggers::Firing;

/// Tickets one automation may change in one pass.
pub const MAX_TICKETS_PER_AUTOMATION: usize = 1_000;
/// Active automations an account may have.
pub const MAX_ACTIVE_AUTOMATIONS: usize = 500;

/// A ticket an automation changed in a pass.
#[derive(Debug, Clone, PartialEq)]
pub struct AutomatedUpdate {
    /// The ticket before the pass.
    pub before: Value,
    /// The ticket after every automation that fired on it.
    pub after: Value,
    /// Its moments after the pass.
    pub times: TicketTimes,
    pub fired: Vec<Firing>,
    pub effects: Vec<Effect>,
}

/// One hourly pass at `now` over `tickets` (each with its moments). Returns the tickets some
/// automation fired on, in the order given. Each is a write by the system (`via` rule): the
/// caller saves it, records the audit, and runs the triggers on it.
pub fn run_pass(
    automations: &[Rule],
    tickets: Vec<(Value, TicketTimes)>,
    now: i64,
) -> Vec<AutomatedUpdate> {
    let mut states: Vec<AutomatedUpdate> = tickets
        .into_iter()
        .map(|(ticket, times)| AutomatedUpdate {
            before: ticket.clone(),
            after: ticket,
            times,
            fired: Vec::new(),
            effects: Vec::new(),
        })
        .collect();
    for rule in running_order(automations) {
        let mut count = 0;
        for state in states.iter_mut() {
            if count == MAX_TICKETS_PER_AUTOMATION {
                break;
            }
            if state.after["status"] == "closed" {
                continue;
            }
            let facts = Facts {
                ticket: &state.after,
                update: None,
                times: Some(&state.times),
                now,
            };
            if !rule.definition.conditions.hold(&facts) {
                continue;
            }
            count += 1;
            let previous = state.after.clone();
            let changes = apply(&rule.definition.actions, &mut state.after, None);
            state.times.record(Some(&previous), &state.after, None, now);
            let reference = rule.reference();
            state.effects.extend(
                rule.definition
                    .actions
                    .iter()
                    .filter(|a| a.is_notification())
                    .map(|action| Effect {
                        rule: reference.clone(),
                        action: action.clone(),
                    }),
            );
            state.fired.push(Firing {
                rule: reference,
                changes,
            });
        }
    }
    states.retain(|s| !s.fired.is_empty());
    states
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::fixtures::vocabulary;
    use crate::business_rules::rule::{RuleDefinition, RuleError};
    use crate::business_rules::vocabulary::RuleKind;
    use serde_json::json;

    fn parse(conditions: Value, actions: Value) -> Result<RuleDefinition, RuleError> {
        let input = json!({"title": "a", "conditions": conditions, "actions": actions});
        RuleDefinition::parse_new(
            RuleKind::Automation,
            input.as_object().unwrap(),
            &vocabulary(),
        )
    }

    fn automation(id: i64, conditions: Value, actions: Value) -> Rule {
        Rule {
            id,
            definition: parse(conditions, actions).unwrap(),
        }
    }

    #[test]
    fn an_automation_must_nullify_itself() {
        let solved = json!({"all": [{"field": "status", "operator": "is", "value": "solved"},
                                    {"field": "hours_since_solved", "operator": "greater_than", "value": "96"}]});
        assert!(
            parse(
                solved.clone(),
                json!([{"field": "status", "value": "closed"}])
            )
            .is_ok()
        );
        let refused = parse(
            solved.clone(),
            json!([{"field": "priority", "value": "low"}]),
        )
        .unwrap_err();
        assert_eq!(refused.field, "conditions");
        assert!(
            refused.description.contains("must nullify itself"),
            "{}",
            refused.description
        );
        // Zendesk's own example: raising the priority cancels `priority less_than high`.
        assert!(
            parse(
                json!({"all": [{"field": "status", "operator": "is", "value": "open"},
                               {"field": "priority", "operator": "less_than", "value": "high"}], "any": []}),
                json!([{"field": "priority", "value": "high"}])
            )
            .is_ok()
        );
        // Setting the same status again cancels nothing.
        assert!(parse(solved, json!([{"field": "status", "value": "solved"}])).is_err());
        // True only once.
        assert!(
            parse(
                json!({"all": [{"field": "hours_since_created", "operator": "is", "value": "24"}]}),
                json!([{"field": "notification_user", "value": ["requester_id", "s", "b"]}])
            )
            .is_ok()
        );
        // A tag it adds and then looks for the absence of.
        assert!(
            parse(
                json!({"all": [{"field": "current_tags", "operator": "not_includes", "value": "reminded"},
                               {"field": "hours_since_update", "operator": "greater_than", "value": "48"}]}),
                json!([{"field": "current_tags", "value": "reminded"}])
            )
            .is_ok()
        );
        // Removing only one of the tags it looks for leaves the other.
        assert!(
            parse(
                json!({"all": [{"field": "current_tags", "operator": "includes", "value": "a b"}]}),
                json!([{"field": "remove_tags", "value": "a"}])
            )
            .is_err()
        );
        assert!(
            parse(
                json!({"all": [{"field": "current_tags", "operator": "includes", "value": "a b"}]}),
                json!([{"field": "remove_tags", "value": "a b"}])
            )
            .is_ok()
        );
        // An `any` condition does not count: the others may keep the automation true.
        assert!(
            parse(
                json!({"any": [{"field": "status", "operator": "is", "value": "solved"}]}),
                json!([{"field": "status", "value": "closed"}])
            )
            .is_err()
        );
    }

    fn solved_ticket(id: i64, solved_at: i64) -> (Value, TicketTimes) {
        (
            json!({"id": id, "status": "solved", "tags": [], "requester_id": 5}),
            TicketTimes {
                created: Some(0),
                solved: Some(solved_at),
                updated: Some(solved_at),
                ..TicketTimes::default()
            },
        )
    }

    #[test]
    fn a_pass_closes_tickets_solved_long_enough_ago() {
        let close = automation(
            1,
            json!({"all": [{"field": "status", "operator": "is", "value": "solved"},
                           {"field": "hours_since_solved", "operator": "greater_than", "value": "96"}]}),
            json!([{"field": "status", "value": "closed"}]),
        );
        let now = 100 * 3600;
        let tickets = vec![
            solved_ticket(1, 0),
            solved_ticket(2, now - 10 * 3600),
            (
                json!({"id": 3, "status": "closed", "tags": []}),
                TicketTimes::default(),
            ),
        ];
        let updates = run_pass(&[close], tickets, now);
        assert_eq!(updates.len(), 1);
        assert_eq!(updates[0].before["id"], 1);
        assert_eq!(updates[0].after["status"], "closed");
        assert_eq!(updates[0].times.closed, Some(now));
        assert_eq!(updates[0].fired[0].changes[0].field_name, "status");
    }

    #[test]
    fn later_automations_see_earlier_changes_and_each_is_capped() {
        let mut tag = automation(
            1,
            json!({"all": [{"field": "status", "operator": "is", "value": "solved"},
                           {"field": "current_tags", "operator": "not_includes", "value": "surveyed"}]}),
            json!([{"field": "current_tags", "value": "surveyed"}]),
        );
        let mut close = automation(
            2,
            json!({"all": [{"field": "current_tags", "operator": "includes", "value": "surveyed"},
                           {"field": "status", "operator": "is", "value": "solved"}]}),
            json!([{"field": "status", "value": "closed"}]),
        );
        tag.definition.position = Some(1);
        close.definition.position = Some(2);
        let tickets: Vec<_> = (1..=1_001).map(|id| solved_ticket(id, 0)).collect();
        let updates = run_pass(&[tag, close], tickets, 3600);
        // The first automation reaches 1,000 tickets; the second closes those it tagged.
        assert_eq!(updates.len(), 1_000);
        assert!(
            updates
                .iter()
                .all(|u| u.after["status"] == "closed" && u.fired.len() == 2)
        );
        assert!(updates.iter().all(|u| u.before["id"] != 1_001));
    }
}
