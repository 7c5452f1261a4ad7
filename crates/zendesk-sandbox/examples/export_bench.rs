//! Incremental export throughput (not a test: numbers, no pass/fail). Fills an account with N
//! tickets through the store, moves their changes an hour into the past (exports leave out the
//! last minute), then reads every ticket three ways through the real router with an admin API
//! token, each timed whole and reported in records per second:
//!
//! - the cursor-based export (`/incremental/tickets/cursor.json?per_page=1000`, to
//!   `end_of_stream`);
//! - the time-based export (`/incremental/tickets.json`, following `next_page`);
//! - the baseline, in the same run: the ticket list's cursor pages
//!   (`/tickets.json?page[size]=100`, the largest the list serves), what a sync job would page
//!   without exports.
//!
//! ```text
//! cargo run --release -p zendesk-sandbox --example export_bench -- --tickets 100000
//! ZD_TEST_POSTGRES_CA=ca.crt cargo run --release -p zendesk-sandbox --example export_bench -- \
//!     --tickets 100000 --db 'postgres://...?schema=export_bench'
//! ```
//! `--db` defaults to a fresh SQLite file in the temporary directory; a database already
//! holding exactly N tickets is reused, so reruns skip the filling.

use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use serde_json::{Value, json};
use tower::ServiceExt;
use zendesk_sandbox::store::{StoreError, Table};
use zendesk_sandbox::{AppState, Config, app};

const TOKEN: &str = "export-bench-token";

/// Where a page says the next one is (`None`: the last page).
type NextPage = fn(&Value) -> Option<String>;

struct Args {
    tickets: i64,
    db: String,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        tickets: 100_000,
        db: format!(
            "sqlite://{}",
            std::env::temp_dir()
                .join(format!("zd-export-bench-{}.db", std::process::id()))
                .display()
        ),
    };
    let mut given = std::env::args().skip(1);
    while let Some(flag) = given.next() {
        let value = given
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--tickets" => {
                args.tickets = value
                    .parse()
                    .map_err(|_| format!("--tickets must be a number, got `{value}`"))?;
            }
            "--db" => args.db = value,
            other => return Err(format!("unknown flag {other}: use --tickets N, --db URL")),
        }
    }
    Ok(args)
}

/// Fills the account with `tickets` tickets of about 1 KB each, 5,000 to a transaction.
async fn fill(state: &AppState, tickets: i64) -> Result<(), StoreError> {
    let started = Instant::now();
    let mut made = 0;
    while made < tickets {
        let batch = (tickets - made).min(5_000);
        state
            .store()
            .write(move |tx| {
                for n in made..made + batch {
                    let id = tx.allocate_id(Table::Tickets)?;
                    let ticket = json!({"id": id, "subject": format!("Printer {n} is on fire"),
                        "description": "The printer on the third floor is on fire again. ".repeat(20),
                        "status": "open", "priority": "normal", "tags": ["printer"],
                        "via": {"channel": "api"},
                        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"});
                    tx.save(Table::Tickets, &ticket)?;
                }
                Ok::<_, StoreError>(())
            })
            .await?;
        made += batch;
        eprint!(
            "\rfilled {made} / {tickets} tickets ({:.0}/s)   ",
            made as f64 / started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    // Zendesk exports nothing changed in the last minute: move every change an hour back.
    state
        .store()
        .write(|tx| {
            tx.execute(
                "UPDATE tickets SET generated_timestamp = generated_timestamp - 3600",
                &[],
            )
        })
        .await?;
    Ok(())
}

/// Follows one kind of paging from `first` to its end; (records, pages, seconds).
async fn walk(
    router: &axum::Router,
    auth: &str,
    first: &str,
    key: &str,
    next: NextPage,
) -> Result<(usize, usize, f64), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let (mut records, mut pages) = (0, 0);
    let mut uri = Some(first.to_string());
    while let Some(path) = uri {
        let request = Request::get(&path)
            .header(header::AUTHORIZATION, auth)
            .header(header::HOST, "bench.test")
            .body(Body::empty())?;
        let response = router.clone().oneshot(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        if status != StatusCode::OK {
            return Err(format!("{path}: {status} {}", String::from_utf8_lossy(&bytes)).into());
        }
        let page: Value = serde_json::from_slice(&bytes)?;
        records += page[key].as_array().map_or(0, Vec::len);
        pages += 1;
        uri = next(&page).map(|url| url.trim_start_matches("http://bench.test").to_string());
    }
    Ok((records, pages, started.elapsed().as_secs_f64()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let config = Config {
        db_url: args.db.clone(),
        ..Config::in_memory(TOKEN)
    };
    let state = AppState::open(&config).await?;
    let have = state
        .store()
        .read(|reader| reader.count(Table::Tickets, &[]))
        .await?;
    if have != args.tickets {
        if have != 0 {
            return Err(format!(
                "{} holds {have} tickets, not {}: pass another --db",
                args.db, args.tickets
            )
            .into());
        }
        fill(&state, args.tickets).await?;
    }
    let router = app(state.clone());
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}/token:{TOKEN}", config.admin_email))
    );
    let backend = args.db.split(':').next().unwrap_or("?");
    println!(
        "{:<44} {:>8} {:>6} {:>8} {:>10}   ({} tickets, {backend})",
        "read", "records", "pages", "seconds", "records/s", args.tickets
    );
    let cursor_next = |page: &Value| {
        (page["end_of_stream"] == false)
            .then(|| page["after_url"].as_str().map(str::to_string))
            .flatten()
    };
    let time_next = |page: &Value| {
        (page["end_of_stream"] == false)
            .then(|| page["next_page"].as_str().map(str::to_string))
            .flatten()
    };
    let list_next = |page: &Value| {
        (page["meta"]["has_more"] == true)
            .then(|| page["links"]["next"].as_str().map(str::to_string))
            .flatten()
    };
    let runs: [(&str, &str, NextPage); 3] = [
        (
            "incremental/tickets/cursor (per_page=1000)",
            "/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=1000",
            cursor_next,
        ),
        (
            "incremental/tickets (time-based, 1000)",
            "/api/v2/incremental/tickets.json?start_time=0",
            time_next,
        ),
        (
            "baseline: tickets.json (page[size]=100)",
            "/api/v2/tickets.json?page%5Bsize%5D=100",
            list_next,
        ),
    ];
    let mut rates = Vec::new();
    for (name, first, next) in runs {
        let (records, pages, seconds) = walk(&router, &auth, first, "tickets", next).await?;
        let rate = records as f64 / seconds;
        rates.push(rate);
        println!("{name:<44} {records:>8} {pages:>6} {seconds:>8.2} {rate:>10.0}");
    }
    println!(
        "cursor export / list baseline: {:.2}x; time-based export / list baseline: {:.2}x",
        rates[0] / rates[2],
        rates[1] / rates[2]
    );
    state.close().await?;
    if let Some(file) = args.db.strip_prefix("sqlite://")
        && file.contains("zd-export-bench-")
    {
        let _ = std::fs::remove_file(file);
    }
    Ok(())
}
