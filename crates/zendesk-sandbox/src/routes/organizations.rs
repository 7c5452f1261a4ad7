//! Organizations over HTTP: list, show, show_many, autocomplete (case-insensitive name prefix,
//! offset), create, create_many, update, update_many, delete (204, for good), destroy_many.
//! What each write does is `resources::organizations`. Agents and admins read and write
//! organizations; end-users see only their own.

use axum::extract::State;
use axum::response::Response;

use super::audience::Audience;
use super::bulk::{self, Bulk};
use super::endpoint::Endpoint;
use super::http::{BaseUrl, PathId, Query};
use super::listing::{Listing, external_id_filter};
use super::paging::{PageRequest, page_request};
use super::resource::{
    self, Create, CreateRule, Delete, DeleteRule, Resource, Update, UpdateRule, fetch,
};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::jobs::JobKind;
use crate::permissions::{self, Who};
use crate::resources::organizations;
use crate::state::AppState;
use crate::store::{Filter, Table, like_escape};

/// Organizations as served (see `resource`) and bulk-changed (see `bulk`).
pub struct Organizations;

impl Resource for Organizations {
    const TABLE: Table = Table::Organizations;
    const ONE: &'static str = "organization";
    const MANY: &'static str = "organizations";
}

impl Create for Organizations {
    const CREATE: CreateRule = organizations::create;
}

impl Update for Organizations {
    const UPDATE: UpdateRule = organizations::update;
}

impl Delete for Organizations {
    const DELETE: DeleteRule = organizations::delete;
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
    let audience = Audience::of(state.store(), &caller).await?;
    Listing::new(&base, &params, request, filters)
        .shown_to(&audience)
        .serve::<Organizations>(state.store())
        .await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let own = caller_org(&state, &caller).await?;
    if !visible(&caller, own, id) {
        return Err(ApiError::Forbidden);
    }
    let org = fetch(state.store(), Table::Organizations, id).await?;
    let audience = Audience::of(state.store(), &caller).await?;
    Ok(Organizations::one(
        audience.view(Table::Organizations, org),
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

/// This resource's endpoints and who may call each (`permissions::Who`). End-users reach their own.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Agents, SignedIn};
    vec![
        Endpoint::get("/api/v2/organizations", SignedIn, list),
        Endpoint::post(
            "/api/v2/organizations",
            Agents,
            resource::create::<Organizations>,
        ),
        Endpoint::get("/api/v2/organizations/autocomplete", Agents, autocomplete),
        Endpoint::get("/api/v2/organizations/show_many", Agents, show_many),
        Endpoint::post(
            "/api/v2/organizations/create_many",
            Agents,
            bulk::create_many::<Organizations>,
        ),
        Endpoint::put(
            "/api/v2/organizations/update_many",
            Agents,
            bulk::update_many::<Organizations>,
        ),
        Endpoint::delete(
            "/api/v2/organizations/destroy_many",
            Agents,
            bulk::destroy_many::<Organizations>,
        ),
        Endpoint::get("/api/v2/organizations/{id}", SignedIn, show),
        Endpoint::put(
            "/api/v2/organizations/{id}",
            Agents,
            resource::update::<Organizations>,
        ),
        Endpoint::delete(
            "/api/v2/organizations/{id}",
            Agents,
            resource::delete::<Organizations>,
        ),
    ]
}
