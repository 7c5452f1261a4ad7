//! `zd sandbox serve`: runs the local Zendesk-compatible sandbox until SIGINT/SIGTERM, then
//! shuts down cleanly (in-flight requests finish, queued jobs run to their end). The admin
//! token comes from `--admin-token-file` (kept out of `ps`), the environment, `--admin-token`,
//! or is generated; the serving limits from the flags of [`ServeLimitArgs`].
//!
//! `zd sandbox open`: prints the address of a running sandbox's web console and opens it in a
//! browser where there is one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use zendesk_sandbox::store::Durability;
use zendesk_sandbox::{Config, OAuthLifetimes, Sandbox, Seed};

use super::serve_limits::ServeLimitArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SandboxCommand,
}

#[derive(clap::Subcommand)]
enum SandboxCommand {
    /// Serve the Zendesk API locally (SQLite-backed), and its web console at /console/.
    Serve(Box<ServeArgs>),
    /// Print the web console's address (of a sandbox started with `zd sandbox serve`) and open
    /// it in the browser, when there is one.
    Open(OpenArgs),
}

#[derive(clap::Args)]
struct OpenArgs {
    /// The address the sandbox serves on (as given to `zd sandbox serve --addr`).
    #[arg(long, env = "ZD_SANDBOX_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Only print the address; start no browser.
    #[arg(long)]
    no_browser: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SeedArg {
    /// A small help desk: organizations, agents, end-users, groups, tickets in every status.
    Demo,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DurabilityArg {
    /// An acknowledged write survives a crash of the sandbox; a power loss may drop the last
    /// few (SQLite `synchronous=NORMAL` in WAL mode).
    Normal,
    /// An acknowledged write survives a power loss too: every commit waits for the disk
    /// (`synchronous=FULL`).
    Full,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ZD_SANDBOX_ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Database: sqlite://PATH, sqlite::memory:, a file path, or postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME&sslmode=MODE&sslrootcert=PATH|system] (several sandboxes on one PostgreSQL database serve one account; sslmode as libpq's: prefer by default, disable, require, verify-ca, verify-full) [default: $XDG_DATA_HOME/zd/sandbox.db]
    #[arg(long, env = "ZD_SANDBOX_DB", hide_env_values = true)]
    db: Option<String>,
    /// Email of the admin user (created on first start).
    #[arg(
        long,
        env = "ZD_SANDBOX_ADMIN_EMAIL",
        default_value = "admin@example.com"
    )]
    admin_email: String,
    /// The admin's API token; when absent a new one is generated and printed once. Other
    /// users can see it in `ps`: prefer --admin-token-file or the environment variable.
    #[arg(long, env = "ZD_SANDBOX_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Read the admin's API token from this file (one line; keep it `chmod 600`).
    #[arg(long, env = "ZD_SANDBOX_ADMIN_TOKEN_FILE", value_name = "PATH")]
    admin_token_file: Option<PathBuf>,
    /// Fill an empty database with demo data.
    #[arg(long, value_enum)]
    seed: Option<SeedArg>,
    /// Requests per minute for the account (off by default).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: Option<u32>,
    /// Let `/oauth/tokens` issue tokens for any lifetime from 1 second (`expires_in`,
    /// `refresh_token_expires_in`), to watch expiry and refresh; Zendesk's bounds otherwise
    /// (access tokens 300 s to 2 days, refresh tokens 7 to 90 days).
    #[arg(long, env = "ZD_SANDBOX_OAUTH_SHORT_LIFETIMES")]
    oauth_short_lifetimes: bool,
    /// What an acknowledged write survives.
    #[arg(
        long,
        env = "ZD_SANDBOX_DURABILITY",
        value_enum,
        default_value = "normal"
    )]
    durability: DurabilityArg,
    /// How many API requests the console's Activity page keeps (the newest).
    #[arg(
        long,
        env = "ZD_SANDBOX_CONSOLE_LOG_SIZE",
        default_value_t = zendesk_sandbox::DEFAULT_CONSOLE_LOG_SIZE,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000)
    )]
    console_log_size: usize,
    /// A host webhooks may be delivered to besides this machine (repeat for more); without it
    /// deliveries go to loopback only, and others are refused and logged as failed invocations.
    #[arg(long = "webhook-allow-host", value_name = "HOST")]
    webhook_allow_hosts: Vec<String>,
    /// Where the Help Center's pages are published (https://help.example.com): the base of
    /// articles', sections' and categories' `html_url`. Without it they are under this
    /// server's address, which serves no pages.
    #[arg(long, env = "ZD_SANDBOX_HELP_CENTER_URL", value_name = "URL")]
    help_center_url: Option<String>,
    #[command(flatten)]
    limits: ServeLimitArgs,
}

pub async fn run(args: Args) -> ExitCode {
    match args.command {
        SandboxCommand::Serve(serve_args) => serve(*serve_args).await,
        SandboxCommand::Open(open_args) => open(open_args).await,
    }
}

/// The console's URL for a sandbox serving on `addr` (an unspecified address is reached on
/// the loopback).
fn console_url(addr: SocketAddr) -> String {
    let host = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_string(),
        ip if ip.is_unspecified() => "[::1]".to_string(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{host}:{}/console/", addr.port())
}

async fn open(args: OpenArgs) -> ExitCode {
    let url = console_url(args.addr);
    println!("{url}");
    let target = SocketAddr::new(
        url.trim_start_matches("http://")
            .rsplit_once(':')
            .and_then(|(host, _)| host.trim_matches(['[', ']']).parse().ok())
            .unwrap_or(args.addr.ip()),
        args.addr.port(),
    );
    let reachable = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        tokio::net::TcpStream::connect(target),
    )
    .await
    .is_ok_and(|connected| connected.is_ok());
    if !reachable {
        eprintln!(
            "zd sandbox: nothing answers at {target} yet: start the sandbox with              `zd sandbox serve --addr {}`",
            args.addr
        );
    }
    eprintln!(
        "zd sandbox: sign in with an agent's or admin's email and password (set one with          PUT /api/v2/users/{{id}}.json and {{\"user\": {{\"password\": \"...\"}}}})"
    );
    if !args.no_browser {
        match start_browser(&url) {
            Ok(program) => eprintln!("zd sandbox: opening the console with {program}"),
            Err(why) => eprintln!("zd sandbox: {why}: open the address above yourself"),
        }
    }
    ExitCode::SUCCESS
}

/// Starts a browser on `url` without waiting for it: `$BROWSER` when set, else the desktop's
/// opener (`xdg-open`, `open`, `start`). Says which, or why none.
fn start_browser(url: &str) -> Result<String, String> {
    let from_env = std::env::var("BROWSER")
        .ok()
        .and_then(|b| b.split(':').next().map(str::to_string))
        .filter(|b| !b.trim().is_empty());
    let (program, args): (String, Vec<&str>) = match from_env {
        Some(browser) => (browser, vec![url]),
        None if cfg!(target_os = "macos") => ("open".into(), vec![url]),
        None if cfg!(windows) => ("cmd".into(), vec!["/C", "start", "", url]),
        None => {
            let graphical = std::env::var_os("DISPLAY").is_some()
                || std::env::var_os("WAYLAND_DISPLAY").is_some();
            if !graphical {
                return Err("no graphical session (DISPLAY is not set)".into());
            }
            ("xdg-open".into(), vec![url])
        }
    };
    std::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(|_| program.clone())
        .map_err(|error| format!("cannot start {program}: {error}"))
}

async fn serve(args: ServeArgs) -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();

    if args.admin_token_file.is_some() && args.admin_token.is_some() {
        // Either may come from the environment: say both names, so the stray one is found.
        eprintln!(
            "zd sandbox: the admin token is given twice: keep either --admin-token-file \
             (ZD_SANDBOX_ADMIN_TOKEN_FILE) or --admin-token (ZD_SANDBOX_ADMIN_TOKEN), not both"
        );
        return ExitCode::from(2);
    }
    let from_file = match &args.admin_token_file {
        Some(path) => match read_admin_token_file(path) {
            Ok((token, warning)) => {
                if let Some(warning) = warning {
                    eprintln!("zd sandbox: warning: {warning}");
                }
                Some(token)
            }
            Err(message) => {
                eprintln!("zd sandbox: {message}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let generated = args.admin_token.is_none() && from_file.is_none();
    let admin_token = from_file
        .or(args.admin_token)
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
        oauth_lifetimes: if args.oauth_short_lifetimes {
            OAuthLifetimes::any()
        } else {
            OAuthLifetimes::zendesk()
        },
        durability: match args.durability {
            DurabilityArg::Normal => Durability::Normal,
            DurabilityArg::Full => Durability::Full,
        },
        console_log_size: args.console_log_size,
        webhook_allow_hosts: args.webhook_allow_hosts.clone(),
        help_center_url: args.help_center_url.clone(),
    };
    let running = match Sandbox::start_with_limits(config, args.limits.limits()).await {
        Ok(running) => running,
        Err(error) => {
            eprintln!("zd sandbox: {error}");
            return ExitCode::FAILURE;
        }
    };
    let base = running.base_url();
    // The URL may hold a database password: never printed.
    let shown = zendesk_sandbox::store::redact_url(&db_url);
    say(format_args!(
        "zd sandbox: serving the Zendesk API at {base}/api/v2 (database {shown})"
    ));
    if generated {
        // Printed once, on purpose: the token is not stored in clear anywhere.
        say(format_args!(
            "admin {} has a new API token: {admin_token}",
            args.admin_email
        ));
        say(format_args!(
            "try: curl -u {}/token:{admin_token} {base}/api/v2/users/me.json",
            args.admin_email
        ));
    } else if let Some(path) = &args.admin_token_file {
        say(format_args!(
            "try: curl -u \"{}/token:$(cat {})\" {base}/api/v2/users/me.json",
            args.admin_email,
            path.display()
        ));
    } else {
        say(format_args!(
            "try: curl -u \"{}/token:$ZD_SANDBOX_ADMIN_TOKEN\" {base}/api/v2/users/me.json",
            args.admin_email
        ));
    }
    say(format_args!(
        "console: {base}/console/ (`zd sandbox open` opens it)"
    ));
    say(format_args!(
        "OAuth: register a client (POST {base}/api/v2/oauth/clients), then `zd auth login \
         --base-url {base} --client-id ID`; or mint a bearer token (POST {base}/api/v2/oauth/tokens). \
         Ctrl-C stops"
    ));

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

/// The admin token kept in `path` (its one line, surrounding whitespace trimmed), and a warning
/// when users other than the owner may read or change the file.
fn read_admin_token_file(path: &Path) -> Result<(String, Option<String>), String> {
    let shown = path.display();
    let content = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read the admin token file {shown}: {error}"))?;
    let token = content.trim();
    if token.is_empty() {
        return Err(format!(
            "the admin token file {shown} is empty: write the token on its first line"
        ));
    }
    if token.chars().any(char::is_whitespace) {
        return Err(format!(
            "the admin token file {shown} must hold one token on one line, without spaces"
        ));
    }
    Ok((token.to_string(), loose_permissions_warning(path)))
}

#[cfg(unix)]
fn loose_permissions_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "the admin token file {} is open to other users (mode {mode:03o}): \
             run `chmod 600 {}`",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn loose_permissions_warning(_path: &Path) -> Option<String> {
    None
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

/// Prints a line of the banner. Stdout may be closed (a parent that read the address line and
/// went away, `| head -1`): the sandbox keeps serving rather than panic on a broken pipe, so
/// what cannot be written is dropped.
fn say(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out
        .write_fmt(line)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_file(name: &str, content: &str, mode: u32) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
        (dir, path)
    }

    #[test]
    fn the_console_url_reaches_an_unspecified_address_on_the_loopback() {
        let url = |addr: &str| console_url(addr.parse().unwrap());
        assert_eq!(url("127.0.0.1:8080"), "http://127.0.0.1:8080/console/");
        assert_eq!(url("0.0.0.0:9000"), "http://127.0.0.1:9000/console/");
        assert_eq!(url("[::]:9000"), "http://[::1]:9000/console/");
        assert_eq!(url("[::1]:80"), "http://[::1]:80/console/");
    }

    #[test]
    fn the_token_is_the_files_line_and_a_private_file_gets_no_warning() {
        let (_dir, path) = token_file("token", "s3cret-token\n", 0o600);
        let (token, warning) = read_admin_token_file(&path).unwrap();
        assert_eq!(token, "s3cret-token");
        assert_eq!(warning, None);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_is_used_with_a_warning_naming_the_fix() {
        let (_dir, path) = token_file("token", "s3cret-token", 0o644);
        let (token, warning) = read_admin_token_file(&path).unwrap();
        assert_eq!(token, "s3cret-token");
        let warning = warning.expect("a warning");
        assert!(warning.contains("mode 644"), "{warning}");
        assert!(warning.contains("chmod 600"), "{warning}");
        assert!(
            !warning.contains("s3cret"),
            "the token never appears: {warning}"
        );
    }

    #[test]
    fn empty_missing_or_multi_line_files_are_refused_naming_the_file() {
        let (_dir, empty) = token_file("empty", " \n", 0o600);
        let message = read_admin_token_file(&empty).unwrap_err();
        assert!(
            message.contains("is empty") && message.contains("empty"),
            "{message}"
        );

        let (_dir2, two) = token_file("two", "one\ntwo\n", 0o600);
        let message = read_admin_token_file(&two).unwrap_err();
        assert!(message.contains("one token on one line"), "{message}");
        assert!(!message.contains("two\n"), "{message}");

        let message = read_admin_token_file(Path::new("/nonexistent/zd-token")).unwrap_err();
        assert!(message.contains("/nonexistent/zd-token"), "{message}");
    }
}
