//! The host's policy over a real session (raw JSON-RPC on an in-memory pipe, a fake Zendesk on
//! a local port): a comment that does not say who sees it is refused and nothing is sent; with
//! `--require-approval public-replies` a reply is put to the person first through
//! `elicitation/create`, with who receives what text, and runs only when they approve; a client
//! that cannot ask gets a refusal naming the flag. The Python SDK scenario covers the same with
//! a real client.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use zendesk_mcp::{Approval, HostPolicy, ToolSelection, ZendeskMcpServer};
use zendesk_tools::{CallContext, Connection, registry};

/// The requests the fake Zendesk received: `METHOD /path`.
type Seen = Arc<Mutex<Vec<String>>>;

/// A fake Zendesk: ticket 7 (requester 31, Jane Doe), its update, user 31.
async fn fake_zendesk() -> (String, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buffer[..n]).into_owned();
                let mut words = head.split(' ');
                let method = words.next().unwrap_or_default().to_owned();
                let target = words.next().unwrap_or_default().to_owned();
                let path = target.split('?').next().unwrap_or_default().to_owned();
                log.lock().unwrap().push(format!("{method} {path}"));
                let ticket = json!({"id": 7, "subject": "Printer on fire", "status": "pending",
                                    "requester_id": 31});
                let body = match (method.as_str(), path.as_str()) {
                    ("GET", "/api/v2/tickets/7") => json!({"ticket": ticket}),
                    ("GET", "/api/v2/users/31") => {
                        json!({"user": {"id": 31, "name": "Jane Doe", "email": "jane@acme.com"}})
                    }
                    ("PUT", "/api/v2/tickets/7") => json!({"ticket": ticket, "audit": {
                        "id": 900, "events": [
                            {"id": 901, "type": "Comment", "public": true, "author_id": 20, "body": "x"},
                            {"id": 902, "type": "Notification", "recipients": [31]}]}}),
                    _ => json!({"error": "RecordNotFound"}),
                }
                .to_string();
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

struct Client {
    writer: tokio::io::WriteHalf<tokio::io::DuplexStream>,
    reader: BufReader<tokio::io::ReadHalf<tokio::io::DuplexStream>>,
}

impl Client {
    async fn send(&mut self, message: Value) {
        let line = format!("{message}\n");
        self.writer.write_all(line.as_bytes()).await.unwrap();
    }

    /// The next message that is a request from the server or the answer to `id`.
    async fn next(&mut self, id: u64) -> Value {
        loop {
            let mut line = String::new();
            tokio::time::timeout(
                std::time::Duration::from_secs(20),
                self.reader.read_line(&mut line),
            )
            .await
            .expect("a message within 20 s")
            .unwrap();
            let message: Value = serde_json::from_str(&line).unwrap();
            if message.get("method").is_some() && message.get("id").is_some() {
                return message;
            }
            if message.get("id") == Some(&json!(id)) {
                return message;
            }
        }
    }
}

/// A session with a server requiring approval of public replies, as a client that can (or
/// cannot) answer elicitations.
async fn session(can_ask: bool) -> (Client, Seen) {
    let (base_url, seen) = fake_zendesk().await;
    let context = CallContext::with_connection(Connection {
        base_url: Some(base_url),
        email: Some("agent@example.com".into()),
        api_token: Some("token".into()),
        ..Default::default()
    });
    let tools = ToolSelection::default().select(registry()).unwrap();
    let server = ZendeskMcpServer::with_policy(
        tools,
        context,
        HostPolicy::requiring([Approval::PublicReplies]),
    );
    let (client_side, server_side) = tokio::io::duplex(1 << 20);
    let (read, write) = tokio::io::split(server_side);
    tokio::spawn(async move {
        let _ = zendesk_mcp::serve_transport(server, (read, write), std::future::pending()).await;
    });
    let (read, write) = tokio::io::split(client_side);
    let mut client = Client {
        writer: write,
        reader: BufReader::new(read),
    };
    let capabilities = if can_ask {
        json!({"elicitation": {}})
    } else {
        json!({})
    };
    client
        .send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": capabilities,
            "clientInfo": {"name": "approval-test", "version": "0"}}}),
        )
        .await;
    client.next(1).await;
    client
        .send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        .await;
    (client, seen)
}

fn call(id: u64, tool: &str, arguments: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": tool, "arguments": arguments}})
}

fn text(result: &Value) -> String {
    result["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn writes(seen: &Seen) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|request| !request.starts_with("GET"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_comment_that_does_not_say_who_sees_it_is_refused_and_nothing_is_sent() {
    let (mut client, seen) = session(true).await;
    client
        .send(call(
            2,
            "zendesk_update_ticket",
            json!({"ticketId": "7", "comment": "Internal: vendor ETA Friday, do not tell the customer"}),
        ))
        .await;
    let answer = client.next(2).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let message = text(&answer);
    assert!(message.contains("add commentPublic"), "{message}");
    assert!(message.contains("zendesk_add_internal_note"), "{message}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
}

#[tokio::test]
async fn a_public_reply_runs_only_once_the_person_approves_it() {
    let (mut client, seen) = session(true).await;
    let reply = json!({"ticketId": "7", "body": "A technician is on the way"});

    // Declined: nothing is written.
    client
        .send(call(2, "zendesk_reply_to_ticket", reply.clone()))
        .await;
    let asked = client.next(2).await;
    assert_eq!(asked["method"], "elicitation/create", "{asked}");
    let message = asked["params"]["message"].as_str().unwrap();
    assert!(message.contains("PUBLIC comment on ticket #7"), "{message}");
    assert!(
        message.contains("Jane Doe <jane@acme.com>"),
        "who receives it: {message}"
    );
    assert!(
        message.contains("> A technician is on the way"),
        "{message}"
    );
    assert_eq!(
        asked["params"]["requestedSchema"]["properties"]["approve"]["type"],
        "boolean"
    );
    client
        .send(json!({"jsonrpc": "2.0", "id": asked["id"], "result": {"action": "decline"}}))
        .await;
    let answer = client.next(2).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let said = text(&answer);
    assert!(said.contains("the person declined it"), "{said}");
    assert!(said.contains("--require-approval public-replies"), "{said}");
    assert!(writes(&seen).is_empty(), "{:?}", seen.lock().unwrap());

    // Approved: the reply goes, and its audit says who was emailed.
    client.send(call(3, "zendesk_reply_to_ticket", reply)).await;
    let asked = client.next(3).await;
    assert_eq!(asked["method"], "elicitation/create", "{asked}");
    client
        .send(json!({"jsonrpc": "2.0", "id": asked["id"],
                     "result": {"action": "accept", "content": {"approve": true}}}))
        .await;
    let answer = client.next(3).await;
    assert_eq!(answer["result"]["isError"], false, "{answer}");
    assert_eq!(
        answer["result"]["structuredContent"]["audit"]["events"][1],
        json!({"type": "Notification", "recipients": [31]})
    );
    assert_eq!(writes(&seen), ["PUT /api/v2/tickets/7"]);

    // An internal note is nobody's to approve.
    client
        .send(call(
            4,
            "zendesk_add_internal_note",
            json!({"ticketId": "7", "body": "Legacy model"}),
        ))
        .await;
    let answer = client.next(4).await;
    assert!(
        answer.get("result").is_some(),
        "no question asked: {answer}"
    );
}

#[tokio::test]
async fn a_client_that_cannot_ask_is_refused_naming_the_flag() {
    let (mut client, seen) = session(false).await;
    client
        .send(call(
            2,
            "zendesk_reply_to_ticket",
            json!({"ticketId": "7", "body": "Hello"}),
        ))
        .await;
    let answer = client.next(2).await;
    assert_eq!(answer["result"]["isError"], true, "{answer}");
    let said = text(&answer);
    assert!(said.contains("does not support elicitation"), "{said}");
    assert!(said.contains("--require-approval public-replies"), "{said}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
}
