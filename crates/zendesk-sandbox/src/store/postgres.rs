//! The PostgreSQL backend (`postgres://...`): several sandbox processes on one database behave
//! as one Zendesk account.
//!
//! Driver: the synchronous `postgres` client (tokio-postgres driven by a small runtime of its
//! own), used from threads that may block, which fits the synchronous rules: a whole rule runs
//! on the thread that owns the connection, with no channel hop per statement.
//!
//! Writes: as on SQLite, one writer thread per process owns a write connection and commits
//! together every write job waiting when it wakes (up to [`MAX_BATCH`]), each in its own
//! savepoint (a job that fails rolls back alone; a lone job needs none). Every write
//! transaction first takes the account's write lock, a transaction-scoped advisory lock keyed
//! by the schema: the writes of all processes on the database are serialized, exactly as
//! SQLite's `BEGIN IMMEDIATE` serializes the processes sharing a file. Rules therefore see the
//! same world on both backends (a read-modify-write of a ticket cannot lose an update, the
//! 30-job limit is counted and enforced in one step, a job is claimed once), with no retry
//! loop and no deadlock between rules that touch several rows. A process that dies holding the
//! lock loses its connection, and PostgreSQL releases the lock and rolls its batch back.
//!
//! Reads: a small pool of connections used on tokio's blocking threads, each read one
//! `REPEATABLE READ READ ONLY` transaction (one consistent snapshot); they never wait for the
//! writers.
//!
//! Ids come from sequences (shared by every process, never handed out twice). What else every
//! process shares lives in the database too: jobs and their items, the account's rate window
//! (`rate_windows`), and the key token hashes are made with (`sandbox_keys`).
//!
//! `?schema=NAME` in the URL keeps the tables in that schema (created when missing), so several
//! sandboxes, or test runs, can share one database. The schema is
//! `migrations/postgres/*.sql`, applied in order under an advisory lock and recorded in
//! `sandbox_migrations`.

use std::cell::Cell;
use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Row, Statement};
use serde_json::Value;

use super::postgres_tls::{self, RustlsConnect, SslMode};
use super::sql::{self, Bind};
use super::{
    ArticleSearch, Backend, BoxFuture, ClientKey, DeletedTicket, Dialect, Durability, JobRow,
    ListQuery, Lookup, NewOAuthToken, OAuthClientRow, OAuthCode, OAuthTokenRow, Outcome, PageRows,
    Principal, ReadJob, Reader, Revocation, StoreError, StoreResult, Table, TokenHash, WriteJob,
    Writer, parse_stored, redact_url, run_guarded,
};
use crate::SandboxError;
use crate::util::now;

/// The migrations, in order; `sandbox_migrations` records which are applied.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_schema.sql")),
    (2, include_str!("../../migrations/postgres/0002_oauth.sql")),
    (
        3,
        include_str!("../../migrations/postgres/0003_help_center.sql"),
    ),
    (
        4,
        include_str!("../../migrations/postgres/0004_text_folding.sql"),
    ),
];

/// The migration after which every record's full text is folded again (see its SQL file).
const REFOLD_TEXT_MIGRATION: i64 = 4;

/// Records re-folded per query while migrating.
const REFOLD_BATCH: i64 = 500;

/// Most write jobs committed together.
const MAX_BATCH: usize = 64;
/// Idle read connections kept open.
const MAX_IDLE_READERS: usize = 8;
/// Read connections open at once per process (more readers wait for one): a burst of requests
/// never exhausts the server's `max_connections`.
const MAX_READERS: usize = 16;
/// Prepared statements kept per connection (search builds many shapes).
const MAX_CACHED_STATEMENTS: usize = 512;
/// The advisory lock migrations run under (any schema of the database): "zd-migr".
const MIGRATION_LOCK: i64 = 0x007a_642d_6d69_6772;
/// Most ids one `next_ids` call may reserve: the counters' sequences step by this much.
const ID_BLOCK: i64 = 32;

/// A `postgres://` or `postgresql://` URL, parsed.
pub(super) struct Target {
    config: postgres::Config,
    /// TLS settings from `sslmode` / `sslrootcert` (`None`: plain TCP).
    tls: Option<Arc<rustls::ClientConfig>>,
    schema: Option<String>,
    /// The URL without its password, for messages.
    shown: String,
}

impl Target {
    /// `None` when the URL is not PostgreSQL's.
    pub(super) fn from_url(url: &str) -> Option<Result<Target, SandboxError>> {
        (url.starts_with("postgres://") || url.starts_with("postgresql://"))
            .then(|| Target::parse(url))
    }

    fn parse(url: &str) -> Result<Target, SandboxError> {
        let shown = redact_url(url);
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut schema = None;
        let mut ssl_mode = SslMode::Prefer;
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("schema", name)) => schema = Some(name.to_string()),
                Some(("sslmode", mode)) => {
                    ssl_mode = SslMode::parse(mode).ok_or_else(|| {
                        SandboxError::Config(format!(
                            "sslmode in the database URL {shown} must be {}, got `{mode}`",
                            SslMode::NAMES
                        ))
                    })?;
                }
                Some(("sslrootcert", path)) => {
                    root_cert = Some(
                        form_urlencoded::parse(format!("p={path}").as_bytes())
                            .map(|(_, value)| value.into_owned())
                            .next()
                            .unwrap_or_default(),
                    );
                }
                Some(("sslcert" | "sslkey" | "sslpassword" | "sslcrl" | "sslcrldir", _)) => {
                    return Err(SandboxError::Config(format!(
                        "the database URL {shown} asks for a client certificate: the sandbox \
                         signs in with a password or trust only (sslmode and sslrootcert work)"
                    )));
                }
                _ => kept.push(pair),
            }
        }
        let tls = postgres_tls::client_config(ssl_mode, root_cert.as_deref())
            .map_err(|e| SandboxError::Config(format!("the database URL {shown}: {e}")))?;
        if let Some(name) = &schema {
            let valid = name.len() <= 63
                && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(SandboxError::Config(format!(
                    "the schema in the database URL {shown} must be lowercase letters, digits and _ \
                     (at most 63, not starting with a digit), got `{name}`"
                )));
            }
        }
        let url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config: postgres::Config = url.parse().map_err(|e| {
            SandboxError::Config(format!("the database URL {shown} cannot be read: {e}"))
        })?;
        config.ssl_mode(ssl_mode.driver_mode());
        if config.get_application_name().is_none() {
            config.application_name("zd-sandbox");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if let Some(name) = &schema {
            let options = match config.get_options() {
                Some(given) => format!("{given} -c search_path={name}"),
                None => format!("-c search_path={name}"),
            };
            config.options(&options);
        }
        Ok(Target {
            config,
            tls,
            schema,
            shown,
        })
    }

    fn connect(&self, durability: Durability) -> Result<PgConn, postgres::Error> {
        let mut client = match &self.tls {
            Some(tls) => self.config.connect(RustlsConnect(tls.clone()))?,
            None => self.config.connect(NoTls)?,
        };
        // Normal: a commit is acknowledged once it is visible to every process, before the
        // WAL reaches the disk (as SQLite's WAL with synchronous=NORMAL); a crash of the
        // database server may drop the last few. Full: once it is on disk.
        let synchronous = match durability {
            Durability::Normal => "off",
            Durability::Full => "on",
        };
        // Waiting for another process's write lock ends as on SQLite: after 30 s.
        client.batch_execute(&format!(
            "SET synchronous_commit = {synchronous}; SET lock_timeout = '30s'"
        ))?;
        Ok(PgConn {
            client,
            statements: HashMap::new(),
            failed: false,
        })
    }
}

/// A bound value, converted to whatever type the statement's parameter has: integer columns
/// may be SMALLINT or BIGINT, search compares numbers as double precision.
impl ToSql for Bind {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Bind::Null => Ok(IsNull::Yes),
            Bind::Int(value) => match *ty {
                Type::INT2 => i16::try_from(*value)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*value)?.to_sql(ty, out),
                Type::INT8 => value.to_sql(ty, out),
                Type::FLOAT8 => (*value as f64).to_sql(ty, out),
                Type::FLOAT4 => (*value as f32).to_sql(ty, out),
                Type::BOOL => (*value != 0).to_sql(ty, out),
                _ => value.to_string().as_str().to_sql(ty, out),
            },
            // PostgreSQL text cannot hold NUL (SQLite's can): it travels as U+FFFD, so a value
            // holding one is stored (the served JSON escapes it and stays exact) and a lookup
            // by one finds nothing instead of failing.
            Bind::Text(text) if text.contains('\0') => {
                text.replace('\0', "\u{FFFD}").as_str().to_sql(ty, out)
            }
            Bind::Text(text) => text.as_str().to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(
            *ty,
            Type::INT2
                | Type::INT4
                | Type::INT8
                | Type::FLOAT4
                | Type::FLOAT8
                | Type::BOOL
                | Type::TEXT
                | Type::VARCHAR
                | Type::BPCHAR
                | Type::NAME
                | Type::UNKNOWN
        )
    }

    to_sql_checked!();
}

/// An integer of any width (a CASE or a literal is INTEGER, columns are BIGINT or SMALLINT).
struct AnyInt(i64);

impl<'a> FromSql<'a> for AnyInt {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<AnyInt, Box<dyn StdError + Sync + Send>> {
        Ok(AnyInt(match *ty {
            Type::INT2 => i64::from(i16::from_sql(ty, raw)?),
            Type::INT4 => i64::from(i32::from_sql(ty, raw)?),
            _ => i64::from_sql(ty, raw)?,
        }))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8)
    }
}

fn db(error: postgres::Error) -> StoreError {
    match error.as_db_error() {
        Some(e) => StoreError::database(format!("{} ({})", e.message(), e.code().code())),
        None => StoreError::database(error),
    }
}

fn int(row: &Row, index: usize) -> StoreResult<i64> {
    row.try_get::<_, AnyInt>(index).map(|v| v.0).map_err(db)
}

fn opt_int(row: &Row, index: usize) -> StoreResult<Option<i64>> {
    row.try_get::<_, Option<AnyInt>>(index)
        .map(|v| v.map(|v| v.0))
        .map_err(db)
}

fn text(row: &Row, index: usize) -> StoreResult<String> {
    row.try_get::<_, String>(index).map_err(db)
}

fn opt_text(row: &Row, index: usize) -> StoreResult<Option<String>> {
    row.try_get::<_, Option<String>>(index).map_err(db)
}

/// A connection and its prepared statements.
struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// A statement failed since the last job began: PostgreSQL has aborted the transaction,
    /// so the job cannot be committed whatever it answered.
    failed: bool,
}

impl PgConn {
    fn statement(&mut self, sql: &str) -> StoreResult<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql).map_err(|e| self.failure(e))?;
        if self.statements.len() >= MAX_CACHED_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    fn query(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<Row>> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> =
            binds.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
        let rows = self.client.query(&statement, &params);
        rows.map_err(|e| self.failure(e))
    }

    fn query_opt(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Option<Row>> {
        Ok(self.query(sql, binds)?.into_iter().next())
    }

    fn exec(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> =
            binds.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
        let changed = self.client.execute(&statement, &params);
        changed.map_err(|e| self.failure(e))
    }

    fn batch(&mut self, sql: &str) -> StoreResult<()> {
        let done = self.client.batch_execute(sql);
        done.map_err(|e| self.failure(e))
    }

    fn failure(&mut self, error: postgres::Error) -> StoreError {
        self.failed = true;
        db(error)
    }
}

/// Applies the migrations not applied yet, under an advisory lock (two processes opening a
/// fresh database never both migrate it); creates the URL's schema when missing.
fn migrate(conn: &mut PgConn, target: &Target) -> Result<(), SandboxError> {
    let fail = |e: StoreError| {
        SandboxError::Config(format!(
            "cannot migrate the database {}: {}",
            target.shown, e.detail
        ))
    };
    conn.batch(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .map_err(fail)?;
    let result = (|| -> StoreResult<()> {
        if let Some(schema) = &target.schema {
            conn.batch(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
        }
        conn.batch(
            "CREATE TABLE IF NOT EXISTS sandbox_migrations (
                 version    BIGINT PRIMARY KEY,
                 applied_at BIGINT NOT NULL
             )",
        )?;
        let applied = conn
            .query_opt(
                "SELECT COALESCE(MAX(version), 0) FROM sandbox_migrations",
                &[],
            )?
            .map(|row| int(&row, 0))
            .transpose()?
            .unwrap_or(0);
        let known = MIGRATIONS.last().map_or(0, |(v, _)| *v);
        if applied > known {
            return Err(StoreError::corrupt(format!(
                "its schema is version {applied}, made by a newer sandbox (this one knows {known}); \
                 upgrade this sandbox"
            )));
        }
        for (version, migration) in MIGRATIONS.iter().filter(|(v, _)| *v > applied) {
            conn.batch("BEGIN")?;
            let step = conn.batch(migration).and_then(|()| {
                if *version == REFOLD_TEXT_MIGRATION {
                    refold_text(conn)?;
                }
                conn.exec(
                    "INSERT INTO sandbox_migrations (version, applied_at) VALUES ($1, $2)",
                    &[Bind::Int(*version), Bind::Int(now())],
                )
            });
            match step {
                Ok(_) => conn.batch("COMMIT")?,
                Err(e) => {
                    let _ = conn.batch("ROLLBACK");
                    return Err(e);
                }
            }
        }
        Ok(())
    })();
    let _ = conn.batch(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"));
    result.map_err(fail)
}

/// Recomputes the `search` vector of every record with full text, from its stored JSON, a
/// batch of records at a time (memory stays flat whatever the account holds).
fn refold_text(conn: &mut PgConn) -> StoreResult<()> {
    for table in [
        Table::Tickets,
        Table::Users,
        Table::Organizations,
        Table::Articles,
    ] {
        let mut after = i64::MIN;
        loop {
            let rows = conn.query(
                &format!(
                    "SELECT id, json FROM {} WHERE id > $1 ORDER BY id LIMIT {REFOLD_BATCH}",
                    table.name()
                ),
                &[Bind::Int(after)],
            )?;
            let Some(last) = rows.last() else { break };
            after = int(last, 0)?;
            let mut tx = Tx {
                conn,
                credentials: None,
            };
            for row in &rows {
                let record = parse_stored(&text(row, 1)?)?;
                let weights = tx.search_text(table, &record)?;
                let mut binds: Vec<Bind> = weights.into_iter().map(Bind::Text).collect();
                binds.push(Bind::Int(int(row, 0)?));
                tx.conn.exec(
                    &format!(
                        "UPDATE {} SET search = {} WHERE id = ${}",
                        table.name(),
                        search_vector(1, binds.len() - 1),
                        binds.len()
                    ),
                    &binds,
                )?;
            }
        }
    }
    Ok(())
}

/// The SQL of a `search` vector from `slots` folded texts bound from `$first` on, the first
/// weighted A, the next B, and so on.
fn search_vector(first: usize, slots: usize) -> String {
    (0..slots)
        .map(|slot| {
            let weight = (b'A' + slot as u8) as char;
            format!(
                "setweight(to_tsvector('simple', ${}), '{weight}')",
                first + slot
            )
        })
        .collect::<Vec<_>>()
        .join(" || ")
}

/// The account's write lock: an advisory lock keyed by the schema, so sandboxes in other
/// schemas of the same database do not wait for each other.
fn write_lock_key(conn: &mut PgConn) -> StoreResult<i64> {
    let row = conn
        .query_opt("SELECT current_schema()", &[])?
        .ok_or_else(|| StoreError::database("no current schema"))?;
    let schema = opt_text(&row, 0)?.unwrap_or_default();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "zd-sandbox-writes:".bytes().chain(schema.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Ok(hash as i64)
}

struct WriteRequest {
    job: WriteJob,
    done: tokio::sync::oneshot::Sender<StoreResult<()>>,
}

pub(super) struct Postgres {
    target: Arc<Target>,
    durability: Durability,
    /// Bumped after every commit (by this process) that changed users or their credentials.
    credentials: Arc<AtomicU64>,
    writer: Mutex<Option<Sender<WriteRequest>>>,
    writer_thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    idle: Arc<Mutex<Vec<PgConn>>>,
    readers: Arc<tokio::sync::Semaphore>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Postgres {
    pub(super) async fn open(
        target: Target,
        durability: Durability,
    ) -> Result<Postgres, SandboxError> {
        let target = Arc::new(target);
        let opening = target.clone();
        let (conn, lock_key) = tokio::task::spawn_blocking(move || {
            let mut conn = opening.connect(durability).map_err(|e| {
                SandboxError::Config(format!(
                    "cannot connect to the database {}: {}",
                    opening.shown,
                    db(e).detail
                ))
            })?;
            migrate(&mut conn, &opening)?;
            let key = write_lock_key(&mut conn)
                .map_err(|e| SandboxError::Config(format!("database: {}", e.detail)))?;
            Ok::<_, SandboxError>((conn, key))
        })
        .await
        .map_err(|e| SandboxError::Config(format!("cannot open the database: {e}")))??;
        let (tx, rx) = std::sync::mpsc::channel::<WriteRequest>();
        let credentials = Arc::new(AtomicU64::new(0));
        let writer = Writing {
            target: target.clone(),
            durability,
            conn: Some(conn),
            lock_key,
            credentials: credentials.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("zd-sandbox-pg-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| SandboxError::Config(format!("cannot start the database writer: {e}")))?;
        Ok(Postgres {
            target,
            durability,
            credentials,
            writer: Mutex::new(Some(tx)),
            writer_thread: Mutex::new(Some(thread)),
            idle: Arc::new(Mutex::new(Vec::new())),
            readers: Arc::new(tokio::sync::Semaphore::new(MAX_READERS)),
        })
    }

    /// Runs `f` on an idle connection (or a new one) outside any transaction, on a blocking
    /// thread, and keeps the connection for the next caller when it is still sound.
    fn with_connection<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PgConn) -> StoreResult<T> + Send + 'static,
    ) -> BoxFuture<'_, StoreResult<T>> {
        let (target, idle, durability) = (self.target.clone(), self.idle.clone(), self.durability);
        let readers = self.readers.clone();
        Box::pin(async move {
            let _permit = readers
                .acquire_owned()
                .await
                .map_err(|_| StoreError::unavailable("the store is closed"))?;
            tokio::task::spawn_blocking(move || {
                let popped = lock(&idle).pop();
                let mut conn = match popped {
                    Some(conn) => conn,
                    None => target.connect(durability).map_err(|e| {
                        StoreError::unavailable(format!(
                            "cannot connect to the database {}: {}",
                            target.shown,
                            db(e).detail
                        ))
                    })?,
                };
                let result = f(&mut conn);
                if !conn.client.is_closed() {
                    let mut idle = lock(&idle);
                    if idle.len() < MAX_IDLE_READERS {
                        idle.push(conn);
                    }
                }
                result
            })
            .await
            .map_err(|e| StoreError::unavailable(format!("database task: {e}")))?
        })
    }
}

/// The writer thread's state.
struct Writing {
    target: Arc<Target>,
    durability: Durability,
    conn: Option<PgConn>,
    lock_key: i64,
    credentials: Arc<AtomicU64>,
}

impl Writing {
    fn run(mut self, requests: Receiver<WriteRequest>) {
        while let Ok(first) = requests.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match requests.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            self.run_batch(batch);
        }
    }

    /// The write connection, reconnecting after a lost one.
    fn connection(&mut self) -> StoreResult<&mut PgConn> {
        if self.conn.as_ref().is_none_or(|c| c.client.is_closed()) {
            self.conn = None;
            let conn = self.target.connect(self.durability).map_err(|e| {
                StoreError::unavailable(format!(
                    "cannot connect to the database {}: {}",
                    self.target.shown,
                    db(e).detail
                ))
            })?;
            self.conn = Some(conn);
        }
        self.conn
            .as_mut()
            .ok_or_else(|| StoreError::unavailable("no database connection"))
    }

    /// Runs a batch of write jobs in one transaction under the account's write lock, each in
    /// its own savepoint when there are several, and commits once.
    fn run_batch(&mut self, batch: Vec<WriteRequest>) {
        let touched = Cell::new(false);
        let lock_key = self.lock_key;
        let fail_all = |batch: Vec<WriteRequest>, error: &StoreError| {
            for request in batch {
                let _ = request.done.send(Err(StoreError {
                    kind: error.kind,
                    detail: error.detail.clone(),
                }));
            }
        };
        let conn = match self.connection() {
            Ok(conn) => conn,
            Err(error) => return fail_all(batch, &error),
        };
        if let Err(error) = conn.batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({lock_key})"))
        {
            let _ = conn.batch("ROLLBACK");
            return fail_all(batch, &error);
        }
        let single = batch.len() == 1;
        let mut done: Vec<(
            tokio::sync::oneshot::Sender<StoreResult<()>>,
            Option<StoreError>,
        )> = Vec::with_capacity(batch.len());
        let mut rollback_all = false;
        for request in batch {
            if single {
                conn.failed = false;
                let mut tx = Tx {
                    conn: &mut *conn,
                    credentials: Some(&touched),
                };
                let outcome = run_guarded(|| (request.job)(&mut tx));
                match outcome {
                    Ok(Outcome::Commit) if conn.failed => {
                        rollback_all = true;
                        let error = StoreError::database(
                            "a statement failed, so the write was rolled back",
                        );
                        done.push((request.done, Some(error)));
                    }
                    Ok(Outcome::Commit) => done.push((request.done, None)),
                    Ok(Outcome::Rollback) => {
                        rollback_all = true;
                        done.push((request.done, None));
                    }
                    Err(error) => {
                        rollback_all = true;
                        done.push((request.done, Some(error)));
                    }
                }
                continue;
            }
            let outcome = savepoint(conn, request.job, &touched);
            done.push((request.done, outcome.err()));
            if conn.client.is_closed() {
                break;
            }
        }
        let committed = if rollback_all {
            conn.batch("ROLLBACK").map(|()| false)
        } else {
            conn.batch("COMMIT").map(|()| true)
        };
        if let Err(e) = &committed {
            let _ = conn.batch("ROLLBACK");
            tracing::error!(error = %e, "a write transaction failed to commit");
        }
        if matches!(committed, Ok(true)) && touched.replace(false) {
            self.credentials.fetch_add(1, Ordering::SeqCst);
        }
        for (reply, failure) in done {
            let answer = match (&committed, failure) {
                (_, Some(failure)) => Err(failure),
                (Err(e), None) => Err(StoreError::database(format!("commit failed: {}", e.detail))),
                (Ok(_), None) => Ok(()),
            };
            let _ = reply.send(answer);
        }
    }
}

/// Runs one job in a savepoint; its changes are released into the transaction or undone.
fn savepoint(conn: &mut PgConn, job: WriteJob, touched: &Cell<bool>) -> StoreResult<()> {
    conn.batch("SAVEPOINT job")?;
    let mut tx = Tx {
        conn: &mut *conn,
        credentials: Some(touched),
    };
    let outcome = run_guarded(|| job(&mut tx));
    match outcome {
        // A statement of the job may have failed while the job still returned Ok (it would
        // have said so): then RELEASE fails and the job is undone as a failure.
        Ok(Outcome::Commit) => match conn.batch("RELEASE SAVEPOINT job") {
            Ok(()) => Ok(()),
            Err(error) => {
                let _ = conn.batch("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job");
                Err(error)
            }
        },
        Ok(Outcome::Rollback) => conn.batch("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job"),
        Err(panic) => {
            let _ = conn.batch("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job");
            Err(panic)
        }
    }
}

fn read_in_transaction(conn: &mut PgConn, job: ReadJob) -> StoreResult<()> {
    conn.batch("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
    let mut reader = Tx {
        conn: &mut *conn,
        credentials: None,
    };
    let outcome = run_guarded(|| job(&mut reader));
    let _ = conn.batch("COMMIT");
    outcome
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn database_file(&self) -> Option<std::path::PathBuf> {
        None
    }

    fn credentials_generation(&self) -> u64 {
        self.credentials.load(Ordering::SeqCst)
    }

    fn read(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        self.with_connection(move |conn| read_in_transaction(conn, job))
    }

    /// A read of a few rows by key: each statement on its own (autocommit), which saves the
    /// `BEGIN` and `COMMIT` round trips of a transaction (as SQLite's peek skips its own).
    fn peek(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        self.with_connection(move |conn| {
            let mut reader = Tx {
                conn: &mut *conn,
                credentials: None,
            };
            run_guarded(|| job(&mut reader))
        })
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

    fn count_request(&self, window_start: i64) -> BoxFuture<'_, StoreResult<Option<i64>>> {
        self.with_connection(move |conn| {
            let row = conn
                .query_opt(
                    "INSERT INTO rate_windows (window_start, requests) VALUES ($1, 1)
                     ON CONFLICT (window_start)
                     DO UPDATE SET requests = rate_windows.requests + 1
                     RETURNING requests",
                    &[Bind::Int(window_start)],
                )?
                .ok_or_else(|| StoreError::database("the rate window upsert returned nothing"))?;
            let requests = int(&row, 0)?;
            if requests == 1 {
                // The first request of a window clears the windows long gone.
                conn.exec(
                    "DELETE FROM rate_windows WHERE window_start < $1",
                    &[Bind::Int(window_start - 600)],
                )?;
            }
            Ok(Some(requests))
        })
    }

    fn shared_setting(
        &self,
        name: &'static str,
        proposed: String,
    ) -> BoxFuture<'_, StoreResult<Option<String>>> {
        self.with_connection(move |conn| {
            // The first process to propose a value sets it; every later one reads it.
            conn.exec(
                "INSERT INTO sandbox_keys (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING",
                &[Bind::from(name), Bind::Text(proposed)],
            )?;
            conn.query_opt(
                "SELECT value FROM sandbox_keys WHERE name = $1",
                &[Bind::from(name)],
            )?
            .map(|row| text(&row, 0))
            .transpose()
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        // Dropping the sender lets the writer finish what is queued and stop.
        lock(&self.writer).take();
        let thread = lock(&self.writer_thread).take();
        let idle = self.idle.clone();
        Box::pin(async move {
            if let Some(thread) = thread {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
            // A client closes by blocking on its own runtime: never on an async thread.
            let conns = std::mem::take(&mut *lock(&idle));
            let _ = tokio::task::spawn_blocking(move || drop(conns)).await;
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Dropped without `close` (possibly on an async thread, where a client cannot close):
        // the idle connections close on a thread of their own.
        let conns = std::mem::take(&mut *lock(&self.idle));
        if !conns.is_empty() {
            let _ = std::thread::Builder::new()
                .name("zd-sandbox-pg-close".into())
                .spawn(move || drop(conns));
        }
    }
}

/// A connection inside a transaction, as a [`Reader`] and [`Writer`].
struct Tx<'a> {
    conn: &'a mut PgConn,
    /// Set when a write changes who credentials belong to (users, tokens, passwords).
    credentials: Option<&'a Cell<bool>>,
}

impl Tx<'_> {
    fn credentials_changed(&self) {
        if let Some(flag) = self.credentials {
            flag.set(true);
        }
    }

    fn json_rows(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<Value>> {
        self.conn
            .query(sql, binds)?
            .iter()
            .map(|row| parse_stored(&text(row, 0)?))
            .collect()
    }

    fn one_int(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Option<i64>> {
        match self.conn.query_opt(sql, binds)? {
            Some(row) => opt_int(&row, 0),
            None => Ok(None),
        }
    }

    fn replace_tags(&mut self, table: Table, id: i64, tags: &[String]) -> StoreResult<()> {
        let Some((tag_table, owner)) = sql::tag_table(table) else {
            return Ok(());
        };
        self.conn.exec(
            &format!("DELETE FROM {tag_table} WHERE {owner} = $1"),
            &[Bind::Int(id)],
        )?;
        let insert = format!(
            "INSERT INTO {tag_table} ({owner}, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        );
        for tag in tags {
            self.conn
                .exec(&insert, &[Bind::Int(id), Bind::Text(tag.clone())])?;
        }
        Ok(())
    }

    /// The folded text of each weight of a record's `search` vector (A to D), empty for
    /// tables without full text. Tickets add their public comments and internal notes.
    fn search_text(&mut self, table: Table, record: &Value) -> StoreResult<Vec<String>> {
        if table.text_table().is_none() {
            return Ok(Vec::new());
        }
        let mut fields = sql::text_fields(table, record);
        if table == Table::Tickets {
            let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
            if let Some(row) = self.conn.query_opt(
                "SELECT string_agg(body, E'\\n' ORDER BY created_at, id) FILTER (WHERE public = 1),
                        string_agg(body, E'\\n' ORDER BY created_at, id) FILTER (WHERE public = 0)
                 FROM ticket_comments WHERE ticket_id = $1",
                &[Bind::Int(id)],
            )? {
                fields.push(("comments", opt_text(&row, 0)?.unwrap_or_default()));
                fields.push(("private_comments", opt_text(&row, 1)?.unwrap_or_default()));
            }
        }
        let mut weights = vec![String::new(); 4];
        for (field, value) in fields {
            let slot = (sql::text_weight(table, field) as usize) - ('A' as usize);
            if let Some(text) = weights.get_mut(slot) {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(&sql::fold_text(&value));
            }
        }
        Ok(weights)
    }

    /// Inserts or updates a row from its derived columns, JSONB columns (given as JSON text)
    /// and its search vector.
    fn upsert(
        &mut self,
        table: Table,
        columns: Vec<(&'static str, Bind)>,
        jsonb: Vec<(&'static str, String)>,
        search: Vec<String>,
    ) -> StoreResult<()> {
        let mut names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let mut values: Vec<String> = (1..=names.len()).map(|n| format!("${n}")).collect();
        let mut binds: Vec<Bind> = columns.into_iter().map(|(_, bind)| bind).collect();
        for (name, json) in jsonb {
            names.push(name);
            binds.push(Bind::Text(json));
            values.push(format!("CAST(${} AS text)::jsonb", binds.len()));
        }
        if !search.is_empty() {
            names.push("search");
            values.push(search_vector(binds.len() + 1, search.len()));
            binds.extend(search.into_iter().map(Bind::Text));
        }
        let updates: Vec<String> = names
            .iter()
            .filter(|name| **name != "id" && **name != "created_at")
            .map(|name| format!("{name} = EXCLUDED.{name}"))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
            table.name(),
            names.join(", "),
            values.join(", "),
            updates.join(", ")
        );
        self.conn.exec(&sql, &binds)?;
        Ok(())
    }
}

/// A ticket's `custom_fields` array as JSON text for its JSONB column (`[]` when it has none).
/// JSONB cannot hold NUL: it becomes U+FFFD, as in text columns.
fn custom_fields(record: &Value) -> String {
    fn without_nul(value: &Value) -> Value {
        match value {
            Value::String(s) if s.contains('\0') => Value::String(s.replace('\0', "\u{FFFD}")),
            Value::Array(items) => Value::Array(items.iter().map(without_nul).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.replace('\0', "\u{FFFD}"), without_nul(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    match record.get("custom_fields") {
        Some(fields @ Value::Array(_)) => without_nul(fields).to_string(),
        _ => "[]".to_string(),
    }
}

fn decode_job(row: &Row) -> StoreResult<JobRow> {
    Ok(JobRow {
        id: text(row, 0)?,
        kind: text(row, 1)?,
        status: text(row, 2)?,
        payload: parse_stored(&text(row, 3)?)?,
        total: int(row, 4)?,
        progress: opt_int(row, 5)?,
        message: opt_text(row, 6)?,
        results: opt_text(row, 7)?.as_deref().map(parse_stored).transpose()?,
        base_url: text(row, 8)?,
        caller_id: int(row, 9)?,
    })
}

/// A working job's progress is how many of its items have a recorded result.
const JOB_COLUMNS: &str = "id, kind, status, payload, total,
    CASE WHEN status = 'working'
         THEN (SELECT COUNT(*) FROM job_items i WHERE i.job_id = jobs.id) ELSE progress END,
    message, results, base_url, caller_id";

fn principal(row: &Row, scopes: Option<Vec<String>>) -> StoreResult<Principal> {
    Ok(Principal {
        user_id: int(row, 0)?,
        role: text(row, 1)?,
        active: int(row, 2)? != 0 && int(row, 3)? == 0,
        scopes,
        token_id: None,
        expires_at: None,
    })
}

/// The columns of an OAuth token row, in [`token_row`]'s order.
const TOKEN_COLUMNS: &str = "id, user_id, oauth_client_id, scopes, created_at, expires_at,
    refresh_token_expires_at, revoked_at, grant_id, refresh_token_hash IS NOT NULL";

fn token_row(row: &Row) -> StoreResult<OAuthTokenRow> {
    Ok(OAuthTokenRow {
        id: int(row, 0)?,
        user_id: int(row, 1)?,
        client: opt_int(row, 2)?,
        scopes: text(row, 3)?,
        created_at: int(row, 4)?,
        expires_at: opt_int(row, 5)?,
        refresh_token_expires_at: opt_int(row, 6)?,
        revoked_at: opt_int(row, 7)?,
        grant_id: opt_int(row, 8)?,
        has_refresh_token: row.try_get::<_, bool>(9).map_err(db)?,
    })
}

fn client_row(row: &Row) -> StoreResult<OAuthClientRow> {
    Ok(OAuthClientRow {
        json: parse_stored(&text(row, 0)?)?,
        secret_hash: opt_text(row, 1)?,
    })
}

impl Reader for Tx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn record_text(&mut self, table: Table, id: i64) -> StoreResult<Option<String>> {
        let sql = format!(
            "SELECT json FROM {} WHERE id = $1 AND {}",
            table.name(),
            table.live()
        );
        self.conn
            .query_opt(&sql, &[Bind::Int(id)])?
            .map(|row| text(&row, 0))
            .transpose()
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
        let sql = format!("SELECT id FROM {} WHERE {column} = $1", table.name());
        self.one_int(&sql, &[Bind::Text(value.to_lowercase())])
    }

    fn list_page(&mut self, query: &ListQuery<'_>) -> StoreResult<PageRows> {
        let built = sql::list_sql(query, Dialect::Postgres);
        let count = match &built.count {
            Some(count_sql) => Some(self.one_int(count_sql, &built.binds)?.unwrap_or(0)),
            None => None,
        };
        let mut rows = Vec::new();
        for row in self.conn.query(&built.rows, &built.binds)? {
            rows.push((int(&row, 0)?, int(&row, 1)?, text(&row, 2)?));
        }
        let more = match (count, query.window) {
            (Some(total), super::Window::Offset { page, per_page }) => page * per_page < total,
            _ => {
                let more = rows.len() as i64 > built.size;
                rows.truncate(built.size as usize);
                more
            }
        };
        if built.backwards {
            rows.reverse();
        }
        Ok(PageRows { rows, more, count })
    }

    fn count(&mut self, table: Table, filters: &[sql::Filter]) -> StoreResult<i64> {
        let (where_sql, binds) = sql::where_clause(filters, Dialect::Postgres);
        let count_sql = format!("SELECT COUNT(*) FROM {} WHERE {where_sql}", table.name());
        Ok(self.one_int(&count_sql, &binds)?.unwrap_or(0))
    }

    fn find(
        &mut self,
        table: Table,
        filters: &[sql::Filter],
        limit: i64,
    ) -> StoreResult<Vec<Value>> {
        let (where_sql, binds) = sql::where_clause(filters, Dialect::Postgres);
        let find_sql = format!(
            "SELECT json FROM {} WHERE {where_sql} ORDER BY id LIMIT {limit}",
            table.name()
        );
        self.json_rows(&find_sql, &binds)
    }

    fn deleted_ticket(&mut self, id: i64) -> StoreResult<Option<DeletedTicket>> {
        let row = self.conn.query_opt(
            "SELECT json, deleted_at, deleted_by FROM tickets
             WHERE id = $1 AND deleted_at IS NOT NULL",
            &[Bind::Int(id)],
        )?;
        row.map(|row| {
            Ok(DeletedTicket {
                ticket: parse_stored(&text(&row, 0)?)?,
                deleted_at: int(&row, 1)?,
                deleted_by: opt_int(&row, 2)?.unwrap_or_default(),
            })
        })
        .transpose()
    }

    fn attachment_content(&mut self, id: i64) -> StoreResult<Option<Vec<u8>>> {
        match self.conn.query_opt(
            "SELECT content FROM attachments WHERE id = $1",
            &[Bind::Int(id)],
        )? {
            Some(row) => row.try_get::<_, Option<Vec<u8>>>(0).map_err(db),
            None => Ok(None),
        }
    }

    fn search_articles(
        &mut self,
        search: &ArticleSearch<'_>,
    ) -> StoreResult<(i64, Vec<(i64, String)>)> {
        // Any word may match, as a prefix; ts_rank weighs the title (A) over labels (B) and the
        // body (C). Words are folded (letters and digits only), so none reads as tsquery syntax.
        let terms: Vec<String> = search
            .words
            .iter()
            .map(|word| sql::fold_text(word))
            .flat_map(|folded| {
                folded
                    .split_whitespace()
                    .map(|w| format!("{w}:*"))
                    .collect::<Vec<_>>()
            })
            .collect();
        if terms.is_empty() {
            return Ok((0, Vec::new()));
        }
        let (where_sql, mut binds) = sql::where_clause(search.filters, Dialect::Postgres);
        binds.push(Bind::Text(terms.join(" | ")));
        let matched = format!(
            "FROM hc_articles, to_tsquery('simple', ${}) AS q WHERE search @@ q AND {where_sql}",
            binds.len()
        );
        let total = self
            .one_int(&format!("SELECT COUNT(*) {matched}"), &binds)?
            .unwrap_or(0);
        let rows = self.conn.query(
            &format!(
                "SELECT id, json {matched} ORDER BY ts_rank(search, q) DESC, id LIMIT {} OFFSET {}",
                search.limit.max(0),
                search.offset.max(0)
            ),
            &binds,
        )?;
        let hits = rows
            .iter()
            .map(|row| Ok((int(row, 0)?, text(row, 1)?)))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((total, hits))
    }

    fn comment_count(&mut self, ticket_id: i64) -> StoreResult<i64> {
        Ok(self
            .one_int(
                "SELECT COUNT(*) FROM ticket_comments WHERE ticket_id = $1",
                &[Bind::Int(ticket_id)],
            )?
            .unwrap_or(0))
    }

    fn users_in_organization(&mut self, organization_id: i64) -> StoreResult<Vec<Value>> {
        self.json_rows(
            "SELECT json FROM users WHERE organization_id = $1",
            &[Bind::Int(organization_id)],
        )
    }

    fn organizations_with_field_values(&mut self) -> StoreResult<Vec<Value>> {
        self.json_rows(
            "SELECT json FROM organizations WHERE json LIKE '%\"organization_fields\":{\"%'",
            &[],
        )
    }

    fn organization_field_by_key(&mut self, key: &str) -> StoreResult<Option<(Value, bool)>> {
        let row = self.conn.query_opt(
            "SELECT json, deleted FROM organization_fields WHERE key = $1",
            &[Bind::from(key)],
        )?;
        row.map(|row| Ok((parse_stored(&text(&row, 0)?)?, int(&row, 1)? != 0)))
            .transpose()
    }

    fn live_organization_fields(&mut self) -> StoreResult<Vec<Value>> {
        self.json_rows(
            "SELECT json FROM organization_fields WHERE deleted = 0 ORDER BY position, id",
            &[],
        )
    }

    fn principal_by_api_token(
        &mut self,
        email: &str,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>> {
        self.conn
            .query_opt(
                "SELECT u.id, u.role, u.active, u.suspended FROM api_tokens t
                 JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash IN ($1, $2) AND u.email = $3",
                &[
                    Bind::Text(token_hash.keyed.clone()),
                    Bind::Text(token_hash.legacy.clone()),
                    Bind::Text(email.to_lowercase()),
                ],
            )?
            .map(|row| principal(&row, None))
            .transpose()
    }

    fn principal_by_email(&mut self, email: &str) -> StoreResult<Option<(Principal, String)>> {
        self.conn
            .query_opt(
                "SELECT id, role, active, suspended, password_hash FROM users
                 WHERE email = $1 AND password_hash IS NOT NULL",
                &[Bind::Text(email.to_lowercase())],
            )?
            .map(|row| Ok((principal(&row, None)?, text(&row, 4)?)))
            .transpose()
    }

    fn principal_by_oauth_token(
        &mut self,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>> {
        self.conn
            .query_opt(
                "SELECT u.id, u.role, u.active, u.suspended, t.scopes, t.id, t.expires_at
                 FROM oauth_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash IN ($1, $2) AND t.revoked_at IS NULL",
                &[
                    Bind::Text(token_hash.keyed.clone()),
                    Bind::Text(token_hash.legacy.clone()),
                ],
            )?
            .map(|row| {
                let scopes = text(&row, 4)?;
                Ok(Principal {
                    token_id: Some(int(&row, 5)?),
                    expires_at: opt_int(&row, 6)?,
                    ..principal(&row, Some(scopes.split(' ').map(str::to_string).collect()))?
                })
            })
            .transpose()
    }

    fn oauth_client(&mut self, key: ClientKey<'_>) -> StoreResult<Option<OAuthClientRow>> {
        let row = match key {
            ClientKey::Id(id) => self.conn.query_opt(
                "SELECT json, secret_hash FROM oauth_clients WHERE id = $1",
                &[Bind::Int(id)],
            )?,
            ClientKey::Identifier(identifier) => self.conn.query_opt(
                "SELECT json, secret_hash FROM oauth_clients WHERE identifier = $1",
                &[Bind::from(identifier)],
            )?,
        };
        row.map(|row| client_row(&row)).transpose()
    }

    fn oauth_clients(&mut self) -> StoreResult<Vec<OAuthClientRow>> {
        self.conn
            .query(
                "SELECT json, secret_hash FROM oauth_clients ORDER BY id",
                &[],
            )?
            .iter()
            .map(client_row)
            .collect()
    }

    fn oauth_code(&mut self, code_hash: &str) -> StoreResult<Option<OAuthCode>> {
        self.conn
            .query_opt(
                "SELECT id, client, user_id, redirect_uri, scopes, code_challenge, expires_at,
                        used_at
                 FROM oauth_codes WHERE code_hash = $1",
                &[Bind::from(code_hash)],
            )?
            .map(|row| {
                Ok(OAuthCode {
                    id: int(&row, 0)?,
                    client: int(&row, 1)?,
                    user_id: int(&row, 2)?,
                    redirect_uri: text(&row, 3)?,
                    scopes: text(&row, 4)?,
                    code_challenge: opt_text(&row, 5)?,
                    expires_at: int(&row, 6)?,
                    used_at: opt_int(&row, 7)?,
                })
            })
            .transpose()
    }

    fn oauth_token(&mut self, id: i64) -> StoreResult<Option<OAuthTokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE id = $1");
        self.conn
            .query_opt(&sql, &[Bind::Int(id)])?
            .map(|row| token_row(&row))
            .transpose()
    }

    fn oauth_token_by_refresh(&mut self, refresh_hash: &str) -> StoreResult<Option<OAuthTokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE refresh_token_hash = $1");
        self.conn
            .query_opt(&sql, &[Bind::from(refresh_hash)])?
            .map(|row| token_row(&row))
            .transpose()
    }

    fn oauth_tokens(
        &mut self,
        user_id: Option<i64>,
        client: Option<i64>,
    ) -> StoreResult<Vec<OAuthTokenRow>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE revoked_at IS NULL
             AND (CAST($1 AS bigint) IS NULL OR user_id = $1)
             AND (CAST($2 AS bigint) IS NULL OR oauth_client_id = $2)
             ORDER BY id"
        );
        self.conn
            .query(&sql, &[Bind::opt_int(user_id), Bind::opt_int(client)])?
            .iter()
            .map(token_row)
            .collect()
    }

    fn user_role(&mut self, id: i64) -> StoreResult<Option<String>> {
        self.conn
            .query_opt("SELECT role FROM users WHERE id = $1", &[Bind::Int(id)])?
            .map(|row| text(&row, 0))
            .transpose()
    }

    fn job(&mut self, id: &str) -> StoreResult<Option<JobRow>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1");
        self.conn
            .query_opt(&sql, &[Bind::from(id)])?
            .map(|row| decode_job(&row))
            .transpose()
    }

    fn job_items(&mut self, id: &str) -> StoreResult<Vec<(i64, Value)>> {
        self.conn
            .query(
                "SELECT idx, result FROM job_items WHERE job_id = $1 ORDER BY idx",
                &[Bind::from(id)],
            )?
            .iter()
            .map(|row| Ok((int(row, 0)?, parse_stored(&text(row, 1)?)?)))
            .collect()
    }

    fn recent_jobs(&mut self, limit: i64) -> StoreResult<Vec<JobRow>> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY created_at DESC, id DESC LIMIT $1");
        self.conn
            .query(&sql, &[Bind::Int(limit)])?
            .iter()
            .map(decode_job)
            .collect()
    }

    fn queued_job_ids(&mut self) -> StoreResult<Vec<String>> {
        self.conn
            .query(
                "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, id",
                &[],
            )?
            .iter()
            .map(|row| text(row, 0))
            .collect()
    }

    fn active_job_count(&mut self) -> StoreResult<i64> {
        Ok(self
            .one_int(
                "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'working')",
                &[],
            )?
            .unwrap_or(0))
    }

    fn query_i64(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Option<i64>> {
        self.one_int(sql, binds)
    }

    fn query_pairs(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64)>> {
        self.conn
            .query(sql, binds)?
            .iter()
            .map(|row| Ok((int(row, 0)?, int(row, 1)?)))
            .collect()
    }

    fn stream_triples(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(i64, i64, &str) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        use postgres::fallible_iterator::FallibleIterator;
        let statement = self.conn.statement(sql)?;
        let client = &mut self.conn.client;
        // Rows arrive one at a time from the socket; stopping early drops the rest unread.
        let read = (|| -> Result<StoreResult<()>, postgres::Error> {
            let params = binds.iter().map(|b| b as &(dyn ToSql + Sync));
            let mut rows = client.query_raw(&statement, params)?;
            while let Some(row) = rows.next()? {
                let handed = (|| {
                    let json: &str = row.try_get(2).map_err(db)?;
                    each(int(&row, 0)?, int(&row, 1)?, json)
                })();
                match handed {
                    Ok(true) => {}
                    Ok(false) => return Ok(Ok(())),
                    Err(e) => return Ok(Err(e)),
                }
            }
            Ok(Ok(()))
        })();
        match read {
            Ok(handed) => handed,
            Err(e) => Err(self.conn.failure(e)),
        }
    }

    fn query_triples(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64, String)>> {
        self.conn
            .query(sql, binds)?
            .iter()
            .map(|row| Ok((int(row, 0)?, int(row, 1)?, text(row, 2)?)))
            .collect()
    }
}

impl Writer for Tx<'_> {
    fn allocate_id(&mut self, table: Table) -> StoreResult<i64> {
        let sequence = match table {
            Table::TicketComments | Table::TicketAudits => {
                return Err(StoreError::corrupt(format!(
                    "{} ids come from the event counter",
                    table.record_name()
                )));
            }
            other => format!("{}_ids", other.name()),
        };
        self.one_int(&format!("SELECT nextval('{sequence}')"), &[])?
            .ok_or_else(|| StoreError::database("nextval returned nothing"))
    }

    fn next_ids(&mut self, counter: &str, n: i64) -> StoreResult<i64> {
        let sequence = match counter {
            "event" => "event_ids",
            "option" => "option_ids",
            other => return Err(StoreError::corrupt(format!("no id counter named {other}"))),
        };
        if !(1..=ID_BLOCK).contains(&n) {
            return Err(StoreError::corrupt(format!(
                "{n} ids asked of the {counter} counter; one call reserves 1 to {ID_BLOCK}"
            )));
        }
        // Each nextval hands out a block of ID_BLOCK consecutive ids (the sequence's step).
        self.one_int(&format!("SELECT nextval('{sequence}')"), &[])?
            .ok_or_else(|| StoreError::database("nextval returned nothing"))
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
        let search = self.search_text(table, record)?;
        let extra = match table {
            Table::Tickets => vec![("custom_fields", custom_fields(record))],
            _ => Vec::new(),
        };
        self.upsert(table, columns, extra, search)?;
        if table == Table::Users {
            self.credentials_changed();
        }
        self.replace_tags(table, id, &sql::tags_of(record))
    }

    fn save_organization_field(&mut self, field: &Value, deleted: bool) -> StoreResult<()> {
        let mut columns = sql::derived_columns(Table::OrganizationFields, field);
        columns.push(("deleted", Bind::Int(deleted as i64)));
        self.upsert(Table::OrganizationFields, columns, Vec::new(), Vec::new())
    }

    fn delete_organization(&mut self, id: i64) -> StoreResult<bool> {
        let deleted = self
            .conn
            .exec("DELETE FROM organizations WHERE id = $1", &[Bind::Int(id)])?;
        self.conn.exec(
            "DELETE FROM organization_tags WHERE organization_id = $1",
            &[Bind::Int(id)],
        )?;
        Ok(deleted == 1)
    }

    fn delete_row(&mut self, table: Table, id: i64) -> StoreResult<bool> {
        self.credentials_changed();
        let deleted = self.conn.exec(
            &format!("DELETE FROM {} WHERE id = $1", table.name()),
            &[Bind::Int(id)],
        )?;
        Ok(deleted == 1)
    }

    fn set_ticket_solved_at(&mut self, id: i64, solved_at: Option<i64>) -> StoreResult<()> {
        self.conn.exec(
            "UPDATE tickets SET solved_at = $1 WHERE id = $2",
            &[Bind::opt_int(solved_at), Bind::Int(id)],
        )?;
        Ok(())
    }

    fn set_ticket_deleted(&mut self, id: i64, deleted: Option<(i64, i64)>) -> StoreResult<bool> {
        let changed = match deleted {
            Some((at, by)) => self.conn.exec(
                "UPDATE tickets SET deleted_at = $1, deleted_by = $2
                 WHERE id = $3 AND deleted_at IS NULL",
                &[Bind::Int(at), Bind::Int(by), Bind::Int(id)],
            )?,
            None => self.conn.exec(
                "UPDATE tickets SET deleted_at = NULL, deleted_by = NULL
                 WHERE id = $1 AND deleted_at IS NOT NULL",
                &[Bind::Int(id)],
            )?,
        };
        Ok(changed == 1)
    }

    fn purge_ticket(&mut self, id: i64) -> StoreResult<()> {
        for sql in [
            "DELETE FROM tickets WHERE id = $1",
            "DELETE FROM ticket_tags WHERE ticket_id = $1",
            "DELETE FROM ticket_comments WHERE ticket_id = $1",
            "DELETE FROM ticket_audits WHERE ticket_id = $1",
        ] {
            self.conn.exec(sql, &[Bind::Int(id)])?;
        }
        Ok(())
    }

    fn insert_comment(&mut self, ticket_id: i64, comment: &Value, at: i64) -> StoreResult<()> {
        let int = |key: &str| comment.get(key).and_then(Value::as_i64);
        self.conn.exec(
            "INSERT INTO ticket_comments (id, ticket_id, audit_id, author_id, public, body, json, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                Bind::opt_int(int("id")),
                Bind::Int(ticket_id),
                Bind::Int(int("audit_id").unwrap_or_default()),
                Bind::Int(int("author_id").unwrap_or_default()),
                Bind::Int(
                    comment
                        .get("public")
                        .and_then(Value::as_bool)
                        .unwrap_or(true) as i64,
                ),
                Bind::Text(
                    comment
                        .get("body")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                ),
                Bind::Text(comment.to_string()),
                Bind::Int(at),
            ],
        )?;
        Ok(())
    }

    fn insert_audit(&mut self, ticket_id: i64, audit: &Value, at: i64) -> StoreResult<()> {
        self.conn.exec(
            "INSERT INTO ticket_audits (id, ticket_id, json, created_at) VALUES ($1, $2, $3, $4)",
            &[
                Bind::opt_int(audit.get("id").and_then(Value::as_i64)),
                Bind::Int(ticket_id),
                Bind::Text(audit.to_string()),
                Bind::Int(at),
            ],
        )?;
        Ok(())
    }

    fn set_attachment_content(&mut self, id: i64, content: &[u8]) -> StoreResult<()> {
        let sql = "UPDATE attachments SET content = $1 WHERE id = $2";
        let statement = self.conn.statement(sql)?;
        let changed = self.conn.client.execute(&statement, &[&content, &id]);
        let changed = changed.map_err(|e| self.conn.failure(e))?;
        if changed != 1 {
            return Err(StoreError::corrupt(format!(
                "no attachment {id} to hold the uploaded bytes"
            )));
        }
        Ok(())
    }

    fn set_password_hash(&mut self, user_id: i64, hash: Option<&str>) -> StoreResult<()> {
        self.credentials_changed();
        self.conn.exec(
            "UPDATE users SET password_hash = $1 WHERE id = $2",
            &[Bind::opt_text(hash.map(str::to_string)), Bind::Int(user_id)],
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
        self.conn.exec(
            "INSERT INTO api_tokens (user_id, token_hash, description, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO NOTHING",
            &[
                Bind::Int(user_id),
                Bind::from(token_hash),
                Bind::from(description),
                Bind::Int(now()),
            ],
        )?;
        Ok(())
    }

    fn insert_oauth_token(&mut self, token: &NewOAuthToken<'_>) -> StoreResult<i64> {
        self.credentials_changed();
        self.one_int(
            "INSERT INTO oauth_tokens (user_id, token_hash, refresh_token_hash, oauth_client_id,
                scopes, created_at, expires_at, refresh_token_expires_at, grant_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                Bind::Int(token.user_id),
                Bind::from(token.token_hash),
                Bind::opt_text(token.refresh_token_hash.map(str::to_string)),
                Bind::opt_int(token.client),
                Bind::from(token.scopes),
                Bind::Int(now()),
                Bind::opt_int(token.expires_at),
                Bind::opt_int(token.refresh_token_expires_at),
                Bind::opt_int(token.grant_id),
            ],
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
        let revoked = self.conn.exec(
            &format!(
                "UPDATE oauth_tokens SET revoked_at = $1 WHERE {column} = $2 AND revoked_at IS NULL"
            ),
            &[Bind::Int(now()), Bind::Int(id)],
        )?;
        // Spent and revoked rows are kept while their refresh token could still be presented
        // (so a replay is recognised); after that they are only history.
        self.conn.exec(
            "DELETE FROM oauth_tokens WHERE revoked_at IS NOT NULL
             AND COALESCE(refresh_token_expires_at, revoked_at) < $1",
            &[Bind::Int(now() - 86_400)],
        )?;
        Ok(revoked)
    }

    fn insert_oauth_client(&mut self, json: &Value) -> StoreResult<i64> {
        let text =
            |key: &str| Bind::from(json.get(key).and_then(Value::as_str).unwrap_or_default());
        let user_id = json
            .get("user_id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let id = self
            .one_int(
                "INSERT INTO oauth_clients (json, identifier, kind, user_id, created_at)
                 VALUES ('{}', $1, $2, $3, $4) RETURNING id",
                &[
                    text("identifier"),
                    text("kind"),
                    Bind::Int(user_id),
                    Bind::Int(now()),
                ],
            )?
            .ok_or_else(|| StoreError::database("the client insert returned no id"))?;
        let mut stored = json.clone();
        stored["id"] = Value::from(id);
        self.update_oauth_client(id, &stored)?;
        Ok(id)
    }

    fn update_oauth_client(&mut self, id: i64, json: &Value) -> StoreResult<()> {
        let text =
            |key: &str| Bind::from(json.get(key).and_then(Value::as_str).unwrap_or_default());
        // A client's kind and redirect URIs decide who may sign in through it.
        self.credentials_changed();
        self.conn.exec(
            "UPDATE oauth_clients SET json = $1, identifier = $2, kind = $3 WHERE id = $4",
            &[
                Bind::Text(json.to_string()),
                text("identifier"),
                text("kind"),
                Bind::Int(id),
            ],
        )?;
        Ok(())
    }

    fn set_oauth_client_secret(&mut self, id: i64, secret_hash: Option<&str>) -> StoreResult<()> {
        self.credentials_changed();
        self.conn.exec(
            "UPDATE oauth_clients SET secret_hash = $1 WHERE id = $2",
            &[
                Bind::opt_text(secret_hash.map(str::to_string)),
                Bind::Int(id),
            ],
        )?;
        Ok(())
    }

    fn delete_oauth_client(&mut self, id: i64) -> StoreResult<bool> {
        self.revoke_oauth_tokens(Revocation::Client(id))?;
        self.conn.exec(
            "DELETE FROM oauth_codes WHERE client = $1",
            &[Bind::Int(id)],
        )?;
        let deleted = self
            .conn
            .exec("DELETE FROM oauth_clients WHERE id = $1", &[Bind::Int(id)])?;
        Ok(deleted == 1)
    }

    fn insert_oauth_code(&mut self, code_hash: &str, code: &OAuthCode) -> StoreResult<i64> {
        self.conn.exec(
            "DELETE FROM oauth_codes WHERE expires_at < $1",
            &[Bind::Int(now() - 3_600)],
        )?;
        self.one_int(
            "INSERT INTO oauth_codes (code_hash, client, user_id, redirect_uri, scopes,
                code_challenge, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                Bind::from(code_hash),
                Bind::Int(code.client),
                Bind::Int(code.user_id),
                Bind::Text(code.redirect_uri.clone()),
                Bind::Text(code.scopes.clone()),
                Bind::opt_text(code.code_challenge.clone()),
                Bind::Int(now()),
                Bind::Int(code.expires_at),
            ],
        )?
        .ok_or_else(|| StoreError::database("the code insert returned no id"))
    }

    fn spend_oauth_code(&mut self, id: i64) -> StoreResult<bool> {
        let spent = self.conn.exec(
            "UPDATE oauth_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
            &[Bind::Int(now()), Bind::Int(id)],
        )?;
        Ok(spent == 1)
    }

    fn insert_job(&mut self, job: &JobRow) -> StoreResult<()> {
        self.conn.exec(
            "INSERT INTO jobs (id, kind, status, payload, total, progress, message, results,
                base_url, caller_id, created_at, updated_at)
             VALUES ($1, $2, 'queued', $3, $4, NULL, NULL, NULL, $5, $6, $7, $7)",
            &[
                Bind::Text(job.id.clone()),
                Bind::Text(job.kind.clone()),
                Bind::Text(job.payload.to_string()),
                Bind::Int(job.total),
                Bind::Text(job.base_url.clone()),
                Bind::Int(job.caller_id),
                Bind::Int(now()),
            ],
        )?;
        Ok(())
    }

    fn claim_job(&mut self, id: &str, runner: &str) -> StoreResult<bool> {
        // Writes are serialized by the account's write lock; SKIP LOCKED keeps a claim from
        // ever waiting on a row some other transaction holds, whatever holds it.
        let claimed = self.conn.exec(
            "UPDATE jobs SET status = 'working', claimed_by = $1, heartbeat_at = $2,
                progress = 0, updated_at = $2
             WHERE id = (SELECT id FROM jobs WHERE id = $3 AND status = 'queued'
                         FOR UPDATE SKIP LOCKED)",
            &[Bind::from(runner), Bind::Int(now()), Bind::from(id)],
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
        self.conn.exec(
            "INSERT INTO job_items (job_id, idx, result) VALUES ($1, $2, $3)
             ON CONFLICT (job_id, idx) DO UPDATE SET result = EXCLUDED.result",
            &[
                Bind::from(id),
                Bind::Int(index),
                Bind::Text(result.to_string()),
            ],
        )?;
        self.conn.exec(
            "UPDATE jobs SET message = $1, heartbeat_at = $2, updated_at = $2 WHERE id = $3",
            &[Bind::from(message), Bind::Int(now()), Bind::from(id)],
        )?;
        Ok(())
    }

    fn job_heartbeat(&mut self, id: &str) -> StoreResult<()> {
        self.conn.exec(
            "UPDATE jobs SET heartbeat_at = $1 WHERE id = $2 AND status = 'working'",
            &[Bind::Int(now()), Bind::from(id)],
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
        self.conn.exec(
            "UPDATE jobs SET status = $1, progress = $2, message = $3, results = $4,
                updated_at = $5, heartbeat_at = $5 WHERE id = $6",
            &[
                Bind::from(status),
                Bind::Int(progress),
                Bind::from(message),
                Bind::Text(results.to_string()),
                Bind::Int(now()),
                Bind::from(id),
            ],
        )?;
        Ok(())
    }

    fn requeue_abandoned_jobs(&mut self, stale_after_secs: i64) -> StoreResult<u64> {
        // Every item that took effect has its result row (same transaction), so the job can
        // go on from the first item without one: nothing runs twice.
        self.conn.exec(
            "UPDATE jobs SET status = 'queued', claimed_by = NULL, updated_at = $1,
             message = 'Resumed after the sandbox running it stopped: ' ||
                       (SELECT COUNT(*) FROM job_items i WHERE i.job_id = jobs.id)::text ||
                       ' of ' || total::text || ' items were already done and are kept'
             WHERE status = 'working' AND COALESCE(heartbeat_at, 0) < $2",
            &[Bind::Int(now()), Bind::Int(now() - stale_after_secs)],
        )
    }

    fn expire_jobs(&mut self) -> StoreResult<()> {
        let before = Bind::Int(now() - 86_400);
        self.conn.exec(
            "DELETE FROM job_items WHERE job_id IN (SELECT id FROM jobs
               WHERE status IN ('completed', 'failed', 'killed') AND updated_at < $1)",
            std::slice::from_ref(&before),
        )?;
        self.conn.exec(
            "DELETE FROM jobs WHERE status IN ('completed', 'failed', 'killed') AND updated_at < $1",
            &[before],
        )?;
        Ok(())
    }

    fn execute(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64> {
        self.credentials_changed();
        self.conn.exec(sql, binds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// The test database's URL (a fresh schema), or `None` when the tests run on SQLite (a
    /// failure under `ZD_REQUIRE_POSTGRES=1`, as in CI).
    fn postgres_url() -> Option<String> {
        let url = crate::test_db_url();
        if url.starts_with("postgres") {
            return Some(url);
        }
        assert_ne!(
            std::env::var("ZD_REQUIRE_POSTGRES").as_deref(),
            Ok("1"),
            "ZD_REQUIRE_POSTGRES=1 but ZD_TEST_DATABASE_URL names no PostgreSQL database"
        );
        None
    }

    /// Runs `sql` on a connection of its own and answers how many users' text matches `query`.
    async fn raw(url: &str, sql: &'static str, query: &'static str) -> i64 {
        let target = Target::parse(url).expect("a PostgreSQL URL");
        tokio::task::spawn_blocking(move || {
            let mut conn = target.connect(Durability::Normal).expect("connects");
            conn.batch(sql).expect("runs");
            let row = conn
                .query_opt(
                    "SELECT COUNT(*) FROM users WHERE search @@ to_tsquery('simple', $1)",
                    &[Bind::Text(query.into())],
                )
                .expect("counts")
                .expect("a row");
            int(&row, 0).expect("a count")
        })
        .await
        .expect("joins")
    }

    /// Whether a connection to `url` is encrypted, as the server sees it; or why none opened.
    async fn encrypted(url: &str) -> Result<bool, String> {
        let target = Target::parse(url).map_err(|e| e.to_string())?;
        tokio::task::spawn_blocking(move || {
            let mut conn = target.connect(Durability::Normal).map_err(|e| {
                let mut text = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(cause) = source {
                    text.push_str(&format!(": {cause}"));
                    source = cause.source();
                }
                text
            })?;
            let row = conn
                .query_opt(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .map_err(|e| e.detail)?
                .ok_or("no pg_stat_ssl row")?;
            Ok(row.get::<_, bool>(0))
        })
        .await
        .expect("joins")
    }

    #[tokio::test]
    async fn tls_follows_sslmode_as_libpq_does() {
        let Some(url) = postgres_url() else { return };
        let Some(ca) = std::env::var("ZD_TEST_POSTGRES_CA")
            .ok()
            .filter(|path| std::path::Path::new(path).is_file())
        else {
            assert_ne!(
                std::env::var("ZD_REQUIRE_POSTGRES").as_deref(),
                Ok("1"),
                "ZD_TEST_POSTGRES_CA must name the test cluster's CA (scripts/postgres makes it)"
            );
            return;
        };
        // The test cluster's certificate is for localhost, not for 127.0.0.1.
        let by_name = url.replacen("@127.0.0.1:", "@localhost:", 1);
        let with = |base: &str, extra: &str| format!("{base}&{extra}");
        assert_eq!(encrypted(&with(&url, "sslmode=disable")).await, Ok(false));
        assert_eq!(
            encrypted(&url).await,
            Ok(true),
            "prefer (the default) takes TLS"
        );
        assert_eq!(encrypted(&with(&url, "sslmode=require")).await, Ok(true));
        // verify-ca checks the chain, not the name; require with a root is verify-ca.
        let root = format!("sslrootcert={ca}");
        for mode in ["verify-ca", "require"] {
            let url = with(&url, &format!("sslmode={mode}&{root}"));
            assert_eq!(encrypted(&url).await, Ok(true), "{mode}");
        }
        // verify-full checks the name too.
        let full = format!("sslmode=verify-full&{root}");
        assert_eq!(encrypted(&with(&by_name, &full)).await, Ok(true));
        let wrong_name = encrypted(&with(&url, &full)).await;
        assert!(
            wrong_name
                .as_ref()
                .is_err_and(|e| e.contains("not valid for name \"127.0.0.1\"")),
            "{wrong_name:?}"
        );
        // Roots that did not sign it: refused, as a MITM's certificate would be.
        let untrusted = encrypted(&with(&by_name, "sslmode=verify-ca&sslrootcert=system")).await;
        assert!(
            untrusted
                .as_ref()
                .is_err_and(|e| e.contains("UnknownIssuer") || e.contains("no certificate")),
            "{untrusted:?}"
        );
        // Settings that cannot work are refused before connecting, saying what to write.
        for (extra, says) in [
            ("sslmode=verify-full", "sslrootcert=PATH"),
            ("sslmode=strict", "verify-full"),
            (
                "sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem",
                "/nonexistent/ca.pem",
            ),
            ("sslcert=/client.pem", "client certificate"),
        ] {
            let refused = Target::parse(&with(&url, extra))
                .err()
                .map(|e| e.to_string());
            assert!(
                refused.as_deref().is_some_and(|e| e.contains(says)),
                "{extra}: {refused:?}"
            );
        }
        // The store itself, over verified TLS.
        let store = Store::open(&with(&by_name, &full))
            .await
            .expect("opens and migrates over TLS");
        store.close().await;
    }

    #[tokio::test]
    async fn text_indexed_before_diacritics_were_folded_is_folded_on_upgrade() {
        let Some(url) = postgres_url() else { return };
        let store = Store::open(&url).await.expect("opens");
        store
            .write(|tx: &mut dyn Writer| -> StoreResult<()> {
                let user = serde_json::json!({
                    "id": 1_000_000_901_i64, "name": "Zoë Müller", "email": "zoe@client.test",
                    "role": "end-user", "active": true, "details": "Café crème",
                    "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"});
                tx.save(Table::Users, &user)
            })
            .await
            .expect("saves");
        store.close().await;
        assert_eq!(raw(&url, "SELECT 1", "muller & cafe").await, 1);
        // As a version-3 database holds it: the vector as `simple` splits the raw text.
        let unfolded = raw(
            &url,
            "UPDATE users SET search = setweight(to_tsvector('simple', 'zoë müller'), 'A') \
                                    || setweight(to_tsvector('simple', 'café crème'), 'C');
             DELETE FROM sandbox_migrations WHERE version = 4",
            "muller",
        )
        .await;
        assert_eq!(unfolded, 0, "the old vector has no folded words");
        let store = Store::open(&url).await.expect("opens and migrates");
        store.close().await;
        assert_eq!(raw(&url, "SELECT 1", "muller & cafe & zoe").await, 1);
        assert_eq!(
            raw(
                &url,
                "SELECT 1",
                "muller:A & creme:C" // the weights (fields) survive too
            )
            .await,
            1
        );
    }

    #[test]
    fn urls_name_the_database_and_never_show_the_password() {
        let target = Target::from_url("postgres://zd:s3cret@db.example:5433/zd?schema=team_a")
            .expect("a PostgreSQL URL")
            .expect("parses");
        assert_eq!(target.schema.as_deref(), Some("team_a"));
        assert_eq!(target.config.get_dbname(), Some("zd"));
        assert_eq!(target.config.get_options(), Some("-c search_path=team_a"));
        assert!(!target.shown.contains("s3cret"), "{}", target.shown);
        assert!(Target::from_url("sqlite::memory:").is_none());
        let Some(Err(SandboxError::Config(message))) =
            Target::from_url("postgres://zd:s3cret@db/zd?schema=Robert');DROP")
        else {
            panic!("a bad schema is refused");
        };
        assert!(message.contains("schema"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
    }
}
