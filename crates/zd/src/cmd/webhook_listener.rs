//! `zd webhooks listen`: a local receiver for Zendesk's webhook deliveries, on any path and
//! method. Each delivery's signature is checked against the signing secret (401 for a missing,
//! forged or stale one, saying which); a good one is answered 200 once it has been handled:
//! printed as one JSON line on stdout, or handed to `--exec CMD`.
//!
//! The line is `{"received_at", "method", "path", "webhook_id", "invocation_id", "account_id",
//! "event"}`, `event` being the body as JSON (or as text when it is not JSON). `--exec` runs
//! CMD once per event (through `sh -c`), one at a time in arrival order, with the line on its
//! stdin and `ZD_WEBHOOK_ID`, `ZD_WEBHOOK_INVOCATION_ID`, `ZD_EVENT_TYPE` set; the delivery is
//! answered 200 when CMD exits 0, else 500 (Zendesk's invocation log then shows the failure). A
//! process per event keeps one bad event from wedging the rest, and a handler written for it
//! reads one event from stdin, as a production receiver would get one request. A delivery whose
//! invocation was already handled (Zendesk retries are at least once) is answered 200 without
//! being handled again.
//!
//! With `--create NAME --subscribe EVENTS` it registers a webhook on the configured account
//! (the embedded sandbox or a real Zendesk) pointing at its own address (or `--public-url`),
//! verifies with that webhook's signing secret, and deletes the webhook when it stops (Ctrl-C
//! or SIGTERM), like `stripe listen`. Served by `http-serve` with the same limits as zd's other
//! servers.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt;
use zendesk::webhooks::{DeliveryHeaders, timestamp_header, verify_headers};
use zendesk_types::WebhookId;

use crate::cmd::client::{self, failed};
use crate::cmd::common::{Session, usage_error};
use crate::cmd::serve_limits::ServeLimitArgs;
use crate::cmd::webhooks::webhook_body;

/// How many handled invocation IDs are remembered to drop Zendesk's repeats.
const REMEMBERED_INVOCATIONS: usize = 4096;

#[derive(clap::Args)]
pub struct ListenArgs {
    /// Where to listen, HOST:PORT (port 0 picks a free one; the address is printed on stderr).
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// The webhook's signing secret (`zd webhooks secret ID`). Other users can read it in `ps`:
    /// prefer --secret-file or ZD_WEBHOOK_SECRET.
    #[arg(long, env = "ZD_WEBHOOK_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// A file holding the signing secret.
    #[arg(long, value_name = "PATH", conflicts_with = "secret")]
    secret_file: Option<PathBuf>,
    /// Run this command for each event instead of printing it (`sh -c CMD`, one at a time, the
    /// event's JSON line on its stdin); Zendesk gets 200 when it exits 0, else 500.
    #[arg(long, value_name = "CMD")]
    exec: Option<String>,
    /// Register a webhook with this name on the configured account, pointing here, for as long
    /// as this runs; its signing secret is used (no --secret).
    #[arg(long, value_name = "NAME", requires = "subscribe")]
    create: Option<String>,
    /// With --create: what it subscribes to, comma-separated (ticket.created,
    /// ticket.status_changed, any zen:event-type:..., or conditional_ticket_events for triggers).
    #[arg(
        long,
        value_name = "EVENTS",
        value_delimiter = ',',
        requires = "create"
    )]
    subscribe: Vec<String>,
    /// With --create: the URL Zendesk calls when it cannot reach --addr itself (a tunnel such
    /// as https://abc.ngrok.app/) [default: http://ADDR/].
    #[arg(long, value_name = "URL", requires = "create")]
    public_url: Option<String>,
    #[command(flatten)]
    limits: ServeLimitArgs,
}

/// Where the signing secret comes from: the operator, or the webhook made for this run.
enum SecretSource {
    Given(SecretString),
    Create(String),
}

/// What a verified event is handed to.
enum Sink {
    /// One line per event on stdout.
    Stdout,
    /// One process per event, one at a time.
    Exec {
        command: String,
        one_at_a_time: tokio::sync::Mutex<()>,
    },
}

struct Receiver {
    secret: SecretString,
    sink: Sink,
    handled: Mutex<Remembered>,
}

/// The invocation IDs handled lately, oldest first.
#[derive(Default)]
struct Remembered {
    order: VecDeque<String>,
    ids: HashSet<String>,
}

impl Remembered {
    fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    fn insert(&mut self, id: String) {
        if self.ids.insert(id.clone()) {
            self.order.push_back(id);
        }
        while self.order.len() > REMEMBERED_INVOCATIONS {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
    }
}

/// SIGINT and SIGTERM, registered as soon as the command starts so that a webhook created on
/// the account is deleted whenever the listener is asked to stop.
struct StopSignal {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignal {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            StopSignal {
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        StopSignal {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            let Some(mut terminate) = self.terminate else {
                let _ = tokio::signal::ctrl_c().await;
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// A webhook made for this run, deleted when it ends.
struct Registered {
    session: Session,
    client: zendesk::Client,
    id: WebhookId,
}

impl Registered {
    async fn remove(self) -> ExitCode {
        let code = match self.client.webhooks().delete(&self.id).await {
            Ok(()) => {
                eprintln!("zd: deleted webhook {}", self.id);
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!(
                    "zd: could not delete webhook {} ({error}); delete it with `zd webhooks delete {}`",
                    self.id, self.id
                );
                ExitCode::from(1)
            }
        };
        self.session.close().await;
        code
    }
}

pub async fn run(args: ListenArgs) -> ExitCode {
    let stop = StopSignal::install();
    let limits = args.limits.limits();
    if let Err(message) = limits.validate() {
        return usage_error(&message);
    }
    let given_secret = match (&args.secret, &args.secret_file) {
        (Some(secret), None) => Some(secret.trim().to_owned()),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text.trim().to_owned()),
            Err(error) => {
                return usage_error(&format!("--secret-file {}: {error}", path.display()));
            }
        },
        _ => None,
    };
    if given_secret.as_deref() == Some("") {
        return usage_error("the signing secret is empty");
    }
    let source = match (given_secret, args.create.clone()) {
        (Some(_), Some(_)) => {
            return usage_error(
                "--create uses the new webhook's signing secret: leave out --secret, \
                 --secret-file and ZD_WEBHOOK_SECRET",
            );
        }
        (None, None) => {
            return usage_error(
                "give the signing secret (--secret-file, ZD_WEBHOOK_SECRET or --secret; \
                 `zd webhooks secret ID` prints it), or --create NAME --subscribe EVENTS to \
                 register a webhook for this run",
            );
        }
        (Some(secret), None) => SecretSource::Given(SecretString::from(secret)),
        (None, Some(name)) => SecretSource::Create(name),
    };
    let listener = match http_serve::bind(args.addr) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("zd: cannot listen on {}: {error}", args.addr);
            return ExitCode::from(1);
        }
    };
    let local = match listener.local_addr() {
        Ok(local) => local,
        Err(error) => {
            eprintln!("zd: cannot read the listening address: {error}");
            return ExitCode::from(1);
        }
    };
    let (secret, registered) = match source {
        SecretSource::Given(secret) => (secret, None),
        SecretSource::Create(name) => match register(&name, &args, local).await {
            Ok((secret, registered)) => (secret, Some(registered)),
            Err(code) => return code,
        },
    };
    let sink = match args.exec {
        Some(command) => Sink::Exec {
            command,
            one_at_a_time: tokio::sync::Mutex::new(()),
        },
        None => Sink::Stdout,
    };
    let receiver = Arc::new(Receiver {
        secret,
        sink,
        handled: Mutex::new(Remembered::default()),
    });
    let router = Router::new().fallback(receive).with_state(receiver);
    let server = http_serve::Server::new(listener, router, limits);
    eprintln!("zd: listening on http://{local} (any path); Ctrl-C stops");
    let served = server.run(stop.wait()).await;
    let mut code = match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("zd: the listener failed: {error}");
            ExitCode::from(1)
        }
    };
    if let Some(registered) = registered {
        let removed = registered.remove().await;
        if removed != ExitCode::SUCCESS {
            code = removed;
        }
    }
    code
}

/// Creates the webhook for `--create` and reads its signing secret; a webhook whose secret
/// cannot be read is deleted again.
async fn register(
    name: &str,
    args: &ListenArgs,
    local: SocketAddr,
) -> Result<(SecretString, Registered), ExitCode> {
    let endpoint = match &args.public_url {
        Some(url) => url.clone(),
        None => format!("http://{}/", reachable(local)),
    };
    let body = webhook_body(Map::new(), Some(name), Some(&endpoint), &args.subscribe)
        .map_err(|message| usage_error(&message))?;
    let session = Session::open(true).await?;
    let client = match client::client(&session) {
        Ok(client) => client,
        Err(code) => {
            session.close().await;
            return Err(code);
        }
    };
    let created = match client.webhooks().create(&body).await {
        Ok(created) => created,
        Err(error) => {
            session.close().await;
            return Err(failed(error));
        }
    };
    let registered = Registered {
        session,
        client,
        id: created.id.clone(),
    };
    let secret = match registered
        .client
        .webhooks()
        .signing_secret(&created.id)
        .await
    {
        Ok(secret) => secret,
        Err(error) => {
            eprintln!("zd: cannot read the new webhook's signing secret: {error}");
            registered.remove().await;
            return Err(ExitCode::from(1));
        }
    };
    eprintln!(
        "zd: created webhook {} \"{name}\" -> {endpoint}, subscribed to {}; it is deleted when \
         zd stops",
        created.id,
        created.subscriptions.join(", ")
    );
    Ok((SecretString::from(secret.secret().to_owned()), registered))
}

/// The address to give Zendesk for a listener bound to `local` (an unspecified address is
/// reached on loopback).
fn reachable(local: SocketAddr) -> SocketAddr {
    let mut address = local;
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    address
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    if let Err(refused) = verify_headers(receiver.secret.expose_secret(), &headers, &body) {
        eprintln!("zd: refused a delivery to {path}: {refused}");
        return (StatusCode::UNAUTHORIZED, format!("{refused}\n")).into_response();
    }
    let delivery = DeliveryHeaders::from_headers(&headers);
    if let Some(invocation) = &delivery.invocation_id
        && receiver
            .handled
            .lock()
            .is_ok_and(|handled| handled.contains(invocation))
    {
        eprintln!("zd: invocation {invocation} delivered again: already handled");
        return (StatusCode::OK, "already handled\n").into_response();
    }
    let event = event_of(&body);
    let line = json!({
        "received_at": timestamp_header(unix_now()),
        "method": method.as_str(),
        "path": path,
        "webhook_id": delivery.webhook_id,
        "invocation_id": delivery.invocation_id,
        "account_id": delivery.account_id,
        "event": event,
    })
    .to_string();
    // Handled in a task of its own: a delivery Zendesk gives up on (after 12 s) is still
    // handled to its end, and remembered, so its retry is not handled twice.
    let task = tokio::spawn(handle(receiver, line, delivery));
    match task.await {
        Ok(Ok(())) => (StatusCode::OK, "ok\n").into_response(),
        Ok(Err(message)) => {
            eprintln!("zd: {message}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the event was not handled\n",
            )
                .into_response()
        }
        Err(error) => {
            eprintln!("zd: handling an event failed: {error}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the event was not handled\n",
            )
                .into_response()
        }
    }
}

/// The body as JSON, as text when it is not JSON (xml and form-encoded webhooks), null when
/// empty (GET and DELETE webhooks).
fn event_of(body: &[u8]) -> Value {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Value::Null;
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn handle(
    receiver: Arc<Receiver>,
    line: String,
    delivery: DeliveryHeaders,
) -> Result<(), String> {
    match &receiver.sink {
        Sink::Stdout => {
            use std::io::Write;
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            writeln!(out, "{line}")
                .and_then(|()| out.flush())
                .map_err(|error| format!("cannot write the event to stdout: {error}"))?;
        }
        Sink::Exec {
            command,
            one_at_a_time,
        } => {
            let _turn = one_at_a_time.lock().await;
            run_command(command, &line, &delivery).await?;
        }
    }
    if let Some(invocation) = delivery.invocation_id
        && let Ok(mut handled) = receiver.handled.lock()
    {
        handled.insert(invocation);
    }
    Ok(())
}

async fn run_command(command: &str, line: &str, delivery: &DeliveryHeaders) -> Result<(), String> {
    let event_type = serde_json::from_str::<Value>(line)
        .ok()
        .and_then(|line| line["event"]["type"].as_str().map(str::to_owned));
    #[cfg(unix)]
    let mut shell = {
        let mut shell = tokio::process::Command::new("sh");
        shell.arg("-c").arg(command);
        shell
    };
    #[cfg(not(unix))]
    let mut shell = {
        let mut shell = tokio::process::Command::new("cmd");
        shell.arg("/C").arg(command);
        shell
    };
    shell
        .stdin(Stdio::piped())
        .env(
            "ZD_WEBHOOK_ID",
            delivery.webhook_id.as_deref().unwrap_or(""),
        )
        .env(
            "ZD_WEBHOOK_INVOCATION_ID",
            delivery.invocation_id.as_deref().unwrap_or(""),
        )
        .env("ZD_EVENT_TYPE", event_type.as_deref().unwrap_or(""));
    let mut child = shell
        .spawn()
        .map_err(|error| format!("--exec: cannot run `{command}`: {error}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its stdin closes it early: that is its choice.
        let _ = stdin.write_all(line.as_bytes()).await;
        let _ = stdin.write_all(b"\n").await;
    }
    let status = child
        .wait()
        .await
        .map_err(|error| format!("--exec: waiting for `{command}`: {error}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "--exec: `{command}` {status} for invocation {}",
            delivery.invocation_id.as_deref().unwrap_or("(none)")
        ))
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_become_events_whatever_their_format() {
        assert_eq!(
            event_of(br#"{"type": "zen:event-type:ticket.created"}"#)["type"],
            "zen:event-type:ticket.created"
        );
        assert_eq!(
            event_of(b"<ticket><id>7</id></ticket>"),
            json!("<ticket><id>7</id></ticket>")
        );
        assert_eq!(event_of(b""), Value::Null);
    }

    #[test]
    fn repeats_are_remembered_within_a_bound() {
        let mut handled = Remembered::default();
        for i in 0..(REMEMBERED_INVOCATIONS + 10) {
            handled.insert(i.to_string());
        }
        assert!(!handled.contains("0"));
        assert!(handled.contains(&(REMEMBERED_INVOCATIONS + 9).to_string()));
        assert_eq!(handled.order.len(), REMEMBERED_INVOCATIONS);
    }

    #[test]
    fn an_unspecified_address_is_reached_on_loopback() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(reachable(any).to_string(), "127.0.0.1:8080");
    }
}
