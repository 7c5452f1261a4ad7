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
use serde_json::{Value, json};
use zendesk_query::SortOrder;
use zendesk_query::keywords::RecordType;

use super::audience::Audience;
use super::endpoint::Endpoint;
use super::http::{BaseUrl, Params, Query, with_url};
use super::paging::MAX_PAGE_SIZE;
use super::stream::{self, Out};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::search::{
    EXPORT_PAGE_LIMIT, ExportRequest, SEARCH_RESULT_LIMIT, SearchError, SearchRequest, SortField,
    count_records, export_stream, search_stream,
};
use crate::state::AppState;
use crate::store::{Reader, Store, Table};
use crate::util::now;

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    search_response(state.store(), &caller, &params, &base).await
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
    export_response(state.store(), &caller, &params, &base).await
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

/// Reads `/search`'s parameters into a request.
fn search_request(params: &Params) -> Result<SearchRequest, ApiError> {
    let query = required_query(params)?;
    let page = integer_param(params, "page", 1, 1..=i64::MAX)?;
    // Above the largest page is served as the largest, as the other offset lists do.
    let per_page =
        integer_param(params, "per_page", MAX_PAGE_SIZE, 1..=i64::MAX)?.min(MAX_PAGE_SIZE);
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
    Ok(SearchRequest {
        query,
        sort_by,
        sort_order,
        page,
        per_page,
    })
}

/// Reads `/search/export`'s parameters into a request.
fn export_request(params: &Params) -> Result<ExportRequest, ApiError> {
    let record_type = match params.get("filter[type]") {
        None => return Err(SearchError::MissingFilterType.into()),
        Some(raw) => RecordType::from_word(raw.trim()).ok_or_else(|| {
            ApiError::from(SearchError::InvalidParameter(format!(
                "filter[type] must be one of ticket, user, organization, group, got `{raw}`"
            )))
        })?,
    };
    Ok(ExportRequest {
        query: required_query(params)?,
        record_type,
        page_size: integer_param(params, "page[size]", 100, 1..=EXPORT_PAGE_LIMIT)?,
        after: params.get("page[after]").map(str::to_string),
    })
}

/// A result as served: its `url`, the record as the audience may see it, `result_type`.
fn result_text(
    rt: RecordType,
    json: &str,
    audience: &Audience,
    base: &str,
) -> Result<String, ApiError> {
    let record = crate::store::parse_stored(json)?;
    Ok(render(rt, audience.view(table_of(rt), record), base).to_string())
}

/// Writes `/search`'s answer, one result at a time.
fn write_search(
    reader: &mut dyn Reader,
    out: &mut dyn Out,
    request: &SearchRequest,
    ask: &Asked,
) -> Result<(), ApiError> {
    out.write("{\"results\":[")?;
    let mut written = 0;
    let mut failure = None;
    let searched = search_stream(reader, &ask.caller, request, ask.now, &mut |rt, json| {
        let step = result_text(rt, json, &ask.audience, &ask.base).and_then(|text| {
            if written > 0 {
                out.write(",")?;
            }
            written += 1;
            out.write(&text)
        });
        step.map_err(|error| {
            failure = Some(error);
            SearchError::InvalidParameter(String::new())
        })
    });
    if let Some(error) = failure {
        return Err(error);
    }
    let count = searched?;
    let (page, per_page) = (request.page, request.per_page);
    let next_reachable = (page + 1).saturating_mul(per_page) <= SEARCH_RESULT_LIMIT;
    let page_link = |to: i64| {
        page_url(
            &ask.base,
            "search",
            &ask.params,
            &[("page", to.to_string()), ("per_page", per_page.to_string())],
        )
    };
    let next_page =
        (page.saturating_mul(per_page) < count && next_reachable).then(|| page_link(page + 1));
    let previous_page = (page > 1).then(|| page_link(page - 1));
    out.write(&format!(
        "],\"facets\":null,\"next_page\":{},\"previous_page\":{},\"count\":{count}}}",
        json!(next_page),
        json!(previous_page)
    ))
}

/// Writes `/search/export`'s answer, one record at a time.
fn write_export(
    reader: &mut dyn Reader,
    out: &mut dyn Out,
    request: &ExportRequest,
    ask: &Asked,
) -> Result<(), ApiError> {
    out.write("{\"results\":[")?;
    let mut written = 0;
    let mut failure = None;
    let rt = request.record_type;
    let exported = export_stream(reader, &ask.caller, request, ask.now, &mut |json| {
        let step = result_text(rt, json, &ask.audience, &ask.base).and_then(|text| {
            if written > 0 {
                out.write(",")?;
            }
            written += 1;
            out.write(&text)
        });
        step.map_err(|error| {
            failure = Some(error);
            SearchError::InvalidParameter(String::new())
        })
    });
    if let Some(error) = failure {
        return Err(error);
    }
    let (has_more, after_cursor) = exported?;
    let next = after_cursor.as_ref().map(|cursor| {
        page_url(
            &ask.base,
            "search/export",
            &ask.params,
            &[
                ("page[after]", cursor.clone()),
                ("page[size]", request.page_size.to_string()),
            ],
        )
    });
    let tail = json!({
        "facets": null,
        "meta": {"has_more": has_more, "after_cursor": after_cursor, "before_cursor": null},
        "links": {"prev": null, "next": next},
    })
    .to_string();
    out.write("],")?;
    out.write(tail.strip_prefix('{').unwrap_or(&tail))
}

/// Who asked, when, and where their answer's links point.
struct Asked {
    caller: Caller,
    audience: Audience,
    params: Params,
    base: String,
    now: i64,
}

impl Asked {
    async fn new(
        store: &Store,
        caller: &Caller,
        params: &Params,
        base: &str,
    ) -> Result<Asked, ApiError> {
        Ok(Asked {
            caller: caller.clone(),
            audience: Audience::of(store, caller).await?,
            params: params.clone(),
            base: base.to_string(),
            now: now(),
        })
    }
}

/// A streamed `/search` answer.
async fn search_response(
    store: &Store,
    caller: &Caller,
    params: &Params,
    base: &str,
) -> Result<Response, ApiError> {
    let request = search_request(params)?;
    let asked = Asked::new(store, caller, params, base).await?;
    stream::respond(store, move |reader, out| {
        write_search(reader, out, &request, &asked)
    })
    .await
}

/// A streamed `/search/export` answer.
async fn export_response(
    store: &Store,
    caller: &Caller,
    params: &Params,
    base: &str,
) -> Result<Response, ApiError> {
    let request = export_request(params)?;
    let asked = Asked::new(store, caller, params, base).await?;
    stream::respond(store, move |reader, out| {
        write_export(reader, out, &request, &asked)
    })
    .await
}

/// `GET /api/v2/search`'s body, whole (for tests of the search layer).
/// This resource's endpoints and who may call each (`permissions::Who`). End-users find their own tickets and themselves.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::SignedIn;
    vec![
        Endpoint::get("/api/v2/search", SignedIn, search),
        Endpoint::get("/api/v2/search/count", SignedIn, count),
        Endpoint::get("/api/v2/search/export", SignedIn, export),
    ]
}

#[cfg(test)]
pub(crate) async fn search_body(
    store: &Store,
    caller: &Caller,
    params: &Params,
    base: &str,
) -> Result<Value, ApiError> {
    let request = search_request(params)?;
    let asked = Asked::new(store, caller, params, base).await?;
    collected(store, move |reader, out| {
        write_search(reader, out, &request, &asked)
    })
    .await
}

/// `GET /api/v2/search/export`'s body, whole (for tests of the search layer).
#[cfg(test)]
pub(crate) async fn export_body(
    store: &Store,
    caller: &Caller,
    params: &Params,
    base: &str,
) -> Result<Value, ApiError> {
    let request = export_request(params)?;
    let asked = Asked::new(store, caller, params, base).await?;
    collected(store, move |reader, out| {
        write_export(reader, out, &request, &asked)
    })
    .await
}

#[cfg(test)]
async fn collected<F>(store: &Store, write: F) -> Result<Value, ApiError>
where
    F: FnOnce(&mut dyn Reader, &mut dyn Out) -> Result<(), ApiError> + Send + 'static,
{
    let text = store
        .read(move |reader| {
            let mut text = String::new();
            write(reader, &mut text)?;
            Ok::<_, ApiError>(text)
        })
        .await?;
    Ok(serde_json::from_str(&text)?)
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
