//! `client.groups()`: list (cursor) and show.

use reqwest::Method;
use zendesk_types::{Group, GroupId};

use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Request, read_record};

/// Group requests. Get one with [`Client::groups`] or [`Detached::groups`].
#[derive(Debug, Clone)]
pub struct GroupsHandler<C = Client> {
    client: C,
}

impl Client {
    /// Group requests.
    pub fn groups(&self) -> GroupsHandler {
        GroupsHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Group requests as plain values.
    pub fn groups(self) -> GroupsHandler<Detached> {
        GroupsHandler { client: self }
    }
}

impl<C: Clone> GroupsHandler<C> {
    /// `GET /groups`, cursor paging.
    pub fn list(&self) -> ListRequest<Group, C> {
        ListRequest::new(self.client.clone(), "/groups", Paging::Cursor)
    }

    /// `GET /groups/{id}`.
    pub fn show(&self, id: GroupId) -> Request<Group, C> {
        Request::new(
            self.client.clone(),
            Method::GET,
            format!("/groups/{id}"),
            read_record::<Group>,
        )
    }
}
