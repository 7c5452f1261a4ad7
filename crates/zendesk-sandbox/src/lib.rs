//! A local server that speaks the Zendesk Support API (paths, envelopes, pagination, errors,
//! jobs, search, rate limits) on SQLite, or on PostgreSQL where several sandbox processes on one
//! database serve one account.
//!
//! This file owns the public face of the crate: [`Config`], [`Sandbox::start`],
//! [`RunningSandbox`] and [`app`] (the router, for tests that drive it with
//! `tower::ServiceExt::oneshot`). Serving goes through `http-serve` with [`ServerLimits`]
//! (timeouts, connection cap, body limit), its 413 and 408 rendered in Zendesk's envelope.
//! The rooms behind it, each named for what it holds:
//! - `routes`: thin HTTP handlers, one module per resource: extract, authorise, call a rule,
//!   render. `routes::http` and `routes::paging` hold the query string, bodies and envelopes.
//! - `rules`: Zendesk's behaviour per resource (what a create, update, merge, delete does and
//!   refuses), as plain functions over a store transaction; used by the routes, the job runner
//!   and the seed alike. A rule never sees HTTP.
//! - `store`: the storage traits and their backends (SQLite, PostgreSQL); the only room that runs SQL or
//!   names a backend. A route never sees SQL.
//! - `search`: the search language compiled to SQL for the store's dialect.
//! - `jobs`: the persistent background job queue (bulk operations, merges).
//! - `permissions`: who may call which endpoint, read which record and change which field, and
//!   what an end-user is shown of a record: the permission model, written down once.
//! - `auth`, `ratelimit`, `error`: who is calling (API tokens, passwords, OAuth bearer tokens
//!   with their scopes and expiry), how often, and Zendesk's error envelopes. The sandbox is
//!   also an OAuth server (clients, the authorization page, `/oauth/tokens`): `rules::oauth*`
//!   and `routes::oauth*`.
//! - `seed`: the demo help desk.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

mod auth;
pub mod business_rules;
mod console;
mod error;
mod jobs;
pub mod permissions;
mod ratelimit;
mod routes;
pub mod rules;
pub mod search;
mod seed;
pub mod store;
mod util;
pub mod webhooks;

pub use auth::{Caller, Role};
pub use console::DEFAULT_LOG_SIZE as DEFAULT_CONSOLE_LOG_SIZE;
pub use error::ApiError;
/// The serving limits (timeouts, connection cap, body size): see [`Sandbox::start_with_limits`].
pub use http_serve::Limits as ServerLimits;
pub use rules::oauth::OAuthLifetimes;
pub use seed::seed_demo;
pub use store::Store;

/// How to run a sandbox. `admin_token` is a secret: [`Debug`] hides it.
#[derive(Clone)]
pub struct Config {
    /// Where to listen; port 0 picks a free port (see [`RunningSandbox::local_addr`]).
    pub addr: SocketAddr,
    /// `sqlite://PATH` (created if missing), `sqlite::memory:`, or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME]` (several sandboxes on one
    /// PostgreSQL database are one account). `Debug` hides a password in it.
    pub db_url: String,
    /// The admin user created on first start (and found again on later starts).
    pub admin_email: String,
    /// The admin's API token: `Basic base64("{admin_email}/token:{admin_token}")`.
    pub admin_token: String,
    /// Fill an empty database with demo data.
    pub seed: Option<Seed>,
    /// Requests per minute for the whole account; `None` = no limit (and no rate headers).
    pub rate_limit_per_minute: Option<u32>,
    /// The OAuth token lifetimes `/oauth/tokens` accepts: Zendesk's bounds by default,
    /// [`OAuthLifetimes::any`] for tests that watch tokens expire.
    pub oauth_lifetimes: OAuthLifetimes,
    /// Whether an acknowledged write survives only a crash of the process (the default) or also
    /// a power loss (`Durability::Full`: every commit waits for the disk).
    pub durability: store::Durability,
    /// How many API requests the console's Activity page keeps (the newest; per process).
    pub console_log_size: usize,
}

impl Config {
    /// An in-memory sandbox on `127.0.0.1:0` with the given admin token.
    pub fn in_memory(admin_token: impl Into<String>) -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            db_url: "sqlite::memory:".to_string(),
            admin_email: "admin@example.com".to_string(),
            admin_token: admin_token.into(),
            seed: None,
            rate_limit_per_minute: None,
            oauth_lifetimes: OAuthLifetimes::zendesk(),
            durability: store::Durability::Normal,
            console_log_size: console::DEFAULT_LOG_SIZE,
        }
    }
}

impl Default for Config {
    /// In memory, on a free local port, admin `admin@example.com` with a freshly generated token.
    fn default() -> Self {
        Config::in_memory(util::random_token())
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("db_url", &store::redact_url(&self.db_url))
            .field("admin_email", &self.admin_email)
            .field("admin_token", &"[redacted]")
            .field("seed", &self.seed)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("oauth_lifetimes", &self.oauth_lifetimes)
            .field("durability", &self.durability)
            .field("console_log_size", &self.console_log_size)
            .finish()
    }
}

/// Demo data sets for `--seed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    /// A small help desk: organizations, agents, end-users, groups, tickets in every status.
    Demo,
}

/// Why a sandbox could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox database error: {0}")]
    Storage(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid sandbox configuration: {0}")]
    Config(String),
    #[error("the sandbox server failed: {0}")]
    Serve(std::io::Error),
}

/// Shared state behind every request: the store, the job queue and the rate limiter.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) jobs: jobs::JobQueue,
    pub(crate) limiter: Option<ratelimit::RateLimiter>,
    /// The key token hashes are made with.
    pub(crate) secrets: rules::credentials::Secrets,
    pub(crate) sign_ins: auth::SignInThrottle,
    pub(crate) sign_in_cache: auth::SignInCache,
    pub(crate) oauth_lifetimes: OAuthLifetimes,
    pub(crate) request_log: console::RequestLog,
    /// Set when the server stops: endless answers (the console's live feed) end then.
    pub(crate) stopping: watch::Sender<bool>,
}

impl AppState {
    /// Opens (and migrates) the database, creates the admin and its API token if missing,
    /// seeds when asked, and starts the background job runner (which resumes queued jobs).
    pub async fn open(config: &Config) -> Result<AppState, SandboxError> {
        if config.admin_token.trim().is_empty() {
            return Err(SandboxError::Config(
                "the admin token must not be empty".into(),
            ));
        }
        if !config.admin_email.contains('@') {
            return Err(SandboxError::Config(format!(
                "the admin email must look like name@example.com, got `{}`",
                config.admin_email
            )));
        }
        let store = Store::open_with(&config.db_url, config.durability).await?;
        let shared = store.dialect() == store::Dialect::Postgres;
        let secrets = if shared {
            rules::credentials::Secrets::for_shared_database(&store).await?
        } else {
            match rules::credentials::Secrets::path_for(store.database_file().as_deref()) {
                Some(path) => rules::credentials::Secrets::from_file(&path)?,
                None => rules::credentials::Secrets::ephemeral(),
            }
        };
        let (email, token) = (config.admin_email.clone(), config.admin_token.clone());
        let admin_secrets = secrets.clone();
        store
            .write(move |tx| {
                rules::credentials::bootstrap_admin(tx, &admin_secrets, &email, &token)?;
                rules::ticket_fields::ensure_system_fields(tx)
            })
            .await
            .map_err(|e| SandboxError::Config(format!("cannot create the admin: {}", e.body())))?;
        if let Some(Seed::Demo) = config.seed {
            seed::seed_demo(&store).await?;
        }
        let jobs = jobs::JobQueue::start(store.clone()).await?;
        // On PostgreSQL every process on the database counts in one window.
        let limiter = config
            .rate_limit_per_minute
            .map(|limit| ratelimit::RateLimiter::new(limit, shared.then(|| store.clone())));
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                jobs,
                limiter,
                secrets,
                sign_ins: auth::SignInThrottle::new(),
                sign_in_cache: auth::SignInCache::new(),
                oauth_lifetimes: config.oauth_lifetimes,
                request_log: console::RequestLog::new(config.console_log_size),
                stopping: watch::channel(false).0,
            }),
        })
    }

    /// The store, for seeding or inspection.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Runs every queued or working job to its end, stops the runner, and closes the pool.
    pub async fn close(&self) -> Result<(), SandboxError> {
        self.inner.jobs.drain_and_stop().await;
        self.inner.store.close().await;
        Ok(())
    }
}

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
