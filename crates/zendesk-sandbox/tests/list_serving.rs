//! Lists serve each stored record's JSON text with its `url` spliced in, without parsing it.
//! These tests pin that this fast road answers byte for byte what the record's own show
//! endpoint answers (key order included: users carry `id` before `url`), in both paging styles,
//! with the JSON content type.

mod common;

use axum::http::StatusCode;
use common::{Reply, Sb, sandbox};
use serde_json::{Value, json};

fn keys(record: &Value) -> Vec<String> {
    record
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every record of `list_key` in `list` appears, byte for byte, as its show endpoint serves it.
async fn assert_items_as_shown(sb: &Sb, list: &Reply, list_key: &str, one_key: &str) {
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(
        list.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let items = list.body[list_key].as_array().expect("a list of records");
    assert!(!items.is_empty(), "{}", list.text);
    for item in items {
        let url = item["url"].as_str().expect("each record has a url");
        let path = url
            .strip_prefix("http://sandbox.test")
            .expect("the url names the request's host");
        let shown = sb.get(path).await;
        assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
        let record = shown.body[one_key].to_string();
        assert!(
            list.text.contains(&record),
            "the list serves {one_key} {path} as shown:\n{record}\nin\n{}",
            list.text
        );
    }
}

#[tokio::test]
async fn listed_tickets_are_byte_for_byte_what_show_serves() {
    let sb = sandbox().await;
    for subject in [
        "Printer on fire",
        "Quotes \"inside\" and a back\\slash",
        "Ünïcödé — and a tab\there",
    ] {
        sb.ticket(subject).await;
    }
    let tagged = sb
        .post(
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "Tagged", "tags": ["vip", "billing"], "priority": "high",
                "comment": {"body": "line one\nline two"}}}),
        )
        .await;
    assert_eq!(tagged.status, StatusCode::CREATED, "{}", tagged.text);

    let offset = sb.get("/api/v2/tickets.json?per_page=2&page=2").await;
    assert_items_as_shown(&sb, &offset, "tickets", "ticket").await;
    assert_eq!(offset.body["count"], json!(4));
    assert_eq!(offset.body["tickets"].as_array().map(Vec::len), Some(2));

    let cursor = sb.get("/api/v2/tickets.json?page[size]=10").await;
    assert_items_as_shown(&sb, &cursor, "tickets", "ticket").await;
    let first = &cursor.body["tickets"][0];
    assert_eq!(keys(first)[..2], ["url".to_string(), "id".to_string()]);
    assert_eq!(
        keys(&cursor.body),
        ["tickets", "meta", "links"].map(String::from)
    );
    assert_eq!(
        keys(&offset.body),
        ["tickets", "next_page", "previous_page", "count"].map(String::from)
    );
}

#[tokio::test]
async fn listed_users_keep_id_before_url() {
    let sb = sandbox().await;
    sb.user("Ada Lovelace", "end-user").await;
    sb.user("Grace Hopper", "agent").await;
    let list = sb.get("/api/v2/users.json").await;
    assert_items_as_shown(&sb, &list, "users", "user").await;
    for user in list.body["users"].as_array().expect("users") {
        assert_eq!(keys(user)[..2], ["id".to_string(), "url".to_string()]);
    }
    let search = sb.get("/api/v2/users/search.json?query=grace").await;
    assert_items_as_shown(&sb, &search, "users", "user").await;
    assert_eq!(search.body["count"], json!(1));
}

#[tokio::test]
async fn listed_organizations_groups_and_fields_are_what_show_serves() {
    let sb = sandbox().await;
    let field = sb
        .post(
            "/api/v2/organization_fields.json",
            json!({"organization_field": {"key": "plan", "title": "Plan", "type": "text"}}),
        )
        .await;
    assert_eq!(field.status, StatusCode::CREATED, "{}", field.text);
    for name in ["Acme", "Zeta \"Z\" Corp"] {
        let org = sb
            .post(
                "/api/v2/organizations.json",
                json!({"organization": {"name": name, "tags": ["gold"],
                    "organization_fields": {"plan": "enterprise"}}}),
            )
            .await;
        assert_eq!(org.status, StatusCode::CREATED, "{}", org.text);
    }
    let group = sb
        .post("/api/v2/groups.json", json!({"group": {"name": "Tier 2"}}))
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.text);

    let orgs = sb.get("/api/v2/organizations.json").await;
    assert_items_as_shown(&sb, &orgs, "organizations", "organization").await;
    let complete = sb
        .get("/api/v2/organizations/autocomplete.json?name=zet")
        .await;
    assert_items_as_shown(&sb, &complete, "organizations", "organization").await;
    let groups = sb.get("/api/v2/groups.json?page[size]=1").await;
    assert_items_as_shown(&sb, &groups, "groups", "group").await;
    let fields = sb.get("/api/v2/organization_fields.json").await;
    assert_items_as_shown(&sb, &fields, "organization_fields", "organization_field").await;
}

#[tokio::test]
async fn an_empty_page_is_a_well_formed_envelope() {
    let sb = sandbox().await;
    let groups = sb.get("/api/v2/groups.json").await;
    assert_eq!(groups.status, StatusCode::OK, "{}", groups.text);
    // The account starts with no groups: the envelope still parses, with an empty list.
    assert_eq!(groups.body["groups"], json!([]), "{}", groups.text);
    assert_eq!(groups.body["count"], json!(0));
    let tickets = sb.get("/api/v2/tickets.json?page[size]=5").await;
    assert_eq!(tickets.body["tickets"], json!([]), "{}", tickets.text);
    assert_eq!(tickets.body["meta"]["has_more"], json!(false));
    assert_eq!(tickets.body["links"]["next"], Value::Null);
}

#[tokio::test]
async fn soft_deleted_records_leave_their_lists() {
    let sb = sandbox().await;
    let kept = sb.ticket("Kept").await;
    let gone = sb.ticket("Gone").await;
    assert_eq!(
        sb.delete(&format!("/api/v2/tickets/{gone}.json"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let mut group_ids = Vec::new();
    for name in ["Stays", "Goes"] {
        let group = sb
            .post("/api/v2/groups.json", json!({"group": {"name": name}}))
            .await;
        group_ids.push(group.body["group"]["id"].as_i64().expect("group id"));
    }
    assert_eq!(
        sb.delete(&format!("/api/v2/groups/{}.json", group_ids[1]))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let ids = |reply: &Reply, key: &str| -> Vec<i64> {
        reply.body[key]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    for path in ["/api/v2/tickets.json", "/api/v2/tickets.json?page[size]=10"] {
        assert_eq!(ids(&sb.get(path).await, "tickets"), vec![kept], "{path}");
    }
    assert_eq!(
        ids(&sb.get("/api/v2/groups.json").await, "groups"),
        vec![group_ids[0]]
    );
    let deleted = sb.get("/api/v2/deleted_tickets.json").await;
    assert_eq!(
        ids(&deleted, "deleted_tickets"),
        vec![gone],
        "{}",
        deleted.text
    );
}
