//! Zendesk's two pagination styles and their envelopes.
//!
//! Cursor (`page[size]`, `page[after]`, `page[before]`): `meta {has_more, after_cursor,
//! before_cursor}` and `links {prev, next}`; on the last non-empty page `has_more` is false but
//! `links.next` is still a URL, and following it yields an empty page with null cursors and
//! links. Offset (`page`, `per_page`): `next_page`, `previous_page`, `count`, and no deeper than
//! 10,000 records. A list uses cursor paging as soon as any `page[...]` parameter is present.
//!
//! A page is answered as JSON text assembled here: records stay the text they were stored as
//! (plus what the caller splices in), so a list never parses and re-serializes its records.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::audience::{Audience, SideLoad};
use super::http::Params;
use super::stream::{Out, Reads};
use crate::error::ApiError;
use crate::store::{Filter, ListQuery, PageRow, Store, StoreError, Table, Window, stream_page};

/// What the client asked for.
#[derive(Clone, Debug)]
pub enum PageRequest {
    Offset {
        page: i64,
        per_page: i64,
    },
    Cursor {
        after: Option<String>,
        before: Option<String>,
        size: i64,
    },
}

/// The largest page a list answers, in either paging style.
pub const MAX_PAGE_SIZE: i64 = zendesk_types::limits::MAX_PAGE_SIZE as i64;

/// Reads the paging parameters.
pub fn page_request(params: &Params) -> Result<PageRequest, ApiError> {
    let cursor =
        params.has("page[size]") || params.has("page[after]") || params.has("page[before]");
    if cursor {
        let size = match params.get("page[size]") {
            None => MAX_PAGE_SIZE,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_param(format!(
                        "page[size] must be an integer between 1 and {MAX_PAGE_SIZE}, got `{raw}`"
                    )));
                }
            },
        };
        return Ok(PageRequest::Cursor {
            after: params.get("page[after]").map(str::to_string),
            before: params.get("page[before]").map(str::to_string),
            size,
        });
    }
    let page = match params.get("page") {
        None => 1,
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(ApiError::bad_param(format!(
                    "page must be an integer of at least 1, got `{raw}`"
                )));
            }
        },
    };
    let per_page = match params.get("per_page") {
        None => MAX_PAGE_SIZE,
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if n >= 1 => n.min(MAX_PAGE_SIZE),
            _ => {
                return Err(ApiError::bad_param(format!(
                    "per_page must be an integer between 1 and {MAX_PAGE_SIZE}, got `{raw}`"
                )));
            }
        },
    };
    Ok(PageRequest::Offset { page, per_page })
}

/// Refuses offset pages beyond the first 10,000 records.
pub fn check_depth(page: i64, per_page: i64) -> Result<(), ApiError> {
    if page.saturating_mul(per_page) > zendesk_types::limits::MAX_OFFSET_DEPTH as i64 {
        return Err(ApiError::PaginationDepth);
    }
    Ok(())
}

/// An opaque cursor: base64 of `{"o": order, "v": [key, id]}`.
pub fn encode_cursor(order: &str, key: i64, id: i64) -> String {
    let raw = json!({"o": order, "v": [key, id]}).to_string();
    base64::engine::general_purpose::STANDARD.encode(raw)
}

fn decode_cursor(cursor: &str, order: &str, param: &str) -> Result<(i64, i64), ApiError> {
    let bad = || {
        ApiError::bad_param(format!(
            "{param} is not a cursor of this list: pass the after_cursor or before_cursor it returned"
        ))
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor.trim())
        .map_err(|_| bad())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if value.get("o").and_then(Value::as_str) != Some(order) {
        return Err(bad());
    }
    let key = value
        .pointer("/v/0")
        .and_then(Value::as_i64)
        .ok_or_else(bad)?;
    let id = value
        .pointer("/v/1")
        .and_then(Value::as_i64)
        .ok_or_else(bad)?;
    Ok((key, id))
}

/// How a list is ordered: the cursor tag, the integer column, and the direction.
#[derive(Clone, Debug)]
pub struct Sort {
    pub order: String,
    pub column: &'static str,
    pub descending: bool,
}

impl Sort {
    pub fn by_id() -> Sort {
        Sort {
            order: "id".into(),
            column: "id",
            descending: false,
        }
    }
}

/// Where a list lives, for building `links` and `next_page`.
pub struct ListTarget<'a> {
    pub base: &'a str,
    /// The path after `/api/v2/`, without `.json`.
    pub path: &'a str,
    pub params: &'a Params,
    /// The envelope key (`tickets`, `users`...).
    pub key: &'a str,
}

fn page_url(target: &ListTarget<'_>, extra: &[(&str, String)]) -> String {
    let paging_keys = [
        "page",
        "per_page",
        "page[size]",
        "page[after]",
        "page[before]",
    ];
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &target.params.0 {
        if !paging_keys.contains(&k.as_str()) {
            query.append_pair(k, v);
        }
    }
    for (k, v) in extra {
        query.append_pair(k, v);
    }
    format!(
        "{}/api/v2/{}.json?{}",
        target.base,
        target.path,
        query.finish()
    )
}

/// One fetched page: its rows as stored (id, sort key, JSON text) and what its envelope needs.
pub struct Page {
    pub rows: Vec<(i64, i64, String)>,
    shape: Shape,
}

enum Shape {
    Offset {
        page: i64,
        per_page: i64,
        count: i64,
    },
    Cursor {
        has_more: bool,
        before_cursor: Option<String>,
        after_cursor: Option<String>,
        size: i64,
    },
}

/// The rows a request asks for: an offset page, or a page after or before a cursor (checked
/// against the list's order).
fn window_of(sort: &Sort, request: &PageRequest) -> Result<Window, ApiError> {
    Ok(match request {
        PageRequest::Offset { page, per_page } => {
            check_depth(*page, *per_page)?;
            Window::Offset {
                page: *page,
                per_page: *per_page,
            }
        }
        PageRequest::Cursor {
            after: _,
            before: Some(before),
            size,
        } => Window::Before {
            key: decode_cursor(before, &sort.order, "page[before]")?,
            size: *size,
        },
        PageRequest::Cursor { after, size, .. } => Window::After {
            key: after
                .as_deref()
                .map(|after| decode_cursor(after, &sort.order, "page[after]"))
                .transpose()?,
            size: *size,
        },
    })
}

/// Fetches one page of `table` under `filters`, in `sort` order, held in memory (for answers
/// that reshape their rows; plain lists stream, see [`stream_list`]).
pub async fn fetch(
    store: &Store,
    table: Table,
    filters: Vec<Filter>,
    sort: &Sort,
    request: &PageRequest,
) -> Result<Page, ApiError> {
    let window = window_of(sort, request)?;
    let (column, descending) = (sort.column, sort.descending);
    let rows = store
        .read(move |reader| {
            reader.list_page(&ListQuery {
                table,
                filters: &filters,
                sort_column: column,
                descending,
                window: &window,
            })
        })
        .await?;
    let shape = match request {
        PageRequest::Offset { page, per_page } => Shape::Offset {
            page: *page,
            per_page: *per_page,
            count: rows.count.unwrap_or_default(),
        },
        PageRequest::Cursor { size, .. } => {
            let cursor = |row: Option<&(i64, i64, String)>| {
                row.map(|(id, key, _)| encode_cursor(&sort.order, *key, *id))
            };
            Shape::Cursor {
                has_more: rows.more,
                before_cursor: cursor(rows.rows.first()),
                after_cursor: cursor(rows.rows.last()),
                size: *size,
            }
        }
    };
    Ok(Page {
        rows: rows.rows,
        shape,
    })
}

impl Page {
    /// The page's envelope around `items` (each one record's JSON text), as JSON text.
    pub fn envelope(&self, target: &ListTarget<'_>, items: &[String]) -> String {
        self.envelope_with(target, items, Vec::new())
    }

    /// The envelope with side-loaded lists (`"users": [...]`) after the items.
    pub fn envelope_with(
        &self,
        target: &ListTarget<'_>,
        items: &[String],
        side_loads: Vec<(String, Value)>,
    ) -> String {
        let tail = match &self.shape {
            Shape::Offset {
                page,
                per_page,
                count,
            } => offset_tail(target, *page, *per_page, *count),
            Shape::Cursor {
                has_more,
                before_cursor,
                after_cursor,
                size,
            } => cursor_tail(
                target,
                *has_more,
                before_cursor.clone(),
                after_cursor.clone(),
                *size,
            ),
        };
        let tail = if side_loads.is_empty() {
            tail
        } else {
            let mut map = serde_json::Map::new();
            map.extend(side_loads);
            if let Value::Object(rest) = tail {
                map.extend(rest);
            }
            Value::Object(map)
        };
        splice_items(target.key, items, &tail)
    }
}

/// Writes a stored row's record as served (a record of megabytes can be written piece by
/// piece, never held whole beside its stored text).
pub type Serve = Box<dyn Fn(PageRow<'_>, &mut dyn Out) -> Result<(), ApiError> + Send>;

/// A [`Serve`] that turns a stored record's JSON text into the JSON text served.
pub fn serve_text(serve: impl Fn(&str) -> Result<String, ApiError> + Send + 'static) -> Serve {
    Box::new(move |row, out| out.write(&serve(row.json)?))
}

/// A list answered as a stream (see `routes::stream`): its rows, where it lives, how each
/// record is served, and the side-loads it carries.
pub struct StreamedList {
    pub table: Table,
    pub filters: Vec<Filter>,
    pub sort: Sort,
    pub request: PageRequest,
    pub base: String,
    /// The path after `/api/v2/`, without `.json`.
    pub path: String,
    pub params: Params,
    /// The envelope key (`tickets`).
    pub key: String,
    pub serve: Serve,
    pub side_loads: Vec<SideLoad>,
    pub audience: Option<Audience>,
}

/// Answers one page of a list in its envelope, each record written out as it is read.
pub async fn stream_list(store: &Store, list: StreamedList) -> Result<Response, ApiError> {
    let window = window_of(&list.sort, &list.request)?;
    if !list.side_loads.is_empty() && list.audience.is_none() {
        return Err(ApiError::Internal(
            "a side-loading list must say who is looking".into(),
        ));
    }
    // A forward page without side loads is the rows' one statement: it needs no transaction.
    let reads = if list.side_loads.is_empty() && matches!(window, Window::After { .. }) {
        Reads::OneStatement
    } else {
        Reads::Transaction
    };
    super::stream::respond_reading(store, reads, move |reader, out| {
        let target = ListTarget {
            base: &list.base,
            path: &list.path,
            params: &list.params,
            key: &list.key,
        };
        out.write(&format!("{{{}:[", Value::String(list.key.clone())))?;
        let mut written = 0usize;
        let mut referenced: Vec<Vec<i64>> = vec![Vec::new(); list.side_loads.len()];
        let mut failure: Option<ApiError> = None;
        let query = ListQuery {
            table: list.table,
            filters: &list.filters,
            sort_column: list.sort.column,
            descending: list.sort.descending,
            window: &window,
        };
        let mut emit = |row: PageRow<'_>| -> Result<(), ApiError> {
            if written > 0 {
                out.write(",")?;
            }
            (list.serve)(row, out)?;
            written += 1;
            if !list.side_loads.is_empty() {
                let record = crate::store::parse_stored(row.json)?;
                for (ids, load) in referenced.iter_mut().zip(&list.side_loads) {
                    ids.extend((load.ids)(&record));
                }
            }
            Ok(())
        };
        let streamed = stream_page(reader, &query, &mut |row| {
            emit(row).map_err(|error| {
                failure = Some(error);
                StoreError::unavailable("the list stopped")
            })
        });
        if let Some(error) = failure {
            return Err(error);
        }
        let summary = streamed?;
        out.write("]")?;
        let mut tail = match list.request {
            PageRequest::Offset { page, per_page } => {
                offset_tail(&target, page, per_page, summary.count.unwrap_or_default())
            }
            PageRequest::Cursor { size, .. } => {
                let cursor = |row: Option<(i64, i64)>| {
                    row.map(|(id, key)| encode_cursor(&list.sort.order, key, id))
                };
                cursor_tail(
                    &target,
                    summary.more,
                    cursor(summary.first),
                    cursor(summary.last),
                    size,
                )
            }
        };
        if let Some(audience) = &list.audience
            && !list.side_loads.is_empty()
        {
            let mut with_side_loads = serde_json::Map::new();
            for (mut ids, load) in referenced.into_iter().zip(&list.side_loads) {
                ids.sort_unstable();
                ids.dedup();
                let records = reader.records(load.table, &ids)?;
                let rendered = records
                    .into_iter()
                    .map(|r| (load.render)(audience.view(load.table, r), &list.base))
                    .collect();
                with_side_loads.insert(load.name.to_string(), Value::Array(rendered));
            }
            if let Value::Object(rest) = tail {
                with_side_loads.extend(rest);
            }
            tail = Value::Object(with_side_loads);
        }
        let tail = tail.to_string();
        match tail.strip_prefix('{') {
            Some("}") | None => out.write("}"),
            Some(rest) => {
                out.write(",")?;
                out.write(rest)
            }
        }
    })
    .await
}

/// An answer whose body is JSON text built here (what `axum::Json` would have written).
pub fn json_text(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// `{"key":[items...],` then the rest of `tail` (a JSON object's text): byte for byte what
/// serializing the whole envelope as one object gives, without parsing the items again.
fn splice_items(key: &str, items: &[String], tail: &Value) -> String {
    let tail = tail.to_string();
    let size = items.iter().map(|item| item.len() + 1).sum::<usize>() + tail.len() + key.len();
    let mut out = String::with_capacity(size + 8);
    out.push('{');
    out.push_str(&Value::String(key.to_string()).to_string());
    out.push_str(":[");
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    match tail.strip_prefix('{') {
        Some("}") | None => out.push('}'),
        Some(rest) => {
            out.push(',');
            out.push_str(rest);
        }
    }
    out
}

/// `{next_page, previous_page, count}`: an offset page's envelope after its items.
fn offset_tail(target: &ListTarget<'_>, page: i64, per_page: i64, count: i64) -> Value {
    let next = (page * per_page < count).then(|| {
        page_url(
            target,
            &[
                ("page", (page + 1).to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
    });
    let previous = (page > 1).then(|| {
        page_url(
            target,
            &[
                ("page", (page - 1).to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
    });
    json!({"next_page": next, "previous_page": previous, "count": count})
}

/// `{meta, links}`: a cursor page's envelope after its items; an empty page has null cursors
/// and null links.
/// A cursor page's envelope around `items` (each one record's JSON text), for lists keyed by
/// something else than integers (webhooks, invocations): the cursors are the list's own.
pub fn cursor_envelope(
    target: &ListTarget<'_>,
    items: &[String],
    has_more: bool,
    before_cursor: Option<String>,
    after_cursor: Option<String>,
    size: i64,
) -> String {
    let tail = cursor_tail(target, has_more, before_cursor, after_cursor, size);
    splice_items(target.key, items, &tail)
}

fn cursor_tail(
    target: &ListTarget<'_>,
    has_more: bool,
    before_cursor: Option<String>,
    after_cursor: Option<String>,
    size: i64,
) -> Value {
    let next = after_cursor.as_ref().map(|c| {
        page_url(
            target,
            &[("page[after]", c.clone()), ("page[size]", size.to_string())],
        )
    });
    let prev = before_cursor.as_ref().map(|c| {
        page_url(
            target,
            &[
                ("page[before]", c.clone()),
                ("page[size]", size.to_string()),
            ],
        )
    });
    json!({
        "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor},
        "links": {"prev": prev, "next": next},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spliced envelope is exactly what serializing the whole object would give.
    #[test]
    fn spliced_envelope_matches_serde() {
        let items = vec![
            json!({"id": 1, "subject": "a \"quoted\" é"}),
            json!({"id": 2}),
        ];
        let texts: Vec<String> = items.iter().map(Value::to_string).collect();
        let tail = json!({"next_page": null, "previous_page": "http://h/x?page=1", "count": 2});
        let whole = json!({"tickets": items, "next_page": null,
            "previous_page": "http://h/x?page=1", "count": 2});
        assert_eq!(splice_items("tickets", &texts, &tail), whole.to_string());
        assert_eq!(
            splice_items("audits", &[], &json!({})),
            json!({"audits": []}).to_string()
        );
    }
}
