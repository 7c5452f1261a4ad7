//! `client.webhooks()`: where Zendesk sends events. List (by name, by status), show, create,
//! update (whole, or `patch` as a JSON merge patch), delete, the signing secret (show, reset),
//! a test request, and what was delivered: invocations and their attempts. Webhook IDs are
//! ULID strings. Zendesk answers updates and deletes with `204 No Content`.
//!
//! Checking a delivery's signature is [`crate::webhooks`]' job.

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;
use zendesk_types::{
    Webhook, WebhookAttempt, WebhookId, WebhookInvocation, WebhookInvocationId,
    WebhookSigningSecret, WebhookStatus, WebhookTestResponse,
};

use super::keyed;
use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_items, read_nothing, read_record};

/// Webhook requests. Get one with [`Client::webhooks`] or [`Detached::webhooks`].
#[derive(Debug, Clone)]
pub struct WebhooksHandler<C = Client> {
    client: C,
}

impl Client {
    /// Webhook requests.
    pub fn webhooks(&self) -> WebhooksHandler {
        WebhooksHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Webhook requests as plain values.
    pub fn webhooks(self) -> WebhooksHandler<Detached> {
        WebhooksHandler { client: self }
    }
}

/// The content type of `PATCH /webhooks/{id}`.
const MERGE_PATCH: &str = "application/merge-patch+json";

impl<C: Clone> WebhooksHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /webhooks`, cursor paging; narrow it with [`ListRequest::name_contains`] and
    /// [`ListRequest::with_status`], order it with `.param("sort", "name")` (or `status`,
    /// `-`-prefixed for descending).
    pub fn list(&self) -> ListRequest<Webhook, C> {
        ListRequest::new(self.client.clone(), "/webhooks", Paging::Cursor)
    }

    /// `GET /webhooks/{id}`.
    pub fn show(&self, id: &WebhookId) -> Request<Webhook, C> {
        self.request(
            Method::GET,
            format!("/webhooks/{id}"),
            read_record::<Webhook>,
        )
    }

    /// `POST /webhooks` with `{"webhook": {"name", "endpoint", "http_method",
    /// "request_format", "status", "subscriptions", "authentication"...}}`.
    pub fn create<B: Serialize + ?Sized>(&self, webhook: &B) -> Request<Webhook, C> {
        self.request(Method::POST, "/webhooks", read_record::<Webhook>)
            .json(&keyed("webhook", webhook))
    }

    /// `PUT /webhooks/{id}` with `{"webhook": the whole webhook}` (204). Subscriptions cannot
    /// switch between `conditional_ticket_events` and event types.
    pub fn update<B: Serialize + ?Sized>(&self, id: &WebhookId, webhook: &B) -> Request<(), C> {
        self.request(Method::PUT, format!("/webhooks/{id}"), read_nothing)
            .json(&keyed("webhook", webhook))
    }

    /// `PATCH /webhooks/{id}` with `{"webhook": changes}` as a JSON merge patch (204): only
    /// the keys sent change, a `null` removes one.
    pub fn patch<B: Serialize + ?Sized>(&self, id: &WebhookId, changes: &B) -> Request<(), C> {
        let request = self.request(Method::PATCH, format!("/webhooks/{id}"), read_nothing);
        match serde_json::to_vec(&keyed("webhook", changes)) {
            Ok(body) => request.file(Bytes::from(body), MERGE_PATCH),
            Err(error) => {
                request.refuse(format!("the changes to webhook {id} are not JSON: {error}"))
            }
        }
    }

    /// `DELETE /webhooks/{id}` (204).
    pub fn delete(&self, id: &WebhookId) -> Request<(), C> {
        self.request(Method::DELETE, format!("/webhooks/{id}"), read_nothing)
    }

    /// `GET /webhooks/{id}/signing_secret`: the key every delivery is signed with.
    pub fn signing_secret(&self, id: &WebhookId) -> Request<WebhookSigningSecret, C> {
        self.request(
            Method::GET,
            format!("/webhooks/{id}/signing_secret"),
            read_record::<WebhookSigningSecret>,
        )
    }

    /// `POST /webhooks/{id}/signing_secret`: a new key; deliveries signed with the old one stop
    /// verifying.
    pub fn reset_signing_secret(&self, id: &WebhookId) -> Request<WebhookSigningSecret, C> {
        self.request(
            Method::POST,
            format!("/webhooks/{id}/signing_secret"),
            read_record::<WebhookSigningSecret>,
        )
    }

    /// `POST /webhooks/test` with `{"request": {"endpoint", "http_method", "request_format",
    /// "payload", "headers": [{"key", "value"}]}}`: Zendesk sends one request and answers what
    /// the endpoint said. With `webhook`, the request is made as that webhook (its
    /// authentication and signing secret).
    pub fn test<B: Serialize + ?Sized>(
        &self,
        request: &B,
        webhook: Option<&WebhookId>,
    ) -> Request<WebhookTestResponse, C> {
        let sent = self
            .request(
                Method::POST,
                "/webhooks/test",
                read_record::<WebhookTestResponse>,
            )
            .json(&keyed("request", request));
        match webhook {
            Some(id) => sent.param("webhook_id", id.as_str()),
            None => sent,
        }
    }

    /// `GET /webhooks/{id}/invocations`: its deliveries of the last 7 days, cursor paging;
    /// narrow them with [`ListRequest::invoked_between`] and [`ListRequest::with_outcome`].
    pub fn invocations(&self, id: &WebhookId) -> ListRequest<WebhookInvocation, C> {
        ListRequest::new(
            self.client.clone(),
            format!("/webhooks/{id}/invocations"),
            Paging::Cursor,
        )
    }

    /// `GET /webhooks/{id}/invocations/{invocation}/attempts`: each try of one delivery, with
    /// the request sent and the response received.
    pub fn attempts(
        &self,
        id: &WebhookId,
        invocation: &WebhookInvocationId,
    ) -> Request<Vec<WebhookAttempt>, C> {
        self.request(
            Method::GET,
            format!("/webhooks/{id}/invocations/{invocation}/attempts"),
            read_items::<WebhookAttempt>,
        )
    }
}

impl<C> ListRequest<Webhook, C> {
    /// Only webhooks whose name holds `text` (`filter[name_contains]`).
    pub fn name_contains(self, text: &str) -> Self {
        self.param("filter[name_contains]", text.trim())
    }

    /// Only active or only inactive webhooks (`filter[status]`).
    pub fn with_status(self, status: &WebhookStatus) -> Self {
        self.param("filter[status]", status.as_str())
    }
}

impl<C> ListRequest<WebhookInvocation, C> {
    /// Only invocations completed between two ISO 8601 times (`filter[from_ts]`,
    /// `filter[to_ts]`); either may be left open.
    pub fn invoked_between(self, from: Option<&str>, to: Option<&str>) -> Self {
        let list = match from {
            Some(from) => self.param("filter[from_ts]", from.trim()),
            None => self,
        };
        match to {
            Some(to) => list.param("filter[to_ts]", to.trim()),
            None => list,
        }
    }

    /// Only invocations whose latest attempt ended this way (`filter[status]`: `success`,
    /// `failed`, ...).
    pub fn with_outcome(self, status: &str) -> Self {
        self.param("filter[status]", status.trim())
    }

    /// Most recently completed first (`sort=-latest_completed_at`).
    pub fn latest_first(self) -> Self {
        self.param("sort", "-latest_completed_at")
    }
}
