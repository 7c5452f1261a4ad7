//! Webhooks: Zendesk's outbound HTTP calls, as pure functions the store, the routes and the
//! delivery worker build on. Nothing here opens a socket or reads the store.
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
//! - `queue`: the seam the ticket write path hands its webhook calls to, in its transaction.

pub mod definition;
pub mod delivery;
pub mod events;
pub mod ids;
pub mod queue;
pub mod retry;
