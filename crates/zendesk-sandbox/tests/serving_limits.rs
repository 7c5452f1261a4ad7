//! The serving limits on a real sandbox: bodies over the limit are a 413 in Zendesk's envelope
//! (never a 400 "InvalidJSON"), a stalled body is a 408, a silent connection is closed after the
//! header timeout, and bad limits are refused. Raw HTTP/1.1 on loopback, short timeouts.

use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zendesk_sandbox::{Config, RunningSandbox, Sandbox, SandboxError, ServerLimits};

const TOKEN: &str = "limits-token";

fn auth() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("admin@example.com/token:{TOKEN}"))
}

async fn sandbox(limits: ServerLimits) -> RunningSandbox {
    Sandbox::start_with_limits(
        Config {
            db_url: zendesk_sandbox::test_db_url(),
            ..Config::in_memory(TOKEN)
        },
        limits,
    )
    .await
    .unwrap()
}

/// Sends `head` (and `body`, written concurrently as a client streaming its upload would),
/// then reads everything the server sends until it closes; returns (status, JSON body).
async fn exchange(sb: &RunningSandbox, head: String, body: Vec<u8>) -> (u16, Value) {
    let stream = TcpStream::connect(sb.local_addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sending = tokio::spawn(async move {
        writer.write_all(head.as_bytes()).await?;
        for block in body.chunks(64 * 1024) {
            writer.write_all(block).await?;
        }
        Ok::<_, std::io::Error>(writer)
    });
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut raw)).await;
    let _ = sending.await;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let json = text
        .split_once("\r\n\r\n")
        .map(|(_, body)| serde_json::from_str(body).unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    (status, json)
}

fn post_head(length: Option<usize>) -> String {
    let framing = match length {
        Some(length) => format!("Content-Length: {length}"),
        None => "Transfer-Encoding: chunked".to_string(),
    };
    format!(
        "POST /api/v2/tickets.json HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {}\r\n\
         Content-Type: application/json\r\nConnection: close\r\n{framing}\r\n\r\n",
        auth()
    )
}

/// A syntactically valid ticket-create body of about `size` bytes.
fn ticket_body(size: usize) -> Vec<u8> {
    let description = "x".repeat(size);
    serde_json::to_vec(&serde_json::json!({
        "ticket": {"subject": "big", "comment": {"body": description}}
    }))
    .unwrap()
}

#[tokio::test]
async fn a_10_mb_json_body_is_a_413_in_zendesks_envelope_not_invalid_json() {
    let sb = sandbox(ServerLimits::default()).await;
    let body = ticket_body(10 * 1024 * 1024);
    let (status, json) = exchange(&sb, post_head(Some(body.len())), body).await;
    assert_eq!(status, 413, "{json}");
    assert_eq!(json["error"], "RequestTooLarge");
    let description = json["description"].as_str().unwrap();
    assert!(
        description.contains("larger than 2097152 bytes (2 MiB)"),
        "{description}"
    );
    sb.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_a_413_and_one_under_it_reaches_the_api() {
    let sb = sandbox(ServerLimits {
        max_body_bytes: 64 * 1024,
        ..ServerLimits::default()
    })
    .await;
    let chunked = |body: Vec<u8>| {
        let mut framed = Vec::new();
        for chunk in body.chunks(8 * 1024) {
            framed.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            framed.extend_from_slice(chunk);
            framed.extend_from_slice(b"\r\n");
        }
        framed.extend_from_slice(b"0\r\n\r\n");
        framed
    };

    let (status, json) = exchange(&sb, post_head(None), chunked(ticket_body(100 * 1024))).await;
    assert_eq!(status, 413, "{json}");
    assert_eq!(json["error"], "RequestTooLarge");
    assert!(json["description"].as_str().unwrap().contains("(64 KiB)"));

    let (status, json) = exchange(&sb, post_head(None), chunked(ticket_body(10 * 1024))).await;
    assert_eq!(status, 201, "{json}");
    assert_eq!(json["ticket"]["subject"], "big");
    sb.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_stalled_body_is_a_408_in_zendesks_envelope() {
    let sb = sandbox(ServerLimits {
        body_read_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    })
    .await;
    let mut stream = TcpStream::connect(sb.local_addr()).await.unwrap();
    stream
        .write_all(format!("{}{{\"ticket\":", post_head(Some(1000))).as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let json: Value = serde_json::from_str(text.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(json["error"], "RequestTimeout");
    sb.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let sb = sandbox(ServerLimits {
        header_read_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    })
    .await;
    let mut silent = TcpStream::connect(sb.local_addr()).await.unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(3), silent.read(&mut byte))
        .await
        .expect("closed within 3 s");
    assert!(matches!(read, Ok(0) | Err(_)));
    assert!(started.elapsed() >= Duration::from_millis(250));
    sb.shutdown().await.unwrap();
}

#[tokio::test]
async fn limits_with_a_zero_are_refused_before_anything_starts() {
    let refused = Sandbox::start_with_limits(
        Config {
            db_url: zendesk_sandbox::test_db_url(),
            ..Config::in_memory(TOKEN)
        },
        ServerLimits {
            max_body_bytes: 0,
            ..ServerLimits::default()
        },
    )
    .await;
    match refused {
        Err(SandboxError::Config(message)) => {
            assert!(message.contains("largest request body"), "{message}")
        }
        Err(other) => panic!("unexpected error: {other}"),
        Ok(_) => panic!("a zero body limit was accepted"),
    }
}
