//! The HTTP transport's limits: idle sessions are ended, the session cap holds (ending the
//! session idle longest, refusing with 503 only when every session is in use), and the server
//! itself answers 413 for a large body and closes silent connections. Short timeouts throughout.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;
use zendesk_mcp::{
    HttpOptions, HttpServer, McpApp, SecretString, ServerLimits, SessionLimits, ToolSelection,
    ZendeskMcpServer,
};
use zendesk_tools::{CallContext, registry};

const TOKEN: &str = "test-token-0123456789";
const HOST: &str = "127.0.0.1:8808";

fn server() -> ZendeskMcpServer {
    let tools = ToolSelection::default()
        .select(registry())
        .expect("every tool");
    ZendeskMcpServer::new(tools, CallContext::default())
}

fn app(sessions: SessionLimits) -> McpApp {
    let bound: SocketAddr = HOST.parse().unwrap();
    let mut options = HttpOptions::new(bound, SecretString::from(TOKEN));
    options.sessions = sessions;
    zendesk_mcp::http::router(server(), &options, bound)
}

fn request(method: &str, session: Option<&str>, body: Option<Value>) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri("/mcp")
        .header(header::HOST, HOST)
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream");
    if let Some(session) = session {
        request = request
            .header("mcp-session-id", session)
            .header("mcp-protocol-version", "2025-06-18");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    request.body(body).unwrap()
}

fn initialize() -> Value {
    json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "zd-limits-test", "version": "0"}
        }
    })
}

/// Initializes a session (and acknowledges it, as clients do); returns its id.
async fn open_session(app: &McpApp) -> String {
    let response = app
        .router
        .clone()
        .oneshot(request("POST", None, Some(initialize())))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let id = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_string();
    let _ = axum::body::to_bytes(response.into_body(), 1 << 20).await;
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let response = app
        .router
        .clone()
        .oneshot(request("POST", Some(&id), Some(initialized)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    id
}

/// The status of a `tools/list` on session `id` (404 once the session is gone).
async fn list_tools_status(app: &McpApp, id: &str) -> StatusCode {
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"});
    let response = app
        .router
        .clone()
        .oneshot(request("POST", Some(id), Some(list)))
        .await
        .unwrap();
    let status = response.status();
    let _ = axum::body::to_bytes(response.into_body(), 1 << 20).await;
    status
}

/// Opens the session's listening stream (GET); the session is in use while it is held.
async fn listen(app: &McpApp, id: &str) -> axum::response::Response {
    let mut get = request("GET", Some(id), None);
    get.headers_mut().insert(
        header::ACCEPT,
        header::HeaderValue::from_static("text/event-stream"),
    );
    let response = app.router.clone().oneshot(get).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response
}

async fn eventually(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn idle_sessions_are_ended_and_sessions_in_use_are_kept() {
    let app = app(SessionLimits {
        max_sessions: 10,
        idle_timeout: Duration::from_millis(400),
    });
    let idle_a = open_session(&app).await;
    let idle_b = open_session(&app).await;
    let listening = open_session(&app).await;
    let stream = listen(&app, &listening).await;
    assert_eq!(app.sessions.open(), 3);
    assert_eq!(list_tools_status(&app, &idle_a).await, StatusCode::OK);

    let sessions = app.sessions.clone();
    eventually("the two idle sessions end", Duration::from_secs(3), || {
        sessions.open() == 1
    })
    .await;
    assert_eq!(
        list_tools_status(&app, &idle_a).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        list_tools_status(&app, &idle_b).await,
        StatusCode::NOT_FOUND
    );
    // The session with a listening stream outlived the idle timeout.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(list_tools_status(&app, &listening).await, StatusCode::OK);

    // Once its stream closes, it is idle like any other.
    drop(stream);
    eventually("the last session ends", Duration::from_secs(3), || {
        sessions.open() == 0
    })
    .await;
    assert_eq!(
        list_tools_status(&app, &listening).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn abandoned_sessions_beyond_the_cap_end_the_longest_idle_ones() {
    let app = app(SessionLimits {
        max_sessions: 20,
        idle_timeout: Duration::from_secs(3600),
    });
    let mut ids = Vec::new();
    for _ in 0..60 {
        ids.push(open_session(&app).await);
        assert!(
            app.sessions.open() <= 20,
            "{} sessions",
            app.sessions.open()
        );
    }
    assert_eq!(app.sessions.open(), 20);
    for old in &ids[..40] {
        assert_eq!(list_tools_status(&app, old).await, StatusCode::NOT_FOUND);
    }
    for recent in &ids[40..] {
        assert_eq!(list_tools_status(&app, recent).await, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_new_session_is_refused_with_503_only_when_every_session_is_in_use() {
    let app = app(SessionLimits {
        max_sessions: 2,
        idle_timeout: Duration::from_secs(3600),
    });
    let first = open_session(&app).await;
    let second = open_session(&app).await;
    let first_stream = listen(&app, &first).await;
    let _second_stream = listen(&app, &second).await;

    let refused = app
        .router
        .clone()
        .oneshot(request("POST", None, Some(initialize())))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers()[header::RETRY_AFTER], "5");
    let text = axum::body::to_bytes(refused.into_body(), 1 << 20)
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(text.contains("2 MCP sessions are open"), "{text}");
    assert_eq!(app.sessions.open(), 2);

    // The first session's stream closes: it becomes the one to end for the newcomer.
    drop(first_stream);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let third = open_session(&app).await;
    assert_eq!(app.sessions.open(), 2);
    assert_eq!(list_tools_status(&app, &first).await, StatusCode::NOT_FOUND);
    assert_eq!(list_tools_status(&app, &second).await, StatusCode::OK);
    assert_eq!(list_tools_status(&app, &third).await, StatusCode::OK);
}

#[tokio::test]
async fn the_http_server_answers_413_for_a_large_body_and_closes_silent_connections() {
    let mut options = HttpOptions::new("127.0.0.1:0".parse().unwrap(), SecretString::from(TOKEN));
    options.limits = ServerLimits {
        max_body_bytes: 1024,
        header_read_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    };
    let bound = HttpServer::bind(server(), &options).await.unwrap();
    let addr = bound.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(bound.run(async move {
        let _ = stopped.await;
    }));

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let length = 10 * 1024 * 1024;
    stream
        .write_all(
            format!(
                "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
                 Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
                 Content-Length: {length}\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sending = tokio::spawn(async move {
        let block = vec![b' '; 64 * 1024];
        for _ in 0..length / block.len() {
            if writer.write_all(&block).await.is_err() {
                break;
            }
        }
    });
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(text.contains("larger than 1024 bytes"), "{text}");
    let _ = sending.await;

    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(3), silent.read(&mut byte))
        .await
        .expect("a silent connection is closed within 3 s");
    assert!(matches!(read, Ok(0) | Err(_)));
    assert!(started.elapsed() >= Duration::from_millis(250));

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn bad_limits_are_refused_at_bind() {
    let mut options = HttpOptions::new("127.0.0.1:0".parse().unwrap(), SecretString::from(TOKEN));
    options.sessions.max_sessions = 0;
    let error = HttpServer::bind(server(), &options).await.err().unwrap();
    assert!(error.to_string().contains("session cap"), "{error}");
}
