//! What the sandbox serves decodes into the project's wire models (`zendesk-types`): tickets,
//! audits, comments, users, organizations, organization fields, groups, job statuses, pages and
//! error bodies.

mod common;

use common::{Sb, sandbox};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use zendesk_types::{
    Audit, Comment, CursorPage, ErrorBody, Group, JobStatus, OffsetPage, Organization,
    OrganizationField, Ticket, User,
};

fn decode<T: DeserializeOwned>(value: &Value, what: &str) -> T {
    match serde_json::from_value::<T>(value.clone()) {
        Ok(decoded) => decoded,
        Err(error) => panic!("{what} does not decode: {error}\n{value:#}"),
    }
}

#[tokio::test]
async fn every_served_shape_decodes_into_the_wire_models() {
    let sb = sandbox().await;
    let group = sb
        .post("/api/v2/groups", json!({"group": {"name": "Support"}}))
        .await;
    decode::<Group>(&group.body["group"], "group");
    let field = sb
        .post(
            "/api/v2/organization_fields",
            json!({"organization_field": {"type": "dropdown", "key": "plan", "title": "Plan",
            "custom_field_options": [{"name": "Gold", "value": "gold"}]}}),
        )
        .await;
    decode::<OrganizationField>(&field.body["organization_field"], "organization field");
    let org = sb
        .post("/api/v2/organizations", json!({"organization": {"name": "Acme", "tags": ["a"], "organization_fields": {"plan": "gold"}}}))
        .await;
    decode::<Organization>(&org.body["organization"], "organization");
    let user = sb
        .post("/api/v2/users", json!({"user": {"name": "Jo", "email": "jo@example.com", "organization_id": org.body["organization"]["id"]}}))
        .await;
    decode::<User>(&user.body["user"], "user");
    decode::<User>(&sb.get("/api/v2/users/me").await.body["user"], "me");

    let created = sb
        .post("/api/v2/tickets", json!({"ticket": {"subject": "s", "comment": {"body": "b"}, "priority": "high", "tags": ["x"]}}))
        .await;
    decode::<Ticket>(&created.body["ticket"], "ticket");
    decode::<Audit>(&created.body["audit"], "create audit");
    let id = created.body["ticket"]["id"].as_i64().unwrap();
    let updated = sb
        .put(
            &format!("/api/v2/tickets/{id}"),
            json!({"ticket": {"status": "open", "comment": {"body": "c", "public": false}}}),
        )
        .await;
    decode::<Audit>(&updated.body["audit"], "update audit");
    let comments = sb.get(&format!("/api/v2/tickets/{id}/comments")).await;
    for comment in comments.body["comments"].as_array().unwrap() {
        decode::<Comment>(comment, "comment");
    }
    decode::<OffsetPage<Ticket>>(&sb.get("/api/v2/tickets").await.body, "offset page");
    decode::<CursorPage<Ticket>>(
        &sb.get("/api/v2/tickets?page[size]=1").await.body,
        "cursor page",
    );
    decode::<CursorPage<Ticket>>(
        &sb.get("/api/v2/tickets?page[size]=1&page[after]=eyJvIjoiaWQiLCJ2IjpbOTksOTldfQ==")
            .await
            .body,
        "empty cursor page",
    );

    let job = sb.post("/api/v2/tickets/create_many", json!({"tickets": [{"comment": {"body": "1"}}, {"priority": "bad", "comment": {"body": "2"}}]})).await;
    decode::<JobStatus>(&job.body["job_status"], "queued job");
    let done = sb.wait_job(&Sb::job_id(&job)).await;
    decode::<JobStatus>(&done, "completed job");

    for body in [
        sb.get("/api/v2/tickets/424242").await.body,
        sb.post(
            "/api/v2/tickets",
            json!({"ticket": {"priority": "bad", "comment": {"body": "x"}}}),
        )
        .await
        .body,
        sb.get("/api/v2/tickets?page=101&per_page=100").await.body,
        sb.get("/api/v2/tickets?page[size]=1&sort=nope").await.body,
    ] {
        decode::<ErrorBody>(&body, "error body");
    }
}
