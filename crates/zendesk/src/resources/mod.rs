//! One handler per Zendesk resource (`client.tickets()`, `client.users()`, ...). Handlers only
//! shape requests (paths, query, body envelopes, Zendesk's limits from `zendesk_types::limits`) and pick the response
//! type; sending, retries and decoding live in `client.rs`, paging in `paging.rs`.

pub mod attachments;
pub mod automations;
pub mod group_memberships;
pub mod groups;
pub mod help_center;
pub mod job_statuses;
pub mod macros;
pub mod organization_fields;
pub mod organizations;
pub mod search;
pub mod ticket_fields;
pub mod tickets;
pub mod triggers;
pub mod users;
pub mod views;
pub mod webhooks;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use zendesk_types::limits::MAX_BULK_ITEMS;

use crate::error::{Error, Result};

/// `{key: value}` without building a `Value` first: how every create/update body is wrapped.
pub(crate) struct Keyed<'a, B: ?Sized> {
    pub key: &'static str,
    pub value: &'a B,
}

impl<B: Serialize + ?Sized> Serialize for Keyed<'_, B> {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.key, self.value)?;
        map.end()
    }
}

pub(crate) fn keyed<'a, B: Serialize + ?Sized>(key: &'static str, value: &'a B) -> Keyed<'a, B> {
    Keyed { key, value }
}

/// Refuses an empty or over-limit bulk request before it is sent.
pub(crate) fn check_bulk(what: &str, count: usize) -> Result<()> {
    if count == 0 {
        return Err(Error::InvalidRequest(format!(
            "{what}: give at least one item"
        )));
    }
    if count > MAX_BULK_ITEMS {
        return Err(Error::InvalidRequest(format!(
            "{what}: at most {MAX_BULK_ITEMS} items per request, got {count}"
        )));
    }
    Ok(())
}

/// `1,2,3` for an `ids=` parameter, after the bulk limits are checked.
pub(crate) fn join_ids<I: std::fmt::Display>(what: &str, ids: &[I]) -> Result<String> {
    check_bulk(what, ids.len())?;
    Ok(ids
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(","))
}

/// Checks each item of an `update_many` list carries a positive integer `id` (Zendesk
/// matches records by it); string digits are turned into numbers.
pub(crate) fn items_with_ids<B: Serialize>(what: &str, items: &[B]) -> Result<Vec<Value>> {
    check_bulk(what, items.len())?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let mut value = serde_json::to_value(item).map_err(|e| {
                Error::InvalidRequest(format!("{what}: item {index} is not JSON: {e}"))
            })?;
            let Value::Object(map) = &mut value else {
                return Err(Error::InvalidRequest(format!(
                    "{what}: item {index} must be an object with an \"id\""
                )));
            };
            let id = match map.get("id") {
                Some(Value::Number(n)) => n.as_u64().filter(|n| *n > 0),
                Some(Value::String(s)) => s.trim().parse::<u64>().ok().filter(|n| *n > 0),
                _ => None,
            };
            let Some(id) = id else {
                return Err(Error::InvalidRequest(format!(
                    "{what}: item {index} needs an \"id\" that is a positive integer such as 12345"
                )));
            };
            map.insert("id".into(), Value::from(id));
            Ok(value)
        })
        .collect()
}

/// `a, b, c or d`: the accepted values in a refusal.
pub(crate) fn choices(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Trimmed and lowercased, or `None` when empty.
pub(crate) fn normalized(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_ascii_lowercase())
}
