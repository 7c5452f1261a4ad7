//! Webhook delivery benchmark (not a test): how many deliveries per second one sandbox process
//! sends to a receiver on this machine.
//!
//! A real sandbox (temporary SQLite file, or PostgreSQL with `BENCH_DB=postgres://...`) gets one
//! webhook pointing at a local receiver that answers 200 at once; `BENCH_DELIVERIES` (default
//! 2000) deliveries are queued in one transaction, and the time until the receiver has them all
//! gives the rate: each one claimed from the queue, signed, sent, its attempt recorded and its
//! invocation closed.
//!
//! Beside it, in the same run, the floor: the same number of requests of the same body sent to
//! the same receiver by a plain client with as many in flight as the worker allows. The ratio is
//! what to compare across machines and runs.
//!
//! Run in release: `cargo run -p zendesk-sandbox --release --example webhook_bench`

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use zendesk_sandbox::webhooks::queue::{DeliverySource, NewDelivery, enqueue};
use zendesk_sandbox::webhooks::worker::MAX_IN_FLIGHT;
use zendesk_sandbox::{Config, Sandbox};

const TOKEN: &str = "bench-token";

/// A receiver on 127.0.0.1 counting what it gets; its URL.
async fn receiver(count: Arc<AtomicUsize>) -> String {
    let app = axum::Router::new().fallback(move || {
        let count = count.clone();
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("the receiver binds");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/hooks")
}

async fn wait_for(count: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while count.load(Ordering::SeqCst) < n {
        assert!(
            Instant::now() < deadline,
            "the deliveries never all arrived"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn database(dir: &std::path::Path) -> String {
    match std::env::var("BENCH_DB") {
        Ok(url) if url.starts_with("postgres") => {
            let joiner = if url.contains('?') { '&' } else { '?' };
            format!(
                "{url}{joiner}schema=zd_webhook_bench_{}_{}",
                std::process::id(),
                fastrand::u32(..)
            )
        }
        _ => format!("sqlite://{}", dir.join("bench.db").display()),
    }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let n: usize = std::env::var("BENCH_DELIVERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile_dir();
    let db_url = database(&dir);
    let count = Arc::new(AtomicUsize::new(0));
    let url = receiver(count.clone()).await;
    let body = json!({"type": "zen:event-type:ticket.created", "detail": {"id": "1"},
                      "event": {}, "subject": "zen:ticket:1"})
    .to_string();

    // The floor: the same requests from a plain client, MAX_IN_FLIGHT at once.
    let http = reqwest::Client::new();
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for _ in 0..MAX_IN_FLIGHT {
        let (http, url, body, next) = (http.clone(), url.clone(), body.clone(), next.clone());
        senders.push(tokio::spawn(async move {
            while next.fetch_add(1, Ordering::SeqCst) < n {
                let sent = http.post(&url).body(body.clone()).send().await;
                let _ = sent.expect("the receiver answers").bytes().await;
            }
        }));
    }
    for sender in senders {
        sender.await.expect("a sender ends");
    }
    let floor = n as f64 / started.elapsed().as_secs_f64();
    count.store(0, Ordering::SeqCst);

    let mut config = Config::in_memory(TOKEN);
    config.db_url = db_url.clone();
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts");
    let created: Value = http
        .post(format!("{}/api/v2/webhooks", sandbox.base_url()))
        .basic_auth("admin@example.com/token", Some(TOKEN))
        .json(
            &json!({"webhook": {"name": "Bench", "endpoint": url, "http_method": "POST",
                       "request_format": "json", "status": "active",
                       "subscriptions": ["zen:event-type:ticket.created"]}}),
        )
        .send()
        .await
        .expect("the sandbox answers")
        .json()
        .await
        .expect("a webhook");
    let webhook_id = created["webhook"]["id"]
        .as_str()
        .expect("a webhook id")
        .to_string();
    let deliveries: Vec<NewDelivery> = (0..n)
        .map(|i| NewDelivery {
            webhook_id: webhook_id.clone(),
            body: body.clone(),
            ticket_id: i as i64 + 1,
            source: DeliverySource::Event,
        })
        .collect();
    let started = Instant::now();
    sandbox
        .state()
        .store()
        .write(move |tx| enqueue(tx, &deliveries))
        .await
        .expect("the deliveries are queued");
    wait_for(&count, n).await;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let scheme = db_url.split(':').next().unwrap_or_default();
    println!(
        "webhook deliveries ({scheme}, {n}, {MAX_IN_FLIGHT} in flight): {rate:.0}/s; \
         plain client to the same receiver: {floor:.0}/s; ratio {:.2}",
        rate / floor
    );
    sandbox.shutdown().await.expect("the sandbox stops");
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zd-webhook-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}
