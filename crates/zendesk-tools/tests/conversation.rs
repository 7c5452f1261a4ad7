//! The conversation, history, fields and group tools against a fake Zendesk that answers the
//! way Zendesk does (side-loaded users and groups, an update's audit): what each tool sends, and
//! the compact answer a model reads. The sandbox serves some of this too (crates/zd/tests); the
//! side-loads, ticket fields and group memberships are tested here.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zendesk_tools::{CallContext, Connection, ToolResult, registry};

/// One request as the fake server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    /// Path and query, as sent.
    target: String,
    body: Value,
}

type Routes = Vec<(&'static str, &'static str, u16, Value)>;

/// Answers `(method, path)` with `(status, body)`; anything else is a 404 in Zendesk's shape.
async fn fake_zendesk(routes: Routes) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let routes = routes.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let mut raw = Vec::new();
                let mut buffer = vec![0u8; 64 * 1024];
                // Read the head, then as much body as content-length says.
                loop {
                    let n = socket.read(&mut buffer).await.unwrap_or(0);
                    raw.extend_from_slice(&buffer[..n]);
                    let text = String::from_utf8_lossy(&raw).into_owned();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text[..end]
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse::<usize>().ok())?
                            })
                            .unwrap_or(0);
                        if raw.len() >= end + 4 + length || n == 0 {
                            break;
                        }
                    } else if n == 0 {
                        break;
                    }
                }
                let text = String::from_utf8_lossy(&raw).into_owned();
                let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
                let mut line = head.lines().next().unwrap_or_default().split(' ');
                let method = line.next().unwrap_or_default().to_owned();
                let target = line.next().unwrap_or_default().to_owned();
                let path = target.split('?').next().unwrap_or_default().to_owned();
                log.lock().unwrap().push(Seen {
                    method: method.clone(),
                    target: target.clone(),
                    body: serde_json::from_str(body).unwrap_or(Value::Null),
                });
                let (status, answer) = routes
                    .iter()
                    .find(|(m, p, _, _)| *m == method && *p == path)
                    .map(|(_, _, status, body)| (*status, body.to_string()))
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

fn cursor_page(key: &str, items: Value, side_loads: Value) -> Value {
    let mut page = json!({
        key: items,
        "meta": {"has_more": false, "after_cursor": null, "before_cursor": null},
        "links": {"next": null, "prev": null},
    });
    if let (Value::Object(page), Value::Object(extra)) = (&mut page, side_loads) {
        page.extend(extra);
    }
    page
}

fn user(id: u64, name: &str, role: &str) -> Value {
    json!({"id": id, "name": name, "email": format!("{}@example.com", name.to_lowercase()),
           "role": role, "phone": null, "photo": null, "time_zone": "Paris", "tags": []})
}

#[tokio::test]
async fn the_thread_reads_with_authors_named_and_internal_notes_marked() {
    let comments = cursor_page(
        "comments",
        json!([
            {"id": 1, "type": "Comment", "author_id": 10, "public": true, "created_at": "2024-03-01T09:00:00Z",
             "body": "My printer is on fire", "html_body": "<p>My printer is on fire</p>", "plain_body": "My printer is on fire",
             "attachments": [{"id": 50, "file_name": "fire.jpg", "content_type": "image/jpeg", "size": 2048,
                              "content_url": "https://acme.zendesk.com/attachments/token/abc/?name=fire.jpg",
                              "thumbnails": [], "inline": false, "deleted": false}],
             "via": {"channel": "email", "source": {"from": {"address": "carla@example.com"}}}, "metadata": {"system": {}}},
            {"id": 2, "type": "Comment", "author_id": 20, "public": false, "created_at": "2024-03-01T09:05:00Z",
             "body": "Looks like the legacy model", "attachments": [], "via": {"channel": "web"}}
        ]),
        json!({"users": [user(10, "Carla", "end-user"), user(20, "Ada", "agent")]}),
    );
    let (base_url, seen) =
        fake_zendesk(vec![("GET", "/api/v2/tickets/7/comments", 200, comments)]).await;
    let result = call(
        &base_url,
        "zendesk_get_ticket_comments",
        json!({"ticketId": "7"}),
    )
    .await;
    assert!(result.success, "{result:?}");
    assert_eq!(
        result.output["comments"],
        json!([
            {"id": 1, "public": true, "body": "My printer is on fire",
             "author": {"id": 10, "name": "Carla", "email": "carla@example.com", "role": "end-user"},
             "created_at": "2024-03-01T09:00:00Z", "via": {"channel": "email"},
             "attachments": [{"id": 50, "file_name": "fire.jpg", "content_type": "image/jpeg", "size": 2048,
                              "url": "https://acme.zendesk.com/attachments/token/abc/?name=fire.jpg"}]},
            {"id": 2, "public": false, "body": "Looks like the legacy model",
             "author": {"id": 20, "name": "Ada", "email": "ada@example.com", "role": "agent"},
             "created_at": "2024-03-01T09:05:00Z", "via": {"channel": "web"}, "attachments": []}
        ])
    );
    assert_eq!(
        result.output["metadata"],
        json!({"total_returned": 2, "has_more": false})
    );
    let sent = seen.lock().unwrap()[0].target.clone();
    assert_eq!(
        sent,
        "/api/v2/tickets/7/comments?include=users&page%5Bsize%5D=100"
    );

    // `fields` cuts each comment down.
    let result = call(
        &base_url,
        "zendesk_get_ticket_comments",
        json!({"ticketId": "7", "fields": "public,body"}),
    )
    .await;
    assert_eq!(
        result.output["comments"][1],
        json!({"id": 2, "public": false, "body": "Looks like the legacy model"})
    );
}

fn update_answer(status: &str, public: bool, body: &str) -> Value {
    json!({
        "ticket": {"id": 7, "status": status, "subject": "Printer", "updated_at": "2024-03-01T10:00:00Z"},
        "audit": {"id": 900, "ticket_id": 7, "author_id": 20, "created_at": "2024-03-01T10:00:00Z",
                  "events": [{"id": 901, "type": "Comment", "body": body, "html_body": format!("<p>{body}</p>"),
                              "public": public, "author_id": 20, "attachments": [], "audit_id": 900}]}
    })
}

#[tokio::test]
async fn a_note_goes_in_private_and_a_reply_in_public_with_a_status() {
    let (base_url, seen) = fake_zendesk(vec![(
        "PUT",
        "/api/v2/tickets/7",
        200,
        update_answer("open", false, "Legacy plan, check the contract"),
    )])
    .await;
    let result = call(
        &base_url,
        "zendesk_add_internal_note",
        json!({"ticketId": 7, "body": "Legacy plan, check the contract"}),
    )
    .await;
    assert!(result.success, "{result:?}");
    // The audit Zendesk wrote comes back compact: a private comment, nobody emailed.
    assert_eq!(
        result.output,
        json!({"ticket_id": 7, "comment": {"id": 901, "public": false,
               "body": "Legacy plan, check the contract", "author_id": 20}, "status": "open",
               "audit": {"id": 900, "events": [{"type": "Comment", "public": false, "author": 20}]}})
    );
    let sent = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (sent.method.as_str(), sent.target.as_str()),
        ("PUT", "/api/v2/tickets/7")
    );
    assert_eq!(
        sent.body,
        json!({"ticket": {"comment": {"body": "Legacy plan, check the contract", "public": false}}})
    );

    let mut answer = update_answer("pending", true, "We are on it");
    let events = answer["audit"]["events"].as_array_mut().unwrap();
    events.push(json!({"id": 902, "type": "Change", "field_name": "status",
                       "previous_value": "open", "value": "pending"}));
    events.push(
        json!({"id": 903, "type": "Notification", "subject": "Re: Printer",
                       "body": "We are on it", "recipients": [31]}),
    );
    let (base_url, seen) = fake_zendesk(vec![("PUT", "/api/v2/tickets/7", 200, answer)]).await;
    let result = call(
        &base_url,
        "zendesk_reply_to_ticket",
        json!({"ticketId": "7", "body": "We are on it", "status": "pending"}),
    )
    .await;
    assert!(result.success, "{result:?}");
    assert_eq!(result.output["comment"]["public"], true);
    assert_eq!(result.output["status"], "pending");
    // What changed and who was emailed, in Zendesk's terms.
    assert_eq!(
        result.output["audit"]["events"],
        json!([
            {"type": "Comment", "public": true, "author": 20},
            {"type": "Change", "field": "status", "previous": "open", "value": "pending"},
            {"type": "Notification", "recipients": [31]}
        ])
    );
    assert_eq!(
        seen.lock().unwrap()[0].body,
        json!({"ticket": {"comment": {"body": "We are on it", "public": true}, "status": "pending"}})
    );
}

#[tokio::test]
async fn the_history_reads_as_changes_by_named_people() {
    let audits = cursor_page(
        "audits",
        json!([{"id": 900, "ticket_id": 7, "author_id": 20, "created_at": "2024-03-01T10:00:00Z",
        "metadata": {"system": {"client": "Mozilla", "ip_address": "1.2.3.4"}, "custom": {}},
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": null}},
        "events": [
            {"id": 901, "type": "Comment", "body": "We are on it", "public": true, "author_id": 20, "attachments": []},
            {"id": 902, "type": "Change", "field_name": "status", "value": "pending", "previous_value": "open"},
            {"id": 903, "type": "Notification", "subject": "[Acme] Re: Printer", "body": "...", "recipients": [10],
             "via": {"channel": "rule", "source": {"from": {"id": 1, "title": "Notify requester"}}}}
        ]}]),
        json!({"users": [user(20, "Ada", "agent")]}),
    );
    let (base_url, seen) =
        fake_zendesk(vec![("GET", "/api/v2/tickets/7/audits", 200, audits)]).await;
    let result = call(
        &base_url,
        "zendesk_get_ticket_audits",
        json!({"ticketId": "7"}),
    )
    .await;
    assert!(result.success, "{result:?}");
    assert_eq!(
        result.output["audits"],
        json!([{"id": 900, "created_at": "2024-03-01T10:00:00Z",
        "author": {"id": 20, "name": "Ada", "email": "ada@example.com", "role": "agent"}, "via": "web",
        "events": [
            {"type": "Comment", "comment_id": 901, "public": true, "body": "We are on it"},
            {"type": "Change", "field": "status", "from": "open", "to": "pending"},
            {"type": "Notification", "subject": "[Acme] Re: Printer", "recipients": [10]}
        ]}])
    );
    assert!(seen.lock().unwrap()[0].target.contains("include=users"));
}

#[tokio::test]
async fn ticket_fields_groups_and_members_say_what_to_fill_and_who_to_assign() {
    let fields = cursor_page(
        "ticket_fields",
        json!([
            {"id": 1, "type": "subject", "title": "Subject", "required": false, "active": true, "removable": false,
             "description": "", "position": 1},
            {"id": 2, "type": "priority", "title": "Priority", "active": true, "removable": false,
             "system_field_options": [{"name": "Low", "value": "low"}, {"name": "Urgent", "value": "urgent"}]},
            {"id": 360001, "type": "tagger", "title": "Plan", "required": true, "active": true, "removable": true,
             "description": "Support plan", "custom_field_options": [{"id": 7, "name": "Gold", "raw_name": "Gold", "value": "plan_gold"}]}
        ]),
        json!({}),
    );
    let memberships = cursor_page(
        "group_memberships",
        json!([{"id": 70, "user_id": 20, "group_id": 4, "default": true, "created_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z", "url": "https://acme.zendesk.com/api/v2/group_memberships/70.json"}]),
        json!({"users": [user(20, "Ada", "agent")], "groups": [{"id": 4, "name": "Billing"}]}),
    );
    let groups = cursor_page(
        "groups",
        json!([{"id": 4, "name": "Billing", "description": "Invoices", "default": false, "deleted": false,
                "is_public": true, "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                "url": "https://acme.zendesk.com/api/v2/groups/4.json"}]),
        json!({}),
    );
    let (base_url, seen) = fake_zendesk(vec![
        ("GET", "/api/v2/ticket_fields", 200, fields),
        ("GET", "/api/v2/groups/4/memberships", 200, memberships),
        ("GET", "/api/v2/groups", 200, groups),
    ])
    .await;
    let result = call(&base_url, "zendesk_get_ticket_fields", json!({})).await;
    assert!(result.success, "{result:?}");
    let listed = result.output["ticket_fields"].as_array().unwrap().clone();
    assert_eq!(
        listed[2],
        json!({"id": 360001, "title": "Plan", "type": "tagger", "required": true, "active": true,
               "system": false, "description": "Support plan",
               "options": [{"name": "Gold", "value": "plan_gold"}]})
    );
    assert_eq!(listed[1]["options"][1]["value"], "urgent");
    assert_eq!(listed[0]["system"], true);

    let result = call(
        &base_url,
        "zendesk_get_group_memberships",
        json!({"groupId": "4"}),
    )
    .await;
    assert!(result.success, "{result:?}");
    assert_eq!(
        result.output["group_memberships"],
        json!([{"id": 70, "user_id": 20, "group_id": 4, "default": true,
                "user": {"id": 20, "name": "Ada", "email": "ada@example.com"},
                "group": {"id": 4, "name": "Billing"}, "created_at": "2024-01-01T00:00:00Z"}])
    );

    let result = call(&base_url, "zendesk_get_groups", json!({"fields": "name"})).await;
    assert_eq!(
        result.output["groups"],
        json!([{"id": 4, "name": "Billing"}])
    );
    let targets: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.target.clone())
        .collect();
    assert_eq!(
        targets[1],
        "/api/v2/groups/4/memberships?include=users%2Cgroups&page%5Bsize%5D=100"
    );
}

#[tokio::test]
async fn unknown_search_keywords_come_back_with_the_keyword_to_use() {
    let results = cursor_page("results", json!([]), json!({}));
    let (base_url, _) = fake_zendesk(vec![
        ("GET", "/api/v2/search/export", 200, results),
        ("GET", "/api/v2/search/count", 200, json!({"count": 0})),
    ])
    .await;
    let result = call(
        &base_url,
        "zendesk_search",
        json!({"query": "requester_id:123 status:open", "filterType": "ticket"}),
    )
    .await;
    assert!(result.success, "{result:?}");
    assert_eq!(
        result.output["warnings"],
        json!([
            "requester_id: is not a Zendesk search keyword, so Zendesk searched it as text; use requester: instead (e.g. requester:12345)"
        ])
    );
    let keys: Vec<&String> = result.output.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["paging", "metadata", "results", "warnings"]);
    let result = call(
        &base_url,
        "zendesk_search_count",
        json!({"query": "tag:vip"}),
    )
    .await;
    assert_eq!(result.output["count"], 0);
    assert!(
        result.output["warnings"][0]
            .as_str()
            .unwrap()
            .contains("use tags: instead")
    );
    // A relative date says which side of the moment it means.
    let result = call(
        &base_url,
        "zendesk_search_count",
        json!({"query": "status:open updated<1week"}),
    )
    .await;
    assert_eq!(
        result.output["warnings"],
        json!([
            "updated<1week means updated more than a week ago in Zendesk (before the moment a week ago: < is before); for the last week write updated>1week"
        ])
    );
    // A clean query carries no warnings key at all.
    let result = call(
        &base_url,
        "zendesk_search_count",
        json!({"query": "status:open"}),
    )
    .await;
    assert_eq!(result.output, json!({"count": 0}));
}

#[tokio::test]
async fn a_missing_record_names_the_tool_that_finds_its_id() {
    let (base_url, _) = fake_zendesk(vec![]).await;
    let result = call(
        &base_url,
        "zendesk_get_ticket_comments",
        json!({"ticketId": "404"}),
    )
    .await;
    assert!(!result.success);
    let error = result.error.unwrap();
    assert!(error.contains("RecordNotFound"), "{error}");
    assert!(
        error.ends_with(
            "find a ticket's id with zendesk_search (filterType \"ticket\") or zendesk_get_tickets"
        ),
        "{error}"
    );
    let result = call(
        &base_url,
        "zendesk_get_group_memberships",
        json!({"groupId": "9"}),
    )
    .await;
    assert!(
        result
            .error
            .unwrap()
            .ends_with("find a group's id with zendesk_get_groups")
    );
}
