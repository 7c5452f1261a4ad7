//! A fake Zendesk OAuth server, in-process (axum): the authorization page (approving at once
//! with a 302 back to the redirect URI, or denying), `POST /oauth/tokens` for
//! `authorization_code` (single-use codes, PKCE S256 checked, same redirect URI) and
//! `refresh_token` (rotating: the old refresh token and access token die), and a few API
//! endpoints that check the bearer token (`/users/me`, a three-page ticket list, revocation of
//! the current token). Every token, code and request is recorded for the tests to look at.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "zd_cli";
pub const CLIENT_SECRET: &str = "client-secret-VALUE-42";

#[derive(Clone)]
struct Grant {
    challenge: String,
    method: String,
    redirect_uri: String,
    scope: String,
}

#[derive(Default)]
pub struct FakeState {
    /// Require this secret from the client (a confidential client).
    pub secret: Mutex<Option<String>>,
    /// Deny at the authorization page.
    pub deny: Mutex<bool>,
    /// `expires_in` of issued access tokens.
    pub access_lifetime: Mutex<Option<u64>>,
    /// Slows refresh answers down, so concurrent callers overlap.
    pub refresh_delay: Mutex<Duration>,
    codes: Mutex<HashMap<String, Grant>>,
    access: Mutex<HashSet<String>>,
    refresh: Mutex<HashMap<String, String>>,
    pub token_bodies: Mutex<Vec<Value>>,
    pub refreshes: AtomicUsize,
    pub revoked: Mutex<Vec<String>>,
    /// Shared event log: `used:<token>` for each API call (tests add `saved:` entries).
    pub events: Arc<Mutex<Vec<String>>>,
    /// Answers 401 to the ticket list once, after the first page (a token revoked mid-paging).
    pub expire_after_first_page: Mutex<bool>,
    /// Refuses every bearer token.
    pub reject_all: Mutex<bool>,
    counter: AtomicU64,
}

impl FakeState {
    fn mint(&self, prefix: &str) -> String {
        format!(
            "{prefix}-{}-{}",
            self.counter.fetch_add(1, Ordering::SeqCst),
            fastrand::u64(..)
        )
    }

    fn issue(&self, scope: &str) -> Value {
        let access = self.mint("AT");
        let refresh = self.mint("RT");
        self.access.lock().unwrap().insert(access.clone());
        self.refresh
            .lock()
            .unwrap()
            .insert(refresh.clone(), scope.to_owned());
        json!({
            "access_token": access,
            "token_type": "bearer",
            "scope": scope,
            "refresh_token": refresh,
            "expires_in": *self.access_lifetime.lock().unwrap(),
            "refresh_token_expires_in": 604800,
        })
    }

    /// Kills an access token server-side (as an expiry or a revocation would).
    pub fn invalidate(&self, access: &str) {
        self.access.lock().unwrap().remove(access);
    }

    pub fn refresh_token_valid(&self, refresh: &str) -> bool {
        self.refresh.lock().unwrap().contains_key(refresh)
    }

    pub fn access_token_valid(&self, access: &str) -> bool {
        self.access.lock().unwrap().contains(access)
    }

    /// Mints tokens directly, as if a sign-in had happened.
    pub fn issue_direct(&self, scope: &str) -> Value {
        self.issue(scope)
    }
}

pub struct Fake {
    pub state: Arc<FakeState>,
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start() -> Fake {
    let state = Arc::new(FakeState::default());
    *state.access_lifetime.lock().unwrap() = Some(7200);
    let app = Router::new()
        .route("/oauth/authorizations/new", get(authorize))
        .route("/oauth/tokens", post(tokens))
        .route("/api/v2/users/me", get(me))
        .route("/api/v2/tickets", get(tickets).post(create_ticket))
        .route("/api/v2/oauth/tokens/current", delete(revoke))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Fake { state, url, task }
}

fn oauth_error(code: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

async fn authorize(
    State(state): State<Arc<FakeState>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code" || get("client_id") != CLIENT_ID {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let redirect = get("redirect_uri");
    let mut location = url::Url::parse(&redirect).unwrap();
    if *state.deny.lock().unwrap() {
        location
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair(
                "error_description",
                "The end-user or authorization server denied the request.",
            )
            .append_pair("state", &get("state"));
    } else {
        let code = state.mint("CODE");
        state.codes.lock().unwrap().insert(
            code.clone(),
            Grant {
                challenge: get("code_challenge"),
                method: get("code_challenge_method"),
                redirect_uri: redirect.clone(),
                scope: get("scope"),
            },
        );
        location
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &get("state"));
    }
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

async fn tokens(State(state): State<Arc<FakeState>>, Json(body): Json<Value>) -> Response {
    state.token_bodies.lock().unwrap().push(body.clone());
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    if text("client_id") != CLIENT_ID {
        return oauth_error("invalid_client", "Client authentication failed.");
    }
    let required_secret = state.secret.lock().unwrap().clone();
    if let Some(secret) = required_secret
        && text("client_secret") != secret
    {
        return oauth_error("invalid_client", "Client authentication failed.");
    }
    match text("grant_type").as_str() {
        "authorization_code" => {
            let Some(grant) = state.codes.lock().unwrap().remove(&text("code")) else {
                return oauth_error(
                    "invalid_grant",
                    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
                );
            };
            let verifier = text("code_verifier");
            if grant.method != "S256"
                || zendesk::oauth::s256_challenge(&verifier) != grant.challenge
                || text("redirect_uri") != grant.redirect_uri
            {
                return oauth_error(
                    "invalid_grant",
                    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
                );
            }
            (StatusCode::CREATED, Json(state.issue(&grant.scope))).into_response()
        }
        "refresh_token" => {
            let delay = *state.refresh_delay.lock().unwrap();
            tokio::time::sleep(delay).await;
            let Some(scope) = state.refresh.lock().unwrap().remove(&text("refresh_token")) else {
                return oauth_error(
                    "invalid_grant",
                    "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
                );
            };
            state.refreshes.fetch_add(1, Ordering::SeqCst);
            // Rotation kills every access token issued before (a simplification of Zendesk,
            // which invalidates the previous pair).
            state.access.lock().unwrap().clear();
            (StatusCode::CREATED, Json(state.issue(&scope))).into_response()
        }
        _ => oauth_error(
            "unsupported_grant_type",
            "The authorization grant type is not supported.",
        ),
    }
}

/// The valid bearer token of a request, or `None` (answer [`unauthorized`]).
fn bearer(state: &FakeState, headers: &HeaderMap) -> Option<String> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    match token {
        Some(token) if state.access_token_valid(&token) && !*state.reject_all.lock().unwrap() => {
            state.events.lock().unwrap().push(format!("used:{token}"));
            Some(token)
        }
        _ => None,
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "Couldn't authenticate you" })),
    )
        .into_response()
}

async fn me(State(state): State<Arc<FakeState>>, headers: HeaderMap) -> Response {
    match bearer(&state, &headers) {
        Some(_) => Json(json!({ "user": { "id": 7, "name": "Ada Admin", "email": "ada@example.com", "role": "admin" } })).into_response(),
        None => unauthorized(),
    }
}

async fn create_ticket(State(state): State<Arc<FakeState>>, headers: HeaderMap) -> Response {
    match bearer(&state, &headers) {
        Some(_) => (StatusCode::CREATED, Json(json!({ "ticket": { "id": 99 } }))).into_response(),
        None => unauthorized(),
    }
}

/// Three cursor pages of two tickets each.
async fn tickets(
    State(state): State<Arc<FakeState>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let token = match bearer(&state, &headers) {
        Some(token) => token,
        None => return unauthorized(),
    };
    let page: u64 = match query.get("page[after]").map(String::as_str) {
        None => 1,
        Some("c2") => 2,
        Some("c3") => 3,
        Some(_) => return (StatusCode::BAD_REQUEST, "bad cursor").into_response(),
    };
    if page == 1 {
        let mut expire = state.expire_after_first_page.lock().unwrap();
        if *expire {
            *expire = false;
            state.invalidate(&token);
        }
    }
    let ids = [page * 2 - 1, page * 2];
    let base = format!(
        "http://{}/api/v2/tickets",
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost")
    );
    let next = (page < 3).then(|| format!("{base}?page%5Bafter%5D=c{}&page%5Bsize%5D=2", page + 1));
    Json(json!({
        "tickets": ids.iter().map(|id| json!({ "id": id, "subject": format!("ticket {id}"), "status": "open" })).collect::<Vec<_>>(),
        "meta": { "has_more": page < 3, "after_cursor": (page < 3).then(|| format!("c{}", page + 1)), "before_cursor": null },
        "links": { "next": next, "prev": null },
    }))
    .into_response()
}

async fn revoke(State(state): State<Arc<FakeState>>, headers: HeaderMap) -> Response {
    match bearer(&state, &headers) {
        Some(token) => {
            state.invalidate(&token);
            state.revoked.lock().unwrap().push(token);
            StatusCode::NO_CONTENT.into_response()
        }
        None => unauthorized(),
    }
}
