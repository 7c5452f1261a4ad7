//! OAuth access tokens: `POST /api/v2/oauth/tokens` mints a bearer token for the caller (or, for
//! an admin, for `user_id`), with scopes `read` and/or `write`; the token is shown once, in
//! `full_token`, and only its hash is kept.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::shared::check_ref;
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::store::{self, Table};
use crate::util::{JsonBody, iso, now, opt_id, opt_str, random_token};

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let empty = serde_json::Map::new();
    let input = body
        .get("token")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let user_id = opt_id(input, "user_id")?.flatten().unwrap_or(caller.id);
    if user_id != caller.id && caller.role != Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let scopes: Vec<String> = match input.get("scopes") {
        None | Some(Value::Null) => vec!["read".into(), "write".into()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(other) => {
            return Err(ApiError::invalid(
                "scopes",
                format!("Scopes: must be an array such as [\"read\", \"write\"], got {other}"),
                "InvalidValue",
            ));
        }
    };
    if scopes.is_empty() || scopes.iter().any(|s| s != "read" && s != "write") {
        return Err(ApiError::invalid(
            "scopes",
            "Scopes: use \"read\" and/or \"write\"",
            "InvalidValue",
        ));
    }
    let client_id = opt_str(input, "client_id")?.flatten();
    let mut tx = state.inner.store.begin().await?;
    check_ref(&mut tx, "user_id", "User", Table::Users, Some(user_id)).await?;
    let token = random_token();
    let id = store::insert_oauth_token(
        &mut tx,
        user_id,
        &token,
        client_id.as_deref(),
        &scopes.join(" "),
    )
    .await?;
    tx.commit().await?;
    let body = json!({"token": {
        "id": id, "user_id": user_id, "client_id": client_id, "token": &token[..10],
        "full_token": token, "scopes": scopes, "created_at": iso(now()), "expires_at": null,
        "refresh_token": null
    }});
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}
