//! The HTTP surface: every `/api/v2` path (each also answering with a `.json` suffix), the
//! rate limiter in front of them, and Zendesk-shaped answers for unknown paths and methods.
//! One module per resource holds its handlers (what each write does is in `crate::rules`);
//! `shared` holds what they have in common (record rendering, lists, bulk endpoints), `http`
//! the request pieces (query string, JSON body, base URL) and `paging` the list envelopes.
//! Outside `/api/v2`, `oauth_server` serves the OAuth authorization page and token endpoint.

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use serde_json::json;
use tower::ServiceExt;

use crate::AppState;
use crate::error::ApiError;
use crate::permissions::Who;
use organizations::Organizations;
use shared::{create_many, destroy_many, update_many};
use tickets::Tickets;
use users::Users;

pub mod attachments;
pub mod group_memberships;
pub mod groups;
pub mod help_center;
pub mod http;
pub mod job_statuses;
pub mod macros;
pub mod oauth;
pub mod oauth_clients;
pub mod oauth_server;
pub mod organization_fields;
pub mod organizations;
pub mod paging;
pub mod search;
pub mod shared;
pub mod stream;
pub mod ticket_fields;
pub mod tickets;
pub mod users;
pub mod views;

/// The path id as a number; anything else is a 404, as on Zendesk.
pub fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.trim().parse::<i64>().map_err(|_| ApiError::NotFound)
}

/// One endpoint: the method and path (as the router matches it, without `.json`), who may call
/// it (see `permissions`), and its handler.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    pub who: Who,
    handler: MethodRouter<AppState>,
}

fn endpoint(
    method: Method,
    path: &'static str,
    who: Who,
    handler: MethodRouter<AppState>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        who,
        handler,
    }
}

/// Every endpoint of the sandbox. "Own" notes where end-users reach only their own records
/// (the handlers filter through `permissions`).
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Admins, Agents, Anyone, SignedIn};
    let (g, p, u, d) = (Method::GET, Method::POST, Method::PUT, Method::DELETE);
    vec![
        // Tickets: end-users their own (as requester), comment-only updates.
        endpoint(g.clone(), "/api/v2/tickets", SignedIn, get(tickets::list)),
        endpoint(
            p.clone(),
            "/api/v2/tickets",
            SignedIn,
            post(tickets::create),
        ),
        endpoint(
            g.clone(),
            "/api/v2/tickets/show_many",
            SignedIn,
            get(tickets::show_many),
        ),
        endpoint(
            p.clone(),
            "/api/v2/tickets/create_many",
            Agents,
            post(create_many::<Tickets>),
        ),
        endpoint(
            u.clone(),
            "/api/v2/tickets/update_many",
            Agents,
            put(update_many::<Tickets>),
        ),
        endpoint(
            d.clone(),
            "/api/v2/tickets/destroy_many",
            Agents,
            delete(destroy_many::<Tickets>),
        ),
        endpoint(
            g.clone(),
            "/api/v2/tickets/{id}",
            SignedIn,
            get(tickets::show),
        ),
        endpoint(
            u.clone(),
            "/api/v2/tickets/{id}",
            SignedIn,
            put(tickets::update),
        ),
        endpoint(
            d.clone(),
            "/api/v2/tickets/{id}",
            Agents,
            delete(tickets::delete),
        ),
        endpoint(
            p.clone(),
            "/api/v2/tickets/{id}/merge",
            Agents,
            post(tickets::merge),
        ),
        endpoint(
            g.clone(),
            "/api/v2/tickets/{id}/comments",
            SignedIn,
            get(tickets::comments),
        ),
        endpoint(
            g.clone(),
            "/api/v2/tickets/{id}/audits",
            Agents,
            get(tickets::audits),
        ),
        endpoint(
            g.clone(),
            "/api/v2/ticket_audits",
            Agents,
            get(tickets::all_audits),
        ),
        endpoint(
            g.clone(),
            "/api/v2/deleted_tickets",
            Agents,
            get(tickets::deleted_list),
        ),
        endpoint(
            u.clone(),
            "/api/v2/deleted_tickets/restore_many",
            Agents,
            put(tickets::deleted_restore_many),
        ),
        endpoint(
            d.clone(),
            "/api/v2/deleted_tickets/destroy_many",
            Agents,
            delete(tickets::deleted_destroy_many),
        ),
        endpoint(
            d.clone(),
            "/api/v2/deleted_tickets/{id}",
            Agents,
            delete(tickets::deleted_purge),
        ),
        endpoint(
            u.clone(),
            "/api/v2/deleted_tickets/{id}/restore",
            Agents,
            put(tickets::deleted_restore),
        ),
        // The sandbox's own: the request log the console's Activity page shows.
        endpoint(
            g.clone(),
            "/api/v2/sandbox/requests",
            Agents,
            get(crate::console::request_log::list),
        ),
        // Users: end-users themselves (a few fields of their own profile).
        endpoint(g.clone(), "/api/v2/users", Agents, get(users::list)),
        endpoint(p.clone(), "/api/v2/users", Agents, post(users::create)),
        endpoint(g.clone(), "/api/v2/users/me", Anyone, get(users::me)),
        endpoint(
            g.clone(),
            "/api/v2/users/search",
            Agents,
            get(users::search),
        ),
        endpoint(
            g.clone(),
            "/api/v2/users/show_many",
            Agents,
            get(users::show_many),
        ),
        endpoint(
            p.clone(),
            "/api/v2/users/create_many",
            Agents,
            post(create_many::<Users>),
        ),
        endpoint(
            p.clone(),
            "/api/v2/users/create_or_update",
            Agents,
            post(users::create_or_update),
        ),
        endpoint(
            p.clone(),
            "/api/v2/users/create_or_update_many",
            Agents,
            post(users::create_or_update_many),
        ),
        endpoint(
            u.clone(),
            "/api/v2/users/update_many",
            Agents,
            put(update_many::<Users>),
        ),
        endpoint(
            d.clone(),
            "/api/v2/users/destroy_many",
            Agents,
            delete(destroy_many::<Users>),
        ),
        endpoint(g.clone(), "/api/v2/users/{id}", SignedIn, get(users::show)),
        endpoint(
            u.clone(),
            "/api/v2/users/{id}",
            SignedIn,
            put(users::update),
        ),
        endpoint(
            d.clone(),
            "/api/v2/users/{id}",
            Agents,
            delete(users::delete),
        ),
        // Organizations: end-users their own.
        endpoint(
            g.clone(),
            "/api/v2/organizations",
            SignedIn,
            get(organizations::list),
        ),
        endpoint(
            p.clone(),
            "/api/v2/organizations",
            Agents,
            post(organizations::create),
        ),
        endpoint(
            g.clone(),
            "/api/v2/organizations/autocomplete",
            Agents,
            get(organizations::autocomplete),
        ),
        endpoint(
            g.clone(),
            "/api/v2/organizations/show_many",
            Agents,
            get(organizations::show_many),
        ),
        endpoint(
            p.clone(),
            "/api/v2/organizations/create_many",
            Agents,
            post(create_many::<Organizations>),
        ),
        endpoint(
            u.clone(),
            "/api/v2/organizations/update_many",
            Agents,
            put(update_many::<Organizations>),
        ),
        endpoint(
            d.clone(),
            "/api/v2/organizations/destroy_many",
            Agents,
            delete(destroy_many::<Organizations>),
        ),
        endpoint(
            g.clone(),
            "/api/v2/organizations/{id}",
            SignedIn,
            get(organizations::show),
        ),
        endpoint(
            u.clone(),
            "/api/v2/organizations/{id}",
            Agents,
            put(organizations::update),
        ),
        endpoint(
            d.clone(),
            "/api/v2/organizations/{id}",
            Agents,
            delete(organizations::delete),
        ),
        // Account configuration: agents read, admins write.
        endpoint(
            g.clone(),
            "/api/v2/organization_fields",
            Agents,
            get(organization_fields::list),
        ),
        endpoint(
            p.clone(),
            "/api/v2/organization_fields",
            Admins,
            post(organization_fields::create),
        ),
        endpoint(
            u.clone(),
            "/api/v2/organization_fields/reorder",
            Admins,
            put(organization_fields::reorder),
        ),
        endpoint(
            g.clone(),
            "/api/v2/organization_fields/{id}",
            Agents,
            get(organization_fields::show),
        ),
        endpoint(
            u.clone(),
            "/api/v2/organization_fields/{id}",
            Admins,
            put(organization_fields::update),
        ),
        endpoint(
            d.clone(),
            "/api/v2/organization_fields/{id}",
            Admins,
            delete(organization_fields::delete),
        ),
        endpoint(
            g.clone(),
            "/api/v2/ticket_fields",
            Agents,
            get(ticket_fields::list),
        ),
        endpoint(
            p.clone(),
            "/api/v2/ticket_fields",
            Admins,
            post(ticket_fields::create),
        ),
        endpoint(
            g.clone(),
            "/api/v2/ticket_fields/{id}",
            Agents,
            get(ticket_fields::show),
        ),
        endpoint(
            u.clone(),
            "/api/v2/ticket_fields/{id}",
            Admins,
            put(ticket_fields::update),
        ),
        endpoint(
            d.clone(),
            "/api/v2/ticket_fields/{id}",
            Admins,
            delete(ticket_fields::delete),
        ),
        endpoint(g.clone(), "/api/v2/groups", Agents, get(groups::list)),
        endpoint(p.clone(), "/api/v2/groups", Admins, post(groups::create)),
        endpoint(g.clone(), "/api/v2/groups/{id}", Agents, get(groups::show)),
        endpoint(
            u.clone(),
            "/api/v2/groups/{id}",
            Admins,
            put(groups::update),
        ),
        endpoint(
            d.clone(),
            "/api/v2/groups/{id}",
            Admins,
            delete(groups::delete),
        ),
        endpoint(
            g.clone(),
            "/api/v2/groups/{id}/memberships",
            Agents,
            get(group_memberships::of_group),
        ),
        endpoint(
            g.clone(),
            "/api/v2/group_memberships",
            Agents,
            get(group_memberships::list),
        ),
        endpoint(
            p.clone(),
            "/api/v2/group_memberships",
            Admins,
            post(group_memberships::create),
        ),
        endpoint(
            g.clone(),
            "/api/v2/group_memberships/assignable",
            Agents,
            get(group_memberships::assignable),
        ),
        endpoint(
            g.clone(),
            "/api/v2/group_memberships/{id}",
            Agents,
            get(group_memberships::show),
        ),
        endpoint(
            d.clone(),
            "/api/v2/group_memberships/{id}",
            Admins,
            delete(group_memberships::delete),
        ),
        endpoint(
            g.clone(),
            "/api/v2/users/{id}/group_memberships",
            Agents,
            get(group_memberships::of_user),
        ),
        endpoint(
            p.clone(),
            "/api/v2/users/{id}/group_memberships",
            Admins,
            post(group_memberships::create_for_user),
        ),
        endpoint(
            g.clone(),
            "/api/v2/users/{user_id}/group_memberships/{id}",
            Agents,
            get(group_memberships::show_of_user),
        ),
        endpoint(
            d.clone(),
            "/api/v2/users/{user_id}/group_memberships/{id}",
            Admins,
            delete(group_memberships::delete_of_user),
        ),
        endpoint(
            u.clone(),
            "/api/v2/users/{user_id}/group_memberships/{id}/make_default",
            Admins,
            put(group_memberships::make_default),
        ),
        // Jobs: end-users only the jobs they started.
        endpoint(
            g.clone(),
            "/api/v2/job_statuses",
            Agents,
            get(job_statuses::list),
        ),
        endpoint(
            g.clone(),
            "/api/v2/job_statuses/show_many",
            SignedIn,
            get(job_statuses::show_many),
        ),
        endpoint(
            g.clone(),
            "/api/v2/job_statuses/{id}",
            SignedIn,
            get(job_statuses::show),
        ),
        // Macros: agents use the shared ones, their groups' and their own; admins manage all
        // (an agent's new macro is personal).
        endpoint(g.clone(), "/api/v2/macros", Agents, get(macros::list)),
        endpoint(p.clone(), "/api/v2/macros", Agents, post(macros::create)),
        endpoint(
            g.clone(),
            "/api/v2/macros/active",
            Agents,
            get(macros::active),
        ),
        endpoint(
            g.clone(),
            "/api/v2/macros/search",
            Agents,
            get(macros::search),
        ),
        endpoint(
            g.clone(),
            "/api/v2/macros/actions",
            Agents,
            get(macros::actions),
        ),
        endpoint(g.clone(), "/api/v2/macros/{id}", Agents, get(macros::show)),
        endpoint(
            u.clone(),
            "/api/v2/macros/{id}",
            Agents,
            put(macros::update),
        ),
        endpoint(
            d.clone(),
            "/api/v2/macros/{id}",
            Agents,
            delete(macros::delete),
        ),
        endpoint(
            g.clone(),
            "/api/v2/macros/{id}/apply",
            Agents,
            get(macros::apply),
        ),
        endpoint(
            g.clone(),
            "/api/v2/tickets/{id}/macros/{macro_id}/apply",
            Agents,
            get(macros::apply_to_ticket),
        ),
        // Views: as macros.
        endpoint(g.clone(), "/api/v2/views", Agents, get(views::list)),
        endpoint(p.clone(), "/api/v2/views", Agents, post(views::create)),
        endpoint(
            g.clone(),
            "/api/v2/views/active",
            Agents,
            get(views::active),
        ),
        endpoint(
            g.clone(),
            "/api/v2/views/count_many",
            Agents,
            get(views::count_many),
        ),
        endpoint(g.clone(), "/api/v2/views/{id}", Agents, get(views::show)),
        endpoint(u.clone(), "/api/v2/views/{id}", Agents, put(views::update)),
        endpoint(
            d.clone(),
            "/api/v2/views/{id}",
            Agents,
            delete(views::delete),
        ),
        endpoint(
            g.clone(),
            "/api/v2/views/{id}/execute",
            Agents,
            get(views::execute),
        ),
        endpoint(
            g.clone(),
            "/api/v2/views/{id}/tickets",
            Agents,
            get(views::tickets),
        ),
        endpoint(
            g.clone(),
            "/api/v2/views/{id}/count",
            Agents,
            get(views::count),
        ),
        // Help Center: anyone reads (drafts: agents); admins manage categories and sections,
        // agents write articles.
        endpoint(
            g.clone(),
            "/api/v2/help_center/categories",
            Anyone,
            get(help_center::categories),
        ),
        endpoint(
            p.clone(),
            "/api/v2/help_center/categories",
            Admins,
            post(help_center::create_category),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/{locale}/categories",
            Anyone,
            get(help_center::categories_in),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/categories/{id}",
            Anyone,
            get(help_center::category),
        ),
        endpoint(
            u.clone(),
            "/api/v2/help_center/categories/{id}",
            Admins,
            put(help_center::update_category),
        ),
        endpoint(
            d.clone(),
            "/api/v2/help_center/categories/{id}",
            Admins,
            delete(help_center::delete_category),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/categories/{id}/sections",
            Anyone,
            get(help_center::sections_of_category),
        ),
        endpoint(
            p.clone(),
            "/api/v2/help_center/categories/{id}/sections",
            Admins,
            post(help_center::create_section),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/categories/{id}/articles",
            Anyone,
            get(help_center::articles_of_category),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/sections",
            Anyone,
            get(help_center::sections),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/{locale}/sections",
            Anyone,
            get(help_center::sections_in),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/sections/{id}",
            Anyone,
            get(help_center::section),
        ),
        endpoint(
            u.clone(),
            "/api/v2/help_center/sections/{id}",
            Admins,
            put(help_center::update_section),
        ),
        endpoint(
            d.clone(),
            "/api/v2/help_center/sections/{id}",
            Admins,
            delete(help_center::delete_section),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/sections/{id}/articles",
            Anyone,
            get(help_center::articles_of_section),
        ),
        endpoint(
            p.clone(),
            "/api/v2/help_center/sections/{id}/articles",
            Agents,
            post(help_center::create_article),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/articles",
            Anyone,
            get(help_center::articles),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/articles/search",
            Anyone,
            get(help_center::search),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/{locale}/articles",
            Anyone,
            get(help_center::articles_in),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/articles/{id}",
            Anyone,
            get(help_center::article),
        ),
        endpoint(
            g.clone(),
            "/api/v2/help_center/{locale}/articles/{id}",
            Anyone,
            get(help_center::article_in),
        ),
        endpoint(
            u.clone(),
            "/api/v2/help_center/articles/{id}",
            Agents,
            put(help_center::update_article),
        ),
        endpoint(
            d.clone(),
            "/api/v2/help_center/articles/{id}",
            Agents,
            delete(help_center::archive_article),
        ),
        // Uploads and attachments: anyone signed in uploads; a file is served to who may see
        // the comment it is on (or its uploader, until attached).
        endpoint(
            p.clone(),
            "/api/v2/uploads",
            SignedIn,
            post(attachments::upload),
        ),
        endpoint(
            d.clone(),
            "/api/v2/uploads/{token}",
            SignedIn,
            delete(attachments::delete_upload),
        ),
        endpoint(
            g.clone(),
            "/api/v2/attachments/{id}",
            Agents,
            get(attachments::show),
        ),
        endpoint(
            g.clone(),
            "/attachments/token/{token}",
            SignedIn,
            get(attachments::content),
        ),
        // Search: end-users find their own tickets and themselves.
        endpoint(g.clone(), "/api/v2/search", SignedIn, get(search::search)),
        endpoint(
            g.clone(),
            "/api/v2/search/count",
            SignedIn,
            get(search::count),
        ),
        endpoint(
            g.clone(),
            "/api/v2/search/export",
            SignedIn,
            get(search::export),
        ),
        // OAuth: clients are admins' business; anyone may see and revoke their own tokens.
        endpoint(
            g.clone(),
            "/api/v2/oauth/clients",
            Admins,
            get(oauth_clients::list),
        ),
        endpoint(
            p.clone(),
            "/api/v2/oauth/clients",
            Admins,
            post(oauth_clients::create),
        ),
        endpoint(
            g.clone(),
            "/api/v2/oauth/clients/{id}",
            Admins,
            get(oauth_clients::show),
        ),
        endpoint(
            u.clone(),
            "/api/v2/oauth/clients/{id}",
            Admins,
            put(oauth_clients::update),
        ),
        endpoint(
            d.clone(),
            "/api/v2/oauth/clients/{id}",
            Admins,
            delete(oauth_clients::delete),
        ),
        endpoint(
            u,
            "/api/v2/oauth/clients/{id}/generate_secret",
            Admins,
            put(oauth_clients::generate_secret),
        ),
        endpoint(
            g.clone(),
            "/api/v2/oauth/tokens",
            SignedIn,
            get(oauth::list),
        ),
        endpoint(p, "/api/v2/oauth/tokens", Admins, post(oauth::create)),
        endpoint(
            g.clone(),
            "/api/v2/oauth/tokens/current",
            SignedIn,
            get(oauth::show_current),
        ),
        endpoint(
            d.clone(),
            "/api/v2/oauth/tokens/current",
            SignedIn,
            delete(oauth::revoke_current),
        ),
        endpoint(g, "/api/v2/oauth/tokens/{id}", SignedIn, get(oauth::show)),
        endpoint(
            d,
            "/api/v2/oauth/tokens/{id}",
            SignedIn,
            delete(oauth::revoke),
        ),
    ]
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
        state,
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
    let api = api
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .with_state(state.clone());

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
