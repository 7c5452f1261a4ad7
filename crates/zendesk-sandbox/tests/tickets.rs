//! Tickets over HTTP: CRUD, comments, tags, closed tickets, soft delete and restore, bulk jobs,
//! merge, pagination envelopes and their edge cases, and error shapes.

mod common;

use axum::http::{Method, StatusCode};
use common::{Sb, sandbox};
use serde_json::{Value, json};

#[tokio::test]
async fn create_answers_201_with_location_audit_and_defaults() {
    let sb = sandbox().await;
    let reply = sb
        .post("/api/v2/tickets.json", json!({"ticket": {"subject": "Printer on fire", "comment": {"body": "Help"}, "tags": ["Urgent", "printer"], "id": ""}}))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let ticket = &reply.body["ticket"];
    let id = ticket["id"].as_i64().unwrap();
    assert_eq!(
        reply.headers["location"].to_str().unwrap(),
        format!("http://sandbox.test/api/v2/tickets/{id}.json")
    );
    assert_eq!(
        ticket["url"],
        format!("http://sandbox.test/api/v2/tickets/{id}.json")
    );
    assert_eq!(ticket["status"], "new");
    assert_eq!(ticket["description"], "Help");
    assert_eq!(ticket["raw_subject"], "Printer on fire");
    assert_eq!(ticket["tags"], json!(["urgent", "printer"]));
    assert_eq!(ticket["via"]["channel"], "api");
    assert!(ticket["priority"].is_null() && ticket["assignee_id"].is_null());
    let me = sb.get("/api/v2/users/me.json").await.body["user"]["id"].clone();
    assert_eq!(ticket["requester_id"], me);
    assert_eq!(ticket["submitter_id"], me);
    let events = reply.body["audit"]["events"].as_array().unwrap();
    assert_eq!(events[0]["type"], "Comment");
    assert_eq!(events[0]["body"], "Help");
    // The write's own events, then what the account's standard triggers did (each naming its
    // trigger).
    assert!(events[1..].iter().all(|e| e["type"] == "Create"
        || (e["type"] == "Notification" && e["via"]["source"]["rel"] == "trigger")));
    assert!(
        events
            .iter()
            .any(|e| e["field_name"] == "status" && e["value"] == "new")
    );
}

#[tokio::test]
async fn description_alone_creates_the_first_comment_and_a_subject() {
    let sb = sandbox().await;
    let reply = sb
        .post(
            "/api/v2/tickets",
            json!({"ticket": {"description": "Line one\nmore"}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["ticket"]["subject"], "Line one");
    let blank = sb
        .post("/api/v2/tickets", json!({"ticket": {"subject": "x"}}))
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blank.body["error"], "RecordInvalid");
    assert_eq!(
        blank.body["details"]["description"][0]["error"],
        "BlankValue"
    );
}

#[tokio::test]
async fn update_adds_comments_and_applies_tag_semantics() {
    let sb = sandbox().await;
    let id = sb.ticket("tags").await;
    let path = format!("/api/v2/tickets/{id}.json");
    let r = sb.put(&path, json!({"ticket": {"tags": ["a", "b"], "comment": {"body": "private note", "public": false}}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["ticket"]["tags"], json!(["a", "b"]));
    assert_eq!(r.body["audit"]["events"][0]["type"], "Comment");
    let r = sb.put(&path, json!({"ticket": {"additional_tags": ["c", "a"], "remove_tags": ["b"], "status": "open", "priority": "HIGH"}})).await;
    assert_eq!(r.body["ticket"]["tags"], json!(["a", "c"]));
    assert_eq!(r.body["ticket"]["status"], "open");
    assert_eq!(r.body["ticket"]["priority"], "high");
    let change = r.body["audit"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["field_name"] == "status")
        .cloned()
        .unwrap();
    assert_eq!(change["previous_value"], "new");
    let comments = sb.get(&format!("/api/v2/tickets/{id}/comments.json")).await;
    let bodies: Vec<&str> = comments.body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, vec!["about tags", "private note"]);
    assert_eq!(comments.body["comments"][1]["public"], false);
    assert_eq!(comments.body["count"], 2);
    let audits = sb.get(&format!("/api/v2/tickets/{id}/audits.json")).await;
    assert_eq!(audits.body["audits"].as_array().unwrap().len(), 3);
    let all = sb.get("/api/v2/ticket_audits.json?page[size]=2").await;
    assert_eq!(all.body["audits"].as_array().unwrap().len(), 2);
    assert_eq!(all.body["meta"]["has_more"], true);
}

#[tokio::test]
async fn a_refused_update_changes_nothing() {
    let sb = sandbox().await;
    let id = sb.ticket("keep").await;
    let path = format!("/api/v2/tickets/{id}.json");
    let before = sb.get(&path).await.body;
    // A valid tag change together with an invalid priority: the whole request is refused.
    let r = sb.put(&path, json!({"ticket": {"tags": ["changed"], "priority": "whenever", "comment": {"body": "lost"}}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["details"]["priority"][0]["error"], "InvalidValue");
    assert_eq!(sb.get(&path).await.body, before);
    let comments = sb.get(&format!("/api/v2/tickets/{id}/comments.json")).await;
    assert_eq!(comments.body["comments"].as_array().unwrap().len(), 1);
    // An end-user cannot be the assignee.
    let (customer, _) = sb.user("Cus Tomer", "end-user").await;
    let r = sb
        .put(&path, json!({"ticket": {"assignee_id": customer}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(sb.get(&path).await.body, before);
}

#[tokio::test]
async fn an_assignee_outside_the_tickets_group_is_refused() {
    let sb = sandbox().await;
    let group = |name: &'static str| {
        let sb = &sb;
        async move {
            let reply = sb
                .post("/api/v2/groups.json", json!({"group": {"name": name}}))
                .await;
            reply.body["group"]["id"].as_i64().unwrap()
        }
    };
    let (billing, support) = (group("Billing").await, group("Support").await);
    let (agent, _) = sb.user("Ann Agent", "agent").await;
    let member = sb
        .post(
            "/api/v2/group_memberships.json",
            json!({"group_membership": {"user_id": agent, "group_id": support}}),
        )
        .await;
    assert_eq!(member.status, StatusCode::CREATED, "{}", member.text);

    // On create: Zendesk's 422 names the assignee, and no ticket is made.
    let before = sb.get("/api/v2/tickets.json").await.body["tickets"].clone();
    let refused = sb
        .post("/api/v2/tickets.json", json!({"ticket": {"comment": {"body": "x"}, "group_id": billing, "assignee_id": agent}}))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    let detail = &refused.body["details"]["assignee"][0];
    assert!(
        detail["description"]
            .as_str()
            .unwrap()
            .starts_with("Assignee: is not a member of the group"),
        "{detail}"
    );
    assert_eq!(sb.get("/api/v2/tickets.json").await.body["tickets"], before);
    let made = sb
        .post("/api/v2/tickets.json", json!({"ticket": {"comment": {"body": "x"}, "group_id": support, "assignee_id": agent}}))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);

    // On update: moving the ticket to a group its assignee is not in is refused and changes
    // nothing; moving it with a member of that group is fine.
    let path = format!("/api/v2/tickets/{}.json", made.body["ticket"]["id"]);
    let before = sb.get(&path).await.body;
    let moved = sb
        .put(&path, json!({"ticket": {"group_id": billing}}))
        .await;
    assert_eq!(
        moved.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        moved.text
    );
    assert_eq!(sb.get(&path).await.body, before);
    let unassigned = sb
        .put(
            &path,
            json!({"ticket": {"group_id": billing, "assignee_id": null}}),
        )
        .await;
    assert_eq!(unassigned.status, StatusCode::OK, "{}", unassigned.text);
}

#[tokio::test]
async fn a_closed_ticket_refuses_updates() {
    let sb = sandbox().await;
    let id = sb.ticket("done").await;
    let path = format!("/api/v2/tickets/{id}.json");
    assert_eq!(
        sb.put(&path, json!({"ticket": {"status": "solved"}}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sb.put(&path, json!({"ticket": {"status": "closed"}}))
            .await
            .status,
        StatusCode::OK
    );
    let r = sb
        .put(&path, json!({"ticket": {"comment": {"body": "reopen?"}}}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["error"], "RecordInvalid");
    assert_eq!(
        r.body["details"]["status"][0]["description"],
        "Status: closed prevents ticket update"
    );
}

#[tokio::test]
async fn safe_update_with_a_stale_stamp_is_a_conflict() {
    let sb = sandbox().await;
    let id = sb.ticket("safe").await;
    let r = sb
        .put(&format!("/api/v2/tickets/{id}"), json!({"ticket": {"status": "open", "safe_update": true, "updated_stamp": "2001-01-01T00:00:00Z"}}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn delete_is_soft_and_restorable() {
    let sb = sandbox().await;
    let id = sb.ticket("bye").await;
    let path = format!("/api/v2/tickets/{id}.json");
    let r = sb.delete(&path).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.text.is_empty());
    let gone = sb.get(&path).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.body,
        json!({"error": "RecordNotFound", "description": "Not found"})
    );
    let deleted = sb.get("/api/v2/deleted_tickets.json").await;
    assert_eq!(deleted.body["deleted_tickets"][0]["id"], id);
    assert_eq!(deleted.body["deleted_tickets"][0]["subject"], "bye");
    assert_eq!(deleted.body["deleted_tickets"][0]["previous_state"], "new");
    let r = sb
        .put(
            &format!("/api/v2/deleted_tickets/{id}/restore.json"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({}));
    assert_eq!(sb.get(&path).await.status, StatusCode::OK);
    assert_eq!(
        sb.get("/api/v2/deleted_tickets").await.body["deleted_tickets"],
        json!([])
    );
    // Permanent delete: a background job whose result is `{"success": true}`.
    sb.delete(&path).await;
    let purge = sb
        .delete(&format!("/api/v2/deleted_tickets/{id}.json"))
        .await;
    assert_eq!(purge.status, StatusCode::OK, "{}", purge.text);
    assert!(purge.body["job_status"]["total"].is_null());
    let job = sb.wait_job(&Sb::job_id(&purge)).await;
    assert_eq!(job["results"], json!({"success": true}));
    assert_eq!(
        sb.get("/api/v2/deleted_tickets").await.body["deleted_tickets"],
        json!([])
    );
    let again = sb
        .delete(&format!("/api/v2/deleted_tickets/{id}.json"))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

async fn pages(sb: &Sb, first: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(first.to_string());
    while let Some(url) = next {
        let path = url.trim_start_matches("http://sandbox.test").to_string();
        let page = sb.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        next = page.body["links"]["next"].as_str().map(str::to_string);
        let done = page.body["tickets"].as_array().unwrap().is_empty();
        out.push(page.body);
        if done {
            break;
        }
    }
    out
}

#[tokio::test]
async fn cursor_pages_end_with_an_empty_page_and_null_links() {
    let sb = sandbox().await;
    for n in 0..3 {
        sb.ticket(&format!("t{n}")).await;
    }
    let all = pages(&sb, "/api/v2/tickets.json?page[size]=2").await;
    assert_eq!(all.len(), 3);
    assert_eq!(all[0]["meta"]["has_more"], true);
    assert_eq!(all[0]["tickets"].as_array().unwrap().len(), 2);
    // The last non-empty page: has_more false, yet links.next is still a URL.
    assert_eq!(all[1]["meta"]["has_more"], false);
    assert_eq!(all[1]["tickets"].as_array().unwrap().len(), 1);
    assert!(
        all[1]["links"]["next"]
            .as_str()
            .unwrap()
            .contains("page%5Bafter%5D=")
    );
    // Following it: empty, with null cursors and links.
    assert_eq!(all[2]["tickets"], json!([]));
    assert_eq!(
        all[2]["meta"],
        json!({"has_more": false, "after_cursor": null, "before_cursor": null})
    );
    assert_eq!(all[2]["links"], json!({"prev": null, "next": null}));
    // prev goes back to the first page.
    let prev = all[1]["links"]["prev"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://sandbox.test")
        .to_string();
    let back = sb.get(&prev).await;
    assert_eq!(back.body["tickets"], all[0]["tickets"]);
}

#[tokio::test]
async fn cursor_sorts_and_bad_parameters() {
    let sb = sandbox().await;
    for n in 0..3 {
        sb.ticket(&format!("s{n}")).await;
    }
    let desc = sb.get("/api/v2/tickets.json?page[size]=3&sort=-id").await;
    let ids: Vec<i64> = desc.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![3, 2, 1]);
    let bad = sb
        .get("/api/v2/tickets.json?page[size]=3&sort=subject")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"], "InvalidPaginationParameter");
    let bad_size = sb.get("/api/v2/tickets.json?page[size]=101").await;
    assert_eq!(bad_size.status, StatusCode::BAD_REQUEST);
    let bad_cursor = sb.get("/api/v2/tickets.json?page[after]=bm9wZQ==").await;
    assert_eq!(bad_cursor.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn offset_pages_and_the_depth_limit() {
    let sb = sandbox().await;
    for n in 0..5 {
        sb.ticket(&format!("o{n}")).await;
    }
    let page = sb.get("/api/v2/tickets.json?per_page=2&page=2").await;
    assert_eq!(page.body["count"], 5);
    assert_eq!(page.body["tickets"].as_array().unwrap().len(), 2);
    assert_eq!(
        page.body["next_page"],
        "http://sandbox.test/api/v2/tickets.json?page=3&per_page=2"
    );
    assert_eq!(
        page.body["previous_page"],
        "http://sandbox.test/api/v2/tickets.json?page=1&per_page=2"
    );
    let last = sb.get("/api/v2/tickets.json?per_page=2&page=3").await;
    assert!(last.body["next_page"].is_null());
    let deep = sb.get("/api/v2/tickets.json?per_page=100&page=101").await;
    assert_eq!(deep.status, StatusCode::BAD_REQUEST);
    assert_eq!(deep.body["errors"][0]["code"], "InvalidPaginationDepth");
}

#[tokio::test]
async fn malformed_json_and_unknown_paths_answer_in_zendesk_shapes() {
    let sb = sandbox().await;
    let request = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v2/tickets.json")
        .header("authorization", common::admin())
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"ticket\": {"))
        .unwrap();
    let r = sb.raw(request).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"], "InvalidJSON");
    assert!(r.body["description"].as_str().unwrap().contains("line 1"));
    let missing = sb.post("/api/v2/tickets.json", json!({"tiket": {}})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(
        missing.body["description"]
            .as_str()
            .unwrap()
            .contains("`ticket`")
    );
    let unknown = sb.get("/api/v2/nothing/here.json").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"], "InvalidEndpoint");
    let not_a_number = sb.get("/api/v2/tickets/abc.json").await;
    assert_eq!(not_a_number.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bulk_limits_are_100_values() {
    let sb = sandbox().await;
    let many: Vec<Value> = (0..101)
        .map(|n| json!({"subject": format!("b{n}"), "comment": {"body": "x"}}))
        .collect();
    let r = sb
        .post("/api/v2/tickets/create_many.json", json!({"tickets": many}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"error": "TooManyValues", "description": "Parameter  cannot specify more than 100 values", "max_count": 100})
    );
    let ids = (1..=101)
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let r = sb
        .get(&format!("/api/v2/tickets/show_many.json?ids={ids}"))
        .await;
    assert_eq!(r.body["error"], "TooManyValues");
    let r = sb
        .delete(&format!("/api/v2/tickets/destroy_many.json?ids={ids}"))
        .await;
    assert_eq!(r.body["error"], "TooManyValues");
}

#[tokio::test]
async fn bulk_jobs_run_to_completion_with_per_item_results() {
    let sb = sandbox().await;
    let r = sb
        .post(
            "/api/v2/tickets/create_many.json",
            json!({"tickets": [
                {"subject": "one", "comment": {"body": "1"}},
                {"subject": "bad", "priority": "nope", "comment": {"body": "2"}},
                {"subject": "three", "comment": {"body": "3"}}
            ]}),
        )
        .await;
    assert_eq!(r.body["job_status"]["status"], "queued");
    assert!(
        r.body["job_status"]["progress"].is_null() && r.body["job_status"]["results"].is_null()
    );
    assert_eq!(r.body["job_status"]["total"], 3);
    assert_eq!(r.body["job_status"]["job_type"], "Bulk Create Ticket");
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(job["status"], "completed");
    assert!(
        job["message"]
            .as_str()
            .unwrap()
            .starts_with("Completed at ")
    );
    let results = job["results"].as_array().unwrap();
    assert_eq!(results[0]["index"], 0);
    assert_eq!(results[1]["error"], "TicketCreateFailed");
    assert!(results[1]["details"].as_str().unwrap().contains("nope"));
    let created: Vec<i64> = [0, 2]
        .iter()
        .map(|i| results[*i]["id"].as_i64().unwrap())
        .collect();

    // update_many, "same change to all" form: tags are added, not replaced.
    sb.put(
        &format!("/api/v2/tickets/{}", created[0]),
        json!({"ticket": {"tags": ["keep"]}}),
    )
    .await;
    let ids = created
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let r = sb
        .put(
            &format!("/api/v2/tickets/update_many.json?ids={ids}"),
            json!({"ticket": {"additional_tags": ["bulk"], "status": "open"}}),
        )
        .await;
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(
        job["results"][0],
        json!({"id": created[0], "action": "update", "status": "Updated", "success": true})
    );
    let first = sb.get(&format!("/api/v2/tickets/{}", created[0])).await;
    assert_eq!(first.body["ticket"]["tags"], json!(["keep", "bulk"]));
    assert_eq!(first.body["ticket"]["status"], "open");

    // update_many, "one change each" form, with a missing ticket failing alone.
    let r = sb.put("/api/v2/tickets/update_many.json", json!({"tickets": [{"id": created[1], "subject": "renamed"}, {"id": 9999, "subject": "ghost"}]})).await;
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(job["status"], "completed");
    assert_eq!(job["results"][1]["id"], 9999);
    assert_eq!(job["results"][1]["error"], "RecordNotFound");
    assert_eq!(
        sb.get(&format!("/api/v2/tickets/{}", created[1]))
            .await
            .body["ticket"]["subject"],
        "renamed"
    );

    // destroy_many.
    let r = sb
        .delete(&format!("/api/v2/tickets/destroy_many.json?ids={ids}"))
        .await;
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(job["status"], "completed");
    assert_eq!(
        sb.get(&format!("/api/v2/tickets/{}", created[0]))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let listed = sb.get("/api/v2/job_statuses.json").await;
    assert!(listed.body["job_statuses"].as_array().unwrap().len() >= 4);
}

#[tokio::test]
async fn merge_closes_sources_and_comments_on_the_target() {
    let sb = sandbox().await;
    let target = sb.ticket("target").await;
    let a = sb.ticket("a").await;
    let b = sb.ticket("b").await;
    let self_merge = sb
        .post(
            &format!("/api/v2/tickets/{target}/merge.json"),
            json!({"ids": [target]}),
        )
        .await;
    assert_eq!(self_merge.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = sb.post(&format!("/api/v2/tickets/{target}/merge.json"), json!({"ids": [a, b], "target_comment": "merged in", "source_comment_is_public": false})).await;
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(job["status"], "completed", "{job}");
    for source in [a, b] {
        let t = sb.get(&format!("/api/v2/tickets/{source}")).await;
        assert_eq!(t.body["ticket"]["status"], "closed");
        let comments = sb.get(&format!("/api/v2/tickets/{source}/comments")).await;
        let last = comments.body["comments"]
            .as_array()
            .unwrap()
            .last()
            .cloned()
            .unwrap();
        assert!(
            last["body"]
                .as_str()
                .unwrap()
                .contains(&format!("#{target}"))
        );
        assert_eq!(last["public"], false);
    }
    let comments = sb.get(&format!("/api/v2/tickets/{target}/comments")).await;
    assert_eq!(
        comments.body["comments"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["body"],
        "merged in"
    );
    // A closed ticket cannot be merged again.
    let again = sb
        .post(
            &format!("/api/v2/tickets/{target}/merge.json"),
            json!({"ids": [a]}),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn deleted_tickets_restore_and_destroy_in_bulk() {
    let sb = sandbox().await;
    let a = sb.ticket("a").await;
    let b = sb.ticket("b").await;
    for id in [a, b] {
        sb.delete(&format!("/api/v2/tickets/{id}")).await;
    }
    let missing = sb
        .put(
            &format!("/api/v2/deleted_tickets/restore_many?ids={a},999"),
            json!({}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // All or nothing: `a` is still deleted.
    assert_eq!(
        sb.get(&format!("/api/v2/tickets/{a}")).await.status,
        StatusCode::NOT_FOUND
    );
    let restored = sb
        .put(
            &format!("/api/v2/deleted_tickets/restore_many?ids={a}"),
            json!({}),
        )
        .await;
    assert_eq!(restored.status, StatusCode::OK);
    assert_eq!(
        sb.get(&format!("/api/v2/tickets/{a}")).await.status,
        StatusCode::OK
    );
    let purge = sb
        .delete(&format!("/api/v2/deleted_tickets/destroy_many?ids={b}"))
        .await;
    let job = sb.wait_job(&Sb::job_id(&purge)).await;
    assert_eq!(job["results"], json!({"success": true}));
    assert_eq!(sb.get("/api/v2/deleted_tickets").await.body["count"], 0);
}

#[tokio::test]
async fn show_many_returns_only_existing_tickets() {
    let sb = sandbox().await;
    let a = sb.ticket("a").await;
    let b = sb.ticket("b").await;
    let r = sb
        .get(&format!("/api/v2/tickets/show_many.json?ids={b},{a},777"))
        .await;
    let ids: Vec<i64> = r.body["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![a, b]);
}
