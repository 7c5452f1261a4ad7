//! The retry policy as data, and the backoff it produces. Which failures are retried is
//! decided in `client.rs`; this module only says how many times and how long to wait.

use std::time::Duration;

use backon::BackoffBuilder as _;

/// How the client reacts to rate limits and transient failures.
///
/// - `429 Too Many Requests` is retried for every method, waiting `Retry-After` seconds (or the
///   backoff when Zendesk sends none), as long as the total time spent waiting on rate limits
///   for one request stays within `max_rate_limit_wait` and at most `max_rate_limit_retries`
///   times. A `Retry-After` longer than what is left of the budget fails at once with
///   [`Error::RateLimited`](crate::Error::RateLimited) instead of sleeping in vain.
/// - With `fail_fast_on_rate_limit`, a 429 is returned at once as `RateLimited` carrying
///   `retry_after`, so a job queue can reschedule instead of sleeping.
/// - 5xx answers, timeouts and connection failures are retried only for idempotent methods
///   (GET, PUT, DELETE), up to `max_attempts` attempts in all. A POST is retried only when the
///   connection could not be opened (nothing reached Zendesk); a POST that got 503 is not.
/// - Waits between those retries are jittered exponential backoff from `initial_backoff`,
///   capped at `max_backoff`; a `Retry-After` on a 5xx (maintenance) is honoured instead when
///   it fits in what is left of `max_rate_limit_wait`, else the error is returned.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all for 5xx / timeout / connection failures (1 = no retry). Default 3.
    pub max_attempts: u32,
    /// First backoff delay. Default 500 ms.
    pub initial_backoff: Duration,
    /// Largest backoff delay. Default 8 s.
    pub max_backoff: Duration,
    /// Total time one request may spend waiting on 429s. Default 60 s.
    pub max_rate_limit_wait: Duration,
    /// How many 429s one request may retry. Default 10.
    pub max_rate_limit_retries: u32,
    /// Return 429 at once as `RateLimited` instead of waiting. Default false.
    pub fail_fast_on_rate_limit: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(60),
            max_rate_limit_retries: 10,
            fail_fast_on_rate_limit: false,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries anything (429s included: they fail fast).
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            max_rate_limit_retries: 0,
            fail_fast_on_rate_limit: true,
            ..Self::default()
        }
    }

    /// The jittered backoff sequence for one request.
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.initial_backoff)
            .with_max_delay(self.max_backoff.max(self.initial_backoff))
            .with_factor(2.0)
            // backon's own random source is fixed-seeded without its `std` feature: seed it.
            .with_jitter_seed(fastrand::u64(..))
            .with_jitter()
            .without_max_times()
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_capped() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            ..RetryPolicy::default()
        };
        let delays: Vec<_> = policy.backoff().take(6).collect();
        assert_eq!(delays.len(), 6);
        assert!(delays[0] >= Duration::from_millis(100));
        // Jitter adds at most one more delay's worth on top of the cap.
        assert!(delays.iter().all(|d| *d <= Duration::from_millis(800)));
        assert!(delays[5] >= Duration::from_millis(400));
    }
}
