//! `client.views()`: list (all, active), show, create, update, delete, and running a view: its
//! tickets (a ticket list), its rows (`execute`), and how many tickets it holds (`count`,
//! `count_many`).

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use zendesk_types::{Ticket, View, ViewCount, ViewId};

use super::{join_ids, keyed};
use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_items, read_json, read_nothing, read_record};

/// View requests. Get one with [`Client::views`] or [`Detached::views`].
#[derive(Debug, Clone)]
pub struct ViewsHandler<C = Client> {
    client: C,
}

impl Client {
    /// View requests.
    pub fn views(&self) -> ViewsHandler {
        ViewsHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// View requests as plain values.
    pub fn views(self) -> ViewsHandler<Detached> {
        ViewsHandler { client: self }
    }
}

impl<C: Clone> ViewsHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /views`: the views the user may use, cursor paging.
    pub fn list(&self) -> ListRequest<View, C> {
        ListRequest::new(self.client.clone(), "/views", Paging::Cursor)
    }

    /// `GET /views/active`.
    pub fn active(&self) -> ListRequest<View, C> {
        ListRequest::new(self.client.clone(), "/views/active", Paging::Cursor)
    }

    /// `GET /views/{id}`.
    pub fn show(&self, id: ViewId) -> Request<View, C> {
        self.request(Method::GET, format!("/views/{id}"), read_record::<View>)
    }

    /// `POST /views` with `{"view": {"title", "all": [...], "any": [...], "output": {...}}}`.
    pub fn create<B: Serialize + ?Sized>(&self, view: &B) -> Request<View, C> {
        self.request(Method::POST, "/views", read_record::<View>)
            .json(&keyed("view", view))
    }

    /// `PUT /views/{id}` with `{"view": changes}`.
    pub fn update<B: Serialize + ?Sized>(&self, id: ViewId, changes: &B) -> Request<View, C> {
        self.request(Method::PUT, format!("/views/{id}"), read_record::<View>)
            .json(&keyed("view", changes))
    }

    /// `DELETE /views/{id}` (204).
    pub fn delete(&self, id: ViewId) -> Request<(), C> {
        self.request(Method::DELETE, format!("/views/{id}"), read_nothing)
    }

    /// `GET /views/{id}/tickets`: the view's tickets, in its order, cursor paging.
    pub fn tickets(&self, id: ViewId) -> ListRequest<Ticket, C> {
        ListRequest::new(
            self.client.clone(),
            format!("/views/{id}/tickets"),
            Paging::Cursor,
        )
    }

    /// `GET /views/{id}/execute`: the view's columns and a row per ticket, as Zendesk's JSON.
    pub fn execute(&self, id: ViewId) -> Request<Value, C> {
        self.request(
            Method::GET,
            format!("/views/{id}/execute"),
            read_json::<Value>,
        )
    }

    /// `GET /views/{id}/count`.
    pub fn count(&self, id: ViewId) -> Request<ViewCount, C> {
        self.request(
            Method::GET,
            format!("/views/{id}/count"),
            read_record::<ViewCount>,
        )
    }

    /// `GET /views/count_many?ids=` (1 to 100 views).
    pub fn count_many(&self, ids: &[ViewId]) -> Request<Vec<ViewCount>, C> {
        let request = self.request(Method::GET, "/views/count_many", read_items::<ViewCount>);
        match join_ids("count views", ids) {
            Ok(ids) => request.param("ids", ids),
            Err(error) => request.refuse_on(Err(error)),
        }
    }
}
