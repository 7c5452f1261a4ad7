//! Job statuses: show, show_many and list (most recent first), in Zendesk's shape. Agents read
//! any job; an end-user only jobs they started (their results name records).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::http::{BaseUrl, Query};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::jobs::render;
use crate::permissions::{self, Who};
use crate::state::AppState;

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id.trim().to_string();
    let job = state
        .store()
        .read(move |reader| reader.job(&id))
        .await?
        .filter(|job| permissions::can_read_job(&caller, job.caller_id))
        .ok_or(ApiError::NotFound)?;
    Ok(axum::Json(json!({"job_status": render(&job, &base)})).into_response())
}

pub async fn show_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let ids: Vec<String> = params
        .get("ids")
        .map(|raw| {
            raw.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if ids.len() > zendesk_types::limits::MAX_BULK_ITEMS {
        return Err(ApiError::too_many_values());
    }
    let found = state
        .store()
        .read(move |reader| {
            let mut found = Vec::new();
            for id in ids {
                found.extend(reader.job(&id)?);
            }
            Ok::<_, ApiError>(found)
        })
        .await?;
    let jobs: Vec<Value> = found
        .iter()
        .filter(|job| permissions::can_read_job(&caller, job.caller_id))
        .map(|job| render(job, &base))
        .collect();
    Ok(axum::Json(json!({"job_statuses": jobs})).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
) -> Result<Response, ApiError> {
    let jobs: Vec<Value> = state
        .store()
        .read(|reader| reader.recent_jobs(100))
        .await?
        .iter()
        .map(|j| render(j, &base))
        .collect();
    Ok(axum::Json(json!({"job_statuses": jobs, "next_page": null, "previous_page": null, "count": jobs.len()})).into_response())
}

/// This resource's endpoints and who may call each (`permissions::Who`). End-users reach only the jobs they started.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Agents, SignedIn};
    vec![
        Endpoint::get("/api/v2/job_statuses", Agents, list),
        Endpoint::get("/api/v2/job_statuses/show_many", SignedIn, show_many),
        Endpoint::get("/api/v2/job_statuses/{id}", SignedIn, show),
    ]
}
