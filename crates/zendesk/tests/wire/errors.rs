//! Every Zendesk error envelope surfaces Zendesk's own words, codes, details and request IDs;
//! decode errors name the field.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zendesk::{Error, NO_QUERY};

use crate::common;

async fn answer(server: &MockServer, body: ResponseTemplate) -> Error {
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/5"))
        .respond_with(body)
        .expect(1)
        .mount(server)
        .await;
    common::client(server)
        .get_json("/tickets/5", NO_QUERY)
        .await
        .expect_err("an error answer")
}

fn assert_no_object_object(text: &str) {
    assert!(!text.contains("[object Object]"), "{text}");
    assert!(
        !text.contains("{\""),
        "raw JSON leaked into the message: {text}"
    );
}

#[tokio::test]
async fn code_and_description_with_request_id() {
    let server = common::server().await;
    let err = answer(
        &server,
        ResponseTemplate::new(404)
            .insert_header("x-request-id", "req-123")
            .set_body_json(json!({"error": "RecordNotFound", "description": "Not found"})),
    )
    .await;
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("RecordNotFound"));
    assert!(!err.is_retryable());
    let api = err.as_api().expect("api error");
    assert_eq!(api.request_id.as_deref(), Some("req-123"));
    assert_eq!(api.description(), Some("Not found"));
    let text = err.to_string();
    assert!(
        text.contains("404") && text.contains("RecordNotFound") && text.contains("Not found"),
        "{text}"
    );
    assert!(
        text.contains("req-123") && text.contains("/tickets/5"),
        "{text}"
    );
    assert_no_object_object(&text);
}

#[tokio::test]
async fn details_are_spelled_out() {
    let server = common::server().await;
    let err = answer(
        &server,
        ResponseTemplate::new(422)
            .insert_header("x-zendesk-request-id", "zreq-9")
            .set_body_json(json!({
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"email": [{"description": "Email: x@y is already being used by another user", "error": "DuplicateValue"}]}
            })),
    )
    .await;
    assert_eq!(err.code(), Some("RecordInvalid"));
    let api = err.as_api().expect("api error");
    assert_eq!(api.request_id.as_deref(), Some("zreq-9"));
    assert!(api.details().is_some());
    assert_eq!(
        api.detail_lines(),
        ["email: Email: x@y is already being used by another user (DuplicateValue)"]
    );
    let text = err.to_string();
    assert!(
        text.contains("Email: x@y is already being used by another user"),
        "{text}"
    );
    assert!(
        text.contains("DuplicateValue") && text.contains("email"),
        "{text}"
    );
    assert_no_object_object(&text);
}

#[tokio::test]
async fn extra_keys_are_kept() {
    let server = common::server().await;
    let err = answer(
        &server,
        ResponseTemplate::new(400).set_body_json(json!({
            "error": "TooManyValues", "description": "Parameter  cannot specify more than 100 values", "max_count": 100
        })),
    )
    .await;
    assert_eq!(err.code(), Some("TooManyValues"));
    let text = err.to_string();
    assert!(
        text.contains("cannot specify more than 100 values") && text.contains("max_count: 100"),
        "{text}"
    );
}

#[tokio::test]
async fn object_envelope() {
    let server = common::server().await;
    let err = answer(
        &server,
        ResponseTemplate::new(400)
            .set_body_json(json!({"error": {"title": "Invalid attribute", "message": "You passed an invalid value for the status attribute"}})),
    )
    .await;
    let text = err.to_string();
    assert!(text.contains("Invalid attribute"), "{text}");
    assert!(
        text.contains("You passed an invalid value for the status attribute"),
        "{text}"
    );
    assert_no_object_object(&text);
}

#[tokio::test]
async fn array_envelope() {
    let server = common::server().await;
    let err = answer(
        &server,
        ResponseTemplate::new(400).set_body_json(
            json!({"errors": [{"code": "InvalidPaginationDepth", "title": "Offset pagination is limited to 10000 records"}]}),
        ),
    )
    .await;
    assert_eq!(err.code(), Some("InvalidPaginationDepth"));
    let text = err.to_string();
    assert!(
        text.contains("Offset pagination is limited to 10000 records"),
        "{text}"
    );
    assert_no_object_object(&text);
}

#[tokio::test]
async fn plain_text_body() {
    let server = common::server().await;
    let err = answer(
        &server,
        ResponseTemplate::new(403).set_body_string("You do not have access to this page"),
    )
    .await;
    assert_eq!(err.status(), Some(403));
    assert!(
        err.to_string()
            .contains("You do not have access to this page"),
        "{err}"
    );
}

#[tokio::test]
async fn decode_errors_name_the_field() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/5"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"ticket": {"id": 5, "tags": ["a", 7]}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = common::client(&server)
        .tickets()
        .show(5.into())
        .await
        .expect_err("bad tags");
    match &err {
        Error::Decode { field, .. } => assert_eq!(field, "ticket.tags[1]"),
        other => panic!("expected a decode error, got {other:?}"),
    }
    assert!(err.to_string().contains("ticket.tags[1]"), "{err}");
}

#[tokio::test]
async fn delete_204_is_null_and_delete_user_returns_the_user() {
    let server = common::server().await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/tickets/5"))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let mut gone = common::user(8);
    gone["active"] = Value::Bool(false);
    Mock::given(method("DELETE"))
        .and(path("/api/v2/users/8"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": gone})))
        .expect(1)
        .mount(&server)
        .await;
    let client = common::client(&server);
    assert_eq!(
        client
            .delete("/tickets/5", NO_QUERY)
            .await
            .expect("deleted"),
        Value::Null
    );
    client
        .tickets()
        .delete(5.into())
        .await
        .expect("typed delete");
    let user = client.users().delete(8.into()).await.expect("user delete");
    assert_eq!(user.id.get(), 8);
}
