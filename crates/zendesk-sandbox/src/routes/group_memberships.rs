//! Group memberships over HTTP: list (all, of a group, of a user; cursor or offset), the
//! assignable ones (memberships in groups agents can be assigned to), show, create, delete, and
//! make default. Agents read; only admins write (`rules::group_memberships`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::groups::Groups;
use super::http::{BaseUrl, JsonBody, Query, object_under};
use super::paging::page_request;
use super::path_id;
use super::shared::{Listing, Resource, SideLoad, Viewer, created_response, fetch};
use super::users::Users;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::rules::group_memberships as rules;
use crate::store::{Bind, Filter, Table};

/// Group memberships as served (see `shared`).
pub struct GroupMemberships;

impl Resource for GroupMemberships {
    const TABLE: Table = Table::GroupMemberships;
    const ONE: &'static str = "group_membership";
    const MANY: &'static str = "group_memberships";
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
    let viewer = Viewer::of(state.store(), caller).await?;
    Listing::new(base, params, request, filters)
        .viewed_by(&viewer)
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
    Path(id): Path<String>,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    fetch(state.store(), Table::Groups, id).await?;
    let path = format!("groups/{id}/memberships");
    let filters = vec![Filter::Eq("group_id", Bind::Int(id))];
    serve(&state, &caller, &base, &params, filters, &path).await
}

pub async fn of_user(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    fetch(state.store(), Table::Users, id).await?;
    let path = format!("users/{id}/group_memberships");
    let filters = vec![Filter::Eq("user_id", Bind::Int(id))];
    serve(&state, &caller, &base, &params, filters, &path).await
}

pub async fn show(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let membership = fetch(state.store(), Table::GroupMemberships, id).await?;
    Ok(GroupMemberships::one(membership, &base))
}

/// `GET /users/{user_id}/group_memberships/{id}`.
pub async fn show_of_user(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path((user, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (user, id) = (path_id(&user)?, path_id(&id)?);
    let membership = fetch(state.store(), Table::GroupMemberships, id).await?;
    if membership["user_id"] != json!(user) {
        return Err(ApiError::NotFound);
    }
    Ok(GroupMemberships::one(membership, &base))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "group_membership")?.clone();
    let membership = state
        .store()
        .write(move |tx| rules::create(tx, &caller, &input))
        .await?;
    Ok(GroupMemberships::created(membership, &base))
}

/// `POST /users/{user_id}/group_memberships`: the user comes from the path.
pub async fn create_for_user(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(user): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let user = path_id(&user)?;
    let mut input = object_under(&body, "group_membership")?.clone();
    input.insert("user_id".into(), json!(user));
    let membership = state
        .store()
        .write(move |tx| rules::create(tx, &caller, &input))
        .await?;
    let membership = GroupMemberships::render(membership, &base);
    let location = membership["url"].as_str().unwrap_or_default().to_string();
    Ok(created_response(
        json!({ "group_membership": membership }),
        &location,
    ))
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

/// `DELETE /users/{user_id}/group_memberships/{id}`.
pub async fn delete_of_user(
    State(state): State<AppState>,
    caller: Caller,
    Path((user, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (user, id) = (path_id(&user)?, path_id(&id)?);
    state
        .store()
        .write(move |tx| {
            let membership = crate::rules::fetch(tx, Table::GroupMemberships, id)?;
            if membership["user_id"] != json!(user) {
                return Err(ApiError::NotFound);
            }
            rules::delete(tx, &caller, id)
        })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /users/{user_id}/group_memberships/{id}/make_default`: answers the user's memberships.
pub async fn make_default(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path((user, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (user, id) = (path_id(&user)?, path_id(&id)?);
    let memberships = state
        .store()
        .write(move |tx| rules::make_default(tx, &caller, user, id))
        .await?;
    let memberships: Vec<Value> = memberships
        .into_iter()
        .map(|m| GroupMemberships::render(m, &base))
        .collect();
    Ok(axum::Json(json!({ "group_memberships": memberships })).into_response())
}
