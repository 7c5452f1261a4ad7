//! `client.group_memberships()`: which agent is in which group, listed for the account, for one
//! group or for one user (cursor paging). `.include("users")` / `.include("groups")` side-load
//! the agents and groups named.

use zendesk_types::{GroupId, GroupMembership, UserId};

use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::Detached;

/// Group membership requests. Get one with [`Client::group_memberships`] or
/// [`Detached::group_memberships`].
#[derive(Debug, Clone)]
pub struct GroupMembershipsHandler<C = Client> {
    client: C,
}

impl Client {
    /// Group membership requests.
    pub fn group_memberships(&self) -> GroupMembershipsHandler {
        GroupMembershipsHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Group membership requests as plain values.
    pub fn group_memberships(self) -> GroupMembershipsHandler<Detached> {
        GroupMembershipsHandler { client: self }
    }
}

impl<C: Clone> GroupMembershipsHandler<C> {
    /// `GET /group_memberships`: every membership of the account.
    pub fn list(&self) -> ListRequest<GroupMembership, C> {
        ListRequest::new(self.client.clone(), "/group_memberships", Paging::Cursor)
    }

    /// `GET /groups/{id}/memberships`: the agents of one group.
    pub fn of_group(&self, group: GroupId) -> ListRequest<GroupMembership, C> {
        ListRequest::new(
            self.client.clone(),
            format!("/groups/{group}/memberships"),
            Paging::Cursor,
        )
    }

    /// `GET /users/{id}/group_memberships`: the groups of one agent.
    pub fn of_user(&self, user: UserId) -> ListRequest<GroupMembership, C> {
        ListRequest::new(
            self.client.clone(),
            format!("/users/{user}/group_memberships"),
            Paging::Cursor,
        )
    }
}
