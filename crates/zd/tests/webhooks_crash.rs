//! Webhook deliveries survive a crash: `zd sandbox serve` is killed with SIGKILL while
//! deliveries are queued and under way (the receiver holds every request unanswered), then
//! started again on the same database; every delivery reaches the receiver, none is lost, and
//! a delivery sent twice carries the same invocation id (as Zendesk's duplicates do).
//!
//! Runs on a SQLite file, or on PostgreSQL when `ZD_TEST_DATABASE_URL` names one.

mod served;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use served::serve;

const TOKEN: &str = "webhooks-crash-admin-token";
const TICKETS: usize = 20;

async fn post(http: &reqwest::Client, url: &str, body: Value) -> Value {
    let response = http
        .post(url)
        .basic_auth("admin@example.com/token", Some(TOKEN))
        .json(&body)
        .send()
        .await
        .expect("the sandbox answers");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "POST {url}: {body}");
    body
}

/// What reached the receiver: each ticket's invocation ids, and how many requests in all.
async fn delivered(receiver: &MockServer) -> (BTreeMap<i64, BTreeSet<String>>, usize) {
    let requests = receiver.received_requests().await.unwrap_or_default();
    let mut by_ticket: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for request in &requests {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let ticket = body["detail"]["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .expect("a ticket event names its ticket");
        let invocation = request
            .headers
            .get("x-zendesk-webhook-invocation-id")
            .and_then(|v| v.to_str().ok())
            .expect("an invocation id")
            .to_string();
        by_ticket.entry(ticket).or_default().insert(invocation);
    }
    (by_ticket, requests.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_with_deliveries_queued_the_restarted_sandbox_delivers_each() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let db = match std::env::var("ZD_TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => zendesk_sandbox::test_db_url(),
        _ => format!("sqlite://{}", dir.path().join("sandbox.db").display()),
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    // The receiver takes every request and answers none (for longer than the test runs).
    let receiver = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(600)))
        .mount(&receiver)
        .await;

    let first = serve(&db, TOKEN, &[]);
    post(
        &http,
        &format!("{}/api/v2/webhooks", first.base),
        json!({"webhook": {"name": "Crash", "endpoint": format!("{}/hooks", receiver.uri()),
               "http_method": "POST", "request_format": "json", "status": "active",
               "subscriptions": ["zen:event-type:ticket.created"]}}),
    )
    .await;
    let mut tickets = BTreeSet::new();
    for n in 0..TICKETS {
        let created = post(
            &http,
            &format!("{}/api/v2/tickets.json", first.base),
            json!({"ticket": {"subject": format!("Crash {n}"), "comment": {"body": "x"}}}),
        )
        .await;
        tickets.insert(created["ticket"]["id"].as_i64().unwrap());
    }
    // Some are under way (the worker sends a few at once), the rest wait in the queue.
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty()
    {
        assert!(
            Instant::now() < deadline,
            "nothing was sent before the kill"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before_kill = receiver.received_requests().await.unwrap_or_default().len();
    assert!(
        before_kill < TICKETS,
        "all {TICKETS} were under way at once: the kill would leave none queued"
    );
    drop(first); // SIGKILL: no shutdown, no hand-back.

    // From now on the receiver answers at once.
    receiver.reset().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let _second = serve(&db, TOKEN, &[]);

    // Those the dead process held are taken over once it has been silent long enough.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (by_ticket, _) = delivered(&receiver).await;
        let reached: BTreeSet<i64> = by_ticket.keys().copied().collect();
        if reached == tickets {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "after the restart {} of {TICKETS} tickets' events arrived; missing {:?}",
            reached.len(),
            tickets.difference(&reached).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (by_ticket, requests) = delivered(&receiver).await;
    for (ticket, invocations) in &by_ticket {
        assert_eq!(
            invocations.len(),
            1,
            "ticket {ticket}'s event went out as several invocations: {invocations:?}"
        );
    }
    // Each went once after the restart (a retry would be the same invocation id anyway).
    assert_eq!(requests, TICKETS, "{by_ticket:?}");
}
