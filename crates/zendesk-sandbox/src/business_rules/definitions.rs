//! `GET /api/v2/triggers/definitions` (and the same listing for automations): which conditions,
//! operators, values and actions exist, generated from the vocabulary's tables and the account's
//! custom fields, groups, agents and webhooks, in Zendesk's shape:
//! `{"definitions": {"actions": [...], "conditions_all": [...], "conditions_any": [...]}}`, each
//! entry `{subject, title, type, group, nullable, repeatable, operators?, values?}`.

use serde_json::{Value, json};

use super::vocabulary::{
    ACTION_FIELDS, ActionValues, CONDITION_FIELDS, CUSTOM_FIELD_PREFIX, Choices, CustomField,
    CustomFieldKind, Operator, RuleKind, VIAS, Values, Vocabulary, operators_for,
};

/// The definitions a rule of `kind` may use in this account.
pub fn definitions(kind: RuleKind, vocabulary: &Vocabulary) -> Value {
    let mut conditions: Vec<Value> = CONDITION_FIELDS
        .iter()
        .filter(|f| f.applies.to(kind))
        .map(|field| {
            let (kind_name, values, nullable) =
                condition_values(field.values, field.field, vocabulary);
            entry(
                field.field,
                field.title,
                kind_name,
                "ticket",
                nullable,
                &field.operators_for(kind),
                values,
            )
        })
        .collect();
    conditions.extend(vocabulary.custom_fields.iter().map(|custom| {
        let (kind_name, values) = custom_values(custom);
        entry(
            &format!("{CUSTOM_FIELD_PREFIX}{}", custom.id),
            &custom.title,
            kind_name,
            "ticket",
            true,
            &operators_for(&custom.kind.operators(), kind),
            values,
        )
    }));
    let mut actions: Vec<Value> = ACTION_FIELDS
        .iter()
        .map(|field| {
            let (kind_name, values, group) = action_values(field.values, vocabulary);
            let nullable = matches!(field.values, ActionValues::Choice(c) if c.iter().any(|(v, _)| v.is_empty()))
                || matches!(field.values, ActionValues::Assignee(_) | ActionValues::Group(_));
            let mut definition = entry(field.field, field.title, kind_name, group, nullable, &[], values);
            definition["repeatable"] = json!(group == "notification");
            definition
        })
        .collect();
    actions.extend(vocabulary.custom_fields.iter().map(|custom| {
        let (kind_name, values) = custom_values(custom);
        entry(
            &format!("{CUSTOM_FIELD_PREFIX}{}", custom.id),
            &custom.title,
            kind_name,
            "ticket",
            true,
            &[],
            values,
        )
    }));
    json!({"definitions": {
        "actions": actions,
        "conditions_all": conditions,
        "conditions_any": conditions,
    }})
}

fn entry(
    subject: &str,
    title: &str,
    kind: &str,
    group: &str,
    nullable: bool,
    operators: &[Operator],
    values: Option<Vec<Value>>,
) -> Value {
    let mut definition = json!({
        "subject": subject, "title": title, "type": kind, "group": group,
        "nullable": nullable, "repeatable": false,
    });
    if !operators.is_empty() {
        definition["operators"] = json!(
            operators
                .iter()
                .map(|op| json!({"value": op.as_str(), "title": op.title(), "terminal": op.terminal()}))
                .collect::<Vec<_>>()
        );
    }
    if let Some(values) = values {
        definition["values"] = json!(values);
    }
    definition
}

fn value(value: &str, title: &str) -> Value {
    json!({"value": value, "title": title, "enabled": true})
}

fn choices(choices: Choices) -> Vec<Value> {
    choices.iter().map(|(v, t)| value(v, t)).collect()
}

fn named(records: &[super::vocabulary::Named]) -> impl Iterator<Item = Value> + '_ {
    records.iter().map(|r| value(&r.id.to_string(), &r.name))
}

/// (type, values, nullable) of a condition field.
fn condition_values(
    values: Values,
    field: &str,
    vocabulary: &Vocabulary,
) -> (&'static str, Option<Vec<Value>>, bool) {
    let nullable = |c: Choices| c.iter().any(|(v, _)| v.is_empty());
    match values {
        Values::Choice(c) => ("list", Some(choices(c)), nullable(c)),
        Values::User(words) if field == "assignee_id" => (
            "list",
            Some(
                choices(words)
                    .into_iter()
                    .chain(named(&vocabulary.agents))
                    .collect(),
            ),
            nullable(words),
        ),
        // Any user may be a requester: too many to list.
        Values::User(words) => ("autocomplete", Some(choices(words)), nullable(words)),
        Values::Group(words) => (
            "list",
            Some(
                choices(words)
                    .into_iter()
                    .chain(named(&vocabulary.groups))
                    .collect(),
            ),
            true,
        ),
        Values::Organization(words) => ("autocomplete", Some(choices(words)), true),
        Values::Tags => ("tags", None, false),
        Values::Words => ("text", None, false),
        Values::Hours => ("text", None, false),
        Values::Via => (
            "list",
            Some(
                VIAS.iter()
                    .map(|via| value(via.id_text, via.title))
                    .collect(),
            ),
            false,
        ),
    }
}

/// (type, values) of a custom field, as condition or action.
fn custom_values(custom: &CustomField) -> (&'static str, Option<Vec<Value>>) {
    let options =
        |options: &[(String, String)]| Some(options.iter().map(|(v, t)| value(v, t)).collect());
    match &custom.kind {
        CustomFieldKind::Text => ("text", None),
        CustomFieldKind::Checkbox => (
            "checkbox",
            Some(vec![value("true", "Checked"), value("false", "Unchecked")]),
        ),
        CustomFieldKind::Number => ("text", None),
        CustomFieldKind::Date => ("date", None),
        CustomFieldKind::Dropdown(o) => ("list", options(o)),
        CustomFieldKind::Multiselect(o) => ("multiselect", options(o)),
    }
}

/// (type, values, group) of an action field.
fn action_values(
    values: ActionValues,
    vocabulary: &Vocabulary,
) -> (&'static str, Option<Vec<Value>>, &'static str) {
    match values {
        ActionValues::Choice(c) => ("list", Some(choices(c)), "ticket"),
        ActionValues::Assignee(words) => (
            "list",
            Some(
                choices(words)
                    .into_iter()
                    .chain(named(&vocabulary.agents))
                    .collect(),
            ),
            "ticket",
        ),
        ActionValues::Group(words) => (
            "list",
            Some(
                choices(words)
                    .into_iter()
                    .chain(named(&vocabulary.groups))
                    .collect(),
            ),
            "ticket",
        ),
        ActionValues::Tags => ("tags", None, "ticket"),
        ActionValues::EmailUser(words) => (
            "list",
            Some(
                choices(words)
                    .into_iter()
                    .chain(named(&vocabulary.agents))
                    .collect(),
            ),
            "notification",
        ),
        ActionValues::EmailGroup(words) => (
            "list",
            Some(
                choices(words)
                    .into_iter()
                    .chain(named(&vocabulary.groups))
                    .collect(),
            ),
            "notification",
        ),
        ActionValues::Webhook => (
            "list",
            Some(
                vocabulary
                    .webhooks
                    .iter()
                    .filter(|w| w.conditional)
                    .map(|w| value(&w.id, &w.name))
                    .collect(),
            ),
            "notification",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::fixtures::{EVENT_WEBHOOK, WEBHOOK, vocabulary};
    use crate::business_rules::vocabulary::condition_names;

    fn subjects(list: &Value) -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|d| d["subject"].as_str().unwrap().to_string())
            .collect()
    }

    fn find<'a>(list: &'a Value, subject: &str) -> &'a Value {
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["subject"] == subject)
            .unwrap()
    }

    #[test]
    fn trigger_definitions_list_the_vocabulary_in_zendesks_shape() {
        let all = definitions(RuleKind::Trigger, &vocabulary());
        let conditions = &all["definitions"]["conditions_all"];
        let mut expected: Vec<String> = condition_names(RuleKind::Trigger)
            .into_iter()
            .map(str::to_string)
            .collect();
        expected.extend(
            [
                "custom_fields_100",
                "custom_fields_101",
                "custom_fields_102",
                "custom_fields_103",
            ]
            .map(String::from),
        );
        assert_eq!(subjects(conditions), expected);
        assert_eq!(all["definitions"]["conditions_any"], *conditions);

        let status = find(conditions, "status");
        assert_eq!(status["type"], "list");
        assert_eq!(status["nullable"], false);
        assert_eq!(
            status["operators"][4],
            json!({"value": "changed", "title": "Changed", "terminal": true})
        );
        assert_eq!(
            status["values"][0],
            json!({"value": "new", "title": "New", "enabled": true})
        );
        let assignee = find(conditions, "assignee_id");
        assert_eq!(assignee["nullable"], true);
        assert!(
            assignee["values"]
                .as_array()
                .unwrap()
                .contains(&json!({"value": "7", "title": "Agent Seven", "enabled": true}))
        );
        let plan = find(conditions, "custom_fields_100");
        assert_eq!(plan["values"][0]["value"], "plan_gold");

        let actions = &all["definitions"]["actions"];
        let webhook = find(actions, "notification_webhook");
        assert_eq!(webhook["group"], "notification");
        assert_eq!(webhook["repeatable"], true);
        let ids: Vec<&str> = webhook["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["value"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [WEBHOOK]);
        assert!(!ids.contains(&EVENT_WEBHOOK));
        assert!(find(actions, "status").get("operators").is_none());
    }

    #[test]
    fn automation_definitions_hold_time_fields_and_no_change_operators() {
        let all = definitions(RuleKind::Automation, &vocabulary());
        let conditions = &all["definitions"]["conditions_all"];
        let names = subjects(conditions);
        assert!(names.contains(&"hours_since_solved".to_string()));
        assert!(!names.contains(&"update_type".to_string()));
        let operators: Vec<&str> = find(conditions, "status")["operators"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["value"].as_str().unwrap())
            .collect();
        assert_eq!(operators, ["is", "is_not", "less_than", "greater_than"]);
    }
}
