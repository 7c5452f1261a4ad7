//! What the queries need of a database connection, and the transaction they run in.
//!
//! A backend gives a [`Connection`]: statements in (SQL with `$?` bind markers, numbered by
//! [`super::sql::bind_markers`] in its own spelling), rows out, and the few things the two
//! databases do differently, as hooks: how a write transaction starts (and takes the account's
//! write lock), where new ids come from, what a saved record adds to its row (PostgreSQL's
//! `search` vector and JSONB custom fields) or beside it (SQLite's FTS rows), and the row lock
//! of a job claim. Every query is written once, over this trait, in `records.rs`,
//! `credentials.rs`, `oauth.rs` and `jobs.rs`, as methods of [`Transaction`].

use std::any::Any;
use std::cell::Cell;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use super::bind::Bind;
use super::dialect::Dialect;
use super::error::{StoreError, StoreErrorKind, StoreResult, parse_stored};
use super::record_cache::RecordCache;
use super::tables::Table;

/// One row of an answer.
pub(crate) trait Row {
    /// An integer column (a boolean reads as 0 or 1); `None` when NULL.
    fn int(&self, index: usize) -> StoreResult<Option<i64>>;
    /// A text column, borrowed from the row; `None` when NULL.
    fn text(&self, index: usize) -> StoreResult<Option<&str>>;
    /// A bytes column; `None` when NULL.
    fn bytes(&self, index: usize) -> StoreResult<Option<Vec<u8>>>;
}

impl dyn Row + '_ {
    /// An integer column that is never NULL.
    pub(crate) fn id(&self, index: usize) -> StoreResult<i64> {
        self.int(index)?
            .ok_or_else(|| StoreError::corrupt(format!("column {index} is NULL, not a number")))
    }

    /// A text column that is never NULL.
    pub(crate) fn string(&self, index: usize) -> StoreResult<String> {
        self.str(index).map(str::to_string)
    }

    pub(crate) fn str(&self, index: usize) -> StoreResult<&str> {
        self.text(index)?
            .ok_or_else(|| StoreError::corrupt(format!("column {index} is NULL, not text")))
    }

    pub(crate) fn opt_string(&self, index: usize) -> StoreResult<Option<String>> {
        Ok(self.text(index)?.map(str::to_string))
    }

    /// A stored record (JSON text).
    pub(crate) fn json(&self, index: usize) -> StoreResult<Value> {
        parse_stored(self.str(index)?)
    }

    pub(crate) fn flag(&self, index: usize) -> StoreResult<bool> {
        Ok(self.id(index)? != 0)
    }
}

/// SQL built above the store (search) with `$?` bind markers, run in a read transaction.
pub trait ReadSql {
    /// Which SQL the store speaks: ask it for the fragments that differ between backends.
    fn dialect(&self) -> Dialect;
    /// Runs SQL answering one integer.
    fn query_i64(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Option<i64>>;
    /// Runs SQL answering rows of two integers.
    fn query_pairs(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64)>>;
    /// Runs SQL answering rows of three integers.
    fn query_int_triples(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<[i64; 3]>>;
    /// Runs SQL answering rows of (integer, integer, text).
    fn query_triples(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64, String)>>;
    /// As [`ReadSql::query_triples`], handing each row to `each` as it is read (a row is never
    /// held longer than `each` takes); `each` answers false to stop.
    fn stream_triples(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(i64, i64, &str) -> StoreResult<bool>,
    ) -> StoreResult<()>;
    /// As [`ReadSql::stream_triples`], with a fourth column of text that may be NULL (a list's
    /// companion, `TableSpec::companion`).
    fn stream_page_rows(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(PageRow<'_>) -> StoreResult<bool>,
    ) -> StoreResult<()>;
    /// The texts of records this reader has read before, by row revision (`record_cache.rs`);
    /// `None` where none are kept (SQLite, and writes, whose rows may yet be undone).
    fn record_cache(&self) -> Option<&RecordCache>;
}

/// One row of a page as read: the record's id, its sort key, its stored JSON text and, for a
/// table with a companion (`TableSpec::companion`), that part's JSON text.
#[derive(Clone, Copy, Debug)]
pub struct PageRow<'a> {
    pub id: i64,
    pub key: i64,
    pub json: &'a str,
    pub companion: Option<&'a str>,
}

/// SQL that changes rows (`$?` bind markers), run in a write transaction; for maintenance and
/// tests.
pub trait WriteSql {
    /// How many rows it changed.
    fn execute(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64>;
}

/// How a write closure ended: its changes are kept or undone.
pub(crate) enum Outcome {
    Commit,
    Rollback,
}

/// A read, run in a transaction.
pub(crate) type ReadJob = Box<dyn FnOnce(&mut Transaction<'_>) + Send>;
/// A write, run in a transaction; it says whether its changes are kept.
pub(crate) type WriteJob = Box<dyn FnOnce(&mut Transaction<'_>) -> Outcome + Send>;

/// A column a backend adds to a record's row on save: its name, the SQL of its value (with
/// `$?` markers) and the binds.
pub(crate) struct ExtraColumn {
    pub name: &'static str,
    pub value: String,
    pub binds: Vec<Bind>,
}

/// A database connection as the queries use it.
pub(crate) trait Connection {
    fn dialect(&self) -> Dialect;
    /// Runs a statement; how many rows it changed.
    fn execute(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64>;
    /// Runs a query and hands each row to `each`, until `each` answers false. For answers of a
    /// few rows: a backend may read them all first.
    fn query(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()>;
    /// As [`Connection::query`], each row handed on as it is read from the database and never
    /// held longer: for pages of large records.
    fn stream(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        self.query(sql, binds, each)
    }
    /// Runs statements without binds or rows (transaction control).
    fn batch(&mut self, sql: &str) -> StoreResult<()>;
    /// The record cache a reading connection shares with the others of its store
    /// (`record_cache.rs`); `None` where there is none, and always on the writer's connection:
    /// a write's rows may still be undone.
    fn record_cache(&self) -> Option<&RecordCache> {
        None
    }

    /// Starts a write transaction holding the account's write lock (SQLite: `BEGIN
    /// IMMEDIATE`; PostgreSQL: `BEGIN` and an advisory lock keyed by the schema).
    fn begin_write(&mut self) -> StoreResult<()>;
    /// Starts a read transaction (one consistent snapshot); false when the connection already
    /// is in one, which the read then joins.
    fn begin_read(&mut self) -> StoreResult<bool>;
    /// Whether the database ended the transaction on its own (SQLite after an I/O error or a
    /// full disk; PostgreSQL when the connection is lost): every change of it is gone.
    fn transaction_lost(&self) -> bool;

    /// A fresh id for a new record of `table` (each resource has its own id range).
    fn allocate_id(&mut self, table: Table) -> StoreResult<i64>;
    /// Reserves `n` consecutive ids of a named counter; returns the first.
    fn next_ids(&mut self, counter: &str, n: i64) -> StoreResult<i64>;
    /// Columns this backend adds to a saved record's row: full text (`text` is the record's
    /// text fields) and JSON it indexes. SQLite adds none.
    fn extra_columns(
        &mut self,
        table: Table,
        record: &Value,
        text: &[(&'static str, String)],
    ) -> Vec<ExtraColumn>;
    /// Writes a saved record's full text beside its row (SQLite's FTS table); PostgreSQL keeps
    /// it in the row and does nothing.
    fn index_text(
        &mut self,
        table: Table,
        id: i64,
        text: &[(&'static str, String)],
    ) -> StoreResult<()>;
    /// Forgets a removed record's full text kept beside its row.
    fn drop_text(&mut self, table: Table, id: i64) -> StoreResult<()>;
    /// What a claim's subquery adds so that it never waits on a row another transaction holds
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`); empty where writes are serialized anyway.
    fn skip_locked(&self) -> &'static str;
}

/// A connection inside a transaction: what the store's `Reader` and `Writer` are made of. Every statement goes through here, so a failed one is noticed even when the job that
/// ran it answers Ok (PostgreSQL has then aborted the transaction; on both backends the job
/// is undone).
pub(crate) struct Transaction<'a> {
    pub(crate) conn: &'a mut dyn Connection,
    /// Set when a write changes who credentials belong to (users, tokens, passwords).
    credentials: Option<&'a Cell<bool>>,
    /// The first statement that failed: what kind of failure, and why.
    failed: Option<(StoreErrorKind, String)>,
}

impl<'a> Transaction<'a> {
    pub(crate) fn reading(conn: &'a mut dyn Connection) -> Transaction<'a> {
        Transaction {
            conn,
            credentials: None,
            failed: None,
        }
    }

    pub(crate) fn writing(
        conn: &'a mut dyn Connection,
        credentials: &'a Cell<bool>,
    ) -> Transaction<'a> {
        Transaction {
            conn,
            credentials: Some(credentials),
            failed: None,
        }
    }

    /// The write changed users or credentials: cached sign-ins must be checked again.
    pub(crate) fn credentials_changed(&self) {
        if let Some(flag) = self.credentials {
            flag.set(true);
        }
    }

    /// `result`, remembering a failure (see the type's doc).
    pub(crate) fn noted<T>(&mut self, result: StoreResult<T>) -> StoreResult<T> {
        if let (Err(error), None) = (&result, &self.failed) {
            self.failed = Some((error.kind, error.detail.clone()));
        }
        result
    }

    pub(crate) fn exec(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64> {
        let result = self.conn.execute(sql, binds);
        self.noted(result)
    }

    pub(crate) fn each_row(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let result = self.conn.query(sql, binds, each);
        self.noted(result)
    }

    /// Hands each row to `each` as it is read (see [`Connection::stream`]).
    pub(crate) fn stream_rows(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let result = self.conn.stream(sql, binds, each);
        self.noted(result)
    }

    /// Every row, each turned into a `T`.
    pub(crate) fn rows<T>(
        &mut self,
        sql: &str,
        binds: &[Bind],
        mut map: impl FnMut(&dyn Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let mut out = Vec::new();
        self.each_row(sql, binds, &mut |row| {
            out.push(map(row)?);
            Ok(true)
        })?;
        Ok(out)
    }

    /// The first row, turned into a `T`.
    pub(crate) fn row<T>(
        &mut self,
        sql: &str,
        binds: &[Bind],
        map: impl FnOnce(&dyn Row) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let mut map = Some(map);
        let mut out = None;
        self.each_row(sql, binds, &mut |row| {
            if let Some(map) = map.take() {
                out = Some(map(row)?);
            }
            Ok(false)
        })?;
        Ok(out)
    }

    /// The first column of the first row, an integer (`None`: no row, or NULL).
    pub(crate) fn one_int(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Option<i64>> {
        Ok(self.row(sql, binds, |row| row.int(0))?.flatten())
    }

    /// Stored records (JSON text in the first column).
    pub(crate) fn json_rows(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<Value>> {
        self.rows(sql, binds, |row| row.json(0))
    }
}

/// Runs a read job in a read transaction on `conn`.
pub(crate) fn read_in_transaction(conn: &mut dyn Connection, job: ReadJob) -> StoreResult<()> {
    let own = conn.begin_read()?;
    let outcome = run_guarded(|| job(&mut Transaction::reading(&mut *conn)));
    if own {
        let _ = conn.batch("COMMIT");
    }
    outcome
}

/// Runs a read job of a few rows by key on `conn` as it is, each statement on its own
/// (autocommit: no `BEGIN` and `COMMIT` to pay for).
pub(crate) fn peek_outside_transaction(conn: &mut dyn Connection, job: ReadJob) -> StoreResult<()> {
    run_guarded(|| job(&mut Transaction::reading(conn)))
}

/// How a write job ended, as the writer answers it.
pub(crate) enum JobEnd {
    /// Its changes are in the transaction.
    Done,
    /// It answered an error and its changes were undone; that error, on its own channel, is
    /// the job's answer.
    RolledBack,
    /// It failed below its own answer (a statement failed while it answered Ok, a panic, a
    /// savepoint that could not be released): undone, and this is the answer.
    Failed(StoreError),
}

/// Runs one write job in the write transaction `conn` is in. In its own savepoint when it
/// shares the transaction with others (a job that fails is undone alone); a lone job needs
/// none, and its failure undoes the transaction. Answers how the job ended and whether the
/// transaction must be rolled back whole.
pub(crate) fn run_write_job(
    conn: &mut dyn Connection,
    job: WriteJob,
    touched: &Cell<bool>,
    savepoint: bool,
) -> (JobEnd, bool) {
    if savepoint && let Err(error) = conn.batch("SAVEPOINT job") {
        return (JobEnd::Failed(error), false);
    }
    // Only a job whose changes are kept counts as changing credentials.
    let changed = Cell::new(false);
    let mut tx = Transaction::writing(&mut *conn, &changed);
    let outcome = run_guarded(|| job(&mut tx));
    let statement_failed = tx.failed.take();
    let end = match (outcome, statement_failed) {
        (Ok(Outcome::Commit), Some((kind, why))) => JobEnd::Failed(StoreError {
            kind,
            detail: format!("a statement failed, so the write was rolled back: {why}"),
        }),
        (Ok(Outcome::Commit), None) => JobEnd::Done,
        (Ok(Outcome::Rollback), _) => JobEnd::RolledBack,
        (Err(panic), _) => JobEnd::Failed(panic),
    };
    match end {
        JobEnd::Done if savepoint => match conn.batch("RELEASE SAVEPOINT job") {
            Ok(()) => {
                touched.set(touched.get() | changed.get());
                (JobEnd::Done, false)
            }
            Err(error) => (JobEnd::Failed(error), undo(conn, savepoint)),
        },
        JobEnd::Done => {
            touched.set(touched.get() | changed.get());
            (JobEnd::Done, false)
        }
        undone => {
            let undo_all = undo(conn, savepoint);
            (undone, undo_all)
        }
    }
}

/// Undoes a job: back to its savepoint, or (a lone job) the whole transaction, which the
/// caller then rolls back. Answers whether the whole transaction must go.
fn undo(conn: &mut dyn Connection, savepoint: bool) -> bool {
    if !savepoint {
        return true;
    }
    if !conn.transaction_lost() {
        let _ = conn.batch("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job");
    }
    false
}

impl ReadSql for Transaction<'_> {
    fn dialect(&self) -> Dialect {
        self.conn.dialect()
    }

    fn query_i64(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Option<i64>> {
        self.one_int(sql, binds)
    }

    fn query_pairs(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64)>> {
        self.rows(sql, binds, |row| Ok((row.id(0)?, row.id(1)?)))
    }

    fn query_int_triples(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<[i64; 3]>> {
        self.rows(sql, binds, |row| Ok([row.id(0)?, row.id(1)?, row.id(2)?]))
    }

    fn query_triples(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64, String)>> {
        self.rows(sql, binds, |row| {
            Ok((row.id(0)?, row.id(1)?, row.string(2)?))
        })
    }

    fn stream_triples(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(i64, i64, &str) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        self.stream_rows(sql, binds, &mut |row| {
            each(row.id(0)?, row.id(1)?, row.str(2)?)
        })
    }

    fn stream_page_rows(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(PageRow<'_>) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        self.stream_rows(sql, binds, &mut |row| {
            each(PageRow {
                id: row.id(0)?,
                key: row.id(1)?,
                json: row.str(2)?,
                companion: row.text(3)?,
            })
        })
    }

    fn record_cache(&self) -> Option<&RecordCache> {
        self.conn.record_cache()
    }
}

impl WriteSql for Transaction<'_> {
    fn execute(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64> {
        self.credentials_changed();
        self.exec(sql, binds)
    }
}

/// Runs a job; a panic inside it becomes a failure (its transaction is undone), not a dead
/// writer.
pub(crate) fn run_guarded<T>(f: impl FnOnce() -> T) -> Result<T, StoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let text = panic_text(&*panic);
        tracing::error!(panic = %text, "a storage job panicked; its transaction is rolled back");
        StoreError::database(format!("a storage job panicked: {text}"))
    })
}

fn panic_text(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Idle connections kept for the next caller, at most `max`.
pub(crate) struct Idle<C> {
    connections: Mutex<Vec<C>>,
    max: usize,
}

impl<C> Idle<C> {
    pub(crate) fn new(max: usize) -> Idle<C> {
        Idle {
            connections: Mutex::new(Vec::new()),
            max,
        }
    }

    pub(crate) fn take(&self) -> Option<C> {
        lock(&self.connections).pop()
    }

    pub(crate) fn keep(&self, conn: C) {
        let mut idle = lock(&self.connections);
        if idle.len() < self.max {
            idle.push(conn);
        }
    }

    /// Every idle connection, to close them.
    pub(crate) fn drain(&self) -> Vec<C> {
        std::mem::take(&mut *lock(&self.connections))
    }
}

/// A mutex's guard, also after a panic elsewhere poisoned it (the data is still sound: every
/// holder leaves it consistent between statements).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
