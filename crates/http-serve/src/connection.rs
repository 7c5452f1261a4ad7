//! One connection: its phases (reading a request head, busy with requests, idle between
//! them), the watchdog that closes it when a phase lasts too long or when it is asked to make
//! room, and the registry of open connections the accept loop picks from when it must evict.
//!
//! hyper's own `header_read_timeout` is off: it restarts when a connection goes idle, so it
//! would be the idle timeout too, with one value for both.

use std::collections::HashMap;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::http::{Request, Response, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::body::{BodyProgress, BodyWatch, RequestBody, ResponseBody};
use crate::{App, Limits, Permits, Rejection};

/// How long a connection asked to close while idle or reading a head (at shutdown, on
/// eviction, at its idle timeout) has to finish closing before it is dropped.
pub(crate) const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// After answering a request whose body was left unread (413, 408), the server reads and
/// discards what the client still sends for this long, so the client reads the answer instead
/// of a connection reset.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_MAX_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone, Copy, Debug)]
pub(crate) enum Phase {
    /// Waiting for the first byte of a request, since then.
    Idle(Instant),
    /// Reading a request head, since its first byte (or the connection's opening).
    Head(Instant),
    /// A request is in progress.
    Busy,
}

struct Activity {
    in_flight: u32,
    reading_head: bool,
    since: Instant,
    /// Whether the client has sent anything at all since the connection opened.
    sent_anything: bool,
}

/// At the cap, a connection whose client has sent nothing at all is closed to make room once it
/// has been silent this long: a client that means to send a request does so within a round trip.
const SILENT_EVICTABLE_AFTER: Duration = Duration::from_millis(250);

/// Other connections without a request in progress (idle keep-alives, slow heads) are closed to
/// make room once in that phase this long: an active client is rarely idle longer.
const EVICTABLE_AFTER: Duration = Duration::from_secs(1);

/// Which connections give up their slot first when the server is full, least useful first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Evictable {
    /// A request whose handler waits on a body trickling in: answered 408.
    TricklingBody,
    /// An idle keep-alive, or a request head arriving slowly.
    Idle,
    /// Never sent a byte.
    Silent,
}

/// The state of one connection, shared by its socket wrapper, its service and the registry.
pub(crate) struct Conn {
    id: u64,
    activity: Mutex<Activity>,
    /// Wakes the watchdog: a phase changed in a way that moves its deadline, or an eviction.
    wake: Notify,
    evict: AtomicBool,
    closing: AtomicBool,
    /// A request was answered with its body unread: linger before closing.
    linger: AtomicBool,
    /// The body of the request in progress, while there is one.
    body: Mutex<Option<Arc<BodyProgress>>>,
}

impl Conn {
    fn activity(&self) -> MutexGuard<'_, Activity> {
        // A panic while holding this lock cannot leave the three fields inconsistent.
        self.activity.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn phase(&self) -> Phase {
        let a = self.activity();
        if a.in_flight > 0 {
            Phase::Busy
        } else if a.reading_head {
            Phase::Head(a.since)
        } else {
            Phase::Idle(a.since)
        }
    }

    /// Bytes arrived: an idle connection starts reading a request head.
    fn on_read(&self) {
        let mut a = self.activity();
        a.sent_anything = true;
        if a.in_flight == 0 && !a.reading_head {
            a.reading_head = true;
            a.since = Instant::now();
            drop(a);
            self.wake.notify_one();
        }
    }

    fn begin_request(self: &Arc<Self>) -> InFlight {
        let mut a = self.activity();
        a.in_flight += 1;
        a.reading_head = false;
        InFlight { conn: self.clone() }
    }

    fn body(&self) -> MutexGuard<'_, Option<Arc<BodyProgress>>> {
        self.body.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn end_request(&self) {
        self.body().take();
        let mut a = self.activity();
        a.in_flight = a.in_flight.saturating_sub(1);
        if a.in_flight == 0 {
            a.reading_head = false;
            a.since = Instant::now();
            drop(a);
            self.wake.notify_one();
        }
    }

    /// When this connection may be evicted to make room: its kind and how long it has been so
    /// (for a trickling body, how far under the rate floor it is), least useful first. `None`
    /// while it is already closing, too young to tell, or serving a request that is not waiting
    /// on a trickling body.
    fn eviction_rank(&self, now: Instant) -> Option<(Evictable, Duration)> {
        if self.closing.load(Ordering::Acquire) || self.evict.load(Ordering::Acquire) {
            return None;
        }
        let a = self.activity();
        if a.in_flight > 0 {
            drop(a);
            let rate = self.body().as_ref()?.trickle_rate(now)?;
            // The slowest first: rank by how far below the floor it is.
            let shortfall = crate::body::MIN_BODY_RATE.saturating_sub(rate);
            return Some((Evictable::TricklingBody, Duration::from_millis(shortfall)));
        }
        let age = now.saturating_duration_since(a.since);
        let (kind, old_enough) = if a.sent_anything {
            (Evictable::Idle, EVICTABLE_AFTER)
        } else {
            (Evictable::Silent, SILENT_EVICTABLE_AFTER)
        };
        (age >= old_enough).then_some((kind, age))
    }

    fn request_eviction(&self) {
        self.evict.store(true, Ordering::Release);
        self.wake.notify_one();
    }
}

/// A request in progress on a connection; dropping it ends the request.
pub(crate) struct InFlight {
    conn: Arc<Conn>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.conn.end_request();
    }
}

/// The open connections of one server.
#[derive(Default)]
pub(crate) struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
}

impl Registry {
    fn conns(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn len(&self) -> usize {
        self.conns().len()
    }

    /// Registers a connection opened at `opened`; its first request head is timed from then.
    pub(crate) fn insert(&self, opened: Instant) -> Arc<Conn> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            id,
            activity: Mutex::new(Activity {
                in_flight: 0,
                reading_head: true,
                since: opened,
                sent_anything: false,
            }),
            wake: Notify::new(),
            evict: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            linger: AtomicBool::new(false),
            body: Mutex::new(None),
        });
        self.conns().insert(id, conn.clone());
        conn
    }

    fn remove(&self, id: u64) {
        self.conns().remove(&id);
    }

    /// Frees one slot, to make room: closes the connection silent longest among those that
    /// never sent a byte (for at least 250 ms), else the one idle or reading its head longest
    /// (for at least 1 s), else answers 408 to the request whose body trickles in slowest while
    /// its handler waits (read for at least 500 ms at under 8 KiB/s). Other requests in progress
    /// are never chosen. Returns whether one was asked.
    pub(crate) fn evict_one(&self) -> bool {
        let now = Instant::now();
        let victim = self
            .conns()
            .values()
            .filter_map(|conn| Some((conn.eviction_rank(now)?, conn)))
            .max_by_key(|(rank, _)| *rank)
            .map(|(rank, conn)| (rank.0, conn.clone()));
        match victim {
            Some((Evictable::TricklingBody, conn)) => {
                tracing::debug!(
                    connection = conn.id,
                    "answering 408 to the slowest request body to make room"
                );
                if let Some(body) = conn.body().as_ref() {
                    body.cut();
                }
                true
            }
            Some((_, conn)) => {
                tracing::debug!(
                    connection = conn.id,
                    "closing the longest-idle connection to make room"
                );
                conn.request_eviction();
                true
            }
            None => false,
        }
    }
}

/// The socket (plain or TLS), telling its connection when bytes arrive.
struct TrackedIo<S> {
    stream: S,
    conn: Arc<Conn>,
}

impl<S: AsyncRead + Unpin> AsyncRead for TrackedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.on_read();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TrackedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// The per-connection service: times and counts the body, answers rejections, and tracks the
/// request from its head to the end of its response.
#[derive(Clone)]
struct ConnService {
    app: Arc<App>,
    conn: Arc<Conn>,
    /// The client's address, given to the router as `ConnectInfo` (per-client limits).
    peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for ConnService {
    type Response = Response<ResponseBody>;
    type Error = std::convert::Infallible;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        let in_flight = self.conn.begin_request();
        let app = self.app.clone();
        let conn = self.conn.clone();
        Box::pin(async move {
            let limits = &app.limits;
            let declared = request
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if declared.is_some_and(|len| len > limits.max_body_bytes as u64) {
                conn.linger.store(true, Ordering::Release);
                let rejection = Rejection::BodyTooLarge {
                    limit: limits.max_body_bytes,
                };
                return Ok(app
                    .reject(rejection)
                    .map(|b| ResponseBody::new(b, in_flight)));
            }
            let watch = Arc::new(BodyWatch::default());
            let progress = BodyProgress::new();
            *conn.body() = Some(progress.clone());
            let request = request.map(|body| {
                axum::body::Body::new(RequestBody::new(
                    body,
                    limits.max_body_bytes,
                    limits.body_read_timeout,
                    watch.clone(),
                    progress,
                ))
            });
            let response = app
                .router
                .clone()
                .oneshot(request)
                .await
                .unwrap_or_else(crate::never);
            let response = match watch.rejection(limits.max_body_bytes, limits.body_read_timeout) {
                // A body cut to make room: the slot is wanted now, so no lingering to let the
                // client read the answer over the rest of its body.
                Some(rejection @ Rejection::BodyTooSlow) => app.reject(rejection),
                Some(rejection) => {
                    conn.linger.store(true, Ordering::Release);
                    app.reject(rejection)
                }
                None => response,
            };
            Ok(response.map(|b| ResponseBody::new(b, in_flight)))
        })
    }
}

/// Why the watchdog stopped a connection.
enum Expiry {
    /// No complete request head in time: dropped.
    HeaderTimeout,
    /// Idle too long: closed gracefully.
    IdleTimeout,
    /// Closing took longer than its grace: dropped.
    CloseGrace,
}

fn next_expiry(
    phase: Phase,
    limits: &Limits,
    closing_since: Option<Instant>,
) -> Option<(Instant, Expiry)> {
    match (closing_since, phase) {
        (None, Phase::Busy) => None,
        (None, Phase::Idle(since)) => Some((since + limits.idle_timeout, Expiry::IdleTimeout)),
        (None, Phase::Head(since)) => {
            Some((since + limits.header_read_timeout, Expiry::HeaderTimeout))
        }
        (Some(closing), Phase::Busy) => Some((closing + limits.shutdown_grace, Expiry::CloseGrace)),
        (Some(closing), Phase::Idle(_) | Phase::Head(_)) => {
            Some((closing + CLOSE_GRACE, Expiry::CloseGrace))
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
        None => std::future::pending().await,
    }
}

/// Serves one connection to its end, then unregisters it and releases its slots.
pub(crate) async fn serve<S>(
    stream: S,
    peer: SocketAddr,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
    app: Arc<App>,
    mut stop: watch::Receiver<bool>,
    permits: Permits,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let id = conn.id;
    let io = TokioIo::new(TrackedIo {
        stream,
        conn: conn.clone(),
    });
    let service = ConnService {
        app: app.clone(),
        conn: conn.clone(),
        peer,
    };
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .keep_alive(true);
    let mut http = builder.serve_connection(io, service);
    let limits = &app.limits;
    let mut closing_since: Option<Instant> = None;
    let mut stopping = *stop.borrow();

    let finished = loop {
        if stopping && closing_since.is_none() {
            closing_since = Some(Instant::now());
            conn.closing.store(true, Ordering::Release);
            Pin::new(&mut http).graceful_shutdown();
        }
        let expiry = next_expiry(conn.phase(), limits, closing_since);
        tokio::select! {
            result = poll_fn(|cx| http.poll_without_shutdown(cx)) => break result.is_ok(),
            () = conn.wake.notified() => {
                if conn.evict.swap(false, Ordering::AcqRel) && closing_since.is_none() {
                    match conn.phase() {
                        // A slow head holds nothing worth a goodbye.
                        Phase::Head(_) => break false,
                        Phase::Idle(_) => {
                            closing_since = Some(Instant::now());
                            conn.closing.store(true, Ordering::Release);
                            Pin::new(&mut http).graceful_shutdown();
                        }
                        // A request started since it was chosen: keep it.
                        Phase::Busy => {}
                    }
                }
            }
            changed = stop.changed(), if !stopping => {
                // A dropped sender means the server is gone: stop too.
                let _ = changed;
                stopping = true;
            }
            () = sleep_until(expiry.as_ref().map(|(at, _)| *at)) => {
                // The phase may have moved on while we slept: act only on a deadline still due.
                let now = Instant::now();
                match next_expiry(conn.phase(), limits, closing_since) {
                    Some((at, Expiry::HeaderTimeout)) if at <= now => {
                        tracing::debug!(connection = id, "no complete request head in time: closed");
                        break false;
                    }
                    Some((at, Expiry::IdleTimeout)) if at <= now => {
                        closing_since = Some(now);
                        conn.closing.store(true, Ordering::Release);
                        Pin::new(&mut http).graceful_shutdown();
                    }
                    Some((at, Expiry::CloseGrace)) if at <= now => break false,
                    _ => {}
                }
            }
        }
    };

    if finished {
        // hyper is done and has flushed; the socket is ours again to close politely.
        let mut stream = http.into_parts().io.into_inner().stream;
        let _ = stream.shutdown().await;
        if conn.linger.load(Ordering::Acquire) {
            linger(&mut stream).await;
        }
    }
    registry.remove(id);
    drop(permits);
}

/// Serves one HTTPS connection: its TLS handshake, which must end within the header timeout
/// (a client that does not speak TLS, or too slowly, is dropped), then `serve`.
pub(crate) async fn serve_tls(
    acceptor: tokio_rustls::TlsAcceptor,
    (stream, peer): (tokio::net::TcpStream, SocketAddr),
    conn: Arc<Conn>,
    registry: Arc<Registry>,
    app: Arc<App>,
    stop: watch::Receiver<bool>,
    permits: Permits,
) {
    let within = app.limits.header_read_timeout;
    match tokio::time::timeout(within, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => serve(stream, peer, conn, registry, app, stop, permits).await,
        outcome => {
            if let Ok(Err(error)) = outcome {
                tracing::debug!(connection = conn.id, %error, "TLS handshake failed: closed");
            }
            registry.remove(conn.id);
            drop(permits);
        }
    }
}

/// Reads and discards what the client still sends (the rest of a refused body), for a while.
async fn linger<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut buffer = vec![0u8; 16 * 1024];
    let mut discarded = 0usize;
    let _ = tokio::time::timeout(LINGER, async {
        while discarded < LINGER_MAX_BYTES {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => discarded += n,
            }
        }
    })
    .await;
}
