//! Group memberships: which agents belong to which groups, so a ticket's group and assignee fit
//! together. Only agents and admins can be members; a user's first membership is their default
//! (and sets the user's `default_group_id`); a pair is unique. Only admins change memberships.

use serde_json::{Map, Value, json};

use super::fetch;
use super::input::opt_id;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Filter, Reader, Table, Writer};
use crate::util::{iso, now};

/// Every membership of a user, by id.
pub fn of_user(tx: &mut dyn Reader, user_id: i64) -> Result<Vec<Value>, ApiError> {
    Ok(tx.find(
        Table::GroupMemberships,
        &[Filter::Eq("user_id", user_id.into())],
        10_000,
    )?)
}

/// Every membership in a group, by id.
pub fn of_group(tx: &mut dyn Reader, group_id: i64) -> Result<Vec<Value>, ApiError> {
    Ok(tx.find(
        Table::GroupMemberships,
        &[Filter::Eq("group_id", group_id.into())],
        10_000,
    )?)
}

/// Makes `membership` the user's default (and the others not), and sets `default_group_id`.
fn set_default(tx: &mut dyn Writer, membership: &Value) -> Result<(), ApiError> {
    let user_id = membership["user_id"].as_i64().unwrap_or_default();
    let at = iso(now());
    for mut other in of_user(tx, user_id)? {
        let is_it = other["id"] == membership["id"];
        if other["default"] != json!(is_it) {
            other["default"] = json!(is_it);
            other["updated_at"] = json!(at);
            tx.save(Table::GroupMemberships, &other)?;
        }
    }
    if let Some(mut user) = tx.record(Table::Users, user_id)? {
        user["default_group_id"] = membership["group_id"].clone();
        user["updated_at"] = json!(at);
        tx.save(Table::Users, &user)?;
    }
    Ok(())
}

/// Adds an agent to a group.
pub fn create(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let Some(user_id) = opt_id(input, "user_id")?.flatten() else {
        return Err(ApiError::invalid(
            "user_id",
            "User: cannot be blank; give the agent's user_id",
            "BlankValue",
        ));
    };
    let Some(group_id) = opt_id(input, "group_id")?.flatten() else {
        return Err(ApiError::invalid(
            "group_id",
            "Group: cannot be blank; give the group_id",
            "BlankValue",
        ));
    };
    let Some(user) = tx.record(Table::Users, user_id)? else {
        return Err(ApiError::invalid(
            "user_id",
            format!("User: no user has id {user_id}"),
            "InvalidValue",
        ));
    };
    if user["role"] == "end-user" {
        return Err(ApiError::invalid(
            "user_id",
            format!("User: {user_id} is an end-user; only agents and admins can be group members"),
            "InvalidValue",
        ));
    }
    super::check_ref(tx, "group_id", "Group", Table::Groups, Some(group_id))?;
    let existing = of_user(tx, user_id)?;
    if existing.iter().any(|m| m["group_id"] == json!(group_id)) {
        return Err(ApiError::invalid(
            "user_id",
            format!("User: {user_id} is already a member of group {group_id}"),
            "DuplicateValue",
        ));
    }
    let wants_default = super::input::opt_bool(input, "default")?.unwrap_or(false);
    let at = iso(now());
    let id = tx.allocate_id(Table::GroupMemberships)?;
    let membership = json!({
        "id": id, "user_id": user_id, "group_id": group_id,
        "default": existing.is_empty(), "created_at": at, "updated_at": at
    });
    tx.save(Table::GroupMemberships, &membership)?;
    if existing.is_empty() || wants_default {
        set_default(tx, &membership)?;
        return fetch(tx, Table::GroupMemberships, id);
    }
    Ok(membership)
}

/// Makes a membership the user's default group.
pub fn make_default(
    tx: &mut dyn Writer,
    caller: &Caller,
    user_id: i64,
    id: i64,
) -> Result<Vec<Value>, ApiError> {
    caller.require_admin()?;
    let membership = fetch(tx, Table::GroupMemberships, id)?;
    if membership["user_id"] != json!(user_id) {
        return Err(ApiError::NotFound);
    }
    set_default(tx, &membership)?;
    of_user(tx, user_id)
}

/// Removes an agent from a group; another membership becomes the default when this was it.
pub fn delete(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    caller.require_admin()?;
    let membership = fetch(tx, Table::GroupMemberships, id)?;
    tx.delete_row(Table::GroupMemberships, id)?;
    if membership["default"] == true {
        let user_id = membership["user_id"].as_i64().unwrap_or_default();
        match of_user(tx, user_id)?.into_iter().next() {
            Some(next) => set_default(tx, &next)?,
            None => {
                if let Some(mut user) = tx.record(Table::Users, user_id)? {
                    user["default_group_id"] = Value::Null;
                    user["updated_at"] = json!(iso(now()));
                    tx.save(Table::Users, &user)?;
                }
            }
        }
    }
    Ok(())
}

/// Removes every membership of a group (the group is being deleted).
pub fn delete_all_of_group(
    tx: &mut dyn Writer,
    caller: &Caller,
    group_id: i64,
) -> Result<(), ApiError> {
    for membership in of_group(tx, group_id)? {
        delete(tx, caller, membership["id"].as_i64().unwrap_or_default())?;
    }
    Ok(())
}
