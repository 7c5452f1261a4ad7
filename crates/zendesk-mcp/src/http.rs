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
//!
//! Beyond loopback (any address other than 127.0.0.0/8 or ::1, `0.0.0.0` included), the token
//! must have at least [`MIN_REMOTE_TOKEN_CHARS`] characters, HTTPS is served with
//! [`HttpOptions::tls`] (plain HTTP there logs a warning: the token and every result would
//! cross the network in clear), and a client that keeps sending wrong tokens is answered 429
//! with `Retry-After` until its window passes ([`WrongTokens`]).

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{ConnectInfo, Request, State},
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

/// The shortest token accepted when serving beyond loopback: 32 characters (`openssl rand
/// -hex 16` gives 32, 128 bits); a short token could be guessed over the network.
pub const MIN_REMOTE_TOKEN_CHARS: usize = 32;

/// A certificate chain and its private key, PEM files, for HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// Reads both files into the server's TLS configuration; the error names the file at fault.
    pub fn load(&self) -> Result<Arc<rustls::ServerConfig>, String> {
        http_serve::tls::server_config(&self.cert, &self.key)
    }
}

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
    /// Serve HTTPS with this certificate and key.
    pub tls: Option<TlsFiles>,
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
            tls: None,
        }
    }

    /// Refuses a token that does not fit the address: empty anywhere, or shorter than
    /// [`MIN_REMOTE_TOKEN_CHARS`] beyond loopback. The message never shows the token.
    pub fn check_token(&self) -> Result<(), String> {
        let token = self.auth_token.expose_secret().trim();
        if token.is_empty() {
            return Err("the auth token is empty: give a non-empty --auth-token".into());
        }
        let chars = token.chars().count();
        if !self.bind.ip().is_loopback() && chars < MIN_REMOTE_TOKEN_CHARS {
            return Err(format!(
                "the auth token has {chars} characters, but serving beyond loopback ({}) needs \
                 at least {MIN_REMOTE_TOKEN_CHARS}, which cannot be guessed over the network: \
                 make one with `openssl rand -hex 32`",
                self.bind.ip()
            ));
        }
        Ok(())
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
    wrong: Arc<WrongTokens>,
}

/// Wrong tokens counted per client address: past [`WrongTokens::ALLOWED`] in a window of
/// [`WrongTokens::WINDOW`], the client's requests are answered 429 with `Retry-After` without
/// looking at their token (a guess then learns nothing) until the window passes. A right token
/// clears the count. Kept for at most [`WrongTokens::CLIENTS`] addresses.
#[derive(Default)]
pub struct WrongTokens {
    clients: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl WrongTokens {
    pub const ALLOWED: u32 = 5;
    pub const WINDOW: Duration = Duration::from_secs(60);
    const CLIENTS: usize = 10_000;

    /// How long `client` must wait, when it has used up its wrong tokens.
    fn wait(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        let (since, count) = clients.get(&client)?;
        let left = Self::WINDOW.checked_sub(now.duration_since(*since))?;
        (*count >= Self::ALLOWED).then_some(left)
    }

    fn failed(&self, client: IpAddr, now: Instant) {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if clients.len() >= Self::CLIENTS {
            clients.retain(|_, (since, _)| now.duration_since(*since) < Self::WINDOW);
            if clients.len() >= Self::CLIENTS {
                clients.clear();
            }
        }
        let entry = clients.entry(client).or_insert((now, 0));
        if now.duration_since(entry.0) >= Self::WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    fn succeeded(&self, client: IpAddr) {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients.remove(&client);
    }
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
        wrong: Arc::default(),
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
    // The client's address as http-serve gives it; a router served otherwise counts as one.
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let now = Instant::now();
    if let Some(wait) = auth.wrong.wait(client, now) {
        let seconds = wait.as_secs().max(1);
        tracing::warn!(%client, "refused an MCP HTTP request: too many wrong tokens");
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too Many Requests: {} wrong tokens from this address; retry in {seconds} s\n",
                WrongTokens::ALLOWED
            ),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        close_connection(&mut response);
        return response;
    }
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
            auth.wrong.succeeded(client);
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
            auth.wrong.failed(client, now);
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
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl HttpServer {
    /// Bind the listening socket (so the actual port is known before serving).
    pub async fn bind(server: ZendeskMcpServer, options: &HttpOptions) -> Result<Self, ServeError> {
        options.check_token().map_err(ServeError::Config)?;
        let beyond_loopback = !options.bind.ip().is_loopback();
        let tls = match &options.tls {
            Some(files) => Some(files.load().map_err(ServeError::Config)?),
            None => None,
        };
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
        if beyond_loopback && tls.is_none() {
            tracing::warn!(
                "serving MCP over plain HTTP beyond loopback ({local_addr}): the bearer token and \
                 every tool result cross the network unencrypted; give --tls-cert and --tls-key, \
                 or serve behind a TLS proxy"
            );
        }
        let app = router(server, options, local_addr);
        Ok(Self {
            listener,
            app,
            limits: options.limits.clone(),
            local_addr,
            tls,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The live MCP sessions.
    pub fn sessions(&self) -> Sessions {
        self.app.sessions.clone()
    }

    /// The endpoint URL clients connect to (`https` when serving TLS).
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}{MCP_PATH}", self.local_addr)
    }

    /// Serve until `shutdown` completes; then end the MCP sessions (their open SSE streams
    /// would otherwise hold the graceful shutdown forever) and drain.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let sessions = self.app.config.cancellation_token.clone();
        let mut server = http_serve::Server::new(self.listener, self.app.router, self.limits);
        if let Some(tls) = self.tls {
            server = server.with_tls(tls);
        }
        server
            .run(async move {
                shutdown.await;
                sessions.cancel();
            })
            .await
            .map_err(ServeError::Io)
    }
}
