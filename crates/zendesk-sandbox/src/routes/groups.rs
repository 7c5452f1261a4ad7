//! Groups over HTTP: list, show, create, update, delete (soft, 204, as Zendesk does). Agents
//! read; admins write (`rules::groups`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::http::{BaseUrl, JsonBody, Query, object_under};
use super::paging::page_request;
use super::path_id;
use super::shared::{Listing, Resource, fetch};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::rules::groups as rules;
use crate::store::Table;

/// Groups as served (see `shared`).
pub struct Groups;

impl Resource for Groups {
    const TABLE: Table = Table::Groups;
    const ONE: &'static str = "group";
    const MANY: &'static str = "groups";
}

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    Listing::new(&base, &params, request, Vec::new())
        .serve::<Groups>(state.store())
        .await
}

pub async fn show(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let group = fetch(state.store(), Table::Groups, id).await?;
    Ok(Groups::one(group, &base))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "group")?.clone();
    let group = state
        .store()
        .write(move |tx| rules::create(tx, &caller, &input))
        .await?;
    Ok(Groups::created(group, &base))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let input = object_under(&body, "group")?.clone();
    let group = state
        .store()
        .write(move |tx| rules::update(tx, &caller, id, &input))
        .await?;
    Ok(Groups::one(group, &base))
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
