//! `ClientBuilder`: where the account (subdomain or explicit base URL), the credentials,
//! timeouts and the retry policy are checked and turned into a `Client`. Every check happens
//! here, before any request: a bad subdomain can never reach a URL.

use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use url::Url;

use crate::auth::Auth;
use crate::client::{Client, ClientInner};
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// Default time allowed to open a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time allowed for a whole request (send and read the answer).
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// The `User-Agent` the client sends.
pub const USER_AGENT: &str = concat!("zd/", env!("CARGO_PKG_VERSION"));

/// Where requests go: a Zendesk subdomain or an explicit base URL.
#[derive(Clone)]
enum Target {
    Subdomain(String),
    BaseUrl(String),
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Subdomain(s) => f.debug_tuple("Subdomain").field(s).finish(),
            // `build` refuses credentials in the URL, but Debug may run before it: hide them.
            Self::BaseUrl(raw) => match Url::parse(raw.trim()) {
                Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
                    let _ = url.set_username("");
                    let _ = url.set_password(None);
                    f.debug_tuple("BaseUrl")
                        .field(&format!("{url} (credentials removed)"))
                        .finish()
                }
                Ok(_) => f.debug_tuple("BaseUrl").field(raw).finish(),
                Err(_) => f.debug_tuple("BaseUrl").field(&"(not a URL)").finish(),
            },
        }
    }
}

/// Builds a [`Client`]. Choose the account with [`subdomain`](Self::subdomain) or
/// [`base_url`](Self::base_url), the credentials with [`auth`](Self::auth), then
/// [`build`](Self::build).
///
/// ```no_run
/// # async fn demo() -> zendesk::Result<()> {
/// use zendesk::{Auth, Client};
/// let client = Client::builder()
///     .subdomain("acme")
///     .auth(Auth::api_token("agent@acme.com", "secret-token"))
///     .build()?;
/// let me = client.get_json("/users/me", zendesk::NO_QUERY).await?;
/// # let _ = me; Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    target: Option<Target>,
    auth: Option<Auth>,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    proactive_throttle: bool,
    user_agent: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            target: None,
            auth: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            proactive_throttle: false,
            user_agent: USER_AGENT.to_owned(),
        }
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Auth`'s own Debug redacts the secret.
        f.debug_struct("ClientBuilder")
            .field("target", &self.target)
            .field("auth", &self.auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("retry", &self.retry)
            .field("proactive_throttle", &self.proactive_throttle)
            .finish()
    }
}

impl ClientBuilder {
    /// An empty builder with the default timeouts and retry policy.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder filled from the environment:
    /// - `ZENDESK_BASE_URL` (wins over the subdomain when both are set) or `ZENDESK_SUBDOMAIN`;
    /// - `ZENDESK_OAUTH_TOKEN` (Bearer), else `ZENDESK_EMAIL` + `ZENDESK_API_TOKEN` (Basic).
    ///   When both an OAuth token and an API token are set, **OAuth wins** (API tokens are being
    ///   retired by Zendesk).
    ///
    /// Empty variables count as unset. Unset values stay unset; [`build`](Self::build) reports
    /// what is missing.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup` (for tests and
    /// for callers with their own configuration source).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut builder = Self::new();
        if let Some(base) = get("ZENDESK_BASE_URL") {
            builder = builder.base_url(base);
        } else if let Some(subdomain) = get("ZENDESK_SUBDOMAIN") {
            builder = builder.subdomain(subdomain);
        }
        if let Some(token) = get("ZENDESK_OAUTH_TOKEN") {
            builder = builder.auth(Auth::oauth(token));
        } else if let (Some(email), Some(token)) = (get("ZENDESK_EMAIL"), get("ZENDESK_API_TOKEN"))
        {
            builder = builder.auth(Auth::api_token(email, token));
        }
        builder
    }

    /// The Zendesk account: `acme`, `acme.zendesk.com` or `https://acme.zendesk.com`. Checked
    /// in [`build`](Self::build) (see [`normalize_subdomain`]). Replaces any base URL.
    pub fn subdomain(mut self, subdomain: impl Into<String>) -> Self {
        self.target = Some(Target::Subdomain(subdomain.into()));
        self
    }

    /// An explicit server, such as `http://127.0.0.1:8080` for the sandbox or a proxy; the
    /// client appends `/api/v2` (unless the URL already ends with it). Replaces any subdomain.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.target = Some(Target::BaseUrl(base_url.into()));
        self
    }

    /// The credentials. Without them requests go unauthenticated (Zendesk then answers 401).
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt of a request, from sending to the end of the answer
    /// (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The whole retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Attempts in all for transient failures of idempotent requests (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.retry.max_attempts = attempts.max(1);
        self
    }

    /// Cap on the total time one request may wait on rate limits (default 60 s).
    pub fn max_rate_limit_wait(mut self, wait: Duration) -> Self {
        self.retry.max_rate_limit_wait = wait;
        self
    }

    /// Return a 429 at once as [`Error::RateLimited`] with its `retry_after` instead of
    /// waiting.
    pub fn fail_fast_on_rate_limit(mut self, yes: bool) -> Self {
        self.retry.fail_fast_on_rate_limit = yes;
        self
    }

    /// Read `ratelimit-remaining` (or `rate-limit-remaining`, `x-rate-limit-remaining`) from
    /// every answer and, when it reaches 0, hold the next request until `ratelimit-reset` /
    /// `rate-limit-reset` seconds have passed (bounded by `max_rate_limit_wait`). Off by
    /// default.
    pub fn proactive_throttle(mut self, yes: bool) -> Self {
        self.proactive_throttle = yes;
        self
    }

    /// Overrides the `User-Agent` (default `zd/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Checks everything and builds the client. Fails with [`Error::Construction`] naming the
    /// setting at fault; no request is made.
    pub fn build(self) -> Result<Client> {
        let api_base = match &self.target {
            None => {
                return Err(Error::construction(
                    "subdomain",
                    "no Zendesk account given: set a subdomain (such as \"acme\") or a base URL \
                     (such as \"http://127.0.0.1:8080\"), e.g. through ZENDESK_SUBDOMAIN or \
                     ZENDESK_BASE_URL",
                ));
            }
            Some(Target::Subdomain(raw)) => {
                let subdomain = normalize_subdomain(raw)?;
                Url::parse(&format!("https://{subdomain}.zendesk.com/api/v2/"))
                    .map_err(|e| Error::construction("subdomain", e.to_string()))?
            }
            Some(Target::BaseUrl(raw)) => parse_base_url(raw)?,
        };
        if let Some(auth) = &self.auth {
            auth.validate()
                .map_err(|message| Error::construction("auth", message))?;
        }
        if self.request_timeout.is_zero() {
            return Err(Error::construction(
                "request_timeout",
                "must be longer than zero",
            ));
        }
        if self.connect_timeout.is_zero() {
            return Err(Error::construction(
                "connect_timeout",
                "must be longer than zero",
            ));
        }
        let auth_header = match &self.auth {
            Some(Auth::OAuthSource(_)) | None => None,
            Some(auth) => Some(auth.header_value().ok_or_else(|| {
                Error::construction("auth", "the credentials cannot be sent in an HTTP header")
            })?),
        };
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(&api_base)?)
            .user_agent(self.user_agent.clone())
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            // Zendesk never redirects API calls; following one could send credentials elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::construction("http", e.to_string()))?;
        let token_source = match &self.auth {
            Some(Auth::OAuthSource(source)) => Some(source.clone()),
            _ => None,
        };
        let client = Client {
            inner: Arc::new(ClientInner::new(
                http,
                api_base,
                auth_header,
                self.auth.as_ref().map(Auth::kind),
                self.retry,
                self.proactive_throttle,
                self.request_timeout,
                self.connect_timeout,
            )),
        };
        Ok(client.with_token_source(token_source))
    }
}

/// rustls with the ring provider (reqwest is built without one) and the OS trust store,
/// built once per process: loading the trust store reads files. When no trust store can be
/// loaded, plain `http://` targets (the sandbox) still work; `https://` ones are refused.
pub(crate) fn tls_config(api_base: &Url) -> Result<rustls::ClientConfig> {
    use rustls_platform_verifier::BuilderVerifierExt as _;
    static CONFIG: OnceLock<std::result::Result<rustls::ClientConfig, String>> = OnceLock::new();
    let provider = || Arc::new(rustls::crypto::ring::default_provider());
    let built = CONFIG.get_or_init(|| {
        let mut config = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_platform_verifier()
            .map_err(|e| e.to_string())?
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(config)
    });
    match built {
        Ok(config) => Ok(config.clone()),
        Err(_) if api_base.scheme() == "http" => {
            rustls::ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .map(|b| {
                    b.with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth()
                })
                .map_err(|e| Error::construction("tls", e.to_string()))
        }
        Err(message) => Err(Error::construction(
            "tls",
            format!("cannot load the system's trusted certificates: {message}"),
        )),
    }
}

/// Reduces `acme`, `acme.zendesk.com` or `https://acme.zendesk.com` (any case, an optional
/// trailing `/`) to `acme`, and refuses everything else: dots, slashes, `@`, `#`, `:`, ports,
/// spaces, other hosts, empty. The label must match
/// `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$` (case-insensitive); it is returned lowercased.
pub fn normalize_subdomain(raw: &str) -> Result<String> {
    let refuse = |why: &str| {
        Error::construction(
            "subdomain",
            format!(
                "{raw:?} {why}: expected the account name such as \"acme\" (or \
                 \"acme.zendesk.com\", \"https://acme.zendesk.com\")"
            ),
        )
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(refuse("is empty"));
    }
    let lower = trimmed.to_ascii_lowercase();
    let without_scheme = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    let host = without_scheme.strip_suffix('/').unwrap_or(without_scheme);
    let label = host.strip_suffix(".zendesk.com").unwrap_or(host);
    if !is_valid_label(label) {
        return Err(refuse("is not a Zendesk subdomain"));
    }
    Ok(label.to_owned())
}

fn is_valid_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match bytes {
        [] => false,
        [one] => alnum(*one),
        [first, middle @ .., last] => {
            bytes.len() <= 63
                && alnum(*first)
                && alnum(*last)
                && middle.iter().all(|b| alnum(*b) || *b == b'-')
        }
    }
}

pub(crate) fn parse_base_url(raw: &str) -> Result<Url> {
    let refuse = |why: String| {
        Error::construction(
            "base_url",
            format!("{why}: expected an http(s) URL such as \"http://127.0.0.1:8080\""),
        )
    };
    let trimmed = raw.trim();
    let mut url =
        Url::parse(trimmed).map_err(|e| refuse(format!("the value is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refuse(format!(
            "scheme {:?} is not http or https",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(refuse("the URL has no host".into()));
    }
    // Credentials in a URL leak through logs; they belong in `auth`.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "the URL must not carry credentials (use auth instead)".into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse("the URL must not have a query or fragment".into()));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    let path = if path.ends_with("/api/v2") {
        format!("{path}/")
    } else {
        format!("{path}/api/v2/")
    };
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_reduces_subdomains() {
        for raw in [
            "acme",
            "ACME",
            " acme ",
            "acme.zendesk.com",
            "https://acme.zendesk.com",
            "https://Acme.Zendesk.com/",
            "http://acme.zendesk.com",
        ] {
            assert_eq!(
                normalize_subdomain(raw).ok().as_deref(),
                Some("acme"),
                "{raw}"
            );
        }
        assert_eq!(normalize_subdomain("a-1").ok().as_deref(), Some("a-1"));
        assert_eq!(normalize_subdomain("7").ok().as_deref(), Some("7"));
    }

    #[test]
    fn refuses_bad_subdomains() {
        let long = "a".repeat(64);
        for raw in [
            "",
            "   ",
            "evil.com/x",
            "a.b",
            "acme@evil.com",
            "x#y",
            "ac me",
            "acme:443",
            "acme.zendesk.com:8443",
            "https://evil.com",
            "https://acme.zendesk.com/x",
            "acme.zendesk.com.evil.com",
            "-acme",
            "acme-",
            "ac_me",
            long.as_str(),
            "https://",
        ] {
            let err = normalize_subdomain(raw).expect_err(raw);
            let text = err.to_string();
            assert!(text.contains("subdomain"), "{text}");
            assert!(text.contains("expected"), "{text}");
        }
    }

    #[test]
    fn base_url_gets_api_v2() {
        let url = parse_base_url("http://127.0.0.1:8080").map(|u| u.to_string());
        assert_eq!(url.ok().as_deref(), Some("http://127.0.0.1:8080/api/v2/"));
        let url = parse_base_url("http://h/api/v2/").map(|u| u.to_string());
        assert_eq!(url.ok().as_deref(), Some("http://h/api/v2/"));
        assert!(parse_base_url("ftp://h").is_err());
        assert!(parse_base_url("http://u:p@h").is_err());
        assert!(parse_base_url("not a url").is_err());
    }
}
