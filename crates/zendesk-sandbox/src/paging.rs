//! Zendesk's two pagination styles and their envelopes.
//!
//! Cursor (`page[size]`, `page[after]`, `page[before]`): `meta {has_more, after_cursor,
//! before_cursor}` and `links {prev, next}`; on the last non-empty page `has_more` is false but
//! `links.next` is still a URL, and following it yields an empty page with null cursors and
//! links. Offset (`page`, `per_page`): `next_page`, `previous_page`, `count`, and no deeper than
//! 10,000 records. A list uses cursor paging as soon as any `page[...]` parameter is present.

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::store::{Filter, Store, Window};
use crate::util::Params;

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

/// Reads the paging parameters; `max_size` is the largest `page[size]` allowed.
pub fn page_request(params: &Params, max_size: i64) -> Result<PageRequest, ApiError> {
    let cursor =
        params.has("page[size]") || params.has("page[after]") || params.has("page[before]");
    if cursor {
        let size = match params.get("page[size]") {
            None => 100.min(max_size),
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n) if (1..=max_size).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad_param(format!(
                        "page[size] must be an integer between 1 and {max_size}, got `{raw}`"
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
        None => 100,
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if n >= 1 => n.min(100),
            _ => {
                return Err(ApiError::bad_param(format!(
                    "per_page must be an integer between 1 and 100, got `{raw}`"
                )));
            }
        },
    };
    Ok(PageRequest::Offset { page, per_page })
}

/// Refuses offset pages beyond the first 10,000 records.
pub fn check_depth(page: i64, per_page: i64) -> Result<(), ApiError> {
    if page.saturating_mul(per_page) > 10_000 {
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

/// Fetches one page of `table` and wraps it in the right envelope; `render` turns each stored
/// record into what is served.
pub async fn list(
    store: &Store,
    table: &str,
    filters: &[Filter],
    sort: &Sort,
    request: &PageRequest,
    target: &ListTarget<'_>,
    render: impl Fn(Value) -> Value,
) -> Result<Value, ApiError> {
    match request {
        PageRequest::Offset { page, per_page } => {
            check_depth(*page, *per_page)?;
            let window = Window::Offset {
                page: *page,
                per_page: *per_page,
            };
            let rows = store
                .list_page(table, filters, sort.column, sort.descending, &window)
                .await?;
            let items: Vec<Value> = rows.rows.into_iter().map(|(_, _, j)| render(j)).collect();
            Ok(offset_envelope(
                target,
                items,
                *page,
                *per_page,
                rows.count.unwrap_or_default(),
            ))
        }
        PageRequest::Cursor {
            after,
            before,
            size,
        } => {
            let window = match (before, after) {
                (Some(before), _) => Window::Before {
                    key: decode_cursor(before, &sort.order, "page[before]")?,
                    size: *size,
                },
                (None, Some(after)) => Window::After {
                    key: Some(decode_cursor(after, &sort.order, "page[after]")?),
                    size: *size,
                },
                (None, None) => Window::After {
                    key: None,
                    size: *size,
                },
            };
            let rows = store
                .list_page(table, filters, sort.column, sort.descending, &window)
                .await?;
            let first = rows.rows.first().map(|(id, key, _)| (*key, *id));
            let last = rows.rows.last().map(|(id, key, _)| (*key, *id));
            let items: Vec<Value> = rows.rows.into_iter().map(|(_, _, j)| render(j)).collect();
            Ok(cursor_envelope(
                target,
                items,
                rows.more,
                first.map(|(k, id)| encode_cursor(&sort.order, k, id)),
                last.map(|(k, id)| encode_cursor(&sort.order, k, id)),
                *size,
            ))
        }
    }
}

/// `{key: items, next_page, previous_page, count}`.
pub fn offset_envelope(
    target: &ListTarget<'_>,
    items: Vec<Value>,
    page: i64,
    per_page: i64,
    count: i64,
) -> Value {
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
    let mut out = Map::new();
    out.insert(target.key.to_string(), Value::Array(items));
    out.insert("next_page".into(), json!(next));
    out.insert("previous_page".into(), json!(previous));
    out.insert("count".into(), json!(count));
    Value::Object(out)
}

/// `{key: items, meta, links}`; an empty page has null cursors and null links.
pub fn cursor_envelope(
    target: &ListTarget<'_>,
    items: Vec<Value>,
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
    let mut out = Map::new();
    out.insert(target.key.to_string(), Value::Array(items));
    out.insert(
        "meta".into(),
        json!({"has_more": has_more, "after_cursor": after_cursor, "before_cursor": before_cursor}),
    );
    out.insert("links".into(), json!({"prev": prev, "next": next}));
    Value::Object(out)
}
