//! End to end, issue 13's tools against the real demo sandbox (in-process on 127.0.0.1:0, a
//! temporary SQLite database) through the real client: a view's tickets, a Help Center article
//! that answers one, a macro previewed without changing anything, a reply with files uploaded
//! from the operator's attachments directory, and the reply read back with its files (text as
//! text, an image as an image). The refusals (paths out of the directory, no directory, a macro
//! that does not exist, an empty search) change nothing. Then the same through the `zd` binary:
//! `zd views`, `zd macros`, `zd articles`, `zd tickets reply --attach`.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use serde_json::{Value, json};
use zendesk_sandbox::{Config, RunningSandbox, Sandbox, Seed};
use zendesk_tools::{CallContext, Connection, registry};

const ADMIN_EMAIL: &str = "admin@example.com";
const ADMIN_TOKEN: &str = "e2e-admin-token";
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

struct Desk {
    _sandbox: RunningSandbox,
    ctx: CallContext,
    dir: tempfile::TempDir,
}

async fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::in_memory(ADMIN_TOKEN);
    config.db_url = format!("sqlite://{}", dir.path().join("sandbox.db").display());
    config.admin_email = ADMIN_EMAIL.into();
    config.seed = Some(Seed::Demo);
    let sandbox = Sandbox::start(config).await.unwrap();
    let files = dir.path().join("attachments");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(
        files.join("steps.txt"),
        "1. Open the login page\n2. Forgot password\n",
    )
    .unwrap();
    std::fs::write(files.join("screen.png"), PNG).unwrap();
    std::fs::write(dir.path().join("secret.txt"), "outside").unwrap();
    let ctx = CallContext {
        attachments_dir: Some(files),
        ..CallContext::with_connection(Connection {
            base_url: Some(sandbox.base_url()),
            email: Some(ADMIN_EMAIL.into()),
            api_token: Some(ADMIN_TOKEN.into()),
            ..Default::default()
        })
    };
    Desk {
        _sandbox: sandbox,
        ctx,
        dir,
    }
}

impl Desk {
    async fn call(&self, tool: &str, args: Value) -> zendesk_tools::ToolResult {
        registry().get(tool).unwrap().call(args, &self.ctx).await
    }

    async fn ok(&self, tool: &str, args: Value) -> Value {
        let result = self.call(tool, args.clone()).await;
        assert!(result.success, "{tool}({args}) failed: {:?}", result.error);
        result.output
    }

    async fn refused(&self, tool: &str, args: Value, says: &str) -> String {
        let result = self.call(tool, args.clone()).await;
        assert!(
            !result.success,
            "{tool}({args}) should be refused: {}",
            result.output
        );
        let message = result.error.unwrap_or_default();
        assert!(message.contains(says), "{tool}({args}): {message}");
        message
    }
}

#[tokio::test]
async fn a_views_ticket_answered_from_the_help_center_with_a_macro_and_files() {
    let desk = desk().await;
    let views = desk
        .ok("zendesk_get_views", json!({"fields": "title"}))
        .await;
    let view = views["views"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["title"] == "Unassigned tickets")
        .unwrap()["id"]
        .to_string();
    let count = desk
        .ok("zendesk_get_view_count", json!({"viewId": view}))
        .await;
    let queue = desk
        .ok(
            "zendesk_get_view_tickets",
            json!({"viewId": view, "fields": ["subject", "status"]}),
        )
        .await;
    assert_eq!(count["count"], queue["tickets"].as_array().unwrap().len());
    let ticket = queue["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["subject"] == "Cannot log in to the portal")
        .unwrap()["id"]
        .to_string();

    let found = desk
        .ok(
            "zendesk_search_articles",
            json!({"query": "cannot log in password", "maxBodyChars": "120", "perPage": "3"}),
        )
        .await;
    let article = &found["articles"][0];
    assert_eq!(article["title"], "Reset your password");
    assert!(article["body"].as_str().unwrap().chars().count() <= 120);
    assert_eq!(article["body_truncated"], true);
    assert!(!article["snippet"].as_str().unwrap().contains('<'));
    let read = desk
        .ok("zendesk_get_article", json!({"articleId": article["id"]}))
        .await;
    assert!(
        read["article"]["body"]
            .as_str()
            .unwrap()
            .contains("spam folder")
    );
    assert_eq!(read["article"]["body_truncated"], false);

    let before = desk
        .ok("zendesk_get_ticket", json!({"ticketId": ticket}))
        .await;
    let macros = desk
        .ok("zendesk_get_macros", json!({"query": "password"}))
        .await;
    let macro_id = macros["macros"][0]["id"].to_string();
    let preview = desk
        .ok(
            "zendesk_apply_macro",
            json!({"ticketId": ticket, "macroId": macro_id}),
        )
        .await;
    assert_eq!(preview["applied"], false);
    assert!(
        preview["changes"]
            .as_array()
            .unwrap()
            .contains(&json!({"field": "status", "from": "new", "to": "pending"}))
    );
    assert!(
        preview["comment"]["body"]
            .as_str()
            .unwrap()
            .starts_with("Hi Wile,")
    );
    let after = desk
        .ok("zendesk_get_ticket", json!({"ticketId": ticket}))
        .await;
    assert_eq!(before, after, "the preview changed nothing");

    let first = desk
        .ok(
            "zendesk_upload_attachment",
            json!({"fileName": "steps.txt"}),
        )
        .await;
    let both = desk
        .ok(
            "zendesk_upload_attachment",
            json!({"fileName": "screen.png", "uploadToken": first["token"]}),
        )
        .await;
    assert_eq!(both["attachments"].as_array().unwrap().len(), 2);
    // Apply the preview with the call it names, plus the files.
    let mut params = preview["to_apply"]["params"].clone();
    assert_eq!(preview["to_apply"]["tool"], "zendesk_update_ticket");
    params["comment"] = json!(format!(
        "{}\n\n{}",
        preview["comment"]["body"].as_str().unwrap(),
        article["url"].as_str().unwrap()
    ));
    let updated = desk.ok("zendesk_update_ticket", params).await;
    assert_eq!(updated["ticket"]["status"], "pending");
    let reply = desk
        .ok(
            "zendesk_reply_to_ticket",
            json!({"ticketId": ticket, "body": "The steps and a screenshot are attached.",
                   "uploadTokens": both["token"]}),
        )
        .await;
    let files = reply["comment"]["attachments"].as_array().unwrap().clone();
    assert_eq!(files.len(), 2, "{reply}");

    let thread = desk
        .ok(
            "zendesk_get_ticket_comments",
            json!({"ticketId": ticket, "sortOrder": "desc", "perPage": "2"}),
        )
        .await;
    let last = &thread["comments"][0];
    assert_eq!(last["attachments"].as_array().unwrap().len(), 2, "{thread}");
    assert!(
        thread["comments"][1]["body"]
            .as_str()
            .unwrap()
            .contains(article["url"].as_str().unwrap())
    );
    let id_of = |name: &str| {
        last["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["file_name"] == name)
            .unwrap()["id"]
            .to_string()
    };
    let text = desk
        .ok(
            "zendesk_get_attachment",
            json!({"attachmentId": id_of("steps.txt"), "maxChars": "10"}),
        )
        .await;
    assert_eq!(text["content"], "1. Open");
    assert_eq!(text["truncated"], true);
    let image = desk
        .ok(
            "zendesk_get_attachment",
            json!({"attachmentId": id_of("screen.png")}),
        )
        .await;
    assert_eq!(image["image"]["mime_type"], "image/png");
    let data = base64::engine::general_purpose::STANDARD
        .decode(image["image"]["data"].as_str().unwrap())
        .unwrap();
    assert_eq!(data, PNG);
    assert!(image["content"].is_null());
}

#[tokio::test]
async fn refusals_say_what_to_do_and_change_nothing() {
    let desk = desk().await;
    let ticket = "1";
    let comments = |v: &Value| v["comments"].as_array().unwrap().len();
    let before = desk
        .ok("zendesk_get_ticket_comments", json!({"ticketId": ticket}))
        .await;
    let ticket_before = desk
        .ok("zendesk_get_ticket", json!({"ticketId": ticket}))
        .await;

    // Paths out of the attachments directory.
    let outside = desk.dir.path().join("secret.txt");
    desk.refused(
        "zendesk_upload_attachment",
        json!({"fileName": "../secret.txt"}),
        "`..`",
    )
    .await;
    desk.refused(
        "zendesk_upload_attachment",
        json!({"fileName": outside.to_str().unwrap()}),
        "outside the attachments directory",
    )
    .await;
    #[cfg(unix)]
    {
        let link = desk.dir.path().join("attachments").join("link.txt");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        desk.refused(
            "zendesk_upload_attachment",
            json!({"fileName": "link.txt"}),
            "outside the attachments directory",
        )
        .await;
    }
    desk.refused(
        "zendesk_upload_attachment",
        json!({"fileName": "missing.pdf"}),
        "files there: screen.png, steps.txt",
    )
    .await;
    // No directory configured: uploading is off.
    let off = CallContext {
        attachments_dir: None,
        ..desk.ctx.clone()
    };
    let result = registry()
        .get("zendesk_upload_attachment")
        .unwrap()
        .call(json!({"fileName": "steps.txt"}), &off)
        .await;
    assert!(
        result
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("uploading is off"),
        "{result:?}"
    );
    // A macro that does not exist: 404, with the tool that finds one.
    let missing = desk
        .refused(
            "zendesk_apply_macro",
            json!({"ticketId": ticket, "macroId": "39999999999"}),
            "404",
        )
        .await;
    assert!(missing.contains("zendesk_get_macros"), "{missing}");
    // A ticket that does not exist: the hint names the ticket finder.
    let no_ticket = desk
        .refused(
            "zendesk_apply_macro",
            json!({"ticketId": "999999", "macroId": "30000000001"}),
            "404",
        )
        .await;
    assert!(no_ticket.contains("zendesk_search"), "{no_ticket}");
    // An empty search.
    for query in [json!(""), json!("  ")] {
        desk.refused(
            "zendesk_search_articles",
            json!({"query": query}),
            "missing required param for zendesk_search_articles: query",
        )
        .await;
    }
    // A token that is not an upload.
    desk.refused(
        "zendesk_add_internal_note",
        json!({"ticketId": ticket, "body": "x", "uploadTokens": "not-a-real-token"}),
        "not a pending upload",
    )
    .await;

    let after = desk
        .ok("zendesk_get_ticket_comments", json!({"ticketId": ticket}))
        .await;
    assert_eq!(comments(&before), comments(&after), "no comment was added");
    let ticket_after = desk
        .ok("zendesk_get_ticket", json!({"ticketId": ticket}))
        .await;
    assert_eq!(ticket_before, ticket_after, "the ticket did not change");
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn zd(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_zd"))
        .args(args)
        .env_remove("ZENDESK_SUBDOMAIN")
        .env_remove("ZENDESK_BASE_URL")
        .env_remove("ZENDESK_EMAIL")
        .env_remove("ZENDESK_API_TOKEN")
        .env_remove("ZENDESK_OAUTH_TOKEN")
        .env_remove("ZD_ATTACHMENTS_DIR")
        .env("ZD_SANDBOX_DB", dir.join("sandbox.db"))
        .output()
        .expect("zd runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn the_cli_lists_views_and_macros_previews_searches_and_attaches() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let run = zd(dir, &["views", "list", "--count"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Unassigned tickets"), "{}", run.stdout);
    let views: Value = serde_json::from_str(&zd(dir, &["views", "list", "--json"]).stdout).unwrap();
    let unassigned = views["views"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["title"] == "Unassigned tickets")
        .unwrap()["id"]
        .to_string();
    let run = zd(dir, &["views", "tickets", &unassigned]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Cannot log in to the portal"),
        "{}",
        run.stdout
    );

    let run = zd(dir, &["macros", "list", "--query", "password"]);
    assert!(
        run.stdout.contains("Password reset instructions"),
        "{}",
        run.stdout
    );
    let macros: Value =
        serde_json::from_str(&zd(dir, &["macros", "list", "--json"]).stdout).unwrap();
    let password = macros["macros"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["title"] == "Password reset instructions")
        .unwrap()["id"]
        .to_string();
    let run = zd(dir, &["macros", "apply", "1", &password]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("set status: new -> pending"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("Hi Wile,"), "{}", run.stdout);
    let run = zd(dir, &["macros", "apply", "1", "39999999999"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("zendesk_get_macros"), "{}", run.stderr);
    let ticket: Value =
        serde_json::from_str(&zd(dir, &["tickets", "get", "1", "--json"]).stdout).unwrap();
    assert_eq!(
        ticket["ticket"]["status"], "new",
        "the preview changed nothing"
    );

    let run = zd(dir, &["articles", "search", "password reset email"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("#35"), "{}", run.stdout);
    assert!(run.stdout.contains("Reset your password"), "{}", run.stdout);
    // The embedded sandbox's article links are the same from run to run (its own address
    // changes with the port and serves no pages).
    let run = zd(
        dir,
        &[
            "tools",
            "call",
            "zendesk_search_articles",
            "--param",
            "query=password reset",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let found: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        found["output"]["articles"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://help.sandbox.invalid/hc/en-us/articles/35"),
        "{found}"
    );
    let run = zd(dir, &["articles", "search", " "]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stderr.contains("query"), "{}", run.stderr);

    let file = dir.join("diagnostics.log");
    std::fs::write(&file, "portal login: 401 at 09:12\n").unwrap();
    let run = zd(
        dir,
        &[
            "tickets",
            "reply",
            "1",
            "Log attached",
            "--attach",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("with 1 file (diagnostics.log)"),
        "{}",
        run.stdout
    );
    let run = zd(dir, &["tickets", "show", "1"]);
    assert!(
        run.stdout
            .contains("Attachment: diagnostics.log (text/plain, 27 bytes)"),
        "{}",
        run.stdout
    );
    let run = zd(
        dir,
        &[
            "tickets",
            "note",
            "1",
            "x",
            "--attach",
            "/nonexistent/zd/file",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--attach /nonexistent/zd/file"),
        "{}",
        run.stderr
    );
}
