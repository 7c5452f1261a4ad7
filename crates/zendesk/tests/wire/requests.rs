//! Requests as values: a handler method builds a request that can be read (method, path,
//! query, body) before anything is sent; a detached one (no client) is the same request, sent
//! later with any client; a refused one reports why on `check()` and never reaches the wire.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};
use zendesk::types::{TicketId, UserId};
use zendesk::{Detached, Error, MergeTickets, Method, Paging};

use crate::common;

fn query(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn a_handler_request_shows_what_it_will_send_and_is_sent_by_await() {
    let server = common::server().await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/update_many"))
        .and(query_param("ids", "1,2"))
        .and(body_json(json!({"ticket": {"status": "solved"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::job("j9", "queued", None)))
        .expect(1)
        .mount(&server)
        .await;
    let client = common::client(&server);
    let request = client
        .tickets()
        .update_many(&[TicketId(1), TicketId(2)], &json!({"status": "solved"}));
    assert_eq!(request.method(), Method::PUT);
    assert_eq!(request.path(), "/tickets/update_many");
    assert_eq!(query(request.query()), [("ids", "1,2")]);
    assert_eq!(
        request.body(),
        Some(&json!({"ticket": {"status": "solved"}}))
    );
    assert!(request.check().is_ok());
    let job = request.await.expect("sent");
    assert_eq!(job.id.as_str(), "j9");
}

#[tokio::test]
async fn a_detached_request_is_the_same_request_sent_with_any_client() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/5"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"user": common::user(5)})))
        .expect(2)
        .mount(&server)
        .await;
    let client = common::client(&server);
    let detached = Detached.users().show(UserId(5));
    let bound = client.users().show(UserId(5));
    assert_eq!(detached.method(), bound.method());
    assert_eq!(detached.path(), bound.path());
    assert_eq!(detached.path(), "/users/5");

    let user = detached.clone().send_with(&client).await.expect("typed");
    assert_eq!(user.id, UserId(5));
    // `raw` keeps Zendesk's whole answer, every key as sent.
    let raw: Value = detached.raw().bind(&client).send().await.expect("raw");
    assert_eq!(raw["user"]["id"], 5);
    assert_eq!(raw["user"], common::user(5));
}

#[tokio::test]
async fn refused_requests_say_why_and_send_nothing() {
    // The server's catch-all fails the test if anything reaches it.
    let server = common::server().await;
    let client = common::client(&server);
    let merge = MergeTickets {
        ids: vec![TicketId(3), TicketId(4)],
        ..Default::default()
    };
    let refused = Detached.tickets().merge(TicketId(3), &merge);
    let Err(Error::InvalidRequest(message)) = refused.check() else {
        panic!("the target among the sources is refused");
    };
    assert!(message.contains("target ticket 3"), "{message}");
    let error = refused.send_with(&client).await.expect_err("not sent");
    assert!(matches!(error, Error::InvalidRequest(_)), "{error:?}");

    let ids: Vec<TicketId> = (1..=101).map(TicketId).collect();
    let error = client.tickets().show_many(&ids).await.expect_err("101 ids");
    assert!(error.to_string().contains("at most 100"), "{error}");
    assert!(Detached.search().count(" ").check().is_err());
    assert!(Detached.tickets().list(Some("priority")).check().is_err());
}

#[tokio::test]
async fn a_list_shows_the_request_of_the_page_it_starts_at() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/search"))
        .and(query_param("query", "jane"))
        .and(query_param("per_page", "2"))
        .and(query_param("page", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [common::user(7)], "next_page": null, "previous_page": null, "count": 5
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = common::client(&server);
    let list = Detached
        .users()
        .search(Some("jane"), None)
        .per_page(2)
        .page(3);
    assert_eq!(list.paging(), Paging::Offset);
    let first = list.request();
    assert_eq!(first.method(), Method::GET);
    assert_eq!(first.path(), "/users/search");
    assert_eq!(
        query(first.query()),
        [("query", "jane"), ("per_page", "2"), ("page", "3")]
    );
    // Raw records: Zendesk's JSON for each user, paging read the same way as typed pages.
    let page = list.raw().bind(&client).send().await.expect("page");
    assert_eq!(page.items, vec![common::user(7)]);
    assert!(!page.has_more);
    assert_eq!(page.count, Some(5));
}
