//! Triggers and automations over HTTP, in Zendesk's shapes: list (`active`, `category_id` for
//! triggers, `sort_by` / `sort_order`), active, search (`query` in the title), show, create,
//! update, delete, `update_many`, `destroy_many`; for triggers also `definitions`, `reorder`
//! and the trigger categories. Agents read them; admins change them. What each write does and
//! refuses is `business_rules::rule_records`.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{self, MethodRouter};
use serde_json::{Value, json};

use super::bulk::required_ids;
use super::business_rules::list_sort;
use super::endpoint::Endpoint;
use super::http::{BaseUrl, JsonBody, Params, PathId, Query, array_under, object_under};
use super::listing::Listing;
use super::paging::page_request;
use super::resource::{
    self, Create, CreateRule, Delete, DeleteRule, Resource, Show, Update, UpdateRule,
};
use crate::business_rules::account;
use crate::business_rules::definitions::definitions;
use crate::business_rules::rule_records::{self, category_view};
use crate::business_rules::vocabulary::RuleKind;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::state::AppState;
use crate::store::{Bind, Filter, Table, like_escape};

/// Triggers as served (see `resource`).
pub struct Triggers;
/// Automations as served.
pub struct Automations;

impl Resource for Triggers {
    const TABLE: Table = Table::Triggers;
    const ONE: &'static str = "trigger";
    const MANY: &'static str = "triggers";
}

impl Resource for Automations {
    const TABLE: Table = Table::Automations;
    const ONE: &'static str = "automation";
    const MANY: &'static str = "automations";
}

/// A kind of business rule served from its table.
pub trait RuleResource: Resource {
    const KIND: RuleKind;
}

impl RuleResource for Triggers {
    const KIND: RuleKind = RuleKind::Trigger;
}

impl RuleResource for Automations {
    const KIND: RuleKind = RuleKind::Automation;
}

macro_rules! rule_writes {
    ($resource:ty) => {
        impl Show for $resource {}

        impl Create for $resource {
            const CREATE: CreateRule =
                |tx, _caller, input| rule_records::create(tx, <$resource>::KIND, input);
        }

        impl Update for $resource {
            const UPDATE: UpdateRule =
                |tx, _caller, id, input| rule_records::update(tx, <$resource>::KIND, id, input);
        }

        impl Delete for $resource {
            const DELETE: DeleteRule =
                |tx, _caller, id| rule_records::delete(tx, <$resource>::KIND, id);
        }
    };
}

rule_writes!(Triggers);
rule_writes!(Automations);

/// The filters of a rule list: `active`, and a trigger's `category_id`.
fn list_filters<R: RuleResource>(params: &Params) -> Result<Vec<Filter>, ApiError> {
    let mut filters = Vec::new();
    match params.get("active") {
        None => {}
        Some("true") => filters.push(Filter::Eq("active", Bind::Int(1))),
        Some("false") => filters.push(Filter::Eq("active", Bind::Int(0))),
        Some(other) => {
            return Err(ApiError::bad_value(format!(
                "active must be true or false, got `{other}`"
            )));
        }
    }
    if let Some(category) = params.get("category_id") {
        if R::KIND != RuleKind::Trigger {
            return Err(ApiError::bad_param(
                "category_id filters triggers; automations have no categories",
            ));
        }
        let id: i64 = category.trim().parse().map_err(|_| {
            ApiError::bad_value(format!(
                "category_id must be a trigger category's id, such as 10026; got `{category}`"
            ))
        })?;
        filters.push(Filter::Eq("category_id", Bind::Text(id.to_string())));
    }
    Ok(filters)
}

async fn serve<R: RuleResource>(
    state: &AppState,
    base: &str,
    params: &Params,
    mut filters: Vec<Filter>,
    path: &str,
) -> Result<Response, ApiError> {
    filters.extend(list_filters::<R>(params)?);
    let request = page_request(params)?;
    let sort = list_sort(params)?;
    Listing::new(base, params, request, filters)
        .sorted(sort)
        .serve_at::<R>(state.store(), path)
        .await
}

/// `GET /triggers`, `GET /automations`.
pub async fn list<R: RuleResource>(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    serve::<R>(&state, &base, &params, Vec::new(), R::MANY).await
}

/// `GET /triggers/active`, `GET /automations/active`.
pub async fn active<R: RuleResource>(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let filters = vec![Filter::Eq("active", Bind::Int(1))];
    let path = format!("{}/active", R::MANY);
    serve::<R>(&state, &base, &params, filters, &path).await
}

/// `GET /triggers/search?query=`: rules whose title holds the query.
pub async fn search<R: RuleResource>(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let Some(query) = params.get("query").map(str::trim).filter(|q| !q.is_empty()) else {
        return Err(ApiError::bad_value(format!(
            "query is required: words of the {} titles to find, such as query=urgent",
            R::KIND.noun()
        )));
    };
    let pattern = format!("%{}%", like_escape(&query.to_lowercase()));
    let filters = vec![Filter::Like("title_lower", pattern)];
    let path = format!("{}/search", R::MANY);
    serve::<R>(&state, &base, &params, filters, &path).await
}

/// `GET /triggers/definitions`: the conditions, operators, values and actions this account's
/// triggers may use.
pub async fn trigger_definitions(State(state): State<AppState>) -> Result<Response, ApiError> {
    let vocabulary = state
        .store()
        .read(|reader| Ok::<_, ApiError>(account::vocabulary(reader)?))
        .await?;
    Ok(axum::Json(definitions(RuleKind::Trigger, &vocabulary)).into_response())
}

/// `PUT /triggers/update_many` with `{"triggers": [{"id", "position", "active",
/// "category_id"}]}` (automations: `{"automations": [...]}`), all or none.
pub async fn update_many<R: RuleResource>(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let items = array_under(&body, R::MANY)?.clone();
    let updated = state
        .store()
        .write(move |tx| rule_records::update_many(tx, R::KIND, &items))
        .await?;
    let rendered: Vec<Value> = updated.into_iter().map(|r| R::render(r, &base)).collect();
    Ok(axum::Json(json!({ R::MANY: rendered })).into_response())
}

/// `DELETE /triggers/destroy_many?ids=1,2`: all or none; 204.
pub async fn destroy_many<R: RuleResource>(
    State(state): State<AppState>,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let ids = required_ids(&params, R::MANY)?;
    state
        .store()
        .write(move |tx| rule_records::destroy_many(tx, R::KIND, &ids))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /triggers/reorder` with `{"trigger_ids": [...]}`: the firing order.
pub async fn reorder(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let ids: Vec<i64> = match body.get("trigger_ids") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| crate::util::as_id(item).ok_or(item))
            .collect::<Result<_, _>>()
            .map_err(|item| {
                ApiError::invalid(
                    "trigger_ids",
                    format!("Trigger ids: every item is a trigger's id, such as 25; got {item}"),
                    "InvalidValue",
                )
            })?,
        _ => Vec::new(),
    };
    state
        .store()
        .write(move |tx| rule_records::reorder(tx, &ids))
        .await?;
    Ok(axum::Json(json!({})).into_response())
}

/// `GET /trigger_categories`: every category, by position (an account has few).
pub async fn categories(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut records = state
        .store()
        .read(|reader| reader.find(Table::TriggerCategories, &[], 10_000))
        .await?;
    records.sort_by_key(|r| (r["position"].as_i64(), r["id"].as_i64()));
    let count = records.len();
    let records: Vec<Value> = records.into_iter().map(category_view).collect();
    Ok(axum::Json(json!({
        "trigger_categories": records,
        "meta": {"has_more": false, "after_cursor": null, "before_cursor": null},
        "links": {"next": null, "prev": null},
        "count": count,
    }))
    .into_response())
}

/// `GET /trigger_categories/{id}`.
pub async fn category(
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let record = resource::fetch(state.store(), Table::TriggerCategories, id).await?;
    Ok(axum::Json(json!({"trigger_category": category_view(record)})).into_response())
}

/// `POST /trigger_categories` with `{"trigger_category": {"name", "position"}}`.
pub async fn create_category(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "trigger_category")?.clone();
    let record = state
        .store()
        .write(move |tx| rule_records::create_category(tx, &input))
        .await?;
    let body = json!({"trigger_category": category_view(record)});
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

/// `PATCH /trigger_categories/{id}`.
pub async fn update_category(
    State(state): State<AppState>,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "trigger_category")?.clone();
    let record = state
        .store()
        .write(move |tx| rule_records::update_category(tx, id, &input))
        .await?;
    Ok(axum::Json(json!({"trigger_category": category_view(record)})).into_response())
}

/// `DELETE /trigger_categories/{id}`: an empty category; 204.
pub async fn delete_category(
    State(state): State<AppState>,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    state
        .store()
        .write(move |tx| rule_records::delete_category(tx, id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn patch(path: &'static str, who: Who, handler: MethodRouter<AppState>) -> Endpoint {
    Endpoint {
        method: Method::PATCH,
        path,
        who,
        handler,
    }
}

/// The endpoints of one kind of rule at `/api/v2/{plural}`.
macro_rules! rule_endpoints {
    ($resource:ty, $plural:literal) => {
        vec![
            Endpoint::get(concat!("/api/v2/", $plural), Who::Agents, list::<$resource>),
            Endpoint::post(
                concat!("/api/v2/", $plural),
                Who::Admins,
                resource::create::<$resource>,
            ),
            Endpoint::get(
                concat!("/api/v2/", $plural, "/active"),
                Who::Agents,
                active::<$resource>,
            ),
            Endpoint::get(
                concat!("/api/v2/", $plural, "/search"),
                Who::Agents,
                search::<$resource>,
            ),
            Endpoint::put(
                concat!("/api/v2/", $plural, "/update_many"),
                Who::Admins,
                update_many::<$resource>,
            ),
            Endpoint::delete(
                concat!("/api/v2/", $plural, "/destroy_many"),
                Who::Admins,
                destroy_many::<$resource>,
            ),
            Endpoint::get(
                concat!("/api/v2/", $plural, "/{id}"),
                Who::Agents,
                resource::show::<$resource>,
            ),
            Endpoint::put(
                concat!("/api/v2/", $plural, "/{id}"),
                Who::Admins,
                resource::update::<$resource>,
            ),
            Endpoint::delete(
                concat!("/api/v2/", $plural, "/{id}"),
                Who::Admins,
                resource::delete::<$resource>,
            ),
        ]
    };
}

/// Triggers, their categories and automations, and who may call each (`permissions::Who`):
/// agents read them, admins change them, end-users neither.
pub fn endpoints() -> Vec<Endpoint> {
    let mut endpoints = rule_endpoints!(Triggers, "triggers");
    endpoints.extend(rule_endpoints!(Automations, "automations"));
    endpoints.extend([
        Endpoint::get(
            "/api/v2/triggers/definitions",
            Who::Agents,
            trigger_definitions,
        ),
        Endpoint::put("/api/v2/triggers/reorder", Who::Admins, reorder),
        Endpoint::get("/api/v2/trigger_categories", Who::Agents, categories),
        Endpoint::post("/api/v2/trigger_categories", Who::Admins, create_category),
        Endpoint::get("/api/v2/trigger_categories/{id}", Who::Agents, category),
        patch(
            "/api/v2/trigger_categories/{id}",
            Who::Admins,
            routing::patch(update_category),
        ),
        Endpoint::delete(
            "/api/v2/trigger_categories/{id}",
            Who::Admins,
            delete_category,
        ),
    ]);
    endpoints
}
