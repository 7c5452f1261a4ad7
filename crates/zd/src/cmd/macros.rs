//! `zd macros list [--query Q] [--active]` and `zd macros apply TICKET MACRO`: the team's canned
//! responses, and a preview of what one would do to a ticket (the field changes and the comment
//! it would add). The preview changes nothing; `zd tickets update` or `reply` applies it.

use std::process::ExitCode;

use serde_json::{Map, Value, json};

use crate::cmd::common::{self, Session, put};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List the macros you may use.
    List {
        /// Only macros whose title holds these words.
        #[arg(long)]
        query: Option<String>,
        /// Only active macros.
        #[arg(long)]
        active: bool,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Preview a macro on a ticket: what it would change and the comment it would add.
    /// Nothing is changed.
    Apply {
        /// The ticket ID, e.g. 42.
        ticket: String,
        /// The macro ID (see `zd macros list`).
        #[arg(name = "macro")]
        macro_id: String,
        /// Print the tool's JSON output.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(args: Args) -> ExitCode {
    let session = match Session::open(true).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let outcome = match args.command {
        Command::List {
            query,
            active,
            all,
            json,
        } => list(&session, query, active, all, json).await,
        Command::Apply {
            ticket,
            macro_id,
            json,
        } => apply(&session, &ticket, &macro_id, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

fn rows(macros: &[Value]) {
    let rows: Vec<Vec<String>> = macros
        .iter()
        .map(|m| {
            let actions: Vec<String> = m["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| !a["field"].as_str().unwrap_or("").starts_with("comment_"))
                .map(|a| {
                    format!(
                        "{}={}",
                        common::cell(&a["field"]),
                        common::cell(&a["value"])
                    )
                })
                .collect();
            vec![
                common::cell(&m["id"]),
                if m["active"] == Value::Bool(true) {
                    ""
                } else {
                    "inactive"
                }
                .to_owned(),
                common::clip(&common::cell(&m["title"]), 40),
                common::clip(&actions.join(" "), 60),
            ]
        })
        .collect();
    common::print_table(&["ID", "STATE", "TITLE", "SETS"], &rows);
}

async fn list(
    session: &Session,
    query: Option<String>,
    active: bool,
    all: bool,
    json: bool,
) -> Result<(), ExitCode> {
    let mut args = Map::new();
    put(&mut args, "query", &query);
    if active {
        args.insert("active".into(), json!("true"));
    }
    let (macros, has_more) =
        common::fetch_list(session, "zendesk_get_macros", args, "macros", all).await?;
    common::print_list("macros", &macros, has_more, json, rows);
    Ok(())
}

async fn apply(
    session: &Session,
    ticket: &str,
    macro_id: &str,
    json: bool,
) -> Result<(), ExitCode> {
    let output = session
        .call(
            "zendesk_apply_macro",
            json!({ "ticketId": ticket, "macroId": macro_id }),
        )
        .await?;
    if json {
        common::print_json(&output);
        return Ok(());
    }
    println!("Macro #{macro_id} on ticket #{ticket} would (nothing is changed yet):");
    let changes = output["changes"].as_array().cloned().unwrap_or_default();
    for change in &changes {
        let value = |v: &Value| match v {
            Value::Null => "(empty)".to_owned(),
            other => common::cell(other),
        };
        println!(
            "  set {}: {} -> {}",
            common::cell(&change["field"]),
            value(&change["from"]),
            value(&change["to"])
        );
    }
    if changes.is_empty() {
        println!("  change no field");
    }
    match output["comment"].as_object() {
        Some(comment) => {
            let kind = if comment.get("public") == Some(&Value::Bool(false)) {
                "an internal note (agents only)"
            } else {
                "a public reply (emailed to the requester)"
            };
            println!("  add {kind}:");
            for line in comment
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .lines()
            {
                println!("    {line}");
            }
        }
        None => println!("  add no comment"),
    }
    Ok(())
}
