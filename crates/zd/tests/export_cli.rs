//! `zd export` as a cron job runs it, against a Zendesk answering as documented (wiremock):
//! NDJSON on stdout, the position saved after each page with `--state`, a second run getting
//! only what changed, a run killed in the middle resuming without losing a record, a failure
//! keeping the position of the last page written, and bad flags refused before any request.
//!
//! The same runs against the sandbox are at the end: two runs with `--state`, and a run killed
//! while it writes, resumed (on PostgreSQL too when `ZD_TEST_DATABASE_URL` names one).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{any, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const START: i64 = 1_700_000_000;

/// `zd` pointed at `base_url` with an API token, nothing else from the environment.
fn zd_command(base_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zd"));
    command
        .args(args)
        .env("ZENDESK_BASE_URL", base_url)
        .env("ZENDESK_EMAIL", "admin@example.com")
        .env("ZENDESK_API_TOKEN", "export-test-token")
        .env_remove("ZENDESK_SUBDOMAIN")
        .env_remove("ZENDESK_OAUTH_TOKEN");
    command
}

fn zd(base_url: &str, args: &[&str]) -> Output {
    zd_command(base_url, args).output().expect("zd runs")
}

fn ids(stdout: &[u8]) -> Vec<u64> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not one JSON record per line ({e}): {line}"));
            record["id"].as_u64().expect("each record has its id")
        })
        .collect()
}

fn ticket(id: u64) -> Value {
    json!({"id": id, "subject": format!("Ticket {id}"), "status": "open",
           "updated_at": "2024-03-01T10:00:00Z", "generated_timestamp": START + id as i64})
}

fn cursor_page(items: Vec<Value>, after: &str, end: bool) -> Value {
    json!({"tickets": items, "after_cursor": after,
           "after_url": format!("https://example.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor={after}"),
           "before_cursor": null, "before_url": null, "end_of_stream": end})
}

async fn mount_cursor(server: &MockServer, cursor: Option<&str>, body: Value, times: u64) {
    let mock = Mock::given(method("GET")).and(path("/api/v2/incremental/tickets/cursor"));
    let mock = match cursor {
        Some(cursor) => mock
            .and(query_param("cursor", cursor))
            .and(query_param_is_missing("start_time")),
        None => mock
            .and(query_param("start_time", START.to_string()))
            .and(query_param_is_missing("cursor")),
    };
    mock.and(query_param("per_page", "2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(times)
        .mount(server)
        .await;
}

fn saved_position(state: &Path) -> Value {
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(state).expect("state saved"))
        .expect("the state is JSON");
    saved["position"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_with_state_gets_only_what_changed() {
    let server = MockServer::start().await;
    mount_cursor(
        &server,
        None,
        cursor_page(vec![ticket(1), ticket(2)], "c1", false),
        1,
    )
    .await;
    mount_cursor(
        &server,
        Some("c1"),
        cursor_page(vec![ticket(3)], "c2", true),
        1,
    )
    .await;
    mount_cursor(
        &server,
        Some("c2"),
        cursor_page(vec![ticket(2)], "c3", true),
        1,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tickets.state");
    let args = [
        "export",
        "tickets",
        "--since",
        "1700000000",
        "--per-page",
        "2",
        "--state",
        state.to_str().unwrap(),
    ];

    let first = zd(&server.uri(), &args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(ids(&first.stdout), [1, 2, 3]);
    assert_eq!(saved_position(&state), json!({"cursor": "c2"}));
    let said = String::from_utf8_lossy(&first.stderr);
    assert!(
        said.contains("exported 3 tickets") && said.contains("cursor-based"),
        "{said}"
    );

    // The next run starts where the first ended (--since no longer applies): only ticket 2,
    // changed since.
    let second = zd(&server.uri(), &args);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(ids(&second.stdout), [2]);
    assert_eq!(saved_position(&state), json!({"cursor": "c3"}));
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_time_based_export_resumes_from_its_end_time() {
    let server = MockServer::start().await;
    let org = |id: u64| json!({"id": id, "name": format!("Org {id}"), "updated_at": "2024-03-01T10:00:00Z"});
    for (start, items, end_time) in [
        (START, vec![org(1), org(2)], START + 50),
        // Organization 2 shares the boundary second: Zendesk sends it again, then the change.
        (START + 50, vec![org(2), org(5)], START + 90),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/v2/incremental/organizations"))
            .and(query_param("start_time", start.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "organizations": items, "count": 2, "end_of_stream": true, "end_time": end_time,
                "next_page": format!("https://example.zendesk.com/api/v2/incremental/organizations.json?start_time={end_time}")
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("orgs.state");
    let args = [
        "export",
        "organizations",
        "--since",
        "1700000000",
        "--state",
        state.to_str().unwrap(),
    ];
    let first = zd(&server.uri(), &args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(ids(&first.stdout), [1, 2]);
    assert_eq!(saved_position(&state), json!({"start_time": START + 50}));
    let second = zd(&server.uri(), &args);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(ids(&second.stdout), [2, 5]);
    assert_eq!(saved_position(&state), json!({"start_time": START + 90}));
    assert!(String::from_utf8_lossy(&second.stderr).contains("time-based"));
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_mid_stream_resumes_without_losing_a_record() {
    let server = MockServer::start().await;
    mount_cursor(
        &server,
        None,
        cursor_page(vec![ticket(1), ticket(2)], "c1", false),
        1,
    )
    .await;
    // The first run's request for page 2 hangs until the run is killed.
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/tickets/cursor"))
        .and(query_param("cursor", "c1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(cursor_page(vec![ticket(3), ticket(4)], "c2", false))
                .set_delay(Duration::from_secs(120)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_cursor(
        &server,
        Some("c1"),
        cursor_page(vec![ticket(3), ticket(4)], "c2", false),
        1,
    )
    .await;
    mount_cursor(
        &server,
        Some("c2"),
        cursor_page(vec![ticket(5)], "c3", true),
        1,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tickets.state");
    let args = [
        "export",
        "tickets",
        "--since",
        "1700000000",
        "--per-page",
        "2",
        "--state",
        state.to_str().unwrap(),
    ];

    let mut running = zd_command(&server.uri(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("zd starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !state.exists() {
        assert!(Instant::now() < deadline, "page 1 was never saved");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Give it time to ask for page 2 (which hangs), then kill it without warning.
    std::thread::sleep(Duration::from_millis(300));
    running.kill().expect("kill -9");
    running.wait().unwrap();
    let mut before = Vec::new();
    running
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut before)
        .unwrap();
    assert_eq!(ids(&before), [1, 2]);
    assert_eq!(saved_position(&state), json!({"cursor": "c1"}));

    let after = zd(&server.uri(), &args);
    assert!(
        after.status.success(),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    let resumed = ids(&after.stdout);
    assert_eq!(resumed, [3, 4, 5], "resumed at page 2, page 1 not repeated");
    let all: BTreeSet<u64> = ids(&before).into_iter().chain(resumed).collect();
    assert_eq!(all, (1..=5).collect());
    assert_eq!(saved_position(&state), json!({"cursor": "c3"}));
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_page_keeps_the_position_of_the_last_page_written() {
    let server = MockServer::start().await;
    mount_cursor(
        &server,
        None,
        cursor_page(vec![ticket(1), ticket(2)], "c1", false),
        1,
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/incremental/tickets/cursor"))
        .and(query_param("cursor", "c1"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"error": "Forbidden", "description": "You do not have access to this page"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("tickets.state");
    let run = zd(
        &server.uri(),
        &[
            "export",
            "tickets",
            "--since",
            "1700000000",
            "--per-page",
            "2",
            "--state",
            state.to_str().unwrap(),
        ],
    );
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(ids(&run.stdout), [1, 2]);
    let said = String::from_utf8_lossy(&run.stderr);
    assert!(
        said.contains("403") && said.contains("You do not have access"),
        "{said}"
    );
    assert!(said.contains("run again to resume"), "{said}");
    assert_eq!(saved_position(&state), json!({"cursor": "c1"}));
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_flags_are_refused_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let users_state = dir.path().join("users.state");
    std::fs::write(
        &users_state,
        r#"{"export": "users", "style": "cursor", "position": {"cursor": "u1"}, "saved_at": "2024-03-01T10:00:00Z"}"#,
    )
    .unwrap();
    let ten_seconds_ago = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 10)
        .to_string();
    for (args, says) in [
        (
            vec!["export", "organizations", "--cursor"],
            "only time-based",
        ),
        (
            vec!["export", "tickets", "--since", &ten_seconds_ago],
            "at least a minute ago",
        ),
        (
            vec!["export", "tickets", "--since", "last tuesday"],
            "ISO 8601",
        ),
        (
            vec!["export", "tickets", "--per-page", "5000"],
            "between 1 and 1000",
        ),
        (
            vec![
                "export",
                "tickets",
                "--state",
                users_state.to_str().unwrap(),
            ],
            "export of users",
        ),
    ] {
        let run = zd(&server.uri(), &args);
        let said = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {said}");
        assert!(said.contains(says), "{args:?}: {said}");
        assert!(run.stdout.is_empty());
    }
    server.verify().await;
}

// ----- against the sandbox ----------------------------------------------------------------

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_TOKEN: &str = "export-e2e-admin-token";

/// Lets the sandbox's clock pass a minute (Zendesk exports nothing newer): through the sandbox
/// clock when it has one, else by waiting.
async fn let_a_minute_pass(_base_url: &str) {
    // Exports follow the machine's time, as record timestamps do: the sandbox clock
    // (`/api/v2/sandbox/clock/advance`) moves the business rules' hours only.
    tokio::time::sleep(Duration::from_secs(61)).await;
}

/// A POST with the admin's API token on a plain socket; the status line and the rest.
fn reqwest_free_post(base_url: &str, path: &str, body: &str) -> String {
    use base64::Engine;
    use std::io::Write;
    let host = base_url.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).expect("the sandbox listens");
    let credentials = base64::engine::general_purpose::STANDARD
        .encode(format!("{ADMIN_EMAIL}/token:{ADMIN_TOKEN}"));
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {credentials}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// A sandbox on a SQLite file in `dir` (a fresh PostgreSQL schema when `ZD_TEST_DATABASE_URL`
/// names one), the export tests' admin signed in with their token.
async fn start_sandbox(
    dir: &Path,
    seed: Option<zendesk_sandbox::Seed>,
) -> zendesk_sandbox::RunningSandbox {
    let mut config = zendesk_sandbox::Config::in_memory(ADMIN_TOKEN);
    config.db_url = match zendesk_sandbox::test_db_url() {
        url if url.starts_with("postgres") => url,
        _ => format!("sqlite://{}", dir.join("sandbox.db").display()),
    };
    config.admin_email = ADMIN_EMAIL.into();
    config.seed = seed;
    zendesk_sandbox::Sandbox::start(config).await.unwrap()
}

/// The ids of the complete lines of `stdout` (a run killed while writing may end mid-line).
fn complete_ids(stdout: &[u8]) -> Vec<u64> {
    let text = String::from_utf8_lossy(stdout);
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    ids(complete.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn against_the_sandbox_a_killed_run_resumes_without_losing_a_record() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_sandbox(dir.path(), None).await;
    let base_url = sandbox.base_url();
    // Enough tickets that their NDJSON overflows a pipe nobody reads: the run stalls there.
    let long = "The printer is on fire again. ".repeat(60);
    let mut created = Vec::new();
    for n in 0..120 {
        let body =
            json!({"ticket": {"subject": format!("Stalled {n}"), "comment": {"body": long}}});
        let answer = reqwest_free_post(&base_url, "/api/v2/tickets.json", &body.to_string());
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        let json_start = answer.find("\r\n\r\n").unwrap() + 4;
        let created_ticket: Value = serde_json::from_str(&answer[json_start..]).unwrap();
        created.push(created_ticket["ticket"]["id"].as_u64().unwrap());
    }
    let_a_minute_pass(&base_url).await;
    let state = dir.path().join("tickets.state");
    let export = [
        "export",
        "tickets",
        "--per-page",
        "5",
        "--state",
        state.to_str().unwrap(),
    ];
    let command = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zd"));
        command
            .args(args)
            .env("ZENDESK_BASE_URL", &base_url)
            .env("ZENDESK_EMAIL", ADMIN_EMAIL)
            .env("ZENDESK_API_TOKEN", ADMIN_TOKEN)
            .env_remove("ZENDESK_SUBDOMAIN")
            .env_remove("ZENDESK_OAUTH_TOKEN");
        command
    };
    let mut running = command(&export)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("zd starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !state.exists() {
        assert!(Instant::now() < deadline, "no page was ever saved");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let it fill the pipe and block on it, then kill it without warning.
    std::thread::sleep(Duration::from_millis(500));
    running.kill().expect("kill -9");
    running.wait().unwrap();
    let mut before = Vec::new();
    running
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut before)
        .unwrap();
    let written = complete_ids(&before);
    assert!(
        !written.is_empty() && written.len() < created.len(),
        "killed mid-stream: {} of {} written",
        written.len(),
        created.len()
    );

    let resumed_run = command(&export).output().expect("zd runs");
    assert!(
        resumed_run.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed_run.stderr)
    );
    let resumed = ids(&resumed_run.stdout);
    let all: BTreeSet<u64> = written.iter().chain(&resumed).copied().collect();
    assert_eq!(all, created.iter().copied().collect(), "no record lost");
    let repeated = resumed.iter().filter(|id| written.contains(id)).count();
    assert!(
        repeated <= 5,
        "at most the page being written comes again: {repeated}"
    );
    sandbox.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn against_the_sandbox_a_second_run_gets_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = start_sandbox(dir.path(), Some(zendesk_sandbox::Seed::Demo)).await;
    let base_url = sandbox.base_url();
    let zd_sandbox = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_zd"))
            .args(args)
            .env("ZENDESK_BASE_URL", &base_url)
            .env("ZENDESK_EMAIL", ADMIN_EMAIL)
            .env("ZENDESK_API_TOKEN", ADMIN_TOKEN)
            .env_remove("ZENDESK_SUBDOMAIN")
            .env_remove("ZENDESK_OAUTH_TOKEN")
            .output()
            .expect("zd runs")
    };
    let_a_minute_pass(&base_url).await;
    let state = dir.path().join("tickets.state");
    let export = [
        "export",
        "tickets",
        "--per-page",
        "2",
        "--state",
        state.to_str().unwrap(),
    ];
    let first = zd_sandbox(&export);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let everything = ids(&first.stdout);
    assert!(
        everything.len() > 2,
        "the demo desk exported over several pages"
    );

    let changed = everything[0].to_string();
    let update = zd_sandbox(&["tickets", "update", &changed, "--status", "pending"]);
    assert!(
        update.status.success(),
        "{}",
        String::from_utf8_lossy(&update.stderr)
    );
    let_a_minute_pass(&base_url).await;
    let second = zd_sandbox(&export);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert_eq!(ids(&second.stdout), [everything[0]]);
    sandbox.shutdown().await.unwrap();
}
