//! Zendesk's OAuth Clients API over HTTP (admins): list, show, create, update, delete, and
//! `generate_secret`. A confidential client's secret is in the answer that made it, and never
//! again. What each does is in `resources::oauth_clients`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::http::{BaseUrl, JsonBody, PathId, object_under};
use super::resource::created_response;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::oauth_clients;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
) -> Result<Response, ApiError> {
    let rows = state
        .store()
        .read(|tx| Ok::<_, ApiError>(tx.oauth_clients()?))
        .await?;
    let clients: Vec<Value> = rows
        .iter()
        .map(|row| oauth_clients::client_json(row, &base))
        .collect();
    let count = clients.len();
    Ok(axum::Json(json!({
        "clients": clients, "next_page": null, "previous_page": null, "count": count,
    }))
    .into_response())
}

pub async fn show(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let row = state
        .store()
        .read(move |tx| oauth_clients::fetch(tx, id))
        .await?;
    Ok(axum::Json(json!({ "client": oauth_clients::client_json(&row, &base) })).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "client")?.clone();
    let secrets = state.inner.secrets.clone();
    let made = state
        .store()
        .write(move |tx| oauth_clients::create(tx, &secrets, &caller, &input))
        .await?;
    let id = made.row.json["id"].as_i64().unwrap_or_default();
    Ok(created_response(
        json!({ "client": made.shown(&base) }),
        &format!("{base}/api/v2/oauth/clients/{id}.json"),
    ))
}

pub async fn update(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "client")?.clone();
    let secrets = state.inner.secrets.clone();
    let updated = state
        .store()
        .write(move |tx| oauth_clients::update(tx, &secrets, id, &input))
        .await?;
    Ok(axum::Json(json!({ "client": updated.shown(&base) })).into_response())
}

pub async fn generate_secret(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let secrets = state.inner.secrets.clone();
    let updated = state
        .store()
        .write(move |tx| oauth_clients::generate_secret(tx, &secrets, id))
        .await?;
    Ok(axum::Json(json!({ "client": updated.shown(&base) })).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    state
        .store()
        .write(move |tx| oauth_clients::delete(tx, id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// This resource's endpoints and who may call each (`permissions::Who`). Clients are admins' business.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::Admins;
    vec![
        Endpoint::get("/api/v2/oauth/clients", Admins, list),
        Endpoint::post("/api/v2/oauth/clients", Admins, create),
        Endpoint::get("/api/v2/oauth/clients/{id}", Admins, show),
        Endpoint::put("/api/v2/oauth/clients/{id}", Admins, update),
        Endpoint::delete("/api/v2/oauth/clients/{id}", Admins, delete),
        Endpoint::put(
            "/api/v2/oauth/clients/{id}/generate_secret",
            Admins,
            generate_secret,
        ),
    ]
}
