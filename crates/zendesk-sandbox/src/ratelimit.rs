//! The account rate limit (`--rate-limit N` requests per minute, off by default): a fixed
//! one-minute window shared by every request. When on, every response carries
//! `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`, `x-rate-limit` and
//! `x-rate-limit-remaining`; over the limit the answer is 429 with `Retry-After` and a text body.
//! Only that 429 carries `Retry-After`. When off, no rate headers are sent (there is no limit to
//! report).
//!
//! Where the count lives: on SQLite, in this process's memory (one process is the account); on
//! PostgreSQL, in the database (`rate_windows`, one atomic upsert per request), so that every
//! sandbox on the database counts against the same limit. If that count cannot be read the
//! request is let through (and logged): the limit is a courtesy, not a safeguard.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::store::Store;

/// Counts requests in the current minute.
pub struct RateLimiter {
    limit: u32,
    /// (minute, requests) of this process, when the store shares no count.
    window: Mutex<(u64, u32)>,
    /// The store every process of the account counts in.
    shared: Option<Store>,
}

/// The outcome for one request: allowed or not, what remains, seconds to the next window.
struct Decision {
    allowed: bool,
    remaining: u32,
    reset: u64,
}

impl RateLimiter {
    /// `shared`: count in this store's account-wide window instead of in memory.
    pub fn new(limit: u32, shared: Option<Store>) -> RateLimiter {
        RateLimiter {
            limit,
            window: Mutex::new((0, 0)),
            shared,
        }
    }

    async fn check(&self) -> Decision {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let minute = now / 60;
        let reset = 60 - now % 60;
        if let Some(store) = &self.shared {
            match store.count_request((minute * 60) as i64).await {
                Ok(Some(requests)) => {
                    let used = u32::try_from(requests).unwrap_or(u32::MAX);
                    return Decision {
                        allowed: used <= self.limit,
                        remaining: self.limit.saturating_sub(used),
                        reset,
                    };
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(%error, "cannot count the request in the account's rate window");
                    return Decision {
                        allowed: true,
                        remaining: self.limit,
                        reset,
                    };
                }
            }
        }
        let mut window = match self.window.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= self.limit {
            return Decision {
                allowed: false,
                remaining: 0,
                reset,
            };
        }
        window.1 += 1;
        Decision {
            allowed: true,
            remaining: self.limit - window.1,
            reset,
        }
    }
}

/// The layer in front of every path: counts the request and answers 429 past the limit.
pub async fn limit(
    State(limiter): State<Option<Arc<RateLimiter>>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(limiter) = &limiter else {
        return next.run(request).await;
    };
    let decision = limiter.check().await;
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Number of allowed API requests per minute exceeded",
        )
            .into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(decision.reset));
        response
    };
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(limiter.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("ratelimit-reset", HeaderValue::from(decision.reset));
    headers.insert("x-rate-limit", HeaderValue::from(limiter.limit));
    headers.insert(
        "x-rate-limit-remaining",
        HeaderValue::from(decision.remaining),
    );
    response
}
