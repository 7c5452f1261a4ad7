//! A rule's actions: `[{"field", "value"}]`, parsed against the vocabulary and applied to a
//! ticket. Field actions change the ticket and are returned as [`Change`]s (the audit's `Change`
//! events); notification actions (`notification_user`, `notification_group`,
//! `notification_webhook`) change nothing and are returned as effects for the caller to render
//! and send (see `effects`).

use serde_json::{Value, json};

use super::conditions::{choose, id_of, listing, value_text, word_list};
use super::refusal::RuleError;
use super::ticket_update::{Person, tags, text};
use super::vocabulary::{
    ACTION_FIELDS, ActionValues, CUSTOM_FIELD_PREFIX, CustomFieldKind, Mode, RuleKind, Vocabulary,
    action_field,
};

/// Who `notification_user` mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    Requester,
    /// The requester and the ticket's email CCs.
    RequesterAndCcs,
    Assignee,
    CurrentUser,
    User(i64),
}

/// Which group `notification_group` mails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupRecipient {
    /// The ticket's group.
    TicketGroup,
    Group(i64),
}

/// Who an `assignee_id` action assigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Nobody,
    CurrentUser,
    Agent(i64),
}

/// One checked action.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `status`, `priority` or `type`; `None` clears it (priority and type only).
    Field {
        field: &'static str,
        value: Option<&'static str>,
    },
    Assign(Assignee),
    /// `group_id`; `None` clears it.
    Group(Option<i64>),
    SetTags(Vec<String>),
    AddTags(Vec<String>),
    RemoveTags(Vec<String>),
    /// `custom_fields_<id>`: the value as the ticket holds it, and the field's option tags (a
    /// dropdown or multiselect value is also a tag on the ticket).
    CustomField {
        id: i64,
        value: Value,
        option_tags: Vec<String>,
    },
    EmailUser {
        to: Recipient,
        subject: String,
        body: String,
    },
    EmailGroup {
        to: GroupRecipient,
        subject: String,
        body: String,
    },
    /// `[webhook_id, body]`: `json` when the webhook's request format is JSON, so placeholders
    /// are rendered as JSON string text.
    Webhook {
        webhook_id: String,
        body: String,
        json: bool,
    },
}

/// A field a rule changed, as the audit's `Change` event names it: `status`, `tags`, or a custom
/// field's id.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub field_name: String,
    pub previous_value: Value,
    pub value: Value,
}

/// The ticket fields actions may change, compared to list a rule's changes.
const CHANGED_FIELDS: &[&str] = &[
    "status",
    "priority",
    "type",
    "group_id",
    "assignee_id",
    "tags",
];

impl Action {
    /// Parses one `{"field", "value"}`.
    pub fn parse(
        kind: RuleKind,
        item: &Value,
        vocabulary: &Vocabulary,
        mode: Mode,
    ) -> Result<Action, RuleError> {
        let field = item.get("field").and_then(Value::as_str).ok_or_else(|| {
            RuleError::actions(format!(
                "every action is {{\"field\": ..., \"value\": ...}}, such as {{\"field\": \"status\", \"value\": \"solved\"}}; got {item}"
            ))
        })?;
        let raw = item.get("value").cloned().unwrap_or(Value::Null);
        if let Some(id) = field.strip_prefix(CUSTOM_FIELD_PREFIX) {
            return custom_field_action(field, id, &raw, vocabulary, mode);
        }
        let Some(known) = action_field(field) else {
            return Err(RuleError::actions(format!(
                "`{field}` is not an action the sandbox applies; use one of {}, or custom_fields_<id>",
                ACTION_FIELDS
                    .iter()
                    .map(|f| f.field)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let invalid = |expected: String| {
            RuleError::actions(format!("{field} {raw} is not valid; use {expected}"))
        };
        let current_user_refused = || {
            RuleError::actions(format!(
                "{field} `current_user`: automations run with no current user; name a user by id"
            ))
        };
        let given = value_text(&raw);
        match known.values {
            ActionValues::Choice(choices) => {
                let value = given
                    .as_deref()
                    .and_then(|g| choose(choices, g))
                    .ok_or_else(|| {
                        invalid(format!(
                            "one of {}",
                            listing(choices.iter().map(|(v, _)| *v))
                        ))
                    })?;
                Ok(Action::Field {
                    field: known.field,
                    value: Some(value).filter(|v| !v.is_empty()),
                })
            }
            ActionValues::Assignee(words) => {
                let given = given.unwrap_or_default();
                match choose(words, &given) {
                    Some("") => Ok(Action::Assign(Assignee::Nobody)),
                    Some(_) if kind == RuleKind::Automation => Err(current_user_refused()),
                    Some(_) => Ok(Action::Assign(Assignee::CurrentUser)),
                    None => {
                        let id = id_of(&given).ok_or_else(|| {
                            invalid("an agent's id, \"current_user\" or \"\"".into())
                        })?;
                        if mode == Mode::Save && !vocabulary.has_agent(id) {
                            return Err(RuleError::actions(format!(
                                "assignee_id: no agent has id {id}"
                            )));
                        }
                        Ok(Action::Assign(Assignee::Agent(id)))
                    }
                }
            }
            ActionValues::Group(_) => {
                let given = given.unwrap_or_default();
                if given.trim().is_empty() {
                    return Ok(Action::Group(None));
                }
                let id = id_of(&given).ok_or_else(|| invalid("a group id or \"\"".into()))?;
                if mode == Mode::Save && !vocabulary.has_group(id) {
                    return Err(RuleError::actions(format!(
                        "group_id: no group has id {id}"
                    )));
                }
                Ok(Action::Group(Some(id)))
            }
            ActionValues::Tags => {
                let tags =
                    word_list(&given.ok_or_else(|| invalid("tags separated by spaces".into()))?);
                if tags.is_empty() && known.field != "set_tags" {
                    return Err(invalid("one or more tags separated by spaces".into()));
                }
                Ok(match known.field {
                    "set_tags" => Action::SetTags(dedup(tags)),
                    "current_tags" => Action::AddTags(dedup(tags)),
                    _ => Action::RemoveTags(dedup(tags)),
                })
            }
            ActionValues::EmailUser(words) => {
                let [to, subject, body] = parts::<3>(field, &raw, "[recipient, subject, body]")?;
                let to = match choose(words, &to) {
                    Some("requester_id") => Recipient::Requester,
                    Some("requester_and_ccs") => Recipient::RequesterAndCcs,
                    Some("assignee_id") => Recipient::Assignee,
                    Some(_) if kind == RuleKind::Automation => return Err(current_user_refused()),
                    Some(_) => Recipient::CurrentUser,
                    None => {
                        let id = id_of(&to).ok_or_else(|| {
                            RuleError::actions(format!(
                                "notification_user: the recipient `{to}` is not valid; use an agent's id or one of {}",
                                listing(words.iter().map(|(v, _)| *v))
                            ))
                        })?;
                        if mode == Mode::Save && !vocabulary.has_agent(id) {
                            return Err(RuleError::actions(format!(
                                "notification_user: no agent has id {id}"
                            )));
                        }
                        Recipient::User(id)
                    }
                };
                Ok(Action::EmailUser { to, subject, body })
            }
            ActionValues::EmailGroup(words) => {
                let [to, subject, body] = parts::<3>(field, &raw, "[group, subject, body]")?;
                let to = if choose(words, &to).is_some() {
                    GroupRecipient::TicketGroup
                } else {
                    let id = id_of(&to).ok_or_else(|| {
                        RuleError::actions(format!(
                            "notification_group: `{to}` is not valid; use a group id or group_id (the ticket's group)"
                        ))
                    })?;
                    if mode == Mode::Save && !vocabulary.has_group(id) {
                        return Err(RuleError::actions(format!(
                            "notification_group: no group has id {id}"
                        )));
                    }
                    GroupRecipient::Group(id)
                };
                Ok(Action::EmailGroup { to, subject, body })
            }
            ActionValues::Webhook => {
                let [webhook_id, body] = parts::<2>(field, &raw, "[webhook_id, body]")?;
                let webhook_id = webhook_id.trim().to_string();
                let target = vocabulary.webhook(&webhook_id);
                if mode == Mode::Save {
                    match target {
                        None => {
                            return Err(RuleError::actions(format!(
                                "notification_webhook: no webhook has id {webhook_id}; list them with GET /api/v2/webhooks"
                            )));
                        }
                        Some(target) if !target.conditional => {
                            return Err(RuleError::actions(format!(
                                "notification_webhook: webhook {webhook_id} is subscribed to event types; a {} can only call a webhook subscribed to conditional_ticket_events",
                                kind.noun()
                            )));
                        }
                        Some(_) => {}
                    }
                }
                Ok(Action::Webhook {
                    json: target.is_none_or(|t| t.json),
                    webhook_id,
                    body,
                })
            }
        }
    }

    /// `{"field", "value"}` as stored and answered.
    pub fn to_json(&self) -> Value {
        let (field, value) = match self {
            Action::Field { field, value } => (field.to_string(), json!(value.unwrap_or(""))),
            Action::Assign(who) => (
                "assignee_id".into(),
                json!(match who {
                    Assignee::Nobody => String::new(),
                    Assignee::CurrentUser => "current_user".into(),
                    Assignee::Agent(id) => id.to_string(),
                }),
            ),
            Action::Group(group) => (
                "group_id".into(),
                json!(group.map(|id| id.to_string()).unwrap_or_default()),
            ),
            Action::SetTags(tags) => ("set_tags".into(), json!(tags.join(" "))),
            Action::AddTags(tags) => ("current_tags".into(), json!(tags.join(" "))),
            Action::RemoveTags(tags) => ("remove_tags".into(), json!(tags.join(" "))),
            Action::CustomField { id, value, .. } => (
                format!("{CUSTOM_FIELD_PREFIX}{id}"),
                json!(value_text(value).unwrap_or_default()),
            ),
            Action::EmailUser { to, subject, body } => (
                "notification_user".into(),
                json!([
                    match to {
                        Recipient::Requester => "requester_id".to_string(),
                        Recipient::RequesterAndCcs => "requester_and_ccs".into(),
                        Recipient::Assignee => "assignee_id".into(),
                        Recipient::CurrentUser => "current_user".into(),
                        Recipient::User(id) => id.to_string(),
                    },
                    subject,
                    body
                ]),
            ),
            Action::EmailGroup { to, subject, body } => (
                "notification_group".into(),
                json!([
                    match to {
                        GroupRecipient::TicketGroup => "group_id".to_string(),
                        GroupRecipient::Group(id) => id.to_string(),
                    },
                    subject,
                    body
                ]),
            ),
            Action::Webhook {
                webhook_id, body, ..
            } => ("notification_webhook".into(), json!([webhook_id, body])),
        };
        json!({"field": field, "value": value})
    }

    /// True for the actions that send something rather than change the ticket.
    pub fn is_notification(&self) -> bool {
        matches!(
            self,
            Action::EmailUser { .. } | Action::EmailGroup { .. } | Action::Webhook { .. }
        )
    }
}

/// Parses a list of actions (at least one).
pub fn parse_actions(
    kind: RuleKind,
    value: &Value,
    vocabulary: &Vocabulary,
    mode: Mode,
) -> Result<Vec<Action>, RuleError> {
    let Some(items) = value.as_array() else {
        return Err(RuleError::actions(format!(
            "must be an array such as [{{\"field\": \"status\", \"value\": \"solved\"}}], got {value}"
        )));
    };
    if items.is_empty() {
        return Err(RuleError::actions(
            "give at least one action, such as {\"field\": \"status\", \"value\": \"solved\"}",
        ));
    }
    items
        .iter()
        .map(|item| Action::parse(kind, item, vocabulary, mode))
        .collect()
}

/// Applies the field actions to `ticket` (notification actions change nothing) and returns the
/// fields that changed, in a fixed order. A new ticket given an assignee becomes open, as on
/// Zendesk.
pub fn apply(actions: &[Action], ticket: &mut Value, current_user: Option<&Person>) -> Vec<Change> {
    let before = ticket.clone();
    let mut custom_ids: Vec<i64> = Vec::new();
    for action in actions {
        match action {
            Action::Field { field, value } => ticket[*field] = json!(value),
            Action::Assign(who) => {
                let id = match who {
                    Assignee::Nobody => None,
                    Assignee::Agent(id) => Some(*id),
                    // A write by the system has no current user to assign.
                    Assignee::CurrentUser => match current_user {
                        Some(user) => Some(user.id),
                        None => continue,
                    },
                };
                ticket["assignee_id"] = json!(id);
            }
            Action::Group(group) => ticket["group_id"] = json!(group),
            Action::SetTags(new) => ticket["tags"] = json!(new),
            Action::AddTags(new) => {
                let mut have = tags(ticket);
                for tag in new {
                    if !have.contains(tag) {
                        have.push(tag.clone());
                    }
                }
                ticket["tags"] = json!(have);
            }
            Action::RemoveTags(gone) => {
                let have: Vec<String> = tags(ticket)
                    .into_iter()
                    .filter(|t| !gone.contains(t))
                    .collect();
                ticket["tags"] = json!(have);
            }
            Action::CustomField {
                id,
                value,
                option_tags,
            } => {
                set_custom_field(ticket, *id, value.clone());
                if !option_tags.is_empty() {
                    let chosen = word_list(&value_text(value).unwrap_or_default());
                    let mut have: Vec<String> = tags(ticket)
                        .into_iter()
                        .filter(|t| !option_tags.contains(t))
                        .collect();
                    for tag in chosen {
                        if !have.contains(&tag) {
                            have.push(tag);
                        }
                    }
                    ticket["tags"] = json!(have);
                }
                if !custom_ids.contains(id) {
                    custom_ids.push(*id);
                }
            }
            Action::EmailUser { .. } | Action::EmailGroup { .. } | Action::Webhook { .. } => {}
        }
    }
    if ticket["status"] == "new" && !ticket["assignee_id"].is_null() {
        ticket["status"] = json!("open");
    }
    let mut changes: Vec<Change> = CHANGED_FIELDS
        .iter()
        .filter(|field| before[**field] != ticket[**field])
        .map(|field| Change {
            field_name: field.to_string(),
            previous_value: before[*field].clone(),
            value: ticket[*field].clone(),
        })
        .collect();
    for id in custom_ids {
        let (was, now) = (
            super::ticket_update::custom_field(&before, id),
            super::ticket_update::custom_field(ticket, id),
        );
        if was != now {
            changes.push(Change {
                field_name: id.to_string(),
                previous_value: was,
                value: now,
            });
        }
    }
    changes
}

/// Sets a custom field's value in `custom_fields` (and `fields`, its alias), adding the entry
/// when the ticket has none for it.
fn set_custom_field(ticket: &mut Value, id: i64, value: Value) {
    for key in ["custom_fields", "fields"] {
        if key == "fields" && ticket.get("fields").is_none() {
            continue;
        }
        if !ticket[key].is_array() {
            ticket[key] = json!([]);
        }
        let Some(list) = ticket[key].as_array_mut() else {
            continue;
        };
        match list.iter_mut().find(|f| f["id"].as_i64() == Some(id)) {
            Some(entry) => entry["value"] = value.clone(),
            None => list.push(json!({"id": id, "value": value.clone()})),
        }
    }
}

fn dedup(words: Vec<String>) -> Vec<String> {
    let mut seen = Vec::with_capacity(words.len());
    for word in words {
        if !seen.contains(&word) {
            seen.push(word);
        }
    }
    seen
}

/// The `N` text parts of an array action value (`[recipient, subject, body]`).
fn parts<const N: usize>(field: &str, raw: &Value, form: &str) -> Result<[String; N], RuleError> {
    let refused = || {
        RuleError::actions(format!(
            "{field} takes an array {form} of {N} strings, got {raw}"
        ))
    };
    let items = raw
        .as_array()
        .filter(|a| a.len() == N)
        .ok_or_else(refused)?;
    let texts: Vec<String> = items
        .iter()
        .map(|item| match item {
            Value::String(s) => Some(s.clone()),
            Value::Number(_) => Some(text(item)),
            _ => None,
        })
        .collect::<Option<_>>()
        .ok_or_else(refused)?;
    texts.try_into().map_err(|_| refused())
}

/// A `custom_fields_<id>` action: the value checked against the field's type.
fn custom_field_action(
    field: &str,
    id: &str,
    raw: &Value,
    vocabulary: &Vocabulary,
    mode: Mode,
) -> Result<Action, RuleError> {
    let id = id_of(id).ok_or_else(|| {
        RuleError::actions(format!(
            "`{field}` does not name a ticket field: write custom_fields_<id>, such as custom_fields_360001234"
        ))
    })?;
    let kind = match (vocabulary.custom_field(id), mode) {
        (Some(custom), _) => custom.kind.clone(),
        (None, Mode::Load) => CustomFieldKind::Text,
        (None, Mode::Save) => {
            return Err(RuleError::actions(format!(
                "no custom ticket field has id {id} (`{field}`); list them with GET /api/v2/ticket_fields"
            )));
        }
    };
    let given = value_text(raw).ok_or_else(|| {
        RuleError::actions(format!(
            "{field} takes text, a number or a list of options, got {raw}"
        ))
    })?;
    let trimmed = given.trim();
    let invalid = |expected: &str| {
        RuleError::actions(format!("{field} `{given}` is not valid; use {expected}"))
    };
    let option_list =
        |options: &[(String, String)]| listing(options.iter().map(|(v, _)| v.as_str()));
    let value = if trimmed.is_empty() {
        Value::Null
    } else {
        match &kind {
            CustomFieldKind::Text => json!(given),
            CustomFieldKind::Checkbox => match trimmed {
                "true" => json!(true),
                "false" => json!(false),
                _ => return Err(invalid("true or false")),
            },
            CustomFieldKind::Number => {
                let number: f64 = trimmed.parse().map_err(|_| invalid("a number"))?;
                if number.fract() == 0.0 && number.abs() < 9.0e15 {
                    json!(number as i64)
                } else {
                    json!(number)
                }
            }
            CustomFieldKind::Date => {
                let format = time::macros::format_description!("[year]-[month]-[day]");
                time::Date::parse(trimmed, &format)
                    .map_err(|_| invalid("a date like 2024-05-31"))?;
                json!(trimmed)
            }
            CustomFieldKind::Dropdown(options) => {
                if mode == Mode::Save && !options.iter().any(|(v, _)| v == trimmed) {
                    return Err(invalid(&format!("one of {}", option_list(options))));
                }
                json!(trimmed)
            }
            CustomFieldKind::Multiselect(options) => {
                let chosen = word_list(trimmed);
                if mode == Mode::Save && chosen.iter().any(|c| !options.iter().any(|(v, _)| v == c))
                {
                    return Err(invalid(&format!("options of {}", option_list(options))));
                }
                json!(chosen)
            }
        }
    };
    Ok(Action::CustomField {
        id,
        option_tags: kind.options().iter().map(|(v, _)| v.clone()).collect(),
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::fixtures::{EVENT_WEBHOOK, WEBHOOK, agent, ticket, vocabulary};

    fn action(kind: RuleKind, item: Value) -> Result<Action, RuleError> {
        Action::parse(kind, &item, &vocabulary(), Mode::Save)
    }

    fn ok(item: Value) -> Action {
        action(RuleKind::Trigger, item).unwrap()
    }

    fn refused(kind: RuleKind, item: Value) -> String {
        action(kind, item).unwrap_err().description
    }

    #[test]
    fn unknown_actions_and_values_are_refused_with_what_is_supported() {
        let unknown = refused(
            RuleKind::Trigger,
            json!({"field": "comment_value", "value": "hi"}),
        );
        assert!(
            unknown.contains("`comment_value` is not an action"),
            "{unknown}"
        );
        assert!(unknown.contains("notification_webhook") && unknown.contains("custom_fields_<id>"));
        let status = refused(
            RuleKind::Trigger,
            json!({"field": "status", "value": "new"}),
        );
        assert!(
            status.contains("use one of open, pending, hold, solved, closed"),
            "{status}"
        );
        let agent = refused(
            RuleKind::Trigger,
            json!({"field": "assignee_id", "value": 99}),
        );
        assert!(agent.contains("no agent has id 99"));
        let shape = refused(
            RuleKind::Trigger,
            json!({"field": "notification_user", "value": ["requester_id", "subject only"]}),
        );
        assert!(
            shape.contains("[recipient, subject, body] of 3 strings"),
            "{shape}"
        );
        let events = refused(
            RuleKind::Trigger,
            json!({"field": "notification_webhook", "value": [EVENT_WEBHOOK, "{}"]}),
        );
        assert!(events.contains("conditional_ticket_events"), "{events}");
        let missing = refused(
            RuleKind::Trigger,
            json!({"field": "notification_webhook", "value": ["01NOPE", "{}"]}),
        );
        assert!(missing.contains("no webhook has id 01NOPE"));
        let current = refused(
            RuleKind::Automation,
            json!({"field": "notification_user", "value": ["current_user", "s", "b"]}),
        );
        assert!(current.contains("no current user"));
        let option = refused(
            RuleKind::Trigger,
            json!({"field": "custom_fields_100", "value": "plan_tin"}),
        );
        assert!(option.contains("plan_gold, plan_silver"), "{option}");
    }

    #[test]
    fn actions_round_trip_to_their_stored_form() {
        for item in [
            json!({"field": "status", "value": "solved"}),
            json!({"field": "priority", "value": ""}),
            json!({"field": "assignee_id", "value": "current_user"}),
            json!({"field": "assignee_id", "value": "7"}),
            json!({"field": "group_id", "value": "20"}),
            json!({"field": "current_tags", "value": "urgent paged"}),
            json!({"field": "custom_fields_101", "value": "true"}),
            json!({"field": "notification_user", "value": ["requester_id", "Re: {{ticket.title}}", "Hi"]}),
            json!({"field": "notification_group", "value": ["group_id", "s", "b"]}),
            json!({"field": "notification_webhook", "value": [WEBHOOK, "{\"id\": {{ticket.id}}}"]}),
        ] {
            assert_eq!(ok(item.clone()).to_json(), item);
        }
        // Numbers and arrays are accepted and written as Zendesk writes them.
        assert_eq!(
            ok(json!({"field": "group_id", "value": 21})).to_json(),
            json!({"field": "group_id", "value": "21"})
        );
        assert_eq!(
            ok(json!({"field": "set_tags", "value": ["A", "b", "a"]})).to_json(),
            json!({"field": "set_tags", "value": "a b"})
        );
    }

    #[test]
    fn applying_changes_the_ticket_and_lists_the_changes() {
        let mut t = ticket();
        let me = agent(7);
        let actions = vec![
            ok(json!({"field": "priority", "value": "urgent"})),
            ok(json!({"field": "current_tags", "value": "paged printer"})),
            ok(json!({"field": "remove_tags", "value": "printer"})),
            ok(json!({"field": "assignee_id", "value": "current_user"})),
            ok(json!({"field": "custom_fields_100", "value": "plan_gold"})),
            ok(json!({"field": "notification_user", "value": ["requester_id", "s", "b"]})),
        ];
        let changes = apply(&actions, &mut t, Some(&me));
        assert_eq!(t["priority"], "urgent");
        assert_eq!(t["assignee_id"], 7);
        // Assigned while new: the ticket opens.
        assert_eq!(t["status"], "open");
        // The dropdown's option is a tag too.
        assert_eq!(t["tags"], json!(["paged", "plan_gold"]));
        let names: Vec<&str> = changes.iter().map(|c| c.field_name.as_str()).collect();
        assert_eq!(names, ["status", "priority", "assignee_id", "tags", "100"]);
        assert_eq!(changes[1].previous_value, "normal");
        assert_eq!(changes[4].value, "plan_gold");

        // The same actions again change nothing.
        let again = apply(&actions, &mut t, Some(&me));
        assert!(again.is_empty(), "{again:?}");

        // Switching the option swaps its tag.
        let silver = vec![ok(
            json!({"field": "custom_fields_100", "value": "plan_silver"}),
        )];
        apply(&silver, &mut t, None);
        assert_eq!(t["tags"], json!(["paged", "plan_silver"]));
    }

    #[test]
    fn with_no_current_user_an_assignment_to_them_is_skipped() {
        let mut t = ticket();
        let changes = apply(
            &[ok(json!({"field": "assignee_id", "value": "current_user"}))],
            &mut t,
            None,
        );
        assert!(changes.is_empty());
        assert!(t["assignee_id"].is_null());
    }
}
