//! Paging edge cases: has_more false with links.next present, empty last page, repeated
//! cursor, missing cursor, offset next_page, a 429 mid-stream, resuming, the search cap.

use futures_util::{StreamExt, TryStreamExt};
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zendesk::{Error, NextPage};

use crate::common::{self, cursor_page};

async fn mount_page(server: &MockServer, after: Option<&str>, body: serde_json::Value) {
    let mock = Mock::given(method("GET")).and(path("/api/v2/tickets"));
    let mock = match after {
        Some(cursor) => mock.and(query_param("page[after]", cursor)),
        None => mock.and(query_param_is_missing("page[after]")),
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

fn ids(tickets: &[zendesk_types::Ticket]) -> Vec<u64> {
    tickets.iter().map(|t| t.id.get()).collect()
}

#[tokio::test]
async fn stops_on_has_more_false_even_with_links_next() {
    let server = common::server().await;
    let next =
        "https://example.zendesk.com/api/v2/tickets.json?page%5Bafter%5D=c2&page%5Bsize%5D=2";
    mount_page(
        &server,
        None,
        cursor_page(
            "tickets",
            vec![common::ticket(1), common::ticket(2)],
            true,
            Some("c1"),
            Some(next),
        ),
    )
    .await;
    mount_page(
        &server,
        Some("c1"),
        cursor_page(
            "tickets",
            vec![common::ticket(3)],
            false,
            Some("c2"),
            Some(next),
        ),
    )
    .await;
    let client = common::client(&server);
    let all: Vec<_> = client
        .tickets()
        .list(None)
        .per_page(2)
        .items()
        .try_collect()
        .await
        .expect("two pages");
    assert_eq!(ids(&all), [1, 2, 3]);
}

#[tokio::test]
async fn page_fields_follow_the_spec() {
    let server = common::server().await;
    let next = "https://example.zendesk.com/api/v2/tickets.json?page%5Bafter%5D=c2";
    mount_page(
        &server,
        None,
        cursor_page(
            "tickets",
            vec![common::ticket(1)],
            true,
            Some("c1"),
            Some(next),
        ),
    )
    .await;
    mount_page(
        &server,
        Some("c1"),
        cursor_page(
            "tickets",
            vec![common::ticket(2)],
            false,
            Some("c2"),
            Some(next),
        ),
    )
    .await;
    let client = common::client(&server);
    let mut pages = client.tickets().list(None).pages();
    let first = pages.next_page().await.expect("ok").expect("a page");
    assert!(first.has_more);
    assert_eq!(first.after_cursor.as_deref(), Some("c1"));
    assert_eq!(first.next_page.as_deref(), Some(next));
    assert_eq!(first.next, Some(NextPage::Cursor("c1".into())));
    let last = pages.next_page().await.expect("ok").expect("a page");
    assert!(!last.has_more);
    assert_eq!(
        last.next_page, None,
        "links.next is dropped when has_more is false"
    );
    assert_eq!(last.next, None);
    assert!(pages.is_finished());
    assert!(pages.next_page().await.expect("ok").is_none());
}

#[tokio::test]
async fn an_empty_last_page_ends_paging() {
    let server = common::server().await;
    mount_page(
        &server,
        None,
        cursor_page("tickets", vec![common::ticket(1)], true, Some("c1"), None),
    )
    .await;
    mount_page(&server, Some("c1"), json!({"tickets": [], "meta": {"has_more": false, "after_cursor": null, "before_cursor": null}, "links": {"prev": null, "next": null}})).await;
    let all: Vec<_> = common::client(&server)
        .tickets()
        .list(None)
        .items()
        .try_collect()
        .await
        .expect("ok");
    assert_eq!(ids(&all), [1]);
}

#[tokio::test]
async fn has_more_without_a_cursor_ends_paging() {
    let server = common::server().await;
    mount_page(
        &server,
        None,
        cursor_page("tickets", vec![common::ticket(1)], true, None, None),
    )
    .await;
    let all: Vec<_> = common::client(&server)
        .tickets()
        .list(None)
        .items()
        .try_collect()
        .await
        .expect("ok");
    assert_eq!(ids(&all), [1]);
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error_not_a_loop() {
    let server = common::server().await;
    mount_page(
        &server,
        None,
        cursor_page("tickets", vec![common::ticket(1)], true, Some("c1"), None),
    )
    .await;
    mount_page(
        &server,
        Some("c1"),
        cursor_page("tickets", vec![common::ticket(2)], true, Some("c1"), None),
    )
    .await;
    let results: Vec<_> = common::client(&server)
        .tickets()
        .list(None)
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 2, "{results:?}");
    assert_eq!(results[0].as_ref().map(|t| t.id.get()).ok(), Some(1));
    match &results[1] {
        Err(Error::Paging { message, .. }) => assert!(message.contains("c1"), "{message}"),
        other => panic!("expected a paging error, got {other:?}"),
    }
}

#[tokio::test]
async fn offset_paging_takes_only_the_page_number_from_next_page() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/search"))
        .and(query_param("query", "role:agent"))
        .and(query_param("per_page", "2"))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [common::user(1), common::user(2)],
            "next_page": "https://elsewhere.example.com/api/v2/users/search.json?page=2&per_page=2&query=role%3Aagent",
            "previous_page": null,
            "count": 3
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users/search"))
        .and(query_param("query", "role:agent"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [common::user(3)], "next_page": null,
            "previous_page": "https://example.zendesk.com/api/v2/users/search.json?page=1", "count": 3
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = common::client(&server);
    let mut pages = client
        .users()
        .search(Some("role:agent"), None)
        .per_page(2)
        .pages();
    let first = pages.next_page().await.expect("ok").expect("page");
    assert!(first.has_more);
    assert_eq!(first.count, Some(3));
    assert_eq!(first.after_cursor, None);
    assert_eq!(first.next, Some(NextPage::Offset(2)));
    let second = pages.next_page().await.expect("ok").expect("page");
    assert!(!second.has_more);
    assert_eq!(second.items[0].id.get(), 3);
    assert!(pages.next_page().await.expect("ok").is_none());
}

#[tokio::test]
async fn a_429_mid_stream_is_retried_without_losing_pages() {
    let server = common::server().await;
    mount_page(
        &server,
        None,
        cursor_page("tickets", vec![common::ticket(1)], true, Some("c1"), None),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets"))
        .and(query_param("page[after]", "c1"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_page(
        &server,
        Some("c1"),
        cursor_page("tickets", vec![common::ticket(2)], false, None, None),
    )
    .await;
    let all: Vec<_> = common::client(&server)
        .tickets()
        .list(None)
        .items()
        .try_collect()
        .await
        .expect("ok");
    assert_eq!(ids(&all), [1, 2]);
}

#[tokio::test]
async fn a_walker_resumes_after_a_rate_limit_error() {
    let server = common::server().await;
    mount_page(
        &server,
        None,
        cursor_page("tickets", vec![common::ticket(1)], true, Some("c1"), None),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets"))
        .and(query_param("page[after]", "c1"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "7"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_page(
        &server,
        Some("c1"),
        cursor_page("tickets", vec![common::ticket(2)], false, None, None),
    )
    .await;
    let client = common::builder(&server)
        .fail_fast_on_rate_limit(true)
        .build()
        .expect("builds");
    let mut pages = client.tickets().list(None).pages();
    let first = pages.next_page().await.expect("ok").expect("page");
    assert_eq!(ids(&first.items), [1]);
    let err = pages.next_page().await.expect_err("rate limited");
    assert_eq!(err.retry_after(), Some(std::time::Duration::from_secs(7)));
    let second = pages.next_page().await.expect("resumed").expect("page");
    assert_eq!(ids(&second.items), [2]);
}

#[tokio::test]
async fn search_stops_at_the_result_cap_with_a_clear_error() {
    let server = common::server().await;
    let result = |id: u64| {
        let mut t = common::ticket(id);
        t["result_type"] = json!("ticket");
        t
    };
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .and(query_param("query", "status:open"))
        .and(query_param("page", "10"))
        .and(query_param("per_page", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [result(1), result(2)], "facets": null,
            "next_page": "https://example.zendesk.com/api/v2/search.json?page=11&per_page=100&query=status%3Aopen",
            "previous_page": null, "count": 1500
        })))
        .expect(1)
        .mount(&server)
        .await;
    let results: Vec<_> = common::client(&server)
        .search()
        .search("status:open")
        .per_page(100)
        .page(10)
        .items()
        .collect()
        .await;
    assert_eq!(results.len(), 3, "{results:?}");
    assert_eq!(
        results[0]
            .as_ref()
            .map(|r| r.result_type().to_owned())
            .ok()
            .as_deref(),
        Some("ticket")
    );
    match &results[2] {
        Err(Error::Paging { message, .. }) => {
            assert!(
                message.contains("1000") && message.contains("export"),
                "{message}"
            );
        }
        other => panic!("expected the cap error, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_list_settings_are_refused_before_sending() {
    let server = common::server().await;
    let client = common::client(&server);
    for request in [
        client.tickets().list(None).per_page(0),
        client.tickets().list(None).per_page(101),
        client.tickets().list(Some("priority")),
        client.tickets().list(None).page(2),
    ] {
        let err = request.send().await.expect_err("refused");
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    }
    let err = client
        .users()
        .search(Some(" "), Some(""))
        .send()
        .await
        .expect_err("no query");
    assert!(err.to_string().contains("query or an external_id"), "{err}");
    let err = client
        .search()
        .export("x", "article")
        .send()
        .await
        .expect_err("bad type");
    assert!(
        err.to_string()
            .contains("ticket, user, organization or group"),
        "{err}"
    );
    let err = client
        .users()
        .list(Some("boss"), None)
        .send()
        .await
        .expect_err("bad role");
    assert!(
        err.to_string().contains("end-user, agent or admin"),
        "{err}"
    );
}

#[tokio::test]
async fn list_parameters_reach_zendesk() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets"))
        .and(query_param("sort", "-updated_at"))
        .and(query_param("page[size]", "25"))
        .respond_with(ResponseTemplate::new(200).set_body_json(cursor_page(
            "tickets",
            vec![],
            false,
            None,
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/search/export"))
        .and(query_param("query", "status:open"))
        .and(query_param("filter[type]", "ticket"))
        .and(query_param("page[size]", "1000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "results": [], "facets": null,
            "meta": {"has_more": false, "after_cursor": null, "before_cursor": null},
            "links": {"next": null, "prev": null}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/users"))
        .and(query_param("role", "agent"))
        .and(query_param("permission_set", "77"))
        .respond_with(ResponseTemplate::new(200).set_body_json(cursor_page(
            "users",
            vec![common::user(4)],
            false,
            None,
            None,
        )))
        .expect(1)
        .mount(&server)
        .await;
    let client = common::client(&server);
    let page = client
        .tickets()
        .list(Some(" -UPDATED_AT "))
        .per_page(25)
        .send()
        .await
        .expect("ok");
    assert!(page.items.is_empty() && !page.has_more);
    let page = client
        .search()
        .export(" status:open ", "Ticket")
        .per_page(1000)
        .send()
        .await
        .expect("ok");
    assert!(page.items.is_empty());
    let page = client
        .users()
        .list(Some("Agent"), Some(77))
        .send()
        .await
        .expect("ok");
    assert_eq!(page.items[0].id.get(), 4);
}
