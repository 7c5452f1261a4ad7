//! `client.users()`: list (cursor, by role / permission set), show, me, show_many, search (offset, by
//! query or external_id), create, create_many, update, update_many, delete.

use reqwest::Method;
use serde::Serialize;
use zendesk_types::{JobStatus, User, UserId, UserRole};

use super::{check_bulk, choices, items_with_ids, join_ids, keyed, normalized};
use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_items, read_record};

/// User requests. Get one with [`Client::users`] or [`Detached::users`].
#[derive(Debug, Clone)]
pub struct UsersHandler<C = Client> {
    client: C,
}

impl Client {
    /// User requests.
    pub fn users(&self) -> UsersHandler {
        UsersHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// User requests as plain values.
    pub fn users(self) -> UsersHandler<Detached> {
        UsersHandler { client: self }
    }
}

impl<C: Clone> UsersHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /users`, cursor paging, optionally filtered by `role` (`end-user`, `agent`,
    /// `admin`; case and spaces ignored, anything else refused on send) and `permission_set`
    /// (a custom role's ID).
    pub fn list(&self, role: Option<&str>, permission_set: Option<u64>) -> ListRequest<User, C> {
        let mut request = ListRequest::new(self.client.clone(), "/users", Paging::Cursor);
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
    pub fn show(&self, id: UserId) -> Request<User, C> {
        self.request(Method::GET, format!("/users/{id}"), read_record::<User>)
    }

    /// `GET /users/me`: the authenticated user (an anonymous user without credentials).
    pub fn me(&self) -> Request<User, C> {
        self.request(Method::GET, "/users/me", read_record::<User>)
    }

    /// `GET /users/show_many?ids=...` (at most 100 IDs).
    pub fn show_many(&self, ids: &[UserId]) -> Request<Vec<User>, C> {
        let request = self.request(Method::GET, "/users/show_many", read_items::<User>);
        match join_ids("show many users", ids) {
            Ok(ids) => request.param("ids", ids),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `GET /users/search`, offset paging, by `query` (Zendesk search syntax, partial match on
    /// name, email, notes, phone) and/or `external_id`. At least one must be non-empty
    /// (refused on send otherwise).
    pub fn search(&self, query: Option<&str>, external_id: Option<&str>) -> ListRequest<User, C> {
        let query = query.map(str::trim).filter(|q| !q.is_empty());
        let external_id = external_id.map(str::trim).filter(|q| !q.is_empty());
        let mut request = ListRequest::new(self.client.clone(), "/users/search", Paging::Offset);
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
    pub fn create<B: Serialize + ?Sized>(&self, user: &B) -> Request<User, C> {
        self.request(Method::POST, "/users", read_record::<User>)
            .json(&keyed("user", user))
    }

    /// `POST /users/create_many` with `{"users": [...]}` (1 to 100); answers the job status.
    pub fn create_many<B: Serialize>(&self, users: &[B]) -> Request<JobStatus, C> {
        self.request(Method::POST, "/users/create_many", read_record::<JobStatus>)
            .json(&keyed("users", users))
            .refuse_on(check_bulk("create many users", users.len()))
    }

    /// `PUT /users/{id}` with `{"user": changes}`.
    pub fn update<B: Serialize + ?Sized>(&self, id: UserId, changes: &B) -> Request<User, C> {
        self.request(Method::PUT, format!("/users/{id}"), read_record::<User>)
            .json(&keyed("user", changes))
    }

    /// `PUT /users/update_many` with `{"users": [{"id": 1, ...}, ...]}`: one change per user
    /// (1 to 100). Every item needs a positive integer `id` (string digits are converted).
    pub fn update_many<B: Serialize>(&self, users: &[B]) -> Request<JobStatus, C> {
        let request = self.request(Method::PUT, "/users/update_many", read_record::<JobStatus>);
        match items_with_ids("update many users", users) {
            Ok(items) => request.json(&keyed("users", &items)),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `PUT /users/update_many?ids=...` with `{"user": changes}`: the same change to every
    /// user (1 to 100 IDs).
    pub fn update_many_same<B: Serialize + ?Sized>(
        &self,
        ids: &[UserId],
        changes: &B,
    ) -> Request<JobStatus, C> {
        let request = self
            .request(Method::PUT, "/users/update_many", read_record::<JobStatus>)
            .json(&keyed("user", changes));
        match join_ids("update many users", ids) {
            Ok(ids) => request.param("ids", ids),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `DELETE /users/{id}`: Zendesk answers 200 with the user, now `active: false`.
    pub fn delete(&self, id: UserId) -> Request<User, C> {
        self.request(Method::DELETE, format!("/users/{id}"), read_record::<User>)
    }
}
