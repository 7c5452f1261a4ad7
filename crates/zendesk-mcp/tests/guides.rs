//! Prompts and the ticket resource over the stdio transport (newline-delimited JSON-RPC on an
//! in-memory pipe): `triage-ticket` and `draft-reply` name the tools in order, a bad `ticketId`
//! is a clear error, and `zendesk://tickets/{id}` reads a ticket with its thread as text from a
//! fake Zendesk.

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use zendesk_mcp::{ToolSelection, ZendeskMcpServer};
use zendesk_tools::{CallContext, Connection, registry};

struct PipeClient {
    writer: tokio::io::WriteHalf<tokio::io::DuplexStream>,
    reader: BufReader<tokio::io::ReadHalf<tokio::io::DuplexStream>>,
    next_id: u64,
}

impl PipeClient {
    async fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut line =
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string();
        line.push('\n');
        self.writer.write_all(line.as_bytes()).await.unwrap();
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

async fn start(context: CallContext) -> (PipeClient, tokio::task::JoinHandle<()>) {
    let tools = ToolSelection::default().select(registry()).unwrap();
    let server = ZendeskMcpServer::new(tools, context);
    let (client_side, server_side) = tokio::io::duplex(1 << 20);
    let (server_read, server_write) = tokio::io::split(server_side);
    let task = tokio::spawn(async move {
        zendesk_mcp::serve_transport(server, (server_read, server_write), std::future::pending())
            .await
            .unwrap();
    });
    let (read, write) = tokio::io::split(client_side);
    let mut client = PipeClient {
        writer: write,
        reader: BufReader::new(read),
        next_id: 0,
    };
    let init = client
        .request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "zd-test", "version": "0"}}),
        )
        .await;
    let capabilities = &init["result"]["capabilities"];
    assert!(capabilities["prompts"].is_object(), "{init}");
    assert!(capabilities["resources"].is_object(), "{init}");
    let mut line = json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string();
    line.push('\n');
    client.writer.write_all(line.as_bytes()).await.unwrap();
    (client, task)
}

#[tokio::test]
async fn prompts_name_the_tools_in_order_and_check_the_ticket_id() {
    let (mut client, task) = start(CallContext::default()).await;
    let listed = client.request("prompts/list", json!({})).await;
    let prompts = listed["result"]["prompts"].as_array().unwrap();
    let names: Vec<&str> = prompts
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["triage-ticket", "draft-reply"]);
    for prompt in prompts {
        assert_eq!(prompt["arguments"][0]["name"], "ticketId");
        assert_eq!(prompt["arguments"][0]["required"], true);
    }

    let triage = client
        .request(
            "prompts/get",
            json!({"name": "triage-ticket", "arguments": {"ticketId": "42"}}),
        )
        .await;
    let text = triage["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{triage}"));
    assert_eq!(triage["result"]["messages"][0]["role"], "user");
    let order: Vec<usize> = [
        "zendesk_get_ticket_comments",
        "zendesk_get_groups",
        "zendesk_add_internal_note",
        "zendesk_update_ticket",
    ]
    .iter()
    .map(|tool| {
        text.find(tool)
            .unwrap_or_else(|| panic!("{tool} in {text}"))
    })
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(text.contains("ticketId \"42\""), "{text}");
    assert!(
        text.contains("never shown or emailed to the customer"),
        "{text}"
    );

    let draft = client
        .request(
            "prompts/get",
            json!({"name": "draft-reply", "arguments": {"ticketId": "42"}}),
        )
        .await;
    let text = draft["result"]["messages"][0]["content"]["text"]
        .as_str()
        .unwrap();
    let read = text.find("zendesk_get_ticket_comments").unwrap();
    let approve = text.find("Show it to me").unwrap();
    let send = text.find("zendesk_reply_to_ticket").unwrap();
    assert!(read < approve && approve < send, "{text}");

    let bad = client
        .request(
            "prompts/get",
            json!({"name": "draft-reply", "arguments": {"ticketId": "#42"}}),
        )
        .await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ticketId must be")
    );
    let unknown = client
        .request("prompts/get", json!({"name": "close-all", "arguments": {}}))
        .await;
    assert!(
        unknown["error"]["message"]
            .as_str()
            .unwrap()
            .contains("triage-ticket")
    );
    task.abort();
}

/// A fake Zendesk answering a ticket and its comments (authors side-loaded).
async fn fake_zendesk() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buffer[..n]).into_owned();
                let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
                let (status, body) = if target.starts_with("/api/v2/tickets/42/comments") {
                    (
                        200,
                        json!({
                            "comments": [
                                {"id": 1, "public": true, "body": "The printer is on fire", "author_id": 10,
                                 "created_at": "2024-03-01T09:00:00Z", "via": {"channel": "email"}, "attachments": []},
                                {"id": 2, "public": false, "body": "Legacy model", "author_id": 20,
                                 "created_at": "2024-03-01T09:05:00Z", "via": {"channel": "web"}, "attachments": []}
                            ],
                            "users": [{"id": 10, "name": "Carla", "email": "carla@example.com", "role": "end-user"},
                                      {"id": 20, "name": "Ada", "email": "ada@example.com", "role": "agent"}],
                            "meta": {"has_more": false, "after_cursor": null}, "links": {"next": null}
                        }),
                    )
                } else if target.starts_with("/api/v2/tickets/42") {
                    (
                        200,
                        json!({"ticket": {"id": 42, "subject": "Printer on fire", "status": "open",
                                             "priority": "urgent", "type": "incident", "requester_id": 10,
                                             "assignee_id": 20, "group_id": 4, "tags": ["printer"],
                                             "created_at": "2024-03-01T09:00:00Z", "updated_at": "2024-03-01T09:05:00Z"}}),
                    )
                } else {
                    (
                        404,
                        json!({"error": "RecordNotFound", "description": "Not found"}),
                    )
                };
                let body = body.to_string();
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn the_ticket_resource_reads_the_thread_as_text() {
    let context = CallContext::with_connection(Connection {
        base_url: Some(fake_zendesk().await),
        email: Some("agent@example.com".into()),
        api_token: Some("test-token".into()),
        ..Default::default()
    });
    let (mut client, task) = start(context).await;
    let templates = client.request("resources/templates/list", json!({})).await;
    assert_eq!(
        templates["result"]["resourceTemplates"][0]["uriTemplate"], "zendesk://tickets/{id}",
        "{templates}"
    );
    let read = client
        .request("resources/read", json!({"uri": "zendesk://tickets/42"}))
        .await;
    let contents = &read["result"]["contents"][0];
    assert_eq!(contents["uri"], "zendesk://tickets/42", "{read}");
    assert_eq!(contents["mimeType"], "text/plain");
    let text = contents["text"].as_str().unwrap();
    assert!(text.starts_with("Ticket #42: Printer on fire\n"), "{text}");
    assert!(
        text.contains("Carla <carla@example.com> (end-user) | public (the requester sees it) | via email\nThe printer is on fire"),
        "{text}"
    );
    assert!(
        text.contains("Ada <ada@example.com> (agent) | INTERNAL NOTE (agents only)"),
        "{text}"
    );

    let missing = client
        .request("resources/read", json!({"uri": "zendesk://tickets/7"}))
        .await;
    assert_eq!(missing["error"]["code"], -32002, "{missing}");
    let foreign = client
        .request("resources/read", json!({"uri": "zendesk://users/7"}))
        .await;
    assert!(
        foreign["error"]["message"]
            .as_str()
            .unwrap()
            .contains("zendesk://tickets/{id}")
    );
    task.abort();
}
