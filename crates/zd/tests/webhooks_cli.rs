//! `zd webhooks listen`, run as a person runs it: a good signature accepted and the event
//! printed as one JSON line, forged, stale and unsigned deliveries refused with 401, `--exec`
//! handing each event to a command (a repeat handled once), and `--create` registering a
//! webhook on the account (wiremock, answering as Zendesk documents) and deleting it on SIGTERM.
//! Then the management commands (`zd webhooks`, `zd triggers`, `zd automations`) against the
//! same kind of Zendesk.
//!
//! The `--create` run against the sandbox is at the end: the sandbox delivers a ticket created
//! event to the listener it registered.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use zendesk_types::webhook_signature::{sign, timestamp_header};

const SECRET: &str = "dGhpcy1pcy1hLXRlc3Qtc2lnbmluZy1zZWNyZXQ=";
const WEBHOOK_ID: &str = "01HANAN7NVBM93Z21ZGCXESV8X";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A running `zd webhooks listen`: its address, and its stdout and stderr lines as they come.
struct Listener {
    child: Child,
    address: String,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

fn lines(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (send, receive) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

impl Listener {
    fn start(mut command: Command) -> Listener {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("zd starts");
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let mut said = Vec::new();
        loop {
            let Ok(line) = stderr.recv_timeout(Duration::from_secs(60)) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("zd never said it listens: {said:?}");
            };
            if let Some(rest) = line.strip_prefix("zd: listening on http://") {
                let address = rest.split_whitespace().next().unwrap().to_owned();
                return Listener {
                    child,
                    address,
                    stdout,
                    stderr,
                };
            }
            said.push(line);
        }
    }

    /// Sends one request; the status code and the body.
    fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: &str,
    ) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.address).expect("the listener accepts");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        let status = answer[9..12].parse().expect("a status line");
        let body = answer
            .split("\r\n\r\n")
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        (status, body)
    }

    /// A delivery as Zendesk signs it, at `at` (Unix seconds), with `secret`.
    fn deliver(&self, secret: &str, at: i64, invocation: &str, body: &str) -> (u16, String) {
        let timestamp = timestamp_header(at);
        let headers = [
            (
                "X-Zendesk-Webhook-Signature",
                sign(secret, &timestamp, body.as_bytes()),
            ),
            ("X-Zendesk-Webhook-Signature-Timestamp", timestamp),
            ("X-Zendesk-Webhook-Id", WEBHOOK_ID.to_owned()),
            ("X-Zendesk-Webhook-Invocation-Id", invocation.to_owned()),
            ("X-Zendesk-Account-Id", "123456".to_owned()),
        ];
        self.send("POST", "/zendesk/events?source=test", &headers, body)
    }

    fn next_event(&self) -> Value {
        let line = self
            .stdout
            .recv_timeout(Duration::from_secs(30))
            .expect("an event line on stdout");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not one JSON line ({e}): {line}"))
    }

    /// SIGTERM, as a service manager stops it; the exit code and the rest of stderr.
    fn terminate(mut self) -> (Option<i32>, String) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        // The reader ends at EOF, once zd (and any command it ran) has exited.
        let rest: Vec<String> = self.stderr.iter().collect();
        (status.code(), rest.join("\n"))
    }
}

impl Drop for Listener {
    /// A test that failed half-way leaves no listener running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn event_body(ticket: u64) -> String {
    json!({
        "account_id": 123456,
        "id": "2b4f7f2e-8c1d-4f9e-9a57-3f1c6d1e9b10",
        "time": "2024-03-01T10:00:00Z",
        "type": "zen:event-type:ticket.created",
        "subject": format!("zen:ticket:{ticket}"),
        "zendesk_event_version": "2022-11-06",
        "detail": {"id": ticket.to_string(), "priority": "URGENT"},
        "event": {}
    })
    .to_string()
}

fn listen(extra: &[&str], secret_file: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zd"));
    command
        .args([
            "webhooks",
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--secret-file",
        ])
        .arg(secret_file)
        .args(extra)
        .env_remove("ZD_WEBHOOK_SECRET");
    command
}

#[test]
fn listen_accepts_a_good_signature_and_refuses_forged_stale_and_unsigned_ones() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, format!("{SECRET}\n")).unwrap();
    let listener = Listener::start(listen(&[], &secret_file));

    let (status, _) = listener.deliver(SECRET, now(), "8350205582", &event_body(7));
    assert_eq!(status, 200);
    let line = listener.next_event();
    assert_eq!(line["event"]["type"], "zen:event-type:ticket.created");
    assert_eq!(line["event"]["subject"], "zen:ticket:7");
    assert_eq!(line["webhook_id"], WEBHOOK_ID);
    assert_eq!(line["invocation_id"], "8350205582");
    assert_eq!(line["path"], "/zendesk/events?source=test");
    assert_eq!(line["method"], "POST");

    // Signed with another secret, or the body changed after signing: forged.
    let (status, said) = listener.deliver("another secret", now(), "1", &event_body(8));
    assert_eq!(status, 401);
    assert!(said.contains("does not match"), "{said}");
    let timestamp = timestamp_header(now());
    let signature = sign(SECRET, &timestamp, event_body(8).as_bytes());
    let (status, _) = listener.send(
        "POST",
        "/",
        &[
            ("X-Zendesk-Webhook-Signature", signature),
            ("X-Zendesk-Webhook-Signature-Timestamp", timestamp),
        ],
        &event_body(9),
    );
    assert_eq!(status, 401);
    // Signed ten minutes ago: a replay.
    let (status, said) = listener.deliver(SECRET, now() - 600, "2", &event_body(8));
    assert_eq!(status, 401);
    assert!(said.contains("from this clock"), "{said}");
    // No signature at all.
    let (status, said) = listener.send("POST", "/", &[], &event_body(8));
    assert_eq!(status, 401);
    assert!(
        said.contains("no X-Zendesk-Webhook-Signature header"),
        "{said}"
    );

    let (code, said) = listener.terminate();
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("refused a delivery"), "{said}");
    assert!(!said.contains(SECRET), "the secret never shows: {said}");
}

#[test]
fn exec_hands_each_event_to_a_command_once() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    std::fs::write(&secret_file, SECRET).unwrap();
    let events = dir.path().join("events.ndjson");
    let types = dir.path().join("types.txt");
    let command = format!(
        "printf '%s %s\\n' \"$ZD_EVENT_TYPE\" \"$ZD_WEBHOOK_INVOCATION_ID\" >> '{}'; \
         cat >> '{}'; grep -q 'zen:ticket:13' '{}' && exit 3; exit 0",
        types.display(),
        events.display(),
        events.display()
    );
    let listener = Listener::start(listen(&["--exec", &command], &secret_file));
    assert_eq!(
        listener.deliver(SECRET, now(), "inv-1", &event_body(11)).0,
        200
    );
    // Zendesk delivers the same invocation again: answered, not handled twice.
    assert_eq!(
        listener.deliver(SECRET, now(), "inv-1", &event_body(11)).0,
        200
    );
    assert_eq!(
        listener.deliver(SECRET, now(), "inv-2", &event_body(12)).0,
        200
    );
    // The command fails for this one: Zendesk is told so.
    assert_eq!(
        listener.deliver(SECRET, now(), "inv-3", &event_body(13)).0,
        500
    );

    let handled: Vec<Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let subjects: Vec<&str> = handled
        .iter()
        .map(|line| line["event"]["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["zen:ticket:11", "zen:ticket:12", "zen:ticket:13"]
    );
    let types = std::fs::read_to_string(&types).unwrap();
    assert_eq!(
        types.lines().collect::<Vec<_>>(),
        [
            "zen:event-type:ticket.created inv-1",
            "zen:event-type:ticket.created inv-2",
            "zen:event-type:ticket.created inv-3"
        ]
    );
    assert!(
        listener.stdout.try_recv().is_err(),
        "with --exec nothing is printed"
    );
    let (code, said) = listener.terminate();
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains("already handled") && said.contains("exit status: 3"),
        "{said}"
    );
}

#[test]
fn listen_needs_a_secret_or_create() {
    let run = Command::new(env!("CARGO_BIN_EXE_zd"))
        .args(["webhooks", "listen"])
        .env_remove("ZD_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--create NAME --subscribe"));
    let run = Command::new(env!("CARGO_BIN_EXE_zd"))
        .args([
            "webhooks",
            "listen",
            "--create",
            "x",
            "--subscribe",
            "ticket.created",
        ])
        .env("ZD_WEBHOOK_SECRET", "s")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("leave out --secret"));
}

// ----- against a Zendesk (wiremock) -------------------------------------------------------

fn zd_command(base_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zd"));
    command
        .args(args)
        .env("ZENDESK_BASE_URL", base_url)
        .env("ZENDESK_EMAIL", "admin@example.com")
        .env("ZENDESK_API_TOKEN", "webhooks-test-token")
        .env_remove("ZENDESK_SUBDOMAIN")
        .env_remove("ZENDESK_OAUTH_TOKEN")
        .env_remove("ZD_WEBHOOK_SECRET");
    command
}

fn zd(base_url: &str, args: &[&str]) -> Output {
    zd_command(base_url, args).output().expect("zd runs")
}

fn webhook(name: &str, endpoint: &str, subscriptions: Value) -> Value {
    json!({"id": WEBHOOK_ID, "name": name, "status": "active", "endpoint": endpoint,
           "http_method": "POST", "request_format": "json", "subscriptions": subscriptions,
           "created_at": "2024-03-01T10:00:00Z", "created_by": "1"})
}

#[tokio::test(flavor = "multi_thread")]
async fn create_registers_a_webhook_for_the_run_and_deletes_it_on_sigterm() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/webhooks"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"webhook": webhook(
            "zd listen", "http://127.0.0.1/", json!(["zen:event-type:ticket.created", "zen:event-type:ticket.status_changed"]))})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v2/webhooks/{WEBHOOK_ID}/signing_secret"
        )))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"signing_secret": {"secret": SECRET, "algorithm": "SHA256"}}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v2/webhooks/{WEBHOOK_ID}")))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    let listener = Listener::start(zd_command(
        &server.uri(),
        &[
            "webhooks",
            "listen",
            "--addr",
            "127.0.0.1:0",
            "--create",
            "zd listen",
            "--subscribe",
            "ticket.created,ticket.status_changed",
        ],
    ));
    let requests = server.received_requests().await.unwrap();
    let created: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        created,
        json!({"webhook": {
            "name": "zd listen",
            "endpoint": format!("http://{}/", listener.address),
            "subscriptions": ["zen:event-type:ticket.created", "zen:event-type:ticket.status_changed"],
            "status": "active",
            "http_method": "POST",
            "request_format": "json"
        }})
    );

    // Verified with the secret the account gave.
    assert_eq!(
        listener.deliver(SECRET, now(), "inv-9", &event_body(21)).0,
        200
    );
    assert_eq!(listener.next_event()["event"]["subject"], "zen:ticket:21");
    assert_eq!(
        listener
            .deliver("not the account's", now(), "inv-10", &event_body(22))
            .0,
        401
    );

    let (code, said) = listener.terminate();
    assert_eq!(code, Some(0), "{said}");
    assert!(
        said.contains(&format!("deleted webhook {WEBHOOK_ID}")),
        "{said}"
    );
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_commands_speak_zendesks_api() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/webhooks"))
        .and(query_param("filter[status]", "active"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "webhooks": [webhook("On-call pager", "https://example.com/hook", json!(["conditional_ticket_events"]))],
            "meta": {"has_more": false, "after_cursor": null, "before_cursor": null},
            "links": {"next": null, "prev": null}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/webhooks"))
        .and(body_json(json!({"webhook": {
            "name": "On-call pager", "endpoint": "https://example.com/hook",
            "subscriptions": ["conditional_ticket_events"], "status": "active",
            "http_method": "POST", "request_format": "json"
        }})))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"webhook": webhook(
            "On-call pager", "https://example.com/hook", json!(["conditional_ticket_events"]))})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!(
            "/api/v2/webhooks/{WEBHOOK_ID}/signing_secret"
        )))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"signing_secret": {"secret": SECRET, "algorithm": "SHA256"}}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v2/webhooks/{WEBHOOK_ID}/invocations")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "invocations": [{"id": "8350205582", "status": "failed", "status_code": 503, "latest_completed_at": "2024-03-01T10:00:02Z"}],
            "meta": {"has_more": false, "after_cursor": null, "before_cursor": null},
            "links": {"next": null, "prev": null}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let listed = zd(&server.uri(), &["webhooks", "list", "--status", "active"]);
    let table = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    assert!(
        table.contains(WEBHOOK_ID) && table.contains("On-call pager"),
        "{table}"
    );
    let created = zd(
        &server.uri(),
        &[
            "webhooks",
            "create",
            "--name",
            "On-call pager",
            "--endpoint",
            "https://example.com/hook",
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        String::from_utf8_lossy(&created.stdout).contains(&format!("Created webhook {WEBHOOK_ID}"))
    );
    let secret = zd(&server.uri(), &["webhooks", "secret", WEBHOOK_ID]);
    assert_eq!(String::from_utf8_lossy(&secret.stdout).trim(), SECRET);
    let invocations = zd(
        &server.uri(),
        &["webhooks", "invocations", WEBHOOK_ID, "--json"],
    );
    let invocations: Value = serde_json::from_slice(&invocations.stdout).unwrap();
    assert_eq!(invocations["invocations"][0]["status_code"], 503);

    // Refused before sending: a bad ID, a subscription Zendesk does not have, a bad status.
    for (args, says) in [
        (vec!["webhooks", "show", "01H/../x"], "webhook ID"),
        (
            vec![
                "webhooks",
                "create",
                "--name",
                "x",
                "--endpoint",
                "https://e.example",
                "--subscribe",
                "ticket.exploded",
            ],
            "ticket.status_changed",
        ),
        (
            vec!["webhooks", "list", "--status", "sleeping"],
            "active, inactive",
        ),
    ] {
        let run = zd(&server.uri(), &args);
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&run.stderr).contains(says),
            "{args:?}"
        );
    }
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn trigger_and_automation_commands_send_whole_rules() {
    let server = MockServer::start().await;
    let trigger = json!({
        "id": 25, "title": "Page on-call", "active": true, "position": 1, "category_id": "10026",
        "conditions": {"all": [{"field": "priority", "operator": "is", "value": "urgent"}], "any": []},
        "actions": [{"field": "current_tags", "value": "paged"}],
        "url": null, "description": null, "created_at": null, "updated_at": null
    });
    Mock::given(method("POST"))
        .and(path("/api/v2/triggers"))
        .and(body_json(json!({"trigger": {
            "title": "Page on-call",
            "conditions": {"all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "priority", "operator": "is", "value": "urgent"}
            ]},
            "actions": [
                {"field": "current_tags", "value": "paged"},
                {"field": "notification_webhook", "value": [WEBHOOK_ID, "{\"ticket\": \"{{ticket.id}}\"}"]}
            ]
        }})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"trigger": trigger})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/triggers/25"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"trigger": trigger})))
        .expect(2)
        .mount(&server)
        .await;
    // Only the conditions change: the actions are sent as they stand, else Zendesk drops them.
    Mock::given(method("PUT"))
        .and(path("/api/v2/triggers/25"))
        .and(body_json(json!({"trigger": {
            "conditions": {"all": [{"field": "priority", "operator": "is_not", "value": "low"}], "any": []},
            "actions": [{"field": "current_tags", "value": "paged"}]
        }})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"trigger": trigger})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v2/triggers/destroy_many"))
        .and(query_param("ids", "25,26"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/automations/active"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "automations": [{"id": 31, "title": "Close solved after 4 days", "active": true, "position": 1,
                             "conditions": {"all": [{"field": "SOLVED", "operator": "greater_than", "value": "96"}]},
                             "actions": [{"field": "status", "value": "closed"}]}],
            "count": 1, "next_page": null, "previous_page": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418))
        .with_priority(u8::MAX)
        .expect(0)
        .mount(&server)
        .await;

    let created = zd(
        &server.uri(),
        &[
            "triggers",
            "create",
            "--title",
            "Page on-call",
            "--when",
            "update_type is Create",
            "--when",
            "priority is urgent",
            "--action",
            "current_tags=paged",
            "--action",
            &format!(
                r#"notification_webhook=["{WEBHOOK_ID}", "{{\"ticket\": \"{{{{ticket.id}}}}\"}}"]"#
            ),
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(
        String::from_utf8_lossy(&created.stdout).contains("Created trigger #25 \"Page on-call\"")
    );
    let shown = zd(&server.uri(), &["triggers", "show", "25"]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.contains("When all of:\n  priority is urgent")
            && shown.contains("current_tags = paged"),
        "{shown}"
    );
    let updated = zd(
        &server.uri(),
        &["triggers", "update", "25", "--when", "priority is_not low"],
    );
    assert!(
        updated.status.success(),
        "{}",
        String::from_utf8_lossy(&updated.stderr)
    );
    let deleted = zd(&server.uri(), &["triggers", "delete", "25", "26"]);
    assert!(
        deleted.status.success(),
        "{}",
        String::from_utf8_lossy(&deleted.stderr)
    );
    assert!(String::from_utf8_lossy(&deleted.stdout).contains("Deleted triggers #25, #26"));
    let automations = zd(&server.uri(), &["automations", "list", "--active"]);
    let table = String::from_utf8_lossy(&automations.stdout);
    assert!(
        table.contains("Close solved after 4 days") && table.contains("status=closed"),
        "{table}"
    );

    for (args, says) in [
        (
            vec![
                "triggers",
                "create",
                "--title",
                "x",
                "--when",
                "priority nearly urgent",
            ],
            "expected one of",
        ),
        (
            vec!["triggers", "create", "--when", "priority is urgent"],
            "needs a title",
        ),
        (vec!["triggers", "update", "25"], "nothing to update"),
        (
            vec![
                "automations",
                "create",
                "--title",
                "x",
                "--category",
                "10026",
            ],
            "no category",
        ),
        (vec!["triggers", "show", "twenty-five"], "trigger ID"),
    ] {
        let run = zd(&server.uri(), &args);
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&run.stderr).contains(says),
            "{args:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    server.verify().await;
}

// ----- against the sandbox ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn against_the_sandbox_create_receives_a_ticket_created_event() {
    const ADMIN_EMAIL: &str = "admin@example.com";
    const ADMIN_TOKEN: &str = "listen-e2e-admin-token";
    let dir = tempfile::tempdir().unwrap();
    let mut config = zendesk_sandbox::Config::in_memory(ADMIN_TOKEN);
    config.db_url = format!("sqlite://{}", dir.path().join("sandbox.db").display());
    config.admin_email = ADMIN_EMAIL.into();
    let sandbox = zendesk_sandbox::Sandbox::start(config).await.unwrap();
    let base_url = sandbox.base_url();
    let with_admin = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zd"));
        command
            .args(args)
            .env("ZENDESK_BASE_URL", &base_url)
            .env("ZENDESK_EMAIL", ADMIN_EMAIL)
            .env("ZENDESK_API_TOKEN", ADMIN_TOKEN)
            .env_remove("ZENDESK_SUBDOMAIN")
            .env_remove("ZENDESK_OAUTH_TOKEN")
            .env_remove("ZD_WEBHOOK_SECRET");
        command
    };
    let listener = Listener::start(with_admin(&[
        "webhooks",
        "listen",
        "--addr",
        "127.0.0.1:0",
        "--create",
        "zd e2e",
        "--subscribe",
        "ticket.created",
    ]));
    let created = with_admin(&[
        "tickets",
        "create",
        "--subject",
        "Printer on fire",
        "--description",
        "Third floor",
        "--priority",
        "urgent",
        "--json",
    ])
    .output()
    .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let line = listener.next_event();
    assert_eq!(line["event"]["type"], "zen:event-type:ticket.created");
    assert!(line["invocation_id"].is_string());
    let (code, said) = listener.terminate();
    assert_eq!(code, Some(0), "{said}");
    let left = with_admin(&["webhooks", "list", "--json"])
        .output()
        .unwrap();
    let left: Value = serde_json::from_slice(&left.stdout).unwrap();
    assert_eq!(
        left["webhooks"],
        json!([]),
        "the webhook made for the run is gone"
    );
    sandbox.shutdown().await.unwrap();
}
