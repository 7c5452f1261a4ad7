//! `zd mcp` driven by a real MCP client: the official MCP Python SDK (`mcp` on PyPI, pinned in
//! `tests/compat/requirements.txt`), over stdio and over streamable HTTP, against the embedded
//! sandbox on a fresh temporary database. The scenarios live in `tests/compat/python/mcp_*.py`.
//!
//! The interpreter comes from `ZD_TEST_PYTHON` (`./scripts/test` sets it up), and for the triage
//! workflow also `ZD_TEST_PYTHON_MCP2`, a Python with the 2.x line of `mcp` (snake_case fields).
//! Without them the tests print a skip line and pass, unless `ZD_REQUIRE_COMPAT=1`, which makes
//! them fail.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const ZD: &str = env!("CARGO_BIN_EXE_zd");

/// Environment variables that would point zd at a real Zendesk instead of the sandbox.
const ZENDESK_VARS: [&str; 6] = [
    "ZENDESK_SUBDOMAIN",
    "ZENDESK_BASE_URL",
    "ZENDESK_EMAIL",
    "ZENDESK_API_TOKEN",
    "ZENDESK_OAUTH_TOKEN",
    "ZD_MCP_AUTH_TOKEN",
];

fn python() -> Option<String> {
    python_from("ZD_TEST_PYTHON", "tests/compat/requirements.txt")
}

/// The interpreter named by `var`, or a skip (a failure under `ZD_REQUIRE_COMPAT=1`).
fn python_from(var: &str, requirements: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => Some(path),
        _ => {
            if std::env::var("ZD_REQUIRE_COMPAT").as_deref() == Ok("1") {
                panic!("ZD_REQUIRE_COMPAT=1 but {var} is not set (run ./scripts/test)");
            }
            eprintln!(
                "SKIP: set {var} to a Python with {requirements} installed to run this MCP \
                 Python SDK test"
            );
            None
        }
    }
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/compat/python")
}

/// A fresh directory for one test's sandbox database, removed on drop. With
/// `ZD_TEST_DATABASE_URL` naming PostgreSQL, the sandbox is instead a `zd sandbox serve` on a
/// fresh schema of it (demo data, the embedded sandbox's admin), reached through
/// `ZENDESK_BASE_URL`: the same scenarios then run on PostgreSQL.
struct TempDir(PathBuf, Option<Served>);

/// A `zd sandbox serve` child on PostgreSQL, killed on drop.
struct Served {
    child: Child,
    base: String,
    token: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_on_postgres() -> Option<Served> {
    if !std::env::var("ZD_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
        return None;
    }
    let token = format!("mcp-pg-{}", std::process::id());
    let mut child = Command::new(ZD)
        .args([
            "sandbox",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--seed",
            "demo",
        ])
        .env("ZD_SANDBOX_DB", zendesk_sandbox::test_db_url())
        .env("ZD_SANDBOX_ADMIN_EMAIL", "admin@sandbox.zd.local")
        .env("ZD_SANDBOX_ADMIN_TOKEN", &token)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("zd sandbox serve starts");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    stdout
        .read_line(&mut line)
        .expect("the sandbox says where it serves");
    let start = line.find("http://").expect("a base URL");
    let base = line[start..]
        .split("/api/v2")
        .next()
        .unwrap_or_default()
        .to_string();
    // Keep reading so the child never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    Some(Served { child, base, token })
}

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("zd-mcp-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        TempDir(dir, serve_on_postgres())
    }

    fn db(&self) -> PathBuf {
        self.0.join("sandbox.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `command` with the sandbox environment: no real Zendesk, the database in `dir`.
fn sandbox_env(command: &mut Command, dir: &TempDir) {
    for var in ZENDESK_VARS {
        command.env_remove(var);
    }
    match &dir.1 {
        Some(served) => {
            command.env("ZENDESK_BASE_URL", &served.base);
            command.env("ZENDESK_EMAIL", "admin@sandbox.zd.local");
            command.env("ZENDESK_API_TOKEN", &served.token);
            command.env_remove("ZD_SANDBOX_DB");
        }
        None => {
            command.env("ZD_SANDBOX_DB", dir.db());
        }
    }
    command.env("PYTHONUNBUFFERED", "1");
}

/// Read a child's pipe to its end on a thread, so a chatty child never blocks on a full pipe.
fn drain(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Wait for `child` at most `limit`, killing it past that; its stdout and stderr.
fn wait_with_deadline(mut child: Child, limit: Duration, what: &str) -> std::process::Output {
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < limit => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{what} did not finish within {limit:?}\nstdout:\n{}\nstderr:\n{}",
                    String::from_utf8_lossy(&stdout.join().unwrap_or_default()),
                    String::from_utf8_lossy(&stderr.join().unwrap_or_default())
                );
            }
        }
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn run_script(python: &str, script: &str, args: &[&str], dir: &TempDir) {
    let mut command = Command::new(python);
    command
        .arg(scripts_dir().join(script))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    sandbox_env(&mut command, dir);
    let child = command.spawn().expect("start the Python interpreter");
    let output = wait_with_deadline(child, Duration::from_secs(240), script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "{script} failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains(": OK"),
        "{script} did not finish its scenario:\n{stdout}"
    );
    // The SDK logs (rather than raises) a refused session end; it must not happen either.
    assert!(
        !stderr.contains("Session termination failed"),
        "{script}: the client could not end its session cleanly:\n{stderr}"
    );
}

#[test]
fn python_sdk_over_stdio() {
    let Some(python) = python() else { return };
    let dir = TempDir::new("stdio");
    run_script(&python, "mcp_stdio.py", &[ZD], &dir);
}

/// The triage workflow of issue 9 (search with `fields`, read a thread, internal note, public
/// reply with a status, history, the ticket resource, the prompts) under the pinned 1.x SDK.
#[test]
fn python_sdk_triage_workflow() {
    let Some(python) = python() else { return };
    let dir = TempDir::new("triage");
    run_script(&python, "mcp_triage.py", &[ZD], &dir);
}

/// The same workflow under the 2.x line of the SDK, which renamed its result fields.
#[test]
fn python_sdk_2_triage_workflow() {
    let Some(python) = python_from("ZD_TEST_PYTHON_MCP2", "tests/compat/requirements-mcp2.txt")
    else {
        return;
    };
    let dir = TempDir::new("triage2");
    run_script(&python, "mcp_triage.py", &[ZD], &dir);
}

/// Issue 13's workflow (a view's tickets, a Help Center article, a macro preview, a reply with
/// attachments read back, text and image; the refusals) under the pinned 1.x SDK.
#[test]
fn python_sdk_helpcenter_workflow() {
    let Some(python) = python() else { return };
    let dir = TempDir::new("helpcenter");
    run_script(&python, "mcp_helpcenter.py", &[ZD], &dir);
}

/// The same workflow under the 2.x line of the SDK.
#[test]
fn python_sdk_2_helpcenter_workflow() {
    let Some(python) = python_from("ZD_TEST_PYTHON_MCP2", "tests/compat/requirements-mcp2.txt")
    else {
        return;
    };
    let dir = TempDir::new("helpcenter2");
    run_script(&python, "mcp_helpcenter.py", &[ZD], &dir);
}

/// Issue 18's traps (a comment that does not say who sees it, tags replaced, OR/NOT, a JSON array
/// in a string, a merge's comments), each refused with nothing written; the audit in write
/// results; approval accepted, declined and impossible through `elicitation_callback`. Under the
/// pinned 1.x SDK.
#[test]
fn python_sdk_safe_hands() {
    let Some(python) = python() else { return };
    let dir = TempDir::new("safe");
    run_script(&python, "mcp_safe.py", &[ZD], &dir);
}

/// The same under the 2.x line of the SDK.
#[test]
fn python_sdk_2_safe_hands() {
    let Some(python) = python_from("ZD_TEST_PYTHON_MCP2", "tests/compat/requirements-mcp2.txt")
    else {
        return;
    };
    let dir = TempDir::new("safe2");
    run_script(&python, "mcp_safe.py", &[ZD], &dir);
}

/// A `zd mcp --http` child, killed on drop; its stderr is drained in the background.
struct HttpServer {
    child: Child,
    url: String,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_http_server(dir: &TempDir, token: &str, more: &[&str]) -> HttpServer {
    let mut command = Command::new(ZD);
    command
        .args(["mcp", "--http", "127.0.0.1:0"])
        .args(more)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    sandbox_env(&mut command, dir);
    // Through the environment, as the README advises, so the token is not in `ps`.
    command.env("ZD_MCP_AUTH_TOKEN", token);
    let mut server = HttpServer {
        child: command.spawn().expect("start zd mcp --http"),
        url: String::new(),
    };
    let stderr = server.child.stderr.take().expect("piped stderr");
    let (sender, receiver) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[zd mcp] {line}");
            let _ = sender.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match receiver.recv_timeout(left) {
            Ok(line) => {
                if let Some(at) = line
                    .contains("serving MCP")
                    .then(|| line.find("http://"))
                    .flatten()
                {
                    server.url = line[at..].trim().to_owned();
                    return server;
                }
                seen.push(line);
            }
            // Dropping `server` stops the child.
            Err(_) => panic!(
                "zd mcp --http never said where it listens; stderr:\n{}",
                seen.join("\n")
            ),
        }
    }
}

#[test]
fn python_sdk_over_streamable_http() {
    let Some(python) = python() else { return };
    let dir = TempDir::new("http");
    let token = format!("mcp-test-{}", std::process::id());
    let server = start_http_server(&dir, &token, &[]);
    assert!(server.url.ends_with("/mcp"), "{}", server.url);
    run_script(&python, "mcp_http.py", &[&server.url, &token], &dir);
}

/// `--require-approval` over streamable HTTP: the person is asked on the call's own stream, and
/// a declined reply is not posted (1.x SDK).
#[test]
fn python_sdk_approval_over_streamable_http() {
    let Some(python) = python() else { return };
    approval_over_http(&python, "approval");
}

/// The same under the 2.x line of the SDK.
#[test]
fn python_sdk_2_approval_over_streamable_http() {
    let Some(python) = python_from("ZD_TEST_PYTHON_MCP2", "tests/compat/requirements-mcp2.txt")
    else {
        return;
    };
    approval_over_http(&python, "approval2");
}

fn approval_over_http(python: &str, name: &str) {
    let dir = TempDir::new(name);
    let token = format!("mcp-test-{name}-{}", std::process::id());
    let server = start_http_server(&dir, &token, &["--require-approval", "public-replies"]);
    run_script(python, "mcp_http_approval.py", &[&server.url, &token], &dir);
}
