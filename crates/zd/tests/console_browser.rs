//! The sandbox's web console in a real browser: `zd sandbox serve` is started as a process and
//! `tests/compat/python/console_browser.py` drives headless Chromium through WebDriver
//! (selenium) against it: sign-in and refusal, queues, the thread with an internal note
//! marked, a note and a reply written on the page (checked through the API), a ticket arriving
//! live, a `<script>` subject shown as text, a form without its CSRF token refused, the
//! activity log, and the page weight of a ticket with 200 comments. Screenshots at 1400x1000
//! are written to `target/console-screenshots/`.
//!
//! Needs `ZD_TEST_PYTHON` (a Python with selenium, `./scripts/test` installs it), Chromium
//! and its driver (`chromium`, `chromium-driver` on Debian; `ZD_TEST_CHROMIUM` and
//! `ZD_TEST_CHROMEDRIVER` name others). Without them the tests say they were skipped, unless
//! `ZD_REQUIRE_COMPAT=1`. One run is on SQLite; the other on PostgreSQL when
//! `ZD_TEST_DATABASE_URL` names one (required with `ZD_REQUIRE_POSTGRES=1`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ZD: &str = env!("CARGO_BIN_EXE_zd");
/// The whole browser suite is killed after this (a hang is a failure).
const SUITE_TIMEOUT: Duration = Duration::from_secs(240);

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Skips (printing why), or fails when `ZD_REQUIRE_COMPAT=1`.
fn missing(what: &str) -> Option<BrowserSetup> {
    let required = std::env::var("ZD_REQUIRE_COMPAT").is_ok_and(|v| v == "1");
    assert!(!required, "ZD_REQUIRE_COMPAT=1 but {what}");
    println!("skipped: {what}; the console's browser tests did not run");
    None
}

/// A program on `PATH` among `names`.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

struct BrowserSetup {
    python: String,
    chromium: PathBuf,
    chromedriver: PathBuf,
}

fn browser_setup() -> Option<BrowserSetup> {
    let Some(python) = std::env::var("ZD_TEST_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
    else {
        return missing("ZD_TEST_PYTHON is not set (a Python with selenium)");
    };
    let has_selenium = Command::new(&python)
        .args(["-c", "import selenium"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_selenium {
        return missing(&format!(
            "{python} has no selenium (pip install -r tests/compat/requirements.txt)"
        ));
    }
    let chromium = std::env::var_os("ZD_TEST_CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| on_path(&["chromium", "chromium-browser", "google-chrome"]));
    let Some(chromium) = chromium else {
        return missing("no Chromium (apt-get install chromium, or set ZD_TEST_CHROMIUM)");
    };
    let chromedriver = std::env::var_os("ZD_TEST_CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| on_path(&["chromedriver"]));
    let Some(chromedriver) = chromedriver else {
        return missing(
            "no chromedriver (apt-get install chromium-driver, or set ZD_TEST_CHROMEDRIVER)",
        );
    };
    Some(BrowserSetup {
        python,
        chromium,
        chromedriver,
    })
}

/// A `zd sandbox serve` process; killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(db: &str, token: &str) -> Served {
    let mut child = Command::new(ZD)
        .args(["sandbox", "serve", "--addr", "127.0.0.1:0"])
        .env("ZD_SANDBOX_DB", db)
        .env("ZD_SANDBOX_ADMIN_TOKEN", token)
        .env_remove("ZD_SANDBOX_ADMIN_TOKEN_FILE")
        .env_remove("ZD_SANDBOX_KEY_FILE")
        .env("ZD_LOG", "warn")
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
    Served { child, base }
}

/// Runs the browser suite (`full` or `postgres`) against a sandbox on `db`.
fn run_suite(setup: &BrowserSetup, db: &str, suite: &str) {
    // A token for this run only; it reaches the suite through its environment.
    let token = zendesk_sandbox::generate_token();
    let served = serve(db, &token);
    let screenshots = repo_root().join("target/console-screenshots");
    let started = Instant::now();
    let mut child = Command::new(&setup.python)
        .arg(repo_root().join("tests/compat/python/console_browser.py"))
        .env("ZD_SANDBOX_URL", &served.base)
        .env("ZD_SANDBOX_EMAIL", "admin@example.com")
        .env("ZD_SANDBOX_TOKEN", &token)
        .env("ZD_CHROMIUM", &setup.chromium)
        .env("ZD_CHROMEDRIVER", &setup.chromedriver)
        .env("ZD_SCREENSHOTS", &screenshots)
        .env("ZD_CONSOLE_SUITE", suite)
        // Selenium never downloads a driver: the one given is used.
        .env("SE_OFFLINE", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the browser suite starts");
    let deadline = Instant::now() + SUITE_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("the suite can be waited for") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the browser suite ran longer than {SUITE_TIMEOUT:?}; killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = child.wait_with_output().expect("the suite's output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    println!(
        "browser suite `{suite}` took {:.1} s; screenshots in {}",
        started.elapsed().as_secs_f64(),
        screenshots.display()
    );
    assert!(
        status.success(),
        "the console's browser suite failed ({status}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    );
    assert!(
        !stdout.contains(&token),
        "the admin token never reaches the output"
    );
    drop(served);
}

fn postgres_configured() -> bool {
    std::env::var("ZD_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres"))
}

#[test]
fn the_console_works_in_a_real_browser() {
    if postgres_configured() {
        println!(
            "skipped: the full browser suite runs in the SQLite pass; see the PostgreSQL test"
        );
        return;
    }
    let Some(setup) = browser_setup() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!(
        "zd-console-browser-{}-{}",
        std::process::id(),
        zendesk_sandbox::generate_token()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    run_suite(
        &setup,
        &format!("sqlite://{}", dir.join("sandbox.db").display()),
        "full",
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_console_works_on_postgresql() {
    if !postgres_configured() {
        if std::env::var("ZD_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
            panic!("ZD_REQUIRE_POSTGRES=1 but ZD_TEST_DATABASE_URL names no PostgreSQL database");
        }
        println!(
            "skipped: set ZD_TEST_DATABASE_URL=postgres://... to run the console on PostgreSQL"
        );
        return;
    }
    let Some(setup) = browser_setup() else {
        return;
    };
    run_suite(&setup, &zendesk_sandbox::test_db_url(), "postgres");
}

#[test]
fn sandbox_open_prints_the_console_address_and_succeeds_without_a_browser() {
    // Nothing listens on this port, and there is no graphical session: still a success.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let output = Command::new(ZD)
        .args(["sandbox", "open", "--addr", &format!("127.0.0.1:{port}")])
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("zd sandbox open runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stdout.trim(), format!("http://127.0.0.1:{port}/console/"));
    assert!(stderr.contains("nothing answers"), "{stderr}");
    assert!(
        stderr.contains("open the address above yourself"),
        "{stderr}"
    );

    // With a browser named in $BROWSER, it is started on the address.
    let dir = std::env::temp_dir().join(format!("zd-open-{}", zendesk_sandbox::generate_token()));
    std::fs::create_dir_all(&dir).unwrap();
    let seen = dir.join("seen");
    let browser = dir.join("browser.sh");
    std::fs::write(
        &browser,
        format!("#!/bin/sh\necho \"$1\" > {}\n", seen.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let status = Command::new(ZD)
        .args(["sandbox", "open", "--addr", &format!("127.0.0.1:{port}")])
        .env("BROWSER", &browser)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("zd sandbox open runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(100));
    let opened = std::fs::read_to_string(&seen).unwrap_or_default();
    assert_eq!(opened.trim(), format!("http://127.0.0.1:{port}/console/"));
    let _ = std::fs::remove_dir_all(&dir);
}
