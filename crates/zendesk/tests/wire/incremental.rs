//! Incremental exports on the wire: cursor-based and time-based walks to `end_of_stream` with
//! the position to resume from after each page, a 429 in the middle, resuming after an error,
//! repeats left to the caller, and answers that would loop refused.

use futures_util::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zendesk::{Error, ExportPosition, ExportResource, ExportStyle, RetryPolicy};

use crate::common;

const START: i64 = 1_700_000_000;

fn exported_ticket(id: u64, stamp: i64) -> Value {
    let mut ticket = common::ticket(id);
    ticket["generated_timestamp"] = json!(stamp);
    ticket
}

fn cursor_page(items: Vec<Value>, after: Option<&str>, end: bool) -> Value {
    json!({
        "tickets": items,
        "after_cursor": after,
        "after_url": after.map(|c| format!("https://example.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor={c}")),
        "before_cursor": null,
        "before_url": null,
        "end_of_stream": end
    })
}

fn time_page(key: &str, items: Vec<Value>, end_time: i64, end: bool) -> Value {
    json!({
        key: items.clone(),
        "count": items.len(),
        "end_of_stream": end,
        "end_time": end_time,
        "next_page": format!("https://example.zendesk.com/api/v2/incremental/{key}.json?start_time={end_time}")
    })
}

async fn mount_cursor(server: &MockServer, cursor: Option<&str>, body: Value) {
    let mock = Mock::given(method("GET")).and(path("/api/v2/incremental/tickets/cursor"));
    let mock = match cursor {
        Some(cursor) => mock
            .and(query_param("cursor", cursor))
            .and(query_param_is_missing("start_time")),
        None => mock
            .and(query_param("start_time", START.to_string()))
            .and(query_param_is_missing("cursor")),
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

fn ids(items: &[zendesk::types::Ticket]) -> Vec<u64> {
    items.iter().map(|t| t.id.get()).collect()
}

#[tokio::test]
async fn a_cursor_export_walks_to_the_end_and_keeps_the_last_cursor() {
    let server = common::server().await;
    mount_cursor(
        &server,
        None,
        cursor_page(
            vec![exported_ticket(1, START), exported_ticket(2, START + 1)],
            Some("c1"),
            false,
        ),
    )
    .await;
    mount_cursor(
        &server,
        Some("c1"),
        cursor_page(vec![exported_ticket(3, START + 2)], Some("c2"), true),
    )
    .await;
    let client = common::client(&server);
    let mut pages = client
        .incremental()
        .tickets_cursor(ExportPosition::StartTime(START))
        .per_page(2)
        .pages();
    let first = pages.next_page().await.expect("page 1").expect("a page");
    assert_eq!(ids(&first.items), [1, 2]);
    assert!(!first.end_of_stream);
    assert_eq!(pages.position(), &ExportPosition::Cursor("c1".into()));
    let second = pages.next_page().await.expect("page 2").expect("a page");
    assert_eq!(ids(&second.items), [3]);
    assert!(second.end_of_stream && pages.is_finished());
    // After the end, the position is where a later run picks up what changed since.
    assert_eq!(pages.position(), &ExportPosition::Cursor("c2".into()));
    assert!(pages.next_page().await.expect("done").is_none());
}

#[tokio::test]
async fn a_later_run_resumes_from_the_saved_cursor() {
    let server = common::server().await;
    mount_cursor(
        &server,
        Some("c2"),
        cursor_page(vec![exported_ticket(2, START + 90)], Some("c3"), true),
    )
    .await;
    let client = common::client(&server);
    let saved: ExportPosition = serde_json::from_value(json!({"cursor": "c2"})).unwrap();
    let export = client.incremental().tickets_cursor(saved);
    let changed: Vec<_> = export.items().try_collect().await.expect("changes");
    assert_eq!(ids(&changed), [2]);
}

#[tokio::test]
async fn a_time_based_export_follows_end_time_and_leaves_repeats_to_the_caller() {
    let server = common::server().await;
    for (start, body) in [
        (
            START,
            time_page(
                "organizations",
                vec![common::organization(1), common::organization(2)],
                START + 10,
                false,
            ),
        ),
        // Organization 2 changed at the boundary second: Zendesk sends it again.
        (
            START + 10,
            time_page(
                "organizations",
                vec![common::organization(2), common::organization(3)],
                START + 20,
                true,
            ),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/v2/incremental/organizations"))
            .and(query_param("start_time", start.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = common::client(&server);
    let mut pages = client
        .incremental()
        .organizations(ExportPosition::StartTime(START))
        .pages();
    let mut seen = Vec::new();
    while let Some(page) = pages.next_page().await.expect("page") {
        seen.extend(page.items.iter().map(|o| o.id.get()));
        assert_eq!(
            page.end_time,
            Some(if page.end_of_stream {
                START + 20
            } else {
                START + 10
            })
        );
    }
    assert_eq!(seen, [1, 2, 2, 3]);
    assert_eq!(pages.position(), &ExportPosition::StartTime(START + 20));
}

#[tokio::test]
async fn ticket_events_side_load_comments_and_stay_raw_when_asked() {
    let server = common::server().await;
    let event = json!({"id": 926256957613_u64, "ticket_id": 155, "timestamp": START + 5, "updater_id": -1,
                       "via": "Rule", "event_type": "Audit",
                       "child_events": [{"id": 1, "event_type": "Comment", "body": "Hi", "public": true}]});
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/ticket_events"))
        .and(query_param("start_time", START.to_string()))
        .and(query_param("include", "comment_events"))
        .respond_with(ResponseTemplate::new(200).set_body_json(time_page(
            "ticket_events",
            vec![event.clone()],
            START + 5,
            true,
        )))
        .expect(2)
        .mount(&server)
        .await;
    let client = common::client(&server);
    let typed = client
        .incremental()
        .ticket_events(ExportPosition::StartTime(START))
        .include("comment_events")
        .send()
        .await
        .expect("typed");
    assert_eq!(typed.items[0].ticket_id.map(|t| t.get()), Some(155));
    let raw = client
        .incremental()
        .export(
            ExportResource::TicketEvents,
            ExportStyle::Time,
            ExportPosition::StartTime(START),
        )
        .include("comment_events")
        .send()
        .await
        .expect("raw");
    assert_eq!(raw.items[0], event);
    assert_eq!(raw.next, Some(ExportPosition::StartTime(START + 5)));
}

#[tokio::test]
async fn a_rate_limit_mid_export_is_waited_out_within_the_budget() {
    let server = common::server().await;
    mount_cursor(
        &server,
        None,
        cursor_page(vec![exported_ticket(1, START)], Some("c1"), false),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/tickets/cursor"))
        .and(query_param("cursor", "c1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_cursor(
        &server,
        Some("c1"),
        cursor_page(vec![exported_ticket(2, START)], Some("c2"), true),
    )
    .await;
    let client = common::client(&server);
    let all: Vec<_> = client
        .incremental()
        .tickets_cursor(ExportPosition::StartTime(START))
        .items()
        .try_collect()
        .await
        .expect("429 retried");
    assert_eq!(ids(&all), [1, 2]);
}

#[tokio::test]
async fn after_an_error_the_walker_asks_for_the_same_page_again() {
    let server = common::server().await;
    mount_cursor(
        &server,
        None,
        cursor_page(vec![exported_ticket(1, START)], Some("c1"), false),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/tickets/cursor"))
        .and(query_param("cursor", "c1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "30"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_cursor(
        &server,
        Some("c1"),
        cursor_page(vec![exported_ticket(2, START)], Some("c2"), true),
    )
    .await;
    let client = common::builder(&server)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut pages = client
        .incremental()
        .tickets_cursor(ExportPosition::StartTime(START))
        .pages();
    pages.next_page().await.expect("page 1");
    let error = pages
        .next_page()
        .await
        .expect_err("rate limited, failing fast");
    assert!(matches!(error, Error::RateLimited { .. }), "{error}");
    assert_eq!(pages.position(), &ExportPosition::Cursor("c1".into()));
    let second = pages.next_page().await.expect("retried").expect("page 2");
    assert_eq!(ids(&second.items), [2]);
}

#[tokio::test]
async fn answers_that_would_loop_end_the_walk_with_an_error() {
    let server = common::server().await;
    mount_cursor(
        &server,
        None,
        cursor_page(vec![exported_ticket(1, START)], Some("c1"), false),
    )
    .await;
    mount_cursor(
        &server,
        Some("c1"),
        cursor_page(vec![exported_ticket(2, START)], Some("c1"), false),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(time_page(
            "users",
            vec![common::user(1)],
            START,
            false,
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/users/cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "users": [common::user(1)], "after_cursor": null, "after_url": null,
            "before_cursor": null, "before_url": null, "end_of_stream": false
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = common::client(&server);
    let repeated = client
        .incremental()
        .tickets_cursor(ExportPosition::StartTime(START))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("a cursor sent twice");
    assert!(repeated.to_string().contains("twice"), "{repeated}");
    let stuck = client
        .incremental()
        .users(ExportPosition::StartTime(START))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("end_time stuck");
    assert!(stuck.to_string().contains("did not move past"), "{stuck}");
    let lost = client
        .incremental()
        .users_cursor(ExportPosition::StartTime(START))
        .items()
        .try_collect::<Vec<_>>()
        .await
        .expect_err("no cursor to go on from");
    assert!(matches!(lost, Error::Paging { .. }), "{lost}");
}

#[tokio::test]
async fn zendesks_rules_refuse_a_request_before_it_is_sent() {
    let server = common::server().await;
    let client = common::client(&server);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let refusals = [
        client
            .incremental()
            .tickets_cursor(ExportPosition::StartTime(now - 5))
            .send()
            .await
            .expect_err("too recent"),
        client
            .incremental()
            .export(
                ExportResource::Organizations,
                ExportStyle::Cursor,
                ExportPosition::StartTime(0),
            )
            .send()
            .await
            .expect_err("no cursor export of organizations"),
        client
            .incremental()
            .users(ExportPosition::StartTime(0))
            .per_page(5000)
            .send()
            .await
            .expect_err("page too large"),
    ];
    for refusal in refusals {
        assert!(matches!(refusal, Error::InvalidRequest(_)), "{refusal}");
    }
}
