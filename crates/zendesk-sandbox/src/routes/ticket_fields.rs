//! Ticket fields over HTTP: list (by position; cursor or offset), show, create, update, delete
//! (204; system fields refuse). Agents read; only admins write (`rules::ticket_fields`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::http::{BaseUrl, JsonBody, Query, object_under};
use super::paging::{Sort, page_request};
use super::path_id;
use super::shared::{Listing, Resource, fetch};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::rules::ticket_fields as rules;
use crate::store::Table;

/// Ticket fields as served (see `shared`).
pub struct TicketFields;

impl Resource for TicketFields {
    const TABLE: Table = Table::TicketFields;
    const ONE: &'static str = "ticket_field";
    const MANY: &'static str = "ticket_fields";
}

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let sort = Sort {
        order: "position".into(),
        column: "position",
        descending: false,
    };
    Listing::new(&base, &params, request, Vec::new())
        .sorted(sort)
        .serve::<TicketFields>(state.store())
        .await
}

pub async fn show(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let field = fetch(state.store(), Table::TicketFields, id).await?;
    Ok(TicketFields::one(field, &base))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "ticket_field")?.clone();
    let field = state
        .store()
        .write(move |tx| rules::create(tx, &caller, &input))
        .await?;
    Ok(TicketFields::created(field, &base))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let input = object_under(&body, "ticket_field")?.clone();
    let field = state
        .store()
        .write(move |tx| rules::update(tx, &caller, id, &input))
        .await?;
    Ok(TicketFields::one(field, &base))
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
