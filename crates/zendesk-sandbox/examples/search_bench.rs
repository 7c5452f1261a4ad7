//! Search latency benchmark (not a test: numbers, no pass/fail).
//!
//! Seeds a SQLite file with N tickets straight through the store's schema (multi-row INSERTs in
//! large transactions: tickets, ticket_tags, tickets_fts, plus users, organizations and groups),
//! then times representative searches through the real router (`GET /api/v2/search`, `/count`,
//! `/export` with an admin API token) and prints p50 / p99 per query.
//!
//! ```text
//! cargo run --release -p zendesk-sandbox --example search_bench -- --tickets 100000 --runs 50
//! cargo run --release -p zendesk-sandbox --example search_bench -- --tickets 1000000 --db /tmp/zd-1m.db
//! ```
//! A database already holding exactly N tickets is reused, so reruns skip the seeding.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use tower::ServiceExt;
use zendesk_sandbox::store::{Bind, Store, StoreError, Table, Writer};
use zendesk_sandbox::{AppState, Config, app};

const TOKEN: &str = "search-bench-token";
const AGENTS: i64 = 50;
const END_USERS: i64 = 5_000;
const ORGANIZATIONS: i64 = 200;
const GROUPS: i64 = 10;
/// First ids, as the schema's sequences start them.
const USER_BASE: i64 = 1_100_000_000;
const ORG_BASE: i64 = 2_100_000_000;
const GROUP_BASE: i64 = 3_100_000_000;
/// 2023-01-01T00:00:00Z; tickets are created over the two years after it.
const EPOCH: i64 = 1_672_531_200;
const TWO_YEARS: i64 = 2 * 365 * 86_400;

const WORDS: &[&str] = &[
    "printer",
    "jammed",
    "invoice",
    "refund",
    "password",
    "reset",
    "laptop",
    "screen",
    "broken",
    "network",
    "slow",
    "email",
    "bounce",
    "login",
    "error",
    "update",
    "install",
    "license",
    "billing",
    "charge",
    "shipping",
    "delayed",
    "order",
    "missing",
    "account",
    "locked",
    "access",
    "denied",
    "crash",
    "freeze",
    "battery",
    "keyboard",
    "mouse",
    "monitor",
    "flicker",
    "sound",
    "camera",
    "meeting",
    "calendar",
    "sync",
    "backup",
    "restore",
    "upgrade",
    "plan",
    "cancel",
    "subscription",
    "discount",
    "coupon",
    "warranty",
    "repair",
];
const TAGS: &[&str] = &[
    "vip",
    "spam",
    "hardware",
    "software",
    "billing",
    "urgent_fix",
    "followup",
    "escalated",
    "enterprise",
    "trial",
    "churn_risk",
    "feedback",
    "bug",
    "feature",
    "docs",
    "onboarding",
];
const STATUSES: &[&str] = &["new", "open", "pending", "hold", "solved", "closed"];
const PRIORITIES: &[Option<&str>] = &[
    None,
    Some("low"),
    Some("normal"),
    Some("high"),
    Some("urgent"),
];
const TYPES: &[Option<&str>] = &[
    None,
    Some("question"),
    Some("incident"),
    Some("problem"),
    Some("task"),
];

struct Args {
    tickets: i64,
    runs: usize,
    db: String,
    /// Merge the full-text index into one segment before measuring, as the sandbox's upkeep
    /// task does in the background (`store::Upkeep`).
    tend: bool,
}

fn args() -> Result<Args, String> {
    let mut args = Args {
        tickets: 100_000,
        runs: 50,
        db: String::new(),
        tend: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--tend" {
            args.tend = true;
            continue;
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--tickets" => {
                args.tickets = value
                    .parse()
                    .map_err(|_| format!("--tickets must be a number, got {value}"))?
            }
            "--runs" => {
                args.runs = value
                    .parse()
                    .map_err(|_| format!("--runs must be a number, got {value}"))?
            }
            "--db" => args.db = value,
            other => {
                return Err(format!(
                    "unknown flag {other}: expected --tickets, --runs, --db or --tend"
                ));
            }
        }
    }
    if args.db.is_empty() {
        args.db = format!("/tmp/zd-search-bench-{}.db", args.tickets);
    }
    Ok(args)
}

fn iso(ts: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn words(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.usize(..WORDS.len())])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `INSERT INTO {head} VALUES (..), (..)` for `rows`, `cols` values each, in chunks.
fn insert_rows(
    tx: &mut dyn Writer,
    head: &str,
    cols: usize,
    rows: &[Vec<Val>],
) -> Result<(), StoreError> {
    // SQLite allows 32,766 parameters per statement.
    let per_statement = (30_000 / cols).max(1);
    for chunk in rows.chunks(per_statement) {
        let row_sql = format!("({})", vec!["?"; cols].join(", "));
        let sql = format!(
            "INSERT INTO {head} VALUES {}",
            vec![row_sql; chunk.len()].join(", ")
        );
        let binds: Vec<Bind> = chunk
            .iter()
            .flatten()
            .map(|v| match v {
                Val::I(i) => Bind::Int(*i),
                Val::N(i) => Bind::opt_int(*i),
                Val::T(s) => Bind::Text(s.clone()),
                Val::S(s) => Bind::opt_text(s.map(str::to_string)),
            })
            .collect();
        tx.execute(&sql, &binds)?;
    }
    Ok(())
}

enum Val {
    I(i64),
    N(Option<i64>),
    T(String),
    S(Option<&'static str>),
}

async fn seed(store: &Store, tickets: i64) -> Result<(), StoreError> {
    let mut rng = fastrand::Rng::with_seed(42);
    let mut people = Vec::new();
    let mut users = Vec::new();
    let mut users_fts = Vec::new();
    for n in 0..AGENTS + END_USERS {
        let id = USER_BASE + n;
        let role = if n < AGENTS { "agent" } else { "end-user" };
        let name = format!("{} {}", WORDS[rng.usize(..WORDS.len())], n);
        let email = format!("user{n}@example.com");
        let org = (n >= AGENTS && rng.bool()).then(|| ORG_BASE + rng.i64(0..ORGANIZATIONS));
        let json = serde_json::json!({"id": id, "name": name, "email": email, "role": role,
            "organization_id": org, "active": true, "tags": [],
            "created_at": iso(EPOCH), "updated_at": iso(EPOCH)});
        users.push(vec![
            Val::I(id),
            Val::T(json.to_string()),
            Val::T(name.clone()),
            Val::T(email.clone()),
            Val::T(role.into()),
            Val::N(org),
            Val::I(1),
            Val::I(EPOCH),
            Val::I(EPOCH),
        ]);
        users_fts.push(vec![Val::I(id), Val::T(name), Val::T(email)]);
    }
    people.push((
        "users (id, json, name, email, role, organization_id, active, created_at, updated_at)",
        9,
        users,
    ));
    people.push(("users_fts (rowid, name, email)", 3, users_fts));
    let mut orgs = Vec::new();
    let mut orgs_fts = Vec::new();
    for n in 0..ORGANIZATIONS {
        let id = ORG_BASE + n;
        let name = format!("Org {n} {}", WORDS[n as usize % WORDS.len()]);
        let json = serde_json::json!({"id": id, "name": name, "tags": [],
            "created_at": iso(EPOCH), "updated_at": iso(EPOCH)});
        orgs.push(vec![
            Val::I(id),
            Val::T(json.to_string()),
            Val::T(name.clone()),
            Val::T(name.to_lowercase()),
            Val::I(EPOCH),
            Val::I(EPOCH),
        ]);
        orgs_fts.push(vec![Val::I(id), Val::T(name)]);
    }
    people.push((
        "organizations (id, json, name, name_lower, created_at, updated_at)",
        6,
        orgs,
    ));
    people.push(("organizations_fts (rowid, name)", 2, orgs_fts));
    let groups: Vec<Vec<Val>> = (0..GROUPS)
        .map(|n| {
            let id = GROUP_BASE + n;
            let json = serde_json::json!({"id": id, "name": format!("Group {n}"),
                "created_at": iso(EPOCH), "updated_at": iso(EPOCH)});
            vec![
                Val::I(id),
                Val::T(json.to_string()),
                Val::T(format!("Group {n}")),
                Val::I(EPOCH),
                Val::I(EPOCH),
            ]
        })
        .collect();
    people.push(("groups (id, json, name, created_at, updated_at)", 5, groups));
    store
        .write(move |tx| {
            for (head, cols, rows) in &people {
                insert_rows(tx, head, *cols, rows)?;
            }
            Ok::<_, StoreError>(())
        })
        .await?;

    let batch = 20_000;
    let started = Instant::now();
    let mut next = 1;
    while next <= tickets {
        let last = (next + batch - 1).min(tickets);
        let mut rows = Vec::new();
        let mut tags = Vec::new();
        let mut fts = Vec::new();
        for id in next..=last {
            let status = STATUSES[rng.usize(..STATUSES.len())];
            let status_rank = STATUSES.iter().position(|s| *s == status).unwrap_or(0) as i64;
            let priority_index = rng.usize(..PRIORITIES.len());
            let priority = PRIORITIES[priority_index];
            let ticket_type = TYPES[rng.usize(..TYPES.len())];
            let requester = USER_BASE + AGENTS + rng.i64(0..END_USERS);
            let assignee = rng.bool().then(|| USER_BASE + rng.i64(0..AGENTS));
            let group = assignee.map(|_| GROUP_BASE + rng.i64(0..GROUPS));
            let org = (rng.u8(..) < 128).then(|| ORG_BASE + rng.i64(0..ORGANIZATIONS));
            let created = EPOCH + rng.i64(0..TWO_YEARS);
            let updated = created + rng.i64(0..30 * 86_400);
            let subject = words(&mut rng, 4);
            let description = words(&mut rng, 20);
            let ticket_tags: Vec<&str> = (0..rng.usize(0..4))
                .map(|_| TAGS[rng.usize(..TAGS.len())])
                .collect();
            let json = serde_json::json!({
                "id": id, "subject": subject, "raw_subject": subject, "description": description,
                "status": status, "priority": priority, "type": ticket_type,
                "requester_id": requester, "submitter_id": requester, "assignee_id": assignee,
                "organization_id": org, "group_id": group, "tags": ticket_tags,
                "custom_fields": [], "via": {"channel": "api"},
                "created_at": iso(created), "updated_at": iso(updated)
            });
            rows.push(vec![
                Val::I(id),
                Val::T(json.to_string()),
                Val::S(Some(status)),
                Val::I(status_rank),
                Val::S(priority),
                Val::I(priority_index as i64),
                Val::S(ticket_type),
                Val::T(subject.clone()),
                Val::N(assignee),
                Val::I(requester),
                Val::I(requester),
                Val::N(org),
                Val::N(group),
                Val::I(created),
                Val::I(updated),
                Val::N((status_rank >= 4).then_some(updated)),
            ]);
            let mut seen = Vec::new();
            for tag in ticket_tags {
                if !seen.contains(&tag) {
                    seen.push(tag);
                    tags.push(vec![Val::I(id), Val::S(Some(tag))]);
                }
            }
            fts.push(vec![
                Val::I(id),
                Val::T(subject),
                Val::T(description),
                Val::T(String::new()),
            ]);
        }
        store
            .write(move |tx| {
                insert_rows(
                    tx,
                    "tickets (id, json, status, status_rank, priority, priority_rank, ticket_type, \
                     subject, assignee_id, requester_id, submitter_id, organization_id, group_id, \
                     created_at, updated_at, solved_at)",
                    16,
                    &rows,
                )?;
                insert_rows(tx, "ticket_tags (ticket_id, tag)", 2, &tags)?;
                insert_rows(
                    tx,
                    "tickets_fts (rowid, subject, description, comments)",
                    4,
                    &fts,
                )
            })
            .await?;
        next = last + 1;
        eprint!(
            "\rseeded {last} / {tickets} tickets ({:.0}/s)   ",
            last as f64 / started.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    store.write(|tx| tx.execute("ANALYZE", &[])).await?;
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn encode(query: &str) -> String {
    form_urlencoded::byte_serialize(query.as_bytes()).collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args()?;
    let config = Config {
        db_url: format!("sqlite://{}", args.db),
        ..Config::in_memory(TOKEN)
    };
    let state = AppState::open(&config).await?;
    let store = state.store().clone();
    let have = store
        .read(|reader| reader.count(Table::Tickets, &[]))
        .await?;
    if have != args.tickets {
        if have != 0 {
            return Err(format!(
                "{} holds {have} tickets, not {}: remove it or pass another --db",
                args.db, args.tickets
            )
            .into());
        }
        let started = Instant::now();
        seed(&store, args.tickets).await?;
        println!(
            "seeded {} tickets in {:.1}s",
            args.tickets,
            started.elapsed().as_secs_f64()
        );
    }
    if args.tend {
        let started = Instant::now();
        let mut steps = 0;
        while store.tend_text_indexes().await? {
            steps += 1;
        }
        println!(
            "merged the full-text indexes in {steps} steps, {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }
    let router = app(state.clone());
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}/token:{TOKEN}", config.admin_email))
    );
    let agent = USER_BASE + 7;
    let queries: Vec<(&str, String)> = vec![
        (
            "status + assignee",
            format!("type:ticket status:open assignee:{agent}"),
        ),
        ("free-text word", "type:ticket printer".into()),
        (
            "word + assignee",
            format!("type:ticket printer assignee:{agent}"),
        ),
        ("phrase", "type:ticket \"printer jammed\"".into()),
        ("two words", "type:ticket printer jammed".into()),
        ("prefix", "type:ticket print*".into()),
        ("tags", "type:ticket tags:vip".into()),
        ("tags OR", "type:ticket tags:vip tags:escalated".into()),
        (
            "date range",
            "type:ticket created>=2024-03-01 created<2024-04-01".into(),
        ),
        ("negation", "type:ticket status<solved -tags:spam".into()),
        ("all types word", "printer".into()),
    ];
    let mut targets: Vec<(String, String)> = queries
        .iter()
        .map(|(name, q)| {
            (
                format!("search: {name}"),
                format!("/api/v2/search?query={}&per_page=100", encode(q)),
            )
        })
        .collect();
    targets.push((
        "count: status + assignee".into(),
        format!("/api/v2/search/count?query={}", encode(&queries[0].1)),
    ));
    targets.push((
        "export: status<solved".into(),
        format!(
            "/api/v2/search/export?query={}&filter%5Btype%5D=ticket&page%5Bsize%5D=100",
            encode("status<solved")
        ),
    ));
    println!(
        "{:<32} {:>9} {:>10} {:>10}   ({} tickets, {} runs each)",
        "query", "results", "p50 ms", "p99 ms", args.tickets, args.runs
    );
    for (name, uri) in targets {
        let mut times = Vec::with_capacity(args.runs);
        let mut total = String::from("-");
        for run in 0..args.runs + 2 {
            let request = Request::get(&uri)
                .header(header::AUTHORIZATION, &auth)
                .header(header::HOST, "bench.test")
                .body(Body::empty())?;
            let started = Instant::now();
            let response = router.clone().oneshot(request).await?;
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            let elapsed = started.elapsed();
            if status != StatusCode::OK {
                return Err(format!("{name}: {status} {}", String::from_utf8_lossy(&bytes)).into());
            }
            // Two warm-up runs are not timed.
            if run >= 2 {
                times.push(elapsed);
            }
            let body: serde_json::Value = serde_json::from_slice(&bytes)?;
            total = match (&body["count"], body["results"].as_array()) {
                (serde_json::Value::Number(n), _) => n.to_string(),
                (_, Some(results)) => format!("{}+", results.len()),
                _ => "-".into(),
            };
        }
        times.sort();
        println!(
            "{:<32} {:>9} {:>10.2} {:>10.2}",
            name,
            total,
            percentile(&times, 0.50).as_secs_f64() * 1000.0,
            percentile(&times, 0.99).as_secs_f64() * 1000.0
        );
    }
    state.close().await?;
    Ok(())
}
