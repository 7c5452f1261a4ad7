//! Who an answer is for: the signed-in user a request reads as ([`Audience`]: what they are
//! shown of each record), and side-loads (`?include=users`), the records listed records refer
//! to, shown to the same audience.

use serde_json::Value;

use super::http::Params;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Bind, Filter, Store, Table};

/// The signed-in user an answer is for, and what they are shown of the records they may read
/// (`permissions::view`): agents see records whole; end-users without agents' annotations and
/// internal custom fields.
#[derive(Clone)]
pub struct Audience {
    caller: Caller,
    /// Custom ticket fields visible in the help center (loaded for end-users only).
    portal_fields: Vec<i64>,
    /// The end-user's tickets whose description is an internal note (see `permissions::view`).
    private_descriptions: Vec<i64>,
}

impl Audience {
    pub async fn of(store: &Store, caller: &Caller) -> Result<Audience, ApiError> {
        if caller.is_agent() {
            return Ok(Audience {
                caller: caller.clone(),
                portal_fields: Vec::new(),
                private_descriptions: Vec::new(),
            });
        }
        let requester = caller.id;
        let (portal_fields, private_descriptions) = store
            .read(move |reader| {
                let ids = |records: Vec<Value>, keep: fn(&Value) -> bool| -> Vec<i64> {
                    records
                        .iter()
                        .filter(|r| keep(r))
                        .filter_map(|r| r["id"].as_i64())
                        .collect()
                };
                let fields = reader.find(
                    Table::TicketFields,
                    &[Filter::Live(Table::TicketFields)],
                    10_000,
                )?;
                let private = reader.find(
                    Table::Tickets,
                    &[
                        Filter::Eq("requester_id", Bind::Int(requester)),
                        Filter::Eq("description_private", Bind::Int(1)),
                    ],
                    100_000,
                )?;
                Ok::<_, ApiError>((
                    ids(fields, |f| f["visible_in_portal"] == true),
                    ids(private, |_| true),
                ))
            })
            .await?;
        Ok(Audience {
            caller: caller.clone(),
            portal_fields,
            private_descriptions,
        })
    }

    /// Whether records are shown as stored (the fast path of lists).
    pub fn sees_everything(&self) -> bool {
        self.caller.is_agent()
    }

    /// The record as this audience is shown it.
    pub fn view(&self, table: Table, record: Value) -> Value {
        crate::permissions::view(
            &self.caller,
            table,
            record,
            &crate::permissions::EndUserView {
                portal_fields: &self.portal_fields,
                private_descriptions: &self.private_descriptions,
            },
        )
    }

    /// Whether this audience may read the record at all.
    pub fn can_read(&self, table: Table, record: &Value) -> bool {
        crate::permissions::can_read(&self.caller, table, record)
    }
}

/// A side-load (`?include=users`): records of another resource that listed records refer to,
/// answered beside them under `name`.
#[derive(Clone, Copy)]
pub struct SideLoad {
    /// The `include` value and the answer's key (`users`).
    pub name: &'static str,
    pub table: Table,
    /// The ids a record refers to.
    pub ids: fn(&Value) -> Vec<i64>,
    /// How a side-loaded record is served (its `url` added).
    pub render: fn(Value, &str) -> Value,
}

/// The side-loads `?include=a,b` asks for among those an endpoint offers; others are ignored,
/// as Zendesk ignores them.
pub fn requested_side_loads(params: &Params, offered: &[SideLoad]) -> Vec<SideLoad> {
    let wanted: Vec<String> = params
        .all("include")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_lowercase())
        .collect();
    offered
        .iter()
        .filter(|load| wanted.iter().any(|w| w == load.name))
        .copied()
        .collect()
}

/// The side-loaded lists for `records`, each record once, in id order.
pub async fn side_load(
    store: &Store,
    audience: &Audience,
    loads: &[SideLoad],
    records: &[Value],
    base: &str,
) -> Result<Vec<(String, Value)>, ApiError> {
    let mut wanted: Vec<(SideLoad, Vec<i64>)> = Vec::new();
    for load in loads {
        let mut ids: Vec<i64> = records.iter().flat_map(|r| (load.ids)(r)).collect();
        ids.sort_unstable();
        ids.dedup();
        wanted.push((*load, ids));
    }
    let asked: Vec<(Table, Vec<i64>)> = wanted
        .iter()
        .map(|(l, ids)| (l.table, ids.clone()))
        .collect();
    let found = store
        .read(move |reader| {
            asked
                .iter()
                .map(|(table, ids)| reader.records(*table, ids))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(wanted
        .into_iter()
        .zip(found)
        .map(|((load, _), records)| {
            let rendered = records
                .into_iter()
                .map(|r| (load.render)(audience.view(load.table, r), base))
                .collect();
            (load.name.to_string(), Value::Array(rendered))
        })
        .collect())
}
