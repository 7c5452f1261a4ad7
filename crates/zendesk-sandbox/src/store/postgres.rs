//! The PostgreSQL backend (`postgres://...`): its connections, its schema, and its side of the
//! SQL that differs between backends (full text in a weighted `search` tsvector per record,
//! custom fields as JSONB, ids from sequences, row locks). Several sandbox processes on one
//! database behave as one Zendesk account.
//!
//! Driver: the synchronous `postgres` client (tokio-postgres driven by a small runtime of its
//! own), used from threads that may block, which fits the synchronous rules: a whole rule runs
//! on the thread that owns the connection, with no channel hop per statement.
//!
//! Writes go to the group-commit writer (`group_commit.rs`). Every write transaction first
//! takes the account's write lock, a transaction-scoped advisory lock keyed by the schema: the
//! writes of all processes on the database are serialized, exactly as SQLite's `BEGIN
//! IMMEDIATE` serializes the processes sharing a file. Rules therefore see the same world on
//! both backends (a read-modify-write of a ticket cannot lose an update, the 30-job limit is
//! counted and enforced in one step, a job is claimed once), with no retry loop and no deadlock
//! between rules that touch several rows. A process that dies holding the lock loses its
//! connection, and PostgreSQL releases the lock and rolls its batch back.
//!
//! Reads: a small pool of connections used on tokio's blocking threads, each read one
//! `REPEATABLE READ READ ONLY` transaction (one consistent snapshot); they never wait for the
//! writers. A read of a few rows by key runs in autocommit.
//!
//! Ids come from sequences (shared by every process, never handed out twice). What else every
//! process shares lives in the database too: jobs and their items, the account's rate window
//! (`rate_windows`), and the key token hashes are made with (`sandbox_keys`).
//!
//! `?schema=NAME` in the URL keeps the tables in that schema (created when missing), so several
//! sandboxes, or test runs, can share one database. The schema is
//! `migrations/postgres/*.sql`, applied in order under an advisory lock and recorded in
//! `sandbox_migrations`.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};
use serde_json::Value;

use super::backend::{Backend, BoxFuture, Durability, RecordTexts};
use super::bind::Bind;
use super::connection::{
    self, ExtraColumn, Idle, ReadJob, Row, Transaction, WriteJob, peek_outside_transaction,
    read_in_transaction,
};
use super::dialect::Dialect;
use super::error::{StoreError, StoreResult, redact_url};
use super::group_commit::{GroupCommit, WithConnection};
use super::postgres_tls::{self, RustlsConnect, SslMode};
use super::record_cache::RecordCache;
use super::records::{record_text, record_texts_statement};
use super::sql::bind_markers;
use super::tables::Table;
use super::text::fold_text;
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
    (
        5,
        include_str!("../../migrations/postgres/0005_hardening_two.sql"),
    ),
    (
        6,
        include_str!("../../migrations/postgres/0006_business_rules.sql"),
    ),
    (
        7,
        include_str!("../../migrations/postgres/0007_webhooks.sql"),
    ),
    (
        8,
        include_str!("../../migrations/postgres/0008_incremental.sql"),
    ),
    (
        9,
        include_str!("../../migrations/postgres/0009_comment_text_once.sql"),
    ),
];

/// The migration after which every record's full text is folded again (see its SQL file).
const REFOLD_TEXT_MIGRATION: i64 = 4;

/// Records re-folded per query while migrating.
const REFOLD_BATCH: i64 = 500;

/// Idle read connections kept open: as many as may be open, so that a steady load of
/// `MAX_READERS` concurrent reads never closes a connection only to open one (a TLS handshake
/// and a sign-in) the next moment. With 8 kept, 16 clients showing tickets opened 93 sessions
/// in a 15 s run; with 16, 18.
const MAX_IDLE_READERS: usize = 16;
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
    /// The same, for the async client (`AsyncReader`).
    async_config: tokio_postgres::Config,
    /// TLS settings from `sslmode` / `sslrootcert` (`None`: plain TCP).
    tls: Option<Arc<rustls::ClientConfig>>,
    schema: Option<String>,
    /// The URL without its password, for messages.
    shown: String,
}

impl Target {
    /// Why a connection to the database failed, naming it as shown (without its password).
    fn cannot_connect(&self, error: postgres::Error) -> String {
        format!(
            "cannot connect to the database {}: {}",
            self.shown,
            db(error).detail
        )
    }

    /// `None` when the URL is not PostgreSQL's.
    pub(super) fn from_url(url: &str) -> Option<StoreResult<Target>> {
        (url.starts_with("postgres://") || url.starts_with("postgresql://"))
            .then(|| Target::parse(url))
    }

    fn parse(url: &str) -> StoreResult<Target> {
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
                        StoreError::config(format!(
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
                    return Err(StoreError::config(format!(
                        "the database URL {shown} asks for a client certificate: the sandbox \
                         signs in with a password or trust only (sslmode and sslrootcert work)"
                    )));
                }
                _ => kept.push(pair),
            }
        }
        let tls = postgres_tls::client_config(ssl_mode, root_cert.as_deref())
            .map_err(|e| StoreError::config(format!("the database URL {shown}: {e}")))?;
        if let Some(name) = &schema {
            let valid = name.len() <= 63
                && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(StoreError::config(format!(
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
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::config(format!("the database URL {shown} cannot be read: {e}"))
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
            config: postgres::Config::from(config.clone()),
            async_config: config,
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
            write_lock: None,
            record_cache: None,
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
            Bind::Blob(bytes) => bytes.as_slice().to_sql(ty, out),
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
                | Type::BYTEA
        )
    }

    to_sql_checked!();
}

/// An integer of any width (a CASE or a literal is INTEGER, columns are BIGINT or SMALLINT),
/// or a boolean as 0 or 1.
struct AnyInt(i64);

impl<'a> FromSql<'a> for AnyInt {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<AnyInt, Box<dyn StdError + Sync + Send>> {
        Ok(AnyInt(match *ty {
            Type::INT2 => i64::from(i16::from_sql(ty, raw)?),
            Type::INT4 => i64::from(i32::from_sql(ty, raw)?),
            Type::BOOL => i64::from(bool::from_sql(ty, raw)?),
            _ => i64::from_sql(ty, raw)?,
        }))
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8 | Type::BOOL)
    }
}

/// A PostgreSQL error as the store speaks of it: a server that went away (the connection
/// closed or broke, the server shutting down or not accepting connections yet) is
/// `Unavailable`, which requests answer with 503 and `Retry-After`.
fn db(error: postgres::Error) -> StoreError {
    match error.as_db_error() {
        Some(e) => {
            let code = e.code().code();
            let detail = format!("{} ({code})", e.message());
            // Class 08: connection exceptions; 57P01-57P03: shutdown, crash, starting up.
            if code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03") {
                StoreError::unavailable(detail)
            } else {
                StoreError::database(detail)
            }
        }
        None if error.is_closed()
            || std::error::Error::source(&error)
                .is_some_and(|source| source.is::<std::io::Error>()) =>
        {
            StoreError::unavailable(error)
        }
        None => StoreError::database(error),
    }
}

impl Row for postgres::Row {
    fn int(&self, index: usize) -> StoreResult<Option<i64>> {
        self.try_get::<_, Option<AnyInt>>(index)
            .map(|v| v.map(|v| v.0))
            .map_err(db)
    }

    fn text(&self, index: usize) -> StoreResult<Option<&str>> {
        self.try_get::<_, Option<&str>>(index).map_err(db)
    }

    fn bytes(&self, index: usize) -> StoreResult<Option<Vec<u8>>> {
        self.try_get::<_, Option<Vec<u8>>>(index).map_err(db)
    }
}

/// A connection and its prepared statements.
struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// The account's write lock, on the writer's connection.
    write_lock: Option<i64>,
    /// The store's record cache, on reading connections only (`record_cache.rs`).
    record_cache: Option<Arc<RecordCache>>,
}

impl PgConn {
    /// The prepared statement of `sql` (as the queries write it, with `$?` markers).
    fn statement(&mut self, sql: &str) -> StoreResult<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .client
            .prepare(&bind_markers(sql, Dialect::Postgres))
            .map_err(db)?;
        if self.statements.len() >= MAX_CACHED_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// The first column of the first row, an integer.
    fn one_int(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Option<i64>> {
        let mut found = None;
        connection::Connection::query(self, sql, binds, &mut |row| {
            found = row.int(0)?;
            Ok(false)
        })?;
        Ok(found)
    }
}

impl connection::Connection for PgConn {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> =
            binds.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
        self.client.execute(&statement, &params).map_err(db)
    }

    fn query(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> =
            binds.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
        // The whole answer in one round of the driver's runtime (cheaper than one per row).
        for row in self.client.query(&statement, &params).map_err(db)? {
            if !each(&row)? {
                break;
            }
        }
        Ok(())
    }

    fn stream(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
    ) -> StoreResult<()> {
        let statement = self.statement(sql)?;
        // Rows arrive one at a time from the socket; stopping early drops the rest unread.
        let params = binds.iter().map(|b| b as &(dyn ToSql + Sync));
        let mut rows = self.client.query_raw(&statement, params).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            if !each(&row)? {
                break;
            }
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> StoreResult<()> {
        self.client.batch_execute(sql).map_err(db)
    }

    fn record_cache(&self) -> Option<&RecordCache> {
        self.record_cache.as_deref()
    }

    fn begin_write(&mut self) -> StoreResult<()> {
        let key = self
            .write_lock
            .ok_or_else(|| StoreError::unavailable("a write on a read connection"))?;
        self.batch(&format!("BEGIN; SELECT pg_advisory_xact_lock({key})"))
    }

    fn begin_read(&mut self) -> StoreResult<bool> {
        self.batch("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        Ok(true)
    }

    fn transaction_lost(&self) -> bool {
        self.client.is_closed()
    }

    fn allocate_id(&mut self, table: Table) -> StoreResult<i64> {
        self.one_int(&format!("SELECT nextval('{}_ids')", table.name()), &[])?
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

    /// The `search` vector (each text field under its weight) and, for tickets, the custom
    /// fields as JSONB.
    fn extra_columns(
        &mut self,
        table: Table,
        record: &Value,
        text: &[(&'static str, String)],
    ) -> Vec<ExtraColumn> {
        let mut extra = Vec::new();
        if table == Table::Tickets {
            extra.push(ExtraColumn {
                name: "custom_fields",
                value: "CAST($? AS text)::jsonb".into(),
                binds: vec![Bind::Text(custom_fields(record))],
            });
        }
        if let Some(weights) = search_weights(table, text) {
            extra.push(ExtraColumn {
                name: "search",
                value: search_vector(weights.len()),
                binds: weights.into_iter().map(Bind::Text).collect(),
            });
        }
        extra
    }

    fn index_text(
        &mut self,
        _table: Table,
        _id: i64,
        _text: &[(&'static str, String)],
    ) -> StoreResult<()> {
        // The `search` vector is a column of the record's row, written with it.
        Ok(())
    }

    fn drop_text(&mut self, _table: Table, _id: i64) -> StoreResult<()> {
        Ok(())
    }

    fn skip_locked(&self) -> &'static str {
        " FOR UPDATE SKIP LOCKED"
    }
}

/// The folded text of each weight of a record's `search` vector (A to D); `None` for tables
/// without full text.
fn search_weights(table: Table, text: &[(&'static str, String)]) -> Option<Vec<String>> {
    let spec = table.spec().text.as_ref()?;
    let mut weights = vec![String::new(); 4];
    for (field, value) in text {
        let slot = (spec.weight(field) as usize) - ('A' as usize);
        if let Some(text) = weights.get_mut(slot) {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&fold_text(value));
        }
    }
    Some(weights)
}

/// The SQL of a `search` vector from `slots` folded texts bound in order (`$?`), the first
/// weighted A, the next B, and so on.
fn search_vector(slots: usize) -> String {
    (0..slots)
        .map(|slot| {
            let weight = (b'A' + slot as u8) as char;
            format!("setweight(to_tsvector('simple', $?), '{weight}')")
        })
        .collect::<Vec<_>>()
        .join(" || ")
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

/// Applies the migrations not applied yet, under an advisory lock (two processes opening a
/// fresh database never both migrate it); creates the URL's schema when missing.
fn migrate(conn: &mut PgConn, target: &Target) -> StoreResult<()> {
    use connection::Connection as _;
    let fail = |e: StoreError| {
        StoreError::config(format!(
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
            .one_int(
                "SELECT COALESCE(MAX(version), 0) FROM sandbox_migrations",
                &[],
            )?
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
                conn.execute(
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
    for table in Table::WITH_TEXT {
        let mut after = i64::MIN;
        loop {
            let mut tx = Transaction::reading(conn);
            let rows = tx.rows(
                &format!(
                    "SELECT id, json FROM {} WHERE id > $1 ORDER BY id LIMIT {REFOLD_BATCH}",
                    table.name()
                ),
                &[Bind::Int(after)],
                |row| Ok((row.id(0)?, row.json(1)?)),
            )?;
            let Some((last, _)) = rows.last() else { break };
            after = *last;
            for (id, record) in rows {
                let text = tx.text_of(table, &record)?;
                let Some(weights) = search_weights(table, &text) else {
                    continue;
                };
                let mut binds: Vec<Bind> = weights.into_iter().map(Bind::Text).collect();
                binds.push(Bind::Int(id));
                tx.exec(
                    &format!(
                        "UPDATE {} SET search = {} WHERE id = $?",
                        table.name(),
                        search_vector(binds.len() - 1),
                    ),
                    &binds,
                )?;
            }
        }
    }
    Ok(())
}

/// The account's write lock: an advisory lock keyed by the schema, so sandboxes in other
/// schemas of the same database do not wait for each other.
fn write_lock_key(conn: &mut PgConn) -> StoreResult<i64> {
    let mut schema = None;
    connection::Connection::query(conn, "SELECT current_schema()", &[], &mut |row| {
        schema = Some(row.text(0)?.unwrap_or_default().to_string());
        Ok(false)
    })?;
    let schema = schema.ok_or_else(|| StoreError::database("no current schema"))?;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in "zd-sandbox-writes:".bytes().chain(schema.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Ok(hash as i64)
}

pub(super) struct Postgres {
    target: Arc<Target>,
    durability: Durability,
    writer: GroupCommit,
    idle: Arc<Idle<PgConn>>,
    readers: Arc<tokio::sync::Semaphore>,
    async_reader: AsyncReader,
    /// Texts of records the reading connections have read (`record_cache.rs`).
    record_cache: Arc<RecordCache>,
}

/// The connection gathered lookups are read on (`store::lookups`): the driver's async client,
/// driven by the server's own runtime, so that a batch costs no hop to a blocking thread and
/// back, nor a round of the synchronous client's own runtime. Connected on first use and again
/// after it is lost; concurrent batches share it (the driver pipelines their statements).
struct AsyncReader {
    target: Arc<Target>,
    current: tokio::sync::Mutex<Option<Arc<AsyncConn>>>,
}

struct AsyncConn {
    client: tokio_postgres::Client,
    /// Prepared statements by their SQL (a few shapes: tables by powers of two).
    statements: std::sync::Mutex<HashMap<String, Statement>>,
}

impl AsyncReader {
    async fn connection(&self) -> StoreResult<Arc<AsyncConn>> {
        let mut current = self.current.lock().await;
        if let Some(conn) = current.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(conn.clone());
        }
        *current = None;
        let target = &self.target;
        let client = match &target.tls {
            Some(tls) => run_connection(&target.async_config, RustlsConnect(tls.clone())).await,
            None => run_connection(&target.async_config, NoTls).await,
        }
        .map_err(|e| StoreError::unavailable(target.cannot_connect(e)))?;
        let conn = Arc::new(AsyncConn {
            client,
            statements: std::sync::Mutex::new(HashMap::new()),
        });
        *current = Some(conn.clone());
        Ok(conn)
    }

    async fn record_texts(&self, table: Table, ids: Vec<i64>) -> StoreResult<Vec<(i64, String)>> {
        let Some((sql, binds)) = record_texts_statement(table, &ids) else {
            return Ok(Vec::new());
        };
        let conn = self.connection().await?;
        let prepared = connection::lock(&conn.statements).get(&sql).cloned();
        let statement = match prepared {
            Some(statement) => statement,
            None => {
                let statement = conn
                    .client
                    .prepare(&bind_markers(&sql, Dialect::Postgres))
                    .await
                    .map_err(db)?;
                connection::lock(&conn.statements).insert(sql, statement.clone());
                statement
            }
        };
        let params: Vec<&(dyn ToSql + Sync)> =
            binds.iter().map(|b| b as &(dyn ToSql + Sync)).collect();
        let rows = conn.client.query(&statement, &params).await.map_err(db)?;
        rows.iter().map(|row| record_text(row)).collect()
    }
}

/// Connects the async client with `tls`; the connection runs as a task of its own until its
/// client is dropped.
async fn run_connection<T>(
    config: &tokio_postgres::Config,
    tls: T,
) -> Result<tokio_postgres::Client, postgres::Error>
where
    T: postgres::tls::MakeTlsConnect<tokio_postgres::Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move { drop(connection.await) });
    Ok(client)
}

impl Postgres {
    pub(super) async fn open(target: Target, durability: Durability) -> StoreResult<Postgres> {
        let target = Arc::new(target);
        let opening = target.clone();
        let conn = tokio::task::spawn_blocking(move || {
            let mut conn = opening
                .connect(durability)
                .map_err(|e| StoreError::config(opening.cannot_connect(e)))?;
            migrate(&mut conn, &opening)?;
            let key = write_lock_key(&mut conn)
                .map_err(|e| StoreError::config(format!("database: {}", e.detail)))?;
            conn.write_lock = Some(key);
            Ok::<_, StoreError>(conn)
        })
        .await
        .map_err(|e| StoreError::config(format!("cannot open the database: {e}")))??;
        let lock_key = conn.write_lock;
        let (reconnect, mut current) = (target.clone(), Some(conn));
        // The write connection, reconnecting after a lost one.
        let with: WithConnection = Box::new(move |run| {
            if current.as_ref().is_none_or(|c| c.client.is_closed()) {
                current = None;
                let mut conn = reconnect
                    .connect(durability)
                    .map_err(|e| StoreError::unavailable(reconnect.cannot_connect(e)))?;
                conn.write_lock = lock_key;
                current = Some(conn);
            }
            let conn = current
                .as_mut()
                .ok_or_else(|| StoreError::unavailable("no database connection"))?;
            run(conn);
            Ok(())
        });
        let writer = GroupCommit::start("zd-sandbox-pg-writer", with)
            .map_err(|e| StoreError::config(format!("cannot start the database writer: {e}")))?;
        Ok(Postgres {
            async_reader: AsyncReader {
                target: target.clone(),
                current: tokio::sync::Mutex::new(None),
            },
            target,
            durability,
            writer,
            idle: Arc::new(Idle::new(MAX_IDLE_READERS)),
            readers: Arc::new(tokio::sync::Semaphore::new(MAX_READERS)),
            record_cache: Arc::new(RecordCache::new()),
        })
    }

    /// Runs `f` on an idle connection (or a new one) outside any transaction, on a blocking
    /// thread, and keeps the connection for the next caller when it is still sound.
    fn with_connection<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PgConn) -> StoreResult<T> + Send + 'static,
    ) -> BoxFuture<'_, StoreResult<T>> {
        let (target, idle, durability) = (self.target.clone(), self.idle.clone(), self.durability);
        let (readers, record_cache) = (self.readers.clone(), self.record_cache.clone());
        Box::pin(async move {
            let _permit = readers
                .acquire_owned()
                .await
                .map_err(|_| StoreError::unavailable("the store is closed"))?;
            tokio::task::spawn_blocking(move || {
                let mut conn = match idle.take() {
                    Some(conn) => conn,
                    None => {
                        let mut conn = target
                            .connect(durability)
                            .map_err(|e| StoreError::unavailable(target.cannot_connect(e)))?;
                        conn.record_cache = Some(record_cache);
                        conn
                    }
                };
                let result = f(&mut conn);
                if !conn.client.is_closed() {
                    idle.keep(conn);
                }
                result
            })
            .await
            .map_err(|e| StoreError::unavailable(format!("database task: {e}")))?
        })
    }
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn database_file(&self) -> Option<std::path::PathBuf> {
        None
    }

    fn credentials_generation(&self) -> u64 {
        self.writer.credentials_generation()
    }

    fn read(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        self.with_connection(move |conn| read_in_transaction(conn, job))
    }

    /// Autovacuum's rule for analyzing a table (more rows changed since the last analysis than
    /// 50 and a tenth of the table), asked every few seconds instead of once a minute. Each
    /// `ANALYZE` skips a table another process is analyzing.
    fn refresh_statistics(&self) -> BoxFuture<'_, StoreResult<Vec<String>>> {
        use connection::Connection as _;
        self.with_connection(|conn| {
            let mut stale = Vec::new();
            conn.query(
                "SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
                 WHERE s.schemaname = current_schema()
                   AND s.n_mod_since_analyze > 50 + 0.1 * GREATEST(c.reltuples, 0)
                 ORDER BY s.relname",
                &[],
                &mut |row| {
                    stale.extend(row.text(0)?.map(str::to_string));
                    Ok(true)
                },
            )?;
            for table in &stale {
                conn.batch(&format!(
                    "ANALYZE (SKIP_LOCKED) \"{}\"",
                    table.replace('"', "\"\"")
                ))?;
            }
            Ok(stale)
        })
    }

    /// A read of a few rows by key: each statement on its own (autocommit), which saves the
    /// `BEGIN` and `COMMIT` round trips of a transaction (as SQLite's peek skips its own).
    fn peek(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        self.with_connection(move |conn| peek_outside_transaction(conn, job))
    }

    /// On a blocking thread, as every read here: without `BEGIN` and `COMMIT`, two of a
    /// streamed list page's three round trips.
    fn read_alone(&self, job: ReadJob) -> BoxFuture<'_, StoreResult<()>> {
        self.peek(job)
    }

    fn write(&self, job: WriteJob) -> BoxFuture<'_, StoreResult<()>> {
        self.writer.submit(job)
    }

    fn read_records_async(
        &self,
        table: Table,
        ids: Vec<i64>,
    ) -> Option<BoxFuture<'_, StoreResult<RecordTexts>>> {
        Some(Box::pin(self.async_reader.record_texts(table, ids)))
    }

    fn count_request(
        &self,
        limit: &'static str,
        window_start: i64,
    ) -> BoxFuture<'_, StoreResult<Option<i64>>> {
        use connection::Connection as _;
        self.with_connection(move |conn| {
            let requests = conn
                .one_int(
                    "INSERT INTO rate_windows (name, window_start, requests) VALUES ($1, $2, 1)
                     ON CONFLICT (name, window_start)
                     DO UPDATE SET requests = rate_windows.requests + 1
                     RETURNING requests",
                    &[Bind::Text(limit.to_string()), Bind::Int(window_start)],
                )?
                .ok_or_else(|| StoreError::database("the rate window upsert returned nothing"))?;
            if requests == 1 {
                // The first request of a window clears the windows long gone (the longest
                // window, a sample export's, is 20 minutes).
                conn.execute(
                    "DELETE FROM rate_windows WHERE window_start < $1",
                    &[Bind::Int(window_start - 3_600)],
                )?;
            }
            Ok(Some(requests))
        })
    }

    fn sign_in_failures(
        &self,
        account: String,
        now: i64,
        window_secs: i64,
        add: bool,
    ) -> BoxFuture<'_, StoreResult<Option<i64>>> {
        use connection::Connection as _;
        // A row's `window_start` is the account's first failure of its window.
        let opened_after = now - window_secs;
        self.with_connection(move |conn| {
            if !add {
                let failures = conn.one_int(
                    "SELECT failures FROM sign_in_failures WHERE account = $1 AND window_start > $2",
                    &[Bind::Text(account), Bind::Int(opened_after)],
                )?;
                return Ok(Some(failures.unwrap_or(0)));
            }
            let failures = conn
                .one_int(
                    "INSERT INTO sign_in_failures (account, window_start, failures) VALUES ($1, $2, 1)
                     ON CONFLICT (account) DO UPDATE SET
                         failures = CASE WHEN sign_in_failures.window_start > $3
                                         THEN sign_in_failures.failures + 1 ELSE 1 END,
                         window_start = CASE WHEN sign_in_failures.window_start > $3
                                             THEN sign_in_failures.window_start ELSE excluded.window_start END
                     RETURNING failures",
                    &[Bind::Text(account), Bind::Int(now), Bind::Int(opened_after)],
                )?
                .ok_or_else(|| StoreError::database("the sign-in failure upsert returned nothing"))?;
            if failures == 1 {
                // An account's first failure of a window clears the accounts long quiet.
                conn.execute(
                    "DELETE FROM sign_in_failures WHERE window_start < $1",
                    &[Bind::Int(now - 600)],
                )?;
            }
            Ok(Some(failures))
        })
    }

    fn shared_setting(
        &self,
        name: &'static str,
        proposed: String,
    ) -> BoxFuture<'_, StoreResult<Option<String>>> {
        use connection::Connection as _;
        self.with_connection(move |conn| {
            // The first process to propose a value sets it; every later one reads it.
            conn.execute(
                "INSERT INTO sandbox_keys (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING",
                &[Bind::from(name), Bind::Text(proposed)],
            )?;
            let mut value = None;
            conn.query(
                "SELECT value FROM sandbox_keys WHERE name = $1",
                &[Bind::from(name)],
                &mut |row| {
                    value = row.text(0)?.map(str::to_string);
                    Ok(false)
                },
            )?;
            Ok(value)
        })
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        let idle = self.idle.clone();
        let stopped = self.writer.stop();
        Box::pin(async move {
            stopped.await;
            self.async_reader.current.lock().await.take();
            // A client closes by blocking on its own runtime: never on an async thread.
            let conns = idle.drain();
            let _ = tokio::task::spawn_blocking(move || drop(conns)).await;
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // Dropped without `close` (possibly on an async thread, where a client cannot close):
        // the idle connections close on a thread of their own.
        let conns = self.idle.drain();
        if !conns.is_empty() {
            let _ = std::thread::Builder::new()
                .name("zd-sandbox-pg-close".into())
                .spawn(move || drop(conns));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::error::StoreErrorKind;
    use crate::store::{Store, Writer};

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
            conn.client.batch_execute(sql).expect("runs");
            let row = conn
                .client
                .query_one(
                    "SELECT COUNT(*) FROM users WHERE search @@ to_tsquery('simple', $1)",
                    &[&query],
                )
                .expect("counts");
            row.get::<_, i64>(0)
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
                .client
                .query_opt(
                    "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                    &[],
                )
                .map_err(|e| db(e).detail)?
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

    /// A commit PostgreSQL refuses (a deferred constraint) answers the job that made the
    /// change `commit failed: ...`, and keeps nothing of it.
    #[tokio::test]
    async fn a_refused_commit_answers_commit_failed_and_keeps_nothing() {
        let Some(url) = postgres_url() else { return };
        let store = Store::open(&url).await.expect("opens");
        store
            .write(|tx: &mut dyn Writer| {
                tx.execute(
                    "CREATE TABLE deferred_check (id BIGINT PRIMARY KEY,
                        parent BIGINT REFERENCES deferred_check (id) DEFERRABLE INITIALLY DEFERRED)",
                    &[],
                )
            })
            .await
            .expect("creates");
        let refused = store
            .write(|tx: &mut dyn Writer| -> StoreResult<()> {
                let group = serde_json::json!({"id": 3_000_000_901_i64, "name": "Lost",
                    "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"});
                tx.save(Table::Groups, &group)?;
                // Checked only at COMMIT: the statement itself succeeds.
                tx.execute(
                    "INSERT INTO deferred_check (id, parent) VALUES (1, 99)",
                    &[],
                )?;
                Ok(())
            })
            .await
            .expect_err("the commit is refused");
        assert!(
            refused.detail.starts_with("commit failed: ") && refused.detail.contains("23503"),
            "{refused}"
        );
        let kept = store
            .read(|reader| reader.record(Table::Groups, 3_000_000_901))
            .await
            .expect("reads");
        assert_eq!(kept, None);
        store.close().await;
    }

    /// The subjects of the first page of tickets, as `store` lists them.
    async fn listed_subjects(store: &Store) -> Vec<String> {
        let page = store
            .read_alone(|reader| {
                let window = crate::store::Window::After {
                    key: None,
                    size: 10,
                };
                reader.list_page(&crate::store::ListQuery {
                    table: Table::Tickets,
                    filters: &[],
                    sort_column: "id",
                    descending: false,
                    window: &window,
                })
            })
            .await
            .expect("lists");
        page.rows
            .iter()
            .map(|(_, _, json)| {
                let record: serde_json::Value = serde_json::from_str(json).expect("JSON");
                record["subject"].as_str().unwrap_or_default().to_string()
            })
            .collect()
    }

    fn ticket(id: i64, subject: &str) -> serde_json::Value {
        serde_json::json!({"id": id, "subject": subject, "description": "", "status": "open",
            "tags": [], "custom_fields": [], "via": {"channel": "api"},
            "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"})
    }

    /// Lists read through the record cache: a record written since, by this process, by
    /// another sandbox on the same database or by SQL from outside, is listed as written.
    #[tokio::test]
    async fn lists_served_from_the_record_cache_show_every_write_of_every_process() {
        let Some(url) = postgres_url() else { return };
        let here = Store::open(&url).await.expect("opens");
        let elsewhere = Store::open(&url).await.expect("opens a second time");
        here.write(|tx: &mut dyn Writer| -> StoreResult<()> {
            (1..=3).try_for_each(|id| tx.save(Table::Tickets, &ticket(id, &format!("first {id}"))))
        })
        .await
        .expect("saves");
        let first = ["first 1", "first 2", "first 3"];
        assert_eq!(listed_subjects(&here).await, first);
        // Again: now from the cache.
        assert_eq!(listed_subjects(&here).await, first);
        elsewhere
            .write(|tx: &mut dyn Writer| tx.save(Table::Tickets, &ticket(2, "second, elsewhere")))
            .await
            .expect("saves elsewhere");
        assert_eq!(
            listed_subjects(&here).await,
            ["first 1", "second, elsewhere", "first 3"]
        );
        here.write(|tx: &mut dyn Writer| {
            tx.execute(
                "UPDATE tickets SET json = replace(json, 'first 3', 'third, by SQL') WHERE id = 3",
                &[],
            )
        })
        .await
        .expect("updates by SQL");
        assert_eq!(
            listed_subjects(&here).await,
            ["first 1", "second, elsewhere", "third, by SQL"]
        );
        here.close().await;
        elsewhere.close().await;
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
                                    || setweight(to_tsvector('simple', 'café crème'), 'C')",
            "muller",
        )
        .await;
        assert_eq!(unfolded, 0, "the old vector has no folded words");
        // What migration 4 runs on such a database (later migrations make re-running it alone
        // impossible: a database's version is its newest migration).
        let target = Target::parse(&url).expect("a PostgreSQL URL");
        tokio::task::spawn_blocking(move || {
            let mut conn = target.connect(Durability::Normal).expect("connects");
            refold_text(&mut conn).expect("refolds");
        })
        .await
        .expect("joins");
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
        let Some(Err(StoreError {
            kind: StoreErrorKind::Config,
            detail: message,
        })) = Target::from_url("postgres://zd:s3cret@db/zd?schema=Robert');DROP")
        else {
            panic!("a bad schema is refused");
        };
        assert!(message.contains("schema"), "{message}");
        assert!(!message.contains("s3cret"), "{message}");
    }
}
