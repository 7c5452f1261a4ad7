//! Two `zd sandbox serve` processes on one PostgreSQL database are one Zendesk account: a write
//! through either is read through both, a cursor issued by one pages on the other, 30 bulk jobs
//! submitted through both at once each run exactly once, and when one process is killed
//! (`kill -9`) in the middle of a job the other says so, resumes the job and finishes it
//! without doing any item twice.
//!
//! Runs when `ZD_TEST_DATABASE_URL` names a PostgreSQL server (`scripts/test` starts one); with
//! `ZD_REQUIRE_POSTGRES=1` (CI) its absence is a failure, not a skip.

mod served;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use served::{Served, postgres_database, serve};

const TOKEN: &str = "two-sandboxes-admin-token";

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client")
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http
        .request(method, url)
        .basic_auth("admin@example.com/token", Some(TOKEN));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the sandbox answers");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn get(http: &reqwest::Client, url: &str) -> Value {
    let (status, body) = call(http, reqwest::Method::GET, url, None).await;
    assert_eq!(status, 200, "GET {url}: {body}");
    body
}

/// Every ticket subject in the account, with how many tickets carry it (cursor pages).
async fn subjects(http: &reqwest::Client, base: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let mut url = format!("{base}/api/v2/tickets.json?page[size]=100");
    loop {
        let page = get(http, &url).await;
        for ticket in page["tickets"].as_array().expect("tickets") {
            let subject = ticket["subject"].as_str().unwrap_or_default().to_string();
            *counts.entry(subject).or_insert(0) += 1;
        }
        match page["links"]["next"].as_str() {
            Some(next) if page["meta"]["has_more"] == json!(true) => url = next.to_string(),
            _ => return counts,
        }
    }
}

/// Polls a job (through `base`) until it is completed or failed; every message seen on the way.
async fn finish(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    limit: Duration,
) -> (Value, Vec<String>) {
    let started = Instant::now();
    let mut messages = Vec::new();
    loop {
        let job =
            get(http, &format!("{base}/api/v2/job_statuses/{id}.json")).await["job_status"].clone();
        if let Some(message) = job["message"].as_str()
            && messages.last() != Some(&message.to_string())
        {
            messages.push(message.to_string());
        }
        if job["status"] == json!("completed") || job["status"] == json!("failed") {
            return (job, messages);
        }
        assert!(
            started.elapsed() < limit,
            "job {id} still {} after {limit:?}: {messages:?}",
            job["status"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn bulk(prefix: &str, n: usize) -> Value {
    let tickets: Vec<Value> = (0..n)
        .map(|i| json!({"subject": format!("{prefix}-{i}"), "comment": {"body": "bulk"}}))
        .collect();
    json!({ "tickets": tickets })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sandboxes_on_one_postgres_are_one_account() {
    let Some(db) = postgres_database() else {
        return;
    };
    let http = client();
    let a = serve(&db, TOKEN, &[]);
    let b = serve(&db, TOKEN, &[]);

    // Writes through either are read through both.
    let (status, created) = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/v2/tickets.json", a.base),
        Some(json!({"ticket": {"subject": "written through A", "comment": {"body": "toner is low"}}})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["ticket"]["id"].as_i64().expect("an id");
    let through_b = get(&http, &format!("{}/api/v2/tickets/{id}.json", b.base)).await;
    assert_eq!(through_b["ticket"]["subject"], json!("written through A"));
    let (status, _) = call(
        &http,
        reqwest::Method::PUT,
        &format!("{}/api/v2/tickets/{id}.json", b.base),
        Some(json!({"ticket": {"status": "pending", "comment": {"body": "ordered more", "public": false}}})),
    )
    .await;
    assert_eq!(status, 200);
    let through_a = get(&http, &format!("{}/api/v2/tickets/{id}.json", a.base)).await;
    assert_eq!(through_a["ticket"]["status"], json!("pending"));
    // Full text written by B is found through A (its internal note included, for an agent).
    let found = get(
        &http,
        &format!("{}/api/v2/search.json?query=type:ticket%20ordered", a.base),
    )
    .await;
    assert_eq!(found["count"], json!(1), "{found}");
    // Ids come from one sequence: users created through both never collide.
    let mut user_ids = Vec::new();
    for (n, served) in [&a, &b, &a, &b].iter().enumerate() {
        let (status, user) = call(
            &http,
            reqwest::Method::POST,
            &format!("{}/api/v2/users.json", served.base),
            Some(json!({"user": {"name": format!("Customer {n}"), "email": format!("c{n}@example.com")}})),
        )
        .await;
        assert_eq!(status, 201, "{user}");
        user_ids.push(user["user"]["id"].as_i64().expect("an id"));
    }
    let mut unique = user_ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 4, "{user_ids:?}");

    // The token key is shared: an OAuth token issued through A signs in through B.
    let (status, issued) = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/v2/oauth/tokens.json", a.base),
        Some(json!({"token": {"scopes": ["read"]}})),
    )
    .await;
    assert_eq!(status, 201, "{issued}");
    let bearer = issued["token"]["full_token"].as_str().expect("a token");
    let me = http
        .get(format!("{}/api/v2/users/me.json", b.base))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("B answers");
    assert_eq!(me.status().as_u16(), 200);
    let me: Value = me.json().await.expect("JSON");
    assert_eq!(me["user"]["email"], json!("admin@example.com"));

    // A cursor issued by A pages on B.
    for n in 0..5 {
        call(
            &http,
            reqwest::Method::POST,
            &format!(
                "{}/api/v2/tickets.json",
                if n % 2 == 0 { &a.base } else { &b.base }
            ),
            Some(json!({"ticket": {"subject": format!("paged {n}"), "comment": {"body": "x"}}})),
        )
        .await;
    }
    let first = get(
        &http,
        &format!("{}/api/v2/tickets.json?page[size]=2", a.base),
    )
    .await;
    let next = first["links"]["next"].as_str().expect("a next link");
    let on_b = next.replace(&a.base, &b.base);
    assert_ne!(on_b, next, "the link names A's host");
    let second = get(&http, &on_b).await;
    let ids = |page: &Value| -> Vec<i64> {
        page["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    let (first_ids, second_ids) = (ids(&first), ids(&second));
    assert_eq!(second_ids.len(), 2);
    assert!(
        first_ids.iter().max() < second_ids.iter().min(),
        "{first_ids:?} then {second_ids:?}"
    );

    // 30 bulk jobs submitted through both at once: each runs exactly once.
    let mut submissions = Vec::new();
    for job in 0..30 {
        let base = if job % 2 == 0 {
            a.base.clone()
        } else {
            b.base.clone()
        };
        let http = http.clone();
        submissions.push(tokio::spawn(async move {
            let (status, body) = call(
                &http,
                reqwest::Method::POST,
                &format!("{base}/api/v2/tickets/create_many.json"),
                Some(bulk(&format!("job{job}"), 4)),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["job_status"]["id"]
                .as_str()
                .expect("a job id")
                .to_string()
        }));
    }
    let mut jobs = Vec::new();
    for submission in submissions {
        jobs.push(submission.await.expect("submitted"));
    }
    for (n, id) in jobs.iter().enumerate() {
        // Followed through the other process than the one that took it.
        let base = if n % 2 == 0 { &b.base } else { &a.base };
        let (job, _) = finish(&http, base, id, Duration::from_secs(120)).await;
        assert_eq!(job["status"], json!("completed"), "{job}");
        assert_eq!(job["results"].as_array().map(Vec::len), Some(4), "{job}");
    }
    let counts = subjects(&http, &b.base).await;
    for job in 0..30 {
        for item in 0..4 {
            let subject = format!("job{job}-{item}");
            assert_eq!(counts.get(&subject), Some(&1), "{subject}: {counts:?}");
        }
    }

    // kill -9 of the process running a job: the other reports it, resumes it and finishes it
    // without doing an item twice. B is paused (SIGSTOP) while the job is submitted to A, so
    // that A alone can claim it; B goes on once A is dead.
    signal(&b, "-STOP");
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/v2/tickets/create_many.json", a.base),
        Some(bulk("long", 100)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["job_status"]["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    let progress_at_kill = loop {
        let job = get(&http, &format!("{}/api/v2/job_statuses/{id}.json", a.base)).await;
        let job = &job["job_status"];
        let progress = job["progress"].as_i64().unwrap_or(0);
        assert_ne!(
            job["status"],
            json!("completed"),
            "the job ended before it was caught"
        );
        if job["status"] == json!("working") && progress > 0 {
            break progress;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the job never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let mut a = a;
    a.child.kill().expect("kill -9 A"); // SIGKILL: no shutdown, no drain
    let _ = a.child.wait();
    signal(&b, "-CONT");

    // B tells the truth while it waits: the job is still working (for all B knows its runner
    // is alive), with the items that took effect counted, and not all of them.
    let seen = get(&http, &format!("{}/api/v2/job_statuses/{id}.json", b.base)).await;
    let seen = &seen["job_status"];
    assert_eq!(seen["status"], json!("working"), "{seen}");
    let done_at_kill = seen["progress"].as_i64().unwrap_or(0);
    assert!(
        (progress_at_kill..100).contains(&done_at_kill),
        "{done_at_kill} items done when A died (A had shown {progress_at_kill})"
    );

    // After 30 s of heartbeat silence (and B's next sweep), B resumes and finishes it.
    let (job, messages) = finish(&http, &b.base, &id, Duration::from_secs(120)).await;
    assert_eq!(job["status"], json!("completed"), "{job}");
    assert_eq!(job["results"].as_array().map(Vec::len), Some(100), "{job}");
    let message = job["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!(
            "resumed after the sandbox first running it stopped: {done_at_kill} of 100 items"
        )),
        "the final message says the job was resumed and from where: {message} (seen: {messages:?})"
    );
    let counts = subjects(&http, &b.base).await;
    for item in 0..100 {
        let subject = format!("long-{item}");
        assert_eq!(
            counts.get(&subject),
            Some(&1),
            "{subject}: created exactly once"
        );
    }
}

/// Sends a signal (`-STOP`, `-CONT`) to a sandbox process.
fn signal(served: &Served, which: &str) {
    // The shell's own `kill`: no dependency on a kill binary being installed.
    let status = Command::new("sh")
        .args(["-c", &format!("kill {which} {}", served.child.id())])
        .status()
        .expect("sh runs");
    assert!(status.success(), "kill {which}");
}

/// `--rate-limit N` is one budget for the account, however many processes serve it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_counted_across_processes() {
    let Some(db) = postgres_database() else {
        return;
    };
    let http = client();
    let a = serve(&db, TOKEN, &["--rate-limit", "6"]);
    let b = serve(&db, TOKEN, &["--rate-limit", "6"]);
    // One fixed window per minute: start well inside one.
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() % 60)
        .unwrap_or(0);
    if second > 45 {
        tokio::time::sleep(Duration::from_secs(62 - second)).await;
    }
    let mut remaining = Vec::new();
    for n in 0..6 {
        let base = if n % 2 == 0 { &a.base } else { &b.base };
        let response = http
            .get(format!("{base}/api/v2/users/me.json"))
            .basic_auth("admin@example.com/token", Some(TOKEN))
            .send()
            .await
            .expect("answers");
        assert_eq!(response.status().as_u16(), 200, "request {n}");
        remaining.push(
            response.headers()["ratelimit-remaining"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(
        remaining,
        ["5", "4", "3", "2", "1", "0"],
        "one count across A and B"
    );
    for base in [&a.base, &b.base] {
        let refused = http
            .get(format!("{base}/api/v2/users/me.json"))
            .basic_auth("admin@example.com/token", Some(TOKEN))
            .send()
            .await
            .expect("answers");
        assert_eq!(
            refused.status().as_u16(),
            429,
            "{base} knows the budget is spent"
        );
        assert!(refused.headers().contains_key("retry-after"));
    }
}
