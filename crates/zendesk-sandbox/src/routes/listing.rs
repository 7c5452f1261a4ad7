//! A page of a list of records: which page (cursor or offset), under which filters, in which
//! order, shown to whom, with which side-loads; streamed as it is read (see `paging`).

use axum::response::Response;

use super::audience::{Audience, SideLoad, requested_side_loads};
use super::http::Params;
use super::paging::{self, PageRequest, Sort};
use super::resource::Resource;
use crate::error::ApiError;
use crate::store::{Bind, Filter, Store, Table};

/// `?external_id=` on a list: external ids are stored and compared lowercased.
pub fn external_id_filter(external: &str) -> Filter {
    Filter::Eq("external_id", Bind::Text(external.to_lowercase()))
}

/// What a list of records asks for: one page, by id unless `sorted`, under filters.
pub struct Listing<'a> {
    base: &'a str,
    params: &'a Params,
    request: PageRequest,
    filters: Vec<Filter>,
    sort: Sort,
    side_loads: Vec<SideLoad>,
    audience: Option<&'a Audience>,
}

impl<'a> Listing<'a> {
    pub fn new(
        base: &'a str,
        params: &'a Params,
        request: PageRequest,
        filters: Vec<Filter>,
    ) -> Listing<'a> {
        Listing {
            base,
            params,
            request,
            filters,
            sort: Sort::by_id(),
            side_loads: Vec::new(),
            audience: None,
        }
    }

    /// Serves each record as `audience` may see it (see `Audience`).
    pub fn shown_to(self, audience: &'a Audience) -> Listing<'a> {
        Listing {
            audience: Some(audience),
            ..self
        }
    }

    pub fn sorted(self, sort: Sort) -> Listing<'a> {
        Listing { sort, ..self }
    }

    /// Answers the side-loads the request asks for among `offered`.
    pub fn side_loading(self, offered: &[SideLoad]) -> Listing<'a> {
        let side_loads = requested_side_loads(self.params, offered);
        Listing { side_loads, ..self }
    }

    /// One page of `R`'s records at its own path (`/tickets`).
    pub async fn serve<R: Resource>(self, store: &Store) -> Result<Response, ApiError> {
        self.serve_at::<R>(store, R::MANY).await
    }

    /// One page of `R`'s live records at `path` (`users/search`), for `links` and `next_page`.
    pub async fn serve_at<R: Resource>(
        self,
        store: &Store,
        path: &str,
    ) -> Result<Response, ApiError> {
        let base = self.base.to_string();
        let serve: paging::Serve = match self.audience.filter(|a| !a.sees_everything()) {
            None => Box::new(move |row, out| R::write_stored(row.json, &base, out)),
            Some(audience) => {
                let audience = audience.clone();
                paging::serve_text(move |stored| {
                    let record = crate::store::parse_stored(stored)?;
                    Ok(R::render(audience.view(R::TABLE, record), &base).to_string())
                })
            }
        };
        self.serve_live::<R>(store, path, serve).await
    }

    /// One page of `R`'s live records at `path`, each served by `serve`.
    pub async fn serve_live<R: Resource>(
        mut self,
        store: &Store,
        path: &str,
        serve: paging::Serve,
    ) -> Result<Response, ApiError> {
        self.filters.insert(0, Filter::Live(R::TABLE));
        self.serve_rows(store, R::TABLE, path, R::MANY, serve).await
    }

    /// One page of `table` under `key` at `path`, streamed; `serve` writes each stored row's
    /// record as served.
    pub async fn serve_rows(
        self,
        store: &Store,
        table: Table,
        path: &str,
        key: &str,
        serve: paging::Serve,
    ) -> Result<Response, ApiError> {
        paging::stream_list(
            store,
            paging::StreamedList {
                table,
                filters: self.filters,
                sort: self.sort,
                request: self.request,
                base: self.base.to_string(),
                path: path.to_string(),
                params: self.params.clone(),
                key: key.to_string(),
                serve,
                side_loads: self.side_loads,
                audience: self.audience.cloned(),
            },
        )
        .await
    }
}
