//! `zd`: the command-line front door. A thin clap layer: one module per subcommand under
//! `cmd/` (its arguments and its `run`), the real work in the library crates.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod embedded;

#[derive(Parser)]
#[command(
    name = "zd",
    version,
    about = "Zendesk tools for AI agents and automated workflows"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The local Zendesk-compatible sandbox server.
    Sandbox(cmd::sandbox::Args),
    /// List and call the Zendesk tools.
    Tools(cmd::tools::Args),
    /// Serve every tool over the Model Context Protocol (stdio, or streamable HTTP).
    Mcp(cmd::mcp::Args),
    /// Tickets: list, get, show the conversation, note, reply, history, create, update, delete.
    Tickets(cmd::tickets::Args),
    /// Ticket fields, system and custom: what customFields takes.
    Fields(cmd::fields::Args),
    /// Groups, and with --members the agents in each.
    Groups(cmd::groups::Args),
    /// Search tickets, users, organizations or groups (Zendesk search syntax).
    Search(cmd::search::Args),
    /// Macros: list them, and preview one on a ticket (nothing is changed).
    Macros(cmd::macros::Args),
    /// Views (ticket queues): list them, and the tickets in one.
    Views(cmd::views::Args),
    /// Help Center articles: search, show.
    Articles(cmd::articles::Args),
    /// Users: list, get, search, create, update, delete.
    Users(cmd::users::Args),
    /// Organizations: list, get, autocomplete, create, update, delete.
    Orgs(cmd::orgs::Args),
    /// Sign in with OAuth (login, status, logout, token, switch).
    Auth(cmd::auth::Args),
    /// Triggers: the rules Zendesk runs on every ticket change (list, show, create, update,
    /// delete).
    Triggers(cmd::rules::Args),
    /// Automations: the rules Zendesk runs hourly on time (list, show, create, update, delete).
    Automations(cmd::rules::Args),
    /// Webhooks: where Zendesk sends events (list, show, create, delete, test, invocations,
    /// secret), and `listen` to receive them here.
    Webhooks(cmd::webhooks::Args),
    /// Export what changed since a time, as NDJSON (tickets, users, organizations, ticket
    /// events); --state resumes where the last run stopped.
    Export(cmd::export::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("zd: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Sandbox(args) => cmd::sandbox::run(args).await,
            Command::Tools(args) => cmd::tools::run(args).await,
            Command::Mcp(args) => cmd::mcp::run(args).await,
            Command::Tickets(args) => cmd::tickets::run(args).await,
            Command::Fields(args) => cmd::fields::run(args).await,
            Command::Groups(args) => cmd::groups::run(args).await,
            Command::Search(args) => cmd::search::run(args).await,
            Command::Macros(args) => cmd::macros::run(args).await,
            Command::Views(args) => cmd::views::run(args).await,
            Command::Articles(args) => cmd::articles::run(args).await,
            Command::Users(args) => cmd::users::run(args).await,
            Command::Orgs(args) => cmd::orgs::run(args).await,
            Command::Auth(args) => cmd::auth::run(args).await,
            Command::Triggers(args) => cmd::rules::run(cmd::rules::RuleKind::Trigger, args).await,
            Command::Automations(args) => {
                cmd::rules::run(cmd::rules::RuleKind::Automation, args).await
            }
            Command::Webhooks(args) => cmd::webhooks::run(args).await,
            Command::Export(args) => cmd::export::run(args).await,
        }
    })
}
