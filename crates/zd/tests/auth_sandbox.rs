//! `zd auth` end to end against the real sandbox as the OAuth server (no fake): an admin
//! registers a public OAuth client with a loopback redirect URI; `zd auth login --no-browser`
//! prints the authorization page's URL; a "browser" (an HTTP client) loads the page, posts its
//! form back with the user's email and password and Allow, and follows the redirect to zd's
//! listener; zd exchanges the code (PKCE) and stores the sign-in. Then `zd users get me` uses
//! the stored token; then a paging stream (`zd tickets list --all`) crosses an expiry twice:
//! once the server expires the token after the first page (zd gets `401 invalid_token`,
//! refreshes once and asks for the same page again), once the token really runs out while the
//! first page is on its way (zd refreshes before the next page, no 401 at all); no page lost
//! or repeated, each rotation stored. A read-scoped sign-in writing gets Zendesk's 403; a
//! forged `state` ends the sign-in with no token issued; `zd auth logout` revokes at the
//! sandbox. No token or refresh token shows on stdout or stderr (but `zd auth token`'s own).
//!
//! The sandbox runs in this process with short token lifetimes allowed
//! (`OAuthLifetimes::any()`), behind a small layer that records each request and can act after
//! the first page of tickets (the test's only hook into timing).

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use zendesk_sandbox::store::Bind;
use zendesk_sandbox::{AppState, Config, OAuthLifetimes};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_TOKEN: &str = "auth-sandbox-admin-token";
const CLIENT_ID: &str = "zd_cli";
const USER_EMAIL: &str = "ada@example.com";
const PASSWORD: &str = "correct horse battery";

/// What to do once the first page of tickets has been answered.
#[derive(Clone, Copy, Debug)]
enum AfterFirstPage {
    /// Expire every live sign-in token at the server (its clock ran ahead of zd's).
    ExpireAtServer,
    /// Hold the page back this long (the token runs out meanwhile).
    Delay(Duration),
}

#[derive(Default)]
struct Hooks {
    armed: Mutex<Option<AfterFirstPage>>,
    /// (method, path and query, status, authorization scheme) of every API request.
    seen: Mutex<Vec<(String, String, u16, String)>>,
}

struct Served {
    base: String,
    state: AppState,
    hooks: Arc<Hooks>,
    _dir: tempfile::TempDir,
}

async fn record(
    State(served): State<(Arc<Hooks>, AppState)>,
    request: Request,
    next: Next,
) -> Response {
    let (hooks, state) = served;
    let method = request.method().to_string();
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let scheme = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(' ').next())
        .unwrap_or("")
        .to_string();
    let first_page = method == "GET"
        && request.uri().path().trim_end_matches(".json") == "/api/v2/tickets"
        && !target.contains("page%5Bafter%5D")
        && !target.contains("page[after]")
        && !target.contains("page=2");
    let response = next.run(request).await;
    hooks
        .seen
        .lock()
        .unwrap()
        .push((method, target, response.status().as_u16(), scheme));
    if first_page && response.status().is_success() {
        let armed = hooks.armed.lock().unwrap().take();
        match armed {
            Some(AfterFirstPage::ExpireAtServer) => {
                let past = now() - 1;
                state
                    .store()
                    .write(move |tx| {
                        tx.execute(
                            "UPDATE oauth_tokens SET expires_at = ?1
                             WHERE revoked_at IS NULL AND refresh_token_hash IS NOT NULL",
                            &[Bind::Int(past)],
                        )
                    })
                    .await
                    .unwrap();
            }
            Some(AfterFirstPage::Delay(pause)) => tokio::time::sleep(pause).await,
            None => {}
        }
    }
    response
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

impl Served {
    async fn start() -> Served {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            db_url: format!("sqlite://{}", dir.path().join("oauth-server.db").display()),
            admin_email: ADMIN_EMAIL.into(),
            oauth_lifetimes: OAuthLifetimes::any(),
            ..Config::in_memory(ADMIN_TOKEN)
        };
        let state = AppState::open(&config).await.unwrap();
        let hooks = Arc::new(Hooks::default());
        let app = zendesk_sandbox::app(state.clone()).layer(axum::middleware::from_fn_with_state(
            (hooks.clone(), state.clone()),
            record,
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let served = Served {
            base,
            state,
            hooks,
            _dir: dir,
        };
        // The admin registers zd as a public client (PKCE, no secret) on a loopback redirect
        // URI: any port matches, so zd's one-shot listener can take whichever is free.
        let client = served
            .admin(
                reqwest::Method::POST,
                "/api/v2/oauth/clients.json",
                Some(
                    json!({"client": {"name": "zd", "identifier": CLIENT_ID, "kind": "public",
                                       "redirect_uri": ["http://127.0.0.1/callback"]}}),
                ),
            )
            .await;
        assert_eq!(client["client"]["kind"], "public", "{client}");
        let user = served
            .admin(
                reqwest::Method::POST,
                "/api/v2/users.json",
                Some(
                    json!({"user": {"name": "Ada Agent", "email": USER_EMAIL, "role": "agent",
                                     "password": PASSWORD}}),
                ),
            )
            .await;
        assert!(user["user"]["id"].is_number(), "{user}");
        for n in 1..=5 {
            served
                .admin(
                    reqwest::Method::POST,
                    "/api/v2/tickets.json",
                    Some(json!({"ticket": {"subject": format!("Paged {n}"),
                                           "comment": {"body": "page me"}}})),
                )
                .await;
        }
        served
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = http()
            .request(method, format!("{}{path}", self.base))
            .basic_auth(format!("{ADMIN_EMAIL}/token"), Some(ADMIN_TOKEN));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        response.json().await.unwrap_or(Value::Null)
    }

    /// The sign-in tokens the sandbox holds (live ones), oldest first.
    async fn live_tokens(&self) -> Vec<Value> {
        let listed = self
            .admin(
                reqwest::Method::GET,
                "/api/v2/oauth/tokens.json?all=true",
                None,
            )
            .await;
        listed["tokens"].as_array().cloned().unwrap_or_default()
    }

    async fn live_token_ids(&self) -> std::collections::BTreeSet<i64> {
        self.live_tokens()
            .await
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    }

    fn seen(&self) -> Vec<(String, String, u16, String)> {
        self.hooks.seen.lock().unwrap().clone()
    }

    fn arm(&self, hook: AfterFirstPage) {
        *self.hooks.armed.lock().unwrap() = Some(hook);
    }
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
        .env("ZD_SANDBOX_DB", dir.join("embedded.db"))
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

/// Starts `zd auth login --no-browser`; returns the child, the URL it printed, and its
/// stderr lines (collected in the background from then on).
async fn start_login(
    dir: &Path,
    base: &str,
    extra: &[&str],
) -> (tokio::process::Child, String, Arc<Mutex<Vec<String>>>) {
    let mut args = vec![
        "auth",
        "login",
        "--base-url",
        base,
        "--client-id",
        CLIENT_ID,
        "--no-browser",
        "--timeout",
        "60",
    ];
    args.extend_from_slice(extra);
    let mut child = zd_command(dir, &args).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let collected = Arc::new(Mutex::new(Vec::<String>::new()));
    loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("zd printed the URL in time")
            .unwrap()
            .expect("zd still running");
        collected.lock().unwrap().push(line.clone());
        if line.trim_start().starts_with("http") {
            let sink = collected.clone();
            tokio::spawn(async move {
                while let Ok(Some(line)) = lines.next_line().await {
                    sink.lock().unwrap().push(line);
                }
            });
            return (child, line.trim().to_owned(), collected);
        }
    }
}

/// The form's hidden fields, unescaped, as a browser would post them back.
fn hidden_fields(html: &str) -> Vec<(String, String)> {
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

/// The "browser": loads the authorization page, and posts its form back (to the page's own
/// URL, as the form says) with the user's answer. Redirects are followed (to zd's listener)
/// unless `follow` is false, when the sandbox's 302 is returned as is.
async fn answer_page(url: &str, decision: &str, follow: bool) -> reqwest::Response {
    let page = http().get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<form method=\"post\""), "{html}");
    assert!(
        html.contains("Allow zd to use your Zendesk account?"),
        "{html}"
    );
    let mut fields = hidden_fields(&html);
    for (key, value) in [
        ("email", USER_EMAIL),
        ("password", PASSWORD),
        ("decision", decision),
    ] {
        fields.push((key.into(), value.into()));
    }
    let browser = if follow {
        http()
    } else {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    };
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in &fields {
        body.append_pair(key, value);
    }
    browser
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.finish())
        .send()
        .await
        .unwrap()
}

/// `zd auth login` through the page, Allow; returns zd's stderr.
async fn sign_in(dir: &Path, base: &str, extra: &[&str]) -> String {
    let (mut child, url, stderr) = start_login(dir, base, extra).await;
    assert!(
        url.starts_with(&format!("{base}/oauth/authorizations/new?")),
        "{url}"
    );
    let landed = answer_page(&url, "allow", true).await;
    assert_eq!(landed.status(), 200, "zd's listener answered the browser");
    assert!(landed.text().await.unwrap().contains("Signed in"));
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    let said = stderr.lock().unwrap().join("\n");
    assert!(status.success(), "{said}");
    said
}

fn stored(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("config").join("accounts.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn stored_refresh(dir: &Path, base: &str) -> String {
    stored(dir)["accounts"][base]["secrets"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `zd tickets list --all` two per page: the ids, in order.
async fn list_all(dir: &Path) -> Vec<u64> {
    let listed = zd(
        dir,
        &["tickets", "list", "--all", "--per-page", "2", "--json"],
    )
    .await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    listed["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_use_refresh_mid_stream_and_sign_out_against_the_sandbox() {
    let served = Served::start().await;
    let base = served.base.clone();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // Sign in: tokens for 10 minutes (zd refreshes a minute before), refresh tokens for an hour.
    let said = sign_in(
        dir,
        &base,
        &["--expires-in", "600", "--refresh-token-expires-in", "3600"],
    )
    .await;
    assert!(
        said.contains("Ada Agent <ada@example.com> (agent)"),
        "{said}"
    );
    let first = served.live_tokens().await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["scopes"], json!(["read", "write"]));
    let first_refresh = stored_refresh(dir, &base);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let file = dir.join("config").join("accounts.json");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // `zd users get me` with the stored token: the sandbox's user, over Bearer, no refresh.
    let me = zd(dir, &["users", "get", "me", "--json"]).await;
    assert_eq!(me.code, 0, "{}", me.stderr);
    let me_json: Value = serde_json::from_str(&me.stdout).unwrap();
    assert_eq!(me_json["user"]["email"], USER_EMAIL, "{}", me.stdout);
    assert!(!me.stderr.contains("sandbox"), "{}", me.stderr);
    assert!(
        served
            .seen()
            .iter()
            .any(|(m, path, status, scheme)| m == "GET"
                && path.starts_with("/api/v2/users/me")
                && *status == 200
                && scheme == "Bearer")
    );
    assert_eq!(served.live_tokens().await[0]["id"], first[0]["id"]);
    let access = zd(dir, &["auth", "token"]).await.stdout.trim().to_string();
    assert!(access.len() >= 40);

    // 1. The server expires the token after the first page: 401, one refresh, same page again.
    served.arm(AfterFirstPage::ExpireAtServer);
    let before = served.seen().len();
    assert_eq!(list_all(dir).await, [1, 2, 3, 4, 5]);
    let requests: Vec<_> = served.seen()[before..]
        .iter()
        .filter(|(_, path, _, _)| path.starts_with("/api/v2/tickets"))
        .cloned()
        .collect();
    let statuses: Vec<u16> = requests.iter().map(|r| r.2).collect();
    assert_eq!(statuses, [200, 401, 200, 200], "{requests:?}");
    assert_eq!(
        requests[1].1, requests[2].1,
        "the refused page is asked for again"
    );
    let second = served.live_tokens().await;
    assert_eq!(
        second.len(),
        1,
        "the rotated pair replaced the old one: {second:?}"
    );
    assert_ne!(second[0]["id"], first[0]["id"]);
    let second_refresh = stored_refresh(dir, &base);
    assert_ne!(second_refresh, first_refresh, "the rotation was stored");
    // The old access token is dead at the sandbox.
    let old = http()
        .get(format!("{base}/api/v2/users/me.json"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401);

    // 2. Real expiry: a sign-in whose tokens live 2 s, and a first page that takes 2.5 s.
    // Signing in again replaces the stored sign-in and revokes the token it replaced.
    let replaced_access = zd(dir, &["auth", "token"]).await.stdout.trim().to_string();
    let said = sign_in(
        dir,
        &base,
        &["--expires-in", "2", "--refresh-token-expires-in", "3600"],
    )
    .await;
    assert!(
        said.contains("the previous sign-in's token was revoked"),
        "{said}"
    );
    let ids_before = served.live_token_ids().await;
    assert_eq!(
        ids_before.len(),
        1,
        "only the new sign-in lives: {ids_before:?}"
    );
    assert!(!ids_before.contains(&second[0]["id"].as_i64().unwrap()));
    let replaced = http()
        .get(format!("{base}/api/v2/users/me.json"))
        .bearer_auth(&replaced_access)
        .send()
        .await
        .unwrap();
    assert_eq!(replaced.status(), 401, "the replaced token is dead");
    served.arm(AfterFirstPage::Delay(Duration::from_millis(2_500)));
    let before = served.seen().len();
    let rotated_before = stored_refresh(dir, &base);
    assert_eq!(list_all(dir).await, [1, 2, 3, 4, 5]);
    let statuses: Vec<u16> = served.seen()[before..]
        .iter()
        .filter(|(_, path, _, _)| path.starts_with("/api/v2/tickets"))
        .map(|r| r.2)
        .collect();
    assert_eq!(
        statuses,
        [200, 200, 200],
        "refreshed before the next page, no 401"
    );
    assert_ne!(
        stored_refresh(dir, &base),
        rotated_before,
        "refreshed and stored"
    );
    let ids_after = served.live_token_ids().await;
    assert_eq!(
        ids_after.len(),
        ids_before.len(),
        "one token replaced by one"
    );
    assert_eq!(
        ids_after.difference(&ids_before).count(),
        1,
        "{ids_before:?} -> {ids_after:?}"
    );

    // `zd auth status` says who and until when, never a token.
    let status = zd(dir, &["auth", "status"]).await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    for expected in [
        base.as_str(),
        "Ada Agent <ada@example.com>",
        "read write",
        "zd_cli (public)",
    ] {
        assert!(
            status.stdout.contains(expected),
            "{expected}: {}",
            status.stdout
        );
    }

    // 3. A read-scoped sign-in writing: Zendesk's 403, nothing created.
    sign_in(dir, &base, &["--scopes", "read", "--expires-in", "600"]).await;
    let refused = zd(
        dir,
        &[
            "tickets",
            "create",
            "--subject",
            "Read only",
            "--description",
            "refused",
        ],
    )
    .await;
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    let said = format!("{}{}", refused.stdout, refused.stderr);
    assert!(
        said.contains("403") && said.contains("You do not have access"),
        "{said}"
    );
    let search = served
        .admin(reqwest::Method::GET, "/api/v2/tickets.json", None)
        .await;
    assert!(!search.to_string().contains("Read only"));
    assert_eq!(list_all(dir).await, [1, 2, 3, 4, 5], "reading still works");

    // 4. Sign out: revoked at the sandbox, forgotten here.
    let final_access = zd(dir, &["auth", "token"]).await.stdout.trim().to_string();
    let final_refresh = stored_refresh(dir, &base);
    let ids_before = served.live_token_ids().await;
    let logout = zd(dir, &["auth", "logout"]).await;
    assert_eq!(logout.code, 0, "{}", logout.stderr);
    assert!(
        logout.stderr.contains("revoked at Zendesk"),
        "{}",
        logout.stderr
    );
    let ids_after = served.live_token_ids().await;
    assert_eq!(
        ids_before.difference(&ids_after).count(),
        1,
        "the current sign-in's token"
    );
    assert!(ids_after.is_subset(&ids_before));
    let dead = http()
        .get(format!("{base}/api/v2/users/me.json"))
        .bearer_auth(&final_access)
        .send()
        .await
        .unwrap();
    assert_eq!(dead.status(), 401);
    let body: Value = dead.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(stored(dir)["accounts"], json!({}));

    // No secret on any output but `zd auth token`'s.
    for run in [&me, &status, &refused, &logout] {
        for secret in [
            &access,
            &replaced_access,
            &first_refresh,
            &second_refresh,
            &final_access,
            &final_refresh,
        ] {
            assert!(!run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()));
        }
    }
    served.state.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_state_or_a_denial_leaves_no_token_at_the_sandbox() {
    let served = Served::start().await;
    let base = served.base.clone();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // The sandbox issues a code, but the redirect zd sees carries another state: zd refuses
    // it without exchanging the code, and the code never becomes a token.
    let (mut child, url, stderr) = start_login(dir, &base, &[]).await;
    let redirect = answer_page(&url, "allow", false).await;
    assert_eq!(redirect.status(), 302);
    let location = redirect.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://127.0.0.1:") && location.contains("code="));
    let forged = {
        let (head, query) = location.split_once('?').unwrap();
        let pairs: Vec<(String, String)> = form_urlencoded_pairs(query)
            .into_iter()
            .map(|(k, v)| {
                if k == "state" {
                    (k, "forged".to_string())
                } else {
                    (k, v)
                }
            })
            .collect();
        let mut url = url::Url::parse(head).unwrap();
        url.query_pairs_mut().extend_pairs(pairs);
        url.to_string()
    };
    let landed = http().get(&forged).send().await.unwrap();
    assert_eq!(landed.status(), 400);
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(stderr.lock().unwrap().join("\n").contains("state"));
    assert!(served.live_tokens().await.is_empty(), "no token was issued");
    assert!(
        !served
            .seen()
            .iter()
            .any(|(_, path, _, _)| path.starts_with("/oauth/tokens"))
    );

    // Deny: zd hears access_denied and stores nothing.
    let (mut child, url, stderr) = start_login(dir, &base, &[]).await;
    let landed = answer_page(&url, "deny", true).await;
    assert_eq!(landed.status(), 200, "zd's listener answered the browser");
    assert!(landed.text().await.unwrap().contains("access_denied"));
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(stderr.lock().unwrap().join("\n").contains("access_denied"));
    assert!(served.live_tokens().await.is_empty());
    let accounts = dir.join("config").join("accounts.json");
    assert!(!accounts.exists() || !std::fs::read_to_string(&accounts).unwrap().contains(&base));
    served.state.close().await.unwrap();
}

fn form_urlencoded_pairs(query: &str) -> Vec<(String, String)> {
    url::Url::parse(&format!("http://x/?{query}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}
