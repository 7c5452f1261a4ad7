//! What every request shares: the store, the job queue, the webhook delivery worker, the rate
//! limiter, the key secrets are hashed with, and what this process remembers of sign-ins.
//! [`AppState::open`] opens and migrates the database, makes sure the admin and the system
//! ticket fields exist, seeds when asked and starts the job runner and the delivery worker.

use std::sync::Arc;

use crate::business_rules::account::{AccountRules, DEFAULT_ACCOUNT_URL, RulesCache};
use crate::business_rules::hourly::HourlyRunner;
use crate::business_rules::rule_records;
use crate::config::{Config, Seed};
use crate::error::SandboxError;
use crate::jobs;
use crate::ratelimit;
use crate::resources;
use crate::resources::oauth::OAuthLifetimes;
use crate::seed;
use crate::sign_ins;
use crate::store::{Store, Upkeep};
use crate::webhooks;

/// Shared state behind every request: the store, the job queue and the rate limiter.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) jobs: jobs::JobQueue,
    pub(crate) deliveries: webhooks::worker::DeliveryWorker,
    pub(crate) limiter: Option<Arc<ratelimit::RateLimiter>>,
    /// The key token hashes are made with.
    pub(crate) secrets: resources::credentials::Secrets,
    pub(crate) sign_ins: sign_ins::SignInThrottle,
    pub(crate) sign_in_cache: sign_ins::SignInCache,
    pub(crate) oauth_lifetimes: OAuthLifetimes,
    pub(crate) request_log: crate::request_log::RequestLog,
    /// The base of Help Center pages' `html_url` (`Config::help_center_url`), when configured.
    pub(crate) help_center_url: Option<Arc<str>>,
    /// Set when the server stops: endless answers (the console's live feed) end then.
    pub(crate) stopping: tokio::sync::watch::Sender<bool>,
    /// The account's parsed triggers and automations, kept until the rules' stamp changes.
    pub(crate) rules: RulesCache,
    /// Runs the automations' hourly passes as time goes by.
    _hourly: HourlyRunner,
    /// The store's upkeep: full-text merges (SQLite), planner statistics (PostgreSQL).
    _upkeep: Upkeep,
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
        let help_center_url = match &config.help_center_url {
            Some(url) => Some(Arc::<str>::from(
                crate::config::help_center_base(url).map_err(SandboxError::Config)?,
            )),
            None => None,
        };
        let store = Store::open_with(&config.db_url, config.durability).await?;
        let shared = store.is_shared();
        let secrets = if shared {
            resources::credentials::Secrets::for_shared_database(&store).await?
        } else {
            match resources::credentials::Secrets::path_for(store.database_file().as_deref()) {
                Some(path) => resources::credentials::Secrets::from_file(&path)?,
                None => resources::credentials::Secrets::ephemeral(),
            }
        };
        let (email, token) = (config.admin_email.clone(), config.admin_token.clone());
        let admin_secrets = secrets.clone();
        store
            .write(move |tx| {
                resources::users::bootstrap_admin(tx, &admin_secrets, &email, &token)?;
                resources::ticket_fields::ensure_system_fields(tx)?;
                rule_records::ensure_standard_triggers(tx)?;
                Ok::<_, crate::error::ApiError>(())
            })
            .await
            .map_err(|e| SandboxError::Config(format!("cannot create the admin: {}", e.body())))?;
        if let Some(Seed::Demo) = config.seed {
            seed::seed_demo(&store).await?;
        }
        let rules = RulesCache::default();
        let jobs = jobs::JobQueue::start(store.clone(), rules.clone()).await?;
        let deliveries = webhooks::worker::DeliveryWorker::start(
            store.clone(),
            webhooks::delivery::HostPolicy::checked(&config.webhook_allow_hosts)
                .map_err(SandboxError::Config)?,
        )
        .await?;
        // On PostgreSQL every process on the database counts in one window.
        let limiter = config.rate_limit_per_minute.map(|limit| {
            Arc::new(ratelimit::RateLimiter::new(
                limit,
                shared.then(|| store.clone()),
            ))
        });
        let hourly = HourlyRunner::start(
            store.clone(),
            AccountRules::new(DEFAULT_ACCOUNT_URL, rules.clone()),
        );
        let upkeep = Upkeep::start(store.clone());
        // On PostgreSQL every process counts an account's failed sign-ins together.
        let sign_ins = sign_ins::SignInThrottle::new(shared.then(|| store.clone()));
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                jobs,
                deliveries,
                limiter,
                secrets,
                sign_ins,
                sign_in_cache: sign_ins::SignInCache::new(),
                oauth_lifetimes: config.oauth_lifetimes,
                request_log: crate::request_log::RequestLog::new(config.console_log_size),
                help_center_url,
                stopping: tokio::sync::watch::channel(false).0,
                _hourly: hourly,
                _upkeep: upkeep,
                rules,
            }),
        })
    }

    /// The account as a request at `base` (its base URL) meets it: placeholders name that
    /// address.
    pub(crate) fn account(&self, base: &str) -> AccountRules {
        AccountRules::new(base, self.inner.rules.clone())
    }

    /// The store, for seeding or inspection.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Runs every queued or working job to its end, stops the runner and the delivery worker
    /// (undelivered webhooks stay queued for the next start), and closes the pool.
    pub async fn close(&self) -> Result<(), SandboxError> {
        self.inner.jobs.drain_and_stop().await;
        self.inner.deliveries.stop().await;
        self.inner.store.close().await;
        Ok(())
    }
}
