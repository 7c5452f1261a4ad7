//! `zd webhooks`: where Zendesk sends events. List, show, create, delete, test (Zendesk sends one
//! request and says what the endpoint answered), invocations (what was delivered, and each
//! attempt), secret (the signing secret, shown or reset), and `listen`: a local receiver that
//! checks every delivery's signature (see `webhook_listener`).

use std::process::ExitCode;
use std::str::FromStr;

use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use zendesk::Client;
use zendesk_types::webhooks::{CONDITIONAL_TICKET_EVENTS, subscription};
use zendesk_types::{
    WebhookHttpMethod, WebhookId, WebhookInvocationId, WebhookRequestFormat, WebhookStatus,
};

use crate::cmd::client::{self, failed, read_json_object};
use crate::cmd::common::{self, Session, usage_error};
use crate::cmd::webhook_listener;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    #[command(flatten)]
    Manage(Manage),
    /// Receive deliveries here: check each one's signature (401 for a missing, forged or stale
    /// one), print each event as one JSON line or hand it to a command. With --create, register
    /// a webhook pointing here for as long as this runs.
    Listen(webhook_listener::ListenArgs),
}

/// The commands that work on the account's webhooks.
#[derive(clap::Subcommand)]
enum Manage {
    /// List the account's webhooks.
    List {
        #[arg(long, help = common::choices("Only webhooks with this status", WebhookStatus::KNOWN))]
        status: Option<String>,
        /// Only webhooks whose name holds this text.
        #[arg(long)]
        name: Option<String>,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Print Zendesk's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one webhook.
    Show {
        /// The webhook ID, e.g. 01HANAN7NVBM93Z21ZGCXESV8X.
        id: String,
        /// Print Zendesk's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a webhook. Without --subscribe it is called by triggers and automations
    /// (conditional_ticket_events).
    Create(CreateArgs),
    /// Delete one or several webhooks: Zendesk stops sending to them.
    Delete {
        /// The webhook IDs.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Have Zendesk send one test request as this webhook, and show what the endpoint answered.
    Test {
        /// The webhook ID.
        id: String,
        /// The body to send (text; JSON for a json webhook).
        #[arg(long, default_value = r#"{"message": "test request from zd"}"#)]
        payload: String,
        /// Print Zendesk's JSON.
        #[arg(long)]
        json: bool,
    },
    /// What a webhook delivered in the last 7 days; with an invocation ID, each attempt of it
    /// (the request sent and the response received).
    Invocations {
        /// The webhook ID.
        id: String,
        /// One invocation, to show its attempts.
        invocation: Option<String>,
        /// Only invocations that ended this way (success, failed...).
        #[arg(long)]
        status: Option<String>,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Print Zendesk's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a webhook's signing secret (what receivers verify deliveries with); --reset makes
    /// a new one, and deliveries signed with the old one stop verifying.
    Secret {
        /// The webhook ID.
        id: String,
        /// Make a new secret first.
        #[arg(long)]
        reset: bool,
    },
}

#[derive(clap::Args)]
struct CreateArgs {
    /// Its name.
    #[arg(long)]
    name: Option<String>,
    /// The URL Zendesk sends to.
    #[arg(long)]
    endpoint: Option<String>,
    /// Event types it subscribes to, comma-separated: ticket.created, ticket.status_changed...,
    /// any zen:event-type:... name, or conditional_ticket_events (the default: called by
    /// triggers and automations).
    #[arg(long, value_name = "EVENTS", value_delimiter = ',')]
    subscribe: Vec<String>,
    #[arg(long, help = common::choices("HTTP method (event subscriptions: POST)", WebhookHttpMethod::KNOWN))]
    method: Option<String>,
    #[arg(long, help = common::choices("Body format (event subscriptions: json)", WebhookRequestFormat::KNOWN))]
    format: Option<String>,
    /// Its description.
    #[arg(long)]
    description: Option<String>,
    /// Create it inactive (it sends nothing until activated).
    #[arg(long)]
    inactive: bool,
    /// The webhook as JSON: a file, or `-` for stdin (authentication, custom_headers...);
    /// flags change it further.
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
    /// Print Zendesk's answer as JSON instead of a summary.
    #[arg(long)]
    print_json: bool,
}

pub async fn run(args: Args) -> ExitCode {
    let command = match args.command {
        Command::Listen(listen) => return webhook_listener::run(listen).await,
        Command::Manage(command) => command,
    };
    let session = match Session::open(true).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let outcome = match client::client(&session) {
        Ok(client) => match command {
            Manage::List {
                status,
                name,
                all,
                json,
            } => list(&client, status, name, all, json).await,
            Manage::Show { id, json } => show(&client, &id, json).await,
            Manage::Create(create_args) => create(&client, create_args).await,
            Manage::Delete { ids } => delete(&client, &ids).await,
            Manage::Test { id, payload, json } => test(&client, &id, payload, json).await,
            Manage::Invocations {
                id,
                invocation,
                status,
                all,
                json,
            } => invocations(&client, &id, invocation, status, all, json).await,
            Manage::Secret { id, reset } => secret(&client, &id, reset).await,
        },
        Err(code) => Err(code),
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

pub fn parse_id(raw: &str) -> Result<WebhookId, ExitCode> {
    WebhookId::from_str(raw).map_err(|error| usage_error(&error.to_string()))
}

fn parse_enum<T: FromStr<Err = zendesk_types::ParseEnumError>>(
    flag: &str,
    raw: &Option<String>,
) -> Result<Option<T>, ExitCode> {
    raw.as_deref()
        .map(|raw| T::from_str(raw).map_err(|error| usage_error(&format!("{flag}: {error}"))))
        .transpose()
}

async fn list(
    client: &Client,
    status: Option<String>,
    name: Option<String>,
    all: bool,
    json: bool,
) -> Result<(), ExitCode> {
    let mut list = client.webhooks().list();
    if let Some(status) = parse_enum::<WebhookStatus>("--status", &status)? {
        list = list.with_status(&status);
    }
    if let Some(name) = &name {
        list = list.name_contains(name);
    }
    let spinner = all.then(|| common::paging_spinner("webhooks"));
    let mut pages = std::pin::pin!(list.raw().pages().into_stream());
    let mut items = Vec::new();
    let mut has_more = false;
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed)?;
        items.extend(page.items);
        has_more = page.has_more;
        if !all {
            break;
        }
    }
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    common::print_list("webhooks", &items, has_more, json, |webhooks| {
        let rows: Vec<Vec<String>> = webhooks
            .iter()
            .map(|w| {
                vec![
                    common::cell(&w["id"]),
                    common::cell(&w["status"]),
                    common::clip(&common::cell(&w["name"]), 30),
                    format!(
                        "{} {}",
                        common::cell(&w["http_method"]),
                        common::cell(&w["endpoint"])
                    ),
                    common::clip(&common::cell(&w["subscriptions"]), 50),
                ]
            })
            .collect();
        common::print_table(&["ID", "STATUS", "NAME", "SENDS", "SUBSCRIPTIONS"], &rows);
    });
    Ok(())
}

async fn show(client: &Client, id: &str, json: bool) -> Result<(), ExitCode> {
    let id = parse_id(id)?;
    let answer = client.webhooks().show(&id).raw().await.map_err(failed)?;
    if json {
        common::print_json(&answer);
        return Ok(());
    }
    let webhook = &answer["webhook"];
    println!("Webhook {} \"{}\"", id, common::cell(&webhook["name"]));
    common::print_record(
        webhook,
        &[
            "status",
            "endpoint",
            "http_method",
            "request_format",
            "subscriptions",
            "description",
            "created_at",
            "updated_at",
        ],
    );
    if let Some(kind) = webhook["authentication"]["type"].as_str() {
        println!("authentication  {kind}");
    }
    Ok(())
}

/// The body of a new webhook: `--json` with the flags over it, Zendesk's rules checked (an event
/// subscription sends POST and json, and does not mix with conditional_ticket_events).
pub fn webhook_body(
    base: Map<String, Value>,
    name: Option<&str>,
    endpoint: Option<&str>,
    subscribe: &[String],
) -> Result<Map<String, Value>, String> {
    let mut webhook = base;
    if let Some(name) = name {
        webhook.insert("name".into(), json!(name));
    }
    if let Some(endpoint) = endpoint {
        webhook.insert("endpoint".into(), json!(endpoint));
    }
    if !subscribe.is_empty() {
        let subscriptions = subscribe
            .iter()
            .map(|s| subscription(s))
            .collect::<Result<Vec<_>, _>>()?;
        webhook.insert("subscriptions".into(), json!(subscriptions));
    }
    webhook
        .entry("subscriptions")
        .or_insert_with(|| json!([CONDITIONAL_TICKET_EVENTS]));
    let events = webhook["subscriptions"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s != CONDITIONAL_TICKET_EVENTS));
    let conditional = webhook["subscriptions"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s == CONDITIONAL_TICKET_EVENTS));
    if events && conditional {
        return Err(format!(
            "--subscribe: {CONDITIONAL_TICKET_EVENTS} (triggers and automations) and event types \
             do not mix in one webhook: create two"
        ));
    }
    webhook.entry("status").or_insert_with(|| json!("active"));
    let (method, format) = (WebhookHttpMethod::Post, WebhookRequestFormat::Json);
    webhook
        .entry("http_method")
        .or_insert_with(|| json!(method.as_str()));
    webhook
        .entry("request_format")
        .or_insert_with(|| json!(format.as_str()));
    if events
        && (webhook["http_method"] != method.as_str()
            || webhook["request_format"] != format.as_str())
    {
        return Err(
            "a webhook subscribed to event types sends POST and json: leave out --method and \
             --format"
                .to_owned(),
        );
    }
    for required in ["name", "endpoint"] {
        if !webhook.get(required).is_some_and(Value::is_string) {
            return Err(format!(
                "a webhook needs a {required}: give --{required} or \"{required}\" in --json"
            ));
        }
    }
    Ok(webhook)
}

async fn create(client: &Client, args: CreateArgs) -> Result<(), ExitCode> {
    let mut base = match &args.json {
        Some(source) => read_json_object(source, "webhook")?,
        None => Map::new(),
    };
    if let Some(method) = parse_enum::<WebhookHttpMethod>("--method", &args.method)? {
        base.insert("http_method".into(), json!(method.as_str()));
    }
    if let Some(format) = parse_enum::<WebhookRequestFormat>("--format", &args.format)? {
        base.insert("request_format".into(), json!(format.as_str()));
    }
    if let Some(description) = &args.description {
        base.insert("description".into(), json!(description));
    }
    if args.inactive {
        base.insert("status".into(), json!("inactive"));
    }
    let webhook = webhook_body(
        base,
        args.name.as_deref(),
        args.endpoint.as_deref(),
        &args.subscribe,
    )
    .map_err(|message| usage_error(&message))?;
    let answer = client
        .webhooks()
        .create(&webhook)
        .raw()
        .await
        .map_err(failed)?;
    if args.print_json {
        common::print_json(&answer);
    } else {
        let created = &answer["webhook"];
        println!(
            "Created webhook {} \"{}\" -> {} ({})",
            common::cell(&created["id"]),
            common::cell(&created["name"]),
            common::cell(&created["endpoint"]),
            common::cell(&created["subscriptions"])
        );
    }
    Ok(())
}

async fn delete(client: &Client, ids: &[String]) -> Result<(), ExitCode> {
    let ids = ids
        .iter()
        .map(|id| parse_id(id))
        .collect::<Result<Vec<_>, _>>()?;
    for id in &ids {
        client.webhooks().delete(id).await.map_err(failed)?;
        println!("Deleted webhook {id}");
    }
    Ok(())
}

async fn test(client: &Client, id: &str, payload: String, json: bool) -> Result<(), ExitCode> {
    let id = parse_id(id)?;
    let webhook = client.webhooks().show(&id).await.map_err(failed)?;
    let mut request = Map::new();
    request.insert("endpoint".into(), json!(webhook.endpoint));
    if let Some(method) = &webhook.http_method {
        request.insert("http_method".into(), json!(method));
    }
    if let Some(format) = &webhook.request_format {
        request.insert("request_format".into(), json!(format));
    }
    request.insert("payload".into(), json!(payload));
    let answer = client
        .webhooks()
        .test(&request, Some(&id))
        .raw()
        .await
        .map_err(failed)?;
    if json {
        common::print_json(&answer);
        return Ok(());
    }
    let response = &answer["response"];
    let status = response["status_code"]
        .as_u64()
        .or_else(|| response["status"].as_u64());
    println!(
        "{} answered {}",
        webhook.endpoint.as_deref().unwrap_or("the endpoint"),
        status.map_or_else(|| "(no status)".to_owned(), |s| s.to_string())
    );
    if let Some(body) = response["payload"].as_str().filter(|b| !b.is_empty()) {
        println!("{body}");
    }
    Ok(())
}

async fn invocations(
    client: &Client,
    id: &str,
    invocation: Option<String>,
    status: Option<String>,
    all: bool,
    json: bool,
) -> Result<(), ExitCode> {
    let id = parse_id(id)?;
    if let Some(invocation) = invocation {
        let invocation = WebhookInvocationId::from_str(&invocation)
            .map_err(|error| usage_error(&error.to_string()))?;
        let answer = client
            .webhooks()
            .attempts(&id, &invocation)
            .raw()
            .await
            .map_err(failed)?;
        if json {
            common::print_json(&answer);
            return Ok(());
        }
        let attempts = answer["attempts"].as_array().cloned().unwrap_or_default();
        if attempts.is_empty() {
            println!("No attempts.");
            return Ok(());
        }
        let rows: Vec<Vec<String>> = attempts
            .iter()
            .map(|a| {
                vec![
                    common::cell(&a["id"]),
                    common::cell(&a["status"]),
                    common::cell(&a["status_code"]),
                    common::cell(&a["completed_at"]),
                    common::clip(&common::cell(&a["response"]["payload"]), 50),
                ]
            })
            .collect();
        common::print_table(
            &["ATTEMPT", "STATUS", "CODE", "COMPLETED", "RESPONSE"],
            &rows,
        );
        return Ok(());
    }
    let mut list = client.webhooks().invocations(&id).latest_first();
    if let Some(status) = &status {
        list = list.with_outcome(status);
    }
    let mut pages = std::pin::pin!(list.raw().pages().into_stream());
    let mut items = Vec::new();
    let mut has_more = false;
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed)?;
        items.extend(page.items);
        has_more = page.has_more;
        if !all {
            break;
        }
    }
    common::print_list("invocations", &items, has_more, json, |invocations| {
        let rows: Vec<Vec<String>> = invocations
            .iter()
            .map(|i| {
                vec![
                    common::cell(&i["id"]),
                    common::cell(&i["status"]),
                    common::cell(&i["status_code"]),
                    common::cell(&i["latest_completed_at"]),
                ]
            })
            .collect();
        common::print_table(&["INVOCATION", "STATUS", "CODE", "COMPLETED"], &rows);
    });
    Ok(())
}

async fn secret(client: &Client, id: &str, reset: bool) -> Result<(), ExitCode> {
    let id = parse_id(id)?;
    let secret = if reset {
        client.webhooks().reset_signing_secret(&id).await
    } else {
        client.webhooks().signing_secret(&id).await
    }
    .map_err(failed)?;
    if reset {
        eprintln!("zd: webhook {id} has a new signing secret; the old one no longer verifies");
    }
    println!("{}", secret.secret());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_webhook_follows_zendesks_rules() {
        let body = webhook_body(Map::new(), Some("pager"), Some("https://x.example"), &[]).unwrap();
        assert_eq!(body["subscriptions"], json!(["conditional_ticket_events"]));
        assert_eq!(
            (body["http_method"].as_str(), body["status"].as_str()),
            (Some("POST"), Some("active"))
        );
        let events = webhook_body(
            Map::new(),
            Some("pager"),
            Some("https://x.example"),
            &[
                "ticket.created".into(),
                "zen:event-type:ticket.merged".into(),
            ],
        )
        .unwrap();
        assert_eq!(
            events["subscriptions"],
            json!([
                "zen:event-type:ticket.created",
                "zen:event-type:ticket.merged"
            ])
        );
        let mixed = webhook_body(
            Map::new(),
            Some("x"),
            Some("https://x.example"),
            &["ticket.created".into(), "conditional_ticket_events".into()],
        );
        assert!(mixed.unwrap_err().contains("do not mix"));
        let mut get = Map::new();
        get.insert("http_method".into(), json!("GET"));
        let refused = webhook_body(
            get,
            Some("x"),
            Some("https://x.example"),
            &["ticket.created".into()],
        );
        assert!(refused.unwrap_err().contains("POST and json"));
        assert!(
            webhook_body(Map::new(), Some("x"), None, &[])
                .unwrap_err()
                .contains("endpoint")
        );
        assert!(
            webhook_body(
                Map::new(),
                Some("x"),
                Some("u"),
                &["ticket.exploded".into()]
            )
            .is_err()
        );
    }
}
