//! The web console at `/console/`: a help desk to watch and steer what an agent did, served on
//! the sandbox's own port. Queues (views and counts beside a live ticket list, search in
//! Zendesk's language), a ticket (fields, the thread with internal notes set apart, the audit
//! timeline, a reply form), the outbox of notification emails, webhook deliveries, and the API
//! request log.
//!
//! Every page is rendered from the sandbox's own API answers, asked in process as the
//! signed-in user (`api.rs`), and every form writes through the API too: the console sees and
//! changes exactly what the API lets that user see and change, and it knows nothing of the
//! store or the rules behind the API. Owned here:
//! - `session`: sign-in (the password checked by the API), sessions, CSRF tokens;
//! - `html`: the escaping function every template uses, the page frame, the security headers;
//! - `queues`, `ticket`, `outbox`, `webhooks`, `activity`: one module per page;
//! - `live`: the change feed (server-sent events) that keeps lists current;
//! - `request_log`: the ring of API requests and the layer that records them;
//! - `assets`: the stylesheet and script, embedded.

use axum::Router;
use axum::response::Response;
use axum::routing::{get, post};

use crate::AppState;

mod activity;
mod api;
mod assets;
mod html;
mod live;
mod outbox;
mod queues;
pub(crate) mod request_log;
mod session;
mod ticket;
mod webhooks;

pub use request_log::{DEFAULT_LOG_SIZE, RequestLog};

/// The sandbox's own API endpoint the console reads: the request log its Activity page shows.
pub fn endpoints() -> Vec<crate::routes::endpoint::Endpoint> {
    vec![crate::routes::endpoint::Endpoint::get(
        "/api/v2/sandbox/requests",
        crate::permissions::Who::Agents,
        request_log::list,
    )]
}

/// What every console handler has: the sandbox (for sessions) and the API router it calls.
#[derive(Clone)]
pub struct Console {
    state: AppState,
    /// The API as the console calls it: no rate limit, no request log.
    api: Router,
}

/// The whole router: the console's pages at `/console/...`, and everything else to `api`
/// (the API as the network reaches it) through the request log. `in_process` is the same API
/// without the account's rate limit, for the console's own calls.
pub fn mount(state: AppState, api: Router, in_process: Router) -> Router {
    let console = Console {
        state: state.clone(),
        api: in_process,
    };
    let pages = Router::new()
        .route("/console", get(|| async { html::see_other("/console/") }))
        .route("/console/", get(queues::page))
        .route(
            "/console/sign_in",
            get(session::sign_in_page).post(session::sign_in),
        )
        .route("/console/sign_out", post(session::sign_out))
        .route(
            "/console/tickets/{id}",
            get(ticket::page).post(ticket::update),
        )
        .route("/console/emails", get(outbox::page))
        .route("/console/webhooks", get(webhooks::page))
        .route(
            "/console/webhooks/{id}/invocations/{invocation}/resend",
            post(webhooks::resend),
        )
        .route("/console/activity", get(activity::page))
        .route("/console/live", get(live::feed))
        .route("/console/assets/console.css", get(assets::css))
        .route("/console/assets/console.js", get(assets::js))
        .route("/console/{*rest}", get(not_found).post(not_found))
        .layer(axum::middleware::map_response(html::security_headers))
        .with_state(console);
    pages.fallback_service(api.layer(axum::middleware::from_fn_with_state(
        state,
        request_log::record,
    )))
}

async fn not_found() -> Response {
    html::error_page(
        axum::http::StatusCode::NOT_FOUND,
        "Not found",
        "The console has no page at this address.",
    )
}

/// A page number from the query string (1 when absent or not a number from 1 on).
fn page_number(text: &str) -> u32 {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
        .unwrap_or(1)
}

/// The query string's pairs.
fn query_pairs(uri: &axum::http::Uri) -> Vec<(String, String)> {
    form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The last non-empty value of `key` among `pairs`.
fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}
