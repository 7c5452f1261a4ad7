//! `client.search()`: search (offset, at most 1,000 results), count, and export (cursor, no
//! cap, one record type per call via `filter[type]`).

use reqwest::Method;
use zendesk_types::limits::{MAX_EXPORT_PAGE_SIZE, MAX_SEARCH_RESULTS};
use zendesk_types::{SearchCount, SearchResult, SearchResultType};

use super::choices;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::paging::{ListRequest, Paging};

/// Search requests. Get one with [`Client::search`].
#[derive(Debug, Clone, Copy)]
pub struct SearchHandler<'a> {
    client: &'a Client,
}

impl Client {
    /// Search requests.
    pub fn search(&self) -> SearchHandler<'_> {
        SearchHandler { client: self }
    }
}

impl SearchHandler<'_> {
    /// `GET /search?query=`, offset paging. Zendesk pages at most 1,000 results: walking past
    /// them ends with [`Error::Paging`] pointing at [`export`](Self::export). `sort_by` /
    /// `sort_order` can be added with `.param(...)`.
    pub fn search(&self, query: &str) -> ListRequest<SearchResult> {
        let request = self
            .client
            .list("/search", Paging::Offset)
            .result_limit(MAX_SEARCH_RESULTS as u64);
        match query.trim() {
            "" => request.fail("search needs a query; it is empty".to_owned()),
            query => request.param("query", query),
        }
    }

    /// `GET /search/count?query=`: how many records match.
    pub async fn count(&self, query: &str) -> Result<u64> {
        let query = query.trim();
        if query.is_empty() {
            return Err(Error::InvalidRequest(
                "search count needs a query; it is empty".into(),
            ));
        }
        let count: SearchCount = self
            .client
            .send(
                Method::GET,
                "/search/count",
                &[("query", query)],
                None::<&()>,
            )
            .await?;
        Ok(count.count)
    }

    /// `GET /search/export?query=&filter[type]=`, cursor paging (`page[size]` up to 1,000),
    /// ordered by creation. `filter_type` is `ticket`, `user`, `organization` or `group`
    /// (case and spaces ignored); anything else, or an empty query, is refused on send.
    pub fn export(&self, query: &str, filter_type: &str) -> ListRequest<SearchResult> {
        let mut request = self
            .client
            .list("/search/export", Paging::Cursor)
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
