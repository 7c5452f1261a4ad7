//! Request bodies counted and timed on their way to the router, and response bodies that mark
//! the end of a request when hyper has sent (or dropped) them.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

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

impl BodyWatch {
    /// The rejection that replaces the router's answer, if the body broke a limit.
    pub(crate) fn rejection(&self, limit: usize, timeout: Duration) -> Option<Rejection> {
        match self.0.load(Ordering::Acquire) {
            TOO_LARGE => Some(Rejection::BodyTooLarge { limit }),
            TIMED_OUT => Some(Rejection::BodyTimeout { timeout }),
            _ => None,
        }
    }

    fn set(&self, outcome: u8) {
        let _ = self
            .0
            .compare_exchange(FINE, outcome, Ordering::AcqRel, Ordering::Acquire);
    }
}

/// Why a request body stopped: the handler sees this as a body error.
#[derive(Debug)]
pub(crate) enum BodyError {
    TooLarge { limit: usize },
    TimedOut { timeout: Duration },
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
    failed: bool,
}

impl RequestBody {
    pub(crate) fn new(
        inner: Incoming,
        limit: usize,
        timeout: Duration,
        watch: Arc<BodyWatch>,
    ) -> Self {
        RequestBody {
            inner,
            limit,
            remaining: limit,
            timeout,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            watch,
            failed: false,
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.failed {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    if data.len() > this.remaining {
                        this.failed = true;
                        this.watch.set(TOO_LARGE);
                        let limit = this.limit;
                        return Poll::Ready(Some(Err(Box::new(BodyError::TooLarge { limit }))));
                    }
                    this.remaining -= data.len();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(Box::new(error)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                if this.deadline.as_mut().poll(cx).is_ready() {
                    this.failed = true;
                    this.watch.set(TIMED_OUT);
                    let timeout = this.timeout;
                    return Poll::Ready(Some(Err(Box::new(BodyError::TimedOut { timeout }))));
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
