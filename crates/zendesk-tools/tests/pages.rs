//! `Tool::pages` walks a list tool through the client's pager: every page shaped like the
//! tool's output, ending on Zendesk's last page, and failing (instead of looping) when Zendesk
//! sends the same cursor twice. A fake Zendesk on a local TCP listener answers by cursor.

use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zendesk_tools::{CallContext, Connection, ToolResult, registry};

/// Answers `GET /api/v2/tickets` by `page[after]`: `pages` maps a cursor ("" for the first
/// page) to the body to send. Records every request line.
async fn fake_zendesk(pages: Vec<(&'static str, Value)>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let pages = pages.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buffer[..n]).into_owned();
                let line = head.lines().next().unwrap_or_default().to_owned();
                log.lock().unwrap().push(line.clone());
                let cursor = line
                    .split("page%5Bafter%5D=")
                    .nth(1)
                    .map(|rest| rest.split([' ', '&']).next().unwrap_or_default())
                    .unwrap_or_default()
                    .to_owned();
                let body = pages
                    .iter()
                    .find(|(c, _)| *c == cursor)
                    .map(|(_, body)| body.to_string())
                    .unwrap_or_else(|| r#"{"error": "RecordNotFound"}"#.to_owned());
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

fn page(ids: &[u64], has_more: bool, after: Option<&str>) -> Value {
    json!({
        "tickets": ids.iter().map(|id| json!({"id": id, "subject": format!("t{id}")})).collect::<Vec<_>>(),
        "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": null},
        "links": {"next": after.map(|c| format!("https://acme.zendesk.com/api/v2/tickets?page%5Bafter%5D={c}")), "prev": null}
    })
}

fn context(base_url: &str) -> CallContext {
    CallContext::with_connection(Connection {
        base_url: Some(base_url.to_owned()),
        email: Some("agent@example.com".into()),
        api_token: Some("test-token".into()),
        ..Default::default()
    })
}

async fn walk(base_url: &str, args: Value) -> Vec<ToolResult> {
    let tool = registry().get("zendesk_get_tickets").unwrap();
    tool.pages(args, &context(base_url)).collect().await
}

#[tokio::test]
async fn every_page_comes_shaped_like_the_tools_output_until_the_last() {
    let (base_url, seen) = fake_zendesk(vec![
        ("", page(&[1, 2], true, Some("c1"))),
        ("c1", page(&[3, 4], true, Some("c2"))),
        ("c2", page(&[5], false, None)),
    ])
    .await;
    let pages = walk(&base_url, json!({"perPage": "2"})).await;
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|p| p.success), "{pages:?}");
    let ids: Vec<u64> = pages
        .iter()
        .flat_map(|p| p.output["tickets"].as_array().unwrap().clone())
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(pages[0].output["paging"]["after_cursor"], "c1");
    assert_eq!(
        pages[2].output["metadata"],
        json!({"total_returned": 1, "has_more": false})
    );
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(requests[0].starts_with("GET /api/v2/tickets?page%5Bsize%5D=2 "));
}

#[tokio::test]
async fn a_cursor_sent_twice_ends_the_walk_with_an_error_instead_of_a_loop() {
    let (base_url, seen) = fake_zendesk(vec![
        ("", page(&[1], true, Some("c1"))),
        ("c1", page(&[2], true, Some("c1"))),
    ])
    .await;
    let pages = walk(&base_url, json!({})).await;
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[0].success);
    assert!(!pages[1].success);
    let error = pages[1].error.as_deref().unwrap();
    assert!(error.contains("\"c1\" twice"), "{error}");
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn refused_arguments_give_one_failure_and_send_nothing() {
    let (base_url, seen) = fake_zendesk(vec![("", page(&[1], false, None))]).await;
    let pages = walk(&base_url, json!({"perPage": "500"})).await;
    assert_eq!(pages.len(), 1);
    assert!(
        pages[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("perPage must be a whole number from 1 to 100")
    );
    assert!(seen.lock().unwrap().is_empty());
}
