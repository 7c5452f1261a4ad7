//! `zd articles search QUERY` and `zd articles show ID`: the Help Center, as plain text.

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
    /// Search the Help Center: best matches first, with a snippet of each.
    Search {
        /// The words to look for, e.g. "reset password".
        query: String,
        /// Only articles in this language, e.g. en-us.
        #[arg(long)]
        locale: Option<String>,
        /// Articles per page (1-100, default 10).
        #[arg(long)]
        per_page: Option<String>,
        /// Print JSON (with each body, as plain text) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show an article as plain text.
    Show {
        /// The article ID (see `zd articles search`).
        id: String,
        /// Characters of the body to show (default 10000, at most 100000).
        #[arg(long)]
        max_chars: Option<String>,
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
        Command::Search {
            query,
            locale,
            per_page,
            json,
        } => search(&session, query, locale, per_page, json).await,
        Command::Show {
            id,
            max_chars,
            json,
        } => show(&session, &id, max_chars, json).await,
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

async fn search(
    session: &Session,
    query: String,
    locale: Option<String>,
    per_page: Option<String>,
    json: bool,
) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("query".into(), json!(query));
    put(&mut args, "locale", &locale);
    put(&mut args, "perPage", &per_page);
    if !json {
        args.insert("maxBodyChars".into(), json!("0"));
    }
    let (articles, has_more) =
        common::fetch_list(session, "zendesk_search_articles", args, "articles", false).await?;
    common::print_list("articles", &articles, has_more, json, |articles| {
        if articles.is_empty() {
            println!("No articles found.");
            return;
        }
        for article in articles {
            println!(
                "#{}  {}\n    {}\n    {}\n",
                common::cell(&article["id"]),
                common::cell(&article["title"]),
                common::cell(&article["url"]),
                common::clip(&common::cell(&article["snippet"]), 200)
            );
        }
    });
    Ok(())
}

async fn show(
    session: &Session,
    id: &str,
    max_chars: Option<String>,
    json: bool,
) -> Result<(), ExitCode> {
    let mut args = Map::new();
    args.insert("articleId".into(), json!(id));
    put(&mut args, "maxBodyChars", &max_chars);
    let output = session
        .call("zendesk_get_article", Value::Object(args))
        .await?;
    if json {
        common::print_json(&output);
        return Ok(());
    }
    let article = &output["article"];
    println!("{}", common::cell(&article["title"]));
    println!("{}\n", common::cell(&article["url"]));
    println!("{}", article["body"].as_str().unwrap_or_default());
    if article["body_truncated"] == Value::Bool(true) {
        println!("\n[cut short: --max-chars shows more]");
    }
    Ok(())
}
