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
