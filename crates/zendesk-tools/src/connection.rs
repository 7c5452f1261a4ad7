//! Where a call goes and as whom: the `Connection` settings a host injects through
//! `CallContext`, the environment variables that fill what it leaves out, the stored OAuth
//! sign-in (`zd auth login`) under both, and `resolve`, which layers explicit credential params
//! over the context over the environment over the stored sign-in, validates the subdomain (no
//! host injection) and produces the target the executor sends to. Secrets stay in
//! `SecretString` and never reach a message or `Debug` output.

use secrecy::{ExposeSecret, SecretString};

use crate::error::ToolError;
use crate::params::{Params, shown};

/// Connection settings. Every field is optional; `resolve` fills the gaps layer by layer.
#[derive(Clone, Default)]
pub struct Connection {
    /// Root URL of a Zendesk-compatible server (a sandbox or a proxy), e.g.
    /// `http://127.0.0.1:8080`; `/api/v2` is added. Without it: `https://{subdomain}.zendesk.com`.
    pub base_url: Option<String>,
    pub subdomain: Option<String>,
    pub email: Option<String>,
    pub api_token: Option<SecretString>,
    /// An OAuth access token, sent as `Authorization: Bearer`.
    pub oauth_token: Option<SecretString>,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |secret: &Option<SecretString>| secret.as_ref().map(|_| "[hidden]");
        f.debug_struct("Connection")
            .field("base_url", &self.base_url)
            .field("subdomain", &self.subdomain)
            .field("email", &self.email)
            .field("api_token", &hidden(&self.api_token))
            .field("oauth_token", &hidden(&self.oauth_token))
            .finish()
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl Connection {
    /// Reads `ZENDESK_BASE_URL`, `ZENDESK_SUBDOMAIN`, `ZENDESK_EMAIL`, `ZENDESK_API_TOKEN` and
    /// `ZENDESK_OAUTH_TOKEN`; empty variables count as unset.
    pub fn from_env() -> Self {
        let var = |name: &str| non_empty(std::env::var(name).ok());
        Connection {
            base_url: var("ZENDESK_BASE_URL"),
            subdomain: var("ZENDESK_SUBDOMAIN"),
            email: var("ZENDESK_EMAIL"),
            api_token: var("ZENDESK_API_TOKEN").map(SecretString::from),
            oauth_token: var("ZENDESK_OAUTH_TOKEN").map(SecretString::from),
        }
    }

    /// Whether this names a server to talk to (a base URL or a subdomain).
    pub fn has_destination(&self) -> bool {
        self.base_url.is_some() || self.subdomain.is_some()
    }

    fn has_credentials(&self) -> bool {
        self.oauth_token.is_some() || self.email.is_some() || self.api_token.is_some()
    }
}

/// How requests authenticate.
// `OAuth` is the protocol's name, not a repetition of the enum's.
#[allow(clippy::enum_variant_names)]
#[derive(Clone)]
pub(crate) enum Auth {
    /// `Authorization: Basic base64("{email}/token:{token}")`.
    ApiToken { email: String, token: SecretString },
    /// `Authorization: Bearer {token}`.
    OAuth(SecretString),
    /// The stored sign-in for this account URL: a bearer token that refreshes itself.
    SignedIn { account: String },
}

/// A resolved destination: the root URL (no `/api/v2`) and the credentials.
#[derive(Clone)]
pub(crate) struct Target {
    pub base_url: String,
    pub auth: Auth,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.auth {
            Auth::ApiToken { email, .. } => format!("api token of {email}"),
            Auth::OAuth(_) => "oauth".to_owned(),
            Auth::SignedIn { account } => format!("stored sign-in for {account}"),
        };
        f.debug_struct("Target")
            .field("base_url", &self.base_url)
            .field("auth", &auth)
            .finish()
    }
}

impl Target {
    /// A key identifying this destination and identity, for reusing HTTP clients.
    pub fn cache_key(&self) -> String {
        match &self.auth {
            Auth::ApiToken { email, token } => {
                format!("{}|basic|{email}|{}", self.base_url, token.expose_secret())
            }
            Auth::OAuth(token) => format!("{}|bearer|{}", self.base_url, token.expose_secret()),
            // One client (so one refreshing token source) per stored sign-in.
            Auth::SignedIn { account } => format!("{}|signin|{account}", self.base_url),
        }
    }
}

/// Reduces `acme`, `acme.zendesk.com` or `https://acme.zendesk.com/` to `acme`, refusing
/// anything that is not a plain DNS label (dots, slashes, `@`, `#`, `:`, spaces, other hosts),
/// so the subdomain can never steer requests to another host.
pub fn normalize_subdomain(input: &str) -> Result<String, String> {
    let trimmed = input.trim();
    let lowered = trimmed.to_ascii_lowercase();
    let without_scheme = lowered
        .strip_prefix("https://")
        .or_else(|| lowered.strip_prefix("http://"))
        .unwrap_or(&lowered);
    let without_slash = without_scheme.strip_suffix('/').unwrap_or(without_scheme);
    let label = without_slash
        .strip_suffix(".zendesk.com")
        .unwrap_or(without_slash);
    let valid = !label.is_empty()
        && label.len() <= 63
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-');
    if valid {
        Ok(label.to_owned())
    } else {
        Err(format!(
            "subdomain must be your Zendesk subdomain such as \"mycompany\" (for mycompany.zendesk.com): letters, digits and inner hyphens only (got {})",
            shown(trimmed)
        ))
    }
}

fn normalize_base_url(input: &str) -> Result<String, ToolError> {
    let trimmed = input.trim().trim_end_matches('/');
    let root = trimmed.strip_suffix("/api/v2").unwrap_or(trimmed);
    let rest = root
        .strip_prefix("https://")
        .or_else(|| root.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(root.to_owned())
        }
        _ => Err(ToolError::invalid(format!(
            "the Zendesk base URL must be an http(s) URL such as \"http://127.0.0.1:8080\" (got {})",
            shown(input)
        ))),
    }
}

fn check_email(email: &str) -> Result<(), ToolError> {
    let ok = email.contains('@')
        && !email.contains(':')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(ToolError::invalid(format!(
            "email must be the Zendesk user's email address such as \"agent@example.com\" (got {})",
            shown(email)
        )))
    }
}

/// Layers explicit params over the host's connection over the environment over the stored
/// sign-in.
pub(crate) fn resolve(params: &Params, context: &Connection) -> Result<Target, ToolError> {
    resolve_layers_with(params, context, &Connection::from_env(), &stored_sign_ins)
}

/// The stored sign-ins (`zd auth login`), read only when the layers above leave a gap.
/// Unreadable ones count as none: the error is the caller's "not configured" message.
fn stored_sign_ins() -> Option<zendesk::signin::Accounts> {
    let store = zendesk::signin::SignInStore::open_default().ok()?;
    store.accounts().ok()
}

/// The refreshing token source of a stored sign-in.
pub(crate) fn signed_in_source(account: &str) -> Result<zendesk::oauth::TokenSource, ToolError> {
    let store = zendesk::signin::SignInStore::open_default()
        .map_err(|error| ToolError::invalid(error.to_string()))?;
    store
        .token_source(account)
        .map_err(|error| ToolError::invalid(format!("{error} (sign in with `zd auth login`)")))
}

#[cfg(test)]
pub(crate) fn resolve_layers(
    params: &Params,
    context: &Connection,
    env: &Connection,
) -> Result<Target, ToolError> {
    resolve_layers_with(params, context, env, &|| None)
}

pub(crate) fn resolve_layers_with(
    params: &Params,
    context: &Connection,
    env: &Connection,
    stored: &dyn Fn() -> Option<zendesk::signin::Accounts>,
) -> Result<Target, ToolError> {
    let explicit = Connection {
        base_url: None,
        subdomain: params.text("subdomain")?.map(str::to_owned),
        email: params.text("email")?.map(|e| e.trim().to_owned()),
        api_token: params
            .text("apiToken")?
            .map(|t| SecretString::from(t.trim().to_owned())),
        oauth_token: None,
    };
    let layers = [&explicit, context, env];
    let mut stored_cache = None;
    let mut stored = || stored_cache.get_or_insert_with(stored).clone();

    // The subdomain is checked wherever it comes from, even when a base URL overrides it.
    let subdomain = layers
        .iter()
        .find_map(|layer| layer.subdomain.as_deref())
        .map(|s| normalize_subdomain(s).map_err(ToolError::invalid))
        .transpose()?;
    let base_url = match layers.iter().find_map(|layer| layer.base_url.as_deref()) {
        Some(url) => normalize_base_url(url)?,
        None => match &subdomain {
            Some(subdomain) => format!("https://{subdomain}.zendesk.com"),
            None => match stored().and_then(|s| s.current().map(|a| a.account.clone())) {
                Some(account) => normalize_base_url(&account)?,
                None => {
                    return Err(ToolError::invalid(
                        "no Zendesk subdomain configured: pass subdomain (e.g. \"mycompany\" for mycompany.zendesk.com), or set ZENDESK_SUBDOMAIN (or ZENDESK_BASE_URL for a sandbox or proxy), or sign in with `zd auth login`",
                    ));
                }
            },
        },
    };

    // The first layer that says anything about credentials decides the kind; missing halves
    // of an email/token pair are taken from the layers below it.
    let Some(position) = layers.iter().position(|layer| layer.has_credentials()) else {
        // Nothing configured: the stored sign-in for this account, if there is one.
        if let Some(account) = stored().and_then(|s| s.get(&base_url).map(|a| a.account.clone())) {
            return Ok(Target {
                base_url,
                auth: Auth::SignedIn { account },
            });
        }
        return Err(ToolError::invalid(
            "no Zendesk credentials configured: pass email and apiToken, or set ZENDESK_EMAIL and ZENDESK_API_TOKEN (or ZENDESK_OAUTH_TOKEN), or sign in with `zd auth login`",
        ));
    };
    let auth = if let Some(token) = &layers[position].oauth_token {
        Auth::OAuth(token.clone())
    } else {
        let below = &layers[position..];
        let email = below.iter().find_map(|layer| layer.email.clone());
        let token = below.iter().find_map(|layer| layer.api_token.clone());
        match (email, token) {
            (Some(email), Some(token)) => {
                check_email(&email)?;
                Auth::ApiToken { email, token }
            }
            (None, _) => {
                return Err(ToolError::invalid(
                    "email is missing: pass email (the Zendesk user's address the API token belongs to) or set ZENDESK_EMAIL",
                ));
            }
            (_, None) => {
                return Err(ToolError::invalid(
                    "apiToken is missing: pass apiToken or set ZENDESK_API_TOKEN (or use ZENDESK_OAUTH_TOKEN)",
                ));
            }
        }
    };
    Ok(Target { base_url, auth })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::registry;
    use serde_json::json;

    fn params(args: serde_json::Value) -> Params<'static> {
        let tool = registry().get("zendesk_get_current_user").unwrap();
        Params::parse(&tool.spec, args).unwrap()
    }

    #[test]
    fn subdomains_are_reduced_or_refused() {
        for good in [
            "acme",
            "ACME",
            "acme.zendesk.com",
            "https://acme.zendesk.com/",
            " a-1 ",
        ] {
            assert!(normalize_subdomain(good).is_ok(), "{good}");
        }
        assert_eq!(
            normalize_subdomain("https://Acme.zendesk.com").unwrap(),
            "acme"
        );
        for bad in [
            "evil.com/x",
            "acme.evil.com",
            "a@b",
            "a#b",
            "a:80",
            "a b",
            "-acme",
            "acme-",
            "",
            "https://evil.com",
            &"a".repeat(64),
        ] {
            let error = normalize_subdomain(bad).unwrap_err();
            assert!(error.starts_with("subdomain must be"), "{bad}: {error}");
        }
    }

    #[test]
    fn params_beat_context_which_beats_environment() {
        let env = Connection {
            subdomain: Some("envdesk".into()),
            email: Some("env@example.com".into()),
            api_token: Some("env-token".into()),
            ..Default::default()
        };
        let context = Connection {
            base_url: Some("http://127.0.0.1:9/api/v2/".into()),
            oauth_token: Some("ctx-oauth".into()),
            ..Default::default()
        };
        let target = resolve_layers(&params(json!({})), &context, &env).unwrap();
        assert_eq!(target.base_url, "http://127.0.0.1:9");
        assert!(matches!(target.auth, Auth::OAuth(_)));

        let explicit = params(json!({ "email": "me@example.com", "apiToken": "t" }));
        let target = resolve_layers(&explicit, &context, &env).unwrap();
        assert!(
            matches!(target.auth, Auth::ApiToken { ref email, .. } if email == "me@example.com")
        );

        let target = resolve_layers(&params(json!({})), &Connection::default(), &env).unwrap();
        assert_eq!(target.base_url, "https://envdesk.zendesk.com");
    }

    #[test]
    fn missing_configuration_is_a_clear_error() {
        let none = Connection::default();
        let error = resolve_layers(&params(json!({})), &none, &none)
            .unwrap_err()
            .message;
        assert!(error.contains("no Zendesk subdomain configured"), "{error}");
        let only_place = Connection {
            subdomain: Some("acme".into()),
            ..Default::default()
        };
        let error = resolve_layers(&params(json!({})), &only_place, &none)
            .unwrap_err()
            .message;
        assert!(
            error.contains("no Zendesk credentials configured"),
            "{error}"
        );
        let error = resolve_layers(&params(json!({ "subdomain": "evil.com/" })), &none, &none)
            .unwrap_err()
            .message;
        assert!(error.starts_with("subdomain must be"), "{error}");
    }

    fn stored(current: &str) -> zendesk::signin::Accounts {
        let account = zendesk::signin::Account {
            account: current.into(),
            client_id: "zd_cli".into(),
            confidential: false,
            user: None,
            scope: Some("read".into()),
            expires_at: None,
            refresh_token_expires_at: None,
            access_token_lifetime: None,
            refresh_token_lifetime: None,
            signed_in_at: 0,
            secrets_in: "file".into(),
        };
        zendesk::signin::Accounts {
            current: Some(current.into()),
            accounts: [(current.to_owned(), account)].into_iter().collect(),
        }
    }

    #[test]
    fn the_stored_sign_in_fills_only_what_nothing_else_configures() {
        let none = Connection::default();
        let acme = || Some(stored("https://acme.zendesk.com"));
        // Nothing configured: the current stored sign-in, destination and credentials.
        let target = resolve_layers_with(&params(json!({})), &none, &none, &acme).unwrap();
        assert_eq!(target.base_url, "https://acme.zendesk.com");
        assert!(
            matches!(&target.auth, Auth::SignedIn { account } if account == "https://acme.zendesk.com")
        );
        assert!(format!("{target:?}").contains("stored sign-in"));
        // A destination from the environment with a stored sign-in for it: used.
        let env = Connection {
            subdomain: Some("acme".into()),
            ..Default::default()
        };
        let target = resolve_layers_with(&params(json!({})), &none, &env, &acme).unwrap();
        assert!(matches!(target.auth, Auth::SignedIn { .. }));
        // Another destination: no stored sign-in for it, so the usual error.
        let other = Connection {
            subdomain: Some("other".into()),
            ..Default::default()
        };
        let error = resolve_layers_with(&params(json!({})), &none, &other, &acme)
            .unwrap_err()
            .message;
        assert!(error.contains("zd auth login"), "{error}");
        // Environment credentials win over the stored sign-in.
        let env = Connection {
            oauth_token: Some("env-oauth".into()),
            ..Default::default()
        };
        let target = resolve_layers_with(&params(json!({})), &none, &env, &acme).unwrap();
        assert_eq!(target.base_url, "https://acme.zendesk.com");
        assert!(matches!(target.auth, Auth::OAuth(_)));
        // The stored sign-ins are not even read when everything is configured.
        let full = Connection {
            subdomain: Some("acme".into()),
            email: Some("a@example.com".into()),
            api_token: Some("t".into()),
            ..Default::default()
        };
        let target =
            resolve_layers_with(&params(json!({})), &none, &full, &|| panic!("read")).unwrap();
        assert!(matches!(target.auth, Auth::ApiToken { .. }));
    }

    #[test]
    fn debug_hides_secrets() {
        let connection = Connection {
            api_token: Some("s3cret-token".into()),
            oauth_token: Some("s3cret-oauth".into()),
            ..Default::default()
        };
        let debug = format!("{connection:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
    }
}
