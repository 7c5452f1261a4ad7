//! `client.users()`: list (cursor, by role / permission set), show, me, search (offset, by
//! query or external_id), create, create_many, update, update_many, delete.

use reqwest::Method;
use serde::Serialize;
use zendesk_types::{JobStatus, Single, User, UserId, UserRole};

use super::{check_bulk, choices, items_with_ids, join_ids, keyed, normalized};
use crate::client::{Client, NO_QUERY};
use crate::error::Result;
use crate::paging::{ListRequest, Paging};

/// User requests. Get one with [`Client::users`].
#[derive(Debug, Clone, Copy)]
pub struct UsersHandler<'a> {
    client: &'a Client,
}

impl Client {
    /// User requests.
    pub fn users(&self) -> UsersHandler<'_> {
        UsersHandler { client: self }
    }
}

impl UsersHandler<'_> {
    /// `GET /users`, cursor paging, optionally filtered by `role` (`end-user`, `agent`,
    /// `admin`; case and spaces ignored, anything else refused on send) and `permission_set`
    /// (a custom role's ID).
    pub fn list(&self, role: Option<&str>, permission_set: Option<u64>) -> ListRequest<User> {
        let mut request = self.client.list("/users", Paging::Cursor);
        if let Some(role) = role.and_then(normalized) {
            request = match role.parse::<UserRole>() {
                Ok(role) => request.param("role", role.as_str()),
                Err(_) => request.fail(format!(
                    "role {role:?} is not valid: expected {}",
                    choices(UserRole::KNOWN)
                )),
            };
        }
        if let Some(set) = permission_set {
            request = request.param("permission_set", set.to_string());
        }
        request
    }

    /// `GET /users/{id}`.
    pub async fn show(&self, id: UserId) -> Result<User> {
        self.single(Method::GET, &format!("/users/{id}")).await
    }

    /// `GET /users/me`: the authenticated user (an anonymous user without credentials).
    pub async fn me(&self) -> Result<User> {
        self.single(Method::GET, "/users/me").await
    }

    /// `GET /users/search`, offset paging, by `query` (Zendesk search syntax, partial match on
    /// name, email, notes, phone) and/or `external_id`. At least one must be non-empty
    /// (refused on send otherwise).
    pub fn search(&self, query: Option<&str>, external_id: Option<&str>) -> ListRequest<User> {
        let query = query.map(str::trim).filter(|q| !q.is_empty());
        let external_id = external_id.map(str::trim).filter(|q| !q.is_empty());
        let mut request = self.client.list("/users/search", Paging::Offset);
        if let Some(query) = query {
            request = request.param("query", query);
        }
        if let Some(external_id) = external_id {
            request = request.param("external_id", external_id);
        }
        if query.is_none() && external_id.is_none() {
            request = request
                .fail("search users needs a query or an external_id; both are empty".to_owned());
        }
        request
    }

    /// `POST /users` with `{"user": user}` (only `name` is required by Zendesk).
    pub async fn create<B: Serialize + ?Sized>(&self, user: &B) -> Result<User> {
        let single: Single<User> = self
            .client
            .send(Method::POST, "/users", NO_QUERY, Some(&keyed("user", user)))
            .await?;
        Ok(single.record)
    }

    /// `POST /users/create_many` with `{"users": [...]}` (1 to 100); answers the job status.
    pub async fn create_many<B: Serialize>(&self, users: &[B]) -> Result<JobStatus> {
        check_bulk("create many users", users.len())?;
        let single: Single<JobStatus> = self
            .client
            .send(
                Method::POST,
                "/users/create_many",
                NO_QUERY,
                Some(&keyed("users", users)),
            )
            .await?;
        Ok(single.record)
    }

    /// `PUT /users/{id}` with `{"user": changes}`.
    pub async fn update<B: Serialize + ?Sized>(&self, id: UserId, changes: &B) -> Result<User> {
        let single: Single<User> = self
            .client
            .send(
                Method::PUT,
                &format!("/users/{id}"),
                NO_QUERY,
                Some(&keyed("user", changes)),
            )
            .await?;
        Ok(single.record)
    }

    /// `PUT /users/update_many` with `{"users": [{"id": 1, ...}, ...]}`: one change per user
    /// (1 to 100). Every item needs a positive integer `id` (string digits are converted).
    pub async fn update_many<B: Serialize>(&self, users: &[B]) -> Result<JobStatus> {
        let items = items_with_ids("update many users", users)?;
        let single: Single<JobStatus> = self
            .client
            .send(
                Method::PUT,
                "/users/update_many",
                NO_QUERY,
                Some(&keyed("users", &items)),
            )
            .await?;
        Ok(single.record)
    }

    /// `PUT /users/update_many?ids=...` with `{"user": changes}`: the same change to every
    /// user (1 to 100 IDs).
    pub async fn update_many_same<B: Serialize + ?Sized>(
        &self,
        ids: &[UserId],
        changes: &B,
    ) -> Result<JobStatus> {
        let ids = join_ids("update many users", ids)?;
        let single: Single<JobStatus> = self
            .client
            .send(
                Method::PUT,
                "/users/update_many",
                &[("ids", ids)],
                Some(&keyed("user", changes)),
            )
            .await?;
        Ok(single.record)
    }

    /// `DELETE /users/{id}`: Zendesk answers 200 with the user, now `active: false`.
    pub async fn delete(&self, id: UserId) -> Result<User> {
        self.single(Method::DELETE, &format!("/users/{id}")).await
    }

    async fn single(&self, method: Method, path: &str) -> Result<User> {
        let single: Single<User> = self
            .client
            .send(method, path, NO_QUERY, None::<&()>)
            .await?;
        Ok(single.record)
    }
}
