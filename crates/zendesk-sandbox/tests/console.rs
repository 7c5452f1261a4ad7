//! The web console over HTTP (`oneshot` on the app, no browser): sign-in and its refusals,
//! session cookies, CSRF, the writes a page makes (authored by the signed-in agent, checked
//! through the API), sessions ending at sign-out, suspension and demotion, escaping, the
//! security headers, the request log, and the live feed. The browser tests are in
//! `crates/zd/tests/console_browser.rs`.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::{Reply, Sb, basic, sandbox, sandbox_with};
use futures_util::StreamExt;
use serde_json::json;
use tower::ServiceExt;
use zendesk_sandbox::Config;

const PASSWORD: &str = "pass-word-1";

/// A browser's view of the console: its cookies, kept between requests.
struct Browser<'a> {
    sb: &'a Sb,
    cookies: HashMap<String, String>,
}

impl<'a> Browser<'a> {
    fn new(sb: &'a Sb) -> Browser<'a> {
        Browser {
            sb,
            cookies: HashMap::new(),
        }
    }

    async fn send(&mut self, method: Method, path: &str, form: Option<&[(&str, &str)]>) -> Reply {
        self.send_with(method, path, form, &[]).await
    }

    async fn send_with(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "sandbox.test");
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie.join("; "));
        }
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        let body = match form {
            Some(pairs) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                let mut encoded = form_urlencoded::Serializer::new(String::new());
                for (k, v) in pairs {
                    encoded.append_pair(k, v);
                }
                Body::from(encoded.finish())
            }
            None => Body::empty(),
        };
        let reply = self.sb.raw(request.body(body).unwrap()).await;
        for value in reply.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        reply
    }

    async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, None).await
    }

    /// Signs in through the form; the answer to the form's POST.
    async fn sign_in(&mut self, email: &str, password: &str) -> Reply {
        let page = self.get("/console/sign_in").await;
        let csrf = csrf_of(&page.text);
        self.send(
            Method::POST,
            "/console/sign_in",
            Some(&[("csrf", &csrf), ("email", email), ("password", password)]),
        )
        .await
    }
}

/// The `csrf` hidden field of a page's first form.
fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a csrf field")
        + 19;
    page[at..].split('"').next().unwrap().to_string()
}

fn location(reply: &Reply) -> &str {
    reply
        .headers
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// An agent with a password; (id, email).
async fn agent(sb: &Sb, name: &str) -> (i64, String) {
    let (id, _) = sb.user(name, "agent").await;
    (
        id,
        format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
    )
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_lands_on_the_queues() {
    let sb = sandbox().await;
    sb.ticket("Printer on fire").await;
    let (_, email) = agent(&sb, "Ana Agent").await;
    let mut browser = Browser::new(&sb);

    let unsigned = browser.get("/console/").await;
    assert_eq!(unsigned.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&unsigned), "/console/sign_in");

    let signed = browser.sign_in(&email, PASSWORD).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text);
    assert_eq!(location(&signed), "/console/");
    let cookie = signed
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("zd_console="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");

    let queues = browser.get("/console/").await;
    assert_eq!(queues.status, StatusCode::OK);
    assert!(queues.text.contains("Printer on fire"), "{}", queues.text);
    assert!(
        queues.text.contains("Ana Agent"),
        "the signed-in agent is named"
    );

    // Behind TLS (a proxy saying so), the cookie is Secure.
    let mut tls = Browser::new(&sb);
    let page = tls
        .send_with(
            Method::GET,
            "/console/sign_in",
            None,
            &[("x-forwarded-proto", "https")],
        )
        .await;
    let csrf = csrf_of(&page.text);
    let signed = tls
        .send_with(
            Method::POST,
            "/console/sign_in",
            Some(&[("csrf", &csrf), ("email", &email), ("password", PASSWORD)]),
            &[("x-forwarded-proto", "https")],
        )
        .await;
    let cookie = signed
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn end_users_and_wrong_passwords_are_refused_and_throttled_as_api_sign_ins() {
    let sb = sandbox().await;
    sb.user("Eve Enduser", "end-user").await;
    let (_, email) = agent(&sb, "Bob Agent").await;
    let mut browser = Browser::new(&sb);

    let refused = browser.sign_in("eve.enduser@example.com", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.text.contains("end-users cannot sign in"),
        "{}",
        refused.text
    );
    assert!(!browser.cookies.contains_key("zd_console"));

    let wrong = browser.sign_in(&email, "not-the-password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.text.contains("email or password is wrong"),
        "{}",
        wrong.text
    );
    assert!(
        wrong.text.contains(&format!("value=\"{email}\"")),
        "the email is kept"
    );

    // The API's throttle, for the console as for the API: past ten failures in a minute a
    // wrong password is answered only after a pause, and the right one still signs in (a
    // stranger's guesses never lock the owner out).
    for _ in 0..9 {
        browser.sign_in(&email, "not-the-password").await;
    }
    let started = std::time::Instant::now();
    let slowed = browser.sign_in(&email, "not-the-password").await;
    assert_eq!(slowed.status, StatusCode::UNAUTHORIZED);
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "a wrong password past the limit waits: {:?}",
        started.elapsed()
    );
    let owner = browser.sign_in(&email, PASSWORD).await;
    assert_eq!(owner.status, StatusCode::SEE_OTHER, "{}", owner.text);
    let api = sb
        .call(
            Method::GET,
            "/api/v2/users/me.json",
            Some(&basic(&email, PASSWORD)),
            None,
        )
        .await;
    assert_eq!(
        api.status,
        StatusCode::OK,
        "the API lets the owner in as well"
    );
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused_and_changes_nothing() {
    let sb = sandbox().await;
    let id = sb.ticket("Untouched").await;
    let (_, email) = agent(&sb, "Cy Agent").await;
    let mut browser = Browser::new(&sb);
    browser.sign_in(&email, PASSWORD).await;
    let path = format!("/console/tickets/{id}");

    for csrf in [None, Some("forged")] {
        let mut form = vec![
            ("action", "reply"),
            ("body", "sneaky"),
            ("status", "solved"),
        ];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        let refused = browser.send(Method::POST, &path, Some(&form)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{csrf:?}");
    }
    let comments = sb.get(&format!("/api/v2/tickets/{id}/comments.json")).await;
    assert_eq!(comments.body["comments"].as_array().unwrap().len(), 1);
    let ticket = sb.get(&format!("/api/v2/tickets/{id}.json")).await;
    assert_ne!(ticket.body["ticket"]["status"], "solved");

    // Sign-out and sign-in refuse a missing token too.
    let out = browser
        .send(Method::POST, "/console/sign_out", Some(&[]))
        .await;
    assert_eq!(out.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/console/").await.status,
        StatusCode::OK,
        "still signed in"
    );
    let mut stranger = Browser::new(&sb);
    let forged = stranger
        .send(
            Method::POST,
            "/console/sign_in",
            Some(&[("email", email.as_str()), ("password", PASSWORD)]),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn notes_and_replies_from_the_page_are_written_through_the_api_as_the_agent() {
    let sb = sandbox().await;
    let id = sb.ticket("Refund please").await;
    let (agent_id, email) = agent(&sb, "Dee Agent").await;
    let mut browser = Browser::new(&sb);
    browser.sign_in(&email, PASSWORD).await;
    let path = format!("/console/tickets/{id}");
    let page = browser.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.text);

    let note = browser
        .send(
            Method::POST,
            &path,
            Some(&[
                ("csrf", &csrf),
                ("action", "note"),
                ("body", "Checked the ledger: refund is due."),
                ("status", "open"),
                ("priority", ""),
                ("assignee_id", ""),
            ]),
        )
        .await;
    assert_eq!(note.status, StatusCode::SEE_OTHER, "{}", note.text);
    assert!(location(&note).starts_with(&format!("{path}?saved=note")));
    let reply = browser
        .send(
            Method::POST,
            &path,
            Some(&[
                ("csrf", &csrf),
                ("action", "reply"),
                ("body", "Your refund is on its way."),
                ("status", "pending"),
                ("priority", "high"),
                ("assignee_id", &agent_id.to_string()),
            ]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);

    let comments = sb.get(&format!("/api/v2/tickets/{id}/comments.json")).await;
    let comments = comments.body["comments"].as_array().unwrap().clone();
    assert_eq!(comments.len(), 3);
    assert_eq!(comments[1]["public"], false);
    assert_eq!(comments[1]["author_id"], agent_id);
    assert_eq!(comments[2]["public"], true);
    assert_eq!(comments[2]["author_id"], agent_id);
    let ticket = sb.get(&format!("/api/v2/tickets/{id}.json")).await.body["ticket"].clone();
    assert_eq!(ticket["status"], "pending");
    assert_eq!(ticket["priority"], "high");
    assert_eq!(ticket["assignee_id"], agent_id);

    // The thread marks the note apart; the timeline names the author.
    let page = browser.get(&path).await;
    let note_at = page.text.find("Checked the ledger").unwrap();
    let article = page.text[..note_at].rfind("<article").unwrap();
    assert!(page.text[article..note_at].contains("comment internal"));
    assert!(page.text[article..note_at].contains("Internal note"));
    assert!(page.text.contains("Dee Agent"));

    // A write the API refuses is shown with its reason, the draft kept.
    let refused = browser
        .send(
            Method::POST,
            &path,
            Some(&[
                ("csrf", &csrf),
                ("action", "note"),
                ("body", "keep me"),
                ("assignee_id", "999999"),
                ("status", "pending"),
                ("priority", "high"),
            ]),
        )
        .await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    assert!(refused.text.contains("keep me"), "{}", refused.text);
}

#[tokio::test]
async fn sessions_end_at_sign_out_suspension_and_demotion() {
    let sb = sandbox().await;
    let (id, email) = agent(&sb, "Eli Agent").await;

    // Sign-out: the same cookie replayed afterwards is refused.
    let mut browser = Browser::new(&sb);
    browser.sign_in(&email, PASSWORD).await;
    let copy = browser.cookies.clone();
    let page = browser.get("/console/").await;
    let out = browser
        .send(
            Method::POST,
            "/console/sign_out",
            Some(&[("csrf", &csrf_of(&page.text))]),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let mut replay = Browser::new(&sb);
    replay.cookies = copy;
    let refused = replay.get("/console/").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert!(location(&refused).starts_with("/console/sign_in"));

    // Suspension ends the session at once.
    let mut browser = Browser::new(&sb);
    browser.sign_in(&email, PASSWORD).await;
    assert_eq!(browser.get("/console/").await.status, StatusCode::OK);
    let suspended = sb
        .put(
            &format!("/api/v2/users/{id}.json"),
            json!({"user": {"suspended": true}}),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.text);
    let ended = browser.get("/console/").await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&ended), "/console/sign_in?ended=ended");

    // Demotion to end-user ends it too, with the reason.
    sb.put(
        &format!("/api/v2/users/{id}.json"),
        json!({"user": {"suspended": false}}),
    )
    .await;
    let mut browser = Browser::new(&sb);
    assert_eq!(
        browser.sign_in(&email, PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    sb.put(
        &format!("/api/v2/users/{id}.json"),
        json!({"user": {"role": "end-user"}}),
    )
    .await;
    // A role change revokes the user's OAuth tokens (the console's session is one), so the
    // session ends as a revoked one.
    let ended = browser.get("/console/").await;
    assert_eq!(location(&ended), "/console/sign_in?ended=ended");
}

#[tokio::test]
async fn every_value_is_escaped_and_every_answer_carries_the_security_headers() {
    let sb = sandbox().await;
    let id = sb.ticket("<script>alert('subject')</script>").await;
    let (_, email) = agent(&sb, "Fay Agent").await;
    let mut browser = Browser::new(&sb);
    browser.sign_in(&email, PASSWORD).await;
    for path in [
        "/console/".to_string(),
        format!("/console/tickets/{id}"),
        "/console/?q=script".to_string(),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            !page.text.contains("<script>alert"),
            "{path}: {}",
            page.text
        );
        assert!(
            page.text.contains("&lt;script&gt;alert(&#39;subject&#39;)"),
            "{path}"
        );
        // The only script is the console's own file.
        assert_eq!(page.text.matches("<script").count(), 1, "{path}");
    }
    for path in ["/console/", "/console/sign_in", "/console/nowhere"] {
        let page = browser.get(path).await;
        let headers = &page.headers;
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    }
    assert_eq!(
        browser.get("/console/nowhere").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_request_log_keeps_the_last_requests_without_secrets() {
    let sb = sandbox_with(Config {
        db_url: zendesk_sandbox::test_db_url(),
        console_log_size: 5,
        ..Config::in_memory(common::ADMIN_TOKEN)
    })
    .await;
    let (agent_id, agent_auth) = sb.user("Gus Agent", "agent").await;
    let (_, end_user_auth) = sb.user("Hal Enduser", "end-user").await;
    sb.call(Method::GET, "/api/v2/tickets.json", Some(&agent_auth), None)
        .await;
    sb.call(
        Method::GET,
        "/api/v2/users/me.json",
        Some(&basic("gus.agent@example.com", "wrong")),
        None,
    )
    .await;
    sb.call(
        Method::GET,
        "/api/v2/tickets/999999.json",
        Some(&agent_auth),
        None,
    )
    .await;

    let log = sb
        .call(
            Method::GET,
            "/api/v2/sandbox/requests.json",
            Some(&agent_auth),
            None,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK, "{}", log.text);
    assert_eq!(log.body["capacity"], 5);
    let requests = log.body["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 5, "the ring keeps five: {}", log.text);
    assert_eq!(requests[0]["path"], "/api/v2/tickets/999999.json");
    assert_eq!(requests[0]["status"], 404);
    assert_eq!(requests[0]["user_id"], agent_id);
    assert_eq!(requests[0]["credential"], "password");
    assert_eq!(requests[1]["status"], 401);
    assert_eq!(requests[1]["user_id"], serde_json::Value::Null);
    assert_eq!(requests[1]["claimed_email"], "gus.agent@example.com");
    assert!(!log.text.contains(common::ADMIN_TOKEN), "{}", log.text);
    assert!(!log.text.contains("pass-word-1") && !log.text.contains("wrong\""));

    let failed = sb
        .call(
            Method::GET,
            "/api/v2/sandbox/requests.json?status=4xx",
            Some(&agent_auth),
            None,
        )
        .await;
    let statuses: Vec<u64> = failed.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert!(statuses.iter().all(|s| (400..500).contains(s)) && !statuses.is_empty());
    let bad = sb
        .call(
            Method::GET,
            "/api/v2/sandbox/requests.json?status=teapot",
            Some(&agent_auth),
            None,
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text.contains("status must be"), "{}", bad.text);
    let end_user = sb
        .call(
            Method::GET,
            "/api/v2/sandbox/requests.json",
            Some(&end_user_auth),
            None,
        )
        .await;
    assert_eq!(end_user.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_activity_emails_and_webhooks_pages_render_whatever_the_api_serves() {
    let sb = sandbox().await;
    let (_, email) = agent(&sb, "Ivy Agent").await;
    sb.get("/api/v2/tickets.json").await;
    let mut browser = Browser::new(&sb);
    browser.sign_in(&email, PASSWORD).await;
    let activity = browser.get("/console/activity").await;
    assert_eq!(activity.status, StatusCode::OK);
    assert!(
        activity.text.contains("/api/v2/tickets.json"),
        "{}",
        activity.text
    );
    assert!(activity.text.contains("API token"), "{}", activity.text);
    let filtered = browser.get("/console/activity?status=5xx").await;
    assert!(
        filtered.text.contains("No request matches"),
        "{}",
        filtered.text
    );
    for path in ["/console/emails", "/console/webhooks"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.text);
        assert!(page.text.contains("data-live="), "{path}");
    }
}

#[tokio::test]
async fn the_live_feed_announces_a_ticket_made_through_the_api() {
    let sb = sandbox().await;
    let (_, email) = agent(&sb, "Jo Agent").await;
    let mut browser = Browser::new(&sb);
    browser.sign_in(&email, PASSWORD).await;
    let cookie: Vec<String> = browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let request = Request::builder()
        .uri("/console/live?watch=tickets")
        .header("host", "sandbox.test")
        .header(header::COOKIE, cookie.join("; "))
        .body(Body::empty())
        .unwrap();
    let response = sb.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut events = response.into_body().into_data_stream();
    assert_eq!(next_event(&mut events).await, "ready");
    sb.ticket("Arrives live").await;
    assert_eq!(next_event(&mut events).await, "change");
}

/// The name of the next event (comment lines skipped), within 10 s.
async fn next_event(events: &mut axum::body::BodyDataStream) -> String {
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(10), events.next())
            .await
            .expect("an event within 10 s")
            .expect("the feed goes on")
            .unwrap();
        let text = String::from_utf8_lossy(&chunk).to_string();
        if let Some(name) = text.lines().find_map(|l| l.strip_prefix("event: ")) {
            return name.to_string();
        }
    }
}

#[tokio::test]
async fn queues_page_views_and_searches_as_the_api_answers_the_agent() {
    let sb = sandbox().await;
    for n in 1..=27 {
        sb.ticket(&format!("Paged ticket {n:02}")).await;
    }
    let urgent = sb
        .post(
            "/api/v2/tickets.json",
            json!({"ticket": {"subject": "Server room flooded", "priority": "urgent",
                "comment": {"body": "water everywhere"}}}),
        )
        .await;
    assert_eq!(urgent.status, StatusCode::CREATED);
    let shared = sb
        .post(
            "/api/v2/views.json",
            json!({"view": {"title": "Urgent ones", "conditions": {"all": [
                {"field": "status", "operator": "less_than", "value": "solved"},
                {"field": "priority", "operator": "is", "value": "urgent"}]}}}),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.text);
    let view_id = shared.body["view"]["id"].as_i64().unwrap();
    // The admin's personal view: the agent's API does not show it, so neither does the page.
    let personal = sb
        .post(
            "/api/v2/views.json",
            json!({"view": {"title": "Admin's own view", "restriction": {"type": "User", "id": 1000000001},
                "conditions": {"all": [{"field": "status", "operator": "is", "value": "new"}]}}}),
        )
        .await;
    assert_eq!(personal.status, StatusCode::CREATED, "{}", personal.text);
    let (_, email) = agent(&sb, "Kim Agent").await;
    let mut browser = Browser::new(&sb);
    browser.sign_in(&email, PASSWORD).await;

    let first = browser.get("/console/").await;
    assert!(
        first.text.contains("Page 1 of 2 · 28 tickets"),
        "{}",
        first.text
    );
    assert!(first.text.contains("Server room flooded"), "newest first");
    assert!(
        !first.text.contains("Paged ticket 01<"),
        "the oldest is on page 2"
    );
    assert!(
        first
            .text
            .contains("Urgent ones<span class=\"count\">1</span>")
    );
    assert!(
        !first.text.contains("Admin&#39;s own view"),
        "{}",
        first.text
    );
    let second = browser.get("/console/?page=2").await;
    assert!(second.text.contains("Paged ticket 01<"), "{}", second.text);
    assert!(second.text.contains("rel=\"prev\""));

    let view = browser.get(&format!("/console/?view={view_id}")).await;
    assert!(view.text.contains("<h1>Urgent ones</h1>"), "{}", view.text);
    assert_eq!(view.text.matches("data-ticket-id=").count(), 1);
    let search = browser.get("/console/?q=flooded").await;
    assert!(search.text.contains("Search: flooded"), "{}", search.text);
    assert_eq!(
        search.text.matches("data-ticket-id=").count(),
        1,
        "{}",
        search.text
    );
    let bad = browser.get("/console/?q=created%3Enot-a-date").await;
    assert_eq!(bad.status, StatusCode::OK);
    assert!(
        bad.text.contains("flash error"),
        "the API's refusal is shown: {}",
        bad.text
    );
}
