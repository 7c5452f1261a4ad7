//! `zd mcp`: serve the tool registry over MCP, on stdio (the default) or streamable HTTP
//! (`--http HOST:PORT`). Protocol messages own stdout; every log line goes to stderr.

use std::{net::SocketAddr, process::ExitCode};

use std::time::Duration;

use zendesk_mcp::{
    Approval, HostPolicy, HttpOptions, HttpServer, SecretString, SessionLimits, TlsFiles,
    ToolSelection, ZendeskMcpServer,
};
use zendesk_tools::CallContext;

use super::common;
use super::serve_limits::{ServeLimitArgs, parse_duration};
use crate::embedded;

#[derive(clap::Args)]
pub struct Args {
    /// Serve streamable HTTP at this address (endpoint `/mcp`) instead of stdio,
    /// e.g. `127.0.0.1:8808`; port 0 picks a free port.
    #[arg(long, value_name = "HOST:PORT")]
    http: Option<String>,

    /// Bearer token HTTP clients must send (`Authorization: Bearer TOKEN`). Required with
    /// `--http`; prefer the environment variable, which other users cannot see in `ps`.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "ZD_MCP_AUTH_TOKEN",
        hide_env_values = true
    )]
    auth_token: Option<String>,

    /// Also accept this `Host` header (`name` or `name:port`); loopback names and the bound
    /// address are always accepted. Repeatable.
    #[arg(long = "allowed-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,

    /// Also accept requests from this browser origin (`https://app.example.com:443`,
    /// `http://host:*`); loopback origins are always accepted. Repeatable.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,

    /// With --http: serve HTTPS with this certificate (PEM: the certificate, then any
    /// intermediates); needs --tls-key. Beyond loopback, plain HTTP logs a warning.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,

    /// With --http: the private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,

    /// Expose only the tools that change nothing.
    #[arg(long)]
    read_only: bool,

    /// The directory files may be uploaded from (zendesk_upload_attachment): a model names
    /// files inside it only; without it, uploading is off.
    #[arg(long, value_name = "DIR", env = "ZD_ATTACHMENTS_DIR")]
    attachments_dir: Option<std::path::PathBuf>,

    /// Expose only these tools (comma-separated ids, e.g. `zendesk_get_ticket,zendesk_search`);
    /// with --toolsets, these and the sets' tools.
    #[arg(long, value_name = "A,B,C")]
    tools: Option<String>,

    /// Expose only the tools of these sets (comma-separated), by Zendesk area; combine with
    /// --tools and --read-only. A set whose tools start bulk jobs brings
    /// zendesk_get_job_status along.
    #[arg(long, value_name = "SET,SET", value_delimiter = ',', value_parser = toolsets())]
    toolsets: Option<Vec<String>>,

    /// Before these calls run, ask the person through the MCP client (elicitation), showing who
    /// receives what and which records go; a client that cannot ask is refused (comma-separated).
    #[arg(long, value_name = "KIND,KIND", value_delimiter = ',', value_parser = approvals())]
    require_approval: Vec<String>,

    /// With --http: MCP sessions alive at once; beyond it the session idle longest is ended
    /// [default: 500]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_sessions: Option<u32>,

    /// With --http: end a session unused for this long (e.g. `30m`, `2h`) [default: 30m]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    session_idle_timeout: Option<Duration>,

    #[command(flatten)]
    limits: ServeLimitArgs,
}

pub async fn run(args: Args) -> ExitCode {
    init_logging();
    let selection = ToolSelection {
        read_only: args.read_only,
        only: args.tools.as_deref().map(ToolSelection::parse_list),
        toolsets: args.toolsets.clone(),
    };
    let tools = match selection.select(zendesk_tools::registry()) {
        Ok(tools) => tools,
        Err(error) => {
            eprintln!("zd mcp: {error}");
            return ExitCode::from(2);
        }
    };
    if args.http.is_none() && (!args.allowed_hosts.is_empty() || !args.allowed_origins.is_empty()) {
        eprintln!("zd mcp: --allowed-host and --allowed-origin apply only with --http HOST:PORT");
        return ExitCode::from(2);
    }
    if args.http.is_none() {
        let mut http_only = args.limits.given();
        if args.max_sessions.is_some() {
            http_only.push("--max-sessions");
        }
        if args.session_idle_timeout.is_some() {
            http_only.push("--session-idle-timeout");
        }
        if args.tls_cert.is_some() {
            http_only.push("--tls-cert");
        }
        if !http_only.is_empty() {
            eprintln!(
                "zd mcp: {} apply only with --http HOST:PORT",
                http_only.join(", ")
            );
            return ExitCode::from(2);
        }
    }
    let http = match &args.http {
        Some(address) => match http_options(address, &args).await {
            Ok(options) => Some(options),
            Err(message) => {
                eprintln!("zd mcp: {message}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };

    let attachments_dir = match common::attachments_dir(args.attachments_dir.as_deref()) {
        Ok(dir) => dir,
        Err(message) => {
            eprintln!("zd mcp: {message}");
            return ExitCode::from(2);
        }
    };

    // Credentials are the server's configuration: the environment's Zendesk, or the embedded
    // sandbox, which lives as long as the server.
    let (connection, sandbox) = match embedded::resolve().await {
        Ok(resolved) => resolved,
        Err(error) => {
            eprintln!("zd mcp: {error:#}");
            return ExitCode::FAILURE;
        }
    };
    let context = CallContext {
        attachments_dir,
        ..CallContext::with_connection(connection)
    };
    let policy = HostPolicy::requiring(
        args.require_approval
            .iter()
            .filter_map(|name| Approval::from_name(name)),
    );
    let server = ZendeskMcpServer::with_policy(tools, context, policy);
    tracing::info!(tools = server.tool_names().len(), "zd mcp starting");

    let outcome = match http {
        Some(options) => match HttpServer::bind(server, &options).await {
            Ok(bound) => {
                eprintln!(
                    "zd mcp: serving MCP over streamable HTTP at {}",
                    bound.url()
                );
                bound.run(shutdown_signal()).await
            }
            Err(error) => Err(error),
        },
        None => zendesk_mcp::serve_stdio(server, shutdown_signal()).await,
    };
    embedded::finish(sandbox).await;
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("zd mcp: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn http_options(address: &str, args: &Args) -> Result<HttpOptions, String> {
    let token = match args.auth_token.as_deref().map(str::trim) {
        Some(token) if !token.is_empty() => token.to_owned(),
        _ => {
            return Err(
                "--http needs a bearer token: pass --auth-token TOKEN or set ZD_MCP_AUTH_TOKEN"
                    .into(),
            );
        }
    };
    let bind = resolve(address).await?;
    let mut options = HttpOptions::new(bind, SecretString::from(token));
    options.allowed_hosts = args.allowed_hosts.clone();
    options.allowed_origins = args.allowed_origins.clone();
    options.limits = args.limits.limits();
    let defaults = SessionLimits::default();
    options.sessions = SessionLimits {
        max_sessions: args
            .max_sessions
            .map_or(defaults.max_sessions, |n| n as usize),
        idle_timeout: args.session_idle_timeout.unwrap_or(defaults.idle_timeout),
    };
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        let files = TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        };
        files.load()?;
        options.tls = Some(files);
    }
    // Refused here, before a sandbox starts, rather than at bind.
    options.check_token()?;
    Ok(options)
}

/// The toolsets, each with what it holds, for `--help` and for checking `--toolsets`.
fn toolsets() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        zendesk_tools::registry()
            .toolsets()
            .iter()
            .map(|set| clap::builder::PossibleValue::new(set.name).help(set.description)),
    )
}

/// What `--require-approval` takes, each with what it covers.
fn approvals() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        Approval::ALL
            .iter()
            .map(|kind| clap::builder::PossibleValue::new(kind.name()).help(kind.description())),
    )
}

/// `127.0.0.1:8808`, `[::1]:8808` or `localhost:8808`.
async fn resolve(address: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = address.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let invalid = || format!("--http expects HOST:PORT such as 127.0.0.1:8808, got `{address}`");
    let (_, port) = address.rsplit_once(':').ok_or_else(invalid)?;
    port.parse::<u16>().map_err(|_| invalid())?;
    tokio::net::lookup_host(address)
        .await
        .map_err(|error| format!("cannot resolve `{address}`: {error}"))?
        .next()
        .ok_or_else(invalid)
}

/// Ctrl-C or SIGTERM: stop serving.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// Logs to stderr only (stdout carries the protocol on stdio); `ZD_LOG` sets the filter.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::serve_limits::format_duration;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        mcp: Args,
    }

    #[test]
    fn the_help_lists_every_toolset_with_what_it_holds() {
        let help = Probe::command().render_long_help().to_string();
        for set in zendesk_tools::registry().toolsets() {
            let line = help
                .lines()
                .find(|line| line.trim_start().starts_with(&format!("- {}:", set.name)));
            assert!(
                line.is_some_and(|line| line.ends_with(set.description)),
                "{} missing from the help:\n{help}",
                set.name
            );
        }
    }

    #[test]
    fn the_help_lists_what_may_require_approval() {
        let help = Probe::command().render_long_help().to_string();
        for kind in Approval::ALL {
            assert!(
                help.lines().any(|line| line
                    .trim_start()
                    .starts_with(&format!("- {}:", kind.name()))
                    && line.ends_with(kind.description())),
                "{} missing from the help:\n{help}",
                kind.name()
            );
        }
    }

    #[test]
    fn the_help_shows_the_session_defaults_of_the_library() {
        let help = Probe::command().render_help().to_string();
        let defaults = SessionLimits::default();
        for shown in [
            defaults.max_sessions.to_string(),
            format_duration(defaults.idle_timeout),
        ] {
            assert!(
                help.contains(&format!("[default: {shown}]")),
                "help does not show the default {shown}:\n{help}"
            );
        }
    }
}
