//! Serves an axum [`Router`] over HTTP/1.1 with the limits a server exposed to slow, idle or
//! hostile clients needs, in one place for both of zd's servers (the Zendesk sandbox and MCP over
//! streamable HTTP). It replaces `axum::serve`, which has no timeouts and no connection cap: a
//! few hundred silent connections there hold every file descriptor the process may open, and a
//! client sending its headers one byte at a time is kept forever.
//!
//! What [`Server`] enforces, each number a field of [`Limits`]:
//! - **Header read timeout**: a connection must deliver a complete request head (request line
//!   and headers) within `header_read_timeout`, counted from its opening for its first request
//!   and from the first byte of each later one. Slowloris connections are closed.
//! - **Idle timeout**: a keep-alive connection with no request in progress is closed after
//!   `idle_timeout`.
//! - **Body read timeout**: a request body must arrive in full within `body_read_timeout` of its
//!   head; otherwise the request is answered 408 and the connection closed.
//! - **Body size**: a body over `max_body_bytes` is answered 413 (from `Content-Length` before
//!   reading anything, or as soon as a chunked body crosses the limit), and the connection closed.
//!   The answer's shape is the caller's ([`Server::render_rejections_with`]), so the sandbox
//!   speaks Zendesk's error envelope.
//! - **Connection cap**: at most `max_connections` connections are served at once, and never more
//!   than the process's file limit allows (see [`fd_budget`]). At the cap the server accepts one
//!   more connection and closes one without a request in progress to serve the new one in its
//!   place: first the one silent longest among those that never sent a byte (after 250 ms),
//!   else the idle keep-alive or slow header that has waited longest (after 1 s), else a request
//!   whose handler waits on a body trickling in under 8 KiB/s (after 500 ms), answered 408: so
//!   clients that open requests and send their bodies a byte at a time cannot hold every slot
//!   until the body timeout. Any other request in progress is never closed this way; when every
//!   connection has one, new ones wait in the kernel's listen backlog, costing no file
//!   descriptor, until a slot frees.
//! - **Accept queue**: [`bind`] asks for a 1,024-deep accept queue instead of the usual 128, so
//!   the connections waiting for a slot are not dropped by the kernel.
//! - **Graceful shutdown**: when the shutdown future completes the listener closes, idle
//!   connections are closed, and requests in progress get `shutdown_grace` to finish.
//! - **HTTPS** when asked ([`Server::with_tls`], configured by [`tls::server_config`]): a TLS
//!   handshake must end within the header timeout.
//!
//! Each request carries its client's address as axum's `ConnectInfo<SocketAddr>`, for limits
//! kept per client.
//!
//! Modules: `connection` (one connection's phases, its watchdog, the registry used to pick
//! whom to evict), `body` (request bodies counted and timed, response bodies that end a
//! request), [`fd_budget`] (the process-wide file-descriptor budget), [`tls`] (HTTPS
//! configuration).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

mod body;
mod connection;
pub mod fd_budget;
pub mod tls;

use connection::Registry;

/// Connections that may wait in the kernel's accept queue (capped by `net.core.somaxconn`).
/// The usual 128 overflows as soon as hostile clients hold the slots and reconnect when closed;
/// a client whose handshake is dropped on overflow retries only after 1, then 3, then 7 s.
pub const LISTEN_BACKLOG: u32 = 1024;

/// Binds a listener for [`Server`] with a [`LISTEN_BACKLOG`]-deep accept queue (and
/// `SO_REUSEADDR`, as `TcpListener::bind` sets it). Call it inside a Tokio runtime.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// The limits of one server. Every field has a default suited to a local or small-team server;
/// [`Limits::validate`] refuses zeros.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time to receive a complete request head (request line and headers): from the
    /// connection's opening for its first request, from the first byte of each later one.
    pub header_read_timeout: Duration,
    /// Time to receive a whole request body, from the end of its head.
    pub body_read_timeout: Duration,
    /// Time a keep-alive connection may wait, with no request in progress, for the next request.
    pub idle_timeout: Duration,
    /// Connections served at once (lowered to what the process's file limit allows).
    pub max_connections: usize,
    /// Largest request body accepted, in bytes; larger ones are answered 413.
    pub max_body_bytes: usize,
    /// On shutdown, how long requests in progress may take to finish before their connections
    /// are dropped.
    pub shutdown_grace: Duration,
}

impl Limits {
    pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
    pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
    /// 2 MiB: what axum's body extractors allowed before, so no request that worked is refused.
    pub const DEFAULT_MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
    pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

    /// Refuses a zero anywhere, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let durations = [
            ("header read timeout", self.header_read_timeout),
            ("body read timeout", self.body_read_timeout),
            ("idle timeout", self.idle_timeout),
            ("shutdown grace", self.shutdown_grace),
        ];
        for (name, value) in durations {
            if value.is_zero() {
                return Err(format!("the {name} must be longer than zero"));
            }
        }
        if self.max_connections == 0 {
            return Err("the connection cap must be at least 1".into());
        }
        if self.max_body_bytes == 0 {
            return Err("the largest request body must be at least 1 byte".into());
        }
        Ok(())
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Self::DEFAULT_HEADER_READ_TIMEOUT,
            body_read_timeout: Self::DEFAULT_BODY_READ_TIMEOUT,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            shutdown_grace: Self::DEFAULT_SHUTDOWN_GRACE,
        }
    }
}

/// A request the server answered itself, before or instead of the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The body is larger than `limit` bytes: 413.
    BodyTooLarge { limit: usize },
    /// The body did not arrive within `timeout`: 408.
    BodyTimeout { timeout: Duration },
    /// The body trickled in (or stopped) while the server, full, needed the connection: 408.
    BodyTooSlow,
}

impl Rejection {
    /// The status the rejection is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyTimeout { .. } | Rejection::BodyTooSlow => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// One sentence for a person: what was wrong and what to send instead.
    pub fn description(&self) -> String {
        match self {
            Rejection::BodyTooLarge { limit } => format!(
                "The request body is larger than {limit} bytes ({}), the most this server \
                 accepts: send fewer or smaller records per request",
                human_bytes(*limit)
            ),
            Rejection::BodyTimeout { timeout } => format!(
                "The request body did not arrive within {} s of its headers",
                timeout.as_secs_f64()
            ),
            Rejection::BodyTooSlow => format!(
                "The request body arrived slower than {} KiB/s while every connection of the \
                 server was taken: send the body at once after the headers",
                body::MIN_BODY_RATE / 1024
            ),
        }
    }
}

fn human_bytes(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    const KIB: usize = 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} B")
    }
}

/// Renders a [`Rejection`] as a response; the server adds `Connection: close`.
pub type RenderRejection = Arc<dyn Fn(Rejection) -> Response + Send + Sync>;

fn plain_rejection(rejection: Rejection) -> Response {
    (rejection.status(), format!("{}\n", rejection.description())).into_response()
}

/// What every connection of a server shares.
pub(crate) struct App {
    pub(crate) router: Router,
    pub(crate) limits: Limits,
    pub(crate) render: RenderRejection,
}

impl App {
    /// The rejection as the caller renders it, closing the connection (its body is unread).
    pub(crate) fn reject(&self, rejection: Rejection) -> Response {
        let mut response = (self.render)(rejection);
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    }
}

/// Counts a server's connections, for operators and tests.
#[derive(Clone)]
pub struct ServerStats {
    registry: Arc<Registry>,
    max_connections: usize,
}

impl ServerStats {
    /// Connections open now (served, lingering after a rejection, or closing).
    pub fn open_connections(&self) -> usize {
        self.registry.len()
    }

    /// The connection cap in force: `Limits::max_connections`, lowered to the process's file
    /// budget when that is smaller.
    pub fn max_connections(&self) -> usize {
        self.max_connections
    }
}

/// A bound server, not yet running.
pub struct Server {
    listener: TcpListener,
    app: App,
    registry: Arc<Registry>,
    max_connections: usize,
    /// Serves HTTPS when set: each connection's TLS handshake must end within the header
    /// timeout, like a request head.
    tls: Option<tokio_rustls::TlsAcceptor>,
}

/// How long the accept loop waits for a slot before it looks again for a connection to evict.
const ADMIT_RETRY: Duration = Duration::from_millis(100);

/// After an accept error that is not the client's (no file descriptor left, no memory), the
/// listener is retried after this pause; pending connections wait in the listen backlog.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

impl Server {
    /// A server for `router` on `listener`, with rejections answered in plain text.
    pub fn new(listener: TcpListener, router: Router, limits: Limits) -> Server {
        let budget = fd_budget::connections();
        let max_connections = match budget {
            Some(budget) if budget < limits.max_connections => budget.max(1),
            _ => limits.max_connections,
        };
        Server {
            listener,
            app: App {
                // The one body limit is ours: axum's own 2 MB extractor limit would otherwise
                // refuse bodies between the two with an extractor error instead of our 413.
                router: router.layer(axum::extract::DefaultBodyLimit::disable()),
                limits,
                render: Arc::new(plain_rejection),
            },
            registry: Arc::new(Registry::default()),
            max_connections,
            tls: None,
        }
    }

    /// Serves HTTPS with `config` (see [`tls::server_config`]): every connection is a TLS
    /// session, whose handshake must end within the header timeout.
    pub fn with_tls(mut self, config: Arc<rustls::ServerConfig>) -> Server {
        self.tls = Some(tokio_rustls::TlsAcceptor::from(config));
        self
    }

    /// Answer 413 and 408 with `render` (for example in an API's error envelope).
    pub fn render_rejections_with(
        mut self,
        render: impl Fn(Rejection) -> Response + Send + Sync + 'static,
    ) -> Server {
        self.app.render = Arc::new(render);
        self
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn stats(&self) -> ServerStats {
        ServerStats {
            registry: self.registry.clone(),
            max_connections: self.max_connections,
        }
    }

    /// Serves until `shutdown` completes, then stops accepting, closes idle connections, lets
    /// requests in progress finish (within `shutdown_grace`) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        let Server {
            listener,
            app,
            registry,
            max_connections,
            tls,
        } = self;
        if max_connections < app.limits.max_connections {
            tracing::warn!(
                configured = app.limits.max_connections,
                serving = max_connections,
                "the process may open too few files for the configured connection cap \
                 (ulimit -n); serving at most {max_connections} connections at once"
            );
        }
        let app = Arc::new(app);
        let local_slots = Arc::new(Semaphore::new(max_connections));
        let budget = fd_budget::semaphore();
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut connections = JoinSet::new();
        let mut accept_errors = AcceptErrorLog::default();
        tokio::pin!(shutdown);

        loop {
            let (stream, peer) = tokio::select! {
                biased;
                () = &mut shutdown => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        if !is_per_connection_error(&error) {
                            accept_errors.log(&error);
                            // Out of descriptors or memory: free one if an idle connection
                            // holds it, and let pending connections wait in the backlog.
                            registry.evict_one();
                            tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                        }
                        continue;
                    }
                },
            };
            let permits = tokio::select! {
                biased;
                () = &mut shutdown => break,
                permits = admit(&local_slots, budget.as_ref(), &registry) => permits,
            };
            let _ = stream.set_nodelay(true);
            while connections.try_join_next().is_some() {}
            let conn = registry.insert(Instant::now());
            let (registry, app, stop) = (registry.clone(), app.clone(), stop_rx.clone());
            match &tls {
                None => {
                    connections.spawn(connection::serve(
                        stream, peer, conn, registry, app, stop, permits,
                    ));
                }
                Some(acceptor) => {
                    connections.spawn(connection::serve_tls(
                        acceptor.clone(),
                        (stream, peer),
                        conn,
                        registry,
                        app,
                        stop,
                        permits,
                    ));
                }
            }
        }

        drop(listener);
        let _ = stop_tx.send(true);
        // Each connection bounds its own shutdown by `shutdown_grace`; this bound is a backstop.
        let backstop = tokio::time::sleep(app.limits.shutdown_grace + connection::CLOSE_GRACE * 2);
        tokio::pin!(backstop);
        loop {
            tokio::select! {
                next = connections.join_next() => if next.is_none() { break },
                () = &mut backstop => {
                    connections.abort_all();
                    break;
                }
            }
        }
        Ok(())
    }
}

/// The slots one connection holds: one of its server's, one of the process's file budget.
pub(crate) struct Permits {
    _local: OwnedSemaphorePermit,
    _budget: Option<OwnedSemaphorePermit>,
}

/// Waits for a slot under both caps, asking the connection idle longest to close while full.
async fn admit(
    local: &Arc<Semaphore>,
    budget: Option<&Arc<Semaphore>>,
    registry: &Registry,
) -> Permits {
    loop {
        let Some(local_permit) = acquire_or_evict(local, registry).await else {
            continue;
        };
        let budget_permit = match budget {
            None => None,
            Some(budget) => match acquire_or_evict(budget, registry).await {
                Some(permit) => Some(permit),
                None => continue,
            },
        };
        return Permits {
            _local: local_permit,
            _budget: budget_permit,
        };
    }
}

async fn acquire_or_evict(
    slots: &Arc<Semaphore>,
    registry: &Registry,
) -> Option<OwnedSemaphorePermit> {
    if let Ok(permit) = slots.clone().try_acquire_owned() {
        return Some(permit);
    }
    registry.evict_one();
    match tokio::time::timeout(ADMIT_RETRY, slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Some(permit),
        _ => None,
    }
}

/// Errors that concern one pending connection only (the client gave up): accept the next.
fn is_per_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// Logs accept failures at most every 10 s: under a descriptor shortage they come in floods.
#[derive(Default)]
struct AcceptErrorLog {
    last: Option<Instant>,
    suppressed: u64,
}

impl AcceptErrorLog {
    fn log(&mut self, error: &io::Error) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(10))
        {
            self.suppressed += 1;
            return;
        }
        tracing::warn!(
            %error,
            suppressed = self.suppressed,
            "cannot accept connections (is the process out of file descriptors? see ulimit -n); \
             pending connections wait in the listen backlog"
        );
        self.last = Some(now);
        self.suppressed = 0;
    }
}

/// `Infallible` helper for the router's error type.
pub(crate) fn never<T>(never: Infallible) -> T {
    match never {}
}
