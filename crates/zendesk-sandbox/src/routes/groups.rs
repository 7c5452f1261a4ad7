//! Groups over HTTP: list, show, create, update, delete (soft, 204, as Zendesk does). Agents
//! read; admins write (`resources::groups`).

use axum::extract::State;
use axum::response::Response;

use super::endpoint::Endpoint;
use super::http::{BaseUrl, Query};
use super::listing::Listing;
use super::paging::page_request;
use super::resource::{
    self, Create, CreateRule, Delete, DeleteRule, Resource, Show, Update, UpdateRule,
};
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::groups;
use crate::state::AppState;
use crate::store::Table;

/// Groups as served (see `resource`).
pub struct Groups;

impl Resource for Groups {
    const TABLE: Table = Table::Groups;
    const ONE: &'static str = "group";
    const MANY: &'static str = "groups";
}

impl Show for Groups {}

impl Create for Groups {
    const CREATE: CreateRule = groups::create;
}

impl Update for Groups {
    const UPDATE: UpdateRule = groups::update;
}

impl Delete for Groups {
    const DELETE: DeleteRule = groups::delete;
}

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    Listing::new(&base, &params, request, Vec::new())
        .serve::<Groups>(state.store())
        .await
}

/// This resource's endpoints and who may call each (`permissions::Who`). Account configuration: agents read, admins write.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Admins, Agents};
    vec![
        Endpoint::get("/api/v2/groups", Agents, list),
        Endpoint::post("/api/v2/groups", Admins, resource::create::<Groups>),
        Endpoint::get("/api/v2/groups/{id}", Agents, resource::show::<Groups>),
        Endpoint::put("/api/v2/groups/{id}", Admins, resource::update::<Groups>),
        Endpoint::delete("/api/v2/groups/{id}", Admins, resource::delete::<Groups>),
    ]
}
