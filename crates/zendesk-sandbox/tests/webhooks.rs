//! Webhooks over HTTP and their deliveries, on the test database (SQLite, or PostgreSQL with
//! `ZD_TEST_DATABASE_URL`): CRUD with and without `.json`, secrets never answered, the signing
//! secret's show and reset, and deliveries to a receiver on this machine: a ticket created
//! event signed with the webhook's secret, a 503 with `Retry-After: 1` tried again with both
//! attempts in the invocation log, a non-loopback endpoint refused and logged, the ticket
//! events a webhook subscribes to, and `POST /webhooks/test`.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use common::{Sb, sandbox};
use serde_json::{Value, json};
use zendesk_types::webhook_signature;

/// One request the receiver got: its headers and body.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

#[derive(Default)]
struct Log {
    received: Vec<Received>,
    /// Answers to give, in turn (status, Retry-After); 200 once they run out.
    script: VecDeque<(u16, Option<&'static str>)>,
}

/// A webhook receiver on 127.0.0.1: records every request, answers from its script.
#[derive(Clone)]
struct Receiver {
    url: String,
    log: Arc<Mutex<Log>>,
}

async fn receive(
    State(log): State<Arc<Mutex<Log>>>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let mut log = log.lock().unwrap();
    log.received.push(Received {
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let (status, retry_after) = log.script.pop_front().unwrap_or((200, None));
    let mut answer = HeaderMap::new();
    if let Some(after) = retry_after {
        answer.insert("retry-after", after.parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), answer, "ok")
}

impl Receiver {
    async fn start(script: &[(u16, Option<&'static str>)]) -> Receiver {
        let log = Arc::new(Mutex::new(Log {
            received: Vec::new(),
            script: script.iter().copied().collect(),
        }));
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(log.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            url: format!("http://{address}/hooks"),
            log,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().received.clone()
    }

    /// Waits (up to 20 s) until `n` requests came; all that came.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver got {} requests, not {n}: {:?}",
            self.received().len(),
            self.received()
        );
    }
}

async fn create_webhook(sb: &Sb, webhook: Value) -> Value {
    let reply = sb
        .post("/api/v2/webhooks", json!({ "webhook": webhook }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["webhook"].clone()
}

async fn signing_secret(sb: &Sb, id: &str) -> String {
    let reply = sb
        .get(&format!("/api/v2/webhooks/{id}/signing_secret"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["signing_secret"]["secret"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The webhook's invocations once `n` of them are final (up to 20 s), newest first.
async fn invocations(sb: &Sb, id: &str, n: usize) -> Vec<Value> {
    for _ in 0..400 {
        let reply = sb.get(&format!("/api/v2/webhooks/{id}/invocations")).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let list = reply.body["invocations"].as_array().unwrap().clone();
        let done = list
            .iter()
            .filter(|i| i["status"] == "success" || i["status"] == "failed")
            .count();
        if done >= n {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("webhook {id} never had {n} finished invocations");
}

async fn attempts(sb: &Sb, id: &str, invocation: &str) -> Vec<Value> {
    let reply = sb
        .get(&format!(
            "/api/v2/webhooks/{id}/invocations/{invocation}/attempts"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["attempts"].as_array().unwrap().clone()
}

async fn ticket(sb: &Sb, fields: Value) -> Value {
    let reply = sb
        .post("/api/v2/tickets.json", json!({ "ticket": fields }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["ticket"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn crud_with_and_without_json_never_answers_a_secret() {
    let sb = sandbox().await;
    let created = create_webhook(
        &sb,
        json!({"name": "Orders", "endpoint": "http://127.0.0.1:9/orders", "http_method": "POST",
               "request_format": "json", "status": "active",
               "subscriptions": ["conditional_ticket_events"],
               "authentication": {"type": "basic_auth", "add_position": "header",
                                  "data": {"username": "jane", "password": "hunter2-secret"}},
               "custom_headers": {"X-Team": "billing"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 26, "a ULID: {id}");
    assert_eq!(created["name"], "Orders");
    assert_eq!(created["custom_headers"], json!({"X-Team": "billing"}));
    assert_eq!(created["authentication"]["type"], "basic_auth");
    assert_eq!(created["authentication"]["data"]["username"], "jane");

    for path in [
        format!("/api/v2/webhooks/{id}"),
        format!("/api/v2/webhooks/{id}.json"),
        "/api/v2/webhooks".to_string(),
        "/api/v2/webhooks.json".to_string(),
    ] {
        let reply = sb.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        assert!(
            !reply.text.contains("hunter2-secret"),
            "{path} answers the password: {}",
            reply.text
        );
        assert!(reply.text.contains(&id), "{path}: {}", reply.text);
    }

    // PUT with another secret, PATCH leaving it: never answered, kept where not sent.
    let put = sb
        .put(
            &format!("/api/v2/webhooks/{id}.json"),
            json!({"webhook": {"name": "Orders v2", "endpoint": "http://127.0.0.1:9/orders",
                   "http_method": "POST", "request_format": "json", "status": "active",
                   "subscriptions": ["conditional_ticket_events"],
                   "authentication": {"type": "bearer_token", "add_position": "header",
                                      "data": {"token": "tok-very-secret"}}}}),
        )
        .await;
    assert_eq!(put.status, StatusCode::NO_CONTENT, "{}", put.text);
    let patch = sb
        .call(
            axum::http::Method::PATCH,
            &format!("/api/v2/webhooks/{id}"),
            Some(&common::admin()),
            Some(json!({"webhook": {"status": "inactive"}})),
        )
        .await;
    assert_eq!(patch.status, StatusCode::NO_CONTENT, "{}", patch.text);
    let shown = sb.get(&format!("/api/v2/webhooks/{id}")).await;
    assert_eq!(shown.body["webhook"]["name"], "Orders v2");
    assert_eq!(shown.body["webhook"]["status"], "inactive");
    assert_eq!(
        shown.body["webhook"]["authentication"]["type"],
        "bearer_token"
    );
    assert!(!shown.text.contains("tok-very-secret"), "{}", shown.text);

    // Bad input names the field and changes nothing.
    let bad = sb
        .put(
            &format!("/api/v2/webhooks/{id}"),
            json!({"webhook": {"http_method": "FETCH"}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(bad.text.contains("http_method"), "{}", bad.text);
    let unknown = sb
        .post(
            "/api/v2/webhooks",
            json!({"webhook": {"name": "x", "endpoint": "http://127.0.0.1:9/x",
                   "subscriptions": ["zen:event-type:ticket.created"], "endpiont": "y"}}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
    assert!(unknown.text.contains("endpiont"), "{}", unknown.text);
    let shown_again = sb.get(&format!("/api/v2/webhooks/{id}")).await;
    assert_eq!(shown_again.body, shown.body);

    // The signing secret: shown on its own route, reset to another.
    let secret = signing_secret(&sb, &id).await;
    assert!(secret.len() >= 32, "{secret}");
    let reset = sb
        .post(&format!("/api/v2/webhooks/{id}/signing_secret"), json!({}))
        .await;
    assert!(reset.status.is_success(), "{}", reset.text);
    let new_secret = signing_secret(&sb, &id).await;
    assert_ne!(new_secret, secret);
    assert_eq!(reset.body["signing_secret"]["secret"], new_secret.as_str());

    // Agents do not manage webhooks.
    let (_, agent) = sb.user("Agent Smith", "agent").await;
    let as_agent = sb
        .call(
            axum::http::Method::GET,
            "/api/v2/webhooks",
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(as_agent.status, StatusCode::FORBIDDEN, "{}", as_agent.text);

    let deleted = sb.delete(&format!("/api/v2/webhooks/{id}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let gone = sb.get(&format!("/api/v2/webhooks/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let listed = sb.get("/api/v2/webhooks").await;
    assert_eq!(listed.body["webhooks"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscribed_webhook_receives_a_signed_ticket_created_event() {
    let sb = sandbox().await;
    let receiver = Receiver::start(&[]).await;
    let webhook = create_webhook(
        &sb,
        json!({"name": "Created", "endpoint": receiver.url, "http_method": "POST",
               "request_format": "json", "status": "active",
               "subscriptions": ["zen:event-type:ticket.created"],
               "authentication": {"type": "bearer_token", "add_position": "header",
                                  "data": {"token": "receiver-token"}}}),
    )
    .await;
    let id = webhook["id"].as_str().unwrap();
    let secret = signing_secret(&sb, id).await;
    let created = ticket(
        &sb,
        json!({"subject": "Printer on fire", "comment": {"body": "Help"}}),
    )
    .await;
    let ticket_id = created["id"].as_i64().unwrap();

    let got = receiver.wait_for(1).await;
    let delivery = &got[0];
    let timestamp = delivery.header("x-zendesk-webhook-signature-timestamp");
    let signature = delivery.header("x-zendesk-webhook-signature");
    assert_eq!(
        signature,
        webhook_signature::sign(&secret, timestamp, delivery.body.as_bytes()),
        "signed with the webhook's signing secret"
    );
    assert_ne!(
        signature,
        webhook_signature::sign("another secret", timestamp, delivery.body.as_bytes())
    );
    assert_eq!(delivery.header("x-zendesk-webhook-id"), id);
    assert_eq!(delivery.header("authorization"), "Bearer receiver-token");
    assert!(!delivery.header("x-zendesk-account-id").is_empty());
    let invocation_id = delivery
        .header("x-zendesk-webhook-invocation-id")
        .to_string();
    assert_eq!(invocation_id.len(), 26, "{invocation_id}");
    let body = delivery.json();
    assert_eq!(body["type"], "zen:event-type:ticket.created");
    assert_eq!(body["subject"], format!("zen:ticket:{ticket_id}"));
    assert_eq!(body["detail"]["id"], ticket_id.to_string());
    assert!(body["zendesk_event_version"].is_string() && body["time"].is_string());

    let logged = invocations(&sb, id, 1).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["id"], invocation_id.as_str());
    assert_eq!(logged[0]["status"], "success");
    assert_eq!(logged[0]["status_code"], 200);
    // The log keeps the request without the authentication's secret.
    let tries = attempts(&sb, id, &invocation_id).await;
    assert_eq!(tries.len(), 1);
    let text = tries[0].to_string();
    assert!(!text.contains("receiver-token"), "{text}");

    // A ticket update is not a created event: nothing more reaches this webhook.
    let updated = sb
        .put(
            &format!("/api/v2/tickets/{ticket_id}.json"),
            json!({"ticket": {"status": "open"}}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.received().len(), 1);
    sb.state.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_503_with_retry_after_one_second_is_tried_again_and_both_attempts_are_logged() {
    let sb = sandbox().await;
    let receiver = Receiver::start(&[(503, Some("1"))]).await;
    let webhook = create_webhook(
        &sb,
        json!({"name": "Busy", "endpoint": receiver.url, "http_method": "POST",
               "request_format": "json", "status": "active",
               "subscriptions": ["zen:event-type:ticket.created"]}),
    )
    .await;
    let id = webhook["id"].as_str().unwrap();
    ticket(&sb, json!({"subject": "Busy", "comment": {"body": "x"}})).await;
    let got = receiver.wait_for(2).await;
    let invocation = got[0].header("x-zendesk-webhook-invocation-id");
    assert_eq!(
        got[1].header("x-zendesk-webhook-invocation-id"),
        invocation,
        "the retry is the same invocation"
    );
    assert_eq!(got[0].body, got[1].body);
    // The receiver answers before the sandbox records its answer: wait for both attempts to be
    // logged (with a 503 logged alone, the invocation reads "failed" for that moment).
    let mut tries = attempts(&sb, id, invocation).await;
    for _ in 0..400 {
        if tries.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        tries = attempts(&sb, id, invocation).await;
    }
    let logged = invocations(&sb, id, 1).await;
    assert_eq!(logged[0]["status"], "success");
    let codes: Vec<&Value> = tries.iter().map(|a| &a["status_code"]).collect();
    assert_eq!(codes, [&json!(503), &json!(200)]);
    // Nothing more: a success ends it.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.received().len(), 2);
    sb.state.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_endpoint_off_this_machine_is_refused_and_logged_saying_why() {
    let sb = sandbox().await;
    // 192.0.2.1 is TEST-NET-1: never routed, and not loopback.
    let webhook = create_webhook(
        &sb,
        json!({"name": "Outside", "endpoint": "http://192.0.2.1/hooks", "http_method": "POST",
               "request_format": "json", "status": "active",
               "subscriptions": ["zen:event-type:ticket.created"]}),
    )
    .await;
    let id = webhook["id"].as_str().unwrap();
    ticket(&sb, json!({"subject": "Outside", "comment": {"body": "x"}})).await;
    let logged = invocations(&sb, id, 1).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0]["status"], "failed");
    let tries = attempts(&sb, id, logged[0]["id"].as_str().unwrap()).await;
    assert_eq!(tries.len(), 1, "a refusal is not tried again: {tries:?}");
    let why = tries[0]["response"]["payload"].as_str().unwrap();
    assert!(
        why.contains("192.0.2.1") && why.contains("--webhook-allow-host"),
        "{why}"
    );
    // The invocation filter finds it among the failed ones, not among the successes.
    let failed = sb
        .get(&format!(
            "/api/v2/webhooks/{id}/invocations?filter[status]=failed"
        ))
        .await;
    assert_eq!(failed.body["invocations"].as_array().unwrap().len(), 1);
    let succeeded = sb
        .get(&format!(
            "/api/v2/webhooks/{id}/invocations?filter[status]=success"
        ))
        .await;
    assert_eq!(succeeded.body["invocations"], json!([]));
    sb.state.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn each_subscribed_ticket_event_is_delivered() {
    let sb = sandbox().await;
    let receiver = Receiver::start(&[]).await;
    let events = [
        "status_changed",
        "priority_changed",
        "tags_changed",
        "comment_added",
        "group_assignment_changed",
        "agent_assignment_changed",
        "merged",
        "soft_deleted",
    ];
    let subscriptions: Vec<String> = events
        .iter()
        .map(|e| format!("zen:event-type:ticket.{e}"))
        .collect();
    create_webhook(
        &sb,
        json!({"name": "Everything", "endpoint": receiver.url, "http_method": "POST",
               "request_format": "json", "status": "active", "subscriptions": subscriptions}),
    )
    .await;
    let me = sb.get("/api/v2/users/me.json").await.body["user"]["id"].clone();
    let group = sb
        .post("/api/v2/groups.json", json!({"group": {"name": "Tier 2"}}))
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.text);
    let group_id = group.body["group"]["id"].clone();
    // Zendesk assigns a ticket only to an agent of its group.
    let membership = sb
        .post(
            "/api/v2/group_memberships.json",
            json!({"group_membership": {"user_id": me, "group_id": group_id}}),
        )
        .await;
    assert_eq!(
        membership.status,
        StatusCode::CREATED,
        "{}",
        membership.text
    );
    let first = ticket(&sb, json!({"subject": "One", "comment": {"body": "x"}})).await;
    let id = first["id"].as_i64().unwrap();
    let updated = sb
        .put(
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"status": "open", "priority": "high", "tags": ["vip"],
                   "group_id": group_id, "assignee_id": me,
                   "comment": {"body": "On it", "public": true}}}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.text);
    let second = ticket(&sb, json!({"subject": "Two", "comment": {"body": "y"}})).await;
    let merged = sb
        .post(
            &format!("/api/v2/tickets/{id}/merge.json"),
            json!({"ids": [second["id"]]}),
        )
        .await;
    assert!(merged.status.is_success(), "{}", merged.text);
    let third = ticket(&sb, json!({"subject": "Three", "comment": {"body": "z"}})).await;
    let deleted = sb
        .delete(&format!("/api/v2/tickets/{}.json", third["id"]))
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.text);

    // The update sets off six, the merge at least a merged, the delete a soft delete.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let types: Vec<String> = receiver
            .received()
            .iter()
            .map(|r| r.json()["type"].as_str().unwrap_or_default().to_string())
            .collect();
        let missing: Vec<&&str> = events
            .iter()
            .filter(|e| !types.contains(&format!("zen:event-type:ticket.{e}")))
            .collect();
        if missing.is_empty() {
            assert!(
                !types.iter().any(|t| t.ends_with("ticket.created")),
                "not subscribed to created: {types:?}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never delivered {missing:?}; got {types:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let received = receiver.received();
    let of = |kind: &str| {
        received
            .iter()
            .map(Received::json)
            .find(|b| b["type"] == format!("zen:event-type:ticket.{kind}"))
            .unwrap()
    };
    assert_eq!(of("status_changed")["event"]["current"], "OPEN");
    assert_eq!(
        of("merged")["subject"],
        format!("zen:ticket:{}", second["id"])
    );
    assert_eq!(
        of("soft_deleted")["subject"],
        format!("zen:ticket:{}", third["id"])
    );
    sb.state.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_request_is_sent_now_and_answered_with_what_the_endpoint_said() {
    let sb = sandbox().await;
    let receiver = Receiver::start(&[(418, None)]).await;
    let reply = sb
        .post(
            "/api/v2/webhooks/test",
            json!({"request": {"endpoint": receiver.url, "http_method": "POST",
                   "request_format": "json", "payload": "{\"hello\":\"world\"}",
                   "headers": [{"key": "X-Probe", "value": "1"}]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["response"]["status_code"], 418, "{}", reply.text);
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, "{\"hello\":\"world\"}");
    assert_eq!(got[0].header("x-probe"), "1");
    // Refused off this machine, saying why, before anything is sent.
    let outside = sb
        .post(
            "/api/v2/webhooks/test",
            json!({"request": {"endpoint": "http://192.0.2.1/x", "http_method": "POST",
                   "request_format": "json"}}),
        )
        .await;
    assert!(
        outside.text.contains("--webhook-allow-host"),
        "{}",
        outside.text
    );
    sb.state.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_sandboxes_on_one_postgres_database_send_each_delivery_once() {
    let url = zendesk_sandbox::test_db_url();
    if !url.starts_with("postgres") {
        println!(
            "skipped: two processes share a queue only on PostgreSQL; set ZD_TEST_DATABASE_URL to run this"
        );
        return;
    }
    let config = zendesk_sandbox::Config {
        db_url: url,
        ..zendesk_sandbox::Config::in_memory(common::ADMIN_TOKEN)
    };
    let first = common::sandbox_with(config.clone()).await;
    let second = common::sandbox_with(config).await;
    let receiver = Receiver::start(&[]).await;
    create_webhook(
        &first,
        json!({"name": "Shared", "endpoint": receiver.url, "http_method": "POST",
               "request_format": "json", "status": "active",
               "subscriptions": ["zen:event-type:ticket.created"]}),
    )
    .await;
    const TICKETS: usize = 40;
    for n in 0..TICKETS {
        let sb = if n % 2 == 0 { &first } else { &second };
        ticket(
            sb,
            json!({"subject": format!("Shared {n}"), "comment": {"body": "x"}}),
        )
        .await;
    }
    receiver.wait_for(TICKETS).await;
    // Long enough for a second sender of any of them to have sent it too.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let received = receiver.received();
    let mut invocations: Vec<&str> = received
        .iter()
        .map(|r| r.header("x-zendesk-webhook-invocation-id"))
        .collect();
    invocations.sort_unstable();
    invocations.dedup();
    assert_eq!(invocations.len(), TICKETS);
    assert_eq!(received.len(), TICKETS, "a delivery was sent twice");
    first.state.close().await.unwrap();
    second.state.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trigger_on_urgent_creates_calls_its_webhook_signed_with_placeholders_rendered() {
    let sb = sandbox().await;
    let receiver = Receiver::start(&[]).await;
    let webhook = create_webhook(
        &sb,
        json!({"name": "Pager", "endpoint": receiver.url, "http_method": "POST",
               "request_format": "json", "status": "active",
               "subscriptions": ["conditional_ticket_events"]}),
    )
    .await;
    let webhook_id = webhook["id"].as_str().unwrap();
    let secret = signing_secret(&sb, webhook_id).await;
    let body = r#"{"ticket": "{{ticket.id}}", "title": "{{ticket.title}}", "priority": "{{ticket.priority}}"}"#;
    let trigger = sb
        .post(
            "/api/v2/triggers.json",
            json!({"trigger": {"title": "Page on-call for urgent tickets",
                   "conditions": {"all": [
                       {"field": "update_type", "operator": "is", "value": "Create"},
                       {"field": "priority", "operator": "is", "value": "urgent"}], "any": []},
                   "actions": [
                       {"field": "current_tags", "value": "paged"},
                       {"field": "notification_webhook", "value": [webhook_id, body]}]}}),
        )
        .await;
    assert_eq!(trigger.status, StatusCode::CREATED, "{}", trigger.text);
    let trigger_id = trigger.body["trigger"]["id"].as_i64().unwrap();

    // A normal ticket sets nothing off; an urgent one calls the webhook once.
    ticket(
        &sb,
        json!({"subject": "Slow printer", "comment": {"body": "meh"}}),
    )
    .await;
    let urgent = ticket(
        &sb,
        json!({"subject": "Checkout is down", "priority": "urgent", "comment": {"body": "500s"}}),
    )
    .await;
    let ticket_id = urgent["id"].as_i64().unwrap();
    assert!(
        urgent["tags"].as_array().unwrap().contains(&json!("paged")),
        "the trigger's tag action is applied in the same write: {}",
        urgent["tags"]
    );

    let got = receiver.wait_for(1).await;
    let delivery = &got[0];
    let timestamp = delivery.header("x-zendesk-webhook-signature-timestamp");
    assert_eq!(
        delivery.header("x-zendesk-webhook-signature"),
        webhook_signature::sign(&secret, timestamp, delivery.body.as_bytes()),
        "signed with the webhook's signing secret"
    );
    let rendered = delivery.json();
    assert_eq!(rendered["ticket"], ticket_id.to_string(), "{rendered}");
    assert_eq!(rendered["title"], "Checkout is down", "{rendered}");
    assert!(
        rendered["priority"] == "Urgent" || rendered["priority"] == "urgent",
        "{rendered}"
    );

    // The audit of the create names the trigger as the source of its change.
    let audits = sb
        .get(&format!("/api/v2/tickets/{ticket_id}/audits.json"))
        .await;
    assert_eq!(audits.status, StatusCode::OK, "{}", audits.text);
    let text = audits.body.to_string();
    let by_trigger = audits.body["audits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|audit| audit["events"].as_array().cloned().unwrap_or_default())
        .any(|event| {
            event["via"]["channel"] == "rule"
                && event["via"]["source"]["rel"] == "trigger"
                && event["via"]["source"]["from"]["id"] == trigger_id
                && event["via"]["source"]["from"]["title"] == "Page on-call for urgent tickets"
        });
    assert!(by_trigger, "an audit event names the trigger: {text}");
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert_eq!(receiver.received().len(), 1, "only the urgent ticket paged");
    sb.state.close().await.unwrap();
}
