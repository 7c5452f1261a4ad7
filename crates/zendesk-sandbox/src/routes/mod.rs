//! The HTTP surface: every `/api/v2` path (each also answering with a `.json` suffix), the
//! rate limiter in front of them, and Zendesk-shaped answers for unknown paths and methods.
//! One module per resource holds its handlers (what each write does is in `crate::rules`);
//! `shared` holds what they have in common (record rendering, lists, bulk endpoints), `http`
//! the request pieces (query string, JSON body, base URL) and `paging` the list envelopes.

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::json;
use tower::ServiceExt;

use crate::AppState;
use crate::error::ApiError;
use organizations::Organizations;
use shared::{create_many, destroy_many, update_many};
use tickets::Tickets;
use users::Users;

pub mod group_memberships;
pub mod groups;
pub mod http;
pub mod job_statuses;
pub mod oauth;
pub mod organization_fields;
pub mod organizations;
pub mod paging;
pub mod search;
pub mod shared;
pub mod ticket_fields;
pub mod tickets;
pub mod users;

/// The path id as a number; anything else is a 404, as on Zendesk.
pub fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.trim().parse::<i64>().map_err(|_| ApiError::NotFound)
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/v2/tickets", get(tickets::list).post(tickets::create))
        .route("/api/v2/tickets/show_many", get(tickets::show_many))
        .route("/api/v2/tickets/create_many", post(create_many::<Tickets>))
        .route("/api/v2/tickets/update_many", put(update_many::<Tickets>))
        .route(
            "/api/v2/tickets/destroy_many",
            axum::routing::delete(destroy_many::<Tickets>),
        )
        .route(
            "/api/v2/tickets/{id}",
            get(tickets::show)
                .put(tickets::update)
                .delete(tickets::delete),
        )
        .route("/api/v2/tickets/{id}/merge", post(tickets::merge))
        .route("/api/v2/tickets/{id}/comments", get(tickets::comments))
        .route("/api/v2/tickets/{id}/audits", get(tickets::audits))
        .route("/api/v2/ticket_audits", get(tickets::all_audits))
        .route("/api/v2/deleted_tickets", get(tickets::deleted_list))
        .route(
            "/api/v2/deleted_tickets/restore_many",
            put(tickets::deleted_restore_many),
        )
        .route(
            "/api/v2/deleted_tickets/destroy_many",
            axum::routing::delete(tickets::deleted_destroy_many),
        )
        .route(
            "/api/v2/deleted_tickets/{id}",
            axum::routing::delete(tickets::deleted_purge),
        )
        .route(
            "/api/v2/deleted_tickets/{id}/restore",
            put(tickets::deleted_restore),
        )
        .route("/api/v2/users", get(users::list).post(users::create))
        .route("/api/v2/users/me", get(users::me))
        .route("/api/v2/users/search", get(users::search))
        .route("/api/v2/users/show_many", get(users::show_many))
        .route("/api/v2/users/create_many", post(create_many::<Users>))
        .route(
            "/api/v2/users/create_or_update",
            post(users::create_or_update),
        )
        .route(
            "/api/v2/users/create_or_update_many",
            post(users::create_or_update_many),
        )
        .route("/api/v2/users/update_many", put(update_many::<Users>))
        .route(
            "/api/v2/users/destroy_many",
            axum::routing::delete(destroy_many::<Users>),
        )
        .route(
            "/api/v2/users/{id}",
            get(users::show).put(users::update).delete(users::delete),
        )
        .route(
            "/api/v2/organizations",
            get(organizations::list).post(organizations::create),
        )
        .route(
            "/api/v2/organizations/autocomplete",
            get(organizations::autocomplete),
        )
        .route(
            "/api/v2/organizations/show_many",
            get(organizations::show_many),
        )
        .route(
            "/api/v2/organizations/create_many",
            post(create_many::<Organizations>),
        )
        .route(
            "/api/v2/organizations/update_many",
            put(update_many::<Organizations>),
        )
        .route(
            "/api/v2/organizations/destroy_many",
            axum::routing::delete(destroy_many::<Organizations>),
        )
        .route(
            "/api/v2/organizations/{id}",
            get(organizations::show)
                .put(organizations::update)
                .delete(organizations::delete),
        )
        .route(
            "/api/v2/organization_fields",
            get(organization_fields::list).post(organization_fields::create),
        )
        .route(
            "/api/v2/organization_fields/reorder",
            put(organization_fields::reorder),
        )
        .route(
            "/api/v2/organization_fields/{id}",
            get(organization_fields::show)
                .put(organization_fields::update)
                .delete(organization_fields::delete),
        )
        .route("/api/v2/groups", get(groups::list).post(groups::create))
        .route(
            "/api/v2/groups/{id}",
            get(groups::show).put(groups::update).delete(groups::delete),
        )
        .route(
            "/api/v2/groups/{id}/memberships",
            get(group_memberships::of_group),
        )
        .route(
            "/api/v2/group_memberships",
            get(group_memberships::list).post(group_memberships::create),
        )
        .route(
            "/api/v2/group_memberships/assignable",
            get(group_memberships::assignable),
        )
        .route(
            "/api/v2/group_memberships/{id}",
            get(group_memberships::show).delete(group_memberships::delete),
        )
        .route(
            "/api/v2/users/{id}/group_memberships",
            get(group_memberships::of_user).post(group_memberships::create_for_user),
        )
        .route(
            "/api/v2/users/{user_id}/group_memberships/{id}",
            get(group_memberships::show_of_user).delete(group_memberships::delete_of_user),
        )
        .route(
            "/api/v2/users/{user_id}/group_memberships/{id}/make_default",
            put(group_memberships::make_default),
        )
        .route(
            "/api/v2/ticket_fields",
            get(ticket_fields::list).post(ticket_fields::create),
        )
        .route(
            "/api/v2/ticket_fields/{id}",
            get(ticket_fields::show)
                .put(ticket_fields::update)
                .delete(ticket_fields::delete),
        )
        .route("/api/v2/job_statuses", get(job_statuses::list))
        .route(
            "/api/v2/job_statuses/show_many",
            get(job_statuses::show_many),
        )
        .route("/api/v2/job_statuses/{id}", get(job_statuses::show))
        .route("/api/v2/search", get(search::search))
        .route("/api/v2/search/count", get(search::count))
        .route("/api/v2/search/export", get(search::export))
        .route("/api/v2/oauth/tokens", post(oauth::create))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state.clone());

    // `.json` is stripped before routing so every path answers with and without it.
    let inner = api.map_request(strip_json_suffix);
    Router::new()
        .fallback_service(inner)
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::ratelimit::limit,
        ))
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
