//! Views over HTTP: list and active (what the caller may see, as macros), show, create, update,
//! delete, and running one: its tickets (a ticket list, cursor or offset, in the view's order
//! or `sort_by`/`sort_order`), its rows (`execute`: the view's columns for each ticket), and
//! how many tickets it holds (`count`, `count_many`). Which tickets a view selects is
//! `business_rules::views::selection`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::audience::Audience;
use super::business_rules::{list_filters, list_sort};
use super::endpoint::Endpoint;
use super::http::{BaseUrl, Params, PathId, Query};
use super::listing::Listing;
use super::paging::{self, ListTarget, Sort, page_request};
use super::resource::{
    self, Create, CreateRule, Delete, DeleteRule, Resource, Show, ShowRule, Update, UpdateRule,
};
use super::tickets::{TICKET_SIDE_LOADS, Tickets};
use crate::business_rules::views;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::state::AppState;
use crate::store::{Bind, Filter, Table};

/// Views as served (see `resource`).
pub struct Views;

impl Resource for Views {
    const TABLE: Table = Table::Views;
    const ONE: &'static str = "view";
    const MANY: &'static str = "views";
}

/// Only the views the caller may use.
impl Show for Views {
    const SHOW: ShowRule =
        |reader, caller, id| views::visible(reader, caller.ok_or(ApiError::Unauthorized)?, id);
}

impl Create for Views {
    const CREATE: CreateRule = views::create;
}

impl Update for Views {
    const UPDATE: UpdateRule = views::update;
}

impl Delete for Views {
    const DELETE: DeleteRule = views::delete;
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
        .serve::<Views>(state.store())
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
        .serve_at::<Views>(state.store(), "views/active")
        .await
}

/// The view (if `caller` may see it), the tickets it selects (live ones), and their order:
/// the view's own, or `sort_by` / `sort_order` from the query.
async fn run(
    state: &AppState,
    caller: &Caller,
    id: i64,
    params: &Params,
) -> Result<(Value, Vec<Filter>, Sort), ApiError> {
    let caller = caller.clone();
    let (view, selection) = state
        .store()
        .read(move |reader| {
            let view = views::visible(reader, &caller, id)?;
            let selection = views::selection(reader, &caller, &view)?;
            Ok::<_, ApiError>((view, selection))
        })
        .await?;
    let mut filters = vec![Filter::Live(Table::Tickets)];
    filters.extend(selection.filters);
    let mut sort = Sort {
        order: selection.sort_name,
        column: selection.sort_column,
        descending: selection.descending,
    };
    if let Some(by) = params.get("sort_by") {
        let (name, column) = match by {
            "nice_id" | "id" => ("nice_id", "id"),
            "status" => ("status", "status_rank"),
            "priority" => ("priority", "priority_rank"),
            "created" | "created_at" => ("created", "created_at"),
            "updated" | "updated_at" => ("updated", "updated_at"),
            other => {
                return Err(ApiError::bad_param(format!(
                    "sort_by `{other}` is not supported by the sandbox: use nice_id, status, priority, created or updated"
                )));
            }
        };
        let descending = match params.get("sort_order") {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::bad_param(format!(
                    "sort_order must be asc or desc, got `{other}`"
                )));
            }
        };
        sort = Sort {
            order: format!("view:{name}{}", if descending { ":desc" } else { "" }),
            column,
            descending,
        };
    }
    Ok((view, filters, sort))
}

/// `GET /views/{id}/tickets`: the view's tickets as a ticket list.
pub async fn tickets(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let (_, filters, sort) = run(&state, &caller, id, &params).await?;
    let audience = Audience::of(state.store(), &caller).await?;
    Listing::new(&base, &params, request, filters)
        .sorted(sort)
        .shown_to(&audience)
        .side_loading(&TICKET_SIDE_LOADS)
        .serve_at::<Tickets>(state.store(), &format!("views/{id}/tickets"))
        .await
}

/// `GET /views/{id}/execute`: a row per ticket with the view's columns.
pub async fn execute(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let (view, filters, sort) = run(&state, &caller, id, &params).await?;
    let page = paging::fetch(state.store(), Table::Tickets, filters, &sort, &request).await?;
    let items = page
        .rows
        .iter()
        .map(|(_, _, stored)| {
            let ticket = crate::store::parse_stored(stored)?;
            Ok(views::row(&view, &ticket).to_string())
        })
        .collect::<Result<Vec<String>, ApiError>>()?;
    let path = format!("views/{id}/execute");
    let target = ListTarget {
        base: &base,
        path: &path,
        params: &params,
        key: "rows",
    };
    let side = vec![
        ("columns".to_string(), view["execution"]["columns"].clone()),
        (
            "view".to_string(),
            json!({"id": id, "url": Views::url(&base, id)}),
        ),
        ("groups".to_string(), json!([])),
    ];
    Ok(paging::json_text(page.envelope_with(&target, &items, side)))
}

async fn count_of(
    state: &AppState,
    caller: &Caller,
    id: i64,
    base: &str,
) -> Result<Value, ApiError> {
    let (view, filters, _) = run(state, caller, id, &Params::default()).await?;
    let value = state
        .store()
        .read(move |reader| reader.count(Table::Tickets, &filters))
        .await?;
    Ok(json!({
        "view_id": id, "url": format!("{base}/api/v2/views/{id}/count.json"), "value": value,
        "pretty": value.to_string(), "fresh": true, "active": view["active"]
    }))
}

/// `GET /views/{id}/count`.
pub async fn count(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let count = count_of(&state, &caller, id, &base).await?;
    Ok(axum::Json(json!({ "view_count": count })).into_response())
}

/// `GET /views/count_many?ids=1,2`: the counts of the views the caller may see.
pub async fn count_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let ids = super::bulk::required_ids(&params, "views to count")?;
    let mut counts = Vec::new();
    for id in ids {
        match count_of(&state, &caller, id, &base).await {
            Ok(count) => counts.push(count),
            Err(ApiError::NotFound) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(axum::Json(json!({ "view_counts": counts })).into_response())
}

/// This resource's endpoints and who may call each (`permissions::Who`). As macros: agents use the shared ones, their groups' and their own; admins manage all.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::Agents;
    vec![
        Endpoint::get("/api/v2/views", Agents, list),
        Endpoint::post("/api/v2/views", Agents, resource::create::<Views>),
        Endpoint::get("/api/v2/views/active", Agents, active),
        Endpoint::get("/api/v2/views/count_many", Agents, count_many),
        Endpoint::get("/api/v2/views/{id}", Agents, resource::show::<Views>),
        Endpoint::put("/api/v2/views/{id}", Agents, resource::update::<Views>),
        Endpoint::delete("/api/v2/views/{id}", Agents, resource::delete::<Views>),
        Endpoint::get("/api/v2/views/{id}/execute", Agents, execute),
        Endpoint::get("/api/v2/views/{id}/tickets", Agents, tickets),
        Endpoint::get("/api/v2/views/{id}/count", Agents, count),
    ]
}
