//! `client.automations()`: the rules Zendesk runs hourly on tickets that are not closed, on
//! time conditions (`hours_since_*`). List (all, active), search by title, show, create, update,
//! delete, `update_many` (position, active) and `destroy_many`. Zendesk refuses an automation
//! that could fire twice on one ticket.

use reqwest::Method;
use serde::Serialize;
use zendesk_types::{Automation, AutomationId};

use super::{items_with_ids, join_ids, keyed};
use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_items, read_nothing, read_record};

/// Automation requests. Get one with [`Client::automations`] or [`Detached::automations`].
#[derive(Debug, Clone)]
pub struct AutomationsHandler<C = Client> {
    client: C,
}

impl Client {
    /// Automation requests.
    pub fn automations(&self) -> AutomationsHandler {
        AutomationsHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Automation requests as plain values.
    pub fn automations(self) -> AutomationsHandler<Detached> {
        AutomationsHandler { client: self }
    }
}

impl<C: Clone> AutomationsHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /automations`, cursor paging, by position. `.param("active", "false")` keeps
    /// inactive ones.
    pub fn list(&self) -> ListRequest<Automation, C> {
        ListRequest::new(self.client.clone(), "/automations", Paging::Cursor)
    }

    /// `GET /automations/active`: the automations that run.
    pub fn active(&self) -> ListRequest<Automation, C> {
        ListRequest::new(self.client.clone(), "/automations/active", Paging::Cursor)
    }

    /// `GET /automations/search?query=`: automations whose title holds `query` (offset
    /// paging). An empty query is refused before sending.
    pub fn search(&self, query: &str) -> ListRequest<Automation, C> {
        let list = ListRequest::new(self.client.clone(), "/automations/search", Paging::Offset);
        if query.trim().is_empty() {
            return list.fail("search automations: give words of the title to find".into());
        }
        list.param("query", query.trim())
    }

    /// `GET /automations/{id}`.
    pub fn show(&self, id: AutomationId) -> Request<Automation, C> {
        self.request(
            Method::GET,
            format!("/automations/{id}"),
            read_record::<Automation>,
        )
    }

    /// `POST /automations` with `{"automation": {"title", "conditions": {"all": [a time
    /// condition, ...]}, "actions"}}`.
    pub fn create<B: Serialize + ?Sized>(&self, automation: &B) -> Request<Automation, C> {
        self.request(Method::POST, "/automations", read_record::<Automation>)
            .json(&keyed("automation", automation))
    }

    /// `PUT /automations/{id}` with `{"automation": changes}`. Zendesk replaces `conditions`
    /// and `actions` whole when either is sent: send both.
    pub fn update<B: Serialize + ?Sized>(
        &self,
        id: AutomationId,
        changes: &B,
    ) -> Request<Automation, C> {
        self.request(
            Method::PUT,
            format!("/automations/{id}"),
            read_record::<Automation>,
        )
        .json(&keyed("automation", changes))
    }

    /// `DELETE /automations/{id}` (204).
    pub fn delete(&self, id: AutomationId) -> Request<(), C> {
        self.request(Method::DELETE, format!("/automations/{id}"), read_nothing)
    }

    /// `PUT /automations/update_many` with `{"automations": [{"id", "position", "active"}]}`
    /// (1 to 100). Answers the automations.
    pub fn update_many<B: Serialize>(&self, automations: &[B]) -> Request<Vec<Automation>, C> {
        let request = self.request(
            Method::PUT,
            "/automations/update_many",
            read_items::<Automation>,
        );
        match items_with_ids("update many automations", automations) {
            Ok(items) => request.json(&keyed("automations", &items)),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `DELETE /automations/destroy_many?ids=` (1 to 100).
    pub fn destroy_many(&self, ids: &[AutomationId]) -> Request<(), C> {
        let request = self.request(Method::DELETE, "/automations/destroy_many", read_nothing);
        match join_ids("destroy many automations", ids) {
            Ok(ids) => request.param("ids", ids),
            Err(error) => request.refuse_on(Err(error)),
        }
    }
}
