//! The embedded default: with no Zendesk configured (neither `ZENDESK_SUBDOMAIN` nor
//! `ZENDESK_BASE_URL`) and no stored sign-in (`zd auth login`), `zd` runs the sandbox
//! in-process so every command works offline.
//!
//! Use from any subcommand (the tools and everyday commands, and `zd mcp`):
//!
//! ```ignore
//! let (connection, sandbox) = embedded::resolve().await?;
//! let ctx = CallContext::with_connection(connection);
//! // ... call tools with `ctx` ...
//! embedded::finish(sandbox).await; // runs queued bulk jobs to their end, closes the database
//! ```
//!
//! - `resolve()` returns the environment's connection and `None` when Zendesk is configured;
//!   otherwise it starts `zendesk_sandbox::Sandbox` on `127.0.0.1:0` with the database at
//!   `$ZD_SANDBOX_DB`, else `$XDG_DATA_HOME/zd/sandbox.db`, else `~/.local/share/zd/sandbox.db`,
//!   seeded with the demo help desk when empty, and says so in one line on stderr.
//! - Help Center links (`html_url`) are under `$ZD_SANDBOX_HELP_CENTER_URL`, else
//!   [`EMBEDDED_HELP_CENTER_URL`]: the same from run to run, where the in-process server's
//!   address changes with its port and serves no pages.
//! - The sandbox admin's email and API token are created on first use and kept beside the
//!   database (`sandbox.db.admin.json`, readable by the owner only), so they stay stable.
//! - `finish()` must be called before exit: a bulk job started against the embedded sandbox is
//!   finished there, not abandoned.

use std::path::{Path, PathBuf};

use anyhow::Context;
use secrecy::SecretString;
use zendesk_sandbox::{Config, RunningSandbox, Sandbox, Seed};
use zendesk_tools::Connection;

/// Where the embedded sandbox says its Help Center is published, unless
/// `ZD_SANDBOX_HELP_CENTER_URL` says otherwise: stable across runs, and under `.invalid`
/// (RFC 2606) so that nobody mistakes it for a live page.
pub const EMBEDDED_HELP_CENTER_URL: &str = "https://help.sandbox.invalid";

/// The admin the embedded sandbox is created with.
const ADMIN_EMAIL: &str = "admin@sandbox.zd.local";

/// Where the embedded sandbox keeps its database.
pub fn database_path() -> anyhow::Result<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = var("ZD_SANDBOX_DB") {
        return Ok(PathBuf::from(path));
    }
    let data_home = match var("XDG_DATA_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = var("HOME").context(
                "cannot place the sandbox database: set ZD_SANDBOX_DB, XDG_DATA_HOME or HOME",
            )?;
            PathBuf::from(home).join(".local").join("share")
        }
    };
    Ok(data_home.join("zd").join("sandbox.db"))
}

/// Whether the environment names a Zendesk (or a proxy) to talk to.
pub fn zendesk_configured() -> bool {
    Connection::from_env().has_destination()
}

/// The current stored sign-in's account URL, if any (`zd auth login`).
pub fn stored_sign_in() -> Option<String> {
    let store = zendesk::signin::SignInStore::open_default().ok()?;
    match store.accounts() {
        Ok(accounts) => accounts.current,
        Err(error) => {
            eprintln!("zd: ignoring the stored sign-ins: {error}");
            None
        }
    }
}

/// The connection to use, and the embedded sandbox when one had to be started. The
/// environment wins; then the current stored sign-in (the tools find its tokens themselves);
/// then the embedded sandbox.
pub async fn resolve() -> anyhow::Result<(Connection, Option<RunningSandbox>)> {
    if zendesk_configured() {
        return Ok((Connection::from_env(), None));
    }
    if let Some(account) = stored_sign_in() {
        let connection = Connection {
            base_url: Some(account),
            ..Connection::from_env()
        };
        return Ok((connection, None));
    }
    let (connection, sandbox) = start().await?;
    Ok((connection, Some(sandbox)))
}

/// Starts the embedded sandbox (whatever the environment says).
pub async fn start() -> anyhow::Result<(Connection, RunningSandbox)> {
    let db = database_path()?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the sandbox directory {}", dir.display()))?;
    }
    let (email, token) = admin_credentials(&db)?;
    let config = Config {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        db_url: format!("sqlite://{}", db.display()),
        admin_email: email.clone(),
        admin_token: token.clone(),
        seed: Some(Seed::Demo),
        rate_limit_per_minute: None,
        oauth_lifetimes: zendesk_sandbox::OAuthLifetimes::zendesk(),
        durability: zendesk_sandbox::store::Durability::Normal,
        console_log_size: zendesk_sandbox::DEFAULT_CONSOLE_LOG_SIZE,
        webhook_allow_hosts: Vec::new(),
        help_center_url: Some(
            std::env::var("ZD_SANDBOX_HELP_CENTER_URL")
                .ok()
                .filter(|url| !url.trim().is_empty())
                .unwrap_or_else(|| EMBEDDED_HELP_CENTER_URL.into()),
        ),
    };
    let sandbox = Sandbox::start(config)
        .await
        .with_context(|| format!("cannot start the embedded sandbox on {}", db.display()))?;
    eprintln!(
        "zd: no Zendesk configured (set ZENDESK_SUBDOMAIN or ZENDESK_BASE_URL); using the local sandbox at {}",
        db.display()
    );
    let connection = Connection {
        base_url: Some(sandbox.base_url()),
        subdomain: None,
        email: Some(email),
        api_token: Some(SecretString::from(token)),
        oauth_token: None,
    };
    Ok((connection, sandbox))
}

/// Stops the embedded sandbox, if any, after it has run every queued job to its end.
pub async fn finish(sandbox: Option<RunningSandbox>) {
    if let Some(sandbox) = sandbox
        && let Err(error) = sandbox.shutdown().await
    {
        eprintln!("zd: the embedded sandbox did not stop cleanly: {error}");
    }
}

fn credentials_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".admin.json");
    db.with_file_name(name)
}

/// The sandbox admin's email and token: read from beside the database, or created there.
fn admin_credentials(db: &Path) -> anyhow::Result<(String, String)> {
    let path = credentials_path(db);
    if path.exists() {
        return read_credentials(&path);
    }
    let token = random_token();
    let text = serde_json::json!({ "email": ADMIN_EMAIL, "token": token }).to_string();
    match write_private(&path, &text) {
        Ok(()) => Ok((ADMIN_EMAIL.to_owned(), token)),
        // Another zd started at the same moment and wrote it first: use theirs.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => read_credentials(&path),
        Err(error) => Err(error)
            .with_context(|| format!("cannot store the sandbox credentials at {}", path.display())),
    }
}

fn read_credentials(path: &Path) -> anyhow::Result<(String, String)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the sandbox credentials at {}", path.display()))?;
    let stored: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not valid JSON; delete it to start over",
            path.display()
        )
    })?;
    match (stored["email"].as_str(), stored["token"].as_str()) {
        (Some(email), Some(token)) if !token.is_empty() => Ok((email.to_owned(), token.to_owned())),
        _ => anyhow::bail!(
            "{} lacks \"email\" or \"token\"; delete it to start over",
            path.display()
        ),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// 256 bits from the OS: each `RandomState` is keyed from the OS generator, so hashing with
/// fresh ones gives unpredictable words without another dependency.
fn random_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    (0..4)
        .map(|i| {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u32(i);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_fresh() {
        let a = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token());
    }

    #[test]
    fn credentials_sit_beside_the_database() {
        assert_eq!(
            credentials_path(Path::new("/x/y/sandbox.db")),
            PathBuf::from("/x/y/sandbox.db.admin.json")
        );
    }
}
