//! Triggers, automations, the sandbox clock and the outbox, through the HTTP API as clients
//! call them: what fires on a ticket write and how the audit names it, the trigger cycle, the
//! standard triggers' mail, an automation closing solved tickets on the sandbox clock, the
//! refusals, and who may call each endpoint. Runs on SQLite, or on PostgreSQL when
//! `ZD_TEST_DATABASE_URL` names one.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};

async fn create_rule(sb: &Sb, plural: &str, one: &str, body: Value) -> Value {
    let reply = sb
        .post(&format!("/api/v2/{plural}.json"), json!({ one: body }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body[one].clone()
}

async fn audits(sb: &Sb, ticket: i64) -> Vec<Value> {
    let reply = sb
        .get(&format!("/api/v2/tickets/{ticket}/audits.json"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["audits"].as_array().unwrap().clone()
}

async fn emails(sb: &Sb, query: &str) -> Vec<Value> {
    let reply = sb
        .get(&format!("/api/v2/sandbox/emails.json?{query}"))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["emails"].as_array().unwrap().clone()
}

async fn create_ticket(sb: &Sb, ticket: Value) -> Value {
    let reply = sb
        .post("/api/v2/tickets.json", json!({ "ticket": ticket }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["ticket"].clone()
}

#[tokio::test]
async fn a_trigger_on_urgent_creates_tags_the_ticket_and_the_audit_names_it() {
    let sb = sandbox().await;
    let trigger = create_rule(
        &sb,
        "triggers",
        "trigger",
        json!({"title": "Escalate urgent requests",
               "conditions": {"all": [
                   {"field": "update_type", "operator": "is", "value": "Create"},
                   {"field": "priority", "operator": "is", "value": "urgent"}]},
               "actions": [{"field": "current_tags", "value": "escalated"}]}),
    )
    .await;
    let urgent = create_ticket(
        &sb,
        json!({"subject": "Site down", "priority": "urgent", "comment": {"body": "All of it"}}),
    )
    .await;
    assert_eq!(urgent["tags"], json!(["escalated"]), "{urgent}");
    let calm = create_ticket(
        &sb,
        json!({"subject": "Question", "priority": "low", "comment": {"body": "When?"}}),
    )
    .await;
    assert_eq!(calm["tags"], json!([]), "{calm}");

    // The change is the trigger's, in the create's own audit.
    let shown = sb
        .get(&format!("/api/v2/tickets/{}.json", urgent["id"]))
        .await;
    assert_eq!(shown.body["ticket"]["tags"], json!(["escalated"]));
    let audits = audits(&sb, urgent["id"].as_i64().unwrap()).await;
    assert_eq!(audits.len(), 1);
    let change = audits[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "Change" && e["field_name"] == "tags")
        .unwrap_or_else(|| panic!("no tags change in {}", audits[0]));
    assert_eq!(change["value"], json!(["escalated"]));
    assert_eq!(change["via"]["channel"], "rule");
    assert_eq!(change["via"]["source"]["rel"], "trigger");
    assert_eq!(change["via"]["source"]["from"]["id"], trigger["id"]);
    assert_eq!(
        change["via"]["source"]["from"]["title"],
        "Escalate urgent requests"
    );
}

#[tokio::test]
async fn a_change_by_one_trigger_fires_another_and_each_fires_at_most_once() {
    let sb = sandbox().await;
    // Position 1 waits for the tag position 2 adds: only the restarted cycle sees it.
    let raise = create_rule(
        &sb,
        "triggers",
        "trigger",
        json!({"title": "Raise staged", "position": 1,
               "conditions": {"all": [{"field": "current_tags", "operator": "includes", "value": "stage2"}]},
               "actions": [{"field": "priority", "value": "high"}]}),
    )
    .await;
    let stage = create_rule(
        &sb,
        "triggers",
        "trigger",
        json!({"title": "Stage new", "position": 2,
               "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
               "actions": [{"field": "current_tags", "value": "stage2"}]}),
    )
    .await;
    // Position 0 holds on every pass of the cycle, but fires once: one tag change, one email.
    let once = create_rule(
        &sb,
        "triggers",
        "trigger",
        json!({"title": "Count once", "position": 0,
               "conditions": {"all": [{"field": "update_type", "operator": "is", "value": "Create"}]},
               "actions": [{"field": "current_tags", "value": "counted"},
                           {"field": "notification_user",
                            "value": ["requester_id", "Counted #{{ticket.id}}", "Priority {{ticket.priority}}"]}]}),
    )
    .await;
    let ticket = create_ticket(
        &sb,
        json!({"subject": "Chain", "priority": "low", "comment": {"body": "go"}}),
    )
    .await;
    let id = ticket["id"].as_i64().unwrap();
    assert_eq!(ticket["priority"], "high", "{ticket}");
    let mut tags: Vec<&str> = ticket["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["counted", "stage2"]);

    let events = audits(&sb, id).await[0]["events"]
        .as_array()
        .unwrap()
        .clone();
    let by = |trigger: &Value| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e["via"]["source"]["from"]["id"] == trigger["id"])
            .cloned()
            .collect()
    };
    assert_eq!(by(&stage).len(), 1, "{events:?}");
    assert_eq!(by(&raise).len(), 1, "{events:?}");
    assert_eq!(by(&raise)[0]["field_name"], "priority");
    let once_events = by(&once);
    assert_eq!(
        once_events.iter().filter(|e| e["type"] == "Change").count(),
        1
    );
    assert_eq!(
        once_events
            .iter()
            .filter(|e| e["type"] == "Notification")
            .count(),
        1
    );
    let counted: Vec<Value> = emails(&sb, &format!("ticket_id={id}"))
        .await
        .into_iter()
        .filter(|e| e["subject"] == format!("Counted #{id}"))
        .collect();
    assert_eq!(counted.len(), 1, "{counted:?}");
    // Placeholders render the ticket as the whole cycle left it (Zendesk titles the value).
    assert_eq!(counted[0]["body"], "Priority High");
    assert_eq!(counted[0]["to"], "admin@example.com");
}

#[tokio::test]
async fn a_new_account_has_the_standard_triggers() {
    let sb = sandbox().await;
    let reply = sb.get("/api/v2/triggers/active.json").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let triggers = reply.body["triggers"].as_array().unwrap();
    let titles: Vec<&str> = triggers
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"Notify requester and CCs of comment update"),
        "{titles:?}"
    );
    assert!(titles.contains(&"Notify group of assignment"), "{titles:?}");
    assert!(triggers.iter().all(|t| t["default"] == true));
    let category = triggers[0]["category_id"].as_str().unwrap().to_string();
    let categories = sb.get("/api/v2/trigger_categories.json").await;
    assert_eq!(
        categories.body["trigger_categories"][0]["id"], category,
        "{}",
        categories.text
    );
    assert_eq!(
        categories.body["trigger_categories"][0]["name"],
        "Notifications"
    );
}

#[tokio::test]
async fn the_outbox_holds_the_requesters_mail_for_a_public_reply_and_nothing_for_a_note() {
    let sb = sandbox().await;
    let (customer, _) = sb.user("Carla Customer", "end-user").await;
    let ticket = create_ticket(
        &sb,
        json!({"subject": "Broken printer", "requester_id": customer,
               "comment": {"body": "It smokes"}}),
    )
    .await;
    let id = ticket["id"].as_i64().unwrap();
    let received = emails(&sb, &format!("ticket_id={id}")).await;
    assert_eq!(received.len(), 1, "{received:?}");
    assert_eq!(received[0]["to"], "carla.customer@example.com");

    let reply = sb
        .put(
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"comment": {"body": "Unplug it, please", "public": true}}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let after_reply = emails(&sb, &format!("ticket_id={id}")).await;
    assert_eq!(after_reply.len(), 2, "{after_reply:?}");
    let newest = &after_reply[0];
    assert_eq!(newest["to"], "carla.customer@example.com");
    assert_eq!(newest["ticket_id"], id);
    assert_eq!(newest["subject"], "[Sandbox] Re: Broken printer");
    assert!(
        newest["body"]
            .as_str()
            .unwrap()
            .contains("Unplug it, please"),
        "{newest}"
    );
    assert!(newest["created_at"].as_str().unwrap().ends_with('Z'));
    let notified = reply.body["audit"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "Notification")
        .cloned()
        .expect("the reply's audit says who was emailed");
    assert_eq!(notified["recipients"], json!([customer]));
    assert_eq!(
        notified["via"]["source"]["from"]["title"],
        "Notify requester and CCs of comment update"
    );

    let note = sb
        .put(
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"comment": {"body": "Customer seems confused", "public": false}}}),
        )
        .await;
    assert_eq!(note.status, StatusCode::OK, "{}", note.text);
    assert_eq!(emails(&sb, &format!("ticket_id={id}")).await.len(), 2);
    assert!(
        !note.body["audit"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "Notification")
    );

    // Filters and cursor paging: by address, newest first, one a page.
    let to = emails(&sb, "to=Carla.Customer@example.com").await;
    assert_eq!(to.len(), 2);
    assert!(emails(&sb, "to=nobody@example.com").await.is_empty());
    let first = sb.get("/api/v2/sandbox/emails.json?page[size]=1").await;
    assert_eq!(first.body["emails"].as_array().unwrap().len(), 1);
    assert_eq!(first.body["emails"][0], after_reply[0]);
    assert_eq!(first.body["meta"]["has_more"], true, "{}", first.text);
    let next = first.body["links"]["next"].as_str().unwrap();
    let path = &next[next.find("/api/v2").unwrap()..];
    let second = sb.get(path).await;
    assert_eq!(second.body["emails"][0], after_reply[1], "{}", second.text);
    // The console's outbox page asks for one offset page of 100.
    let console = sb.get("/api/v2/sandbox/emails.json?per_page=100").await;
    assert_eq!(
        console.body["emails"].as_array().unwrap().len(),
        2,
        "{}",
        console.text
    );
    assert_eq!(console.body["emails"][0], after_reply[0]);
    let bad = sb.get("/api/v2/sandbox/emails.json?ticket_id=abc").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(bad.text.contains("ticket_id"), "{}", bad.text);
}

#[tokio::test]
async fn an_automation_closes_solved_tickets_after_96_hours_on_the_sandbox_clock() {
    let sb = sandbox().await;
    let automation = create_rule(
        &sb,
        "automations",
        "automation",
        json!({"title": "Close 4 days after solved",
               "conditions": {"all": [
                   {"field": "status", "operator": "is", "value": "solved"},
                   {"field": "hours_since_solved", "operator": "greater_than", "value": "96"}]},
               "actions": [{"field": "status", "value": "closed"}]}),
    )
    .await;
    let solved = create_ticket(
        &sb,
        json!({"subject": "Done", "status": "solved", "comment": {"body": "fixed"}}),
    )
    .await;
    let unsolved = create_ticket(&sb, json!({"subject": "New", "comment": {"body": "x"}})).await;
    let status = |id: Value| {
        let sb = &sb;
        async move {
            sb.get(&format!("/api/v2/tickets/{id}.json")).await.body["ticket"]["status"].clone()
        }
    };

    let day = sb
        .post("/api/v2/sandbox/clock/advance.json", json!({"hours": 24}))
        .await;
    assert_eq!(day.status, StatusCode::OK, "{}", day.text);
    assert_eq!(day.body["clock"]["automation_passes"], 24, "{}", day.text);
    assert_eq!(day.body["clock"]["tickets_updated"], 0);
    assert_eq!(status(solved["id"].clone()).await, "solved");

    let later = sb
        .post("/api/v2/sandbox/clock/advance.json", json!({"hours": 74}))
        .await;
    assert_eq!(later.body["clock"]["tickets_updated"], 1, "{}", later.text);
    assert_eq!(later.body["clock"]["offset_hours"], 98);
    assert_eq!(status(solved["id"].clone()).await, "closed");
    assert_eq!(status(unsolved["id"].clone()).await, "new");

    let audits = audits(&sb, solved["id"].as_i64().unwrap()).await;
    let closing = audits.last().unwrap();
    assert_eq!(closing["author_id"], -1);
    assert_eq!(closing["via"]["source"]["rel"], "automation");
    assert_eq!(closing["via"]["source"]["from"]["id"], automation["id"]);
    // Stamped at the pass's own hour on the sandbox clock, days after the ticket was solved.
    let solved_at = solved["updated_at"].as_str().unwrap().to_string();
    assert!(closing["created_at"].as_str().unwrap() > solved_at.as_str());

    let refused = sb
        .post("/api/v2/sandbox/clock/advance.json", json!({"days": 2}))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("hours"), "{}", refused.text);
}

#[tokio::test]
async fn unsupported_rules_and_automations_that_do_not_nullify_themselves_are_refused() {
    let sb = sandbox().await;
    let before = sb.get("/api/v2/triggers.json").await.body["count"].clone();
    let condition = sb
        .post(
            "/api/v2/triggers.json",
            json!({"trigger": {"title": "x",
                "conditions": {"all": [{"field": "moon_phase", "operator": "is", "value": "full"}]},
                "actions": [{"field": "status", "value": "open"}]}}),
        )
        .await;
    assert_eq!(condition.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(condition.text.contains("moon_phase"), "{}", condition.text);
    assert!(condition.text.contains("update_type"), "{}", condition.text);
    let action = sb
        .post(
            "/api/v2/triggers.json",
            json!({"trigger": {"title": "x",
                "conditions": {"all": [{"field": "status", "operator": "is", "value": "new"}]},
                "actions": [{"field": "launch_rocket", "value": "now"}]}}),
        )
        .await;
    assert_eq!(action.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(action.text.contains("launch_rocket"), "{}", action.text);
    assert!(action.text.contains("notification_user"), "{}", action.text);
    let operator = sb
        .post(
            "/api/v2/triggers.json",
            json!({"trigger": {"title": "x",
                "conditions": {"all": [{"field": "status", "operator": "resembles", "value": "new"}]},
                "actions": [{"field": "status", "value": "open"}]}}),
        )
        .await;
    assert_eq!(operator.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(operator.text.contains("resembles"), "{}", operator.text);
    assert_eq!(sb.get("/api/v2/triggers.json").await.body["count"], before);

    let endless = sb
        .post(
            "/api/v2/automations.json",
            json!({"automation": {"title": "Nag",
                "conditions": {"all": [
                    {"field": "status", "operator": "is", "value": "pending"},
                    {"field": "hours_since_pending", "operator": "greater_than", "value": "24"}]},
                "actions": [{"field": "priority", "value": "high"}]}}),
        )
        .await;
    assert_eq!(endless.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(endless.text.contains("nullify"), "{}", endless.text);
    assert_eq!(
        sb.get("/api/v2/automations.json").await.body["count"],
        0,
        "a refused automation is not saved"
    );
}

#[tokio::test]
async fn triggers_are_listed_searched_reordered_and_changed_in_bulk() {
    let sb = sandbox().await;
    let rule = |title: &str| {
        json!({"title": title,
               "conditions": {"all": [{"field": "priority", "operator": "is", "value": "urgent"}]},
               "actions": [{"field": "group_id", "value": ""}]})
    };
    let a = create_rule(&sb, "triggers", "trigger", rule("Alpha route")).await;
    let b = create_rule(&sb, "triggers", "trigger", rule("Beta route")).await;
    let found = sb.get("/api/v2/triggers/search.json?query=beta").await;
    assert_eq!(found.body["count"], 1, "{}", found.text);
    assert_eq!(found.body["triggers"][0]["id"], b["id"]);

    let reorder = sb
        .put(
            "/api/v2/triggers/reorder.json",
            json!({"trigger_ids": [b["id"], a["id"]]}),
        )
        .await;
    assert_eq!(reorder.status, StatusCode::OK, "{}", reorder.text);
    let shown = |id: &Value| format!("/api/v2/triggers/{id}.json");
    assert_eq!(
        sb.get(&shown(&b["id"])).await.body["trigger"]["position"],
        1
    );
    assert_eq!(
        sb.get(&shown(&a["id"])).await.body["trigger"]["position"],
        2
    );

    let many = sb
        .put(
            "/api/v2/triggers/update_many.json",
            json!({"triggers": [{"id": a["id"], "active": false}]}),
        )
        .await;
    assert_eq!(many.status, StatusCode::OK, "{}", many.text);
    assert_eq!(many.body["triggers"][0]["active"], false);
    let inactive = sb.get("/api/v2/triggers.json?active=false").await;
    assert_eq!(inactive.body["count"], 1, "{}", inactive.text);
    let wrong = sb
        .put(
            "/api/v2/triggers/update_many.json",
            json!({"triggers": [{"id": b["id"], "active": false}, {"id": 999, "active": false}]}),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        sb.get(&shown(&b["id"])).await.body["trigger"]["active"],
        true,
        "all or none"
    );

    let definitions = sb.get("/api/v2/triggers/definitions.json").await;
    let conditions = definitions.body["definitions"]["conditions_all"]
        .as_array()
        .unwrap();
    assert!(
        conditions
            .iter()
            .any(|c| c["subject"] == "comment_is_public")
    );

    let gone = sb
        .delete(&format!(
            "/api/v2/triggers/destroy_many.json?ids={},{}",
            a["id"], b["id"]
        ))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    assert_eq!(sb.get(&shown(&a["id"])).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn end_users_are_refused_every_rules_endpoint_and_agents_only_read() {
    let sb = sandbox().await;
    let (_, customer) = sb.user("Eve End", "end-user").await;
    let (_, agent) = sb.user("Andy Agent", "agent").await;
    let trigger = sb.get("/api/v2/triggers.json").await.body["triggers"][0]["id"].clone();
    let reads = [
        "/api/v2/triggers.json".to_string(),
        "/api/v2/triggers/active.json".to_string(),
        "/api/v2/triggers/search.json?query=notify".to_string(),
        "/api/v2/triggers/definitions.json".to_string(),
        format!("/api/v2/triggers/{trigger}.json"),
        "/api/v2/trigger_categories.json".to_string(),
        "/api/v2/automations.json".to_string(),
        "/api/v2/automations/active.json".to_string(),
        "/api/v2/sandbox/emails.json".to_string(),
    ];
    for path in &reads {
        let refused = sb.call(Method::GET, path, Some(&customer), None).await;
        assert_eq!(
            refused.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            refused.text
        );
        let read = sb.call(Method::GET, path, Some(&agent), None).await;
        assert_eq!(read.status, StatusCode::OK, "{path}: {}", read.text);
    }
    let body = json!({"trigger": {"title": "x",
        "conditions": {"all": [{"field": "status", "operator": "is", "value": "new"}]},
        "actions": [{"field": "status", "value": "open"}]}});
    let writes = [
        (
            Method::POST,
            "/api/v2/triggers.json".to_string(),
            Some(body.clone()),
        ),
        (
            Method::PUT,
            format!("/api/v2/triggers/{trigger}.json"),
            Some(body),
        ),
        (
            Method::DELETE,
            format!("/api/v2/triggers/{trigger}.json"),
            None,
        ),
        (
            Method::PUT,
            "/api/v2/triggers/reorder.json".to_string(),
            Some(json!({"trigger_ids": [trigger]})),
        ),
        (
            Method::POST,
            "/api/v2/trigger_categories.json".to_string(),
            Some(json!({"trigger_category": {"name": "x"}})),
        ),
        (
            Method::POST,
            "/api/v2/sandbox/clock/advance.json".to_string(),
            Some(json!({"hours": 1})),
        ),
    ];
    for (method, path, body) in writes {
        for who in [&customer, &agent] {
            let refused = sb
                .call(method.clone(), &path, Some(who), body.clone())
                .await;
            assert_eq!(
                refused.status,
                StatusCode::FORBIDDEN,
                "{method} {path}: {}",
                refused.text
            );
        }
    }
    let still = sb.get(&format!("/api/v2/triggers/{trigger}.json")).await;
    assert_eq!(still.status, StatusCode::OK);
}
