//! The account rate limit (`--rate-limit N` requests per minute, off by default): a fixed
//! one-minute window shared by every request. When on, every response carries
//! `ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`, `x-rate-limit` and
//! `x-rate-limit-remaining`; over the limit the answer is 429 with `Retry-After` and a text body.
//! Only that 429 carries `Retry-After`. When off, no rate headers are sent (there is no limit to
//! report).
//!
//! Endpoints with a limit of their own, Zendesk's, counted beside the account's while the limit
//! is on: the incremental exports (10 requests a minute) and their samples (10 requests in 20
//! minutes). Their answers also carry `Zendesk-RateLimit-incremental-exports-cursor:
//! total=10; remaining=9; resets=42`, and over that limit the answer is a 429 of its own.
//!
//! Where the count lives: on SQLite, in this process's memory (one process is the account); on
//! PostgreSQL, in the database (`rate_windows`, one atomic upsert per request and limit), so
//! that every sandbox on the database counts against the same limit. If that count cannot be
//! read the request is let through (and logged): the limit is a courtesy, not a safeguard.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::store::Store;

/// A limit: how many requests one window of `window` seconds allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Limit {
    /// Where it is counted (`rate_windows.name` on PostgreSQL).
    name: &'static str,
    total: u32,
    window: u64,
}

/// Zendesk's limit of the incremental exports: 10 requests a minute.
const INCREMENTAL_EXPORTS: Limit = Limit {
    name: "incremental-exports",
    total: 10,
    window: 60,
};

/// Zendesk's limit of the incremental sample exports: 10 requests in 20 minutes.
const INCREMENTAL_SAMPLE: Limit = Limit {
    name: "incremental-sample",
    total: 10,
    window: 20 * 60,
};

/// The header Zendesk reports the incremental exports' limit in.
const INCREMENTAL_HEADER: &str = "zendesk-ratelimit-incremental-exports-cursor";

/// The limit of its own an endpoint has, by its path (with or without `.json`).
fn endpoint_limit(path: &str) -> Option<Limit> {
    let rest = path.strip_prefix("/api/v2/incremental/")?;
    let rest = rest.strip_suffix(".json").unwrap_or(rest);
    Some(if rest.ends_with("/sample") {
        INCREMENTAL_SAMPLE
    } else {
        INCREMENTAL_EXPORTS
    })
}

/// Counts requests in the current window of each limit.
pub struct RateLimiter {
    /// The account's requests per minute.
    limit: u32,
    /// (window, requests) of this process per limit, when the store shares no count.
    windows: Mutex<HashMap<&'static str, (u64, u32)>>,
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
    /// `shared`: count in this store's account-wide windows instead of in memory.
    pub fn new(limit: u32, shared: Option<Store>) -> RateLimiter {
        RateLimiter {
            limit,
            windows: Mutex::new(HashMap::new()),
            shared,
        }
    }

    fn account(&self) -> Limit {
        Limit {
            name: "account",
            total: self.limit,
            window: 60,
        }
    }

    async fn check(&self, limit: Limit) -> Decision {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let window = now / limit.window;
        let reset = limit.window - now % limit.window;
        if let Some(store) = &self.shared {
            match store
                .count_request(limit.name, (window * limit.window) as i64)
                .await
            {
                Ok(Some(requests)) => {
                    let used = u32::try_from(requests).unwrap_or(u32::MAX);
                    return Decision {
                        allowed: used <= limit.total,
                        remaining: limit.total.saturating_sub(used),
                        reset,
                    };
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(%error, limit = limit.name, "cannot count the request in its rate window");
                    return Decision {
                        allowed: true,
                        remaining: limit.total,
                        reset,
                    };
                }
            }
        }
        let mut windows = match self.windows.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let counted = windows.entry(limit.name).or_insert((window, 0));
        if counted.0 != window {
            *counted = (window, 0);
        }
        if counted.1 >= limit.total {
            return Decision {
                allowed: false,
                remaining: 0,
                reset,
            };
        }
        counted.1 += 1;
        Decision {
            allowed: true,
            remaining: limit.total - counted.1,
            reset,
        }
    }
}

/// A 429 with `Retry-After` and Zendesk's text body.
fn too_many(decision: &Decision, text: &'static str) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(decision.reset));
    response
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
    let decision = limiter.check(limiter.account()).await;
    let own = endpoint_limit(request.uri().path());
    let mut response = if !decision.allowed {
        too_many(
            &decision,
            "Number of allowed API requests per minute exceeded",
        )
    } else if let Some(own) = own {
        let endpoint = limiter.check(own).await;
        let mut response = if endpoint.allowed {
            next.run(request).await
        } else {
            too_many(
                &endpoint,
                "Number of allowed incremental export API requests exceeded",
            )
        };
        let report = format!(
            "total={}; remaining={}; resets={}",
            own.total, endpoint.remaining, endpoint.reset
        );
        if let Ok(value) = HeaderValue::from_str(&report) {
            response.headers_mut().insert(INCREMENTAL_HEADER, value);
        }
        response
    } else {
        next.run(request).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_exports_have_limits_of_their_own() {
        assert_eq!(
            endpoint_limit("/api/v2/incremental/tickets/cursor.json"),
            Some(INCREMENTAL_EXPORTS)
        );
        assert_eq!(
            endpoint_limit("/api/v2/incremental/ticket_events"),
            Some(INCREMENTAL_EXPORTS)
        );
        assert_eq!(
            endpoint_limit("/api/v2/incremental/users/sample.json"),
            Some(INCREMENTAL_SAMPLE)
        );
        assert_eq!(endpoint_limit("/api/v2/tickets.json"), None);
    }

    #[tokio::test]
    async fn each_limit_counts_in_its_own_window() {
        let limiter = RateLimiter::new(100, None);
        for used in 1..=10 {
            let decision = limiter.check(INCREMENTAL_EXPORTS).await;
            assert!(decision.allowed);
            assert_eq!(decision.remaining, 10 - used);
        }
        assert!(!limiter.check(INCREMENTAL_EXPORTS).await.allowed);
        // The account's window and the samples' are counted apart.
        assert_eq!(limiter.check(limiter.account()).await.remaining, 99);
        assert!(limiter.check(INCREMENTAL_SAMPLE).await.allowed);
    }
}
