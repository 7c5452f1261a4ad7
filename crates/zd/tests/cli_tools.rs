//! The built `zd` binary: `tools list` (table and the `--json` shape of spec/tools.json),
//! `tools call` exit codes (0 success, 1 the tool failed, 2 usage), and the everyday commands
//! on the embedded sandbox (a fresh database in a temporary directory, no Zendesk configured).

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `zd` with no Zendesk configured and the embedded sandbox's database under `dir`.
fn zd(dir: &Path, args: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_zd"))
        .args(args)
        .env_remove("ZENDESK_SUBDOMAIN")
        .env_remove("ZENDESK_BASE_URL")
        .env_remove("ZENDESK_EMAIL")
        .env_remove("ZENDESK_API_TOKEN")
        .env_remove("ZENDESK_OAUTH_TOKEN")
        .env("ZD_SANDBOX_DB", dir.join("sandbox.db"))
        .output()
        .expect("zd runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            run.stdout, run.stderr
        )
    })
}

/// The spec's tools, or `None` (the comparison is skipped, saying so) when the spec is not
/// beside the repository.
fn spec_tools(what: &str) -> Option<Vec<Value>> {
    let path = zendesk_types::shared::path(env!("CARGO_MANIFEST_DIR"), "spec/tools.json", what)?;
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Some(spec["tools"].as_array().unwrap().clone())
}

#[test]
fn tools_list_json_has_the_shape_of_tools_json() {
    let dir = tempfile::tempdir().unwrap();
    let run = zd(dir.path(), &["tools", "list", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = json(&run);
    let tools = listed["tools"].as_array().expect("a tools array");
    assert_eq!(tools.len(), 52);
    for tool in tools {
        let keys: Vec<&String> = tool.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["id", "description", "params", "outputs"],
            "{}",
            tool["id"]
        );
        for param in tool["params"].as_array().unwrap() {
            let keys: Vec<&String> = param.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["name", "type", "required", "description"]);
        }
        assert!(!tool["outputs"].as_array().unwrap().is_empty());
    }
    // Seed tools may carry only these optional params beyond tools.json, and their texts may
    // say more after the spec's; the same allowance as zendesk-tools' registry_matches_spec.rs.
    // Everything else must equal the spec.
    const ADDED_OPTIONAL_PARAMS: &[(&str, &str)] = &[
        ("zendesk_get_tickets", "fields"),
        ("zendesk_get_ticket", "fields"),
        ("zendesk_create_ticket", "requesterEmail"),
        ("zendesk_create_ticket", "requesterName"),
        ("zendesk_create_ticket", "viaFollowupSourceId"),
        ("zendesk_create_ticket", "problemId"),
        ("zendesk_create_tickets_bulk", "waitSeconds"),
        ("zendesk_update_ticket", "commentPublic"),
        ("zendesk_update_ticket", "addTags"),
        ("zendesk_update_ticket", "removeTags"),
        ("zendesk_update_ticket", "requesterId"),
        ("zendesk_update_ticket", "problemId"),
        ("zendesk_update_ticket", "emailCcs"),
        ("zendesk_update_tickets_bulk", "waitSeconds"),
        ("zendesk_merge_tickets", "targetCommentPublic"),
        ("zendesk_merge_tickets", "waitSeconds"),
        ("zendesk_merge_tickets", "sourceComment"),
        ("zendesk_merge_tickets", "sourceCommentPublic"),
        ("zendesk_get_users", "fields"),
        ("zendesk_get_user", "fields"),
        ("zendesk_get_current_user", "fields"),
        ("zendesk_search_users", "fields"),
        ("zendesk_create_users_bulk", "waitSeconds"),
        ("zendesk_update_users_bulk", "waitSeconds"),
        ("zendesk_get_organizations", "fields"),
        ("zendesk_get_organization", "fields"),
        ("zendesk_autocomplete_organizations", "fields"),
        ("zendesk_create_organizations_bulk", "waitSeconds"),
        ("zendesk_search", "fields"),
    ];
    let specs = spec_tools("comparing `zd tools list --json` with the spec's tools.json");
    for spec in specs.into_iter().flatten() {
        let id = spec["id"].as_str().unwrap();
        let mut ours = tools.iter().find(|t| t["id"] == id).unwrap().clone();
        let params = ours["params"].as_array_mut().unwrap();
        for (_, name) in ADDED_OPTIONAL_PARAMS.iter().filter(|(tool, _)| *tool == id) {
            let at = params.iter().position(|p| p["name"] == *name);
            let at = at.unwrap_or_else(|| panic!("{id}: allowed addition {name} is missing"));
            assert_eq!(params[at]["required"], false, "{id}: {name} is optional");
            params.remove(at);
        }
        // A description that says more keeps the spec's words first.
        let cut = |our: &mut serde_json::Value, their: &serde_json::Value| {
            if let (Some(o), Some(t)) = (our.as_str(), their.as_str())
                && o.starts_with(t)
            {
                *our = their.clone();
            }
        };
        for (our, their) in params.iter_mut().zip(spec["params"].as_array().unwrap()) {
            cut(&mut our["description"], &their["description"]);
        }
        cut(&mut ours["description"], &spec["description"]);
        assert_eq!(ours, spec, "{id}");
    }
    // Listing needs no sandbox.
    assert!(!dir.path().join("sandbox.db").exists());
}

#[test]
fn tools_list_prints_a_table_of_every_tool() {
    let dir = tempfile::tempdir().unwrap();
    let run = zd(dir.path(), &["tools", "list"]);
    assert_eq!(run.code, 0);
    let specs = spec_tools("finding every tool of the spec's tools.json in `zd tools list`");
    for tool in specs.into_iter().flatten() {
        assert!(run.stdout.contains(tool["id"].as_str().unwrap()));
    }
    assert!(run.stdout.contains("params: ticketId"));
    assert!(run.stdout.contains("52 tools"));
}

#[test]
fn usage_errors_exit_with_2_and_say_what_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let run = zd(dir.path(), &["tools", "call", "zendesk_get_tikcet"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown tool"), "{}", run.stderr);
    assert!(run.stderr.contains("zendesk_get_ticket"), "{}", run.stderr);

    let run = zd(
        dir.path(),
        &["tools", "call", "zendesk_get_ticket", "--param", "ticketId"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("must be NAME=VALUE"), "{}", run.stderr);

    let run = zd(
        dir.path(),
        &["tools", "call", "zendesk_get_ticket", "--param", "id=1"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("has no param \"id\""), "{}", run.stderr);
    assert!(run.stderr.contains("ticketId"), "{}", run.stderr);

    let run = zd(
        dir.path(),
        &["tools", "call", "zendesk_get_ticket", "--params", "[1]"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--params must be a JSON object"),
        "{}",
        run.stderr
    );

    let run = zd(dir.path(), &["tools", "frobnicate"]);
    assert_eq!(run.code, 2);

    // Closed value sets come from zendesk_types: `--help` lists them, and a typo fails in the
    // tool, naming them.
    let run = zd(dir.path(), &["tickets", "list", "--help"]);
    assert!(
        run.stdout
            .contains("new, open, pending, hold, solved, closed"),
        "{}",
        run.stdout
    );
    let run = zd(dir.path(), &["tickets", "list", "--status", "opened"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains(r#""new", "open", "pending", "hold", "solved", "closed""#),
        "{}",
        run.stderr
    );
    let run = zd(dir.path(), &["users", "list", "--help"]);
    assert!(
        run.stdout.contains("end-user, agent, admin"),
        "{}",
        run.stdout
    );
}

#[test]
fn tool_calls_exit_0_on_success_and_1_on_failure_on_the_embedded_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let run = zd(dir.path(), &["tools", "call", "zendesk_get_current_user"]);
    assert_eq!(
        run.code, 0,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    let result = json(&run);
    assert_eq!(result["success"], true);
    assert!(result["output"]["user_id"].is_number());
    // One line on stderr says the sandbox is in use.
    let notices: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("local sandbox"))
        .collect();
    assert_eq!(notices.len(), 1, "{}", run.stderr);
    let credentials = dir.path().join("sandbox.db.admin.json");
    let first = std::fs::read_to_string(&credentials).expect("credentials stored");

    let run = zd(
        dir.path(),
        &[
            "tools",
            "call",
            "zendesk_get_ticket",
            "--params",
            r#"{"ticketId": "abc"}"#,
        ],
    );
    assert_eq!(run.code, 1);
    let result = json(&run);
    assert_eq!(result["success"], false);
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .starts_with("ticketId must be a numeric string such as \"12345\""),
        "{result}"
    );

    let run = zd(
        dir.path(),
        &[
            "tools",
            "call",
            "zendesk_get_ticket",
            "-p",
            "ticketId=987654321",
        ],
    );
    assert_eq!(run.code, 1);
    assert!(json(&run)["error"].as_str().unwrap().contains("404"));

    // The admin's credentials stay the same from one run to the next.
    assert_eq!(std::fs::read_to_string(&credentials).unwrap(), first);
}

#[test]
fn everyday_commands_work_on_the_seeded_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let run = zd(dir.path(), &["tickets", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("ID"), "{}", run.stdout);
    assert!(
        run.stdout.lines().count() > 1,
        "the demo help desk has tickets"
    );

    let run = zd(
        dir.path(),
        &["tickets", "list", "--json", "--all", "--per-page", "5"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let listed = json(&run);
    let tickets = listed["tickets"].as_array().unwrap();
    assert!(tickets.len() > 5, "--all fetched more than one page");
    assert_eq!(listed["metadata"]["has_more"], false);

    // Closed values ignore case; a descending sort may be written without `=`.
    let run = zd(
        dir.path(),
        &[
            "tickets",
            "list",
            "--sort",
            "-id",
            "--per-page",
            "3",
            "--json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ids: Vec<u64> = json(&run)["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let run = zd(
        dir.path(),
        &["tickets", "list", "--status", "OPEN", "--json"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let open = json(&run)["tickets"].as_array().unwrap().clone();
    assert!(!open.is_empty(), "the demo help desk has open tickets");
    assert!(open.iter().all(|t| t["status"] == "open"));

    let run = zd(
        dir.path(),
        &[
            "tickets",
            "create",
            "--subject",
            "CLI ticket",
            "--description",
            "made by a test",
            "--json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id_value = json(&run)["ticket_id"].clone();
    let id = id_value.to_string();

    let run = zd(dir.path(), &["tickets", "get", &id]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("CLI ticket"));

    // Closed tickets cannot be updated: take an open one for the bulk update.
    let first = tickets
        .iter()
        .find(|t| t["status"] != "closed")
        .map(|t| t["id"].to_string())
        .expect("an updatable ticket");
    let run = zd(
        dir.path(),
        &[
            "tickets", "update", &id, &first, "--status", "solved", "--tags", "bulk-cli", "--json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let job = json(&run);
    assert_eq!(job["done"], true);
    assert_eq!(job["job_status"]["status"], "completed");
    let run = zd(dir.path(), &["tickets", "get", &id, "--json"]);
    assert_eq!(json(&run)["ticket"]["status"], "solved");

    let run = zd(dir.path(), &["search", "CLI", "ticket", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let found = json(&run);
    assert!(
        found["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == id_value)
    );

    let run = zd(dir.path(), &["users", "get", "me"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = zd(dir.path(), &["orgs", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let run = zd(dir.path(), &["tickets", "delete", &id]);
    assert_eq!(run.code, 0);
    let run = zd(dir.path(), &["tickets", "get", &id]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("404"), "{}", run.stderr);
}

#[test]
fn a_bulk_job_started_on_the_embedded_sandbox_is_finished_before_exit() {
    let dir = tempfile::tempdir().unwrap();
    let tickets: Vec<Value> = (1..=20)
        .map(|i| serde_json::json!({"subject": format!("Drained {i}"), "comment": {"body": "b"}}))
        .collect();
    let params = serde_json::json!({ "tickets": serde_json::to_string(&tickets).unwrap() });
    let run = zd(
        dir.path(),
        &[
            "tools",
            "call",
            "zendesk_create_tickets_bulk",
            "--params",
            &params.to_string(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let started = json(&run);
    let job_id = started["output"]["job_id"].as_str().unwrap().to_owned();

    // The process has exited; the next one finds the job already completed, without waiting.
    let run = zd(
        dir.path(),
        &[
            "tools",
            "call",
            "zendesk_get_job_status",
            "-p",
            &format!("jobId={job_id}"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let status = json(&run);
    assert_eq!(status["output"]["done"], true, "{status}");
    assert_eq!(status["output"]["job_status"]["status"], "completed");
    assert_eq!(
        status["output"]["job_status"]["results"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
}

#[test]
fn create_many_splits_into_batches_of_a_hundred_and_follows_each_job() {
    let dir = tempfile::tempdir().unwrap();
    let tickets: Vec<Value> = (1..=150)
        .map(|i| serde_json::json!({"subject": format!("Many {i}"), "comment": {"body": "b"}}))
        .collect();
    let file = dir.path().join("tickets.json");
    std::fs::write(&file, serde_json::to_string(&tickets).unwrap()).unwrap();
    let run = zd(
        dir.path(),
        &[
            "tickets",
            "create-many",
            "--file",
            file.to_str().unwrap(),
            "--json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let jobs = json(&run)["jobs"].as_array().unwrap().clone();
    let sizes: Vec<usize> = jobs
        .iter()
        .map(|j| j["job_status"]["results"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, vec![100, 50]);
    assert!(jobs.iter().all(|j| j["done"] == true));
    assert!(run.stderr.contains("batch 2 of 2"), "{}", run.stderr);

    std::fs::write(&file, "[{\"subject\": }]").unwrap();
    let run = zd(
        dir.path(),
        &["tickets", "create-many", "--file", file.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("line 1 column 14"), "{}", run.stderr);
}

#[test]
fn an_explicit_subdomain_skips_the_sandbox_and_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let run = zd(
        dir.path(),
        &[
            "tools",
            "call",
            "zendesk_get_current_user",
            "-p",
            "subdomain=evil.com/x",
        ],
    );
    assert_eq!(run.code, 1);
    let result = json(&run);
    assert!(
        result["error"]
            .as_str()
            .unwrap()
            .starts_with("subdomain must be"),
        "{result}"
    );
    assert!(!run.stderr.contains("local sandbox"), "{}", run.stderr);
    assert!(!dir.path().join("sandbox.db").exists());
}

#[test]
fn conversation_commands_read_and_write_the_thread_on_the_seeded_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let run = zd(
        dir.path(),
        &[
            "tickets",
            "note",
            "1",
            "Checked the logs: SSO misconfigured",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("agents only"), "{}", run.stdout);
    let run = zd(
        dir.path(),
        &[
            "tickets",
            "reply",
            "1",
            "Please try again now",
            "--status",
            "pending",
            "--json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let reply = json(&run);
    assert_eq!(reply["comment"]["public"], true);
    assert_eq!(reply["status"], "pending");

    let run = zd(dir.path(), &["tickets", "show", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("Ticket #1: "), "{}", run.stdout);
    assert!(run.stdout.contains("Status: pending"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("INTERNAL NOTE (agents only) | via api\nChecked the logs: SSO misconfigured"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("public (the requester sees it) | via api\nPlease try again now"),
        "{}",
        run.stdout
    );
    let run = zd(dir.path(), &["tickets", "show", "1", "--json"]);
    let thread = json(&run);
    assert!(
        thread["comments"].as_array().unwrap().len() >= 3,
        "{thread}"
    );
    assert_eq!(thread["ticket"]["id"], 1);

    let run = zd(dir.path(), &["tickets", "history", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("internal note: Checked the logs"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("status: "), "{}", run.stdout);
    assert!(run.stdout.contains("-> pending"), "{}", run.stdout);

    let run = zd(dir.path(), &["groups", "list", "--members"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("ID"), "{}", run.stdout);
    assert!(run.stdout.contains("AGENTS"), "{}", run.stdout);
    let run = zd(dir.path(), &["groups", "list", "--members", "--json"]);
    let groups = json(&run)["groups"].as_array().unwrap().clone();
    assert!(
        groups
            .iter()
            .any(|g| !g["members"].as_array().unwrap().is_empty()),
        "the demo desk's groups have agents: {groups:?}"
    );

    let run = zd(dir.path(), &["fields", "list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("tickettype"), "{}", run.stdout);
    assert!(
        run.stdout.contains("question,incident,problem,task"),
        "{}",
        run.stdout
    );

    // A missing ticket: the message names the tool that finds one.
    let run = zd(dir.path(), &["tickets", "show", "999999"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("find a ticket's id with zendesk_search"),
        "{}",
        run.stderr
    );
}
