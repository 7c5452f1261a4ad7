//! What a backend is to the store: how a read, a key lookup and a write are run on it, and the
//! settings every process on one database shares.

use std::future::Future;
use std::pin::Pin;

use super::connection::{ReadJob, WriteJob};
use super::dialect::Dialect;
use super::error::StoreResult;
use super::tables::Table;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Records as stored: (id, JSON text).
pub(crate) type RecordTexts = Vec<(i64, String)>;

/// A database behind the store: how its reads and writes are run. Object-safe: the typed entry
/// points live on [`Store`].
pub(crate) trait Backend: Send + Sync {
    fn dialect(&self) -> Dialect;
    /// The database file, for a backend that keeps one.
    fn database_file(&self) -> Option<std::path::PathBuf>;
    /// A number that changes after every committed write that changed users or credentials
    /// (in this process), so cached sign-ins can tell they may be stale.
    fn credentials_generation(&self) -> u64;
    /// Runs `job` in a read transaction.
    fn read(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>>;
    /// Runs `job`, a read of a few rows by key, where it costs least: a backend may run it on
    /// the calling thread rather than hop to a blocking one.
    fn peek(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        self.read(job)
    }
    /// Runs `job`, a read of one statement that may block (it may stream its rows to a
    /// client), where it costs least: a statement sees one moment by itself, so a backend
    /// whose transactions cost round trips runs it without one.
    fn read_alone(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        self.read(job)
    }
    /// Reads the live records `ids` of `table` as stored, (id, JSON text), from async code
    /// with no blocking thread, where the backend has a way to (`store::lookups` reads its
    /// batches so); `None` where it has not, and the caller peeks.
    fn read_records_async(
        &self,
        table: Table,
        ids: Vec<i64>,
    ) -> Option<BoxFuture<'_, StoreResult<RecordTexts>>> {
        let _ = (table, ids);
        None
    }
    /// Runs `job` in a write transaction; resolves once it is committed (or rolled back).
    fn write(&self, job: WriteJob) -> BoxFuture<'_, StoreResult<()>>;
    fn close(&self) -> BoxFuture<'_, ()>;

    /// Refreshes the planner's statistics of the tables that changed much since they were last
    /// gathered (see `store::upkeep`); answers the tables refreshed. Nothing by default.
    fn refresh_statistics(&self) -> BoxFuture<'_, StoreResult<Vec<String>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Counts one request in the rate window of the limit `limit` (the account's, or an
    /// endpoint's own) starting at `window_start`, shared by every process on the database,
    /// and answers the window's count so far. `None`: the backend keeps no shared counters
    /// (SQLite: the process counts in memory).
    fn count_request(
        &self,
        limit: &'static str,
        window_start: i64,
    ) -> BoxFuture<'_, StoreResult<Option<i64>>> {
        let _ = (limit, window_start);
        Box::pin(async { Ok(None) })
    }

    /// The failed sign-ins of `account` (a keyed fingerprint) in its window: the window opens
    /// at the account's first failure and lasts `window_secs`, so it never splits a burst of
    /// guesses at a clock minute. Counted by every process on the database, one more first when
    /// `add` (at `now`, Unix seconds). `None`: the backend keeps no shared counters (SQLite:
    /// the process counts in memory).
    fn sign_in_failures(
        &self,
        account: String,
        now: i64,
        window_secs: i64,
        add: bool,
    ) -> BoxFuture<'_, StoreResult<Option<i64>>> {
        let _ = (account, now, window_secs, add);
        Box::pin(async { Ok(None) })
    }

    /// The account-wide setting `name`: stored as `proposed` when missing (the first process
    /// wins), then read back. `None`: the backend keeps none (SQLite keeps its key in a file).
    fn shared_setting(
        &self,
        name: &'static str,
        proposed: String,
    ) -> BoxFuture<'_, StoreResult<Option<String>>> {
        let _ = (name, proposed);
        Box::pin(async { Ok(None) })
    }
}

/// How durable an acknowledged write is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// Committed writes survive a crash of the process; a power loss may drop the last few
    /// (SQLite WAL with `synchronous=NORMAL`; PostgreSQL `synchronous_commit=off`, where a
    /// crash of the database server may too).
    #[default]
    Normal,
    /// Every acknowledged write survives a power loss (`synchronous=FULL`;
    /// `synchronous_commit=on`).
    Full,
}
