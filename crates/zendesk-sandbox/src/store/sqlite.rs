//! The SQLite backend (rusqlite, SQLite bundled).
//!
//! Writes: one writer thread owns the write connection. Write jobs queue on a channel; the
//! writer takes every job waiting (up to [`MAX_BATCH`]), runs each inside its own savepoint of
//! one `BEGIN IMMEDIATE` transaction (a job that fails rolls back to its savepoint, alone), and
//! commits once: writers that arrive together share one commit (group commit), and a job is
//! acknowledged only after that commit. Running a whole rule on the thread that owns the
//! connection costs no channel hop per statement.
//!
//! Reads: a pool of read connections used on tokio's blocking threads, each read in its own
//! transaction (one consistent snapshot). In WAL mode they never wait for the writer.
//!
//! `sqlite::memory:` keeps one connection (an in-memory database lives in it) shared by the
//! writer and the readers behind a mutex.
//!
//! Several processes may share one file: the write lock is SQLite's (`BEGIN IMMEDIATE` with a
//! busy timeout), and job claims are single conditional updates.
//!
//! The schema is `migrations/sqlite/*.sql`, applied in order and tracked in `user_version`.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql, params, params_from_iter};
use serde_json::Value;

use super::sql::{self, Bind};
use super::{
    ArticleSearch, Backend, BoxFuture, ClientKey, DeletedTicket, Dialect, Durability, JobRow,
    Lookup, NewOAuthToken, OAuthClientRow, OAuthCode, OAuthTokenRow, Outcome, Principal, ReadJob,
    Reader, Revocation, StoreError, StoreResult, Table, TokenHash, WriteJob, Writer, parse_stored,
    run_guarded,
};
use crate::SandboxError;
use crate::util::now;

/// The migrations, in order; `user_version` holds how many are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_schema.sql"),
    include_str!("../../migrations/sqlite/0002_conversations.sql"),
    include_str!("../../migrations/sqlite/0003_hardening.sql"),
    include_str!("../../migrations/sqlite/0004_oauth.sql"),
    include_str!("../../migrations/sqlite/0005_help_center.sql"),
];

/// Most write jobs committed together.
const MAX_BATCH: usize = 64;
/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;
/// Each read connection's page cache (negative: KiB), beside the shared memory map.
const READER_CACHE_KIB: i64 = -8_192;
/// How long a statement waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the database lives.
#[derive(Clone, Debug)]
pub(super) enum Target {
    File(PathBuf),
    Memory,
}

impl Target {
    /// `sqlite://PATH`, `sqlite:PATH`, `sqlite::memory:`, or a plain path (no `://`).
    pub(super) fn from_url(url: &str) -> Option<Target> {
        if url.contains(":memory:") || url.contains("mode=memory") {
            return url.starts_with("sqlite:").then_some(Target::Memory);
        }
        let path = if let Some(rest) = url.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            rest
        } else if url.contains("://") {
            return None;
        } else {
            url
        };
        // Options after `?` (sqlx's `?mode=rwc`) are not ours: the file is opened read-write
        // and created when missing.
        let path = path.split('?').next().unwrap_or(path);
        (!path.is_empty()).then(|| Target::File(PathBuf::from(path)))
    }
}

impl ToSql for Bind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Bind::Null => ToSqlOutput::Owned(SqlValue::Null),
            Bind::Int(i) => ToSqlOutput::Owned(SqlValue::Integer(*i)),
            Bind::Text(s) => ToSqlOutput::Borrowed(rusqlite::types::ValueRef::Text(s.as_bytes())),
        })
    }
}

fn db(error: rusqlite::Error) -> StoreError {
    StoreError::database(error)
}

struct WriteRequest {
    job: WriteJob,
    done: tokio::sync::oneshot::Sender<StoreResult<()>>,
}

/// Where connections come from.
enum Connections {
    /// A file: a pool of read connections (the writer has its own).
    File {
        path: PathBuf,
        idle: Mutex<Vec<Connection>>,
    },
    /// An in-memory database: its one connection, shared.
    Shared(Arc<Mutex<Connection>>),
}

pub(super) struct Sqlite {
    /// Bumped after every commit that changed users or their credentials.
    credentials: Arc<AtomicU64>,
    writer: Mutex<Option<Sender<WriteRequest>>>,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    connections: Arc<Connections>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Sqlite {
    pub(super) async fn open(
        target: Target,
        durability: Durability,
    ) -> Result<Sqlite, SandboxError> {
        let opened = tokio::task::spawn_blocking(move || open_blocking(target, durability))
            .await
            .map_err(|e| SandboxError::Config(format!("cannot open the database: {e}")))??;
        let (writer_conn, connections) = opened;
        let (tx, rx) = std::sync::mpsc::channel::<WriteRequest>();
        let credentials = Arc::new(AtomicU64::new(0));
        let generation = credentials.clone();
        let thread = std::thread::Builder::new()
            .name("zd-sandbox-writer".into())
            .spawn(move || writer_loop(writer_conn, rx, generation))
            .map_err(|e| SandboxError::Config(format!("cannot start the database writer: {e}")))?;
        Ok(Sqlite {
            credentials,
            writer: Mutex::new(Some(tx)),
            writer_thread: Mutex::new(Some(thread)),
            connections: Arc::new(connections),
        })
    }
}

/// The writer's connection: its own, or the shared in-memory one.
enum WriterConn {
    Own(Connection),
    Shared(Arc<Mutex<Connection>>),
}

fn open_blocking(
    target: Target,
    durability: Durability,
) -> Result<(WriterConn, Connections), SandboxError> {
    let config = |error: rusqlite::Error| SandboxError::Config(format!("database: {error}"));
    match target {
        Target::Memory => {
            let conn = Connection::open_in_memory().map_err(config)?;
            configure(&conn, false, durability).map_err(config)?;
            migrate(&conn)?;
            let shared = Arc::new(Mutex::new(conn));
            Ok((
                WriterConn::Shared(shared.clone()),
                Connections::Shared(shared),
            ))
        }
        Target::File(path) => {
            prepare_file(&path)?;
            let conn = open_file(&path).map_err(config)?;
            configure(&conn, true, durability).map_err(config)?;
            migrate(&conn)?;
            Ok((
                WriterConn::Own(conn),
                Connections::File {
                    path,
                    idle: Mutex::new(Vec::new()),
                },
            ))
        }
    }
}

/// Creates the directory and, for a new database, an empty file only its owner can read: the
/// database holds password and token hashes. An existing file readable by others is narrowed.
fn prepare_file(path: &Path) -> Result<(), SandboxError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            SandboxError::Config(format!(
                "cannot create the directory {} for the sandbox database: {e}",
                parent.display()
            ))
        })?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if let Ok(meta) = std::fs::metadata(path)
                    && meta.permissions().mode() & 0o077 != 0
                {
                    let narrowed =
                        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
                    tracing::warn!(
                        path = %path.display(),
                        narrowed = narrowed.is_ok(),
                        "the sandbox database was readable by other users; it is now owner-only"
                    );
                }
            }
            Err(e) => {
                return Err(SandboxError::Config(format!(
                    "cannot create the sandbox database {}: {e}",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

fn open_file(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

fn configure(conn: &Connection, file: bool, durability: Durability) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(256);
    if file {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let synchronous = match durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", synchronous)?;
        // Reads of a large help desk go through the page cache, not read(2): on a million
        // tickets this halves free-text and tag search latency.
        conn.pragma_update(None, "mmap_size", 1_073_741_824_i64)?;
        conn.pragma_update(None, "cache_size", -65_536_i64)?;
    }
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    // Custom-field comparisons read numbers as PostgreSQL does (see `sql::number_text`):
    // numbers are numbers, text only when it is written as one, booleans and the rest NULL.
    conn.create_scalar_function(
        "zd_number",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Integer(n) => Some(n as f64),
                ValueRef::Real(n) => Some(n),
                ValueRef::Text(text) => std::str::from_utf8(text).ok().and_then(sql::number_text),
                ValueRef::Null | ValueRef::Blob(_) => None,
            })
        },
    )?;
    Ok(())
}

/// Applies the migrations not applied yet, under the write lock (two processes opening a fresh
/// file never both migrate it). A database made by the sqlx-based sandbox (schema 1 recorded in
/// `_sqlx_migrations`) is recognised as schema 1.
fn migrate(conn: &Connection) -> Result<(), SandboxError> {
    let fail =
        |e: rusqlite::Error| SandboxError::Config(format!("cannot migrate the database: {e}"));
    conn.execute_batch("BEGIN IMMEDIATE").map_err(fail)?;
    let result = (|| -> rusqlite::Result<()> {
        let mut version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version == 0 {
            let legacy: Option<i64> = conn
                .query_row(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if legacy.is_some() {
                version = 1;
            }
        }
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            if (index as i64) < version {
                continue;
            }
            conn.execute_batch(migration)?;
        }
        conn.pragma_update(None, "user_version", MIGRATIONS.len() as i64)?;
        Ok(())
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT").map_err(fail),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(fail(e))
        }
    }
}

fn writer_loop(conn: WriterConn, requests: Receiver<WriteRequest>, credentials: Arc<AtomicU64>) {
    while let Ok(first) = requests.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(next) => batch.push(next),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        match &conn {
            WriterConn::Own(c) => run_batch(c, batch, &credentials),
            WriterConn::Shared(shared) => run_batch(&lock(shared), batch, &credentials),
        }
    }
}

/// Runs a batch of write jobs in one transaction, each in its own savepoint, and commits once.
fn run_batch(conn: &Connection, batch: Vec<WriteRequest>, credentials: &AtomicU64) {
    let touched = Cell::new(false);
    let mut pending = batch.into_iter().peekable();
    while pending.peek().is_some() {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let error = format!("cannot start a write: {e}");
            for request in pending {
                let _ = request.done.send(Err(StoreError::database(&error)));
            }
            return;
        }
        // (reply, the job's own failure) for the jobs of this transaction.
        let mut done: Vec<(
            tokio::sync::oneshot::Sender<StoreResult<()>>,
            Option<StoreError>,
        )> = Vec::new();
        let mut aborted = None;
        for request in pending.by_ref() {
            let outcome = savepoint(conn, request.job, &touched);
            if conn.is_autocommit() {
                // The statement that failed took the whole transaction with it (SQLite does
                // this on I/O errors and a full disk): every job of it is lost.
                aborted = Some((request.done, outcome.err()));
                break;
            }
            done.push((request.done, outcome.err()));
        }
        if let Some((failed, cause)) = aborted {
            let error =
                cause.map_or_else(|| "the transaction was aborted".to_string(), |e| e.detail);
            let _ = failed.send(Err(StoreError::database(&error)));
            for (reply, _) in done {
                let _ = reply.send(Err(StoreError::database(&error)));
            }
            continue;
        }
        let committed = conn.execute_batch("COMMIT");
        if let Err(e) = &committed {
            let _ = conn.execute_batch("ROLLBACK");
            tracing::error!(error = %e, "a write transaction failed to commit");
        }
        // After the commit, so a reader never caches a credential under the new generation
        // from data the commit was about to change.
        if touched.replace(false) {
            credentials.fetch_add(1, Ordering::SeqCst);
        }
        for (reply, failure) in done {
            let answer = match (&committed, failure) {
                (Err(e), _) => Err(StoreError::database(format!("commit failed: {e}"))),
                (Ok(()), Some(failure)) => Err(failure),
                (Ok(()), None) => Ok(()),
            };
            let _ = reply.send(answer);
        }
    }
}

/// Runs one job in a savepoint; its changes are released into the transaction or undone.
fn savepoint(conn: &Connection, job: WriteJob, touched: &Cell<bool>) -> StoreResult<()> {
    conn.execute_batch("SAVEPOINT job").map_err(db)?;
    let mut writer = Conn {
        conn,
        credentials: Some(touched),
    };
    let outcome = run_guarded(|| job(&mut writer));
    if conn.is_autocommit() {
        return outcome.map(|_| ());
    }
    match outcome {
        Ok(Outcome::Commit) => conn.execute_batch("RELEASE job").map_err(db),
        Ok(Outcome::Rollback) => conn
            .execute_batch("ROLLBACK TO job; RELEASE job")
            .map_err(db),
        Err(panic) => {
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            Err(panic)
        }
    }
}

impl Connections {
    /// A read of a few rows by key on a file's reader, on this thread and without an explicit
    /// transaction (each statement reads one consistent snapshot).
    fn run_peek(&self, job: ReadJob) -> StoreResult<()> {
        let Connections::File { idle, .. } = self else {
            return self.run_read(job);
        };
        let conn = match lock(idle).pop() {
            Some(conn) => conn,
            None => self.open_reader()?,
        };
        let mut reader = Conn {
            conn: &conn,
            credentials: None,
        };
        let outcome = run_guarded(|| job(&mut reader));
        let mut idle = lock(idle);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        outcome
    }

    fn open_reader(&self) -> StoreResult<Connection> {
        let Connections::File { path, .. } = self else {
            return Err(StoreError::unavailable(
                "an in-memory database has no readers",
            ));
        };
        let conn = open_file(path).map_err(db)?;
        configure(&conn, true, Durability::Normal).map_err(db)?;
        conn.pragma_update(None, "query_only", true).map_err(db)?;
        // Readers find pages through the memory map; a small private cache each keeps
        // concurrent large reads from multiplying the heap.
        conn.pragma_update(None, "cache_size", READER_CACHE_KIB)
            .map_err(db)?;
        Ok(conn)
    }

    fn run_read(&self, job: ReadJob) -> StoreResult<()> {
        match self {
            Connections::Shared(shared) => {
                let conn = lock(shared);
                read_in_transaction(&conn, job)
            }
            Connections::File { idle, .. } => {
                let conn = match lock(idle).pop() {
                    Some(conn) => conn,
                    None => self.open_reader()?,
                };
                let result = read_in_transaction(&conn, job);
                let mut idle = lock(idle);
                if idle.len() < MAX_IDLE_READERS {
                    idle.push(conn);
                }
                result
            }
        }
    }
}

fn read_in_transaction(conn: &Connection, job: ReadJob) -> StoreResult<()> {
    // The shared in-memory connection may be inside the writer's transaction: read within it.
    let own = conn.is_autocommit();
    if own {
        conn.execute_batch("BEGIN").map_err(db)?;
    }
    let mut reader = Conn {
        conn,
        credentials: None,
    };
    let outcome = run_guarded(|| job(&mut reader));
    if own {
        let _ = conn.execute_batch("COMMIT");
    }
    outcome
}

/// The columns of an OAuth token row, in [`token_row`]'s order.
const TOKEN_COLUMNS: &str = "id, user_id, oauth_client_id, scopes, created_at, expires_at,
    refresh_token_expires_at, revoked_at, grant_id, refresh_token_hash IS NOT NULL";

fn token_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OAuthTokenRow> {
    Ok(OAuthTokenRow {
        id: row.get(0)?,
        user_id: row.get(1)?,
        client: row.get(2)?,
        scopes: row.get(3)?,
        created_at: row.get(4)?,
        expires_at: row.get(5)?,
        refresh_token_expires_at: row.get(6)?,
        revoked_at: row.get(7)?,
        grant_id: row.get(8)?,
        has_refresh_token: row.get(9)?,
    })
}

fn client_columns(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Option<String>)> {
    Ok((row.get(0)?, row.get(1)?))
}

fn client_row((json, secret_hash): (String, Option<String>)) -> StoreResult<OAuthClientRow> {
    Ok(OAuthClientRow {
        json: parse_stored(&json)?,
        secret_hash,
    })
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn credentials_generation(&self) -> u64 {
        self.credentials.load(Ordering::SeqCst)
    }

    fn database_file(&self) -> Option<PathBuf> {
        match &*self.connections {
            Connections::File { path, .. } => Some(path.clone()),
            Connections::Shared(_) => None,
        }
    }

    fn read(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        let connections = self.connections.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || connections.run_read(job))
                .await
                .map_err(|e| StoreError::unavailable(format!("read task: {e}")))?
        })
    }

    fn peek(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        match &*self.connections {
            // A file's readers never wait for the writer (WAL): a key lookup takes
            // microseconds, cheaper here than a hop to a blocking thread.
            Connections::File { .. } => {
                let result = self.connections.run_peek(job);
                Box::pin(async move { result })
            }
            // The in-memory database's one connection may be busy writing: do not wait for it
            // on an async thread.
            Connections::Shared(_) => self.read(job),
        }
    }

    fn write(&self, job: WriteJob) -> BoxFuture<'_, StoreResult<()>> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let sent = match lock(&self.writer).as_ref() {
            Some(writer) => writer.send(WriteRequest { job, done }).is_ok(),
            None => false,
        };
        Box::pin(async move {
            if !sent {
                return Err(StoreError::unavailable("the store is closed"));
            }
            answer
                .await
                .map_err(|_| StoreError::unavailable("the database writer stopped"))?
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        // Dropping the sender lets the writer finish what is queued and stop.
        lock(&self.writer).take();
        let thread = lock(&self.writer_thread).take();
        let connections = self.connections.clone();
        Box::pin(async move {
            if let Some(thread) = thread {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            if let Connections::File { idle, .. } = &*connections {
                lock(idle).clear();
            }
        })
    }
}

/// A connection inside a transaction, as a [`Reader`] and [`Writer`].
struct Conn<'a> {
    conn: &'a Connection,
    /// Set when a write changes who credentials belong to (users, tokens, passwords).
    credentials: Option<&'a Cell<bool>>,
}

impl Conn<'_> {
    fn credentials_changed(&self) {
        if let Some(flag) = self.credentials {
            flag.set(true);
        }
    }
}

impl Conn<'_> {
    fn rows<T>(
        &self,
        sql: &str,
        binds: impl rusqlite::Params,
        map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Vec<T>> {
        let mut statement = self.conn.prepare_cached(sql).map_err(db)?;
        let rows = statement.query_map(binds, map).map_err(db)?;
        rows.collect::<Result<Vec<T>, _>>().map_err(db)
    }

    fn row<T>(
        &self,
        sql: &str,
        binds: impl rusqlite::Params,
        map: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> StoreResult<Option<T>> {
        let mut statement = self.conn.prepare_cached(sql).map_err(db)?;
        statement.query_row(binds, map).optional().map_err(db)
    }

    fn exec(&self, sql: &str, binds: impl rusqlite::Params) -> StoreResult<u64> {
        let mut statement = self.conn.prepare_cached(sql).map_err(db)?;
        statement.execute(binds).map(|n| n as u64).map_err(db)
    }

    fn json_rows(&self, sql: &str, binds: impl rusqlite::Params) -> StoreResult<Vec<Value>> {
        self.rows(sql, binds, |row| row.get::<_, String>(0))?
            .iter()
            .map(|text| parse_stored(text))
            .collect()
    }

    fn replace_tags(&self, table: Table, id: i64, tags: &[String]) -> StoreResult<()> {
        let Some((tag_table, owner)) = sql::tag_table(table) else {
            return Ok(());
        };
        self.exec(&format!("DELETE FROM {tag_table} WHERE {owner} = ?1"), [id])?;
        let insert = format!(
            "INSERT INTO {tag_table} ({owner}, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
        );
        for tag in tags {
            self.exec(&insert, params![id, tag])?;
        }
        Ok(())
    }

    /// Replaces a record's full-text row (`rowid` = the record id).
    fn replace_text(
        &self,
        table: Table,
        id: i64,
        mut columns: Vec<(&str, String)>,
    ) -> StoreResult<()> {
        let Some(fts) = table.text_table() else {
            return Ok(());
        };
        if table == Table::Tickets {
            // Public comments and internal notes apart: an end-user's search reads only the
            // former.
            for (column, public) in [("comments", 1), ("private_comments", 0)] {
                let bodies: Option<String> = self
                    .row(
                        "SELECT group_concat(body, char(10)) FROM
                           (SELECT body FROM ticket_comments WHERE ticket_id = ?1 AND public = ?2
                            ORDER BY created_at, id)",
                        [id, public],
                        |row| row.get(0),
                    )?
                    .flatten();
                columns.push((column, bodies.unwrap_or_default()));
            }
        }
        self.exec(&format!("DELETE FROM {fts} WHERE rowid = ?1"), [id])?;
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let marks: Vec<String> = (2..columns.len() + 2).map(|n| format!("?{n}")).collect();
        let sql = format!(
            "INSERT INTO {fts} (rowid, {}) VALUES (?1, {})",
            names.join(", "),
            marks.join(", ")
        );
        let mut values: Vec<Bind> = vec![Bind::Int(id)];
        values.extend(columns.into_iter().map(|(_, text)| Bind::Text(text)));
        self.exec(&sql, params_from_iter(values.iter()))?;
        Ok(())
    }
}

/// `INSERT ... ON CONFLICT (id) DO UPDATE` for a table's derived columns, built once per table.
fn upsert_sql(table: Table, columns: &[(&'static str, Bind)]) -> String {
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let marks: Vec<String> = (1..=names.len()).map(|n| format!("?{n}")).collect();
    let updates: Vec<String> = names
        .iter()
        .filter(|name| **name != "id" && **name != "created_at")
        .map(|name| format!("{name} = excluded.{name}"))
        .collect();
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
        table.name(),
        names.join(", "),
        marks.join(", "),
        updates.join(", ")
    )
}

fn cached_upsert(table: Table, columns: &[(&'static str, Bind)]) -> &'static str {
    static CACHE: OnceLock<Mutex<Vec<(Table, &'static str)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    let mut cache = lock(cache);
    if let Some((_, sql)) = cache.iter().find(|(t, _)| *t == table) {
        return sql;
    }
    let sql: &'static str = Box::leak(upsert_sql(table, columns).into_boxed_str());
    cache.push((table, sql));
    sql
}

fn decode_job(row: &rusqlite::Row<'_>) -> rusqlite::Result<(JobRow, String, Option<String>)> {
    Ok((
        JobRow {
            id: row.get(0)?,
            kind: row.get(1)?,
            status: row.get(2)?,
            payload: Value::Null,
            total: row.get(4)?,
            progress: row.get(5)?,
            message: row.get(6)?,
            results: None,
            base_url: row.get(8)?,
            caller_id: row.get(9)?,
        },
        row.get(3)?,
        row.get(7)?,
    ))
}

fn finish_job_row(
    (mut job, payload, results): (JobRow, String, Option<String>),
) -> StoreResult<JobRow> {
    job.payload = parse_stored(&payload)?;
    job.results = results.as_deref().map(parse_stored).transpose()?;
    Ok(job)
}

/// A working job's progress is how many of its items have a recorded result.
const JOB_COLUMNS: &str = "id, kind, status, payload, total,
    CASE WHEN status = 'working'
         THEN (SELECT COUNT(*) FROM job_items i WHERE i.job_id = jobs.id) ELSE progress END,
    message, results, base_url, caller_id";

impl Reader for Conn<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn record_text(&mut self, table: Table, id: i64) -> StoreResult<Option<String>> {
        let sql = format!(
            "SELECT json FROM {} WHERE id = ?1 AND {}",
            table.name(),
            table.live()
        );
        self.row(&sql, [id], |row| row.get::<_, String>(0))
    }

    fn records(&mut self, table: Table, ids: &[i64]) -> StoreResult<Vec<Value>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(record) = self.record(table, *id)? {
                out.push(record);
            }
        }
        Ok(out)
    }

    fn find_id(&mut self, table: Table, key: Lookup, value: &str) -> StoreResult<Option<i64>> {
        let column = match (table, key) {
            (Table::Users, Lookup::Email) => "email",
            (Table::Organizations, Lookup::Name) => "name_lower",
            (Table::Users | Table::Organizations, Lookup::ExternalId) => "external_id",
            _ => return Ok(None),
        };
        let sql = format!("SELECT id FROM {} WHERE {column} = ?1", table.name());
        self.row(&sql, [value.to_lowercase()], |row| row.get(0))
    }

    fn count(&mut self, table: Table, filters: &[sql::Filter]) -> StoreResult<i64> {
        let (where_sql, binds) = sql::where_clause(filters, Dialect::Sqlite);
        let count_sql = format!("SELECT COUNT(*) FROM {} WHERE {where_sql}", table.name());
        Ok(self
            .row(&count_sql, params_from_iter(binds.iter()), |row| row.get(0))?
            .unwrap_or(0))
    }

    fn find(
        &mut self,
        table: Table,
        filters: &[sql::Filter],
        limit: i64,
    ) -> StoreResult<Vec<Value>> {
        let (where_sql, binds) = sql::where_clause(filters, Dialect::Sqlite);
        let find_sql = format!(
            "SELECT json FROM {} WHERE {where_sql} ORDER BY id LIMIT {limit}",
            table.name()
        );
        self.json_rows(&find_sql, params_from_iter(binds.iter()))
    }

    fn deleted_ticket(&mut self, id: i64) -> StoreResult<Option<DeletedTicket>> {
        let row = self.row(
            "SELECT json, deleted_at, deleted_by FROM tickets WHERE id = ?1 AND deleted_at IS NOT NULL",
            [id],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Option<i64>>(2)?,
                ))
            },
        )?;
        row.map(|(json, deleted_at, deleted_by)| {
            Ok(DeletedTicket {
                ticket: parse_stored(&json)?,
                deleted_at,
                deleted_by: deleted_by.unwrap_or_default(),
            })
        })
        .transpose()
    }

    fn attachment_content(&mut self, id: i64) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .row(
                "SELECT content FROM attachments WHERE id = ?1",
                [id],
                |row| row.get::<_, Option<Vec<u8>>>(0),
            )?
            .flatten())
    }

    fn search_articles(
        &mut self,
        search: &ArticleSearch<'_>,
    ) -> StoreResult<(i64, Vec<(i64, String)>)> {
        // Any word may match, as a prefix ("refund" finds "refunds"); bm25 ranks articles with
        // more of the words, and words in the title, first.
        let terms: Vec<String> = search
            .words
            .iter()
            .map(|word| format!("\"{}\"*", word.replace('"', "")))
            .collect();
        if terms.is_empty() {
            return Ok((0, Vec::new()));
        }
        let (where_sql, mut binds) = sql::where_clause(search.filters, Dialect::Sqlite);
        let matched = format!(
            "FROM hc_articles JOIN (SELECT rowid AS hit, bm25(articles_fts, 4.0, 1.0, 2.0) AS score \
             FROM articles_fts WHERE articles_fts MATCH ?{}) AS m ON m.hit = hc_articles.id \
             WHERE {where_sql}",
            binds.len() + 1
        );
        binds.push(Bind::Text(terms.join(" OR ")));
        let total: i64 = self
            .row(
                &format!("SELECT COUNT(*) {matched}"),
                params_from_iter(binds.iter()),
                |row| row.get(0),
            )?
            .unwrap_or(0);
        let rows = self.rows(
            &format!(
                "SELECT hc_articles.id, hc_articles.json {matched} ORDER BY m.score, hc_articles.id \
                 LIMIT {} OFFSET {}",
                search.limit.max(0),
                search.offset.max(0)
            ),
            params_from_iter(binds.iter()),
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
        )?;
        Ok((total, rows))
    }

    fn comment_count(&mut self, ticket_id: i64) -> StoreResult<i64> {
        Ok(self
            .row(
                "SELECT COUNT(*) FROM ticket_comments WHERE ticket_id = ?1",
                [ticket_id],
                |row| row.get(0),
            )?
            .unwrap_or(0))
    }

    fn users_in_organization(&mut self, organization_id: i64) -> StoreResult<Vec<Value>> {
        self.json_rows(
            "SELECT json FROM users WHERE organization_id = ?1",
            [organization_id],
        )
    }

    fn organizations_with_field_values(&mut self) -> StoreResult<Vec<Value>> {
        self.json_rows(
            "SELECT json FROM organizations WHERE json LIKE '%\"organization_fields\":{\"%'",
            [],
        )
    }

    fn organization_field_by_key(&mut self, key: &str) -> StoreResult<Option<(Value, bool)>> {
        self.row(
            "SELECT json, deleted FROM organization_fields WHERE key = ?1",
            [key],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)),
        )?
        .map(|(json, deleted)| Ok((parse_stored(&json)?, deleted != 0)))
        .transpose()
    }

    fn live_organization_fields(&mut self) -> StoreResult<Vec<Value>> {
        self.json_rows(
            "SELECT json FROM organization_fields WHERE deleted = 0 ORDER BY position, id",
            [],
        )
    }

    fn principal_by_api_token(
        &mut self,
        email: &str,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>> {
        self.row(
            "SELECT u.id, u.role, u.active, u.suspended FROM api_tokens t
             JOIN users u ON u.id = t.user_id
             WHERE t.token_hash IN (?1, ?2) AND u.email = ?3",
            params![token_hash.keyed, token_hash.legacy, email.to_lowercase()],
            |row| {
                Ok(Principal {
                    user_id: row.get(0)?,
                    role: row.get(1)?,
                    active: row.get::<_, i64>(2)? != 0 && row.get::<_, i64>(3)? == 0,
                    scopes: None,
                    token_id: None,
                    expires_at: None,
                })
            },
        )
    }

    fn principal_by_email(&mut self, email: &str) -> StoreResult<Option<(Principal, String)>> {
        self.row(
            "SELECT id, role, active, suspended, password_hash FROM users
             WHERE email = ?1 AND password_hash IS NOT NULL",
            [email.to_lowercase()],
            |row| {
                Ok((
                    Principal {
                        user_id: row.get(0)?,
                        role: row.get(1)?,
                        active: row.get::<_, i64>(2)? != 0 && row.get::<_, i64>(3)? == 0,
                        scopes: None,
                        token_id: None,
                        expires_at: None,
                    },
                    row.get(4)?,
                ))
            },
        )
    }

    fn principal_by_oauth_token(
        &mut self,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>> {
        self.row(
            "SELECT u.id, u.role, u.active, u.suspended, t.scopes, t.id, t.expires_at
             FROM oauth_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash IN (?1, ?2) AND t.revoked_at IS NULL",
            params![token_hash.keyed, token_hash.legacy],
            |row| {
                let scopes: String = row.get(4)?;
                Ok(Principal {
                    user_id: row.get(0)?,
                    role: row.get(1)?,
                    active: row.get::<_, i64>(2)? != 0 && row.get::<_, i64>(3)? == 0,
                    scopes: Some(scopes.split(' ').map(str::to_string).collect()),
                    token_id: Some(row.get(5)?),
                    expires_at: row.get(6)?,
                })
            },
        )
    }

    fn oauth_client(&mut self, key: ClientKey<'_>) -> StoreResult<Option<OAuthClientRow>> {
        let found = match key {
            ClientKey::Id(id) => self.row(
                "SELECT json, secret_hash FROM oauth_clients WHERE id = ?1",
                [id],
                client_columns,
            )?,
            ClientKey::Identifier(identifier) => self.row(
                "SELECT json, secret_hash FROM oauth_clients WHERE identifier = ?1",
                [identifier],
                client_columns,
            )?,
        };
        found.map(client_row).transpose()
    }

    fn oauth_clients(&mut self) -> StoreResult<Vec<OAuthClientRow>> {
        self.rows(
            "SELECT json, secret_hash FROM oauth_clients ORDER BY id",
            [],
            client_columns,
        )?
        .into_iter()
        .map(client_row)
        .collect()
    }

    fn oauth_code(&mut self, code_hash: &str) -> StoreResult<Option<OAuthCode>> {
        self.row(
            "SELECT id, client, user_id, redirect_uri, scopes, code_challenge, expires_at, used_at
             FROM oauth_codes WHERE code_hash = ?1",
            [code_hash],
            |row| {
                Ok(OAuthCode {
                    id: row.get(0)?,
                    client: row.get(1)?,
                    user_id: row.get(2)?,
                    redirect_uri: row.get(3)?,
                    scopes: row.get(4)?,
                    code_challenge: row.get(5)?,
                    expires_at: row.get(6)?,
                    used_at: row.get(7)?,
                })
            },
        )
    }

    fn oauth_token(&mut self, id: i64) -> StoreResult<Option<OAuthTokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE id = ?1");
        self.row(&sql, [id], token_row)
    }

    fn oauth_token_by_refresh(&mut self, refresh_hash: &str) -> StoreResult<Option<OAuthTokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE refresh_token_hash = ?1");
        self.row(&sql, [refresh_hash], token_row)
    }

    fn oauth_tokens(
        &mut self,
        user_id: Option<i64>,
        client: Option<i64>,
    ) -> StoreResult<Vec<OAuthTokenRow>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE revoked_at IS NULL
             AND (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR oauth_client_id = ?2)
             ORDER BY id"
        );
        self.rows(&sql, params![user_id, client], token_row)
    }

    fn user_role(&mut self, id: i64) -> StoreResult<Option<String>> {
        self.row("SELECT role FROM users WHERE id = ?1", [id], |row| {
            row.get(0)
        })
    }

    fn job(&mut self, id: &str) -> StoreResult<Option<JobRow>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
        self.row(&sql, [id], decode_job)?
            .map(finish_job_row)
            .transpose()
    }

    fn job_items(&mut self, id: &str) -> StoreResult<Vec<(i64, Value)>> {
        self.rows(
            "SELECT idx, result FROM job_items WHERE job_id = ?1 ORDER BY idx",
            [id],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?)),
        )?
        .into_iter()
        .map(|(idx, text)| Ok((idx, parse_stored(&text)?)))
        .collect()
    }

    fn recent_jobs(&mut self, limit: i64) -> StoreResult<Vec<JobRow>> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY created_at DESC, id DESC LIMIT ?1");
        self.rows(&sql, [limit], decode_job)?
            .into_iter()
            .map(finish_job_row)
            .collect()
    }

    fn queued_job_ids(&mut self) -> StoreResult<Vec<String>> {
        self.rows(
            "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, id",
            [],
            |row| row.get(0),
        )
    }

    fn active_job_count(&mut self) -> StoreResult<i64> {
        Ok(self
            .row(
                "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'working')",
                [],
                |row| row.get(0),
            )?
            .unwrap_or(0))
    }

    fn query_i64(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Option<i64>> {
        Ok(self
            .row(sql, params_from_iter(binds.iter()), |row| {
                row.get::<_, Option<i64>>(0)
            })?
            .flatten())
    }

    fn query_pairs(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64)>> {
        self.rows(sql, params_from_iter(binds.iter()), |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
    }

    fn query_triples(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64, String)>> {
        self.rows(sql, params_from_iter(binds.iter()), |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
    }

    fn stream_triples(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(i64, i64, &str) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let mut statement = self.conn.prepare_cached(sql).map_err(db)?;
        let mut rows = statement
            .query(params_from_iter(binds.iter()))
            .map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            // The text is borrowed from SQLite's row buffer: no copy of a large record.
            let text = match row.get_ref(2).map_err(db)? {
                rusqlite::types::ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                    .map_err(|e| StoreError::corrupt(format!("stored text: {e}")))?,
                other => {
                    return Err(StoreError::corrupt(format!(
                        "expected stored JSON text, found {:?}",
                        other.data_type()
                    )));
                }
            };
            let (id, key) = (row.get(0).map_err(db)?, row.get(1).map_err(db)?);
            if !each(id, key, text)? {
                break;
            }
        }
        Ok(())
    }
}

impl Writer for Conn<'_> {
    fn allocate_id(&mut self, table: Table) -> StoreResult<i64> {
        // AUTOINCREMENT tables keep their high-water mark in sqlite_sequence (seeded with each
        // resource's id range); reserving from it never hands out an id twice.
        let id = self.row(
            "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = ?1 RETURNING seq",
            [table.name()],
            |row| row.get::<_, i64>(0),
        )?;
        match id {
            Some(id) => Ok(id),
            None => {
                self.exec(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (?1, 1)",
                    [table.name()],
                )?;
                Ok(1)
            }
        }
    }

    fn next_ids(&mut self, counter: &str, n: i64) -> StoreResult<i64> {
        let last: i64 = self
            .row(
                "UPDATE id_counters SET value = value + ?1 WHERE name = ?2 RETURNING value",
                params![n, counter],
                |row| row.get(0),
            )?
            .ok_or_else(|| StoreError::corrupt(format!("no id counter named {counter}")))?;
        Ok(last - n + 1)
    }

    fn save(&mut self, table: Table, record: &Value) -> StoreResult<()> {
        match table {
            Table::OrganizationFields => return self.save_organization_field(record, false),
            Table::TicketComments | Table::TicketAudits => {
                return Err(StoreError::corrupt(format!(
                    "{} rows are written with their own insert",
                    table.record_name()
                )));
            }
            _ => {}
        }
        let columns = sql::derived_columns(table, record);
        let id = match columns.first() {
            Some((_, Bind::Int(id))) => *id,
            _ => 0,
        };
        let upsert = cached_upsert(table, &columns);
        self.exec(upsert, params_from_iter(columns.iter().map(|(_, b)| b)))?;
        if table == Table::Users {
            self.credentials_changed();
        }
        self.replace_tags(table, id, &sql::tags_of(record))?;
        self.replace_text(table, id, sql::text_fields(table, record))
    }

    fn save_organization_field(&mut self, field: &Value, deleted: bool) -> StoreResult<()> {
        let mut columns = sql::derived_columns(Table::OrganizationFields, field);
        columns.push(("deleted", Bind::Int(deleted as i64)));
        let upsert = cached_upsert(Table::OrganizationFields, &columns);
        self.exec(upsert, params_from_iter(columns.iter().map(|(_, b)| b)))?;
        Ok(())
    }

    fn delete_organization(&mut self, id: i64) -> StoreResult<bool> {
        let deleted = self.exec("DELETE FROM organizations WHERE id = ?1", [id])?;
        self.exec(
            "DELETE FROM organization_tags WHERE organization_id = ?1",
            [id],
        )?;
        self.exec("DELETE FROM organizations_fts WHERE rowid = ?1", [id])?;
        Ok(deleted == 1)
    }

    fn delete_row(&mut self, table: Table, id: i64) -> StoreResult<bool> {
        self.credentials_changed();
        let deleted = self.exec(&format!("DELETE FROM {} WHERE id = ?1", table.name()), [id])?;
        if let Some(fts) = table.text_table() {
            self.exec(&format!("DELETE FROM {fts} WHERE rowid = ?1"), [id])?;
        }
        Ok(deleted == 1)
    }

    fn set_ticket_solved_at(&mut self, id: i64, solved_at: Option<i64>) -> StoreResult<()> {
        self.exec(
            "UPDATE tickets SET solved_at = ?1 WHERE id = ?2",
            params![solved_at, id],
        )?;
        Ok(())
    }

    fn set_ticket_deleted(&mut self, id: i64, deleted: Option<(i64, i64)>) -> StoreResult<bool> {
        let changed = match deleted {
            Some((at, by)) => self.exec(
                "UPDATE tickets SET deleted_at = ?1, deleted_by = ?2 WHERE id = ?3 AND deleted_at IS NULL",
                params![at, by, id],
            )?,
            None => self.exec(
                "UPDATE tickets SET deleted_at = NULL, deleted_by = NULL
                 WHERE id = ?1 AND deleted_at IS NOT NULL",
                [id],
            )?,
        };
        Ok(changed == 1)
    }

    fn purge_ticket(&mut self, id: i64) -> StoreResult<()> {
        for sql in [
            "DELETE FROM tickets WHERE id = ?1",
            "DELETE FROM ticket_tags WHERE ticket_id = ?1",
            "DELETE FROM ticket_comments WHERE ticket_id = ?1",
            "DELETE FROM ticket_audits WHERE ticket_id = ?1",
            "DELETE FROM tickets_fts WHERE rowid = ?1",
        ] {
            self.exec(sql, [id])?;
        }
        Ok(())
    }

    fn insert_comment(&mut self, ticket_id: i64, comment: &Value, at: i64) -> StoreResult<()> {
        let int = |key: &str| comment.get(key).and_then(Value::as_i64);
        self.exec(
            "INSERT INTO ticket_comments (id, ticket_id, audit_id, author_id, public, body, json, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                int("id"),
                ticket_id,
                int("audit_id").unwrap_or_default(),
                int("author_id").unwrap_or_default(),
                comment.get("public").and_then(Value::as_bool).unwrap_or(true) as i64,
                comment.get("body").and_then(Value::as_str).unwrap_or_default(),
                comment.to_string(),
                at
            ],
        )?;
        Ok(())
    }

    fn insert_audit(&mut self, ticket_id: i64, audit: &Value, at: i64) -> StoreResult<()> {
        self.exec(
            "INSERT INTO ticket_audits (id, ticket_id, json, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![
                audit.get("id").and_then(Value::as_i64),
                ticket_id,
                audit.to_string(),
                at
            ],
        )?;
        Ok(())
    }

    fn set_attachment_content(&mut self, id: i64, content: &[u8]) -> StoreResult<()> {
        let updated = self.exec(
            "UPDATE attachments SET content = ?1 WHERE id = ?2",
            params![content, id],
        )?;
        if updated != 1 {
            return Err(StoreError::corrupt(format!(
                "no attachment {id} to hold the uploaded bytes"
            )));
        }
        Ok(())
    }

    fn set_password_hash(&mut self, user_id: i64, hash: Option<&str>) -> StoreResult<()> {
        self.credentials_changed();
        self.exec(
            "UPDATE users SET password_hash = ?1 WHERE id = ?2",
            params![hash, user_id],
        )?;
        Ok(())
    }

    fn insert_api_token(
        &mut self,
        user_id: i64,
        token_hash: &str,
        description: &str,
    ) -> StoreResult<()> {
        self.credentials_changed();
        self.exec(
            "INSERT INTO api_tokens (user_id, token_hash, description, created_at)
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (token_hash) DO NOTHING",
            params![user_id, token_hash, description, now()],
        )?;
        Ok(())
    }

    fn insert_oauth_token(&mut self, token: &NewOAuthToken<'_>) -> StoreResult<i64> {
        self.credentials_changed();
        self.row(
            "INSERT INTO oauth_tokens (user_id, token_hash, refresh_token_hash, oauth_client_id,
                scopes, created_at, expires_at, refresh_token_expires_at, grant_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
            params![
                token.user_id,
                token.token_hash,
                token.refresh_token_hash,
                token.client,
                token.scopes,
                now(),
                token.expires_at,
                token.refresh_token_expires_at,
                token.grant_id
            ],
            |row| row.get(0),
        )?
        .ok_or_else(|| StoreError::database("the token insert returned no id"))
    }

    fn revoke_oauth_tokens(&mut self, which: Revocation) -> StoreResult<u64> {
        // Whatever this revokes must stop signing in now, not when a cached sign-in lapses.
        self.credentials_changed();
        let (column, id) = match which {
            Revocation::Token(id) => ("id", id),
            Revocation::Grant(id) => ("grant_id", id),
            Revocation::Client(id) => ("oauth_client_id", id),
        };
        let revoked = self.exec(
            &format!(
                "UPDATE oauth_tokens SET revoked_at = ?1 WHERE {column} = ?2 AND revoked_at IS NULL"
            ),
            params![now(), id],
        )?;
        // Spent and revoked rows are kept while their refresh token could still be presented
        // (so a replay is recognised); after that they are only history.
        self.exec(
            "DELETE FROM oauth_tokens WHERE revoked_at IS NOT NULL
             AND COALESCE(refresh_token_expires_at, revoked_at) < ?1",
            [now() - 86_400],
        )?;
        Ok(revoked)
    }

    fn insert_oauth_client(&mut self, json: &Value) -> StoreResult<i64> {
        let text = |key: &str| json.get(key).and_then(Value::as_str).unwrap_or_default();
        let id: i64 = self
            .row(
                "INSERT INTO oauth_clients (json, identifier, kind, user_id, created_at)
                 VALUES ('{}', ?1, ?2, ?3, ?4) RETURNING id",
                params![
                    text("identifier"),
                    text("kind"),
                    json.get("user_id")
                        .and_then(Value::as_i64)
                        .unwrap_or_default(),
                    now()
                ],
                |row| row.get(0),
            )?
            .ok_or_else(|| StoreError::database("the client insert returned no id"))?;
        let mut stored = json.clone();
        stored["id"] = Value::from(id);
        self.update_oauth_client(id, &stored)?;
        Ok(id)
    }

    fn update_oauth_client(&mut self, id: i64, json: &Value) -> StoreResult<()> {
        let text = |key: &str| json.get(key).and_then(Value::as_str).unwrap_or_default();
        // A client's kind and redirect URIs decide who may sign in through it.
        self.credentials_changed();
        self.exec(
            "UPDATE oauth_clients SET json = ?1, identifier = ?2, kind = ?3 WHERE id = ?4",
            params![json.to_string(), text("identifier"), text("kind"), id],
        )?;
        Ok(())
    }

    fn set_oauth_client_secret(&mut self, id: i64, secret_hash: Option<&str>) -> StoreResult<()> {
        self.credentials_changed();
        self.exec(
            "UPDATE oauth_clients SET secret_hash = ?1 WHERE id = ?2",
            params![secret_hash, id],
        )?;
        Ok(())
    }

    fn delete_oauth_client(&mut self, id: i64) -> StoreResult<bool> {
        self.revoke_oauth_tokens(Revocation::Client(id))?;
        self.exec("DELETE FROM oauth_codes WHERE client = ?1", [id])?;
        Ok(self.exec("DELETE FROM oauth_clients WHERE id = ?1", [id])? == 1)
    }

    fn insert_oauth_code(&mut self, code_hash: &str, code: &OAuthCode) -> StoreResult<i64> {
        self.exec(
            "DELETE FROM oauth_codes WHERE expires_at < ?1",
            [now() - 3_600],
        )?;
        self.row(
            "INSERT INTO oauth_codes (code_hash, client, user_id, redirect_uri, scopes,
                code_challenge, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
            params![
                code_hash,
                code.client,
                code.user_id,
                code.redirect_uri,
                code.scopes,
                code.code_challenge,
                now(),
                code.expires_at
            ],
            |row| row.get(0),
        )?
        .ok_or_else(|| StoreError::database("the code insert returned no id"))
    }

    fn spend_oauth_code(&mut self, id: i64) -> StoreResult<bool> {
        Ok(self.exec(
            "UPDATE oauth_codes SET used_at = ?1 WHERE id = ?2 AND used_at IS NULL",
            params![now(), id],
        )? == 1)
    }

    fn insert_job(&mut self, job: &JobRow) -> StoreResult<()> {
        self.exec(
            "INSERT INTO jobs (id, kind, status, payload, total, progress, message, results, base_url,
                caller_id, created_at, updated_at)
             VALUES (?1, ?2, 'queued', ?3, ?4, NULL, NULL, NULL, ?5, ?6, ?7, ?7)",
            params![
                job.id,
                job.kind,
                job.payload.to_string(),
                job.total,
                job.base_url,
                job.caller_id,
                now()
            ],
        )?;
        Ok(())
    }

    fn claim_job(&mut self, id: &str, runner: &str) -> StoreResult<bool> {
        let claimed = self.exec(
            "UPDATE jobs SET status = 'working', claimed_by = ?1, heartbeat_at = ?2, progress = 0,
             updated_at = ?2 WHERE id = ?3 AND status = 'queued'",
            params![runner, now(), id],
        )?;
        Ok(claimed == 1)
    }

    fn record_job_item(
        &mut self,
        id: &str,
        index: i64,
        result: &Value,
        message: &str,
    ) -> StoreResult<()> {
        self.exec(
            "INSERT INTO job_items (job_id, idx, result) VALUES (?1, ?2, ?3)
             ON CONFLICT (job_id, idx) DO UPDATE SET result = excluded.result",
            params![id, index, result.to_string()],
        )?;
        self.exec(
            "UPDATE jobs SET message = ?1, heartbeat_at = ?2, updated_at = ?2 WHERE id = ?3",
            params![message, now(), id],
        )?;
        Ok(())
    }

    fn job_heartbeat(&mut self, id: &str) -> StoreResult<()> {
        self.exec(
            "UPDATE jobs SET heartbeat_at = ?1 WHERE id = ?2 AND status = 'working'",
            params![now(), id],
        )?;
        Ok(())
    }

    fn finish_job(
        &mut self,
        id: &str,
        status: &str,
        progress: i64,
        message: &str,
        results: &Value,
    ) -> StoreResult<()> {
        self.exec(
            "UPDATE jobs SET status = ?1, progress = ?2, message = ?3, results = ?4, updated_at = ?5,
                heartbeat_at = ?5 WHERE id = ?6",
            params![status, progress, message, results.to_string(), now(), id],
        )?;
        Ok(())
    }

    fn requeue_abandoned_jobs(&mut self, stale_after_secs: i64) -> StoreResult<u64> {
        // Every item that took effect has its result row (same transaction), so the job can
        // go on from the first item without one: nothing runs twice.
        self.exec(
            "UPDATE jobs SET status = 'queued', claimed_by = NULL, updated_at = ?1,
             message = 'Resumed after the sandbox running it stopped: ' ||
                       (SELECT COUNT(*) FROM job_items i WHERE i.job_id = jobs.id) || ' of ' ||
                       total || ' items were already done and are kept'
             WHERE status = 'working' AND COALESCE(heartbeat_at, 0) < ?2",
            params![now(), now() - stale_after_secs],
        )
    }

    fn expire_jobs(&mut self) -> StoreResult<()> {
        let before = now() - 86_400;
        self.exec(
            "DELETE FROM job_items WHERE job_id IN (SELECT id FROM jobs
               WHERE status IN ('completed', 'failed', 'killed') AND updated_at < ?1)",
            [before],
        )?;
        self.exec(
            "DELETE FROM jobs WHERE status IN ('completed', 'failed', 'killed') AND updated_at < ?1",
            [before],
        )?;
        Ok(())
    }

    fn execute(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64> {
        self.credentials_changed();
        self.exec(sql, params_from_iter(binds.iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_database() {
        assert!(matches!(
            Target::from_url("sqlite::memory:"),
            Some(Target::Memory)
        ));
        assert!(matches!(
            Target::from_url("sqlite:///tmp/x.db"),
            Some(Target::File(p)) if p == Path::new("/tmp/x.db")
        ));
        assert!(matches!(
            Target::from_url("sqlite://rel/x.db?mode=rwc"),
            Some(Target::File(p)) if p == Path::new("rel/x.db")
        ));
        assert!(matches!(
            Target::from_url("data/sandbox.db"),
            Some(Target::File(p)) if p == Path::new("data/sandbox.db")
        ));
        assert!(Target::from_url("postgres://localhost/zd").is_none());
        assert!(Target::from_url("sqlite://").is_none());
    }
}
