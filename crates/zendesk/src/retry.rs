//! The retry policy as data, the backoff it produces, and the budget one request spends of it.
//! Which failures are retried is decided in `client.rs`; this module only says how many times
//! and how long to wait.

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

/// What one request (with its retries) has spent of the policy: the attempts that failed, the
/// 429s retried and the time waited on them. Each method answers the wait before the next
/// attempt, or `None` when the policy says to give up and return the error.
pub(crate) struct RetryBudget<'a> {
    policy: &'a RetryPolicy,
    backoff: Box<dyn Iterator<Item = Duration> + Send>,
    failures: u32,
    rate_limit_waited: Duration,
    rate_limit_retries: u32,
}

impl<'a> RetryBudget<'a> {
    pub(crate) fn new(policy: &'a RetryPolicy) -> Self {
        Self {
            policy,
            backoff: Box::new(policy.backoff()),
            failures: 0,
            rate_limit_waited: Duration::ZERO,
            rate_limit_retries: 0,
        }
    }

    /// Failed attempts so far (for logs).
    pub(crate) fn failures(&self) -> u32 {
        self.failures
    }

    /// Time spent waiting on 429s (and on 5xx `Retry-After`s) so far.
    pub(crate) fn rate_limit_waited(&self) -> Duration {
        self.rate_limit_waited
    }

    /// Counts time waited outside a retry (the proactive throttle) against the 429 budget.
    pub(crate) fn waited_on_rate_limit(&mut self, wait: Duration) {
        self.rate_limit_waited += wait;
    }

    /// A 429: wait Zendesk's `Retry-After` (else the backoff), unless the policy fails fast,
    /// the 429 retries are used up, or the wait would end past the budget (sleeping in vain).
    pub(crate) fn rate_limited(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        let policy = self.policy;
        if policy.fail_fast_on_rate_limit
            || self.rate_limit_retries >= policy.max_rate_limit_retries
        {
            return None;
        }
        let wait = retry_after.unwrap_or_else(|| self.next_backoff());
        if self.rate_limit_waited + wait > policy.max_rate_limit_wait {
            return None;
        }
        self.rate_limit_waited += wait;
        self.rate_limit_retries += 1;
        Some(wait)
    }

    /// A transient failure (5xx, timeout, dropped connection) of a request that may be sent
    /// again: the backoff, or the `Retry-After` Zendesk asked for (maintenance) when it fits
    /// in what is left of the 429 budget; `None` once `max_attempts` are used up.
    pub(crate) fn failed(&mut self, asked: Option<Duration>) -> Option<Duration> {
        let policy = self.policy;
        let fits = asked.is_none_or(|d| self.rate_limit_waited + d <= policy.max_rate_limit_wait);
        if !fits || self.failures + 1 >= policy.max_attempts {
            return None;
        }
        self.failures += 1;
        Some(match asked {
            Some(asked) => {
                self.rate_limit_waited += asked;
                asked
            }
            None => self.next_backoff(),
        })
    }

    fn next_backoff(&mut self) -> Duration {
        self.backoff.next().unwrap_or(self.policy.max_backoff)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_gives_up_where_the_policy_says() {
        let policy = RetryPolicy {
            max_attempts: 3,
            max_rate_limit_retries: 2,
            max_rate_limit_wait: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let mut budget = RetryBudget::new(&policy);
        assert_eq!(
            budget.rate_limited(Some(Duration::from_secs(4))),
            Some(Duration::from_secs(4))
        );
        // 4 + 7 s would end past the 10 s budget: give up now rather than sleep.
        assert_eq!(budget.rate_limited(Some(Duration::from_secs(7))), None);
        assert_eq!(
            budget.rate_limited(Some(Duration::from_secs(6))),
            Some(Duration::from_secs(6))
        );
        // Two 429 retries made: the third is refused whatever its wait.
        assert_eq!(budget.rate_limited(Some(Duration::ZERO)), None);
        // Failures: two retries (three attempts in all), a Retry-After only when it fits.
        assert!(budget.failed(None).is_some());
        assert_eq!(
            budget.failed(Some(Duration::from_secs(1))),
            None,
            "10 s already spent"
        );
        assert!(budget.failed(None).is_some());
        assert_eq!(budget.failed(None), None);
        assert_eq!(budget.failures(), 2);
        let fail_fast = RetryPolicy::none();
        assert_eq!(RetryBudget::new(&fail_fast).rate_limited(None), None);
        assert_eq!(RetryBudget::new(&fail_fast).failed(None), None);
    }

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
