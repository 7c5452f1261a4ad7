//! Who a macro or a view belongs to (its `restriction`), as Zendesk has it: `null` is shared with
//! every agent, `{"type": "User", "id": N}` is N's personal one, `{"type": "Group", "ids": [..]}`
//! belongs to the agents of those groups. Admins see and change every one; an agent sees the
//! shared ones, their own and their groups', and creates and changes only personal ones (a new
//! macro or view of an agent is theirs).

use serde_json::{Map, Value, json};

use crate::caller::{Caller, Role};
use crate::error::ApiError;
use crate::resources::input::as_id;
use crate::store::{Bind, Filter, Reader, Table, Writer};

/// The groups `user_id` is a member of.
pub fn groups_of(tx: &mut dyn Reader, user_id: i64) -> Result<Vec<i64>, ApiError> {
    let memberships = tx.find(
        Table::GroupMemberships,
        &[Filter::Eq("user_id", Bind::Int(user_id))],
        1_000,
    )?;
    Ok(memberships
        .iter()
        .filter_map(|m| m["group_id"].as_i64())
        .collect())
}

/// The list conditions that keep what `caller` may see (nothing for admins).
pub fn visible_filter(caller: &Caller, groups: &[i64]) -> Option<Filter> {
    if caller.role == Role::Admin {
        return None;
    }
    let mut any = vec![
        Filter::All(vec![
            Filter::Null("restricted_user_id"),
            Filter::Null("restricted_group_ids"),
        ]),
        Filter::Eq("restricted_user_id", Bind::Int(caller.id)),
    ];
    for group in groups {
        any.push(Filter::Like("restricted_group_ids", format!("%,{group},%")));
    }
    Some(Filter::Any(any))
}

/// Whether `caller` may see (and use) this macro or view.
pub fn can_see(caller: &Caller, groups: &[i64], record: &Value) -> bool {
    if caller.role == Role::Admin {
        return true;
    }
    let (user, group_ids) = crate::store::restriction_columns(record);
    match (user, group_ids) {
        (None, None) => true,
        (Some(user), _) => user == caller.id,
        (None, Some(ids)) => groups.iter().any(|g| ids.contains(&format!(",{g},"))),
    }
}

/// The macro or view `id` of `table` when `caller` may see it; else 404, as for one that does
/// not exist.
pub fn fetch_visible(
    tx: &mut dyn Reader,
    caller: &Caller,
    table: Table,
    id: i64,
) -> Result<Value, ApiError> {
    let record = crate::resources::fetch(tx, table, id)?;
    let groups = groups_of(tx, caller.id)?;
    if !can_see(caller, &groups, &record) {
        return Err(ApiError::NotFound);
    }
    Ok(record)
}

/// Deletes the macro or view `id` of `table` (`what` names it in a refusal): agents only their
/// own personal ones.
pub fn delete(
    tx: &mut dyn Writer,
    caller: &Caller,
    table: Table,
    what: &str,
    id: i64,
) -> Result<(), ApiError> {
    caller.require_agent()?;
    let record = fetch_visible(tx, caller, table, id)?;
    check_owner(caller, &record, what)?;
    tx.delete_row(table, id)?;
    Ok(())
}

/// Refuses a change by an agent to a macro or view that is not their own personal one.
pub fn check_owner(caller: &Caller, record: &Value, what: &str) -> Result<(), ApiError> {
    if caller.role == Role::Admin {
        return Ok(());
    }
    match crate::store::restriction_columns(record) {
        (Some(user), _) if user == caller.id => Ok(()),
        _ => Err(ApiError::ForbiddenBecause(format!(
            "an agent may change only their own personal {what}s; this one is shared: ask an admin"
        ))),
    }
}

/// The `restriction` a create or update asks for, as stored: `null` (shared), a user's, or
/// groups'. An agent's new record is personal; an agent may not share one or give it away.
pub fn read(
    tx: &mut dyn Reader,
    caller: &Caller,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<Option<Value>, ApiError> {
    let requested = match input.get("restriction") {
        None if creating => Value::Null,
        None => return Ok(None),
        Some(value) => value.clone(),
    };
    let restriction = match &requested {
        Value::Null => Value::Null,
        Value::Object(map) if map.is_empty() => Value::Null,
        Value::Object(map) => {
            let kind = map.get("type").and_then(Value::as_str).unwrap_or_default();
            let mut ids: Vec<i64> = map
                .get("ids")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(as_id).collect())
                .unwrap_or_default();
            if let Some(id) = map.get("id").and_then(as_id)
                && !ids.contains(&id)
            {
                ids.insert(0, id);
            }
            match (kind, ids.as_slice()) {
                ("User", [id]) => {
                    crate::resources::check_ref(
                        tx,
                        "restriction",
                        "Restriction",
                        Table::Users,
                        Some(*id),
                    )?;
                    json!({"type": "User", "id": id, "ids": [id]})
                }
                ("Group", [first, ..]) => {
                    for group in &ids {
                        crate::resources::check_ref(
                            tx,
                            "restriction",
                            "Restriction",
                            Table::Groups,
                            Some(*group),
                        )?;
                    }
                    json!({"type": "Group", "id": first, "ids": ids})
                }
                _ => return Err(invalid(&requested)),
            }
        }
        _ => return Err(invalid(&requested)),
    };
    if caller.role == Role::Admin {
        return Ok(Some(restriction));
    }
    match &restriction {
        // An agent's new record is theirs.
        Value::Null if creating && input.get("restriction").is_none() => {
            Ok(Some(json!({"type": "User", "id": caller.id, "ids": [caller.id]})))
        }
        Value::Object(_) if restriction["type"] == "User" && restriction["id"] == caller.id => {
            Ok(Some(restriction))
        }
        _ => Err(ApiError::ForbiddenBecause(
            "an agent may only keep this personal (restriction {\"type\": \"User\", \"id\": <your id>}); sharing it is for admins"
                .into(),
        )),
    }
}

fn invalid(value: &Value) -> ApiError {
    ApiError::invalid(
        "restriction",
        format!(
            "Restriction: must be null (every agent), {{\"type\": \"User\", \"id\": 123}} or {{\"type\": \"Group\", \"ids\": [456]}}, got {value}"
        ),
        "InvalidValue",
    )
}
