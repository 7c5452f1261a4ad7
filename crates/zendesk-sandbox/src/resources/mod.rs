//! What each resource does, in Zendesk's words: what a create, update, merge or delete of a
//! ticket, user, organization, field, group, Help Center record, upload or OAuth client does and
//! what it refuses (`routes/tickets.rs` is the HTTP of tickets, `resources/tickets.rs` what a
//! ticket does). A rule is a plain function over a write transaction (`&mut dyn Writer`) and
//! the [`Caller`]; it never sees HTTP. Routes, the job runner and the demo seed all call the
//! same rules, so a bulk job's item behaves exactly like the single request, and a refused rule
//! (an `Err`) rolls its whole transaction back. Zendesk's business rules (macros, views) are
//! `crate::business_rules`.
//!
//! This file holds what several resources share: reading a record or 404, required text,
//! references to live records, unique external ids.

use serde_json::{Map, Value, json};

use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Lookup, Reader, Table, Writer};

pub mod attachments;
pub mod comment_forms;
pub mod credentials;
pub mod field_values;
pub mod group_memberships;
pub mod groups;
pub mod help_center;
pub mod input;
pub mod oauth;
pub mod oauth_clients;
pub mod oauth_grants;
pub mod organization_fields;
pub mod organizations;
pub mod ticket_events;
pub mod ticket_fields;
pub mod tickets;
pub mod users;
pub mod webhooks;

use input::{label, opt_str};

/// One live record, or 404.
pub fn fetch(tx: &mut dyn Reader, table: Table, id: i64) -> Result<Value, ApiError> {
    tx.record(table, id)?.ok_or(ApiError::NotFound)
}

/// A text field a record cannot be without (`name`): the given value when it is not blank;
/// None when absent on an update. Blank, or absent on a create, is `422 BlankValue`.
pub fn required_text(
    input: &Map<String, Value>,
    field: &str,
    creating: bool,
) -> Result<Option<String>, ApiError> {
    match opt_str(input, field)? {
        Some(Some(value)) if !value.trim().is_empty() => Ok(Some(value)),
        None if !creating => Ok(None),
        _ => Err(ApiError::invalid(
            field,
            format!("{}: cannot be blank", label(field)),
            "BlankValue",
        )),
    }
}

/// A reference to another record (`group_id`) must name a live one; `name` starts the error.
pub fn check_ref(
    tx: &mut dyn Reader,
    field: &str,
    name: &str,
    table: Table,
    id: Option<i64>,
) -> Result<(), ApiError> {
    if let Some(id) = id
        && tx.record(table, id)?.is_none()
    {
        return Err(ApiError::invalid(
            field,
            format!("{name}: no {} has id {id}", table.record_name()),
            "InvalidValue",
        ));
    }
    Ok(())
}

/// Applies `external_id` from `input` to `record` (id `id`) of `table`: blank or null clears it;
/// a value another record of the table holds (compared case-insensitively) is refused.
pub fn apply_external_id(
    tx: &mut dyn Writer,
    table: Table,
    record: &mut Value,
    id: i64,
    input: &Map<String, Value>,
) -> Result<(), ApiError> {
    let Some(external) = opt_str(input, "external_id")? else {
        return Ok(());
    };
    match external.filter(|e| !e.is_empty()) {
        None => record["external_id"] = Value::Null,
        Some(external) => {
            if let Some(other) = tx.find_id(table, Lookup::ExternalId, &external)?
                && other != id
            {
                return Err(ApiError::invalid(
                    "external_id",
                    format!("External: {external} has already been taken"),
                    "DuplicateValue",
                ));
            }
            record["external_id"] = json!(external);
        }
    }
    Ok(())
}

/// `{"id": .., ...}` -> the object itself; used by rules that take a request's object.
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// The caller as seen by a rule run for them (kept for messages and audits).
pub fn author(caller: &Caller, requested: Option<i64>) -> i64 {
    requested.filter(|_| caller.is_agent()).unwrap_or(caller.id)
}
