//! The bulk endpoints of tickets, users and organizations (`create_many`, `update_many`,
//! `destroy_many`): at most 100 items, a non-empty `ids` list, each run as a background job and
//! answered with the queued job's status.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use zendesk_types::limits::MAX_BULK_ITEMS;

use super::http::{BaseUrl, JsonBody, Params, Query, array_under, object_under};
use super::resource::Resource;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::jobs::JobKind;
use crate::resources::input::as_id;
use crate::state::AppState;

/// A resource with bulk endpoints, each run as a background job.
pub trait Bulk: Resource {
    const CREATE: JobKind;
    const UPDATE: JobKind;
    const DESTROY: JobKind;

    /// Refuses items a job must not hold (its payload is stored until it runs).
    fn check_items(_items: &[Value]) -> Result<(), ApiError> {
        Ok(())
    }

    /// The answer to more than 100 items in `create_many`.
    fn too_many_to_create() -> ApiError {
        ApiError::too_many_values()
    }
}

/// Queues `kind` and answers `{"job_status": {...}}`.
pub async fn job_answer(
    state: &AppState,
    caller: &Caller,
    base: &str,
    kind: JobKind,
    payload: Value,
    total: usize,
) -> Result<Response, ApiError> {
    let job = state
        .inner
        .jobs
        .enqueue(&state.inner.store, kind, payload, total, base, caller)
        .await?;
    Ok(axum::Json(json!({ "job_status": job })).into_response())
}

/// The `ids` of a bulk call: required and non-empty (`what` names them: "tickets to delete").
pub fn required_ids(params: &Params, what: &str) -> Result<Vec<i64>, ApiError> {
    let ids = params.ids("ids")?.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::bad_value(format!(
            "ids must list the {what}, such as ids=1,2"
        )));
    }
    Ok(ids)
}

/// Queues a job over the `{"tickets": [...]}` items of `body` (at most 100).
pub async fn queue_items<R: Bulk>(
    state: &AppState,
    caller: &Caller,
    base: &str,
    body: &Value,
    kind: JobKind,
    too_many: fn() -> ApiError,
) -> Result<Response, ApiError> {
    let items = array_under(body, R::MANY)?;
    if items.len() > MAX_BULK_ITEMS {
        return Err(too_many());
    }
    R::check_items(items)?;
    let key = R::MANY;
    job_answer(
        state,
        caller,
        base,
        kind,
        json!({ key: items }),
        items.len(),
    )
    .await
}

/// `POST /tickets/create_many` (and users, organizations).
pub async fn create_many<R: Bulk>(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    queue_items::<R>(
        &state,
        &caller,
        &base,
        &body,
        R::CREATE,
        R::too_many_to_create,
    )
    .await
}

/// `PUT /tickets/update_many`, in either form of [`bulk_update_payload`].
pub async fn update_many<R: Bulk>(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (payload, total) = bulk_update_payload(&params, &body, R::ONE, R::MANY)?;
    R::check_items(
        payload[R::MANY]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default(),
    )?;
    job_answer(&state, &caller, &base, R::UPDATE, payload, total).await
}

/// `DELETE /tickets/destroy_many?ids=1,2`.
pub async fn destroy_many<R: Bulk>(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let ids = required_ids(&params, &format!("{} to delete", R::MANY))?;
    let total = ids.len();
    job_answer(
        &state,
        &caller,
        &base,
        R::DESTROY,
        json!({ "ids": ids }),
        total,
    )
    .await
}

/// `?ids=1,2` + `{"ticket": {...}}` (one change for all) or `{"tickets": [{"id": 1, ...}]}`.
pub fn bulk_update_payload(
    params: &Params,
    body: &Value,
    one: &str,
    many: &str,
) -> Result<(Value, usize), ApiError> {
    if let Some(ids) = params.ids("ids")? {
        if ids.is_empty() {
            return Err(ApiError::bad_value(
                "ids must list at least one id, such as ids=1,2",
            ));
        }
        let change = object_under(body, one)?;
        let items: Vec<Value> = ids
            .iter()
            .map(|id| {
                let mut item = change.clone();
                item.insert("id".into(), json!(id));
                Value::Object(item)
            })
            .collect();
        let total = items.len();
        return Ok((json!({ many: items }), total));
    }
    let items = array_under(body, many).map_err(|_| {
        ApiError::bad_value(format!(
            "give either ?ids=1,2 with {{\"{one}\": {{...}}}} or {{\"{many}\": [{{\"id\": 1, ...}}]}}"
        ))
    })?;
    if items.len() > MAX_BULK_ITEMS {
        return Err(ApiError::too_many_values());
    }
    for (index, item) in items.iter().enumerate() {
        if item.get("id").and_then(as_id).is_none() {
            return Err(ApiError::bad_value(format!(
                "{many}[{index}] needs a numeric `id`, such as {{\"id\": 123, ...}}"
            )));
        }
    }
    Ok((json!({ many: items }), items.len()))
}
