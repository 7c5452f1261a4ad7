//! Groups: create, update, delete (soft, as Zendesk does). Only admins write.

use serde_json::{Map, Value, json};

use super::input::{opt_bool, opt_str};
use super::{fetch, required_text};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Table, Writer};
use crate::util::{iso, now};

fn apply(group: &mut Value, input: &Map<String, Value>, creating: bool) -> Result<(), ApiError> {
    if let Some(name) = required_text(input, "name", creating)? {
        group["name"] = json!(name.trim());
    }
    if let Some(description) = opt_str(input, "description")? {
        group["description"] = json!(description.unwrap_or_default());
    }
    if let Some(public) = opt_bool(input, "is_public")? {
        group["is_public"] = json!(public);
    }
    Ok(())
}

/// Creates one group.
pub fn create(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let at = iso(now());
    let id = tx.allocate_id(Table::Groups)?;
    let mut group = json!({
        "id": id, "is_public": true, "name": "", "description": "", "default": false,
        "deleted": false, "created_at": at, "updated_at": at
    });
    apply(&mut group, input, true)?;
    tx.save(Table::Groups, &group)?;
    Ok(group)
}

/// Updates one group.
pub fn update(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let mut group = fetch(tx, Table::Groups, id)?;
    apply(&mut group, input, false)?;
    group["updated_at"] = json!(iso(now()));
    tx.save(Table::Groups, &group)?;
    Ok(group)
}

/// Soft-deletes one group.
pub fn delete(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    caller.require_admin()?;
    let mut group = fetch(tx, Table::Groups, id)?;
    super::group_memberships::delete_all_of_group(tx, caller, id)?;
    group["deleted"] = json!(true);
    group["updated_at"] = json!(iso(now()));
    tx.save(Table::Groups, &group)?;
    Ok(())
}
