//! `zendesk_get_job_status` with `waitSeconds` against a server whose job never ends: the tool
//! polls more than once, reports progress to the host, and when the wait is up returns the
//! last status with `done: false` (a pending job is not a failure).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zendesk_tools::{CallContext, Connection, Progress, registry};

const WORKING: &str = r#"{"job_status": {"id": "abc123", "url": null, "status": "working", "total": 10, "progress": 4, "message": null, "results": null}}"#;

async fn stuck_job_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let polls = Arc::new(AtomicUsize::new(0));
    let counter = polls.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16 * 1024];
                let read = socket.read(&mut buffer).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buffer[..read]);
                assert!(
                    request.starts_with("GET /api/v2/job_statuses/abc123"),
                    "{request}"
                );
                counter.fetch_add(1, Ordering::SeqCst);
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{WORKING}",
                    WORKING.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{address}"), polls)
}

#[tokio::test]
async fn a_wait_that_runs_out_returns_the_last_status_not_an_error() {
    let (base_url, polls) = stuck_job_server().await;
    let reports: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = reports.clone();
    let ctx = CallContext {
        progress: Some(Arc::new(move |p| sink.lock().unwrap().push(p))),
        connection: Connection {
            base_url: Some(base_url),
            email: Some("agent@example.com".into()),
            api_token: Some("token".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let tool = registry().get("zendesk_get_job_status").unwrap();

    let started = Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        tool.call(json!({"jobId": "abc123", "waitSeconds": "1"}), &ctx),
    )
    .await
    .expect("the wait ends soon after waitSeconds");
    assert!(result.success, "{:?}", result.error);
    assert_eq!(result.output["done"], false);
    assert_eq!(result.output["job_id"], "abc123");
    assert_eq!(result.output["job_status"]["status"], "working");
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert!(
        polls.load(Ordering::SeqCst) >= 2,
        "polled again while waiting"
    );
    {
        let reports = reports.lock().unwrap();
        assert!(reports.len() >= 2);
        assert_eq!(reports[0].progress, 4.0);
        assert_eq!(reports[0].total, Some(10.0));
    }

    // Without a wait: one read.
    let before = polls.load(Ordering::SeqCst);
    let once = tool.call(json!({"jobId": "abc123"}), &ctx).await;
    assert!(once.success);
    assert_eq!(once.output["done"], false);
    assert_eq!(polls.load(Ordering::SeqCst), before + 1);
}

const QUEUED: &str = r#"{"job_status": {"id": "job77", "url": null, "status": "queued", "total": 2, "progress": 0, "message": null, "results": null}}"#;
const COMPLETED: &str = r#"{"job_status": {"id": "job77", "url": null, "status": "completed", "total": 2, "progress": 2, "message": "Completed", "results": [{"id": 11, "index": 0}, {"id": 12, "index": 1}]}}"#;

/// Answers a bulk or merge request with a queued job, then each read of that job with a
/// completed status; records the request lines.
async fn finishing_job_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 16 * 1024];
                let read = socket.read(&mut buffer).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buffer[..read]);
                let line = request.lines().next().unwrap_or("").to_owned();
                let body = if line.starts_with("GET /api/v2/job_statuses/job77") {
                    COMPLETED
                } else {
                    QUEUED
                };
                log.lock().unwrap().push(line);
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{address}"), seen)
}

#[tokio::test]
async fn a_bulk_tool_with_a_wait_follows_its_job_like_get_job_status() {
    let (base_url, seen) = finishing_job_server().await;
    let reports: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = reports.clone();
    let ctx = CallContext {
        progress: Some(Arc::new(move |p| sink.lock().unwrap().push(p))),
        connection: Connection {
            base_url: Some(base_url),
            email: Some("agent@example.com".into()),
            api_token: Some("token".into()),
            ..Default::default()
        },
        ..Default::default()
    };

    // Without a wait: the seed behaviour, one request and the queued status, no `done`.
    let bulk = registry().get("zendesk_create_tickets_bulk").unwrap();
    let tickets = json!([{"subject": "a", "comment": {"body": "b"}}, {"subject": "c", "comment": {"body": "d"}}]);
    let at_once = bulk.call(json!({"tickets": tickets}), &ctx).await;
    assert!(at_once.success, "{:?}", at_once.error);
    assert_eq!(at_once.output["job_status"]["status"], "queued");
    assert_eq!(at_once.output["job_id"], "job77");
    assert!(at_once.output.get("done").is_none());
    assert_eq!(
        *seen.lock().unwrap(),
        vec!["POST /api/v2/tickets/create_many HTTP/1.1"]
    );
    assert!(reports.lock().unwrap().is_empty());

    // With a wait: the job is created once, then followed to its end.
    let waited = tokio::time::timeout(
        Duration::from_secs(20),
        bulk.call(json!({"tickets": tickets, "waitSeconds": "10"}), &ctx),
    )
    .await
    .expect("a finished job ends the wait");
    assert!(waited.success, "{:?}", waited.error);
    assert_eq!(waited.output["done"], true);
    assert_eq!(waited.output["job_id"], "job77");
    assert_eq!(waited.output["job_status"]["status"], "completed");
    assert_eq!(waited.output["job_status"]["results"][1]["id"], 12);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen[1], "POST /api/v2/tickets/create_many HTTP/1.1");
        assert!(
            seen[2].starts_with("GET /api/v2/job_statuses/job77"),
            "{seen:?}"
        );
        assert_eq!(seen.len(), 3, "one read finds the job completed: {seen:?}");
    }
    {
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].progress, 2.0);
        assert_eq!(reports[0].total, Some(2.0));
        assert_eq!(reports[0].message.as_deref(), Some("job job77: completed"));
    }

    // Merge keeps its own key beside the followed status.
    let merge = registry().get("zendesk_merge_tickets").unwrap();
    let merged = merge
        .call(
            json!({"targetTicketId": "5", "sourceTicketIds": "6, 7", "waitSeconds": "10"}),
            &ctx,
        )
        .await;
    assert!(merged.success, "{:?}", merged.error);
    assert_eq!(merged.output["target_ticket_id"], "5");
    assert_eq!(merged.output["done"], true);
    assert_eq!(merged.output["job_status"]["status"], "completed");
    let keys: Vec<&str> = merged
        .output
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
}
