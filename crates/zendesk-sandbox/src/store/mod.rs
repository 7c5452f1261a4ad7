//! The storage layer: the only room that knows a database exists.
//!
//! Everything above it (rules, routes, search, jobs, seeding) talks to two traits:
//! [`Reader`] (what can be read inside a transaction) and [`Writer`] (a [`Reader`] that can also
//! write). Rules are plain synchronous functions over `&mut dyn Writer`, so the same rule runs
//! for a request, for a bulk job's item and for the demo seed, on any backend. A [`Store`] is the
//! async handle the server holds: [`Store::read`] and [`Store::write`] run a closure against a
//! backend inside one transaction and hand its result back.
//!
//! The backend is chosen from the database URL's scheme (`sqlite://PATH`, `sqlite::memory:`,
//! `postgres://...`), atuin-style: `sqlite.rs` and `postgres.rs`. Backends differ in their SQL
//! dialect ([`Dialect`]): the search compiler asks the store which one to produce.
//!
//! Records are stored as the API serves them (their JSON text, without the host-dependent `url`)
//! plus indexed columns derived from that JSON by the backend in the same statement, so the two
//! never drift. Lists read the stored text and splice it into the answer without parsing it.
//!
//! A write closure that returns an error is rolled back whole: a refused request changes nothing.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;

mod postgres;
mod postgres_tls;
mod sql;
mod sqlite;

pub use sql::{
    Bind, Filter, fold_text, like_escape, number_placeholders, priority_rank, restriction_columns,
    status_rank, text_weight, ts_phrase,
};

/// Which SQL a backend speaks, for the modules that build SQL text (search, list filters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The `n`th (1-based) bind placeholder.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }
}

/// What went wrong below the rules. The detail is for the log; it never reaches a client.
#[derive(Debug)]
pub struct StoreError {
    pub kind: StoreErrorKind,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The database refused or failed a statement.
    Database,
    /// A stored value is not what the schema promises (a record that is not JSON).
    Corrupt,
    /// The store is closed or its writer stopped.
    Unavailable,
}

impl StoreError {
    pub fn database(detail: impl fmt::Display) -> StoreError {
        StoreError {
            kind: StoreErrorKind::Database,
            detail: detail.to_string(),
        }
    }

    pub fn corrupt(detail: impl fmt::Display) -> StoreError {
        StoreError {
            kind: StoreErrorKind::Corrupt,
            detail: detail.to_string(),
        }
    }

    pub fn unavailable(detail: impl fmt::Display) -> StoreError {
        StoreError {
            kind: StoreErrorKind::Unavailable,
            detail: detail.to_string(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for StoreError {}

pub type StoreResult<T> = Result<T, StoreError>;

/// The tables that hold records as served (their JSON) and can be listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Tickets,
    Users,
    Organizations,
    OrganizationFields,
    Groups,
    TicketFields,
    GroupMemberships,
    /// A ticket's comments (written with [`Writer::insert_comment`]).
    TicketComments,
    /// A ticket's audits (written with [`Writer::insert_audit`]).
    TicketAudits,
    Macros,
    Views,
    /// Help Center categories, sections and articles.
    Categories,
    Sections,
    Articles,
    /// Uploaded files (their bytes through [`Writer::set_attachment_content`]).
    Attachments,
}

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Tickets => "tickets",
            Table::Users => "users",
            Table::Organizations => "organizations",
            Table::OrganizationFields => "organization_fields",
            Table::Groups => "groups",
            Table::TicketFields => "ticket_fields",
            Table::GroupMemberships => "group_memberships",
            Table::TicketComments => "ticket_comments",
            Table::TicketAudits => "ticket_audits",
            Table::Macros => "macros",
            Table::Views => "views",
            Table::Categories => "hc_categories",
            Table::Sections => "hc_sections",
            Table::Articles => "hc_articles",
            Table::Attachments => "attachments",
        }
    }

    /// The condition a row must meet to be "live" (not soft-deleted).
    pub fn live(self) -> &'static str {
        match self {
            Table::Tickets => "deleted_at IS NULL",
            Table::OrganizationFields | Table::Groups | Table::TicketFields => "deleted = 0",
            _ => "1 = 1",
        }
    }

    /// What one record is called in messages ("ticket", "organization field").
    pub fn record_name(self) -> &'static str {
        match self {
            Table::Tickets => "ticket",
            Table::Users => "user",
            Table::Organizations => "organization",
            Table::OrganizationFields => "organization field",
            Table::Groups => "group",
            Table::TicketFields => "ticket field",
            Table::GroupMemberships => "group membership",
            Table::TicketComments => "comment",
            Table::TicketAudits => "audit",
            Table::Macros => "macro",
            Table::Views => "view",
            Table::Categories => "category",
            Table::Sections => "section",
            Table::Articles => "article",
            Table::Attachments => "attachment",
        }
    }

    /// The full-text table of the records that have one.
    pub fn text_table(self) -> Option<&'static str> {
        match self {
            Table::Tickets => Some("tickets_fts"),
            Table::Users => Some("users_fts"),
            Table::Organizations => Some("organizations_fts"),
            Table::Articles => Some("articles_fts"),
            _ => None,
        }
    }
}

/// A case-insensitive unique lookup key of users and organizations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A user's email.
    Email,
    /// A user's or organization's external id.
    ExternalId,
    /// An organization's name.
    Name,
}

/// Which rows of a list to fetch: offset (`page`, `per_page`) or keyset (after/before a key).
#[derive(Clone, Debug)]
pub enum Window {
    Offset { page: i64, per_page: i64 },
    After { key: Option<(i64, i64)>, size: i64 },
    Before { key: (i64, i64), size: i64 },
}

/// One page of a list: what table, under which filters, in which order.
#[derive(Clone, Debug)]
pub struct ListQuery<'a> {
    pub table: Table,
    pub filters: &'a [Filter],
    /// An integer column.
    pub sort_column: &'a str,
    pub descending: bool,
    pub window: &'a Window,
}

/// Rows of one page: (id, sort key, stored JSON text), whether more remain in that direction
/// and, for offset windows, the total.
#[derive(Debug, Default)]
pub struct PageRows {
    pub rows: Vec<(i64, i64, String)>,
    pub more: bool,
    pub count: Option<i64>,
}

/// What a streamed page found besides its rows.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageSummary {
    /// The total, for offset windows.
    pub count: Option<i64>,
    /// Whether more rows remain in the window's direction.
    pub more: bool,
    /// (id, sort key) of the first and last rows handed on.
    pub first: Option<(i64, i64)>,
    pub last: Option<(i64, i64)>,
}

/// Reads one page of a list in the list's order and hands each row (id, sort key, stored JSON)
/// to `emit` as it is read, so a page of large records never sits in memory whole. Portable over
/// backends: it needs only [`Reader::stream_triples`] and [`Reader::query_i64`].
pub fn stream_page<R: Reader + ?Sized>(
    reader: &mut R,
    query: &ListQuery<'_>,
    emit: &mut dyn FnMut(i64, i64, &str) -> StoreResult<()>,
) -> StoreResult<PageSummary> {
    let dialect = reader.dialect();
    let built = sql::list_sql(query, dialect);
    let mut summary = PageSummary::default();
    if let Some(count_sql) = &built.count {
        summary.count = Some(reader.query_i64(count_sql, &built.binds)?.unwrap_or(0));
    }
    let rows_sql = if built.backwards {
        // A page before a key is read backwards by `list_sql`; turn it around in SQL so rows
        // stream in the list's order, and learn whether more lie before it from a count of
        // at most size + 1 keys.
        let more = reader
            .query_i64(
                &format!("SELECT COUNT(*) FROM ({}) AS probe", built.rows),
                &built.binds,
            )?
            .unwrap_or(0);
        summary.more = more > built.size;
        let (inner, order) = built.reversed_rows(dialect);
        format!("SELECT id, sort_key, json FROM ({inner}) AS page ORDER BY {order}")
    } else {
        built.rows.clone()
    };
    let mut seen = 0i64;
    reader.stream_triples(&rows_sql, &built.binds, &mut |id, key, json| {
        seen += 1;
        if seen > built.size {
            summary.more = true;
            return Ok(false);
        }
        summary.first.get_or_insert((id, key));
        summary.last = Some((id, key));
        emit(id, key, json)?;
        Ok(true)
    })?;
    if let (Some(total), Window::Offset { page, per_page }) = (summary.count, query.window) {
        summary.more = page * per_page < total;
    }
    Ok(summary)
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

/// A secret's stored hash: keyed (HMAC-SHA256 with the sandbox's key) and, for secrets stored
/// by an earlier sandbox, the plain SHA-256 it kept; either matches.
#[derive(Clone, Debug)]
pub struct TokenHash {
    pub keyed: String,
    pub legacy: String,
}

/// Who a credential belongs to.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub role: String,
    pub active: bool,
    /// An OAuth token's scopes; `None` for API tokens and passwords (everything the role allows).
    pub scopes: Option<Vec<String>>,
    /// The OAuth token's id, for `/api/v2/oauth/tokens/current`.
    pub token_id: Option<i64>,
    /// When the OAuth access token stops working (Unix seconds); `None`: never.
    pub expires_at: Option<i64>,
}

/// An OAuth client as stored: the record as served (without `url`; never the secret) and
/// whether a secret is set.
#[derive(Clone, Debug)]
pub struct OAuthClientRow {
    pub json: Value,
    /// The keyed hash of a confidential client's secret.
    pub secret_hash: Option<String>,
}

/// How an OAuth client is looked up.
#[derive(Clone, Copy, Debug)]
pub enum ClientKey<'a> {
    Id(i64),
    /// The client's unique `identifier` (the `client_id` of the OAuth flows).
    Identifier(&'a str),
}

/// An authorization code as stored (its value only as a hash, the lookup key).
#[derive(Clone, Debug)]
pub struct OAuthCode {
    /// Set by the store on insert.
    pub id: i64,
    /// `oauth_clients.id`.
    pub client: i64,
    pub user_id: i64,
    /// The exact `redirect_uri` of the authorization request.
    pub redirect_uri: String,
    /// Space-separated granted scopes.
    pub scopes: String,
    /// The PKCE S256 challenge, when one was sent.
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A new OAuth access token (and refresh token) to store: hashes only.
#[derive(Clone, Debug)]
pub struct NewOAuthToken<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub refresh_token_hash: Option<&'a str>,
    /// `oauth_clients.id`.
    pub client: Option<i64>,
    /// Space-separated.
    pub scopes: &'a str,
    pub expires_at: Option<i64>,
    pub refresh_token_expires_at: Option<i64>,
    /// The authorization (code id) the token descends from.
    pub grant_id: Option<i64>,
}

/// An OAuth token as stored, without any secret.
#[derive(Clone, Debug)]
pub struct OAuthTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub client: Option<i64>,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub refresh_token_expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub grant_id: Option<i64>,
    pub has_refresh_token: bool,
}

/// Which OAuth tokens to revoke.
#[derive(Clone, Copy, Debug)]
pub enum Revocation {
    /// One token (and its refresh token).
    Token(i64),
    /// Every token descending from one authorization.
    Grant(i64),
    /// Every token of a client (the client is being deleted).
    Client(i64),
}

/// A soft-deleted ticket: its last JSON, when and by whom it was deleted.
#[derive(Clone, Debug)]
pub struct DeletedTicket {
    pub ticket: Value,
    pub deleted_at: i64,
    pub deleted_by: i64,
}

/// A Help Center article search: any of `words` may match (articles matching more, or in the
/// title, rank first, by the backend's text ranking); `filters` apply to the articles table.
#[derive(Clone, Debug)]
pub struct ArticleSearch<'a> {
    pub words: &'a [String],
    pub filters: &'a [Filter],
    pub offset: i64,
    pub limit: i64,
}

/// What can be read inside any transaction.
pub trait Reader {
    fn dialect(&self) -> Dialect;

    /// One live record's JSON.
    fn record(&mut self, table: Table, id: i64) -> StoreResult<Option<Value>> {
        self.record_text(table, id)?
            .map(|text| parse_stored(&text))
            .transpose()
    }
    /// One live record's JSON text as stored (served without parsing it).
    fn record_text(&mut self, table: Table, id: i64) -> StoreResult<Option<String>>;
    /// Live records, in the order of `ids`, skipping missing ones.
    fn records(&mut self, table: Table, ids: &[i64]) -> StoreResult<Vec<Value>>;
    /// The id of the record whose lookup key equals `value` (compared case-insensitively).
    fn find_id(&mut self, table: Table, key: Lookup, value: &str) -> StoreResult<Option<i64>>;
    /// One page of a list, held in memory (see [`stream_page`] to hand rows on as they are read).
    fn list_page(&mut self, query: &ListQuery<'_>) -> StoreResult<PageRows> {
        let mut rows = Vec::new();
        let summary = stream_page(self, query, &mut |id, key, json| {
            rows.push((id, key, json.to_string()));
            Ok(())
        })?;
        Ok(PageRows {
            rows,
            more: summary.more,
            count: summary.count,
        })
    }
    /// How many rows of `table` meet every filter.
    fn count(&mut self, table: Table, filters: &[Filter]) -> StoreResult<i64>;
    /// Up to `limit` records of `table` meeting every filter, by id.
    fn find(&mut self, table: Table, filters: &[Filter], limit: i64) -> StoreResult<Vec<Value>>;

    fn deleted_ticket(&mut self, id: i64) -> StoreResult<Option<DeletedTicket>>;
    /// The bytes of an uploaded file.
    fn attachment_content(&mut self, id: i64) -> StoreResult<Option<Vec<u8>>>;
    /// One page of a Help Center search, best match first: (total, [(id, stored JSON)]).
    fn search_articles(
        &mut self,
        search: &ArticleSearch<'_>,
    ) -> StoreResult<(i64, Vec<(i64, String)>)>;
    fn comment_count(&mut self, ticket_id: i64) -> StoreResult<i64>;
    /// Every user (active or not) whose `organization_id` is `organization_id`.
    fn users_in_organization(&mut self, organization_id: i64) -> StoreResult<Vec<Value>>;
    /// Every organization holding at least one organization-field value.
    fn organizations_with_field_values(&mut self) -> StoreResult<Vec<Value>>;
    /// A field by key, deleted ones included (keys are never reused): (json, deleted).
    fn organization_field_by_key(&mut self, key: &str) -> StoreResult<Option<(Value, bool)>>;
    /// Every live organization field, by position then id.
    fn live_organization_fields(&mut self) -> StoreResult<Vec<Value>>;

    /// The user an API token belongs to (its email must match). Suspended or deleted users come
    /// back with `active: false`.
    fn principal_by_api_token(
        &mut self,
        email: &str,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>>;
    /// The user signing in with a password, with the stored password hash.
    fn principal_by_email(&mut self, email: &str) -> StoreResult<Option<(Principal, String)>>;
    /// The user a live (not revoked) OAuth access token belongs to, with the token's scopes,
    /// id and expiry (the caller checks the expiry, so a cached sign-in can too).
    fn principal_by_oauth_token(
        &mut self,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>>;
    fn user_role(&mut self, id: i64) -> StoreResult<Option<String>>;

    /// One OAuth client.
    fn oauth_client(&mut self, key: ClientKey<'_>) -> StoreResult<Option<OAuthClientRow>>;
    /// Every OAuth client, by id.
    fn oauth_clients(&mut self) -> StoreResult<Vec<OAuthClientRow>>;
    /// The authorization code with this keyed hash (used or not, expired or not).
    fn oauth_code(&mut self, code_hash: &str) -> StoreResult<Option<OAuthCode>>;
    /// One OAuth token by id, revoked ones included.
    fn oauth_token(&mut self, id: i64) -> StoreResult<Option<OAuthTokenRow>>;
    /// The OAuth token whose refresh token has this keyed hash, revoked ones included (a spent
    /// refresh token is recognised).
    fn oauth_token_by_refresh(&mut self, refresh_hash: &str) -> StoreResult<Option<OAuthTokenRow>>;
    /// Tokens not revoked, of one user (or all), of one client (or all), by id.
    fn oauth_tokens(
        &mut self,
        user_id: Option<i64>,
        client: Option<i64>,
    ) -> StoreResult<Vec<OAuthTokenRow>>;

    fn job(&mut self, id: &str) -> StoreResult<Option<JobRow>>;
    /// The recorded results of a job's items, by index.
    fn job_items(&mut self, id: &str) -> StoreResult<Vec<(i64, Value)>>;
    /// The most recent jobs, newest first.
    fn recent_jobs(&mut self, limit: i64) -> StoreResult<Vec<JobRow>>;
    /// Ids of queued jobs, oldest first.
    fn queued_job_ids(&mut self) -> StoreResult<Vec<String>>;
    /// Jobs queued or working.
    fn active_job_count(&mut self) -> StoreResult<i64>;

    /// Runs dialect SQL (built by the caller for [`Reader::dialect`]) answering one integer.
    fn query_i64(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Option<i64>>;
    /// Runs dialect SQL answering rows of two integers.
    fn query_pairs(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64)>>;
    /// Runs dialect SQL answering rows of (integer, integer, text).
    fn query_triples(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<Vec<(i64, i64, String)>>;
    /// As [`Reader::query_triples`], handing each row to `each` as it is read (a row is never
    /// held longer than `each` takes); `each` answers false to stop.
    fn stream_triples(
        &mut self,
        sql: &str,
        binds: &[Bind],
        each: &mut dyn FnMut(i64, i64, &str) -> StoreResult<bool>,
    ) -> StoreResult<()>;
}

/// A [`Reader`] that can also write; everything it writes commits or rolls back together.
pub trait Writer: Reader {
    /// A fresh id for a new record of `table` (each resource has its own id range).
    fn allocate_id(&mut self, table: Table) -> StoreResult<i64>;
    /// Reserves `n` consecutive ids of a named counter (`event`: audits, comments and their
    /// events; `option`: dropdown options); returns the first.
    fn next_ids(&mut self, counter: &str, n: i64) -> StoreResult<i64>;

    /// Writes a record's JSON (insert or replace) and refreshes the columns, tags and
    /// full-text row derived from it. Organization fields go through
    /// [`Writer::save_organization_field`].
    fn save(&mut self, table: Table, record: &Value) -> StoreResult<()>;
    fn save_organization_field(&mut self, field: &Value, deleted: bool) -> StoreResult<()>;
    /// Deletes an organization for good; false when there was none.
    fn delete_organization(&mut self, id: i64) -> StoreResult<bool>;
    /// Deletes a row of `table` for good (a group membership); false when there was none.
    fn delete_row(&mut self, table: Table, id: i64) -> StoreResult<bool>;

    /// Sets `solved_at` (not part of the served JSON).
    fn set_ticket_solved_at(&mut self, id: i64, solved_at: Option<i64>) -> StoreResult<()>;
    /// Soft-deletes (`Some((at, by))`) or restores (`None`) a ticket; false when nothing changed.
    fn set_ticket_deleted(&mut self, id: i64, deleted: Option<(i64, i64)>) -> StoreResult<bool>;
    /// Removes a ticket for good, with its comments, audits, tags and text.
    fn purge_ticket(&mut self, id: i64) -> StoreResult<()>;
    fn insert_comment(&mut self, ticket_id: i64, comment: &Value, at: i64) -> StoreResult<()>;
    fn insert_audit(&mut self, ticket_id: i64, audit: &Value, at: i64) -> StoreResult<()>;
    /// Stores an uploaded file's bytes beside its attachment row (saved first).
    fn set_attachment_content(&mut self, id: i64, content: &[u8]) -> StoreResult<()>;

    fn set_password_hash(&mut self, user_id: i64, hash: Option<&str>) -> StoreResult<()>;
    /// Adds an API token (its hash) to a user; an existing identical token is kept.
    fn insert_api_token(
        &mut self,
        user_id: i64,
        token_hash: &str,
        description: &str,
    ) -> StoreResult<()>;
    /// Stores an OAuth access token (and its refresh token); returns its id.
    fn insert_oauth_token(&mut self, token: &NewOAuthToken<'_>) -> StoreResult<i64>;
    /// Revokes OAuth tokens (access and refresh alike); how many were live. Signs them out at
    /// once (the credentials generation moves).
    fn revoke_oauth_tokens(&mut self, which: Revocation) -> StoreResult<u64>;
    /// Inserts an OAuth client (`json` without `id`: the store assigns it and writes it into the
    /// stored JSON) and returns its id; `identifier` must be free.
    fn insert_oauth_client(&mut self, json: &Value) -> StoreResult<i64>;
    /// Replaces a client's served JSON (its identifier and kind follow it).
    fn update_oauth_client(&mut self, id: i64, json: &Value) -> StoreResult<()>;
    /// Sets (or clears) a client's secret hash; tokens already issued keep working.
    fn set_oauth_client_secret(&mut self, id: i64, secret_hash: Option<&str>) -> StoreResult<()>;
    /// Deletes a client with its codes, and revokes its tokens; false when there was none.
    fn delete_oauth_client(&mut self, id: i64) -> StoreResult<bool>;
    /// Stores an authorization code (by its keyed hash); returns its id. Codes expired for an
    /// hour are purged on the way.
    fn insert_oauth_code(&mut self, code_hash: &str, code: &OAuthCode) -> StoreResult<i64>;
    /// Marks a code used; false when it already was (another exchange won).
    fn spend_oauth_code(&mut self, id: i64) -> StoreResult<bool>;

    /// Inserts a job row (status `queued`).
    fn insert_job(&mut self, job: &JobRow) -> StoreResult<()>;
    /// Claims a queued job for `runner`; false when another runner got it first.
    fn claim_job(&mut self, id: &str, runner: &str) -> StoreResult<bool>;
    /// Records an item's result (in the transaction that made the item's changes), with the
    /// job's progress message and heartbeat.
    fn record_job_item(
        &mut self,
        id: &str,
        index: i64,
        result: &Value,
        message: &str,
    ) -> StoreResult<()>;
    /// Tells other processes the runner of a working job is alive.
    fn job_heartbeat(&mut self, id: &str) -> StoreResult<()>;
    fn finish_job(
        &mut self,
        id: &str,
        status: &str,
        progress: i64,
        message: &str,
        results: &Value,
    ) -> StoreResult<()>;
    /// Queues again the jobs left `working` by a runner silent for `stale_after_secs` (a process
    /// that died): they go on from their first item without a recorded result. How many.
    fn requeue_abandoned_jobs(&mut self, stale_after_secs: i64) -> StoreResult<u64>;
    /// Deletes finished jobs older than a day (Zendesk keeps job statuses one day).
    fn expire_jobs(&mut self) -> StoreResult<()>;

    /// Runs dialect SQL that changes rows; how many. For maintenance and tests.
    fn execute(&mut self, sql: &str, binds: &[Bind]) -> StoreResult<u64>;
}

/// How a write closure ended: its changes are kept or undone.
pub(crate) enum Outcome {
    Commit,
    Rollback,
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
pub(crate) type ReadJob = Box<dyn FnOnce(&mut dyn Reader) + Send>;
pub(crate) type WriteJob = Box<dyn FnOnce(&mut dyn Writer) -> Outcome + Send>;

/// A database behind the store. Object-safe: the typed entry points live on [`Store`].
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
    /// Runs `job` in a write transaction; resolves once it is committed (or rolled back).
    fn write(&self, job: WriteJob) -> BoxFuture<'_, StoreResult<()>>;
    fn close(&self) -> BoxFuture<'_, ()>;

    /// Counts one request in the account's rate window starting at `window_start`, shared by
    /// every process on the database, and answers the window's count so far. `None`: the
    /// backend keeps no shared counters (SQLite: the process counts in memory).
    fn count_request(&self, window_start: i64) -> BoxFuture<'_, StoreResult<Option<i64>>> {
        let _ = window_start;
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

/// The database behind a sandbox: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
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
    pub async fn open(url: &str) -> Result<Store, crate::SandboxError> {
        Store::open_with(url, Durability::Normal).await
    }

    pub async fn open_with(
        url: &str,
        durability: Durability,
    ) -> Result<Store, crate::SandboxError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(crate::SandboxError::Config(
                "the database URL is empty; use sqlite://PATH, sqlite::memory: or postgres://USER@HOST/DB".into(),
            ));
        }
        let backend: Arc<dyn Backend> = if let Some(target) = postgres::Target::from_url(url) {
            Arc::new(postgres::Postgres::open(target?, durability).await?)
        } else if let Some(target) = sqlite::Target::from_url(url) {
            Arc::new(sqlite::Sqlite::open(target, durability).await?)
        } else {
            return Err(crate::SandboxError::Config(format!(
                "unsupported database URL `{}`: use sqlite://PATH, sqlite::memory: or postgres://USER@HOST/DB",
                redact_url(url)
            )));
        };
        Ok(Store { backend })
    }

    pub fn dialect(&self) -> Dialect {
        self.backend.dialect()
    }

    /// Changes after every committed write (by this process) to users or credentials.
    pub fn credentials_generation(&self) -> u64 {
        self.backend.credentials_generation()
    }

    /// The database file, for a backend that keeps one (SQLite on disk).
    pub fn database_file(&self) -> Option<std::path::PathBuf> {
        self.backend.database_file()
    }

    /// Runs `f` in a read transaction and returns what it returns.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Reader) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job: ReadJob = Box::new(move |reader| {
            let _ = tx.send(f(reader));
        });
        self.backend.read(job).await?;
        rx.try_recv().unwrap_or_else(|_| {
            Err(StoreError::unavailable("the read ended without an answer").into())
        })
    }

    /// Runs `f`, a read of a few rows by key (a record by id, a credential), where it costs
    /// least: on SQLite, on the calling thread. Lists and searches go through [`Store::read`].
    pub async fn peek<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
        F: FnOnce(&mut dyn Reader) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job: ReadJob = Box::new(move |reader| {
            let _ = tx.send(f(reader));
        });
        self.backend.peek(job).await?;
        rx.try_recv().unwrap_or_else(|_| {
            Err(StoreError::unavailable("the read ended without an answer").into())
        })
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
        let job: WriteJob = Box::new(move |writer| {
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

    /// Counts one request in the account's rate window (`window_start`, Unix seconds) shared
    /// by every process on the database; `None` when the backend shares no counters (SQLite).
    pub async fn count_request(&self, window_start: i64) -> StoreResult<Option<i64>> {
        self.backend.count_request(window_start).await
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

/// A database URL fit for a message: any password replaced (in the user part, or a
/// `password=` parameter).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut shown = match (base.find("://"), base.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &base[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    format!("{}{user}:***{}", &base[..scheme_end + 3], &base[at..])
                }
                None => base.to_string(),
            }
        }
        _ => base.to_string(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    shown
}

/// Parses a stored JSON column; a record that is not JSON is corrupt.
pub fn parse_stored(text: &str) -> StoreResult<Value> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(format!("stored JSON: {e}")))
}

/// Helpers for backends: a panic inside a job becomes a rollback, not a dead writer.
pub(crate) fn run_guarded<T>(f: impl FnOnce() -> T) -> Result<T, StoreError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|panic| {
        let text = panic_text(&*panic);
        tracing::error!(panic = %text, "a storage job panicked; its transaction is rolled back");
        StoreError::unavailable(format!("a storage job panicked: {text}"))
    })
}

fn panic_text(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://zd:s3cret@db.example:5432/zd"),
            "postgres://zd:***@db.example:5432/zd"
        );
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            redact_url("postgres://zd@db/zd?schema=a&password=s3cret"),
            "postgres://zd@db/zd?schema=a&password=***"
        );
        assert_eq!(
            redact_url("postgres://zd@localhost/zd"),
            "postgres://zd@localhost/zd"
        );
    }
}
