//! Peak memory of large answers (not a test: numbers, no pass/fail). Starts a sandbox in this
//! process on a temporary SQLite file, fills it with big tickets, then for each scenario resets
//! the process's peak resident size (`/proc/self/clear_refs`, Linux) and reports the peak while
//! the scenario runs:
//!
//! - one page of 100 tickets (`tickets.json?per_page=100`) when 60 of them hold 2 MB each;
//! - four concurrent `search/export?page[size]=1000` over 1,000 tickets of 100 KB;
//! - four concurrent incremental exports (`incremental/tickets/cursor?per_page=1000`) of the
//!   same tickets (run once they are a minute old: the exports leave out the last minute).
//!
//! `cargo run -p zendesk-sandbox --release --example memory_bench`

use std::net::SocketAddr;
use std::time::Instant;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use zendesk_sandbox::{Config, Sandbox};

const TOKEN: &str = "memory-bench-token";

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn current_rss_mib() -> f64 {
    status_mib("VmRSS:")
}

fn status_mib(key: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Samples the heap and page-cache parts of the resident size every 2 ms until stopped:
/// (peak anonymous, peak file-backed) in MiB. File-backed pages are the database's memory map
/// (SQLite's mmap), which the kernel can drop at will; anonymous pages are the heap.
fn sample_peaks(
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(f64, f64)> {
    std::thread::spawn(move || {
        let (mut anon, mut file) = (0.0f64, 0.0f64);
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            anon = anon.max(status_mib("RssAnon:"));
            file = file.max(status_mib("RssFile:"));
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        (anon, file)
    })
}

/// Resets the peak resident size to the current one.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Sends one request on a fresh connection and reads the whole answer; returns (status, bytes).
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, usize) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    let auth = base64::engine::general_purpose::STANDARD
        .encode(format!("admin@example.com/token:{TOKEN}"));
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("writes");
    stream.write_all(body.as_bytes()).await.expect("writes");
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await.expect("status line");
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // Read the rest (headers and body, chunked or not) until the server closes, counting it
    // without keeping it: this client shares the process whose memory is measured.
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        let n = reader.read(&mut buf).await.expect("reads");
        if n == 0 {
            break;
        }
        total += n;
    }
    (status, total)
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("zd-memory-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = Config {
        db_url: format!("sqlite://{}", dir.join("bench.db").display()),
        ..Config::in_memory(TOKEN)
    };
    let running = Sandbox::start(config).await.expect("sandbox starts");
    let addr = running.local_addr();

    let started = Instant::now();
    let big = "x".repeat(2_000_000);
    for n in 0..60 {
        let body = format!(
            "{{\"ticket\":{{\"subject\":\"Big {n}\",\"comment\":{{\"body\":\"{big}\"}}}}}}"
        );
        let (status, _) = request(addr, "POST", "/api/v2/tickets.json", &body).await;
        assert_eq!(status, 201, "creating big ticket {n}");
    }
    let medium = "printer toner ".repeat(7_500);
    let mut last_write = Instant::now();
    for n in 0..1_000 {
        let body = format!(
            "{{\"ticket\":{{\"subject\":\"Medium {n}\",\"tags\":[\"medium\"],\"comment\":{{\"body\":\"{medium}\"}}}}}}"
        );
        let (status, _) = request(addr, "POST", "/api/v2/tickets.json", &body).await;
        assert_eq!(status, 201, "creating medium ticket {n}");
        last_write = Instant::now();
    }
    println!(
        "filled 60 tickets of 2 MB and 1,000 of 100 KB in {:.1} s; resident now {:.0} MiB",
        started.elapsed().as_secs_f64(),
        current_rss_mib()
    );

    reset_peak();
    let base = (status_mib("RssAnon:"), status_mib("RssFile:"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = sample_peaks(stop.clone());
    let (status, bytes) = request(addr, "GET", "/api/v2/tickets.json?per_page=100", "").await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (anon, file) = sampler.join().unwrap_or_default();
    println!(
        "one page of 100 tickets (60 x 2 MB): status {status}, {:.0} MB answered, peak {:.0} MiB \
         (heap {:.0} -> {:.0} MiB, mapped database {:.0} -> {:.0} MiB)",
        bytes as f64 / 1e6,
        peak_rss_mib(),
        base.0,
        anon,
        base.1,
        file
    );

    reset_peak();
    let base = (status_mib("RssAnon:"), status_mib("RssFile:"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = sample_peaks(stop.clone());
    let path = "/api/v2/search/export.json?filter%5Btype%5D=ticket&page%5Bsize%5D=1000&query=tags%3Amedium";
    let exports: Vec<_> = (0..4)
        .map(|_| tokio::spawn(request(addr, "GET", path, "")))
        .collect();
    let mut answered = 0;
    for export in exports {
        let (status, bytes) = export.await.expect("export task");
        assert_eq!(status, 200);
        answered += bytes;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (anon, file) = sampler.join().unwrap_or_default();
    println!(
        "four concurrent exports of 1,000 x 100 KB: {:.0} MB answered, peak {:.0} MiB \
         (heap {:.0} -> {:.0} MiB, mapped database {:.0} -> {:.0} MiB)",
        answered as f64 / 1e6,
        peak_rss_mib(),
        base.0,
        anon,
        base.1,
        file
    );

    let aged = last_write + std::time::Duration::from_secs(61);
    if let Some(wait) = aged.checked_duration_since(Instant::now()) {
        println!(
            "waiting {:.0} s for the tickets to be a minute old",
            wait.as_secs_f64()
        );
        tokio::time::sleep(wait).await;
    }
    reset_peak();
    let base = (status_mib("RssAnon:"), status_mib("RssFile:"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = sample_peaks(stop.clone());
    let path = "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=1000";
    let exports: Vec<_> = (0..4)
        .map(|_| tokio::spawn(request(addr, "GET", path, "")))
        .collect();
    let mut answered = 0;
    for export in exports {
        let (status, bytes) = export.await.expect("export task");
        assert_eq!(status, 200);
        answered += bytes;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (anon, file) = sampler.join().unwrap_or_default();
    println!(
        "four concurrent incremental exports of 1,000 tickets: {:.0} MB answered, peak {:.0} MiB \
         (heap {:.0} -> {:.0} MiB, mapped database {:.0} -> {:.0} MiB)",
        answered as f64 / 1e6,
        peak_rss_mib(),
        base.0,
        anon,
        base.1,
        file
    );
    let _ = running.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
