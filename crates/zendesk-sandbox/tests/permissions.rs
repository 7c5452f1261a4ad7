//! The role matrix, generated from the permission model itself: every endpoint of the route
//! table for every role (anonymous, end-user, agent, admin), and every writable field of users
//! and tickets for every role, each refused write leaving the record unchanged. Then the rules
//! around credentials: suspension, failed sign-ins, stored hashes, private files.

mod common;

use axum::http::{Method, StatusCode};
use common::{ADMIN_TOKEN, Sb, admin, basic, sandbox, sandbox_with};
use serde_json::{Value, json};
use zendesk_sandbox::Role;
use zendesk_sandbox::permissions::{FieldRule, TICKET_FIELDS, USER_FIELDS, Who, may_change};
use zendesk_sandbox::store::Bind;
use zendesk_sandbox::{Caller, Config, endpoint_access};

/// Records every endpoint can be pointed at, made by the admin.
struct Fixtures {
    end_user: (i64, String),
    agent: (i64, String),
    organization: i64,
    ticket: i64,
    group: i64,
    membership: i64,
    ticket_field: i64,
    organization_field: i64,
    /// The agent's personal macro and view (so the agent may change and delete them).
    macro_id: i64,
    view: i64,
    category: i64,
    section: i64,
    article: i64,
    /// A file on a public comment of the end-user's ticket: (id, content token).
    attachment: (i64, String),
    /// An upload of the end-user's not attached yet.
    upload_token: String,
    oauth_client: i64,
    /// The end-user's own OAuth token (their credentials here).
    end_user_token: i64,
    /// A standard trigger, its category, and an automation.
    trigger: i64,
    trigger_category: i64,
    automation: i64,
}

/// A user signed in with an OAuth token the admin minted (no password: password hashing is
/// deliberately slow, and the matrix makes hundreds of help desks).
async fn token_user(sb: &Sb, name: &str, role: &str) -> (i64, String) {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let user = sb
        .post(
            "/api/v2/users.json",
            json!({"user": {"name": name, "email": email, "role": role}}),
        )
        .await;
    let id = user.body["user"]["id"].as_i64().expect("user id");
    let token = sb
        .post(
            "/api/v2/oauth/tokens.json",
            json!({"token": {"user_id": id, "scopes": ["read", "write"]}}),
        )
        .await;
    let token = token.body["token"]["full_token"].as_str().expect("a token");
    (id, format!("Bearer {token}"))
}

async fn fixtures(sb: &Sb) -> Fixtures {
    let created = |reply: common::Reply, key: &str| -> i64 {
        assert!(reply.status.is_success(), "{}", reply.text);
        reply.body[key]["id"].as_i64().expect("an id")
    };
    let organization = created(
        sb.post(
            "/api/v2/organizations.json",
            json!({"organization": {"name": "Matrix Org"}}),
        )
        .await,
        "organization",
    );
    let end_user = token_user(sb, "Matrix Customer", "end-user").await;
    sb.put(
        &format!("/api/v2/users/{}.json", end_user.0),
        json!({"user": {"organization_id": organization}}),
    )
    .await;
    let agent = token_user(sb, "Matrix Agent", "agent").await;
    let ticket = created(
        sb.post(
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "Matrix", "comment": {"body": "hi"}, "requester_id": end_user.0}}),
        )
        .await,
        "ticket",
    );
    let group = created(
        sb.post(
            "/api/v2/groups.json",
            json!({"group": {"name": "Matrix Group"}}),
        )
        .await,
        "group",
    );
    let membership = created(
        sb.post(
            "/api/v2/group_memberships.json",
            json!({"group_membership": {"user_id": agent.0, "group_id": group}}),
        )
        .await,
        "group_membership",
    );
    let ticket_field = created(
        sb.post(
            "/api/v2/ticket_fields.json",
            json!({"ticket_field": {"type": "text", "title": "Matrix field"}}),
        )
        .await,
        "ticket_field",
    );
    let organization_field = created(
        sb.post(
            "/api/v2/organization_fields.json",
            json!({"organization_field": {"type": "text", "title": "Matrix", "key": "matrix"}}),
        )
        .await,
        "organization_field",
    );
    let personal = json!({"type": "User", "id": agent.0});
    let macro_id = created(
        sb.post(
            "/api/v2/macros.json",
            json!({"macro": {"title": "Matrix macro", "restriction": personal,
                             "actions": [{"field": "status", "value": "open"}]}}),
        )
        .await,
        "macro",
    );
    let view = created(
        sb.post(
            "/api/v2/views.json",
            json!({"view": {"title": "Matrix view", "restriction": personal,
                            "all": [{"field": "status", "operator": "less_than", "value": "solved"}]}}),
        )
        .await,
        "view",
    );
    let category = created(
        sb.post(
            "/api/v2/help_center/categories.json",
            json!({"category": {"name": "Matrix category"}}),
        )
        .await,
        "category",
    );
    let section = created(
        sb.post(
            &format!("/api/v2/help_center/categories/{category}/sections.json"),
            json!({"section": {"name": "Matrix section"}}),
        )
        .await,
        "section",
    );
    let article = created(
        sb.post(
            &format!("/api/v2/help_center/sections/{section}/articles.json"),
            json!({"article": {"title": "Matrix article", "body": "<p>matrix</p>"}}),
        )
        .await,
        "article",
    );
    let attached = sb
        .upload(&end_user.1, "matrix.txt", "text/plain", b"matrix", None)
        .await;
    assert_eq!(attached.status, StatusCode::CREATED, "{}", attached.text);
    let token = attached.body["upload"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    let comment = sb
        .call(
            Method::PUT,
            &format!("/api/v2/tickets/{ticket}.json"),
            Some(&end_user.1),
            Some(json!({"ticket": {"comment": {"body": "file", "uploads": [token]}}})),
        )
        .await;
    assert_eq!(comment.status, StatusCode::OK, "{}", comment.text);
    let file = &attached.body["upload"]["attachment"];
    let content_token = file["content_url"]
        .as_str()
        .and_then(|url| url.split("/attachments/token/").nth(1))
        .and_then(|rest| rest.split('?').next())
        .expect("a content url")
        .to_string();
    let pending = sb
        .upload(&end_user.1, "pending.txt", "text/plain", b"later", None)
        .await;
    let oauth_client = created(
        sb.post(
            "/api/v2/oauth/clients.json",
            json!({"client": {"name": "Matrix App", "identifier": "matrix_app", "kind": "public",
                              "redirect_uri": ["http://127.0.0.1/callback"]}}),
        )
        .await,
        "client",
    );
    let end_user_token = created(
        sb.call(
            Method::GET,
            "/api/v2/oauth/tokens/current.json",
            Some(&end_user.1),
            None,
        )
        .await,
        "token",
    );
    let standard = sb.get("/api/v2/triggers.json").await.body["triggers"][0].clone();
    let trigger = standard["id"].as_i64().expect("a standard trigger");
    let trigger_category = standard["category_id"]
        .as_str()
        .and_then(|c| c.parse().ok())
        .expect("its category");
    let automation = created(
        sb.post(
            "/api/v2/automations.json",
            json!({"automation": {"title": "Matrix automation",
                "conditions": {"all": [{"field": "status", "operator": "is", "value": "solved"},
                    {"field": "hours_since_solved", "operator": "greater_than", "value": "96"}]},
                "actions": [{"field": "status", "value": "closed"}]}}),
        )
        .await,
        "automation",
    );
    Fixtures {
        trigger,
        trigger_category,
        automation,
        oauth_client,
        end_user_token,
        end_user,
        agent,
        organization,
        ticket,
        group,
        membership,
        ticket_field,
        organization_field,
        macro_id,
        view,
        category,
        section,
        article,
        attachment: (file["id"].as_i64().expect("attachment id"), content_token),
        upload_token: pending.body["upload"]["token"]
            .as_str()
            .expect("a token")
            .to_string(),
    }
}

/// The path with its ids filled with records the end-user owns where they own any.
fn concrete(template: &str, f: &Fixtures) -> String {
    let first = |name: &str| -> i64 {
        match name {
            "tickets" | "deleted_tickets" => f.ticket,
            "users" => f.end_user.0,
            "organizations" => f.organization,
            "groups" => f.group,
            "group_memberships" => f.membership,
            "ticket_fields" => f.ticket_field,
            "organization_fields" => f.organization_field,
            "job_statuses" => 1,
            "macros" => f.macro_id,
            "views" => f.view,
            "categories" => f.category,
            "sections" => f.section,
            "articles" => f.article,
            "attachments" => f.attachment.0,
            "clients" => f.oauth_client,
            "tokens" => f.end_user_token,
            "triggers" => f.trigger,
            "trigger_categories" => f.trigger_category,
            "automations" => f.automation,
            other => panic!("no fixture for /{other}/{{id}}"),
        }
    };
    let segments: Vec<&str> = template.split('/').collect();
    let mut out = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        if *segment == "{id}" && i > 0 && segments[i - 1] == "group_memberships" {
            out.push(f.membership.to_string());
        } else if *segment == "{user_id}" {
            out.push(f.agent.0.to_string());
        } else if *segment == "{locale}" {
            out.push("en-us".to_string());
        } else if *segment == "{token}" && segments[i - 1] == "uploads" {
            out.push(f.upload_token.clone());
        } else if *segment == "{token}" {
            out.push(f.attachment.1.clone());
        } else if segment.starts_with('{') && matches!(segments[i - 1], "webhooks" | "invocations")
        {
            // Webhooks and invocations have ULID ids; none exists, so an admitted role gets 404.
            out.push("01HANAN7NVBM93Z21ZGCXESV8X".to_string());
        } else if segment.starts_with('{') {
            out.push(first(segments[i - 1]).to_string());
        } else {
            out.push(segment.to_string());
        }
    }
    format!("{}.json", out.join("/"))
}

fn admitted(who: Who, role: Option<Role>) -> bool {
    match (who, role) {
        (Who::Anyone, _) => true,
        (_, None) => false,
        (Who::SignedIn, Some(_)) => true,
        (Who::Agents, Some(role)) => role >= Role::Agent,
        (Who::Admins, Some(role)) => role == Role::Admin,
    }
}

#[tokio::test]
async fn every_endpoint_admits_exactly_the_roles_the_table_names() {
    let table = endpoint_access();
    assert!(table.len() >= 120, "{} endpoints", table.len());
    let mut checked = 0;
    for (method, template, who) in table {
        // A fresh help desk per endpoint: a delete by one role cannot hide the next role's answer.
        let sb = sandbox().await;
        let f = fixtures(&sb).await;
        let path = concrete(template, &f);
        let roles = [
            (None, None),
            (Some(Role::EndUser), Some(f.end_user.1.clone())),
            (Some(Role::Agent), Some(f.agent.1.clone())),
            (Some(Role::Admin), Some(admin())),
        ];
        for (role, auth) in roles {
            let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
            let reply = sb.call(method.clone(), &path, auth.as_deref(), body).await;
            let status = reply.status;
            // One's own password is changed by oneself only (the path names the end-user's):
            // anyone else signed in is refused by the record, not by the route.
            if method == Method::PUT
                && template == "/api/v2/users/{id}/password"
                && role.is_some_and(|role| role != Role::EndUser)
            {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {}", reply.text);
                assert!(reply.text.contains("your own password"), "{}", reply.text);
                checked += 1;
                continue;
            }
            if admitted(who, role) {
                assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{method} {template} should admit {role:?}: {status} {}",
                    reply.text
                );
            } else {
                let expected = if role.is_none() {
                    StatusCode::UNAUTHORIZED
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(
                    status, expected,
                    "{method} {template} as {role:?}: {}",
                    reply.text
                );
            }
            checked += 1;
        }
        // Each help desk's connections go back before the next opens (on PostgreSQL, a
        // hundred help desks left open exhaust the server's connection slots).
        sb.state.close().await.expect("the help desk closes");
    }
    println!("{checked} endpoint × role cases");
}

/// A changed value for each writable field (and, for a few, the input key that changes it).
fn user_change(field: &str, f: &Fixtures) -> Option<(&'static str, Value)> {
    Some(match field {
        "name" => ("name", json!("Renamed")),
        "phone" => ("phone", json!("+1 555 0199")),
        "time_zone" | "iana_time_zone" => ("time_zone", json!("Europe/Paris")),
        "locale" => ("locale", json!("fr")),
        "email" => ("email", json!("changed@example.com")),
        "alias" => ("alias", json!("Ali")),
        "details" => ("details", json!("details")),
        "notes" => ("notes", json!("notes")),
        "tags" => ("tags", json!(["vip"])),
        "external_id" => ("external_id", json!("EXT-9")),
        "organization_id" => ("organization_id", json!(null)),
        "verified" => ("verified", json!(true)),
        "suspended" => ("suspended", json!(true)),
        "user_fields" => ("user_fields", json!({"plan": "gold"})),
        "shared_phone_number" => ("shared_phone_number", json!(true)),
        "only_private_comments" => ("only_private_comments", json!(true)),
        "signature" => ("signature", json!("Best")),
        "role" => ("role", json!("agent")),
        "custom_role_id" => ("custom_role_id", json!(42)),
        "default_group_id" => ("default_group_id", json!(f.group)),
        _ => return None,
    })
}

fn ticket_change(field: &str, f: &Fixtures) -> Option<(&'static str, Value)> {
    Some(match field {
        "subject" | "raw_subject" => ("subject", json!("New subject")),
        "description" => return None, // the first comment: never changed by an update
        "priority" => ("priority", json!("urgent")),
        "type" => ("type", json!("task")),
        "custom_fields" | "fields" => (
            "custom_fields",
            json!([{"id": f.ticket_field, "value": "x"}]),
        ),
        "status" => ("status", json!("pending")),
        "assignee_id" => ("assignee_id", json!(f.agent.0)),
        "group_id" => ("group_id", json!(f.group)),
        "organization_id" => ("organization_id", json!([null, f.organization])),
        "requester_id" => ("requester_id", json!([f.agent.0, f.end_user.0])),
        "submitter_id" => return None, // set once, at creation
        "external_id" => ("external_id", json!("EXT-T")),
        "due_at" => ("due_at", json!("2030-01-01T00:00:00Z")),
        "tags" => ("tags", json!(["changed"])),
        "collaborator_ids" => ("collaborator_ids", json!([f.agent.0])),
        "email_cc_ids" => ("email_cc_ids", json!([f.agent.0])),
        "follower_ids" => ("follower_ids", json!([f.agent.0])),
        "problem_id" | "recipient" => return None, // not changed by an update in the sandbox
        _ => return None,
    })
}

/// A value that changes the record whatever earlier cases left there: strings get the case
/// number, flags flip, an id already set is cleared.
fn differing(key: &str, value: &Value, current: &Value, case: usize) -> Value {
    let choices: &[&str] = match key {
        "status" => &["pending", "hold"],
        "priority" => &["urgent", "low"],
        "type" => &["task", "question"],
        "role" => &["agent", "end-user"],
        "locale" => &["fr", "de"],
        "time_zone" => &["Europe/Paris", "Asia/Tokyo"],
        _ => &[],
    };
    if let Some(choice) = choices.iter().find(|c| current.as_str() != Some(**c)) {
        return json!(choice);
    }
    match value {
        Value::String(text) if text.contains('@') => json!(format!("{case}{text}")),
        Value::String(text) if text.ends_with('Z') => {
            json!(format!("203{case}-01-01T00:00:00Z"))
        }
        Value::String(text) => json!(format!("{text}{case}")),
        Value::Bool(_) => json!(!current.as_bool().unwrap_or(false)),
        Value::Number(_) if current == value => Value::Null,
        // Candidate ids: the first the record does not hold already.
        Value::Array(ids) if ids.iter().all(|v| v.is_number() || v.is_null()) && ids.len() == 2 => {
            ids.iter()
                .find(|v| *v != current)
                .cloned()
                .unwrap_or(Value::Null)
        }
        Value::Array(items) if current == value && items.len() == 1 => match &items[0] {
            Value::String(tag) => json!([format!("{tag}{case}")]),
            _ => json!([]),
        },
        other => other.clone(),
    }
}

async fn field_matrix(
    rules: &[FieldRule],
    change: fn(&str, &Fixtures) -> Option<(&'static str, Value)>,
    resource: &str,
) -> usize {
    let mut checked = 0;
    for rule in rules {
        let sb = sandbox().await;
        let f = fixtures(&sb).await;
        let Some((key, value)) = change(rule.field, &f) else {
            continue;
        };
        // (who, their credentials, the record, is it theirs)
        let (record, owner_id) = match resource {
            "users" => (f.end_user.0, f.end_user.0),
            _ => (f.ticket, f.end_user.0),
        };
        let cases = [
            (
                Role::EndUser,
                f.end_user.1.clone(),
                record,
                owner_id == f.end_user.0,
            ),
            (Role::Agent, f.agent.1.clone(), record, false),
            (Role::Agent, f.agent.1.clone(), f.agent.0, true),
            (Role::Admin, admin(), record, false),
        ];
        for (case, (role, auth, id, own)) in cases.into_iter().enumerate() {
            let path = format!("/api/v2/{resource}/{id}.json");
            if resource == "tickets" && id == f.agent.0 {
                continue; // an agent's own user is not a ticket
            }
            let before = sb.get(&path).await.body;
            let current = &before[if resource == "users" {
                "user"
            } else {
                "ticket"
            }][key];
            let value = differing(key, &value, current, case);
            let caller = Caller { id: 0, role };
            let allowed = may_change(&caller, rule.may, own, false);
            let mut input = serde_json::Map::new();
            input.insert(key.into(), value.clone());
            if resource == "tickets" && role == Role::EndUser {
                // End-users always comment; the field rides along.
                input.insert("comment".into(), json!({"body": "also this"}));
            }
            let wrapper = if resource == "users" {
                "user"
            } else {
                "ticket"
            };
            let reply = sb
                .call(
                    Method::PUT,
                    &path,
                    Some(&auth),
                    Some(json!({ wrapper: input })),
                )
                .await;
            if allowed {
                assert_eq!(
                    reply.status,
                    StatusCode::OK,
                    "{resource}.{} by {role:?} (own: {own}) should pass: {}",
                    rule.field,
                    reply.text
                );
            } else {
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{resource}.{} by {role:?} (own: {own}) should be refused: {}",
                    rule.field,
                    reply.text
                );
                assert!(
                    reply.text.contains(rule.field) || reply.text.contains(key),
                    "{}",
                    reply.text
                );
                let after = sb.get(&path).await.body;
                assert_eq!(before, after, "a refused write changed {resource} {id}");
            }
            checked += 1;
        }
    }
    checked
}

#[tokio::test]
async fn every_writable_user_field_is_changed_only_by_whom_the_model_allows() {
    let checked = field_matrix(USER_FIELDS, user_change, "users").await;
    assert!(checked >= 70, "{checked} user field cases");
}

#[tokio::test]
async fn every_writable_ticket_field_is_changed_only_by_whom_the_model_allows() {
    let checked = field_matrix(TICKET_FIELDS, ticket_change, "tickets").await;
    assert!(checked >= 40, "{checked} ticket field cases");
}

#[tokio::test]
async fn end_users_cannot_take_another_identity_or_organization() {
    let sb = sandbox().await;
    let f = fixtures(&sb).await;
    let (other, _) = sb.user("Other Customer", "end-user").await;
    let other_email =
        sb.get(&format!("/api/v2/users/{other}.json")).await.body["user"]["email"].clone();
    for change in [
        json!({"email": other_email}),
        json!({"organization_id": null}),
        json!({"verified": true}),
        json!({"role": "admin"}),
        json!({"tags": ["vip"]}),
        json!({"notes": "trusted"}),
    ] {
        let reply = sb
            .call(
                Method::PUT,
                &format!("/api/v2/users/{}.json", f.end_user.0),
                Some(&f.end_user.1),
                Some(json!({"user": change})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{change}: {}",
            reply.text
        );
    }
    // Sending a field back unchanged (a client round-tripping the record) is fine.
    let me = sb
        .call(
            Method::GET,
            "/api/v2/users/me.json",
            Some(&f.end_user.1),
            None,
        )
        .await;
    assert!(
        me.body["user"].get("notes").is_none(),
        "no agent notes for the end-user"
    );
    let same = sb
        .call(
            Method::PUT,
            &format!("/api/v2/users/{}.json", f.end_user.0),
            Some(&f.end_user.1),
            Some(json!({"user": {"name": "New Name", "email": me.body["user"]["email"], "role": "end-user"}})),
        )
        .await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.text);
    // The organization they belong to is shown without internal fields; others not at all.
    let org = sb
        .call(
            Method::GET,
            &format!("/api/v2/organizations/{}.json", f.organization),
            Some(&f.end_user.1),
            None,
        )
        .await;
    assert_eq!(org.status, StatusCode::OK, "{}", org.text);
    assert!(org.body["organization"].get("notes").is_none());
}

#[tokio::test]
async fn a_suspended_user_is_signed_out_and_cannot_unsuspend() {
    let sb = sandbox().await;
    let (customer, auth) = sb.user("Soon Suspended", "end-user").await;
    let before = sb
        .call(Method::GET, "/api/v2/users/me.json", Some(&auth), None)
        .await;
    assert_eq!(before.body["user"]["id"], customer);
    let suspended = sb
        .put(
            &format!("/api/v2/users/{customer}.json"),
            json!({"user": {"suspended": true}}),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::OK);
    for (method, path, body) in [
        (Method::GET, "/api/v2/tickets.json".to_string(), None),
        (
            Method::PUT,
            format!("/api/v2/users/{customer}.json"),
            Some(json!({"user": {"suspended": false}})),
        ),
    ] {
        let reply = sb.call(method, &path, Some(&auth), body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{path}: {}",
            reply.text
        );
    }
    let still = sb.get(&format!("/api/v2/users/{customer}.json")).await;
    assert_eq!(still.body["user"]["suspended"], true);
}

/// Ten wrong passwords a minute per account; past them a wrong one is answered only after a
/// pause (guessing slows to about one a second), while the right password still signs in at
/// once and other accounts are not slowed.
#[tokio::test]
async fn failed_sign_ins_are_slowed_per_account_and_never_lock_the_owner_out() {
    let sb = sandbox().await;
    let (_, right) = sb.user("Throttled User", "end-user").await;
    let wrong = basic("throttled.user@example.com", "not-the-password");
    let attempt = |auth: String| {
        let sb = &sb;
        async move {
            let started = std::time::Instant::now();
            let reply = sb
                .call(Method::GET, "/api/v2/tickets.json", Some(&auth), None)
                .await;
            (reply.status, started.elapsed())
        }
    };
    for _ in 0..10 {
        let (status, took) = attempt(wrong.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(took < std::time::Duration::from_millis(900), "{took:?}");
    }
    let (status, took) = attempt(wrong.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(took >= std::time::Duration::from_secs(1), "{took:?}");
    let (status, took) = attempt(right).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the owner's password after 11 wrong ones"
    );
    assert!(took < std::time::Duration::from_millis(900), "{took:?}");
    // Another account is not affected.
    let (_, other) = sb.user("Unthrottled User", "end-user").await;
    let (status, took) = attempt(other).await;
    assert_eq!(status, StatusCode::OK);
    assert!(took < std::time::Duration::from_millis(900), "{took:?}");
}

#[tokio::test]
async fn secrets_are_stored_keyed_and_files_are_private() {
    let dir = std::env::temp_dir().join(format!(
        "zd-secrets-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let db = dir.join("sandbox.db");
    let sb = sandbox_with(Config {
        db_url: format!("sqlite://{}", db.display()),
        ..Config::in_memory(ADMIN_TOKEN)
    })
    .await;
    let (_, auth) = sb.user("Hashed User", "end-user").await;
    assert_eq!(
        sb.call(Method::GET, "/api/v2/users/me.json", Some(&auth), None)
            .await
            .status,
        StatusCode::OK
    );
    let store = sb.state.store().clone();
    let counts = store
        .read(|reader| {
            let keyed = reader.query_i64(
                "SELECT COUNT(*) FROM api_tokens WHERE token_hash LIKE ?1",
                &[Bind::Text("hmac-sha256:%".into())],
            )?;
            let plain = reader.query_i64(
                "SELECT COUNT(*) FROM users WHERE password_hash IS NOT NULL AND password_hash NOT LIKE ?1",
                &[Bind::Text("$argon2id$%".into())],
            )?;
            Ok::<_, zendesk_sandbox::store::StoreError>((keyed, plain))
        })
        .await
        .unwrap();
    assert_eq!(counts, (Some(1), Some(0)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [db.clone(), dir.join("sandbox.db.key")] {
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", file.display());
        }
    }
    sb.state.close().await.unwrap();
    let _ = std::fs::remove_dir_all(dir);
}
