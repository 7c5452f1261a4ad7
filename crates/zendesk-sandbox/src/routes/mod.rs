//! The HTTP surface: every `/api/v2` path (each also answering with a `.json` suffix), the
//! rate limiter in front of them, and Zendesk-shaped answers for unknown paths and methods.
//!
//! One module per resource holds its endpoints (`endpoints()`: method, path, who may call it,
//! handler) and its special handlers; what each write does is in `crate::rules`. What they
//! share: `resource` (a record as served, and the one show / create / update / delete handler
//! for resources of the plain form), `listing` and `paging` (lists and their envelopes),
//! `audience` (who an answer is for, side-loads), `bulk` (the bulk endpoints, run as jobs),
//! `http` (query string, JSON body, path ids, base URL) and `stream` (answers written as they
//! are read). Outside `/api/v2`, `oauth_server` serves the OAuth authorization page and token
//! endpoint.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tower::ServiceExt;

use crate::permissions::Who;
use crate::state::AppState;
use endpoint::Endpoint;

pub mod attachments;
pub mod audience;
pub mod bulk;
pub mod business_rules;
pub mod endpoint;
pub mod group_memberships;
pub mod groups;
pub mod help_center;
pub mod http;
pub mod incremental;
pub mod job_statuses;
pub mod listing;
pub mod macros;
pub mod oauth;
pub mod oauth_clients;
pub mod oauth_server;
pub mod organization_fields;
pub mod organizations;
pub mod paging;
pub mod resource;
pub mod sandbox;
pub mod search;
pub mod stream;
pub mod ticket_fields;
pub mod tickets;
pub mod triggers;
pub mod users;
pub mod views;
pub mod webhooks;

/// Every endpoint of the sandbox, each resource's in turn.
pub fn endpoints() -> Vec<Endpoint> {
    [
        tickets::endpoints(),
        users::endpoints(),
        organizations::endpoints(),
        organization_fields::endpoints(),
        ticket_fields::endpoints(),
        groups::endpoints(),
        group_memberships::endpoints(),
        job_statuses::endpoints(),
        macros::endpoints(),
        views::endpoints(),
        help_center::endpoints(),
        attachments::endpoints(),
        search::endpoints(),
        incremental::endpoints(),
        oauth_clients::endpoints(),
        oauth::endpoints(),
        triggers::endpoints(),
        sandbox::endpoints(),
        crate::console::endpoints(),
        webhooks::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Each endpoint's method, path and who may call it: the endpoint half of the permission model,
/// for the role-matrix test and documentation.
pub fn access_table() -> Vec<(Method, &'static str, Who)> {
    endpoints()
        .into_iter()
        .map(|e| (e.method, e.path, e.who))
        .collect()
}

pub fn router(state: AppState) -> Router {
    in_process(state.clone()).layer(axum::middleware::from_fn_with_state(
        state.inner.limiter.clone(),
        crate::ratelimit::limit,
    ))
}

/// The API without the account's rate limit: what the console calls in process as its signed-in
/// user (Zendesk's own agent pages do not count against the API's limit either).
pub fn in_process(state: AppState) -> Router {
    let mut api = Router::new();
    for endpoint in endpoints() {
        let who = endpoint.who;
        // What a token's scopes must grant here, derived from the table entry itself.
        let need = crate::permissions::scope_needed(&endpoint.method, endpoint.path);
        let guarded = endpoint
            .handler
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                move |state: State<AppState>, request: Request, next: Next| {
                    crate::auth::admit(who, need, state, request, next)
                },
            ));
        api = api.route(endpoint.path, guarded);
    }
    // The OAuth server's own pages: they authenticate users and clients themselves.
    api = api
        .route(
            "/oauth/authorizations/new",
            get(oauth_server::authorize_page).post(oauth_server::authorize_decision),
        )
        .route("/oauth/tokens", post(oauth_server::tokens));
    let mut api = api
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state.clone());
    if state.inner.help_center_url.is_some() {
        api = api.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            help_center::published_at,
        ));
    }

    // `.json` is stripped before routing so every path answers with and without it.
    let inner = api.map_request(strip_json_suffix);
    Router::new().fallback_service(inner)
}

fn strip_json_suffix(mut request: Request) -> Request {
    let uri = request.uri();
    if let Some(stripped) = uri.path().strip_suffix(".json") {
        let rebuilt = match uri.query() {
            Some(query) => format!("{stripped}?{query}"),
            None => stripped.to_string(),
        };
        if let Ok(new_uri) = rebuilt.parse::<Uri>() {
            *request.uri_mut() = new_uri;
        }
    }
    request
}

async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"error": "InvalidEndpoint", "description": "Not found"})),
    )
        .into_response()
}

async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(json!({
            "error": "MethodNotAllowed",
            "description": "This endpoint does not accept this HTTP method",
        })),
    )
        .into_response()
}
