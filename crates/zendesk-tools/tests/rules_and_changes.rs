//! The business-rule and changes tools against a fake Zendesk answering as Zendesk does: triggers
//! and automations cut to the keys their tools declare, and one page of the cursor-based ticket
//! export with the cursor to go on from. (The sandbox does not serve these endpoints yet; the
//! wire is checked here.)

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zendesk_tools::{CallContext, Connection, ToolResult, registry};

/// Answers `GET path` with `(status, body)`; anything else is a 404 in Zendesk's shape. Records
/// every request target (path and query, as sent).
async fn fake_zendesk(
    routes: Vec<(&'static str, u16, Value)>,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let routes = routes.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 64 * 1024];
                let n = socket.read(&mut buffer).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buffer[..n]).into_owned();
                let mut line = head.lines().next().unwrap_or_default().split(' ');
                let method = line.next().unwrap_or_default().to_owned();
                let target = line.next().unwrap_or_default().to_owned();
                let path = target.split('?').next().unwrap_or_default().to_owned();
                log.lock().unwrap().push(target);
                let (status, answer) = routes
                    .iter()
                    .find(|(p, _, _)| method == "GET" && *p == path)
                    .map(|(_, status, body)| (*status, body.to_string()))
                    .unwrap_or((
                        404,
                        json!({"error": "RecordNotFound", "description": "Not found"}).to_string(),
                    ));
                let response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{address}"), seen)
}

async fn call(base_url: &str, tool: &str, args: Value) -> ToolResult {
    let ctx = CallContext::with_connection(Connection {
        base_url: Some(base_url.to_owned()),
        email: Some("agent@example.com".into()),
        api_token: Some("test-token".into()),
        ..Default::default()
    });
    registry().get(tool).unwrap().call(args, &ctx).await
}

fn trigger() -> Value {
    json!({
        "url": "https://acme.zendesk.com/api/v2/triggers/360.json", "id": 360,
        "title": "Notify requester of comment update", "raw_title": "Notify requester of comment update",
        "active": true, "position": 2, "default": false, "description": null,
        "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Change"},
                               {"field": "comment_is_public", "operator": "is", "value": "true"}],
                       "any": []},
        "actions": [{"field": "notification_user", "value": ["requester_id", "[{{ticket.id}}]", "{{ticket.latest_comment.value}}"]}],
        "category_id": "10026", "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-02-01T00:00:00Z"
    })
}

#[tokio::test]
async fn triggers_come_in_firing_order_with_only_their_declared_keys() {
    let page = json!({
        "triggers": [trigger()], "count": 1,
        "meta": {"has_more": false, "after_cursor": "x", "before_cursor": null},
        "links": {"next": null, "prev": null}
    });
    let (base, seen) = fake_zendesk(vec![("/api/v2/triggers", 200, page)]).await;
    let result = call(&base, "zendesk_get_triggers", json!({"active": "true"})).await;
    assert!(result.success, "{:?}", result.error);
    let out = &result.output;
    assert_eq!(
        out["triggers"][0],
        json!({
            "id": 360, "title": "Notify requester of comment update", "active": true,
            "position": 2, "conditions": trigger()["conditions"], "actions": trigger()["actions"],
            "category_id": "10026", "updated_at": "2024-02-01T00:00:00Z"
        })
    );
    assert_eq!(
        out["paging"],
        json!({"after_cursor": null, "has_more": false, "next_page": null})
    );
    assert_eq!(out["metadata"]["total_returned"], 1);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["/api/v2/triggers?active=true&page%5Bsize%5D=100"]
    );

    let cut = call(
        &base,
        "zendesk_get_triggers",
        json!({"fields": "title,actions"}),
    )
    .await;
    assert_eq!(
        cut.output["triggers"][0],
        json!({"id": 360, "title": "Notify requester of comment update",
               "actions": trigger()["actions"]})
    );
}

#[tokio::test]
async fn automations_list_with_their_time_conditions() {
    let automation = json!({
        "url": "https://acme.zendesk.com/api/v2/automations/25.json", "id": 25,
        "title": "Close ticket 4 days after status is set to solved", "raw_title": "x",
        "active": true, "position": 1, "default": true,
        "conditions": {"all": [{"field": "status", "operator": "is", "value": "solved"},
                               {"field": "SOLVED", "operator": "greater_than", "value": "96"}],
                       "any": []},
        "actions": [{"field": "status", "value": "closed"}],
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"
    });
    let page = json!({
        "automations": [automation.clone()], "count": 1,
        "meta": {"has_more": true, "after_cursor": "a1", "before_cursor": null},
        "links": {"next": "https://acme.zendesk.com/api/v2/automations?page%5Bafter%5D=a1", "prev": null}
    });
    let (base, seen) = fake_zendesk(vec![("/api/v2/automations", 200, page)]).await;
    let result = call(
        &base,
        "zendesk_get_automations",
        json!({"perPage": "1", "fields": ["conditions"]}),
    )
    .await;
    assert!(result.success, "{:?}", result.error);
    assert_eq!(
        result.output["automations"],
        json!([{"id": 25, "conditions": automation["conditions"]}])
    );
    assert_eq!(result.output["paging"]["after_cursor"], "a1");
    assert_eq!(result.output["paging"]["has_more"], true);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["/api/v2/automations?page%5Bsize%5D=1"]
    );
}

#[tokio::test]
async fn changes_since_answers_the_tickets_and_the_cursor_to_go_on_from() {
    let page = json!({
        "tickets": [
            {"id": 1, "subject": "Printer on fire", "status": "open", "updated_at": "2024-05-01T10:00:00Z"},
            {"id": 2, "subject": "Refund", "status": "deleted", "updated_at": "2024-05-01T11:00:00Z"}
        ],
        "after_cursor": "MTcxNDU2MTIwMC4wfHwyfA==",
        "after_url": "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTcxNDU2MTIwMC4wfHwyfA%3D%3D",
        "before_cursor": null, "before_url": null,
        "end_of_stream": true
    });
    let (base, seen) = fake_zendesk(vec![("/api/v2/incremental/tickets/cursor", 200, page)]).await;
    let result = call(
        &base,
        "zendesk_get_changes_since",
        json!({"since": "2024-05-01T00:00:00Z", "fields": "status"}),
    )
    .await;
    assert!(result.success, "{:?}", result.error);
    assert_eq!(
        result.output,
        json!({
            "tickets": [{"id": 1, "status": "open"}, {"id": 2, "status": "deleted"}],
            "after_cursor": "MTcxNDU2MTIwMC4wfHwyfA==",
            "end_of_stream": true
        })
    );
    let next = call(
        &base,
        "zendesk_get_changes_since",
        json!({"cursor": "MTcxNDU2MTIwMC4wfHwyfA==", "perPage": "10"}),
    )
    .await;
    assert!(next.success, "{:?}", next.error);
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [
            "/api/v2/incremental/tickets/cursor?start_time=1714521600&per_page=100",
            "/api/v2/incremental/tickets/cursor?cursor=MTcxNDU2MTIwMC4wfHwyfA%3D%3D&per_page=10",
        ]
    );
}

#[tokio::test]
async fn a_start_time_zendesk_finds_too_recent_comes_back_in_its_words() {
    // Zendesk's clock decides: a `since` that passed the local check can still be refused.
    let refusal = json!({
        "error": "InvalidValue",
        "description": "Too recent start_time. Use a start_time older than 1 minute"
    });
    let (base, _) = fake_zendesk(vec![("/api/v2/incremental/tickets/cursor", 422, refusal)]).await;
    let result = call(
        &base,
        "zendesk_get_changes_since",
        json!({"since": "1714521600"}),
    )
    .await;
    assert!(!result.success);
    let error = result.error.unwrap();
    assert!(error.contains("Too recent start_time"), "{error}");
}
