//! OAuth access tokens over HTTP: `POST /api/v2/oauth/tokens` mints a bearer token
//! (`rules::credentials::create_oauth_token`); the token is shown once, in `full_token`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::http::JsonBody;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::rules::credentials;

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
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
        .write(move |tx| credentials::create_oauth_token(tx, &secrets, &caller, &input))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "token": token }))).into_response())
}
