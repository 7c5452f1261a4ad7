//! Triggers and automations as records: what a create, update, delete, `update_many`,
//! `destroy_many` and (triggers) `reorder` do and refuse, as plain functions over a write
//! transaction. A definition is checked against what the account holds (`account::vocabulary`)
//! with Zendesk's 422 naming the field; every change gives the rules a fresh stamp, so each
//! process parses its triggers again before the next ticket write.
//!
//! Also the standard triggers every account starts with, made once per account.

use serde_json::{Map, Value, json};

use super::account::{self, sandbox_now};
use super::automations::MAX_ACTIVE_AUTOMATIONS;
use super::refusal::RuleError;
use super::rule::RuleDefinition;
use super::standard_triggers::{CATEGORY_NAME, standard_triggers};
use super::vocabulary::RuleKind;
use crate::error::ApiError;
use crate::resources::fetch;
use crate::resources::input::as_id;
use crate::store::{Bind, Filter, Reader, Table, Writer};
use crate::util::iso;

/// The most rules one `update_many`, `destroy_many` or `reorder` names.
pub const MAX_BULK_RULES: usize = zendesk_types::limits::MAX_BULK_ITEMS;

/// The table a kind of rule lives in.
pub fn table(kind: RuleKind) -> Table {
    match kind {
        RuleKind::Trigger => Table::Triggers,
        RuleKind::Automation => Table::Automations,
    }
}

/// A refused definition, as the API answers it.
pub fn refused(error: RuleError) -> ApiError {
    ApiError::Invalid(error.details())
}

/// The sandbox's time, for the records' timestamps.
fn stamp(tx: &mut dyn Reader) -> Result<String, ApiError> {
    Ok(iso(sandbox_now(&tx.sandbox_state()?)))
}

/// Creates a rule from the object inside `{"trigger": ...}` / `{"automation": ...}`. Without a
/// `position` it goes last.
pub fn create(
    tx: &mut dyn Writer,
    kind: RuleKind,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let vocabulary = account::vocabulary(tx)?;
    let mut definition = RuleDefinition::parse_new(kind, input, &vocabulary).map_err(refused)?;
    let table = table(kind);
    if definition.position.is_none() {
        definition.position = Some(tx.last_position(table)? + 1);
    }
    check_places(tx, kind, &definition, None)?;
    let id = tx.allocate_id(table)?;
    let at = stamp(tx)?;
    let record = record(id, &definition, &at, &at);
    tx.save(table, &record)?;
    tx.bump_rules_version()?;
    Ok(record)
}

/// Changes a rule: each field sent replaces the stored one (`conditions` and `actions` whole,
/// as on Zendesk).
pub fn update(
    tx: &mut dyn Writer,
    kind: RuleKind,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let table = table(kind);
    let stored = fetch(tx, table, id)?;
    let vocabulary = account::vocabulary(tx)?;
    let definition =
        RuleDefinition::parse_update(kind, &stored, input, &vocabulary).map_err(refused)?;
    check_places(tx, kind, &definition, Some(id))?;
    let created = stored["created_at"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let record = record(id, &definition, &created, &stamp(tx)?);
    tx.save(table, &record)?;
    tx.bump_rules_version()?;
    Ok(record)
}

/// Deletes a rule (404 when there is none).
pub fn delete(tx: &mut dyn Writer, kind: RuleKind, id: i64) -> Result<(), ApiError> {
    let table = table(kind);
    fetch(tx, table, id)?;
    tx.delete_row(table, id)?;
    tx.bump_rules_version()?;
    Ok(())
}

/// Deletes every rule of `ids`, or none when one does not exist.
pub fn destroy_many(tx: &mut dyn Writer, kind: RuleKind, ids: &[i64]) -> Result<(), ApiError> {
    check_count(ids.len(), "ids")?;
    let table = table(kind);
    for id in ids {
        missing(tx, kind, *id, "ids")?;
    }
    for id in ids {
        tx.delete_row(table, *id)?;
    }
    tx.bump_rules_version()?;
    Ok(())
}

/// `PUT /{rules}/update_many`: `[{"id", "position", "active", "category_id" (triggers)}]`,
/// all or none. Answers the rules as changed.
pub fn update_many(
    tx: &mut dyn Writer,
    kind: RuleKind,
    items: &[Value],
) -> Result<Vec<Value>, ApiError> {
    check_count(items.len(), kind.plural())?;
    let allowed: &[&str] = match kind {
        RuleKind::Trigger => &["id", "position", "active", "category_id"],
        RuleKind::Automation => &["id", "position", "active"],
    };
    let table = table(kind);
    let vocabulary = account::vocabulary(tx)?;
    let mut updated = Vec::with_capacity(items.len());
    for item in items {
        let Some(object) = item.as_object() else {
            return Err(bulk_error(
                kind,
                format!(
                    "every item is an object such as {{\"id\": 25, \"position\": 3}}, got {item}"
                ),
            ));
        };
        if let Some(other) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(bulk_error(
                kind,
                format!(
                    "`{other}` cannot be changed here: update_many changes {}; change the rest with PUT /api/v2/{}/{{id}}",
                    allowed[1..].join(", "),
                    kind.plural()
                ),
            ));
        }
        let id = object.get("id").and_then(as_id).ok_or_else(|| {
            bulk_error(
                kind,
                format!("every item needs the `id` of a {}, got {item}", kind.noun()),
            )
        })?;
        let stored = missing(tx, kind, id, kind.plural())?;
        let mut changes = object.clone();
        changes.remove("id");
        let definition =
            RuleDefinition::parse_update(kind, &stored, &changes, &vocabulary).map_err(refused)?;
        check_places(tx, kind, &definition, Some(id))?;
        let created = stored["created_at"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let record = record(id, &definition, &created, &stamp(tx)?);
        tx.save(table, &record)?;
        updated.push(record);
    }
    tx.bump_rules_version()?;
    Ok(updated)
}

/// `PUT /triggers/reorder` with `{"trigger_ids": [...]}`: the triggers named take positions
/// 1, 2, 3... in that order.
pub fn reorder(tx: &mut dyn Writer, ids: &[i64]) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Err(ApiError::invalid(
            "trigger_ids",
            "Trigger ids: give the triggers' ids in their new firing order, such as {\"trigger_ids\": [25, 23]}",
            "BlankValue",
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(twice) = ids.iter().find(|id| !seen.insert(**id)) {
        return Err(ApiError::invalid(
            "trigger_ids",
            format!("Trigger ids: trigger {twice} is named twice"),
            "InvalidValue",
        ));
    }
    let mut records = Vec::with_capacity(ids.len());
    for id in ids {
        records.push(missing(tx, RuleKind::Trigger, *id, "trigger_ids")?);
    }
    let at = stamp(tx)?;
    for (index, mut record) in records.into_iter().enumerate() {
        record["position"] = json!(index as i64 + 1);
        record["updated_at"] = json!(at);
        tx.save(Table::Triggers, &record)?;
    }
    tx.bump_rules_version()?;
    Ok(())
}

/// Makes the standard triggers (in their category) the first time an account is opened, and
/// never again: deleting them later does not bring them back. Answers whether it made them.
pub fn ensure_standard_triggers(tx: &mut dyn Writer) -> Result<bool, ApiError> {
    let state = tx.sandbox_state()?;
    if state.standard_triggers_at.is_some() {
        return Ok(false);
    }
    let now = sandbox_now(&state);
    let at = iso(now);
    let category_id = tx.allocate_id(Table::TriggerCategories)?;
    let position = tx.last_position(Table::TriggerCategories)? + 1;
    let category = json!({"id": category_id, "name": CATEGORY_NAME, "position": position,
                          "created_at": at, "updated_at": at});
    tx.save(Table::TriggerCategories, &category)?;
    let vocabulary = account::vocabulary(tx)?;
    for mut body in standard_triggers() {
        body["category_id"] = json!(category_id.to_string());
        let input = body.as_object().cloned().unwrap_or_default();
        let mut definition =
            RuleDefinition::parse_new(RuleKind::Trigger, &input, &vocabulary).map_err(refused)?;
        definition.default = true;
        let id = tx.allocate_id(Table::Triggers)?;
        tx.save(Table::Triggers, &record(id, &definition, &at, &at))?;
    }
    tx.mark_standard_triggers(now)?;
    tx.bump_rules_version()?;
    Ok(true)
}

/// The stored record: the definition's fields, its id and timestamps.
fn record(id: i64, definition: &RuleDefinition, created: &str, updated: &str) -> Value {
    let mut record = Map::new();
    record.insert("id".into(), json!(id));
    record.extend(definition.to_fields());
    record.insert("created_at".into(), json!(created));
    record.insert("updated_at".into(), json!(updated));
    Value::Object(record)
}

/// A trigger's category must exist; an account has at most 500 active automations.
fn check_places(
    tx: &mut dyn Reader,
    kind: RuleKind,
    definition: &RuleDefinition,
    id: Option<i64>,
) -> Result<(), ApiError> {
    if let Some(category) = &definition.category_id {
        let known = category
            .parse::<i64>()
            .ok()
            .map(|c| tx.record(Table::TriggerCategories, c))
            .transpose()?
            .flatten()
            .is_some();
        if !known {
            return Err(refused(RuleError::invalid(
                "category_id",
                format!(
                    "Category: no trigger category has id {category}; list them with GET /api/v2/trigger_categories"
                ),
            )));
        }
    }
    if kind == RuleKind::Automation && definition.active {
        let mut filters = vec![Filter::Eq("active", Bind::Int(1))];
        if let Some(id) = id {
            filters.push(Filter::Ne("id", Bind::Int(id)));
        }
        if tx.count(Table::Automations, &filters)? >= MAX_ACTIVE_AUTOMATIONS as i64 {
            return Err(refused(RuleError::invalid(
                "active",
                format!(
                    "Active: an account has at most {MAX_ACTIVE_AUTOMATIONS} active automations; deactivate one first"
                ),
            )));
        }
    }
    Ok(())
}

/// The stored rule `id` a bulk call names, or a 422 naming it.
fn missing(tx: &mut dyn Reader, kind: RuleKind, id: i64, field: &str) -> Result<Value, ApiError> {
    tx.record(table(kind), id)?.ok_or_else(|| {
        ApiError::invalid(
            field,
            format!(
                "{field}: no {} has id {id}; list them with GET /api/v2/{}",
                kind.noun(),
                kind.plural()
            ),
            "InvalidValue",
        )
    })
}

fn check_count(count: usize, field: &str) -> Result<(), ApiError> {
    if count > MAX_BULK_RULES {
        return Err(ApiError::invalid(
            field,
            format!("{field}: at most {MAX_BULK_RULES} in one call, got {count}"),
            "TooManyValues",
        ));
    }
    Ok(())
}

fn bulk_error(kind: RuleKind, description: String) -> ApiError {
    ApiError::invalid(kind.plural(), description, "InvalidValue")
}

/// A trigger category from `{"trigger_category": {"name", "position"}}`; `stored` is the
/// category an update changes. Ids are answered as strings, as Zendesk does.
fn category_record(
    tx: &mut dyn Writer,
    input: &Map<String, Value>,
    stored: Option<&Value>,
) -> Result<Value, ApiError> {
    if let Some(other) = input
        .keys()
        .find(|k| !["name", "position"].contains(&k.as_str()))
    {
        return Err(category_error(format!(
            "`{other}` is not a field of a trigger category; send name and position"
        )));
    }
    let name = match (input.get("name"), stored) {
        (Some(Value::String(name)), _) if !name.trim().is_empty() => name.trim().to_string(),
        (None, Some(stored)) => stored["name"].as_str().unwrap_or_default().to_string(),
        (got, _) => {
            return Err(category_error(format!(
                "name is required: the category's name as text, such as \"Escalations\"; got {}",
                got.map_or("nothing".to_string(), Value::to_string)
            )));
        }
    };
    let position = match (input.get("position"), stored) {
        (Some(value), _) => value.as_i64().filter(|p| *p >= 0).ok_or_else(|| {
            category_error(format!(
                "position must be a whole number from 0, such as 2; got {value}"
            ))
        })?,
        (None, Some(stored)) => stored["position"].as_i64().unwrap_or(0),
        (None, None) => tx.last_position(Table::TriggerCategories)? + 1,
    };
    let at = stamp(tx)?;
    let id = match stored {
        Some(stored) => stored["id"].as_i64().unwrap_or_default(),
        None => tx.allocate_id(Table::TriggerCategories)?,
    };
    let created = stored
        .and_then(|s| s["created_at"].as_str())
        .map_or(at.clone(), str::to_string);
    Ok(
        json!({"id": id, "name": name, "position": position, "created_at": created,
              "updated_at": at}),
    )
}

/// `POST /trigger_categories`.
pub fn create_category(tx: &mut dyn Writer, input: &Map<String, Value>) -> Result<Value, ApiError> {
    let record = category_record(tx, input, None)?;
    tx.save(Table::TriggerCategories, &record)?;
    tx.bump_rules_version()?;
    Ok(record)
}

/// `PATCH /trigger_categories/{id}`: name and position.
pub fn update_category(
    tx: &mut dyn Writer,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let stored = fetch(tx, Table::TriggerCategories, id)?;
    let record = category_record(tx, input, Some(&stored))?;
    tx.save(Table::TriggerCategories, &record)?;
    tx.bump_rules_version()?;
    Ok(record)
}

/// `DELETE /trigger_categories/{id}`: only an empty category (Zendesk refuses to orphan its
/// triggers).
pub fn delete_category(tx: &mut dyn Writer, id: i64) -> Result<(), ApiError> {
    fetch(tx, Table::TriggerCategories, id)?;
    let held = tx.count(
        Table::Triggers,
        &[Filter::Eq("category_id", Bind::Text(id.to_string()))],
    )?;
    if held > 0 {
        return Err(ApiError::Errors {
            status: axum::http::StatusCode::BAD_REQUEST,
            code: "CategoryNotEmpty",
            title: format!(
                "Category {id} holds {held} triggers: move them to another category (PUT /api/v2/triggers/update_many) or delete them first"
            ),
        });
    }
    tx.delete_row(Table::TriggerCategories, id)?;
    tx.bump_rules_version()?;
    Ok(())
}

/// A category as answered: its id as a string.
pub fn category_view(mut record: Value) -> Value {
    if let Some(id) = record["id"].as_i64() {
        record["id"] = json!(id.to_string());
    }
    record
}

fn category_error(title: String) -> ApiError {
    ApiError::Errors {
        status: axum::http::StatusCode::BAD_REQUEST,
        code: "InvalidTriggerCategory",
        title,
    }
}
