//! Resource handlers put the right method, path, query and body envelope on the wire, and
//! refuse bad bulk requests before sending anything.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zendesk::types::{OrganizationFieldId, TicketId};
use zendesk::{Error, MergeTickets, OrganizationFieldRef};

use crate::common::{self, cursor_page};

async fn expect(
    server: &MockServer,
    verb: &str,
    url_path: &str,
    body: Option<Value>,
    status: u16,
    answer: Value,
) {
    let mock = Mock::given(method(verb)).and(path(url_path));
    let mock = match body {
        Some(body) => mock.and(body_json(body)),
        None => mock,
    };
    mock.respond_with(ResponseTemplate::new(status).set_body_json(answer))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn ticket_requests() {
    let server = common::server().await;
    let job = common::job("j1", "queued", None);
    expect(
        &server,
        "POST",
        "/api/v2/tickets",
        Some(json!({"ticket": {"subject": "Hi", "comment": {"body": "Help"}}})),
        201,
        json!({"ticket": common::ticket(10), "audit": {"id": 99, "ticket_id": 10, "events": []}}),
    )
    .await;
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/10",
        Some(json!({"ticket": {"status": "pending"}})),
        200,
        json!({"ticket": common::ticket(10)}),
    )
    .await;
    expect(
        &server,
        "POST",
        "/api/v2/tickets/create_many",
        Some(json!({"tickets": [{"subject": "a"}, {"subject": "b"}]})),
        200,
        job.clone(),
    )
    .await;
    Mock::given(method("PUT"))
        .and(path("/api/v2/tickets/update_many"))
        .and(query_param("ids", "1,2,3"))
        .and(body_json(json!({"ticket": {"additional_tags": ["vip"]}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(job.clone()))
        .expect(1)
        .mount(&server)
        .await;
    expect(
        &server,
        "PUT",
        "/api/v2/tickets/update_many",
        Some(json!({"tickets": [{"id": 1, "status": "open"}, {"id": 2, "status": "solved"}]})),
        200,
        job.clone(),
    )
    .await;
    expect(
        &server,
        "POST",
        "/api/v2/tickets/10/merge",
        Some(json!({"ids": [11, 12], "target_comment": "Merged"})),
        200,
        job.clone(),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/show_many"))
        .and(query_param("ids", "10,11"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"tickets": [common::ticket(10), common::ticket(11)], "next_page": null, "previous_page": null, "count": 2})))
        .expect(1)
        .mount(&server)
        .await;
    expect(&server, "GET", "/api/v2/tickets/10/comments", None, 200, cursor_page("comments", vec![
        json!({"id": 1, "type": "Comment", "author_id": 9001, "body": "Help", "public": true, "attachments": [], "created_at": "2024-03-01T10:00:00Z"})
    ], false, None, None)).await;

    let client = common::client(&server);
    let tickets = client.tickets();
    let created = tickets
        .create(&json!({"subject": "Hi", "comment": {"body": "Help"}}))
        .await
        .expect("create");
    assert_eq!(created.ticket.id, TicketId(10));
    assert!(created.audit.is_some());
    let updated = tickets
        .update(TicketId(10), &json!({"status": "pending"}))
        .await
        .expect("update");
    assert!(updated.audit.is_none());
    let job = tickets
        .create_many(&[json!({"subject": "a"}), json!({"subject": "b"})])
        .await
        .expect("create_many");
    assert_eq!(job.id.as_str(), "j1");
    tickets
        .update_many(
            &[TicketId(1), TicketId(2), TicketId(3)],
            &json!({"additional_tags": ["vip"]}),
        )
        .await
        .expect("update_many");
    tickets
        .update_many_each(&[
            json!({"id": "1", "status": "open"}),
            json!({"id": 2, "status": "solved"}),
        ])
        .await
        .expect("each");
    let merge = MergeTickets {
        ids: vec![TicketId(11), TicketId(12)],
        target_comment: Some("Merged".into()),
        ..Default::default()
    };
    tickets.merge(TicketId(10), &merge).await.expect("merge");
    let many = tickets
        .show_many(&[TicketId(10), TicketId(11)])
        .await
        .expect("show_many");
    assert_eq!(many.len(), 2);
    let comments = tickets
        .comments(TicketId(10))
        .send()
        .await
        .expect("comments");
    assert_eq!(comments.items[0].body.as_deref(), Some("Help"));
}

#[tokio::test]
async fn bulk_limits_and_merge_rules_are_checked_before_sending() {
    let server = common::server().await;
    let client = common::client(&server);
    let tickets = client.tickets();
    let many: Vec<Value> = (0..101).map(|i| json!({"subject": i})).collect();
    let ids: Vec<TicketId> = (1..=101).map(TicketId).collect();
    let errors = [
        tickets.create_many(&many).await.expect_err("101"),
        tickets.create_many::<Value>(&[]).await.expect_err("0"),
        tickets
            .update_many(&ids, &json!({}))
            .await
            .expect_err("101 ids"),
        tickets
            .update_many_each(&[json!({"status": "open"})])
            .await
            .expect_err("no id"),
        tickets
            .update_many_each(&[json!({"id": "abc"})])
            .await
            .expect_err("bad id"),
        tickets
            .merge(
                TicketId(1),
                &MergeTickets {
                    ids: vec![TicketId(1), TicketId(2)],
                    ..Default::default()
                },
            )
            .await
            .expect_err("self merge"),
        client
            .users()
            .create_many(&many)
            .await
            .expect_err("101 users"),
        client
            .organizations()
            .update_many(&[json!({"name": "x"})])
            .await
            .expect_err("no id"),
        client.search().count("  ").await.expect_err("empty query"),
        tickets
            .merge(
                TicketId(1),
                &MergeTickets {
                    ids: (2..=7).map(TicketId).collect(),
                    ..Default::default()
                },
            )
            .await
            .expect_err("six sources"),
    ];
    for err in &errors {
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    }
    assert!(
        errors[0].to_string().contains("at most 100"),
        "{}",
        errors[0]
    );
    assert!(errors[3].to_string().contains("item 0"), "{}", errors[3]);
    assert!(
        errors[5].to_string().contains("target ticket 1"),
        "{}",
        errors[5]
    );
    assert!(
        errors[9].to_string().contains("at most 5 tickets"),
        "{}",
        errors[9]
    );
}

#[tokio::test]
async fn user_organization_group_and_search_requests() {
    let server = common::server().await;
    let job = common::job("j2", "queued", None);
    expect(
        &server,
        "POST",
        "/api/v2/users",
        Some(json!({"user": {"name": "Ann", "verified": true}})),
        201,
        json!({"user": common::user(5)}),
    )
    .await;
    expect(
        &server,
        "PUT",
        "/api/v2/users/5",
        Some(json!({"user": {"phone": "+1"}})),
        200,
        json!({"user": common::user(5)}),
    )
    .await;
    expect(
        &server,
        "PUT",
        "/api/v2/users/update_many",
        Some(json!({"users": [{"id": 5, "name": "Ann B"}]})),
        200,
        job.clone(),
    )
    .await;
    expect(
        &server,
        "GET",
        "/api/v2/users/5",
        None,
        200,
        json!({"user": common::user(5)}),
    )
    .await;
    expect(
        &server,
        "POST",
        "/api/v2/organizations",
        Some(json!({"organization": {"name": "Acme"}})),
        201,
        json!({"organization": common::organization(6)}),
    )
    .await;
    expect(
        &server,
        "PUT",
        "/api/v2/organizations/6",
        Some(json!({"organization": {"tags": ["x"]}})),
        200,
        json!({"organization": common::organization(6)}),
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/organizations/6"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    expect(
        &server,
        "POST",
        "/api/v2/organizations/create_many",
        Some(json!({"organizations": [{"name": "A"}]})),
        200,
        job.clone(),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/organizations/autocomplete"))
        .and(query_param("name", "Ac"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"organizations": [common::organization(6)], "next_page": null, "previous_page": null, "count": 1})))
        .expect(1)
        .mount(&server)
        .await;
    expect(
        &server,
        "GET",
        "/api/v2/groups",
        None,
        200,
        cursor_page(
            "groups",
            vec![json!({"id": 3, "name": "Support"})],
            false,
            None,
            None,
        ),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/search/count"))
        .and(query_param("query", "type:ticket status:open"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"count": 42})))
        .expect(1)
        .mount(&server)
        .await;

    let client = common::client(&server);
    assert_eq!(
        client
            .users()
            .create(&json!({"name": "Ann", "verified": true}))
            .await
            .expect("create")
            .id
            .get(),
        5
    );
    client
        .users()
        .update(5.into(), &json!({"phone": "+1"}))
        .await
        .expect("update");
    client
        .users()
        .update_many(&[json!({"id": 5, "name": "Ann B"})])
        .await
        .expect("update_many");
    assert_eq!(
        client.users().show(5.into()).await.expect("show").id.get(),
        5
    );
    let orgs = client.organizations();
    orgs.create(&json!({"name": "Acme"}))
        .await
        .expect("create org");
    orgs.update(6.into(), &json!({"tags": ["x"]}))
        .await
        .expect("update org");
    orgs.delete(6.into()).await.expect("delete org");
    orgs.create_many(&[json!({"name": "A"})])
        .await
        .expect("create_many orgs");
    let found = orgs
        .autocomplete(" Ac ")
        .send()
        .await
        .expect("autocomplete");
    assert_eq!(found.items.len(), 1);
    assert!(!found.has_more);
    let groups = client.groups().list().send().await.expect("groups");
    assert_eq!(groups.items[0].id.get(), 3);
    assert_eq!(
        client
            .search()
            .count("type:ticket status:open")
            .await
            .expect("count"),
        42
    );
}

#[tokio::test]
async fn organization_field_requests() {
    let server = common::server().await;
    let field = json!({"id": 360001, "key": "support_tier", "title": "Tier", "type": "dropdown", "active": true, "position": 9999});
    expect(
        &server,
        "GET",
        "/api/v2/organization_fields/support_tier",
        None,
        200,
        json!({"organization_field": field.clone()}),
    )
    .await;
    expect(
        &server,
        "PUT",
        "/api/v2/organization_fields/360001",
        Some(json!({"organization_field": {"title": "Support tier"}})),
        200,
        json!({"organization_field": field.clone()}),
    )
    .await;
    expect(&server, "POST", "/api/v2/organization_fields", Some(json!({"organization_field": {"key": "support_tier", "title": "Tier", "type": "dropdown"}})), 201, json!({"organization_field": field.clone()})).await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/organization_fields/support_tier"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    expect(
        &server,
        "PUT",
        "/api/v2/organization_fields/reorder",
        Some(json!({"organization_field_ids": [3, 1, 2]})),
        200,
        json!({}),
    )
    .await;
    expect(
        &server,
        "GET",
        "/api/v2/organization_fields",
        None,
        200,
        cursor_page(
            "organization_fields",
            vec![field.clone()],
            false,
            None,
            None,
        ),
    )
    .await;

    let client = common::client(&server);
    let fields = client.organization_fields();
    let by_key: OrganizationFieldRef = "support_tier".parse().expect("a key");
    let by_id: OrganizationFieldRef = " 360001 ".parse().expect("an id");
    assert_eq!(by_id, OrganizationFieldRef::Id(OrganizationFieldId(360001)));
    assert_eq!(fields.show(&by_key).await.expect("show").id.get(), 360001);
    fields
        .update(&by_id, &json!({"title": "Support tier"}))
        .await
        .expect("update");
    fields
        .create(&json!({"key": "support_tier", "title": "Tier", "type": "dropdown"}))
        .await
        .expect("create");
    fields.delete(&by_key).await.expect("delete");
    fields
        .reorder(&[
            OrganizationFieldId(3),
            OrganizationFieldId(1),
            OrganizationFieldId(2),
        ])
        .await
        .expect("reorder");
    assert_eq!(fields.list().send().await.expect("list").items.len(), 1);

    for bad in ["", "a b", "../x", "0", "tier-1"] {
        let err = bad.parse::<OrganizationFieldRef>().expect_err(bad);
        assert!(matches!(err, Error::InvalidRequest(_)), "{bad}: {err:?}");
    }
    let forged = OrganizationFieldRef::Key("../admin".into());
    assert!(fields.show(&forged).await.is_err());
    let err = fields
        .reorder(&[OrganizationFieldId(1), OrganizationFieldId(1)])
        .await
        .expect_err("dup");
    assert!(err.to_string().contains("twice"), "{err}");
}

#[tokio::test]
async fn conversation_history_fields_and_membership_requests() {
    let server = common::server().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tickets/10/comments"))
        .and(query_param("include", "users"))
        .and(query_param("sort", "-created_at"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "comments": [{"id": 2, "type": "Comment", "author_id": 7, "body": "Internal", "public": false,
                          "attachments": [{"id": 5, "file_name": "log.txt", "content_type": "text/plain",
                                           "content_url": "https://acme.zendesk.com/attachments/token/x/?name=log.txt", "size": 12}],
                          "created_at": "2024-03-01T10:00:00Z"}],
            "users": [common::user(7)],
            "meta": {"has_more": false, "after_cursor": null, "before_cursor": null},
            "links": {"next": null, "prev": null}
        })))
        .expect(1)
        .mount(&server)
        .await;
    expect(&server, "GET", "/api/v2/tickets/10/audits", None, 200, cursor_page("audits", vec![
        json!({"id": 99, "ticket_id": 10, "author_id": 7, "created_at": "2024-03-01T10:00:00Z", "events": [
            {"id": 1, "type": "Change", "field_name": "status", "value": "pending", "previous_value": "open"}
        ]})
    ], false, None, None)).await;
    expect(&server, "GET", "/api/v2/ticket_fields", None, 200, cursor_page("ticket_fields", vec![
        json!({"id": 1, "type": "tagger", "title": "Plan", "active": true, "required": false,
               "custom_field_options": [{"id": 3, "name": "Gold", "value": "gold"}]})
    ], false, None, None)).await;
    expect(
        &server,
        "GET",
        "/api/v2/groups/4/memberships",
        None,
        200,
        cursor_page(
            "group_memberships",
            vec![json!({"id": 8, "user_id": 7, "group_id": 4, "default": true})],
            false,
            None,
            None,
        ),
    )
    .await;
    expect(
        &server,
        "GET",
        "/api/v2/users/7/group_memberships",
        None,
        200,
        cursor_page(
            "group_memberships",
            vec![json!({"id": 8, "user_id": 7, "group_id": 4, "default": true})],
            false,
            None,
            None,
        ),
    )
    .await;

    let client = common::client(&server);
    let page = client
        .tickets()
        .comments(TicketId(10))
        .include("users")
        .newest_first()
        .send()
        .await
        .expect("comments");
    assert!(!page.items[0].public);
    assert_eq!(page.items[0].attachments[0].size, Some(12));
    let authors: Vec<zendesk::types::User> = page.side_loaded().expect("users");
    assert_eq!(authors[0].id.get(), 7);
    let audits = client
        .tickets()
        .audits(TicketId(10))
        .send()
        .await
        .expect("audits");
    assert_eq!(audits.items[0].events[0].event_type(), "Change");
    let fields = client.ticket_fields().list().send().await.expect("fields");
    assert_eq!(
        fields.items[0].custom_field_options.as_ref().unwrap()[0].value,
        "gold"
    );
    let members = client
        .group_memberships()
        .of_group(4.into())
        .send()
        .await
        .expect("group");
    assert_eq!(members.items[0].user_id.get(), 7);
    let groups = client
        .group_memberships()
        .of_user(7.into())
        .send()
        .await
        .expect("user");
    assert!(groups.items[0].default);
}
