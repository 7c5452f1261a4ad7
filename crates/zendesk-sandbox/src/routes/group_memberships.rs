//! Group memberships over HTTP: list (all, of a group, of a user; cursor or offset), the
//! assignable ones (memberships in groups agents can be assigned to), show, create, delete, and
//! make default. Agents read; only admins write (`resources::group_memberships`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::audience::{Audience, SideLoad};
use super::endpoint::Endpoint;
use super::groups::Groups;
use super::http::{BaseUrl, JsonBody, PathId, PathIds, Query, object_under};
use super::listing::Listing;
use super::paging::page_request;
use super::resource::{
    self, Create, CreateRule, Delete, DeleteRule, Resource, Show, created_response, fetch,
};
use super::users::Users;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::group_memberships;
use crate::state::AppState;
use crate::store::{Bind, Filter, Table};

/// Group memberships as served (see `resource`).
pub struct GroupMemberships;

impl Resource for GroupMemberships {
    const TABLE: Table = Table::GroupMemberships;
    const ONE: &'static str = "group_membership";
    const MANY: &'static str = "group_memberships";
}

impl Show for GroupMemberships {}

impl Create for GroupMemberships {
    const CREATE: CreateRule = group_memberships::create;
}

impl Delete for GroupMemberships {
    const DELETE: DeleteRule = group_memberships::delete;
}

/// Lists memberships under `filters` at `path`.
/// `?include=users,groups` on memberships: the agents and groups they join.
const MEMBERSHIP_SIDE_LOADS: [SideLoad; 2] = [
    SideLoad {
        name: "users",
        table: Table::Users,
        ids: |m| m["user_id"].as_i64().into_iter().collect(),
        render: Users::render,
    },
    SideLoad {
        name: "groups",
        table: Table::Groups,
        ids: |m| m["group_id"].as_i64().into_iter().collect(),
        render: Groups::render,
    },
];

async fn serve(
    state: &AppState,
    caller: &Caller,
    base: &str,
    params: &super::http::Params,
    filters: Vec<Filter>,
    path: &str,
) -> Result<Response, ApiError> {
    let request = page_request(params)?;
    let audience = Audience::of(state.store(), caller).await?;
    Listing::new(base, params, request, filters)
        .shown_to(&audience)
        .side_loading(&MEMBERSHIP_SIDE_LOADS)
        .serve_at::<GroupMemberships>(state.store(), path)
        .await
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &caller,
        &base,
        &params,
        Vec::new(),
        "group_memberships",
    )
    .await
}

/// `GET /group_memberships/assignable`: memberships in groups tickets can be assigned to (in
/// the sandbox every live group).
pub async fn assignable(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let groups: Vec<Bind> = state
        .store()
        .read(|reader| reader.find(Table::Groups, &[Filter::Live(Table::Groups)], 10_000))
        .await?
        .iter()
        .filter_map(|g| g["id"].as_i64())
        .map(Bind::Int)
        .collect();
    let live = Filter::In("group_id", groups);
    let path = "group_memberships/assignable";
    serve(&state, &caller, &base, &params, vec![live], path).await
}

pub async fn of_group(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    fetch(state.store(), Table::Groups, id).await?;
    let path = format!("groups/{id}/memberships");
    let filters = vec![Filter::Eq("group_id", Bind::Int(id))];
    serve(&state, &caller, &base, &params, filters, &path).await
}

pub async fn of_user(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    fetch(state.store(), Table::Users, id).await?;
    let path = format!("users/{id}/group_memberships");
    let filters = vec![Filter::Eq("user_id", Bind::Int(id))];
    serve(&state, &caller, &base, &params, filters, &path).await
}

/// `GET /users/{user_id}/group_memberships/{id}`.
pub async fn show_of_user(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    PathIds(user, id): PathIds,
) -> Result<Response, ApiError> {
    let membership = fetch(state.store(), Table::GroupMemberships, id).await?;
    if membership["user_id"] != json!(user) {
        return Err(ApiError::NotFound);
    }
    Ok(GroupMemberships::one(membership, &base))
}

/// `POST /users/{user_id}/group_memberships`: the user comes from the path.
pub async fn create_for_user(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(user): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let mut input = object_under(&body, "group_membership")?.clone();
    input.insert("user_id".into(), json!(user));
    let membership = state
        .store()
        .write(move |tx| group_memberships::create(tx, &caller, &input))
        .await?;
    let membership = GroupMemberships::render(membership, &base);
    let location = membership["url"].as_str().unwrap_or_default().to_string();
    Ok(created_response(
        json!({ "group_membership": membership }),
        &location,
    ))
}

/// `DELETE /users/{user_id}/group_memberships/{id}`.
pub async fn delete_of_user(
    State(state): State<AppState>,
    caller: Caller,
    PathIds(user, id): PathIds,
) -> Result<Response, ApiError> {
    state
        .store()
        .write(move |tx| {
            let membership = crate::resources::fetch(tx, Table::GroupMemberships, id)?;
            if membership["user_id"] != json!(user) {
                return Err(ApiError::NotFound);
            }
            group_memberships::delete(tx, &caller, id)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /users/{user_id}/group_memberships/{id}/make_default`: answers the user's memberships.
pub async fn make_default(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathIds(user, id): PathIds,
) -> Result<Response, ApiError> {
    let memberships = state
        .store()
        .write(move |tx| group_memberships::make_default(tx, &caller, user, id))
        .await?;
    let memberships: Vec<Value> = memberships
        .into_iter()
        .map(|m| GroupMemberships::render(m, &base))
        .collect();
    Ok(axum::Json(json!({ "group_memberships": memberships })).into_response())
}

/// This resource's endpoints and who may call each (`permissions::Who`). Account configuration: agents read, admins write.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Admins, Agents};
    vec![
        Endpoint::get("/api/v2/groups/{id}/memberships", Agents, of_group),
        Endpoint::get("/api/v2/group_memberships", Agents, list),
        Endpoint::post(
            "/api/v2/group_memberships",
            Admins,
            resource::create::<GroupMemberships>,
        ),
        Endpoint::get("/api/v2/group_memberships/assignable", Agents, assignable),
        Endpoint::get(
            "/api/v2/group_memberships/{id}",
            Agents,
            resource::show::<GroupMemberships>,
        ),
        Endpoint::delete(
            "/api/v2/group_memberships/{id}",
            Admins,
            resource::delete::<GroupMemberships>,
        ),
        Endpoint::get("/api/v2/users/{id}/group_memberships", Agents, of_user),
        Endpoint::post(
            "/api/v2/users/{id}/group_memberships",
            Admins,
            create_for_user,
        ),
        Endpoint::get(
            "/api/v2/users/{user_id}/group_memberships/{id}",
            Agents,
            show_of_user,
        ),
        Endpoint::delete(
            "/api/v2/users/{user_id}/group_memberships/{id}",
            Admins,
            delete_of_user,
        ),
        Endpoint::put(
            "/api/v2/users/{user_id}/group_memberships/{id}/make_default",
            Admins,
            make_default,
        ),
    ]
}
