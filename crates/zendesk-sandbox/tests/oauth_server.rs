//! The sandbox as an OAuth server, rule by rule: OAuth clients (admins only, a confidential
//! client's secret shown once), the authorization page (a form driven here as a browser would:
//! its hidden fields posted back with email, password and Allow or Deny), the token endpoint's
//! three grants, rotation, expiry, revocation, scopes on every endpoint of the table, and the
//! refusals, each answered as OAuth answers it and none leaving a usable token behind. Last,
//! that no secret reaches the database file, an answer after the one that handed it out, a log
//! line or `Debug`.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::{ADMIN_TOKEN, Reply, Sb, basic, sandbox, sandbox_with};
use serde_json::{Value, json};
use zendesk_sandbox::{Config, OAuthLifetimes, endpoint_access};

const REDIRECT: &str = "http://127.0.0.1/callback";
/// A loopback redirect on some port, as a native app's one-shot listener sends it.
const LISTENER: &str = "http://127.0.0.1:49152/callback";
/// RFC 7636's example pair.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const PASSWORD: &str = "correct horse";

async fn short_lived() -> Sb {
    sandbox_with(Config {
        oauth_lifetimes: OAuthLifetimes::any(),
        db_url: zendesk_sandbox::test_db_url(),
        ..Config::in_memory(ADMIN_TOKEN)
    })
    .await
}

/// Registers a client; returns its answer's `client`.
async fn client(sb: &Sb, identifier: &str, kind: &str) -> Value {
    let reply = sb
        .post(
            "/api/v2/oauth/clients.json",
            json!({"client": {"name": format!("App {identifier}"), "identifier": identifier,
                              "kind": kind, "company": "Acme", "description": "Testing",
                              "redirect_uri": [REDIRECT, "https://app.example.com/cb"]}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["client"].clone()
}

/// A user with a password; returns (id, email).
async fn person(sb: &Sb, name: &str, role: &str) -> (i64, String) {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let reply = sb
        .post(
            "/api/v2/users.json",
            json!({"user": {"name": name, "email": email, "role": role, "password": PASSWORD}}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    (reply.body["user"]["id"].as_i64().unwrap(), email)
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// The authorization request zd sends: code, PKCE S256, state.
fn request_params<'a>(
    client_id: &'a str,
    scope: &'a str,
    state: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", LISTENER),
        ("scope", scope),
        ("state", state),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

async fn page(sb: &Sb, pairs: &[(&str, &str)]) -> Reply {
    let path = format!("/oauth/authorizations/new?{}", query(pairs));
    sb.call(Method::GET, &path, None, None).await
}

/// Posts the form as a browser does: to the page's own URL, form-encoded.
async fn post_form(sb: &Sb, fields: &[(String, String)]) -> Reply {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        body.append_pair(k, v);
    }
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/authorizations/new")
        .header("host", "sandbox.test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.finish()))
        .unwrap();
    sb.raw(request).await
}

/// The form's fields (`<input name=.. value=..>`), unescaped, as a browser would send them.
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

/// The page's hidden fields plus the user's answer.
fn answer(html: &str, email: &str, password: &str, decision: &str) -> Vec<(String, String)> {
    let mut fields = form_fields(html);
    fields.push(("email".into(), email.into()));
    fields.push(("password".into(), password.into()));
    fields.push(("decision".into(), decision.into()));
    fields
}

/// The query of a 302's Location, and the Location without it.
fn location(reply: &Reply) -> (String, Vec<(String, String)>) {
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text);
    let location = reply.headers["location"].to_str().unwrap().to_string();
    let (base, query) = location.split_once('?').unwrap_or((&location, ""));
    let pairs = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    (base.to_string(), pairs)
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Signs `email` in through the page with Allow; returns the code.
async fn code_for(sb: &Sb, client_id: &str, email: &str, scope: &str) -> String {
    let shown = page(sb, &request_params(client_id, scope, "st8")).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    let allowed = post_form(sb, &answer(&shown.text, email, PASSWORD, "allow")).await;
    let (base, pairs) = location(&allowed);
    assert_eq!(base, LISTENER);
    assert_eq!(get(&pairs, "state"), Some("st8"));
    get(&pairs, "code").expect("a code").to_string()
}

async fn token_request(sb: &Sb, body: Value) -> Reply {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/tokens")
        .header("host", "sandbox.test")
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    sb.raw(request).await
}

fn exchange(client_id: &str, code: &str) -> Value {
    json!({"grant_type": "authorization_code", "code": code, "client_id": client_id,
           "redirect_uri": LISTENER, "code_verifier": VERIFIER})
}

/// (access, refresh) from a successful token answer.
fn tokens(reply: &Reply) -> (String, String) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert_eq!(reply.body["token_type"], "bearer");
    (
        reply.body["access_token"].as_str().unwrap().to_string(),
        reply.body["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Signs `email` in with PKCE and exchanges the code: (access, refresh).
async fn signed_in(
    sb: &Sb,
    client_id: &str,
    email: &str,
    scope: &str,
    extra: Value,
) -> (String, String) {
    let code = code_for(sb, client_id, email, scope).await;
    let mut body = exchange(client_id, &code);
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    tokens(&token_request(sb, body).await)
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

async fn as_token(sb: &Sb, method: Method, path: &str, token: &str, body: Option<Value>) -> Reply {
    sb.call(method, path, Some(&bearer(token)), body).await
}

fn refused(reply: &Reply, status: StatusCode, error: &str) {
    assert_eq!(reply.status, status, "{}", reply.text);
    assert_eq!(reply.body["error"], error, "{}", reply.text);
    assert!(
        reply.body["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{}",
        reply.text
    );
}

fn refresh_body(client_id: &str, refresh: &str) -> Value {
    json!({"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id})
}

#[tokio::test]
async fn clients_are_admins_business_and_a_secret_is_shown_once() {
    let sb = sandbox().await;
    let made = client(&sb, "reporting", "confidential").await;
    let id = made["id"].as_i64().unwrap();
    let secret = made["secret"].as_str().expect("shown once").to_string();
    assert!(secret.len() >= 32);
    assert_eq!(made["identifier"], "reporting");
    assert_eq!(made["kind"], "confidential");
    assert_eq!(
        made["redirect_uri"],
        json!([REDIRECT, "https://app.example.com/cb"])
    );
    assert_eq!(
        made["url"],
        format!("http://sandbox.test/api/v2/oauth/clients/{id}.json")
    );
    let shown = sb.get(&format!("/api/v2/oauth/clients/{id}.json")).await;
    assert_eq!(shown.body["client"]["secret"], Value::Null);
    let listed = sb.get("/api/v2/oauth/clients.json").await;
    assert_eq!(listed.body["count"], 1);
    assert!(!listed.text.contains(&secret) && !shown.text.contains(&secret));

    // Refused: a taken identifier, a kind, a redirect URI, a field that does not exist.
    for (input, field) in [
        (
            json!({"name": "Again", "identifier": "reporting"}),
            "identifier",
        ),
        (
            json!({"name": "K", "identifier": "k", "kind": "secretive"}),
            "kind",
        ),
        (
            json!({"name": "R", "identifier": "r", "redirect_uri": ["http://app.example.com/cb"]}),
            "redirect_uri",
        ),
        (
            json!({"name": "R", "identifier": "r", "redirect_uri": ["/cb"]}),
            "redirect_uri",
        ),
        (
            json!({"name": "F", "identifier": "f", "scopes": "read"}),
            "scopes",
        ),
        (json!({"identifier": "n"}), "name"),
    ] {
        let reply = sb
            .post("/api/v2/oauth/clients.json", json!({"client": input}))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            reply.text
        );
        assert!(
            reply.body["details"][field].is_array(),
            "{field}: {}",
            reply.text
        );
    }
    assert_eq!(sb.get("/api/v2/oauth/clients.json").await.body["count"], 1);

    // Agents and end-users may not see or touch clients.
    let (_, agent_email) = person(&sb, "Client Agent", "agent").await;
    let agent = basic(&agent_email, PASSWORD);
    for (method, path) in [
        (Method::GET, "/api/v2/oauth/clients.json".to_string()),
        (Method::GET, format!("/api/v2/oauth/clients/{id}.json")),
        (Method::DELETE, format!("/api/v2/oauth/clients/{id}.json")),
    ] {
        let reply = sb.call(method, &path, Some(&agent), None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
    }

    // A new secret replaces the old one for client_credentials.
    let grant = |secret: &str| {
        json!({"grant_type": "client_credentials", "client_id": "reporting",
               "client_secret": secret, "scope": "read"})
    };
    tokens(&token_request(&sb, grant(&secret)).await);
    let renewed = sb
        .put(
            &format!("/api/v2/oauth/clients/{id}/generate_secret.json"),
            json!({}),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.text);
    let new_secret = renewed.body["client"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(new_secret, secret);
    refused(
        &token_request(&sb, grant(&secret)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    let (machine, _) = tokens(&token_request(&sb, grant(&new_secret)).await);

    // Public: no secret; confidential again: a new one, shown in that answer.
    let public = sb
        .put(
            &format!("/api/v2/oauth/clients/{id}.json"),
            json!({"client": {"kind": "public", "name": "Renamed"}}),
        )
        .await;
    assert_eq!(public.body["client"]["name"], "Renamed");
    assert_eq!(public.body["client"]["secret"], Value::Null);
    let no_secret = sb
        .put(
            &format!("/api/v2/oauth/clients/{id}/generate_secret.json"),
            json!({}),
        )
        .await;
    assert_eq!(no_secret.status, StatusCode::UNPROCESSABLE_ENTITY);
    let confidential = sb
        .put(
            &format!("/api/v2/oauth/clients/{id}.json"),
            json!({"client": {"kind": "confidential"}}),
        )
        .await;
    assert!(
        confidential.body["client"]["secret"]
            .as_str()
            .is_some_and(|s| s != new_secret)
    );

    // Deleting the client revokes what it issued.
    let me = as_token(&sb, Method::GET, "/api/v2/users/me.json", &machine, None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        sb.delete(&format!("/api/v2/oauth/clients/{id}.json"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let after = as_token(&sb, Method::GET, "/api/v2/users/me.json", &machine, None).await;
    refused(&after, StatusCode::UNAUTHORIZED, "invalid_token");
    assert_eq!(
        sb.get(&format!("/api/v2/oauth/clients/{id}.json"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_authorization_page_signs_in_and_the_code_buys_tokens() {
    let sb = sandbox().await;
    client(&sb, "zd_cli", "public").await;
    let (user_id, email) = person(&sb, "Page User", "agent").await;
    let hostile_state = "\"><script>alert(1)</script>";
    let shown = page(
        &sb,
        &request_params("zd_cli", "read tickets:write", hostile_state),
    )
    .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert!(
        shown.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(shown.headers["x-frame-options"], "DENY");
    assert!(shown.text.contains("<form method=\"post\""));
    assert!(shown.text.contains("App zd_cli") && shown.text.contains("Acme"));
    assert!(shown.text.contains("create, change and delete tickets"));
    assert!(!shown.text.contains("<script>"), "the state is escaped");
    let fields = form_fields(&shown.text);
    for (key, value) in request_params("zd_cli", "read tickets:write", hostile_state) {
        assert_eq!(get(&fields, key), Some(value), "{key} rides along");
    }

    let allowed = post_form(&sb, &answer(&shown.text, &email, PASSWORD, "allow")).await;
    let (base, pairs) = location(&allowed);
    assert_eq!(base, LISTENER, "any port of the registered loopback URI");
    assert_eq!(get(&pairs, "state"), Some(hostile_state));
    let code = get(&pairs, "code").unwrap().to_string();

    let reply = token_request(&sb, exchange("zd_cli", &code)).await;
    let (access, refresh) = tokens(&reply);
    assert_eq!(reply.body["scope"], "read tickets:write");
    assert_eq!(
        reply.body["expires_in"],
        Value::Null,
        "Zendesk's default: no expiry"
    );
    assert_eq!(reply.body["refresh_token_expires_in"], 2_592_000);
    assert!(!refresh.is_empty() && refresh != access);

    let me = as_token(&sb, Method::GET, "/api/v2/tickets.json", &access, None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let current = as_token(
        &sb,
        Method::GET,
        "/api/v2/oauth/tokens/current.json",
        &access,
        None,
    )
    .await;
    assert_eq!(current.body["token"]["user_id"], user_id);
    assert_eq!(
        current.body["token"]["scopes"],
        json!(["read", "tickets:write"])
    );
    assert_eq!(current.body["token"]["token"], Value::Null);
    assert!(!current.text.contains(&access) && !current.text.contains(&refresh));

    // A form body works as well as JSON at the token endpoint.
    let code = code_for(&sb, "zd_cli", &email, "read").await;
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/tokens")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(query(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", "zd_cli"),
            ("redirect_uri", LISTENER),
            ("code_verifier", VERIFIER),
        ])))
        .unwrap();
    tokens(&sb.raw(request).await);
}

#[tokio::test]
async fn deny_goes_back_with_access_denied_and_a_wrong_password_stays() {
    let sb = sandbox().await;
    client(&sb, "zd_cli", "public").await;
    let (_, email) = person(&sb, "Denier", "end-user").await;
    let shown = page(&sb, &request_params("zd_cli", "read", "s1")).await;
    let denied = post_form(&sb, &answer(&shown.text, "", "", "deny")).await;
    let (base, pairs) = location(&denied);
    assert_eq!(base, LISTENER);
    assert_eq!(get(&pairs, "error"), Some("access_denied"));
    assert_eq!(get(&pairs, "state"), Some("s1"));
    assert_eq!(get(&pairs, "code"), None);

    let wrong = post_form(&sb, &answer(&shown.text, &email, "not it", "allow")).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.headers.get("location").is_none());
    assert!(wrong.text.contains("email or password is wrong"));
    assert!(wrong.text.contains(&email), "the email is kept in the form");
    // Failed sign-ins are throttled per account: past ten, a wrong password is answered after
    // a pause; the right one still signs in.
    for _ in 0..9 {
        post_form(&sb, &answer(&shown.text, &email, "not it", "allow")).await;
    }
    let started = std::time::Instant::now();
    let slowed = post_form(&sb, &answer(&shown.text, &email, "not it", "allow")).await;
    assert_eq!(slowed.status, StatusCode::UNAUTHORIZED);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(slowed.headers.get("location").is_none());
    let allowed = post_form(&sb, &answer(&shown.text, &email, PASSWORD, "allow")).await;
    assert_eq!(allowed.status, StatusCode::FOUND, "{}", allowed.text);
}

#[tokio::test]
async fn an_unknown_client_or_unregistered_redirect_is_an_error_page_never_a_redirect() {
    let sb = sandbox().await;
    client(&sb, "zd_cli", "public").await;
    let (_, email) = person(&sb, "Phished", "agent").await;
    let with = |client_id: &'static str, redirect: &'static str| {
        let mut params = request_params(client_id, "read", "s");
        params[2] = ("redirect_uri", redirect);
        params
    };
    for (params, says) in [
        (with("nobody", LISTENER), "No OAuth client"),
        (
            with("zd_cli", "https://evil.example/callback"),
            "not registered",
        ),
        (
            with("zd_cli", "http://127.0.0.1:5000/other"),
            "not registered",
        ),
        (
            with("zd_cli", "http://localhost:5000/callback"),
            "not registered",
        ),
        (
            with("zd_cli", "https://app.example.com:8443/cb"),
            "not registered",
        ),
        (
            with("zd_cli", "https://app.example.com/cb/../x"),
            "not registered",
        ),
    ] {
        let reply = page(&sb, &params).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{params:?}");
        assert!(reply.headers.get("location").is_none());
        assert!(reply.text.contains(says), "{}", reply.text);
    }
    // The exact registered URI works, and a tampered hidden field is caught on the way back.
    let shown = page(&sb, &with("zd_cli", "https://app.example.com/cb")).await;
    assert_eq!(shown.status, StatusCode::OK);
    let mut fields = answer(&shown.text, &email, PASSWORD, "allow");
    for (key, value) in fields.iter_mut() {
        if key == "redirect_uri" {
            *value = "https://evil.example/callback".into();
        }
    }
    let tampered = post_form(&sb, &fields).await;
    assert_eq!(tampered.status, StatusCode::BAD_REQUEST);
    assert!(tampered.headers.get("location").is_none());
    let tokens = sb.get("/api/v2/oauth/tokens.json?all=true").await;
    assert_eq!(tokens.body["count"], 0);
}

#[tokio::test]
async fn a_bad_authorization_request_goes_back_with_oauths_error() {
    let sb = sandbox().await;
    client(&sb, "zd_cli", "public").await;
    client(&sb, "server_app", "confidential").await;
    let base = request_params("zd_cli", "read", "keep-me");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            base.iter()
                .map(|p| {
                    if p.0 == "response_type" {
                        ("response_type", "token")
                    } else {
                        *p
                    }
                })
                .collect(),
            "unsupported_response_type",
        ),
        (
            base.iter()
                .filter(|p| p.0 != "response_type")
                .copied()
                .collect(),
            "invalid_request",
        ),
        (
            base.iter()
                .map(|p| {
                    if p.0 == "scope" {
                        ("scope", "admin")
                    } else {
                        *p
                    }
                })
                .collect(),
            "invalid_scope",
        ),
        (
            base.iter().filter(|p| p.0 != "scope").copied().collect(),
            "invalid_scope",
        ),
        (
            base.iter()
                .map(|p| {
                    if p.0 == "code_challenge_method" {
                        ("code_challenge_method", "plain")
                    } else {
                        *p
                    }
                })
                .collect(),
            "invalid_request",
        ),
        (
            base.iter()
                .filter(|p| !p.0.starts_with("code_challenge"))
                .copied()
                .collect(),
            "invalid_request",
        ),
        (
            [base.clone(), vec![("scope", "write")]].concat(),
            "invalid_request",
        ),
    ];
    for (params, error) in cases {
        let reply = page(&sb, &params).await;
        let (to, pairs) = location(&reply);
        assert_eq!(to, LISTENER);
        assert_eq!(get(&pairs, "error"), Some(error), "{params:?}");
        assert_eq!(get(&pairs, "state"), Some("keep-me"));
        assert!(get(&pairs, "error_description").is_some());
    }
    // A confidential client may leave PKCE out (it has its secret).
    let mut plain = request_params("server_app", "read", "s");
    plain.retain(|p| !p.0.starts_with("code_challenge"));
    assert_eq!(page(&sb, &plain).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_code_is_single_use_and_its_replay_revokes_what_it_bought() {
    let sb = sandbox().await;
    client(&sb, "zd_cli", "public").await;
    let (_, email) = person(&sb, "Replayed", "agent").await;
    let code = code_for(&sb, "zd_cli", &email, "read write").await;
    let (access, refresh) = tokens(&token_request(&sb, exchange("zd_cli", &code)).await);
    assert_eq!(
        as_token(&sb, Method::GET, "/api/v2/users/me.json", &access, None)
            .await
            .status,
        StatusCode::OK
    );

    let again = token_request(&sb, exchange("zd_cli", &code)).await;
    refused(&again, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(again.body.get("access_token").is_none());
    // The replay took back what the first exchange gave.
    let me = as_token(&sb, Method::GET, "/api/v2/users/me.json", &access, None).await;
    refused(&me, StatusCode::UNAUTHORIZED, "invalid_token");
    refused(
        &token_request(&sb, refresh_body("zd_cli", &refresh)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_eq!(
        sb.get("/api/v2/oauth/tokens.json?all=true").await.body["count"],
        0
    );
    refused(
        &token_request(&sb, exchange("zd_cli", "never-issued")).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

#[tokio::test]
async fn pkce_redirect_uri_and_client_must_all_match_and_a_failure_spends_the_code() {
    let sb = sandbox().await;
    client(&sb, "zd_cli", "public").await;
    client(&sb, "other_cli", "public").await;
    let (_, email) = person(&sb, "Pkce User", "agent").await;
    let tampered: Vec<(Value, &str)> = vec![
        (json!({"code_verifier": "A".repeat(43)}), "invalid_grant"),
        (json!({"code_verifier": null}), "invalid_grant"),
        (
            json!({"redirect_uri": "http://127.0.0.1:1/callback"}),
            "invalid_grant",
        ),
        (json!({"redirect_uri": null}), "invalid_request"),
        (json!({"client_id": "other_cli"}), "invalid_grant"),
        (json!({"scope": "read write"}), "invalid_scope"),
    ];
    for (change, error) in tampered {
        let code = code_for(&sb, "zd_cli", &email, "read").await;
        let mut body = exchange("zd_cli", &code);
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = token_request(&sb, body).await;
        refused(&reply, StatusCode::BAD_REQUEST, error);
        // Spent: the right request with the same code is refused now.
        let retry = token_request(&sb, exchange("zd_cli", &code)).await;
        refused(&retry, StatusCode::BAD_REQUEST, "invalid_grant");
    }
    assert_eq!(
        sb.get("/api/v2/oauth/tokens.json?all=true").await.body["count"],
        0
    );

    // A code expires after 120 s (moved past its expiry here).
    let code = code_for(&sb, "zd_cli", &email, "read").await;
    sb.state
        .store()
        .write(|tx| tx.execute("UPDATE oauth_codes SET expires_at = expires_at - 121", &[]))
        .await
        .unwrap();
    let late = token_request(&sb, exchange("zd_cli", &code)).await;
    refused(&late, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        late.body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    // A narrower scope than granted is fine.
    let code = code_for(&sb, "zd_cli", &email, "read write").await;
    let mut body = exchange("zd_cli", &code);
    body["scope"] = json!("read");
    let reply = token_request(&sb, body).await;
    tokens(&reply);
    assert_eq!(reply.body["scope"], "read");
}

#[tokio::test]
async fn refresh_rotates_and_a_spent_refresh_token_revokes_the_sign_in() {
    let sb = sandbox().await;
    client(&sb, "zd_cli", "public").await;
    let (_, email) = person(&sb, "Rotator", "agent").await;
    let (access, refresh) = signed_in(&sb, "zd_cli", &email, "read write", json!({})).await;
    assert_eq!(
        as_token(&sb, Method::GET, "/api/v2/users/me.json", &access, None)
            .await
            .status,
        StatusCode::OK
    );

    let rotated = token_request(&sb, refresh_body("zd_cli", &refresh)).await;
    let (access2, refresh2) = tokens(&rotated);
    assert_eq!(rotated.body["scope"], "read write");
    assert_ne!(access2, access);
    assert_ne!(refresh2, refresh);
    refused(
        &as_token(&sb, Method::GET, "/api/v2/users/me.json", &access, None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    assert_eq!(
        as_token(&sb, Method::GET, "/api/v2/users/me.json", &access2, None)
            .await
            .status,
        StatusCode::OK
    );

    // The old refresh token again: refused, and the whole sign-in goes with it.
    refused(
        &token_request(&sb, refresh_body("zd_cli", &refresh)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    refused(
        &as_token(&sb, Method::GET, "/api/v2/users/me.json", &access2, None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    refused(
        &token_request(&sb, refresh_body("zd_cli", &refresh2)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );

    // A refresh token belongs to its client, and may narrow but not widen the scopes.
    let (_, refresh) = signed_in(&sb, "zd_cli", &email, "read", json!({})).await;
    client(&sb, "thief", "public").await;
    refused(
        &token_request(&sb, refresh_body("thief", &refresh)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    let mut wider = refresh_body("zd_cli", &refresh);
    wider["scope"] = json!("read write");
    refused(
        &token_request(&sb, wider).await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    );
    tokens(&token_request(&sb, refresh_body("zd_cli", &refresh)).await);
}

#[tokio::test]
async fn access_tokens_expire_even_from_the_sign_in_cache_and_refresh_tokens_too() {
    let sb = short_lived().await;
    client(&sb, "zd_cli", "public").await;
    let (_, email) = person(&sb, "Expiring", "agent").await;
    let lifetimes = json!({"expires_in": 1, "refresh_token_expires_in": 3});
    let (access, refresh) = signed_in(&sb, "zd_cli", &email, "read", lifetimes.clone()).await;
    // Signed in (and cached: the cache keeps a sign-in 2 s) ...
    assert_eq!(
        as_token(&sb, Method::GET, "/api/v2/users/me.json", &access, None)
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    // ... and refused once it expired, within the cache's 2 s.
    refused(
        &as_token(&sb, Method::GET, "/api/v2/users/me.json", &access, None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    let mut again = refresh_body("zd_cli", &refresh);
    again["expires_in"] = json!(1);
    again["refresh_token_expires_in"] = json!(1);
    let (fresh, refresh) = tokens(&token_request(&sb, again).await);
    assert_eq!(
        as_token(&sb, Method::GET, "/api/v2/users/me.json", &fresh, None)
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let late = token_request(&sb, refresh_body("zd_cli", &refresh)).await;
    refused(&late, StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(
        late.body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );

    // Lifetimes out of bounds are refused (1 s..2 days here; Zendesk's own are checked below).
    let code = code_for(&sb, "zd_cli", &email, "read").await;
    let mut body = exchange("zd_cli", &code);
    body["expires_in"] = json!(10);
    body["refresh_token_expires_in"] = json!(5);
    refused(
        &token_request(&sb, body).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );

    let zendesk = sandbox().await;
    client(&zendesk, "zd_cli", "public").await;
    let (_, email) = person(&zendesk, "Bounded", "agent").await;
    let code = code_for(&zendesk, "zd_cli", &email, "read").await;
    let mut body = exchange("zd_cli", &code);
    body["expires_in"] = json!(60);
    let reply = token_request(&zendesk, body).await;
    refused(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        reply.body["error_description"]
            .as_str()
            .unwrap()
            .contains("300")
    );
    let code = code_for(&zendesk, "zd_cli", &email, "read").await;
    let mut body = exchange("zd_cli", &code);
    body["expires_in"] = json!(300);
    let reply = token_request(&zendesk, body).await;
    tokens(&reply);
    assert_eq!(reply.body["expires_in"], 300);
}

#[tokio::test]
async fn revoking_a_token_signs_it_out_at_once() {
    let sb = sandbox().await;
    client(&sb, "zd_cli", "public").await;
    let (_, email) = person(&sb, "Revoker", "agent").await;
    let (_, other_email) = person(&sb, "Bystander", "agent").await;

    // By id, by its owner: the cached sign-in does not outlive it.
    let (access, refresh) = signed_in(&sb, "zd_cli", &email, "read", json!({})).await;
    let current = as_token(
        &sb,
        Method::GET,
        "/api/v2/oauth/tokens/current.json",
        &access,
        None,
    )
    .await;
    let id = current.body["token"]["id"].as_i64().unwrap();
    // Another user cannot see or revoke it (as if it did not exist).
    let (bystander, _) = signed_in(&sb, "zd_cli", &other_email, "read write", json!({})).await;
    let path = format!("/api/v2/oauth/tokens/{id}.json");
    assert_eq!(
        as_token(&sb, Method::GET, &path, &bystander, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        as_token(&sb, Method::DELETE, &path, &bystander, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let own = sb
        .call(Method::DELETE, &path, Some(&basic(&email, PASSWORD)), None)
        .await;
    assert_eq!(own.status, StatusCode::NO_CONTENT, "{}", own.text);
    refused(
        &as_token(&sb, Method::GET, "/api/v2/users/me.json", &access, None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    refused(
        &token_request(&sb, refresh_body("zd_cli", &refresh)).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );

    // The calling token, whatever its scopes (a read-only sign-in can sign out).
    let (access, _) = signed_in(&sb, "zd_cli", &email, "tickets:read", json!({})).await;
    assert_eq!(
        as_token(&sb, Method::GET, "/api/v2/tickets.json", &access, None)
            .await
            .status,
        StatusCode::OK
    );
    let gone = as_token(
        &sb,
        Method::DELETE,
        "/api/v2/oauth/tokens/current.json",
        &access,
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    refused(
        &as_token(&sb, Method::GET, "/api/v2/tickets.json", &access, None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
    // Without a bearer token there is no current token to name.
    let basic_current = sb.delete("/api/v2/oauth/tokens/current.json").await;
    assert_eq!(basic_current.status, StatusCode::BAD_REQUEST);

    // An admin revokes anyone's.
    let bystander_id = as_token(
        &sb,
        Method::GET,
        "/api/v2/oauth/tokens/current.json",
        &bystander,
        None,
    )
    .await
    .body["token"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        sb.delete(&format!("/api/v2/oauth/tokens/{bystander_id}.json"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    refused(
        &as_token(&sb, Method::GET, "/api/v2/users/me.json", &bystander, None).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    );
}

#[tokio::test]
async fn token_lists_show_when_and_what_but_never_a_value() {
    let sb = sandbox().await;
    let made = client(&sb, "zd_cli", "public").await;
    let (user_id, email) = person(&sb, "Lister", "end-user").await;
    let (access, refresh) = signed_in(&sb, "zd_cli", &email, "read", json!({})).await;
    let minted = sb
        .post(
            "/api/v2/oauth/tokens.json",
            json!({"token": {"scopes": ["tickets:read"], "client_id": made["id"]}}),
        )
        .await;
    assert_eq!(minted.status, StatusCode::CREATED, "{}", minted.text);
    let full = minted.body["token"]["full_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(minted.body["token"]["client_id"], made["id"]);

    let own = as_token(&sb, Method::GET, "/api/v2/oauth/tokens.json", &access, None).await;
    assert_eq!(own.body["count"], 1, "{}", own.text);
    let listed = &own.body["tokens"][0];
    assert_eq!(listed["user_id"], user_id);
    assert_eq!(listed["client_id"], made["id"]);
    assert_eq!(listed["token"], Value::Null);
    assert_eq!(listed["refresh_token"], Value::Null);
    assert!(listed["refresh_token_expires_at"].as_str().is_some());
    let all = as_token(
        &sb,
        Method::GET,
        "/api/v2/oauth/tokens.json?all=true",
        &access,
        None,
    )
    .await;
    assert_eq!(all.status, StatusCode::FORBIDDEN);
    let everyone = sb.get("/api/v2/oauth/tokens.json?all=true").await;
    assert_eq!(everyone.body["count"], 2);
    let by_client = sb
        .get(&format!(
            "/api/v2/oauth/tokens.json?all=true&client_id={}",
            made["id"]
        ))
        .await;
    assert_eq!(by_client.body["count"], 2);
    for reply in [&own, &everyone, &by_client] {
        for secret in [&access, &refresh, &full] {
            assert!(!reply.text.contains(secret.as_str()));
        }
    }
    // Minting is Zendesk's admin-only endpoint.
    let by_user = sb
        .call(
            Method::POST,
            "/api/v2/oauth/tokens.json",
            Some(&basic(&email, PASSWORD)),
            Some(json!({"token": {}})),
        )
        .await;
    assert_eq!(by_user.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn scopes_are_enforced_on_every_endpoint_of_the_table() {
    let sb = sandbox().await;
    let mint = |scopes: Value| {
        let sb = &sb;
        async move {
            let reply = sb
                .post(
                    "/api/v2/oauth/tokens.json",
                    json!({"token": {"scopes": scopes}}),
                )
                .await;
            reply.body["token"]["full_token"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let read = mint(json!(["read"])).await;
    let write = mint(json!(["write"])).await;
    let mut checked = 0;
    for (method, template, _) in endpoint_access() {
        let path = template.replace("{id}", "1").replace("{user_id}", "1");
        let reading = method == Method::GET;
        let body = (!reading && method != Method::DELETE).then(|| json!({}));
        if template == "/api/v2/oauth/tokens/current" {
            // A token may always look at and revoke itself (a throwaway one here).
            let throwaway = mint(json!([if reading { "write" } else { "read" }])).await;
            let reply = as_token(&sb, method.clone(), &path, &throwaway, body).await;
            assert!(
                reply.status.is_success(),
                "{method} {template}: {}",
                reply.text
            );
        } else {
            // A read token may not write anywhere, a write token may not read: 403 first.
            let token = if reading { &write } else { &read };
            let reply = as_token(&sb, method.clone(), &path, token, body).await;
            assert_eq!(
                reply.status,
                StatusCode::FORBIDDEN,
                "{method} {template}: {}",
                reply.text
            );
            assert_eq!(reply.body["error"], "Forbidden");
        }
        checked += 1;
    }
    assert!(checked >= 80, "{checked}");

    // Resource scopes: tickets only.
    let tickets_read = mint(json!(["tickets:read"])).await;
    let ticket = sb.ticket("Scoped").await;
    for (path, allowed) in [
        ("/api/v2/tickets.json".to_string(), true),
        (format!("/api/v2/tickets/{ticket}/comments.json"), true),
        ("/api/v2/deleted_tickets.json".to_string(), true),
        ("/api/v2/users.json".to_string(), false),
        ("/api/v2/users/me.json".to_string(), false),
        ("/api/v2/groups.json".to_string(), false),
        ("/api/v2/search.json?query=x".to_string(), false),
    ] {
        let reply = as_token(&sb, Method::GET, &path, &tickets_read, None).await;
        assert_eq!(
            reply.status == StatusCode::OK,
            allowed,
            "{path}: {}",
            reply.text
        );
        if !allowed {
            assert_eq!(reply.status, StatusCode::FORBIDDEN);
        }
    }
    // Write one resource, read everything: Zendesk's "organizations:write read" pattern.
    let mixed = mint(json!(["tickets:write", "read"])).await;
    let created = as_token(
        &sb,
        Method::POST,
        "/api/v2/tickets.json",
        &mixed,
        Some(json!({"ticket": {"subject": "via scope", "comment": {"body": "x"}}})),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let refused_write = as_token(
        &sb,
        Method::POST,
        "/api/v2/organizations.json",
        &mixed,
        Some(json!({"organization": {"name": "Not allowed"}})),
    )
    .await;
    assert_eq!(refused_write.status, StatusCode::FORBIDDEN);
    assert_eq!(
        as_token(&sb, Method::GET, "/api/v2/organizations.json", &mixed, None)
            .await
            .status,
        StatusCode::OK
    );
    let orgs = sb.get("/api/v2/organizations.json").await;
    assert!(
        !orgs.text.contains("Not allowed"),
        "a refused write changes nothing"
    );
    let users_rw = mint(json!(["users:read", "users:write"])).await;
    assert_eq!(
        as_token(&sb, Method::GET, "/api/v2/users/me.json", &users_rw, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        as_token(&sb, Method::GET, "/api/v2/tickets.json", &users_rw, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn client_credentials_are_for_confidential_clients() {
    let sb = sandbox().await;
    let made = client(&sb, "backend", "confidential").await;
    let secret = made["secret"].as_str().unwrap().to_string();
    client(&sb, "zd_cli", "public").await;
    let body = |client_id: &str, secret: Option<&str>, scope: Option<&str>| {
        let mut body = json!({"grant_type": "client_credentials", "client_id": client_id});
        if let Some(secret) = secret {
            body["client_secret"] = json!(secret);
        }
        if let Some(scope) = scope {
            body["scope"] = json!(scope);
        }
        body
    };
    let reply = token_request(&sb, body("backend", Some(&secret), Some("read"))).await;
    let (access, refresh) = tokens(&reply);
    assert!(
        refresh.is_empty(),
        "no refresh token for client_credentials"
    );
    let me = as_token(&sb, Method::GET, "/api/v2/users/me.json", &access, None).await;
    assert_eq!(
        me.body["user"]["email"], "admin@example.com",
        "acts as the client's admin"
    );

    // HTTP Basic client authentication.
    let basic_auth = basic("backend", &secret);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/tokens")
        .header("content-type", "application/json")
        .header("authorization", &basic_auth)
        .body(Body::from(
            json!({"grant_type": "client_credentials", "scope": "read"}).to_string(),
        ))
        .unwrap();
    tokens(&sb.raw(request).await);
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/tokens")
        .header("content-type", "application/json")
        .header("authorization", basic("backend", "wrong"))
        .body(Body::from(
            json!({"grant_type": "client_credentials", "scope": "read"}).to_string(),
        ))
        .unwrap();
    let wrong = sb.raw(request).await;
    refused(&wrong, StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(wrong.headers.contains_key("www-authenticate"));

    refused(
        &token_request(&sb, body("backend", Some("wrong"), Some("read"))).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    refused(
        &token_request(&sb, body("backend", None, Some("read"))).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    refused(
        &token_request(&sb, body("backend", Some(&secret), None)).await,
        StatusCode::BAD_REQUEST,
        "invalid_scope",
    );
    refused(
        &token_request(&sb, body("zd_cli", None, Some("read"))).await,
        StatusCode::BAD_REQUEST,
        "unauthorized_client",
    );
    refused(
        &token_request(&sb, body("nobody", None, Some("read"))).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
}

#[tokio::test]
async fn the_token_endpoint_answers_bad_requests_as_oauth_does() {
    let sb = sandbox().await;
    client(&sb, "zd_cli", "public").await;
    let confidential = client(&sb, "web_app", "confidential").await;
    let (_, email) = person(&sb, "Bad Requests", "agent").await;
    for (body, error) in [
        (json!({}), "invalid_request"),
        (
            json!({"grant_type": "implicit", "client_id": "zd_cli"}),
            "unsupported_grant_type",
        ),
        (
            json!({"grant_type": "password", "client_id": "zd_cli", "username": email, "password": PASSWORD}),
            "unsupported_grant_type",
        ),
        (
            json!({"grant_type": "authorization_code", "code": "x"}),
            "invalid_request",
        ),
        (
            json!({"grant_type": "authorization_code", "client_id": "zd_cli"}),
            "invalid_request",
        ),
        (
            json!({"grant_type": "authorization_code", "client_id": 7, "code": "x"}),
            "invalid_request",
        ),
        (
            json!({"grant_type": "refresh_token", "client_id": "zd_cli"}),
            "invalid_request",
        ),
        (
            json!({"grant_type": "refresh_token", "client_id": "zd_cli", "refresh_token": "forged"}),
            "invalid_grant",
        ),
        (
            json!({"grant_type": "refresh_token", "client_id": "zd_cli", "client_secret": "x", "refresh_token": "r"}),
            "invalid_client",
        ),
    ] {
        let reply = token_request(&sb, body.clone()).await;
        assert_eq!(reply.body["error"], error, "{body}: {}", reply.text);
        assert_eq!(reply.headers["cache-control"], "no-store");
    }
    let request = Request::builder()
        .method(Method::POST)
        .uri("/oauth/tokens")
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    refused(
        &sb.raw(request).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );

    // A confidential client's code needs its secret too.
    let mut params = request_params("web_app", "read", "s");
    params.retain(|p| !p.0.starts_with("code_challenge"));
    let shown = page(&sb, &params).await;
    let (_, pairs) =
        location(&post_form(&sb, &answer(&shown.text, &email, PASSWORD, "allow")).await);
    let code = get(&pairs, "code").unwrap().to_string();
    let mut body = json!({"grant_type": "authorization_code", "code": code, "client_id": "web_app",
                          "redirect_uri": LISTENER});
    refused(
        &token_request(&sb, body.clone()).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    body["client_secret"] = confidential["secret"].clone();
    tokens(&token_request(&sb, body).await);
}

/// Everything this test binary logs, from every thread. A process-wide subscriber, not a
/// scoped one: a scoped (thread-local) subscriber misses events whose callsite interest another
/// test thread cached while it had none, which made the log check below flaky.
fn captured_logs() -> &'static std::sync::Mutex<Vec<u8>> {
    use std::sync::{Mutex, OnceLock};
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        struct Captured(&'static Mutex<Vec<u8>>);
        impl std::io::Write for Captured {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || Captured(logs))
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other subscriber in this test binary");
        logs
    })
}

#[tokio::test]
async fn no_secret_is_stored_logged_or_shown_again() {
    let logs = captured_logs();

    let dir = std::env::temp_dir().join(format!("zd-oauth-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let db = dir.join("sandbox.db");
    let sb = sandbox_with(Config {
        db_url: format!("sqlite://{}", db.display()),
        ..Config::in_memory(ADMIN_TOKEN)
    })
    .await;
    let made = client(&sb, "backend", "confidential").await;
    let client_secret = made["secret"].as_str().unwrap().to_string();
    client(&sb, "zd_cli", "public").await;
    let (_, email) = person(&sb, "Secretive", "agent").await;
    let code = code_for(&sb, "zd_cli", &email, "read write").await;
    let (access, refresh) = tokens(&token_request(&sb, exchange("zd_cli", &code)).await);
    let (access2, refresh2) = tokens(&token_request(&sb, refresh_body("zd_cli", &refresh)).await);
    // Refusals that name what they refuse, none quoting it.
    let replay = token_request(&sb, exchange("zd_cli", &code)).await;
    let stale = token_request(&sb, refresh_body("zd_cli", &refresh)).await;
    let bad_secret = token_request(
        &sb,
        json!({"grant_type": "client_credentials", "client_id": "backend", "client_secret": format!("{client_secret}x"), "scope": "read"}),
    )
    .await;
    let bad_bearer = as_token(&sb, Method::GET, "/api/v2/users/me.json", &access, None).await;
    let listed = sb.get("/api/v2/oauth/tokens.json?all=true").await;
    let clients = sb.get("/api/v2/oauth/clients.json").await;
    sb.state.close().await.unwrap();

    let secrets = [
        &client_secret,
        &code,
        &access,
        &refresh,
        &access2,
        &refresh2,
    ];
    for reply in [&replay, &stale, &bad_secret, &bad_bearer, &listed, &clients] {
        for secret in secrets {
            assert!(!reply.text.contains(secret.as_str()), "{}", reply.text);
        }
    }
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "key") {
            continue;
        }
        stored.extend(std::fs::read(&path).unwrap());
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains("hmac-sha256:"), "hashes are stored");
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).to_string();
    // The log tells what happened (so the check below reads real lines) ...
    for event in [
        "code issued",
        "OAuth token issued",
        "OAuth token request refused",
        "invalid_grant",
        "invalid_client",
    ] {
        assert!(logged.contains(event), "{event}: {logged}");
    }
    for secret in secrets {
        assert!(
            !stored.contains(secret.as_str()),
            "a secret is in the database file"
        );
        // ... and never with a secret.
        assert!(!logged.contains(secret.as_str()), "a secret is in the log");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Guessing a client's secret is slowed (past ten wrong ones a minute, each wrong answer
/// waits a second, one at a time), while the right secret still gets its token. Bearer tokens
/// are not throttled: each is 256 random bits, which nobody guesses, and each guess is a
/// different token.
#[tokio::test]
async fn guessing_client_secrets_is_slowed_and_bearer_guesses_are_refused() {
    let sb = sandbox().await;
    for _ in 0..11 {
        let reply = as_token(&sb, Method::GET, "/api/v2/tickets.json", "guessed", None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.body["error"], "invalid_token");
    }
    let made = client(&sb, "backend", "confidential").await;
    let secret = made["secret"].as_str().expect("a secret").to_string();
    let guess = json!({"grant_type": "client_credentials", "client_id": "backend",
                       "client_secret": "guess", "scope": "read"});
    for _ in 0..10 {
        refused(
            &token_request(&sb, guess.clone()).await,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        );
    }
    let started = std::time::Instant::now();
    refused(
        &token_request(&sb, guess).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    let right = token_request(
        &sb,
        json!({"grant_type": "client_credentials", "client_id": "backend",
               "client_secret": secret, "scope": "read"}),
    )
    .await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.text);
}
