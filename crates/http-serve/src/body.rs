//! Request bodies counted and timed on their way to the router, and response bodies that mark
//! the end of a request when hyper has sent (or dropped) them. A request body also reports how
//! it is arriving ([`BodyProgress`]), so that a full server can take back the slot of a request
//! whose handler sits waiting on a body that trickles in or never comes.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::Sleep;

use crate::Rejection;
use crate::connection::InFlight;

/// What went wrong with one request's body, seen by the service after the router answered.
#[derive(Default)]
pub(crate) struct BodyWatch(AtomicU8);

const FINE: u8 = 0;
const TOO_LARGE: u8 = 1;
const TIMED_OUT: u8 = 2;
const TOO_SLOW: u8 = 3;

impl BodyWatch {
    /// The rejection that replaces the router's answer, if the body broke a limit.
    pub(crate) fn rejection(&self, limit: usize, timeout: Duration) -> Option<Rejection> {
        match self.0.load(Ordering::Acquire) {
            TOO_LARGE => Some(Rejection::BodyTooLarge { limit }),
            TIMED_OUT => Some(Rejection::BodyTimeout { timeout }),
            TOO_SLOW => Some(Rejection::BodyTooSlow),
            _ => None,
        }
    }

    fn set(&self, outcome: u8) {
        let _ = self
            .0
            .compare_exchange(FINE, outcome, Ordering::AcqRel, Ordering::Acquire);
    }
}

/// A request body counts as trickling once it has been read for this long at under
/// [`MIN_BODY_RATE`] on average: a client that means to send its body sends it at network speed,
/// right after its headers.
pub(crate) const BODY_EVICTABLE_AFTER: Duration = Duration::from_millis(500);

/// Bytes per second under which a body the handler waits on counts as trickling (a modem sends
/// 7 KiB/s). Only a full server acts on it, so a slow uploader loses its slot only to make room.
pub(crate) const MIN_BODY_RATE: u64 = 8 * 1024;

/// How one request body is arriving, shared by the body (which reports) and its connection
/// (which the registry asks when it must free a slot).
pub(crate) struct BodyProgress {
    started: Instant,
    state: Mutex<ProgressState>,
    /// The registry chose this body's slot: the body fails at its next poll.
    cut: AtomicBool,
}

struct ProgressState {
    bytes: u64,
    /// The handler is waiting for more of the body (its last poll found nothing).
    waiting: bool,
    finished: bool,
    waker: Option<Waker>,
}

impl BodyProgress {
    pub(crate) fn new() -> Arc<BodyProgress> {
        Arc::new(BodyProgress {
            started: Instant::now(),
            state: Mutex::new(ProgressState {
                bytes: 0,
                waiting: false,
                finished: false,
                waker: None,
            }),
            cut: AtomicBool::new(false),
        })
    }

    fn state(&self) -> MutexGuard<'_, ProgressState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How slowly the body arrives while its handler waits on it: `Some(bytes per second)`
    /// once it has been read for [`BODY_EVICTABLE_AFTER`] at under [`MIN_BODY_RATE`], `None`
    /// for a body that is done, not waited on, arriving fast enough, too young, or already cut.
    pub(crate) fn trickle_rate(&self, now: Instant) -> Option<u64> {
        if self.cut.load(Ordering::Acquire) {
            return None;
        }
        let state = self.state();
        if state.finished || !state.waiting {
            return None;
        }
        let elapsed = now.saturating_duration_since(self.started);
        if elapsed < BODY_EVICTABLE_AFTER {
            return None;
        }
        let rate = (state.bytes as f64 / elapsed.as_secs_f64()) as u64;
        (rate < MIN_BODY_RATE).then_some(rate)
    }

    /// Fails the body now (the handler sees a body error, the client a 408), to free its slot.
    pub(crate) fn cut(&self) {
        self.cut.store(true, Ordering::Release);
        if let Some(waker) = self.state().waker.take() {
            waker.wake();
        }
    }

    fn on_data(&self, len: usize) {
        let mut state = self.state();
        state.bytes += len as u64;
        state.waiting = false;
    }

    fn on_pending(&self, waker: &Waker) {
        let mut state = self.state();
        state.waiting = true;
        match &state.waker {
            Some(known) if known.will_wake(waker) => {}
            _ => state.waker = Some(waker.clone()),
        }
    }

    fn on_end(&self) {
        let mut state = self.state();
        state.finished = true;
        state.waiting = false;
        state.waker = None;
    }
}

/// Why a request body stopped: the handler sees this as a body error.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge { limit: usize },
    TimedOut { timeout: Duration },
    TooSlow,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge { limit } => {
                write!(f, "the request body is larger than {limit} bytes")
            }
            BodyError::TimedOut { timeout } => write!(
                f,
                "the request body did not arrive within {} s",
                timeout.as_secs_f64()
            ),
            BodyError::TooSlow => write!(
                f,
                "the request body arrived too slowly while the server needed the connection"
            ),
        }
    }
}

impl std::error::Error for BodyError {}

/// A request body that fails once it passes `remaining` bytes or its deadline.
pub(crate) struct RequestBody {
    inner: Incoming,
    limit: usize,
    remaining: usize,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    watch: Arc<BodyWatch>,
    progress: Arc<BodyProgress>,
    failed: bool,
}

impl RequestBody {
    pub(crate) fn new(
        inner: Incoming,
        limit: usize,
        timeout: Duration,
        watch: Arc<BodyWatch>,
        progress: Arc<BodyProgress>,
    ) -> Self {
        RequestBody {
            inner,
            limit,
            remaining: limit,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            watch,
            progress,
            failed: false,
        }
    }

    fn fail(
        &mut self,
        outcome: u8,
        error: BodyError,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyFailure>>> {
        self.failed = true;
        self.watch.set(outcome);
        self.progress.on_end();
        Poll::Ready(Some(Err(Box::new(error))))
    }
}

type BodyFailure = Box<dyn std::error::Error + Send + Sync>;

impl Drop for RequestBody {
    fn drop(&mut self) {
        // A handler that answered without reading the rest waits on nothing any more.
        self.progress.on_end();
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BodyFailure;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        if this.progress.cut.load(Ordering::Acquire) {
            return this.fail(TOO_SLOW, BodyError::TooSlow);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if data.len() > this.remaining {
                        let limit = this.limit;
                        return this.fail(TOO_LARGE, BodyError::TooLarge { limit });
                    }
                    this.remaining -= data.len();
                    this.progress.on_data(data.len());
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.progress.on_end();
                Poll::Ready(Some(Err(Box::new(error))))
            }
            Poll::Ready(None) => {
                this.progress.on_end();
                Poll::Ready(None)
            }
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    let timeout = this.timeout;
                    return this.fail(TIMED_OUT, BodyError::TimedOut { timeout });
                }
                this.progress.on_pending(cx.waker());
                // Cut between the check above and registering the waker: fail now rather
                // than wait for a wake that already happened.
                if this.progress.cut.load(Ordering::Acquire) {
                    return this.fail(TOO_SLOW, BodyError::TooSlow);
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.failed || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that ends its request's "in progress" state once sent or dropped.
pub(crate) struct ResponseBody {
    inner: axum::body::Body,
    in_flight: Option<InFlight>,
}

impl ResponseBody {
    pub(crate) fn new(inner: axum::body::Body, in_flight: InFlight) -> Self {
        ResponseBody {
            inner,
            in_flight: Some(in_flight),
        }
    }
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.in_flight = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
