//! `client.search()`: search (offset, at most 1,000 results), count, and export (cursor, no
//! cap, one record type per call via `filter[type]`).

use reqwest::Method;
use zendesk_types::limits::{MAX_EXPORT_PAGE_SIZE, MAX_SEARCH_RESULTS};
use zendesk_types::{SearchResult, SearchResultType};

use super::choices;
use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Request, read_count};

/// Search requests. Get one with [`Client::search`] or [`Detached::search`].
#[derive(Debug, Clone)]
pub struct SearchHandler<C = Client> {
    client: C,
}

impl Client {
    /// Search requests.
    pub fn search(&self) -> SearchHandler {
        SearchHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Search requests as plain values.
    pub fn search(self) -> SearchHandler<Detached> {
        SearchHandler { client: self }
    }
}

impl<C: Clone> SearchHandler<C> {
    /// `GET /search?query=`, offset paging. Zendesk pages at most 1,000 results: walking past
    /// them ends with [`Error::Paging`](crate::Error::Paging) pointing at
    /// [`export`](Self::export). `sort_by` / `sort_order` can be added with `.param(...)`.
    pub fn search(&self, query: &str) -> ListRequest<SearchResult, C> {
        let request = ListRequest::new(self.client.clone(), "/search", Paging::Offset)
            .result_limit(MAX_SEARCH_RESULTS as u64);
        match query.trim() {
            "" => request.fail("search needs a query; it is empty".to_owned()),
            query => request.param("query", query),
        }
    }

    /// `GET /search/count?query=`: how many records match.
    pub fn count(&self, query: &str) -> Request<u64, C> {
        let request = Request::new(
            self.client.clone(),
            Method::GET,
            "/search/count",
            read_count,
        );
        match query.trim() {
            "" => request.refuse("search count needs a query; it is empty"),
            query => request.param("query", query),
        }
    }

    /// `GET /search/export?query=&filter[type]=`, cursor paging (`page[size]` up to 1,000),
    /// ordered by creation. `filter_type` is `ticket`, `user`, `organization` or `group`
    /// (case and spaces ignored); anything else, or an empty query, is refused on send.
    pub fn export(&self, query: &str, filter_type: &str) -> ListRequest<SearchResult, C> {
        let mut request = ListRequest::new(self.client.clone(), "/search/export", Paging::Cursor)
            .max_per_page(MAX_EXPORT_PAGE_SIZE as u32);
        let query = query.trim();
        if query.is_empty() {
            request = request.fail("search export needs a query; it is empty".to_owned());
        }
        match filter_type.parse::<SearchResultType>() {
            Ok(kind) => request
                .param("query", query)
                .param("filter[type]", kind.as_str()),
            Err(_) => request.fail(format!(
                "filter type {filter_type:?} is not valid: expected {}",
                choices(SearchResultType::KNOWN)
            )),
        }
    }
}
