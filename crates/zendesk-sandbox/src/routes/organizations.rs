//! Organizations over HTTP: list, show, show_many, autocomplete (case-insensitive name prefix,
//! offset), create, create_many, update, update_many, delete (204, for good), destroy_many.
//! What each write does is `rules::organizations`. Agents and admins read and write
//! organizations; end-users see only their own.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::http::{BaseUrl, JsonBody, Query, object_under};
use super::paging::{PageRequest, page_request};
use super::path_id;
use super::shared::{Bulk, Listing, Resource, Viewer, external_id_filter, fetch};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::jobs::JobKind;
use crate::permissions;
use crate::rules::organizations as rules;
use crate::store::{Filter, Table, like_escape};

/// Organizations as served and bulk-changed (see `shared`).
pub struct Organizations;

impl Resource for Organizations {
    const TABLE: Table = Table::Organizations;
    const ONE: &'static str = "organization";
    const MANY: &'static str = "organizations";
}

impl Bulk for Organizations {
    const CREATE: JobKind = JobKind::OrganizationsCreate;
    const UPDATE: JobKind = JobKind::OrganizationsUpdate;
    const DESTROY: JobKind = JobKind::OrganizationsDestroy;
}

fn visible(caller: &Caller, org_of_caller: Option<i64>, id: i64) -> bool {
    caller.is_agent() || org_of_caller == Some(id)
}

async fn caller_org(state: &AppState, caller: &Caller) -> Result<Option<i64>, ApiError> {
    if caller.is_agent() {
        return Ok(None);
    }
    let id = caller.id;
    Ok(state
        .store()
        .read(move |reader| reader.record(Table::Users, id))
        .await?
        .and_then(|u| u["organization_id"].as_i64()))
}

// ---- handlers ----

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let own = caller_org(&state, &caller).await?;
    let mut filters = permissions::list_filters(&caller, Table::Organizations, own);
    if let Some(external) = params.get("external_id") {
        filters.push(external_id_filter(external));
    }
    let viewer = Viewer::of(state.store(), &caller).await?;
    Listing::new(&base, &params, request, filters)
        .viewed_by(&viewer)
        .serve::<Organizations>(state.store())
        .await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let own = caller_org(&state, &caller).await?;
    if !visible(&caller, own, id) {
        return Err(ApiError::Forbidden);
    }
    let org = fetch(state.store(), Table::Organizations, id).await?;
    let viewer = Viewer::of(state.store(), &caller).await?;
    Ok(Organizations::one(
        viewer.view(Table::Organizations, org),
        &base,
    ))
}

pub async fn show_many(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let ids = params.ids("ids")?.unwrap_or_default();
    let orgs = state
        .store()
        .read(move |reader| reader.records(Table::Organizations, &ids))
        .await?;
    Ok(Organizations::show_many(orgs, &base))
}

pub async fn autocomplete(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let Some(name) = params.get("name").map(str::trim).filter(|n| !n.is_empty()) else {
        return Err(ApiError::bad_value(
            "name is required: the start of an organization name, such as name=acm",
        ));
    };
    let request = match page_request(&params)? {
        PageRequest::Cursor { size, .. } => PageRequest::Offset {
            page: 1,
            per_page: size,
        },
        offset => offset,
    };
    let escaped = like_escape(&name.to_lowercase());
    let filters = vec![Filter::Like("name_lower", format!("{escaped}%"))];
    Listing::new(&base, &params, request, filters)
        .serve_at::<Organizations>(state.store(), "organizations/autocomplete")
        .await
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "organization")?.clone();
    let org = state
        .store()
        .write(move |tx| rules::create(tx, &caller, &input))
        .await?;
    Ok(Organizations::created(org, &base))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let input = object_under(&body, "organization")?.clone();
    let org = state
        .store()
        .write(move |tx| rules::update(tx, &caller, id, &input))
        .await?;
    Ok(Organizations::one(org, &base))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    state
        .store()
        .write(move |tx| rules::delete(tx, &caller, id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
