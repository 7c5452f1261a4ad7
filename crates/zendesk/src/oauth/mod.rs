//! OAuth sign-in with Zendesk: the authorization code grant with PKCE (S256) and `state`, the
//! token endpoint (`POST /oauth/tokens`, JSON body, for `authorization_code` and
//! `refresh_token`), the token set it answers, a [`TokenSource`] that keeps an access token
//! fresh for the client (refresh shortly before expiry and once on a 401, single-flight,
//! rotation persisted before use), and a one-shot loopback listener for the redirect.
//!
//! Zendesk's endpoints, relative to the account (`https://{subdomain}.zendesk.com`):
//! - `GET /oauth/authorizations/new?response_type=code&client_id&redirect_uri&scope&state&code_challenge&code_challenge_method=S256`
//!   (a page for the user's browser, which comes back to `redirect_uri?code=..&state=..`, or
//!   `?error=access_denied&error_description=..`);
//! - `POST /oauth/tokens` with a JSON body, answered with `{access_token, token_type, scope,
//!   refresh_token, expires_in, refresh_token_expires_in}`;
//! - `DELETE /api/v2/oauth/tokens/current` (a normal API call) revokes the token it is sent with.
//!
//! Tokens, refresh tokens, client secrets and PKCE verifiers are `SecretString`s: no `Debug`,
//! log line or error of this module shows them.

mod loopback;
mod pkce;
mod source;

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::ACCEPT;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;
use zendesk_types::ErrorBody;

use crate::error::{Error, Result};

pub use loopback::{LoopbackListener, Redirect};
pub use pkce::{Pkce, s256_challenge};
pub use source::{StoreError, StoreGuard, TokenSource, TokenStore};

/// A short random suffix for temporary file names.
pub(crate) fn random_suffix() -> String {
    pkce::random_urlsafe(6)
}

/// Seconds since the Unix epoch, the unit stored expiries use (they outlive the process).
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The OAuth client registered in Zendesk (Admin Center > Apps and integrations > APIs >
/// OAuth clients): its unique identifier, and its secret for a confidential client (a public
/// client has none and relies on PKCE). `Debug` never shows the secret.
#[derive(Clone)]
pub struct OAuthApp {
    /// The client's **Unique identifier** (`client_id`).
    pub client_id: String,
    /// The client's secret, for confidential clients only.
    pub client_secret: Option<SecretString>,
}

impl OAuthApp {
    /// A public client (PKCE only).
    pub fn public(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: None,
        }
    }

    /// A confidential client with its secret.
    pub fn confidential(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: Some(SecretString::from(secret.into())),
        }
    }

    fn validate(&self) -> Result<()> {
        let id = self.client_id.trim();
        if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::construction(
                "client_id",
                "the OAuth client id is empty or contains spaces: expected the client's unique \
                 identifier from Admin Center, such as \"zd_cli\"",
            ));
        }
        if let Some(secret) = &self.client_secret {
            let secret = secret.expose_secret();
            if secret.trim().is_empty() || secret.chars().any(char::is_control) {
                return Err(Error::construction(
                    "client_secret",
                    "the OAuth client secret is empty or contains control characters",
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// Where a Zendesk account's OAuth endpoints are: the account's root URL
/// (`https://acme.zendesk.com/`, or a sandbox / proxy such as `http://127.0.0.1:8080/`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthEndpoints {
    origin: Url,
}

impl OAuthEndpoints {
    /// `acme`, `acme.zendesk.com` or `https://acme.zendesk.com` (checked as the client checks
    /// it: a bad subdomain is refused before anything is sent).
    pub fn for_subdomain(raw: &str) -> Result<Self> {
        let subdomain = crate::builder::normalize_subdomain(raw)?;
        let origin = Url::parse(&format!("https://{subdomain}.zendesk.com/"))
            .map_err(|e| Error::construction("subdomain", e.to_string()))?;
        Ok(Self { origin })
    }

    /// An explicit server such as `http://127.0.0.1:8080` (an `/api/v2` suffix is dropped).
    pub fn for_base_url(raw: &str) -> Result<Self> {
        let mut origin = crate::builder::parse_base_url(raw)?;
        let path = origin.path().trim_end_matches("api/v2/").to_owned();
        origin.set_path(&path);
        Ok(Self { origin })
    }

    /// The account's root URL, ending with `/`.
    pub fn origin(&self) -> &Url {
        &self.origin
    }

    /// The account as stored sign-ins name it: the root URL without the trailing `/`
    /// (`https://acme.zendesk.com`).
    pub fn account(&self) -> String {
        self.origin.as_str().trim_end_matches('/').to_owned()
    }

    /// The subdomain, when this is a `*.zendesk.com` account.
    pub fn subdomain(&self) -> Option<String> {
        let host = self.origin.host_str()?;
        let label = host.strip_suffix(".zendesk.com")?;
        (self.origin.scheme() == "https" && !label.contains('.')).then(|| label.to_owned())
    }

    /// `{origin}oauth/authorizations/new`, the page the user's browser is sent to.
    pub fn authorize_url(&self) -> Url {
        self.join("oauth/authorizations/new")
    }

    /// `{origin}oauth/tokens`, where codes and refresh tokens are exchanged.
    pub fn token_url(&self) -> Url {
        self.join("oauth/tokens")
    }

    fn join(&self, path: &str) -> Url {
        // `origin` always ends with `/` and `path` is a fixed relative path.
        self.origin
            .join(path)
            .unwrap_or_else(|_| self.origin.clone())
    }
}

/// Lifetimes to ask Zendesk for (`expires_in`, `refresh_token_expires_in`, in seconds); `None`
/// leaves Zendesk's default. Zendesk accepts 300 s to 2 days for the access token and 7 to 90
/// days for the refresh token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// `expires_in` for the access token.
    pub access: Option<u64>,
    /// `refresh_token_expires_in` for the refresh token.
    pub refresh: Option<u64>,
}

/// What the token endpoint answered: an access token and, with it, usually a refresh token.
/// `Debug` shows the type, scope and expiries, never a token.
#[derive(Clone)]
pub struct TokenSet {
    /// The access token, sent as `Authorization: Bearer`.
    pub access_token: SecretString,
    /// The refresh token; Zendesk rotates it on every refresh.
    pub refresh_token: Option<SecretString>,
    /// `bearer`.
    pub token_type: String,
    /// The granted scopes, space-separated (`read write`, `tickets:read`).
    pub scope: Option<String>,
    /// When the access token stops working (Unix seconds); `None` when Zendesk gave no expiry.
    pub expires_at: Option<u64>,
    /// When the refresh token stops working (Unix seconds), when known.
    pub refresh_token_expires_at: Option<u64>,
    /// When the token endpoint answered (Unix seconds), when known: with `expires_at` it gives
    /// the token's lifetime, which bounds how early it is refreshed.
    pub issued_at: Option<u64>,
}

impl TokenSet {
    /// Reads a token endpoint answer received at `now` (Unix seconds).
    pub fn from_response(body: &[u8], now: u64) -> std::result::Result<Self, String> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| format!("the token endpoint's answer is not JSON ({e})"))?;
        let text = |key: &str| {
            value
                .get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let seconds = |key: &str| value.get(key).and_then(Value::as_u64);
        let access_token = text("access_token")
            .ok_or("the token endpoint's answer has no access_token")?
            .to_owned();
        let token_type = text("token_type").unwrap_or("bearer").to_owned();
        if !token_type.eq_ignore_ascii_case("bearer") {
            return Err(format!(
                "the token endpoint answered a token of type {token_type:?}; only bearer tokens are supported"
            ));
        }
        Ok(Self {
            access_token: SecretString::from(access_token),
            refresh_token: text("refresh_token").map(|t| SecretString::from(t.to_owned())),
            token_type,
            scope: text("scope").map(str::to_owned),
            expires_at: seconds("expires_in").map(|s| now.saturating_add(s)),
            refresh_token_expires_at: seconds("refresh_token_expires_in")
                .map(|s| now.saturating_add(s)),
            issued_at: Some(now),
        })
    }

    /// Whether the access token expires within `margin` of `now` (or already has). For a
    /// short-lived token the margin shrinks to a quarter of its lifetime, so a token issued for
    /// a few seconds (a test sandbox) is still used before it is refreshed.
    pub fn expires_within(&self, margin: Duration, now: u64) -> bool {
        let Some(at) = self.expires_at else {
            return false;
        };
        let margin = match self.issued_at {
            Some(issued) if at > issued => margin.as_secs().min((at - issued) / 4),
            _ => margin.as_secs(),
        };
        now.saturating_add(margin) >= at
    }

    /// Whether the refresh token is known to have expired at `now`.
    pub fn refresh_token_expired(&self, now: u64) -> bool {
        self.refresh_token_expires_at.is_some_and(|at| now >= at)
    }

    /// Whether both sets carry the same access token.
    pub fn same_access_token(&self, other: &TokenSet) -> bool {
        self.access_token.expose_secret() == other.access_token.expose_secret()
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .field("refresh_token_expires_at", &self.refresh_token_expires_at)
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

/// An authorization request in progress: the URL for the user's browser and what must be
/// checked when the browser comes back (`state`) or sent with the code (the PKCE verifier and
/// the same `redirect_uri`).
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    url: Url,
    state: String,
    pkce: Pkce,
    redirect_uri: String,
    scope: String,
}

impl AuthorizationRequest {
    /// The URL to open in the user's browser.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The `state` sent; the redirect must carry it back unchanged.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The PKCE pair (its challenge is in the URL).
    pub fn pkce(&self) -> &Pkce {
        &self.pkce
    }

    /// The `redirect_uri` sent.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The scopes asked for.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Checks the redirect's `state` against the one sent; a mismatch (or none) is refused, as
    /// it means the redirect was not the answer to this request (RFC 6749 §10.12).
    pub fn check_state(&self, returned: Option<&str>) -> Result<()> {
        match returned {
            Some(state) if pkce::constant_time_eq(state, &self.state) => Ok(()),
            Some(_) => Err(Error::OAuth {
                operation: "signing in",
                status: None,
                code: Some("state_mismatch".into()),
                message: "the redirect's state does not match the one this sign-in sent; it \
                          was not the answer to this request, so nothing was exchanged"
                    .into(),
            }),
            None => Err(Error::OAuth {
                operation: "signing in",
                status: None,
                code: Some("state_missing".into()),
                message: "the redirect carried no state; nothing was exchanged".into(),
            }),
        }
    }
}

/// Talks to an account's OAuth endpoints for one registered OAuth client.
#[derive(Clone)]
pub struct OAuthClient {
    endpoints: OAuthEndpoints,
    app: OAuthApp,
    lifetimes: TokenLifetimes,
    http: reqwest::Client,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("origin", &self.endpoints.origin.as_str())
            .field("app", &self.app)
            .field("lifetimes", &self.lifetimes)
            .finish()
    }
}

/// How long one token endpoint call may take.
const TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

impl OAuthClient {
    /// A client for `app` at `endpoints`; checks the client id and secret.
    pub fn new(endpoints: OAuthEndpoints, app: OAuthApp) -> Result<Self> {
        app.validate()?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(crate::builder::tls_config(&endpoints.origin)?)
            .user_agent(crate::USER_AGENT)
            .connect_timeout(crate::DEFAULT_CONNECT_TIMEOUT)
            .timeout(TOKEN_REQUEST_TIMEOUT)
            // A redirect could carry the body (codes, secrets) somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::construction("http", e.to_string()))?;
        Ok(Self {
            endpoints,
            app,
            lifetimes: TokenLifetimes::default(),
            http,
        })
    }

    /// Lifetimes to ask for on every grant (code and refresh alike).
    pub fn with_lifetimes(mut self, lifetimes: TokenLifetimes) -> Self {
        self.lifetimes = lifetimes;
        self
    }

    /// The endpoints.
    pub fn endpoints(&self) -> &OAuthEndpoints {
        &self.endpoints
    }

    /// The registered OAuth client.
    pub fn app(&self) -> &OAuthApp {
        &self.app
    }

    /// The lifetimes asked for.
    pub fn lifetimes(&self) -> TokenLifetimes {
        self.lifetimes
    }

    /// A new authorization request: fresh PKCE pair and `state`, and the URL of Zendesk's
    /// authorization page with `response_type=code`, `client_id`, `redirect_uri`, `scope`,
    /// `state`, `code_challenge` and `code_challenge_method=S256`.
    pub fn authorization_request(&self, redirect_uri: &str, scope: &str) -> AuthorizationRequest {
        let pkce = Pkce::generate();
        let state = pkce::random_urlsafe(24);
        let scope = normalize_scope(scope);
        let mut url = self.endpoints.authorize_url();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.app.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scope)
            .append_pair("state", &state)
            .append_pair("code_challenge", pkce.challenge())
            .append_pair("code_challenge_method", pkce.method());
        AuthorizationRequest {
            url,
            state,
            pkce,
            redirect_uri: redirect_uri.to_owned(),
            scope,
        }
    }

    /// Exchanges the code the redirect brought for tokens (`grant_type=authorization_code`,
    /// with the PKCE verifier and the same `redirect_uri`).
    pub async fn exchange_code(
        &self,
        request: &AuthorizationRequest,
        code: &str,
    ) -> Result<TokenSet> {
        let mut body = json!({
            "grant_type": "authorization_code",
            "code": code,
            "client_id": self.app.client_id,
            "redirect_uri": request.redirect_uri,
            "scope": request.scope,
            "code_verifier": request.pkce.verifier_str(),
        });
        self.add_common(&mut body);
        self.token_request("exchanging the authorization code", body)
            .await
    }

    /// Exchanges `tokens`' refresh token for a new token set (`grant_type=refresh_token`).
    /// Zendesk rotates: the answer carries a new refresh token and the old one stops working.
    /// When the answer has no refresh token, the old one is kept in the returned set.
    pub async fn refresh(&self, tokens: &TokenSet) -> Result<TokenSet> {
        let Some(refresh_token) = &tokens.refresh_token else {
            return Err(Error::OAuth {
                operation: "refreshing the access token",
                status: None,
                code: Some("no_refresh_token".into()),
                message: "the access token has expired and this sign-in has no refresh token; \
                          sign in again"
                    .into(),
            });
        };
        let mut body = json!({
            "grant_type": "refresh_token",
            "refresh_token": refresh_token.expose_secret(),
            "client_id": self.app.client_id,
        });
        if let Some(scope) = &tokens.scope {
            body["scope"] = json!(scope);
        }
        self.add_common(&mut body);
        let mut fresh = self
            .token_request("refreshing the access token", body)
            .await?;
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = tokens.refresh_token.clone();
            fresh.refresh_token_expires_at = tokens.refresh_token_expires_at;
        }
        if fresh.scope.is_none() {
            fresh.scope = tokens.scope.clone();
        }
        Ok(fresh)
    }

    fn add_common(&self, body: &mut Value) {
        if let Some(secret) = &self.app.client_secret {
            body["client_secret"] = json!(secret.expose_secret());
        }
        if let Some(seconds) = self.lifetimes.access {
            body["expires_in"] = json!(seconds);
        }
        if let Some(seconds) = self.lifetimes.refresh {
            body["refresh_token_expires_in"] = json!(seconds);
        }
    }

    async fn token_request(&self, operation: &'static str, body: Value) -> Result<TokenSet> {
        let path = "/oauth/tokens";
        let transport = |error: reqwest::Error| {
            if error.is_timeout() {
                Error::Timeout {
                    method: "POST".into(),
                    path: path.into(),
                    timeout: TOKEN_REQUEST_TIMEOUT,
                }
            } else {
                Error::Connection {
                    method: "POST".into(),
                    path: path.into(),
                    message: error.without_url().to_string(),
                    connect: false,
                }
            }
        };
        tracing::debug!(operation, "calling Zendesk's OAuth token endpoint");
        let response = self
            .http
            .post(self.endpoints.token_url())
            .header(ACCEPT, "application/json")
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        drop(body);
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        if !status.is_success() {
            return Err(token_endpoint_error(operation, status.as_u16(), &bytes));
        }
        TokenSet::from_response(&bytes, now_unix()).map_err(|message| Error::OAuth {
            operation,
            status: Some(status.as_u16()),
            code: None,
            message,
        })
    }
}

/// `read write` from `read,write`, `read  write` or `["read" "write"]`-ish input.
fn normalize_scope(scope: &str) -> String {
    scope
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An error answer of the token endpoint (`{"error": "invalid_grant", "error_description":
/// ...}`), in Zendesk's words.
fn token_endpoint_error(operation: &'static str, status: u16, body: &[u8]) -> Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |key: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let code = field("error");
    let description = field("error_description");
    let said = match (&code, &description) {
        (Some(code), Some(description)) => format!("{code}: {description}"),
        (Some(code), None) => code.clone(),
        _ => ErrorBody::parse(body).message(),
    };
    let mut message = format!("Zendesk answered {status}: {said}");
    if matches!(code.as_deref(), Some("invalid_grant")) && operation.starts_with("refreshing") {
        message.push_str(" (the sign-in has expired or was revoked; sign in again)");
    }
    Error::OAuth {
        operation,
        status: Some(status),
        code,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_from_subdomain_and_base_url() {
        let acme = OAuthEndpoints::for_subdomain("https://Acme.zendesk.com").unwrap();
        assert_eq!(acme.account(), "https://acme.zendesk.com");
        assert_eq!(acme.subdomain().as_deref(), Some("acme"));
        assert_eq!(
            acme.authorize_url().as_str(),
            "https://acme.zendesk.com/oauth/authorizations/new"
        );
        assert_eq!(
            acme.token_url().as_str(),
            "https://acme.zendesk.com/oauth/tokens"
        );
        let local = OAuthEndpoints::for_base_url("http://127.0.0.1:8080/api/v2").unwrap();
        assert_eq!(local.account(), "http://127.0.0.1:8080");
        assert_eq!(local.subdomain(), None);
        assert_eq!(
            local.token_url().as_str(),
            "http://127.0.0.1:8080/oauth/tokens"
        );
        let proxied = OAuthEndpoints::for_base_url("https://proxy.example/zendesk/").unwrap();
        assert_eq!(
            proxied.token_url().as_str(),
            "https://proxy.example/zendesk/oauth/tokens"
        );
        assert!(OAuthEndpoints::for_subdomain("evil.com/x").is_err());
        assert!(OAuthEndpoints::for_base_url("ftp://x").is_err());
    }

    #[test]
    fn authorization_url_carries_pkce_and_state() {
        let endpoints = OAuthEndpoints::for_subdomain("acme").unwrap();
        let client = OAuthClient::new(endpoints, OAuthApp::public("zd_cli")).unwrap();
        let request = client.authorization_request("http://127.0.0.1:5000/callback", "read,write");
        let pairs: std::collections::HashMap<_, _> =
            request.url().query_pairs().into_owned().collect();
        assert_eq!(request.url().path(), "/oauth/authorizations/new");
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["client_id"], "zd_cli");
        assert_eq!(pairs["redirect_uri"], "http://127.0.0.1:5000/callback");
        assert_eq!(pairs["scope"], "read write");
        assert_eq!(pairs["state"], request.state());
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(
            pairs["code_challenge"],
            s256_challenge(request.pkce().verifier_str())
        );
        assert!(
            !request
                .url()
                .as_str()
                .contains(request.pkce().verifier_str())
        );
        assert!(request.check_state(Some(request.state())).is_ok());
        let refused = request.check_state(Some("forged")).unwrap_err();
        assert_eq!(refused.code(), Some("state_mismatch"));
        assert!(request.check_state(None).is_err());
    }

    #[test]
    fn token_answers_are_read_and_never_shown() {
        let body = br#"{"access_token":"AT-secret-1","token_type":"bearer","scope":"read write",
            "refresh_token":"RT-secret-1","expires_in":3600,"refresh_token_expires_in":604800}"#;
        let tokens = TokenSet::from_response(body, 1_000).unwrap();
        assert_eq!(tokens.expires_at, Some(4_600));
        assert_eq!(tokens.refresh_token_expires_at, Some(605_800));
        assert_eq!(tokens.scope.as_deref(), Some("read write"));
        assert!(tokens.expires_within(Duration::from_secs(60), 4_550));
        assert!(!tokens.expires_within(Duration::from_secs(60), 4_500));
        let debug = format!("{tokens:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert!(TokenSet::from_response(br#"{"token_type":"bearer"}"#, 0).is_err());
        assert!(TokenSet::from_response(br#"{"access_token":"x","token_type":"mac"}"#, 0).is_err());
        let no_expiry =
            TokenSet::from_response(br#"{"access_token":"x","expires_in":null}"#, 5).unwrap();
        assert_eq!(no_expiry.expires_at, None);
        assert!(!no_expiry.expires_within(Duration::from_secs(60), u64::MAX - 1));
    }

    #[test]
    fn app_debug_hides_the_secret() {
        let app = OAuthApp::confidential("zd_cli", "client-s3cret");
        let debug = format!("{app:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(OAuthApp::public(" ").validate().is_err());
    }
}
