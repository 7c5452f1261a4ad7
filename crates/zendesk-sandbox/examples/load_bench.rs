//! Load benchmark for the sandbox (not a test): starts a real sandbox on a temporary SQLite file,
//! fills it with tickets, then drives concurrent keep-alive HTTP/1.1 clients at four scenarios
//! (show ticket, list 100 tickets, create ticket, search) and prints requests/s with p50/p99
//! latency for each. Then what triggers cost a ticket update: the same update with no active
//! trigger and with 100 (none firing), and the ratio of the two (`BENCH_ONLY=trigger` runs
//! just that).
//!
//! Beside them, in the same run, the floor: the same HTTP server stack (axum behind
//! `http-serve`) answering the very bytes of a shown ticket from memory, with no sandbox work.
//! Each scenario's rate is also printed as a ratio of the floor's, which is what to compare
//! across machines and runs (these 2-core machines are noisy).
//!
//! Run once, in release: `cargo run -p zendesk-sandbox --release --example load_bench`
//! Knobs: `BENCH_SECS` (per scenario, default 5), `BENCH_CLIENTS` (default 16),
//! `BENCH_TICKETS` (prefill, default 1000), `BENCH_ONLY` (run only the scenarios whose name
//! contains it, such as `list`, for profiling one of them), and the databases:
//! `--db URL` (repeatable) or `BENCH_DB=URL,URL`, where `sqlite` is a fresh temporary SQLite
//! file (the default) and a `postgres://...` URL gets a fresh schema (`?schema=zd_bench_...`,
//! left behind for inspection). Several databases run one after the other in the same run, so
//! their figures stand side by side:
//! `cargo run -p zendesk-sandbox --release --example load_bench -- --db sqlite --db postgres://zd@127.0.0.1:5432/postgres`

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use zendesk_sandbox::{Config, Sandbox};

const TOKEN: &str = "bench-token";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One keep-alive connection speaking just enough HTTP/1.1 for the sandbox's answers.
struct Connection {
    reader: BufReader<TcpStream>,
    auth: String,
    host: String,
}

impl Connection {
    async fn open(addr: SocketAddr) -> std::io::Result<Connection> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let auth = base64::engine::general_purpose::STANDARD
            .encode(format!("admin@example.com/token:{TOKEN}"));
        Ok(Connection {
            reader: BufReader::new(stream),
            auth,
            host: addr.to_string(),
        })
    }

    /// Sends a request and reads the whole answer; returns the status.
    async fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> std::io::Result<u16> {
        let body = body.unwrap_or("");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            self.auth,
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        self.reader.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            line.clear();
            self.reader.read_line(&mut line).await?;
            let trimmed = line.trim_end();
            if trimmed.is_empty() {
                break;
            }
            if let Some((name, value)) = trimmed.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
                if name.eq_ignore_ascii_case("transfer-encoding")
                    && value.trim().eq_ignore_ascii_case("chunked")
                {
                    chunked = true;
                }
            }
        }
        if chunked {
            // Streamed answers: hex size lines, each chunk, an empty chunk at the end.
            loop {
                line.clear();
                self.reader.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0u8; size + 2];
                self.reader.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
            }
        } else {
            let mut buf = vec![0u8; length];
            self.reader.read_exact(&mut buf).await?;
        }
        Ok(status)
    }
}

struct Scenario {
    name: &'static str,
    method: &'static str,
    path: fn(u64) -> String,
    body: Option<&'static str>,
}

/// Runs a scenario; returns its requests per second.
async fn run_scenario(
    addr: SocketAddr,
    scenario: &Scenario,
    clients: u64,
    secs: u64,
    tickets: u64,
    floor: Option<f64>,
) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for client in 0..clients {
        let method = scenario.method;
        let path = scenario.path;
        let body = scenario.body;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let Ok(mut conn) = Connection::open(addr).await else {
                return (latencies, 1);
            };
            let mut n = client;
            while Instant::now() < deadline {
                let started = Instant::now();
                let target = path(n % tickets + 1);
                match conn.send(method, &target, body).await {
                    Ok(status) if status < 400 => latencies.push(started.elapsed()),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        match Connection::open(addr).await {
                            Ok(fresh) => conn = fresh,
                            Err(_) => break,
                        }
                    }
                }
                n += clients;
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        if let Ok((latencies, failed)) = task.await {
            all.extend(latencies);
            errors += failed;
        }
    }
    all.sort();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return 0.0;
        }
        let index = ((all.len() as f64 - 1.0) * p).round() as usize;
        all[index].as_secs_f64() * 1000.0
    };
    let rate = all.len() as f64 / secs as f64;
    let ratio = floor.map_or_else(String::new, |floor| {
        format!("  {:>5.2}x floor", rate / floor)
    });
    println!(
        "{:<22} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms{ratio}   ({} ok, {} errors, {} clients)",
        scenario.name,
        rate,
        pct(0.50),
        pct(0.99),
        all.len(),
        errors,
        clients
    );
    rate
}

/// What the account's triggers cost a ticket update: the same update with no active trigger,
/// then with 100 active triggers that are each evaluated on every update and none of which
/// fires (the standard triggers are deactivated first). The ratio of the two rates, printed,
/// is the figure; both run in the same process, one after the other.
async fn trigger_cost(
    addr: SocketAddr,
    conn: &mut Connection,
    clients: u64,
    secs: u64,
    tickets: u64,
    floor: Option<f64>,
) {
    let Some(listed) = body_of(addr, "/api/v2/triggers.json").await else {
        eprintln!("bench: cannot list the triggers");
        return;
    };
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap_or_default();
    let off: Vec<serde_json::Value> = listed["triggers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| serde_json::json!({"id": t["id"], "active": false}))
        .collect();
    let body = serde_json::json!({ "triggers": off }).to_string();
    if !matches!(
        conn.send("PUT", "/api/v2/triggers/update_many.json", Some(&body))
            .await,
        Ok(200)
    ) {
        eprintln!("bench: cannot deactivate the standard triggers");
        return;
    }
    let update = Scenario {
        name: "update, 0 triggers",
        method: "PUT",
        path: |n| format!("/api/v2/tickets/{n}.json"),
        body: Some("{\"ticket\":{\"priority\":\"normal\",\"status\":\"open\"}}"),
    };
    let none = run_scenario(addr, &update, clients, secs, tickets, floor).await;
    for n in 0..100 {
        let body = serde_json::json!({"trigger": {
            "title": format!("Bench trigger {n}"),
            "conditions": {"all": [
                {"field": "update_type", "operator": "is", "value": "Change"},
                {"field": "status", "operator": "is_not", "value": "solved"},
                {"field": "current_tags", "operator": "includes", "value": format!("vip{n}")}
            ], "any": [
                {"field": "priority", "operator": "is", "value": "urgent"},
                {"field": "comment_includes_word", "operator": "includes", "value": "refund"}
            ]},
            "actions": [{"field": "current_tags", "value": format!("seen{n}")}]
        }})
        .to_string();
        if !matches!(
            conn.send("POST", "/api/v2/triggers.json", Some(&body))
                .await,
            Ok(201)
        ) {
            eprintln!("bench: cannot create trigger {n}");
            return;
        }
    }
    let with_100 = Scenario {
        name: "update, 100 triggers",
        ..update
    };
    let hundred = run_scenario(addr, &with_100, clients, secs, tickets, floor).await;
    if hundred > 0.0 {
        println!(
            "trigger cost: an update with 100 active triggers takes {:.2}x the time of one with none",
            none / hundred
        );
    }
}

/// The floor: the sandbox's own server stack answering fixed bytes (a shown ticket's answer).
async fn start_floor(body: String) -> Option<SocketAddr> {
    let body: &'static str = Box::leak(body.into_boxed_str());
    let router = axum::Router::new().route(
        "/api/v2/floor.json",
        axum::routing::get(move || async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
        }),
    );
    let listener = http_serve::bind(SocketAddr::from(([127, 0, 0, 1], 0))).ok()?;
    let server = http_serve::Server::new(listener, router, http_serve::Limits::default());
    let addr = server.local_addr().ok()?;
    tokio::spawn(server.run(std::future::pending()));
    Some(addr)
}

/// The body of `GET path`, read on a fresh connection.
async fn body_of(addr: SocketAddr, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("admin@example.com/token:{TOKEN}"));
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.ok()?;
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
}

/// The databases to run against: `--db URL` arguments, else `BENCH_DB`, else `sqlite`.
fn databases() -> Vec<String> {
    let mut args = std::env::args().skip(1);
    let mut given = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--db" => given.extend(args.next()),
            other => match other.strip_prefix("--db=") {
                Some(url) => given.push(url.to_string()),
                None => eprintln!("bench: ignoring the argument `{other}` (only --db URL)"),
            },
        }
    }
    if given.is_empty() {
        given = std::env::var("BENCH_DB")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    if given.is_empty() {
        given.push("sqlite".into());
    }
    given
}

#[tokio::main]
async fn main() {
    for db in databases() {
        bench(&db).await;
    }
}

async fn bench(db: &str) {
    let secs = env_number("BENCH_SECS", 5);
    let clients = env_number("BENCH_CLIENTS", 16);
    let tickets = env_number("BENCH_TICKETS", 1000).max(1);
    let dir = std::env::temp_dir().join(format!("zd-sandbox-bench-{}", std::process::id()));
    if let Err(error) = std::fs::create_dir_all(&dir) {
        eprintln!("bench: cannot create {}: {error}", dir.display());
        return;
    }
    let _ = std::fs::remove_file(dir.join("bench.db"));
    let db_url = if db == "sqlite" {
        format!("sqlite://{}", dir.join("bench.db").display())
    } else if db.starts_with("postgres") {
        let joiner = if db.contains('?') { '&' } else { '?' };
        format!(
            "{db}{joiner}schema=zd_bench_{}_{}",
            std::process::id(),
            fastrand::u32(..)
        )
    } else {
        db.to_string()
    };
    println!(
        "
== {}",
        zendesk_sandbox::store::redact_url(&db_url)
    );
    // BENCH_DURABILITY=full: every acknowledged write waits for the disk.
    let durability = match std::env::var("BENCH_DURABILITY").as_deref() {
        Ok("full") => zendesk_sandbox::store::Durability::Full,
        _ => zendesk_sandbox::store::Durability::Normal,
    };
    let config = Config {
        db_url,
        durability,
        ..Config::in_memory(TOKEN)
    };
    println!("durability: {durability:?}");
    let running = match Sandbox::start(config).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("bench: cannot start the sandbox: {error}");
            return;
        }
    };
    let addr = running.local_addr();
    let Ok(mut conn) = Connection::open(addr).await else {
        eprintln!("bench: cannot connect");
        return;
    };
    let started = Instant::now();
    for n in 0..tickets {
        let status = if n % 2 == 0 { "open" } else { "pending" };
        let body = format!(
            "{{\"ticket\":{{\"subject\":\"Bench ticket {n}\",\"status\":\"{status}\",\"tags\":[\"bench\"],\"comment\":{{\"body\":\"The printer on floor {n} is out of toner\"}}}}}}"
        );
        if conn
            .send("POST", "/api/v2/tickets.json", Some(&body))
            .await
            .is_err()
        {
            eprintln!("bench: prefill failed at ticket {n}");
            return;
        }
    }
    println!(
        "prefilled {tickets} tickets in {:.1} s; {secs} s per scenario, {clients} clients",
        started.elapsed().as_secs_f64()
    );
    let scenarios = [
        Scenario {
            name: "show ticket",
            method: "GET",
            path: |n| format!("/api/v2/tickets/{n}.json"),
            body: None,
        },
        Scenario {
            name: "list 100 tickets",
            method: "GET",
            path: |_| "/api/v2/tickets.json?page%5Bsize%5D=100".to_string(),
            body: None,
        },
        Scenario {
            name: "create ticket",
            method: "POST",
            path: |_| "/api/v2/tickets.json".to_string(),
            body: Some(
                "{\"ticket\":{\"subject\":\"Load\",\"comment\":{\"body\":\"created under load\"}}}",
            ),
        },
        Scenario {
            name: "search status+text",
            method: "GET",
            path: |_| "/api/v2/search.json?query=status%3Aopen%20toner&per_page=25".to_string(),
            body: None,
        },
    ];
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let floor = match body_of(addr, "/api/v2/tickets/1.json").await {
        Some(body) => match start_floor(body).await {
            Some(floor_addr) => {
                let scenario = Scenario {
                    name: "floor (fixed body)",
                    method: "GET",
                    path: |_| "/api/v2/floor.json".to_string(),
                    body: None,
                };
                Some(run_scenario(floor_addr, &scenario, clients, secs, tickets, None).await)
            }
            None => None,
        },
        None => None,
    };
    for scenario in scenarios.iter().filter(|s| s.name.contains(only.as_str())) {
        run_scenario(addr, scenario, clients, secs, tickets, floor).await;
    }
    if "update ticket".contains(only.as_str()) || only.contains("trigger") {
        trigger_cost(addr, &mut conn, clients, secs, tickets, floor).await;
    }
    if let Err(error) = running.shutdown().await {
        eprintln!("bench: shutdown failed: {error}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
