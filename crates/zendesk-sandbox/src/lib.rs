//! A local server that speaks the Zendesk Support API (paths, envelopes, pagination, errors,
//! jobs, search, rate limits) on SQLite, or on PostgreSQL where several sandbox processes on one
//! database serve one account.
//!
//! This file owns the public face of the crate: [`Config`], [`Sandbox::start`],
//! [`RunningSandbox`] and [`app`] (the router, for tests that drive it with
//! `tower::ServiceExt::oneshot`). Serving goes through `http-serve` with [`ServerLimits`]
//! (timeouts, connection cap, body limit), its 413 and 408 rendered in Zendesk's envelope.
//!
//! The modules, from the top down (each imports only modules below it; `scripts/import_cycles`
//! checks):
//! - `routes`: HTTP. One module per resource: its endpoints (who may call each) and handlers
//!   that extract, call a rule and render; the plain show / create / update / delete of a
//!   resource is one generic handler (`routes::resource`). `auth` recognises the caller in front
//!   of every endpoint.
//! - `state`: what every request shares (the store, the job queue, the rate limiter of
//!   `ratelimit`, secrets, sign-ins); `config`: how a sandbox is run; `seed`: the demo help
//!   desk.
//! - `jobs`: the persistent background job queue (bulk operations, merges).
//! - `resources`: what each resource does in Zendesk (a create, update, merge, delete and what
//!   they refuse), as plain functions over a store transaction, used by the routes, the job
//!   runner and the demo seed alike; `business_rules`: macros and views, the same way. A rule never
//!   sees HTTP. The sandbox is also an OAuth server (clients, the authorization page,
//!   `/oauth/tokens`): `resources::oauth*` and `routes::oauth*`.
//! - `search`: the search language compiled to SQL conditions, asking the store's dialect for
//!   full text and custom fields.
//! - `permissions`: who may call which endpoint, read which record and change which field, and
//!   what an end-user is shown of a record: the permission model, written down once; `caller`:
//!   who is calling; `sign_ins`: what a process remembers of sign-ins.
//! - `error`: Zendesk's error envelopes.
//! - `store`: the bottom: the only module that runs SQL or names a backend (SQLite,
//!   PostgreSQL). A route never sees SQL.
//! - `util`: the clock, timestamps, ids, secrets, HTML as text.

use std::net::SocketAddr;

use tokio::sync::watch;
use tokio::task::JoinHandle;

mod auth;
pub mod business_rules;
mod caller;
mod config;
mod console;
mod error;
mod jobs;
pub mod permissions;
mod ratelimit;
pub mod resources;
mod routes;
pub mod search;
mod seed;
mod sign_ins;
mod state;
pub mod store;
mod util;
pub mod webhooks;

pub use caller::{Caller, Role};
pub use config::{Config, Seed};
pub use console::DEFAULT_LOG_SIZE as DEFAULT_CONSOLE_LOG_SIZE;
pub use error::{ApiError, SandboxError};
/// The serving limits (timeouts, connection cap, body size): see [`Sandbox::start_with_limits`].
pub use http_serve::Limits as ServerLimits;
pub use resources::oauth::OAuthLifetimes;
pub use seed::seed_demo;
pub use state::AppState;
pub use store::Store;

/// The router, with every `/api/v2` path, error rendering and the rate limiter, the request
/// log around them, and the web console at `/console/`.
pub fn app(state: AppState) -> axum::Router {
    console::mount(
        state.clone(),
        routes::router(state.clone()),
        routes::in_process(state),
    )
}

/// Every endpoint's method, path (as routed, without `.json`) and who may call it.
pub fn endpoint_access() -> Vec<(axum::http::Method, &'static str, permissions::Who)> {
    routes::access_table()
}

/// Where the sandbox keeps its data by default: `$XDG_DATA_HOME/zd/sandbox.db`, else
/// `~/.local/share/zd/sandbox.db`; `None` when neither variable is set.
pub fn default_db_path() -> Option<std::path::PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => std::path::PathBuf::from(dir),
        None => std::path::PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?)
            .join(".local")
            .join("share"),
    };
    Some(base.join("zd").join("sandbox.db"))
}

/// `sqlite://{default_db_path()}`, or an in-memory database when no home directory is known.
pub fn default_db_url() -> String {
    match default_db_path() {
        Some(path) => format!("sqlite://{}", path.display()),
        None => "sqlite::memory:".to_string(),
    }
}

/// The database a test should run against: when `ZD_TEST_DATABASE_URL` names a PostgreSQL
/// database, a fresh schema of it (`?schema=zd_test_...`, created on open), so that each test
/// starts empty and tests run side by side; otherwise `sqlite::memory:`. CI runs the suites
/// once each way.
pub fn test_db_url() -> String {
    match std::env::var("ZD_TEST_DATABASE_URL") {
        Ok(base) if !base.trim().is_empty() && !base.starts_with("sqlite") => {
            let base = base.trim();
            let schema = format!(
                "zd_test_{}_{:012x}",
                std::process::id(),
                fastrand::u64(..) >> 16
            );
            let joiner = if base.contains('?') { '&' } else { '?' };
            format!("{base}{joiner}schema={schema}")
        }
        _ => "sqlite::memory:".to_string(),
    }
}

/// A fresh random API token (for a generated admin token).
pub fn generate_token() -> String {
    util::random_token()
}

/// Starts sandboxes.
pub struct Sandbox;

impl Sandbox {
    /// Opens the database, binds `config.addr`, and serves until [`RunningSandbox::shutdown`],
    /// with the default [`ServerLimits`].
    pub async fn start(config: Config) -> Result<RunningSandbox, SandboxError> {
        Sandbox::start_with_limits(config, ServerLimits::default()).await
    }

    /// [`Sandbox::start`] with these serving limits: header, body and idle timeouts, the
    /// connection cap and the largest request body (answered 413 in Zendesk's envelope).
    pub async fn start_with_limits(
        config: Config,
        limits: ServerLimits,
    ) -> Result<RunningSandbox, SandboxError> {
        limits.validate().map_err(SandboxError::Config)?;
        let state = AppState::open(&config).await?;
        let listener = match http_serve::bind(config.addr) {
            Ok(listener) => listener,
            Err(source) => {
                state.close().await?;
                return Err(SandboxError::Bind {
                    addr: config.addr,
                    source,
                });
            }
        };
        let local_addr = listener.local_addr().map_err(SandboxError::Serve)?;
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let server = http_serve::Server::new(listener, app(state.clone()), limits)
            .render_rejections_with(zendesk_rejection);
        let server = tokio::spawn(server.run(async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        }));
        tracing::info!(%local_addr, "sandbox listening");
        Ok(RunningSandbox {
            local_addr,
            state,
            stop: stop_tx,
            server,
        })
    }
}

/// A request the server refused before the API saw it (body too large, body too slow), in
/// Zendesk's `{"error", "description"}` envelope.
fn zendesk_rejection(rejection: http_serve::Rejection) -> axum::response::Response {
    use axum::response::IntoResponse;
    let error = match rejection {
        http_serve::Rejection::BodyTooLarge { .. } => "RequestTooLarge",
        http_serve::Rejection::BodyTimeout { .. } | http_serve::Rejection::BodyTooSlow => {
            "RequestTimeout"
        }
    };
    let body = serde_json::json!({"error": error, "description": rejection.description()});
    (rejection.status(), axum::Json(body)).into_response()
}

/// A sandbox serving on a local address.
pub struct RunningSandbox {
    local_addr: SocketAddr,
    state: AppState,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
}

impl RunningSandbox {
    /// The bound address (the real port when `addr` had port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://127.0.0.1:PORT`, the base for `/api/v2/...`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// The shared state (store access for tests and seeding).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting connections, finishes in-flight requests, runs every queued or working
    /// job to its end, and closes the database pool.
    pub async fn shutdown(self) -> Result<(), SandboxError> {
        self.state.inner.stopping.send_replace(true);
        let _ = self.stop.send(true);
        let served = self.server.await;
        self.state.close().await?;
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(SandboxError::Serve(error)),
            Err(join) => Err(SandboxError::Serve(std::io::Error::other(join.to_string()))),
        }
    }
}
