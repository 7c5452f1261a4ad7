//! Groups: list, show, create, update, delete (soft, 204, as Zendesk does). Agents read; admins
//! write.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::path_id;
use super::shared::{Listing, Resource, fetch, fetch_in, required_text};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::paging::page_request;
use crate::store::{self, Table};
use crate::util::{BaseUrl, JsonBody, Query, iso, now, object_under, opt_bool, opt_str};

/// Groups as served (see `shared`).
pub struct Groups;

impl Resource for Groups {
    const TABLE: Table = Table::Groups;
    const ONE: &'static str = "group";
    const MANY: &'static str = "groups";
}

fn apply(
    group: &mut Value,
    input: &serde_json::Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    if let Some(name) = required_text(input, "name", creating)? {
        group["name"] = json!(name.trim());
    }
    if let Some(description) = opt_str(input, "description")? {
        group["description"] = json!(description.unwrap_or_default());
    }
    if let Some(public) = opt_bool(input, "is_public")? {
        group["is_public"] = json!(public);
    }
    Ok(())
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let request = page_request(&params, 100)?;
    Listing::new(&base, &params, request, Vec::new())
        .serve::<Groups>(&state.inner.store)
        .await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let id = path_id(&id)?;
    let group = fetch(&state.inner.store, Table::Groups, id).await?;
    Ok(Groups::one(group, &base))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let input = object_under(&body, "group")?;
    let mut tx = state.inner.store.begin().await?;
    let at = iso(now());
    let id = store::next_row_id(&mut tx, "groups").await?;
    let mut group = json!({
        "id": id, "is_public": true, "name": "", "description": "", "default": false,
        "deleted": false, "created_at": at, "updated_at": at
    });
    apply(&mut group, input, true)?;
    store::save_group(&mut tx, &group).await?;
    tx.commit().await?;
    Ok(Groups::created(group, &base))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let id = path_id(&id)?;
    let input = object_under(&body, "group")?;
    let mut tx = state.inner.store.begin().await?;
    let mut group = fetch_in(&mut tx, Table::Groups, id).await?;
    apply(&mut group, input, false)?;
    group["updated_at"] = json!(iso(now()));
    store::save_group(&mut tx, &group).await?;
    tx.commit().await?;
    Ok(Groups::one(group, &base))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let id = path_id(&id)?;
    let mut tx = state.inner.store.begin().await?;
    let mut group = fetch_in(&mut tx, Table::Groups, id).await?;
    group["deleted"] = json!(true);
    group["updated_at"] = json!(iso(now()));
    store::save_group(&mut tx, &group).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
