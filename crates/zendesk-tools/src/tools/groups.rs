//! Groups and group memberships (additions beyond the seed): who can be assigned where. A
//! ticket's `groupId` names a group; its `assigneeId` should be an agent of that group.

use std::collections::HashMap;

use serde_json::{Value, json};
use zendesk::Detached;
use zendesk_types::{GroupId, UserId};

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_groups", get_groups),
    ("zendesk_get_group_memberships", get_group_memberships),
];

fn get_groups(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields()?;
    Plan::records(p.paged(Detached.groups().list())?, "groups", fields)
}

/// Records side-loaded under `key`, by ID.
fn side_loaded(page: &zendesk::Page<Value>, key: &str) -> HashMap<u64, Value> {
    page.side_loads
        .get(key)
        .and_then(Value::as_array)
        .map(|records| {
            records
                .iter()
                .filter_map(|r| Some((r.get("id")?.as_u64()?, r.clone())))
                .collect()
        })
        .unwrap_or_default()
}

fn compact_membership(
    membership: &Value,
    users: &HashMap<u64, Value>,
    groups: &HashMap<u64, Value>,
) -> Value {
    let user_id = membership.get("user_id").and_then(Value::as_u64);
    let group_id = membership.get("group_id").and_then(Value::as_u64);
    let user = user_id.map(|id| {
        let user = users.get(&id);
        json!({
            "id": id,
            "name": user.and_then(|u| u.get("name")),
            "email": user.and_then(|u| u.get("email")),
        })
    });
    let group =
        group_id.map(|id| json!({ "id": id, "name": groups.get(&id).and_then(|g| g.get("name")) }));
    json!({
        "id": membership.get("id"),
        "user_id": user_id,
        "group_id": group_id,
        "default": membership.get("default"),
        "user": user,
        "group": group,
        "created_at": membership.get("created_at"),
    })
}

fn get_group_memberships(p: &Params) -> Result<Plan, ToolError> {
    let handler = Detached.group_memberships();
    let list = match (p.id("groupId")?, p.id("userId")?) {
        (Some(_), Some(_)) => {
            return Err(ToolError::invalid(
                "give groupId (the agents of a group) or userId (the groups of an agent), not both",
            ));
        }
        (Some(group), None) => handler.of_group(GroupId(group)),
        (None, Some(user)) => handler.of_user(UserId(user)),
        (None, None) => handler.list(),
    };
    let fields = p.fields()?;
    let list = list.include("users").include("groups");
    Plan::list(p.paged(list)?, move |mut page| {
        let users = side_loaded(&page, "users");
        let groups = side_loaded(&page, "groups");
        page.items = page
            .items
            .iter()
            .map(|m| compact_membership(m, &users, &groups))
            .collect();
        Ok(output::page(page, "group_memberships", fields.as_deref()))
    })
}
