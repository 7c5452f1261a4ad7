//! Paging, cursor and offset under one roof: [`ListRequest`] (one list endpoint with its
//! query), [`Page`] (one page: items plus what comes next), [`Pages`] (a resumable walker) and
//! an item stream. The walker stops on `has_more: false` (never following the `links.next`
//! Zendesk still sends then), on a missing cursor, on an empty page and on offset
//! `next_page: null`; a cursor or page number seen twice is an error, never a loop. Only one
//! page is held in memory at a time.

use std::collections::HashSet;
use std::marker::PhantomData;

use futures_util::Stream;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;
use zendesk_types::limits::MAX_PAGE_SIZE;
use zendesk_types::{CursorPage, ListKey, OffsetPage};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::request::{DecodeFailure, Detached, Reader, Request, read_json};

/// How an endpoint pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// `page[size]` + `page[after]`; answers carry `meta` and `links`.
    Cursor,
    /// `per_page` + `page`; answers carry `next_page`, `previous_page`, `count`.
    Offset,
}

/// What to ask for to get the page after this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextPage {
    /// Send `page[after]={cursor}`.
    Cursor(String),
    /// Send `page={number}`.
    Offset(u32),
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The records on this page.
    pub items: Vec<T>,
    /// Cursor lists: `meta.has_more`. Offset lists: `next_page != null`.
    pub has_more: bool,
    /// Cursor lists: `meta.after_cursor` (null on offset lists).
    pub after_cursor: Option<String>,
    /// Cursor lists: `meta.before_cursor`.
    pub before_cursor: Option<String>,
    /// Cursor lists: `links.next`, but only while `has_more` (Zendesk keeps sending a URL on
    /// the last page). Offset lists: `next_page`.
    pub next_page: Option<String>,
    /// Cursor lists: `links.prev`. Offset lists: `previous_page`.
    pub previous_page: Option<String>,
    /// Offset lists: the total number of records, when Zendesk sends it.
    pub count: Option<u64>,
    /// What the walker asks for next; `None` ends paging (also when Zendesk said `has_more`
    /// but sent no cursor, or the page was empty).
    pub next: Option<NextPage>,
    /// The page's other top-level keys: side-loaded records asked for with
    /// [`ListRequest::include`] (`users`, `groups`...), `facets`...
    pub side_loads: Map<String, Value>,
}

impl<T> Page<T> {
    /// The records side-loaded under `R`'s list key (`users` for `User`); empty when Zendesk
    /// sent none. A side-load that does not decode as `R` is an error naming the field.
    pub fn side_loaded<R: DeserializeOwned + ListKey>(&self) -> Result<Vec<R>> {
        let Some(records) = self.side_loads.get(R::LIST_KEY) else {
            return Ok(Vec::new());
        };
        zendesk_types::from_value(records.clone()).map_err(|error| Error::Decode {
            method: "GET".to_owned(),
            path: format!("side-loaded {}", R::LIST_KEY),
            field: error.path,
            message: error.message,
        })
    }
}

impl<T> Page<T> {
    fn from_cursor(page: CursorPage<T>) -> Self {
        let has_more = page.meta.has_more;
        let after_cursor = page.meta.after_cursor.filter(|c| !c.is_empty());
        let next = match (&after_cursor, has_more) {
            (Some(cursor), true) if !page.items.is_empty() => {
                Some(NextPage::Cursor(cursor.clone()))
            }
            _ => None,
        };
        Self {
            items: page.items,
            has_more,
            after_cursor,
            before_cursor: page.meta.before_cursor,
            next_page: page.links.next.filter(|_| has_more),
            previous_page: page.links.prev,
            count: None,
            next,
            side_loads: page.extra,
        }
    }

    fn from_offset(page: OffsetPage<T>) -> Self {
        let next = match &page.next_page {
            Some(url) if !page.items.is_empty() => offset_page_number(url).map(NextPage::Offset),
            _ => None,
        };
        Self {
            items: page.items,
            has_more: page.next_page.is_some(),
            after_cursor: None,
            before_cursor: None,
            next_page: page.next_page,
            previous_page: page.previous_page,
            count: page.count,
            next,
            side_loads: page.extra,
        }
    }
}

/// The `page` number in an offset `next_page` URL. Only the number is taken: the client never
/// follows a URL from a response (it could point at another host).
fn offset_page_number(next_page: &str) -> Option<u32> {
    let url = Url::parse(next_page).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == "page")
        .and_then(|(_, value)| value.parse().ok())
}

/// A list endpoint with its query, not yet sent. Built by the resource handlers
/// (`client.tickets().list()`, or `Detached.tickets().list()` for a plain value) or by
/// [`Client::list`]. [`request`](Self::request) shows the request of the page it starts at.
///
/// Invalid settings (a page size out of range, a cursor on an offset list) are reported by
/// the first send, before anything goes on the wire.
#[must_use = "a ListRequest does nothing until sent"]
pub struct ListRequest<T, C = Client> {
    client: C,
    path: String,
    query: Vec<(String, String)>,
    paging: Paging,
    max_per_page: u32,
    per_page: Option<u32>,
    start: Option<NextPage>,
    /// Offset lists that stop answering past this many records (`/search`: 1,000).
    result_limit: Option<u64>,
    error: Option<String>,
    read: Reader<Page<T>>,
}

impl<T, C: Clone> Clone for ListRequest<T, C> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            paging: self.paging,
            max_per_page: self.max_per_page,
            per_page: self.per_page,
            start: self.start.clone(),
            result_limit: self.result_limit,
            error: self.error.clone(),
            read: self.read,
        }
    }
}

impl<T, C> std::fmt::Debug for ListRequest<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRequest")
            .field("path", &self.path)
            .field("query", &self.query)
            .field("paging", &self.paging)
            .field("per_page", &self.per_page)
            .field("start", &self.start)
            .finish()
    }
}

/// Reads one page of `T` records, in whichever paging form Zendesk answered: decided by the
/// answer's shape, not by what was asked, as some endpoints fall back to offset paging for
/// some parameters.
fn read_page<T: DeserializeOwned + ListKey>(body: &[u8]) -> Result<Page<T>, DecodeFailure> {
    Ok(match read_json::<zendesk_types::Page<T>>(body)? {
        zendesk_types::Page::Cursor(page) => Page::from_cursor(page),
        zendesk_types::Page::Offset(page) => Page::from_offset(page),
    })
}

/// A record kept as Zendesk sent it, under `T`'s list key.
pub(crate) struct RawRecord<T>(pub(crate) Value, PhantomData<fn() -> T>);

impl<'de, T> serde::Deserialize<'de> for RawRecord<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|value| RawRecord(value, PhantomData))
    }
}

impl<T: ListKey> ListKey for RawRecord<T> {
    const LIST_KEY: &'static str = T::LIST_KEY;
}

/// Reads one page of `T` records as Zendesk's JSON, each record untouched.
fn read_raw_page<T: ListKey>(body: &[u8]) -> Result<Page<Value>, DecodeFailure> {
    let page = read_page::<RawRecord<T>>(body)?;
    Ok(Page {
        items: page.items.into_iter().map(|record| record.0).collect(),
        has_more: page.has_more,
        after_cursor: page.after_cursor,
        before_cursor: page.before_cursor,
        next_page: page.next_page,
        previous_page: page.previous_page,
        count: page.count,
        next: page.next,
        side_loads: page.side_loads,
    })
}

impl<T, C> ListRequest<T, C> {
    pub(crate) fn new(client: C, path: impl Into<String>, paging: Paging) -> Self
    where
        T: DeserializeOwned + ListKey,
    {
        Self {
            client,
            path: path.into(),
            query: Vec::new(),
            paging,
            max_per_page: MAX_PAGE_SIZE as u32,
            per_page: None,
            start: None,
            result_limit: None,
            error: None,
            read: read_page::<T>,
        }
    }

    pub(crate) fn max_per_page(mut self, max: u32) -> Self {
        self.max_per_page = max;
        self
    }

    pub(crate) fn result_limit(mut self, limit: u64) -> Self {
        self.result_limit = Some(limit);
        self
    }

    pub(crate) fn fail(mut self, message: String) -> Self {
        self.error.get_or_insert(message);
        self
    }

    /// How this list pages.
    pub fn paging(&self) -> Paging {
        self.paging
    }

    /// The path under `/api/v2` (`/tickets`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Records per page: `page[size]` (cursor) or `per_page` (offset). 1..=100 (1..=1000 for
    /// search export). Zendesk's default applies when unset.
    pub fn per_page(mut self, per_page: u32) -> Self {
        if per_page == 0 || per_page > self.max_per_page {
            let max = self.max_per_page;
            return self.fail(format!(
                "per page must be between 1 and {max}, got {per_page}"
            ));
        }
        self.per_page = Some(per_page);
        self
    }

    /// Start after this cursor (`page[after]`), as returned in a page's `after_cursor`.
    /// Cursor lists only.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        let cursor = cursor.into();
        if self.paging != Paging::Cursor {
            let message = format!(
                "{} pages by page number, not by cursor: use page(n)",
                self.path
            );
            return self.fail(message);
        }
        if cursor.trim().is_empty() {
            return self;
        }
        self.start = Some(NextPage::Cursor(cursor));
        self
    }

    /// Start at this page number (1-based). Offset lists only.
    pub fn page(mut self, page: u32) -> Self {
        if self.paging != Paging::Offset {
            let message = format!(
                "{} pages by cursor, not by page number: use after(cursor)",
                self.path
            );
            return self.fail(message);
        }
        if page == 0 {
            return self.fail("page must be 1 or more, got 0".into());
        }
        self.start = Some(NextPage::Offset(page));
        self
    }

    /// Adds a query parameter (`sort`, `role`, `filter[type]`...), percent-encoded on send.
    pub fn param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    /// Asks Zendesk to side-load related records in the same answer (`include=users`): read
    /// them with [`Page::side_loaded`]. Several calls add to one `include` list.
    pub fn include(mut self, side_load: &str) -> Self {
        match self.query.iter_mut().find(|(key, _)| key == "include") {
            Some((_, value)) => {
                value.push(',');
                value.push_str(side_load);
            }
            None => self.query.push(("include".into(), side_load.to_owned())),
        }
        self
    }

    /// The same list, its records kept as Zendesk's JSON (every key, in Zendesk's order)
    /// instead of decoded into `T`: for callers that pass Zendesk's JSON on untouched.
    pub fn raw(self) -> ListRequest<Value, C>
    where
        T: ListKey,
    {
        ListRequest {
            client: self.client,
            path: self.path,
            query: self.query,
            paging: self.paging,
            max_per_page: self.max_per_page,
            per_page: self.per_page,
            start: self.start,
            result_limit: self.result_limit,
            error: self.error,
            read: read_raw_page::<T>,
        }
    }

    /// Whether the list would be sent: `Err` with the reason it was refused.
    pub fn check(&self) -> Result<()> {
        self.request().check()
    }

    /// The request of the page this list starts at (the first, or the one set by `after` /
    /// `page`), inspectable and sendable on its own.
    pub fn request(&self) -> Request<Page<T>, Detached> {
        self.page_request(self.start.as_ref())
    }

    fn page_request(&self, next: Option<&NextPage>) -> Request<Page<T>, Detached> {
        let mut request = Request::new(Detached, Method::GET, self.path.clone(), self.read);
        if let Some(message) = &self.error {
            request = request.refuse(message.clone());
        }
        for (key, value) in &self.query {
            request = request.param(key.clone(), value.clone());
        }
        match self.paging {
            Paging::Cursor => {
                if let Some(size) = self.per_page {
                    request = request.param("page[size]", size.to_string());
                }
                if let Some(NextPage::Cursor(cursor)) = next {
                    request = request.param("page[after]", cursor.clone());
                }
            }
            Paging::Offset => {
                if let Some(size) = self.per_page {
                    request = request.param("per_page", size.to_string());
                }
                if let Some(NextPage::Offset(page)) = next {
                    request = request.param("page", page.to_string());
                }
            }
        }
        request
    }

    fn with_client<D>(self, client: D) -> ListRequest<T, D> {
        ListRequest {
            client,
            path: self.path,
            query: self.query,
            paging: self.paging,
            max_per_page: self.max_per_page,
            per_page: self.per_page,
            start: self.start,
            result_limit: self.result_limit,
            error: self.error,
            read: self.read,
        }
    }
}

impl<T> ListRequest<T, Detached> {
    /// This list on `client`, ready to send or walk.
    pub fn bind(self, client: &Client) -> ListRequest<T, Client> {
        self.with_client(client.clone())
    }
}

impl<T> ListRequest<T, Client>
where
    T: Send + 'static,
{
    /// The list without its client, as a plain value.
    pub fn detached(self) -> ListRequest<T, Detached> {
        self.with_client(Detached)
    }

    /// Fetches the first page (or the one set by `after` / `page`).
    pub async fn send(self) -> Result<Page<T>> {
        let next = self.start.clone();
        self.fetch(next.as_ref()).await
    }

    /// A resumable walker over the pages.
    pub fn pages(self) -> Pages<T> {
        let mut seen_cursors = HashSet::new();
        if let Some(NextPage::Cursor(cursor)) = &self.start {
            seen_cursors.insert(cursor.clone());
        }
        let current_page = match &self.start {
            Some(NextPage::Offset(n)) => *n,
            _ => 1,
        };
        Pages {
            next: self.start.clone(),
            request: self,
            finished: false,
            pending_error: None,
            seen_cursors,
            current_page,
        }
    }

    /// Every record across pages, one at a time (one page in memory). A rate limit in the
    /// middle is retried per the client's policy; an error ends the stream after the records
    /// already yielded.
    pub fn items(self) -> impl Stream<Item = Result<T>> + Send + 'static {
        self.pages().into_items()
    }

    async fn fetch(&self, next: Option<&NextPage>) -> Result<Page<T>> {
        self.page_request(next).send_with(&self.client).await
    }
}

/// Walks a list page by page. After an error the walker is unchanged, so calling
/// [`next_page`](Self::next_page) again retries the same page (resume after a rate limit).
#[derive(Debug)]
pub struct Pages<T> {
    request: ListRequest<T>,
    next: Option<NextPage>,
    finished: bool,
    /// An error to report on the call after the page that led to it (the 1,000-result cap).
    pending_error: Option<Error>,
    seen_cursors: HashSet<String>,
    current_page: u32,
}

impl<T> Pages<T>
where
    T: Send + 'static,
{
    /// The next page, or `None` when the list is done.
    pub async fn next_page(&mut self) -> Result<Option<Page<T>>> {
        if let Some(error) = self.pending_error.take() {
            return Err(error);
        }
        if self.finished {
            return Ok(None);
        }
        let page = match self.request.fetch(self.next.as_ref()).await {
            Ok(page) => page,
            Err(error @ Error::InvalidRequest(_)) => {
                self.finished = true;
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        match &page.next {
            Some(NextPage::Cursor(cursor)) => {
                if !self.seen_cursors.insert(cursor.clone()) {
                    self.finished = true;
                    return Err(Error::Paging {
                        path: self.request.path.clone(),
                        message: format!(
                            "Zendesk sent the cursor {cursor:?} twice; stopping instead of looping"
                        ),
                    });
                }
            }
            Some(NextPage::Offset(number)) => {
                if *number <= self.current_page {
                    self.finished = true;
                    return Err(Error::Paging {
                        path: self.request.path.clone(),
                        message: format!(
                            "Zendesk pointed from page {} back to page {number}; stopping instead \
                             of looping",
                            self.current_page
                        ),
                    });
                }
                self.current_page = *number;
                if let Some(limit) = self.request.result_limit {
                    let per_page = u64::from(self.request.per_page.unwrap_or(MAX_PAGE_SIZE as u32));
                    if u64::from(*number - 1) * per_page >= limit {
                        self.finished = true;
                        self.next = None;
                        let matching = page
                            .count
                            .map(|c| format!(" ({c} match)"))
                            .unwrap_or_default();
                        self.pending_error = Some(Error::Paging {
                            path: self.request.path.clone(),
                            message: format!(
                                "Zendesk returns at most {limit} search results{matching}; use \
                                 search export to read them all"
                            ),
                        });
                        return Ok(Some(page));
                    }
                }
            }
            None => {
                if page.has_more && page.next_page.is_none() && !page.items.is_empty() {
                    tracing::warn!(path = %self.request.path, "Zendesk said has_more without a cursor; stopping");
                }
                self.finished = true;
            }
        }
        self.next = page.next.clone();
        Ok(Some(page))
    }

    /// Whether the walker has nothing more to fetch.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The pages as a stream; it ends after the first error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Page<T>>> + Send + 'static {
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

impl Client {
    /// A list request for any endpoint whose records are `T` (the list key comes from
    /// `T: ListKey`), e.g. `client.list::<Ticket>("/tickets", Paging::Cursor)`.
    pub fn list<T>(&self, path: impl Into<String>, paging: Paging) -> ListRequest<T>
    where
        T: DeserializeOwned + ListKey + Send + 'static,
    {
        ListRequest::new(self.clone(), path, paging)
    }
}
