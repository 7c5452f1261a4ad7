//! `client.groups()`: list (cursor) and show.

use reqwest::Method;
use zendesk_types::{Group, GroupId, Single};

use crate::client::{Client, NO_QUERY};
use crate::error::Result;
use crate::paging::{ListRequest, Paging};

/// Group requests. Get one with [`Client::groups`].
#[derive(Debug, Clone, Copy)]
pub struct GroupsHandler<'a> {
    client: &'a Client,
}

impl Client {
    /// Group requests.
    pub fn groups(&self) -> GroupsHandler<'_> {
        GroupsHandler { client: self }
    }
}

impl GroupsHandler<'_> {
    /// `GET /groups`, cursor paging.
    pub fn list(&self) -> ListRequest<Group> {
        self.client.list("/groups", Paging::Cursor)
    }

    /// `GET /groups/{id}`.
    pub async fn show(&self, id: GroupId) -> Result<Group> {
        let single: Single<Group> = self
            .client
            .send(Method::GET, &format!("/groups/{id}"), NO_QUERY, None::<&()>)
            .await?;
        Ok(single.record)
    }
}
