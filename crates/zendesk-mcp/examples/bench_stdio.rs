//! Tool-call round trips over stdio: spawns `zd mcp` (against the embedded sandbox unless the
//! environment names a Zendesk), speaks newline-delimited JSON-RPC to it like any MCP client,
//! and reports p50/p99/max latency per scenario.
//!
//! ```text
//! cargo build --release -p zd && \
//!   cargo run --release -p zendesk-mcp --example bench_stdio -- target/release/zd 2000
//! ```
//!
//! Scenarios: `tools/list`; a call refused before any I/O (argument check only: the MCP and
//! process overhead); `zendesk_get_current_user` (one request to the sandbox); and
//! `zendesk_get_ticket` on a ticket created for the run.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines},
    process::{ChildStdin, ChildStdout, Command},
};

struct Client {
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
    next_id: u64,
}

impl Client {
    async fn notify(&mut self, method: &str) -> Result<(), String> {
        let line = json!({"jsonrpc": "2.0", "method": method}).to_string() + "\n";
        self.stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| e.to_string())
    }

    async fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        let line = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            .to_string()
            + "\n";
        self.stdin
            .write_all(line.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let line = self
                .lines
                .next_line()
                .await
                .map_err(|e| e.to_string())?
                .ok_or("zd mcp closed stdout")?;
            let message: Value = serde_json::from_str(&line).map_err(|e| e.to_string())?;
            if message["id"] == json!(id) {
                if let Some(error) = message.get("error") {
                    return Err(format!("{method}: {error}"));
                }
                return Ok(message["result"].clone());
            }
        }
    }

    async fn call(&mut self, tool: &str, arguments: Value) -> Result<Value, String> {
        self.request("tools/call", json!({"name": tool, "arguments": arguments}))
            .await
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let total: Duration = samples.iter().sum();
    println!(
        "{name:<34} n={:<6} p50={:>9.3?} p99={:>9.3?} max={:>9.3?} mean={:>9.3?}",
        samples.len(),
        percentile(&samples, 50.0),
        percentile(&samples, 99.0),
        samples.last().copied().unwrap_or_default(),
        total / samples.len().max(1) as u32,
    );
}

async fn measure(
    client: &mut Client,
    iterations: usize,
    name: &str,
    method: &str,
    params: Value,
    expect_error: bool,
) -> Result<(), String> {
    let mut samples = Vec::with_capacity(iterations);
    for i in 0..iterations + iterations / 10 {
        let started = Instant::now();
        let result = client.request(method, params.clone()).await?;
        let elapsed = started.elapsed();
        let is_error = result["isError"] == json!(true);
        if method == "tools/call" && is_error != expect_error {
            return Err(format!("{name}: unexpected result {result}"));
        }
        // The first tenth warms caches and connections.
        if i >= iterations / 10 {
            samples.push(elapsed);
        }
    }
    report(name, samples);
    Ok(())
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let zd = args.next().unwrap_or_else(|| "target/release/zd".into());
    let iterations: usize = match args.next() {
        Some(n) => n
            .parse()
            .map_err(|_| format!("iterations must be a number, got {n}"))?,
        None => 1000,
    };
    let mut command = Command::new(&zd);
    command
        .arg("mcp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let configured = ["ZENDESK_SUBDOMAIN", "ZENDESK_BASE_URL", "ZD_SANDBOX_DB"]
        .iter()
        .any(|var| std::env::var_os(var).is_some());
    let scratch = std::env::temp_dir().join(format!("zd-bench-{}", std::process::id()));
    if !configured {
        std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
        command.env("ZD_SANDBOX_DB", scratch.join("sandbox.db"));
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {zd}: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut client = Client {
        stdin,
        lines: BufReader::new(stdout).lines(),
        next_id: 0,
    };

    let started = Instant::now();
    client
        .request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "bench_stdio", "version": "0"}
            }),
        )
        .await?;
    client.notify("notifications/initialized").await?;
    println!(
        "initialize (process start + sandbox): {:?}",
        started.elapsed()
    );

    measure(
        &mut client,
        iterations,
        "tools/list",
        "tools/list",
        json!({}),
        false,
    )
    .await?;
    measure(
        &mut client,
        iterations,
        "call refused before I/O",
        "tools/call",
        json!({"name": "zendesk_get_ticket", "arguments": {"ticketId": "not-a-number"}}),
        true,
    )
    .await?;
    measure(
        &mut client,
        iterations,
        "zendesk_get_current_user",
        "tools/call",
        json!({"name": "zendesk_get_current_user", "arguments": {}}),
        false,
    )
    .await?;
    let created = client
        .call(
            "zendesk_create_ticket",
            json!({"subject": "bench", "description": "bench ticket"}),
        )
        .await?;
    let ticket_id = created["structuredContent"]["ticket_id"].to_string();
    measure(
        &mut client,
        iterations,
        "zendesk_get_ticket",
        "tools/call",
        json!({"name": "zendesk_get_ticket", "arguments": {"ticketId": ticket_id}}),
        false,
    )
    .await?;

    drop(client);
    let _ = child.wait().await;
    if !configured {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    if let Err(error) = run().await {
        eprintln!("bench_stdio: {error}");
        std::process::exit(1);
    }
}
