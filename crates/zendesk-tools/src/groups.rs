//! Groups and group memberships (additions beyond the seed): who can be assigned where. A
//! ticket's `groupId` names a group; its `assigneeId` should be an agent of that group.

use std::collections::HashMap;

use serde_json::{Value, json};
use zendesk::Detached;
use zendesk_types::{GroupId, UserId};

use crate::Tool;
use crate::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::Plan;
use crate::spec::*;

fn paging_params(what: &'static str) -> Vec<ParamSpec> {
    vec![
        optional("perPage", what),
        optional(
            "pageAfter",
            "Cursor from a previous response to fetch the next page of results",
        ),
        fields_param(),
    ]
}

pub(crate) fn get_groups() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_groups",
            description: "List the groups agents work in (id, name, description, default), to assign a ticket to a group with groupId; zendesk_get_group_memberships says which agents are in each",
            params: with_credentials(
                Subdomain::Plain,
                paging_params(
                    "Groups per page as a number string (default: \"100\", max: \"100\")",
                ),
            ),
            outputs: vec![
                nested("groups", "array", "The groups", group_fields()),
                nested(
                    "paging",
                    "object",
                    "Cursor-based pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
            ],
            annotations: READ_ONLY,
        },
        plan_get_groups,
    )
}

pub(crate) fn get_group_memberships() -> Tool {
    let mut params = vec![
        optional(
            "groupId",
            "List the agents of this group, as a numeric string (e.g., \"67890\")",
        ),
        optional(
            "userId",
            "List the groups of this agent, as a numeric string (e.g., \"12345\")",
        ),
    ];
    params.extend(paging_params(
        "Memberships per page as a number string (default: \"100\", max: \"100\")",
    ));
    Tool::new(
        ToolSpec {
            id: "zendesk_get_group_memberships",
            description: "List which agents belong to which groups, with the agent's and group's names: the agents of one group (groupId), the groups of one agent (userId), or every membership. A ticket's assigneeId should be an agent of its groupId",
            params: with_credentials(Subdomain::Plain, params),
            outputs: vec![
                nested(
                    "group_memberships",
                    "array",
                    "The memberships",
                    group_membership_fields(),
                ),
                nested(
                    "paging",
                    "object",
                    "Cursor-based pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
            ],
            annotations: READ_ONLY,
        },
        plan_get_group_memberships,
    )
}

fn plan_get_groups(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields(&keys_of(&group_fields()))?;
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

fn plan_get_group_memberships(p: &Params) -> Result<Plan, ToolError> {
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
    let fields = p.fields(&keys_of(&group_membership_fields()))?;
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
