//! The API request log the console's Activity page shows (as LocalStack lists every call): a
//! bounded ring of the last requests this process served, recorded by a layer around the API
//! router, and served to agents and admins at `GET /api/v2/sandbox/requests.json`.
//!
//! An entry holds the time, who called (the authenticated user and how they signed in: API
//! token, password or OAuth token, never the credential itself), the method, the path, the
//! status and the duration. Never a request body, a header value or a query value that can
//! hold a secret: the path of an attachment's own secret URL and OAuth parameters are masked.
//! The console's own in-process calls do not pass through the layer, so watching the log does
//! not fill it. Per process: two sandboxes on one database each keep their own.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Authenticated;
use crate::caller::Caller;
use crate::error::ApiError;

/// How many requests the log keeps unless configured (`Config::console_log_size`).
pub const DEFAULT_LOG_SIZE: usize = 1_000;

/// Query parameters whose values are credentials or one-time codes: shown as `[masked]`.
const SECRET_PARAMETERS: &[&str] = &[
    "access_token",
    "client_secret",
    "code",
    "code_verifier",
    "password",
    "refresh_token",
    "token",
];

/// How a request signed in: the kind of credential, never its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    None,
    ApiToken,
    Password,
    OAuthToken,
}

impl Credential {
    fn name(self) -> &'static str {
        match self {
            Credential::None => "none",
            Credential::ApiToken => "api_token",
            Credential::Password => "password",
            Credential::OAuthToken => "oauth_token",
        }
    }
}

/// One request as the log keeps it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: u64,
    /// Unix milliseconds when the request arrived.
    pub at_ms: i64,
    pub method: String,
    /// The path and query, with secret-bearing parts masked.
    pub path: String,
    pub status: u16,
    pub duration_ms: f64,
    pub credential: Credential,
    /// The user the request was authenticated as; `None`: anonymous or refused.
    pub user_id: Option<i64>,
    /// The OAuth token's id, when one signed the request in.
    pub token_id: Option<i64>,
    /// The email a refused Basic sign-in claimed (not a secret; helps see who failed).
    pub claimed_email: Option<String>,
}

impl Entry {
    fn json(&self) -> Value {
        json!({
            "id": self.id,
            "created_at": crate::util::iso(self.at_ms / 1000),
            "created_at_ms": self.at_ms,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": (self.duration_ms * 100.0).round() / 100.0,
            "credential": self.credential.name(),
            "user_id": self.user_id,
            "oauth_token_id": self.token_id,
            "claimed_email": self.claimed_email,
        })
    }
}

/// The ring: the last `capacity` requests, newest last.
pub struct RequestLog {
    capacity: usize,
    entries: Mutex<(u64, VecDeque<Entry>)>,
}

impl RequestLog {
    pub fn new(capacity: usize) -> RequestLog {
        RequestLog {
            capacity: capacity.max(1),
            entries: Mutex::new((0, VecDeque::new())),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    fn push(&self, mut entry: Entry) {
        let mut guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (next_id, entries) = &mut *guard;
        *next_id += 1;
        entry.id = *next_id;
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Entries matching `filter`, newest first, at most `limit`.
    pub fn newest(&self, filter: &Filter, limit: usize) -> (Vec<Entry>, usize) {
        let guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let matching: Vec<&Entry> = guard.1.iter().rev().filter(|e| filter.keeps(e)).collect();
        let count = matching.len();
        (matching.into_iter().take(limit).cloned().collect(), count)
    }
}

/// Which entries a reader wants.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub user_id: Option<i64>,
    /// An exact status (`404`) or a class (`4xx`).
    pub status: Option<StatusFilter>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Exact(u16),
    Class(u16),
}

impl StatusFilter {
    pub fn parse(text: &str) -> Option<StatusFilter> {
        let text = text.trim().to_ascii_lowercase();
        if let Some(class) = text.strip_suffix("xx") {
            return match class.parse::<u16>() {
                Ok(digit @ 1..=5) if class.len() == 1 => Some(StatusFilter::Class(digit)),
                _ => None,
            };
        }
        match text.parse::<u16>() {
            Ok(code @ 100..=599) => Some(StatusFilter::Exact(code)),
            _ => None,
        }
    }
}

impl Filter {
    fn keeps(&self, entry: &Entry) -> bool {
        self.user_id.is_none_or(|id| entry.user_id == Some(id))
            && match self.status {
                None => true,
                Some(StatusFilter::Exact(code)) => entry.status == code,
                Some(StatusFilter::Class(digit)) => entry.status / 100 == digit,
            }
    }
}

/// The layer around the API router: times each request and records it once answered.
pub async fn record(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // API calls and the OAuth server's; not a browser's stray `/favicon.ico`.
    let path = request.uri().path();
    if !(path.starts_with("/api/") || path.starts_with("/oauth/")) {
        return next.run(request).await;
    }
    let started = Instant::now();
    let at_ms = now_ms();
    let method = request.method().to_string();
    let path = masked_path(request.uri());
    let (credential, claimed_email) = credential_of(request.headers());
    let response = next.run(request).await;
    let signed_in = response.extensions().get::<Authenticated>().cloned();
    let user_id = signed_in
        .as_ref()
        .and_then(|s| s.caller.as_ref().map(|c| c.id));
    state.inner.request_log.push(Entry {
        id: 0,
        at_ms,
        method,
        path,
        status: response.status().as_u16(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        credential,
        user_id,
        token_id: signed_in.and_then(|s| s.token),
        claimed_email: if user_id.is_none() {
            claimed_email
        } else {
            None
        },
    });
    response
}

/// The kind of credential a request carries, and for HTTP Basic the email it names. The
/// secret part is decoded only to be dropped.
fn credential_of(headers: &HeaderMap) -> (Credential, Option<String>) {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return (Credential::None, None);
    };
    let Some((scheme, rest)) = value.trim().split_once(' ') else {
        return (Credential::None, None);
    };
    if scheme.eq_ignore_ascii_case("bearer") {
        return (Credential::OAuthToken, None);
    }
    if !scheme.eq_ignore_ascii_case("basic") {
        return (Credential::None, None);
    }
    let user = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.split_once(':').map(|(user, _)| user.to_string()));
    match user {
        Some(user) => match user.strip_suffix("/token") {
            Some(email) => (Credential::ApiToken, Some(email.to_string())),
            None => (Credential::Password, Some(user)),
        },
        None => (Credential::None, None),
    }
}

/// The path and query as logged: an attachment's secret URL and upload tokens masked, and the
/// values of OAuth and credential parameters.
fn masked_path(uri: &axum::http::Uri) -> String {
    let mut segments: Vec<&str> = uri.path().split('/').collect();
    // `/attachments/token/{secret}` and `/api/v2/uploads/{token}`.
    for i in 1..segments.len().saturating_sub(1) {
        let secret_follows = matches!(
            (segments[i - 1], segments[i]),
            ("attachments", "token") | ("v2", "uploads")
        );
        if secret_follows && !segments[i + 1].is_empty() {
            segments[i + 1] = "[masked]";
        }
    }
    let mut out = segments.join("/");
    if let Some(query) = uri.query() {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if SECRET_PARAMETERS.contains(&key.as_ref()) {
                serializer.append_pair(&key, "[masked]");
            } else {
                serializer.append_pair(&key, &value);
            }
        }
        out.push('?');
        out.push_str(&serializer.finish());
    }
    out
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn invalid(description: &str) -> ApiError {
    ApiError::BadRequest {
        error: "InvalidValue",
        description: description.to_string(),
        max_count: None,
    }
}

/// `GET /api/v2/sandbox/requests.json[?user_id=ID&status=404|4xx&per_page=N]` (agents and
/// admins): the log, newest first, at most 1,000 a call (100 by default).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let mut filter = Filter::default();
    let mut limit = 100;
    for (key, value) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.as_ref() {
            "user_id" => {
                filter.user_id = Some(
                    value
                        .parse()
                        .map_err(|_| invalid("user_id must be a user's id, such as 1000000001"))?,
                )
            }
            "status" => {
                filter.status = Some(StatusFilter::parse(value).ok_or_else(|| {
                    invalid("status must be an HTTP status (404) or a class (4xx)")
                })?)
            }
            "per_page" => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| invalid("per_page must be a number from 1 to 1000"))?
            }
            _ => {}
        }
    }
    let log = &state.inner.request_log;
    let (entries, count) = log.newest(&filter, limit);
    let body = json!({
        "requests": entries.iter().map(Entry::json).collect::<Vec<_>>(),
        "count": count,
        "capacity": log.capacity(),
    });
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: u16, user_id: Option<i64>) -> Entry {
        Entry {
            id: 0,
            at_ms: 0,
            method: "GET".into(),
            path: "/api/v2/tickets".into(),
            status,
            duration_ms: 1.0,
            credential: Credential::ApiToken,
            user_id,
            token_id: None,
            claimed_email: None,
        }
    }

    #[test]
    fn the_ring_keeps_the_last_n_newest_first() {
        let log = RequestLog::new(3);
        for status in [200, 201, 404, 500] {
            log.push(entry(status, Some(7)));
        }
        let (entries, count) = log.newest(&Filter::default(), 10);
        assert_eq!(count, 3);
        let statuses: Vec<u16> = entries.iter().map(|e| e.status).collect();
        assert_eq!(statuses, [500, 404, 201]);
        assert_eq!(entries[0].id, 4, "ids keep counting past the ring's size");
    }

    #[test]
    fn filters_by_user_and_status_or_class() {
        let log = RequestLog::new(10);
        log.push(entry(200, Some(1)));
        log.push(entry(404, Some(1)));
        log.push(entry(401, None));
        log.push(entry(500, Some(2)));
        let by = |user_id, status: Option<&str>| {
            let filter = Filter {
                user_id,
                status: status.map(|s| StatusFilter::parse(s).unwrap()),
            };
            log.newest(&filter, 10)
                .0
                .iter()
                .map(|e| e.status)
                .collect::<Vec<_>>()
        };
        assert_eq!(by(Some(1), None), [404, 200]);
        assert_eq!(by(None, Some("4xx")), [401, 404]);
        assert_eq!(by(None, Some("500")), [500]);
        assert_eq!(by(Some(1), Some("5xx")), Vec::<u16>::new());
        assert_eq!(StatusFilter::parse("6xx"), None);
        assert_eq!(StatusFilter::parse("abc"), None);
        assert_eq!(StatusFilter::parse("42xx"), None);
    }

    #[test]
    fn secrets_in_paths_and_queries_are_masked() {
        let uri: axum::http::Uri = "/attachments/token/s3cretTok?name=a.png".parse().unwrap();
        assert_eq!(masked_path(&uri), "/attachments/token/[masked]?name=a.png");
        let uri: axum::http::Uri = "/api/v2/uploads/upl0adTok".parse().unwrap();
        assert_eq!(masked_path(&uri), "/api/v2/uploads/[masked]");
        let uri: axum::http::Uri =
            "/oauth/authorizations/new?client_id=app&code=abc&client_secret=xyz&state=s"
                .parse()
                .unwrap();
        let masked = masked_path(&uri);
        assert!(
            !masked.contains("abc") && !masked.contains("xyz"),
            "{masked}"
        );
        assert!(masked.contains("client_id=app"), "{masked}");
        let uri: axum::http::Uri = "/api/v2/search?query=status%3Aopen".parse().unwrap();
        assert_eq!(masked_path(&uri), "/api/v2/search?query=status%3Aopen");
    }

    #[test]
    fn the_credential_kind_is_kept_never_its_secret() {
        let mut headers = HeaderMap::new();
        let basic = |text: &str| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(text)
            )
        };
        headers.insert(
            header::AUTHORIZATION,
            basic("agent@example.com/token:t0ken").parse().unwrap(),
        );
        assert_eq!(
            credential_of(&headers),
            (Credential::ApiToken, Some("agent@example.com".into()))
        );
        headers.insert(
            header::AUTHORIZATION,
            basic("agent@example.com:pa:ss").parse().unwrap(),
        );
        assert_eq!(
            credential_of(&headers),
            (Credential::Password, Some("agent@example.com".into()))
        );
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(credential_of(&headers), (Credential::OAuthToken, None));
    }
}
