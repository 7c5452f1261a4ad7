//! Macros over HTTP: list (shared, personal and group macros the caller may use; `active`,
//! `access`, `group_id` filters; by position, or `sort_by` created_at / updated_at), active,
//! search (`query` in the title), the actions a macro may hold, show, create, update, delete,
//! and apply: what a macro would do, alone or on a ticket, changing nothing
//! (`business_rules::macros`).

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::business_rules::{list_filters, list_sort};
use super::endpoint::Endpoint;
use super::http::{BaseUrl, PathId, PathIds, Query};
use super::listing::Listing;
use super::paging::page_request;
use super::resource::{
    self, Create, CreateRule, Delete, DeleteRule, Resource, Show, ShowRule, Update, UpdateRule,
};
use crate::business_rules::macros;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::state::AppState;
use crate::store::{Bind, Filter, Table, like_escape};

/// Macros as served (see `resource`).
pub struct Macros;

impl Resource for Macros {
    const TABLE: Table = Table::Macros;
    const ONE: &'static str = "macro";
    const MANY: &'static str = "macros";
}

/// Only the macros the caller may use.
impl Show for Macros {
    const SHOW: ShowRule =
        |reader, caller, id| macros::visible(reader, caller.ok_or(ApiError::Unauthorized)?, id);
}

impl Create for Macros {
    const CREATE: CreateRule = macros::create;
}

impl Update for Macros {
    const UPDATE: UpdateRule = macros::update;
}

impl Delete for Macros {
    const DELETE: DeleteRule = macros::delete;
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let sort = list_sort(&params)?;
    let filters = list_filters(&state, &caller, &params).await?;
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
    let sort = list_sort(&params)?;
    let mut filters = list_filters(&state, &caller, &params).await?;
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
    let sort = list_sort(&params)?;
    let mut filters = list_filters(&state, &caller, &params).await?;
    filters.push(Filter::Like("title_lower", pattern));
    Listing::new(&base, &params, request, filters)
        .sorted(sort)
        .serve_at::<Macros>(state.store(), "macros/search")
        .await
}

pub async fn actions() -> Response {
    axum::Json(macros::definitions()).into_response()
}

/// `GET /macros/{id}/apply`: the fields the macro sets and its comment.
pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let result = state
        .store()
        .read(move |reader| macros::changes(reader, &caller, id))
        .await?;
    Ok(axum::Json(result).into_response())
}

/// `GET /tickets/{id}/macros/{macro_id}/apply`: the ticket as the macro would leave it and the
/// comment it would add. Nothing changes.
pub async fn apply_to_ticket(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathIds(ticket, id): PathIds,
) -> Result<Response, ApiError> {
    let mut result = state
        .store()
        .read(move |reader| macros::preview(reader, &caller, ticket, id))
        .await?;
    let rendered = super::tickets::Tickets::render(result["result"]["ticket"].take(), &base);
    result["result"]["ticket"] = rendered;
    Ok(axum::Json(result).into_response())
}

/// This resource's endpoints and who may call each (`permissions::Who`). Agents use the shared ones, their groups' and their own; admins manage all (an agent's new macro is personal).
pub fn endpoints() -> Vec<Endpoint> {
    use Who::Agents;
    vec![
        Endpoint::get("/api/v2/macros", Agents, list),
        Endpoint::post("/api/v2/macros", Agents, resource::create::<Macros>),
        Endpoint::get("/api/v2/macros/active", Agents, active),
        Endpoint::get("/api/v2/macros/search", Agents, search),
        Endpoint::get("/api/v2/macros/actions", Agents, actions),
        Endpoint::get("/api/v2/macros/{id}", Agents, resource::show::<Macros>),
        Endpoint::put("/api/v2/macros/{id}", Agents, resource::update::<Macros>),
        Endpoint::delete("/api/v2/macros/{id}", Agents, resource::delete::<Macros>),
        Endpoint::get("/api/v2/macros/{id}/apply", Agents, apply),
        Endpoint::get(
            "/api/v2/tickets/{id}/macros/{macro_id}/apply",
            Agents,
            apply_to_ticket,
        ),
    ]
}
