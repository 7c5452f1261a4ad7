//! What happens after an attempt, as Zendesk does it. Zendesk's retry rule: a request that
//! times out (12 s; recorded as 504) is retried up to 5 times, a 409 up to 3 times, a 429 or
//! 503 only when it carries `Retry-After` under 60 seconds; nothing else is retried. Webhooks are
//! never deactivated for failing.
//!
//! Zendesk's circuit breaker, per webhook: within 5 minutes, when at least 70% of at least 100
//! requests failed, or more than 1,000 failed, it opens and nothing is sent for 5 seconds; then
//! one request goes through: its success closes the circuit, its failure opens it for another
//! 5 seconds. An invocation met by an open circuit is not sent and ends `circuit_broken`.
//!
//! Also the records `GET /webhooks/{id}/invocations` and `.../attempts` answer, and their
//! filters.

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};
use time::PrimitiveDateTime;

use crate::util::iso;

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The endpoint answered; `retry_after` is its `Retry-After` header.
    Response {
        status: u16,
        retry_after: Option<String>,
    },
    /// No answer within the timeout.
    Timeout,
    /// No connection (refused, reset, TLS): the reason.
    Unreachable(String),
    /// The host policy refused the endpoint; nothing was sent.
    Refused(String),
    /// The circuit was open; nothing was sent.
    CircuitBroken,
}

/// Where an invocation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationStatus {
    Success,
    Failed,
    CircuitBroken,
}

impl InvocationStatus {
    pub const KNOWN: &'static [&'static str] = &["success", "failed", "circuit_broken"];

    pub fn as_str(self) -> &'static str {
        match self {
            InvocationStatus::Success => "success",
            InvocationStatus::Failed => "failed",
            InvocationStatus::CircuitBroken => "circuit_broken",
        }
    }

    pub fn parse(text: &str) -> Option<InvocationStatus> {
        match text.trim() {
            "success" => Some(InvocationStatus::Success),
            "failed" => Some(InvocationStatus::Failed),
            "circuit_broken" | "circuit broken" => Some(InvocationStatus::CircuitBroken),
            _ => None,
        }
    }
}

impl AttemptOutcome {
    /// The status code recorded: the response's, 504 for a timeout, none when nothing answered.
    pub fn status_code(&self) -> Option<u16> {
        match self {
            AttemptOutcome::Response { status, .. } => Some(*status),
            AttemptOutcome::Timeout => Some(504),
            _ => None,
        }
    }

    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        matches!(self, AttemptOutcome::Response { status, .. } if (200..300).contains(status))
    }

    /// The attempt's own status.
    pub fn status(&self) -> InvocationStatus {
        match self {
            _ if self.succeeded() => InvocationStatus::Success,
            AttemptOutcome::CircuitBroken => InvocationStatus::CircuitBroken,
            _ => InvocationStatus::Failed,
        }
    }

    /// For the circuit breaker: `Some(failed)` for a request that reached out, `None` for one
    /// never sent.
    pub fn reached_out(&self) -> Option<bool> {
        match self {
            AttemptOutcome::Refused(_) | AttemptOutcome::CircuitBroken => None,
            other => Some(!other.succeeded()),
        }
    }
}

/// After an attempt: done, or try again after a delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Done(InvocationStatus),
    RetryAfterMs(u64),
}

/// Zendesk's retry rule, with the delays the sandbox waits between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long an attempt may wait for an answer.
    pub timeout_ms: u64,
    pub timeout_retries: usize,
    pub conflict_retries: usize,
    /// Retries of 429 and 503 answers with a short `Retry-After`. Zendesk gives no number; the
    /// sandbox stops after this many so an endpoint answering 503 forever cannot hold a
    /// delivery forever.
    pub throttle_retries: usize,
    /// A `Retry-After` at or over this many seconds is not waited for.
    pub max_retry_after_secs: u64,
    /// The first wait before retrying a timeout or 409 (doubling each time, at most a minute).
    /// Zendesk does not document its own.
    pub backoff_ms: u64,
}

impl RetryPolicy {
    pub const ZENDESK: RetryPolicy = RetryPolicy {
        timeout_ms: 12_000,
        timeout_retries: 5,
        conflict_retries: 3,
        throttle_retries: 5,
        max_retry_after_secs: 60,
        backoff_ms: 1_000,
    };

    /// What to do after the last of `attempts` (every attempt of the invocation so far), at
    /// `now` (Unix seconds, to read a `Retry-After` date).
    pub fn decide(&self, attempts: &[AttemptOutcome], now: i64) -> Decision {
        let Some(last) = attempts.last() else {
            return Decision::Done(InvocationStatus::Failed);
        };
        let retries_of = |same: &dyn Fn(&AttemptOutcome) -> bool| {
            attempts
                .iter()
                .filter(|a| same(a))
                .count()
                .saturating_sub(1)
        };
        let failed = Decision::Done(InvocationStatus::Failed);
        match last {
            _ if last.succeeded() => Decision::Done(InvocationStatus::Success),
            AttemptOutcome::CircuitBroken => Decision::Done(InvocationStatus::CircuitBroken),
            AttemptOutcome::Timeout => {
                let done = retries_of(&|a| matches!(a, AttemptOutcome::Timeout));
                if done < self.timeout_retries {
                    Decision::RetryAfterMs(self.backoff(done))
                } else {
                    failed
                }
            }
            AttemptOutcome::Response { status: 409, .. } => {
                let done = retries_of(&|a| a.status_code() == Some(409));
                if done < self.conflict_retries {
                    Decision::RetryAfterMs(self.backoff(done))
                } else {
                    failed
                }
            }
            AttemptOutcome::Response {
                status: 429 | 503,
                retry_after,
            } => {
                let wait = retry_after
                    .as_deref()
                    .and_then(|value| parse_retry_after(value, now))
                    .filter(|secs| *secs < self.max_retry_after_secs);
                let done = retries_of(&|a| matches!(a.status_code(), Some(429 | 503)));
                match wait {
                    Some(secs) if done < self.throttle_retries => {
                        Decision::RetryAfterMs(secs * 1_000)
                    }
                    _ => failed,
                }
            }
            _ => failed,
        }
    }

    fn backoff(&self, retries_done: usize) -> u64 {
        let factor = 1u64 << retries_done.min(16);
        (self.backoff_ms.saturating_mul(factor)).min(60_000)
    }
}

/// A `Retry-After` value in seconds: delay seconds, or an HTTP date (`Sun, 06 Nov 1994
/// 08:49:37 GMT`) counted from `now`.
pub fn parse_retry_after(value: &str, now: i64) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs);
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = PrimitiveDateTime::parse(value, &format).ok()?.assume_utc();
    Some((at.unix_timestamp() - now).max(0) as u64)
}

/// Zendesk's circuit breaker for one webhook. Times are milliseconds.
#[derive(Debug, Clone, Default)]
pub struct CircuitBreaker {
    /// (when, failed) of the requests in the window.
    window: VecDeque<(i64, bool)>,
    state: Circuit,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Circuit {
    #[default]
    Closed,
    Open {
        until: i64,
    },
    /// One request is on its way to test the endpoint.
    Probing,
}

impl CircuitBreaker {
    pub const WINDOW_MS: i64 = 5 * 60 * 1_000;
    pub const PAUSE_MS: i64 = 5_000;
    pub const MIN_REQUESTS: usize = 100;
    pub const MAX_FAILURES: usize = 1_000;

    /// Whether a request may go now. After the pause, the first request asked for is the probe.
    pub fn allow(&mut self, now: i64) -> bool {
        match self.state {
            Circuit::Closed => true,
            Circuit::Open { until } if now >= until => {
                self.state = Circuit::Probing;
                true
            }
            Circuit::Open { .. } | Circuit::Probing => false,
        }
    }

    /// Records the result of a request that went out.
    pub fn record(&mut self, now: i64, failed: bool) {
        if self.state == Circuit::Probing {
            self.state = if failed {
                Circuit::Open {
                    until: now + Self::PAUSE_MS,
                }
            } else {
                self.window.clear();
                Circuit::Closed
            };
            return;
        }
        self.window.push_back((now, failed));
        while self
            .window
            .front()
            .is_some_and(|(at, _)| *at <= now - Self::WINDOW_MS)
        {
            self.window.pop_front();
        }
        let requests = self.window.len();
        let failures = self.window.iter().filter(|(_, failed)| *failed).count();
        let tripped = failures > Self::MAX_FAILURES
            || (requests >= Self::MIN_REQUESTS && failures * 10 >= requests * 7);
        if tripped {
            self.state = Circuit::Open {
                until: now + Self::PAUSE_MS,
            };
        }
    }

    /// True while nothing may be sent.
    pub fn is_open(&self, now: i64) -> bool {
        match self.state {
            Circuit::Closed => false,
            Circuit::Open { until } => now < until,
            Circuit::Probing => true,
        }
    }
}

/// The circuit breakers of every webhook, by webhook id (one process's view).
#[derive(Debug, Default)]
pub struct CircuitBreakers {
    breakers: HashMap<String, CircuitBreaker>,
}

impl CircuitBreakers {
    pub fn allow(&mut self, webhook_id: &str, now: i64) -> bool {
        self.breakers
            .entry(webhook_id.to_string())
            .or_default()
            .allow(now)
    }

    pub fn record(&mut self, webhook_id: &str, now: i64, outcome: &AttemptOutcome) {
        if let Some(failed) = outcome.reached_out() {
            self.breakers
                .entry(webhook_id.to_string())
                .or_default()
                .record(now, failed);
        }
    }

    /// Forgets a deleted webhook.
    pub fn remove(&mut self, webhook_id: &str) {
        self.breakers.remove(webhook_id);
    }
}

/// An invocation as `GET /webhooks/{id}/invocations` lists it.
pub fn invocation_json(
    id: &str,
    status: InvocationStatus,
    status_code: Option<u16>,
    latest_completed_at: i64,
) -> Value {
    json!({"id": id, "status": status.as_str(), "status_code": status_code,
           "latest_completed_at": iso(latest_completed_at)})
}

/// What an attempt's endpoint answered, for its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedResponse {
    pub headers: Vec<(String, String)>,
    pub payload: String,
}

/// One attempt as `GET /webhooks/{id}/invocations/{id}/attempts` lists it: `request` is
/// `DeliveryRequest::logged`; an attempt nothing answered records why in `response.payload`.
pub fn attempt_json(
    id: &str,
    invocation_id: &str,
    outcome: &AttemptOutcome,
    completed_at: i64,
    request: Value,
    response: Option<&LoggedResponse>,
) -> Value {
    let response = match (response, outcome) {
        (Some(r), _) => json!({
            "headers": r.headers.iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
            "payload": r.payload,
        }),
        (None, AttemptOutcome::Timeout) => {
            json!({"headers": [], "payload": "The endpoint did not answer within 12 seconds"})
        }
        (None, AttemptOutcome::Unreachable(why) | AttemptOutcome::Refused(why)) => {
            json!({"headers": [], "payload": why})
        }
        (None, AttemptOutcome::CircuitBroken) => {
            json!({"headers": [], "payload": "Not sent: the webhook's circuit breaker is open after too many failures"})
        }
        (None, AttemptOutcome::Response { .. }) => json!({"headers": [], "payload": ""}),
    };
    json!({
        "id": id, "invocation_id": invocation_id, "status": outcome.status().as_str(),
        "status_code": outcome.status_code(), "completed_at": iso(completed_at),
        "request": request, "response": response,
    })
}

/// The filters of `GET /webhooks/{id}/invocations`: `filter[status]`, `filter[from_ts]`,
/// `filter[to_ts]` (ISO 8601), and `sort` (`latest_completed_at` or `-latest_completed_at`, the
/// default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationFilter {
    pub status: Option<InvocationStatus>,
    pub from_ts: Option<i64>,
    pub to_ts: Option<i64>,
    pub newest_first: bool,
}

impl InvocationFilter {
    /// The error names the parameter and the form expected.
    pub fn parse(
        status: Option<&str>,
        from_ts: Option<&str>,
        to_ts: Option<&str>,
        sort: Option<&str>,
    ) -> Result<InvocationFilter, String> {
        let status = match status.filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(text) => Some(InvocationStatus::parse(text).ok_or_else(|| {
                format!(
                    "filter[status] must be one of {}; got `{text}`",
                    InvocationStatus::KNOWN.join(", ")
                )
            })?),
        };
        let time = |name: &str, value: Option<&str>| -> Result<Option<i64>, String> {
            match value.filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(text) => crate::util::parse_time(text.trim())
                    .map(Some)
                    .ok_or_else(|| {
                        format!("{name} must be a time such as 2024-05-31T10:00:00Z; got `{text}`")
                    }),
            }
        };
        let newest_first = match sort.map(str::trim).filter(|s| !s.is_empty()) {
            None | Some("-latest_completed_at") => true,
            Some("latest_completed_at") => false,
            Some(other) => {
                return Err(format!(
                    "sort must be latest_completed_at or -latest_completed_at; got `{other}`"
                ));
            }
        };
        Ok(InvocationFilter {
            status,
            from_ts: time("filter[from_ts]", from_ts)?,
            to_ts: time("filter[to_ts]", to_ts)?,
            newest_first,
        })
    }

    pub fn matches(&self, status: InvocationStatus, latest_completed_at: i64) -> bool {
        self.status.is_none_or(|s| s == status)
            && self.from_ts.is_none_or(|from| latest_completed_at >= from)
            && self.to_ts.is_none_or(|to| latest_completed_at <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<&str>) -> AttemptOutcome {
        AttemptOutcome::Response {
            status,
            retry_after: retry_after.map(str::to_string),
        }
    }

    /// Runs the policy against an endpoint answering `each` every time; the outcomes tried.
    fn tries(each: AttemptOutcome) -> (Vec<AttemptOutcome>, Decision, Vec<u64>) {
        let policy = RetryPolicy::ZENDESK;
        let mut attempts = vec![each.clone()];
        let mut waits = Vec::new();
        loop {
            match policy.decide(&attempts, 0) {
                Decision::RetryAfterMs(ms) => {
                    waits.push(ms);
                    attempts.push(each.clone());
                }
                done => return (attempts, done, waits),
            }
        }
    }

    #[test]
    fn timeouts_are_retried_five_times_conflicts_three() {
        let (attempts, done, waits) = tries(AttemptOutcome::Timeout);
        assert_eq!(attempts.len(), 6);
        assert_eq!(done, Decision::Done(InvocationStatus::Failed));
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 16_000]);
        assert_eq!(attempts[0].status_code(), Some(504));
        let (attempts, ..) = tries(answer(409, None));
        assert_eq!(attempts.len(), 4);
    }

    #[test]
    fn throttling_is_retried_only_with_a_short_retry_after() {
        let (attempts, done, waits) = tries(answer(503, Some("1")));
        assert_eq!(attempts.len(), 6);
        assert_eq!(waits[0], 1_000);
        assert_eq!(done, Decision::Done(InvocationStatus::Failed));
        assert_eq!(tries(answer(429, Some("59"))).2[0], 59_000);
        assert_eq!(tries(answer(429, Some("60"))).0.len(), 1);
        assert_eq!(tries(answer(503, None)).0.len(), 1);
        assert_eq!(tries(answer(503, Some("soon"))).0.len(), 1);
    }

    #[test]
    fn nothing_else_is_retried() {
        for outcome in [
            answer(500, None),
            answer(404, None),
            answer(502, Some("1")),
            AttemptOutcome::Unreachable("connection refused".into()),
            AttemptOutcome::Refused("not loopback".into()),
        ] {
            assert_eq!(tries(outcome).0.len(), 1);
        }
        assert_eq!(
            RetryPolicy::ZENDESK.decide(&[answer(204, None)], 0),
            Decision::Done(InvocationStatus::Success)
        );
        // A 503 then a success: done, successfully.
        let policy = RetryPolicy::ZENDESK;
        let attempts = [answer(503, Some("1")), answer(200, None)];
        assert_eq!(
            policy.decide(&attempts, 0),
            Decision::Done(InvocationStatus::Success)
        );
        assert_eq!(
            policy.decide(&[AttemptOutcome::CircuitBroken], 0),
            Decision::Done(InvocationStatus::CircuitBroken)
        );
    }

    #[test]
    fn retry_after_reads_seconds_or_an_http_date() {
        assert_eq!(parse_retry_after(" 7 ", 0), Some(7));
        let now = 784_111_777 - 30; // 30 s before Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(30)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 100),
            Some(0)
        );
        assert_eq!(parse_retry_after("tomorrow", 0), None);
    }

    #[test]
    fn the_circuit_opens_at_seventy_percent_of_a_hundred_requests() {
        let mut breaker = CircuitBreaker::default();
        // 69 failures of 99 requests: under 100 requests, still closed.
        for i in 0..99 {
            breaker.record(i, i < 69);
        }
        assert!(!breaker.is_open(100));
        // The 100th request fails: 70 of 100.
        breaker.record(100, true);
        assert!(breaker.is_open(101));
        assert!(!breaker.allow(101));
        // After the pause one probe goes through, the next waits for its result.
        assert!(breaker.allow(100 + CircuitBreaker::PAUSE_MS));
        assert!(!breaker.allow(100 + CircuitBreaker::PAUSE_MS + 1));
        breaker.record(100 + CircuitBreaker::PAUSE_MS + 2, true);
        assert!(breaker.is_open(100 + CircuitBreaker::PAUSE_MS + 3));
        // A successful probe closes it and forgets the window.
        let later = 100 + 2 * CircuitBreaker::PAUSE_MS + 2;
        assert!(breaker.allow(later));
        breaker.record(later, false);
        assert!(!breaker.is_open(later) && breaker.allow(later + 1));
    }

    #[test]
    fn the_circuit_opens_past_a_thousand_failures_and_forgets_old_ones() {
        let mut breaker = CircuitBreaker::default();
        // Mostly successes, so the ratio never trips; 1,001 failures within the window do.
        for i in 0..3_000 {
            breaker.record(i, i % 3 == 0);
        }
        assert!(
            !breaker.is_open(3_000),
            "1,000 failures of 3,000: not more than 1,000"
        );
        breaker.record(3_000, true);
        assert!(breaker.is_open(3_001), "1,001 failures");
        let mut slow = CircuitBreaker::default();
        // Failures spread over more than five minutes never pile up in one window.
        for i in 0..1_500 {
            slow.record(i * 1_000, i % 2 == 0);
            slow.record(i * 1_000 + 1, false);
            slow.record(i * 1_000 + 2, false);
        }
        assert!(!slow.is_open(1_500_000));
    }

    #[test]
    fn requests_never_sent_do_not_count() {
        let mut breakers = CircuitBreakers::default();
        for i in 0..200 {
            breakers.record("w", i, &AttemptOutcome::Refused("not loopback".into()));
        }
        assert!(breakers.allow("w", 201));
        for i in 0..100 {
            breakers.record("w", 300 + i, &answer(500, None));
        }
        assert!(!breakers.allow("w", 401));
        assert!(breakers.allow("other", 401));
    }

    #[test]
    fn records_answer_in_zendesks_shape() {
        assert_eq!(
            invocation_json("01HZ", InvocationStatus::Failed, Some(504), 1_700_000_000),
            json!({"id": "01HZ", "status": "failed", "status_code": 504,
                   "latest_completed_at": "2023-11-14T22:13:20Z"})
        );
        let attempt = attempt_json(
            "01A",
            "01HZ",
            &AttemptOutcome::Refused("not loopback".into()),
            1_700_000_000,
            json!({"headers": [], "payload": "{}"}),
            None,
        );
        assert_eq!(attempt["status"], "failed");
        assert_eq!(attempt["status_code"], Value::Null);
        assert_eq!(attempt["response"]["payload"], "not loopback");
    }

    #[test]
    fn invocation_filters_are_checked() {
        let filter =
            InvocationFilter::parse(Some("failed"), Some("2023-11-14T00:00:00Z"), None, None)
                .unwrap();
        assert!(filter.newest_first);
        assert!(filter.matches(InvocationStatus::Failed, 1_700_000_000));
        assert!(!filter.matches(InvocationStatus::Success, 1_700_000_000));
        assert!(!filter.matches(InvocationStatus::Failed, 1_699_000_000));
        assert!(
            InvocationFilter::parse(Some("ok"), None, None, None)
                .unwrap_err()
                .contains("success, failed")
        );
        assert!(
            InvocationFilter::parse(None, Some("x"), None, None)
                .unwrap_err()
                .contains("filter[from_ts]")
        );
        assert!(
            !InvocationFilter::parse(None, None, None, Some("latest_completed_at"))
                .unwrap()
                .newest_first
        );
        assert!(InvocationFilter::parse(None, None, None, Some("id")).is_err());
    }
}
