//! `zd sandbox serve`: runs the local Zendesk-compatible sandbox until SIGINT/SIGTERM, then
//! shuts down cleanly (in-flight requests finish, queued jobs run to their end).

use std::net::SocketAddr;
use std::process::ExitCode;

use zendesk_sandbox::{Config, Sandbox, Seed};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SandboxCommand,
}

#[derive(clap::Subcommand)]
enum SandboxCommand {
    /// Serve the Zendesk API locally (SQLite-backed).
    Serve(ServeArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SeedArg {
    /// A small help desk: organizations, agents, end-users, groups, tickets in every status.
    Demo,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ZD_SANDBOX_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Database: sqlite://PATH, sqlite::memory: or a file path [default: $XDG_DATA_HOME/zd/sandbox.db]
    #[arg(long, env = "ZD_SANDBOX_DB")]
    db: Option<String>,
    /// Email of the admin user (created on first start).
    #[arg(
        long,
        env = "ZD_SANDBOX_ADMIN_EMAIL",
        default_value = "admin@example.com"
    )]
    admin_email: String,
    /// The admin's API token; when absent a new one is generated and printed once.
    #[arg(long, env = "ZD_SANDBOX_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Fill an empty database with demo data.
    #[arg(long, value_enum)]
    seed: Option<SeedArg>,
    /// Requests per minute for the account (off by default).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: Option<u32>,
}

pub async fn run(args: Args) -> ExitCode {
    match args.command {
        SandboxCommand::Serve(serve_args) => serve(serve_args).await,
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();

    let generated = args.admin_token.is_none();
    let admin_token = args
        .admin_token
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(zendesk_sandbox::generate_token);
    let db_url = args.db.unwrap_or_else(zendesk_sandbox::default_db_url);
    let config = Config {
        addr: args.addr,
        db_url: db_url.clone(),
        admin_email: args.admin_email.clone(),
        admin_token: admin_token.clone(),
        seed: args.seed.map(|SeedArg::Demo| Seed::Demo),
        rate_limit_per_minute: args.rate_limit,
    };
    let running = match Sandbox::start(config).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("zd sandbox: {error}");
            return ExitCode::FAILURE;
        }
    };
    let base = running.base_url();
    println!("zd sandbox: serving the Zendesk API at {base}/api/v2 (database {db_url})");
    if generated {
        // Printed once, on purpose: the token is not stored in clear anywhere.
        println!(
            "admin {} has a new API token: {admin_token}",
            args.admin_email
        );
        println!(
            "try: curl -u {}/token:{admin_token} {base}/api/v2/users/me.json",
            args.admin_email
        );
    } else {
        println!(
            "try: curl -u \"{}/token:$ZD_SANDBOX_ADMIN_TOKEN\" {base}/api/v2/users/me.json",
            args.admin_email
        );
    }
    println!("OAuth: POST {base}/api/v2/oauth/tokens mints a bearer token; Ctrl-C stops");

    wait_for_signal().await;
    eprintln!("zd sandbox: stopping (finishing requests and queued jobs)");
    match running.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("zd sandbox: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
