//! OAuth end to end: a sandbox started in-process mints access tokens through
//! `POST /api/v2/oauth/tokens`; tools called with only that bearer token (through the registry,
//! and through the `zd` binary with `ZENDESK_BASE_URL` + `ZENDESK_OAUTH_TOKEN`) read with a
//! `read` token, are refused writes with Zendesk's 403 text, and a wrong token gets Zendesk's
//! 401 `invalid_token` text. The token never shows in errors, tool output or `Debug`.

use secrecy::SecretString;
use serde_json::{Value, json};
use zendesk_sandbox::{Config, RunningSandbox, Sandbox, Seed};
use zendesk_tools::{CallContext, Connection, ToolResult, registry};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_TOKEN: &str = "oauth-e2e-admin-token";
const FORBIDDEN_TEXT: &str = "You do not have access to this page";
/// Zendesk's answer to a bearer token it does not accept (unknown, expired or revoked).
const UNAUTHORIZED_TEXT: &str =
    "invalid_token: The access token provided is expired, revoked, malformed or invalid";

struct Desk {
    sandbox: RunningSandbox,
    _dir: tempfile::TempDir,
}

async fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::in_memory(ADMIN_TOKEN);
    config.db_url = format!("sqlite://{}", dir.path().join("sandbox.db").display());
    config.admin_email = ADMIN_EMAIL.into();
    config.seed = Some(Seed::Demo);
    let sandbox = Sandbox::start(config).await.unwrap();
    Desk { sandbox, _dir: dir }
}

impl Desk {
    /// Mints an OAuth access token for the admin with the given scopes, as an admin would:
    /// `POST /api/v2/oauth/tokens` authenticated with the admin's API token.
    async fn mint(&self, scopes: &[&str]) -> String {
        let admin = zendesk::Client::builder()
            .base_url(self.sandbox.base_url())
            .auth(zendesk::Auth::api_token(ADMIN_EMAIL, ADMIN_TOKEN))
            .build()
            .unwrap();
        let answer = admin
            .post_json("/oauth/tokens", &json!({ "token": { "scopes": scopes } }))
            .await
            .unwrap();
        assert_eq!(answer["token"]["scopes"], json!(scopes), "{answer}");
        let token = answer["token"]["full_token"]
            .as_str()
            .expect("full_token is shown once")
            .to_owned();
        assert!(token.len() >= 20, "a real token: {token}");
        token
    }

    /// A connection carrying only the OAuth token: no email, no API token, no subdomain.
    fn oauth_only(&self, token: &str) -> CallContext {
        CallContext::with_connection(Connection {
            base_url: Some(self.sandbox.base_url()),
            oauth_token: Some(SecretString::from(token.to_owned())),
            ..Default::default()
        })
    }

    async fn stop(self) {
        self.sandbox.shutdown().await.unwrap();
    }
}

async fn call(ctx: &CallContext, tool: &str, args: Value) -> ToolResult {
    let tool = registry()
        .get(tool)
        .unwrap_or_else(|| panic!("{tool} registered"));
    tool.call(args, ctx).await
}

/// Everything a caller could see of a result: the error and the whole `{success, error, output}`.
fn visible(result: &ToolResult) -> String {
    format!("{:?} {}", result.error, result.to_json())
}

#[tokio::test]
async fn a_read_scoped_token_reads_and_is_refused_writes_with_zendesks_403() {
    let desk = desk().await;
    let token = desk.mint(&["read"]).await;
    let ctx = desk.oauth_only(&token);

    let me = call(&ctx, "zendesk_get_current_user", json!({})).await;
    assert!(me.success, "{:?}", me.error);
    assert_eq!(me.output["user"]["email"], ADMIN_EMAIL);
    assert_eq!(me.output["user"]["role"], "admin");

    let listed = call(&ctx, "zendesk_get_tickets", json!({ "perPage": "5" })).await;
    assert!(listed.success, "{:?}", listed.error);
    let first = &listed.output["tickets"][0];
    let ticket_id = first["id"].as_u64().expect("the demo desk has tickets");
    let got = call(
        &ctx,
        "zendesk_get_ticket",
        json!({ "ticketId": ticket_id.to_string() }),
    )
    .await;
    assert!(got.success, "{:?}", got.error);
    assert_eq!(got.output["ticket"]["subject"], first["subject"]);

    let subject = "Written with a read-only token";
    let write = call(
        &ctx,
        "zendesk_create_ticket",
        json!({ "subject": subject, "description": "must not be created" }),
    )
    .await;
    assert!(!write.success, "{}", write.output);
    let error = write.error.clone().unwrap();
    assert!(error.contains("403"), "{error}");
    assert!(error.contains(FORBIDDEN_TEXT), "{error}");
    assert!(!visible(&write).contains(&token));
    let update = call(
        &ctx,
        "zendesk_update_ticket",
        json!({ "ticketId": ticket_id.to_string(), "status": "solved" }),
    )
    .await;
    assert!(!update.success, "{}", update.output);
    assert!(update.error.as_deref().unwrap().contains(FORBIDDEN_TEXT));

    // Nothing was written: the ticket is unchanged and no ticket has the refused subject.
    let again = call(
        &ctx,
        "zendesk_get_ticket",
        json!({ "ticketId": ticket_id.to_string() }),
    )
    .await;
    assert_eq!(again.output["ticket"]["status"], first["status"]);
    assert_eq!(again.output["ticket"]["updated_at"], first["updated_at"]);
    let all = call(&ctx, "zendesk_get_tickets", json!({ "perPage": "100" })).await;
    assert!(all.success, "{:?}", all.error);
    assert!(
        all.output["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["subject"] != subject)
    );

    // Neither the context nor its connection prints the token.
    let debug = format!("{:?} {:?}", ctx.connection, ctx);
    assert!(debug.contains("[hidden]"), "{debug}");
    assert!(!debug.contains(&token), "{debug}");
    desk.stop().await;
}

#[tokio::test]
async fn a_read_write_token_writes_as_its_user() {
    let desk = desk().await;
    let token = desk.mint(&["read", "write"]).await;
    let ctx = desk.oauth_only(&token);
    let created = call(
        &ctx,
        "zendesk_create_ticket",
        json!({ "subject": "Filed over OAuth", "description": "bearer auth works" }),
    )
    .await;
    assert!(created.success, "{:?}", created.error);
    let me = call(&ctx, "zendesk_get_current_user", json!({})).await;
    assert_eq!(
        created.output["ticket"]["requester_id"],
        me.output["user"]["id"]
    );
    assert!(!visible(&created).contains(&token));
    desk.stop().await;
}

#[tokio::test]
async fn a_wrong_token_gets_zendesks_401_and_is_never_echoed() {
    let desk = desk().await;
    // A real token first, so the wrong one differs from a minted one only in its value.
    let real = desk.mint(&["read"]).await;
    let last = if real.ends_with('x') { 'y' } else { 'x' };
    let wrong = format!("{}{last}", &real[..real.len() - 1]);
    assert_ne!(wrong, real);
    let ctx = desk.oauth_only(&wrong);
    for (tool, args) in [
        ("zendesk_get_current_user", json!({})),
        ("zendesk_create_ticket", json!({ "description": "no" })),
    ] {
        let result = call(&ctx, tool, args).await;
        assert!(!result.success, "{tool}: {}", result.output);
        let error = result.error.clone().unwrap();
        assert!(error.contains("401"), "{tool}: {error}");
        assert!(error.contains(UNAUTHORIZED_TEXT), "{tool}: {error}");
        assert!(!visible(&result).contains(&wrong), "{tool}");
        assert!(!visible(&result).contains(&real), "{tool}");
    }
    desk.stop().await;
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `zd` against the sandbox with only `ZENDESK_BASE_URL` and `ZENDESK_OAUTH_TOKEN` set
/// (plus `extra`), off the runtime's threads so the in-process sandbox keeps answering.
async fn zd_with_oauth(base_url: &str, token: &str, extra: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_zd"));
    command
        .args(args)
        .env_remove("ZENDESK_SUBDOMAIN")
        .env_remove("ZENDESK_EMAIL")
        .env_remove("ZENDESK_API_TOKEN")
        .env("ZENDESK_BASE_URL", base_url)
        .env("ZENDESK_OAUTH_TOKEN", token)
        // Never fall back to (or create) a sandbox database of the user's.
        .env("ZD_SANDBOX_DB", "/nonexistent/zd-oauth-e2e/sandbox.db");
    for (name, value) in extra {
        command.env(name, value);
    }
    let output = command.output().await.expect("zd runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_zd_binary_authenticates_with_the_oauth_token_from_the_environment() {
    let desk = desk().await;
    let base = desk.sandbox.base_url();
    let token = desk.mint(&["read"]).await;

    let me = zd_with_oauth(&base, &token, &[], &["users", "get", "me", "--json"]).await;
    assert_eq!(me.code, 0, "{}", me.stderr);
    let me: Value = serde_json::from_str(&me.stdout).unwrap();
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
    let called = zd_with_oauth(
        &base,
        &token,
        &[],
        &["tools", "call", "zendesk_get_tickets", "-p", "perPage=2"],
    )
    .await;
    assert_eq!(called.code, 0, "{}", called.stderr);
    let called: Value = serde_json::from_str(&called.stdout).unwrap();
    assert_eq!(called["success"], true);
    assert_eq!(called["output"]["tickets"].as_array().unwrap().len(), 2);

    // The OAuth token wins over an API token set beside it (here a wrong one).
    let both = zd_with_oauth(
        &base,
        &token,
        &[
            ("ZENDESK_EMAIL", ADMIN_EMAIL),
            ("ZENDESK_API_TOKEN", "not-the-admin-token"),
        ],
        &["users", "get", "me", "--json"],
    )
    .await;
    assert_eq!(both.code, 0, "{}", both.stderr);

    let refused = zd_with_oauth(
        &base,
        &token,
        &[],
        &[
            "tools",
            "call",
            "zendesk_create_ticket",
            "-p",
            "description=read-only token",
        ],
    )
    .await;
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    let answer: Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(answer["success"], false);
    let error = answer["error"].as_str().unwrap();
    assert!(
        error.contains("403") && error.contains(FORBIDDEN_TEXT),
        "{error}"
    );
    assert!(!refused.stdout.contains(&token) && !refused.stderr.contains(&token));

    let wrong = format!("{token}-wrong");
    let rejected = zd_with_oauth(&base, &wrong, &[], &["tickets", "get", "1"]).await;
    assert_eq!(rejected.code, 1, "{}", rejected.stdout);
    assert!(rejected.stderr.contains("401"), "{}", rejected.stderr);
    assert!(
        rejected.stderr.contains(UNAUTHORIZED_TEXT),
        "{}",
        rejected.stderr
    );
    assert!(!rejected.stderr.contains(&wrong) && !rejected.stdout.contains(&wrong));
    assert!(!rejected.stderr.contains(&token));
    desk.stop().await;
}
