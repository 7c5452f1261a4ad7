//! The server over its transports, driven with raw JSON-RPC: newline-delimited JSON over an
//! in-memory pipe (what stdio carries), and HTTP requests against the router (bearer token,
//! Host and Origin checks). The Python SDK tests in `zd` cover a real client end to end.

use std::net::SocketAddr;

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tower::ServiceExt;
use zendesk_mcp::{HttpOptions, SecretString, ToolSelection, ZendeskMcpServer};
use zendesk_tools::{CallContext, registry};

fn server() -> ZendeskMcpServer {
    let tools = ToolSelection::default()
        .select(registry())
        .expect("every tool");
    ZendeskMcpServer::new(tools, CallContext::default())
}

fn initialize(id: u64) -> Value {
    json!({
        "jsonrpc": "2.0",
        "id": id,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "zd-test", "version": "0"}
        }
    })
}

struct PipeClient {
    writer: tokio::io::WriteHalf<tokio::io::DuplexStream>,
    reader: BufReader<tokio::io::ReadHalf<tokio::io::DuplexStream>>,
}

impl PipeClient {
    async fn send(&mut self, message: Value) {
        let mut line = message.to_string();
        line.push('\n');
        self.writer.write_all(line.as_bytes()).await.unwrap();
    }

    /// The next message that answers request `id` (skipping notifications).
    async fn response(&mut self, id: u64) -> Value {
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(
                std::time::Duration::from_secs(20),
                self.reader.read_line(&mut line),
            )
            .await
            .expect("a response within 20 s")
            .unwrap();
            assert!(read > 0, "server closed the pipe");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
        }
    }
}

async fn start_pipe() -> (PipeClient, tokio::task::JoinHandle<()>) {
    let (client_side, server_side) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_side);
    let task = tokio::spawn(async move {
        zendesk_mcp::serve_transport(
            server(),
            (server_read, server_write),
            std::future::pending(),
        )
        .await
        .unwrap();
    });
    let (read, write) = tokio::io::split(client_side);
    let mut client = PipeClient {
        writer: write,
        reader: BufReader::new(read),
    };
    client.send(initialize(1)).await;
    let init = client.response(1).await;
    assert_eq!(init["result"]["serverInfo"]["name"], "zd", "{init}");
    assert!(
        init["result"]["capabilities"]["tools"].is_object(),
        "{init}"
    );
    client
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    (client, task)
}

#[tokio::test]
async fn pipe_lists_every_registry_tool_with_its_input_schema() {
    let (mut client, task) = start_pipe().await;
    client
        .send(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
        .await;
    let listed = client.response(2).await;
    // What a model's client pays for on every session: the budget of 40,000 bytes on the wire
    // (the compact JSON line and its newline), with room for the tools still to come.
    let bytes = listed.to_string().len() + 1;
    assert!(bytes <= 40_000, "tools/list is {bytes} bytes");
    let tools = listed["result"]["tools"].as_array().expect("tools array");
    let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
    let expected: Vec<&str> = registry().tools().iter().map(|t| t.spec.id).collect();
    assert_eq!(names, expected);
    for tool in tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        // No output schemas (see `schema`), and only the hints that differ from MCP's defaults.
        assert!(tool.get("outputSchema").is_none(), "{tool}");
        let hints = tool["annotations"].as_object().expect("annotations");
        assert!(
            hints.contains_key("readOnlyHint") || hints.contains_key("destructiveHint"),
            "{tool}"
        );
        let properties = tool["inputSchema"]["properties"].as_object().unwrap();
        assert!(!properties.contains_key("apiToken"), "{tool}");
    }
    task.abort();
}

#[tokio::test]
async fn pipe_unknown_tool_is_a_protocol_error_naming_the_tool() {
    let (mut client, task) = start_pipe().await;
    client
        .send(json!({
            "jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "zendesk_no_such_tool", "arguments": {}}
        }))
        .await;
    let response = client.response(3).await;
    let message = response["error"]["message"].as_str().expect("an error");
    assert!(message.contains("zendesk_no_such_tool"), "{response}");
    assert_eq!(response["error"]["code"], -32602);
    task.abort();
}

#[tokio::test]
async fn pipe_credentials_in_arguments_are_a_tool_error_not_a_crash() {
    let Some(tool) = registry().tools().first() else {
        panic!("the registry is empty");
    };
    let (mut client, task) = start_pipe().await;
    client
        .send(json!({
            "jsonrpc": "2.0", "id": 4, "method": "tools/call",
            "params": {"name": tool.spec.id, "arguments": {"subdomain": "attacker"}}
        }))
        .await;
    let response = client.response(4).await;
    assert_eq!(response["result"]["isError"], true, "{response}");
    let text = response["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("subdomain"), "{text}");
    // The server is still serving.
    client
        .send(json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list"}))
        .await;
    assert!(client.response(5).await["result"]["tools"].is_array());
    task.abort();
}

const TOKEN: &str = "test-token-0123456789";

fn app() -> axum::Router {
    let bound: SocketAddr = "127.0.0.1:8808".parse().unwrap();
    let options = HttpOptions::new(bound, SecretString::from(TOKEN));
    zendesk_mcp::http::router(server(), &options, bound).router
}

fn post(host: &str, authorization: Option<&str>, origin: Option<&str>) -> Request<Body> {
    let mut request = Request::builder()
        .method("POST")
        .uri("/mcp")
        .header(header::HOST, host)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream");
    if let Some(authorization) = authorization {
        request = request.header(header::AUTHORIZATION, authorization);
    }
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    request.body(Body::from(initialize(1).to_string())).unwrap()
}

#[tokio::test]
async fn http_without_or_with_a_wrong_token_is_401() {
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some(TOKEN),
        Some("Basic dGVzdA=="),
    ] {
        let response = app()
            .oneshot(post("127.0.0.1:8808", authorization, None))
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{authorization:?}"
        );
        assert!(
            response
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .is_some_and(|v| v.to_str().unwrap().starts_with("Bearer"))
        );
        // The body was never read: the client must not reuse this connection.
        assert_eq!(response.headers().get(header::CONNECTION).unwrap(), "close");
    }
}

#[tokio::test]
async fn http_with_the_token_initializes() {
    let bearer = format!("Bearer {TOKEN}");
    let response = app()
        .oneshot(post("127.0.0.1:8808", Some(&bearer), None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("\"serverInfo\""), "{body}");
}

#[tokio::test]
async fn http_session_end_is_acknowledged_with_204() {
    let app = app();
    let bearer = format!("Bearer {TOKEN}");
    let response = app
        .clone()
        .oneshot(post("127.0.0.1:8808", Some(&bearer), None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let session = response
        .headers()
        .get("mcp-session-id")
        .expect("a session id")
        .clone();
    let _ = axum::body::to_bytes(response.into_body(), 1 << 20).await;
    let end = |authorization: Option<String>| {
        let mut request = Request::builder()
            .method("DELETE")
            .uri("/mcp")
            .header(header::HOST, "127.0.0.1:8808")
            .header("mcp-session-id", session.clone());
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        request.body(Body::empty()).unwrap()
    };
    let refused = app.clone().oneshot(end(None)).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let ended = app.oneshot(end(Some(bearer))).await.unwrap();
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn http_refuses_foreign_hosts_and_origins() {
    let bearer = format!("Bearer {TOKEN}");
    let response = app()
        .oneshot(post("attacker.example:8808", Some(&bearer), None))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "DNS-rebound Host");
    assert_eq!(response.headers().get(header::CONNECTION).unwrap(), "close");

    let response = app()
        .oneshot(post(
            "localhost:8808",
            Some(&bearer),
            Some("http://attacker.example"),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "foreign Origin");

    let response = app()
        .oneshot(post(
            "localhost:8808",
            Some(&bearer),
            Some("http://localhost:3000"),
        ))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "loopback Origin");
}

#[test]
fn http_defaults_add_the_bound_address_and_operator_entries() {
    let bound: SocketAddr = "192.168.7.9:8808".parse().unwrap();
    let mut options = HttpOptions::new(bound, SecretString::from(TOKEN));
    options.allowed_hosts.push("mcp.example.com".into());
    options
        .allowed_origins
        .push("https://app.example.com:443".into());
    let hosts = options.effective_allowed_hosts(bound);
    assert!(hosts.contains(&"localhost".to_owned()));
    assert!(hosts.contains(&"192.168.7.9".to_owned()));
    assert!(hosts.contains(&"mcp.example.com".to_owned()));
    let origins = options.effective_allowed_origins(bound);
    assert!(origins.contains(&"http://192.168.7.9:*".to_owned()));
    assert!(origins.contains(&"https://app.example.com:443".to_owned()));

    let wildcard: SocketAddr = "0.0.0.0:8808".parse().unwrap();
    let hosts =
        HttpOptions::new(wildcard, SecretString::from(TOKEN)).effective_allowed_hosts(wildcard);
    assert!(!hosts.contains(&"0.0.0.0".to_owned()), "{hosts:?}");
}

#[test]
fn options_debug_hides_the_token() {
    let bound: SocketAddr = "127.0.0.1:1".parse().unwrap();
    let options = HttpOptions::new(bound, SecretString::from(TOKEN));
    let debug = format!("{options:?}");
    assert!(!debug.contains(TOKEN), "{debug}");
}
