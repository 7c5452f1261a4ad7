//! Credentials and the `Authorization` header they produce. Secrets live in
//! `secrecy::SecretString` and are exposed only here, at the moment the header is built, so
//! they never reach `Debug` output, logs or error messages.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::oauth::TokenSource;

/// How the client proves who it is to Zendesk.
///
/// `Debug` shows the kind and the email, never the token or password.
#[derive(Clone)]
pub enum Auth {
    /// An API token: `Authorization: Basic base64("{email}/token:{token}")`.
    ApiToken {
        /// The agent's email address.
        email: String,
        /// The API token (secret).
        token: SecretString,
    },
    /// An OAuth access token: `Authorization: Bearer {token}`.
    OAuth {
        /// The access token (secret).
        token: SecretString,
    },
    /// An OAuth sign-in that renews itself: the access token of a [`TokenSource`], refreshed
    /// before it expires and once on a 401 (see [`crate::oauth`]).
    OAuthSource(TokenSource),
    /// Email and password (where the account still allows it):
    /// `Authorization: Basic base64("{email}:{password}")`.
    Password {
        /// The user's email address.
        email: String,
        /// The password (secret).
        password: SecretString,
    },
}

impl Auth {
    /// API-token authentication (`{email}/token:{token}`).
    pub fn api_token(email: impl Into<String>, token: impl Into<String>) -> Self {
        Self::ApiToken {
            email: email.into(),
            token: SecretString::from(token.into()),
        }
    }

    /// OAuth bearer-token authentication.
    pub fn oauth(token: impl Into<String>) -> Self {
        Self::OAuth {
            token: SecretString::from(token.into()),
        }
    }

    /// OAuth through a self-refreshing [`TokenSource`].
    pub fn oauth_source(source: TokenSource) -> Self {
        Self::OAuthSource(source)
    }

    /// Email and password authentication.
    pub fn password(email: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Password {
            email: email.into(),
            password: SecretString::from(password.into()),
        }
    }

    /// The kind of credential, for messages: `api token`, `oauth`, `password`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::ApiToken { .. } => "api token",
            Self::OAuth { .. } | Self::OAuthSource(_) => "oauth",
            Self::Password { .. } => "password",
        }
    }

    /// Checks the parts are usable in a header; names the bad part, never shows a secret.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let secret_ok = |s: &SecretString| {
            let s = s.expose_secret();
            !s.trim().is_empty() && !s.chars().any(char::is_control)
        };
        match self {
            Self::ApiToken { email, token } => {
                check_email(email)?;
                if !secret_ok(token) {
                    return Err("the API token is empty or contains control characters".into());
                }
            }
            Self::OAuth { token } => {
                if !secret_ok(token) {
                    return Err("the OAuth token is empty or contains control characters".into());
                }
            }
            Self::Password { email, password } => {
                check_email(email)?;
                if !secret_ok(password) {
                    return Err("the password is empty or contains control characters".into());
                }
            }
            // Checked when the source was made, and at every refresh.
            Self::OAuthSource(_) => {}
        }
        Ok(())
    }

    /// The `Authorization` header value, marked sensitive so HTTP tooling does not print it.
    /// `None` for a [`TokenSource`], whose header changes as it refreshes.
    pub(crate) fn header_value(&self) -> Option<HeaderValue> {
        let raw = match self {
            Self::OAuthSource(_) => return None,
            Self::ApiToken { email, token } => format!(
                "Basic {}",
                STANDARD.encode(format!("{email}/token:{}", token.expose_secret()))
            ),
            Self::OAuth { token } => format!("Bearer {}", token.expose_secret()),
            Self::Password { email, password } => format!(
                "Basic {}",
                STANDARD.encode(format!("{email}:{}", password.expose_secret()))
            ),
        };
        let mut value = HeaderValue::from_str(&raw).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

fn check_email(email: &str) -> Result<(), String> {
    let email = email.trim();
    if email.is_empty() {
        return Err("email is empty: expected an address such as agent@example.com".into());
    }
    // A `:` would split Basic credentials in the wrong place; control characters break headers.
    if !email.contains('@') || email.contains(':') || email.chars().any(char::is_control) {
        return Err(format!(
            "email {email:?} is not an address: expected a form such as agent@example.com"
        ));
    }
    Ok(())
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiToken { email, .. } => f
                .debug_struct("ApiToken")
                .field("email", email)
                .field("token", &"[redacted]")
                .finish(),
            Self::OAuth { .. } => f
                .debug_struct("OAuth")
                .field("token", &"[redacted]")
                .finish(),
            Self::OAuthSource(source) => f.debug_tuple("OAuthSource").field(source).finish(),
            Self::Password { email, .. } => f
                .debug_struct("Password")
                .field("email", email)
                .field("password", &"[redacted]")
                .finish(),
        }
    }
}
