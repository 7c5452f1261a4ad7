//! Two `zd sandbox serve` processes on one PostgreSQL database are one account, for credentials
//! too: a token revoked, a user suspended, deleted or demoted, a password changed through
//! process A is refused by process B within 2 s, even while B is serving that credential every
//! 100-200 ms (a sign-in cache must expire by the time since it was filled, not since it was
//! last used), and never accepted again; a user created through A signs in through B at once;
//! failed sign-ins are counted once for the account, whichever process saw them.
//!
//! Runs when `ZD_TEST_DATABASE_URL` names a PostgreSQL server (`scripts/test` starts one); with
//! `ZD_REQUIRE_POSTGRES=1` (CI) its absence is a failure, not a skip.

mod served;

use std::future::Future;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use served::{Served, postgres_database, serve};

const TOKEN: &str = "two-process-revocation-admin-token";
const PASSWORD: &str = "first-pass-word";
/// How soon every process must see a change to a credential.
const WITHIN: Duration = Duration::from_secs(2);
/// Scheduling slack on a loaded 2-core machine, on top of [`WITHIN`].
const SLACK: Duration = Duration::from_millis(500);
/// How long B is watched after a change before the test gives up on seeing a refusal.
const GIVE_UP: Duration = Duration::from_secs(6);

/// Two processes on one fresh schema, or `None` when PostgreSQL is not configured.
fn two_processes() -> Option<(Served, Served)> {
    let db = postgres_database()?;
    let a = serve(&db, TOKEN, &[]);
    let b = serve(&db, TOKEN, &[]);
    Some((a, b))
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a client")
}

fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

fn admin() -> String {
    basic("admin@example.com/token", TOKEN)
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    auth: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http.request(method, url).header("authorization", auth);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the sandbox answers");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

async fn status(http: &reqwest::Client, url: &str, auth: &str) -> u16 {
    call(http, reqwest::Method::GET, url, auth, None).await.0
}

/// A user made through `served` with a password: (id, email, its Basic header).
async fn user(
    http: &reqwest::Client,
    served: &Served,
    name: &str,
    role: &str,
) -> (i64, String, String) {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let (status, body) = call(
        http,
        reqwest::Method::POST,
        &format!("{}/api/v2/users.json", served.base),
        &admin(),
        Some(json!({"user": {"name": name, "email": email, "role": role, "password": PASSWORD}})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["user"]["id"].as_i64().expect("a user id");
    let auth = basic(&email, PASSWORD);
    (id, email, auth)
}

/// An OAuth token minted through `served` for `user`: (token id, Bearer header).
async fn token(http: &reqwest::Client, served: &Served, user: i64) -> (i64, String) {
    let (status, body) = call(
        http,
        reqwest::Method::POST,
        &format!("{}/api/v2/oauth/tokens.json", served.base),
        &admin(),
        Some(json!({"token": {"user_id": user, "scopes": ["read", "write"]}})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (
        body["token"]["id"].as_i64().expect("a token id"),
        format!(
            "Bearer {}",
            body["token"]["full_token"].as_str().expect("a token")
        ),
    )
}

/// What B answered a credential, watched every 100-200 ms from before a change made through A.
struct Watched {
    /// After the change was acknowledged, when B first refused (None: it never did).
    first_refusal: Option<Duration>,
    /// Statuses B answered after its first refusal.
    after: Vec<u16>,
    /// Every (ms since the change, status) seen after it.
    seen: Vec<(u128, u16)>,
}

/// Uses `auth` on `url` (served by B) every 100-200 ms: a few times before `change` (each
/// accepted, so B has it cached and fresh), then, from the moment `change` (a write through A)
/// is acknowledged, until B has refused it for 1.5 s or [`GIVE_UP`] has passed.
async fn watch<F: Future<Output = ()>>(
    http: &reqwest::Client,
    url: &str,
    auth: &str,
    change: F,
) -> Watched {
    // 100-200 ms, varied by the clock's nanoseconds (no random generator in this crate).
    let pause = || {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .subsec_nanos();
        Duration::from_millis(100 + u64::from(nanos % 100))
    };
    for _ in 0..5 {
        assert_eq!(
            status(http, url, auth).await,
            200,
            "before the change: {url}"
        );
        tokio::time::sleep(pause()).await;
    }
    change.await;
    let changed = Instant::now();
    let mut watched = Watched {
        first_refusal: None,
        after: Vec::new(),
        seen: Vec::new(),
    };
    loop {
        let answered = status(http, url, auth).await;
        let at = changed.elapsed();
        watched.seen.push((at.as_millis(), answered));
        match watched.first_refusal {
            Some(first) => {
                watched.after.push(answered);
                if at >= first + Duration::from_millis(1500) {
                    return watched;
                }
            }
            None if answered != 200 => {
                watched.first_refusal = Some(at);
                watched.after.push(answered);
            }
            None if at >= GIVE_UP => return watched,
            None => {}
        }
        tokio::time::sleep(pause()).await;
    }
}

/// B refused within [`WITHIN`] (plus slack) of the change, with one of `refusals`, and never
/// accepted again.
fn refused_in_time(what: &str, watched: &Watched, refusals: &[u16]) {
    let Some(first) = watched.first_refusal else {
        panic!(
            "{what}: process B still accepted it {GIVE_UP:?} after the change through A \
             (ms after the change, status): {:?}",
            watched.seen
        );
    };
    println!("{what}: refused by B {first:?} after the change through A");
    assert!(
        first <= WITHIN + SLACK,
        "{what}: B first refused {first:?} after the change, later than {WITHIN:?}: {:?}",
        watched.seen
    );
    assert!(
        watched.after.iter().all(|s| refusals.contains(s)),
        "{what}: after refusing, B answered {:?} (wanted only {refusals:?})",
        watched.after
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_on_one_process_is_refused_on_the_other_within_two_seconds_of_use() {
    let Some((a, b)) = two_processes() else {
        return;
    };
    let http = client();
    let (agent, _, _) = user(&http, &a, "Revoked Agent", "agent").await;
    let (token_id, bearer) = token(&http, &a, agent).await;
    let watched = watch(
        &http,
        &format!("{}/api/v2/tickets.json", b.base),
        &bearer,
        async {
            let (status, body) = call(
                &http,
                reqwest::Method::DELETE,
                &format!("{}/api/v2/oauth/tokens/{token_id}.json", a.base),
                &admin(),
                None,
            )
            .await;
            assert_eq!(status, 204, "{body}");
        },
    )
    .await;
    refused_in_time("a revoked token", &watched, &[401]);
    // Nor does it write through B.
    let (status, _) = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/v2/tickets.json", b.base),
        &bearer,
        Some(json!({"ticket": {"subject": "after revocation", "comment": {"body": "x"}}})),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_suspended_on_one_process_is_refused_on_the_other_within_two_seconds() {
    let Some((a, b)) = two_processes() else {
        return;
    };
    let http = client();
    let (agent, _, password) = user(&http, &a, "Suspended Agent", "agent").await;
    let (_, bearer) = token(&http, &a, agent).await;
    let url = format!("{}/api/v2/tickets.json", b.base);
    assert_eq!(status(&http, &url, &bearer).await, 200);
    // The user's token is in use on B too, all along.
    let suspended_at = std::sync::Arc::new(std::sync::Mutex::new(None::<Instant>));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let by_token = {
        let (http, url, bearer, stop) = (http.clone(), url.clone(), bearer.clone(), stop.clone());
        tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                seen.push((Instant::now(), status(&http, &url, &bearer).await));
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            seen
        })
    };
    let watched = watch(&http, &url, &password, async {
        let (status, body) = call(
            &http,
            reqwest::Method::PUT,
            &format!("{}/api/v2/users/{agent}.json", a.base),
            &admin(),
            Some(json!({"user": {"suspended": true}})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        *suspended_at.lock().unwrap() = Some(Instant::now());
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let by_token = by_token.await.expect("the token's use");
    refused_in_time("a suspended user's password", &watched, &[401, 403]);
    let suspended_at = suspended_at.lock().unwrap().expect("suspended");
    let after: Vec<(u128, u16)> = by_token
        .iter()
        .filter(|(at, _)| *at >= suspended_at)
        .map(|(at, status)| ((*at - suspended_at).as_millis(), *status))
        .collect();
    let first = after.iter().position(|(_, status)| *status != 200);
    let Some(first) = first else {
        panic!("a suspended user's token: B still accepted it (ms after, status): {after:?}");
    };
    assert!(
        after[first].0 <= (WITHIN + SLACK).as_millis(),
        "a suspended user's token: first refused {} ms after the suspension: {after:?}",
        after[first].0
    );
    assert!(
        after[first..].iter().all(|(_, s)| *s == 401 || *s == 403),
        "a suspended user's token, accepted again on B: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_deleted_on_one_process_is_refused_on_the_other_within_two_seconds() {
    let Some((a, b)) = two_processes() else {
        return;
    };
    let http = client();
    let (agent, _, password) = user(&http, &a, "Deleted Agent", "agent").await;
    let watched = watch(
        &http,
        &format!("{}/api/v2/tickets.json", b.base),
        &password,
        async {
            let (status, body) = call(
                &http,
                reqwest::Method::DELETE,
                &format!("{}/api/v2/users/{agent}.json", a.base),
                &admin(),
                None,
            )
            .await;
            assert_eq!(status, 200, "{body}");
        },
    )
    .await;
    refused_in_time("a deleted user's password", &watched, &[401, 403]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_demoted_on_one_process_loses_agent_access_on_the_other_within_two_seconds() {
    let Some((a, b)) = two_processes() else {
        return;
    };
    let http = client();
    let (agent, _, password) = user(&http, &a, "Demoted Agent", "agent").await;
    // Listing users is for agents: a demoted agent's password may still sign in, as an end-user.
    let watched = watch(
        &http,
        &format!("{}/api/v2/users.json", b.base),
        &password,
        async {
            let (status, body) = call(
                &http,
                reqwest::Method::PUT,
                &format!("{}/api/v2/users/{agent}.json", a.base),
                &admin(),
                Some(json!({"user": {"role": "end-user"}})),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        },
    )
    .await;
    refused_in_time("a demoted agent's user list", &watched, &[401, 403]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_password_is_refused_on_the_other_process_within_two_seconds_of_a_change() {
    let Some((a, b)) = two_processes() else {
        return;
    };
    let http = client();
    let (agent, email, old) = user(&http, &a, "Rotating Agent", "agent").await;
    let watched = watch(
        &http,
        &format!("{}/api/v2/tickets.json", b.base),
        &old,
        async {
            // Zendesk's way: an admin sets the password (`POST /users/{id}/password`). A sandbox
            // without that endpoint took it through the user update; the point here is B.
            let mut answer = call(
                &http,
                reqwest::Method::POST,
                &format!("{}/api/v2/users/{agent}/password.json", a.base),
                &admin(),
                Some(json!({"password": "second-pass-word"})),
            )
            .await;
            if answer.0 == 404 {
                answer = call(
                    &http,
                    reqwest::Method::PUT,
                    &format!("{}/api/v2/users/{agent}.json", a.base),
                    &admin(),
                    Some(json!({"user": {"password": "second-pass-word"}})),
                )
                .await;
            }
            assert_eq!(answer.0, 200, "{}", answer.1);
        },
    )
    .await;
    refused_in_time("an old password", &watched, &[401]);
    let new = basic(&email, "second-pass-word");
    assert_eq!(
        status(&http, &format!("{}/api/v2/tickets.json", b.base), &new).await,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_created_on_one_process_signs_in_on_the_other_at_once() {
    let Some((a, b)) = two_processes() else {
        return;
    };
    let http = client();
    // Each process has signed someone in (its cache is warm) before the user exists.
    for served in [&a, &b] {
        assert_eq!(
            status(
                &http,
                &format!("{}/api/v2/tickets.json", served.base),
                &admin()
            )
            .await,
            200
        );
    }
    let (id, _, password) = user(&http, &a, "Brand New", "agent").await;
    let (_, bearer) = token(&http, &a, id).await;
    // Straight away, again and again (a refusal would also count as a failed sign-in).
    let mut answers = Vec::new();
    for _ in 0..12 {
        for auth in [&password, &bearer] {
            answers.push(status(&http, &format!("{}/api/v2/users/me.json", b.base), auth).await);
        }
    }
    assert!(
        answers.iter().all(|s| *s == 200),
        "a user created through A, signing in through B at once: {answers:?}"
    );
}

/// Failed sign-ins are counted for the account on the database, not per process: after 12
/// wrong passwords, 6 through each, a further wrong guess is held back by either process
/// (429, or answered only after a delay that slows guessing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_throttle_counts_failures_across_processes() {
    let Some((a, b)) = two_processes() else {
        return;
    };
    let http = client();
    let (_, email, _) = user(&http, &a, "Guessed Agent", "agent").await;
    let mut guesses = Vec::new();
    for n in 0..12 {
        let served = if n % 2 == 0 { &a } else { &b };
        let wrong = basic(&email, &format!("guess-{n}"));
        guesses.push(
            status(
                &http,
                &format!("{}/api/v2/tickets.json", served.base),
                &wrong,
            )
            .await,
        );
    }
    assert!(
        guesses.iter().all(|s| *s == 401 || *s == 429),
        "{guesses:?}"
    );
    for served in [&a, &b] {
        let wrong = basic(&email, "one-more-guess");
        let started = Instant::now();
        let answered = status(
            &http,
            &format!("{}/api/v2/tickets.json", served.base),
            &wrong,
        )
        .await;
        let took = started.elapsed();
        println!(
            "the 13th wrong password through {}: {answered} in {took:?}",
            served.base
        );
        assert!(
            answered == 429 || (answered == 401 && took >= Duration::from_secs(1)),
            "12 wrong passwords, 6 through each process, and a 13th through {} is answered \
             {answered} in {took:?}: each process counted only its own (earlier: {guesses:?})",
            served.base
        );
    }
}
