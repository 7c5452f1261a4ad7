//! The built `zd` binary's people commands on the embedded sandbox (a fresh database in a
//! temporary directory, no Zendesk configured): `zd users create|update|delete|search` and
//! `zd orgs create|update|delete|autocomplete`, their readable and `--json` output, and the exit
//! codes (0 done, 1 the tool or Zendesk refused, 2 usage).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `zd` with no Zendesk configured and the embedded sandbox's database under `dir`.
fn zd(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_zd"))
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

/// Runs `zd`, requires exit code 0 and returns stdout parsed as JSON.
fn zd_json(dir: &Path, args: &[&str]) -> Value {
    let run = zd(dir, args);
    assert_eq!(run.code, 0, "zd {args:?}: {}", run.stderr);
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("zd {args:?}: stdout is not JSON ({e}): {}", run.stdout))
}

fn id_of(value: &Value) -> String {
    value.as_u64().expect("a numeric id").to_string()
}

#[test]
fn a_created_user_is_visible_updated_found_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let created = zd_json(
        dir.path(),
        &[
            "users",
            "create",
            "--name",
            "Jane Roe",
            "--email",
            "jane.roe@example.org",
            "--role",
            "agent",
            "--phone",
            "+1-555-0100",
            "--tags",
            "vip, beta",
            "--verified",
            "true",
            "--json",
        ],
    );
    let id = id_of(&created["user"]["id"]);
    assert_eq!(id_of(&created["user_id"]), id);

    let got = zd_json(dir.path(), &["users", "get", &id, "--json"]);
    let user = &got["user"];
    assert_eq!(user["name"], "Jane Roe");
    assert_eq!(user["email"], "jane.roe@example.org");
    assert_eq!(user["role"], "agent");
    assert_eq!(user["phone"], "+1-555-0100");
    assert_eq!(user["verified"], true);
    let mut tags: Vec<&str> = user["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    tags.sort();
    assert_eq!(tags, ["beta", "vip"]);

    // Readable output of get and list name the user.
    let readable = zd(dir.path(), &["users", "get", &id]);
    assert_eq!(readable.code, 0, "{}", readable.stderr);
    assert!(readable.stdout.contains("jane.roe@example.org"));

    // An organization to move her into.
    let org = zd_json(
        dir.path(),
        &["orgs", "create", "--name", "Roe Holdings", "--json"],
    );
    let org_id = id_of(&org["organization"]["id"]);
    let updated = zd(
        dir.path(),
        &[
            "users",
            "update",
            &id,
            "--name",
            "Jane Q. Roe",
            "--organization-id",
            &org_id,
        ],
    );
    assert_eq!(updated.code, 0, "{}", updated.stderr);
    assert!(
        updated.stdout.contains(&format!("Updated user #{id}")),
        "{}",
        updated.stdout
    );
    let got = zd_json(dir.path(), &["users", "get", &id, "--json"]);
    assert_eq!(got["user"]["name"], "Jane Q. Roe");
    assert_eq!(got["user"]["organization_id"].to_string(), org_id);

    // Search finds her by email, as a table and as JSON.
    let search = zd(dir.path(), &["users", "search", "jane.roe@example.org"]);
    assert_eq!(search.code, 0, "{}", search.stderr);
    assert!(search.stdout.contains(&id), "{}", search.stdout);
    let found = zd_json(
        dir.path(),
        &["users", "search", "jane.roe@example.org", "--json"],
    );
    let ids: Vec<String> = found["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| id_of(&u["id"]))
        .collect();
    assert_eq!(ids, vec![id.clone()]);

    let deleted = zd(dir.path(), &["users", "delete", &id]);
    assert_eq!(deleted.code, 0, "{}", deleted.stderr);
    assert!(deleted.stdout.contains(&format!("Deleted user #{id}")));
    // Zendesk soft-deletes users: the user still reads back, inactive.
    let after = zd_json(dir.path(), &["users", "get", &id, "--json"]);
    assert_eq!(after["user"]["active"], false, "{after}");
}

#[test]
fn a_bad_role_is_refused_naming_role_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let before = zd_json(dir.path(), &["users", "search", "Nobody Special", "--json"]);
    assert_eq!(before["users"].as_array().unwrap().len(), 0);
    let run = zd(
        dir.path(),
        &[
            "users",
            "create",
            "--name",
            "Nobody Special",
            "--role",
            "boss",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("role"), "{}", run.stderr);
    assert!(run.stderr.contains("boss"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let after = zd_json(dir.path(), &["users", "search", "Nobody Special", "--json"]);
    assert_eq!(after["users"].as_array().unwrap().len(), 0);
}

#[test]
fn usage_errors_exit_2_before_any_change() {
    let dir = tempfile::tempdir().unwrap();
    // No --name: clap refuses it.
    let run = zd(dir.path(), &["users", "create", "--email", "a@example.org"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--name"), "{}", run.stderr);
    // An update that changes nothing names the flags it takes.
    let run = zd(dir.path(), &["orgs", "update", "2000000001"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--domain-names"), "{}", run.stderr);
    let run = zd(dir.path(), &["users", "update", "1000000001"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--role"), "{}", run.stderr);
    let run = zd(dir.path(), &["users", "search", "  "]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("query"), "{}", run.stderr);
    // Refused before the embedded sandbox was even opened.
    assert!(!dir.path().join("sandbox.db").exists());
    // A user id that is not a number is refused by the tool, naming the parameter.
    let run = zd(dir.path(), &["users", "delete", "abc"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("userId"), "{}", run.stderr);
}

#[test]
fn organizations_are_created_updated_autocompleted_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let created = zd(
        dir.path(),
        &[
            "orgs",
            "create",
            "--name",
            "Zeta Widgets",
            "--domain-names",
            "zeta.example, zeta-widgets.example",
            "--details",
            "Makes widgets",
            "--notes",
            "Pays late",
            "--tags",
            "enterprise",
        ],
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    assert!(
        created.stdout.starts_with("Created organization #"),
        "{}",
        created.stdout
    );
    let found = zd_json(dir.path(), &["orgs", "autocomplete", "Zeta", "--json"]);
    let orgs = found["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1, "{found}");
    let org = &orgs[0];
    assert_eq!(org["name"], "Zeta Widgets");
    assert_eq!(
        org["domain_names"],
        serde_json::json!(["zeta.example", "zeta-widgets.example"])
    );
    assert_eq!(org["details"], "Makes widgets");
    assert_eq!(org["notes"], "Pays late");
    assert_eq!(org["tags"], serde_json::json!(["enterprise"]));
    let id = id_of(&org["id"]);
    assert!(created.stdout.contains(&id));

    let table = zd(dir.path(), &["orgs", "autocomplete", "Zeta"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("Zeta Widgets"), "{}", table.stdout);
    assert!(table.stdout.contains("zeta.example"), "{}", table.stdout);

    let updated = zd_json(
        dir.path(),
        &["orgs", "update", &id, "--notes", "Pays on time", "--json"],
    );
    assert_eq!(updated["organization"]["notes"], "Pays on time");
    let got = zd_json(dir.path(), &["orgs", "get", &id, "--json"]);
    assert_eq!(got["organization"]["notes"], "Pays on time");
    assert_eq!(got["organization"]["details"], "Makes widgets");

    let deleted = zd_json(dir.path(), &["orgs", "delete", &id, "--json"]);
    assert_eq!(deleted["deleted"], true);
    let gone = zd(dir.path(), &["orgs", "get", &id]);
    assert_eq!(gone.code, 1, "{}", gone.stdout);
    assert!(gone.stderr.contains("404"), "{}", gone.stderr);
    let none = zd(dir.path(), &["orgs", "autocomplete", "Zeta"]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert_eq!(none.stdout.trim(), "No organizations.");
}

#[test]
fn a_duplicate_organization_name_carries_zendesks_text() {
    let dir = tempfile::tempdir().unwrap();
    let first = zd(dir.path(), &["orgs", "create", "--name", "Twice Ltd"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let second = zd(dir.path(), &["orgs", "create", "--name", "Twice Ltd"]);
    assert_eq!(second.code, 1, "{}", second.stdout);
    assert!(second.stdout.is_empty(), "{}", second.stdout);
    assert!(
        second.stderr.contains("has already been taken"),
        "{}",
        second.stderr
    );
    assert!(
        second.stderr.contains("DuplicateValue"),
        "{}",
        second.stderr
    );
    let found = zd_json(dir.path(), &["orgs", "autocomplete", "Twice", "--json"]);
    assert_eq!(found["organizations"].as_array().unwrap().len(), 1);
}
