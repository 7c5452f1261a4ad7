//! Macros, views, the Help Center and files on the wire: apply answers decode, uploads carry
//! the file's bytes with its own content type, an empty search is refused before sending, and
//! a file is downloaded with credentials only from the client's own Zendesk (a redirect to
//! file storage elsewhere is followed without them), at most `max_bytes` of it, retried as
//! any GET is (429 after its wait, 5xx with backoff) but never on an answer like 404.

use serde_json::json;
use wiremock::matchers::{header, header_exists, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use zendesk::types::{MacroId, TicketId, ViewId};
use zendesk::{Detached, Error};

use crate::common;

#[tokio::test]
async fn macro_preview_and_view_requests_decode() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/7/macros/30/apply"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"result": {
            "ticket": common::ticket(7),
            "comment": {"body": "Hi Wile", "public": false, "scoped_body": [["channel:all", "Hi Wile"]]}}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/views/31/count"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"view_count": {
            "view_id": 31, "value": 4, "pretty": "4", "fresh": true}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/views/31/tickets"))
        .and(query_param("page[size]", "2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(common::cursor_page(
                "tickets",
                vec![common::ticket(1), common::ticket(2)],
                false,
                None,
                None,
            )),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = common::client(&server);
    let result = client
        .macros()
        .apply_to_ticket(TicketId(7), MacroId(30))
        .await
        .unwrap();
    assert_eq!(result.ticket.id, TicketId(7));
    let comment = result.comment.unwrap();
    assert_eq!(comment.body.as_deref(), Some("Hi Wile"));
    assert_eq!(comment.public, Some(false));
    let count = client.views().count(ViewId(31)).await.unwrap();
    assert_eq!(count.value, Some(4));
    let page = client
        .views()
        .tickets(ViewId(31))
        .per_page(2)
        .send()
        .await
        .unwrap();
    assert_eq!(page.items.len(), 2);
}

#[tokio::test]
async fn refusals_send_nothing() {
    let server = common::server().await;
    let client = common::client(&server);
    let empty = client.help_center().search("  ", None).send().await;
    assert!(matches!(empty, Err(Error::InvalidRequest(m)) if m.contains("query is empty")));
    let macros = client.macros().search("").send().await;
    assert!(matches!(macros, Err(Error::InvalidRequest(_))));
    let upload = client
        .attachments()
        .upload("../etc/passwd", "text/plain", &b"x"[..], None)
        .await;
    assert!(matches!(upload, Err(Error::InvalidRequest(m)) if m.contains("no path")));
    let locale = Detached.help_center().articles(Some("en/../x"));
    assert!(locale.check().is_err());
}

#[tokio::test]
async fn uploads_send_the_file_with_its_type() {
    let server = common::server().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/uploads"))
        .and(query_param("filename", "shot one.png"))
        .and(query_param("token", "abc"))
        .and(header("content-type", "image/png"))
        .and(|request: &Request| request.body == b"\x89PNG-bytes")
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"upload": {
            "token": "abc", "attachment": {"id": 5, "file_name": "shot one.png", "content_type": "image/png", "size": 10},
            "attachments": [{"id": 5, "file_name": "shot one.png"}]}})))
        .expect(1)
        .mount(&server)
        .await;
    let request = Detached.attachments().upload(
        "shot one.png",
        "image/png",
        &b"\x89PNG-bytes"[..],
        Some("abc"),
    );
    assert_eq!(
        request.file_body(),
        Some((&b"\x89PNG-bytes"[..], "image/png"))
    );
    assert!(format!("{request:?}").contains("<10 bytes of image/png>"));
    let upload = request.send_with(&common::client(&server)).await.unwrap();
    assert_eq!(upload.token, "abc");
    assert_eq!(upload.attachments.len(), 1);
}

#[tokio::test]
async fn downloads_keep_credentials_home_and_stop_at_the_limit() {
    let server = common::server().await;
    let storage = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/attachments/token/t1"))
        .and(header_exists("authorization"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string("0123456789")
                .insert_header("content-type", "text/plain"),
        )
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/attachments/token/t2"))
        .and(header_exists("authorization"))
        .respond_with(ResponseTemplate::new(302).insert_header(
            "location",
            format!("{}/signed/file.png?sig=1", storage.uri()),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/signed/file.png"))
        .respond_with(|request: &Request| {
            if request.headers.contains_key("authorization") {
                ResponseTemplate::new(500).set_body_string("credentials leaked")
            } else {
                ResponseTemplate::new(200).set_body_bytes(b"PNG".to_vec())
            }
        })
        .expect(1)
        .mount(&storage)
        .await;
    let client = common::client(&server);
    let whole = client
        .download(
            &format!("{}/attachments/token/t1?name=a.txt", server.uri()),
            100,
        )
        .await
        .unwrap();
    assert_eq!(&whole.bytes[..], b"0123456789");
    assert!(!whole.truncated);
    assert_eq!(whole.content_type.as_deref(), Some("text/plain"));
    let cut = client
        .download(&format!("{}/attachments/token/t1", server.uri()), 4)
        .await
        .unwrap();
    assert_eq!(&cut.bytes[..], b"0123");
    assert!(cut.truncated);
    let redirected = client
        .download(&format!("{}/attachments/token/t2", server.uri()), 100)
        .await
        .unwrap();
    assert_eq!(&redirected.bytes[..], b"PNG");
    let elsewhere = client
        .download(&format!("{}/signed/file.png", storage.uri()), 100)
        .await;
    assert!(
        matches!(&elsewhere, Err(Error::InvalidRequest(m)) if m.contains("not on this Zendesk")),
        "{elsewhere:?}"
    );
}

#[tokio::test]
async fn downloads_are_retried_like_any_get() {
    let server = common::server().await;
    // A 429 (wait zero seconds), then a 503, then the file: three requests, one download.
    Mock::given(method("GET"))
        .and(path("/attachments/token/busy"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/attachments/token/busy"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/attachments/token/busy"))
        .respond_with(ResponseTemplate::new(200).set_body_string("at last"))
        .with_priority(3)
        .expect(1)
        .mount(&server)
        .await;
    // A file that is not there is reported at once: asked for exactly once.
    Mock::given(method("GET"))
        .and(path("/attachments/token/gone"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    // A server that keeps failing: as many attempts as the policy allows, then its error.
    Mock::given(method("GET"))
        .and(path("/attachments/token/down"))
        .respond_with(ResponseTemplate::new(502))
        .expect(u64::from(common::fast_policy().max_attempts))
        .mount(&server)
        .await;
    let client = common::client(&server);
    let busy = client
        .download(&format!("{}/attachments/token/busy", server.uri()), 100)
        .await
        .unwrap();
    assert_eq!(&busy.bytes[..], b"at last");
    let gone = client
        .download(&format!("{}/attachments/token/gone", server.uri()), 100)
        .await;
    assert_eq!(
        gone.as_ref().err().and_then(Error::status),
        Some(404),
        "{gone:?}"
    );
    let down = client
        .download(&format!("{}/attachments/token/down", server.uri()), 100)
        .await;
    assert_eq!(
        down.as_ref().err().and_then(Error::status),
        Some(502),
        "{down:?}"
    );
}
