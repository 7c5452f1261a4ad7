//! Who is calling: HTTP Basic with an API token (`{email}/token:{token}`) or a password
//! (`{email}:{password}`), or `Bearer {oauth_token}`. Bad or missing credentials are 401
//! `{"error": "Couldn't authenticate you"}`; a role or OAuth scope that does not allow the call is
//! 403 Forbidden. Credentials are compared through their hashes and never logged.

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;
use base64::Engine;

use crate::AppState;
use crate::error::ApiError;
use crate::rules::credentials::{hash_secret, password_matches};
use crate::store::Principal;

/// Zendesk's three roles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    EndUser,
    Agent,
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "end-user" => Some(Role::EndUser),
            "agent" => Some(Role::Agent),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The authenticated user making a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub id: i64,
    pub role: Role,
}

impl Caller {
    /// Agents and admins only.
    pub fn require_agent(&self) -> Result<(), ApiError> {
        if self.role >= Role::Agent {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Admins only.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    pub fn is_agent(&self) -> bool {
        self.role >= Role::Agent
    }
}

/// The caller when credentials were given; `None` for an anonymous request. Bad credentials are
/// still a 401.
pub struct MaybeCaller(pub Option<Caller>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match authenticate(parts, state).await? {
            Some(caller) => Ok(caller),
            None => Err(ApiError::Unauthorized),
        }
    }
}

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authenticate(parts, state).await.map(MaybeCaller)
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let header = header.to_str().map_err(|_| ApiError::Unauthorized)?.trim();
    let store = state.store();
    let principal: Option<Principal> = if let Some(encoded) = strip_scheme(header, "basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| ApiError::Unauthorized)?;
        let decoded = String::from_utf8(decoded).map_err(|_| ApiError::Unauthorized)?;
        let (user, secret) = decoded.split_once(':').ok_or(ApiError::Unauthorized)?;
        let (user, secret) = (user.to_string(), secret.to_string());
        match user.strip_suffix("/token") {
            Some(email) => {
                let (email, hash) = (email.to_string(), hash_secret(&secret));
                store
                    .read(move |reader| reader.principal_by_api_token(&email, &hash))
                    .await?
            }
            None => store
                .read(move |reader| reader.principal_by_email(&user))
                .await?
                .and_then(|(principal, stored)| {
                    password_matches(&secret, &stored).then_some(principal)
                }),
        }
    } else if let Some(token) = strip_scheme(header, "bearer") {
        let hash = hash_secret(token.trim());
        store
            .read(move |reader| reader.principal_by_oauth_token(&hash))
            .await?
    } else {
        None
    };
    let Some(principal) = principal else {
        return Err(ApiError::Unauthorized);
    };
    if !principal.active {
        return Err(ApiError::Unauthorized);
    }
    let role = Role::parse(&principal.role).unwrap_or(Role::EndUser);
    if let Some(scopes) = &principal.scopes {
        let reading = parts.method == Method::GET || parts.method == Method::HEAD;
        let allowed =
            scopes.iter().any(|s| s == "write") || (reading && scopes.iter().any(|s| s == "read"));
        if !allowed {
            return Err(ApiError::Forbidden);
        }
    }
    Ok(Some(Caller {
        id: principal.user_id,
        role,
    }))
}

fn strip_scheme<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}
