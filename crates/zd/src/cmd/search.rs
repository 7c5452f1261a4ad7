//! `zd search QUERY`: Zendesk search syntax over tickets, users, organizations or groups
//! (search export, so no 1,000-result cap with `--all`), or only the count with `--count`.

use std::process::ExitCode;

use serde_json::{Map, Value, json};

use zendesk_types::SearchResultType;

use crate::cmd::common::{self, Session};

#[derive(clap::Args)]
pub struct Args {
    /// The query, e.g. `status:open priority:high` or `printer`.
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
    #[arg(long = "type", default_value = "ticket", help = common::choices("What to find", SearchResultType::KNOWN))]
    filter_type: String,
    /// Results per page (1-100).
    #[arg(long)]
    per_page: Option<String>,
    /// Fetch every page.
    #[arg(long)]
    all: bool,
    /// Print only the number of matches (any type; use `type:ticket` in the query to narrow).
    #[arg(long)]
    count: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> ExitCode {
    let session = match Session::open(true).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let outcome = search(&session, args).await;
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

async fn search(session: &Session, args: Args) -> Result<(), ExitCode> {
    let query = args.query.join(" ");
    if args.count {
        let output = session
            .call("zendesk_search_count", json!({ "query": query }))
            .await?;
        if args.json {
            common::print_json(&output);
        } else {
            println!("{}", common::cell(&output["count"]));
        }
        return Ok(());
    }
    let mut call = Map::new();
    call.insert("query".into(), json!(query));
    call.insert("filterType".into(), json!(args.filter_type));
    common::put(&mut call, "perPage", &args.per_page);
    let (results, has_more) =
        common::fetch_list(session, "zendesk_search", call, "results", args.all).await?;
    let kind = args.filter_type.trim().to_ascii_lowercase();
    common::print_list("results", &results, has_more, args.json, |items| {
        print_results(&kind, items)
    });
    Ok(())
}

fn print_results(kind: &str, items: &[Value]) {
    match kind {
        "ticket" => crate::cmd::tickets::ticket_rows(items),
        "user" => crate::cmd::users::user_rows(items),
        "organization" => crate::cmd::orgs::organization_rows(items),
        _ => {
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|r| vec![common::cell(&r["id"]), common::cell(&r["name"])])
                .collect();
            common::print_table(&["ID", "NAME"], &rows);
        }
    }
}
