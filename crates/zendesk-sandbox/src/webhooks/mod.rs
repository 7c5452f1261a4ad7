//! Webhooks: Zendesk's outbound HTTP calls. What a webhook is, what it sends and what Zendesk
//! does after each attempt are pure functions (`definition`, `events`, `delivery`, `retry`,
//! `ids`); `queue`, `outbound` and `worker` put them to work: deliveries queued with the change
//! that set them off, sent over HTTP by a background worker, recorded as invocations. What the
//! webhooks API does to the records is `resources::webhooks`; its HTTP is `routes::webhooks`.
//!
//! The rooms:
//! - `definition`: a webhook's record (`name`, `endpoint`, `http_method`, `request_format`,
//!   `status`, `subscriptions`, `authentication`, `custom_headers`), checked, and answered
//!   without its secrets; the signing secret.
//! - `events`: the ticket event types (`zen:event-type:ticket.*`), which a write sets off, and
//!   the payload Zendesk sends for each.
//! - `delivery`: the request a delivery makes (body, Zendesk's headers, the signature, the
//!   authentication, custom headers) and which hosts it may reach.
//! - `retry`: Zendesk's retry rule, the circuit breaker, and the invocation and attempt records.
//! - `ids`: ULIDs (webhook and invocation ids, monotonic within a millisecond) and event ids.
//! - `queue`: where a write hands over its deliveries (in its own transaction), and the
//!   webhooks rules may name and events may reach.
//! - `outbound`: the HTTP client one attempt goes out through: the host policy checked on the
//!   addresses actually dialled, no proxy, no redirects, Zendesk's timeout, the answer kept for
//!   the log.
//! - `worker`: the background sender: claims due deliveries (one process sends each), at most
//!   a few at once, heartbeats, applies the retry rule and the circuit breaker, records each
//!   attempt, and picks up what a stopped process left.

pub mod definition;
pub mod delivery;
pub mod events;
pub mod ids;
pub mod outbound;
pub mod queue;
pub mod retry;
pub mod worker;
