//! `zd sandbox serve` as a child process, for the tests that need a real server (two processes
//! on one database, a crash with work queued): started on a free port with the database URL and
//! the admin token passed through the environment (so they stay out of `ps`), its base URL read
//! from the banner, and killed with SIGKILL when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ZD: &str = env!("CARGO_BIN_EXE_zd");

/// A `zd sandbox serve` process; killed (SIGKILL) when dropped.
pub struct Served {
    pub child: Child,
    pub base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `zd sandbox serve` on `db` with `admin_token` for admin@example.com and the `extra`
/// flags, and waits (up to a minute) for the line saying where it serves.
pub fn serve(db: &str, admin_token: &str, extra: &[&str]) -> Served {
    let mut child = Command::new(ZD)
        .args(["sandbox", "serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .env("ZD_SANDBOX_DB", db)
        .env("ZD_SANDBOX_ADMIN_TOKEN", admin_token)
        .env_remove("ZD_SANDBOX_ADMIN_TOKEN_FILE")
        .env_remove("ZD_SANDBOX_KEY_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("zd sandbox serve starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the sandbox says where it serves");
    let start = line.find("http://").expect("a base URL");
    let base = line[start..]
        .split("/api/v2")
        .next()
        .unwrap_or_default()
        .to_string();
    // The banner names the database with its password redacted.
    assert!(!line.contains("s3cret"), "{line}");
    Served { child, base }
}

/// A fresh schema on the PostgreSQL of `ZD_TEST_DATABASE_URL`, or `None` (the test is skipped,
/// saying so) when none is configured; with `ZD_REQUIRE_POSTGRES=1` (CI) its absence fails.
#[allow(dead_code)] // webhooks_crash.rs runs on SQLite too and picks its database itself
pub fn postgres_database() -> Option<String> {
    let url = std::env::var("ZD_TEST_DATABASE_URL").unwrap_or_default();
    if url.starts_with("postgres") {
        return Some(zendesk_sandbox::test_db_url());
    }
    if std::env::var("ZD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
        panic!("ZD_REQUIRE_POSTGRES=1 but ZD_TEST_DATABASE_URL names no PostgreSQL database");
    }
    eprintln!("skipped: set ZD_TEST_DATABASE_URL=postgres://... to run");
    None
}
