//! A rule's conditions: `{"all": [...], "any": [...]}` of `{"field", "operator", "value"}`,
//! parsed against the vocabulary (refused with the list of what is supported) and evaluated
//! against a ticket, the write that changed it, and the clock. A rule's conditions hold when
//! every `all` condition holds and, if there are `any` conditions, at least one of them does.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::refusal::RuleError;
use super::ticket_update::{TicketTimes, TicketUpdate, custom_field, tags, text};
use super::vocabulary::{
    CUSTOM_FIELD_PREFIX, Choices, ConditionField, CustomFieldKind, Mode, Operator,
    PRIORITY_CHOICES, Reads, RuleKind, STATUS_CHOICES, VIAS, Values, Vocabulary, condition_field,
    condition_names, operators_for, via_of_channel,
};

/// What a condition reads: one of the sandbox's condition fields, or a custom ticket field.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Field(&'static ConditionField),
    Custom { id: i64, kind: CustomFieldKind },
}

/// One checked condition. `value` is normalised text (`""` for the operators taking none).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub subject: Subject,
    pub operator: Operator,
    pub value: String,
}

/// Everything a condition may look at.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The ticket as it is now (after the write, and after the rules that already fired).
    pub ticket: &'a Value,
    /// The write (triggers); `None` in an automation's pass.
    pub update: Option<&'a TicketUpdate<'a>>,
    /// The ticket's moments (automations).
    pub times: Option<&'a TicketTimes>,
    /// The sandbox's time, Unix seconds.
    pub now: i64,
}

/// A rule's `all` and `any` conditions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conditions {
    pub all: Vec<Condition>,
    pub any: Vec<Condition>,
}

impl Conditions {
    /// Parses `{"all": [...], "any": [...]}` (either may be missing or null).
    pub fn parse(
        kind: RuleKind,
        value: &Value,
        vocabulary: &Vocabulary,
        mode: Mode,
    ) -> Result<Conditions, RuleError> {
        let Some(object) = value.as_object() else {
            return Err(RuleError::conditions(format!(
                "must be an object such as {{\"all\": [{{\"field\": \"status\", \"operator\": \"is\", \"value\": \"open\"}}], \"any\": []}}, got {value}"
            )));
        };
        if let Some(other) = object.keys().find(|k| *k != "all" && *k != "any") {
            return Err(RuleError::conditions(format!(
                "`{other}` is not a list of conditions; use `all` (every one must hold) and `any` (at least one must)"
            )));
        }
        let list = |key: &str| -> Result<Vec<Condition>, RuleError> {
            match object.get(key) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| Condition::parse(kind, item, vocabulary, mode))
                    .collect(),
                Some(other) => Err(RuleError::conditions(format!(
                    "`{key}` must be an array of conditions, got {other}"
                ))),
            }
        };
        let conditions = Conditions {
            all: list("all")?,
            any: list("any")?,
        };
        if conditions.all.is_empty() && conditions.any.is_empty() {
            return Err(RuleError::conditions(format!(
                "a {} needs at least one condition, such as {{\"field\": \"status\", \"operator\": \"is\", \"value\": \"open\"}}",
                kind.noun()
            )));
        }
        Ok(conditions)
    }

    /// Every `all` condition holds, and one of the `any` conditions if there are some.
    pub fn hold(&self, facts: &Facts) -> bool {
        self.all.iter().all(|c| c.holds(facts))
            && (self.any.is_empty() || self.any.iter().any(|c| c.holds(facts)))
    }

    /// `{"all": [...], "any": [...]}` as stored and answered.
    pub fn to_json(&self) -> Value {
        json!({
            "all": self.all.iter().map(Condition::to_json).collect::<Vec<_>>(),
            "any": self.any.iter().map(Condition::to_json).collect::<Vec<_>>(),
        })
    }
}

/// A condition or action value as text: strings, numbers and booleans as they read, arrays of
/// them joined by spaces (tags), null as empty. `None` for objects and nested arrays.
pub(crate) fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Array(_) | Value::Object(_) => None,
                other => Some(text(other)),
            })
            .collect::<Option<Vec<_>>>()
            .map(|words| words.join(" ")),
        Value::Object(_) => None,
        other => Some(text(other)),
    }
}

/// Tags or words of a value, lower-cased, as Zendesk stores tags.
pub(crate) fn word_list(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

/// `a, b, c` for messages (`""` shown as `""`).
pub(crate) fn listing<'a>(values: impl IntoIterator<Item = &'a str>) -> String {
    values
        .into_iter()
        .map(|v| if v.is_empty() { "\"\"" } else { v })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The canonical spelling of `given` among `choices` (case-insensitive).
pub(crate) fn choose(choices: Choices, given: &str) -> Option<&'static str> {
    choices
        .iter()
        .find(|(value, _)| value.eq_ignore_ascii_case(given.trim()))
        .map(|(value, _)| *value)
}

/// A record id given as a number or digits.
pub(crate) fn id_of(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

impl Condition {
    /// Parses one `{"field", "operator", "value"}`.
    pub fn parse(
        kind: RuleKind,
        item: &Value,
        vocabulary: &Vocabulary,
        mode: Mode,
    ) -> Result<Condition, RuleError> {
        let shape = || {
            RuleError::conditions(format!(
                "every condition is {{\"field\": ..., \"operator\": ..., \"value\": ...}}, got {item}"
            ))
        };
        let field = item
            .get("field")
            .and_then(Value::as_str)
            .ok_or_else(shape)?;
        let operator = item
            .get("operator")
            .and_then(Value::as_str)
            .ok_or_else(shape)?;
        let raw = item.get("value").cloned().unwrap_or(Value::Null);

        let (subject, operators) = subject_of(kind, field, vocabulary, mode)?;
        let op = Operator::from_wire(operator)
            .filter(|op| operators.contains(op))
            .ok_or_else(|| {
                RuleError::conditions(format!(
                    "`{field}` takes the operators {} in {}; got `{operator}`",
                    listing(operators.iter().map(|op| op.as_str())),
                    kind.plural()
                ))
            })?;
        let value = if op.terminal() {
            String::new()
        } else {
            let given = value_text(&raw).ok_or_else(|| {
                RuleError::conditions(format!(
                    "the value of `{field}` must be text, a number or a list of words, got {raw}"
                ))
            })?;
            check_value(kind, &subject, field, &given, vocabulary, mode)?
        };
        Ok(Condition {
            subject,
            operator: op,
            value,
        })
    }

    /// The field name as written (`status`, `custom_fields_360001`).
    pub fn field_name(&self) -> String {
        match &self.subject {
            Subject::Field(field) => field.field.to_string(),
            Subject::Custom { id, .. } => format!("{CUSTOM_FIELD_PREFIX}{id}"),
        }
    }

    /// `{"field", "operator", "value"}` as stored and answered (`value` null when the operator
    /// takes none).
    pub fn to_json(&self) -> Value {
        let value = if self.operator.terminal() {
            Value::Null
        } else {
            json!(self.value)
        };
        json!({"field": self.field_name(), "operator": self.operator.as_str(), "value": value})
    }

    /// Whether the condition holds.
    pub fn holds(&self, facts: &Facts) -> bool {
        let field = match &self.subject {
            Subject::Custom { id, kind } => {
                let id = *id;
                return self.compare(facts, |ticket| custom_text(ticket, id, kind));
            }
            Subject::Field(field) => field,
        };
        let update = facts.update;
        match field.reads {
            Reads::Ticket(name) => self.compare(facts, |ticket| text(&ticket[name])),
            Reads::Tags => self.words(&tags(facts.ticket)),
            Reads::TicketVia => {
                self.equality(via_text(facts.ticket["via"]["channel"].as_str()).as_deref())
            }
            Reads::UpdateVia => self.equality(via_text(update.map(|u| u.via)).as_deref()),
            Reads::UpdateType => update.is_some_and(|u| u.update_type().as_str() == self.value),
            Reads::CommentVisibility => {
                update
                    .and_then(|u| u.comment)
                    .is_some_and(|comment| match self.value.as_str() {
                        "false" => !comment.public,
                        "not_relevant" => true,
                        // "true" and "requester_can_see_comment": a public comment.
                        _ => comment.public,
                    })
            }
            Reads::CommentWords => match update.and_then(|u| u.comment) {
                Some(comment) => self.text_words(&comment.body),
                // No comment: it includes no word and no phrase.
                None => matches!(self.operator, Operator::NotIncludes | Operator::IsNot),
            },
            Reads::SubjectWords => self.text_words(facts.ticket["subject"].as_str().unwrap_or("")),
            Reads::Role => {
                let role = update
                    .and_then(|u| u.current_user)
                    .map(|user| if user.is_staff() { "agent" } else { "end_user" });
                self.equality(role)
            }
            Reads::Hours(since) => {
                let (Some(hours), Ok(wanted)) = (
                    facts.times.and_then(|t| t.hours_since(since, facts.now)),
                    self.value.parse::<i64>(),
                ) else {
                    return false;
                };
                match self.operator {
                    Operator::Is => hours == wanted,
                    Operator::LessThan => hours < wanted,
                    Operator::GreaterThan => hours > wanted,
                    _ => false,
                }
            }
        }
    }

    /// `is` / `is_not` against a value read from the write (role, channel).
    fn equality(&self, current: Option<&str>) -> bool {
        let equal = current == Some(self.value.as_str());
        match self.operator {
            Operator::Is => equal,
            Operator::IsNot => !equal,
            _ => false,
        }
    }

    /// `includes` / `not_includes` of tags (or multiselect options) in `have`, compared whole.
    fn words(&self, have: &[String]) -> bool {
        let wanted = word_list(&self.value);
        let any = wanted.iter().any(|w| have.iter().any(|h| h == w));
        match self.operator {
            Operator::Includes => any,
            Operator::NotIncludes => !any,
            _ => false,
        }
    }

    /// Words and phrases in free text (a comment, the subject), case-insensitively: `includes`
    /// holds when any of the words appears as a whole word, `is` when the phrase appears.
    fn text_words(&self, haystack: &str) -> bool {
        let lower = haystack.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric() && c != '_' && c != '-' && c != '\'')
            .filter(|w| !w.is_empty())
            .collect();
        let any_word = word_list(&self.value)
            .iter()
            .any(|w| words.contains(&w.as_str()));
        let phrase = lower.contains(&self.value.to_lowercase());
        match self.operator {
            Operator::Includes => any_word,
            Operator::NotIncludes => !any_word,
            Operator::Is => phrase,
            Operator::IsNot => !phrase,
            _ => false,
        }
    }

    /// The operators that compare a ticket field's value, now or across the write.
    fn compare(&self, facts: &Facts, read: impl Fn(&Value) -> String) -> bool {
        let current = read(facts.ticket);
        let target = self.target(facts);
        let target = target.as_deref();
        let equal = |value: &str| target.is_some_and(|t| self.same(value, t));
        if self.operator.compares_change() {
            let previous = facts
                .update
                .and_then(|u| u.before)
                .map(&read)
                .unwrap_or_default();
            let changed = !self.same(&previous, &current);
            return match self.operator {
                Operator::Changed => changed,
                Operator::NotChanged => !changed,
                Operator::Value => changed && equal(&current),
                Operator::ValuePrevious => changed && equal(&previous),
                Operator::NotValue => !(changed && equal(&current)),
                _ => !(changed && equal(&previous)),
            };
        }
        match self.operator {
            Operator::Is => equal(&current),
            Operator::IsNot => !equal(&current),
            Operator::LessThan => {
                target.and_then(|t| self.order(&current, t)) == Some(Ordering::Less)
            }
            Operator::GreaterThan => {
                target.and_then(|t| self.order(&current, t)) == Some(Ordering::Greater)
            }
            Operator::Present => !current.is_empty(),
            Operator::NotPresent => current.is_empty(),
            Operator::Includes | Operator::NotIncludes => self.words(&word_list(&current)),
            _ => false,
        }
    }

    /// The value compared against, with `current_user`, `requester_id` and `assignee_id`
    /// resolved for the ticket; `None` when it names no one (no current user).
    fn target(&self, facts: &Facts) -> Option<String> {
        let resolves = matches!(
            &self.subject,
            Subject::Field(ConditionField {
                values: Values::User(_),
                ..
            })
        );
        if !resolves {
            return Some(self.value.clone());
        }
        match self.value.as_str() {
            "current_user" => facts
                .update
                .and_then(|u| u.current_user)
                .map(|user| user.id.to_string()),
            "requester_id" | "assignee_id" => {
                Some(text(&facts.ticket[self.value.as_str()])).filter(|id| !id.is_empty())
            }
            _ => Some(self.value.clone()),
        }
    }

    /// Equality as the field compares: numbers by value, the rest as text.
    fn same(&self, a: &str, b: &str) -> bool {
        if let Subject::Custom {
            kind: CustomFieldKind::Number,
            ..
        } = &self.subject
            && let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>())
        {
            return x == y;
        }
        a == b
    }

    /// Order for `less_than` / `greater_than`: statuses and priorities in Zendesk's order,
    /// numbers by value, dates by date. `None` when either side has no place in the order.
    fn order(&self, a: &str, b: &str) -> Option<Ordering> {
        let rank = |choices: Choices, v: &str| {
            choices
                .iter()
                .position(|(value, _)| *value == v && !v.is_empty())
        };
        match &self.subject {
            Subject::Field(field) => match field.reads {
                Reads::Ticket("status") => {
                    Some(rank(STATUS_CHOICES, a)?.cmp(&rank(STATUS_CHOICES, b)?))
                }
                Reads::Ticket("priority") => {
                    Some(rank(PRIORITY_CHOICES, a)?.cmp(&rank(PRIORITY_CHOICES, b)?))
                }
                _ => None,
            },
            Subject::Custom { kind, .. } => match kind {
                CustomFieldKind::Number => {
                    a.parse::<f64>().ok()?.partial_cmp(&b.parse::<f64>().ok()?)
                }
                CustomFieldKind::Date if !a.is_empty() && !b.is_empty() => Some(a.cmp(b)),
                _ => None,
            },
        }
    }
}

/// A custom field's value as conditions compare it: options of a multiselect joined by spaces,
/// an unchecked checkbox as `false`.
fn custom_text(ticket: &Value, id: i64, kind: &CustomFieldKind) -> String {
    let value = custom_field(ticket, id);
    match kind {
        CustomFieldKind::Checkbox => {
            if value.as_bool() == Some(true) || value.as_str() == Some("true") {
                "true".into()
            } else {
                "false".into()
            }
        }
        _ => value_text(&value).unwrap_or_default(),
    }
}

/// The `via_id` number of a channel, as text.
fn via_text(channel: Option<&str>) -> Option<String> {
    channel
        .and_then(via_of_channel)
        .map(|via| via.id_text.to_string())
}

/// The subject a field name names, and the operators it takes in a rule of `kind`.
fn subject_of(
    kind: RuleKind,
    field: &str,
    vocabulary: &Vocabulary,
    mode: Mode,
) -> Result<(Subject, Vec<Operator>), RuleError> {
    if let Some(id) = field.strip_prefix(CUSTOM_FIELD_PREFIX) {
        let id = id_of(id).ok_or_else(|| {
            RuleError::conditions(format!(
                "`{field}` does not name a ticket field: write custom_fields_<id>, such as custom_fields_360001234"
            ))
        })?;
        let kind_of_field = match (vocabulary.custom_field(id), mode) {
            (Some(custom), _) => custom.kind.clone(),
            (None, Mode::Load) => CustomFieldKind::Text,
            (None, Mode::Save) => {
                return Err(RuleError::conditions(format!(
                    "no custom ticket field has id {id} (`{field}`); list them with GET /api/v2/ticket_fields"
                )));
            }
        };
        let operators = operators_for(&kind_of_field.operators(), kind);
        return Ok((
            Subject::Custom {
                id,
                kind: kind_of_field,
            },
            operators,
        ));
    }
    match condition_field(field) {
        Some(known) if known.applies.to(kind) => {
            Ok((Subject::Field(known), known.operators_for(kind)))
        }
        Some(_) => Err(RuleError::conditions(format!(
            "`{field}` is not a condition of {}; use one of {}, or custom_fields_<id>",
            kind.plural(),
            condition_names(kind).join(", ")
        ))),
        None => Err(RuleError::conditions(format!(
            "`{field}` is not a condition the sandbox evaluates; use one of {}, or custom_fields_<id>",
            condition_names(kind).join(", ")
        ))),
    }
}

/// Checks and normalises a condition's value for its subject.
fn check_value(
    kind: RuleKind,
    subject: &Subject,
    field: &str,
    given: &str,
    vocabulary: &Vocabulary,
    mode: Mode,
) -> Result<String, RuleError> {
    let invalid = |expected: String| {
        RuleError::conditions(format!("{field} `{given}` is not valid; use {expected}"))
    };
    let given_trimmed = given.trim();
    let values = match subject {
        Subject::Field(field) => field.values,
        Subject::Custom { kind: custom, .. } => {
            return match custom {
                CustomFieldKind::Text => Ok(given.to_string()),
                CustomFieldKind::Checkbox => match given_trimmed {
                    "true" | "false" => Ok(given_trimmed.to_string()),
                    _ => Err(invalid("true or false".into())),
                },
                CustomFieldKind::Number => given_trimmed
                    .parse::<f64>()
                    .map(|_| given_trimmed.to_string())
                    .map_err(|_| invalid("a number".into())),
                CustomFieldKind::Date => {
                    if is_date(given_trimmed) {
                        Ok(given_trimmed.to_string())
                    } else {
                        Err(invalid("a date like 2024-05-31".into()))
                    }
                }
                CustomFieldKind::Dropdown(options) => {
                    let known = given_trimmed.is_empty()
                        || options.iter().any(|(value, _)| value == given_trimmed);
                    if known || mode == Mode::Load {
                        Ok(given_trimmed.to_string())
                    } else {
                        Err(invalid(format!(
                            "one of {}",
                            listing(options.iter().map(|(v, _)| v.as_str()))
                        )))
                    }
                }
                CustomFieldKind::Multiselect(options) => {
                    let words = word_list(given);
                    let unknown = words
                        .iter()
                        .find(|w| !options.iter().any(|(value, _)| value == *w));
                    match unknown {
                        Some(_) if mode == Mode::Save => Err(invalid(format!(
                            "options of {}",
                            listing(options.iter().map(|(v, _)| v.as_str()))
                        ))),
                        _ => Ok(words.join(" ")),
                    }
                }
            };
        }
    };
    match values {
        Values::Choice(choices) => choose(choices, given).map(str::to_string).ok_or_else(|| {
            invalid(format!(
                "one of {}",
                listing(choices.iter().map(|(v, _)| *v))
            ))
        }),
        Values::User(words) | Values::Group(words) | Values::Organization(words) => {
            if let Some(word) = choose(words, given) {
                if word == "current_user" && kind == RuleKind::Automation {
                    return Err(RuleError::conditions(format!(
                        "{field} `current_user`: automations run with no current user; name a user by id"
                    )));
                }
                return Ok(word.to_string());
            }
            let what = match values {
                Values::User(_) => "a user id",
                Values::Group(_) => "a group id",
                _ => "an organization id",
            };
            let id = id_of(given).ok_or_else(|| {
                invalid(format!(
                    "{what} or one of {}",
                    listing(words.iter().map(|(v, _)| *v))
                ))
            })?;
            if mode == Mode::Save {
                let missing = match values {
                    Values::Group(_) if !vocabulary.has_group(id) => Some("group"),
                    Values::User(_) if field == "assignee_id" && !vocabulary.has_agent(id) => {
                        Some("agent")
                    }
                    _ => None,
                };
                if let Some(missing) = missing {
                    return Err(RuleError::conditions(format!(
                        "{field}: no {missing} has id {id}"
                    )));
                }
            }
            Ok(id.to_string())
        }
        Values::Tags => {
            let tags = word_list(given);
            if tags.is_empty() {
                Err(invalid("one or more tags separated by spaces".into()))
            } else {
                Ok(tags.join(" "))
            }
        }
        Values::Words => {
            if given_trimmed.is_empty() {
                Err(invalid("one or more words".into()))
            } else {
                Ok(given_trimmed.to_string())
            }
        }
        Values::Hours => given_trimmed
            .parse::<u32>()
            .map(|hours| hours.to_string())
            .map_err(|_| invalid("a whole number of hours, such as 96".into())),
        Values::Via => VIAS
            .iter()
            .find(|via| via.id_text == given_trimmed)
            .map(|via| via.id_text.to_string())
            .ok_or_else(|| {
                invalid(format!(
                    "a channel number: {}",
                    VIAS.iter()
                        .map(|via| format!("{} ({})", via.id, via.title))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }),
    }
}

/// `YYYY-MM-DD`.
fn is_date(text: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::fixtures::{agent, end_user, vocabulary};
    use crate::business_rules::ticket_update::{AddedComment, Since};
    use serde_json::json;

    fn condition(kind: RuleKind, item: Value) -> Result<Condition, RuleError> {
        Condition::parse(kind, &item, &vocabulary(), Mode::Save)
    }

    fn trigger(field: &str, operator: &str, value: Value) -> Condition {
        condition(
            RuleKind::Trigger,
            json!({"field": field, "operator": operator, "value": value}),
        )
        .unwrap()
    }

    fn error_text(result: Result<Condition, RuleError>) -> String {
        result.unwrap_err().description
    }

    #[test]
    fn unknown_fields_and_operators_are_refused_with_what_is_supported() {
        let unknown = error_text(condition(
            RuleKind::Trigger,
            json!({"field": "satisfaction_score", "operator": "is", "value": "good"}),
        ));
        assert!(
            unknown.contains("`satisfaction_score` is not a condition"),
            "{unknown}"
        );
        assert!(unknown.contains("update_type") && unknown.contains("custom_fields_<id>"));

        let operator = error_text(condition(
            RuleKind::Trigger,
            json!({"field": "current_tags", "operator": "is", "value": "vip"}),
        ));
        assert!(
            operator.contains("takes the operators includes, not_includes"),
            "{operator}"
        );

        let for_automations = error_text(condition(
            RuleKind::Automation,
            json!({"field": "status", "operator": "changed"}),
        ));
        assert!(for_automations.contains("less_than"), "{for_automations}");
        assert!(!for_automations.contains("changed,"));

        let trigger_only = error_text(condition(
            RuleKind::Automation,
            json!({"field": "comment_is_public", "operator": "is", "value": "true"}),
        ));
        assert!(trigger_only.contains("is not a condition of automations"));
        assert!(trigger_only.contains("hours_since_solved"));
    }

    #[test]
    fn values_are_checked_and_normalised() {
        assert_eq!(trigger("status", "is", json!("OPEN")).value, "open");
        assert_eq!(
            trigger("update_type", "is", json!("create")).value,
            "Create"
        );
        assert_eq!(
            trigger("current_tags", "includes", json!(["VIP", "b"])).value,
            "vip b"
        );
        assert_eq!(trigger("assignee_id", "is", json!(7)).value, "7");
        assert_eq!(trigger("status", "changed", json!("ignored")).value, "");
        let bad = error_text(condition(
            RuleKind::Trigger,
            json!({"field": "status", "operator": "is", "value": "done"}),
        ));
        assert!(
            bad.contains("use one of new, open, pending, hold, solved, closed"),
            "{bad}"
        );
        let no_agent = error_text(condition(
            RuleKind::Trigger,
            json!({"field": "assignee_id", "operator": "is", "value": "999"}),
        ));
        assert!(no_agent.contains("no agent has id 999"), "{no_agent}");
        let no_field = error_text(condition(
            RuleKind::Trigger,
            json!({"field": "custom_fields_5", "operator": "is", "value": "x"}),
        ));
        assert!(
            no_field.contains("no custom ticket field has id 5"),
            "{no_field}"
        );
        // Loading a stored rule takes names as they are.
        assert!(
            Condition::parse(
                RuleKind::Trigger,
                &json!({"field": "custom_fields_5", "operator": "is", "value": "x"}),
                &vocabulary(),
                Mode::Load
            )
            .is_ok()
        );
        let automation_user = error_text(condition(
            RuleKind::Automation,
            json!({"field": "assignee_id", "operator": "is", "value": "current_user"}),
        ));
        assert!(automation_user.contains("no current user"));
        let hours = error_text(condition(
            RuleKind::Automation,
            json!({"field": "hours_since_solved", "operator": "greater_than", "value": "soon"}),
        ));
        assert!(hours.contains("whole number of hours"));
    }

    #[test]
    fn empty_conditions_and_bad_shapes_are_refused() {
        let empty = Conditions::parse(
            RuleKind::Trigger,
            &json!({"all": [], "any": null}),
            &vocabulary(),
            Mode::Save,
        );
        assert!(
            empty
                .unwrap_err()
                .description
                .contains("at least one condition")
        );
        let shape = Conditions::parse(
            RuleKind::Trigger,
            &json!({"every": []}),
            &vocabulary(),
            Mode::Save,
        );
        assert!(shape.unwrap_err().description.contains("use `all`"));
        let round = Conditions::parse(
            RuleKind::Trigger,
            &json!({"all": [{"field": "status", "operator": "changed"}]}),
            &vocabulary(),
            Mode::Save,
        )
        .unwrap();
        assert_eq!(
            round.to_json(),
            json!({"all": [{"field": "status", "operator": "changed", "value": null}], "any": []})
        );
    }

    fn facts<'a>(ticket: &'a Value, update: &'a TicketUpdate<'a>) -> Facts<'a> {
        Facts {
            ticket,
            update: Some(update),
            times: None,
            now: 0,
        }
    }

    #[test]
    fn change_operators_compare_before_and_after() {
        let before = json!({"status": "new", "priority": "normal", "assignee_id": null});
        let after = json!({"status": "open", "priority": "normal", "assignee_id": 7});
        let actor = agent(7);
        let update = TicketUpdate {
            before: Some(&before),
            current_user: Some(&actor),
            comment: None,
            via: "api",
        };
        let f = facts(&after, &update);
        assert!(trigger("status", "changed", json!(null)).holds(&f));
        assert!(trigger("status", "value", json!("open")).holds(&f));
        assert!(trigger("status", "value_previous", json!("new")).holds(&f));
        assert!(!trigger("status", "not_value", json!("open")).holds(&f));
        assert!(trigger("status", "not_value_previous", json!("pending")).holds(&f));
        assert!(trigger("priority", "not_changed", json!(null)).holds(&f));
        assert!(trigger("assignee_id", "changed", json!(null)).holds(&f));
        assert!(trigger("assignee_id", "is", json!("current_user")).holds(&f));
        assert!(!trigger("assignee_id", "is_not", json!("current_user")).holds(&f));
        // On a create everything set counts as changed from nothing.
        let create = TicketUpdate {
            before: None,
            ..update
        };
        assert!(trigger("assignee_id", "changed", json!(null)).holds(&facts(&after, &create)));
        assert!(trigger("update_type", "is", json!("Create")).holds(&facts(&after, &create)));
        assert!(!trigger("update_type", "is", json!("Create")).holds(&f));
    }

    #[test]
    fn ordering_tags_words_channels_and_roles() {
        let ticket = json!({"status": "pending", "priority": "high", "tags": ["vip", "billing"],
            "subject": "Printer on fire!", "via": {"channel": "email"}, "requester_id": 5});
        let comment = AddedComment {
            id: None,
            author_id: 5,
            body: "Please REFUND my order.".into(),
            public: false,
        };
        let customer = end_user(5);
        let update = TicketUpdate {
            before: Some(&ticket),
            current_user: Some(&customer),
            comment: Some(&comment),
            via: "web",
        };
        let f = facts(&ticket, &update);
        assert!(trigger("status", "less_than", json!("solved")).holds(&f));
        assert!(!trigger("status", "greater_than", json!("hold")).holds(&f));
        assert!(trigger("priority", "greater_than", json!("normal")).holds(&f));
        assert!(!trigger("priority", "less_than", json!("")).holds(&f));
        assert!(trigger("current_tags", "includes", json!("gold vip")).holds(&f));
        assert!(trigger("current_tags", "not_includes", json!("gold spam")).holds(&f));
        assert!(trigger("comment_includes_word", "includes", json!("refund cancel")).holds(&f));
        assert!(!trigger("comment_includes_word", "includes", json!("ref")).holds(&f));
        assert!(trigger("comment_includes_word", "is", json!("refund my")).holds(&f));
        assert!(trigger("subject_includes_word", "includes", json!("fire")).holds(&f));
        assert!(trigger("comment_is_public", "is", json!("false")).holds(&f));
        assert!(trigger("comment_is_public", "is", json!("not_relevant")).holds(&f));
        assert!(
            !trigger(
                "comment_is_public",
                "is",
                json!("requester_can_see_comment")
            )
            .holds(&f)
        );
        assert!(trigger("via_id", "is", json!(4)).holds(&f));
        assert!(trigger("current_via_id", "is", json!("0")).holds(&f));
        assert!(trigger("role", "is", json!("end_user")).holds(&f));
        assert!(trigger("requester_id", "is", json!("current_user")).holds(&f));
        let no_comment = TicketUpdate {
            comment: None,
            ..update
        };
        let g = facts(&ticket, &no_comment);
        assert!(!trigger("comment_is_public", "is", json!("not_relevant")).holds(&g));
        assert!(trigger("comment_includes_word", "not_includes", json!("refund")).holds(&g));
    }

    #[test]
    fn hours_compare_whole_hours_since_the_moment() {
        let ticket = json!({"status": "solved"});
        let times = TicketTimes {
            solved: Some(0),
            ..TicketTimes::default()
        };
        let at = |now: i64| Facts {
            ticket: &ticket,
            update: None,
            times: Some(&times),
            now,
        };
        let c = |op: &str| {
            condition(
                RuleKind::Automation,
                json!({"field": "hours_since_solved", "operator": op, "value": "96"}),
            )
            .unwrap()
        };
        assert!(c("is").holds(&at(96 * 3600 + 59)));
        assert!(!c("is").holds(&at(97 * 3600)));
        assert!(c("greater_than").holds(&at(97 * 3600)));
        assert!(!c("greater_than").holds(&at(96 * 3600)));
        assert!(c("less_than").holds(&at(95 * 3600)));
        // A moment that never came matches nothing.
        let never = condition(
            RuleKind::Automation,
            json!({"field": "hours_since_closed", "operator": "less_than", "value": "5"}),
        )
        .unwrap();
        assert!(!never.holds(&at(0)));
        let _ = Since::Closed;
    }

    #[test]
    fn custom_fields_compare_by_their_type() {
        let ticket = json!({"custom_fields": [
            {"id": 100, "value": "plan_gold"}, {"id": 101, "value": true},
            {"id": 102, "value": "12.5"}, {"id": 103, "value": null}
        ]});
        let update = TicketUpdate {
            before: None,
            current_user: None,
            comment: None,
            via: "api",
        };
        let f = facts(&ticket, &update);
        assert!(trigger("custom_fields_100", "is", json!("plan_gold")).holds(&f));
        assert!(trigger("custom_fields_100", "present", json!(null)).holds(&f));
        assert!(trigger("custom_fields_101", "is", json!("true")).holds(&f));
        assert!(trigger("custom_fields_102", "greater_than", json!(12)).holds(&f));
        assert!(trigger("custom_fields_102", "is", json!("12.50")).holds(&f));
        assert!(trigger("custom_fields_103", "not_present", json!(null)).holds(&f));
        let bad_option = condition(
            RuleKind::Trigger,
            json!({"field": "custom_fields_100", "operator": "is", "value": "plan_tin"}),
        );
        assert!(error_text(bad_option).contains("plan_gold"));
    }

    #[test]
    fn all_and_any_combine() {
        let parsed = Conditions::parse(
            RuleKind::Trigger,
            &json!({"all": [{"field": "status", "operator": "is", "value": "open"}],
                    "any": [{"field": "priority", "operator": "is", "value": "urgent"},
                            {"field": "current_tags", "operator": "includes", "value": "vip"}]}),
            &vocabulary(),
            Mode::Save,
        )
        .unwrap();
        let update = TicketUpdate {
            before: None,
            current_user: None,
            comment: None,
            via: "api",
        };
        let urgent = json!({"status": "open", "priority": "urgent", "tags": []});
        let vip = json!({"status": "open", "priority": "low", "tags": ["vip"]});
        let neither = json!({"status": "open", "priority": "low", "tags": []});
        let closed = json!({"status": "pending", "priority": "urgent", "tags": []});
        assert!(parsed.hold(&facts(&urgent, &update)));
        assert!(parsed.hold(&facts(&vip, &update)));
        assert!(!parsed.hold(&facts(&neither, &update)));
        assert!(!parsed.hold(&facts(&closed, &update)));
    }
}
