//! `zd auth` end to end against a fake Zendesk OAuth server in this process (axum): `login
//! --no-browser` with a "browser" (an HTTP client) following the authorization page's redirect
//! to zd's listener; then `zd users get me` on the stored sign-in; `status` and `token`; a
//! token dropped by the server in the middle of `zd tickets list --all` (refreshed, rotation
//! stored, no page lost); `logout` revoking at the server and forgetting; after which the
//! embedded sandbox is back. Also: a redirect with a forged `state` stores nothing. Secrets go
//! to the 0600 file here (`ZD_KEYRING=file`), and no token ever shows on stdout or stderr
//! except `zd auth token`'s own output.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};

const CLIENT_ID: &str = "zd_cli";

#[derive(Default)]
struct Fake {
    codes: Mutex<HashMap<String, (String, String)>>, // code -> (challenge, redirect_uri)
    access: Mutex<Vec<String>>,
    refresh: Mutex<Vec<String>>,
    issued: Mutex<Vec<(String, String)>>,
    refreshes: AtomicUsize,
    revoked: Mutex<Vec<String>>,
    expire_after_first_page: Mutex<bool>,
    counter: AtomicUsize,
}

impl Fake {
    fn issue(&self, scope: &str) -> Value {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let (access, refresh) = (
            format!("AT{n}x{}", 1000 + n * 7),
            format!("RT{n}y{}", 2000 + n * 13),
        );
        self.access.lock().unwrap().push(access.clone());
        self.refresh.lock().unwrap().push(refresh.clone());
        self.issued
            .lock()
            .unwrap()
            .push((access.clone(), refresh.clone()));
        json!({ "access_token": access, "token_type": "bearer", "scope": scope,
                "refresh_token": refresh, "expires_in": 7200, "refresh_token_expires_in": 604800 })
    }

    fn current(&self) -> (String, String) {
        self.issued.lock().unwrap().last().cloned().unwrap()
    }

    fn valid(&self, headers: &HeaderMap) -> Option<String> {
        let token = headers
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?
            .to_owned();
        self.access
            .lock()
            .unwrap()
            .contains(&token)
            .then_some(token)
    }
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error": "Couldn't authenticate you" })),
    )
        .into_response()
}

fn invalid_grant() -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": "invalid_grant", "error_description": "The provided authorization grant is invalid." }))).into_response()
}

async fn authorize(
    State(fake): State<Arc<Fake>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["code_challenge_method"], "S256");
    let code = format!("CODE{}", fake.counter.fetch_add(1, Ordering::SeqCst));
    fake.codes.lock().unwrap().insert(
        code.clone(),
        (q["code_challenge"].clone(), q["redirect_uri"].clone()),
    );
    let mut location = url::Url::parse(&q["redirect_uri"]).unwrap();
    location
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &q["state"]);
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

async fn tokens(State(fake): State<Arc<Fake>>, Json(body): Json<Value>) -> Response {
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    assert_eq!(text("client_id"), CLIENT_ID);
    match text("grant_type").as_str() {
        "authorization_code" => {
            let Some((challenge, redirect)) = fake.codes.lock().unwrap().remove(&text("code"))
            else {
                return invalid_grant();
            };
            if zendesk::oauth::s256_challenge(&text("code_verifier")) != challenge
                || text("redirect_uri") != redirect
            {
                return invalid_grant();
            }
            (StatusCode::CREATED, Json(fake.issue(&text("scope")))).into_response()
        }
        "refresh_token" => {
            let mut refresh = fake.refresh.lock().unwrap();
            let Some(at) = refresh.iter().position(|t| *t == text("refresh_token")) else {
                return invalid_grant();
            };
            refresh.remove(at);
            drop(refresh);
            fake.access.lock().unwrap().clear();
            fake.refreshes.fetch_add(1, Ordering::SeqCst);
            (StatusCode::CREATED, Json(fake.issue("read write"))).into_response()
        }
        _ => invalid_grant(),
    }
}

async fn me(State(fake): State<Arc<Fake>>, headers: HeaderMap) -> Response {
    if fake.valid(&headers).is_none() {
        return unauthorized();
    }
    Json(json!({ "user": { "id": 7, "name": "Ada Admin", "email": "ada@example.com", "role": "admin", "active": true } })).into_response()
}

async fn tickets(
    State(fake): State<Arc<Fake>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(token) = fake.valid(&headers) else {
        return unauthorized();
    };
    let page: u64 = match q.get("page[after]").map(String::as_str) {
        None => 1,
        Some("c2") => 2,
        Some("c3") => 3,
        Some(_) => return (StatusCode::BAD_REQUEST, "bad cursor").into_response(),
    };
    if page == 1 && std::mem::take(&mut *fake.expire_after_first_page.lock().unwrap()) {
        fake.access.lock().unwrap().retain(|t| *t != token);
    }
    let ids = [page * 2 - 1, page * 2];
    Json(json!({
        "tickets": ids.iter().map(|id| json!({ "id": id, "subject": format!("ticket {id}"), "status": "open" })).collect::<Vec<_>>(),
        "meta": { "has_more": page < 3, "after_cursor": (page < 3).then(|| format!("c{}", page + 1)), "before_cursor": null },
        "links": { "next": (page < 3).then(|| format!("http://x/api/v2/tickets?page%5Bafter%5D=c{}", page + 1)), "prev": null },
    }))
    .into_response()
}

async fn revoke(State(fake): State<Arc<Fake>>, headers: HeaderMap) -> Response {
    let Some(token) = fake.valid(&headers) else {
        return unauthorized();
    };
    fake.access.lock().unwrap().retain(|t| *t != token);
    fake.revoked.lock().unwrap().push(token);
    StatusCode::NO_CONTENT.into_response()
}

async fn start() -> (Arc<Fake>, String) {
    let fake = Arc::new(Fake::default());
    let app = Router::new()
        .route("/oauth/authorizations/new", get(authorize))
        .route("/oauth/tokens", post(tokens))
        .route("/api/v2/users/me", get(me))
        .route("/api/v2/tickets", get(tickets))
        .route("/api/v2/oauth/tokens/current", delete(revoke))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (fake, url)
}

fn zd_command(dir: &Path, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_zd"));
    command
        .args(args)
        .env_remove("ZENDESK_SUBDOMAIN")
        .env_remove("ZENDESK_BASE_URL")
        .env_remove("ZENDESK_EMAIL")
        .env_remove("ZENDESK_API_TOKEN")
        .env_remove("ZENDESK_OAUTH_TOKEN")
        .env_remove("BROWSER")
        .env("ZD_CONFIG_DIR", dir.join("config"))
        .env("ZD_KEYRING", "file")
        .env("ZD_SANDBOX_DB", dir.join("sandbox.db"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

async fn zd(dir: &Path, args: &[&str]) -> Run {
    let output = zd_command(dir, args).output().await.unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Starts `zd auth login --no-browser`, returns the child and the URL it printed.
async fn start_login(dir: &Path, base_url: &str) -> (tokio::process::Child, String, Vec<String>) {
    let mut child = zd_command(
        dir,
        &[
            "auth",
            "login",
            "--base-url",
            base_url,
            "--client-id",
            CLIENT_ID,
            "--no-browser",
            "--timeout",
            "30",
        ],
    )
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
            .await
            .expect("zd printed the URL in time")
            .unwrap()
            .expect("zd still running");
        seen.push(line.clone());
        if line.trim_start().starts_with("http") {
            // Keep reading stderr in the background so zd never blocks on a full pipe.
            let collected = Arc::new(Mutex::new(Vec::<String>::new()));
            let sink = collected.clone();
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    sink.lock().unwrap().push(line);
                }
            });
            return (child, line.trim().to_owned(), seen);
        }
    }
}

fn browser() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_use_refresh_mid_paging_and_logout() {
    let (fake, url) = start().await;
    let dir = tempfile::tempdir().unwrap();

    let (mut child, authorize_url, _) = start_login(dir.path(), &url).await;
    assert!(
        authorize_url.starts_with(&format!("{url}/oauth/authorizations/new?")),
        "{authorize_url}"
    );
    let page = browser().get(&authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Signed in"));
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let (access, refresh) = fake.current();

    let file = dir.path().join("config").join("accounts.json");
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["current"], url.as_str());
    assert_eq!(stored["accounts"][&url]["user"]["email"], "ada@example.com");
    assert_eq!(
        stored["accounts"][&url]["secrets"]["refresh_token"],
        refresh.as_str()
    );

    // Every command now uses the stored sign-in (the sandbox would answer another user).
    let me = zd(dir.path(), &["users", "get", "me", "--json"]).await;
    assert_eq!(me.code, 0, "{}", me.stderr);
    assert!(me.stdout.contains("ada@example.com"), "{}", me.stdout);
    assert!(!me.stderr.contains("sandbox"), "{}", me.stderr);

    let status = zd(dir.path(), &["auth", "status"]).await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    for expected in [
        url.as_str(),
        "(current)",
        "Ada Admin <ada@example.com>",
        "read write",
        "expires in",
        "zd_cli (public)",
    ] {
        assert!(
            status.stdout.contains(expected),
            "{expected}: {}",
            status.stdout
        );
    }
    let token = zd(dir.path(), &["auth", "token"]).await;
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(token.stdout.trim(), access);

    // The server drops the token after the first page: one refresh, no page lost, and the
    // rotated refresh token is what the file holds now.
    *fake.expire_after_first_page.lock().unwrap() = true;
    let listed = zd(dir.path(), &["tickets", "list", "--all", "--json"]).await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    let ids: Vec<u64> = listed["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(fake.refreshes.load(Ordering::SeqCst), 1);
    let (new_access, new_refresh) = fake.current();
    assert_ne!(new_refresh, refresh);
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        stored["accounts"][&url]["secrets"]["refresh_token"],
        new_refresh.as_str()
    );
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);

    let logout = zd(dir.path(), &["auth", "logout"]).await;
    assert_eq!(logout.code, 0, "{}", logout.stderr);
    assert!(
        logout.stderr.contains("revoked at Zendesk"),
        "{}",
        logout.stderr
    );
    assert_eq!(
        fake.revoked.lock().unwrap().clone(),
        vec![new_access.clone()]
    );
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["accounts"], json!({}));
    let status = zd(dir.path(), &["auth", "status"]).await;
    assert_eq!(status.code, 1);
    assert!(status.stderr.contains("not signed in"), "{}", status.stderr);

    // No stored sign-in any more: the embedded sandbox is the default again.
    let me = zd(dir.path(), &["users", "get", "me", "--json"]).await;
    assert_eq!(me.code, 0, "{}", me.stderr);
    assert!(me.stderr.contains("local sandbox"), "{}", me.stderr);
    assert!(!me.stdout.contains("ada@example.com"));

    for run in [&status, &logout] {
        for secret in [&access, &refresh, &new_access, &new_refresh] {
            assert!(!run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_with_a_forged_state_stores_nothing() {
    let (fake, url) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, authorize_url, _) = start_login(dir.path(), &url).await;
    let redirect_uri = url::Url::parse(&authorize_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let forged = browser()
        .get(format!("{redirect_uri}?code=FORGED&state=not-the-one"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(
        fake.issued.lock().unwrap().is_empty(),
        "no code was exchanged"
    );
    let accounts = dir.path().join("config").join("accounts.json");
    assert!(!accounts.exists() || !std::fs::read_to_string(&accounts).unwrap().contains(&url));
}

#[tokio::test]
async fn login_refuses_bad_input_before_anything_happens() {
    let dir = tempfile::tempdir().unwrap();
    let bad = zd(
        dir.path(),
        &[
            "auth",
            "login",
            "--subdomain",
            "evil.com/x",
            "--client-id",
            "x",
            "--no-browser",
        ],
    )
    .await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("subdomain"), "{}", bad.stderr);
    let both = zd(
        dir.path(),
        &[
            "auth",
            "login",
            "--subdomain",
            "acme",
            "--base-url",
            "http://127.0.0.1:1",
            "--client-id",
            "x",
        ],
    )
    .await;
    assert_eq!(both.code, 2, "{}", both.stderr);
    let no_scope = zd(
        dir.path(),
        &[
            "auth",
            "login",
            "--subdomain",
            "acme",
            "--client-id",
            "x",
            "--scopes",
            " ",
        ],
    )
    .await;
    assert_eq!(no_scope.code, 2, "{}", no_scope.stderr);
    assert!(no_scope.stderr.contains("--scopes"), "{}", no_scope.stderr);
    let token = zd(dir.path(), &["auth", "token"]).await;
    assert_eq!(token.code, 1);
    assert!(token.stderr.contains("zd auth login"), "{}", token.stderr);
    assert!(!dir.path().join("config").join("accounts.json").exists());
}

/// Signs in through `zd auth login --no-browser` and the "browser".
async fn sign_in(dir: &Path, url: &str) {
    let (mut child, authorize_url, _) = start_login(dir, url).await;
    let page = browser().get(&authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zd_mcp_serves_the_tools_on_the_stored_sign_in() {
    use tokio::io::AsyncWriteExt as _;
    let (fake, url) = start().await;
    let dir = tempfile::tempdir().unwrap();
    sign_in(dir.path(), &url).await;

    let mut child = zd_command(dir.path(), &["mcp"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for request in [
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"auth-test","version":"0"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"zendesk_get_current_user","arguments":{}}}"#,
    ] {
        stdin
            .write_all(format!("{request}\n").as_bytes())
            .await
            .unwrap();
    }
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let answer = loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("zd mcp answered in time")
            .unwrap()
            .expect("zd mcp still running");
        let message: Value = serde_json::from_str(&line).unwrap();
        if message["id"] == 2 {
            break message;
        }
    };
    drop(stdin);
    let output = child.wait_with_output().await.unwrap();
    assert!(output.status.success());
    let result = &answer["result"];
    assert_eq!(result["isError"], false, "{answer}");
    assert_eq!(
        result["structuredContent"]["user"]["email"], "ada@example.com",
        "{answer}"
    );
    let (access, refresh) = fake.current();
    let logs = String::from_utf8_lossy(&output.stderr);
    assert!(!logs.contains("sandbox"), "{logs}");
    assert!(!logs.contains(&access) && !logs.contains(&refresh));
    assert!(!answer.to_string().contains(&access));
}
