//! Load test with slow and idle clients (not a test: an example that prints figures). It starts
//! a real `zd` server as a child process on loopback, optionally under a file limit
//! (`ulimit -n`), and measures what normal clients get while hostile ones hold connections:
//!
//! - `sandbox`: 16 normal clients run show-ticket requests (`GET /api/v2/tickets/{id}.json`
//!   over the demo seed's 12 tickets, keep-alive) against `zd sandbox serve`, first alone, then beside idle connections (connect
//!   and send nothing) and slowloris connections (a request head one byte a second). Hostile
//!   clients reconnect when the server closes them, as an attacker would.
//! - `mcp`: the same against `zd mcp --http` (embedded sandbox), the normal clients each in
//!   their own MCP session calling `zendesk_get_ticket`.
//! - `sessions`: 1,500 MCP sessions initialized and abandoned; the server's memory before and
//!   after.
//! - `stalled`: `STALLED` (520) unauthenticated clients each open `POST /oauth/tokens` with
//!   `Content-Length: 100000`, send one byte of the body and nothing more, reconnecting when
//!   answered or closed; meanwhile 13 probes, each on a new connection, ask
//!   `GET /api/v2/users/me.json`. Prints how many were answered within 5 s, and their times.
//!
//! Everything stays on 127.0.0.1 and every phase is bounded in time.
//!
//! Run: `cargo build --release -p zd --example hostile_load && target/release/examples/hostile_load`
//! Knobs (environment): `ZD_BIN` (the server binary; default `zd` beside the examples
//! directory, so another build can be compared), `SCENARIOS` (default `sandbox,mcp,sessions`),
//! `LOAD_SECS` (per measured phase, default 5), `WARMUP_SECS` (hostile clients alone before a
//! phase, default 2), `NORMAL` (16), `IDLE` (200), `SLOW` (50), `SESSIONS` (1500), `NOFILE`
//! (run the server under `ulimit -n NOFILE`), `SERVER_ARGS` (extra flags for the server).

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, header};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const ADMIN_TOKEN: &str = "hostile-load-admin-token";
const MCP_TOKEN: &str = "hostile-load-mcp-token";
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The server under test, killed when dropped.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Resident memory (KiB) and open file descriptors of the server process.
    fn usage(&self) -> (u64, usize) {
        let pid = self.child.id();
        let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| {
                status.lines().find_map(|line| {
                    line.strip_prefix("VmRSS:")?
                        .trim()
                        .trim_end_matches("kB")
                        .trim()
                        .parse()
                        .ok()
                })
            })
            .unwrap_or(0);
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|dir| dir.count())
            .unwrap_or(0);
        (rss, fds)
    }
}

fn server_binary() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("ZD_BIN") {
        return path.into();
    }
    let exe = std::env::current_exe().expect("own path");
    exe.parent()
        .and_then(|examples| examples.parent())
        .map(|dir| dir.join("zd"))
        .expect("the zd binary beside the examples directory (or set ZD_BIN)")
}

/// Starts `zd ARGS` (under `ulimit -n NOFILE` when set) and waits for the line that says where
/// it listens, on stdout or stderr.
fn spawn_server(args: &[String], envs: &[(&str, String)], from_stderr: bool) -> ServerProcess {
    let binary = server_binary();
    let mut command = match std::env::var("NOFILE").ok().filter(|v| !v.is_empty()) {
        Some(limit) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                .arg(&binary);
            sh
        }
        None => Command::new(&binary),
    };
    command.args(args);
    let extra = std::env::var("SERVER_ARGS").unwrap_or_default();
    command.args(extra.split_whitespace());
    for name in [
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_BASE_URL",
        "ZENDESK_EMAIL",
        "ZENDESK_API_TOKEN",
        "ZENDESK_OAUTH_TOKEN",
    ] {
        command.env_remove(name);
    }
    for (name, value) in envs {
        command.env(name, value);
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start the server");
    let (announce, other): (Box<dyn std::io::Read + Send>, Box<dyn std::io::Read + Send>) =
        if from_stderr {
            (
                Box::new(child.stderr.take().unwrap()),
                Box::new(child.stdout.take().unwrap()),
            )
        } else {
            (
                Box::new(child.stdout.take().unwrap()),
                Box::new(child.stderr.take().unwrap()),
            )
        };
    // Keep both pipes drained so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut { other }, &mut std::io::sink()));
    let mut lines = std::io::BufReader::new(announce);
    let mut line = String::new();
    let addr = loop {
        line.clear();
        if lines.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("the server exited before saying where it listens");
        }
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            let host = url.trim_start_matches("http://");
            let host = host.split('/').next().unwrap();
            break host.parse::<SocketAddr>().expect("an address");
        }
    };
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    ServerProcess { child, addr }
}

async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// One keep-alive client connection that reconnects after any failure.
struct Client {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// The client's MCP session, once initialized.
    session: Option<String>,
}

struct Answer {
    status: u16,
    session: Option<String>,
    body: Bytes,
}

impl Client {
    fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            sender: None,
            session: None,
        }
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Option<String>,
    ) -> Result<Answer, String> {
        let result = tokio::time::timeout(REQUEST_TIMEOUT, async {
            if self.sender.is_none() {
                self.sender = Some(connect(self.addr).await?);
            }
            let sender = self.sender.as_mut().unwrap();
            sender.ready().await.map_err(|e| format!("ready: {e}"))?;
            let mut request = Request::builder()
                .method(method)
                .uri(path)
                .header(header::HOST, self.addr.to_string());
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let request = request
                .body(Full::new(Bytes::from(body.unwrap_or_default())))
                .unwrap();
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| format!("send: {e}"))?;
            let status = response.status().as_u16();
            let session = response
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            Ok(Answer {
                status,
                session,
                body,
            })
        })
        .await
        .unwrap_or_else(|_| Err("timed out".into()));
        if result.is_err() {
            self.sender = None;
        }
        result
    }
}

/// What one measured phase saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn fail(&mut self, error: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(error);
        }
    }

    fn report(&mut self, label: &str, secs: f64) {
        self.latencies.sort();
        let pct = |p: f64| -> f64 {
            if self.latencies.is_empty() {
                return f64::NAN;
            }
            let i = ((self.latencies.len() as f64 * p).ceil() as usize)
                .clamp(1, self.latencies.len())
                - 1;
            self.latencies[i].as_secs_f64() * 1000.0
        };
        println!(
            "| {label} | {:.0} | {:.2} | {:.2} | {:.1} | {} |{}",
            self.latencies.len() as f64 / secs,
            pct(0.50),
            pct(0.99),
            self.latencies
                .last()
                .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
            self.errors,
            self.first_error
                .as_ref()
                .map(|e| format!(" first error: {e}"))
                .unwrap_or_default()
        );
    }
}

/// Counts of the hostile clients.
#[derive(Default)]
struct HostileStats {
    connected: AtomicU64,
    closed_by_server: AtomicU64,
    connect_failures: AtomicU64,
}

/// Idle clients connect and send nothing; slowloris clients send a request head one byte a
/// second. Both reconnect when closed. Returns their tasks (abort them to stop).
fn start_hostile(
    addr: SocketAddr,
    idle: u64,
    slow: u64,
    path: &'static str,
    stats: Arc<HostileStats>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    for n in 0..idle + slow {
        let stats = stats.clone();
        let slowloris = n >= idle;
        tasks.push(tokio::spawn(async move {
            loop {
                let mut stream =
                    match tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr))
                        .await
                    {
                        Ok(Ok(stream)) => stream,
                        _ => {
                            stats.connect_failures.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(200)).await;
                            continue;
                        }
                    };
                stats.connected.fetch_add(1, Ordering::Relaxed);
                if slowloris {
                    let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ");
                    for byte in head.bytes().chain(std::iter::repeat(b'a')) {
                        if stream.write_all(&[byte]).await.is_err() {
                            break;
                        }
                        let mut probe = [0u8; 1];
                        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut probe))
                            .await
                        {
                            Ok(Ok(0)) | Ok(Err(_)) => break,
                            _ => {}
                        }
                    }
                } else {
                    let mut buffer = [0u8; 64];
                    loop {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(_) => {}
                        }
                    }
                }
                stats.closed_by_server.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tasks
}

type RequestFn = Arc<
    dyn Fn(
            &mut Client,
            u64,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + '_>>
        + Send
        + Sync,
>;

/// `clients` normal clients, each sending `request` in a loop for `secs`.
async fn run_normal(clients: Vec<Client>, secs: f64, request: RequestFn) -> Tally {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for (n, mut client) in clients.into_iter().enumerate() {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut i = n as u64;
            while Instant::now() < deadline {
                let started = Instant::now();
                match request(&mut client, i).await {
                    Ok(()) => tally.latencies.push(started.elapsed()),
                    Err(error) => tally.fail(error),
                }
                i += 1;
            }
            tally
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        total.merge(task.await.unwrap());
    }
    total
}

fn basic_auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("admin@example.com/token:{ADMIN_TOKEN}"))
    )
}

fn show_ticket_request() -> RequestFn {
    let auth = basic_auth();
    Arc::new(move |client: &mut Client, i: u64| {
        let auth = auth.clone();
        Box::pin(async move {
            let path = format!("/api/v2/tickets/{}.json", 1 + i % 12);
            let answer = client
                .send("GET", &path, &[("authorization", auth)], None)
                .await?;
            if answer.status != 200 {
                return Err(format!("status {}", answer.status));
            }
            Ok(())
        })
    })
}

fn mcp_headers(session: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("authorization", format!("Bearer {MCP_TOKEN}")),
        ("content-type", "application/json".to_string()),
        ("accept", "application/json, text/event-stream".to_string()),
    ];
    if let Some(session) = session {
        headers.push(("mcp-session-id", session.to_string()));
        headers.push(("mcp-protocol-version", "2025-06-18".to_string()));
    }
    headers
}

/// Initializes an MCP session on `client`; returns its id.
async fn mcp_session(client: &mut Client) -> Result<String, String> {
    let initialize = serde_json::json!({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "hostile-load", "version": "0"}}
    });
    let answer = client
        .send(
            "POST",
            "/mcp",
            &mcp_headers(None),
            Some(initialize.to_string()),
        )
        .await?;
    if answer.status != 200 {
        return Err(format!("initialize: status {}", answer.status));
    }
    let session = answer.session.ok_or("no session id")?;
    let initialized = serde_json::json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    client
        .send(
            "POST",
            "/mcp",
            &mcp_headers(Some(&session)),
            Some(initialized.to_string()),
        )
        .await?;
    Ok(session)
}

async fn scenario_sandbox(settings: &Settings) {
    let db = std::env::temp_dir().join(format!("zd-hostile-load-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let server = spawn_server(
        &[
            "sandbox".into(),
            "serve".into(),
            "--addr".into(),
            "127.0.0.1:0".into(),
            "--db".into(),
            format!("sqlite://{}", db.display()),
            "--seed".into(),
            "demo".into(),
            "--admin-token".into(),
            ADMIN_TOKEN.into(),
        ],
        &[("ZD_LOG", "warn".into())],
        false,
    );
    println!("\n## sandbox at {} ({})", server.addr, settings.describe());
    measure(
        &server,
        settings,
        "/api/v2/tickets.json",
        show_ticket_request(),
    )
    .await;
    drop(server);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

async fn scenario_mcp(settings: &Settings) {
    let db = std::env::temp_dir().join(format!("zd-hostile-mcp-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let server = spawn_server(
        &[
            "mcp".into(),
            "--http".into(),
            "127.0.0.1:0".into(),
            "--auth-token".into(),
            MCP_TOKEN.into(),
        ],
        &[
            ("ZD_SANDBOX_DB", db.display().to_string()),
            ("ZD_LOG", "error".into()),
        ],
        true,
    );
    println!(
        "\n## MCP over HTTP at {} ({})",
        server.addr,
        settings.describe()
    );
    let call: RequestFn = Arc::new(|client: &mut Client, i: u64| {
        Box::pin(async move {
            let session = match client.session.clone() {
                Some(session) => session,
                None => {
                    let session = mcp_session(client).await?;
                    client.session = Some(session.clone());
                    session
                }
            };
            let call = serde_json::json!({
                "jsonrpc": "2.0", "id": i + 1, "method": "tools/call",
                "params": {"name": "zendesk_get_ticket",
                           "arguments": {"ticketId": (1 + i % 12).to_string()}}
            });
            let answer = client
                .send(
                    "POST",
                    "/mcp",
                    &mcp_headers(Some(&session)),
                    Some(call.to_string()),
                )
                .await?;
            let text = String::from_utf8_lossy(&answer.body);
            if answer.status != 200 || !text.contains("\"result\"") {
                client.session = None;
                return Err(format!(
                    "status {}: {}",
                    answer.status,
                    text.chars().take(120).collect::<String>()
                ));
            }
            Ok(())
        })
    });
    measure(&server, settings, "/mcp", call).await;
    drop(server);
    for suffix in ["", "-wal", "-shm", ".admin.json"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// Baseline, then with hostile clients: normal req/s and latency, hostile counts, server usage.
async fn measure(
    server: &ServerProcess,
    settings: &Settings,
    hostile_path: &'static str,
    request: RequestFn,
) {
    let clients = (0..settings.normal)
        .map(|_| Client::new(server.addr))
        .collect();
    println!("| phase | req/s | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|");
    let mut alone = run_normal(clients, settings.secs, request.clone()).await;
    alone.report(
        &format!("{} normal clients alone", settings.normal),
        settings.secs,
    );

    let stats = Arc::new(HostileStats::default());
    let hostile = start_hostile(
        server.addr,
        settings.idle,
        settings.slow,
        hostile_path,
        stats.clone(),
    );
    tokio::time::sleep(Duration::from_secs_f64(settings.warmup)).await;
    let clients = (0..settings.normal)
        .map(|_| Client::new(server.addr))
        .collect();
    let mut beside = run_normal(clients, settings.secs, request).await;
    let (rss, fds) = server.usage();
    beside.report(
        &format!(
            "{} normal beside {} idle + {} slowloris",
            settings.normal, settings.idle, settings.slow
        ),
        settings.secs,
    );
    for task in &hostile {
        task.abort();
    }
    println!(
        "\nhostile clients: {} connections made, {} closed by the server, {} connect failures; \
         server at the end: {} MiB resident, {} file descriptors open",
        stats.connected.load(Ordering::Relaxed),
        stats.closed_by_server.load(Ordering::Relaxed),
        stats.connect_failures.load(Ordering::Relaxed),
        rss / 1024,
        fds
    );
}

async fn scenario_sessions(settings: &Settings) {
    let db = std::env::temp_dir().join(format!("zd-hostile-sessions-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let server = spawn_server(
        &[
            "mcp".into(),
            "--http".into(),
            "127.0.0.1:0".into(),
            "--auth-token".into(),
            MCP_TOKEN.into(),
        ],
        &[
            ("ZD_SANDBOX_DB", db.display().to_string()),
            ("ZD_LOG", "error".into()),
        ],
        true,
    );
    println!(
        "\n## {} abandoned MCP sessions at {} ({})",
        settings.sessions,
        server.addr,
        settings.describe()
    );
    // One session first, so start-up allocations are not counted as sessions.
    let mut warm = Client::new(server.addr);
    let _ = mcp_session(&mut warm).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, _) = server.usage();
    let started = Instant::now();
    let failures = Arc::new(AtomicU64::new(0));
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (failures, next, addr, total) = (
            failures.clone(),
            next.clone(),
            server.addr,
            settings.sessions,
        );
        workers.push(tokio::spawn(async move {
            let mut client = Client::new(addr);
            while next.fetch_add(1, Ordering::Relaxed) < total {
                if mcp_session(&mut client).await.is_err() {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let took = started.elapsed();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (after, fds) = server.usage();
    println!(
        "sessions opened in {:.1} s ({} failed); server resident memory {} MiB -> {} MiB \
         (+{} MiB, {:.1} KiB a session); {} file descriptors open",
        took.as_secs_f64(),
        failures.load(Ordering::Relaxed),
        before / 1024,
        after / 1024,
        after.saturating_sub(before) / 1024,
        after.saturating_sub(before) as f64 / settings.sessions as f64,
        fds
    );
    drop(server);
    for suffix in ["", "-wal", "-shm", ".admin.json"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

struct Settings {
    secs: f64,
    warmup: f64,
    normal: u64,
    idle: u64,
    slow: u64,
    sessions: u64,
    stalled: u64,
}

impl Settings {
    fn describe(&self) -> String {
        format!(
            "server {}, ulimit -n {}, extra flags `{}`, {} s a phase",
            server_binary().display(),
            std::env::var("NOFILE").unwrap_or_else(|_| "unchanged".into()),
            std::env::var("SERVER_ARGS").unwrap_or_default(),
            self.secs
        )
    }
}

/// Stalled request bodies from unauthenticated clients, and probes on fresh connections.
async fn scenario_stalled(settings: &Settings) {
    let db = std::env::temp_dir().join(format!("zd-hostile-stalled-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let server = spawn_server(
        &[
            "sandbox".into(),
            "serve".into(),
            "--addr".into(),
            "127.0.0.1:0".into(),
            "--db".into(),
            format!("sqlite://{}", db.display()),
            "--admin-token".into(),
            ADMIN_TOKEN.into(),
        ],
        &[("ZD_LOG", "warn".into())],
        false,
    );
    println!(
        "\n## stalled bodies at {} ({})",
        server.addr,
        settings.describe()
    );
    let addr = server.addr;
    let answered_408 = Arc::new(AtomicU64::new(0));
    let attackers: Vec<_> = (0..settings.stalled)
        .map(|_| {
            let answered_408 = answered_408.clone();
            tokio::spawn(async move {
                loop {
                    let Ok(Ok(mut stream)) =
                        tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr))
                            .await
                    else {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    };
                    let head = format!(
                        "POST /oauth/tokens HTTP/1.1\r\nHost: {addr}\r\nContent-Type: \
                         application/json\r\nContent-Length: 100000\r\n\r\n{{"
                    );
                    if stream.write_all(head.as_bytes()).await.is_err() {
                        continue;
                    }
                    let mut buffer = [0u8; 4096];
                    let mut first = true;
                    loop {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if first && buffer[..n].starts_with(b"HTTP/1.1 408") {
                                    answered_408.fetch_add(1, Ordering::Relaxed);
                                }
                                first = false;
                            }
                        }
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(settings.warmup.max(3.0))).await;
    let mut waits = Vec::new();
    let mut answered = 0;
    for _ in 0..13 {
        let started = Instant::now();
        let probe = tokio::time::timeout(Duration::from_secs(5), async {
            let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
            stream
                .write_all(
                    format!("GET /api/v2/users/me.json HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await
                .map_err(|e| e.to_string())?;
            let mut answer = Vec::new();
            stream
                .read_to_end(&mut answer)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(answer.starts_with(b"HTTP/1.1 200"))
        })
        .await;
        let waited = started.elapsed();
        if matches!(probe, Ok(Ok(true))) {
            answered += 1;
        }
        waits.push(format!("{:.0}", waited.as_secs_f64() * 1000.0));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for task in &attackers {
        task.abort();
    }
    println!(
        "{answered} of 13 probes answered 200 within 5 s (ms each, 5000 = not answered: {}); \
         {} stalled requests answered 408 to make room",
        waits.join(", "),
        answered_408.load(Ordering::Relaxed)
    );
    drop(server);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn main() {
    // One worker thread per core: the client shares the machine with the server.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let settings = Settings {
        secs: env_number("LOAD_SECS", 5) as f64,
        warmup: env_number("WARMUP_SECS", 2) as f64,
        normal: env_number("NORMAL", 16),
        idle: env_number("IDLE", 200),
        slow: env_number("SLOW", 50),
        sessions: env_number("SESSIONS", 1500),
        stalled: env_number("STALLED", 520),
    };
    let scenarios = std::env::var("SCENARIOS").unwrap_or_else(|_| "sandbox,mcp,sessions".into());
    runtime.block_on(async {
        for scenario in scenarios.split(',') {
            match scenario.trim() {
                "sandbox" => scenario_sandbox(&settings).await,
                "mcp" => scenario_mcp(&settings).await,
                "sessions" => scenario_sessions(&settings).await,
                "stalled" => scenario_stalled(&settings).await,
                other => eprintln!("unknown scenario `{other}` (sandbox, mcp, sessions, stalled)"),
            }
        }
    });
}
