//! Users over HTTP: list (role, role[], permission_set, external_id filters), show, show_many,
//! me (anonymous without credentials), search (query or external_id, offset only), create,
//! create_many, create_or_update, update, update_many, destroy_many, and soft delete (200 with
//! the user, `active: false`). What each write does is `resources::users`. End-users see only
//! themselves; agents read every user.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::audience::Audience;
use super::bulk::{self, Bulk};
use super::endpoint::Endpoint;
use super::http::{BaseUrl, JsonBody, PathId, Query, object_under};
use super::listing::{Listing, external_id_filter};
use super::paging::page_request;
use super::resource::{self, Create, CreateRule, Resource, show_one};
use crate::auth::MaybeCaller;
use crate::caller::{Caller, Role};
use crate::error::ApiError;
use crate::jobs::JobKind;
use crate::permissions::Who;
use crate::resources::users;
use crate::state::AppState;
use crate::store::{Bind, Filter, Lookup, Table, like_escape};

/// Users as served (`id` before `url`) and bulk-changed (see `resource`, `bulk`).
pub struct Users;

impl Resource for Users {
    const TABLE: Table = Table::Users;
    const ONE: &'static str = "user";
    const MANY: &'static str = "users";
    const ID_FIRST: bool = true;
}

impl Create for Users {
    const CREATE: CreateRule = users::create;
}

impl Bulk for Users {
    const CREATE: JobKind = JobKind::UsersCreate;
    const UPDATE: JobKind = JobKind::UsersUpdate;
    const DESTROY: JobKind = JobKind::UsersDestroy;

    /// Bulk user jobs are stored until they run: refuse passwords there rather than keep them.
    fn check_items(items: &[Value]) -> Result<(), ApiError> {
        match items.iter().position(|u| u.get("password").is_some()) {
            Some(index) => Err(ApiError::bad_value(format!(
                "users[{index}] sets a password: passwords cannot be set in bulk; use POST /api/v2/users/{{id}}/password.json for each user"
            ))),
            None => Ok(()),
        }
    }

    fn too_many_to_create() -> ApiError {
        ApiError::BadRequest {
            error: "TooManyValues",
            description: format!(
                "Maximum {} users may be created per call",
                zendesk_types::limits::MAX_BULK_ITEMS
            ),
            max_count: None,
        }
    }
}

fn anonymous() -> Value {
    json!({
        "id": null, "url": null, "name": "Anonymous user", "email": "invalid@example.com",
        "created_at": null, "updated_at": null, "time_zone": "America/New_York",
        "iana_time_zone": "America/New_York", "phone": null, "shared_phone_number": null,
        "photo": null, "locale_id": 1, "locale": "en-US", "organization_id": null,
        "role": "end-user", "verified": false, "authenticity_token": null
    })
}

// ---- handlers ----

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let mut filters = Vec::new();
    let mut roles: Vec<String> = params
        .all("role[]")
        .into_iter()
        .map(str::to_string)
        .collect();
    if let Some(role) = params.get("role") {
        roles.push(role.to_string());
    }
    if !roles.is_empty() {
        for role in &roles {
            if Role::parse(role).is_none() {
                return Err(ApiError::bad_value(format!(
                    "role must be end-user, agent or admin, got `{role}`"
                )));
            }
        }
        filters.push(Filter::In(
            "role",
            roles.iter().map(|r| Bind::Text(r.clone())).collect(),
        ));
    }
    if let Some(set) = params.get("permission_set") {
        let set: i64 = set.parse().map_err(|_| {
            ApiError::bad_value(format!(
                "permission_set must be a numeric custom role id, got `{set}`"
            ))
        })?;
        filters.push(Filter::Eq("custom_role_id", Bind::Int(set)));
    }
    if let Some(external) = params.get("external_id") {
        filters.push(external_id_filter(external));
    }
    Listing::new(&base, &params, request, filters)
        .serve::<Users>(state.store())
        .await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let audience = Audience::of(state.store(), &caller).await?;
    show_one::<Users>(state.store(), &audience, id, &base, || ApiError::Forbidden).await
}

pub async fn me(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
) -> Result<Response, ApiError> {
    let Some(caller) = caller else {
        return Ok(axum::Json(json!({"user": anonymous()})).into_response());
    };
    let id = caller.id;
    let user = state
        .store()
        .read(move |reader| reader.record(Table::Users, id))
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let audience = Audience::of(state.store(), &caller).await?;
    let mut user = Users::render(audience.view(Table::Users, user), &base);
    // Zendesk hands the signed-in user a CSRF token here; it authorises nothing in the sandbox.
    user["authenticity_token"] = json!(crate::util::random_token());
    Ok(axum::Json(json!({ "user": user })).into_response())
}

pub async fn show_many(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let users = match params.ids("ids")? {
        Some(ids) => {
            state
                .store()
                .read(move |reader| reader.records(Table::Users, &ids))
                .await?
        }
        None => {
            let externals: Vec<String> = params
                .get("external_ids")
                .map(|e| {
                    e.split(',')
                        .map(|s| s.trim().to_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if externals.len() > zendesk_types::limits::MAX_BULK_ITEMS {
                return Err(ApiError::too_many_values());
            }
            state
                .store()
                .read(move |reader| {
                    let mut out = Vec::new();
                    for external in externals {
                        if let Some(id) =
                            reader.find_id(Table::Users, Lookup::ExternalId, &external)?
                            && let Some(user) = reader.record(Table::Users, id)?
                        {
                            out.push(user);
                        }
                    }
                    Ok::<_, ApiError>(out)
                })
                .await?
        }
    };
    Ok(Users::show_many(users, &base))
}

pub async fn search(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    if params.has("page[size]") || params.has("page[after]") || params.has("page[before]") {
        return Err(ApiError::bad_param(
            "page must be an integer: /users/search pages with page and per_page only",
        ));
    }
    // Offset only: the cursor parameters were refused above.
    let request = page_request(&params)?;
    let mut filters = Vec::new();
    let query = params.get("query").map(str::trim).filter(|q| !q.is_empty());
    if query.is_some_and(|q| q.contains('\0')) {
        return Err(ApiError::bad_value(
            "query contains a NUL character; remove it",
        ));
    }
    let external = params.get("external_id");
    if query.is_none() && external.is_none() {
        return Err(ApiError::bad_value(
            "give `query` (text or keyword:value) or `external_id`",
        ));
    }
    if let Some(external) = external {
        filters.push(external_id_filter(external));
    }
    if let Some(query) = query {
        for term in query.split_whitespace() {
            let (keyword, value) = term.split_once(':').unwrap_or(("", term));
            let value = value.trim_matches('"').to_lowercase();
            match keyword {
                "email" => filters.push(Filter::Eq("email", Bind::Text(value))),
                "role" => filters.push(Filter::Eq("role", Bind::Text(value))),
                "external_id" => filters.push(Filter::Eq("external_id", Bind::Text(value))),
                "name" => filters.push(Filter::Like("name", like_contains(&value))),
                "organization" | "organization_id" => {
                    let id: i64 = value.parse().map_err(|_| {
                        ApiError::bad_value(format!(
                            "organization must be a numeric id in a user search, got `{value}`"
                        ))
                    })?;
                    filters.push(Filter::Eq("organization_id", Bind::Int(id)));
                }
                _ => {
                    let like = like_contains(&value);
                    filters.push(Filter::Any(vec![
                        Filter::Like("name", like.clone()),
                        Filter::Like("email", like.clone()),
                        Filter::Like("phone", like),
                        Filter::Phrase(Table::Users, value),
                    ]));
                }
            }
        }
    }
    Listing::new(&base, &params, request, filters)
        .serve_at::<Users>(state.store(), "users/search")
        .await
}

pub async fn create_or_update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "user")?.clone();
    let (user, was_created) = state
        .store()
        .write(move |tx| users::create_or_update(tx, &caller, &input))
        .await?;
    if was_created {
        Ok(Users::created(user, &base))
    } else {
        Ok(Users::one(user, &base))
    }
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "user")?.clone();
    let audience = Audience::of(state.store(), &caller).await?;
    let user = state
        .store()
        .write(move |tx| users::update(tx, &caller, id, &input))
        .await?;
    Ok(Users::one(audience.view(Table::Users, user), &base))
}

/// `PUT /api/v2/users/{id}/password` (`previous_password`, `password`): a user changes their
/// own password, proving the old one, so a token that signs the user in cannot take the
/// account over (and, as on Zendesk, a token scoped `users:write` does not reach this API:
/// `permissions::scope_needed`).
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    if caller.id != id {
        return Err(ApiError::ForbiddenBecause(
            "You can only change your own password; an admin sets another user's with \
             POST /api/v2/users/{id}/password.json"
                .into(),
        ));
    }
    let input = body.as_object().cloned().unwrap_or_default();
    let text = |key: &str| -> Result<String, ApiError> {
        match input.get(key) {
            Some(Value::String(text)) if !text.is_empty() => Ok(text.clone()),
            _ => Err(ApiError::invalid(
                key,
                format!(
                    "{key}: required, as a string, such as {{\"previous_password\": \"...\", \"password\": \"...\"}}"
                ),
                "BlankValue",
            )),
        }
    };
    let (previous, password) = (text("previous_password")?, text("password")?);
    users::check_new_password(&password)?;
    let email = state
        .store()
        .read(move |reader| {
            let user = reader.record(Table::Users, id)?;
            Ok::<_, ApiError>(user.and_then(|u| u["email"].as_str().map(str::to_string)))
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    let proven = crate::auth::password_principal(&state, email, previous)
        .await?
        .is_some_and(|principal| principal.user_id == id);
    if !proven {
        return Err(ApiError::invalid(
            "previous_password",
            "previous_password: does not match your current password",
            "InvalidValue",
        ));
    }
    store_password(&state, id, password).await
}

/// `POST /api/v2/users/{id}/password` (`password`): an admin sets another user's password.
pub async fn set_password(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let password = match body.get("password") {
        Some(Value::String(text)) if !text.is_empty() => text.clone(),
        _ => {
            return Err(ApiError::invalid(
                "password",
                "password: required, as a string, such as {\"password\": \"...\"}",
                "BlankValue",
            ));
        }
    };
    users::check_new_password(&password)?;
    store_password(&state, id, password).await
}

/// Hashes `password` (off the async threads) and stores it, ending the user's OAuth tokens.
async fn store_password(state: &AppState, id: i64, password: String) -> Result<Response, ApiError> {
    let hash = tokio::task::spawn_blocking(move || {
        crate::resources::credentials::hash_password(&password)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password hash: {e}")))?;
    state
        .store()
        .write(move |tx| users::set_password(tx, id, &hash))
        .await?;
    Ok(axum::Json(json!({})).into_response())
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let user = state
        .store()
        .write(move |tx| users::delete(tx, &caller, id))
        .await?;
    Ok(Users::one(user, &base))
}

pub async fn create_or_update_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    super::bulk::queue_items::<Users>(
        &state,
        &caller,
        &base,
        &body,
        JobKind::UsersCreateOrUpdate,
        ApiError::too_many_values,
    )
    .await
}

/// `%text%` for a LIKE, with LIKE's own wildcards in `text` escaped.
fn like_contains(text: &str) -> String {
    format!("%{}%", like_escape(text))
}

/// This resource's endpoints and who may call each (`permissions::Who`). End-users reach themselves (a few fields of their own profile).
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Admins, Agents, Anyone, SignedIn};
    vec![
        Endpoint::get("/api/v2/users", Agents, list),
        Endpoint::post("/api/v2/users", Agents, resource::create::<Users>),
        Endpoint::get("/api/v2/users/me", Anyone, me),
        Endpoint::get("/api/v2/users/search", Agents, search),
        Endpoint::get("/api/v2/users/show_many", Agents, show_many),
        Endpoint::post(
            "/api/v2/users/create_many",
            Agents,
            bulk::create_many::<Users>,
        ),
        Endpoint::post("/api/v2/users/create_or_update", Agents, create_or_update),
        Endpoint::post(
            "/api/v2/users/create_or_update_many",
            Agents,
            create_or_update_many,
        ),
        Endpoint::put(
            "/api/v2/users/update_many",
            Agents,
            bulk::update_many::<Users>,
        ),
        Endpoint::delete(
            "/api/v2/users/destroy_many",
            Agents,
            bulk::destroy_many::<Users>,
        ),
        Endpoint::get("/api/v2/users/{id}", SignedIn, show),
        Endpoint::put("/api/v2/users/{id}", SignedIn, update),
        Endpoint::put("/api/v2/users/{id}/password", SignedIn, change_password),
        Endpoint::post("/api/v2/users/{id}/password", Admins, set_password),
        Endpoint::delete("/api/v2/users/{id}", Agents, delete),
    ]
}
