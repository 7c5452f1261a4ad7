//! Macros over HTTP: list (shared, personal and group macros the caller may use; `active`,
//! `access`, `group_id` filters; by position, or `sort_by` created_at / updated_at), active,
//! search (`query` in the title), the actions a macro may hold, show, create, update, delete,
//! and apply: what a macro would do, alone or on a ticket, changing nothing
//! (`rules::macros`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::http::{BaseUrl, JsonBody, Params, Query, object_under};
use super::paging::{Sort, page_request};
use super::path_id;
use super::shared::{Listing, Resource};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::rules::{macros as rules, restriction};
use crate::store::{Bind, Filter, Table, like_escape};

/// Macros as served (see `shared`).
pub struct Macros;

impl Resource for Macros {
    const TABLE: Table = Table::Macros;
    const ONE: &'static str = "macro";
    const MANY: &'static str = "macros";
}

/// `sort_by` + `sort_order` of macro and view lists (by position unless asked).
pub fn business_rule_sort(params: &Params) -> Result<Sort, ApiError> {
    let by = params.get("sort_by").unwrap_or("position");
    let column = match by {
        "position" => "position",
        "created_at" => "created_at",
        "updated_at" => "updated_at",
        "id" => "id",
        other => {
            return Err(ApiError::bad_param(format!(
                "sort_by `{other}` is not supported by the sandbox: use position, created_at, updated_at or id"
            )));
        }
    };
    // Zendesk's defaults: ascending by position, newest first by a time.
    let descending = match params.get("sort_order") {
        None => column == "created_at" || column == "updated_at",
        Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::bad_param(format!(
                "sort_order must be asc or desc, got `{other}`"
            )));
        }
    };
    Ok(Sort {
        order: format!("{column}{}", if descending { ":desc" } else { "" }),
        column,
        descending,
    })
}

/// The filters shared by macro and view lists: what the caller may see, `active`, `access`
/// (personal, shared, account) and `group_id`.
pub async fn business_rule_filters(
    state: &AppState,
    caller: &Caller,
    params: &Params,
) -> Result<Vec<Filter>, ApiError> {
    let id = caller.id;
    let groups = state
        .store()
        .read(move |reader| restriction::groups_of(reader, id))
        .await?;
    let mut filters: Vec<Filter> = restriction::visible_filter(caller, &groups)
        .into_iter()
        .collect();
    match params.get("active") {
        None => {}
        Some("true") => filters.push(Filter::Eq("active", Bind::Int(1))),
        Some("false") => filters.push(Filter::Eq("active", Bind::Int(0))),
        Some(other) => {
            return Err(ApiError::bad_value(format!(
                "active must be true or false, got `{other}`"
            )));
        }
    }
    match params.get("access") {
        None | Some("account") => {}
        Some("personal") => filters.push(Filter::NotNull("restricted_user_id")),
        Some("shared") => filters.push(Filter::Null("restricted_user_id")),
        Some(other) => {
            return Err(ApiError::bad_value(format!(
                "access must be personal, shared or account, got `{other}`"
            )));
        }
    }
    if let Some(group) = params.get("group_id") {
        let group: i64 = group.trim().parse().map_err(|_| {
            ApiError::bad_value(format!("group_id must be a numeric id, got `{group}`"))
        })?;
        filters.push(Filter::Like("restricted_group_ids", format!("%,{group},%")));
    }
    Ok(filters)
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let sort = business_rule_sort(&params)?;
    let filters = business_rule_filters(&state, &caller, &params).await?;
    Listing::new(&base, &params, request, filters)
        .sorted(sort)
        .serve::<Macros>(state.store())
        .await
}

pub async fn active(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let sort = business_rule_sort(&params)?;
    let mut filters = business_rule_filters(&state, &caller, &params).await?;
    filters.push(Filter::Eq("active", Bind::Int(1)));
    Listing::new(&base, &params, request, filters)
        .sorted(sort)
        .serve_at::<Macros>(state.store(), "macros/active")
        .await
}

/// `GET /macros/search?query=`: macros whose title holds the query.
pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let Some(query) = params.get("query").map(str::trim).filter(|q| !q.is_empty()) else {
        return Err(ApiError::bad_value(
            "query is required: words of the macro titles to find, such as query=close",
        ));
    };
    let pattern = format!("%{}%", like_escape(&query.to_lowercase()));
    let request = page_request(&params)?;
    let sort = business_rule_sort(&params)?;
    let mut filters = business_rule_filters(&state, &caller, &params).await?;
    filters.push(Filter::Like("title_lower", pattern));
    Listing::new(&base, &params, request, filters)
        .sorted(sort)
        .serve_at::<Macros>(state.store(), "macros/search")
        .await
}

pub async fn actions() -> Response {
    axum::Json(rules::definitions()).into_response()
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let record = state
        .store()
        .read(move |reader| rules::visible(reader, &caller, id))
        .await?;
    Ok(Macros::one(record, &base))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "macro")?.clone();
    let record = state
        .store()
        .write(move |tx| rules::create(tx, &caller, &input))
        .await?;
    Ok(Macros::created(record, &base))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let input = object_under(&body, "macro")?.clone();
    let record = state
        .store()
        .write(move |tx| rules::update(tx, &caller, id, &input))
        .await?;
    Ok(Macros::one(record, &base))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    state
        .store()
        .write(move |tx| rules::delete(tx, &caller, id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /macros/{id}/apply`: the fields the macro sets and its comment.
pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let result = state
        .store()
        .read(move |reader| rules::changes(reader, &caller, id))
        .await?;
    Ok(axum::Json(result).into_response())
}

/// `GET /tickets/{id}/macros/{macro_id}/apply`: the ticket as the macro would leave it and the
/// comment it would add. Nothing changes.
pub async fn apply_to_ticket(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((ticket, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (ticket, id) = (path_id(&ticket)?, path_id(&id)?);
    let mut result = state
        .store()
        .read(move |reader| rules::preview(reader, &caller, ticket, id))
        .await?;
    let rendered = super::tickets::Tickets::render(result["result"]["ticket"].take(), &base);
    result["result"]["ticket"] = rendered;
    Ok(axum::Json(result).into_response())
}
