//! Every SQL statement of the sandbox lives here (SQLite today; the functions are the seam for a
//! PostgreSQL backend: portable SQL with `$N` placeholders, integer timestamps, upserts with
//! `ON CONFLICT`). Callers hand over a record's JSON; this module derives the indexed columns,
//! tag rows and full-text rows from it, in the caller's transaction, so they never drift.
//!
//! Concurrency: the database is in WAL mode with a busy timeout, and every write transaction
//! starts with `BEGIN IMMEDIATE`, so two processes sharing one file queue for the write lock
//! instead of failing on a lock upgrade.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row, SqlSafeStr, Sqlite, Transaction};

use crate::SandboxError;
use crate::util::{hash_secret, iso, now};

/// The SQLite migrations, embedded so the binary carries its schema.
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "schema",
    include_str!("../migrations/sqlite/0001_schema.sql"),
)];

/// The database behind a sandbox.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// Writers of this process queue here (fairly, without sleeping) before asking SQLite for
    /// the write lock; SQLite's own busy handler then only arbitrates between processes.
    writers: Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction: holds this process's writer slot and SQLite's write lock until it is
/// committed or dropped (dropping rolls back).
pub struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _slot: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

/// A bound value for dynamically built SQL.
#[derive(Clone, Debug)]
pub enum Bind {
    Int(i64),
    Text(String),
}

/// A filter fragment for [`Store::list_page`]; `$?` marks each bind in order.
#[derive(Clone, Debug)]
pub struct Filter {
    pub sql: String,
    pub binds: Vec<Bind>,
}

impl Filter {
    pub fn new(sql: impl Into<String>, binds: Vec<Bind>) -> Filter {
        Filter {
            sql: sql.into(),
            binds,
        }
    }
}

/// Which rows to fetch: offset (`page`, `per_page`) or keyset (`after`/`before` a key).
#[derive(Clone, Debug)]
pub enum Window {
    Offset { page: i64, per_page: i64 },
    After { key: Option<(i64, i64)>, size: i64 },
    Before { key: (i64, i64), size: i64 },
}

/// Rows of one page: (id, sort key value, stored JSON text), plus whether more remain in that
/// direction and, for offset windows, the total. The JSON stays text: a list splices it into the
/// answer without parsing it (see `routes::shared`).
#[derive(Debug, Default)]
pub struct PageRows {
    pub rows: Vec<(i64, i64, String)>,
    pub more: bool,
    pub count: Option<i64>,
}

/// A job row as stored.
#[derive(Clone, Debug)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub payload: Value,
    pub total: i64,
    pub progress: Option<i64>,
    pub message: Option<String>,
    pub results: Option<Value>,
    pub base_url: String,
    pub caller_id: i64,
}

/// Who a credential belongs to.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub role: String,
    pub active: bool,
    pub scopes: Option<Vec<String>>,
}

fn add_binds<'q>(
    mut query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments>,
    binds: &[Bind],
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments> {
    for bind in binds {
        query = match bind {
            Bind::Int(i) => query.bind(*i),
            Bind::Text(s) => query.bind(s.clone()),
        };
    }
    query
}

/// Replaces each `$?` by `$1`, `$2`... starting after `start`.
fn number_placeholders(sql: &str, start: usize) -> (String, usize) {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = start;
    let mut rest = sql;
    while let Some(pos) = rest.find("$?") {
        n += 1;
        out.push_str(&rest[..pos]);
        out.push_str(&format!("${n}"));
        rest = &rest[pos + 2..];
    }
    out.push_str(rest);
    (out, n)
}

fn status_rank(status: &str) -> i64 {
    match status {
        "new" => 0,
        "open" => 1,
        "pending" => 2,
        "hold" => 3,
        "solved" => 4,
        _ => 5,
    }
}

fn priority_rank(priority: Option<&str>) -> i64 {
    match priority {
        Some("low") => 1,
        Some("normal") => 2,
        Some("high") => 3,
        Some("urgent") => 4,
        _ => 0,
    }
}

fn s(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_string)
}

fn i(json: &Value, key: &str) -> Option<i64> {
    json.get(key).and_then(Value::as_i64)
}

fn ts(json: &Value, key: &str) -> Option<i64> {
    json.get(key)
        .and_then(Value::as_str)
        .and_then(crate::util::parse_time)
}

fn tags_of(json: &Value) -> Vec<String> {
    json.get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl Store {
    /// Opens `sqlite://PATH` (created if missing) or `sqlite::memory:`, and migrates it.
    /// A plain file path is accepted too (as `sqlite://PATH`).
    pub async fn open(db_url: &str) -> Result<Store, SandboxError> {
        let owned;
        let db_url = if db_url.starts_with("sqlite:") {
            db_url
        } else if db_url.trim().is_empty() {
            return Err(SandboxError::Config(
                "the database URL is empty; use sqlite://PATH or sqlite::memory:".into(),
            ));
        } else if db_url.contains("://") {
            return Err(SandboxError::Config(format!(
                "unsupported database URL `{db_url}`: only sqlite://PATH and sqlite::memory: are supported"
            )));
        } else {
            owned = format!("sqlite://{db_url}");
            &owned
        };
        let db_error = |source| SandboxError::Database {
            url: db_url.to_string(),
            source,
        };
        let memory = db_url.contains(":memory:") || db_url.contains("mode=memory");
        let mut options = SqliteConnectOptions::from_str(db_url)
            .map_err(db_error)?
            .create_if_missing(true)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(false);
        if !memory {
            options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                // Reads of a large help desk go through the page cache, not read(2): on a
                // million tickets this halves free-text and tag search latency.
                .pragma("mmap_size", "1073741824")
                .pragma("cache_size", "-65536");
            if let Some(parent) = options.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| {
                    SandboxError::Config(format!(
                        "cannot create the directory {} for the sandbox database: {e}",
                        parent.display()
                    ))
                })?;
            }
        }
        // An in-memory database lives in its one connection: keep exactly one, forever.
        let pool_options = if memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(8)
        };
        let pool = pool_options.connect_with(options).await.map_err(db_error)?;
        let migrations = SQLITE_MIGRATIONS
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    (*description).into(),
                    MigrationType::Simple,
                    (*sql).into_sql_str(),
                    false,
                )
            })
            .collect();
        let migrator = Migrator::with_migrations(migrations);
        // Two processes opening a fresh file at once can race on the first migration; the
        // loser fails on "table already exists" and, on retry, finds the schema applied.
        let mut attempt = 0;
        loop {
            match migrator.run(&pool).await {
                Ok(()) => break,
                Err(error) if attempt < 5 => {
                    attempt += 1;
                    tracing::debug!(%error, attempt, "migration raced another process; retrying");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(Store {
            pool,
            writers: Arc::new(tokio::sync::Mutex::new(())),
        })
    }

    /// The pool, for read queries of other modules (search).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A write transaction holding the database write lock from its first statement.
    pub async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        let slot = self.writers.clone().lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, _slot: slot })
    }

    /// Creates the admin user and its API token when missing; an existing admin keeps its data,
    /// and the given token is added to it if new.
    pub async fn bootstrap_admin(&self, email: &str, token: &str) -> Result<(), sqlx::Error> {
        let mut tx = self.begin().await?;
        let email_lower = email.to_lowercase();
        let existing: Option<i64> = sqlx::query("SELECT id FROM users WHERE email = $1")
            .bind(&email_lower)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.get(0));
        let user_id = match existing {
            Some(id) => id,
            None => {
                let id = next_row_id(&mut tx, "users").await?;
                let at = iso(now());
                let name = email.split('@').next().unwrap_or("Admin");
                let mut user = new_user_json(id, name, &at);
                user["email"] = json!(email);
                user["role"] = json!("admin");
                user["role_type"] = json!(4);
                user["verified"] = json!(true);
                user["ticket_restriction"] = Value::Null;
                user["restricted_agent"] = json!(false);
                user["moderator"] = json!(true);
                save_user(&mut tx, &user).await?;
                id
            }
        };
        let hash = hash_secret(token);
        sqlx::query(
            "INSERT INTO api_tokens (user_id, token_hash, description, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(user_id)
        .bind(&hash)
        .bind("sandbox admin token")
        .bind(now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// The user an API token (`email/token:TOKEN`) belongs to, when the email matches.
    pub async fn principal_by_api_token(
        &self,
        email: &str,
        token: &str,
    ) -> Result<Option<Principal>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT u.id, u.role, u.active FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND u.email = $2",
        )
        .bind(hash_secret(token))
        .bind(email.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| Principal {
            user_id: row.get(0),
            role: row.get(1),
            active: row.get::<i64, _>(2) != 0,
            scopes: None,
        }))
    }

    /// The user a password belongs to.
    pub async fn principal_by_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Option<Principal>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, role, active, password_hash FROM users
             WHERE email = $1 AND password_hash IS NOT NULL",
        )
        .bind(email.to_lowercase())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|row| {
            let stored: String = row.get(3);
            crate::util::password_matches(password, &stored).then(|| Principal {
                user_id: row.get(0),
                role: row.get(1),
                active: row.get::<i64, _>(2) != 0,
                scopes: None,
            })
        }))
    }

    /// The user an OAuth access token belongs to, with the token's scopes.
    pub async fn principal_by_oauth(&self, token: &str) -> Result<Option<Principal>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT u.id, u.role, u.active, t.scopes FROM oauth_tokens t
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(hash_secret(token))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|row| {
            let scopes: String = row.get(3);
            Principal {
                user_id: row.get(0),
                role: row.get(1),
                active: row.get::<i64, _>(2) != 0,
                scopes: Some(scopes.split(' ').map(str::to_string).collect()),
            }
        }))
    }

    /// Reads one record's JSON from a resource table.
    pub async fn get(&self, table: Table, id: i64) -> Result<Option<Value>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        get_json(&mut conn, table, id).await
    }

    /// Reads several records, in the given order, skipping missing ones.
    pub async fn get_many(&self, table: Table, ids: &[i64]) -> Result<Vec<Value>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(json) = get_json(&mut conn, table, *id).await? {
                out.push(json);
            }
        }
        Ok(out)
    }

    /// One page of a table under filters, sorted by `sort_column` (an integer column) then id.
    pub async fn list_page(
        &self,
        table: &str,
        filters: &[Filter],
        sort_column: &str,
        descending: bool,
        window: &Window,
    ) -> Result<PageRows, sqlx::Error> {
        let mut where_sql = String::from("1 = 1");
        let mut binds: Vec<Bind> = Vec::new();
        let mut n = 0;
        for filter in filters {
            let (sql, last) = number_placeholders(&filter.sql, n);
            n = last;
            where_sql.push_str(" AND (");
            where_sql.push_str(&sql);
            where_sql.push(')');
            binds.extend(filter.binds.iter().cloned());
        }
        let (key, size, backwards) = match window {
            Window::Offset { page, per_page } => {
                let count_sql = format!("SELECT COUNT(*) FROM {table} WHERE {where_sql}");
                let count: i64 = add_binds(sqlx::query(AssertSqlSafe(count_sql)), &binds)
                    .fetch_one(&self.pool)
                    .await?
                    .get(0);
                let asc = if descending { "DESC" } else { "ASC" };
                let sql = format!(
                    "SELECT id, {sort_column}, json FROM {table} WHERE {where_sql}
                     ORDER BY {sort_column} {asc}, id {asc} LIMIT {per_page} OFFSET {}",
                    (page - 1) * per_page
                );
                let rows = add_binds(sqlx::query(AssertSqlSafe(sql)), &binds)
                    .fetch_all(&self.pool)
                    .await?;
                return Ok(PageRows {
                    more: page * per_page < count,
                    rows: decode_rows(rows)?,
                    count: Some(count),
                });
            }
            Window::After { key, size } => (*key, *size, false),
            Window::Before { key, size } => (Some(*key), *size, true),
        };
        // A page before a key walks the order backwards (flipped comparison and direction),
        // then is turned around so every page reads in the list's order.
        let reversed = descending != backwards;
        let (cmp, order) = if reversed {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((value, id)) = key {
            where_sql.push_str(&format!(
                " AND ({sort_column} {cmp} ${} OR ({sort_column} = ${} AND id {cmp} ${}))",
                n + 1,
                n + 1,
                n + 2
            ));
            binds.push(Bind::Int(value));
            binds.push(Bind::Int(id));
        }
        let sql = format!(
            "SELECT id, {sort_column}, json FROM {table} WHERE {where_sql}
             ORDER BY {sort_column} {order}, id {order} LIMIT {}",
            size + 1
        );
        let rows = add_binds(sqlx::query(AssertSqlSafe(sql)), &binds)
            .fetch_all(&self.pool)
            .await?;
        let mut rows = decode_rows(rows)?;
        let more = rows.len() as i64 > size;
        rows.truncate(size as usize);
        if backwards {
            rows.reverse();
        }
        Ok(PageRows {
            rows,
            more,
            count: None,
        })
    }

    /// A user's role, when the user exists.
    pub async fn user_role(&self, id: i64) -> Result<Option<String>, sqlx::Error> {
        Ok(sqlx::query("SELECT role FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|row| row.get(0)))
    }

    // ---- jobs ----

    pub async fn get_job(&self, id: &str) -> Result<Option<JobRow>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT id, kind, status, payload, total, progress, message, results, base_url, caller_id
             FROM jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(decode_job).transpose()
    }

    pub async fn list_jobs(&self, limit: i64) -> Result<Vec<JobRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, kind, status, payload, total, progress, message, results, base_url, caller_id
             FROM jobs ORDER BY created_at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(decode_job).collect()
    }

    /// Ids of queued jobs, oldest first.
    pub async fn queued_job_ids(&self) -> Result<Vec<String>, sqlx::Error> {
        let rows =
            sqlx::query("SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, id")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// Claims a queued job for `runner`; false when another runner got it first.
    pub async fn claim_job(&self, id: &str, runner: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'working', claimed_by = $1, heartbeat_at = $2, progress = 0,
             updated_at = $2 WHERE id = $3 AND status = 'queued'",
        )
        .bind(runner)
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Fails jobs left `working` by a runner that stopped beating (a dead process). Their
    /// items are not re-run: creates are not idempotent, so re-running could duplicate records.
    pub async fn fail_abandoned_jobs(&self, stale_after_secs: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'failed', updated_at = $1,
             message = 'The sandbox running this job stopped before it finished; ' ||
                       COALESCE(progress, 0) || ' of ' || total || ' items were processed and kept'
             WHERE status = 'working' AND COALESCE(heartbeat_at, 0) < $2",
        )
        .bind(now())
        .bind(now() - stale_after_secs)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Deletes finished jobs older than a day (Zendesk keeps job statuses one day).
    pub async fn expire_jobs(&self) -> Result<(), sqlx::Error> {
        sqlx::query(
            "DELETE FROM jobs WHERE status IN ('completed', 'failed', 'killed') AND updated_at < $1",
        )
        .bind(now() - 86_400)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

fn decode_rows(rows: Vec<sqlx::sqlite::SqliteRow>) -> Result<Vec<(i64, i64, String)>, sqlx::Error> {
    rows.into_iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
        .collect()
}

/// Parses a stored JSON column; a record that is not JSON is a decode error (a corrupt row).
pub fn parse_stored(text: &str) -> Result<Value, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// The JSON in column 0 of every row.
fn json_rows(rows: Vec<sqlx::sqlite::SqliteRow>) -> Result<Vec<Value>, sqlx::Error> {
    rows.iter()
        .map(|row| parse_stored(&row.try_get::<String, _>(0)?))
        .collect()
}

fn decode_job(row: sqlx::sqlite::SqliteRow) -> Result<JobRow, sqlx::Error> {
    let parse = |text: String| parse_stored(&text);
    Ok(JobRow {
        id: row.try_get(0)?,
        kind: row.try_get(1)?,
        status: row.try_get(2)?,
        payload: parse(row.try_get(3)?)?,
        total: row.try_get(4)?,
        progress: row.try_get(5)?,
        message: row.try_get(6)?,
        results: row
            .try_get::<Option<String>, _>(7)?
            .map(parse)
            .transpose()?,
        base_url: row.try_get(8)?,
        caller_id: row.try_get(9)?,
    })
}

/// The resource tables that hold a `json` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Tickets,
    Users,
    Organizations,
    OrganizationFields,
    Groups,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Tickets => "tickets",
            Table::Users => "users",
            Table::Organizations => "organizations",
            Table::OrganizationFields => "organization_fields",
            Table::Groups => "groups",
        }
    }

    /// The condition a row must meet to be "live" (not soft-deleted).
    pub fn live(self) -> &'static str {
        match self {
            Table::Tickets => "deleted_at IS NULL",
            Table::OrganizationFields | Table::Groups => "deleted = 0",
            Table::Users | Table::Organizations => "1 = 1",
        }
    }
}

/// One live record's JSON.
pub async fn get_json(
    conn: &mut SqliteConnection,
    table: Table,
    id: i64,
) -> Result<Option<Value>, sqlx::Error> {
    let sql = format!(
        "SELECT json FROM {} WHERE id = $1 AND {}",
        table.name(),
        table.live()
    );
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| parse_stored(&row.try_get::<String, _>(0)?))
        .transpose()
}

/// The id the next insert into `table` will get (call inside a write transaction).
pub async fn next_row_id(conn: &mut SqliteConnection, table: &str) -> Result<i64, sqlx::Error> {
    let row =
        sqlx::query("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = $1), 0) + 1")
            .bind(table)
            .fetch_one(&mut *conn)
            .await?;
    Ok(row.get(0))
}

/// Reserves `n` consecutive ids of a named counter (audit events, options); returns the first.
pub async fn next_ids(conn: &mut SqliteConnection, name: &str, n: i64) -> Result<i64, sqlx::Error> {
    let row =
        sqlx::query("UPDATE id_counters SET value = value + $1 WHERE name = $2 RETURNING value")
            .bind(n)
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
    let last: i64 = row.get(0);
    Ok(last - n + 1)
}

/// A fresh end-user's JSON with Zendesk's defaults.
pub fn new_user_json(id: i64, name: &str, at: &str) -> Value {
    json!({
        "id": id, "name": name, "email": null, "created_at": at, "updated_at": at,
        "time_zone": "America/New_York", "iana_time_zone": "America/New_York", "phone": null,
        "shared_phone_number": null, "photo": null, "locale_id": 1, "locale": "en-US",
        "organization_id": null, "role": "end-user", "verified": false, "external_id": null,
        "tags": [], "alias": null, "active": true, "shared": false, "shared_agent": false,
        "last_login_at": null, "two_factor_auth_enabled": false, "signature": null,
        "details": null, "notes": null, "role_type": null, "custom_role_id": null,
        "moderator": false, "ticket_restriction": "requested", "only_private_comments": false,
        "restricted_agent": true, "suspended": false, "default_group_id": null,
        "report_csv": false, "user_fields": {}
    })
}

/// Writes a ticket's JSON and refreshes its columns, tags and full-text row.
pub async fn save_ticket(conn: &mut SqliteConnection, t: &Value) -> Result<(), sqlx::Error> {
    let id = i(t, "id").unwrap_or_default();
    let status = s(t, "status").unwrap_or_else(|| "new".into());
    let priority = s(t, "priority");
    sqlx::query(
        "INSERT INTO tickets (id, json, status, status_rank, priority, priority_rank, ticket_type,
            subject, assignee_id, requester_id, submitter_id, organization_id, group_id,
            external_id, via_channel, created_at, updated_at, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json, status = excluded.status,
            status_rank = excluded.status_rank, priority = excluded.priority,
            priority_rank = excluded.priority_rank, ticket_type = excluded.ticket_type,
            subject = excluded.subject, assignee_id = excluded.assignee_id,
            requester_id = excluded.requester_id, submitter_id = excluded.submitter_id,
            organization_id = excluded.organization_id, group_id = excluded.group_id,
            external_id = excluded.external_id, via_channel = excluded.via_channel,
            updated_at = excluded.updated_at, due_at = excluded.due_at",
    )
    .bind(id)
    .bind(t.to_string())
    .bind(&status)
    .bind(status_rank(&status))
    .bind(&priority)
    .bind(priority_rank(priority.as_deref()))
    .bind(s(t, "type"))
    .bind(s(t, "subject"))
    .bind(i(t, "assignee_id"))
    .bind(i(t, "requester_id"))
    .bind(i(t, "submitter_id"))
    .bind(i(t, "organization_id"))
    .bind(i(t, "group_id"))
    .bind(s(t, "external_id").map(|e| e.to_lowercase()))
    .bind(
        t.pointer("/via/channel")
            .and_then(Value::as_str)
            .unwrap_or("api"),
    )
    .bind(ts(t, "created_at").unwrap_or_else(now))
    .bind(ts(t, "updated_at").unwrap_or_else(now))
    .bind(ts(t, "due_at"))
    .execute(&mut *conn)
    .await?;
    replace_tags(conn, "ticket_tags", "ticket_id", id, &tags_of(t)).await?;
    let comments: Option<String> = sqlx::query(
        "SELECT group_concat(body, char(10)) FROM
           (SELECT body FROM ticket_comments WHERE ticket_id = $1 ORDER BY created_at, id)",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    replace_text(
        conn,
        "tickets_fts",
        id,
        &[
            ("subject", s(t, "subject").unwrap_or_default()),
            ("description", s(t, "description").unwrap_or_default()),
            ("comments", comments.unwrap_or_default()),
        ],
    )
    .await
}

/// Sets `solved_at` (not part of the served JSON) for a ticket.
pub async fn set_ticket_solved_at(
    conn: &mut SqliteConnection,
    id: i64,
    solved_at: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE tickets SET solved_at = $1 WHERE id = $2")
        .bind(solved_at)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Soft-deletes (Some) or restores (None) a ticket; returns whether a row changed.
pub async fn set_ticket_deleted(
    conn: &mut SqliteConnection,
    id: i64,
    deleted: Option<(i64, i64)>,
) -> Result<bool, sqlx::Error> {
    let done = match deleted {
        Some((at, by)) => {
            sqlx::query(
                "UPDATE tickets SET deleted_at = $1, deleted_by = $2 WHERE id = $3 AND deleted_at IS NULL",
            )
            .bind(at)
            .bind(by)
            .bind(id)
            .execute(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(
                "UPDATE tickets SET deleted_at = NULL, deleted_by = NULL
                 WHERE id = $1 AND deleted_at IS NOT NULL",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?
        }
    };
    Ok(done.rows_affected() == 1)
}

/// A soft-deleted ticket: (json, deleted_at, deleted_by).
pub async fn get_deleted_ticket(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<(Value, i64, i64)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT json, deleted_at, deleted_by FROM tickets WHERE id = $1 AND deleted_at IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        let json = parse_stored(&row.try_get::<String, _>(0)?)?;
        Ok((
            json,
            row.get(1),
            row.get::<Option<i64>, _>(2).unwrap_or_default(),
        ))
    })
    .transpose()
}

/// Removes a soft-deleted ticket for good, with its comments, audits, tags and text.
pub async fn purge_ticket(conn: &mut SqliteConnection, id: i64) -> Result<(), sqlx::Error> {
    for sql in [
        "DELETE FROM tickets WHERE id = $1",
        "DELETE FROM ticket_tags WHERE ticket_id = $1",
        "DELETE FROM ticket_comments WHERE ticket_id = $1",
        "DELETE FROM ticket_audits WHERE ticket_id = $1",
        "DELETE FROM tickets_fts WHERE rowid = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Stores a comment (its JSON as served) for a ticket.
pub async fn insert_comment(
    conn: &mut SqliteConnection,
    ticket_id: i64,
    comment: &Value,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_comments (id, ticket_id, audit_id, author_id, public, body, json, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(i(comment, "id"))
    .bind(ticket_id)
    .bind(i(comment, "audit_id").unwrap_or_default())
    .bind(i(comment, "author_id").unwrap_or_default())
    .bind(comment.get("public").and_then(Value::as_bool).unwrap_or(true) as i64)
    .bind(s(comment, "body").unwrap_or_default())
    .bind(comment.to_string())
    .bind(created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores an audit (its JSON as served).
pub async fn insert_audit(
    conn: &mut SqliteConnection,
    ticket_id: i64,
    audit: &Value,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_audits (id, ticket_id, json, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(i(audit, "id"))
    .bind(ticket_id)
    .bind(audit.to_string())
    .bind(created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes a user's JSON and refreshes its columns, tags and full-text row.
pub async fn save_user(conn: &mut SqliteConnection, u: &Value) -> Result<(), sqlx::Error> {
    let id = i(u, "id").unwrap_or_default();
    sqlx::query(
        "INSERT INTO users (id, json, name, email, role, organization_id, external_id,
            custom_role_id, active, phone, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json, name = excluded.name,
            email = excluded.email, role = excluded.role, organization_id = excluded.organization_id,
            external_id = excluded.external_id, custom_role_id = excluded.custom_role_id,
            active = excluded.active, phone = excluded.phone, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(u.to_string())
    .bind(s(u, "name").unwrap_or_default())
    .bind(s(u, "email").map(|e| e.to_lowercase()))
    .bind(s(u, "role").unwrap_or_else(|| "end-user".into()))
    .bind(i(u, "organization_id"))
    .bind(s(u, "external_id").map(|e| e.to_lowercase()))
    .bind(i(u, "custom_role_id"))
    .bind(u.get("active").and_then(Value::as_bool).unwrap_or(true) as i64)
    .bind(s(u, "phone"))
    .bind(ts(u, "created_at").unwrap_or_else(now))
    .bind(ts(u, "updated_at").unwrap_or_else(now))
    .execute(&mut *conn)
    .await?;
    replace_tags(conn, "user_tags", "user_id", id, &tags_of(u)).await?;
    let text = ["name", "email", "notes", "details", "phone"]
        .map(|key| (key, s(u, key).unwrap_or_default()));
    replace_text(conn, "users_fts", id, &text).await
}

/// Sets or clears a user's password hash.
pub async fn set_password_hash(
    conn: &mut SqliteConnection,
    user_id: i64,
    hash: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The id of the user with this email or external id (both compared case-insensitively).
pub async fn user_id_by(
    conn: &mut SqliteConnection,
    column: &str,
    value: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let column = if column == "email" {
        "email"
    } else {
        "external_id"
    };
    id_by_lowercase(conn, "users", column, value).await
}

/// The id of the user or organization holding this external id (compared case-insensitively).
pub async fn id_by_external_id(
    conn: &mut SqliteConnection,
    table: Table,
    value: &str,
) -> Result<Option<i64>, sqlx::Error> {
    id_by_lowercase(conn, table.name(), "external_id", value).await
}

/// The id of the record whose `column` (stored lowercased) equals `value`, lowercased.
async fn id_by_lowercase(
    conn: &mut SqliteConnection,
    table: &str,
    column: &str,
    value: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = format!("SELECT id FROM {table} WHERE {column} = $1");
    Ok(sqlx::query(AssertSqlSafe(sql))
        .bind(value.to_lowercase())
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.get(0)))
}

/// Every user whose `organization_id` is `organization_id`.
pub async fn users_in_organization(
    conn: &mut SqliteConnection,
    organization_id: i64,
) -> Result<Vec<Value>, sqlx::Error> {
    let rows = sqlx::query("SELECT json FROM users WHERE organization_id = $1")
        .bind(organization_id)
        .fetch_all(&mut *conn)
        .await?;
    json_rows(rows)
}

/// Writes an organization's JSON and refreshes its columns, tags and full-text row.
pub async fn save_organization(conn: &mut SqliteConnection, o: &Value) -> Result<(), sqlx::Error> {
    let id = i(o, "id").unwrap_or_default();
    let name = s(o, "name").unwrap_or_default();
    sqlx::query(
        "INSERT INTO organizations (id, json, name, name_lower, external_id, group_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json, name = excluded.name,
            name_lower = excluded.name_lower, external_id = excluded.external_id,
            group_id = excluded.group_id, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(o.to_string())
    .bind(&name)
    .bind(name.to_lowercase())
    .bind(s(o, "external_id").map(|e| e.to_lowercase()))
    .bind(i(o, "group_id"))
    .bind(ts(o, "created_at").unwrap_or_else(now))
    .bind(ts(o, "updated_at").unwrap_or_else(now))
    .execute(&mut *conn)
    .await?;
    replace_tags(
        conn,
        "organization_tags",
        "organization_id",
        id,
        &tags_of(o),
    )
    .await?;
    replace_text(
        conn,
        "organizations_fts",
        id,
        &[
            ("name", name),
            ("details", s(o, "details").unwrap_or_default()),
            ("notes", s(o, "notes").unwrap_or_default()),
        ],
    )
    .await
}

/// Deletes an organization for good (Zendesk's organization delete is not soft).
pub async fn delete_organization(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM organizations WHERE id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for sql in [
        "DELETE FROM organization_tags WHERE organization_id = $1",
        "DELETE FROM organizations_fts WHERE rowid = $1",
    ] {
        sqlx::query(sql).bind(id).execute(&mut *conn).await?;
    }
    Ok(done.rows_affected() == 1)
}

/// The id of the organization with this name (case-insensitive) or external id.
pub async fn organization_id_by(
    conn: &mut SqliteConnection,
    column: &str,
    value: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let column = if column == "name" {
        "name_lower"
    } else {
        "external_id"
    };
    id_by_lowercase(conn, "organizations", column, value).await
}

/// Every organization holding at least one organization-field value.
pub async fn organizations_with_field(
    conn: &mut SqliteConnection,
) -> Result<Vec<Value>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT json FROM organizations WHERE json LIKE '%\"organization_fields\":{\"%'",
    )
    .fetch_all(&mut *conn)
    .await?;
    json_rows(rows)
}

/// Writes an organization field's JSON.
pub async fn save_organization_field(
    conn: &mut SqliteConnection,
    f: &Value,
    deleted: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO organization_fields (id, json, key, position, active, deleted, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json, key = excluded.key,
            position = excluded.position, active = excluded.active, deleted = excluded.deleted,
            updated_at = excluded.updated_at",
    )
    .bind(i(f, "id"))
    .bind(f.to_string())
    .bind(s(f, "key").unwrap_or_default())
    .bind(i(f, "position").unwrap_or(9999))
    .bind(f.get("active").and_then(Value::as_bool).unwrap_or(true) as i64)
    .bind(deleted as i64)
    .bind(ts(f, "created_at").unwrap_or_else(now))
    .bind(ts(f, "updated_at").unwrap_or_else(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A field by key, deleted ones included (keys are never reused): (id, json, deleted).
pub async fn organization_field_by_key(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<(i64, Value, bool)>, sqlx::Error> {
    let row = sqlx::query("SELECT id, json, deleted FROM organization_fields WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        let json = parse_stored(&row.try_get::<String, _>(1)?)?;
        Ok((row.get(0), json, row.get::<i64, _>(2) != 0))
    })
    .transpose()
}

/// Every live organization field, by position then id.
pub async fn live_organization_fields(
    conn: &mut SqliteConnection,
) -> Result<Vec<Value>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT json FROM organization_fields WHERE deleted = 0 ORDER BY position, id")
            .fetch_all(&mut *conn)
            .await?;
    json_rows(rows)
}

/// Writes a group's JSON.
pub async fn save_group(conn: &mut SqliteConnection, g: &Value) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO groups (id, json, name, deleted, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET json = excluded.json, name = excluded.name,
            deleted = excluded.deleted, updated_at = excluded.updated_at",
    )
    .bind(i(g, "id"))
    .bind(g.to_string())
    .bind(s(g, "name").unwrap_or_default())
    .bind(g.get("deleted").and_then(Value::as_bool).unwrap_or(false) as i64)
    .bind(ts(g, "created_at").unwrap_or_else(now))
    .bind(ts(g, "updated_at").unwrap_or_else(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces a record's full-text row (`rowid` = the record id) with `columns`.
async fn replace_text(
    conn: &mut SqliteConnection,
    table: &str,
    id: i64,
    columns: &[(&str, String)],
) -> Result<(), sqlx::Error> {
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE rowid = $1"
    )))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let marks: Vec<String> = (2..columns.len() + 2).map(|n| format!("${n}")).collect();
    let sql = format!(
        "INSERT INTO {table} (rowid, {}) VALUES ($1, {})",
        names.join(", "),
        marks.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(id);
    for (_, value) in columns {
        query = query.bind(value.as_str());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

async fn replace_tags(
    conn: &mut SqliteConnection,
    table: &str,
    column: &str,
    id: i64,
    tags: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(AssertSqlSafe(format!(
        "DELETE FROM {table} WHERE {column} = $1"
    )))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    for tag in tags {
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} ({column}, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        )))
        .bind(id)
        .bind(tag)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts a job row (status `queued`).
pub async fn insert_job(conn: &mut SqliteConnection, job: &JobRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO jobs (id, kind, status, payload, total, progress, message, results, base_url,
            caller_id, created_at, updated_at)
         VALUES ($1, $2, 'queued', $3, $4, NULL, NULL, NULL, $5, $6, $7, $7)",
    )
    .bind(&job.id)
    .bind(&job.kind)
    .bind(job.payload.to_string())
    .bind(job.total)
    .bind(&job.base_url)
    .bind(job.caller_id)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a running job's progress.
pub async fn job_progress(
    pool: &SqlitePool,
    id: &str,
    progress: i64,
    message: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET progress = $1, message = $2, heartbeat_at = $3, updated_at = $3 WHERE id = $4",
    )
    .bind(progress)
    .bind(message)
    .bind(now())
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Ends a job with its results.
pub async fn job_finish(
    pool: &SqlitePool,
    id: &str,
    status: &str,
    progress: i64,
    message: &str,
    results: &Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE jobs SET status = $1, progress = $2, message = $3, results = $4, updated_at = $5,
            heartbeat_at = $5 WHERE id = $6",
    )
    .bind(status)
    .bind(progress)
    .bind(message)
    .bind(results.to_string())
    .bind(now())
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Stores an OAuth access token (hashed) for a user.
pub async fn insert_oauth_token(
    conn: &mut SqliteConnection,
    user_id: i64,
    token: &str,
    client_id: Option<&str>,
    scopes: &str,
) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO oauth_tokens (user_id, token_hash, client_id, scopes, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(user_id)
    .bind(hash_secret(token))
    .bind(client_id)
    .bind(scopes)
    .bind(now())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

/// How many comments a ticket has.
pub async fn comment_count(
    conn: &mut SqliteConnection,
    ticket_id: i64,
) -> Result<i64, sqlx::Error> {
    Ok(
        sqlx::query("SELECT COUNT(*) FROM ticket_comments WHERE ticket_id = $1")
            .bind(ticket_id)
            .fetch_one(&mut *conn)
            .await?
            .get(0),
    )
}
