//! Zendesk's OAuth Tokens API over HTTP: `POST /api/v2/oauth/tokens` (admins mint a token,
//! shown once in `full_token`), list and show (never a token's value), and revocation by id or
//! of the calling token (`/oauth/tokens/current`). What each does is in `resources::oauth`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::http::{BaseUrl, JsonBody, PathId, Query};
use crate::auth::CallingToken;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::oauth;
use crate::state::AppState;

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = body
        .get("token")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let secrets = state.inner.secrets.clone();
    let token = state
        .store()
        .write(move |tx| oauth::create_token(tx, &secrets, &caller, &input, &base))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "token": token }))).into_response())
}

/// `GET /api/v2/oauth/tokens[?all=true][&client_id=ID][&include_expired=true]`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let flag = |key: &str| -> Result<bool, ApiError> {
        match params.get(key) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(ApiError::bad_value(format!(
                "{key} must be true or false, got `{other}`"
            ))),
        }
    };
    let all = flag("all")?;
    let include_expired = flag("include_expired")?;
    let client = match params.get("client_id") {
        None => None,
        Some(raw) => Some(raw.trim().parse::<i64>().map_err(|_| {
            ApiError::bad_value(format!(
                "client_id must be an OAuth client's numeric id (GET /api/v2/oauth/clients lists them), got `{raw}`"
            ))
        })?),
    };
    let rows = state
        .store()
        .read(move |tx| oauth::list_tokens(tx, &caller, all, client, include_expired))
        .await?;
    let tokens: Vec<Value> = rows
        .iter()
        .map(|row| oauth::token_json(row, &base))
        .collect();
    let count = tokens.len();
    Ok(axum::Json(json!({
        "tokens": tokens, "next_page": null, "previous_page": null, "count": count,
    }))
    .into_response())
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    show_id(&state, caller, &base, id).await
}

pub async fn show_current(
    State(state): State<AppState>,
    caller: Caller,
    CallingToken(token): CallingToken,
    BaseUrl(base): BaseUrl,
) -> Result<Response, ApiError> {
    let id = oauth::current_token_id(token)?;
    show_id(&state, caller, &base, id).await
}

async fn show_id(
    state: &AppState,
    caller: Caller,
    base: &str,
    id: i64,
) -> Result<Response, ApiError> {
    let row = state
        .store()
        .read(move |tx| oauth::visible_token(tx, &caller, id))
        .await?;
    Ok(axum::Json(json!({ "token": oauth::token_json(&row, base) })).into_response())
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    revoke_id(&state, caller, id).await
}

pub async fn revoke_current(
    State(state): State<AppState>,
    caller: Caller,
    CallingToken(token): CallingToken,
) -> Result<Response, ApiError> {
    let id = oauth::current_token_id(token)?;
    revoke_id(&state, caller, id).await
}

async fn revoke_id(state: &AppState, caller: Caller, id: i64) -> Result<Response, ApiError> {
    state
        .store()
        .write(move |tx| oauth::revoke_token(tx, &caller, id))
        .await?;
    tracing::info!(token_id = id, "OAuth token revoked");
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// This resource's endpoints and who may call each (`permissions::Who`). Anyone may see and revoke their own tokens; admins create them.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Admins, SignedIn};
    vec![
        Endpoint::get("/api/v2/oauth/tokens", SignedIn, list),
        Endpoint::post("/api/v2/oauth/tokens", Admins, create),
        Endpoint::get("/api/v2/oauth/tokens/current", SignedIn, show_current),
        Endpoint::delete("/api/v2/oauth/tokens/current", SignedIn, revoke_current),
        Endpoint::get("/api/v2/oauth/tokens/{id}", SignedIn, show),
        Endpoint::delete("/api/v2/oauth/tokens/{id}", SignedIn, revoke),
    ]
}
