//! Incremental exports as Zendesk serves them: cursor-based pages of tickets and users that
//! never repeat a record and resume with only what changed, time-based pages of tickets,
//! users, organizations and ticket events, samples, deleted records, the most recent minute
//! left out, Zendesk's refusals, admins only, and the exports' own rate limit.
//!
//! Zendesk exports nothing newer than a minute: the tests age the account (every change moved
//! an hour or more into the past, straight in the store) instead of waiting.

mod common;

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use common::{ADMIN_TOKEN, Sb, sandbox, sandbox_with};
use serde_json::{Value, json};
use zendesk_sandbox::Config;
use zendesk_sandbox::store::{Bind, StoreError, Table};

const HOUR: i64 = 3_600;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Moves every change recorded so far `seconds` into the past.
async fn age(sb: &Sb, seconds: i64) {
    sb.state
        .store()
        .write(move |tx| {
            for table in ["tickets", "users", "organizations", "deleted_organizations"] {
                tx.execute(
                    &format!("UPDATE {table} SET generated_timestamp = generated_timestamp - $?"),
                    &[Bind::Int(seconds)],
                )?;
            }
            tx.execute(
                "UPDATE ticket_audits SET created_at = created_at - $?",
                &[Bind::Int(seconds)],
            )?;
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

/// Sets the tickets' `generated_timestamp`s.
async fn stamp_tickets(sb: &Sb, stamps: Vec<(i64, i64)>) {
    sb.state
        .store()
        .write(move |tx| {
            for (id, at) in &stamps {
                tx.execute(
                    "UPDATE tickets SET generated_timestamp = $? WHERE id = $?",
                    &[Bind::Int(*at), Bind::Int(*id)],
                )?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
}

fn ids(page: &Value, key: &str) -> Vec<i64> {
    page[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {page}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// The path and query of an absolute URL the sandbox answered.
fn local(url: &str) -> String {
    url.strip_prefix("http://sandbox.test")
        .unwrap_or_else(|| panic!("not one of the sandbox's URLs: {url}"))
        .to_string()
}

/// Follows `after_url` from `first` to `end_of_stream`; the pages.
async fn walk_cursor(sb: &Sb, first: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut url = first.to_string();
    for _ in 0..100 {
        let reply = sb.get(&url).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}: {}", reply.text);
        let end = reply.body["end_of_stream"]
            .as_bool()
            .expect("end_of_stream");
        url = local(reply.body["after_url"].as_str().expect("after_url"));
        pages.push(reply.body);
        if end {
            return pages;
        }
    }
    panic!("the export never reached end_of_stream");
}

#[tokio::test]
async fn cursor_pages_hold_every_ticket_once_and_a_later_run_only_what_changed() {
    let sb = sandbox().await;
    let mut created = Vec::new();
    for n in 0..5 {
        created.push(sb.ticket(&format!("Printer {n}")).await);
    }
    age(&sb, HOUR).await;
    let pages = walk_cursor(
        &sb,
        "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=2",
    )
    .await;
    assert_eq!(pages.len(), 3, "5 tickets in pages of 2");
    let exported: Vec<i64> = pages.iter().flat_map(|p| ids(p, "tickets")).collect();
    assert_eq!(
        exported, created,
        "each ticket once, in the order they changed"
    );
    let first = &pages[0];
    assert_eq!(
        first["before_cursor"],
        Value::Null,
        "the export starts at start_time"
    );
    assert_eq!(first["before_url"], Value::Null);
    assert_eq!(first["end_of_stream"], false);
    let ticket = &first["tickets"][0];
    assert_eq!(
        ticket["url"],
        format!("http://sandbox.test/api/v2/tickets/{}.json", created[0])
    );
    let stamp = ticket["generated_timestamp"]
        .as_i64()
        .expect("generated_timestamp");
    assert!(
        stamp <= now() - HOUR + 5 && stamp > now() - HOUR - 60,
        "{stamp}"
    );
    let after = local(pages[0]["after_url"].as_str().unwrap());
    assert!(
        after.contains("per_page=2") && after.contains("cursor="),
        "{after}"
    );
    assert!(!after.contains("start_time"), "{after}");

    // The position after the last page picks up what changed since, and only that.
    let resume = pages.last().unwrap()["after_cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let changed = created[1];
    let update = sb
        .put(
            &format!("/api/v2/tickets/{changed}.json"),
            json!({"ticket": {"status": "pending"}}),
        )
        .await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.text);
    let too_soon = sb
        .get(&format!(
            "/api/v2/incremental/tickets/cursor.json?cursor={resume}"
        ))
        .await;
    assert_eq!(
        ids(&too_soon.body, "tickets"),
        Vec::<i64>::new(),
        "the last minute is left out"
    );
    assert_eq!(too_soon.body["end_of_stream"], true);
    assert_eq!(
        too_soon.body["after_cursor"],
        resume.as_str(),
        "nothing read: same place"
    );
    // A minute on, the update is old enough to export (and still after the position, which
    // the first export handed back an hour in the past).
    age(&sb, 61).await;
    let later = walk_cursor(
        &sb,
        &format!("/api/v2/incremental/tickets/cursor.json?cursor={resume}"),
    )
    .await;
    let again: Vec<i64> = later.iter().flat_map(|p| ids(p, "tickets")).collect();
    assert_eq!(again, [changed]);
    assert_eq!(later[0]["tickets"][0]["status"], "pending");
}

#[tokio::test]
async fn a_before_cursor_pages_back() {
    let sb = sandbox().await;
    let mut created = Vec::new();
    for n in 0..4 {
        created.push(sb.ticket(&format!("Back {n}")).await);
    }
    age(&sb, HOUR).await;
    let first = sb
        .get("/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=2")
        .await;
    let second = sb
        .get(&local(first.body["after_url"].as_str().unwrap()))
        .await;
    assert_eq!(ids(&second.body, "tickets"), created[2..]);
    let before = second.body["before_url"]
        .as_str()
        .expect("a page after another has a before_url");
    let back = sb.get(&local(before)).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(ids(&back.body, "tickets"), created[..2], "oldest first");
    assert_eq!(
        back.body["before_cursor"],
        Value::Null,
        "nothing before the first page"
    );
    assert_eq!(back.body["end_of_stream"], false);
    let forward = sb
        .get(&local(back.body["after_url"].as_str().unwrap()))
        .await;
    assert_eq!(ids(&forward.body, "tickets"), created[2..]);
}

#[tokio::test]
async fn zendesks_refusals_name_what_to_send() {
    let sb = sandbox().await;
    let recent = now() - 30;
    let too_recent = sb
        .get(&format!(
            "/api/v2/incremental/tickets/cursor.json?start_time={recent}"
        ))
        .await;
    assert_eq!(too_recent.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        too_recent.body,
        json!({"error": "InvalidValue",
               "description": "Too recent start_time. Use a start_time older than 1 minute"})
    );
    for (path, says) in [
        ("/api/v2/incremental/tickets.json", "start_time is required"),
        (
            "/api/v2/incremental/users/cursor.json?start_time=soon",
            "Unix time",
        ),
        (
            "/api/v2/incremental/tickets/cursor.json?cursor=bm9wZQ==",
            "not a cursor of this export",
        ),
        (
            "/api/v2/incremental/organizations.json?start_time=0&per_page=many",
            "per_page",
        ),
        (
            "/api/v2/incremental/tickets.json?start_time=0&exclude_deleted=perhaps",
            "exclude_deleted",
        ),
    ] {
        let reply = sb.get(path).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            reply.text
        );
        let description = reply.body["description"].as_str().unwrap_or_default();
        assert!(description.contains(says), "{path}: {description}");
    }
}

#[tokio::test]
async fn only_admins_export() {
    let sb = sandbox().await;
    let (_, agent) = sb.user("Export Agent", "agent").await;
    let (_, customer) = sb.user("Export Customer", "end-user").await;
    for path in [
        "/api/v2/incremental/tickets/cursor.json?start_time=0",
        "/api/v2/incremental/users/cursor.json?start_time=0",
        "/api/v2/incremental/tickets.json?start_time=0",
        "/api/v2/incremental/users.json?start_time=0",
        "/api/v2/incremental/organizations.json?start_time=0",
        "/api/v2/incremental/ticket_events.json?start_time=0",
        "/api/v2/incremental/tickets/sample.json?start_time=0",
    ] {
        for who in [&agent, &customer] {
            let reply = sb.call(Method::GET, path, Some(who), None).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{path}: {}",
                reply.text
            );
        }
        let anonymous = sb.call(Method::GET, path, None, None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(sb.get(path).await.status, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn deleted_tickets_are_exported_as_deleted_unless_excluded() {
    let sb = sandbox().await;
    let kept = sb.ticket("Kept").await;
    let gone = sb.ticket("Gone").await;
    age(&sb, 2 * HOUR).await;
    assert_eq!(
        sb.delete(&format!("/api/v2/tickets/{gone}.json"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    age(&sb, HOUR).await;
    let start = now() - 90 * 60;
    let since = sb
        .get(&format!(
            "/api/v2/incremental/tickets/cursor.json?start_time={start}"
        ))
        .await;
    assert_eq!(
        ids(&since.body, "tickets"),
        [gone],
        "the deletion is a change"
    );
    assert_eq!(since.body["tickets"][0]["status"], "deleted");
    let all = sb
        .get("/api/v2/incremental/tickets.json?start_time=0")
        .await;
    assert_eq!(ids(&all.body, "tickets"), [kept, gone]);
    let live = sb
        .get("/api/v2/incremental/tickets.json?start_time=0&exclude_deleted=true")
        .await;
    assert_eq!(ids(&live.body, "tickets"), [kept]);
    let cursor_live = sb
        .get("/api/v2/incremental/tickets/cursor.json?start_time=0&exclude_deleted=true")
        .await;
    assert_eq!(ids(&cursor_live.body, "tickets"), [kept]);
}

#[tokio::test]
async fn time_based_pages_end_at_their_newest_change_and_always_move_on() {
    let sb = sandbox().await;
    let mut created = Vec::new();
    for n in 0..6 {
        created.push(sb.ticket(&format!("Timed {n}")).await);
    }
    let base = now() - 10 * HOUR;
    // Two changed in one second, three in the next, one later.
    let stamps = [base, base, base + 1, base + 1, base + 1, base + 5];
    stamp_tickets(&sb, created.iter().copied().zip(stamps).collect()).await;

    let first = sb
        .get(&format!(
            "/api/v2/incremental/tickets.json?start_time={base}&per_page=3"
        ))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(ids(&first.body, "tickets"), created[..3]);
    assert_eq!(first.body["count"], 3);
    assert_eq!(first.body["end_time"], base + 1);
    assert_eq!(first.body["end_of_stream"], false);
    let next = first.body["next_page"].as_str().unwrap();
    assert!(
        next.ends_with(&format!("per_page=3&start_time={}", base + 1)),
        "{next}"
    );
    // The boundary second comes again whole: the third ticket is repeated. That page would
    // start and end in one second, so it holds that whole second and moves past it.
    let second = sb.get(&local(next)).await;
    assert_eq!(ids(&second.body, "tickets"), created[2..5]);
    assert_eq!(second.body["end_time"], base + 2);
    assert_eq!(second.body["end_of_stream"], false);
    let third = sb
        .get(&local(second.body["next_page"].as_str().unwrap()))
        .await;
    assert_eq!(ids(&third.body, "tickets"), created[5..]);
    assert_eq!(third.body["end_time"], base + 5);
    assert_eq!(third.body["end_of_stream"], true);

    // Smaller pages than the second's changes: the same.
    let crowded = sb
        .get(&format!(
            "/api/v2/incremental/tickets.json?start_time={}&per_page=2",
            base + 1
        ))
        .await;
    assert_eq!(ids(&crowded.body, "tickets"), created[2..5]);
    assert_eq!(crowded.body["count"], 3);
    assert_eq!(
        crowded.body["end_time"],
        base + 2,
        "the export moves past the second"
    );
    assert_eq!(crowded.body["end_of_stream"], false);
    let rest = sb
        .get(&local(crowded.body["next_page"].as_str().unwrap()))
        .await;
    assert_eq!(ids(&rest.body, "tickets"), created[5..]);
    assert_eq!(rest.body["end_of_stream"], true);

    let empty_start = now() - 120;
    let empty = sb
        .get(&format!(
            "/api/v2/incremental/tickets.json?start_time={empty_start}"
        ))
        .await;
    assert_eq!(ids(&empty.body, "tickets"), Vec::<i64>::new());
    assert_eq!(empty.body["count"], 0);
    assert_eq!(empty.body["end_of_stream"], true);
    assert_eq!(empty.body["end_time"], empty_start);
}

#[tokio::test]
async fn users_and_organizations_export_with_their_deletions() {
    let sb = sandbox().await;
    let (customer, _) = sb.user("Gone Customer", "end-user").await;
    let org = sb
        .post(
            "/api/v2/organizations.json",
            json!({"organization": {"name": "Closed Down Inc"}}),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED, "{}", org.text);
    let org = org.body["organization"]["id"].as_i64().unwrap();
    let kept = sb
        .post(
            "/api/v2/organizations.json",
            json!({"organization": {"name": "Still Here Ltd"}}),
        )
        .await
        .body["organization"]["id"]
        .as_i64()
        .unwrap();
    age(&sb, 2 * HOUR).await;
    assert_eq!(
        sb.delete(&format!("/api/v2/users/{customer}.json"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sb.delete(&format!("/api/v2/organizations/{org}.json"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    age(&sb, HOUR).await;

    let users = walk_cursor(
        &sb,
        "/api/v2/incremental/users/cursor.json?start_time=0&per_page=1",
    )
    .await;
    let exported: Vec<&Value> = users
        .iter()
        .flat_map(|p| p["users"].as_array().unwrap())
        .collect();
    let last = exported.last().unwrap();
    assert_eq!(last["id"], customer, "the deletion is the latest change");
    assert_eq!(last["active"], false);
    assert_eq!(
        last["url"],
        format!("http://sandbox.test/api/v2/users/{customer}.json")
    );
    let by_time = sb.get("/api/v2/incremental/users.json?start_time=0").await;
    assert_eq!(
        by_time.body["users"].as_array().unwrap().len(),
        exported.len()
    );
    let active = sb
        .get("/api/v2/incremental/users.json?start_time=0&exclude_deleted=true")
        .await;
    assert!(!ids(&active.body, "users").contains(&customer));

    let orgs = sb
        .get("/api/v2/incremental/organizations.json?start_time=0")
        .await;
    assert_eq!(orgs.status, StatusCode::OK, "{}", orgs.text);
    assert_eq!(ids(&orgs.body, "organizations"), [kept, org]);
    let deleted = &orgs.body["organizations"][1];
    assert_eq!(deleted["name"], "Closed Down Inc");
    assert!(deleted["deleted_at"].is_string(), "{deleted}");
    assert_eq!(orgs.body["count"], 2);
    let live = sb
        .get("/api/v2/incremental/organizations.json?start_time=0&exclude_deleted=true")
        .await;
    assert_eq!(ids(&live.body, "organizations"), [kept]);
}

#[tokio::test]
async fn ticket_events_are_each_update_with_comments_on_request() {
    let sb = sandbox().await;
    let ticket = sb.ticket("Fire").await;
    let update = sb
        .put(
            &format!("/api/v2/tickets/{ticket}.json"),
            json!({"ticket": {"status": "pending", "comment": {"body": "Put it out", "public": false}}}),
        )
        .await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.text);
    age(&sb, HOUR).await;
    let plain = sb
        .get("/api/v2/incremental/ticket_events.json?start_time=0")
        .await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text);
    let events = plain.body["ticket_events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "the creation and the update");
    assert!(
        events
            .iter()
            .all(|e| e["ticket_id"] == ticket && e["event_type"] == "Audit")
    );
    let change = &events[1];
    assert_eq!(change["updater_id"], plain_admin_id(&sb).await);
    let children = change["child_events"].as_array().unwrap();
    let comment = children
        .iter()
        .find(|c| c["event_type"] == "Comment")
        .unwrap();
    assert_eq!(comment["comment_present"], true);
    assert_eq!(comment["comment_public"], false);
    assert!(comment.get("body").is_none());
    let status = children
        .iter()
        .find(|c| c["field_name"] == "status")
        .unwrap();
    assert_eq!(
        (&status["status"], &status["previous_value"]),
        (&json!("pending"), &json!("new"))
    );
    assert_eq!(plain.body["count"], 2);
    assert_eq!(plain.body["end_of_stream"], true);
    assert_eq!(plain.body["end_time"], events[1]["timestamp"]);

    let with_comments = sb
        .get("/api/v2/incremental/ticket_events.json?start_time=0&include=comment_events")
        .await;
    let children = with_comments.body["ticket_events"][1]["child_events"]
        .as_array()
        .unwrap()
        .clone();
    let comment = children
        .iter()
        .find(|c| c["event_type"] == "Comment")
        .unwrap();
    assert_eq!(comment["body"], "Put it out");
    assert_eq!(comment["public"], false);
    let next = with_comments.body["next_page"].as_str().unwrap();
    assert!(next.contains("include=comment_events"), "{next}");
}

async fn plain_admin_id(sb: &Sb) -> i64 {
    sb.get("/api/v2/users/me.json").await.body["user"]["id"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn samples_hold_at_most_fifty_records() {
    let sb = sandbox().await;
    let created = sb
        .post(
            "/api/v2/tickets/create_many.json",
            json!({"tickets": (0..60).map(|n| json!({"subject": format!("Bulk {n}"), "comment": {"body": "x"}})).collect::<Vec<_>>()}),
        )
        .await;
    sb.wait_job(&Sb::job_id(&created)).await;
    age(&sb, HOUR).await;
    let sample = sb
        .get("/api/v2/incremental/tickets/sample.json?start_time=0&per_page=500")
        .await;
    assert_eq!(sample.status, StatusCode::OK, "{}", sample.text);
    assert_eq!(sample.body["tickets"].as_array().unwrap().len(), 50);
    assert_eq!(sample.body["count"], 50);
    assert!(
        sample.body["next_page"]
            .as_str()
            .unwrap()
            .contains("/incremental/tickets/sample.json?")
    );
    for resource in ["users", "organizations", "ticket_events"] {
        let reply = sb
            .get(&format!(
                "/api/v2/incremental/{resource}/sample.json?start_time=0"
            ))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{resource}: {}", reply.text);
        assert!(reply.body[resource].as_array().unwrap().len() <= 50);
    }
    let full = sb
        .get("/api/v2/incremental/tickets.json?start_time=0")
        .await;
    assert_eq!(full.body["count"], 60);
}

#[tokio::test]
async fn side_loads_come_beside_the_records() {
    let sb = sandbox().await;
    let ticket = sb.ticket("With people").await;
    age(&sb, HOUR).await;
    let page = sb
        .get("/api/v2/incremental/tickets/cursor.json?start_time=0&include=users")
        .await;
    assert_eq!(ids(&page.body, "tickets"), [ticket]);
    let users = page.body["users"].as_array().expect("users side-loaded");
    let requester = page.body["tickets"][0]["requester_id"].clone();
    assert!(users.iter().any(|u| u["id"] == requester), "{users:?}");
}

#[tokio::test]
async fn the_exports_have_zendesks_rate_limit_with_its_header() {
    let sb = sandbox_with(Config {
        rate_limit_per_minute: Some(1_000),
        ..Config {
            db_url: zendesk_sandbox::test_db_url(),
            ..Config::in_memory(ADMIN_TOKEN)
        }
    })
    .await;
    let path = "/api/v2/incremental/tickets/cursor.json?start_time=0";
    let first = sb.get(path).await;
    assert_eq!(first.status, StatusCode::OK);
    let header = first.headers["zendesk-ratelimit-incremental-exports-cursor"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        header.starts_with("total=10; remaining=9; resets="),
        "{header}"
    );
    assert!(
        !sb.get("/api/v2/tickets.json")
            .await
            .headers
            .contains_key("zendesk-ratelimit-incremental-exports-cursor")
    );
    // Ten a minute (a minute boundary may pass once while the test runs).
    let mut limited = None;
    for _ in 0..21 {
        let reply = sb.get("/api/v2/incremental/users.json?start_time=0").await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(reply);
            break;
        }
    }
    let limited = limited.expect("the exports are limited to 10 requests a minute");
    assert!(limited.headers.contains_key("retry-after"));
    assert!(
        limited.headers["zendesk-ratelimit-incremental-exports-cursor"]
            .to_str()
            .unwrap()
            .contains("remaining=0")
    );
    // The account's own limit is far from reached: other endpoints still answer.
    assert_eq!(sb.get("/api/v2/tickets.json").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_full_page_of_a_thousand_is_served_in_one_answer() {
    let sb = sandbox().await;
    sb.state
        .store()
        .write(|tx| {
            for n in 0..1_200i64 {
                let id = tx.allocate_id(Table::Tickets)?;
                let ticket = json!({"id": id, "subject": format!("Seeded {n}"), "status": "open",
                    "description": "x".repeat(2_000), "tags": [],
                    "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"});
                tx.save(Table::Tickets, &ticket)?;
            }
            Ok::<_, StoreError>(())
        })
        .await
        .unwrap();
    age(&sb, HOUR).await;
    let page = sb
        .get("/api/v2/incremental/tickets/cursor.json?start_time=0")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let got: BTreeSet<i64> = ids(&page.body, "tickets").into_iter().collect();
    assert_eq!(got.len(), 1_000);
    assert_eq!(page.body["end_of_stream"], false);
    let rest = sb
        .get(&local(page.body["after_url"].as_str().unwrap()))
        .await;
    assert_eq!(ids(&rest.body, "tickets").len(), 200);
    assert_eq!(rest.body["end_of_stream"], true);
}
