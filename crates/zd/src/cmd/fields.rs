//! `zd fields list`: the ticket fields, system and custom, with the values dropdowns take: what
//! to put in `--custom-fields '{"<id>": "<value>"}'`.

use std::process::ExitCode;

use serde_json::{Map, Value};

use crate::cmd::common::{self, Session};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List the ticket fields (every page).
    List {
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
        Command::List { json } => list(&session, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

fn rows(fields: &[Value]) {
    let rows: Vec<Vec<String>> = fields
        .iter()
        .map(|f| {
            let options: Vec<String> = f["options"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|o| common::cell(&o["value"]))
                .collect();
            vec![
                common::cell(&f["id"]),
                common::cell(&f["type"]),
                if f["required"] == Value::Bool(true) {
                    "yes"
                } else {
                    ""
                }
                .to_owned(),
                if f["active"] == Value::Bool(true) {
                    ""
                } else {
                    "inactive"
                }
                .to_owned(),
                common::clip(&common::cell(&f["title"]), 30),
                common::clip(&options.join(","), 50),
            ]
        })
        .collect();
    common::print_table(
        &["ID", "TYPE", "REQUIRED", "STATE", "TITLE", "VALUES"],
        &rows,
    );
}

async fn list(session: &Session, json: bool) -> Result<(), ExitCode> {
    let (fields, has_more) = common::fetch_list(
        session,
        "zendesk_get_ticket_fields",
        Map::new(),
        "ticket_fields",
        true,
    )
    .await?;
    common::print_list("ticket_fields", &fields, has_more, json, rows);
    Ok(())
}
