//! OAuth access tokens, as Zendesk's OAuth Tokens API shows them: the scope vocabulary, token
//! lifetimes, minting a token directly (`POST /api/v2/oauth/tokens`, admins), listing and
//! showing tokens (never a token's value after it was handed out), and revoking them. How codes
//! and refresh tokens become tokens is in `oauth_grants`; clients are in `oauth_clients`.

use serde_json::{Map, Value, json};

use super::check_ref;
use super::credentials::Secrets;
use super::input::opt_id;
use crate::caller::{Caller, Role};
use crate::error::ApiError;
use crate::store::{ClientKey, NewOAuthToken, OAuthTokenRow, Reader, Revocation, Table, Writer};
use crate::util::{iso, now, random_token};

/// Resources Zendesk lets a token be scoped to (`tickets:read`), with the accesses each takes.
/// The sandbox serves only some of them; a scope for another one is accepted (a client asking a
/// real Zendesk for it works) and grants nothing here.
const SCOPE_RESOURCES: &[(&str, &[&str])] = &[
    ("tickets", &["read", "write"]),
    ("users", &["read", "write"]),
    ("organizations", &["read", "write"]),
    ("auditlogs", &["read"]),
    ("hc", &["read", "write"]),
    ("apps", &["read", "write"]),
    ("triggers", &["read", "write"]),
    ("automations", &["read", "write"]),
    ("targets", &["read", "write"]),
    ("webhooks", &["read", "write"]),
    ("macros", &["read", "write"]),
    ("requests", &["read", "write"]),
    ("satisfaction_ratings", &["read", "write"]),
    ("dynamic_content", &["read", "write"]),
    ("any_channel", &["write"]),
    ("web_widget", &["write"]),
];

/// Checks one scope name: `read`, `write`, or `resource:read|write` for a resource Zendesk
/// scopes. `impersonate` is refused: the sandbox does not act on behalf of end-users.
pub fn check_scope(scope: &str) -> Result<(), String> {
    if scope == "read" || scope == "write" {
        return Ok(());
    }
    if let Some((resource, access)) = scope.split_once(':')
        && let Some((_, accesses)) = SCOPE_RESOURCES.iter().find(|(r, _)| *r == resource)
    {
        if accesses.contains(&access) {
            return Ok(());
        }
        return Err(format!(
            "`{scope}` is not a scope: {resource} takes {}",
            accesses
                .iter()
                .map(|a| format!("{resource}:{a}"))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    Err(format!(
        "`{scope}` is not a scope: use read, write, or resource:read / resource:write for a \
         resource such as tickets, users or organizations (for example \"read tickets:write\")"
    ))
}

/// A space-separated scope string (`"read tickets:write"`) as a list, each scope checked; the
/// list is never empty.
pub fn parse_scope(text: &str) -> Result<Vec<String>, String> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in text.split(' ').filter(|s| !s.is_empty()) {
        check_scope(scope)?;
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    if scopes.is_empty() {
        return Err(
            "no scope given: send space-separated scopes such as \"read write\" or \"tickets:read\""
                .into(),
        );
    }
    Ok(scopes)
}

/// The token lifetimes the token endpoint accepts (Zendesk's bounds unless a test lowers the
/// floors), and the defaults it applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OAuthLifetimes {
    /// The shortest `expires_in` accepted (Zendesk: 300 s).
    pub shortest_access: i64,
    /// The shortest `refresh_token_expires_in` accepted (Zendesk: 7 days).
    pub shortest_refresh: i64,
}

/// Zendesk's bounds: access tokens 300 s to 2 days, refresh tokens 7 to 90 days (30 by default).
pub const LONGEST_ACCESS: i64 = 172_800;
pub const LONGEST_REFRESH: i64 = 7_776_000;
pub const DEFAULT_REFRESH: i64 = 2_592_000;

impl OAuthLifetimes {
    /// Zendesk's limits.
    pub const fn zendesk() -> OAuthLifetimes {
        OAuthLifetimes {
            shortest_access: 300,
            shortest_refresh: 604_800,
        }
    }

    /// Any lifetime from one second: for tests of expiry and refresh that cannot wait minutes.
    pub const fn any() -> OAuthLifetimes {
        OAuthLifetimes {
            shortest_access: 1,
            shortest_refresh: 1,
        }
    }

    /// The access and refresh token lifetimes asked for (`expires_in`,
    /// `refresh_token_expires_in`, numbers or digit strings), checked against the bounds:
    /// (access: None = never expires, refresh).
    pub fn requested(
        &self,
        expires_in: Option<&Value>,
        refresh_token_expires_in: Option<&Value>,
    ) -> Result<(Option<i64>, i64), String> {
        let seconds = |name: &str, value: Option<&Value>| -> Result<Option<i64>, String> {
            match value {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if s.is_empty() => Ok(None),
                Some(v) => super::input::as_id(v).map(Some).ok_or_else(|| {
                    format!("{name} must be a whole number of seconds, such as 3600; got {v}")
                }),
            }
        };
        let access = seconds("expires_in", expires_in)?;
        let refresh = seconds("refresh_token_expires_in", refresh_token_expires_in)?;
        if let Some(access) = access
            && !(self.shortest_access..=LONGEST_ACCESS).contains(&access)
        {
            return Err(format!(
                "expires_in must be between {} and {LONGEST_ACCESS} seconds; got {access}",
                self.shortest_access
            ));
        }
        if let Some(refresh) = refresh
            && !(self.shortest_refresh..=LONGEST_REFRESH).contains(&refresh)
        {
            return Err(format!(
                "refresh_token_expires_in must be between {} and {LONGEST_REFRESH} seconds; got {refresh}",
                self.shortest_refresh
            ));
        }
        let refresh = refresh.unwrap_or(DEFAULT_REFRESH);
        if let Some(access) = access
            && access > refresh
        {
            return Err(format!(
                "expires_in ({access}) must not be longer than refresh_token_expires_in ({refresh})"
            ));
        }
        Ok((access, refresh))
    }
}

impl Default for OAuthLifetimes {
    fn default() -> Self {
        OAuthLifetimes::zendesk()
    }
}

/// A fresh access token and its refresh token, stored as hashes; the values are returned this
/// once. `lifetimes`: (access expiry, refresh expiry) in seconds from now; no refresh token when
/// the refresh lifetime is None.
pub struct Issued {
    pub id: i64,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("id", &self.id)
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// What a new token is for.
pub struct TokenGrant<'a> {
    pub user_id: i64,
    pub client: Option<i64>,
    pub scopes: &'a [String],
    /// Seconds the access token lives; None: until revoked.
    pub access_lifetime: Option<i64>,
    /// Seconds the refresh token lives; None: no refresh token.
    pub refresh_lifetime: Option<i64>,
    pub grant_id: Option<i64>,
}

/// Stores a new token (hashes only) and returns its values once.
pub fn issue(
    tx: &mut dyn Writer,
    secrets: &Secrets,
    grant: &TokenGrant<'_>,
) -> Result<Issued, ApiError> {
    let at = now();
    let access_token = random_token();
    let refresh_token = grant.refresh_lifetime.map(|_| random_token());
    let token_hash = secrets.token_hash(&access_token).keyed;
    let refresh_hash = refresh_token
        .as_deref()
        .map(|t| secrets.token_hash(t).keyed);
    let scopes = grant.scopes.join(" ");
    let id = tx.insert_oauth_token(&NewOAuthToken {
        user_id: grant.user_id,
        token_hash: &token_hash,
        refresh_token_hash: refresh_hash.as_deref(),
        client: grant.client,
        scopes: &scopes,
        expires_at: grant.access_lifetime.map(|s| at + s),
        refresh_token_expires_at: grant.refresh_lifetime.map(|s| at + s),
        grant_id: grant.grant_id,
    })?;
    Ok(Issued {
        id,
        access_token,
        refresh_token,
    })
}

/// A token as the OAuth Tokens API shows it: never its value nor its refresh token's (both
/// `null`), only when it was made and until when it works.
pub fn token_json(row: &OAuthTokenRow, base: &str) -> Value {
    let time = |t: Option<i64>| t.map(iso);
    json!({
        "url": format!("{base}/api/v2/oauth/tokens/{}.json", row.id),
        "id": row.id,
        "user_id": row.user_id,
        "client_id": row.client,
        "token": null,
        "refresh_token": null,
        "scopes": row.scopes.split(' ').filter(|s| !s.is_empty()).collect::<Vec<_>>(),
        "created_at": iso(row.created_at),
        "used_at": null,
        "expires_at": time(row.expires_at),
        "refresh_token_expires_at": time(row.refresh_token_expires_at),
    })
}

/// Whether a token still works now: not revoked, and its access token or refresh token not
/// expired.
pub fn usable(row: &OAuthTokenRow, at: i64) -> bool {
    let live = |expiry: Option<i64>| expiry.is_none_or(|e| at < e);
    row.revoked_at.is_none()
        && (live(row.expires_at) || (row.has_refresh_token && live(row.refresh_token_expires_at)))
}

/// `POST /api/v2/oauth/tokens` (admins): mints an access token for the caller, or for
/// `user_id`, with `scopes` (an array: `["read", "write"]`, `["tickets:read"]`) and optionally
/// the client's resource `client_id`. As on Zendesk it does not expire and has no refresh
/// token. Returns the token's JSON with `full_token`, shown this once.
pub fn create_token(
    tx: &mut dyn Writer,
    secrets: &Secrets,
    caller: &Caller,
    input: &Map<String, Value>,
    base: &str,
) -> Result<Value, ApiError> {
    let user_id = opt_id(input, "user_id")?.flatten().unwrap_or(caller.id);
    if user_id != caller.id && caller.role != Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let scopes: Vec<String> = match input.get("scopes") {
        None | Some(Value::Null) => vec!["read".into(), "write".into()],
        Some(Value::Array(items)) => {
            let mut scopes = Vec::new();
            for item in items {
                let Some(scope) = item.as_str() else {
                    return Err(invalid_scopes(format!("{item} is not a scope name")));
                };
                check_scope(scope).map_err(invalid_scopes)?;
                scopes.push(scope.to_string());
            }
            if scopes.is_empty() {
                return Err(invalid_scopes("the list is empty".into()));
            }
            scopes
        }
        Some(other) => {
            return Err(invalid_scopes(format!("got {other}")));
        }
    };
    let client = match opt_id(input, "client_id")?.flatten() {
        Some(id) => {
            if tx.oauth_client(ClientKey::Id(id))?.is_none() {
                return Err(ApiError::invalid(
                    "client_id",
                    format!(
                        "Client: no OAuth client has id {id}; GET /api/v2/oauth/clients lists them"
                    ),
                    "InvalidValue",
                ));
            }
            Some(id)
        }
        None => None,
    };
    check_ref(tx, "user_id", "User", Table::Users, Some(user_id))?;
    let issued = issue(
        tx,
        secrets,
        &TokenGrant {
            user_id,
            client,
            scopes: &scopes,
            access_lifetime: None,
            refresh_lifetime: None,
            grant_id: None,
        },
    )?;
    let row = tx
        .oauth_token(issued.id)?
        .ok_or_else(|| ApiError::Internal("the new token was not stored".into()))?;
    let mut shown = token_json(&row, base);
    shown["token"] = json!(&issued.access_token[..10]);
    shown["full_token"] = json!(issued.access_token);
    Ok(shown)
}

fn invalid_scopes(why: String) -> ApiError {
    ApiError::invalid(
        "scopes",
        format!(
            "Scopes: must be an array of scopes such as [\"read\", \"write\"] or [\"tickets:read\"]: {why}"
        ),
        "InvalidValue",
    )
}

/// `GET /api/v2/oauth/tokens`: the caller's live tokens; with `all`, an admin's view of every
/// user's. `client` narrows to one client; `include_expired` keeps tokens that no longer work
/// (but are not revoked).
pub fn list_tokens(
    tx: &mut dyn Reader,
    caller: &Caller,
    all: bool,
    client: Option<i64>,
    include_expired: bool,
) -> Result<Vec<OAuthTokenRow>, ApiError> {
    if all && caller.role != Role::Admin {
        return Err(ApiError::ForbiddenBecause(
            "only admins may list every user's tokens (all=true); leave `all` out to list yours"
                .into(),
        ));
    }
    let at = now();
    let owner = (!all).then_some(caller.id);
    Ok(tx
        .oauth_tokens(owner, client)?
        .into_iter()
        .filter(|row| include_expired || usable(row, at))
        .collect())
}

/// One token the caller may see: their own, or any for an admin. Others are 404, as if absent.
pub fn visible_token(
    tx: &mut dyn Reader,
    caller: &Caller,
    id: i64,
) -> Result<OAuthTokenRow, ApiError> {
    match tx.oauth_token(id)? {
        Some(row)
            if row.revoked_at.is_none()
                && (row.user_id == caller.id || caller.role == Role::Admin) =>
        {
            Ok(row)
        }
        _ => Err(ApiError::NotFound),
    }
}

/// `DELETE /api/v2/oauth/tokens/{id}` (the owner or an admin): the access token and its
/// refresh token stop working at once.
pub fn revoke_token(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    visible_token(tx, caller, id)?;
    tx.revoke_oauth_tokens(Revocation::Token(id))?;
    Ok(())
}

/// The calling token, for `/api/v2/oauth/tokens/current`; a 400 naming what to send when the
/// request was not authenticated with an OAuth token.
pub fn current_token_id(token: Option<i64>) -> Result<i64, ApiError> {
    token.ok_or_else(|| {
        ApiError::bad_value(
            "/oauth/tokens/current names the OAuth token a request is authenticated with: send \
             `Authorization: Bearer {access_token}`, or use /oauth/tokens/{id} with an id from \
             GET /api/v2/oauth/tokens",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_zendesks_vocabulary() {
        assert_eq!(
            parse_scope("read  tickets:write read").unwrap(),
            ["read", "tickets:write"]
        );
        assert!(parse_scope("").is_err());
        assert!(parse_scope("admin").unwrap_err().contains("read, write"));
        assert!(
            parse_scope("auditlogs:write")
                .unwrap_err()
                .contains("auditlogs:read")
        );
        assert!(parse_scope("impersonate").is_err());
        assert!(parse_scope("web_widget:write").is_ok());
    }

    #[test]
    fn lifetimes_keep_zendesks_bounds_unless_lowered() {
        let zendesk = OAuthLifetimes::zendesk();
        assert_eq!(zendesk.requested(None, None), Ok((None, DEFAULT_REFRESH)));
        assert_eq!(
            zendesk.requested(Some(&json!(3600)), Some(&json!("604800"))),
            Ok((Some(3600), 604_800))
        );
        assert!(zendesk.requested(Some(&json!(5)), None).is_err());
        assert!(zendesk.requested(Some(&json!(200_000)), None).is_err());
        assert!(zendesk.requested(None, Some(&json!(60))).is_err());
        assert!(zendesk.requested(Some(&json!("soon")), None).is_err());
        let any = OAuthLifetimes::any();
        assert_eq!(
            any.requested(Some(&json!(2)), Some(&json!(60))),
            Ok((Some(2), 60))
        );
        assert!(any.requested(Some(&json!(61)), Some(&json!(60))).is_err());
        assert!(any.requested(Some(&json!(0)), None).is_err());
    }
}
