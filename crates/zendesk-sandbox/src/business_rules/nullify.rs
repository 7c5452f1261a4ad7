//! Zendesk's rule, checked when an automation is saved: it must nullify itself, or it would
//! fire on the same tickets every hour. It needs an `all` condition true only once
//! (`hours_since_created is 24`) or an action that makes one of its `all` conditions false
//! (condition status is solved, action status closed).

use serde_json::json;

use super::actions::{Action, apply};
use super::conditions::{Condition, Conditions, Facts, Subject};
use super::refusal::RuleError;
use super::vocabulary::{Operator, Reads};

/// Refuses an automation that does not nullify itself, with Zendesk's 422.
pub fn check_nullifies(conditions: &Conditions, actions: &[Action]) -> Result<(), RuleError> {
    let conditions = &conditions.all;
    let once = conditions.iter().any(|c| {
        c.operator == Operator::Is
            && matches!(&c.subject, Subject::Field(field) if matches!(field.reads, Reads::Hours(_)))
    });
    if once || conditions.iter().any(|c| cancels(actions, c)) {
        return Ok(());
    }
    Err(RuleError::conditions(
        "an automation must nullify itself, or it would fire on the same tickets every hour: \
         add an `all` condition true only once (such as hours_since_created is 24) or an action \
         that makes one of its `all` conditions false (such as condition status is solved with \
         action status closed, or condition current_tags not_includes done with action \
         current_tags done)",
    ))
}

/// True when `actions` make `condition` false on every ticket it held for.
fn cancels(actions: &[Action], condition: &Condition) -> bool {
    let touching: Vec<Action> = actions
        .iter()
        .filter(|a| touches(a, condition))
        .cloned()
        .collect();
    if touching.is_empty() {
        return false;
    }
    // A ticket the condition holds for, as far as the actions' field goes.
    let mut witness = match condition.operator {
        Operator::Includes => json!({"tags": condition.value.split(' ').collect::<Vec<_>>()}),
        _ => json!({"tags": []}),
    };
    apply(&touching, &mut witness, None);
    let facts = Facts {
        ticket: &witness,
        update: None,
        times: None,
        now: 0,
    };
    !condition.holds(&facts)
}

/// Whether an action sets the field a condition reads.
fn touches(action: &Action, condition: &Condition) -> bool {
    match (&condition.subject, action) {
        (Subject::Custom { id, .. }, Action::CustomField { id: set, .. }) => id == set,
        (Subject::Field(field), action) => match (field.reads, action) {
            (Reads::Ticket(name), Action::Field { field, .. }) => name == *field,
            (Reads::Ticket("assignee_id"), Action::Assign(_)) => true,
            (Reads::Ticket("group_id"), Action::Group(_)) => true,
            (Reads::Tags, Action::SetTags(_) | Action::AddTags(_) | Action::RemoveTags(_)) => true,
            _ => false,
        },
        _ => false,
    }
}
