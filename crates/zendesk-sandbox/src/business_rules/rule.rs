//! A trigger's or automation's definition in Zendesk's shape (`title`, `raw_title`,
//! `description`, `active`, `position`, `category_id`, `default`, `conditions`, `actions`):
//! parsed from a create or update (refused with Zendesk's 422, naming the field and what is
//! supported) or from a stored record to run it, and written back as the record's own fields.
//! The caller adds `id`, `url`, `created_at` and `updated_at`.

use serde_json::{Map, Value, json};

use super::actions::{Action, parse_actions};
use super::conditions::Conditions;
pub use super::refusal::RuleError;
pub use super::vocabulary::RuleRef;
use super::vocabulary::{Mode, RuleKind, Vocabulary};

/// The fields a create or update may send, per kind.
const TRIGGER_FIELDS: &[&str] = &[
    "title",
    "raw_title",
    "description",
    "active",
    "position",
    "category_id",
    "conditions",
    "actions",
];
const AUTOMATION_FIELDS: &[&str] = &[
    "title",
    "raw_title",
    "active",
    "position",
    "conditions",
    "actions",
];
/// Fields Zendesk answers but nobody writes: accepted in a body and ignored, so a client can
/// send back the record it read.
const READ_ONLY_FIELDS: &[&str] = &["id", "url", "created_at", "updated_at", "default"];

fn writable(kind: RuleKind) -> &'static [&'static str] {
    match kind {
        RuleKind::Trigger => TRIGGER_FIELDS,
        RuleKind::Automation => AUTOMATION_FIELDS,
    }
}

/// A trigger's or automation's definition.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDefinition {
    pub kind: RuleKind,
    pub title: String,
    pub raw_title: String,
    /// Triggers only.
    pub description: Option<String>,
    pub active: bool,
    pub position: Option<i64>,
    /// Triggers only; category ids are strings.
    pub category_id: Option<String>,
    /// One of Zendesk's standard rules (read-only).
    pub default: bool,
    pub conditions: Conditions,
    pub actions: Vec<Action>,
}

impl RuleDefinition {
    /// A create's body (the object inside `{"trigger": ...}`).
    pub fn parse_new(
        kind: RuleKind,
        input: &Map<String, Value>,
        vocabulary: &Vocabulary,
    ) -> Result<RuleDefinition, RuleError> {
        let mut fields = writable_input(kind, input)?;
        fields.remove("default");
        parse(kind, &fields, vocabulary, Mode::Save)
    }

    /// An update's body on top of the stored record: each field sent replaces the stored one
    /// (`conditions` and `actions` whole, as on Zendesk), the others stay.
    pub fn parse_update(
        kind: RuleKind,
        stored: &Value,
        input: &Map<String, Value>,
        vocabulary: &Vocabulary,
    ) -> Result<RuleDefinition, RuleError> {
        let mut fields = stored.as_object().cloned().unwrap_or_default();
        let changes = writable_input(kind, input)?;
        if changes.contains_key("title") && !changes.contains_key("raw_title") {
            fields.remove("raw_title");
        }
        fields.extend(changes);
        parse(kind, &fields, vocabulary, Mode::Save)
    }

    /// The record's own fields, as stored and answered.
    pub fn to_fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert("title".into(), json!(self.title));
        fields.insert("raw_title".into(), json!(self.raw_title));
        if self.kind == RuleKind::Trigger {
            fields.insert("description".into(), json!(self.description));
        }
        fields.insert("active".into(), json!(self.active));
        fields.insert("position".into(), json!(self.position));
        if self.kind == RuleKind::Trigger {
            fields.insert("category_id".into(), json!(self.category_id));
        }
        fields.insert("default".into(), json!(self.default));
        fields.insert("conditions".into(), self.conditions.to_json());
        fields.insert(
            "actions".into(),
            json!(self.actions.iter().map(Action::to_json).collect::<Vec<_>>()),
        );
        fields
    }
}

/// The input's fields, refusing one the kind does not have (read-only ones dropped).
fn writable_input(
    kind: RuleKind,
    input: &Map<String, Value>,
) -> Result<Map<String, Value>, RuleError> {
    let allowed = writable(kind);
    let mut fields = Map::new();
    for (key, value) in input {
        if allowed.contains(&key.as_str()) {
            fields.insert(key.clone(), value.clone());
        } else if !READ_ONLY_FIELDS.contains(&key.as_str()) {
            return Err(RuleError::invalid(
                key,
                format!(
                    "`{key}` is not a field of {}; send {}",
                    kind.plural(),
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(fields)
}

/// Parses a definition from its fields (an input, or a stored record with `Mode::Load`).
fn parse(
    kind: RuleKind,
    fields: &Map<String, Value>,
    vocabulary: &Vocabulary,
    mode: Mode,
) -> Result<RuleDefinition, RuleError> {
    let text = |key: &str| -> Result<Option<String>, RuleError> {
        match fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(RuleError::invalid(
                key,
                format!("{}: must be text, got {other}", label(key)),
            )),
        }
    };
    let title = text("title")?.filter(|t| !t.trim().is_empty());
    let raw_title = text("raw_title")?.filter(|t| !t.trim().is_empty());
    let Some(title) = title.or_else(|| raw_title.clone()) else {
        return Err(RuleError::blank("title", "Title"));
    };
    let active = match fields.get("active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(active)) => *active,
        Some(other) => {
            return Err(RuleError::invalid(
                "active",
                format!("Active: must be true or false, got {other}"),
            ));
        }
    };
    let position = match fields.get("position") {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.as_i64().filter(|p| *p >= 0).ok_or_else(|| {
            RuleError::invalid(
                "position",
                format!("Position: must be a whole number from 0, got {value}"),
            )
        })?),
    };
    let category_id = match fields.get("category_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n > 0) => Some(n.to_string()),
        Some(other) => {
            return Err(RuleError::invalid(
                "category_id",
                format!(
                    "Category: must be a trigger category's id (a string such as \"10026\"), got {other}"
                ),
            ));
        }
    };
    let conditions = match fields.get("conditions") {
        None | Some(Value::Null) => return Err(RuleError::blank("conditions", "Conditions")),
        Some(value) => Conditions::parse(kind, value, vocabulary, mode)?,
    };
    let actions = match fields.get("actions") {
        None | Some(Value::Null) => return Err(RuleError::blank("actions", "Actions")),
        Some(value) => parse_actions(kind, value, vocabulary, mode)?,
    };
    let definition = RuleDefinition {
        kind,
        raw_title: raw_title.unwrap_or_else(|| title.clone()),
        title,
        description: text("description")?,
        active,
        position,
        category_id,
        default: fields
            .get("default")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        conditions,
        actions,
    };
    if kind == RuleKind::Automation && mode == Mode::Save {
        super::nullify::check_nullifies(&definition.conditions, &definition.actions)?;
    }
    Ok(definition)
}

fn label(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars)
            .collect::<String>()
            .replace('_', " "),
        None => String::new(),
    }
}

/// A stored rule, ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: i64,
    pub definition: RuleDefinition,
}

impl Rule {
    /// Reads a stored record (`{"id", "title", "conditions", "actions", ...}`) to run it. Names
    /// are taken as they are (`Mode::Load`): a rule naming a group since deleted still loads.
    pub fn load(
        kind: RuleKind,
        record: &Value,
        vocabulary: &Vocabulary,
    ) -> Result<Rule, RuleError> {
        let id = record["id"].as_i64().ok_or_else(|| {
            RuleError::invalid("id", format!("a stored {} has no id", kind.noun()))
        })?;
        let fields = record.as_object().cloned().unwrap_or_default();
        Ok(Rule {
            id,
            definition: parse(kind, &fields, vocabulary, Mode::Load)?,
        })
    }

    pub fn reference(&self) -> RuleRef {
        RuleRef {
            kind: self.definition.kind,
            id: self.id,
            title: self.definition.title.clone(),
        }
    }
}

/// Active rules in the order they run: by position, rules without one last, then by id.
pub fn running_order(rules: &[Rule]) -> Vec<&Rule> {
    let mut active: Vec<&Rule> = rules.iter().filter(|r| r.definition.active).collect();
    active.sort_by_key(|r| (r.definition.position.unwrap_or(i64::MAX), r.id));
    active
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::fixtures::vocabulary;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn new_trigger(input: Value) -> Result<RuleDefinition, RuleError> {
        RuleDefinition::parse_new(RuleKind::Trigger, &object(input), &vocabulary())
    }

    #[test]
    fn a_trigger_round_trips_in_zendesks_shape() {
        let input = json!({
            "title": "Page on urgent", "description": "Urgent tickets page on-call",
            "category_id": 10026, "position": 3,
            "conditions": {"all": [{"field": "priority", "operator": "is", "value": "urgent"}]},
            "actions": [{"field": "current_tags", "value": "paged"}]
        });
        let definition = new_trigger(input).unwrap();
        let fields = definition.to_fields();
        assert_eq!(fields["raw_title"], "Page on urgent");
        assert_eq!(fields["category_id"], "10026");
        assert_eq!(fields["active"], true);
        assert_eq!(fields["default"], false);
        assert_eq!(
            fields["conditions"],
            json!({"all": [{"field": "priority", "operator": "is", "value": "urgent"}], "any": []})
        );
        let mut record = Value::Object(fields);
        record["id"] = json!(9);
        let loaded = Rule::load(RuleKind::Trigger, &record, &vocabulary()).unwrap();
        assert_eq!(loaded.definition, definition);
    }

    #[test]
    fn refusals_name_the_field_in_zendesks_422() {
        let blank =
            new_trigger(json!({"title": " ", "conditions": {}, "actions": []})).unwrap_err();
        assert_eq!(
            blank.body(),
            json!({"error": "RecordInvalid", "description": "Record validation errors",
                   "details": {"title": [{"description": "Title: cannot be blank", "error": "BlankValue"}]}})
        );
        let no_actions = new_trigger(json!({"title": "t",
            "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}]}}))
        .unwrap_err();
        assert_eq!(no_actions.field, "actions");
        let unknown = new_trigger(json!({"title": "t", "restriction": null})).unwrap_err();
        assert!(
            unknown
                .description
                .contains("send title, raw_title, description")
        );
        let automation_key = RuleDefinition::parse_new(
            RuleKind::Automation,
            &object(json!({"title": "t", "category_id": "1"})),
            &vocabulary(),
        )
        .unwrap_err();
        assert_eq!(automation_key.field, "category_id");
        let active = new_trigger(json!({"title": "t", "active": "yes"})).unwrap_err();
        assert!(active.description.contains("true or false"));
    }

    #[test]
    fn an_update_replaces_what_it_sends_and_keeps_the_rest() {
        let stored = json!({
            "id": 4, "url": "http://x/api/v2/triggers/4.json", "title": "Old", "raw_title": "Old",
            "active": true, "position": 1, "default": true, "description": null,
            "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}], "any": []},
            "actions": [{"field": "status", "value": "pending"}]
        });
        let updated = RuleDefinition::parse_update(
            RuleKind::Trigger,
            &stored,
            &object(json!({"title": "New", "active": false, "default": false, "id": 4})),
            &vocabulary(),
        )
        .unwrap();
        assert_eq!(
            (updated.title.as_str(), updated.raw_title.as_str()),
            ("New", "New")
        );
        assert!(!updated.active);
        // `default` is read-only: the stored value stays.
        assert!(updated.default);
        assert_eq!(updated.position, Some(1));
        assert_eq!(updated.actions.len(), 1);
    }

    #[test]
    fn rules_run_by_position_then_id_and_only_when_active() {
        let rule = |id: i64, position: Option<i64>, active: bool| {
            let mut definition = new_trigger(json!({"title": format!("r{id}"),
                "conditions": {"all": [{"field": "status", "operator": "is", "value": "open"}]},
                "actions": [{"field": "status", "value": "pending"}]}))
            .unwrap();
            definition.position = position;
            definition.active = active;
            Rule { id, definition }
        };
        let rules = [
            rule(1, None, true),
            rule(2, Some(5), true),
            rule(3, Some(1), true),
            rule(4, Some(5), true),
            rule(5, Some(0), false),
        ];
        let order: Vec<i64> = running_order(&rules).iter().map(|r| r.id).collect();
        assert_eq!(order, [3, 2, 4, 1]);
    }

    #[test]
    fn the_audit_via_names_the_rule() {
        let reference = RuleRef {
            kind: RuleKind::Trigger,
            id: 12,
            title: "Page on urgent".into(),
        };
        assert_eq!(
            reference.via(),
            json!({"channel": "rule", "source": {"to": {}, "from": {"id": 12, "title": "Page on urgent"}, "rel": "trigger"}})
        );
    }
}
