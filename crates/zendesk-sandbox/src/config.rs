//! How a sandbox is run: where it listens, its database, its admin, the demo seed, the rate
//! limit, OAuth token lifetimes, where webhooks may be delivered and where its Help Center is
//! published. `Debug` hides the admin token and any database password.

use std::fmt;
use std::net::SocketAddr;

use crate::resources::oauth::OAuthLifetimes;
use crate::store;

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
    /// Hosts webhook deliveries may go to besides this machine (loopback), as
    /// `--webhook-allow-host` names them: a sandbox others reach must not become a way into the
    /// network it runs in.
    pub webhook_allow_hosts: Vec<String>,
    /// Where the Help Center's pages are published (`https://help.example.com`): the base of the
    /// `html_url` of articles, sections and categories. `None`: this server's own address, which
    /// serves no pages and changes with the port, so a link quoted to a customer is dead.
    pub help_center_url: Option<String>,
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
            console_log_size: crate::request_log::DEFAULT_LOG_SIZE,
            webhook_allow_hosts: Vec::new(),
            help_center_url: None,
        }
    }
}

impl Default for Config {
    /// In memory, on a free local port, admin `admin@example.com` with a freshly generated token.
    fn default() -> Self {
        Config::in_memory(crate::util::random_token())
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
            .field("webhook_allow_hosts", &self.webhook_allow_hosts)
            .field("help_center_url", &self.help_center_url)
            .finish()
    }
}

/// `help_center_url` as its pages' base: an absolute `http(s)` address with a host and no query,
/// without its trailing `/`. The error names the setting and the form.
pub(crate) fn help_center_base(url: &str) -> Result<String, String> {
    let refuse = || {
        format!(
            "the Help Center address must be an http(s) address such as \
             https://help.example.com, got `{url}`"
        )
    };
    let parsed = reqwest::Url::parse(url.trim()).map_err(|_| refuse())?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none()
        || parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
    {
        return Err(refuse());
    }
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

/// Demo data sets for `--seed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seed {
    /// A small help desk: organizations, agents, end-users, groups, tickets in every status.
    Demo,
}
