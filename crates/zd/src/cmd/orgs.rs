//! `zd orgs`: list (one page or `--all`) and get, on the organization tools.

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
    /// List organizations.
    List {
        /// Organizations per page (1-100).
        #[arg(long, default_value = "100")]
        per_page: String,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one organization.
    Get {
        /// The organization ID, e.g. 42.
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
            per_page,
            all,
            json,
        } => {
            let mut call = Map::new();
            call.insert("perPage".into(), json!(per_page));
            match common::fetch_list(
                &session,
                "zendesk_get_organizations",
                call,
                "organizations",
                all,
            )
            .await
            {
                Ok((orgs, has_more)) => {
                    common::print_list("organizations", &orgs, has_more, json, organization_rows);
                    Ok(())
                }
                Err(code) => Err(code),
            }
        }
        Command::Get { id, json } => get_organization(&session, &id, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

pub(crate) fn organization_rows(organizations: &[Value]) {
    let rows: Vec<Vec<String>> = organizations
        .iter()
        .map(|o| {
            vec![
                common::cell(&o["id"]),
                common::clip(&common::cell(&o["name"]), 40),
                common::cell(&o["domain_names"]),
                common::cell(&o["tags"]),
            ]
        })
        .collect();
    common::print_table(&["ID", "NAME", "DOMAINS", "TAGS"], &rows);
}

async fn get_organization(session: &Session, id: &str, json: bool) -> Result<(), ExitCode> {
    let output = session
        .call("zendesk_get_organization", json!({ "organizationId": id }))
        .await?;
    if json {
        common::print_json(&output);
    } else {
        let organization = &output["organization"];
        common::print_record(
            organization,
            &[
                "id",
                "name",
                "domain_names",
                "details",
                "notes",
                "tags",
                "group_id",
                "created_at",
                "updated_at",
            ],
        );
        if let Some(fields) = organization["organization_fields"].as_object()
            && !fields.is_empty()
        {
            println!("\norganization fields:");
            for (key, value) in fields {
                println!("  {key}: {}", common::cell(value));
            }
        }
    }
    Ok(())
}
