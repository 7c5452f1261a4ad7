//! The streamable HTTP transport: the MCP endpoint at `/mcp`, behind a bearer token, with
//! `Host` and `Origin` checks against DNS rebinding (a web page in the user's browser must not
//! be able to drive a server listening on their machine).
//!
//! Defaults: only loopback names and the bound address are accepted as `Host`; a browser
//! `Origin`, when present, must be a loopback or bound-address origin. Both lists can be
//! extended by the operator.
//!
//! Served through `http-serve` with [`HttpOptions::limits`] (header, body and idle timeouts, a
//! connection cap, 413 for large bodies), and with sessions bounded by
//! [`HttpOptions::sessions`] (see [`crate::sessions`]).

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use secrecy::{ExposeSecret, SecretString};

use crate::sessions::{BoundedSessionManager, SessionLimits, Sessions};
use crate::{ServeError, ZendeskMcpServer};

/// The serving limits (timeouts, connection cap, body size) of the HTTP transport.
pub use http_serve::Limits as ServerLimits;

/// The path of the MCP endpoint.
pub const MCP_PATH: &str = "/mcp";

/// How to serve MCP over HTTP.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Address to listen on (port 0 picks a free port; see [`HttpServer::local_addr`]).
    pub bind: SocketAddr,
    /// Clients must send `Authorization: Bearer <auth_token>`.
    pub auth_token: SecretString,
    /// Extra `Host` values to accept (`name` or `name:port`), beyond loopback and the bound
    /// address.
    pub allowed_hosts: Vec<String>,
    /// Extra browser origins to accept (`scheme://host[:port|:*]`), beyond loopback and the
    /// bound address.
    pub allowed_origins: Vec<String>,
    /// Timeouts, connection cap and largest request body.
    pub limits: ServerLimits,
    /// How many MCP sessions may live at once and how long an unused one lives.
    pub sessions: SessionLimits,
}

impl HttpOptions {
    pub fn new(bind: SocketAddr, auth_token: SecretString) -> Self {
        Self {
            bind,
            auth_token,
            allowed_hosts: Vec::new(),
            allowed_origins: Vec::new(),
            limits: ServerLimits::default(),
            sessions: SessionLimits::default(),
        }
    }

    /// The `Host` values accepted for a server bound to `bound`.
    pub fn effective_allowed_hosts(&self, bound: SocketAddr) -> Vec<String> {
        let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        if !bound.ip().is_unspecified() && !bound.ip().is_loopback() {
            hosts.push(bound.ip().to_string());
        }
        hosts.extend(self.allowed_hosts.iter().cloned());
        hosts
    }

    /// The browser origins accepted for a server bound to `bound`.
    pub fn effective_allowed_origins(&self, bound: SocketAddr) -> Vec<String> {
        let mut hosts = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "[::1]".to_owned(),
        ];
        if !bound.ip().is_unspecified() && !bound.ip().is_loopback() {
            hosts.push(match bound {
                SocketAddr::V4(v4) => v4.ip().to_string(),
                SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
            });
        }
        let mut origins: Vec<String> = hosts
            .iter()
            .flat_map(|host| [format!("http://{host}:*"), format!("https://{host}:*")])
            .collect();
        origins.extend(self.allowed_origins.iter().cloned());
        origins
    }
}

#[derive(Clone)]
struct AuthState {
    token: Arc<SecretString>,
}

/// The HTTP application of a server bound to `bound`.
pub struct McpApp {
    /// `/mcp` behind the bearer check and the session cap.
    pub router: Router,
    /// The transport's configuration; its cancellation token ends every MCP session.
    pub config: StreamableHttpServerConfig,
    /// The live sessions.
    pub sessions: Sessions,
}

/// Build the HTTP application for a server bound to `bound`: `/mcp` behind the bearer check.
pub fn router(server: ZendeskMcpServer, options: &HttpOptions, bound: SocketAddr) -> McpApp {
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(options.effective_allowed_hosts(bound))
        .with_allowed_origins(options.effective_allowed_origins(bound))
        // The same limit http-serve enforces first, so a router served otherwise keeps it.
        .with_max_request_body_bytes(options.limits.max_body_bytes)
        .enforce_origin_validation();
    let (manager, sessions) = BoundedSessionManager::new(options.sessions.clone());
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(manager),
        config.clone(),
    );
    let auth = AuthState {
        token: Arc::new(options.auth_token.clone()),
    };
    let router = Router::new()
        .route_service(MCP_PATH, service)
        .layer(middleware::from_fn_with_state(
            sessions.clone(),
            refuse_when_sessions_full,
        ))
        .layer(middleware::from_fn_with_state(auth, require_bearer));
    McpApp {
        router,
        config,
        sessions,
    }
}

/// A request that would start a session (a POST without `Mcp-Session-Id`) when every session
/// at the cap is in use: 503 with `Retry-After`, before rmcp turns the refusal into a 500.
async fn refuse_when_sessions_full(
    State(sessions): State<Sessions>,
    request: Request,
    next: Next,
) -> Response {
    let starts_session =
        request.method() == Method::POST && !request.headers().contains_key("mcp-session-id");
    if starts_session && !sessions.has_room() {
        tracing::warn!(
            max = sessions.max(),
            "refused a new MCP session: every session is in use"
        );
        let mut response = (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "Service Unavailable: {} MCP sessions are open and every one has a request or \
                 stream in progress; end sessions you no longer need (DELETE /mcp with their \
                 Mcp-Session-Id) or retry later\n",
                sessions.max()
            ),
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        close_connection(&mut response);
        return response;
    }
    next.run(request).await
}

async fn require_bearer(State(auth): State<AuthState>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
    match presented {
        Some(token)
            if constant_time_eq(token.as_bytes(), auth.token.expose_secret().as_bytes()) =>
        {
            let ending_session = request.method() == Method::DELETE;
            let mut response = next.run(request).await;
            // rmcp acknowledges a session's end with 202 and no body; clients (the Python
            // SDK among them) expect 200 or 204 there and log a failure otherwise.
            if ending_session && response.status() == StatusCode::ACCEPTED {
                *response.status_mut() = StatusCode::NO_CONTENT;
            }
            if response.status().is_client_error() {
                close_connection(&mut response);
            }
            response
        }
        _ => {
            tracing::warn!("refused an MCP HTTP request without a valid bearer token");
            let mut response = (
                StatusCode::UNAUTHORIZED,
                "Unauthorized: send the server's token as `Authorization: Bearer <token>`\n",
            )
                .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"zd mcp\""),
            );
            close_connection(&mut response);
            response
        }
    }
}

/// A refusal is answered before its request body is read, so hyper will not keep the
/// connection alive; saying so lets a client open a fresh one instead of reusing a connection
/// the server is about to drop (seen as "server disconnected" by httpx under load).
fn close_connection(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}

/// Compare without an early exit, so response timing does not leak how much of a guessed
/// token was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A bound, not yet running, HTTP server.
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    app: McpApp,
    limits: ServerLimits,
    local_addr: SocketAddr,
}

impl HttpServer {
    /// Bind the listening socket (so the actual port is known before serving).
    pub async fn bind(server: ZendeskMcpServer, options: &HttpOptions) -> Result<Self, ServeError> {
        if options.auth_token.expose_secret().trim().is_empty() {
            return Err(ServeError::Config(
                "the auth token is empty: give a non-empty --auth-token".into(),
            ));
        }
        options.limits.validate().map_err(ServeError::Config)?;
        options.sessions.validate().map_err(ServeError::Config)?;
        let listener = http_serve::bind(options.bind).map_err(|source| ServeError::Bind {
            addr: options.bind,
            source,
        })?;
        let local_addr = listener.local_addr().map_err(|source| ServeError::Bind {
            addr: options.bind,
            source,
        })?;
        if local_addr.ip().is_unspecified() && options.allowed_hosts.is_empty() {
            tracing::warn!(
                "listening on every interface, but only loopback Host names are accepted: \
                 add --allowed-host with the name clients use"
            );
        }
        let app = router(server, options, local_addr);
        Ok(Self {
            listener,
            app,
            limits: options.limits.clone(),
            local_addr,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The live MCP sessions.
    pub fn sessions(&self) -> Sessions {
        self.app.sessions.clone()
    }

    /// The endpoint URL clients connect to.
    pub fn url(&self) -> String {
        format!("http://{}{MCP_PATH}", self.local_addr)
    }

    /// Serve until `shutdown` completes; then end the MCP sessions (their open SSE streams
    /// would otherwise hold the graceful shutdown forever) and drain.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let sessions = self.app.config.cancellation_token.clone();
        http_serve::Server::new(self.listener, self.app.router, self.limits)
            .run(async move {
                shutdown.await;
                sessions.cancel();
            })
            .await
            .map_err(ServeError::Io)
    }
}
