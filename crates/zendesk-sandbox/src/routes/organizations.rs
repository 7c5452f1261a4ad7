//! Organizations: list, show, show_many, autocomplete (case-insensitive name prefix, offset),
//! create (unique names), create_many, update (`domain_names` and `tags` replace the lists),
//! update_many, delete (204, for good), destroy_many. `organization_fields` values are checked
//! against each field's type (see `organization_fields`).
//!
//! Agents and admins read and write organizations; end-users see only their own.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sqlx::SqliteConnection;

use super::path_id;
use super::shared::{
    Bulk, Listing, Resource, apply_external_id, check_ref, external_id_filter, fetch, fetch_in,
    required_text,
};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::jobs::JobKind;
use crate::paging::{PageRequest, page_request};
use crate::store::{self, Bind, Filter, Table};
use crate::util::{
    BaseUrl, JsonBody, Query, iso, now, object_under, opt_bool, opt_id, opt_str, tag_list,
};

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

fn domain_list(value: &Value) -> Result<Vec<String>, ApiError> {
    let raw: Vec<String> = match value {
        Value::Null => Vec::new(),
        Value::String(s) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::to_string)
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::invalid(
                        "domain_names",
                        format!("Domain names: every entry must be a string, got {v}"),
                        "InvalidValue",
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(ApiError::invalid(
                "domain_names",
                format!("Domain names: must be an array of strings, got {other}"),
                "InvalidValue",
            ));
        }
    };
    let mut out: Vec<String> = Vec::new();
    for domain in raw {
        let domain = domain.trim().to_lowercase();
        if domain.is_empty() {
            continue;
        }
        if !domain.contains('.') || domain.contains('@') || domain.contains('/') {
            return Err(ApiError::invalid(
                "domain_names",
                format!("Domain names: `{domain}` is not a domain such as example.com"),
                "InvalidValue",
            ));
        }
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    Ok(out)
}

async fn apply(
    conn: &mut SqliteConnection,
    org: &mut Value,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    let id = org["id"].as_i64().unwrap_or_default();
    if let Some(name) = required_text(input, "name", creating)? {
        let name = name.trim().to_string();
        if let Some(other) = store::organization_id_by(conn, "name", &name).await?
            && other != id
        {
            return Err(ApiError::invalid(
                "name",
                format!("Name:  {name} has already been taken"),
                "DuplicateValue",
            ));
        }
        org["name"] = json!(name);
    }
    apply_external_id(conn, Table::Organizations, org, id, input).await?;
    for field in ["details", "notes"] {
        if let Some(value) = opt_str(input, field)? {
            org[field] = json!(value);
        }
    }
    for field in ["shared_tickets", "shared_comments"] {
        if let Some(value) = opt_bool(input, field)? {
            org[field] = json!(value);
        }
    }
    if let Some(group) = opt_id(input, "group_id")? {
        check_ref(conn, "group_id", "Group", Table::Groups, group).await?;
        org["group_id"] = json!(group);
    }
    if let Some(domains) = input.get("domain_names") {
        org["domain_names"] = json!(domain_list(domains)?);
    }
    if let Some(tags) = input.get("tags") {
        org["tags"] = json!(tag_list(tags, "tags")?);
    }
    match input.get("organization_fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(values)) => {
            let fields = store::live_organization_fields(conn).await?;
            let mut current = org["organization_fields"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (key, value) in values {
                let Some(field) = fields.iter().find(|f| f["key"] == key.as_str()) else {
                    return Err(ApiError::invalid(
                        "organization_fields",
                        format!(
                            "Organization fields: there is no organization field with key `{key}`"
                        ),
                        "InvalidValue",
                    ));
                };
                let value =
                    super::organization_fields::check_value(field, value).map_err(|message| {
                        ApiError::invalid("organization_fields", message, "InvalidValue")
                    })?;
                current.insert(key.clone(), value);
            }
            org["organization_fields"] = Value::Object(current);
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "organization_fields",
                format!("Organization fields: must be an object keyed by field key, got {other}"),
                "InvalidValue",
            ));
        }
    }
    Ok(())
}

/// Creates one organization.
pub async fn create_organization(
    conn: &mut SqliteConnection,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let at = iso(now());
    let id = store::next_row_id(conn, "organizations").await?;
    let mut org = json!({
        "id": id, "name": "", "shared_tickets": false, "shared_comments": false,
        "external_id": null, "created_at": at, "updated_at": at, "domain_names": [],
        "details": null, "notes": null, "group_id": null, "tags": [], "organization_fields": {}
    });
    apply(conn, &mut org, input, true).await?;
    store::save_organization(conn, &org).await?;
    Ok(org)
}

/// Updates one organization.
pub async fn update_organization(
    conn: &mut SqliteConnection,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let mut org = fetch_in(conn, Table::Organizations, id).await?;
    apply(conn, &mut org, input, false).await?;
    org["updated_at"] = json!(iso(now()));
    store::save_organization(conn, &org).await?;
    Ok(org)
}

/// Deletes one organization.
pub async fn delete_organization(
    conn: &mut SqliteConnection,
    caller: &Caller,
    id: i64,
) -> Result<(), ApiError> {
    caller.require_agent()?;
    if !store::delete_organization(conn, id).await? {
        return Err(ApiError::NotFound);
    }
    // Members lose the membership, as on Zendesk; their tickets keep their history.
    let at = iso(now());
    for mut user in store::users_in_organization(conn, id).await? {
        user["organization_id"] = Value::Null;
        user["updated_at"] = json!(at);
        store::save_user(conn, &user).await?;
    }
    Ok(())
}

fn visible(caller: &Caller, org_of_caller: Option<i64>, id: i64) -> bool {
    caller.is_agent() || org_of_caller == Some(id)
}

async fn caller_org(state: &AppState, caller: &Caller) -> Result<Option<i64>, ApiError> {
    if caller.is_agent() {
        return Ok(None);
    }
    Ok(state
        .inner
        .store
        .get(Table::Users, caller.id)
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
    let request = page_request(&params, 100)?;
    let mut filters = Vec::new();
    if !caller.is_agent() {
        let own = caller_org(&state, &caller).await?.unwrap_or(-1);
        filters.push(Filter::new("id = $?", vec![Bind::Int(own)]));
    }
    if let Some(external) = params.get("external_id") {
        filters.push(external_id_filter(external));
    }
    Listing::new(&base, &params, request, filters)
        .serve::<Organizations>(&state.inner.store)
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
    let org = fetch(&state.inner.store, Table::Organizations, id).await?;
    Ok(Organizations::one(org, &base))
}

pub async fn show_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let ids = params.ids("ids")?.unwrap_or_default();
    let orgs = state
        .inner
        .store
        .get_many(Table::Organizations, &ids)
        .await?;
    Ok(Organizations::show_many(orgs, &base))
}

pub async fn autocomplete(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let Some(name) = params.get("name").map(str::trim).filter(|n| !n.is_empty()) else {
        return Err(ApiError::bad_value(
            "name is required: the start of an organization name, such as name=acm",
        ));
    };
    let request = match page_request(&params, 100)? {
        PageRequest::Cursor { size, .. } => PageRequest::Offset {
            page: 1,
            per_page: size,
        },
        offset => offset,
    };
    let escaped = name
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let filters = vec![Filter::new(
        "name_lower LIKE $? ESCAPE '\\'",
        vec![Bind::Text(format!("{escaped}%"))],
    )];
    Listing::new(&base, &params, request, filters)
        .serve_at::<Organizations>(&state.inner.store, "organizations/autocomplete")
        .await
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "organization")?;
    let mut tx = state.inner.store.begin().await?;
    let org = create_organization(&mut tx, &caller, input).await?;
    tx.commit().await?;
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
    let input = object_under(&body, "organization")?;
    let mut tx = state.inner.store.begin().await?;
    let org = update_organization(&mut tx, &caller, id, input).await?;
    tx.commit().await?;
    Ok(Organizations::one(org, &base))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let mut tx = state.inner.store.begin().await?;
    delete_organization(&mut tx, &caller, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
