//! `/search`, `/search/count` and `/search/export` over HTTP: request parameters in, Zendesk's
//! envelopes out. The query language, its compilation to SQL and the paging rules live in
//! `crate::search`.
//!
//! - `/search`: `query` required; `page` >= 1, `per_page` 1..=100 (larger values served as
//!   100); `sort_by` and `sort_order` (the parameters win over `order_by:` / `sort:` in the
//!   query); `next_page` is null when the next page would pass the 1,000-result limit.
//! - `/search/export`: `filter[type]` required; `page[size]` 1..=1000; cursor links.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use zendesk_query::SortOrder;
use zendesk_query::keywords::RecordType;

use super::http::{BaseUrl, Params, Query, with_url};
use super::shared::Viewer;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::search::{
    EXPORT_PAGE_LIMIT, ExportRequest, SEARCH_RESULT_LIMIT, SearchError, SearchRequest, SortField,
    count_records, export_records, search_records,
};
use crate::store::{Store, Table};
use crate::util::now;

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let body = search_body(state.store(), &caller, &params, &base).await?;
    Ok(axum::Json(body).into_response())
}

pub async fn count(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let body = count_body(state.store(), &caller, &params).await?;
    Ok(axum::Json(body).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let body = export_body(state.store(), &caller, &params, &base).await?;
    Ok(axum::Json(body).into_response())
}

fn url_path(rt: RecordType, id: Option<i64>) -> String {
    let plural = match rt {
        RecordType::Ticket => "tickets",
        RecordType::User => "users",
        RecordType::Organization => "organizations",
        RecordType::Group => "groups",
    };
    format!("{plural}/{}", id.unwrap_or_default())
}

/// A stored record as a search result: absolute `url` first, `result_type` added.
fn table_of(rt: RecordType) -> Table {
    match rt {
        RecordType::Ticket => Table::Tickets,
        RecordType::User => Table::Users,
        RecordType::Organization => Table::Organizations,
        RecordType::Group => Table::Groups,
    }
}

fn render(rt: RecordType, json: Value, base: &str) -> Value {
    let id = json.get("id").and_then(Value::as_i64);
    let mut out = with_url(json, base, &url_path(rt, id));
    if let Value::Object(map) = &mut out {
        map.insert("result_type".into(), json!(rt.as_str()));
    }
    out
}

fn required_query(params: &Params) -> Result<String, ApiError> {
    match params.get("query") {
        Some(q) if !q.trim().is_empty() => Ok(q.to_string()),
        _ => Err(ApiError::bad_value(
            "query is required: a search such as `type:ticket status:open`",
        )),
    }
}

fn integer_param(
    params: &Params,
    key: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    match params.get(key) {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ApiError::bad_param(format!(
                "{key} must be an integer between {} and {}, got `{raw}`",
                range.start(),
                range.end()
            ))),
        },
    }
}

/// `{base}/api/v2/{path}.json?` with the request's parameters, `replace`d keys swapped in.
fn page_url(base: &str, path: &str, params: &Params, replace: &[(&str, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &params.0 {
        if !replace.iter().any(|(r, _)| r == k) {
            query.append_pair(k, v);
        }
    }
    for (k, v) in replace {
        query.append_pair(k, v);
    }
    format!("{base}/api/v2/{path}.json?{}", query.finish())
}

/// `GET /api/v2/search`.
pub(crate) async fn search_body(
    store: &Store,
    caller: &Caller,
    params: &Params,
    base: &str,
) -> Result<Value, ApiError> {
    let query = required_query(params)?;
    let page = integer_param(params, "page", 1, 1..=i64::MAX)?;
    // Above 100 is served as 100, as the other offset lists do (clients ask for more).
    let per_page = integer_param(params, "per_page", 100, 1..=i64::MAX)?.min(100);
    let sort_by = match params.get("sort_by") {
        None => None,
        Some(raw) => Some(SortField::parse(raw).ok_or_else(|| {
            ApiError::bad_value(format!(
                "sort_by must be one of updated_at, created_at, priority, status, ticket_type, got `{raw}`"
            ))
        })?),
    };
    let sort_order = match params
        .get("sort_order")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => None,
        Some("asc") => Some(SortOrder::Asc),
        Some("desc") => Some(SortOrder::Desc),
        Some(other) => {
            return Err(ApiError::bad_value(format!(
                "sort_order must be asc or desc, got `{other}`"
            )));
        }
    };
    let request = SearchRequest {
        query,
        sort_by,
        sort_order,
        page,
        per_page,
    };
    let found = search_records(store, caller, &request, now()).await?;
    let viewer = Viewer::of(store, caller).await?;
    let results: Vec<Value> = found
        .results
        .into_iter()
        .map(|(rt, json)| render(rt, viewer.view(table_of(rt), json), base))
        .collect();
    let next_reachable = (page + 1).saturating_mul(per_page) <= SEARCH_RESULT_LIMIT;
    let next_page = (page.saturating_mul(per_page) < found.count && next_reachable).then(|| {
        page_url(
            base,
            "search",
            params,
            &[
                ("page", (page + 1).to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
    });
    let previous_page = (page > 1).then(|| {
        page_url(
            base,
            "search",
            params,
            &[
                ("page", (page - 1).to_string()),
                ("per_page", per_page.to_string()),
            ],
        )
    });
    let mut body = Map::new();
    body.insert("results".into(), Value::Array(results));
    body.insert("facets".into(), Value::Null);
    body.insert("next_page".into(), json!(next_page));
    body.insert("previous_page".into(), json!(previous_page));
    body.insert("count".into(), json!(found.count));
    Ok(Value::Object(body))
}

/// `GET /api/v2/search/count`.
pub(crate) async fn count_body(
    store: &Store,
    caller: &Caller,
    params: &Params,
) -> Result<Value, ApiError> {
    let query = required_query(params)?;
    let count = count_records(store, caller, &query, now()).await?;
    Ok(json!({ "count": count }))
}

/// `GET /api/v2/search/export`.
pub(crate) async fn export_body(
    store: &Store,
    caller: &Caller,
    params: &Params,
    base: &str,
) -> Result<Value, ApiError> {
    let record_type = match params.get("filter[type]") {
        None => return Err(SearchError::MissingFilterType.into()),
        Some(raw) => RecordType::from_word(raw.trim()).ok_or_else(|| {
            ApiError::from(SearchError::InvalidParameter(format!(
                "filter[type] must be one of ticket, user, organization, group, got `{raw}`"
            )))
        })?,
    };
    let query = required_query(params)?;
    let page_size = integer_param(params, "page[size]", 100, 1..=EXPORT_PAGE_LIMIT)?;
    let request = ExportRequest {
        query,
        record_type,
        page_size,
        after: params.get("page[after]").map(str::to_string),
    };
    let page = export_records(store, caller, &request, now()).await?;
    let next = page.after_cursor.as_ref().map(|cursor| {
        page_url(
            base,
            "search/export",
            params,
            &[
                ("page[after]", cursor.clone()),
                ("page[size]", page_size.to_string()),
            ],
        )
    });
    let viewer = Viewer::of(store, caller).await?;
    let results: Vec<Value> = page
        .results
        .into_iter()
        .map(|json| render(record_type, viewer.view(table_of(record_type), json), base))
        .collect();
    Ok(json!({
        "results": results,
        "facets": null,
        "meta": {
            "has_more": page.has_more,
            "after_cursor": page.after_cursor,
            "before_cursor": null,
        },
        "links": {"prev": null, "next": next},
    }))
}
