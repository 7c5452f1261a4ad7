//! Throughput figures for the client against a local wiremock server (no network): records per
//! second through the paging stream (decode included), and sequential `get_json` round trips.
//! Run with `cargo run -p zendesk --example client_bench` (add `--release` for representative numbers).
//! A measurement, not a test: it asserts nothing about speed.

use std::time::Instant;

use futures_util::TryStreamExt;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zendesk::{Client, NO_QUERY};

const PAGES: u64 = 20;
const PER_PAGE: u64 = 100;
const ROUND_TRIPS: u32 = 300;

fn ticket(id: u64) -> Value {
    json!({
        "url": format!("https://example.zendesk.com/api/v2/tickets/{id}.json"),
        "id": id, "external_id": null, "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": null}},
        "created_at": "2024-03-01T10:00:00Z", "updated_at": "2024-03-02T11:30:00Z",
        "type": "incident", "subject": format!("Printer on fire #{id}"), "raw_subject": format!("Printer on fire #{id}"),
        "description": "The printer in room 4 is on fire. Please advise.", "priority": "high", "status": "open",
        "requester_id": 9001, "submitter_id": 9001, "assignee_id": 77, "organization_id": 5, "group_id": 3,
        "collaborator_ids": [], "follower_ids": [], "email_cc_ids": [], "has_incidents": false, "is_public": true,
        "tags": ["printer", "fire"], "custom_fields": [{"id": 360001, "value": "x"}], "sharing_agreement_ids": [],
        "followup_ids": [], "allow_channelback": false, "allow_attachments": true
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start().await;
    for page in 0..PAGES {
        let items: Vec<Value> = (page * PER_PAGE + 1..=(page + 1) * PER_PAGE)
            .map(ticket)
            .collect();
        let more = page + 1 < PAGES;
        let body = json!({
            "tickets": items,
            "meta": {"has_more": more, "after_cursor": format!("c{}", page + 1), "before_cursor": null},
            "links": {"prev": null, "next": null}
        });
        let mock = Mock::given(method("GET")).and(path("/api/v2/tickets"));
        let mock = if page == 0 {
            mock.and(query_param_is_missing("page[after]"))
        } else {
            mock.and(query_param("page[after]", format!("c{page}")))
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/v2/users/me"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"user": {"id": 1, "name": "Me"}})),
        )
        .mount(&server)
        .await;
    let client = Client::builder().base_url(server.uri()).build()?;

    let started = Instant::now();
    let tickets: Vec<_> = client
        .tickets()
        .list(None)
        .per_page(100)
        .items()
        .try_collect()
        .await?;
    let elapsed = started.elapsed();
    println!(
        "paging stream: {} tickets over {PAGES} pages in {:.1} ms ({:.0} tickets/s)",
        tickets.len(),
        elapsed.as_secs_f64() * 1e3,
        tickets.len() as f64 / elapsed.as_secs_f64()
    );

    let started = Instant::now();
    for _ in 0..ROUND_TRIPS {
        client.get_json("/users/me", NO_QUERY).await?;
    }
    let elapsed = started.elapsed();
    println!(
        "get_json: {ROUND_TRIPS} sequential round trips, {:.0} us each",
        elapsed.as_secs_f64() * 1e6 / f64::from(ROUND_TRIPS)
    );
    Ok(())
}
