//! Users: list (role, role[], permission_set, external_id filters), show, show_many, me
//! (anonymous without credentials), search (query or external_id, offset only), create,
//! create_many, create_or_update, update, update_many, destroy_many, and soft delete (200 with
//! the user, `active: false`).
//!
//! Who may do what: end-users see and edit themselves only; agents read every user and create
//! or edit end-users; only admins give or change the agent and admin roles. Emails and external
//! ids are unique, compared case-insensitively.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sqlx::SqliteConnection;

use super::path_id;
use super::shared::{
    self, Bulk, Listing, Resource, apply_external_id, check_ref, external_id_filter, fetch,
    fetch_in, required_text,
};
use crate::AppState;
use crate::auth::{Caller, MaybeCaller, Role};
use crate::error::ApiError;
use crate::jobs::JobKind;
use crate::paging::page_request;
use crate::store::{self, Bind, Filter, Table};
use crate::util::{
    BaseUrl, JsonBody, Query, iso, now, object_under, opt_bool, opt_id, opt_str, tag_list,
};

/// Users as served (`id` before `url`) and bulk-changed (see `shared`).
pub struct Users;

impl Resource for Users {
    const TABLE: Table = Table::Users;
    const ONE: &'static str = "user";
    const MANY: &'static str = "users";
    const ID_FIRST: bool = true;
}

impl Bulk for Users {
    const CREATE: JobKind = JobKind::UsersCreate;
    const UPDATE: JobKind = JobKind::UsersUpdate;
    const DESTROY: JobKind = JobKind::UsersDestroy;

    /// Bulk user jobs are stored until they run: refuse passwords there rather than keep them.
    fn check_items(items: &[Value]) -> Result<(), ApiError> {
        match items.iter().position(|u| u.get("password").is_some()) {
            Some(index) => Err(ApiError::bad_value(format!(
                "users[{index}] sets a password: passwords cannot be set in bulk; use PUT /api/v2/users/{{id}} for each user"
            ))),
            None => Ok(()),
        }
    }

    fn too_many_to_create() -> ApiError {
        ApiError::BadRequest {
            error: "TooManyValues",
            description: "Maximum 100 users may be created per call".into(),
            max_count: None,
        }
    }
}

fn role_defaults(user: &mut Value, role: &str) {
    user["role"] = json!(role);
    match role {
        "admin" => {
            user["role_type"] = json!(4);
            user["ticket_restriction"] = Value::Null;
            user["restricted_agent"] = json!(false);
            user["moderator"] = json!(true);
        }
        "agent" => {
            user["role_type"] = json!(0);
            user["ticket_restriction"] = Value::Null;
            user["restricted_agent"] = json!(false);
            user["moderator"] = json!(false);
        }
        _ => {
            user["role_type"] = Value::Null;
            user["ticket_restriction"] = json!("requested");
            user["restricted_agent"] = json!(true);
            user["moderator"] = json!(false);
        }
    }
}

/// Applies the writable fields of `input` to `user`, checking references and uniqueness.
async fn apply(
    conn: &mut SqliteConnection,
    caller: &Caller,
    user: &mut Value,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    let id = user["id"].as_i64().unwrap_or_default();
    if let Some(name) = required_text(input, "name", creating)? {
        user["name"] = json!(name.trim());
    }
    if let Some(email) = opt_str(input, "email")? {
        match email
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
        {
            None => user["email"] = Value::Null,
            Some(email) => {
                let valid = email.split_once('@').is_some_and(|(l, d)| {
                    !l.is_empty() && d.contains('.') && !d.starts_with('.') && !email.contains(' ')
                });
                if !valid {
                    return Err(ApiError::invalid(
                        "email",
                        format!("Email: {email} is not properly formatted; use name@example.com"),
                        "InvalidFormat",
                    ));
                }
                if let Some(other) = store::user_id_by(conn, "email", &email).await?
                    && other != id
                {
                    return Err(ApiError::invalid(
                        "email",
                        format!("Email: {email} is already being used by another user"),
                        "DuplicateValue",
                    ));
                }
                user["email"] = json!(email);
            }
        }
    }
    apply_external_id(conn, Table::Users, user, id, input).await?;
    if let Some(role) = opt_str(input, "role")?.flatten() {
        let role = role.trim().to_lowercase();
        if Role::parse(&role).is_none() {
            return Err(ApiError::invalid(
                "role",
                format!("Role: `{role}` is not valid; use end-user, agent or admin"),
                "InvalidValue",
            ));
        }
        if user["role"] != role.as_str() {
            if caller.role != Role::Admin {
                return Err(ApiError::Forbidden);
            }
            role_defaults(user, &role);
        }
    }
    if let Some(org) = opt_id(input, "organization_id")? {
        check_ref(
            conn,
            "organization_id",
            "Organization",
            Table::Organizations,
            org,
        )
        .await?;
        user["organization_id"] = json!(org);
    }
    if let Some(group) = opt_id(input, "default_group_id")? {
        user["default_group_id"] = json!(group);
    }
    if let Some(custom_role) = opt_id(input, "custom_role_id")? {
        user["custom_role_id"] = json!(custom_role);
    }
    for field in [
        "phone",
        "details",
        "notes",
        "alias",
        "signature",
        "time_zone",
        "locale",
    ] {
        if let Some(value) = opt_str(input, field)? {
            user[field] = json!(value);
        }
    }
    if let Some(time_zone) = opt_str(input, "time_zone")?.flatten() {
        user["iana_time_zone"] = json!(time_zone);
    }
    for field in [
        "verified",
        "suspended",
        "shared_phone_number",
        "only_private_comments",
    ] {
        if let Some(value) = opt_bool(input, field)? {
            user[field] = json!(value);
        }
    }
    if let Some(tags) = input.get("tags") {
        user["tags"] = json!(tag_list(tags, "tags")?);
    }
    match input.get("user_fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(fields)) => {
            let mut current = user["user_fields"].as_object().cloned().unwrap_or_default();
            for (k, v) in fields {
                current.insert(k.clone(), v.clone());
            }
            user["user_fields"] = Value::Object(current);
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "user_fields",
                format!("User fields: must be an object keyed by field key, got {other}"),
                "InvalidValue",
            ));
        }
    }
    Ok(())
}

async fn set_password(
    conn: &mut SqliteConnection,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<(), ApiError> {
    if let Some(password) = opt_str(input, "password")?.flatten() {
        if caller.role != Role::Admin && caller.id != id {
            return Err(ApiError::Forbidden);
        }
        if password.chars().count() < 5 {
            return Err(ApiError::invalid(
                "password",
                "Password: must be at least 5 characters",
                "InvalidValue",
            ));
        }
        store::set_password_hash(conn, id, Some(&crate::util::hash_password(&password))).await?;
    }
    Ok(())
}

/// Creates one user.
pub async fn create_user(
    conn: &mut SqliteConnection,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let at = iso(now());
    let id = store::next_row_id(conn, "users").await?;
    let mut user = store::new_user_json(id, "", &at);
    apply(conn, caller, &mut user, input, true).await?;
    store::save_user(conn, &user).await?;
    set_password(conn, caller, id, input).await?;
    Ok(user)
}

/// Updates the user matching `email` or `external_id`, or creates one; returns (user, created).
pub async fn create_or_update_user(
    conn: &mut SqliteConnection,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<(Value, bool), ApiError> {
    caller.require_agent()?;
    let mut existing = None;
    if let Some(email) = opt_str(input, "email")?.flatten() {
        existing = store::user_id_by(conn, "email", &email).await?;
    }
    if existing.is_none()
        && let Some(external) = opt_str(input, "external_id")?.flatten()
    {
        existing = store::user_id_by(conn, "external_id", &external).await?;
    }
    match existing {
        Some(id) => Ok((update_user(conn, caller, id, input).await?, false)),
        None => Ok((create_user(conn, caller, input).await?, true)),
    }
}

/// Updates one user.
pub async fn update_user(
    conn: &mut SqliteConnection,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let mut user = fetch_in(conn, Table::Users, id).await?;
    check_write(caller, &user)?;
    apply(conn, caller, &mut user, input, false).await?;
    user["updated_at"] = json!(iso(now()));
    store::save_user(conn, &user).await?;
    set_password(conn, caller, id, input).await?;
    Ok(user)
}

/// Soft-deletes one user (`active: false`).
pub async fn delete_user(
    conn: &mut SqliteConnection,
    caller: &Caller,
    id: i64,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let mut user = fetch_in(conn, Table::Users, id).await?;
    check_write(caller, &user)?;
    if id == caller.id {
        return Err(ApiError::invalid(
            "id",
            "Id: you cannot delete yourself",
            "InvalidValue",
        ));
    }
    user["active"] = json!(false);
    user["updated_at"] = json!(iso(now()));
    store::save_user(conn, &user).await?;
    Ok(user)
}

/// End-users edit themselves; agents edit end-users and themselves; admins edit anyone.
fn check_write(caller: &Caller, user: &Value) -> Result<(), ApiError> {
    let id = user["id"].as_i64().unwrap_or_default();
    match caller.role {
        Role::Admin => Ok(()),
        _ if caller.id == id => Ok(()),
        Role::Agent if user["role"] == "end-user" => Ok(()),
        _ => Err(ApiError::Forbidden),
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
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let request = page_request(&params, 100)?;
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
        let marks = vec!["$?"; roles.len()].join(", ");
        filters.push(Filter::new(
            format!("role IN ({marks})"),
            roles.iter().map(|r| Bind::Text(r.clone())).collect(),
        ));
    }
    if let Some(set) = params.get("permission_set") {
        let set: i64 = set.parse().map_err(|_| {
            ApiError::bad_value(format!(
                "permission_set must be a numeric custom role id, got `{set}`"
            ))
        })?;
        filters.push(Filter::new("custom_role_id = $?", vec![Bind::Int(set)]));
    }
    if let Some(external) = params.get("external_id") {
        filters.push(external_id_filter(external));
    }
    Listing::new(&base, &params, request, filters)
        .serve::<Users>(&state.inner.store)
        .await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    if !caller.is_agent() && caller.id != id {
        return Err(ApiError::Forbidden);
    }
    let user = fetch(&state.inner.store, Table::Users, id).await?;
    Ok(Users::one(user, &base))
}

pub async fn me(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
) -> Result<Response, ApiError> {
    let Some(caller) = caller else {
        return Ok(axum::Json(json!({"user": anonymous()})).into_response());
    };
    let user = state
        .inner
        .store
        .get(Table::Users, caller.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let mut user = Users::render(user, &base);
    // Zendesk hands the signed-in user a CSRF token here; it authorises nothing in the sandbox.
    user["authenticity_token"] = json!(crate::util::random_token());
    Ok(axum::Json(json!({ "user": user })).into_response())
}

pub async fn show_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let users = match params.ids("ids")? {
        Some(ids) => state.inner.store.get_many(Table::Users, &ids).await?,
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
            if externals.len() > 100 {
                return Err(ApiError::too_many_values());
            }
            let mut out = Vec::new();
            let mut conn = state.inner.store.pool().acquire().await?;
            for external in externals {
                if let Some(id) = store::user_id_by(&mut conn, "external_id", &external).await?
                    && let Some(user) = store::get_json(&mut conn, Table::Users, id).await?
                {
                    out.push(user);
                }
            }
            out
        }
    };
    Ok(Users::show_many(users, &base))
}

pub async fn search(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    if params.has("page[size]") || params.has("page[after]") || params.has("page[before]") {
        return Err(ApiError::bad_param(
            "page must be an integer: /users/search pages with page and per_page only",
        ));
    }
    // Offset only: the cursor parameters were refused above.
    let request = page_request(&params, 100)?;
    let mut filters = Vec::new();
    let query = params.get("query").map(str::trim).filter(|q| !q.is_empty());
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
                "email" => filters.push(Filter::new("email = $?", vec![Bind::Text(value)])),
                "role" => filters.push(Filter::new("role = $?", vec![Bind::Text(value)])),
                "external_id" => {
                    filters.push(Filter::new("external_id = $?", vec![Bind::Text(value)]))
                }
                "name" => filters.push(Filter::new(
                    "lower(name) LIKE $?",
                    vec![Bind::Text(format!("%{value}%"))],
                )),
                "organization" | "organization_id" => {
                    let id: i64 = value.parse().map_err(|_| {
                        ApiError::bad_value(format!(
                            "organization must be a numeric id in a user search, got `{value}`"
                        ))
                    })?;
                    filters.push(Filter::new("organization_id = $?", vec![Bind::Int(id)]));
                }
                _ => {
                    let like = format!("%{value}%");
                    let phrase = format!("\"{}\"", value.replace('"', "\"\""));
                    filters.push(Filter::new(
                        "lower(name) LIKE $? OR email LIKE $? OR phone LIKE $? OR id IN (SELECT rowid FROM users_fts WHERE users_fts MATCH $?)",
                        vec![Bind::Text(like.clone()), Bind::Text(like.clone()), Bind::Text(like), Bind::Text(phrase)],
                    ));
                }
            }
        }
    }
    Listing::new(&base, &params, request, filters)
        .serve_at::<Users>(&state.inner.store, "users/search")
        .await
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "user")?;
    let mut tx = state.inner.store.begin().await?;
    let user = create_user(&mut tx, &caller, input).await?;
    tx.commit().await?;
    Ok(Users::created(user, &base))
}

pub async fn create_or_update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "user")?;
    let mut tx = state.inner.store.begin().await?;
    let (user, was_created) = create_or_update_user(&mut tx, &caller, input).await?;
    tx.commit().await?;
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
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let input = object_under(&body, "user")?;
    let mut tx = state.inner.store.begin().await?;
    let user = update_user(&mut tx, &caller, id, input).await?;
    tx.commit().await?;
    Ok(Users::one(user, &base))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let mut tx = state.inner.store.begin().await?;
    let user = delete_user(&mut tx, &caller, id).await?;
    tx.commit().await?;
    Ok(Users::one(user, &base))
}

pub async fn create_or_update_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    shared::queue_items::<Users>(
        &state,
        &caller,
        &base,
        &body,
        JobKind::UsersCreateOrUpdate,
        ApiError::too_many_values,
    )
    .await
}
