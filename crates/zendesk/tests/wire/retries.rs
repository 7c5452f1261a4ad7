//! Retry policy on the wire: 429 always (Retry-After honoured, the wait cap, fail-fast), 5xx
//! only for idempotent methods, the proactive throttle.

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};
use zendesk::{Client, Error, NO_QUERY};

use crate::common;

fn limited(retry_after: Option<&str>) -> ResponseTemplate {
    let template = ResponseTemplate::new(429)
        .insert_header("content-type", "text/plain")
        .set_body_string("Number of allowed API requests per minute exceeded");
    match retry_after {
        Some(seconds) => template.insert_header("retry-after", seconds),
        None => template,
    }
}

fn ok_ticket() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"ticket": common::ticket(1)}))
}

#[tokio::test]
async fn a_429_waits_retry_after_then_succeeds() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(limited(Some("1")))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ok_ticket())
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let ticket = common::client(&server)
        .tickets()
        .show(1.into())
        .await
        .expect("retried");
    assert_eq!(ticket.id.get(), 1);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "waited {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_and_post_is_retried_too() {
    let server = common::server().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .respond_with(limited(None))
        .up_to_n_times(2)
        .expect(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"ticket": common::ticket(2)})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let created = common::client(&server)
        .tickets()
        .create(&json!({"comment": {"body": "hello"}}))
        .await
        .expect("created after two 429s");
    assert_eq!(created.ticket.id.get(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_at_once() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(limited(Some("120")).insert_header("x-request-id", "rl-1"))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = common::client(&server)
        .get_json("/tickets/1", NO_QUERY)
        .await
        .expect_err("capped");
    assert!(started.elapsed() < Duration::from_secs(2));
    match &err {
        Error::RateLimited {
            retry_after,
            request_id,
            message,
            ..
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(120)));
            assert_eq!(request_id.as_deref(), Some("rl-1"));
            assert!(
                message
                    .as_deref()
                    .unwrap_or_default()
                    .contains("per minute exceeded")
            );
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.to_string().contains("retry after 120 s"), "{err}");
}

#[tokio::test]
async fn the_total_rate_limit_wait_is_capped() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(limited(Some("1")))
        .expect(2)
        .mount(&server)
        .await;
    let client = common::builder(&server)
        .max_rate_limit_wait(Duration::from_millis(1500))
        .build()
        .expect("builds");
    let started = Instant::now();
    let err = client
        .get_json("/tickets/1", NO_QUERY)
        .await
        .expect_err("cap reached");
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(950) && waited < Duration::from_millis(1900),
        "{waited:?}"
    );
}

#[tokio::test]
async fn fail_fast_returns_the_429_without_sleeping() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(limited(Some("30")))
        .expect(1)
        .mount(&server)
        .await;
    let client = common::builder(&server)
        .fail_fast_on_rate_limit(true)
        .build()
        .expect("builds");
    let started = Instant::now();
    let err = client
        .get_json("/tickets/1", NO_QUERY)
        .await
        .expect_err("fail fast");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(err.status(), Some(429));
}

#[tokio::test]
async fn post_on_503_is_sent_exactly_once() {
    let server = common::server().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tickets"))
        .respond_with(ResponseTemplate::new(503).set_body_string("Service Unavailable"))
        .expect(1)
        .mount(&server)
        .await;
    let err = common::client(&server)
        .post_json("/tickets", &json!({"ticket": {"comment": {"body": "x"}}}))
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable(), "a caller may try again later");
    assert!(err.to_string().contains("Service Unavailable"), "{err}");
}

#[tokio::test]
async fn get_on_503_is_retried() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ok_ticket())
        .expect(1)
        .mount(&server)
        .await;
    let ticket = common::client(&server)
        .tickets()
        .show(1.into())
        .await
        .expect("third try works");
    assert_eq!(ticket.id.get(), 1);
}

#[tokio::test]
async fn get_on_503_gives_up_after_max_attempts() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(503))
        .expect(4)
        .mount(&server)
        .await;
    let client = common::builder(&server)
        .max_attempts(4)
        .build()
        .expect("builds");
    let err = client
        .get_json("/tickets/1", NO_QUERY)
        .await
        .expect_err("always 503");
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn put_on_500_is_retried_but_a_400_is_not() {
    let server = common::server().await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ok_ticket())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/2"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": "InvalidValue", "description": "bad"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = common::client(&server);
    client
        .tickets()
        .update(1.into(), &json!({"status": "solved"}))
        .await
        .expect("retried");
    let err = client
        .tickets()
        .update(2.into(), &json!({"status": "x"}))
        .await
        .expect_err("400");
    assert_eq!(err.code(), Some("InvalidValue"));
}

#[tokio::test]
async fn connection_failures_are_reported() {
    // Bind then drop a listener: the port is then (almost surely) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let client = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(common::fast_policy())
        .build()
        .expect("builds");
    let err = client
        .get_json("/tickets/1", NO_QUERY)
        .await
        .expect_err("refused");
    match &err {
        Error::Connection {
            connect, message, ..
        } => {
            assert!(*connect, "{message}");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert!(err.is_retryable());
}

#[tokio::test]
async fn proactive_throttle_holds_requests_until_reset() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(
            ok_ticket()
                .insert_header("ratelimit-remaining", "0")
                .insert_header("ratelimit-reset", "1"),
        )
        .expect(2)
        .mount(&server)
        .await;
    let client = common::builder(&server)
        .proactive_throttle(true)
        .build()
        .expect("builds");
    client
        .get_json("/tickets/1", NO_QUERY)
        .await
        .expect("first");
    let started = Instant::now();
    client
        .get_json("/tickets/1", NO_QUERY)
        .await
        .expect("second");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_503_with_a_long_retry_after_is_not_waited_out() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/1"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let err = common::client(&server)
        .get_json("/tickets/1", NO_QUERY)
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert!(started.elapsed() < Duration::from_secs(1));
}
