//! `zd groups list [--members]`: the groups tickets are assigned to, and with `--members` the
//! agents of each (from the group memberships, every page).

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde_json::{Map, Value, json};

use crate::cmd::common::{self, Session};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List the groups (every page).
    List {
        /// Also list each group's agents.
        #[arg(long)]
        members: bool,
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
        Command::List { members, json } => list(&session, members, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

async fn list(session: &Session, members: bool, json: bool) -> Result<(), ExitCode> {
    let (mut groups, _) =
        common::fetch_list(session, "zendesk_get_groups", Map::new(), "groups", true).await?;
    if members {
        let (memberships, _) = common::fetch_list(
            session,
            "zendesk_get_group_memberships",
            Map::new(),
            "group_memberships",
            true,
        )
        .await?;
        let mut by_group: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
        for membership in memberships {
            if let Some(group) = membership["group_id"].as_u64() {
                by_group
                    .entry(group)
                    .or_default()
                    .push(membership["user"].clone());
            }
        }
        for group in &mut groups {
            let agents = group["id"]
                .as_u64()
                .and_then(|id| by_group.remove(&id))
                .unwrap_or_default();
            if let Value::Object(group) = group {
                group.insert("members".into(), json!(agents));
            }
        }
    }
    if json {
        common::print_json(&json!({ "groups": groups }));
        return Ok(());
    }
    if groups.is_empty() {
        println!("No groups.");
        return Ok(());
    }
    let mut header = vec!["ID", "NAME", "DEFAULT", "DESCRIPTION"];
    if members {
        header.push("AGENTS");
    }
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let mut row = vec![
                common::cell(&g["id"]),
                common::clip(&common::cell(&g["name"]), 30),
                if g["default"] == Value::Bool(true) {
                    "yes"
                } else {
                    ""
                }
                .to_owned(),
                common::clip(&common::cell(&g["description"]), 40),
            ];
            if members {
                let agents: Vec<String> = g["members"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|user| match user["name"].as_str() {
                        Some(name) => format!("{name} (#{})", common::cell(&user["id"])),
                        None => format!("#{}", common::cell(&user["id"])),
                    })
                    .collect();
                row.push(agents.join(", "));
            }
            row
        })
        .collect();
    common::print_table(&header, &rows);
    Ok(())
}
