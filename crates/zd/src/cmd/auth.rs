//! `zd auth`: OAuth sign-in that lasts. `login` runs the authorization code flow with PKCE
//! (S256) and `state` through a one-shot listener on 127.0.0.1 and the user's browser, and
//! stores the sign-in (tokens in the OS keyring where there is one, else in a 0600 file);
//! `status` says who is signed in where (never a token); `logout` revokes the token at Zendesk
//! and forgets it; `token` prints a fresh access token for scripts; `switch` picks the current
//! account. Every other command uses the current sign-in when no `ZENDESK_*` variable
//! configures a Zendesk.

use std::process::ExitCode;
use std::time::Duration;

use secrecy::{ExposeSecret as _, SecretString};
use serde_json::{Value, json};
use zendesk::oauth::{
    LoopbackListener, OAuthApp, OAuthClient, OAuthEndpoints, TokenLifetimes, now_unix,
};
use zendesk::signin::{Account, SignInStore, SignedInUser};

use crate::cmd::common::{print_json, usage_error};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AuthCommand,
}

#[derive(clap::Subcommand)]
enum AuthCommand {
    /// Sign in with OAuth in the browser (authorization code + PKCE) and keep the sign-in.
    Login(LoginArgs),
    /// Who is signed in to which account, with which scopes, until when (never the token).
    Status(StatusArgs),
    /// Revoke the sign-in at Zendesk and forget it here.
    Logout(AccountArg),
    /// Print the access token (refreshed first if it is about to expire), for scripts.
    Token(AccountArg),
    /// Make another stored sign-in the current one.
    Switch(SwitchArgs),
}

#[derive(clap::Args)]
struct LoginArgs {
    /// The Zendesk account: `acme`, `acme.zendesk.com` or `https://acme.zendesk.com`.
    #[arg(
        long,
        required_unless_present = "base_url",
        conflicts_with = "base_url"
    )]
    subdomain: Option<String>,
    /// A Zendesk-compatible server instead (a sandbox or proxy), e.g. `http://127.0.0.1:8080`.
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// The OAuth client's unique identifier (Admin Center > Apps and integrations > APIs >
    /// OAuth clients).
    #[arg(long, env = "ZD_OAUTH_CLIENT_ID")]
    client_id: String,
    /// The OAuth client's secret, for a confidential client (a public client has none and
    /// relies on PKCE). Prefer the environment variable: others can read arguments in `ps`.
    #[arg(long, env = "ZD_OAUTH_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Scopes to ask for, space-separated: `read`, `write`, or resource scopes such as
    /// `tickets:read users:write`.
    #[arg(long, default_value = "read write")]
    scopes: String,
    /// Do not open a browser; print the URL to open (on this or another machine).
    #[arg(long)]
    no_browser: bool,
    /// Port of the redirect listener on 127.0.0.1 (default: any free port). Use a fixed one
    /// when the OAuth client's redirect URL names a port: `http://127.0.0.1:PORT/callback`.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// How long to wait for the browser, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    timeout: u64,
    /// Access token lifetime to ask for, in seconds (Zendesk: 300 to 172800; its default is
    /// no expiry).
    #[arg(long, value_name = "SECONDS")]
    expires_in: Option<u64>,
    /// Refresh token lifetime to ask for, in seconds (Zendesk: 604800 to 7776000).
    #[arg(long, value_name = "SECONDS")]
    refresh_token_expires_in: Option<u64>,
}

#[derive(clap::Args)]
struct StatusArgs {
    #[command(flatten)]
    account: AccountArg,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct AccountArg {
    /// The account (a subdomain such as `acme`, or a URL such as `http://127.0.0.1:8080`);
    /// default: the current sign-in.
    #[arg(long, value_name = "ACCOUNT")]
    account: Option<String>,
}

#[derive(clap::Args)]
struct SwitchArgs {
    /// The account to make current: a subdomain such as `acme`, or a URL.
    account: String,
}

pub async fn run(args: Args) -> ExitCode {
    match args.command {
        AuthCommand::Login(args) => login(args).await,
        AuthCommand::Status(args) => status(args),
        AuthCommand::Logout(args) => logout(args).await,
        AuthCommand::Token(args) => token(args).await,
        AuthCommand::Switch(args) => switch(args),
    }
}

fn failure(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("zd: {message}");
    ExitCode::FAILURE
}

fn open_store() -> Result<SignInStore, ExitCode> {
    SignInStore::open_default().map_err(failure)
}

/// `acme` or a URL, as the stored sign-ins name accounts.
fn account_url(raw: &str) -> Result<String, String> {
    let endpoints = if raw.contains("://") {
        OAuthEndpoints::for_base_url(raw)
    } else {
        OAuthEndpoints::for_subdomain(raw)
    };
    endpoints.map(|e| e.account()).map_err(|e| e.to_string())
}

/// The account named by `--account`, else the current one.
fn chosen_account(store: &SignInStore, arg: &AccountArg) -> Result<String, ExitCode> {
    match &arg.account {
        Some(raw) => account_url(raw).map_err(|e| usage_error(&e)),
        None => {
            let accounts = store.accounts().map_err(failure)?;
            accounts.current.clone().ok_or_else(|| {
                failure("not signed in: run `zd auth login --subdomain SUBDOMAIN --client-id ID`")
            })
        }
    }
}

async fn login(args: LoginArgs) -> ExitCode {
    let endpoints = match (&args.subdomain, &args.base_url) {
        (Some(subdomain), _) => OAuthEndpoints::for_subdomain(subdomain),
        (None, Some(base_url)) => OAuthEndpoints::for_base_url(base_url),
        (None, None) => return usage_error("give --subdomain SUBDOMAIN or --base-url URL"),
    };
    let endpoints = match endpoints {
        Ok(endpoints) => endpoints,
        Err(error) => return usage_error(&error.to_string()),
    };
    if args.timeout == 0 || args.expires_in == Some(0) || args.refresh_token_expires_in == Some(0) {
        return usage_error(
            "--timeout, --expires-in and --refresh-token-expires-in take a number of seconds above 0",
        );
    }
    if args.scopes.split([' ', ',']).all(str::is_empty) {
        return usage_error(
            "--scopes names no scope: expected space-separated scopes such as \"read write\" or \"tickets:read\"",
        );
    }
    let client_secret = args
        .client_secret
        .filter(|s| !s.trim().is_empty())
        .map(SecretString::from);
    let app = OAuthApp {
        client_id: args.client_id.trim().to_owned(),
        client_secret: client_secret.clone(),
    };
    let lifetimes = TokenLifetimes {
        access: args.expires_in,
        refresh: args.refresh_token_expires_in,
    };
    let oauth = match OAuthClient::new(endpoints.clone(), app) {
        Ok(oauth) => oauth.with_lifetimes(lifetimes),
        Err(error) => return usage_error(&error.to_string()),
    };
    let store = match open_store() {
        Ok(store) => store,
        Err(code) => return code,
    };
    let listener = match LoopbackListener::bind(args.port).await {
        Ok(listener) => listener,
        Err(error) => return failure(error),
    };
    let request = oauth.authorization_request(&listener.redirect_uri(), &args.scopes);
    let account = endpoints.account();
    eprintln!("zd: to sign in to {account}, open this page in a browser:");
    eprintln!();
    eprintln!("    {}", request.url());
    eprintln!();
    if !args.no_browser {
        match open_browser(request.url().as_str()) {
            Ok(()) => eprintln!("zd: opened your browser; waiting for Zendesk to send it back..."),
            Err(why) => eprintln!("zd: no browser opened ({why}); open the page above"),
        }
    } else {
        eprintln!(
            "zd: waiting for the browser to come back to {} ...",
            listener.redirect_uri()
        );
    }
    let redirect = match listener
        .wait(&request, Duration::from_secs(args.timeout))
        .await
    {
        Ok(redirect) => redirect,
        Err(error) => return failure(error),
    };
    let tokens = match oauth
        .exchange_code(&request, redirect.code.expose_secret())
        .await
    {
        Ok(tokens) => tokens,
        Err(error) => return failure(error),
    };
    drop(redirect);

    // Who signed in: recorded for `zd auth status`.
    let user = match who_am_i(&account, &tokens.access_token).await {
        Ok(user) => Some(user),
        Err(error) => {
            eprintln!("zd: signed in, but /users/me could not be read ({error})");
            None
        }
    };
    let record = Account {
        account: account.clone(),
        client_id: oauth.app().client_id.clone(),
        confidential: client_secret.is_some(),
        user: user.clone(),
        scope: Some(request.scope().to_owned()),
        expires_at: None,
        refresh_token_expires_at: None,
        access_token_lifetime: lifetimes.access,
        refresh_token_lifetime: lifetimes.refresh,
        signed_in_at: now_unix(),
        secrets_in: String::new(),
    };
    // Signing in again replaces the stored tokens; the replaced access token is revoked after
    // the new one is kept, so a re-login never leaves a live token nobody holds.
    let replaced = store
        .token_source(&account)
        .ok()
        .map(|source| source.tokens().access_token)
        .filter(|old| old.expose_secret() != tokens.access_token.expose_secret());
    let saved = match store.save_sign_in(record, &tokens, client_secret.as_ref(), true) {
        Ok(saved) => saved,
        Err(error) => {
            return failure(format!(
                "signed in, but the sign-in could not be stored: {error}"
            ));
        }
    };
    let who = match &user {
        Some(user) => format!("{} <{}> ({})", user.name, user.email, user.role),
        None => "an unknown user".into(),
    };
    eprintln!(
        "zd: signed in to {account} as {who}; scopes: {}",
        saved.scope.as_deref().unwrap_or("(not stated)")
    );
    eprintln!("zd: {}", where_kept(&store, &saved));
    if let Some(old) = replaced {
        match revoke_access_token(&account, &old).await {
            Ok(()) => eprintln!("zd: the previous sign-in's token was revoked at Zendesk"),
            Err(error) if error.status() == Some(401) => {}
            Err(error) => eprintln!(
                "zd: note: the previous sign-in's token could not be revoked ({error}); revoke it in Zendesk's Admin Center"
            ),
        }
    }
    ExitCode::SUCCESS
}

/// Revokes one access token (without refreshing it: an expired token is already dead).
async fn revoke_access_token(account: &str, token: &SecretString) -> zendesk::Result<()> {
    zendesk::Client::builder()
        .base_url(account)
        .auth(zendesk::Auth::oauth(token.expose_secret()))
        .max_attempts(2)
        .build()?
        .delete("/oauth/tokens/current", zendesk::NO_QUERY)
        .await
        .map(|_| ())
}

async fn who_am_i(account: &str, token: &SecretString) -> Result<SignedInUser, String> {
    let client = zendesk::Client::builder()
        .base_url(account)
        .auth(zendesk::Auth::oauth(token.expose_secret()))
        .build()
        .map_err(|e| e.to_string())?;
    let me = client
        .get_json("/users/me", zendesk::NO_QUERY)
        .await
        .map_err(|e| e.to_string())?;
    let user = &me["user"];
    let text = |key: &str| user[key].as_str().unwrap_or_default().to_owned();
    Ok(SignedInUser {
        id: user["id"].as_u64().unwrap_or_default(),
        name: text("name"),
        email: text("email"),
        role: text("role"),
    })
}

fn where_kept(store: &SignInStore, account: &Account) -> String {
    if account.secrets_in == "file" {
        format!(
            "tokens kept in {} (readable by you only)",
            store.file().display()
        )
    } else {
        format!("tokens kept in the {}", account.secrets_in)
    }
}

/// Opens `url` in the user's browser: `$BROWSER` when set, else `open` (macOS), the URL
/// handler (Windows; `start` mangles `&` in URLs), `xdg-open` (other Unix, with a display).
fn open_browser(url: &str) -> Result<(), String> {
    use std::process::{Command, Stdio};
    let mut command = if let Some(browser) = std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        Command::new(browser)
    } else if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(windows) {
        let mut command = Command::new("rundll32");
        command.arg("url.dll,FileProtocolHandler");
        command
    } else {
        let display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()));
        if !display {
            return Err("no graphical session".into());
        }
        Command::new("xdg-open")
    };
    let mut child = command
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    // Reap it whenever it ends; the sign-in does not wait for it.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

fn status(args: StatusArgs) -> ExitCode {
    let store = match open_store() {
        Ok(store) => store,
        Err(code) => return code,
    };
    let accounts = match store.accounts() {
        Ok(accounts) => accounts,
        Err(error) => return failure(error),
    };
    let selected: Vec<&Account> = match &args.account.account {
        Some(raw) => match account_url(raw) {
            Ok(url) => accounts.get(&url).into_iter().collect(),
            Err(error) => return usage_error(&error),
        },
        // The current sign-in first, then the others by URL.
        None => {
            let mut all: Vec<&Account> = accounts.accounts.values().collect();
            all.sort_by_key(|a| accounts.current.as_deref() != Some(a.account.as_str()));
            all
        }
    };
    let overridden = env_override();
    if args.json {
        let list: Vec<Value> = selected
            .iter()
            .map(|a| {
                json!({
                    "account": a.account,
                    "current": accounts.current.as_deref() == Some(a.account.as_str()),
                    "user": a.user,
                    "client_id": a.client_id,
                    "client_kind": if a.confidential { "confidential" } else { "public" },
                    "scope": a.scope,
                    "expires_at": a.expires_at.map(rfc3339),
                    "refresh_token_expires_at": a.refresh_token_expires_at.map(rfc3339),
                    "secrets_in": a.secrets_in,
                })
            })
            .collect();
        print_json(&json!({ "accounts": list, "overridden_by_environment": overridden }));
        return if selected.is_empty() {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }
    if selected.is_empty() {
        match &args.account.account {
            Some(raw) => eprintln!("zd: not signed in to {raw}"),
            None => eprintln!(
                "zd: not signed in to any Zendesk account: run `zd auth login --subdomain SUBDOMAIN --client-id ID`"
            ),
        }
        return ExitCode::FAILURE;
    }
    let now = now_unix();
    for account in selected {
        let current = accounts.current.as_deref() == Some(account.account.as_str());
        println!(
            "{}{}",
            account.account,
            if current { "  (current)" } else { "" }
        );
        let user = match &account.user {
            Some(u) => format!("{} <{}> ({}, id {})", u.name, u.email, u.role, u.id),
            None => "unknown".into(),
        };
        println!("  user:           {user}");
        println!(
            "  oauth client:   {} ({})",
            account.client_id,
            if account.confidential {
                "confidential"
            } else {
                "public"
            }
        );
        println!(
            "  scopes:         {}",
            account.scope.as_deref().unwrap_or("(not stated)")
        );
        println!(
            "  access token:   {}",
            expiry(account.expires_at, now, "refreshed at next use")
        );
        println!(
            "  refresh token:  {}",
            expiry(account.refresh_token_expires_at, now, "sign in again")
        );
        println!("  {}", where_kept(&store, account));
    }
    if let Some(variable) = overridden {
        eprintln!(
            "zd: note: {variable} is set, so commands use the environment's Zendesk instead of the stored sign-in"
        );
    }
    ExitCode::SUCCESS
}

/// The first `ZENDESK_*` variable that makes commands ignore the stored sign-in.
fn env_override() -> Option<&'static str> {
    [
        "ZENDESK_BASE_URL",
        "ZENDESK_SUBDOMAIN",
        "ZENDESK_OAUTH_TOKEN",
        "ZENDESK_API_TOKEN",
    ]
    .into_iter()
    .find(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
}

fn expiry(at: Option<u64>, now: u64, when_expired: &str) -> String {
    match at {
        None => "no expiry given".into(),
        Some(at) if at <= now => format!("expired at {} ({when_expired})", rfc3339(at)),
        Some(at) => format!("expires in {} ({})", span(at - now), rfc3339(at)),
    }
}

fn span(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86400, seconds % 86400 / 3600, seconds % 3600 / 60);
    match (days, hours) {
        (0, 0) => format!("{}m {}s", minutes, seconds % 60),
        (0, _) => format!("{hours}h {minutes}m"),
        _ => format!("{days}d {hours}h"),
    }
}

/// `2026-11-30T16:10:00Z` from Unix seconds (civil-from-days, proleptic Gregorian).
fn rfc3339(unix: u64) -> String {
    let days = (unix / 86400) as i64;
    let secs = unix % 86400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

async fn logout(args: AccountArg) -> ExitCode {
    let store = match open_store() {
        Ok(store) => store,
        Err(code) => return code,
    };
    let account = match chosen_account(&store, &args) {
        Ok(account) => account,
        Err(code) => return code,
    };
    if store
        .accounts()
        .map(|a| a.get(&account).is_none())
        .unwrap_or(false)
    {
        return failure(format!("not signed in to {account}"));
    }
    // Revoke at Zendesk first (refreshing if needed, so an expired token is still revoked).
    let revoked = match store.token_source(&account) {
        Ok(source) => match zendesk::Client::builder()
            .base_url(&account)
            .auth(zendesk::Auth::oauth_source(source))
            .max_attempts(2)
            .build()
        {
            Ok(client) => client
                .delete("/oauth/tokens/current", zendesk::NO_QUERY)
                .await
                .map(|_| ()),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    let revoke_note = match &revoked {
        Ok(()) => Ok("revoked at Zendesk".to_owned()),
        // The token or the refresh token is already dead there: nothing left to revoke.
        Err(error)
            if error.status() == Some(401) || matches!(error, zendesk::Error::OAuth { .. }) =>
        {
            Ok("already invalid at Zendesk".to_owned())
        }
        Err(error) => Err(format!("could not be revoked at Zendesk ({error})")),
    };
    if let Err(error) = store.forget(&account) {
        return failure(format!("the sign-in could not be forgotten: {error}"));
    }
    match revoke_note {
        Ok(note) => {
            eprintln!("zd: signed out of {account}: {note}, and forgotten here");
            ExitCode::SUCCESS
        }
        Err(note) => failure(format!(
            "signed out of {account} here, but the token {note}; revoke it in Zendesk's Admin Center"
        )),
    }
}

async fn token(args: AccountArg) -> ExitCode {
    let store = match open_store() {
        Ok(store) => store,
        Err(code) => return code,
    };
    let account = match chosen_account(&store, &args) {
        Ok(account) => account,
        Err(code) => return code,
    };
    let source = match store.token_source(&account) {
        Ok(source) => source,
        Err(error) => return failure(error),
    };
    match source.access_token().await {
        Ok(token) => {
            println!("{}", token.expose_secret());
            ExitCode::SUCCESS
        }
        Err(error) => failure(error),
    }
}

fn switch(args: SwitchArgs) -> ExitCode {
    let store = match open_store() {
        Ok(store) => store,
        Err(code) => return code,
    };
    let account = match account_url(&args.account) {
        Ok(account) => account,
        Err(error) => return usage_error(&error),
    };
    match store.set_current(&account) {
        Ok(()) => {
            eprintln!("zd: {account} is now the current sign-in");
            ExitCode::SUCCESS
        }
        Err(error) => failure(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_spans() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_790_000_000), "2026-09-21T14:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(span(59), "0m 59s");
        assert_eq!(span(7260), "2h 1m");
        assert_eq!(span(90000), "1d 1h");
    }

    #[test]
    fn accounts_are_named_by_subdomain_or_url() {
        assert_eq!(account_url("acme").unwrap(), "https://acme.zendesk.com");
        assert_eq!(
            account_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(account_url("evil.com/x").is_err());
    }
}
