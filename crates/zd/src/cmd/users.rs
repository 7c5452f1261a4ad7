//! `zd users`: list (by role, one page or `--all`) and get, on the user tools.

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
    /// List users, optionally by role.
    List {
        /// end-user, agent or admin.
        #[arg(long)]
        role: Option<String>,
        /// Users per page (1-100).
        #[arg(long, default_value = "100")]
        per_page: String,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one user (`me` for the authenticated user).
    Get {
        /// The user ID, e.g. 42, or `me`.
        id: String,
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
            role,
            per_page,
            all,
            json,
        } => {
            let mut call = Map::new();
            put(&mut call, "role", &role);
            call.insert("perPage".into(), json!(per_page));
            match common::fetch_list(&session, "zendesk_get_users", call, "users", all).await {
                Ok((users, has_more)) => {
                    common::print_list("users", &users, has_more, json, user_rows);
                    Ok(())
                }
                Err(code) => Err(code),
            }
        }
        Command::Get { id, json } => get_user(&session, &id, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

pub(crate) fn user_rows(users: &[Value]) {
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            vec![
                common::cell(&u["id"]),
                common::clip(&common::cell(&u["name"]), 30),
                common::cell(&u["email"]),
                common::cell(&u["role"]),
                common::cell(&u["organization_id"]),
            ]
        })
        .collect();
    common::print_table(&["ID", "NAME", "EMAIL", "ROLE", "ORGANIZATION"], &rows);
}

async fn get_user(session: &Session, id: &str, json: bool) -> Result<(), ExitCode> {
    let output = if id.trim().eq_ignore_ascii_case("me") {
        session.call("zendesk_get_current_user", json!({})).await?
    } else {
        session
            .call("zendesk_get_user", json!({ "userId": id }))
            .await?
    };
    if json {
        common::print_json(&output);
    } else {
        common::print_record(
            &output["user"],
            &[
                "id",
                "name",
                "email",
                "role",
                "organization_id",
                "phone",
                "verified",
                "active",
                "tags",
                "created_at",
                "updated_at",
            ],
        );
    }
    Ok(())
}
