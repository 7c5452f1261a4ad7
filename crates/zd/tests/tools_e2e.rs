//! End to end: every tool of the registry called against the real sandbox (started in-process
//! on 127.0.0.1:0 with a temporary SQLite database), through the real client. Happy paths,
//! Zendesk's own refusals carried into the message (not found, invalid record, bad
//! credentials), the tool's refusals, and bulk jobs followed to completion.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use zendesk_sandbox::{Config, RunningSandbox, Sandbox};
use zendesk_tools::{CallContext, Connection, Progress, ToolResult, registry};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_TOKEN: &str = "e2e-admin-token";

struct Desk {
    sandbox: RunningSandbox,
    ctx: CallContext,
    _dir: tempfile::TempDir,
}

async fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::in_memory(ADMIN_TOKEN);
    config.db_url = format!("sqlite://{}", dir.path().join("sandbox.db").display());
    config.admin_email = ADMIN_EMAIL.into();
    let sandbox = Sandbox::start(config).await.unwrap();
    let ctx = CallContext::with_connection(Connection {
        base_url: Some(sandbox.base_url()),
        email: Some(ADMIN_EMAIL.into()),
        api_token: Some(ADMIN_TOKEN.into()),
        ..Default::default()
    });
    Desk {
        sandbox,
        ctx,
        _dir: dir,
    }
}

impl Desk {
    async fn call(&self, tool: &str, args: Value) -> ToolResult {
        let tool = registry()
            .get(tool)
            .unwrap_or_else(|| panic!("{tool} registered"));
        tool.call(args, &self.ctx).await
    }

    /// Calls a tool that must succeed and returns its output.
    async fn ok(&self, tool: &str, args: Value) -> Value {
        let result = self.call(tool, args.clone()).await;
        assert!(result.success, "{tool}({args}) failed: {:?}", result.error);
        assert_eq!(result.to_json()["success"], true);
        result.output
    }

    /// Calls a tool that must fail and returns its message.
    async fn fails(&self, tool: &str, args: Value) -> String {
        let result = self.call(tool, args.clone()).await;
        assert!(
            !result.success,
            "{tool}({args}) should fail: {}",
            result.output
        );
        let json = result.to_json();
        assert_eq!(json["success"], false);
        assert!(json["output"].is_object());
        result.error.unwrap()
    }

    /// Follows a job to its end and returns the final job status.
    async fn finish_job(&self, job_id: &Value) -> Value {
        let job_id = job_id.as_str().expect("job_id is a string");
        let out = self
            .ok(
                "zendesk_get_job_status",
                json!({"jobId": job_id, "waitSeconds": "60"}),
            )
            .await;
        assert_eq!(out["done"], true, "{out}");
        assert_eq!(out["job_status"]["status"], "completed", "{out}");
        out["job_status"].clone()
    }

    async fn stop(self) {
        self.sandbox.shutdown().await.unwrap();
    }
}

fn id_of(value: &Value) -> String {
    value.as_u64().expect("a numeric id").to_string()
}

#[tokio::test]
async fn ticket_tools_create_read_update_list_and_delete() {
    let desk = desk().await;
    let created = desk
        .ok(
            "zendesk_create_ticket",
            json!({"subject": "Printer on fire", "description": "It is really on fire",
                   "priority": "High", "type": "incident", "tags": "printer, urgent"}),
        )
        .await;
    let ticket_id = id_of(&created["ticket_id"]);
    assert_eq!(created["ticket"]["subject"], "Printer on fire");
    assert_eq!(created["ticket"]["priority"], "high");
    assert_eq!(created["ticket"]["type"], "incident");
    assert_eq!(created["ticket"]["tags"], json!(["printer", "urgent"]));

    // No subject: one is made from the description.
    let untitled = desk
        .ok(
            "zendesk_create_ticket",
            json!({"description": "Cannot log in\nsince this morning"}),
        )
        .await;
    assert_eq!(untitled["ticket"]["subject"], "Cannot log in");

    let got = desk
        .ok("zendesk_get_ticket", json!({"ticketId": ticket_id}))
        .await;
    assert_eq!(got["ticket_id"], created["ticket_id"]);
    assert_eq!(got["ticket"]["description"], "It is really on fire");

    let updated = desk
        .ok(
            "zendesk_update_ticket",
            json!({"ticketId": ticket_id, "status": "pending", "comment": "On it", "tags": "printer"}),
        )
        .await;
    assert_eq!(updated["ticket"]["status"], "pending");
    assert_eq!(updated["ticket"]["tags"], json!(["printer"]));

    // Plain listing: cursor paging.
    let page = desk
        .ok("zendesk_get_tickets", json!({"perPage": "1", "sort": "id"}))
        .await;
    assert_eq!(page["tickets"].as_array().unwrap().len(), 1);
    assert_eq!(page["paging"]["has_more"], true);
    assert!(page["paging"]["after_cursor"].is_string());
    assert!(page["paging"]["next_page"].is_string());
    assert_eq!(
        page["metadata"],
        json!({"total_returned": 1, "has_more": true})
    );
    let next = desk
        .ok(
            "zendesk_get_tickets",
            json!({"perPage": "1", "sort": "id", "pageAfter": page["paging"]["after_cursor"]}),
        )
        .await;
    assert_ne!(next["tickets"][0]["id"], page["tickets"][0]["id"]);

    // Filters go through search export.
    let pending = desk
        .ok("zendesk_get_tickets", json!({"status": "pending"}))
        .await;
    let ids: Vec<&Value> = pending["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert_eq!(ids, vec![&created["ticket_id"]]);
    assert_eq!(pending["metadata"]["total_returned"], 1);

    let deleted = desk
        .ok("zendesk_delete_ticket", json!({"ticketId": ticket_id}))
        .await;
    assert_eq!(deleted, json!({"deleted": true, "ticket_id": ticket_id}));
    let error = desk
        .fails("zendesk_get_ticket", json!({"ticketId": ticket_id}))
        .await;
    assert!(error.contains("404"), "{error}");
    assert!(error.contains("no such record"), "{error}");
    desk.stop().await;
}

#[tokio::test]
async fn bulk_ticket_jobs_are_followed_to_completion() {
    let desk = desk().await;
    let tickets: Vec<Value> = (1..=3)
        .map(|i| json!({"subject": format!("Bulk {i}"), "comment": {"body": "b"}, "tags": ["old"]}))
        .collect();
    let started = desk
        .ok(
            "zendesk_create_tickets_bulk",
            json!({"tickets": serde_json::to_string(&tickets).unwrap()}),
        )
        .await;
    assert_eq!(started["job_id"], started["job_status"]["id"]);

    // Progress reaches the host's callback while the tool waits.
    let reports: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = reports.clone();
    let ctx = CallContext {
        progress: Some(Arc::new(move |p| sink.lock().unwrap().push(p))),
        ..desk.ctx.clone()
    };
    let followed = registry()
        .get("zendesk_get_job_status")
        .unwrap()
        .call(
            json!({"jobId": started["job_id"], "waitSeconds": "60"}),
            &ctx,
        )
        .await;
    assert!(followed.success, "{:?}", followed.error);
    assert_eq!(followed.output["done"], true);
    let job = &followed.output["job_status"];
    assert_eq!(job["status"], "completed");
    let results = job["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(!reports.lock().unwrap().is_empty());
    let ids: Vec<String> = results.iter().map(|r| id_of(&r["id"])).collect();

    // Bulk update adds tags (additional_tags) rather than replacing them.
    let started = desk
        .ok(
            "zendesk_update_tickets_bulk",
            json!({"ticketIds": ids.join(", "), "tags": "new", "priority": "urgent"}),
        )
        .await;
    desk.finish_job(&started["job_id"]).await;
    let ticket = desk
        .ok("zendesk_get_ticket", json!({"ticketId": ids[0]}))
        .await;
    let tags = ticket["ticket"]["tags"].as_array().unwrap();
    assert!(
        tags.contains(&json!("old")) && tags.contains(&json!("new")),
        "{tags:?}"
    );
    assert_eq!(ticket["ticket"]["priority"], "urgent");

    // Merge the other two into the first.
    let merged = desk
        .ok(
            "zendesk_merge_tickets",
            json!({"targetTicketId": ids[0], "sourceTicketIds": format!("{},{}", ids[1], ids[2]),
                   "targetComment": "Merged duplicates"}),
        )
        .await;
    assert_eq!(merged["target_ticket_id"], ids[0].as_str());
    desk.finish_job(&merged["job_id"]).await;
    let source = desk
        .ok("zendesk_get_ticket", json!({"ticketId": ids[1]}))
        .await;
    assert_eq!(source["ticket"]["status"], "closed");

    // Without a wait the status comes back at once.
    let once = desk
        .ok("zendesk_get_job_status", json!({"jobId": merged["job_id"]}))
        .await;
    assert_eq!(once["job_id"], merged["job_id"]);
    let error = desk
        .fails("zendesk_get_job_status", json!({"jobId": "doesnotexist0"}))
        .await;
    assert!(error.contains("404"), "{error}");
    desk.stop().await;
}

#[tokio::test]
async fn bulk_tools_follow_their_job_when_asked_to_wait() {
    let desk = desk().await;
    let reports: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let sink = reports.clone();
    let ctx = CallContext {
        progress: Some(Arc::new(move |p| sink.lock().unwrap().push(p))),
        ..desk.ctx.clone()
    };
    let bulk = registry().get("zendesk_create_tickets_bulk").unwrap();

    // A bad wait is refused naming waitSeconds, and no job is started.
    for bad in ["abc", "-1", "601"] {
        let tickets = json!([{"subject": "never", "comment": {"body": "b"}}]).to_string();
        let refused = bulk
            .call(json!({"tickets": tickets, "waitSeconds": bad}), &ctx)
            .await;
        assert!(!refused.success, "waitSeconds={bad} should be refused");
        let error = refused.error.unwrap();
        assert!(
            error.contains("waitSeconds must be a whole number from 0 to 600"),
            "{error}"
        );
    }
    let none = desk.ok("zendesk_get_tickets", json!({})).await;
    assert_eq!(none["tickets"], json!([]), "a refused call created tickets");
    assert!(reports.lock().unwrap().is_empty());

    // Without a wait: back at once with the job to follow, and no `done`.
    let tickets: Vec<Value> = (1..=4)
        .map(|i| json!({"subject": format!("Waited {i}"), "comment": {"body": "b"}}))
        .collect();
    let tickets = serde_json::to_string(&tickets).unwrap();
    let at_once = desk
        .ok("zendesk_create_tickets_bulk", json!({"tickets": tickets}))
        .await;
    assert!(at_once["job_id"].as_str().is_some_and(|id| !id.is_empty()));
    assert!(at_once.get("done").is_none(), "{at_once}");
    desk.finish_job(&at_once["job_id"]).await;

    // With a wait: one call creates the tickets and follows the job to its end.
    let waited = bulk
        .call(json!({"tickets": tickets, "waitSeconds": "30"}), &ctx)
        .await;
    assert!(waited.success, "{:?}", waited.error);
    let out = &waited.output;
    assert_eq!(out["done"], true, "{out}");
    assert_eq!(out["job_status"]["status"], "completed", "{out}");
    assert_eq!(out["job_id"], out["job_status"]["id"]);
    let results = out["job_status"]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "{out}");
    assert!(!reports.lock().unwrap().is_empty(), "no progress reported");
    for result in results {
        let ticket = desk
            .ok(
                "zendesk_get_ticket",
                json!({"ticketId": id_of(&result["id"])}),
            )
            .await;
        assert!(
            ticket["ticket"]["subject"]
                .as_str()
                .is_some_and(|s| s.starts_with("Waited ")),
            "{ticket}"
        );
    }

    // Merge with a wait keeps target_ticket_id beside the final status.
    let ids: Vec<String> = results.iter().map(|r| id_of(&r["id"])).collect();
    let merged = desk
        .ok(
            "zendesk_merge_tickets",
            json!({"targetTicketId": ids[0], "sourceTicketIds": ids[1], "waitSeconds": "30"}),
        )
        .await;
    assert_eq!(merged["done"], true, "{merged}");
    assert_eq!(merged["job_status"]["status"], "completed", "{merged}");
    assert_eq!(merged["target_ticket_id"], ids[0].as_str());
    let source = desk
        .ok("zendesk_get_ticket", json!({"ticketId": ids[1]}))
        .await;
    assert_eq!(source["ticket"]["status"], "closed");
    desk.stop().await;
}

#[tokio::test]
async fn user_tools_cover_every_user_operation() {
    let desk = desk().await;
    let me = desk.ok("zendesk_get_current_user", json!({})).await;
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
    assert_eq!(me["user_id"], me["user"]["id"]);

    let org = desk
        .ok("zendesk_create_organization", json!({"name": "Users Inc"}))
        .await;
    let created = desk
        .ok(
            "zendesk_create_user",
            json!({"name": "Jane Doe", "userEmail": "jane@example.com", "role": "end-user",
                   "organizationId": id_of(&org["organization_id"]), "verified": "true",
                   "tags": "vip", "phone": "+1-555-123-4567"}),
        )
        .await;
    let user_id = id_of(&created["user_id"]);
    assert_eq!(created["user"]["email"], "jane@example.com");
    assert_eq!(created["user"]["organization_id"], org["organization_id"]);

    let got = desk
        .ok("zendesk_get_user", json!({"userId": user_id}))
        .await;
    assert_eq!(got["user"]["name"], "Jane Doe");

    let updated = desk
        .ok(
            "zendesk_update_user",
            json!({"userId": user_id, "name": "Jane Q. Doe"}),
        )
        .await;
    assert_eq!(updated["user"]["name"], "Jane Q. Doe");

    let found = desk
        .ok("zendesk_search_users", json!({"query": "jane@example.com"}))
        .await;
    assert_eq!(found["users"][0]["id"], created["user_id"]);
    assert_eq!(found["paging"]["after_cursor"], Value::Null);
    assert_eq!(found["metadata"]["total_returned"], 1);

    let end_users = desk
        .ok("zendesk_get_users", json!({"role": "end-user"}))
        .await;
    let users = end_users["users"].as_array().unwrap();
    assert!(users.iter().all(|u| u["role"] == "end-user"));
    assert!(users.iter().any(|u| u["id"] == created["user_id"]));

    // Zendesk's refusal (a duplicate email) is carried into the message.
    let error = desk
        .fails(
            "zendesk_create_user",
            json!({"name": "Other", "userEmail": "jane@example.com"}),
        )
        .await;
    assert!(error.contains("422"), "{error}");
    assert!(
        error.contains("jane@example.com is already being used"),
        "{error}"
    );

    let started = desk
        .ok(
            "zendesk_create_users_bulk",
            json!({"users": "[{\"name\": \"Bulk One\", \"email\": \"b1@example.com\"}, {\"name\": \"Bulk Two\", \"email\": \"b2@example.com\"}]"}),
        )
        .await;
    let job = desk.finish_job(&started["job_id"]).await;
    let bulk_ids: Vec<String> = job["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| id_of(&r["id"]))
        .collect();
    assert_eq!(bulk_ids.len(), 2);

    let updates = json!([{"id": bulk_ids[0], "name": "Bulk Uno"}]).to_string();
    let started = desk
        .ok("zendesk_update_users_bulk", json!({"users": updates}))
        .await;
    desk.finish_job(&started["job_id"]).await;
    let renamed = desk
        .ok("zendesk_get_user", json!({"userId": bulk_ids[0]}))
        .await;
    assert_eq!(renamed["user"]["name"], "Bulk Uno");

    let deleted = desk
        .ok("zendesk_delete_user", json!({"userId": user_id}))
        .await;
    assert_eq!(deleted, json!({"deleted": true, "user_id": user_id}));
    let error = desk
        .fails(
            "zendesk_update_user",
            json!({"userId": "999999", "name": "x"}),
        )
        .await;
    assert!(error.contains("404"), "{error}");
    desk.stop().await;
}

#[tokio::test]
async fn organization_tools_cover_every_organization_operation() {
    let desk = desk().await;
    let created = desk
        .ok(
            "zendesk_create_organization",
            json!({"name": "Acme Corporation", "domainNames": "acme.com, acme.org",
                   "details": "Big customer", "notes": "Pays late", "tags": "enterprise"}),
        )
        .await;
    let org_id = id_of(&created["organization_id"]);
    assert_eq!(
        created["organization"]["domain_names"],
        json!(["acme.com", "acme.org"])
    );
    let got = desk
        .ok(
            "zendesk_get_organization",
            json!({"organizationId": org_id}),
        )
        .await;
    assert_eq!(got["organization"]["name"], "Acme Corporation");
    let updated = desk
        .ok(
            "zendesk_update_organization",
            json!({"organizationId": org_id, "notes": "Pays on time now"}),
        )
        .await;
    assert_eq!(updated["organization"]["notes"], "Pays on time now");

    let completed = desk
        .ok("zendesk_autocomplete_organizations", json!({"name": "Acm"}))
        .await;
    assert_eq!(
        completed["organizations"][0]["id"],
        created["organization_id"]
    );
    assert_eq!(completed["paging"]["after_cursor"], Value::Null);

    let error = desk
        .fails(
            "zendesk_create_organization",
            json!({"name": "Acme Corporation"}),
        )
        .await;
    assert!(error.contains("422"), "{error}");

    let started = desk
        .ok(
            "zendesk_create_organizations_bulk",
            json!({"organizations": "[{\"name\": \"Org One\"}, {\"name\": \"Org Two\"}]"}),
        )
        .await;
    desk.finish_job(&started["job_id"]).await;
    let listed = desk
        .ok("zendesk_get_organizations", json!({"perPage": "100"}))
        .await;
    let names: Vec<&str> = listed["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    for name in ["Acme Corporation", "Org One", "Org Two"] {
        assert!(names.contains(&name), "{names:?}");
    }
    assert_eq!(listed["paging"]["has_more"], false);
    assert_eq!(listed["paging"]["next_page"], Value::Null);

    let deleted = desk
        .ok(
            "zendesk_delete_organization",
            json!({"organizationId": org_id}),
        )
        .await;
    assert_eq!(deleted, json!({"deleted": true, "organization_id": org_id}));
    let error = desk
        .fails(
            "zendesk_delete_organization",
            json!({"organizationId": org_id}),
        )
        .await;
    assert!(error.contains("404"), "{error}");
    desk.stop().await;
}

#[tokio::test]
async fn organization_field_tools_manage_fields_and_their_order() {
    let desk = desk().await;
    let text = desk
        .ok(
            "zendesk_create_organization_field",
            json!({"key": "support_description", "title": "Support description", "type": "text"}),
        )
        .await;
    let text_id = id_of(&text["organization_field_id"]);
    let dropdown = desk
        .ok(
            "zendesk_create_organization_field",
            json!({"key": "plan", "title": "Plan", "type": "dropdown",
                   "customFieldOptions": "[{\"name\": \"Gold\", \"value\": \"gold\"}, {\"name\": \"Silver\", \"value\": \"silver\"}]"}),
        )
        .await;
    let dropdown_id = id_of(&dropdown["organization_field_id"]);
    assert_eq!(
        dropdown["organization_field"]["custom_field_options"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let by_key = desk
        .ok(
            "zendesk_get_organization_field",
            json!({"fieldIdOrKey": "plan"}),
        )
        .await;
    assert_eq!(
        by_key["organization_field_id"],
        dropdown["organization_field_id"]
    );
    let updated = desk
        .ok(
            "zendesk_update_organization_field",
            json!({"fieldIdOrKey": text_id, "title": "Support plan notes"}),
        )
        .await;
    assert_eq!(updated["organization_field"]["title"], "Support plan notes");

    let reordered = desk
        .ok(
            "zendesk_reorder_organization_fields",
            json!({"fieldIds": format!("{dropdown_id}, {text_id}")}),
        )
        .await;
    assert_eq!(reordered["reordered"], true);
    let listed = desk.ok("zendesk_get_organization_fields", json!({})).await;
    let order: Vec<String> = listed["organization_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| id_of(&f["id"]))
        .collect();
    assert_eq!(order, vec![dropdown_id.clone(), text_id.clone()]);

    // The value lives on organizations under the field's key.
    let org = desk
        .ok(
            "zendesk_create_organization",
            json!({"name": "Fielded", "customFields": "{\"plan\": \"gold\"}"}),
        )
        .await;
    assert_eq!(org["organization"]["organization_fields"]["plan"], "gold");

    let deleted = desk
        .ok(
            "zendesk_delete_organization_field",
            json!({"fieldIdOrKey": "plan"}),
        )
        .await;
    assert_eq!(
        deleted,
        json!({"deleted": true, "organization_field_id": "plan"})
    );
    let error = desk
        .fails(
            "zendesk_get_organization_field",
            json!({"fieldIdOrKey": dropdown_id}),
        )
        .await;
    assert!(error.contains("404"), "{error}");
    desk.stop().await;
}

#[tokio::test]
async fn search_tools_find_and_count() {
    let desk = desk().await;
    for (subject, status) in [
        ("Alpha outage", "open"),
        ("Beta outage", "open"),
        ("Gamma", "solved"),
    ] {
        desk.ok(
            "zendesk_create_ticket",
            json!({"subject": subject, "description": "d", "status": status}),
        )
        .await;
    }
    let found = desk
        .ok(
            "zendesk_search",
            json!({"query": "status:open", "filterType": "ticket", "perPage": "1"}),
        )
        .await;
    let keys: Vec<&String> = found.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["paging", "metadata", "results"]);
    assert_eq!(found["results"].as_array().unwrap().len(), 1);
    assert_eq!(found["paging"]["has_more"], true);
    let rest = desk
        .ok(
            "zendesk_search",
            json!({"query": "status:open", "filterType": "ticket", "perPage": "1",
                   "pageAfter": found["paging"]["after_cursor"]}),
        )
        .await;
    assert_eq!(rest["results"].as_array().unwrap().len(), 1);
    assert_ne!(rest["results"][0]["id"], found["results"][0]["id"]);

    let count = desk
        .ok(
            "zendesk_search_count",
            json!({"query": "type:ticket status:open"}),
        )
        .await;
    assert_eq!(count, json!({"count": 2}));
    desk.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_an_actionable_message() {
    let desk = desk().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "zendesk_get_ticket",
            json!({"ticketId": "abc"}),
            "ticketId must be a numeric string such as \"12345\"",
        ),
        (
            "zendesk_update_ticket",
            json!({"ticketId": "1", "priority": "critical"}),
            "priority must be one of \"low\", \"normal\", \"high\", \"urgent\"",
        ),
        (
            "zendesk_create_users_bulk",
            json!({"users": "[{\"name\": \"x\"},\n  {\"name\" \"y\"}]"}),
            "users is not valid JSON: expected `:` at line 2 column 11",
        ),
        (
            "zendesk_create_organizations_bulk",
            json!({"organizations": serde_json::to_string(&(0..101).map(|i| json!({"name": format!("o{i}")})).collect::<Vec<_>>()).unwrap()}),
            "101 items; at most 100",
        ),
        (
            "zendesk_create_organization",
            json!({}),
            "missing required param for zendesk_create_organization: name",
        ),
        (
            "zendesk_get_current_user",
            json!({"subdomain": "acme.evil.com"}),
            "subdomain must be your Zendesk subdomain",
        ),
    ];
    for (tool, args, expected) in cases {
        let error = desk.fails(tool, args).await;
        assert!(error.contains(expected), "{tool}: {error}");
    }
    // Refused bulk input created nothing.
    let orgs = desk.ok("zendesk_get_organizations", json!({})).await;
    assert_eq!(orgs["organizations"], json!([]));

    // Wrong credentials: Zendesk's 401, with what to check.
    let error = desk
        .fails(
            "zendesk_get_current_user",
            json!({"email": ADMIN_EMAIL, "apiToken": "wrong-token"}),
        )
        .await;
    assert!(error.contains("401"), "{error}");
    assert!(error.contains("check the credentials"), "{error}");
    assert!(!error.contains("wrong-token"), "{error}");
    desk.stop().await;
}

/// `zendesk_get_changes_since` against the sandbox's own incremental export: the tickets
/// written since a moment, each once, projected to the fields asked for; then, from the cursor
/// it handed back, nothing until something changes. (Zendesk never exports the latest minute,
/// so the test waits one out.)
#[tokio::test]
async fn changes_since_reads_the_sandboxs_incremental_export() {
    let desk = desk().await;
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 5;
    let mut ids = Vec::new();
    for subject in ["Printer down", "Refund please"] {
        let created = desk
            .ok(
                "zendesk_create_ticket",
                json!({"subject": subject, "description": "d"}),
            )
            .await;
        ids.push(created["ticket"]["id"].as_i64().unwrap());
    }
    desk.ok(
        "zendesk_update_ticket",
        json!({"ticketId": ids[0].to_string(), "status": "pending"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;

    let page = desk
        .ok(
            "zendesk_get_changes_since",
            json!({"since": since.to_string(), "fields": "id,status,subject"}),
        )
        .await;
    assert_eq!(
        page["tickets"],
        json!([
            {"id": ids[0], "status": "pending", "subject": "Printer down"},
            {"id": ids[1], "status": "new", "subject": "Refund please"}
        ]),
        "{page}"
    );
    assert_eq!(page["end_of_stream"], true);
    let cursor = page["after_cursor"]
        .as_str()
        .expect("a cursor to go on from");

    let next = desk
        .ok("zendesk_get_changes_since", json!({"cursor": cursor}))
        .await;
    assert_eq!(next["tickets"], json!([]), "{next}");
    assert_eq!(next["end_of_stream"], true);
    desk.stop().await;
}
