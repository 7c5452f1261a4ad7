//! The typed `zendesk::Client` for the commands that have no tool (triggers, automations,
//! webhooks, export): the session's Zendesk (the environment, a stored sign-in, or the embedded
//! sandbox) with the same credentials the tools use, and how its failures are reported (the
//! message on stderr, exit code 1). JSON input for those commands (`--json FILE|-`) is read here.

use std::process::ExitCode;

use secrecy::ExposeSecret;
use serde_json::Value;
use zendesk::{Auth, Client};

use crate::cmd::common::{Session, usage_error};

/// A client for the session's Zendesk. A configuration that cannot make one (half an API
/// token pair, an unusable subdomain) is reported, exit code 1.
pub fn client(session: &Session) -> Result<Client, ExitCode> {
    build(session).map_err(|message| {
        eprintln!("zd: {message}");
        ExitCode::from(1)
    })
}

fn build(session: &Session) -> Result<Client, String> {
    let connection = session.connection();
    let mut builder = Client::builder();
    let account = match (&connection.base_url, &connection.subdomain) {
        (Some(base_url), _) => {
            builder = builder.base_url(base_url.clone());
            base_url.trim_end_matches('/').to_owned()
        }
        (None, Some(subdomain)) => {
            let subdomain =
                zendesk::normalize_subdomain(subdomain).map_err(|error| error.to_string())?;
            builder = builder.subdomain(subdomain.clone());
            format!("https://{subdomain}.zendesk.com")
        }
        (None, None) => {
            return Err(
                "no Zendesk configured: set ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL), \
                        or sign in with `zd auth login`"
                    .to_owned(),
            );
        }
    };
    let auth = match (
        &connection.oauth_token,
        &connection.email,
        &connection.api_token,
    ) {
        (Some(token), _, _) => Auth::oauth(token.expose_secret()),
        (None, Some(email), Some(token)) => Auth::api_token(email.clone(), token.expose_secret()),
        (None, Some(_), None) => {
            return Err(
                "ZENDESK_EMAIL is set without ZENDESK_API_TOKEN: set both (or ZENDESK_OAUTH_TOKEN)"
                    .to_owned(),
            );
        }
        (None, None, Some(_)) => {
            return Err(
                "ZENDESK_API_TOKEN is set without ZENDESK_EMAIL: set the email of the user the \
                 token belongs to"
                    .to_owned(),
            );
        }
        (None, None, None) => {
            let store =
                zendesk::signin::SignInStore::open_default().map_err(|error| error.to_string())?;
            let source = store.token_source(&account).map_err(|_| {
                format!(
                    "no Zendesk credentials for {account}: set ZENDESK_EMAIL and ZENDESK_API_TOKEN \
                     (or ZENDESK_OAUTH_TOKEN), or sign in with `zd auth login`"
                )
            })?;
            Auth::oauth_source(source)
        }
    };
    builder
        .auth(auth)
        .build()
        .map_err(|error| error.to_string())
}

/// Reports a failed request: Zendesk's own words on stderr, exit code 1.
pub fn failed(error: zendesk::Error) -> ExitCode {
    eprintln!("zd: {error}");
    ExitCode::from(1)
}

/// Reads a JSON object from `FILE`, or from stdin for `-` (exit code 2 when it is not one).
/// A body wrapped in its record key (`{"trigger": {...}}`) is unwrapped.
pub fn read_json_object(
    source: &str,
    key: &str,
) -> Result<serde_json::Map<String, Value>, ExitCode> {
    let text = if source == "-" {
        std::io::read_to_string(std::io::stdin())
            .map_err(|error| usage_error(&format!("--json -: cannot read stdin: {error}")))?
    } else {
        std::fs::read_to_string(source)
            .map_err(|error| usage_error(&format!("--json {source}: {error}")))?
    };
    let value: Value = serde_json::from_str(&text)
        .map_err(|error| usage_error(&format!("--json {source}: not JSON ({error})")))?;
    let Value::Object(mut object) = value else {
        return Err(usage_error(&format!(
            "--json {source}: expected a JSON object such as {{\"{key}\": {{...}}}}"
        )));
    };
    if object.len() == 1
        && matches!(object.get(key), Some(Value::Object(_)))
        && let Some(Value::Object(inner)) = object.remove(key)
    {
        return Ok(inner);
    }
    Ok(object)
}
