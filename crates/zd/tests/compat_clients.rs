//! Third-party Zendesk clients, unchanged, against the sandbox: zenpy (Python) and node-zendesk
//! (Node) each run their suite (`tests/compat/`) against a fresh sandbox started in-process on
//! `127.0.0.1:0` over a temporary SQLite file. A suite prints one line per check and exits
//! non-zero on any mismatch; its whole output is shown when it fails.
//!
//! The interpreters come from the environment (`./scripts/test` sets them):
//! `ZD_TEST_PYTHON` (a Python with zenpy installed) and `ZD_TEST_NODE_DIR` (the directory where
//! `npm install` put node-zendesk). Without them the tests say they were skipped, unless
//! `ZD_REQUIRE_COMPAT=1`, which turns a missing client into a failure.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zendesk_sandbox::{Config, Sandbox};

/// A suite that runs longer than this is killed and fails (a hang is a failure, not a wait).
const SUITE_TIMEOUT: Duration = Duration::from_secs(240);

const ADMIN_EMAIL: &str = "compat-admin@example.com";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The value of `var`, or `None` after printing why the test is skipped; panics instead when
/// `ZD_REQUIRE_COMPAT=1`.
fn required_env(var: &str, what: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ => {
            let required = std::env::var("ZD_REQUIRE_COMPAT").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "ZD_REQUIRE_COMPAT=1 but {var} is not set ({what})"
            );
            println!("skipped: set {var} ({what}) to run this compatibility test");
            None
        }
    }
}

/// A directory under the system temp dir, removed on drop (std only: zd has no `tempfile`).
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("zd-compat-{label}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A token for this run only; it reaches the child through its environment, never a log.
fn run_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("compat{:x}{:x}", nanos, std::process::id())
}

/// Starts a sandbox over a fresh SQLite file (a fresh PostgreSQL schema when
/// `ZD_TEST_DATABASE_URL` names one), runs `program args` with the sandbox's address and
/// admin credentials in its environment, stops the sandbox, and fails with the child's output
/// unless it exited 0.
async fn run_suite(label: &str, program: &str, args: &[&Path], extra_env: &[(&str, String)]) {
    let dir = TempDir::new(label);
    let token = run_token();
    let mut config = Config::in_memory(token.clone());
    config.db_url = match zendesk_sandbox::test_db_url() {
        url if url.starts_with("postgres") => url,
        _ => format!("sqlite://{}", dir.0.join("sandbox.db").display()),
    };
    config.admin_email = ADMIN_EMAIL.to_string();
    let sandbox = Sandbox::start(config)
        .await
        .unwrap_or_else(|e| panic!("sandbox did not start: {e}"));
    let base_url = sandbox.base_url();
    let netloc = base_url.trim_start_matches("http://").to_string();

    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .env("ZD_SANDBOX_URL", &base_url)
        .env("ZD_SANDBOX_EMAIL", ADMIN_EMAIL)
        .env("ZD_SANDBOX_TOKEN", &token)
        .env("ZENPY_FORCE_NETLOC", &netloc)
        .env("ZENPY_FORCE_SCHEME", "http")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    let outcome = tokio::time::timeout(SUITE_TIMEOUT, child.wait_with_output()).await;
    if let Err(e) = sandbox.shutdown().await {
        eprintln!("sandbox shutdown: {e}");
    }
    let output = match outcome {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => panic!("{label}: waiting for {program} failed: {e}"),
        Err(_) => panic!("{label}: suite still running after {SUITE_TIMEOUT:?}; killed"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "{label} suite failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zenpy_runs_unchanged_against_the_sandbox() {
    let Some(python) = required_env(
        "ZD_TEST_PYTHON",
        "a Python interpreter with zenpy installed",
    ) else {
        return;
    };
    let script = repo_root().join("tests/compat/python/zenpy_suite.py");
    run_suite("zenpy", &python, &[&script], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_zendesk_runs_unchanged_against_the_sandbox() {
    let Some(node_dir) = required_env(
        "ZD_TEST_NODE_DIR",
        "the directory where npm installed node-zendesk",
    ) else {
        return;
    };
    let modules = Path::new(&node_dir).join("node_modules");
    assert!(
        modules.join("node-zendesk").is_dir(),
        "{} has no node-zendesk: run `npm install` in tests/compat/node",
        modules.display()
    );
    let script = repo_root().join("tests/compat/node/suite.js");
    run_suite(
        "node-zendesk",
        "node",
        &[&script],
        &[("NODE_PATH", modules.display().to_string())],
    )
    .await;
}
