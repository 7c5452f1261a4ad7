//! What every request shares: the store, the job queue, the rate limiter, the key secrets are
//! hashed with, and what this process remembers of sign-ins. [`AppState::open`] opens and
//! migrates the database, makes sure the admin and the system ticket fields exist, seeds when
//! asked and starts the job runner.

use std::sync::Arc;

use crate::config::{Config, Seed};
use crate::error::SandboxError;
use crate::jobs;
use crate::ratelimit;
use crate::resources;
use crate::resources::oauth::OAuthLifetimes;
use crate::seed;
use crate::sign_ins;
use crate::store::Store;

/// Shared state behind every request: the store, the job queue and the rate limiter.
#[derive(Clone)]
pub struct AppState {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Store,
    pub(crate) jobs: jobs::JobQueue,
    pub(crate) limiter: Option<Arc<ratelimit::RateLimiter>>,
    /// The key token hashes are made with.
    pub(crate) secrets: resources::credentials::Secrets,
    pub(crate) sign_ins: sign_ins::SignInThrottle,
    pub(crate) sign_in_cache: sign_ins::SignInCache,
    pub(crate) oauth_lifetimes: OAuthLifetimes,
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
                resources::ticket_fields::ensure_system_fields(tx)
            })
            .await
            .map_err(|e| SandboxError::Config(format!("cannot create the admin: {}", e.body())))?;
        if let Some(Seed::Demo) = config.seed {
            seed::seed_demo(&store).await?;
        }
        let jobs = jobs::JobQueue::start(store.clone()).await?;
        // On PostgreSQL every process on the database counts in one window.
        let limiter = config.rate_limit_per_minute.map(|limit| {
            Arc::new(ratelimit::RateLimiter::new(
                limit,
                shared.then(|| store.clone()),
            ))
        });
        // On PostgreSQL every process counts an account's failed sign-ins together.
        let sign_ins = sign_ins::SignInThrottle::new(shared.then(|| store.clone()));
        Ok(AppState {
            inner: Arc::new(Inner {
                store,
                jobs,
                limiter,
                secrets,
                sign_ins,
                sign_in_cache: sign_ins::SignInCache::new(),
                oauth_lifetimes: config.oauth_lifetimes,
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
