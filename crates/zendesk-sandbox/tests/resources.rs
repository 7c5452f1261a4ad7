//! Users, organizations, organization fields and groups over HTTP.

mod common;

use axum::http::{Method, StatusCode};
use common::{Sb, sandbox};
use serde_json::{Value, json};

#[tokio::test]
async fn users_create_with_defaults_and_refuse_duplicate_emails() {
    let sb = sandbox().await;
    let r = sb.post("/api/v2/users.json", json!({"user": {"id": "", "name": "Jo", "email": "Jo@Example.com", "external_id": "CRM-1"}})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let user = &r.body["user"];
    let id = user["id"].as_i64().unwrap();
    assert_eq!(
        r.headers["location"],
        format!("http://sandbox.test/api/v2/users/{id}.json").as_str()
    );
    assert_eq!(user["role"], "end-user");
    assert_eq!(user["active"], true);
    assert_eq!(user["verified"], false);
    assert_eq!(user["locale"], "en-US");
    assert_eq!(user["ticket_restriction"], "requested");
    assert_eq!(user["user_fields"], json!({}));
    let dup = sb
        .post(
            "/api/v2/users.json",
            json!({"user": {"name": "Other", "email": "jo@example.COM"}}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.body["details"]["email"][0]["error"], "DuplicateValue");
    let dup = sb
        .post(
            "/api/v2/users.json",
            json!({"user": {"name": "Other", "external_id": "crm-1"}}),
        )
        .await;
    assert_eq!(
        dup.body["details"]["external_id"][0]["error"],
        "DuplicateValue"
    );
    let nameless = sb
        .post(
            "/api/v2/users.json",
            json!({"user": {"email": "x@example.com"}}),
        )
        .await;
    assert_eq!(nameless.body["details"]["name"][0]["error"], "BlankValue");
}

#[tokio::test]
async fn users_filters_search_and_soft_delete() {
    let sb = sandbox().await;
    let (agent, _) = sb.user("Agent Smith", "agent").await;
    let (customer, _) = sb.user("Neo Anderson", "end-user").await;
    sb.put(
        &format!("/api/v2/users/{customer}"),
        json!({"user": {"external_id": "ext-neo", "notes": "the one"}}),
    )
    .await;
    let agents = sb.get("/api/v2/users.json?role=agent").await;
    let ids: Vec<i64> = agents.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![agent]);
    let staff = sb.get("/api/v2/users.json?role[]=agent&role[]=admin").await;
    assert_eq!(staff.body["users"].as_array().unwrap().len(), 2);
    let bad = sb.get("/api/v2/users.json?role=boss").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let found = sb.get("/api/v2/users/search.json?query=anderson").await;
    assert_eq!(found.body["users"][0]["id"], customer);
    assert_eq!(found.body["count"], 1);
    let by_notes = sb.get("/api/v2/users/search.json?query=one").await;
    assert_eq!(by_notes.body["users"][0]["id"], customer);
    let by_external = sb
        .get("/api/v2/users/search.json?external_id=EXT-NEO")
        .await;
    assert_eq!(by_external.body["users"][0]["id"], customer);
    let cursor = sb
        .get("/api/v2/users/search.json?query=neo&page[size]=10")
        .await;
    assert_eq!(cursor.status, StatusCode::BAD_REQUEST);
    let empty = sb.get("/api/v2/users/search.json").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    let deleted = sb.delete(&format!("/api/v2/users/{customer}.json")).await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body["user"]["active"], false);
    assert_eq!(
        sb.get(&format!("/api/v2/users/{customer}")).await.body["user"]["active"],
        false
    );
}

#[tokio::test]
async fn users_me_is_anonymous_without_credentials() {
    let sb = sandbox().await;
    let r = sb
        .call(Method::GET, "/api/v2/users/me.json", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["user"]["name"], "Anonymous user");
    assert!(r.body["user"]["id"].is_null());
    let me = sb.get("/api/v2/users/me").await;
    assert_eq!(me.body["user"]["role"], "admin");
    assert_eq!(me.body["user"]["email"], "admin@example.com");
}

#[tokio::test]
async fn users_create_or_update_and_bulk_jobs() {
    let sb = sandbox().await;
    let first = sb
        .post(
            "/api/v2/users/create_or_update.json",
            json!({"user": {"name": "Pat", "email": "pat@example.com"}}),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = sb
        .post(
            "/api/v2/users/create_or_update.json",
            json!({"user": {"name": "Patricia", "email": "PAT@example.com"}}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["user"]["id"], first.body["user"]["id"]);
    assert_eq!(again.body["user"]["name"], "Patricia");

    let r = sb
        .post(
            "/api/v2/users/create_many.json",
            json!({"users": [{"name": "A"}, {"name": "B", "email": "pat@example.com"}]}),
        )
        .await;
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(job["results"][0]["status"], "Created");
    assert_eq!(job["results"][1]["error"], "UserCreateFailed");
    let a = job["results"][0]["id"].as_i64().unwrap();
    let r = sb
        .put(
            "/api/v2/users/update_many.json",
            json!({"users": [{"id": a, "phone": "+1 555"}]}),
        )
        .await;
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(job["results"][0]["status"], "Updated");
    assert_eq!(
        sb.get(&format!("/api/v2/users/{a}")).await.body["user"]["phone"],
        "+1 555"
    );
    let r = sb
        .put(
            &format!("/api/v2/users/update_many.json?ids={a}"),
            json!({"user": {"notes": "bulk"}}),
        )
        .await;
    sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(
        sb.get(&format!("/api/v2/users/{a}")).await.body["user"]["notes"],
        "bulk"
    );
    let r = sb
        .delete(&format!("/api/v2/users/destroy_many.json?ids={a}"))
        .await;
    sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(
        sb.get(&format!("/api/v2/users/{a}")).await.body["user"]["active"],
        false
    );

    let secret = sb
        .post(
            "/api/v2/users/create_many.json",
            json!({"users": [{"name": "S", "password": "hunter22"}]}),
        )
        .await;
    assert_eq!(secret.status, StatusCode::BAD_REQUEST);
    assert!(
        secret.body["description"]
            .as_str()
            .unwrap()
            .contains("users[0]")
    );

    let many: Vec<Value> = (0..101).map(|n| json!({"name": format!("u{n}")})).collect();
    let r = sb
        .post("/api/v2/users/create_many.json", json!({"users": many}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body,
        json!({"error": "TooManyValues", "description": "Maximum 100 users may be created per call"})
    );
}

#[tokio::test]
async fn organizations_crud_names_and_autocomplete() {
    let sb = sandbox().await;
    let r = sb.post("/api/v2/organizations.json", json!({"organization": {"name": "Acme Inc", "domain_names": ["acme.example"], "tags": ["vip"]}})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.body["organization"]["id"].as_i64().unwrap();
    assert_eq!(r.body["organization"]["organization_fields"], json!({}));
    let dup = sb
        .post(
            "/api/v2/organizations.json",
            json!({"organization": {"name": "ACME inc"}}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(dup.body["details"]["name"][0]["error"], "DuplicateValue");
    sb.post(
        "/api/v2/organizations.json",
        json!({"organization": {"name": "Acmeville"}}),
    )
    .await;
    sb.post(
        "/api/v2/organizations.json",
        json!({"organization": {"name": "Globex"}}),
    )
    .await;
    let auto = sb
        .get("/api/v2/organizations/autocomplete.json?name=acm")
        .await;
    let names: Vec<&str> = auto.body["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Acme Inc", "Acmeville"]);
    assert_eq!(auto.body["count"], 2);

    let updated = sb.put(&format!("/api/v2/organizations/{id}.json"), json!({"organization": {"tags": ["gold"], "domain_names": ["acme.test"], "notes": "n"}})).await;
    assert_eq!(updated.body["organization"]["tags"], json!(["gold"]));
    assert_eq!(
        updated.body["organization"]["domain_names"],
        json!(["acme.test"])
    );
    let bad_domain = sb
        .put(
            &format!("/api/v2/organizations/{id}.json"),
            json!({"organization": {"domain_names": ["not a domain"]}}),
        )
        .await;
    assert_eq!(bad_domain.status, StatusCode::UNPROCESSABLE_ENTITY);
    let member = sb
        .post(
            "/api/v2/users.json",
            json!({"user": {"name": "Member", "organization_id": id}}),
        )
        .await;
    assert_eq!(member.body["user"]["organization_id"], id);
    let member_id = member.body["user"]["id"].as_i64().unwrap();
    assert_eq!(
        sb.delete(&format!("/api/v2/organizations/{id}.json"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let member = sb.get(&format!("/api/v2/users/{member_id}")).await;
    assert!(member.body["user"]["organization_id"].is_null());
    assert_eq!(
        sb.get(&format!("/api/v2/organizations/{id}.json"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sb.delete(&format!("/api/v2/organizations/{id}.json"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn organizations_bulk_jobs_report_failures_per_item() {
    let sb = sandbox().await;
    let r = sb
        .post(
            "/api/v2/organizations/create_many.json",
            json!({"organizations": [{"name": "One"}, {"name": "Two"}, {"name": "one"}]}),
        )
        .await;
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(job["results"][0]["status"], "Created");
    assert_eq!(job["results"][2]["error"], "OrganizationCreateFailed");
    let one = job["results"][0]["id"].as_i64().unwrap();
    let two = job["results"][1]["id"].as_i64().unwrap();
    let r = sb
        .put(
            "/api/v2/organizations/update_many.json",
            json!({"organizations": [{"id": one, "name": "Same"}, {"id": two, "name": "Same"}]}),
        )
        .await;
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(
        job["results"][0],
        json!({"id": one, "action": "update", "status": "Updated", "success": true})
    );
    assert_eq!(job["results"][1]["index"], 1);
    assert_eq!(job["results"][1]["error"], "OrganizationUpdateFailed");
    assert!(
        job["results"][1]["details"]
            .as_str()
            .unwrap()
            .contains("has already been taken")
    );
    let r = sb
        .delete(&format!(
            "/api/v2/organizations/destroy_many.json?ids={one},{two}"
        ))
        .await;
    let job = sb.wait_job(&Sb::job_id(&r)).await;
    assert_eq!(job["status"], "completed");
    assert_eq!(sb.get("/api/v2/organizations.json").await.body["count"], 0);
}

#[tokio::test]
async fn organization_fields_validate_values_and_follow_dropdown_rules() {
    let sb = sandbox().await;
    let r = sb
        .post("/api/v2/organization_fields.json", json!({"organization_field": {"type": "dropdown", "key": "plan", "title": "Plan",
            "custom_field_options": [{"name": "Basic", "value": "basic"}, {"name": "Gold", "value": "gold"}]}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let field = &r.body["organization_field"];
    assert_eq!(field["position"], 9999);
    assert_eq!(field["active"], true);
    assert_eq!(field["system"], false);
    assert_eq!(field["raw_title"], "Plan");
    let options = field["custom_field_options"].as_array().unwrap().clone();
    sb.post(
        "/api/v2/organization_fields.json",
        json!({"organization_field": {"type": "integer", "key": "seats", "title": "Seats"}}),
    )
    .await;
    sb.post("/api/v2/organization_fields.json", json!({"organization_field": {"type": "regexp", "key": "code", "title": "Code", "regexp_for_validation": "^[A-Z]{3}$"}})).await;
    sb.post(
        "/api/v2/organization_fields.json",
        json!({"organization_field": {"type": "date", "key": "renewal", "title": "Renewal"}}),
    )
    .await;

    let org = sb.post("/api/v2/organizations.json", json!({"organization": {"name": "Fields Inc", "organization_fields": {"plan": "gold", "seats": "12", "code": "ABC", "renewal": "2025-01-31"}}})).await;
    assert_eq!(org.status, StatusCode::CREATED, "{}", org.text);
    let org_id = org.body["organization"]["id"].as_i64().unwrap();
    assert_eq!(
        org.body["organization"]["organization_fields"],
        json!({"plan": "gold", "seats": 12, "code": "ABC", "renewal": "2025-01-31"})
    );
    for bad in [
        json!({"plan": "platinum"}),
        json!({"seats": "many"}),
        json!({"code": "abcd"}),
        json!({"renewal": "31/01/2025"}),
        json!({"nope": 1}),
    ] {
        let r = sb
            .put(
                &format!("/api/v2/organizations/{org_id}"),
                json!({"organization": {"organization_fields": bad}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(
            r.body["details"]["organization_fields"][0]["error"],
            "InvalidValue"
        );
    }

    // Keep Basic (renamed value), drop Gold, add Silver: Gold's value is cleared everywhere.
    let r = sb
        .put(
            "/api/v2/organization_fields/plan.json",
            json!({"organization_field": {"custom_field_options": [
                {"id": null, "name": "Silver", "value": "silver"},
                {"id": options[0]["id"], "name": "Basic", "value": "basic_plan"}
            ]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let values: Vec<&str> = r.body["organization_field"]["custom_field_options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, vec!["silver", "basic_plan"]);
    let org = sb.get(&format!("/api/v2/organizations/{org_id}")).await;
    assert!(
        org.body["organization"]["organization_fields"]
            .get("plan")
            .is_none()
    );
    let bad_option = sb.put("/api/v2/organization_fields/plan.json", json!({"organization_field": {"custom_field_options": [{"id": 1, "name": "X", "value": "x"}]}})).await;
    assert_eq!(bad_option.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Show by key and by id; delete; the key is never reused.
    let by_key = sb.get("/api/v2/organization_fields/seats.json").await;
    let seats_id = by_key.body["organization_field"]["id"].as_i64().unwrap();
    assert_eq!(
        sb.get(&format!("/api/v2/organization_fields/{seats_id}"))
            .await
            .body["organization_field"]["key"],
        "seats"
    );
    assert_eq!(
        sb.delete("/api/v2/organization_fields/seats").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        sb.get("/api/v2/organization_fields/seats").await.status,
        StatusCode::NOT_FOUND
    );
    let org = sb.get(&format!("/api/v2/organizations/{org_id}")).await;
    assert!(
        org.body["organization"]["organization_fields"]
            .get("seats")
            .is_none()
    );
    let reuse = sb
        .post(
            "/api/v2/organization_fields.json",
            json!({"organization_field": {"key": "seats", "title": "Seats again"}}),
        )
        .await;
    assert_eq!(reuse.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reuse.body["details"]["key"][0]["error"], "DuplicateValue");
    let bad_key = sb
        .post(
            "/api/v2/organization_fields.json",
            json!({"organization_field": {"key": "123", "title": "Digits"}}),
        )
        .await;
    assert_eq!(bad_key.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Reorder.
    let list = sb.get("/api/v2/organization_fields.json").await;
    let ids: Vec<i64> = list.body["organization_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    let reversed: Vec<i64> = ids.iter().rev().copied().collect();
    let r = sb
        .put(
            "/api/v2/organization_fields/reorder.json",
            json!({"organization_field_ids": reversed}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let list = sb.get("/api/v2/organization_fields.json").await;
    let now: Vec<i64> = list.body["organization_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(now, reversed);
}

#[tokio::test]
async fn organization_fields_are_admin_only_for_writes() {
    let sb = sandbox().await;
    let (_, agent) = sb.user("Field Agent", "agent").await;
    let create = sb
        .call(
            Method::POST,
            "/api/v2/organization_fields.json",
            Some(&agent),
            Some(json!({"organization_field": {"key": "k", "title": "K"}})),
        )
        .await;
    assert_eq!(create.status, StatusCode::FORBIDDEN);
    assert_eq!(create.body["error"], "Forbidden");
    let list = sb
        .call(
            Method::GET,
            "/api/v2/organization_fields.json",
            Some(&agent),
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["count"], 0);
}

#[tokio::test]
async fn groups_crud() {
    let sb = sandbox().await;
    let r = sb
        .post("/api/v2/groups.json", json!({"group": {"name": "Tier 2"}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.body["group"]["id"].as_i64().unwrap();
    assert_eq!(r.body["group"]["description"], "");
    assert_eq!(r.body["group"]["deleted"], false);
    let r = sb
        .put(
            &format!("/api/v2/groups/{id}.json"),
            json!({"group": {"name": "Tier Two", "description": "d"}}),
        )
        .await;
    assert_eq!(r.body["group"]["name"], "Tier Two");
    let list = sb.get("/api/v2/groups.json").await;
    assert_eq!(list.body["count"], 1);
    assert_eq!(
        sb.delete(&format!("/api/v2/groups/{id}.json")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        sb.get(&format!("/api/v2/groups/{id}.json")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sb.put(
            "/api/v2/groups/424242.json",
            json!({"group": {"name": "x"}})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}

/// Long, incompressible values in the columns that are unique or looked up by equality: stored,
/// found and kept unique on every backend (PostgreSQL's btree entries hold at most ~2.7 kB, so
/// it indexes them by hash).
#[tokio::test]
async fn long_names_emails_external_ids_and_tags_are_stored_and_found() {
    let sb = sandbox().await;
    let long = |n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'a' + fastrand::u8(0..26)))
            .collect()
    };
    let (name, tag, external, local) = (long(5000), long(4000), long(4000), long(3000));
    let org = sb
        .post(
            "/api/v2/organizations.json",
            json!({"organization": {"name": name}}),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED, "{}", &org.text[..200]);
    let again = sb
        .post(
            "/api/v2/organizations.json",
            json!({"organization": {"name": name}}),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a second one is refused"
    );
    let email = format!("{local}@example.com");
    let user = sb
        .post(
            "/api/v2/users.json",
            json!({"user": {"name": "Long", "email": email, "external_id": external}}),
        )
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{}", &user.text[..200]);
    let twin = sb
        .post(
            "/api/v2/users.json",
            json!({"user": {"name": "Twin", "email": email}}),
        )
        .await;
    assert_eq!(
        twin.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the email is taken"
    );
    let by_external = sb
        .get(&format!("/api/v2/users.json?external_id={external}"))
        .await;
    assert_eq!(by_external.body["users"].as_array().map(Vec::len), Some(1));
    let ticket = sb
        .post(
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "long tag", "tags": [tag], "comment": {"body": "x"}}}),
        )
        .await;
    assert_eq!(
        ticket.status,
        StatusCode::CREATED,
        "{}",
        &ticket.text[..200]
    );
    let found = sb
        .get(&format!(
            "/api/v2/search.json?query=type:ticket%20tags:{tag}"
        ))
        .await;
    assert_eq!(
        found.body["count"],
        json!(1),
        "{}",
        &found.text[..200.min(found.text.len())]
    );
}
