//! The SQLite backend (rusqlite, SQLite bundled): its connections, its schema, and its side of
//! the SQL that differs between backends (full text in contentless FTS5 tables, custom fields
//! through `json_each`, ids from `sqlite_sequence`).
//!
//! Writes go to the group-commit writer (`group_commit.rs`) over the write connection;
//! `BEGIN IMMEDIATE` is the write lock, with a busy timeout, so several processes may share one
//! file. Reads: a pool of read connections used on tokio's blocking threads, each read in its
//! own transaction (one consistent snapshot); in WAL mode they never wait for the writer.
//! `sqlite::memory:` keeps one connection (an in-memory database lives in it) shared by the
//! writer and the readers behind a mutex.
//!
//! The schema is `migrations/sqlite/*.sql`, applied in order and tracked in `user_version`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{OpenFlags, OptionalExtension, ToSql, params_from_iter};
use serde_json::Value;

use super::backend::{Backend, BoxFuture, Durability};
use super::bind::Bind;
use super::connection::{
    self, ExtraColumn, Idle, ReadJob, Row, WriteJob, lock, peek_outside_transaction,
    read_in_transaction,
};
use super::dialect::Dialect;
use super::error::{StoreError, StoreResult};
use super::group_commit::{GroupCommit, WithConnection};
use super::sql::bind_markers;
use super::tables::Table;
use super::text::number_text;

/// The migrations, in order; `user_version` holds how many are applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_schema.sql"),
    include_str!("../../migrations/sqlite/0002_conversations.sql"),
    include_str!("../../migrations/sqlite/0003_hardening.sql"),
    include_str!("../../migrations/sqlite/0004_oauth.sql"),
    include_str!("../../migrations/sqlite/0005_help_center.sql"),
    include_str!("../../migrations/sqlite/0006_hardening_two.sql"),
    include_str!("../../migrations/sqlite/0007_business_rules.sql"),
    include_str!("../../migrations/sqlite/0008_webhooks.sql"),
    include_str!("../../migrations/sqlite/0009_incremental.sql"),
    include_str!("../../migrations/sqlite/0010_comment_text_once.sql"),
];

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
            Bind::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Bind::Blob(bytes) => ToSqlOutput::Borrowed(ValueRef::Blob(bytes)),
        })
    }
}

fn db(error: rusqlite::Error) -> StoreError {
    StoreError::database(error)
}

/// A rusqlite connection as the queries use it.
struct Lite<'c> {
    conn: &'c rusqlite::Connection,
}

impl connection::Connection for Lite<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64> {
        let sql = bind_markers(sql, Dialect::Sqlite);
        let mut statement = self.conn.prepare_cached(&sql).map_err(db)?;
        statement
            .execute(params_from_iter(binds.iter()))
            .map(|n| n as u64)
            .map_err(db)
    }

    fn query(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let sql = bind_markers(sql, Dialect::Sqlite);
        let mut statement = self.conn.prepare_cached(&sql).map_err(db)?;
        let mut rows = statement
            .query(params_from_iter(binds.iter()))
            .map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            if !each(row)? {
                break;
            }
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> StoreResult<()> {
        self.conn.execute_batch(sql).map_err(db)
    }

    fn begin_write(&mut self) -> StoreResult<()> {
        self.batch("BEGIN IMMEDIATE")
    }

    fn begin_read(&mut self) -> StoreResult<bool> {
        // The shared in-memory connection may be inside the writer's transaction: read within it.
        if !self.conn.is_autocommit() {
            return Ok(false);
        }
        self.batch("BEGIN")?;
        Ok(true)
    }

    fn transaction_lost(&self) -> bool {
        self.conn.is_autocommit()
    }

    fn allocate_id(&mut self, table: Table) -> StoreResult<i64> {
        // AUTOINCREMENT tables keep their high-water mark in sqlite_sequence (seeded with each
        // resource's id range); reserving from it never hands out an id twice.
        let name = Bind::from(table.name());
        let mut id = None;
        self.query(
            "UPDATE sqlite_sequence SET seq = seq + 1 WHERE name = ?1 RETURNING seq",
            std::slice::from_ref(&name),
            &mut |row| {
                id = row.int(0)?;
                Ok(false)
            },
        )?;
        match id {
            Some(id) => Ok(id),
            None => {
                self.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES (?1, 1)",
                    &[name],
                )?;
                Ok(1)
            }
        }
    }

    fn next_ids(&mut self, counter: &str, n: i64) -> StoreResult<i64> {
        let mut last = None;
        self.query(
            "UPDATE id_counters SET value = value + ?1 WHERE name = ?2 RETURNING value",
            &[Bind::Int(n), Bind::from(counter)],
            &mut |row| {
                last = row.int(0)?;
                Ok(false)
            },
        )?;
        let last =
            last.ok_or_else(|| StoreError::corrupt(format!("no id counter named {counter}")))?;
        Ok(last - n + 1)
    }

    fn extra_columns(
        &mut self,
        _table: Table,
        _record: &Value,
        _text: &[(&'static str, String)],
    ) -> Vec<ExtraColumn> {
        Vec::new()
    }

    /// Replaces a record's FTS row (`rowid` = the record id): a column per text field.
    fn index_text(
        &mut self,
        table: Table,
        id: i64,
        text: &[(&'static str, String)],
    ) -> StoreResult<()> {
        let Some(fts) = table.text_table() else {
            return Ok(());
        };
        self.drop_text(table, id)?;
        let names: Vec<&str> = text.iter().map(|(name, _)| *name).collect();
        let marks = vec!["$?"; text.len()].join(", ");
        let sql = format!(
            "INSERT INTO {fts} (rowid, {}) VALUES ($?, {marks})",
            names.join(", ")
        );
        let mut values: Vec<Bind> = vec![Bind::Int(id)];
        values.extend(text.iter().map(|(_, text)| Bind::Text(text.clone())));
        self.execute(&sql, &values)?;
        Ok(())
    }

    fn drop_text(&mut self, table: Table, id: i64) -> StoreResult<()> {
        if let Some(fts) = table.text_table() {
            self.execute(
                &format!("DELETE FROM {fts} WHERE rowid = ?1"),
                &[Bind::Int(id)],
            )?;
        }
        Ok(())
    }

    fn skip_locked(&self) -> &'static str {
        // `BEGIN IMMEDIATE` already serializes every writer.
        ""
    }
}

impl Row for rusqlite::Row<'_> {
    fn int(&self, index: usize) -> StoreResult<Option<i64>> {
        match self.get_ref(index).map_err(db)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(n) => Ok(Some(n)),
            other => Err(StoreError::corrupt(format!(
                "column {index}: expected an integer, found {:?}",
                other.data_type()
            ))),
        }
    }

    fn text(&self, index: usize) -> StoreResult<Option<&str>> {
        match self.get_ref(index).map_err(db)? {
            ValueRef::Null => Ok(None),
            // Borrowed from SQLite's row buffer: no copy of a large record.
            ValueRef::Text(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|e| StoreError::corrupt(format!("stored text: {e}"))),
            other => Err(StoreError::corrupt(format!(
                "column {index}: expected text, found {:?}",
                other.data_type()
            ))),
        }
    }

    fn bytes(&self, index: usize) -> StoreResult<Option<Vec<u8>>> {
        match self.get_ref(index).map_err(db)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(bytes) | ValueRef::Text(bytes) => Ok(Some(bytes.to_vec())),
            other => Err(StoreError::corrupt(format!(
                "column {index}: expected bytes, found {:?}",
                other.data_type()
            ))),
        }
    }
}

/// Where read connections come from.
enum Readers {
    /// A file: a pool of read connections (the writer has its own).
    File {
        path: PathBuf,
        idle: Idle<rusqlite::Connection>,
    },
    /// An in-memory database: its one connection, shared.
    Shared(Arc<Mutex<rusqlite::Connection>>),
}

pub(super) struct Sqlite {
    writer: GroupCommit,
    readers: Arc<Readers>,
}

impl Sqlite {
    pub(super) async fn open(target: Target, durability: Durability) -> StoreResult<Sqlite> {
        let (with, readers) =
            tokio::task::spawn_blocking(move || open_blocking(target, durability))
                .await
                .map_err(|e| StoreError::config(format!("cannot open the database: {e}")))??;
        let writer = GroupCommit::start("zd-sandbox-writer", with)
            .map_err(|e| StoreError::config(format!("cannot start the database writer: {e}")))?;
        Ok(Sqlite {
            writer,
            readers: Arc::new(readers),
        })
    }
}

/// Opens and migrates the database: the writer's connection (its own, or the shared in-memory
/// one) and where readers come from.
fn open_blocking(target: Target, durability: Durability) -> StoreResult<(WithConnection, Readers)> {
    let config = |error: rusqlite::Error| StoreError::config(format!("database: {error}"));
    match target {
        Target::Memory => {
            let conn = rusqlite::Connection::open_in_memory().map_err(config)?;
            configure(&conn, false, durability).map_err(config)?;
            migrate(&conn)?;
            let shared = Arc::new(Mutex::new(conn));
            let writer = shared.clone();
            let with: WithConnection = Box::new(move |run| {
                let conn = lock(&writer);
                run(&mut Lite { conn: &conn });
                Ok(())
            });
            Ok((with, Readers::Shared(shared)))
        }
        Target::File(path) => {
            prepare_file(&path)?;
            let conn = open_file(&path).map_err(config)?;
            configure(&conn, true, durability).map_err(config)?;
            migrate(&conn)?;
            let with: WithConnection = Box::new(move |run| {
                run(&mut Lite { conn: &conn });
                Ok(())
            });
            let readers = Readers::File {
                path,
                idle: Idle::new(MAX_IDLE_READERS),
            };
            Ok((with, readers))
        }
    }
}

/// Creates the directory and, for a new database, an empty file only its owner can read: the
/// database holds password and token hashes. An existing file readable by others is narrowed.
fn prepare_file(path: &Path) -> StoreResult<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| {
            StoreError::config(format!(
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
                return Err(StoreError::config(format!(
                    "cannot create the sandbox database {}: {e}",
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

fn open_file(path: &Path) -> rusqlite::Result<rusqlite::Connection> {
    rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
}

fn configure(
    conn: &rusqlite::Connection,
    file: bool,
    durability: Durability,
) -> rusqlite::Result<()> {
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
    // Custom-field comparisons read numbers as PostgreSQL does (see `text::number_text`):
    // numbers are numbers, text only when it is written as one, booleans and the rest NULL.
    conn.create_scalar_function(
        "zd_number",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Integer(n) => Some(n as f64),
                ValueRef::Real(n) => Some(n),
                ValueRef::Text(text) => std::str::from_utf8(text).ok().and_then(number_text),
                ValueRef::Null | ValueRef::Blob(_) => None,
            })
        },
    )?;
    Ok(())
}

/// Applies the migrations not applied yet, under the write lock (two processes opening a fresh
/// file never both migrate it). A database made by the sqlx-based sandbox (schema 1 recorded in
/// `_sqlx_migrations`) is recognised as schema 1.
fn migrate(conn: &rusqlite::Connection) -> StoreResult<()> {
    let fail = |e: rusqlite::Error| StoreError::config(format!("cannot migrate the database: {e}"));
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

impl Readers {
    /// A read of a few rows by key on a file's reader, on this thread and without an explicit
    /// transaction (each statement reads one consistent snapshot).
    fn run_peek(&self, job: ReadJob) -> StoreResult<()> {
        let Readers::File { idle, .. } = self else {
            return self.run_read(job);
        };
        let conn = match idle.take() {
            Some(conn) => conn,
            None => self.open_reader()?,
        };
        let outcome = peek_outside_transaction(&mut Lite { conn: &conn }, job);
        idle.keep(conn);
        outcome
    }

    fn open_reader(&self) -> StoreResult<rusqlite::Connection> {
        let Readers::File { path, .. } = self else {
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
            Readers::Shared(shared) => {
                let conn = lock(shared);
                read_in_transaction(&mut Lite { conn: &conn }, job)
            }
            Readers::File { idle, .. } => {
                let conn = match idle.take() {
                    Some(conn) => conn,
                    None => self.open_reader()?,
                };
                let result = read_in_transaction(&mut Lite { conn: &conn }, job);
                idle.keep(conn);
                result
            }
        }
    }
}

impl Backend for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn credentials_generation(&self) -> u64 {
        self.writer.credentials_generation()
    }

    fn database_file(&self) -> Option<PathBuf> {
        match &*self.readers {
            Readers::File { path, .. } => Some(path.clone()),
            Readers::Shared(_) => None,
        }
    }

    fn read(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        let readers = self.readers.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || readers.run_read(job))
                .await
                .map_err(|e| StoreError::unavailable(format!("read task: {e}")))?
        })
    }

    fn peek(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        match &*self.readers {
            // A file's readers never wait for the writer (WAL): a key lookup takes
            // microseconds, cheaper here than a hop to a blocking thread.
            Readers::File { .. } => {
                let result = self.readers.run_peek(job);
                Box::pin(async move { result })
            }
            // The in-memory database's one connection may be busy writing: do not wait for it
            // on an async thread.
            Readers::Shared(_) => self.read(job),
        }
    }

    fn write(&self, job: WriteJob) -> BoxFuture<'_, StoreResult<()>> {
        self.writer.submit(job)
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        let readers = self.readers.clone();
        let stopped = self.writer.stop();
        Box::pin(async move {
            stopped.await;
            if let Readers::File { idle, .. } = &*readers {
                idle.drain();
            }
        })
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
