//! Organization fields over HTTP (see `spec/ORGANIZATION_FIELDS.md`): list by position, show by
//! id or key, create, update, delete (204), reorder. Agents read; only admins write. What each
//! write does is `resources::organization_fields`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::http::{BaseUrl, JsonBody, Query, object_under};
use super::listing::Listing;
use super::paging::{Sort, page_request};
use super::resource::Resource;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::input::as_id;
use crate::resources::organization_fields;
use crate::state::AppState;
use crate::store::Table;

/// Organization fields as served (see `resource`).
pub struct OrganizationFields;

impl Resource for OrganizationFields {
    const TABLE: Table = Table::OrganizationFields;
    const ONE: &'static str = "organization_field";
    const MANY: &'static str = "organization_fields";
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
        .serve::<OrganizationFields>(state.store())
        .await
}

pub async fn show(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let field = state
        .store()
        .read(move |reader| organization_fields::find(reader, &id))
        .await?;
    Ok(OrganizationFields::one(field, &base))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "organization_field")?.clone();
    let field = state
        .store()
        .write(move |tx| organization_fields::create(tx, &caller, &input))
        .await?;
    Ok(OrganizationFields::created(field, &base))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "organization_field")?.clone();
    let field = state
        .store()
        .write(move |tx| organization_fields::update(tx, &caller, &id, &input))
        .await?;
    Ok(OrganizationFields::one(field, &base))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .store()
        .write(move |tx| organization_fields::delete(tx, &caller, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn reorder(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let ids: Vec<i64> = body
        .get("organization_field_ids")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::bad_value("the body must be {\"organization_field_ids\": [3, 4]}")
        })?
        .iter()
        .map(|v| {
            as_id(v).ok_or_else(|| {
                ApiError::bad_value(format!(
                    "organization_field_ids must hold numeric ids, got {v}"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    state
        .store()
        .write(move |tx| organization_fields::reorder(tx, &caller, &ids))
        .await?;
    Ok(axum::Json(json!({})).into_response())
}

/// This resource's endpoints and who may call each (`permissions::Who`). Account configuration: agents read, admins write.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Admins, Agents};
    vec![
        Endpoint::get("/api/v2/organization_fields", Agents, list),
        Endpoint::post("/api/v2/organization_fields", Admins, create),
        Endpoint::put("/api/v2/organization_fields/reorder", Admins, reorder),
        Endpoint::get("/api/v2/organization_fields/{id}", Agents, show),
        Endpoint::put("/api/v2/organization_fields/{id}", Admins, update),
        Endpoint::delete("/api/v2/organization_fields/{id}", Admins, delete),
    ]
}
