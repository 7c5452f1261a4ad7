//! `zd views list` and `zd views tickets VIEW [--all]`: the team's ticket queues and the tickets
//! in one, in the view's order.

use std::process::ExitCode;

use serde_json::{Map, Value, json};

use crate::cmd::common::{self, Session, put};
use crate::cmd::tickets::ticket_rows;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List the views you may use, with how many tickets each holds.
    List {
        /// Also count each view's tickets.
        #[arg(long)]
        count: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the tickets in a view.
    Tickets {
        /// The view ID (see `zd views list`).
        view: String,
        /// Tickets per page (1-100).
        #[arg(long)]
        per_page: Option<String>,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of a table.
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
        Command::List { count, json } => list(&session, count, json).await,
        Command::Tickets {
            view,
            per_page,
            all,
            json,
        } => tickets(&session, &view, per_page, all, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

async fn list(session: &Session, count: bool, json: bool) -> Result<(), ExitCode> {
    let (mut views, has_more) =
        common::fetch_list(session, "zendesk_get_views", Map::new(), "views", true).await?;
    if count {
        for view in &mut views {
            let counted = session
                .call(
                    "zendesk_get_view_count",
                    json!({ "viewId": common::cell(&view["id"]) }),
                )
                .await?;
            if let Value::Object(view) = view {
                view.insert("count".into(), counted["count"].clone());
            }
        }
    }
    common::print_list("views", &views, has_more, json, |views| {
        let mut header = vec!["ID", "STATE", "TITLE"];
        if count {
            header.push("TICKETS");
        }
        let rows: Vec<Vec<String>> = views
            .iter()
            .map(|v| {
                let mut row = vec![
                    common::cell(&v["id"]),
                    if v["active"] == Value::Bool(true) {
                        ""
                    } else {
                        "inactive"
                    }
                    .to_owned(),
                    common::clip(&common::cell(&v["title"]), 50),
                ];
                if count {
                    row.push(common::cell(&v["count"]));
                }
                row
            })
            .collect();
        common::print_table(&header, &rows);
    });
    Ok(())
}

async fn tickets(
    session: &Session,
    view: &str,
    per_page: Option<String>,
    all: bool,
    json: bool,
) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("viewId".into(), json!(view));
    put(&mut args, "perPage", &per_page);
    let (tickets, has_more) =
        common::fetch_list(session, "zendesk_get_view_tickets", args, "tickets", all).await?;
    common::print_list("tickets", &tickets, has_more, json, ticket_rows);
    Ok(())
}
