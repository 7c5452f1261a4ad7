//! Triggers, trigger categories and automations on the wire: each request's method, path,
//! query and body envelope, and Zendesk's answers (in both list shapes) decoded into the typed
//! records; bad bulk requests refused before sending.

use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zendesk::Error;
use zendesk::types::{AutomationId, ConditionOperator, TriggerCategoryId, TriggerId};

use crate::common;

fn trigger(id: u64, title: &str, position: i64) -> Value {
    json!({
        "url": format!("https://example.zendesk.com/api/v2/triggers/{id}.json"),
        "id": id,
        "title": title,
        "raw_title": title,
        "description": null,
        "active": true,
        "position": position,
        "default": false,
        "category_id": "10026",
        "conditions": {
            "all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "priority", "operator": "is", "value": "urgent"}
            ],
            "any": []
        },
        "actions": [
            {"field": "current_tags", "value": "paged"},
            {"field": "notification_webhook", "value": ["01HANAN7NVBM93Z21ZGCXESV8X", "{\"ticket\": \"{{ticket.id}}\"}"]}
        ],
        "created_at": "2024-03-01T10:00:00Z",
        "updated_at": "2024-03-02T10:00:00Z"
    })
}

fn automation(id: u64, title: &str) -> Value {
    json!({
        "url": format!("https://example.zendesk.com/api/v2/automations/{id}.json"),
        "id": id,
        "title": title,
        "raw_title": title,
        "active": true,
        "position": 1,
        "default": false,
        "conditions": {
            "all": [
                {"field": "status", "operator": "is", "value": "solved"},
                {"field": "SOLVED", "operator": "greater_than", "value": "96"}
            ],
            "any": []
        },
        "actions": [{"field": "status", "value": "closed"}],
        "created_at": "2024-03-01T10:00:00Z",
        "updated_at": "2024-03-01T10:00:00Z"
    })
}

async fn answer(
    server: &MockServer,
    verb: &str,
    url: &str,
    body: Option<Value>,
    status: u16,
    reply: Value,
) {
    let mock = Mock::given(method(verb)).and(path(url));
    let mock = match body {
        Some(body) => mock.and(body_json(body)),
        None => mock,
    };
    let template = if reply.is_null() {
        ResponseTemplate::new(status)
    } else {
        ResponseTemplate::new(status).set_body_json(reply)
    };
    mock.respond_with(template).expect(1).mount(server).await;
}

#[tokio::test]
async fn triggers_are_listed_shown_created_updated_and_deleted() {
    let server = common::server().await;
    // Zendesk's documented list answer is the offset shape; cursor paging answers `meta`.
    Mock::given(method("GET"))
        .and(path("/api/v2/triggers"))
        .and(query_param("category_id", "10026"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "triggers": [trigger(25, "Page on-call", 1), trigger(26, "Tag VIPs", 2)],
            "count": 2, "next_page": null, "previous_page": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "GET",
        "/api/v2/triggers/active",
        None,
        200,
        common::cursor_page(
            "triggers",
            vec![trigger(25, "Page on-call", 1)],
            false,
            Some("a1"),
            None,
        ),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/triggers/search"))
        .and(query_param("query", "on-call"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "triggers": [trigger(25, "Page on-call", 1)], "count": 1, "next_page": null, "previous_page": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "GET",
        "/api/v2/triggers/25",
        None,
        200,
        json!({"trigger": trigger(25, "Page on-call", 1)}),
    )
    .await;
    let new_trigger = json!({
        "title": "Page on-call",
        "category_id": "10026",
        "conditions": {"all": [{"field": "priority", "operator": "is", "value": "urgent"}]},
        "actions": [{"field": "group_id", "value": "20455932"}]
    });
    answer(
        &server,
        "POST",
        "/api/v2/triggers",
        Some(json!({"trigger": new_trigger})),
        201,
        json!({"trigger": trigger(27, "Page on-call", 3)}),
    )
    .await;
    answer(
        &server,
        "PUT",
        "/api/v2/triggers/27",
        Some(json!({"trigger": {"active": false}})),
        200,
        json!({"trigger": trigger(27, "Page on-call", 3)}),
    )
    .await;
    answer(
        &server,
        "DELETE",
        "/api/v2/triggers/27",
        None,
        204,
        Value::Null,
    )
    .await;

    let client = common::client(&server);
    let triggers = client.triggers();
    let listed = triggers
        .list()
        .in_category(&TriggerCategoryId("10026".into()))
        .send()
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 2);
    assert_eq!(listed.items[1].title.as_deref(), Some("Tag VIPs"));
    assert!(!listed.has_more);
    let active = triggers.active().send().await.expect("active");
    assert_eq!(active.items[0].id, TriggerId(25));
    let found = triggers.search(" on-call ").send().await.expect("search");
    assert_eq!(found.items.len(), 1);

    let shown = triggers.show(TriggerId(25)).await.expect("show");
    assert_eq!(shown.category_id, Some(TriggerCategoryId("10026".into())));
    let conditions = shown.conditions.all();
    assert_eq!(
        (conditions[1].field.as_str(), &conditions[1].operator),
        ("priority", &ConditionOperator::Is)
    );
    assert_eq!(shown.actions[1].field, "notification_webhook");
    assert_eq!(shown.actions[1].value[0], "01HANAN7NVBM93Z21ZGCXESV8X");

    let created = triggers.create(&new_trigger).await.expect("create");
    assert_eq!(created.id, TriggerId(27));
    triggers
        .update(TriggerId(27), &json!({"active": false}))
        .await
        .expect("update");
    triggers.delete(TriggerId(27)).await.expect("delete");

    // The raw form hands back Zendesk's JSON untouched.
    let raw = client.triggers().show(TriggerId(25)).raw();
    assert_eq!(raw.path(), "/triggers/25");
}

#[tokio::test]
async fn trigger_bulk_requests_and_definitions() {
    let server = common::server().await;
    answer(&server, "PUT", "/api/v2/triggers/update_many",
        Some(json!({"triggers": [{"id": 25, "position": 5}, {"id": 26, "active": false}, {"id": 27, "category_id": "10027"}]})),
        200,
        json!({"triggers": [trigger(25, "a", 5), trigger(26, "b", 6), trigger(27, "c", 7)], "count": 3, "next_page": null, "previous_page": null})).await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/triggers/destroy_many"))
        .and(query_param("ids", "131,178,938"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "PUT",
        "/api/v2/triggers/reorder",
        Some(json!({"trigger_ids": [26, 25]})),
        200,
        json!({"trigger": trigger(26, "b", 1)}),
    )
    .await;
    answer(&server, "GET", "/api/v2/triggers/definitions", None, 200, json!({"definitions": {
        "actions": [{"subject": "status", "title": "Status", "type": "list", "group": "ticket",
                     "nullable": false, "repeatable": false,
                     "values": [{"value": "open", "title": "Open", "enabled": true}]}],
        "conditions_all": [{"subject": "status", "title": "Status", "type": "list", "group": "ticket",
                            "nullable": false, "repeatable": false,
                            "operators": [{"value": "is", "title": "Is", "terminal": false},
                                          {"value": "changed", "title": "Changed", "terminal": true}],
                            "values": [{"value": "new", "title": "New", "enabled": true}]}],
        "conditions_any": []
    }})).await;

    let client = common::client(&server);
    let triggers = client.triggers();
    let updated = triggers
        .update_many(&[
            json!({"id": 25, "position": 5}),
            json!({"id": "26", "active": false}),
            json!({"id": 27, "category_id": "10027"}),
        ])
        .await
        .expect("update_many");
    assert_eq!(updated.len(), 3);
    triggers
        .destroy_many(&[TriggerId(131), TriggerId(178), TriggerId(938)])
        .await
        .expect("destroy_many");
    triggers
        .reorder(&[TriggerId(26), TriggerId(25)])
        .await
        .expect("reorder");
    let definitions = triggers.definitions().await.expect("definitions");
    let status = &definitions.conditions_all[0];
    let operators = status.operators.as_deref().unwrap_or_default();
    assert_eq!(operators[1].value, ConditionOperator::Changed);
    assert!(operators[1].terminal && operators[1].value.is_terminal());
    assert_eq!(definitions.actions[0].subject, "status");

    // Refused before sending: the catch-all mock would fail the test otherwise.
    let refusals = [
        triggers
            .update_many(&[json!({"position": 1})])
            .await
            .expect_err("no id"),
        triggers.destroy_many(&[]).await.expect_err("no ids"),
        triggers
            .destroy_many(&(1..=101).map(TriggerId).collect::<Vec<_>>())
            .await
            .expect_err("101 ids"),
        triggers.reorder(&[]).await.expect_err("empty order"),
        triggers.search("  ").send().await.expect_err("empty query"),
    ];
    for refusal in refusals {
        assert!(matches!(refusal, Error::InvalidRequest(_)), "{refusal}");
    }
}

#[tokio::test]
async fn trigger_categories_use_string_ids_and_patch() {
    let server = common::server().await;
    answer(&server, "GET", "/api/v2/trigger_categories", None, 200, json!({
        "trigger_categories": [
            {"id": "10001", "name": "Email Triggers", "position": 0, "created_at": "2020-07-17T01:30:07Z", "updated_at": "2020-07-17T01:30:07Z"},
            {"id": "10002", "name": "SMS Triggers", "position": 1, "created_at": "2020-07-17T01:30:07Z", "updated_at": "2020-07-17T01:30:07Z"}
        ],
        "meta": {"has_more": false, "after_cursor": null, "before_cursor": null},
        "links": {"next": null, "prev": null}
    })).await;
    answer(
        &server,
        "POST",
        "/api/v2/trigger_categories",
        Some(json!({"trigger_category": {"name": "Notifications", "position": 0}})),
        200,
        json!({"trigger_category": {"id": "10003", "name": "Notifications", "position": 0}}),
    )
    .await;
    answer(
        &server,
        "PATCH",
        "/api/v2/trigger_categories/10003",
        Some(json!({"trigger_category": {"name": "Paging"}})),
        200,
        json!({"trigger_category": {"id": "10003", "name": "Paging", "position": 0}}),
    )
    .await;
    answer(
        &server,
        "DELETE",
        "/api/v2/trigger_categories/10003",
        None,
        204,
        Value::Null,
    )
    .await;

    let client = common::client(&server);
    let categories = client.trigger_categories();
    let listed = categories.list().send().await.expect("list");
    assert_eq!(listed.items[1].id, TriggerCategoryId("10002".into()));
    let created = categories
        .create(&json!({"name": "Notifications", "position": 0}))
        .await
        .expect("create");
    let renamed = categories
        .update(&created.id, &json!({"name": "Paging"}))
        .await
        .expect("patch");
    assert_eq!(renamed.name.as_deref(), Some("Paging"));
    categories.delete(&created.id).await.expect("delete");
}

#[tokio::test]
async fn automations_are_managed_as_zendesk_documents() {
    let server = common::server().await;
    answer(&server, "GET", "/api/v2/automations", None, 200, json!({
        "automations": [automation(25, "Close solved after 4 days"), automation(26, "Nudge pending")],
        "count": 2, "next_page": null, "previous_page": null
    })).await;
    answer(
        &server,
        "GET",
        "/api/v2/automations/active",
        None,
        200,
        common::cursor_page(
            "automations",
            vec![automation(25, "Close solved after 4 days")],
            false,
            None,
            None,
        ),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/automations/search"))
        .and(query_param("query", "close"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "automations": [automation(25, "Close solved after 4 days")], "count": 1, "next_page": null, "previous_page": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "GET",
        "/api/v2/automations/25",
        None,
        200,
        json!({"automation": automation(25, "Close solved after 4 days")}),
    )
    .await;
    let body = json!({
        "title": "Close solved after 4 days",
        "conditions": {"all": [{"field": "status", "operator": "is", "value": "solved"},
                               {"field": "SOLVED", "operator": "greater_than", "value": "96"}]},
        "actions": [{"field": "status", "value": "closed"}]
    });
    answer(
        &server,
        "POST",
        "/api/v2/automations",
        Some(json!({"automation": body})),
        201,
        json!({"automation": automation(27, "Close solved after 4 days")}),
    )
    .await;
    answer(
        &server,
        "PUT",
        "/api/v2/automations/27",
        Some(json!({"automation": {"title": "Close"}})),
        200,
        json!({"automation": automation(27, "Close")}),
    )
    .await;
    answer(
        &server,
        "DELETE",
        "/api/v2/automations/27",
        None,
        204,
        Value::Null,
    )
    .await;
    answer(
        &server,
        "PUT",
        "/api/v2/automations/update_many",
        Some(json!({"automations": [{"id": 25, "position": 3}, {"id": 26, "active": false}]})),
        200,
        json!({"automations": [automation(25, "a"), automation(26, "b")]}),
    )
    .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/automations/destroy_many"))
        .and(query_param("ids", "25,26"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let client = common::client(&server);
    let automations = client.automations();
    let listed = automations.list().send().await.expect("list");
    assert_eq!(listed.items.len(), 2);
    assert_eq!(
        automations
            .active()
            .send()
            .await
            .expect("active")
            .items
            .len(),
        1
    );
    assert_eq!(
        automations
            .search("close")
            .send()
            .await
            .expect("search")
            .items
            .len(),
        1
    );
    let shown = automations.show(AutomationId(25)).await.expect("show");
    assert_eq!(
        shown.conditions.all()[1].operator,
        ConditionOperator::GreaterThan
    );
    assert_eq!(shown.actions[0].value, "closed");
    assert_eq!(
        automations.create(&body).await.expect("create").id,
        AutomationId(27)
    );
    automations
        .update(AutomationId(27), &json!({"title": "Close"}))
        .await
        .expect("update");
    automations.delete(AutomationId(27)).await.expect("delete");
    let updated = automations
        .update_many(&[
            json!({"id": 25, "position": 3}),
            json!({"id": 26, "active": false}),
        ])
        .await
        .expect("update_many");
    assert_eq!(updated.len(), 2);
    automations
        .destroy_many(&[AutomationId(25), AutomationId(26)])
        .await
        .expect("destroy_many");
    assert!(matches!(
        automations.update_many(&[json!({"active": true})]).await,
        Err(Error::InvalidRequest(_))
    ));
}
