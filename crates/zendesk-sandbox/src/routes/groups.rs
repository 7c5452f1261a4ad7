//! Groups: list, show, create, update, delete (soft, 204, as Zendesk does). Agents read; admins
//! write.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::path_id;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::paging::{ListTarget, Sort, list as list_page, page_request};
use crate::store::{self, Filter, Table};
use crate::util::{BaseUrl, JsonBody, Query, iso, now, object_under, opt_bool, opt_str, with_url};

/// A group as served.
pub fn render(group: Value, base: &str) -> Value {
    let id = group.get("id").and_then(Value::as_i64).unwrap_or_default();
    with_url(group, base, &format!("groups/{id}"))
}

fn apply(
    group: &mut Value,
    input: &serde_json::Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    match opt_str(input, "name")? {
        Some(Some(name)) if !name.trim().is_empty() => group["name"] = json!(name.trim()),
        Some(_) => {
            return Err(ApiError::invalid(
                "name",
                "Name: cannot be blank",
                "BlankValue",
            ));
        }
        None if creating => {
            return Err(ApiError::invalid(
                "name",
                "Name: cannot be blank",
                "BlankValue",
            ));
        }
        None => {}
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
    let filters = vec![Filter::new("deleted = 0", vec![])];
    let target = ListTarget {
        base: &base,
        path: "groups",
        params: &params,
        key: "groups",
    };
    let body = list_page(
        &state.inner.store,
        "groups",
        &filters,
        &Sort::by_id(),
        &request,
        &target,
        |g| render(g, &base),
    )
    .await?;
    Ok(axum::Json(body).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let id = path_id(&id)?;
    let group = state
        .inner
        .store
        .get(Table::Groups, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(axum::Json(json!({"group": render(group, &base)})).into_response())
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
    let group = render(group, &base);
    let location = group["url"].as_str().unwrap_or_default().to_string();
    let mut response = (StatusCode::CREATED, axum::Json(json!({"group": group}))).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
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
    let mut group = store::get_json(&mut tx, Table::Groups, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    apply(&mut group, input, false)?;
    group["updated_at"] = json!(iso(now()));
    store::save_group(&mut tx, &group).await?;
    tx.commit().await?;
    Ok(axum::Json(json!({"group": render(group, &base)})).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let id = path_id(&id)?;
    let mut tx = state.inner.store.begin().await?;
    let mut group = store::get_json(&mut tx, Table::Groups, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    group["deleted"] = json!(true);
    group["updated_at"] = json!(iso(now()));
    store::save_group(&mut tx, &group).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
