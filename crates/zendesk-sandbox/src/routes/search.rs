//! `/search`, `/search/count` and `/search/export`: HTTP glue only. The query language, its
//! compilation to SQL and the envelopes live in `crate::search` (owned by the search module).

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::util::{BaseUrl, Query};

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let body = crate::search::search(&state.inner.store, &caller, &params, &base).await?;
    Ok(axum::Json(body).into_response())
}

pub async fn count(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let body = crate::search::count(&state.inner.store, &caller, &params).await?;
    Ok(axum::Json(body).into_response())
}

pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let body = crate::search::export(&state.inner.store, &caller, &params, &base).await?;
    Ok(axum::Json(body).into_response())
}
