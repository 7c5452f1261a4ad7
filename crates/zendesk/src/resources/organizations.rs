//! `client.organizations()`: list (cursor), show, autocomplete (offset, by name prefix),
//! create, create_many, update, update_many, delete.

use reqwest::Method;
use serde::Serialize;
use zendesk_types::{JobStatus, Organization, OrganizationId, Single};

use super::{check_bulk, items_with_ids, keyed};
use crate::client::{Client, NO_QUERY};
use crate::error::Result;
use crate::paging::{ListRequest, Paging};

/// Organization requests. Get one with [`Client::organizations`].
#[derive(Debug, Clone, Copy)]
pub struct OrganizationsHandler<'a> {
    client: &'a Client,
}

impl Client {
    /// Organization requests.
    pub fn organizations(&self) -> OrganizationsHandler<'_> {
        OrganizationsHandler { client: self }
    }
}

impl OrganizationsHandler<'_> {
    /// `GET /organizations`, cursor paging.
    pub fn list(&self) -> ListRequest<Organization> {
        self.client.list("/organizations", Paging::Cursor)
    }

    /// `GET /organizations/{id}`.
    pub async fn show(&self, id: OrganizationId) -> Result<Organization> {
        let single: Single<Organization> = self
            .client
            .send(
                Method::GET,
                &format!("/organizations/{id}"),
                NO_QUERY,
                None::<&()>,
            )
            .await?;
        Ok(single.record)
    }

    /// `GET /organizations/autocomplete?name=`, offset paging: organizations whose name starts
    /// with `name` (case-insensitive). An empty name is refused on send.
    pub fn autocomplete(&self, name: &str) -> ListRequest<Organization> {
        let request = self
            .client
            .list("/organizations/autocomplete", Paging::Offset);
        let name = name.trim();
        if name.is_empty() {
            request.fail("autocomplete organizations needs a name; it is empty".to_owned())
        } else {
            request.param("name", name)
        }
    }

    /// `POST /organizations` with `{"organization": organization}` (`name` required, unique).
    pub async fn create<B: Serialize + ?Sized>(&self, organization: &B) -> Result<Organization> {
        let single: Single<Organization> = self
            .client
            .send(
                Method::POST,
                "/organizations",
                NO_QUERY,
                Some(&keyed("organization", organization)),
            )
            .await?;
        Ok(single.record)
    }

    /// `POST /organizations/create_many` with `{"organizations": [...]}` (1 to 100).
    pub async fn create_many<B: Serialize>(&self, organizations: &[B]) -> Result<JobStatus> {
        check_bulk("create many organizations", organizations.len())?;
        let single: Single<JobStatus> = self
            .client
            .send(
                Method::POST,
                "/organizations/create_many",
                NO_QUERY,
                Some(&keyed("organizations", organizations)),
            )
            .await?;
        Ok(single.record)
    }

    /// `PUT /organizations/{id}` with `{"organization": changes}` (`domain_names` and `tags`
    /// replace the lists).
    pub async fn update<B: Serialize + ?Sized>(
        &self,
        id: OrganizationId,
        changes: &B,
    ) -> Result<Organization> {
        let single: Single<Organization> = self
            .client
            .send(
                Method::PUT,
                &format!("/organizations/{id}"),
                NO_QUERY,
                Some(&keyed("organization", changes)),
            )
            .await?;
        Ok(single.record)
    }

    /// `PUT /organizations/update_many` with `{"organizations": [{"id": 1, ...}]}` (1 to 100).
    pub async fn update_many<B: Serialize>(&self, organizations: &[B]) -> Result<JobStatus> {
        let items = items_with_ids("update many organizations", organizations)?;
        let single: Single<JobStatus> = self
            .client
            .send(
                Method::PUT,
                "/organizations/update_many",
                NO_QUERY,
                Some(&keyed("organizations", &items)),
            )
            .await?;
        Ok(single.record)
    }

    /// `DELETE /organizations/{id}` (204).
    pub async fn delete(&self, id: OrganizationId) -> Result<()> {
        let _: serde_json::Value = self
            .client
            .send(
                Method::DELETE,
                &format!("/organizations/{id}"),
                NO_QUERY,
                None::<&()>,
            )
            .await?;
        Ok(())
    }
}
