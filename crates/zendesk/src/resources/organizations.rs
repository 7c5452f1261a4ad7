//! `client.organizations()`: list (cursor), show, autocomplete (offset, by name prefix),
//! create, create_many, update, update_many, delete.

use reqwest::Method;
use serde::Serialize;
use zendesk_types::{JobStatus, Organization, OrganizationId};

use super::{check_bulk, items_with_ids, keyed};
use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_nothing, read_record};

/// Organization requests. Get one with [`Client::organizations`] or
/// [`Detached::organizations`].
#[derive(Debug, Clone)]
pub struct OrganizationsHandler<C = Client> {
    client: C,
}

impl Client {
    /// Organization requests.
    pub fn organizations(&self) -> OrganizationsHandler {
        OrganizationsHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Organization requests as plain values.
    pub fn organizations(self) -> OrganizationsHandler<Detached> {
        OrganizationsHandler { client: self }
    }
}

impl<C: Clone> OrganizationsHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /organizations`, cursor paging.
    pub fn list(&self) -> ListRequest<Organization, C> {
        ListRequest::new(self.client.clone(), "/organizations", Paging::Cursor)
    }

    /// `GET /organizations/{id}`.
    pub fn show(&self, id: OrganizationId) -> Request<Organization, C> {
        self.request(
            Method::GET,
            format!("/organizations/{id}"),
            read_record::<Organization>,
        )
    }

    /// `GET /organizations/autocomplete?name=`, offset paging: organizations whose name starts
    /// with `name` (case-insensitive). An empty name is refused on send.
    pub fn autocomplete(&self, name: &str) -> ListRequest<Organization, C> {
        let request = ListRequest::new(
            self.client.clone(),
            "/organizations/autocomplete",
            Paging::Offset,
        );
        let name = name.trim();
        if name.is_empty() {
            request.fail("autocomplete organizations needs a name; it is empty".to_owned())
        } else {
            request.param("name", name)
        }
    }

    /// `POST /organizations` with `{"organization": organization}` (`name` required, unique).
    pub fn create<B: Serialize + ?Sized>(&self, organization: &B) -> Request<Organization, C> {
        self.request(Method::POST, "/organizations", read_record::<Organization>)
            .json(&keyed("organization", organization))
    }

    /// `POST /organizations/create_many` with `{"organizations": [...]}` (1 to 100).
    pub fn create_many<B: Serialize>(&self, organizations: &[B]) -> Request<JobStatus, C> {
        self.request(
            Method::POST,
            "/organizations/create_many",
            read_record::<JobStatus>,
        )
        .json(&keyed("organizations", organizations))
        .refuse_on(check_bulk("create many organizations", organizations.len()))
    }

    /// `PUT /organizations/{id}` with `{"organization": changes}` (`domain_names` and `tags`
    /// replace the lists).
    pub fn update<B: Serialize + ?Sized>(
        &self,
        id: OrganizationId,
        changes: &B,
    ) -> Request<Organization, C> {
        self.request(
            Method::PUT,
            format!("/organizations/{id}"),
            read_record::<Organization>,
        )
        .json(&keyed("organization", changes))
    }

    /// `PUT /organizations/update_many` with `{"organizations": [{"id": 1, ...}]}` (1 to 100).
    pub fn update_many<B: Serialize>(&self, organizations: &[B]) -> Request<JobStatus, C> {
        let request = self.request(
            Method::PUT,
            "/organizations/update_many",
            read_record::<JobStatus>,
        );
        match items_with_ids("update many organizations", organizations) {
            Ok(items) => request.json(&keyed("organizations", &items)),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `DELETE /organizations/{id}` (204).
    pub fn delete(&self, id: OrganizationId) -> Request<(), C> {
        self.request(Method::DELETE, format!("/organizations/{id}"), read_nothing)
    }
}
