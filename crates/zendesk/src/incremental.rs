//! Incremental exports (`client.incremental()`): what changed in an account since a moment,
//! page by page until Zendesk says `end_of_stream`, with the position to resume from after
//! every page, so a sync job run on a schedule asks only for what changed since its last run.
//!
//! - **Cursor-based** ([`ExportStyle::Cursor`]; tickets and users): the first request sends
//!   `start_time`, the next ones `cursor`; the position after a page is its `after_cursor`.
//! - **Time-based** ([`ExportStyle::Time`]; tickets, users, organizations, ticket events): each
//!   request sends `start_time`; the position after a page is its `end_time`. Records sharing a
//!   timestamp across a page boundary come back on the next page, and the last record of a run
//!   comes back on the next run: **dropping repeats is the caller's job**, by `id` and
//!   `updated_at` (`id` and `timestamp` for ticket events). Cursor-based exports do not repeat.
//!
//! Zendesk's rules, checked before anything is sent: `start_time` is Unix seconds at least a
//! minute in the past (Zendesk never returns the most recent minute); `per_page` is at most
//! 1,000. Each page is one request through the client's retry policy, so a 429 (incremental
//! exports allow about 10 requests a minute) waits `Retry-After` within the policy's budget.
//!
//! ```no_run
//! # async fn demo(client: zendesk::Client, saved: Option<zendesk::ExportPosition>) -> zendesk::Result<()> {
//! use zendesk::ExportPosition;
//! let from = saved.unwrap_or(ExportPosition::StartTime(0));
//! let mut pages = client.incremental().tickets_cursor(from).per_page(1000).pages();
//! while let Some(page) = pages.next_page().await? {
//!     for ticket in &page.items { /* write it somewhere durable */ let _ = ticket; }
//!     let resume_here = pages.position().clone(); // save it once the page is stored
//!     let _ = resume_here;
//! }
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::Stream;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zendesk_types::incremental::{MAX_PAGE_SIZE, MIN_START_TIME_AGE_SECS};
use zendesk_types::{
    CursorExportPage, ListKey, Organization, Ticket, TicketEvent, TimeExportPage, User,
};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::paging::RawRecord;
use crate::request::{DecodeFailure, Detached, Reader, Request, read_json};

/// What an export reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportResource {
    Tickets,
    Users,
    Organizations,
    /// Each update of a ticket, with its field changes (`include=comment_events` adds its
    /// comments). Time-based only.
    TicketEvents,
}

impl ExportResource {
    /// Every resource, in the order `zd export` lists them.
    pub const ALL: [ExportResource; 4] = [
        ExportResource::Tickets,
        ExportResource::Users,
        ExportResource::Organizations,
        ExportResource::TicketEvents,
    ];

    /// The path segment and list key (`ticket_events`).
    pub fn name(self) -> &'static str {
        match self {
            ExportResource::Tickets => "tickets",
            ExportResource::Users => "users",
            ExportResource::Organizations => "organizations",
            ExportResource::TicketEvents => "ticket_events",
        }
    }

    /// Whether Zendesk serves a cursor-based export of it (tickets and users).
    pub fn supports_cursor(self) -> bool {
        matches!(self, ExportResource::Tickets | ExportResource::Users)
    }
}

/// How an export pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportStyle {
    /// `/incremental/{resource}/cursor`: `cursor` after the first page; no repeats.
    Cursor,
    /// `/incremental/{resource}`: `start_time` = the last page's `end_time`; may repeat records.
    Time,
}

/// Where an export starts, or resumes: serialized as `{"start_time": 1700000000}` or
/// `{"cursor": "MTU3NjYxMzUzOS4wfHw0Njd8"}`, so it can be kept in a state file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportPosition {
    /// Records changed at or after this moment (Unix seconds; at least a minute ago).
    StartTime(i64),
    /// After this `after_cursor` of a cursor-based export.
    Cursor(String),
}

/// One page of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportPage<T> {
    pub items: Vec<T>,
    /// Zendesk has returned everything up to a minute ago: stop, and resume later from the
    /// position after this page.
    pub end_of_stream: bool,
    /// Where this page says to go on from: its `after_cursor` (cursor-based) or its `end_time`
    /// (time-based). `None` when it sent neither: go on from where this page was asked for.
    /// [`ExportPages::position`] keeps the definite one.
    pub next: Option<ExportPosition>,
    /// Cursor-based: `after_cursor`, `before_cursor`, `after_url`, `before_url`.
    pub after_cursor: Option<String>,
    pub before_cursor: Option<String>,
    pub after_url: Option<String>,
    pub before_url: Option<String>,
    /// Time-based: `count`, `end_time`, `next_page`.
    pub count: Option<u64>,
    pub end_time: Option<i64>,
    pub next_page: Option<String>,
    /// Side-loaded records (`include=users`) and any other top-level key.
    pub side_loads: Map<String, Value>,
}

fn read_cursor_page<T: DeserializeOwned + ListKey>(
    body: &[u8],
) -> std::result::Result<ExportPage<T>, DecodeFailure> {
    let page = read_json::<CursorExportPage<T>>(body)?;
    let after_cursor = page.after_cursor.filter(|c| !c.is_empty());
    Ok(ExportPage {
        items: page.items,
        end_of_stream: page.end_of_stream,
        next: after_cursor.clone().map(ExportPosition::Cursor),
        after_cursor,
        before_cursor: page.before_cursor,
        after_url: page.after_url,
        before_url: page.before_url,
        count: None,
        end_time: None,
        next_page: None,
        side_loads: page.extra,
    })
}

fn read_time_page<T: DeserializeOwned + ListKey>(
    body: &[u8],
) -> std::result::Result<ExportPage<T>, DecodeFailure> {
    let page = read_json::<TimeExportPage<T>>(body)?;
    Ok(ExportPage {
        items: page.items,
        end_of_stream: page.end_of_stream,
        next: page.end_time.map(ExportPosition::StartTime),
        after_cursor: None,
        before_cursor: None,
        after_url: None,
        before_url: None,
        count: page.count,
        end_time: page.end_time,
        next_page: page.next_page,
        side_loads: page.extra,
    })
}

fn raw_page<T: ListKey>(page: ExportPage<RawRecord<T>>) -> ExportPage<Value> {
    ExportPage {
        items: page.items.into_iter().map(|record| record.0).collect(),
        end_of_stream: page.end_of_stream,
        next: page.next,
        after_cursor: page.after_cursor,
        before_cursor: page.before_cursor,
        after_url: page.after_url,
        before_url: page.before_url,
        count: page.count,
        end_time: page.end_time,
        next_page: page.next_page,
        side_loads: page.side_loads,
    }
}

fn read_raw_cursor_page<T: ListKey>(
    body: &[u8],
) -> std::result::Result<ExportPage<Value>, DecodeFailure> {
    read_cursor_page::<RawRecord<T>>(body).map(raw_page)
}

fn read_raw_time_page<T: ListKey>(
    body: &[u8],
) -> std::result::Result<ExportPage<Value>, DecodeFailure> {
    read_time_page::<RawRecord<T>>(body).map(raw_page)
}

/// Incremental export requests. Get one with [`Client::incremental`] or
/// [`Detached::incremental`].
#[derive(Debug, Clone)]
pub struct IncrementalHandler<C = Client> {
    client: C,
}

impl Client {
    /// Incremental export requests.
    pub fn incremental(&self) -> IncrementalHandler {
        IncrementalHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Incremental export requests as plain values.
    pub fn incremental(self) -> IncrementalHandler<Detached> {
        IncrementalHandler { client: self }
    }
}

impl<C: Clone> IncrementalHandler<C> {
    /// `GET /incremental/tickets/cursor`: tickets changed since `from`, no repeats.
    pub fn tickets_cursor(&self, from: ExportPosition) -> IncrementalExport<Ticket, C> {
        IncrementalExport::new(
            self.client.clone(),
            ExportResource::Tickets,
            ExportStyle::Cursor,
            from,
        )
    }

    /// `GET /incremental/users/cursor`: users changed since `from`, no repeats.
    pub fn users_cursor(&self, from: ExportPosition) -> IncrementalExport<User, C> {
        IncrementalExport::new(
            self.client.clone(),
            ExportResource::Users,
            ExportStyle::Cursor,
            from,
        )
    }

    /// `GET /incremental/tickets`: tickets changed since `from` (a start time), time-based.
    pub fn tickets(&self, from: ExportPosition) -> IncrementalExport<Ticket, C> {
        IncrementalExport::new(
            self.client.clone(),
            ExportResource::Tickets,
            ExportStyle::Time,
            from,
        )
    }

    /// `GET /incremental/users`: users changed since `from` (a start time), time-based.
    pub fn users(&self, from: ExportPosition) -> IncrementalExport<User, C> {
        IncrementalExport::new(
            self.client.clone(),
            ExportResource::Users,
            ExportStyle::Time,
            from,
        )
    }

    /// `GET /incremental/organizations`: organizations changed since `from` (a start time).
    pub fn organizations(&self, from: ExportPosition) -> IncrementalExport<Organization, C> {
        IncrementalExport::new(
            self.client.clone(),
            ExportResource::Organizations,
            ExportStyle::Time,
            from,
        )
    }

    /// `GET /incremental/ticket_events`: ticket updates since `from` (a start time);
    /// `.include("comment_events")` adds the comments.
    pub fn ticket_events(&self, from: ExportPosition) -> IncrementalExport<TicketEvent, C> {
        IncrementalExport::new(
            self.client.clone(),
            ExportResource::TicketEvents,
            ExportStyle::Time,
            from,
        )
    }

    /// Any export chosen at run time, its records kept as Zendesk's JSON. A cursor-based export
    /// of organizations or ticket events is refused on send.
    pub fn export(
        &self,
        resource: ExportResource,
        style: ExportStyle,
        from: ExportPosition,
    ) -> IncrementalExport<Value, C> {
        match resource {
            ExportResource::Tickets => {
                IncrementalExport::<Ticket, C>::new(self.client.clone(), resource, style, from)
                    .raw()
            }
            ExportResource::Users => {
                IncrementalExport::<User, C>::new(self.client.clone(), resource, style, from).raw()
            }
            ExportResource::Organizations => IncrementalExport::<Organization, C>::new(
                self.client.clone(),
                resource,
                style,
                from,
            )
            .raw(),
            ExportResource::TicketEvents => {
                IncrementalExport::<TicketEvent, C>::new(self.client.clone(), resource, style, from)
                    .raw()
            }
        }
    }
}

/// One incremental export, not yet sent: the resource, the style, where it starts and its
/// query. [`send`](Self::send) fetches one page, [`pages`](Self::pages) walks to the end.
#[must_use = "an IncrementalExport does nothing until sent"]
pub struct IncrementalExport<T, C = Client> {
    client: C,
    resource: ExportResource,
    style: ExportStyle,
    from: ExportPosition,
    per_page: Option<u32>,
    query: Vec<(String, String)>,
    error: Option<String>,
    read: Reader<ExportPage<T>>,
}

impl<T, C: Clone> Clone for IncrementalExport<T, C> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            resource: self.resource,
            style: self.style,
            from: self.from.clone(),
            per_page: self.per_page,
            query: self.query.clone(),
            error: self.error.clone(),
            read: self.read,
        }
    }
}

impl<T, C> std::fmt::Debug for IncrementalExport<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncrementalExport")
            .field("resource", &self.resource)
            .field("style", &self.style)
            .field("from", &self.from)
            .field("per_page", &self.per_page)
            .field("query", &self.query)
            .finish()
    }
}

impl<T, C> IncrementalExport<T, C> {
    fn new(client: C, resource: ExportResource, style: ExportStyle, from: ExportPosition) -> Self
    where
        T: DeserializeOwned + ListKey,
    {
        let read: Reader<ExportPage<T>> = match style {
            ExportStyle::Cursor => read_cursor_page::<T>,
            ExportStyle::Time => read_time_page::<T>,
        };
        let mut export = IncrementalExport {
            client,
            resource,
            style,
            from,
            per_page: None,
            query: Vec::new(),
            error: None,
            read,
        };
        if style == ExportStyle::Cursor && !resource.supports_cursor() {
            export = export.fail(format!(
                "Zendesk has no cursor-based export of {}: use the time-based export",
                resource.name()
            ));
        }
        if style == ExportStyle::Time
            && let ExportPosition::Cursor(_) = export.from
        {
            export = export.fail(
                "a time-based export starts from a start_time; a cursor comes from a \
                 cursor-based export and resumes only one"
                    .to_owned(),
            );
        }
        export
    }

    fn fail(mut self, message: String) -> Self {
        self.error.get_or_insert(message);
        self
    }

    /// What is exported.
    pub fn resource(&self) -> ExportResource {
        self.resource
    }

    /// How it pages.
    pub fn style(&self) -> ExportStyle {
        self.style
    }

    /// Where it starts.
    pub fn from(&self) -> &ExportPosition {
        &self.from
    }

    /// Records per page, 1 to 1,000 (Zendesk's default: 1,000).
    pub fn per_page(mut self, per_page: u32) -> Self {
        if per_page == 0 || per_page > MAX_PAGE_SIZE {
            return self.fail(format!(
                "per_page must be between 1 and {MAX_PAGE_SIZE} for an incremental export, got {per_page}"
            ));
        }
        self.per_page = Some(per_page);
        self
    }

    /// Side-loads records in the same answer (`include=users`, `include=comment_events` for
    /// ticket events); several calls add to one list.
    pub fn include(mut self, side_load: &str) -> Self {
        match self.query.iter_mut().find(|(key, _)| key == "include") {
            Some((_, value)) => {
                value.push(',');
                value.push_str(side_load.trim());
            }
            None => self
                .query
                .push(("include".into(), side_load.trim().to_owned())),
        }
        self
    }

    /// Leaves deleted records out (`exclude_deleted=true`; Zendesk includes them by default).
    pub fn exclude_deleted(mut self) -> Self {
        self.query.push(("exclude_deleted".into(), "true".into()));
        self
    }

    /// Adds any other query parameter, percent-encoded on send.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// The same export, its records kept as Zendesk's JSON (every key, in Zendesk's order).
    pub fn raw(self) -> IncrementalExport<Value, C>
    where
        T: ListKey,
    {
        let read: Reader<ExportPage<Value>> = match self.style {
            ExportStyle::Cursor => read_raw_cursor_page::<T>,
            ExportStyle::Time => read_raw_time_page::<T>,
        };
        IncrementalExport {
            client: self.client,
            resource: self.resource,
            style: self.style,
            from: self.from,
            per_page: self.per_page,
            query: self.query,
            error: self.error,
            read,
        }
    }

    /// Whether the export would be sent: `Err` with the reason it was refused (a start time
    /// under a minute old, a page size over 1,000, a cursor on a time-based export...).
    pub fn check(&self) -> Result<()> {
        self.request().check()
    }

    /// The request of the first page, inspectable and sendable on its own.
    pub fn request(&self) -> Request<ExportPage<T>, Detached> {
        self.page_request(&self.from, unix_now())
    }

    fn page_request(&self, at: &ExportPosition, now: i64) -> Request<ExportPage<T>, Detached> {
        let mut request = Request::new(Detached, Method::GET, self.path(), self.read);
        if let Some(message) = &self.error {
            request = request.refuse(message.clone());
        }
        match at {
            ExportPosition::StartTime(start) => {
                if *start < 0 {
                    request = request.refuse(format!(
                        "start_time must be Unix seconds (0 or more), got {start}"
                    ));
                } else if *start > now - MIN_START_TIME_AGE_SECS {
                    request = request.refuse(format!(
                        "start_time {start} is less than {MIN_START_TIME_AGE_SECS} s before now \
                         ({now}): Zendesk exports only changes at least a minute old; start from \
                         an earlier time"
                    ));
                }
                request = request.param("start_time", start.to_string());
            }
            ExportPosition::Cursor(cursor) => {
                request = request.param("cursor", cursor.clone());
            }
        }
        if let Some(per_page) = self.per_page {
            request = request.param("per_page", per_page.to_string());
        }
        for (key, value) in &self.query {
            request = request.param(key.clone(), value.clone());
        }
        request
    }

    /// The path under `/api/v2` (`/incremental/tickets/cursor`).
    pub fn path(&self) -> String {
        match self.style {
            ExportStyle::Cursor => format!("/incremental/{}/cursor", self.resource.name()),
            ExportStyle::Time => format!("/incremental/{}", self.resource.name()),
        }
    }

    fn with_client<D>(self, client: D) -> IncrementalExport<T, D> {
        IncrementalExport {
            client,
            resource: self.resource,
            style: self.style,
            from: self.from,
            per_page: self.per_page,
            query: self.query,
            error: self.error,
            read: self.read,
        }
    }
}

impl<T> IncrementalExport<T, Detached> {
    /// This export on `client`, ready to send or walk.
    pub fn bind(self, client: &Client) -> IncrementalExport<T, Client> {
        self.with_client(client.clone())
    }

    /// Fetches the first page with `client`.
    pub async fn send_with(&self, client: &Client) -> Result<ExportPage<T>> {
        self.request().send_with(client).await
    }
}

impl<T: Send + 'static> IncrementalExport<T, Client> {
    /// The export without its client, as a plain value.
    pub fn detached(self) -> IncrementalExport<T, Detached> {
        self.with_client(Detached)
    }

    /// Fetches the first page.
    pub async fn send(&self) -> Result<ExportPage<T>> {
        self.request().send_with(&self.client).await
    }

    /// A resumable walker over the pages, keeping the position to resume from.
    pub fn pages(self) -> ExportPages<T> {
        let mut seen_cursors = HashSet::new();
        if let ExportPosition::Cursor(cursor) = &self.from {
            seen_cursors.insert(cursor.clone());
        }
        ExportPages {
            position: self.from.clone(),
            export: self,
            finished: false,
            seen_cursors,
        }
    }

    /// Every record, one page in memory at a time; the stream ends at `end_of_stream` or after
    /// the first error. Use [`pages`](Self::pages) to keep the position.
    pub fn items(self) -> impl Stream<Item = Result<T>> + Send + 'static {
        self.pages().into_items()
    }
}

/// Walks an export page by page to `end_of_stream`. [`position`](Self::position) is where to
/// resume: after a page has been handled, saving it means a later walker started there picks up
/// with the next page (or, after the last one, with what changed since). After an error the
/// walker is unchanged, so calling [`next_page`](Self::next_page) again retries the same page.
#[derive(Debug)]
pub struct ExportPages<T> {
    export: IncrementalExport<T, Client>,
    position: ExportPosition,
    finished: bool,
    seen_cursors: HashSet<String>,
}

impl<T: Send + 'static> ExportPages<T> {
    /// The next page, or `None` once a page said `end_of_stream`.
    pub async fn next_page(&mut self) -> Result<Option<ExportPage<T>>> {
        if self.finished {
            return Ok(None);
        }
        let request = self.export.page_request(&self.position, unix_now());
        let page = match request.send_with(&self.export.client).await {
            Ok(page) => page,
            Err(error @ Error::InvalidRequest(_)) => {
                self.finished = true;
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        if !page.end_of_stream {
            match (&page.next, &self.position) {
                (None, _) => {
                    self.finished = true;
                    return Err(Error::Paging {
                        path: self.export.path(),
                        message: "Zendesk said the export goes on but sent no after_cursor or \
                                  end_time to go on from"
                            .to_owned(),
                    });
                }
                (Some(ExportPosition::Cursor(cursor)), _) => {
                    if !self.seen_cursors.insert(cursor.clone()) {
                        self.finished = true;
                        return Err(Error::Paging {
                            path: self.export.path(),
                            message: format!(
                                "Zendesk sent the cursor {cursor:?} twice; stopping instead of looping"
                            ),
                        });
                    }
                }
                (Some(ExportPosition::StartTime(end)), ExportPosition::StartTime(start)) => {
                    if end <= start {
                        self.finished = true;
                        return Err(Error::Paging {
                            path: self.export.path(),
                            message: format!(
                                "Zendesk's end_time {end} did not move past start_time {start} \
                                 (more records share one second than fit a page); stopping \
                                 instead of looping: ask for a larger per_page"
                            ),
                        });
                    }
                }
                (Some(ExportPosition::StartTime(_)), ExportPosition::Cursor(_)) => {}
            }
        }
        if let Some(next) = &page.next {
            self.position = next.clone();
        }
        self.finished = page.end_of_stream;
        Ok(Some(page))
    }

    /// Where to resume: where the next page starts, or, once the export reached its end,
    /// where a later run picks up what changed since.
    pub fn position(&self) -> &ExportPosition {
        &self.position
    }

    /// Whether the export has reached `end_of_stream`.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The pages as a stream; it ends after the first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<ExportPage<T>>> + Send + 'static {
        futures_util::stream::try_unfold(self, |mut pages| async move {
            Ok(pages.next_page().await?.map(|page| (page, pages)))
        })
    }

    /// The records of every page, one at a time; it ends after the first error.
    pub fn into_items(self) -> impl Stream<Item = Result<T>> + Send + 'static {
        futures_util::stream::try_unfold(
            (self, Vec::new().into_iter()),
            |(mut pages, mut buffer)| async move {
                loop {
                    if let Some(item) = buffer.next() {
                        return Ok(Some((item, (pages, buffer))));
                    }
                    match pages.next_page().await? {
                        Some(page) => buffer = page.items.into_iter(),
                        None => return Ok(None),
                    }
                }
            },
        )
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_kept_as_small_json() {
        let cursor = ExportPosition::Cursor("MTU3".into());
        assert_eq!(
            serde_json::to_value(&cursor).unwrap(),
            serde_json::json!({"cursor": "MTU3"})
        );
        let time: ExportPosition =
            serde_json::from_value(serde_json::json!({"start_time": 1700000000})).unwrap();
        assert_eq!(time, ExportPosition::StartTime(1_700_000_000));
    }

    #[test]
    fn zendesks_rules_are_checked_before_sending() {
        let now = unix_now();
        let fresh = Detached
            .incremental()
            .tickets_cursor(ExportPosition::StartTime(now - 10));
        let refused = fresh.check().unwrap_err().to_string();
        assert!(refused.contains("at least a minute old"), "{refused}");
        let old = Detached
            .incremental()
            .tickets_cursor(ExportPosition::StartTime(now - 3600));
        assert!(old.check().is_ok());
        assert!(old.clone().per_page(1001).check().is_err());
        assert!(old.per_page(1000).check().is_ok());
        let events = Detached.incremental().export(
            ExportResource::TicketEvents,
            ExportStyle::Cursor,
            ExportPosition::StartTime(0),
        );
        assert!(
            events
                .check()
                .unwrap_err()
                .to_string()
                .contains("time-based")
        );
        let time_with_cursor = Detached
            .incremental()
            .tickets(ExportPosition::Cursor("abc".into()));
        assert!(time_with_cursor.check().is_err());
        assert!(
            Detached
                .incremental()
                .users(ExportPosition::StartTime(-5))
                .check()
                .is_err()
        );
    }

    #[test]
    fn requests_carry_zendesks_parameters() {
        let request = Detached
            .incremental()
            .tickets_cursor(ExportPosition::Cursor("abc".into()))
            .per_page(500)
            .include("users")
            .exclude_deleted()
            .request();
        assert_eq!(request.path(), "/incremental/tickets/cursor");
        let query: Vec<_> = request
            .query()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        assert_eq!(
            query,
            [
                "cursor=abc",
                "per_page=500",
                "include=users",
                "exclude_deleted=true"
            ]
        );
        let events = Detached
            .incremental()
            .ticket_events(ExportPosition::StartTime(1))
            .include("comment_events")
            .request();
        assert_eq!(events.path(), "/incremental/ticket_events");
        assert_eq!(events.query()[0], ("start_time".into(), "1".into()));
    }
}
