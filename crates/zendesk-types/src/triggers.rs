//! Triggers and automations: the business rules Zendesk runs by itself, triggers on every ticket
//! create and update, automations hourly on time (`hours_since_*`). Both are a title, `conditions`
//! (`all` must hold, and at least one of `any`) and `actions`, in the same shapes; triggers also
//! sit in categories. A condition's `field` and an action's `field` and `value` stay open
//! (`custom_fields_<id>`, `notification_webhook`'s `[webhook_id, body]`): their vocabularies are
//! Zendesk's and grow. `GET /triggers/definitions` says which exist on an account.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::enums::ParseEnumError;
use crate::envelope::{ListKey, RecordKey};
use crate::ids::{AutomationId, TriggerCategoryId, TriggerId};

crate::enums::wire_enum!(
    /// How a condition compares its `field` with its `value`. `changed`, `not_changed`,
    /// `present` and `not_present` take no value (Zendesk calls them terminal).
    ConditionOperator, "condition operator",
    {
        Is => "is",
        IsNot => "is_not",
        LessThan => "less_than",
        GreaterThan => "greater_than",
        Includes => "includes",
        NotIncludes => "not_includes",
        Changed => "changed",
        NotChanged => "not_changed",
        /// "Changed to".
        Value => "value",
        /// "Changed from".
        ValuePrevious => "value_previous",
        /// "Not changed to".
        NotValue => "not_value",
        /// "Not changed from".
        NotValuePrevious => "not_value_previous",
        Present => "present",
        NotPresent => "not_present",
    }
);

impl ConditionOperator {
    /// Whether the operator takes no value (`changed`, `not_changed`, `present`,
    /// `not_present`).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Self::Changed | Self::NotChanged | Self::Present | Self::NotPresent
        )
    }
}

/// One condition: `{"field": "priority", "operator": "is", "value": "urgent"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub operator: ConditionOperator,
    /// Absent for terminal operators (`changed`, `present`...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A rule's conditions: every one of `all`, and at least one of `any` when `any` has any.
/// Zendesk sends `{}` for a rule with none, so both are left out when absent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Conditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all: Option<Vec<Condition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any: Option<Vec<Condition>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Conditions {
    /// The conditions that must all hold.
    pub fn all(&self) -> &[Condition] {
        self.all.as_deref().unwrap_or_default()
    }

    /// The conditions of which one must hold (none: no such requirement).
    pub fn any(&self) -> &[Condition] {
        self.any.as_deref().unwrap_or_default()
    }
}

/// One action: `{"field": "status", "value": "solved"}`; notifications carry a list
/// (`notification_user`: `[recipient, subject, body]`, `notification_webhook`:
/// `[webhook_id, body]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub field: String,
    #[serde(default)]
    pub value: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A trigger, as `GET /api/v2/triggers/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trigger {
    pub id: TriggerId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// The title before dynamic content is rendered (`{{dc.assign_priority_tag}}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub active: bool,
    /// Firing order: lower runs first.
    #[serde(default)]
    pub position: Option<i64>,
    /// Whether Zendesk created it with the account (a standard trigger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<TriggerCategoryId>,
    #[serde(default)]
    pub conditions: Conditions,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An automation, as `GET /api/v2/automations/{id}` returns it. Zendesk refuses one that could
/// fire twice on a ticket: it needs a condition true only once (`hours_since_created is 4`) or an
/// action that undoes one of its conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Automation {
    pub id: AutomationId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_title: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    #[serde(default)]
    pub conditions: Conditions,
    #[serde(default)]
    pub actions: Vec<Action>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A trigger category (`/api/v2/trigger_categories`): triggers fire category by category, in
/// the categories' `position` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerCategory {
    pub id: TriggerCategoryId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /api/v2/triggers/definitions`: the actions and conditions an account's triggers may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDefinitions {
    #[serde(default)]
    pub actions: Vec<Definition>,
    #[serde(default)]
    pub conditions_all: Vec<Definition>,
    #[serde(default)]
    pub conditions_any: Vec<Definition>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One action or condition a rule may use: its field (`subject`), the operators a condition
/// takes and the values it offers (`[{"value", "title", "enabled"}]` for lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    pub subject: String,
    #[serde(default)]
    pub title: Option<String>,
    /// `list`, `text`, `tagger`...
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default)]
    pub nullable: bool,
    #[serde(default)]
    pub repeatable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operators: Option<Vec<DefinitionOperator>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An operator a condition definition takes; `terminal` ones take no value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefinitionOperator {
    pub value: ConditionOperator,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub terminal: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RecordKey for Trigger {
    const RECORD_KEY: &'static str = "trigger";
}
impl ListKey for Trigger {
    const LIST_KEY: &'static str = "triggers";
}
impl RecordKey for Automation {
    const RECORD_KEY: &'static str = "automation";
}
impl ListKey for Automation {
    const LIST_KEY: &'static str = "automations";
}
impl RecordKey for TriggerCategory {
    const RECORD_KEY: &'static str = "trigger_category";
}
impl ListKey for TriggerCategory {
    const LIST_KEY: &'static str = "trigger_categories";
}
impl RecordKey for RuleDefinitions {
    const RECORD_KEY: &'static str = "definitions";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_trigger_decodes_and_reencodes_as_zendesk_sent_it() {
        let sent = json!({
            "url": "https://example.zendesk.com/api/v2/triggers/26.json",
            "id": 26,
            "title": "Assign priority tag",
            "raw_title": "{{dc.assign_priority_tag}}",
            "description": null,
            "active": false,
            "position": 9,
            "category_id": "10026",
            "conditions": {
                "all": [
                    {"field": "status", "operator": "less_than", "value": "solved"},
                    {"field": "status", "operator": "changed"}
                ],
                "any": [{"field": "custom_status_id", "operator": "includes", "value": ["1", "2"]}]
            },
            "actions": [
                {"field": "notification_webhook", "value": ["01HANAN7NVBM93Z21ZGCXESV8X", "{\"id\": \"{{ticket.id}}\"}"]}
            ],
            "created_at": "2012-09-25T22:50:26Z",
            "updated_at": "2012-09-25T22:50:26Z",
            "permissions": {"can_edit": true}
        });
        let trigger: Trigger = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(trigger.id, TriggerId(26));
        assert_eq!(
            trigger.conditions.all()[0].operator,
            ConditionOperator::LessThan
        );
        assert!(trigger.conditions.all()[1].operator.is_terminal());
        assert_eq!(trigger.conditions.all()[1].value, None);
        assert_eq!(trigger.category_id, Some(TriggerCategoryId("10026".into())));
        assert_eq!(serde_json::to_value(&trigger).unwrap(), sent);
    }

    #[test]
    fn empty_conditions_stay_empty() {
        let sent = json!({"id": 25, "title": "Close and Save", "active": true, "position": 8,
                          "conditions": {}, "actions": [], "url": null, "description": null,
                          "created_at": null, "updated_at": null});
        let trigger: Trigger = serde_json::from_value(sent.clone()).unwrap();
        assert!(trigger.conditions.all().is_empty() && trigger.conditions.any().is_empty());
        assert_eq!(serde_json::to_value(&trigger).unwrap(), sent);
    }

    #[test]
    fn an_operator_zendesk_adds_later_is_kept() {
        let condition: Condition = serde_json::from_value(
            json!({"field": "created_at", "operator": "within_previous_n_days", "value": "3"}),
        )
        .unwrap();
        assert!(!condition.operator.is_known());
        assert_eq!(condition.operator.as_str(), "within_previous_n_days");
        assert!("Is_Not".parse::<ConditionOperator>().is_ok());
        assert!("nearly".parse::<ConditionOperator>().is_err());
    }
}
