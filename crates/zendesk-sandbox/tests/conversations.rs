//! The conversation layer: comments with side-loaded authors, internal notes kept from
//! end-users (listing and search alike), audits that say a public reply was emailed, ticket
//! fields (system and custom) and the values tickets carry, and group memberships.

mod common;

use axum::http::{Method, StatusCode};
use common::{Sb, sandbox};
use serde_json::{Value, json};

async fn comment(sb: &Sb, auth: &str, id: i64, body: &str, public: bool) -> Value {
    let reply = sb
        .call(
            Method::PUT,
            &format!("/api/v2/tickets/{id}.json"),
            Some(auth),
            Some(json!({"ticket": {"comment": {"body": body, "public": public}}})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

/// A ticket requested by a fresh end-user, with an agent; returns (ticket, end-user auth,
/// agent id, agent auth, end-user id).
async fn conversation(sb: &Sb) -> (i64, String, i64, String, i64) {
    let (customer, customer_auth) = sb.user("Wile Coyote", "end-user").await;
    let (agent, agent_auth) = sb.user("Ada Agent", "agent").await;
    let reply = sb
        .post(
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "Skates", "comment": {"body": "The skates are broken"},
                "requester_id": customer, "assignee_id": agent}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let ticket = reply.body["ticket"]["id"].as_i64().unwrap();
    (ticket, customer_auth, agent, agent_auth, customer)
}

#[tokio::test]
async fn comments_side_load_their_authors() {
    let sb = sandbox().await;
    let (ticket, _, agent, agent_auth, customer) = conversation(&sb).await;
    comment(
        &sb,
        &agent_auth,
        ticket,
        "A replacement is on its way",
        true,
    )
    .await;
    let plain = sb
        .get(&format!("/api/v2/tickets/{ticket}/comments.json"))
        .await;
    assert!(plain.body.get("users").is_none(), "no side-load unasked");
    let with_users = sb
        .get(&format!(
            "/api/v2/tickets/{ticket}/comments.json?include=users"
        ))
        .await;
    assert_eq!(with_users.status, StatusCode::OK, "{}", with_users.text);
    let users = with_users.body["users"].as_array().unwrap();
    let mut ids: Vec<i64> = users.iter().map(|u| u["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    // The first comment's author is the admin who created the ticket; then the agent.
    assert!(ids.contains(&agent), "{users:?}");
    for user in users {
        assert!(user["url"].as_str().unwrap().ends_with(".json"));
        assert!(user["name"].is_string() && user["role"].is_string());
    }
    let comments = with_users.body["comments"].as_array().unwrap();
    for c in comments {
        assert!(
            ids.contains(&c["author_id"].as_i64().unwrap()),
            "every author is side-loaded: {c}"
        );
    }
    // Tickets side-load their people, group and organization too.
    let shown = sb
        .get(&format!(
            "/api/v2/tickets/{ticket}.json?include=users,groups"
        ))
        .await;
    let people: Vec<i64> = shown.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert!(
        people.contains(&customer) && people.contains(&agent),
        "{people:?}"
    );
    assert_eq!(shown.body["groups"], json!([]));
    let listed = sb.get("/api/v2/tickets.json?include=users").await;
    assert!(!listed.body["users"].as_array().unwrap().is_empty());
    assert!(listed.body["count"].is_number(), "the envelope is intact");
}

#[tokio::test]
async fn internal_notes_never_reach_the_requester() {
    let sb = sandbox().await;
    let (ticket, customer_auth, _, agent_auth, _) = conversation(&sb).await;
    let updated = comment(
        &sb,
        &agent_auth,
        ticket,
        "zebracode 7 is the vault code",
        false,
    )
    .await;
    let note = &updated["audit"]["events"][0];
    assert_eq!(note["type"], "Comment");
    assert_eq!(note["public"], false);

    let agent_view = sb
        .call(
            Method::GET,
            &format!("/api/v2/tickets/{ticket}/comments.json"),
            Some(&agent_auth),
            None,
        )
        .await;
    let bodies: Vec<&str> = agent_view.body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"zebracode 7 is the vault code"));

    let customer_view = sb
        .call(
            Method::GET,
            &format!("/api/v2/tickets/{ticket}/comments.json?include=users"),
            Some(&customer_auth),
            None,
        )
        .await;
    assert_eq!(customer_view.status, StatusCode::OK);
    assert!(
        !customer_view.text.contains("zebracode"),
        "{}",
        customer_view.text
    );

    // Search: the agent finds the note's words, the requester learns nothing from them (not
    // even a count), by free text, by `comment:` or by prefix.
    for query in [
        "zebracode",
        "comment:zebracode",
        "zebra*",
        "comment:zeb*",
        "vault code",
    ] {
        let q = query.replace(' ', "%20").replace(':', "%3A");
        let agent_count = sb
            .call(
                Method::GET,
                &format!("/api/v2/search/count.json?query=type%3Aticket%20{q}"),
                Some(&agent_auth),
                None,
            )
            .await;
        assert_eq!(agent_count.body["count"], 1, "agent, {query}");
        let customer_count = sb
            .call(
                Method::GET,
                &format!("/api/v2/search/count.json?query=type%3Aticket%20{q}"),
                Some(&customer_auth),
                None,
            )
            .await;
        assert_eq!(customer_count.status, StatusCode::OK);
        assert_eq!(customer_count.body["count"], 0, "end-user, {query}");
    }
    // The requester still finds their own ticket by its public words.
    let own = sb
        .call(
            Method::GET,
            "/api/v2/search/count.json?query=broken",
            Some(&customer_auth),
            None,
        )
        .await;
    assert_eq!(own.body["count"], 1);
}

#[tokio::test]
async fn a_public_reply_is_emailed_to_the_requester_and_a_note_is_not() {
    let sb = sandbox().await;
    let (ticket, customer_auth, _, agent_auth, customer) = conversation(&sb).await;
    let reply = comment(&sb, &agent_auth, ticket, "We are on it", true).await;
    let events = reply["audit"]["events"].as_array().unwrap();
    let notification = events
        .iter()
        .find(|e| e["type"] == "Notification")
        .expect("a public reply notifies the requester");
    assert_eq!(notification["recipients"], json!([customer]));
    assert_eq!(notification["via"]["source"]["rel"], "trigger");
    // The audit records the trigger's template; the email rendered from it carries the reply.
    assert!(
        notification["body"]
            .as_str()
            .unwrap()
            .contains("{{ticket.comments_formatted}}"),
        "{notification}"
    );
    let mailed = sb
        .get(&format!("/api/v2/sandbox/emails.json?ticket_id={ticket}"))
        .await;
    assert!(
        mailed.body["emails"][0]["body"]
            .as_str()
            .unwrap()
            .contains("We are on it"),
        "{}",
        mailed.text
    );

    let note = comment(&sb, &agent_auth, ticket, "internal only", false).await;
    assert!(
        !note["audit"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "Notification"),
        "an internal note emails nobody"
    );
    // The requester's own comment is not mailed back to them.
    let own = comment(&sb, &customer_auth, ticket, "thanks", true).await;
    assert!(
        !own["audit"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "Notification"
                && e["recipients"]
                    .as_array()
                    .unwrap()
                    .contains(&json!(customer))),
        "{own}"
    );
    // The history lists every change with who made it.
    let audits = sb
        .get(&format!("/api/v2/tickets/{ticket}/audits.json"))
        .await;
    assert_eq!(audits.body["audits"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn system_fields_come_first_and_cannot_be_deleted() {
    let sb = sandbox().await;
    let fields = sb.get("/api/v2/ticket_fields.json").await;
    assert_eq!(fields.status, StatusCode::OK, "{}", fields.text);
    let types: Vec<&str> = fields.body["ticket_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "subject",
            "description",
            "status",
            "tickettype",
            "priority",
            "group",
            "assignee"
        ]
    );
    let status = &fields.body["ticket_fields"][2];
    assert_eq!(status["removable"], false);
    let values: Vec<&str> = status["system_field_options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["open", "pending", "hold", "solved"]);
    let id = status["id"].as_i64().unwrap();
    let refused = sb.delete(&format!("/api/v2/ticket_fields/{id}.json")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.text
    );
    assert!(refused.text.contains("system field"));
}

#[tokio::test]
async fn custom_fields_are_created_validated_and_tag_their_tickets() {
    let sb = sandbox().await;
    let dropdown = sb
        .post(
            "/api/v2/ticket_fields.json",
            json!({"ticket_field": {"type": "tagger", "title": "Plan", "custom_field_options": [
                {"name": "Gold", "value": "gold"}, {"name": "Silver", "value": "silver"}]}}),
        )
        .await;
    assert_eq!(dropdown.status, StatusCode::CREATED, "{}", dropdown.text);
    let plan = dropdown.body["ticket_field"]["id"].as_i64().unwrap();
    assert!(dropdown.headers.contains_key("location"));
    let options = dropdown.body["ticket_field"]["custom_field_options"]
        .as_array()
        .unwrap();
    assert!(options.iter().all(|o| o["id"].is_i64()));
    let checkbox = sb
        .post(
            "/api/v2/ticket_fields.json",
            json!({"ticket_field": {"type": "checkbox", "title": "Urgent fix", "tag": "urgent_fix"}}),
        )
        .await;
    let urgent = checkbox.body["ticket_field"]["id"].as_i64().unwrap();
    let bad_type = sb
        .post(
            "/api/v2/ticket_fields.json",
            json!({"ticket_field": {"type": "dropdown", "title": "x"}}),
        )
        .await;
    assert_eq!(bad_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_type.text.contains("tagger"), "{}", bad_type.text);

    let created = sb
        .post(
            "/api/v2/tickets.json",
            json!({"ticket": {"comment": {"body": "hi"}, "tags": ["vip"],
                "custom_fields": [{"id": plan, "value": "gold"}, {"id": urgent, "value": true}]}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let ticket = created.body["ticket"]["id"].as_i64().unwrap();
    assert_eq!(
        created.body["ticket"]["tags"],
        json!(["vip", "gold", "urgent_fix"])
    );
    // Changing the drop-down swaps its tag; unchecking removes the checkbox's.
    let changed = sb
        .put(
            &format!("/api/v2/tickets/{ticket}.json"),
            json!({"ticket": {"custom_fields": [{"id": plan, "value": "silver"}, {"id": urgent, "value": false}]}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    assert_eq!(changed.body["ticket"]["tags"], json!(["vip", "silver"]));

    for (fields, needle) in [
        (json!([{"id": plan, "value": "platinum"}]), "gold, silver"),
        (
            json!([{"id": 42, "value": "x"}]),
            "no ticket field with id 42",
        ),
        (json!([{"id": urgent, "value": "maybe"}]), "true or false"),
    ] {
        let refused = sb
            .put(
                &format!("/api/v2/tickets/{ticket}.json"),
                json!({"ticket": {"custom_fields": fields}}),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.text
        );
        assert!(refused.text.contains(needle), "{}", refused.text);
    }
    let unchanged = sb.get(&format!("/api/v2/tickets/{ticket}.json")).await;
    assert_eq!(unchanged.body["ticket"]["tags"], json!(["vip", "silver"]));

    // Only admins change fields; agents read them; end-users neither.
    let (_, agent) = sb.user("Field Agent", "agent").await;
    let (_, customer) = sb.user("Field Customer", "end-user").await;
    let by_agent = sb
        .call(
            Method::POST,
            "/api/v2/ticket_fields.json",
            Some(&agent),
            Some(json!({"ticket_field": {"type": "text", "title": "x"}})),
        )
        .await;
    assert_eq!(by_agent.status, StatusCode::FORBIDDEN);
    let read = sb
        .call(
            Method::GET,
            "/api/v2/ticket_fields.json",
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let by_customer = sb
        .call(
            Method::GET,
            "/api/v2/ticket_fields.json",
            Some(&customer),
            None,
        )
        .await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);

    // A changed title shows; a changed type is ignored (as Zendesk does); delete is 204.
    let renamed = sb
        .put(
            &format!("/api/v2/ticket_fields/{urgent}.json"),
            json!({"ticket_field": {"title": "Needs a fix", "type": "text"}}),
        )
        .await;
    assert_eq!(renamed.body["ticket_field"]["title"], "Needs a fix");
    assert_eq!(renamed.body["ticket_field"]["type"], "checkbox");
    let gone = sb
        .delete(&format!("/api/v2/ticket_fields/{urgent}.json"))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let missing = sb
        .get(&format!("/api/v2/ticket_fields/{urgent}.json"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn group_memberships_say_who_can_be_assigned_where() {
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
    let support = group("Support").await;
    let billing = group("Billing").await;
    let (agent, _) = sb.user("Member Agent", "agent").await;
    let (customer, _) = sb.user("Member Customer", "end-user").await;
    let add = |user: i64, group: i64| {
        let sb = &sb;
        async move {
            sb.post(
                "/api/v2/group_memberships.json",
                json!({"group_membership": {"user_id": user, "group_id": group}}),
            )
            .await
        }
    };
    let first = add(agent, support).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(first.body["group_membership"]["default"], true);
    let second = add(agent, billing).await;
    assert_eq!(second.body["group_membership"]["default"], false);
    let user = sb.get(&format!("/api/v2/users/{agent}.json")).await;
    assert_eq!(user.body["user"]["default_group_id"], support);

    let duplicate = add(agent, support).await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    let end_user = add(customer, support).await;
    assert_eq!(end_user.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(end_user.text.contains("end-user"), "{}", end_user.text);

    let of_group = sb
        .get(&format!("/api/v2/groups/{support}/memberships.json"))
        .await;
    let members: Vec<i64> = of_group.body["group_memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["user_id"].as_i64().unwrap())
        .collect();
    assert_eq!(members, vec![agent]);
    let of_user = sb
        .get(&format!(
            "/api/v2/users/{agent}/group_memberships.json?page[size]=1"
        ))
        .await;
    assert_eq!(of_user.body["meta"]["has_more"], true, "{}", of_user.text);

    let billing_membership = second.body["group_membership"]["id"].as_i64().unwrap();
    let made = sb
        .put(
            &format!(
                "/api/v2/users/{agent}/group_memberships/{billing_membership}/make_default.json"
            ),
            json!({}),
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    let user = sb.get(&format!("/api/v2/users/{agent}.json")).await;
    assert_eq!(user.body["user"]["default_group_id"], billing);

    // Deleting the group takes its memberships with it.
    let deleted = sb.delete(&format!("/api/v2/groups/{billing}.json")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let left = sb
        .get(&format!("/api/v2/users/{agent}/group_memberships.json"))
        .await;
    let groups: Vec<i64> = left.body["group_memberships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["group_id"].as_i64().unwrap())
        .collect();
    assert_eq!(groups, vec![support]);
    let user = sb.get(&format!("/api/v2/users/{agent}.json")).await;
    assert_eq!(user.body["user"]["default_group_id"], support);
}

#[tokio::test]
async fn the_demo_help_desk_has_conversations_fields_and_members() {
    let sb = common::sandbox_with(zendesk_sandbox::Config {
        seed: Some(zendesk_sandbox::Seed::Demo),
        ..zendesk_sandbox::Config {
            db_url: zendesk_sandbox::test_db_url(),
            ..zendesk_sandbox::Config::in_memory(common::ADMIN_TOKEN)
        }
    })
    .await;
    let fields = sb.get("/api/v2/ticket_fields.json").await;
    let custom: Vec<&str> = fields.body["ticket_fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["removable"] == true)
        .map(|f| f["type"].as_str().unwrap())
        .collect();
    assert_eq!(custom, ["tagger", "text", "checkbox"]);
    let memberships = sb.get("/api/v2/group_memberships.json").await;
    assert!(memberships.body["count"].as_i64().unwrap() >= 5);

    // Some thread has public replies and internal notes by at least two different agents.
    let tickets = sb.get("/api/v2/tickets.json").await;
    let mut richest = 0;
    let mut note_authors = std::collections::BTreeSet::new();
    for ticket in tickets.body["tickets"].as_array().unwrap() {
        let id = ticket["id"].as_i64().unwrap();
        assert!(!ticket["custom_fields"].as_array().unwrap().is_empty());
        let comments = sb
            .get(&format!("/api/v2/tickets/{id}/comments.json?include=users"))
            .await;
        let comments = comments.body["comments"].as_array().unwrap().clone();
        let notes: Vec<&Value> = comments.iter().filter(|c| c["public"] == false).collect();
        note_authors.extend(notes.iter().map(|c| c["author_id"].as_i64().unwrap()));
        if comments.len() >= 4 && !notes.is_empty() {
            richest += 1;
        }
    }
    assert!(richest >= 3, "threads with notes and replies: {richest}");
    assert!(
        note_authors.len() >= 3,
        "notes by several agents: {note_authors:?}"
    );
}

#[tokio::test]
async fn audits_and_memberships_side_load_who_they_name() {
    let sb = sandbox().await;
    let (ticket, customer_auth, agent, agent_auth, customer) = conversation(&sb).await;
    comment(&sb, &agent_auth, ticket, "On it", true).await;
    comment(&sb, &customer_auth, ticket, "Thanks", true).await;
    // The requester wrote the first message, though the admin filed it for them.
    let comments = sb
        .get(&format!("/api/v2/tickets/{ticket}/comments.json"))
        .await;
    assert_eq!(comments.body["comments"][0]["author_id"], customer);
    let audits = sb
        .get(&format!(
            "/api/v2/tickets/{ticket}/audits.json?include=users"
        ))
        .await;
    assert_eq!(audits.status, StatusCode::OK, "{}", audits.text);
    let named: Vec<i64> = audits.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    for audit in audits.body["audits"].as_array().unwrap() {
        assert!(
            named.contains(&audit["author_id"].as_i64().unwrap()),
            "{audit}"
        );
    }
    assert!(
        named.contains(&agent) && named.contains(&customer),
        "{named:?}"
    );

    let group = sb
        .post("/api/v2/groups.json", json!({"group": {"name": "Side"}}))
        .await
        .body["group"]["id"]
        .as_i64()
        .unwrap();
    sb.post(
        "/api/v2/group_memberships.json",
        json!({"group_membership": {"user_id": agent, "group_id": group}}),
    )
    .await;
    let members = sb
        .get(&format!(
            "/api/v2/groups/{group}/memberships.json?include=users,groups"
        ))
        .await;
    assert_eq!(members.body["users"][0]["id"], agent, "{}", members.text);
    assert_eq!(members.body["users"][0]["name"], "Ada Agent");
    assert_eq!(members.body["groups"][0]["name"], "Side");
}
