//! The group record (agents are assigned tickets through groups) and group memberships (which
//! agent is in which group).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{GroupId, GroupMembershipId, UserId};

/// A group, as `GET /api/v2/groups/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub id: GroupId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub is_public: bool,
    #[serde(default)]
    pub default: bool,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A group membership: one agent in one group, as `GET /api/v2/group_memberships` lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupMembership {
    pub id: GroupMembershipId,
    #[serde(default)]
    pub url: Option<String>,
    pub user_id: UserId,
    pub group_id: GroupId,
    /// Whether tickets assigned straight to the agent land in this group.
    #[serde(default)]
    pub default: bool,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
