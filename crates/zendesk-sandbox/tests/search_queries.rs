//! Search end to end: records written through the HTTP API (so the store keeps the columns,
//! tags and full-text rows itself), then `/search`, `/search/count` and `/search/export` read
//! through the router, as every role. The keyword-by-keyword table lives next to the compiler
//! (`src/search/tests.rs`); this file proves the wiring and that writes reach the index.

mod common;

use axum::http::{Method, StatusCode};
use common::{Sb, sandbox};
use serde_json::{Value, json};

fn enc(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// Sorted ids of a search's results.
async fn search_ids(sb: &Sb, auth: &str, query: &str) -> Vec<i64> {
    let path = format!("/api/v2/search.json?query={}", enc(query));
    let reply = sb.call(Method::GET, &path, Some(auth), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.text);
    let mut ids: Vec<i64> = reply.body["results"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["id"].as_i64()).collect())
        .unwrap_or_default();
    ids.sort();
    assert_eq!(
        reply.body["count"],
        json!(ids.len()),
        "{query}: count is the total"
    );
    ids
}

struct Desk {
    sb: Sb,
    agent: (i64, String),
    customer: (i64, String),
    org: i64,
    printer: i64,
    invoice: i64,
    laptop: i64,
}

async fn desk() -> Desk {
    let sb = sandbox().await;
    let agent = sb.user("Alice Agent", "agent").await;
    let customer = sb.user("Carol Customer", "end-user").await;
    let org = sb
        .post(
            "/api/v2/organizations.json",
            json!({"organization": {"name": "Acme Corp", "tags": ["enterprise"]}}),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED, "{}", org.text);
    let org = org.body["organization"]["id"].as_i64().unwrap_or_default();
    let mut ids = Vec::new();
    for ticket in [
        json!({"subject": "Printer on fire", "comment": {"body": "The office printer is on fire"},
               "priority": "urgent", "type": "incident", "tags": ["hardware"],
               "requester_id": customer.0, "assignee_id": agent.0, "organization_id": org}),
        json!({"subject": "Invoice question", "comment": {"body": "Why was I billed twice"},
               "priority": "normal", "tags": ["billing"], "assignee_id": agent.0}),
        json!({"subject": "New laptop", "comment": {"body": "Need a laptop"},
               "tags": ["hardware"], "requester_id": customer.0}),
    ] {
        let reply = sb
            .post("/api/v2/tickets.json", json!({ "ticket": ticket }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        ids.push(reply.body["ticket"]["id"].as_i64().unwrap_or_default());
    }
    Desk {
        sb,
        agent,
        customer,
        org,
        printer: ids[0],
        invoice: ids[1],
        laptop: ids[2],
    }
}

#[tokio::test]
async fn writes_through_the_api_are_searchable_at_once() {
    let d = desk().await;
    let admin = common::admin();
    let (sb, agent) = (&d.sb, &d.agent.1);
    assert_eq!(
        search_ids(sb, agent, "type:ticket fire").await,
        vec![d.printer]
    );
    assert_eq!(
        search_ids(sb, agent, "type:ticket tags:hardware").await,
        vec![d.printer, d.laptop]
    );
    assert_eq!(
        search_ids(sb, agent, "type:ticket assignee:me").await,
        vec![d.printer, d.invoice]
    );
    assert_eq!(
        search_ids(sb, agent, "type:ticket status<solved priority>normal").await,
        vec![d.printer]
    );
    assert_eq!(
        search_ids(
            sb,
            agent,
            "type:ticket organization:\"Acme Corp\" -tags:billing"
        )
        .await,
        vec![d.printer]
    );
    assert_eq!(
        search_ids(sb, agent, "type:organization acme").await,
        vec![d.org]
    );
    assert_eq!(
        search_ids(sb, agent, "type:user carol").await,
        vec![d.customer.0]
    );

    // A comment added later is searchable; so is a tag added later; a changed status moves.
    let update = sb
        .put(
            &format!("/api/v2/tickets/{}.json", d.invoice),
            json!({"ticket": {"comment": {"body": "Refund issued yesterday"},
                              "additional_tags": ["refunded"], "status": "solved"}}),
        )
        .await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.text);
    assert_eq!(
        search_ids(sb, agent, "type:ticket refund").await,
        vec![d.invoice]
    );
    assert_eq!(
        search_ids(sb, agent, "type:ticket tags:refunded").await,
        vec![d.invoice]
    );
    assert_eq!(
        search_ids(sb, agent, "type:ticket status<solved").await,
        vec![d.printer, d.laptop]
    );

    // A deleted ticket leaves the results.
    let deleted = sb
        .delete(&format!("/api/v2/tickets/{}.json", d.laptop))
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert_eq!(
        search_ids(sb, &admin, "type:ticket laptop").await,
        Vec::<i64>::new()
    );

    let count = sb
        .get(&format!(
            "/api/v2/search/count.json?query={}",
            enc("type:ticket")
        ))
        .await;
    assert_eq!(count.status, StatusCode::OK, "{}", count.text);
    assert_eq!(count.body, json!({"count": 2}));
}

#[tokio::test]
async fn results_carry_type_and_url_and_end_users_see_their_own() {
    let d = desk().await;
    let reply =
        d.sb.get(&format!("/api/v2/search.json?query={}", enc("printer")))
            .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let first = &reply.body["results"][0];
    assert_eq!(first["result_type"], "ticket");
    assert_eq!(
        first["url"],
        json!(format!(
            "http://sandbox.test/api/v2/tickets/{}.json",
            d.printer
        ))
    );
    assert_eq!(reply.body["facets"], Value::Null);
    // The customer requested the printer and laptop tickets only.
    assert_eq!(
        search_ids(&d.sb, &d.customer.1, "type:ticket").await,
        vec![d.printer, d.laptop]
    );
    assert_eq!(
        search_ids(&d.sb, &d.customer.1, "type:user").await,
        vec![d.customer.0]
    );
}

#[tokio::test]
async fn limits_and_errors_over_http() {
    let d = desk().await;
    let too_deep =
        d.sb.get("/api/v2/search.json?query=type%3Aticket&page=11&per_page=100")
            .await;
    assert_eq!(too_deep.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        too_deep.body["description"],
        "Requested response size was greater than Search Response Limits"
    );
    let bad = d.sb.get("/api/v2/search.json?query=status%3A").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(
        bad.text
            .contains("expected a value after \\\"status:\\\" at 7"),
        "{}",
        bad.text
    );
    let no_type = d.sb.get("/api/v2/search/export.json?query=printer").await;
    assert_eq!(no_type.status, StatusCode::BAD_REQUEST);
    assert!(no_type.text.contains("filter[type]"), "{}", no_type.text);
    let anonymous =
        d.sb.call(Method::GET, "/api/v2/search.json?query=printer", None, None)
            .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn export_follows_next_links_to_the_end() {
    let d = desk().await;
    let mut next = Some(
        "/api/v2/search/export.json?query=type%3Aticket&filter%5Btype%5D=ticket&page%5Bsize%5D=1"
            .to_string(),
    );
    let mut seen = Vec::new();
    let mut pages = 0;
    while let Some(path) = next.take() {
        pages += 1;
        assert!(pages <= 5, "export did not end");
        let reply = d.sb.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert!(reply.body.get("count").is_none());
        for r in reply.body["results"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            assert_eq!(r["result_type"], "ticket");
            seen.push(r["id"].as_i64().unwrap_or_default());
        }
        if reply.body["meta"]["has_more"] == json!(true) {
            let url = reply.body["links"]["next"].as_str().unwrap_or_default();
            next = url.find("/api/v2/").map(|at| url[at..].to_string());
        }
    }
    seen.sort();
    assert_eq!(seen, vec![d.printer, d.invoice, d.laptop]);
}
