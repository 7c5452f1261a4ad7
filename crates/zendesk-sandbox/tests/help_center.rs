//! Macros, views, the Help Center and attachments: macros checked on save and previewed on a
//! ticket without changing it; views selecting exactly the tickets their conditions name (all /
//! any, current user and groups, tags, ranks), executed and counted; Help Center search with
//! snippets, drafts kept from customers; uploads stored in the database, attached by a
//! comment, and served to whoever may see that comment. Every refusal changes nothing.

mod common;

use axum::http::{Method, StatusCode};
use common::{ADMIN_TOKEN, Sb, admin, sandbox, sandbox_with};
use serde_json::{Value, json};
use zendesk_sandbox::{Config, Seed};

async fn demo() -> Sb {
    sandbox_with(Config {
        seed: Some(Seed::Demo),
        db_url: zendesk_sandbox::test_db_url(),
        ..Config::in_memory(ADMIN_TOKEN)
    })
    .await
}

fn ids(list: &Value, key: &str) -> Vec<i64> {
    let mut ids: Vec<i64> = list[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {list}"))
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

/// Every ticket of the sandbox, whole.
async fn all_tickets(sb: &Sb) -> Vec<Value> {
    let reply = sb.get("/api/v2/tickets.json?per_page=100").await;
    reply.body["tickets"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_demo_desk_has_macros_views_and_articles_that_fit_its_tickets() {
    let sb = demo().await;
    let macros = sb.get("/api/v2/macros.json").await;
    assert_eq!(macros.status, StatusCode::OK, "{}", macros.text);
    assert!(macros.body["macros"].as_array().unwrap().len() >= 5);
    assert_eq!(
        macros.body["macros"][0]["title"],
        "Close and thank the customer"
    );
    let views = sb.get("/api/v2/views.json").await;
    assert!(views.body["views"].as_array().unwrap().len() >= 5);
    let search = sb
        .get("/api/v2/help_center/articles/search.json?query=password%20reset%20email")
        .await;
    assert_eq!(search.status, StatusCode::OK, "{}", search.text);
    assert_eq!(search.body["results"][0]["title"], "Reset your password");
    let snippet = search.body["results"][0]["snippet"].as_str().unwrap();
    assert!(snippet.contains("<em>"), "{snippet}");
    assert_eq!(search.body["results"][0]["result_type"], "article");
    assert!(
        search.body["results"][0]["html_url"]
            .as_str()
            .unwrap()
            .starts_with("http://sandbox.test/hc/en-us/articles/")
    );
}

#[tokio::test]
async fn a_macro_is_checked_when_saved_and_previewed_without_changing_the_ticket() {
    let sb = demo().await;
    // An action the sandbox does not apply is refused, naming what is supported.
    let before = sb.get("/api/v2/macros.json").await.body["count"].clone();
    let refused = sb
        .post(
            "/api/v2/macros.json",
            json!({"macro": {"title": "Bad", "actions": [{"field": "satisfaction_score", "value": "x"}]}}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("comment_value"), "{}", refused.text);
    for bad in [
        json!({"macro": {"title": "No actions", "actions": []}}),
        json!({"macro": {"actions": [{"field": "status", "value": "solved"}]}}),
        json!({"macro": {"title": "Bad status", "actions": [{"field": "status", "value": "done"}]}}),
        json!({"macro": {"title": "Bad group", "actions": [{"field": "group_id", "value": "999"}]}}),
    ] {
        let reply = sb.post("/api/v2/macros.json", bad.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            reply.text
        );
    }
    assert_eq!(sb.get("/api/v2/macros.json").await.body["count"], before);

    let tickets = all_tickets(&sb).await;
    let login = tickets
        .iter()
        .find(|t| t["subject"] == "Cannot log in to the portal")
        .unwrap();
    let id = login["id"].as_i64().unwrap();
    let search = sb.get("/api/v2/macros/search.json?query=password").await;
    let macro_id = search.body["macros"][0]["id"].as_i64().unwrap();
    let audits_before = sb
        .get(&format!("/api/v2/tickets/{id}/audits.json"))
        .await
        .body["audits"]
        .as_array()
        .unwrap()
        .len();
    let preview = sb
        .get(&format!(
            "/api/v2/tickets/{id}/macros/{macro_id}/apply.json"
        ))
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.text);
    let result = &preview.body["result"];
    assert_eq!(result["ticket"]["status"], "pending");
    assert_eq!(result["ticket"]["id"], id);
    let body = result["comment"]["body"].as_str().unwrap();
    assert!(body.starts_with("Hi Wile,"), "placeholders filled: {body}");
    assert_eq!(result["comment"]["public"], true);
    assert_eq!(result["ticket"]["comment"], result["comment"]);
    // Nothing changed.
    let after = sb.get(&format!("/api/v2/tickets/{id}.json")).await.body["ticket"].clone();
    assert_eq!(&after, login);
    let audits_after = sb
        .get(&format!("/api/v2/tickets/{id}/audits.json"))
        .await
        .body["audits"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(audits_before, audits_after);

    // The escalation macro: group, priority, a tag and an internal note.
    let escalate = sb
        .get("/api/v2/macros/search.json?query=escalate")
        .await
        .body["macros"][0]["id"]
        .as_i64()
        .unwrap();
    let preview = sb
        .get(&format!(
            "/api/v2/tickets/{id}/macros/{escalate}/apply.json"
        ))
        .await;
    let result = &preview.body["result"];
    assert_eq!(result["ticket"]["priority"], "high");
    assert!(
        result["ticket"]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!("escalated"))
    );
    assert_eq!(result["comment"]["public"], false);
    assert!(
        result["comment"]["body"]
            .as_str()
            .unwrap()
            .contains(&format!("#{id}"))
    );
    // Without a ticket: only what the macro sets.
    let changes = sb
        .get(&format!("/api/v2/macros/{escalate}/apply.json"))
        .await;
    assert_eq!(changes.body["result"]["ticket"]["priority"], "high");
    assert!(changes.body["result"]["ticket"].get("subject").is_none());

    // A macro that does not exist, on a ticket that does: 404, nothing changed.
    let missing = sb
        .get(&format!(
            "/api/v2/tickets/{id}/macros/31999999999/apply.json"
        ))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"], "RecordNotFound");

    let actions = sb.get("/api/v2/macros/actions.json").await;
    assert!(
        actions.body["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["value"] == "comment_value")
    );
}

#[tokio::test]
async fn agents_keep_personal_macros_and_views_and_cannot_touch_shared_ones() {
    let sb = sandbox().await;
    let (ada, ada_auth) = sb.user("Ada Agent", "agent").await;
    let (_, ben_auth) = sb.user("Ben Agent", "agent").await;
    let mine = sb
        .call(
            Method::POST,
            "/api/v2/macros.json",
            Some(&ada_auth),
            Some(json!({"macro": {"title": "Mine", "actions": [{"field": "status", "value": "open"}]}})),
        )
        .await;
    assert_eq!(mine.status, StatusCode::CREATED, "{}", mine.text);
    assert_eq!(
        mine.body["macro"]["restriction"],
        json!({"type": "User", "id": ada, "ids": [ada]})
    );
    let id = mine.body["macro"]["id"].as_i64().unwrap();
    let other = sb
        .call(
            Method::GET,
            &format!("/api/v2/macros/{id}.json"),
            Some(&ben_auth),
            None,
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let listed = sb
        .call(Method::GET, "/api/v2/macros.json", Some(&ben_auth), None)
        .await;
    assert_eq!(listed.body["count"], 0);
    let shared = sb
        .post(
            "/api/v2/macros.json",
            json!({"macro": {"title": "Shared", "actions": [{"field": "status", "value": "open"}]}}),
        )
        .await;
    let shared_id = shared.body["macro"]["id"].as_i64().unwrap();
    let refused = sb
        .call(
            Method::PUT,
            &format!("/api/v2/macros/{shared_id}.json"),
            Some(&ada_auth),
            Some(json!({"macro": {"title": "Hijacked"}})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text);
    assert_eq!(
        sb.get(&format!("/api/v2/macros/{shared_id}.json"))
            .await
            .body["macro"]["title"],
        "Shared"
    );
    let share = sb
        .call(
            Method::POST,
            "/api/v2/views.json",
            Some(&ada_auth),
            Some(json!({"view": {"title": "Everyone's", "restriction": null,
                "all": [{"field": "status", "operator": "is", "value": "open"}]}})),
        )
        .await;
    assert_eq!(share.status, StatusCode::FORBIDDEN, "{}", share.text);
    assert_eq!(sb.get("/api/v2/views.json").await.body["count"], 0);
}

#[tokio::test]
async fn views_select_exactly_the_tickets_their_conditions_name() {
    let sb = demo().await;
    let tickets = all_tickets(&sb).await;
    let unsolved = |t: &&Value| !matches!(t["status"].as_str(), Some("solved") | Some("closed"));
    let views = sb.get("/api/v2/views.json").await.body["views"].clone();
    let view = |title: &str| -> i64 {
        views
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["title"] == title)
            .unwrap_or_else(|| panic!("no view {title}"))["id"]
            .as_i64()
            .unwrap()
    };
    let expect = |pick: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        let mut ids: Vec<i64> = tickets
            .iter()
            .filter(unsolved)
            .filter(|t| pick(t))
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    };
    let cases: [(&str, Vec<i64>); 3] = [
        (
            "Unassigned tickets",
            expect(&|t| t["assignee_id"].is_null()),
        ),
        (
            "Urgent and high priority",
            expect(&|t| t["priority"] == "urgent" || t["priority"] == "high"),
        ),
        ("Billing queue", {
            let groups = sb.get("/api/v2/groups.json").await.body["groups"].clone();
            let billing = groups
                .as_array()
                .unwrap()
                .iter()
                .find(|g| g["name"] == "Billing")
                .unwrap()["id"]
                .clone();
            expect(&|t| t["group_id"] == billing)
        }),
    ];
    for (title, expected) in cases {
        assert!(!expected.is_empty(), "{title} has tickets in the demo");
        let id = view(title);
        let listed = sb.get(&format!("/api/v2/views/{id}/tickets.json")).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
        assert_eq!(ids(&listed.body, "tickets"), expected, "{title}");
        let count = sb.get(&format!("/api/v2/views/{id}/count.json")).await;
        assert_eq!(count.body["view_count"]["value"], expected.len(), "{title}");
        let executed = sb.get(&format!("/api/v2/views/{id}/execute.json")).await;
        assert_eq!(executed.status, StatusCode::OK, "{}", executed.text);
        let rows = executed.body["rows"].as_array().unwrap();
        assert_eq!(rows.len(), expected.len());
        assert!(rows[0]["ticket"]["subject"].is_string());
        assert!(rows[0].get("subject").is_some(), "the Subject column");
        assert_eq!(executed.body["columns"][1]["title"], "Subject");
    }
    // The view's order is its own (updated, newest first), and cursor pages walk it whole.
    let id = view("Unsolved tickets in your groups");
    let mut seen = Vec::new();
    let mut next = format!("/api/v2/views/{id}/tickets.json?page[size]=2");
    loop {
        let page = sb.get(&next).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for ticket in page.body["tickets"].as_array().unwrap() {
            seen.push(ticket["id"].as_i64().unwrap());
        }
        if page.body["meta"]["has_more"] != true {
            break;
        }
        next = page.body["links"]["next"]
            .as_str()
            .unwrap()
            .trim_start_matches("http://sandbox.test")
            .to_string();
    }
    // The admin is in the Support group only.
    let support = sb.get("/api/v2/groups.json").await.body["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Support")
        .unwrap()["id"]
        .clone();
    let mut expected = expect(&|t| t["group_id"] == support);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected);
    expected.dedup();
    assert_eq!(seen.len(), expected.len(), "no ticket twice");

    // Tags and `is_not`, and a condition the sandbox does not index (refused, nothing saved).
    let tagged = sb
        .post(
            "/api/v2/views.json",
            json!({"view": {"title": "Billing, not refunds", "all": [
                {"field": "status", "operator": "less_than", "value": "closed"},
                {"field": "current_tags", "operator": "includes", "value": "billing"},
                {"field": "current_tags", "operator": "not_includes", "value": "refund"}]}}),
        )
        .await;
    assert_eq!(tagged.status, StatusCode::CREATED, "{}", tagged.text);
    let id = tagged.body["view"]["id"].as_i64().unwrap();
    let listed = sb.get(&format!("/api/v2/views/{id}/tickets.json")).await;
    let tags = |t: &Value, tag: &str| t["tags"].as_array().unwrap().contains(&json!(tag));
    let mut expected: Vec<i64> = tickets
        .iter()
        .filter(|t| t["status"] != "closed" && tags(t, "billing") && !tags(t, "refund"))
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    expected.sort_unstable();
    assert_eq!(ids(&listed.body, "tickets"), expected);
    let count = sb.get("/api/v2/views.json").await.body["count"].clone();
    for bad in [
        json!({"view": {"title": "By field", "all": [
            {"field": "status", "operator": "is", "value": "open"},
            {"field": "custom_fields_123", "operator": "is", "value": "x"}]}}),
        json!({"view": {"title": "No anchor", "all": [
            {"field": "current_tags", "operator": "includes", "value": "x"}]}}),
        json!({"view": {"title": "Bad operator", "all": [
            {"field": "status", "operator": "includes", "value": "open"}]}}),
        json!({"view": {"title": "Bad column", "all": [
            {"field": "status", "operator": "is", "value": "open"}], "output": {"columns": ["mood"]}}}),
    ] {
        let reply = sb.post("/api/v2/views.json", bad.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            reply.text
        );
        assert!(reply.body["details"].is_object(), "{}", reply.text);
    }
    assert_eq!(sb.get("/api/v2/views.json").await.body["count"], count);
}

#[tokio::test]
async fn help_center_search_and_drafts() {
    let sb = demo().await;
    let empty = sb
        .get("/api/v2/help_center/articles/search.json?query=")
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.text.contains("query is required"), "{}", empty.text);
    let none = sb
        .get("/api/v2/help_center/articles/search.json?query=zebra%20quantum")
        .await;
    assert_eq!(none.body["count"], 0);
    assert_eq!(none.body["results"], json!([]));

    let sections = sb.get("/api/v2/help_center/sections.json").await;
    let section = sections.body["sections"][0]["id"].as_i64().unwrap();
    let draft = sb
        .post(
            &format!("/api/v2/help_center/sections/{section}/articles.json"),
            json!({"article": {"title": "Unreleased zebra feature", "body": "<p>zebra secrets</p>", "draft": true}}),
        )
        .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.text);
    let draft_id = draft.body["article"]["id"].as_i64().unwrap();
    let (_, customer) = sb.user("Curious Customer", "end-user").await;
    for auth in [None, Some(customer.as_str())] {
        let found = sb
            .call(
                Method::GET,
                "/api/v2/help_center/articles/search.json?query=zebra",
                auth,
                None,
            )
            .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.text);
        assert_eq!(
            found.body["count"], 0,
            "drafts are for agents: {}",
            found.text
        );
        let shown = sb
            .call(
                Method::GET,
                &format!("/api/v2/help_center/articles/{draft_id}.json"),
                auth,
                None,
            )
            .await;
        assert_eq!(shown.status, StatusCode::NOT_FOUND);
    }
    let agent_found = sb
        .get("/api/v2/help_center/articles/search.json?query=zebra")
        .await;
    assert_eq!(agent_found.body["count"], 1);
    // Paging: per_page 1 walks the results.
    let first = sb
        .get("/api/v2/help_center/articles/search.json?query=billing%20invoice%20refund&per_page=1")
        .await;
    assert!(first.body["count"].as_i64().unwrap() >= 2, "{}", first.text);
    assert!(first.body["next_page"].as_str().unwrap().contains("page=2"));
    // Locale in the path; a category with sections cannot be deleted.
    let localized = sb.get("/api/v2/help_center/en-us/articles.json").await;
    assert!(localized.body["articles"].as_array().unwrap().len() >= 8);
    let other = sb.get("/api/v2/help_center/fr/articles.json").await;
    assert_eq!(other.body["articles"], json!([]));
    let category = sections.body["sections"][0]["category_id"]
        .as_i64()
        .unwrap();
    let refused = sb
        .delete(&format!("/api/v2/help_center/categories/{category}.json"))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Archiving takes an article out of search.
    let archived = sb
        .delete(&format!("/api/v2/help_center/articles/{draft_id}.json"))
        .await;
    assert_eq!(archived.status, StatusCode::NO_CONTENT);
    let gone = sb
        .get("/api/v2/help_center/articles/search.json?query=zebra")
        .await;
    assert_eq!(gone.body["count"], 0);
}

#[tokio::test]
async fn uploads_are_attached_by_a_comment_and_served_to_who_may_see_it() {
    let sb = sandbox().await;
    let (customer, customer_auth) = sb.user("Wile Coyote", "end-user").await;
    let (_, stranger_auth) = sb.user("Other Customer", "end-user").await;
    let (_, agent_auth) = sb.user("Ada Agent", "agent").await;
    let ticket = sb
        .post(
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "Skates", "comment": {"body": "Broken"}, "requester_id": customer}}),
        )
        .await
        .body["ticket"]["id"]
        .as_i64()
        .unwrap();
    let png: &[u8] = b"\x89PNG\r\n\x1a\nnot really a png";
    let first = sb
        .upload(&agent_auth, "photo.png", "image/png", png, None)
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let token = first.body["upload"]["token"].as_str().unwrap().to_string();
    let second = sb
        .upload(
            &agent_auth,
            "notes.txt",
            "application/binary",
            b"line one\n",
            Some(&token),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED, "{}", second.text);
    assert_eq!(
        second.body["upload"]["attachments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        second.body["upload"]["attachment"]["content_type"],
        "text/plain"
    );
    // A stranger cannot add to it.
    let hijack = sb
        .upload(&stranger_auth, "x.txt", "text/plain", b"x", Some(&token))
        .await;
    assert_eq!(hijack.status, StatusCode::UNPROCESSABLE_ENTITY);

    let reply = sb
        .call(
            Method::PUT,
            &format!("/api/v2/tickets/{ticket}.json"),
            Some(&agent_auth),
            Some(
                json!({"ticket": {"comment": {"body": "Here are the files", "uploads": [token]}}}),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let comments = sb
        .get(&format!("/api/v2/tickets/{ticket}/comments.json"))
        .await;
    let files = comments.body["comments"][1]["attachments"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(files.len(), 2, "{}", comments.text);
    assert!(
        files.iter().all(|f| f.get("upload").is_none()),
        "private keys stay private"
    );
    let photo = files
        .iter()
        .find(|f| f["file_name"] == "photo.png")
        .unwrap();
    let url = photo["content_url"].as_str().unwrap();
    assert!(
        url.starts_with("http://sandbox.test/attachments/token/"),
        "{url}"
    );
    let path = url.trim_start_matches("http://sandbox.test");
    for (who, auth, status) in [
        ("the agent", agent_auth.as_str(), StatusCode::OK),
        ("the requester", customer_auth.as_str(), StatusCode::OK),
        (
            "another customer",
            stranger_auth.as_str(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let got = sb.call(Method::GET, path, Some(auth), None).await;
        assert_eq!(got.status, status, "{who}: {}", got.text);
        if status == StatusCode::OK {
            assert_eq!(got.headers["content-type"], "image/png");
            assert_eq!(got.text, String::from_utf8_lossy(png), "the stored bytes");
        }
    }
    let anonymous = sb.call(Method::GET, path, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let shown = sb
        .get(&format!("/api/v2/attachments/{}.json", photo["id"]))
        .await;
    assert_eq!(shown.body["attachment"]["size"], png.len());
    // The same paths under another address: links follow the address asked.
    let elsewhere = {
        let request = axum::http::Request::builder()
            .uri(format!("/api/v2/tickets/{ticket}/comments.json"))
            .header("host", "127.0.0.1:9999")
            .header("authorization", admin())
            .body(axum::body::Body::empty())
            .unwrap();
        sb.raw(request).await
    };
    assert!(
        elsewhere.body["comments"][1]["attachments"][0]["content_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:9999/attachments/token/")
    );

    // The token is spent: using it again is refused, and no comment is added.
    let count = comments.body["comments"].as_array().unwrap().len();
    let again = sb
        .call(
            Method::PUT,
            &format!("/api/v2/tickets/{ticket}.json"),
            Some(&agent_auth),
            Some(json!({"ticket": {"comment": {"body": "Again", "uploads": [token]}}})),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.text
    );
    assert!(
        again.text.contains("not a pending upload"),
        "{}",
        again.text
    );
    let comments = sb
        .get(&format!("/api/v2/tickets/{ticket}/comments.json"))
        .await;
    assert_eq!(comments.body["comments"].as_array().unwrap().len(), count);

    // A file on an internal note is the agents' only.
    let note_file = sb
        .upload(&agent_auth, "internal.txt", "text/plain", b"secret", None)
        .await;
    let note_token = note_file.body["upload"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let note_path = note_file.body["upload"]["attachment"]["content_url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://sandbox.test")
        .to_string();
    // Before it is attached, only its uploader sees it.
    let early = sb
        .call(Method::GET, &note_path, Some(&customer_auth), None)
        .await;
    assert_eq!(early.status, StatusCode::NOT_FOUND);
    sb.call(
        Method::PUT,
        &format!("/api/v2/tickets/{ticket}.json"),
        Some(&agent_auth),
        Some(json!({"ticket": {"comment": {"body": "log", "public": false, "uploads": [note_token]}}})),
    )
    .await;
    let hidden = sb
        .call(Method::GET, &note_path, Some(&customer_auth), None)
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let seen = sb
        .call(Method::GET, &note_path, Some(&agent_auth), None)
        .await;
    assert_eq!(seen.text, "secret");

    // Bad uploads: no file name, an empty body, a path for a name.
    for (uri, body) in [
        ("/api/v2/uploads.json", b"x".to_vec()),
        ("/api/v2/uploads.json?filename=a.txt", Vec::new()),
        (
            "/api/v2/uploads.json?filename=..%2Fetc%2Fpasswd",
            b"x".to_vec(),
        ),
    ] {
        let request = axum::http::Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("host", "sandbox.test")
            .header("authorization", admin())
            .body(axum::body::Body::from(body))
            .unwrap();
        let reply = sb.raw(request).await;
        assert!(reply.status.is_client_error(), "{uri}: {}", reply.text);
        assert!(reply.body["error"].is_string(), "{}", reply.text);
    }
    // A pending upload can be deleted by its uploader, once.
    let pending = sb
        .upload(&customer_auth, "later.txt", "text/plain", b"later", None)
        .await;
    let pending_token = pending.body["upload"]["token"].as_str().unwrap();
    let stranger = sb
        .call(
            Method::DELETE,
            &format!("/api/v2/uploads/{pending_token}.json"),
            Some(&stranger_auth),
            None,
        )
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    for status in [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND] {
        let deleted = sb
            .call(
                Method::DELETE,
                &format!("/api/v2/uploads/{pending_token}.json"),
                Some(&customer_auth),
                None,
            )
            .await;
        assert_eq!(deleted.status, status);
    }
}

/// With the Help Center's address configured, every Help Center record's `html_url` is its page
/// there (stable, whatever port the sandbox has), while `url` stays this API's own address.
#[tokio::test]
async fn html_urls_are_under_the_configured_help_center_address() {
    let sb = sandbox_with(Config {
        seed: Some(Seed::Demo),
        db_url: zendesk_sandbox::test_db_url(),
        help_center_url: Some("https://help.example.com/".into()),
        ..Config::in_memory(ADMIN_TOKEN)
    })
    .await;
    let search = sb
        .get("/api/v2/help_center/articles/search.json?query=password%20reset")
        .await;
    assert_eq!(search.status, StatusCode::OK, "{}", search.text);
    let hit = &search.body["results"][0];
    let page = hit["html_url"].as_str().unwrap();
    assert!(
        page.starts_with("https://help.example.com/hc/en-us/articles/"),
        "{page}"
    );
    let id = hit["id"].as_i64().unwrap();
    let shown = sb
        .get(&format!("/api/v2/help_center/articles/{id}.json"))
        .await;
    assert_eq!(shown.body["article"]["html_url"], page);
    assert_eq!(
        shown.body["article"]["url"],
        format!("http://sandbox.test/api/v2/help_center/en-us/articles/{id}.json")
    );
    for (path, key) in [
        ("/api/v2/help_center/sections.json", "sections"),
        ("/api/v2/help_center/categories.json", "categories"),
        ("/api/v2/help_center/articles.json", "articles"),
    ] {
        let list = sb.get(path).await;
        let records = list.body[key].as_array().unwrap();
        assert!(!records.is_empty(), "{path}: {}", list.text);
        for record in records {
            let page = record["html_url"].as_str().unwrap();
            assert!(
                page.starts_with(&format!("https://help.example.com/hc/en-us/{key}/")),
                "{path}: {page}"
            );
        }
        // And one record of each shown alone.
        let one = &key[..key.len() - 1];
        let one = if one == "categorie" { "category" } else { one };
        let id = records[0]["id"].as_i64().unwrap();
        let shown = sb
            .get(&format!("/api/v2/help_center/{key}/{id}.json"))
            .await;
        assert_eq!(
            shown.body[one]["html_url"], records[0]["html_url"],
            "{}",
            shown.text
        );
    }
}

/// A Help Center address that is not an absolute http(s) address stops the sandbox from
/// starting, with a message naming the setting and the form.
#[tokio::test]
async fn a_help_center_address_that_is_not_a_web_address_is_refused_at_start() {
    for bad in [
        "help.example.com",
        "ftp://help.example.com",
        "https://h.example.com/?x=1",
    ] {
        let error = zendesk_sandbox::AppState::open(&Config {
            help_center_url: Some(bad.into()),
            ..Config::in_memory(ADMIN_TOKEN)
        })
        .await
        .err()
        .unwrap_or_else(|| panic!("{bad} was accepted"))
        .to_string();
        assert!(
            error.contains("Help Center address") && error.contains(bad),
            "{bad}: {error}"
        );
    }
}
