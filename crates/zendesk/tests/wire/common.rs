//! Shared test helpers: a mock server with a catch-all that fails on unexpected requests, and
//! clients with fast retry timings.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};
use zendesk::{Auth, Client, ClientBuilder, RetryPolicy};

pub const EMAIL: &str = "agent@example.com";
pub const SECRET: &str = "s3cr3t-T0KEN-value";

/// A mock server whose unmatched requests fail the test when the server is dropped.
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .named("catch-all: no request beyond the expected ones")
        .expect(0)
        .mount(&server)
        .await;
    server
}

/// Retry timings short enough for tests.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    }
}

pub fn builder(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .auth(Auth::api_token(EMAIL, SECRET))
        .retry_policy(fast_policy())
}

pub fn client(server: &MockServer) -> Client {
    builder(server).build().expect("test client builds")
}

pub fn ticket(id: u64) -> Value {
    json!({
        "url": format!("https://example.zendesk.com/api/v2/tickets/{id}.json"),
        "id": id,
        "subject": format!("Printer on fire #{id}"),
        "status": "open",
        "priority": "high",
        "type": "incident",
        "requester_id": 9001,
        "tags": ["printer"],
        "custom_fields": [],
        "created_at": "2024-03-01T10:00:00Z",
        "updated_at": "2024-03-02T11:30:00Z"
    })
}

pub fn user(id: u64) -> Value {
    json!({"id": id, "name": format!("User {id}"), "email": format!("u{id}@example.com"),
           "role": "end-user", "active": true, "verified": false, "tags": [], "user_fields": {}})
}

pub fn organization(id: u64) -> Value {
    json!({"id": id, "name": format!("Org {id}"), "domain_names": [], "tags": [],
           "organization_fields": {}, "shared_tickets": false, "shared_comments": false})
}

pub fn job(id: &str, status: &str, progress: Option<u64>) -> Value {
    json!({"job_status": {
        "id": id,
        "url": format!("https://example.zendesk.com/api/v2/job_statuses/{id}.json"),
        "total": 2,
        "progress": progress,
        "status": status,
        "message": null,
        "results": if status == "completed" {
            json!([{"index": 0, "id": 501}, {"index": 1, "id": 502}])
        } else { Value::Null }
    }})
}

/// A cursor page body for `key`.
pub fn cursor_page(
    key: &str,
    items: Vec<Value>,
    has_more: bool,
    after: Option<&str>,
    next_link: Option<&str>,
) -> Value {
    json!({
        key: items,
        "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": "before"},
        "links": {"prev": "https://example.zendesk.com/api/v2/x?page%5Bbefore%5D=before",
                  "next": next_link}
    })
}
