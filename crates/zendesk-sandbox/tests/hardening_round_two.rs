//! Defences against abuse by signed-in users and strangers, each asked for through the HTTP API
//! as Zendesk behaves (or as a server that keeps secrets must):
//!
//! - a private first comment never reaches the end-user, as `description` or through search;
//! - passwords change only through Zendesk's password endpoints (`previous_password` for one's
//!   own, an admin for others), and OAuth tokens issued before a password change, a role
//!   change or a suspension stay dead;
//! - a flood of stalled request bodies leaves room for a normal request;
//! - end-users search nothing they cannot read (agents' notes, details, tags, group names);
//! - wrong passwords or client secrets from strangers never lock the owner's valid credential
//!   out, and a wrong password costs the same time whether the email exists or not;
//! - a large comment is stored about once;
//! - loopback redirect URIs carry a valid port, an end-user's comment is public, and a
//!   PostgreSQL outage answers 503 with `Retry-After`.
//!
//! Each runs on SQLite, and on PostgreSQL when `ZD_TEST_DATABASE_URL` names one. What needs
//! two processes (revocation seen by another process, the throttle across processes) is in
//! `crates/zd/tests/two_process_revocation.rs`; what needs a process of its own (its memory,
//! its key file) in `crates/zd/tests/hardening_served.rs`.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{ADMIN_TOKEN, Reply, Sb, admin, basic, sandbox, sandbox_with};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zendesk_sandbox::{Config, Sandbox, ServerLimits};

/// The password `common::Sb::user` gives every user it makes.
const PASSWORD: &str = "pass-word-1";
const REDIRECT: &str = "http://127.0.0.1/callback";
/// A loopback redirect on some port, as a native app's one-shot listener sends it.
const LISTENER: &str = "http://127.0.0.1:49152/callback";
/// RFC 7636's example pair.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn email_of(name: &str) -> String {
    format!("{}@example.com", name.to_lowercase().replace(' ', "."))
}

/// An OAuth token the admin mints for `user` (`POST /api/v2/oauth/tokens`): its Bearer header.
async fn token_for(sb: &Sb, user: i64, scopes: &[&str]) -> String {
    let reply = sb
        .post(
            "/api/v2/oauth/tokens.json",
            json!({"token": {"user_id": user, "scopes": scopes}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let token = reply.body["token"]["full_token"]
        .as_str()
        .expect("a full_token");
    format!("Bearer {token}")
}

async fn status_as(sb: &Sb, auth: &str, path: &str) -> StatusCode {
    sb.call(Method::GET, path, Some(auth), None).await.status
}

/// `GET /users/me` with `auth`: the status and the role the sandbox signed in.
async fn me(sb: &Sb, auth: &str) -> (StatusCode, Value) {
    let reply = sb
        .call(Method::GET, "/api/v2/users/me.json", Some(auth), None)
        .await;
    (reply.status, reply.body["user"]["role"].clone())
}

/// What an end-user's search for something they may not read must answer: a refusal (Zendesk
/// opens search to agents only) or no result, and never the text itself.
fn finds_nothing(reply: &Reply, asked: &str, secret: &str) {
    assert!(
        !reply.text.contains(secret),
        "{asked}: the answer carries `{secret}`: {}",
        reply.text
    );
    if reply.status == StatusCode::FORBIDDEN {
        return;
    }
    assert_eq!(reply.status, StatusCode::OK, "{asked}: {}", reply.text);
    if let Some(count) = reply.body.get("count") {
        assert_eq!(count, &json!(0), "{asked} matched: {}", reply.text);
    }
    if let Some(results) = reply.body.get("results") {
        assert_eq!(results, &json!([]), "{asked} matched: {}", reply.text);
    }
}

// -- A private first comment ---------------------------------------------------------------

/// Zendesk: "Ticket comments ... can be public or private"; `description` is the first comment,
/// and an end-user is shown only public comments (the Requests API an end-user uses serves
/// public comments only). Here an agent opens a ticket for an end-user with an internal note.
#[tokio::test]
async fn a_private_first_comment_reaches_the_end_user_by_no_route() {
    let sb = sandbox().await;
    let (customer, as_customer) = sb.user("Private Requester", "end-user").await;
    let secret = "zanzibarquill";
    let created = sb
        .post(
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "Refund request", "requester_id": customer,
                   "comment": {"body": format!("SECRET: approve the override {secret} before replying"),
                               "public": false}}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["ticket"]["id"].as_i64().expect("an id");
    let reply = sb
        .put(
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"comment": {"body": "We are looking into your refund.", "public": true}}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    // The agent reads and finds the note.
    let shown = sb.get(&format!("/api/v2/tickets/{id}.json")).await;
    assert!(
        shown.body["ticket"]["description"]
            .as_str()
            .is_some_and(|d| d.contains(secret)),
        "{}",
        shown.text
    );
    let found = sb
        .get(&format!(
            "/api/v2/search.json?query={}",
            encode(&format!("type:ticket {secret}"))
        ))
        .await;
    assert_eq!(found.body["count"], json!(1), "{}", found.text);

    // The end-user reads their ticket everywhere it is served, and never the note.
    for (path, shown) in [
        (format!("/api/v2/tickets/{id}.json"), "Refund request"),
        ("/api/v2/tickets.json".to_string(), "Refund request"),
        (
            format!("/api/v2/tickets/show_many.json?ids={id}"),
            "Refund request",
        ),
        (
            "/api/v2/tickets.json?page%5Bsize%5D=10".to_string(),
            "Refund request",
        ),
        (
            format!("/api/v2/tickets/{id}/comments.json"),
            "looking into your refund",
        ),
    ] {
        let reply = sb.call(Method::GET, &path, Some(&as_customer), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text);
        assert!(reply.text.contains(shown), "{path}: {}", reply.text);
        assert!(
            !reply.text.contains(secret),
            "{path} shows the end-user the internal note: {}",
            reply.text
        );
    }
    // Nor does search match it.
    for query in [
        format!("type:ticket {secret}"),
        secret.to_string(),
        format!("type:ticket description:{secret}"),
        "type:ticket description:zanzibar*".to_string(),
        format!("type:ticket comment:{secret}"),
    ] {
        for path in [
            format!("/api/v2/search.json?query={}", encode(&query)),
            format!("/api/v2/search/count.json?query={}", encode(&query)),
            format!(
                "/api/v2/search/export.json?filter%5Btype%5D=ticket&query={}",
                encode(&query)
            ),
        ] {
            let reply = sb.call(Method::GET, &path, Some(&as_customer), None).await;
            finds_nothing(&reply, &path, secret);
        }
    }
}

// -- Passwords and the sign-ins they end -----------------------------------------------------

/// Zendesk sets passwords only through `/api/v2/users/{user_id}/password` ("User Passwords":
/// `PUT` to change one's own with `previous_password`, `POST` for an admin to set another's);
/// the Users API's user has no `password` property. The sandbox refuses it there (no silently
/// dropped parameter), naming the password endpoint, and nothing changes.
#[tokio::test]
async fn put_users_with_a_password_is_refused_for_every_caller() {
    let sb = sandbox().await;
    let (customer, as_customer) = sb.user("Pw Customer", "end-user").await;
    let (agent, as_agent) = sb.user("Pw Agent", "agent").await;
    let agent_token = token_for(&sb, agent, &["users:read", "users:write"]).await;
    let attempts = [
        (
            "an end-user on themselves",
            customer,
            as_customer.clone(),
            "Pw Customer",
        ),
        (
            "an agent's users:write token on its own account",
            agent,
            agent_token.clone(),
            "Pw Agent",
        ),
        ("an admin on an agent", agent, admin(), "Pw Agent"),
        ("an admin on an end-user", customer, admin(), "Pw Customer"),
    ];
    for (who, target, auth, name) in attempts {
        let taken = format!("taken-over-{target}");
        let reply = sb
            .call(
                Method::PUT,
                &format!("/api/v2/users/{target}.json"),
                Some(&auth),
                Some(json!({"user": {"password": taken}})),
            )
            .await;
        assert!(
            reply.status.is_client_error(),
            "{who}: PUT /users/{{id}} with a password answered {}: {}",
            reply.status,
            reply.text
        );
        assert!(
            reply.text.contains("/password"),
            "{who}: the refusal names the password endpoint: {}",
            reply.text
        );
        let email = email_of(name);
        assert_eq!(
            me(&sb, &basic(&email, &taken)).await.0,
            StatusCode::UNAUTHORIZED,
            "{who}: the password sent signs in"
        );
        assert_eq!(me(&sb, &basic(&email, PASSWORD)).await.0, StatusCode::OK);
    }
    assert_eq!(me(&sb, &agent_token).await.0, StatusCode::OK);
    assert_eq!(me(&sb, &as_agent).await.0, StatusCode::OK);
}

/// Zendesk's User Passwords API: `PUT /api/v2/users/{user_id}/password` with
/// `previous_password` and `password` changes one's own ("You can only change your own
/// password"); `POST` with `password` is an admin setting another's; both answer 200. "This API
/// does not support OAuth tokens scoped for users:write or users:read."
#[tokio::test]
async fn own_password_changes_with_the_previous_one_and_others_only_by_an_admin() {
    let sb = sandbox().await;
    let (customer, as_customer) = sb.user("Pw Owner", "end-user").await;
    let (agent, as_agent) = sb.user("Pw Helper", "agent").await;
    let customer_email = email_of("Pw Owner");
    let agent_email = email_of("Pw Helper");
    let own = format!("/api/v2/users/{customer}/password.json");
    let change = |auth: &str, body: Value| {
        let (auth, own) = (auth.to_string(), own.clone());
        let sb = &sb;
        async move { sb.call(Method::PUT, &own, Some(&auth), Some(body)).await }
    };

    // Without the previous password, or with a wrong one: refused, nothing changes.
    for body in [
        json!({"password": "Brand-new-pw-1"}),
        json!({"previous_password": "not-it-at-all", "password": "Brand-new-pw-1"}),
    ] {
        let reply = change(&as_customer, body.clone()).await;
        assert!(
            reply.status.is_client_error() && reply.status != StatusCode::NOT_FOUND,
            "{body}: {} {}",
            reply.status,
            reply.text
        );
        assert_eq!(
            me(&sb, &basic(&customer_email, "Brand-new-pw-1")).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // Nobody changes another's password this way, an agent included.
    let reply = sb
        .call(
            Method::PUT,
            &own,
            Some(&as_agent),
            Some(json!({"previous_password": PASSWORD, "password": "Agent-chose-1"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    // A token scoped users:write is not enough for this API, even on its own account.
    let scoped = token_for(&sb, customer, &["users:read", "users:write"]).await;
    let reply = change(
        &scoped,
        json!({"previous_password": PASSWORD, "password": "Token-chose-1"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    assert_eq!(
        me(&sb, &basic(&customer_email, "Token-chose-1")).await.0,
        StatusCode::UNAUTHORIZED
    );

    // With the previous password: changed; the new one signs in, the old one no longer.
    let reply = change(
        &as_customer,
        json!({"previous_password": PASSWORD, "password": "Brand-new-pw-1"}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        me(&sb, &basic(&customer_email, "Brand-new-pw-1")).await.0,
        StatusCode::OK
    );
    assert_eq!(me(&sb, &as_customer).await.0, StatusCode::UNAUTHORIZED);

    // An admin sets another's; an agent may not.
    let set = format!("/api/v2/users/{agent}/password.json");
    let reply = sb
        .call(
            Method::POST,
            &format!("/api/v2/users/{customer}/password.json"),
            Some(&as_agent),
            Some(json!({"password": "Agent-set-1"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    let reply = sb
        .call(
            Method::POST,
            &set,
            Some(&admin()),
            Some(json!({"password": "Admin-set-1"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        me(&sb, &basic(&agent_email, "Admin-set-1")).await.0,
        StatusCode::OK
    );
    assert_eq!(me(&sb, &as_agent).await.0, StatusCode::UNAUTHORIZED);
}

/// A credential change ends the sign-ins made before it: an OAuth token issued before an
/// admin sets the user's password, or before the user's role changes, is refused afterwards
/// (Zendesk answers a dead token `401 invalid_token`).
#[tokio::test]
async fn oauth_tokens_issued_before_a_password_change_or_a_role_change_are_revoked() {
    let sb = sandbox().await;
    let (agent, _) = sb.user("Token Keeper", "agent").await;
    let before = token_for(&sb, agent, &["read", "write"]).await;
    assert_eq!(me(&sb, &before).await.0, StatusCode::OK);
    let reply = sb
        .post(
            &format!("/api/v2/users/{agent}/password.json"),
            json!({"password": "Reset-by-admin-1"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let after = sb
        .call(Method::GET, "/api/v2/users/me.json", Some(&before), None)
        .await;
    assert_eq!(
        after.status,
        StatusCode::UNAUTHORIZED,
        "a token issued before the password change still signs in: {}",
        after.text
    );
    assert_eq!(
        after.body["error"],
        json!("invalid_token"),
        "{}",
        after.text
    );

    // A token issued after the change works, until the user's role changes.
    let current = token_for(&sb, agent, &["read", "write"]).await;
    assert_eq!(me(&sb, &current).await, (StatusCode::OK, json!("agent")));
    let demoted = sb
        .put(
            &format!("/api/v2/users/{agent}.json"),
            json!({"user": {"role": "end-user"}}),
        )
        .await;
    assert_eq!(demoted.status, StatusCode::OK, "{}", demoted.text);
    assert_eq!(
        me(&sb, &current).await.0,
        StatusCode::UNAUTHORIZED,
        "a token issued before the role change still signs in"
    );
}

// -- Stalled bodies (the serving limits of http-serve, checked here end to end) -------------

/// Opens a connection that declares a 100,000-byte token request, sends one byte, and stalls.
async fn stalled_token_request(addr: std::net::SocketAddr) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(
            b"POST /oauth/tokens HTTP/1.1\r\nHost: sandbox.test\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
        )
        .await?;
    Ok(stream)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_stalled_token_requests_leaves_users_me_answered_within_five_seconds() {
    let limits = ServerLimits {
        max_connections: 48,
        ..ServerLimits::default()
    };
    let running = Sandbox::start_with_limits(
        Config {
            db_url: zendesk_sandbox::test_db_url(),
            ..Config::in_memory(ADMIN_TOKEN)
        },
        limits,
    )
    .await
    .expect("the sandbox starts");
    let addr = running.local_addr();
    // Twice the slots, each reconnecting whenever the server closes it.
    let flood: Vec<_> = (0..96)
        .map(|_| {
            tokio::spawn(async move {
                loop {
                    match stalled_token_request(addr).await {
                        Ok(mut stream) => {
                            let mut sink = Vec::new();
                            let _ = tokio::time::timeout(
                                Duration::from_secs(60),
                                stream.read_to_end(&mut sink),
                            )
                            .await;
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let request = format!(
        "GET /api/v2/users/me.json HTTP/1.1\r\nHost: sandbox.test\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
        admin()
    );
    let mut waits = Vec::new();
    for _ in 0..5 {
        let asked = Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(5), async {
            let mut stream = TcpStream::connect(addr).await?;
            stream.write_all(request.as_bytes()).await?;
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await?;
            Ok::<_, std::io::Error>(String::from_utf8_lossy(&raw).to_string())
        })
        .await;
        let answer = match answer {
            Ok(Ok(answer)) => answer,
            other => panic!(
                "GET /users/me not answered within 5 s during the flood ({:?} after {waits:?})",
                other.map(|r| r.map(|_| ()))
            ),
        };
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("admin@example.com"), "{answer}");
        waits.push(asked.elapsed());
    }
    println!("GET /users/me during a flood of 96 stalled token requests: {waits:?}");
    for task in flood {
        task.abort();
    }
    running.shutdown().await.expect("the sandbox stops");
}

// -- What end-users may search ---------------------------------------------------------------

/// Zendesk opens search to agents ("Allowed For: Agents"), and never shows an end-user agents'
/// notes, details or tags about them, nor a private group's name. Here every such query finds
/// the end-user's record for an agent and nothing for the end-user (refused, or no result).
#[tokio::test]
async fn end_users_search_nothing_they_cannot_read() {
    let sb = sandbox().await;
    let group = sb
        .post(
            "/api/v2/groups.json",
            json!({"group": {"name": "Fraudwatch Tier", "is_public": false}}),
        )
        .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.text);
    let group = group.body["group"]["id"].as_i64().expect("a group id");
    let (customer, as_customer) = sb.user("Searching Customer", "end-user").await;
    let annotated = sb
        .put(
            &format!("/api/v2/users/{customer}.json"),
            json!({"user": {"notes": "quokkaledger chargeback risk", "details": "wombatvault account",
                            "tags": ["marsupialvip"]}}),
        )
        .await;
    assert_eq!(annotated.status, StatusCode::OK, "{}", annotated.text);
    let ticket = sb
        .post(
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "Where is my parcel", "requester_id": customer,
                              "group_id": group, "tags": ["escalationsecret"],
                              "comment": {"body": "It has not arrived", "public": true}}}),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{}", ticket.text);
    // The end-user reads their own record and ticket without these annotations.
    let own = sb
        .call(
            Method::GET,
            "/api/v2/users/me.json",
            Some(&as_customer),
            None,
        )
        .await;
    assert!(!own.text.contains("quokkaledger") && !own.text.contains("marsupialvip"));

    for (query, hidden) in [
        ("type:user notes:quokkaledger", "quokkaledger"),
        ("type:user quokkaledger", "quokkaledger"),
        ("type:user notes:quok*", "quokkaledger"),
        ("type:user notes:q*", "quokkaledger"),
        ("type:user details:wombatvault", "wombatvault"),
        ("type:user details:wom*", "wombatvault"),
        ("type:user tags:marsupialvip", "marsupialvip"),
        ("type:user tags:marsu*", "marsupialvip"),
        ("type:ticket tags:escalationsecret", "escalationsecret"),
        ("type:ticket tags:escalation*", "escalationsecret"),
        ("type:ticket group:Fraudwatch*", "Fraudwatch"),
        ("type:ticket group:\"Fraudwatch Tier\"", "Fraudwatch"),
    ] {
        let path = format!("/api/v2/search.json?query={}", encode(query));
        let for_agent = sb.get(&path).await;
        assert_eq!(
            for_agent.body["count"],
            json!(1),
            "{query} finds the record for an agent: {}",
            for_agent.text
        );
        let reply = sb.call(Method::GET, &path, Some(&as_customer), None).await;
        finds_nothing(&reply, query, hidden);
        let count = sb
            .call(
                Method::GET,
                &format!("/api/v2/search/count.json?query={}", encode(query)),
                Some(&as_customer),
                None,
            )
            .await;
        finds_nothing(&count, query, hidden);
    }
}

// -- Failed sign-ins never lock the owner out ------------------------------------------------

/// Guessing may be slowed, but a valid credential is never refused because someone else sent
/// wrong ones for the same account (on loopback every client shares one address, so the
/// owner and the stranger cannot be told apart by address).
#[tokio::test]
async fn wrong_passwords_never_lock_the_owner_out_of_a_valid_token_or_password() {
    let sb = sandbox().await;
    let (_, as_owner) = sb.user("Locked Owner", "agent").await;
    let owner_email = email_of("Locked Owner");
    let mut guesses = Vec::new();
    for n in 0..12 {
        for email in ["admin@example.com", owner_email.as_str()] {
            let reply = sb
                .call(
                    Method::GET,
                    "/api/v2/tickets.json",
                    Some(&basic(email, &format!("guess-{n}"))),
                    None,
                )
                .await;
            guesses.push(reply.status.as_u16());
        }
    }
    assert!(
        guesses.iter().all(|s| *s == 401 || *s == 429),
        "{guesses:?}"
    );
    // Past the 2 s a sign-in may be cached, so that both are checked afresh: the admin's API
    // token (the same account as the guessed email) and the owner's password.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let token = sb.get("/api/v2/tickets.json").await;
    assert_eq!(
        token.status,
        StatusCode::OK,
        "the admin's valid API token after 12 wrong passwords for its email: {}",
        token.text
    );
    let password = sb
        .call(Method::GET, "/api/v2/tickets.json", Some(&as_owner), None)
        .await;
    assert_eq!(
        password.status,
        StatusCode::OK,
        "the owner's valid password after 12 wrong ones: {}",
        password.text
    );
}

async fn post_form(sb: &Sb, path: &str, fields: &[(String, String)]) -> Reply {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("host", "sandbox.test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.finish()))
        .expect("request builds");
    sb.raw(request).await
}

async fn token_request(sb: &Sb, body: Value) -> Reply {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/tokens")
        .header("host", "sandbox.test")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .expect("request builds");
    sb.raw(request).await
}

/// The hidden fields of the authorization page's form, unescaped.
fn form_fields(html: &str) -> Vec<(String, String)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
        let end = start + tag[start..].find('"')?;
        Some(
            tag[start..end]
                .replace("&quot;", "\"")
                .replace("&#39;", "'")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        )
    };
    html.split("<input")
        .skip(1)
        .filter_map(|rest| {
            let tag = &rest[..rest.find('>')?];
            (attr(tag, "type").as_deref() == Some("hidden"))
                .then(|| Some((attr(tag, "name")?, attr(tag, "value")?)))?
        })
        .collect()
}

fn authorization_query(client_id: &str, redirect_uri: &str) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", "read write"),
        ("state", "st8"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ] {
        out.append_pair(k, v);
    }
    out.finish()
}

/// Registers a client with `REDIRECT`; its answer's `client`.
async fn oauth_client(sb: &Sb, identifier: &str, kind: &str) -> Value {
    let reply = sb
        .post(
            "/api/v2/oauth/clients.json",
            json!({"client": {"name": format!("App {identifier}"), "identifier": identifier,
                              "kind": kind, "redirect_uri": [REDIRECT]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["client"].clone()
}

/// RFC 6749 §2.3.1: a confidential client authenticates with its secret; wrong secrets sent
/// by anyone (client ids are public) may be slowed but never make the right one fail, so a
/// user's refresh keeps working.
#[tokio::test]
async fn wrong_client_secrets_never_break_a_valid_refresh() {
    let sb = sandbox().await;
    let client = oauth_client(&sb, "backend_app", "confidential").await;
    let secret = client["secret"].as_str().expect("a secret").to_string();
    sb.user("Refreshing Agent", "agent").await;
    let email = email_of("Refreshing Agent");
    // The user signs in through the authorization page; the client exchanges the code.
    let path = format!(
        "/oauth/authorizations/new?{}",
        authorization_query("backend_app", LISTENER)
    );
    let shown = sb.call(Method::GET, &path, None, None).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    let mut fields = form_fields(&shown.text);
    for (k, v) in [
        ("email", email.as_str()),
        ("password", PASSWORD),
        ("decision", "allow"),
    ] {
        fields.push((k.into(), v.into()));
    }
    let allowed = post_form(&sb, "/oauth/authorizations/new", &fields).await;
    assert_eq!(allowed.status, StatusCode::FOUND, "{}", allowed.text);
    let location = allowed.headers["location"].to_str().unwrap().to_string();
    let code = form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code");
    let exchanged = token_request(
        &sb,
        json!({"grant_type": "authorization_code", "code": code, "client_id": "backend_app",
               "client_secret": secret, "redirect_uri": LISTENER, "code_verifier": VERIFIER}),
    )
    .await;
    assert_eq!(exchanged.status, StatusCode::OK, "{}", exchanged.text);
    let refresh = exchanged.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();

    // A stranger guesses the client's secret, with both grants.
    let mut guesses = Vec::new();
    for n in 0..12 {
        let grant = if n % 2 == 0 {
            json!({"grant_type": "client_credentials", "client_id": "backend_app",
                   "client_secret": format!("guess-{n}"), "scope": "read"})
        } else {
            json!({"grant_type": "refresh_token", "client_id": "backend_app",
                   "client_secret": format!("guess-{n}"), "refresh_token": "not-a-token"})
        };
        guesses.push(token_request(&sb, grant).await.status.as_u16());
    }
    assert!(
        guesses.iter().all(|s| *s == 401 || *s == 400 || *s == 429),
        "{guesses:?}"
    );
    let refreshed = token_request(
        &sb,
        json!({"grant_type": "refresh_token", "client_id": "backend_app",
               "client_secret": secret, "refresh_token": refresh}),
    )
    .await;
    assert_eq!(
        refreshed.status,
        StatusCode::OK,
        "the user's refresh with the right secret, after a stranger's 12 wrong ones: {}",
        refreshed.text
    );
    let credentials = token_request(
        &sb,
        json!({"grant_type": "client_credentials", "client_id": "backend_app",
               "client_secret": secret, "scope": "read"}),
    )
    .await;
    assert_eq!(credentials.status, StatusCode::OK, "{}", credentials.text);
}

// -- Timing tells no account apart -----------------------------------------------------------

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// A wrong password for an existing email costs a password hash; for an unknown email it must
/// cost as much (hash a dummy), or the time tells which emails have accounts.
#[tokio::test]
async fn a_wrong_password_takes_as_long_for_an_unknown_email_as_for_a_known_one() {
    let sb = sandbox().await;
    let mut known = Vec::new();
    for n in 0..4 {
        sb.user(&format!("Timed User{n}"), "end-user").await;
        known.push(email_of(&format!("Timed User{n}")));
    }
    let attempt = |email: String, n: usize| {
        let sb = &sb;
        async move {
            let started = Instant::now();
            let reply = sb
                .call(
                    Method::GET,
                    "/api/v2/tickets.json",
                    Some(&basic(&email, &format!("wrong-{n}"))),
                    None,
                )
                .await;
            (started.elapsed(), reply.status)
        }
    };
    // Warm both paths once.
    attempt(known[0].clone(), 99).await;
    attempt("warm-up@nowhere.example".into(), 99).await;
    let (mut for_known, mut for_unknown) = (Vec::new(), Vec::new());
    for n in 0..12 {
        let (took, status) = attempt(known[n % known.len()].clone(), n).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        for_known.push(took);
        let (took, status) = attempt(format!("nobody{n}@nowhere.example"), n).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        for_unknown.push(took);
    }
    let (k, u) = (median(for_known.clone()), median(for_unknown.clone()));
    let ratio = k.as_secs_f64().max(u.as_secs_f64()) / k.as_secs_f64().min(u.as_secs_f64());
    println!(
        "wrong password, median of 12: known email {k:?}, unknown email {u:?} (ratio {ratio:.1}); \
         known {for_known:?}, unknown {for_unknown:?}"
    );
    assert!(
        ratio <= 3.0,
        "a wrong password takes {k:?} for a known email and {u:?} for an unknown one: \
         the time tells which emails have accounts"
    );
}

// -- Storage per comment ---------------------------------------------------------------------

/// Where a test's database lives, and how big it is.
enum Measured {
    Sqlite(std::path::PathBuf),
    Postgres { url: String, schema: String },
}

impl Measured {
    /// A database of its own: a SQLite file in a fresh directory, or a fresh PostgreSQL schema.
    fn new() -> (Measured, String) {
        let url = zendesk_sandbox::test_db_url();
        if url.starts_with("postgres") {
            let (base, schema) = url.split_once("schema=").expect("a schema");
            let base = base.trim_end_matches(['?', '&']).to_string();
            let schema = schema.split('&').next().unwrap_or_default().to_string();
            return (Measured::Postgres { url: base, schema }, url);
        }
        let dir = std::env::temp_dir().join(format!(
            "zd-hardening-{}-{:x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let file = dir.join("sandbox.db");
        let url = format!("sqlite://{}", file.display());
        (Measured::Sqlite(file), url)
    }

    /// Bytes the data takes: SQLite's used pages once the write-ahead log is checkpointed into
    /// the file; PostgreSQL's tables, their indexes and TOAST in the schema.
    fn bytes(&self) -> i64 {
        match self {
            Measured::Sqlite(file) => {
                let conn = rusqlite::Connection::open(file).expect("the database opens");
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    .expect("checkpoint");
                let pages: i64 = conn
                    .query_row("PRAGMA page_count", [], |r| r.get(0))
                    .expect("page count");
                let free: i64 = conn
                    .query_row("PRAGMA freelist_count", [], |r| r.get(0))
                    .expect("freelist count");
                let size: i64 = conn
                    .query_row("PRAGMA page_size", [], |r| r.get(0))
                    .expect("page size");
                (pages - free) * size
            }
            Measured::Postgres { url, schema } => {
                let (url, schema) = (url.clone(), schema.clone());
                std::thread::spawn(move || {
                    let mut client =
                        postgres::Client::connect(&url, postgres::NoTls).expect("PostgreSQL");
                    client
                        .query_one(
                            "SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0)::bigint
                             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                             WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')",
                            &[&schema],
                        )
                        .expect("relation sizes")
                        .get::<_, i64>(0)
                })
                .join()
                .expect("measured")
            }
        }
    }

    fn remove(&self) {
        if let Measured::Sqlite(file) = self
            && let Some(dir) = file.parent()
        {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// About 2,000,000 bytes of text in words (within the 2 MiB body limit once in JSON): a
/// vocabulary of 4,000 made-up words in random order, as prose repeats its words.
fn large_text(bytes: usize) -> String {
    let mut rng = fastrand::Rng::with_seed(22);
    let vocabulary: Vec<String> = (0..4000)
        .map(|_| {
            let len = rng.usize(3..11);
            (0..len).map(|_| rng.lowercase()).collect()
        })
        .collect();
    let mut text = String::with_capacity(bytes + 16);
    while text.len() < bytes {
        text.push_str(&vocabulary[rng.usize(..vocabulary.len())]);
        text.push(if rng.usize(..12) == 0 { '\n' } else { ' ' });
    }
    text
}

/// Finding 8, at its root: a comment's text is stored once, in one form (`body`, in the comment;
/// its audit's Comment event holds no text), and `html_body` and `plain_body` are derived when it
/// is served, by every route (the thread, the audits, the ticket events export), exactly as
/// Zendesk's.
#[tokio::test]
async fn a_comments_text_is_stored_in_one_form_and_served_in_three() {
    use zendesk_sandbox::store::{Bind, Filter, Table};
    let sb = sandbox().await;
    let id = sb.ticket("Text forms").await;
    let text = "Line one\nline <two> & more\n\nA new paragraph";
    let reply = sb
        .put(
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"comment": {"body": text, "public": true}}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let html = "<div class=\"zd-comment\" dir=\"auto\"><p dir=\"auto\">Line one<br>line \
                &lt;two&gt; &amp; more</p>\n\n<p dir=\"auto\">A new paragraph</p></div>";
    let (comments, audits) = sb
        .state
        .store()
        .read(move |tx| {
            let on_ticket = [Filter::Eq("ticket_id", Bind::Int(id))];
            Ok::<_, zendesk_sandbox::store::StoreError>((
                tx.find(Table::TicketComments, &on_ticket, 10)?,
                tx.find(Table::TicketAudits, &on_ticket, 10)?,
            ))
        })
        .await
        .unwrap();
    let stored = comments
        .iter()
        .find(|c| c["body"] == text)
        .expect("the comment is stored with its body");
    assert!(stored.get("html_body").is_none(), "{stored}");
    assert!(stored.get("plain_body").is_none(), "{stored}");
    let event = audits
        .iter()
        .flat_map(|a| a["events"].as_array().unwrap().clone())
        .find(|e| e["type"] == "Comment" && e["id"] == stored["id"])
        .expect("the audit's Comment event");
    for form in ["body", "html_body", "plain_body"] {
        assert!(event.get(form).is_none(), "{event}");
    }

    let thread = sb.get(&format!("/api/v2/tickets/{id}/comments.json")).await;
    let served = thread.body["comments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["body"] == text)
        .unwrap()
        .clone();
    assert_eq!(served["html_body"], html);
    assert_eq!(served["plain_body"], text);
    let keys: Vec<&str> = served
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let at = keys.iter().position(|k| *k == "body").unwrap();
    assert_eq!(&keys[at..at + 3], ["body", "html_body", "plain_body"]);
    let audits = sb.get(&format!("/api/v2/tickets/{id}/audits.json")).await;
    let served_event = audits.body["audits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["events"].as_array().unwrap().clone())
        .find(|e| e["type"] == "Comment" && e["body"] == text)
        .unwrap();
    assert_eq!(served_event["html_body"], html);
    assert_eq!(served_event["plain_body"], text);
    // The write's own answer carries the forms too.
    let written = reply.body["audit"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "Comment")
        .unwrap()
        .clone();
    assert_eq!(written["html_body"], html);
}

#[tokio::test]
async fn a_two_mib_comment_grows_the_database_by_at_most_three_times_its_size() {
    let (measured, db_url) = Measured::new();
    let sb = sandbox_with(Config {
        db_url,
        ..Config::in_memory(ADMIN_TOKEN)
    })
    .await;
    let id = sb.ticket("Large comment").await;
    let text = large_text(2_000_000);
    let before = measured.bytes();
    let reply = sb
        .put(
            &format!("/api/v2/tickets/{id}.json"),
            json!({"ticket": {"comment": {"body": text, "public": true}}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let after = measured.bytes();
    let growth = after - before;
    let per_mb = growth as f64 / (text.len() as f64 / 1_000_000.0);
    println!(
        "a {}-byte comment grew the database by {growth} bytes: {per_mb:.0} bytes per MB of text",
        text.len()
    );
    sb.state.close().await.expect("closes");
    measured.remove();
    assert!(
        growth as f64 <= 3.0 * text.len() as f64,
        "a {}-byte comment grew the database by {growth} bytes ({:.1}x)",
        text.len(),
        growth as f64 / text.len() as f64
    );
}

// Memory per request (downloads, comment pages, long searches) is measured on a process of its
// own: crates/zd/tests/hardening_served.rs.

// -- Redirect ports, end-users' comments, unsuspension, database outages ---------------------

/// RFC 8252 §7.3 lets a loopback redirect URI take any port at authorization time, but a port is
/// 1..=65535 (RFC 3986 §3.2.3: digits; RFC 6335: 0 is reserved). A URI with another "port" is
/// refused when a client is registered, and at the authorization page it is an error page,
/// never a redirect.
#[tokio::test]
async fn loopback_redirect_uris_with_an_invalid_port_are_refused() {
    let sb = sandbox().await;
    oauth_client(&sb, "native_app", "public").await;
    sb.user("Redirected Agent", "agent").await;
    for uri in [
        "http://127.0.0.1:99999/callback",
        "http://127.0.0.1:abc/callback",
        "http://127.0.0.1:0/callback",
        "http://localhost:99999/callback",
        "http://[::1]:0/callback",
        "http://127.0.0.1:65536/callback",
    ] {
        let registered = sb
            .post(
                "/api/v2/oauth/clients.json",
                json!({"client": {"name": "Bad port", "identifier": format!("bad_port_{}", fastrand::u32(..)),
                                  "kind": "public", "redirect_uri": [uri]}}),
            )
            .await;
        assert_eq!(
            registered.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "registering {uri}: {}",
            registered.text
        );
        assert!(
            registered.text.contains("redirect_uri"),
            "{}",
            registered.text
        );
        if uri.starts_with("http://127.0.0.1") {
            let path = format!(
                "/oauth/authorizations/new?{}",
                authorization_query("native_app", uri)
            );
            let page = sb.call(Method::GET, &path, None, None).await;
            assert_eq!(
                page.status,
                StatusCode::BAD_REQUEST,
                "the authorization page for {uri}: {}",
                page.text
            );
            assert!(page.headers.get("location").is_none());
        }
    }
    // A valid port still matches the registered loopback URI.
    let path = format!(
        "/oauth/authorizations/new?{}",
        authorization_query("native_app", "http://127.0.0.1:65535/callback")
    );
    assert_eq!(
        sb.call(Method::GET, &path, None, None).await.status,
        StatusCode::OK
    );
}

/// Internal notes are agents' (an end-user can make no private comment in Zendesk: their
/// comments, through the Requests API or a ticket they open, are public). An end-user's new
/// ticket asking for a private first comment is opened with that comment public, as Zendesk
/// does, so its requester can read what they wrote.
#[tokio::test]
async fn an_end_users_first_comment_is_public_whatever_they_ask() {
    let sb = sandbox().await;
    let (_, as_customer) = sb.user("Note Taker", "end-user").await;
    let created = sb
        .call(
            Method::POST,
            "/api/v2/tickets.json",
            Some(&as_customer),
            Some(json!({"ticket": {"subject": "Printer", "comment": {"body": "pelicanprinter is jammed", "public": false}}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.body["ticket"]["id"].as_i64().expect("an id");
    let comments = sb.get(&format!("/api/v2/tickets/{id}/comments.json")).await;
    assert_eq!(
        comments.body["comments"][0]["public"],
        json!(true),
        "the end-user's first comment is stored as an internal note: {}",
        comments.text
    );
    let theirs = sb
        .call(
            Method::GET,
            &format!("/api/v2/tickets/{id}/comments.json"),
            Some(&as_customer),
            None,
        )
        .await;
    assert!(theirs.text.contains("pelicanprinter"), "{}", theirs.text);
}

/// Unsuspending a user restores the user, not the sign-ins that suspension ended.
#[tokio::test]
async fn tokens_issued_before_a_suspension_stay_dead_after_unsuspension() {
    let sb = sandbox().await;
    let (agent, _) = sb.user("Suspended Agent", "agent").await;
    let token = token_for(&sb, agent, &["read", "write"]).await;
    assert_eq!(me(&sb, &token).await.0, StatusCode::OK);
    for suspended in [true, false] {
        let reply = sb
            .put(
                &format!("/api/v2/users/{agent}.json"),
                json!({"user": {"suspended": suspended}}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(
            me(&sb, &token).await.0,
            StatusCode::UNAUTHORIZED,
            "suspended: {suspended}"
        );
    }
    // The user signs in again with a new token.
    let fresh = token_for(&sb, agent, &["read"]).await;
    assert_eq!(
        status_as(&sb, &fresh, "/api/v2/users/me.json").await,
        StatusCode::OK
    );
}

/// Zendesk answers `503 Service Unavailable` when it cannot serve for a while, with
/// `Retry-After` in seconds (RFC 9110 §15.6.4): a database that went away is that, not an
/// internal error. On a throwaway PostgreSQL cluster of its own (`scripts/postgres`),
/// stopped under the sandbox: skipped unless `ZD_TEST_DATABASE_URL` names PostgreSQL.
#[tokio::test]
async fn a_postgres_outage_answers_503_with_retry_after() {
    if !std::env::var("ZD_TEST_DATABASE_URL").is_ok_and(|url| url.starts_with("postgres")) {
        eprintln!(
            "skipped: the PostgreSQL outage needs PostgreSQL (set ZD_TEST_DATABASE_URL=postgres://...)"
        );
        return;
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres");
    let dir = std::env::temp_dir().join(format!(
        "zd-outage-{}-{:x}",
        std::process::id(),
        fastrand::u32(..)
    ));
    let started = std::process::Command::new(&script)
        .arg("start")
        .arg(&dir)
        .output()
        .expect("scripts/postgres runs");
    assert!(
        started.status.success(),
        "scripts/postgres start: {}",
        String::from_utf8_lossy(&started.stderr)
    );
    let url = String::from_utf8_lossy(&started.stdout).trim().to_string();
    struct Cluster(std::path::PathBuf, std::path::PathBuf);
    impl Drop for Cluster {
        fn drop(&mut self) {
            let _ = std::process::Command::new(&self.0)
                .arg("stop")
                .arg(&self.1)
                .output();
        }
    }
    let cluster = Cluster(script.clone(), dir.clone());
    let sb = sandbox_with(Config {
        db_url: url,
        ..Config::in_memory(ADMIN_TOKEN)
    })
    .await;
    let id = sb.ticket("Before the outage").await;
    assert_eq!(
        sb.get(&format!("/api/v2/tickets/{id}.json")).await.status,
        StatusCode::OK
    );

    let stopped = std::process::Command::new(&script)
        .arg("stop")
        .arg(&dir)
        .output()
        .expect("scripts/postgres runs");
    assert!(stopped.status.success());
    let answers = [
        sb.get(&format!("/api/v2/tickets/{id}.json")).await,
        sb.get("/api/v2/tickets.json").await,
        sb.post(
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "During the outage", "comment": {"body": "x"}}}),
        )
        .await,
        sb.get("/api/v2/search.json?query=outage").await,
    ];
    for reply in answers {
        assert_eq!(
            reply.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "with PostgreSQL stopped: {}",
            reply.text
        );
        let retry = reply
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        assert!(
            retry.is_some_and(|s| s >= 1),
            "Retry-After in seconds: {:?}",
            reply.headers
        );
    }
    drop(cluster);
}
