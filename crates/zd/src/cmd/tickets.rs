//! `zd tickets`: list (filtered, one page or `--all`), get, show (the conversation as a person
//! reads it), note (internal), reply (public, emailed to the requester), history, create, update
//! (several IDs become a bulk update followed to its end with a progress bar) and delete, on the
//! ticket tools.

use std::process::ExitCode;

use serde_json::{Map, Value, json};

use zendesk_types::limits::MAX_BULK_ITEMS;
use zendesk_types::{TICKET_SORTS, TicketPriority, TicketStatus, TicketType};

use crate::cmd::common::{self, Session, put};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List tickets, optionally filtered by status, priority, type, assignee or organization.
    List(ListArgs),
    /// Show a ticket with its conversation: each comment's author, time, and whether the
    /// requester sees it or it is an internal note.
    Show {
        /// The ticket ID, e.g. 42.
        id: String,
        /// Print the ticket and its comments as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add an internal note: a comment only agents see, never shown or emailed to the requester.
    Note {
        /// The ticket ID, e.g. 42.
        id: String,
        /// The note's text.
        text: String,
        /// Print the tool's JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Reply publicly: the requester sees the reply and Zendesk emails it to them.
    Reply {
        /// The ticket ID, e.g. 42.
        id: String,
        /// The reply's text, as the requester will read it.
        text: String,
        #[arg(long, help = common::choices("Status to set with the reply", TicketStatus::KNOWN))]
        status: Option<String>,
        /// Print the tool's JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Show a ticket's history: who changed what, when.
    History {
        /// The ticket ID, e.g. 42.
        id: String,
        /// Print the audits as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one ticket's fields.
    Get {
        /// The ticket ID, e.g. 42.
        id: String,
        /// Print the tool's JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Create a ticket.
    Create(CreateArgs),
    /// Update one ticket, or several at once (a bulk job, followed to its end).
    Update(UpdateArgs),
    /// Create many tickets from a JSON array (a file, or `-` for stdin), in bulk jobs of 100
    /// followed to their end.
    CreateMany {
        /// The JSON file: `[{"subject": "...", "comment": {"body": "..."}}, ...]`.
        #[arg(long)]
        file: String,
        /// Print the final job statuses as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a ticket.
    Delete {
        /// The ticket ID, e.g. 42.
        id: String,
        /// Print the tool's JSON output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct ListArgs {
    #[arg(long, help = common::choices("Only tickets with this status", TicketStatus::KNOWN))]
    status: Option<String>,
    #[arg(long, help = common::choices("Only tickets with this priority", TicketPriority::KNOWN))]
    priority: Option<String>,
    #[arg(long = "type", help = common::choices("Only tickets of this type", TicketType::KNOWN))]
    ticket_type: Option<String>,
    /// Assignee user ID.
    #[arg(long)]
    assignee: Option<String>,
    /// Organization ID.
    #[arg(long)]
    organization: Option<String>,
    #[arg(long, help = common::choices("Order of the listing, \"-\" first for descending (only without filters)", TICKET_SORTS), allow_hyphen_values = true)]
    sort: Option<String>,
    /// Tickets per page (1-100).
    #[arg(long)]
    per_page: Option<String>,
    /// Fetch every page.
    #[arg(long)]
    all: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct CreateArgs {
    /// The first comment.
    #[arg(long)]
    description: String,
    #[arg(long)]
    subject: Option<String>,
    #[arg(long, help = common::choices("Priority", TicketPriority::KNOWN))]
    priority: Option<String>,
    #[arg(long, help = common::choices("Status", TicketStatus::KNOWN))]
    status: Option<String>,
    #[arg(long = "type", help = common::choices("Type", TicketType::KNOWN))]
    ticket_type: Option<String>,
    /// Comma-separated tags.
    #[arg(long)]
    tags: Option<String>,
    #[arg(long)]
    assignee: Option<String>,
    #[arg(long)]
    group: Option<String>,
    #[arg(long)]
    requester: Option<String>,
    /// JSON object of custom field values by field ID, e.g. '{"360001": "x"}'.
    #[arg(long)]
    custom_fields: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct UpdateArgs {
    /// One or more ticket IDs (space- or comma-separated). Several make a bulk update, where
    /// only --status, --priority, --assignee, --group and --tags (added) apply.
    #[arg(required = true, num_args = 1..)]
    ids: Vec<String>,
    #[arg(long)]
    subject: Option<String>,
    /// A comment to add.
    #[arg(long)]
    comment: Option<String>,
    #[arg(long, help = common::choices("Status", TicketStatus::KNOWN))]
    status: Option<String>,
    #[arg(long, help = common::choices("Priority", TicketPriority::KNOWN))]
    priority: Option<String>,
    #[arg(long = "type", help = common::choices("Type", TicketType::KNOWN))]
    ticket_type: Option<String>,
    /// Comma-separated tags (replace the ticket's tags; added to each ticket in a bulk update).
    #[arg(long)]
    tags: Option<String>,
    #[arg(long)]
    assignee: Option<String>,
    #[arg(long)]
    group: Option<String>,
    /// JSON object of custom field values by field ID.
    #[arg(long)]
    custom_fields: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> ExitCode {
    let session = match Session::open(true).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let outcome = match args.command {
        Command::List(list) => list_tickets(&session, list).await,
        Command::Get { id, json } => get_ticket(&session, id, json).await,
        Command::Show { id, json } => show_thread(&session, &id, json).await,
        Command::Note { id, text, json } => add_note(&session, &id, &text, json).await,
        Command::Reply {
            id,
            text,
            status,
            json,
        } => reply(&session, &id, &text, status, json).await,
        Command::History { id, json } => history(&session, &id, json).await,
        Command::Create(create) => create_ticket(&session, create).await,
        Command::Update(update) => update_tickets(&session, update).await,
        Command::CreateMany { file, json } => create_many(&session, &file, json).await,
        Command::Delete { id, json } => delete_ticket(&session, id, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

pub(crate) fn ticket_rows(tickets: &[Value]) {
    let rows: Vec<Vec<String>> = tickets
        .iter()
        .map(|t| {
            vec![
                common::cell(&t["id"]),
                common::cell(&t["status"]),
                common::cell(&t["priority"]),
                common::cell(&t["type"]),
                common::cell(&t["updated_at"]),
                common::clip(&common::cell(&t["subject"]), 60),
            ]
        })
        .collect();
    common::print_table(
        &["ID", "STATUS", "PRIORITY", "TYPE", "UPDATED", "SUBJECT"],
        &rows,
    );
}

async fn list_tickets(session: &Session, list: ListArgs) -> Result<(), ExitCode> {
    let mut args = Map::new();
    put(&mut args, "status", &list.status);
    put(&mut args, "priority", &list.priority);
    put(&mut args, "type", &list.ticket_type);
    put(&mut args, "assigneeId", &list.assignee);
    put(&mut args, "organizationId", &list.organization);
    put(&mut args, "sort", &list.sort);
    put(&mut args, "perPage", &list.per_page);
    let (tickets, has_more) =
        common::fetch_list(session, "zendesk_get_tickets", args, "tickets", list.all).await?;
    common::print_list("tickets", &tickets, has_more, list.json, ticket_rows);
    Ok(())
}

fn print_ticket(ticket: &Value) {
    common::print_record(
        ticket,
        &[
            "id",
            "subject",
            "status",
            "priority",
            "type",
            "requester_id",
            "assignee_id",
            "group_id",
            "organization_id",
            "tags",
            "created_at",
            "updated_at",
        ],
    );
    if let Some(description) = ticket["description"].as_str() {
        println!("\n{description}");
    }
}

async fn get_ticket(session: &Session, id: String, json: bool) -> Result<(), ExitCode> {
    let output = session
        .call("zendesk_get_ticket", json!({ "ticketId": id }))
        .await?;
    if json {
        common::print_json(&output);
    } else {
        print_ticket(&output["ticket"]);
    }
    Ok(())
}

async fn show_thread(session: &Session, id: &str, json: bool) -> Result<(), ExitCode> {
    let thread = zendesk_tools::Thread::read(id, &session.context())
        .await
        .map_err(|error| {
            eprintln!("zd: {error}");
            ExitCode::from(1)
        })?;
    if json {
        common::print_json(&thread.to_json());
    } else {
        print!("{}", thread.to_text());
    }
    Ok(())
}

async fn add_note(session: &Session, id: &str, text: &str, json: bool) -> Result<(), ExitCode> {
    let output = session
        .call(
            "zendesk_add_internal_note",
            json!({ "ticketId": id, "body": text }),
        )
        .await?;
    if json {
        common::print_json(&output);
    } else {
        println!(
            "Added internal note #{} to ticket #{} (agents only; the requester does not see it)",
            common::cell(&output["comment"]["id"]),
            common::cell(&output["ticket_id"])
        );
    }
    Ok(())
}

async fn reply(
    session: &Session,
    id: &str,
    text: &str,
    status: Option<String>,
    json: bool,
) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("ticketId".into(), json!(id));
    args.insert("body".into(), json!(text));
    put(&mut args, "status", &status);
    let output = session
        .call("zendesk_reply_to_ticket", Value::Object(args))
        .await?;
    if json {
        common::print_json(&output);
    } else {
        println!(
            "Replied publicly on ticket #{} (emailed to the requester); status {}",
            common::cell(&output["ticket_id"]),
            common::cell(&output["status"])
        );
    }
    Ok(())
}

/// One event of an audit as a line: `status: open -> pending`, `internal note: ...`.
fn event_line(event: &Value) -> String {
    let value = |v: &Value| match v {
        Value::Null => "(empty)".to_owned(),
        other => common::cell(other),
    };
    match event["type"].as_str().unwrap_or_default() {
        "Change" => format!(
            "{}: {} -> {}",
            common::cell(&event["field"]),
            value(&event["from"]),
            value(&event["to"])
        ),
        "Create" => format!(
            "{} set to {}",
            common::cell(&event["field"]),
            value(&event["to"])
        ),
        "Comment" | "VoiceComment" => {
            let kind = if event["public"] == Value::Bool(false) {
                "internal note"
            } else {
                "public reply"
            };
            format!(
                "{kind}: {}",
                common::clip(&common::cell(&event["body"]), 100)
            )
        }
        "Notification" => format!(
            "email \"{}\" sent to {}",
            common::cell(&event["subject"]),
            common::cell(&event["recipients"])
        ),
        other => other.to_owned(),
    }
}

async fn history(session: &Session, id: &str, json: bool) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("ticketId".into(), json!(id));
    let (audits, _) =
        common::fetch_list(session, "zendesk_get_ticket_audits", args, "audits", true).await?;
    if json {
        common::print_json(&json!({ "audits": audits }));
        return Ok(());
    }
    if audits.is_empty() {
        println!("No history.");
    }
    for audit in &audits {
        let author = &audit["author"];
        let who = match author["name"].as_str() {
            Some(name) => format!("{name} ({})", common::cell(&author["role"])),
            None => format!("user #{}", common::cell(&author["id"])),
        };
        println!(
            "{}  {who} via {}",
            common::cell(&audit["created_at"]),
            common::cell(&audit["via"])
        );
        for event in audit["events"].as_array().into_iter().flatten() {
            println!("  {}", event_line(event));
        }
    }
    Ok(())
}

async fn create_ticket(session: &Session, create: CreateArgs) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("description".into(), json!(create.description));
    put(&mut args, "subject", &create.subject);
    put(&mut args, "priority", &create.priority);
    put(&mut args, "status", &create.status);
    put(&mut args, "type", &create.ticket_type);
    put(&mut args, "tags", &create.tags);
    put(&mut args, "assigneeId", &create.assignee);
    put(&mut args, "groupId", &create.group);
    put(&mut args, "requesterId", &create.requester);
    put(&mut args, "customFields", &create.custom_fields);
    let output = session
        .call("zendesk_create_ticket", Value::Object(args))
        .await?;
    if create.json {
        common::print_json(&output);
    } else {
        println!(
            "Created ticket #{}: {}",
            common::cell(&output["ticket_id"]),
            common::cell(&output["ticket"]["subject"])
        );
    }
    Ok(())
}

async fn update_tickets(session: &Session, update: UpdateArgs) -> Result<(), ExitCode> {
    let ids: Vec<String> = update
        .ids
        .iter()
        .flat_map(|id| id.split(','))
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect();
    let mut args = Map::new();
    put(&mut args, "status", &update.status);
    put(&mut args, "priority", &update.priority);
    put(&mut args, "assigneeId", &update.assignee);
    put(&mut args, "groupId", &update.group);
    put(&mut args, "tags", &update.tags);
    if ids.len() == 1 {
        args.insert("ticketId".into(), json!(ids[0]));
        put(&mut args, "subject", &update.subject);
        put(&mut args, "comment", &update.comment);
        put(&mut args, "type", &update.ticket_type);
        put(&mut args, "customFields", &update.custom_fields);
        let output = session
            .call("zendesk_update_ticket", Value::Object(args))
            .await?;
        if update.json {
            common::print_json(&output);
        } else {
            println!(
                "Updated ticket #{}: {} ({})",
                common::cell(&output["ticket_id"]),
                common::cell(&output["ticket"]["subject"]),
                common::cell(&output["ticket"]["status"])
            );
        }
        return Ok(());
    }
    let single_only = [
        ("--subject", update.subject.is_some()),
        ("--comment", update.comment.is_some()),
        ("--type", update.ticket_type.is_some()),
        ("--custom-fields", update.custom_fields.is_some()),
    ];
    if let Some((flag, _)) = single_only.iter().find(|(_, given)| *given) {
        return Err(common::usage_error(&format!(
            "{flag} applies to one ticket at a time; a bulk update takes --status, --priority, --assignee, --group and --tags"
        )));
    }
    args.insert("ticketIds".into(), json!(ids.join(",")));
    let started = session
        .call("zendesk_update_tickets_bulk", Value::Object(args))
        .await?;
    let job_id = common::cell(&started["job_id"]);
    let finished = follow_job(session, &job_id).await?;
    if update.json {
        common::print_json(&finished);
    } else {
        report_job(&finished);
    }
    Ok(())
}

/// Reads the tickets, sends them in batches of 100 (`MAX_BULK_ITEMS`, Zendesk's limit per bulk job) and follows
/// each job to its end.
async fn create_many(session: &Session, file: &str, json: bool) -> Result<(), ExitCode> {
    let text = if file == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|error| common::usage_error(&format!("cannot read {file}: {error}")))?;
    let tickets: Vec<Value> = match serde_json::from_str(&text) {
        Ok(Value::Array(tickets)) => tickets,
        Ok(_) => {
            return Err(common::usage_error(&format!(
                "{file} must hold a JSON array of ticket objects"
            )));
        }
        Err(error) => {
            return Err(common::usage_error(&format!(
                "{file} is not valid JSON: {error}"
            )));
        }
    };
    if tickets.is_empty() {
        return Err(common::usage_error(&format!("{file} holds no tickets")));
    }
    let batches: Vec<&[Value]> = tickets.chunks(MAX_BULK_ITEMS).collect();
    let mut jobs = Vec::with_capacity(batches.len());
    for (index, batch) in batches.iter().enumerate() {
        if batches.len() > 1 {
            eprintln!(
                "batch {} of {}: {} tickets",
                index + 1,
                batches.len(),
                batch.len()
            );
        }
        let encoded = serde_json::to_string(batch).unwrap_or_default();
        let started = session
            .call("zendesk_create_tickets_bulk", json!({ "tickets": encoded }))
            .await?;
        let finished = follow_job(session, &common::cell(&started["job_id"])).await?;
        jobs.push(finished);
    }
    if json {
        common::print_json(&json!({ "jobs": jobs }));
    } else {
        for job in &jobs {
            report_job(job);
        }
    }
    Ok(())
}

/// Follows a job to its end (at most 10 minutes), with a progress bar on stderr.
pub(crate) async fn follow_job(session: &Session, job_id: &str) -> Result<Value, ExitCode> {
    let progress = common::JobProgress::new();
    let result = session
        .call_with(
            "zendesk_get_job_status",
            json!({ "jobId": job_id, "waitSeconds": "600" }),
            Some(progress.callback()),
        )
        .await;
    progress.finish();
    result
}

pub(crate) fn report_job(output: &Value) {
    let job = &output["job_status"];
    let results = job["results"].as_array().cloned().unwrap_or_default();
    let failed: Vec<&Value> = results
        .iter()
        .filter(|r| r["success"] == Value::Bool(false) || !r["error"].is_null())
        .collect();
    println!(
        "Job {} {}: {} of {} done{}",
        common::cell(&job["id"]),
        common::cell(&job["status"]),
        common::cell(&job["progress"]),
        common::cell(&job["total"]),
        if failed.is_empty() {
            String::new()
        } else {
            format!(", {} failed", failed.len())
        }
    );
    for failure in failed {
        println!(
            "  #{}: {}",
            common::cell(&failure["id"]),
            common::cell(&failure["error"])
        );
    }
}

async fn delete_ticket(session: &Session, id: String, json: bool) -> Result<(), ExitCode> {
    let output = session
        .call("zendesk_delete_ticket", json!({ "ticketId": id }))
        .await?;
    if json {
        common::print_json(&output);
    } else {
        println!("Deleted ticket #{}", common::cell(&output["ticket_id"]));
    }
    Ok(())
}
