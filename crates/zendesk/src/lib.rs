//! The async Zendesk Support API client: `ClientBuilder`, authentication, one handler per
//! resource, paging streams, retries and typed errors. Wire models come from `zendesk-types`.
//!
//! # Building a client
//!
//! ```no_run
//! # async fn demo() -> zendesk::Result<()> {
//! use std::time::Duration;
//! use zendesk::{Auth, Client};
//!
//! let client = Client::builder()
//!     .subdomain("acme") // or "acme.zendesk.com", "https://acme.zendesk.com"
//!     .auth(Auth::api_token("agent@acme.com", "token"))
//!     .request_timeout(Duration::from_secs(30))
//!     .max_rate_limit_wait(Duration::from_secs(60))
//!     .build()?;
//! # let _ = client; Ok(()) }
//! ```
//!
//! The subdomain is checked before anything is sent (`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`,
//! case-insensitive); `base_url("http://127.0.0.1:8080")` targets a sandbox or proxy instead.
//! [`ClientBuilder::from_env`] reads `ZENDESK_SUBDOMAIN` / `ZENDESK_BASE_URL`,
//! `ZENDESK_OAUTH_TOKEN` or `ZENDESK_EMAIL` + `ZENDESK_API_TOKEN` (OAuth wins when both are
//! set). Secrets are `secrecy::SecretString`: no `Debug`, log or error shows them.
//!
//! # OAuth sign-in
//!
//! [`oauth`] runs Zendesk's authorization code flow with PKCE (`OAuthClient`,
//! `LoopbackListener`) and keeps the token fresh: `Auth::oauth_source(TokenSource)` refreshes
//! before expiry and once on a 401, one refresh at a time, persisting rotated refresh tokens
//! through a `TokenStore` before using them. [`signin`] stores sign-ins (0600 file or the OS
//! keyring) as `zd auth login` leaves them.
//!
//! # Generic JSON calls
//!
//! Paths are relative to `/api/v2` and start with `/`; query pairs are `&[(K, V)]` with
//! `K, V: AsRef<str>` (use [`NO_QUERY`] for none). Answers are decoded JSON; `204 No Content`
//! gives `Value::Null`.
//!
//! ```no_run
//! # async fn demo(client: zendesk::Client) -> zendesk::Result<()> {
//! use serde_json::json;
//! let ticket = client.get_json("/tickets/1", zendesk::NO_QUERY).await?;
//! let page = client.get_json("/tickets", &[("page[size]", "100")]).await?;
//! let created = client.post_json("/tickets", &json!({"ticket": {"comment": {"body": "Hi"}}})).await?;
//! let job = client
//!     .put_json("/tickets/update_many", &[("ids", "1,2")], &json!({"ticket": {"status": "solved"}}))
//!     .await?;
//! let gone = client.delete("/tickets/1", zendesk::NO_QUERY).await?; // Value::Null
//! # let _ = (ticket, page, created, job, gone); Ok(()) }
//! ```
//!
//! [`Client::send`] is the typed core behind them: any `T: DeserializeOwned`, with a decode
//! error naming the failing field ([`Error::Decode`]).
//!
//! # Typed handlers, requests as values, and paging
//!
//! `client.tickets()` (with comments and audits), `ticket_fields()`, `users()`,
//! `organizations()`, `organization_fields()`, `groups()`, `group_memberships()`, `search()`,
//! `job_statuses()`, `macros()`, `views()`, `help_center()`, `attachments()` (uploads; files
//! are fetched with [`Client::download`]). Each method builds a [`Request`]: its method, path, query and
//! body can be read before it is sent with `.await` (or `.send()`); a refusal (101 IDs, a bad
//! sort) is kept in it and reported by `check()` and on send, before anything goes on the wire.
//! [`Detached`] builds the same requests without a client, as plain values sent later with
//! `send_with(&client)`:
//!
//! ```no_run
//! # async fn demo(client: zendesk::Client) -> zendesk::Result<()> {
//! use zendesk::{Detached, types::TicketId};
//! let ticket = client.tickets().show(TicketId(1)).await?;
//! let request = Detached.tickets().update(TicketId(1), &serde_json::json!({"status": "solved"}));
//! assert_eq!(request.path(), "/tickets/1");
//! let updated = request.send_with(&client).await?;
//! # let _ = (ticket, updated); Ok(()) }
//! ```
//!
//! Lists return a [`ListRequest`]: `.per_page(n)`,
//! `.after(cursor)` / `.page(n)`, then `.send()` for one [`Page`], `.pages()` for a resumable
//! walker, or `.items()` for a `Stream` of records across pages:
//!
//! ```no_run
//! # async fn demo(client: zendesk::Client) -> zendesk::Result<()> {
//! use futures_util::TryStreamExt;
//! let first = client.tickets().list(Some("-updated_at")).per_page(100).send().await?;
//! let all: Vec<_> = client.organizations().list().items().try_collect().await?;
//! # let _ = (first, all); Ok(()) }
//! ```
//!
//! # Business rules, webhooks and incremental exports
//!
//! `client.triggers()`, `trigger_categories()`, `automations()` and `webhooks()` manage what
//! Zendesk does by itself and where it sends events; [`webhooks`] checks the signature of a
//! delivery on the receiving end. `client.incremental()` reads what changed since a moment, page
//! by page, handing back the position ([`ExportPosition`]) a later run resumes from.
//!
//! # Retries and rate limits
//!
//! See [`RetryPolicy`]: 429 is retried for every method honouring `Retry-After`, within a
//! total wait cap (or returned at once with `fail_fast_on_rate_limit`); 5xx, timeouts and
//! connection failures only for GET/PUT/DELETE. [`Error::is_retryable`] tells a caller
//! whether trying later may help.
//!
//! # Bulk jobs
//!
//! `client.job_statuses().wait(&id, WaitOptions::new(timeout).on_progress(...))` follows a
//! job until it finishes, or fails with [`Error::JobTimeout`] carrying the last status.

mod auth;
mod builder;
mod client;
mod error;
mod incremental;
pub mod oauth;
mod paging;
mod request;
pub mod resources;
mod retry;
pub mod signin;
pub mod webhooks;

pub use auth::Auth;
pub use builder::{
    ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, USER_AGENT,
    normalize_subdomain,
};
pub use client::{Client, Download, NO_QUERY};
pub use error::{ApiError, Error, Result};
pub use incremental::{
    ExportPage, ExportPages, ExportPosition, ExportResource, ExportStyle, IncrementalExport,
    IncrementalHandler,
};
pub use paging::{ListRequest, NextPage, Page, Pages, Paging};
pub use request::{Detached, Request};
pub use reqwest::Method;
pub use resources::attachments::AttachmentsHandler;
pub use resources::automations::AutomationsHandler;
pub use resources::group_memberships::GroupMembershipsHandler;
pub use resources::help_center::HelpCenterHandler;
pub use resources::job_statuses::{JobProgressFn, JobStatusesHandler, WaitOptions};
pub use resources::macros::MacrosHandler;
pub use resources::organization_fields::{OrganizationFieldRef, OrganizationFieldsHandler};
pub use resources::search::SearchHandler;
pub use resources::ticket_fields::TicketFieldsHandler;
pub use resources::tickets::{MergeTickets, TicketsHandler};
pub use resources::triggers::{TriggerCategoriesHandler, TriggersHandler};
pub use resources::users::UsersHandler;
pub use resources::views::ViewsHandler;
pub use resources::webhooks::WebhooksHandler;
pub use resources::{groups::GroupsHandler, organizations::OrganizationsHandler};
pub use retry::RetryPolicy;
pub use zendesk_types as types;
