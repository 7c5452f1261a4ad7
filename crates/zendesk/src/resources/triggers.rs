//! `client.triggers()`: the rules Zendesk runs after every ticket create and update. List (all,
//! active, by category), search by title, show, create, update, delete, the bulk forms
//! (`update_many` for position, active and category; `destroy_many`; `reorder`), and
//! `definitions`: which conditions, operators and actions the account's triggers may use.
//! `client.trigger_categories()`: the categories triggers fire in.

use reqwest::Method;
use serde::Serialize;
use zendesk_types::{RuleDefinitions, Trigger, TriggerCategory, TriggerCategoryId, TriggerId};

use super::{items_with_ids, join_ids, keyed};
use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_items, read_nothing, read_record};

/// Trigger requests. Get one with [`Client::triggers`] or [`Detached::triggers`].
#[derive(Debug, Clone)]
pub struct TriggersHandler<C = Client> {
    client: C,
}

/// Trigger category requests. Get one with [`Client::trigger_categories`] or
/// [`Detached::trigger_categories`].
#[derive(Debug, Clone)]
pub struct TriggerCategoriesHandler<C = Client> {
    client: C,
}

impl Client {
    /// Trigger requests.
    pub fn triggers(&self) -> TriggersHandler {
        TriggersHandler {
            client: self.clone(),
        }
    }

    /// Trigger category requests.
    pub fn trigger_categories(&self) -> TriggerCategoriesHandler {
        TriggerCategoriesHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Trigger requests as plain values.
    pub fn triggers(self) -> TriggersHandler<Detached> {
        TriggersHandler { client: self }
    }

    /// Trigger category requests as plain values.
    pub fn trigger_categories(self) -> TriggerCategoriesHandler<Detached> {
        TriggerCategoriesHandler { client: self }
    }
}

impl<C: Clone> TriggersHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /triggers`, cursor paging, in firing order. `.param("active", "false")` keeps
    /// inactive ones; [`ListRequest::in_category`] one category's.
    pub fn list(&self) -> ListRequest<Trigger, C> {
        ListRequest::new(self.client.clone(), "/triggers", Paging::Cursor)
    }

    /// `GET /triggers/active`: the triggers that run.
    pub fn active(&self) -> ListRequest<Trigger, C> {
        ListRequest::new(self.client.clone(), "/triggers/active", Paging::Cursor)
    }

    /// `GET /triggers/search?query=`: triggers whose title holds `query` (offset paging). An
    /// empty query is refused before sending.
    pub fn search(&self, query: &str) -> ListRequest<Trigger, C> {
        let list = ListRequest::new(self.client.clone(), "/triggers/search", Paging::Offset);
        if query.trim().is_empty() {
            return list.fail("search triggers: give words of the title to find".into());
        }
        list.param("query", query.trim())
    }

    /// `GET /triggers/{id}`.
    pub fn show(&self, id: TriggerId) -> Request<Trigger, C> {
        self.request(
            Method::GET,
            format!("/triggers/{id}"),
            read_record::<Trigger>,
        )
    }

    /// `POST /triggers` with `{"trigger": {"title", "conditions": {"all", "any"}, "actions",
    /// "category_id"...}}`.
    pub fn create<B: Serialize + ?Sized>(&self, trigger: &B) -> Request<Trigger, C> {
        self.request(Method::POST, "/triggers", read_record::<Trigger>)
            .json(&keyed("trigger", trigger))
    }

    /// `PUT /triggers/{id}` with `{"trigger": changes}`. Zendesk replaces `conditions` and
    /// `actions` whole when either is sent: send both.
    pub fn update<B: Serialize + ?Sized>(&self, id: TriggerId, changes: &B) -> Request<Trigger, C> {
        self.request(
            Method::PUT,
            format!("/triggers/{id}"),
            read_record::<Trigger>,
        )
        .json(&keyed("trigger", changes))
    }

    /// `DELETE /triggers/{id}` (204).
    pub fn delete(&self, id: TriggerId) -> Request<(), C> {
        self.request(Method::DELETE, format!("/triggers/{id}"), read_nothing)
    }

    /// `PUT /triggers/update_many` with `{"triggers": [{"id", "position", "active",
    /// "category_id"}]}` (1 to 100; Zendesk ignores other keys). Answers the triggers.
    pub fn update_many<B: Serialize>(&self, triggers: &[B]) -> Request<Vec<Trigger>, C> {
        let request = self.request(Method::PUT, "/triggers/update_many", read_items::<Trigger>);
        match items_with_ids("update many triggers", triggers) {
            Ok(items) => request.json(&keyed("triggers", &items)),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `DELETE /triggers/destroy_many?ids=` (1 to 100).
    pub fn destroy_many(&self, ids: &[TriggerId]) -> Request<(), C> {
        let request = self.request(Method::DELETE, "/triggers/destroy_many", read_nothing);
        match join_ids("destroy many triggers", ids) {
            Ok(ids) => request.param("ids", ids),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `PUT /triggers/reorder` with `{"trigger_ids": [...]}`: the new firing order. Zendesk
    /// wants every trigger of the account, and refuses when there is more than one category.
    pub fn reorder(&self, ids: &[TriggerId]) -> Request<(), C> {
        let request = self
            .request(Method::PUT, "/triggers/reorder", read_nothing)
            .json(&keyed("trigger_ids", ids));
        if ids.is_empty() {
            return request.refuse("reorder triggers: give every trigger ID, in the new order");
        }
        request
    }

    /// `GET /triggers/definitions`: the conditions (with their operators and values) and the
    /// actions the account's triggers may use.
    pub fn definitions(&self) -> Request<RuleDefinitions, C> {
        self.request(
            Method::GET,
            "/triggers/definitions",
            read_record::<RuleDefinitions>,
        )
    }
}

impl<C> ListRequest<Trigger, C> {
    /// Only the triggers of one category (`category_id=`).
    pub fn in_category(self, category: &TriggerCategoryId) -> Self {
        self.param("category_id", category.as_str())
    }
}

impl<C: Clone> TriggerCategoriesHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /trigger_categories`, cursor paging, by position. `.include("rule_counts")` adds
    /// how many triggers each holds.
    pub fn list(&self) -> ListRequest<TriggerCategory, C> {
        ListRequest::new(self.client.clone(), "/trigger_categories", Paging::Cursor)
    }

    /// `GET /trigger_categories/{id}`.
    pub fn show(&self, id: &TriggerCategoryId) -> Request<TriggerCategory, C> {
        self.request(
            Method::GET,
            format!("/trigger_categories/{id}"),
            read_record::<TriggerCategory>,
        )
    }

    /// `POST /trigger_categories` with `{"trigger_category": {"name", "position"}}`.
    pub fn create<B: Serialize + ?Sized>(&self, category: &B) -> Request<TriggerCategory, C> {
        self.request(
            Method::POST,
            "/trigger_categories",
            read_record::<TriggerCategory>,
        )
        .json(&keyed("trigger_category", category))
    }

    /// `PATCH /trigger_categories/{id}` with `{"trigger_category": changes}`.
    pub fn update<B: Serialize + ?Sized>(
        &self,
        id: &TriggerCategoryId,
        changes: &B,
    ) -> Request<TriggerCategory, C> {
        self.request(
            Method::PATCH,
            format!("/trigger_categories/{id}"),
            read_record::<TriggerCategory>,
        )
        .json(&keyed("trigger_category", changes))
    }

    /// `DELETE /trigger_categories/{id}` (204; Zendesk refuses a category holding active
    /// triggers).
    pub fn delete(&self, id: &TriggerCategoryId) -> Request<(), C> {
        self.request(
            Method::DELETE,
            format!("/trigger_categories/{id}"),
            read_nothing,
        )
    }
}
