//! The storage layer: the bottom of the crate, the only module that knows a database exists.
//! It imports nothing from the layers above it.
//!
//! Everything above it (resources, routes, search, jobs, seeding) talks to two traits:
//! [`Reader`] (what can be read inside a transaction) and [`Writer`] (a [`Reader`] that can also
//! write), each made of one trait per kind of data (records, credentials, OAuth, jobs). Rules are
//! plain synchronous functions over `&mut dyn Writer`, so the same rule runs for a request, for
//! a bulk job's item and for the demo seed, on any backend. A [`Store`] is the async handle the
//! server holds: [`Store::read`] and [`Store::write`] run a closure against a backend inside one
//! transaction and hand its result back.
//!
//! The queries are written once (`records.rs`, `changes.rs`, `credentials.rs`, `oauth.rs`,
//! `jobs.rs`, `rules.rs`, `webhooks.rs`) over a
//! small connection trait (`connection.rs`); writes go through one group-commit writer
//! (`group_commit.rs`). Each backend (`sqlite.rs`, `postgres.rs`, chosen from the database URL's
//! scheme) is its connections, its migrations and the few statements that differ between the
//! two: how a write transaction takes the account's lock, where ids come from, full text, JSON.
//! What differs in SQL text built above the store (list filters, search) is asked of the
//! store's [`Dialect`] (`dialect.rs`). The tables are described once in `tables.rs`.
//!
//! Records are stored as the API serves them (their JSON text, without the host-dependent `url`)
//! plus indexed columns derived from that JSON in the same statement, so the two never drift.
//! Lists read the stored text and splice it into the answer without parsing it.
//!
//! A write closure that returns an error is rolled back whole: a refused request changes nothing.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

mod backend;
mod bind;
mod changes;
mod connection;
mod credentials;
mod dialect;
mod error;
mod group_commit;
mod jobs;
mod lists;
mod lookups;
mod oauth;
mod postgres;
mod postgres_tls;
mod record_cache;
mod records;
mod rules;
mod sql;
mod sqlite;
mod tables;
mod text;
mod upkeep;
mod webhooks;

use backend::Backend;
use connection::{Outcome, ReadJob, Transaction, WriteJob};

/// How a read is run: see [`Store::read`], [`Store::peek`] and [`Store::read_alone`].
#[derive(Clone, Copy)]
enum ReadKind {
    Transaction,
    Peek,
    Alone,
}

pub use backend::Durability;
pub use bind::Bind;
pub use changes::{
    ChangeQuery, ChangeSource, ChangeSummary, Changed, Direction, Mark, ReadChanges,
};
pub use connection::{PageRow, ReadSql, WriteSql};
pub use credentials::{Principal, ReadCredentials, TokenHash, WriteCredentials};
pub use dialect::{CustomFieldSql, Dialect, TextForm, TextPhrase};
pub use error::{StoreError, StoreErrorKind, StoreResult, parse_stored, redact_url};
pub use jobs::{JobRow, ReadJobs, WriteJobs};
pub use lists::{ListQuery, PageRows, PageSummary, Window, stream_page};
pub use oauth::{
    ClientKey, NewOAuthToken, OAuthClientRow, OAuthCode, OAuthTokenRow, ReadOAuth, Revocation,
    WriteOAuth,
};
pub use records::{
    ATTACHMENT_SLICE, ArticleSearch, DeletedTicket, Lookup, ReadRecords, WriteRecords,
};
pub use rules::{Moments, ReadRules, SandboxState, TICKET_MOMENTS, WriteRules};
pub use sql::{Filter, like_escape};
pub use tables::{Table, priority_rank, restriction_columns, status_rank};
pub use text::fold_text;
pub use upkeep::Upkeep;
pub use webhooks::{
    AttemptRow, ClaimedDelivery, InvocationRow, KeyWindow, KeyedPage, NewDeliveryRow, ReadWebhooks,
    WebhookColumns, WebhookRow, WriteWebhooks,
};

/// What can be read inside any transaction: records, what changed since a moment, credentials,
/// OAuth, jobs, the business rules' state and webhooks (each its own trait), and SQL built
/// above the store (search).
pub trait Reader:
    ReadSql
    + ReadRecords
    + ReadChanges
    + ReadCredentials
    + ReadOAuth
    + ReadJobs
    + ReadRules
    + ReadWebhooks
{
}

impl<T> Reader for T where
    T: ReadSql
        + ReadRecords
        + ReadChanges
        + ReadCredentials
        + ReadOAuth
        + ReadJobs
        + ReadRules
        + ReadWebhooks
{
}

/// A [`Reader`] that can also write; everything it writes commits or rolls back together.
pub trait Writer:
    Reader
    + WriteSql
    + WriteRecords
    + WriteCredentials
    + WriteOAuth
    + WriteJobs
    + WriteRules
    + WriteWebhooks
{
}

impl<T> Writer for T where
    T: Reader
        + WriteSql
        + WriteRecords
        + WriteCredentials
        + WriteOAuth
        + WriteJobs
        + WriteRules
        + WriteWebhooks
{
}

/// The database behind a sandbox: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    /// The account's credentials generation as last read from the database, when other
    /// processes may share it.
    shared_generation: Option<Arc<SharedGeneration>>,
    /// Lookups by id gathered into batches, where a lookup costs a round trip (PostgreSQL).
    lookups: Option<Arc<lookups::Lookups>>,
}

/// How stale a process's copy of the account's credentials generation may be: a credential
/// changed through another process is refused here at most this long (and one read) later.
pub const CREDENTIALS_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// The credentials generation every process on the database moves (`credential_changes`),
/// read at most once per [`CREDENTIALS_POLL`] by one request at a time; the others use the
/// value last read.
struct SharedGeneration {
    value: AtomicU64,
    /// Milliseconds after `started` when `value` was read; `u64::MAX`: never.
    read_at: AtomicU64,
    reading: AtomicBool,
    started: std::time::Instant,
}

/// Lets the next request read the generation, however the read that held this ended.
struct Reading<'a>(&'a AtomicBool);

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.backend.dialect())
            .finish()
    }
}

impl Store {
    /// Opens (creating and migrating when needed) the database at `url`: `sqlite://PATH`,
    /// `sqlite::memory:`, a plain file path, or `postgres://USER:PASSWORD@HOST:PORT/DB`
    /// (optionally `?schema=NAME`).
    pub async fn open(url: &str) -> StoreResult<Store> {
        Store::open_with(url, Durability::Normal).await
    }

    pub async fn open_with(url: &str, durability: Durability) -> StoreResult<Store> {
        let url = url.trim();
        if url.is_empty() {
            return Err(StoreError::config(
                "the database URL is empty; use sqlite://PATH, sqlite::memory: or postgres://USER@HOST/DB",
            ));
        }
        let backend: Arc<dyn Backend> = if let Some(target) = postgres::Target::from_url(url) {
            Arc::new(postgres::Postgres::open(target?, durability).await?)
        } else if let Some(target) = sqlite::Target::from_url(url) {
            Arc::new(sqlite::Sqlite::open(target, durability).await?)
        } else {
            return Err(StoreError::config(format!(
                "unsupported database URL `{}`: use sqlite://PATH, sqlite::memory: or postgres://USER@HOST/DB",
                redact_url(url)
            )));
        };
        // Other processes may change credentials in a database file or on a server.
        let shared = backend.database_file().is_some() || backend.dialect() == Dialect::Postgres;
        let shared_generation = shared.then(|| {
            Arc::new(SharedGeneration {
                value: AtomicU64::new(0),
                read_at: AtomicU64::new(u64::MAX),
                reading: AtomicBool::new(false),
                started: std::time::Instant::now(),
            })
        });
        let lookups = (backend.dialect() == Dialect::Postgres)
            .then(|| Arc::new(lookups::Lookups::start(backend.clone())));
        Ok(Store {
            backend,
            shared_generation,
            lookups,
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// Whether processes on other machines may share this database (PostgreSQL): what they
    /// share (the token key, the rate window) then lives in it.
    pub fn is_shared(&self) -> bool {
        self.backend.dialect() == Dialect::Postgres
    }

    /// A number that changes after every committed write to users or credentials: at once for
    /// this process's writes, within [`CREDENTIALS_POLL`] for another process's on the same
    /// database. A sign-in remembered under another generation must be checked again.
    pub async fn credentials_generation(&self) -> u64 {
        let local = self.backend.credentials_generation();
        let Some(shared) = &self.shared_generation else {
            return local;
        };
        let now = shared.started.elapsed().as_millis() as u64;
        let read_at = shared.read_at.load(Ordering::SeqCst);
        let fresh = read_at != u64::MAX
            && now.saturating_sub(read_at) < CREDENTIALS_POLL.as_millis() as u64;
        if !fresh && !shared.reading.swap(true, Ordering::SeqCst) {
            let _reading = Reading(&shared.reading);
            match self
                .peek(|reader| reader.credentials_generation_stored())
                .await
            {
                Ok(value) => {
                    shared.value.store(value, Ordering::SeqCst);
                    shared.read_at.store(now, Ordering::SeqCst);
                }
                Err(StoreError { detail, .. }) => {
                    tracing::warn!(%detail, "cannot read the account's credentials generation");
                }
            }
        }
        local.wrapping_add(shared.value.load(Ordering::SeqCst))
    }

    /// The database file, for a backend that keeps one (SQLite on disk).
    pub fn database_file(&self) -> Option<std::path::PathBuf> {
        self.backend.database_file()
    }

    /// The live record `id` of `table` as stored. On PostgreSQL, lookups made at the same
    /// time are read together (`store::lookups`).
    pub async fn record_text(&self, table: Table, id: i64) -> StoreResult<Option<String>> {
        if let Some(lookups) = &self.lookups
            && let Some(answer) = lookups.record_text(table, id).await
        {
            return answer;
        }
        self.peek(move |reader| reader.record_text(table, id)).await
    }

    /// Runs `f` as `kind` says and hands back its answer.
    async fn run_read<T, E, F>(&self, kind: ReadKind, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Reader) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job: ReadJob = Box::new(move |reader: &mut Transaction<'_>| {
            let _ = tx.send(f(reader));
        });
        match kind {
            ReadKind::Transaction => self.backend.read(job).await?,
            ReadKind::Peek => self.backend.peek(job).await?,
            ReadKind::Alone => self.backend.read_alone(job).await?,
        }
        rx.try_recv().unwrap_or_else(|_| {
            Err(StoreError::unavailable("the read ended without an answer").into())
        })
    }

    /// Runs `f` in a read transaction and returns what it returns.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Reader) -> Result<T, E> + Send + 'static,
    {
        self.run_read(ReadKind::Transaction, f).await
    }

    /// Runs `f`, a read made of one statement that may block (it may stream its rows to a
    /// client), where it costs least: on PostgreSQL without a transaction, since one statement
    /// sees one moment by itself; on SQLite in a read transaction as [`Store::read`]. A read of
    /// two statements or more belongs in [`Store::read`], where they see the same moment.
    pub async fn read_alone<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Reader) -> Result<T, E> + Send + 'static,
    {
        self.run_read(ReadKind::Alone, f).await
    }

    /// Runs `f`, a read of a few rows by key (a record by id, a credential), where it costs
    /// least: on SQLite, on the calling thread. Lists and searches go through [`Store::read`].
    pub async fn peek<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Reader) -> Result<T, E> + Send + 'static,
    {
        self.run_read(ReadKind::Peek, f).await
    }

    /// Runs `f` in a write transaction: committed when it returns `Ok`, rolled back when it
    /// returns `Err` (or panics). Returns once the outcome is durable as configured.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Writer) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job: WriteJob = Box::new(move |writer: &mut Transaction<'_>| {
            let result = f(writer);
            let outcome = if result.is_ok() {
                Outcome::Commit
            } else {
                Outcome::Rollback
            };
            let _ = tx.send(result);
            outcome
        });
        self.backend.write(job).await?;
        rx.try_recv().unwrap_or_else(|_| {
            Err(StoreError::unavailable("the write ended without an answer").into())
        })
    }

    /// Counts one request in the rate window of `limit` (`window_start`, Unix seconds) shared
    /// by every process on the database; `None` when the backend shares no counters (SQLite).
    pub async fn count_request(
        &self,
        limit: &'static str,
        window_start: i64,
    ) -> StoreResult<Option<i64>> {
        self.backend.count_request(limit, window_start).await
    }

    /// The failed sign-ins of `account` (a keyed fingerprint, never the email) in the
    /// `window_secs` since its first failure, shared by every process on the database, one more
    /// first when `add` (at `now`, Unix seconds); `None` when the backend shares no counters
    /// (SQLite).
    pub async fn sign_in_failures(
        &self,
        account: &str,
        now: i64,
        window_secs: i64,
        add: bool,
    ) -> StoreResult<Option<i64>> {
        self.backend
            .sign_in_failures(account.to_string(), now, window_secs, add)
            .await
    }

    /// An account-wide setting shared by every process on the database: `proposed` is stored
    /// when none is (the first process wins) and the stored value answered. `None` when the
    /// backend keeps no settings (SQLite).
    pub async fn shared_setting(
        &self,
        name: &'static str,
        proposed: String,
    ) -> StoreResult<Option<String>> {
        self.backend.shared_setting(name, proposed).await
    }

    /// Lets in-flight work finish and closes every connection.
    pub async fn close(&self) {
        self.backend.close().await;
    }
}
