//! Webhooks on the wire: ULID string IDs, the list filters, create and the 204 answers of
//! update, patch (a JSON merge patch) and delete, the signing secret, the test request, and
//! invocations with their attempts.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};
use zendesk::types::{
    WebhookHttpMethod, WebhookId, WebhookInvocationId, WebhookRequestFormat, WebhookStatus,
};

use crate::common;

const ID: &str = "01HANAN7NVBM93Z21ZGCXESV8X";

fn webhook(id: &str, name: &str) -> Value {
    json!({
        "id": id,
        "name": name,
        "status": "active",
        "endpoint": "https://example.com/zendesk",
        "http_method": "POST",
        "request_format": "json",
        "subscriptions": ["zen:event-type:ticket.created"],
        "authentication": {"type": "bearer_token", "add_position": "header"},
        "created_at": "2024-03-01T10:00:00Z",
        "created_by": "1900000001"
    })
}

#[tokio::test]
async fn webhooks_are_listed_created_changed_and_deleted() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/webhooks"))
        .and(query_param("filter[name_contains]", "on-call"))
        .and(query_param("filter[status]", "active"))
        .and(query_param("page[size]", "2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(common::cursor_page(
                "webhooks",
                vec![webhook(ID, "On-call pager")],
                false,
                Some("c1"),
                None,
            )),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/webhooks/{ID}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"webhook": webhook(ID, "On-call pager")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let new_webhook = json!({
        "name": "On-call pager",
        "endpoint": "https://example.com/zendesk",
        "http_method": "POST",
        "request_format": "json",
        "status": "active",
        "subscriptions": ["zen:event-type:ticket.created"]
    });
    Mock::given(method("POST"))
        .and(path("/api/v2/webhooks"))
        .and(body_json(json!({"webhook": new_webhook})))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"webhook": webhook(ID, "On-call pager")})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/api/v2/webhooks/{ID}")))
        .and(body_json(json!({"webhook": new_webhook})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v2/webhooks/{ID}")))
        .and(header("content-type", "application/merge-patch+json"))
        .and(body_json(json!({"webhook": {"status": "inactive"}})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v2/webhooks/{ID}")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let client = common::client(&server);
    let webhooks = client.webhooks();
    let listed = webhooks
        .list()
        .name_contains(" on-call ")
        .with_status(&WebhookStatus::Active)
        .per_page(2)
        .send()
        .await
        .expect("list");
    assert_eq!(listed.items[0].id, WebhookId(ID.into()));
    let id: WebhookId = ID.parse().expect("a ULID is a webhook ID");
    let shown = webhooks.show(&id).await.expect("show");
    assert_eq!(shown.http_method, Some(WebhookHttpMethod::Post));
    assert_eq!(shown.request_format, Some(WebhookRequestFormat::Json));
    assert!(!shown.is_conditional());
    let created = webhooks.create(&new_webhook).await.expect("create");
    assert_eq!(created.id, id);
    webhooks
        .update(&id, &new_webhook)
        .await
        .expect("update answers 204");
    webhooks
        .patch(&id, &json!({"status": "inactive"}))
        .await
        .expect("patch answers 204");
    webhooks.delete(&id).await.expect("delete");
    assert!("01HANAN7/../x".parse::<WebhookId>().is_err());
}

#[tokio::test]
async fn the_signing_secret_the_test_and_the_delivery_log() {
    let server = common::server().await;
    let secret_path = format!("/api/v2/webhooks/{ID}/signing_secret");
    Mock::given(method("GET"))
        .and(path(secret_path.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"signing_secret": {"secret": "dGhlIG9sZCBzZWNyZXQ=", "algorithm": "SHA256"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(secret_path.as_str()))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({"signing_secret": {"secret": "dGhlIG5ldyBzZWNyZXQ=", "algorithm": "SHA256"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let test_request = json!({
        "endpoint": "https://example.com/zendesk",
        "http_method": "POST",
        "request_format": "json",
        "payload": "{\"message\": \"hello\"}",
        "headers": [{"key": "X-Source", "value": "zd"}]
    });
    Mock::given(method("POST"))
        .and(path("/api/v2/webhooks/test"))
        .and(query_param("webhook_id", ID))
        .and(body_json(json!({"request": test_request})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"response": {
                "headers": [{"key": "Content-Type", "value": "application/json"}],
                "payload": "{\"ok\": true}",
                "status_code": 200
            }})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/webhooks/{ID}/invocations")))
        .and(query_param("filter[status]", "failed"))
        .and(query_param("filter[from_ts]", "2024-03-01T00:00:00Z"))
        .and(query_param("sort", "-latest_completed_at"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(common::cursor_page(
                "invocations",
                vec![
                    json!({"id": "8350205582", "status": "failed", "status_code": 503,
                        "latest_completed_at": "2024-03-01T10:00:02Z"}),
                ],
                false,
                None,
                None,
            )),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/webhooks/{ID}/invocations/8350205582/attempts")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"attempts": [
            {"id": "1", "invocation_id": "8350205582", "status": "failed", "status_code": 503,
             "completed_at": "2024-03-01T10:00:01Z",
             "request": {"headers": [{"key": "X-Zendesk-Webhook-Id", "value": ID}], "payload": "{}"},
             "response": {"headers": [{"key": "Retry-After", "value": "1"}], "payload": ""}},
            {"id": "2", "invocation_id": "8350205582", "status": "failed", "status_code": 503,
             "completed_at": "2024-03-01T10:00:02Z"}
        ]})))
        .expect(1)
        .mount(&server)
        .await;

    let client = common::client(&server);
    let webhooks = client.webhooks();
    let id = WebhookId(ID.into());
    let secret = webhooks.signing_secret(&id).await.expect("secret");
    assert_eq!(secret.secret(), "dGhlIG9sZCBzZWNyZXQ=");
    assert!(!format!("{secret:?}").contains("dGhlIG9sZCBzZWNyZXQ="));
    let reset = webhooks.reset_signing_secret(&id).await.expect("reset");
    assert_eq!(reset.secret(), "dGhlIG5ldyBzZWNyZXQ=");

    let tested = webhooks.test(&test_request, Some(&id)).await.expect("test");
    assert_eq!(tested.status(), Some(200));

    let invocations = webhooks
        .invocations(&id)
        .with_outcome("failed")
        .invoked_between(Some("2024-03-01T00:00:00Z"), None)
        .latest_first()
        .send()
        .await
        .expect("invocations");
    let invocation = &invocations.items[0];
    assert_eq!(invocation.id, WebhookInvocationId("8350205582".into()));
    assert_eq!(invocation.status_code, Some(503));
    let attempts = webhooks
        .attempts(&id, &invocation.id)
        .await
        .expect("attempts");
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        attempts[0].response.as_ref().unwrap()["headers"][0]["key"],
        "Retry-After"
    );
}
