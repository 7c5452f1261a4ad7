//! zd's side of the peer benchmark (`bench/peers/run.sh`): the same workload that
//! `bench/peers/zenpy_bench.py` and `bench/peers/node_bench.js` run with zenpy and node-zendesk,
//! against the same sandbox, printing one JSON line of results.
//!
//! Environment: `ZENDESK_BASE_URL`, `ZENDESK_EMAIL`, `ZENDESK_API_TOKEN` (read by
//! `ClientBuilder::from_env`), `PEER_BENCH_MODE` (`paging`, `latency` or `startup`),
//! `PEER_BENCH_IDS` (comma-separated ticket IDs to show), `PEER_BENCH_SHOWS` (default 200),
//! `PEER_BENCH_SEARCHES` (default 20), `PEER_BENCH_QUERY` (default `status:open`).
//! A measurement, not a test: it asserts nothing about speed.

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use serde_json::json;
use zendesk::Client;
use zendesk::types::TicketId;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

fn env_count(name: &str, default: usize) -> BenchResult<usize> {
    let raw = env_or(name, &default.to_string());
    raw.trim()
        .parse()
        .map_err(|_| format!("{name} must be a whole number, got {raw:?}").into())
}

fn ticket_ids() -> BenchResult<Vec<TicketId>> {
    let raw = env_or("PEER_BENCH_IDS", "");
    let ids = raw
        .split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            part.trim().parse::<u64>().map(TicketId).map_err(|_| {
                format!("PEER_BENCH_IDS must be comma-separated ticket IDs, got {part:?}")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if ids.is_empty() {
        return Err("PEER_BENCH_IDS must list at least one ticket ID".into());
    }
    Ok(ids)
}

/// Milliseconds at quantile `q` (nearest rank) of sorted samples.
fn quantile_ms(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e3
}

async fn paging(client: &Client) -> BenchResult<serde_json::Value> {
    let started = Instant::now();
    // Counted as they stream by, not collected: the figure is the client's own footprint.
    let count = client
        .tickets()
        .list(None)
        .per_page(100)
        .items()
        .try_fold(0u64, |n, _ticket| async move { Ok(n + 1) })
        .await?;
    let secs = started.elapsed().as_secs_f64();
    Ok(json!({
        "tickets": count,
        "paging_s": secs,
        "tickets_per_s": count as f64 / secs,
    }))
}

async fn latency(client: &Client) -> BenchResult<serde_json::Value> {
    let ids = ticket_ids()?;
    let shows = env_count("PEER_BENCH_SHOWS", 200)?;
    let searches = env_count("PEER_BENCH_SEARCHES", 20)?;
    let query = env_or("PEER_BENCH_QUERY", "status:open");

    let mut show_times = Vec::with_capacity(shows);
    for i in 0..shows {
        let id = ids[i % ids.len()];
        let started = Instant::now();
        let ticket = client.tickets().show(id).await?;
        show_times.push(started.elapsed());
        if ticket.id != id {
            return Err(format!("asked for ticket {id}, got {}", ticket.id).into());
        }
    }

    let mut search_times = Vec::with_capacity(searches);
    let mut results = 0usize;
    for _ in 0..searches {
        let started = Instant::now();
        let page = client.search().search(&query).per_page(100).send().await?;
        search_times.push(started.elapsed());
        results = page.items.len();
    }

    show_times.sort();
    search_times.sort();
    Ok(json!({
        "shows": shows,
        "show_p50_ms": quantile_ms(&show_times, 0.50),
        "show_p99_ms": quantile_ms(&show_times, 0.99),
        "searches": searches,
        "search_results_per_page": results,
        "search_p50_ms": quantile_ms(&search_times, 0.50),
        "search_p99_ms": quantile_ms(&search_times, 0.99),
    }))
}

async fn startup(client: &Client) -> BenchResult<serde_json::Value> {
    let id = ticket_ids()?[0];
    let ticket = client.tickets().show(id).await?;
    Ok(json!({"first_ticket": ticket.id}))
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    let mode = env_or("PEER_BENCH_MODE", "paging");
    let client = Client::builder()
        .base_url(env_or("ZENDESK_BASE_URL", ""))
        .auth(zendesk::Auth::api_token(
            env_or("ZENDESK_EMAIL", ""),
            env_or("ZENDESK_API_TOKEN", ""),
        ))
        .request_timeout(Duration::from_secs(30))
        .build()?;
    let mut out = match mode.as_str() {
        "paging" => paging(&client).await?,
        "latency" => latency(&client).await?,
        "startup" => startup(&client).await?,
        other => {
            return Err(format!(
                "PEER_BENCH_MODE must be paging, latency or startup, got {other:?}"
            )
            .into());
        }
    };
    if let Some(map) = out.as_object_mut() {
        map.insert("client".into(), json!("zd"));
        map.insert("mode".into(), json!(mode));
    }
    println!("{out}");
    Ok(())
}
