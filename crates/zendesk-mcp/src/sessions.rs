//! MCP sessions over HTTP, bounded: at most [`SessionLimits::max_sessions`] live at once, and a
//! session unused for [`SessionLimits::idle_timeout`] is ended. Without this, every client that
//! initializes and walks away leaves its session (about 57 KB) in memory until the process ends.
//!
//! A wrapper around rmcp's [`LocalSessionManager`], which keeps the sessions themselves; this
//! adds, per session, when it was last used and how many of its response streams are open.
//!
//! **At the cap, the session idle longest is ended to make room** for the new one, rather than
//! refusing the newcomer. Sessions pile up because clients abandon them (a crashed agent, a
//! script that never sends DELETE); refusing would lock every new client out until the idle
//! timeout, while ending the longest-unused session only costs a client that really comes back
//! after the longest pause a fresh `initialize` (MCP tells clients to start a new session on a
//! 404). A session with an open stream (a tool call in progress, a listening GET) is never
//! ended this way; when every session has one, the newcomer is refused with 503 and
//! `Retry-After`.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::Stream;
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::WorkerTransport;
use rmcp::transport::streamable_http_server::session::local::{
    LocalSessionManager, LocalSessionManagerError, LocalSessionWorker,
};
use rmcp::transport::streamable_http_server::session::{
    ServerSseMessage, SessionId, SessionManager,
};

/// How many MCP sessions may live at once, and how long an unused one lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionLimits {
    /// Sessions alive at once; beyond it the one idle longest is ended (see the module doc).
    pub max_sessions: usize,
    /// A session with no request and no open stream for this long is ended.
    pub idle_timeout: Duration,
}

impl SessionLimits {
    /// 500 sessions of about 57 KB: under 30 MB however many clients come and go.
    pub const DEFAULT_MAX_SESSIONS: usize = 500;
    /// Long enough for a person to step away from an agent mid-conversation.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

    /// Refuses a zero, naming the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_sessions == 0 {
            return Err("the MCP session cap must be at least 1".into());
        }
        if self.idle_timeout.is_zero() {
            return Err("the MCP session idle timeout must be longer than zero".into());
        }
        Ok(())
    }
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            max_sessions: Self::DEFAULT_MAX_SESSIONS,
            idle_timeout: Self::DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// Why a session operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error(
        "{max} MCP sessions are open and every one has a request or stream in progress: \
         end sessions you no longer need (DELETE /mcp) or retry later"
    )]
    Full { max: usize },
    #[error(transparent)]
    Local(#[from] LocalSessionManagerError),
}

struct Use {
    last_used: Instant,
    open_streams: u32,
}

#[derive(Default)]
struct Table {
    sessions: HashMap<SessionId, Use>,
    /// Sessions being created (counted against the cap before they exist).
    creating: usize,
}

struct Shared {
    inner: LocalSessionManager,
    table: Mutex<Table>,
    limits: SessionLimits,
}

impl Shared {
    fn table(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn touch(&self, id: &SessionId) {
        if let Some(entry) = self.table().sessions.get_mut(id) {
            entry.last_used = Instant::now();
        }
    }

    fn open_stream(self: &Arc<Self>, id: &SessionId) -> OpenStream {
        if let Some(entry) = self.table().sessions.get_mut(id) {
            entry.open_streams += 1;
            entry.last_used = Instant::now();
        }
        OpenStream {
            shared: self.clone(),
            id: id.clone(),
        }
    }
}

/// The session manager the HTTP service uses.
pub struct BoundedSessionManager {
    shared: Arc<Shared>,
    reaper_started: AtomicBool,
}

/// A handle on the live sessions, for the refusal check and for tests.
#[derive(Clone)]
pub struct Sessions {
    shared: Arc<Shared>,
}

impl Sessions {
    /// Sessions alive now.
    pub fn open(&self) -> usize {
        self.shared.table().sessions.len()
    }

    /// The cap in force.
    pub fn max(&self) -> usize {
        self.shared.limits.max_sessions
    }

    /// Whether a new session can be had: below the cap, or some session is idle and can be
    /// ended to make room.
    pub fn has_room(&self) -> bool {
        let table = self.shared.table();
        table.sessions.len() + table.creating < self.shared.limits.max_sessions
            || table.sessions.values().any(|u| u.open_streams == 0)
    }
}

impl BoundedSessionManager {
    pub fn new(limits: SessionLimits) -> (BoundedSessionManager, Sessions) {
        let mut inner = LocalSessionManager::default();
        // Idle sessions are ended here, by last use and open streams; rmcp's own keep-alive
        // counts only worker events, so it would end a session in the middle of a long tool
        // call or under a quiet listening stream.
        inner.session_config.keep_alive = None;
        let shared = Arc::new(Shared {
            inner,
            table: Mutex::new(Table::default()),
            limits,
        });
        let sessions = Sessions {
            shared: shared.clone(),
        };
        let manager = BoundedSessionManager {
            shared,
            reaper_started: AtomicBool::new(false),
        };
        (manager, sessions)
    }

    /// Starts the idle reaper on first use (creation needs a runtime; the first session has one).
    fn ensure_reaper(&self) {
        if !self.reaper_started.swap(true, Ordering::AcqRel) {
            tokio::spawn(reap_idle(Arc::downgrade(&self.shared)));
        }
    }

    /// Counts a new session against the cap, ending the session idle longest when full.
    async fn reserve(&self) -> Result<(), SessionsError> {
        let max = self.shared.limits.max_sessions;
        loop {
            let victim = {
                let mut table = self.shared.table();
                if table.sessions.len() + table.creating < max {
                    table.creating += 1;
                    return Ok(());
                }
                let victim = table
                    .sessions
                    .iter()
                    .filter(|(_, u)| u.open_streams == 0)
                    .min_by_key(|(_, u)| u.last_used)
                    .map(|(id, _)| id.clone());
                match victim {
                    Some(id) => {
                        table.sessions.remove(&id);
                        id
                    }
                    None => return Err(SessionsError::Full { max }),
                }
            };
            tracing::info!(session = %victim, max, "ended the MCP session idle longest to make room");
            let _ = self.shared.inner.close_session(&victim).await;
        }
    }
}

/// Ends sessions unused for the idle timeout, until the manager is gone.
async fn reap_idle(shared: Weak<Shared>) {
    let Some(idle_timeout) = shared.upgrade().map(|s| s.limits.idle_timeout) else {
        return;
    };
    let period = (idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(30));
    loop {
        tokio::time::sleep(period).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let expired: Vec<SessionId> = {
            let mut table = shared.table();
            let now = Instant::now();
            let expired: Vec<SessionId> = table
                .sessions
                .iter()
                .filter(|(_, u)| {
                    u.open_streams == 0 && now.duration_since(u.last_used) >= idle_timeout
                })
                .map(|(id, _)| id.clone())
                .collect();
            for id in &expired {
                table.sessions.remove(id);
            }
            expired
        };
        if !expired.is_empty() {
            tracing::info!(
                count = expired.len(),
                idle_secs = idle_timeout.as_secs_f64(),
                "ended idle MCP sessions"
            );
        }
        for id in expired {
            let _ = shared.inner.close_session(&id).await;
        }
    }
}

/// An open response stream of a session: the session is in use until it ends.
struct OpenStream {
    shared: Arc<Shared>,
    id: SessionId,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        if let Some(entry) = self.shared.table().sessions.get_mut(&self.id) {
            entry.open_streams = entry.open_streams.saturating_sub(1);
            entry.last_used = Instant::now();
        }
    }
}

/// A session's response stream, counted as open while it lives.
struct Counted<S> {
    inner: Pin<Box<S>>,
    _open: OpenStream,
}

impl<S: Stream> Stream for Counted<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        self.inner.as_mut().poll_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl SessionManager for BoundedSessionManager {
    type Error = SessionsError;
    type Transport = WorkerTransport<LocalSessionWorker>;

    async fn create_session(&self) -> Result<(SessionId, Self::Transport), Self::Error> {
        self.ensure_reaper();
        self.reserve().await?;
        let created = self.shared.inner.create_session().await;
        let mut table = self.shared.table();
        table.creating -= 1;
        let (id, transport) = created?;
        table.sessions.insert(
            id.clone(),
            Use {
                last_used: Instant::now(),
                open_streams: 0,
            },
        );
        Ok((id, transport))
    }

    async fn initialize_session(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<ServerJsonRpcMessage, Self::Error> {
        self.shared.touch(id);
        let _open = self.shared.open_stream(id);
        Ok(self.shared.inner.initialize_session(id, message).await?)
    }

    async fn has_session(&self, id: &SessionId) -> Result<bool, Self::Error> {
        Ok(self.shared.inner.has_session(id).await?)
    }

    async fn close_session(&self, id: &SessionId) -> Result<(), Self::Error> {
        self.shared.table().sessions.remove(id);
        Ok(self.shared.inner.close_session(id).await?)
    }

    async fn create_stream(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let open = self.shared.open_stream(id);
        let stream = self.shared.inner.create_stream(id, message).await?;
        Ok(Counted {
            inner: Box::pin(stream),
            _open: open,
        })
    }

    async fn accept_message(
        &self,
        id: &SessionId,
        message: ClientJsonRpcMessage,
    ) -> Result<(), Self::Error> {
        self.shared.touch(id);
        Ok(self.shared.inner.accept_message(id, message).await?)
    }

    async fn create_standalone_stream(
        &self,
        id: &SessionId,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let open = self.shared.open_stream(id);
        let stream = self.shared.inner.create_standalone_stream(id).await?;
        Ok(Counted {
            inner: Box::pin(stream),
            _open: open,
        })
    }

    async fn resume(
        &self,
        id: &SessionId,
        last_event_id: String,
    ) -> Result<impl Stream<Item = ServerSseMessage> + Send + Sync + 'static, Self::Error> {
        let open = self.shared.open_stream(id);
        let stream = self.shared.inner.resume(id, last_event_id).await?;
        Ok(Counted {
            inner: Box::pin(stream),
            _open: open,
        })
    }
}
