//! The embedded default drains its jobs: a bulk job started through `zd tools call` against the
//! embedded sandbox is run to its end before the process exits. After `zd` exits, the database
//! is opened with `zendesk_sandbox::Store` alone (no sandbox, so nothing could resume a queued
//! job) and the job row and the tickets it created are read directly.

use std::process::Command;

use serde_json::{Value, json};
use zendesk_sandbox::Store;
use zendesk_sandbox::store::Table;

const TICKETS: usize = 100;

#[tokio::test]
async fn a_bulk_job_started_through_the_embedded_sandbox_is_finished_before_exit() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sandbox.db");
    let subjects: Vec<String> = (1..=TICKETS)
        .map(|n| format!("Drain check ticket {n:03}"))
        .collect();
    let tickets: Vec<Value> = subjects
        .iter()
        .map(|subject| {
            json!({ "subject": subject, "comment": { "body": format!("Body of {subject}") } })
        })
        .collect();
    // The spec's `tickets` parameter is a string holding a JSON array.
    let params = json!({ "tickets": serde_json::to_string(&tickets).unwrap() }).to_string();

    let output = Command::new(env!("CARGO_BIN_EXE_zd"))
        .args([
            "tools",
            "call",
            "zendesk_create_tickets_bulk",
            "--params",
            &params,
        ])
        .env_remove("ZENDESK_SUBDOMAIN")
        .env_remove("ZENDESK_BASE_URL")
        .env_remove("ZENDESK_EMAIL")
        .env_remove("ZENDESK_API_TOKEN")
        .env_remove("ZENDESK_OAUTH_TOKEN")
        .env("ZD_SANDBOX_DB", &db)
        .output()
        .expect("zd runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("using the local sandbox"), "{stderr}");
    let answer: Value = serde_json::from_str(&stdout).expect("tools call prints JSON");
    assert_eq!(answer["success"], true, "{answer}");
    let job = &answer["output"]["job_status"];
    let job_id = job["id"].as_str().expect("a job id").to_owned();
    assert_eq!(job["total"], TICKETS, "{job}");
    // The tool answers as soon as Zendesk accepts the job; the work happens afterwards.
    let started_as = job["status"].as_str().unwrap_or_default().to_owned();
    assert!(
        ["queued", "working", "completed"].contains(&started_as.as_str()),
        "{job}"
    );

    // The process is gone. Open the file directly: Store::open migrates and connects, and
    // starts no job runner.
    let store = Store::open(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let id = job_id.clone();
    let row = store
        .read(move |reader| reader.job(&id))
        .await
        .unwrap()
        .expect("the job row is kept");
    assert_eq!(row.status, "completed", "started as {started_as}: {row:?}");
    assert_eq!(row.total, TICKETS as i64);
    assert_eq!(row.progress, Some(TICKETS as i64));
    let results = row
        .results
        .as_ref()
        .and_then(Value::as_array)
        .expect("a completed job has results");
    assert_eq!(results.len(), TICKETS, "{results:?}");
    let ids: Vec<i64> = results
        .iter()
        .map(|r| {
            assert!(r["error"].is_null(), "a failed item: {r}");
            r["id"].as_i64().expect("each result names its ticket")
        })
        .collect();

    // The 100 tickets are in the tickets table, in order, with their subjects.
    let stored = store
        .read(move |reader| reader.records(Table::Tickets, &ids))
        .await
        .unwrap();
    assert_eq!(stored.len(), TICKETS);
    let stored_subjects: Vec<&str> = stored
        .iter()
        .map(|t| t["subject"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(stored_subjects, subjects);

    // Nothing was left behind for a later start to pick up.
    assert!(
        store
            .read(|reader| reader.queued_job_ids())
            .await
            .unwrap()
            .is_empty()
    );
    let unfinished: Vec<_> = store
        .read(|reader| reader.recent_jobs(1000))
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.status != "completed")
        .collect();
    assert!(unfinished.is_empty(), "{unfinished:?}");
    store.close().await;
}
