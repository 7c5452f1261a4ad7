//! How the sandbox hands out OAuth tokens, as Zendesk's OAuth server does: the authorization
//! request (`/oauth/authorizations/new`: which client, which registered redirect URI, which
//! scopes, PKCE), the single-use authorization code it ends in (120 s), and the token endpoint
//! (`POST /oauth/tokens`) for the `authorization_code` grant (PKCE S256 checked, the same
//! redirect URI), the `refresh_token` grant (rotating: the old refresh token and its access
//! token stop working) and the `client_credentials` grant (confidential clients).
//!
//! Refusals are OAuth's (RFC 6749 §4.1.2.1, §5.2): `{"error": "invalid_grant",
//! "error_description": ...}`. None leaves a usable token behind: a code is spent by the first
//! attempt to exchange it, right or wrong, and a code or refresh token presented a second time
//! revokes every token of its authorization (it may have been stolen). Because those changes
//! must stick while the request is refused, the token endpoint answers `Ok(Err(refusal))`:
//! the transaction commits, and the route renders the refusal.

use base64::Engine;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::credentials::Secrets;
use super::oauth::{Issued, OAuthLifetimes, TokenGrant, issue, parse_scope};
use super::oauth_clients::redirect_uri_registered;
use crate::error::ApiError;
use crate::store::{ClientKey, OAuthClientRow, OAuthCode, Reader, Revocation, Writer};
use crate::util::{now, random_token};

/// How long an authorization code can be exchanged (Zendesk: 120 s).
pub const CODE_LIFETIME: i64 = 120;

/// An OAuth refusal: the HTTP status, RFC 6749's error code and a description saying what to
/// do. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }

    fn request(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "invalid_request", description)
    }

    fn grant(description: impl Into<String>) -> OAuthError {
        OAuthError::new(400, "invalid_grant", description)
    }

    fn client(description: impl Into<String>) -> OAuthError {
        OAuthError::new(401, "invalid_client", description)
    }

    /// `{"error", "error_description"}`.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

/// The parameters of a request (a query string or a form body), as sent.
pub type Pairs = [(String, String)];

/// The one value of `key`; sent twice is refused (RFC 6749 §3.1), empty counts as absent.
fn single<'a>(pairs: &'a Pairs, key: &str) -> Result<Option<&'a str>, String> {
    let mut values = pairs
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(format!("{key} was sent more than once"));
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// A checked authorization request, ready for the user's decision.
#[derive(Clone, Debug)]
pub struct AuthorizationRequest {
    pub client: OAuthClientRow,
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
}

impl AuthorizationRequest {
    /// The client's id (`oauth_clients.id`).
    pub fn client_id(&self) -> i64 {
        self.client.json["id"].as_i64().unwrap_or_default()
    }

    /// Where the browser goes when the user allows: the redirect URI with `code` and `state`.
    pub fn approved(&self, code: &str) -> String {
        let mut pairs = vec![("code", code)];
        if let Some(state) = &self.state {
            pairs.push(("state", state));
        }
        with_query(&self.redirect_uri, &pairs)
    }

    /// Where the browser goes when the user denies: `error=access_denied` and `state`.
    pub fn denied(&self) -> String {
        self.refused(
            "access_denied",
            "The end-user or authorization server denied the request.",
        )
    }

    fn refused(&self, error: &str, description: &str) -> String {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if let Some(state) = &self.state {
            pairs.push(("state", state));
        }
        with_query(&self.redirect_uri, &pairs)
    }
}

/// Why an authorization request cannot go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizationRefusal {
    /// The client or the redirect URI cannot be trusted: an error page, never a redirect
    /// (RFC 6749 §4.1.2.1), so nothing is sent to an unregistered address.
    Page(String),
    /// The client may hear why: the browser goes back to its redirect URI with `error`.
    Redirect(String),
}

/// Checks an authorization request's parameters (`response_type=code`, `client_id`,
/// `redirect_uri`, `scope`, `state`, `code_challenge`, `code_challenge_method=S256`).
pub fn check_authorization(
    tx: &mut dyn Reader,
    params: &Pairs,
) -> Result<Result<AuthorizationRequest, AuthorizationRefusal>, ApiError> {
    let page = |message: String| Ok(Err(AuthorizationRefusal::Page(message)));
    let get = |key: &str| single(params, key);
    let (client_id, redirect_uri) = match (get("client_id"), get("redirect_uri")) {
        (Ok(Some(c)), Ok(Some(r))) => (c, r),
        (Err(why), _) | (_, Err(why)) => return page(why),
        (Ok(None), _) => {
            return page(
                "The request has no client_id: the application must name its OAuth client's \
                 unique identifier."
                    .into(),
            );
        }
        (_, Ok(None)) => {
            return page(
                "The request has no redirect_uri: the application must name one of its OAuth \
                 client's redirect URLs."
                    .into(),
            );
        }
    };
    let Some(client) = tx.oauth_client(ClientKey::Identifier(client_id))? else {
        return page(format!(
            "No OAuth client has the identifier \"{client_id}\". An admin registers it in \
             Admin Center (POST /api/v2/oauth/clients)."
        ));
    };
    let registered: Vec<String> = client.json["redirect_uri"]
        .as_array()
        .map(|uris| {
            uris.iter()
                .filter_map(|u| u.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if !redirect_uri_registered(&registered, redirect_uri) {
        return page(format!(
            "The redirect URL {redirect_uri} is not registered for the OAuth client \
             \"{client_id}\", so this sign-in stops here. An admin can add it to the client's \
             redirect URLs."
        ));
    }
    // From here on the redirect URI is trusted: errors go back to the application.
    let state = match get("state") {
        Ok(state) => state.map(str::to_string),
        Err(why) => return page(why),
    };
    let mut request = AuthorizationRequest {
        client,
        redirect_uri: redirect_uri.to_string(),
        scopes: Vec::new(),
        state,
        code_challenge: None,
    };
    let back = |request: &AuthorizationRequest, error: &str, description: &str| {
        Ok(Err(AuthorizationRefusal::Redirect(
            request.refused(error, description),
        )))
    };
    for key in [
        "response_type",
        "scope",
        "code_challenge",
        "code_challenge_method",
    ] {
        if let Err(why) = get(key) {
            return back(&request, "invalid_request", &why);
        }
    }
    match get("response_type").ok().flatten() {
        Some("code") => {}
        Some(other) => {
            return back(
                &request,
                "unsupported_response_type",
                &format!(
                    "response_type {other} is not supported: use response_type=code (the \
                     implicit grant is retired)"
                ),
            );
        }
        None => {
            return back(
                &request,
                "invalid_request",
                "response_type is required: send response_type=code",
            );
        }
    }
    match parse_scope(get("scope").ok().flatten().unwrap_or("")) {
        Ok(scopes) => request.scopes = scopes,
        Err(why) => return back(&request, "invalid_scope", &why),
    }
    let challenge = get("code_challenge").ok().flatten();
    let method = get("code_challenge_method").ok().flatten();
    match (challenge, method) {
        (Some(challenge), Some("S256")) => {
            if !is_s256_challenge(challenge) {
                return back(
                    &request,
                    "invalid_request",
                    "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)",
                );
            }
            request.code_challenge = Some(challenge.to_string());
        }
        (Some(_), _) => {
            return back(
                &request,
                "invalid_request",
                "code_challenge_method must be S256 (plain is not accepted)",
            );
        }
        (None, Some(_)) => {
            return back(
                &request,
                "invalid_request",
                "code_challenge_method was sent without a code_challenge",
            );
        }
        (None, None) if request.client.json["kind"] == "public" => {
            return back(
                &request,
                "invalid_request",
                "a public client must use PKCE: send code_challenge and code_challenge_method=S256",
            );
        }
        (None, None) => {}
    }
    Ok(Ok(request))
}

/// The user allowed: a single-use code for `user_id`, stored as its hash. Returns where the
/// browser goes next (the redirect URI with `code` and `state`).
pub fn approve(
    tx: &mut dyn Writer,
    secrets: &Secrets,
    request: &AuthorizationRequest,
    user_id: i64,
) -> Result<String, ApiError> {
    let code = random_token();
    tx.insert_oauth_code(
        &secrets.token_hash(&code).keyed,
        &OAuthCode {
            id: 0,
            client: request.client_id(),
            user_id,
            redirect_uri: request.redirect_uri.clone(),
            scopes: request.scopes.join(" "),
            code_challenge: request.code_challenge.clone(),
            expires_at: now() + CODE_LIFETIME,
            used_at: None,
        },
    )?;
    Ok(request.approved(&code))
}

/// The client authenticating at the token endpoint: from HTTP Basic (`client_id:client_secret`)
/// or the body's `client_id` / `client_secret`.
pub struct ClientAuth {
    pub identifier: Option<String>,
    pub secret: Option<String>,
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuth")
            .field("identifier", &self.identifier)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// `POST /oauth/tokens`: `grant_type` `authorization_code`, `refresh_token` or
/// `client_credentials`. The inner `Err` is a refusal whose side effects (a spent code, revoked
/// tokens) are kept.
pub fn token(
    tx: &mut dyn Writer,
    secrets: &Secrets,
    lifetimes: &OAuthLifetimes,
    input: &Map<String, Value>,
    basic: Option<ClientAuth>,
) -> Result<Result<Value, OAuthError>, ApiError> {
    let text = |key: &str| -> Result<Option<String>, OAuthError> {
        match input.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(OAuthError::request(format!(
                "{key} must be a string, got {other}"
            ))),
        }
    };
    macro_rules! attempt {
        ($e:expr) => {
            match $e {
                Ok(v) => v,
                Err(refusal) => return Ok(Err(refusal)),
            }
        };
    }
    let grant_type = attempt!(text("grant_type"));
    let grant_type = match grant_type.as_deref() {
        Some(g @ ("authorization_code" | "refresh_token" | "client_credentials")) => g.to_string(),
        Some("password") => {
            return Ok(Err(OAuthError::new(
                400,
                "unsupported_grant_type",
                "the password grant is retired: use authorization_code (with PKCE)",
            )));
        }
        Some(other) => {
            return Ok(Err(OAuthError::new(
                400,
                "unsupported_grant_type",
                format!(
                    "grant_type {other} is not supported: use authorization_code, refresh_token or client_credentials"
                ),
            )));
        }
        None => {
            return Ok(Err(OAuthError::request(
                "grant_type is required: authorization_code, refresh_token or client_credentials",
            )));
        }
    };
    let body_auth = ClientAuth {
        identifier: attempt!(text("client_id")),
        secret: attempt!(text("client_secret")),
    };
    let client = attempt!(authenticate_client(tx, secrets, basic, body_auth)?);
    let client_id = client.json["id"].as_i64().unwrap_or_default();
    let (access_lifetime, refresh_lifetime) = attempt!(
        lifetimes
            .requested(
                input.get("expires_in"),
                input.get("refresh_token_expires_in")
            )
            .map_err(OAuthError::request)
    );
    let asked_scope = attempt!(text("scope"));
    match grant_type.as_str() {
        "authorization_code" => {
            let code = attempt!(attempt!(text("code")).ok_or_else(|| OAuthError::request(
                "code is required: the code the redirect brought back"
            )));
            let Some(stored) = tx.oauth_code(&secrets.token_hash(&code).keyed)? else {
                return Ok(Err(OAuthError::grant(
                    "the authorization code is not valid: sign in again",
                )));
            };
            // Spent by this attempt whatever follows; a second attempt (this one, if another
            // got here first) revokes what the first was given.
            if stored.used_at.is_some() || !tx.spend_oauth_code(stored.id)? {
                tx.revoke_oauth_tokens(Revocation::Grant(stored.id))?;
                return Ok(Err(OAuthError::grant(
                    "the authorization code was already used; the tokens issued for it are \
                     revoked: sign in again",
                )));
            }
            if now() >= stored.expires_at {
                return Ok(Err(OAuthError::grant(format!(
                    "the authorization code has expired (codes last {CODE_LIFETIME} s): sign in again"
                ))));
            }
            if stored.client != client_id {
                return Ok(Err(OAuthError::grant(
                    "the authorization code was issued to another client",
                )));
            }
            match attempt!(text("redirect_uri")) {
                Some(uri) if uri == stored.redirect_uri => {}
                Some(_) => {
                    return Ok(Err(OAuthError::grant(
                        "redirect_uri does not match the one the authorization request used",
                    )));
                }
                None => {
                    return Ok(Err(OAuthError::request(
                        "redirect_uri is required: the same one the authorization request used",
                    )));
                }
            }
            let verifier = attempt!(text("code_verifier"));
            match (&stored.code_challenge, verifier) {
                (Some(challenge), Some(verifier)) => {
                    if !constant_time_eq(s256(&verifier).as_bytes(), challenge.as_bytes()) {
                        return Ok(Err(OAuthError::grant(
                            "the PKCE code_verifier does not match the code_challenge",
                        )));
                    }
                }
                (Some(_), None) => {
                    return Ok(Err(OAuthError::grant(
                        "code_verifier is required: the authorization request sent a code_challenge",
                    )));
                }
                (None, Some(_)) => {
                    return Ok(Err(OAuthError::grant(
                        "a code_verifier was sent but the authorization request had no code_challenge",
                    )));
                }
                (None, None) => {}
            }
            let granted: Vec<String> = stored.scopes.split(' ').map(str::to_string).collect();
            let scopes = attempt!(narrowed(&granted, asked_scope.as_deref()));
            attempt!(active_user(tx, stored.user_id)?);
            let issued = issue(
                tx,
                secrets,
                &TokenGrant {
                    user_id: stored.user_id,
                    client: Some(client_id),
                    scopes: &scopes,
                    access_lifetime,
                    refresh_lifetime: Some(refresh_lifetime),
                    grant_id: Some(stored.id),
                },
            )?;
            Ok(Ok(answer(
                &issued,
                &scopes,
                access_lifetime,
                Some(refresh_lifetime),
            )))
        }
        "refresh_token" => {
            let refresh = attempt!(
                attempt!(text("refresh_token"))
                    .ok_or_else(|| { OAuthError::request("refresh_token is required") })
            );
            let Some(row) = tx.oauth_token_by_refresh(&secrets.token_hash(&refresh).keyed)? else {
                return Ok(Err(OAuthError::grant(
                    "the refresh token is not valid: sign in again",
                )));
            };
            if row.client != Some(client_id) {
                return Ok(Err(OAuthError::grant(
                    "the refresh token was issued to another client",
                )));
            }
            if row.revoked_at.is_some() {
                // Rotation spent it (or it was revoked): presented again, it may have been
                // copied, so the whole authorization goes.
                if let Some(grant) = row.grant_id {
                    tx.revoke_oauth_tokens(Revocation::Grant(grant))?;
                }
                return Ok(Err(OAuthError::grant(
                    "the refresh token was already used or revoked; this sign-in is revoked: \
                     sign in again",
                )));
            }
            if row.refresh_token_expires_at.is_some_and(|at| now() >= at) {
                tx.revoke_oauth_tokens(Revocation::Token(row.id))?;
                return Ok(Err(OAuthError::grant(
                    "the refresh token has expired: sign in again",
                )));
            }
            let granted: Vec<String> = row.scopes.split(' ').map(str::to_string).collect();
            let scopes = attempt!(narrowed(&granted, asked_scope.as_deref()));
            attempt!(active_user(tx, row.user_id)?);
            // Rotation: the old access token and refresh token stop working now.
            tx.revoke_oauth_tokens(Revocation::Token(row.id))?;
            let issued = issue(
                tx,
                secrets,
                &TokenGrant {
                    user_id: row.user_id,
                    client: Some(client_id),
                    scopes: &scopes,
                    access_lifetime,
                    refresh_lifetime: Some(refresh_lifetime),
                    grant_id: row.grant_id,
                },
            )?;
            Ok(Ok(answer(
                &issued,
                &scopes,
                access_lifetime,
                Some(refresh_lifetime),
            )))
        }
        _ => {
            if client.secret_hash.is_none() {
                return Ok(Err(OAuthError::new(
                    400,
                    "unauthorized_client",
                    "client_credentials is for confidential clients (with a secret); a public \
                     client signs users in with authorization_code and PKCE",
                )));
            }
            let Some(asked) = asked_scope else {
                return Ok(Err(OAuthError::new(
                    400,
                    "invalid_scope",
                    "scope is required: space-separated scopes such as \"read\" or \"tickets:read\"",
                )));
            };
            let scopes = attempt!(parse_scope(&asked).map_err(|why| OAuthError::new(
                400,
                "invalid_scope",
                why
            )));
            let owner = client.json["user_id"].as_i64().unwrap_or_default();
            if let Err(refusal) = active_user(tx, owner)? {
                return Ok(Err(OAuthError::new(
                    400,
                    "unauthorized_client",
                    format!(
                        "the admin who owns this client cannot sign in ({})",
                        refusal.description
                    ),
                )));
            }
            let issued = issue(
                tx,
                secrets,
                &TokenGrant {
                    user_id: owner,
                    client: Some(client_id),
                    scopes: &scopes,
                    access_lifetime,
                    refresh_lifetime: None,
                    grant_id: None,
                },
            )?;
            Ok(Ok(answer(&issued, &scopes, access_lifetime, None)))
        }
    }
}

/// The token endpoint's answer (Zendesk's shape).
fn answer(issued: &Issued, scopes: &[String], access: Option<i64>, refresh: Option<i64>) -> Value {
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": "bearer",
        "scope": scopes.join(" "),
        "expires_in": access,
    });
    if let (Some(token), Some(lifetime)) = (&issued.refresh_token, refresh) {
        body["refresh_token"] = json!(token);
        body["refresh_token_expires_in"] = json!(lifetime);
    }
    body
}

/// The client from Basic auth or the body (the two must agree), its secret checked when it is
/// confidential.
fn authenticate_client(
    tx: &mut dyn Reader,
    secrets: &Secrets,
    basic: Option<ClientAuth>,
    body: ClientAuth,
) -> Result<Result<OAuthClientRow, OAuthError>, ApiError> {
    let (identifier, secret) = match basic {
        Some(basic) => {
            if body.identifier.is_some() && body.identifier != basic.identifier {
                return Ok(Err(OAuthError::request(
                    "client_id in the body differs from the one in the Authorization header",
                )));
            }
            if body.secret.is_some() {
                return Ok(Err(OAuthError::request(
                    "send the client secret once: in the Authorization header or in the body",
                )));
            }
            (basic.identifier, basic.secret)
        }
        None => (body.identifier, body.secret),
    };
    let Some(identifier) = identifier else {
        return Ok(Err(OAuthError::request(
            "client_id is required: the OAuth client's unique identifier",
        )));
    };
    let unknown = "Client authentication failed: unknown client, no client authentication, or \
                   a wrong secret";
    let Some(client) = tx.oauth_client(ClientKey::Identifier(&identifier))? else {
        return Ok(Err(OAuthError::client(unknown)));
    };
    match (&client.secret_hash, secret) {
        (Some(stored), Some(given)) => {
            let given = secrets.token_hash(&given).keyed;
            if !constant_time_eq(given.as_bytes(), stored.as_bytes()) {
                return Ok(Err(OAuthError::client(unknown)));
            }
        }
        (Some(_), None) => {
            return Ok(Err(OAuthError::client(
                "Client authentication failed: this client is confidential; send its client_secret",
            )));
        }
        (None, Some(_)) => {
            return Ok(Err(OAuthError::client(
                "Client authentication failed: this client is public and has no secret; leave \
                 client_secret out",
            )));
        }
        (None, None) => {}
    }
    Ok(Ok(client))
}

/// The scopes a token gets: the granted ones, or a subset when `asked` narrows them.
fn narrowed(granted: &[String], asked: Option<&str>) -> Result<Vec<String>, OAuthError> {
    let Some(asked) = asked else {
        return Ok(granted.to_vec());
    };
    let asked = parse_scope(asked).map_err(|why| OAuthError::new(400, "invalid_scope", why))?;
    if let Some(extra) = asked.iter().find(|s| !granted.contains(s)) {
        return Err(OAuthError::new(
            400,
            "invalid_scope",
            format!(
                "{extra} was not granted: this sign-in has \"{}\"",
                granted.join(" ")
            ),
        ));
    }
    Ok(asked)
}

/// A user who may still be given tokens: present, active, not suspended.
fn active_user(tx: &mut dyn Reader, user_id: i64) -> Result<Result<(), OAuthError>, ApiError> {
    let user = tx.record(crate::store::Table::Users, user_id)?;
    let active = user
        .as_ref()
        .is_some_and(|u| u["active"] != Value::Bool(false) && u["suspended"] != Value::Bool(true));
    Ok(if active {
        Ok(())
    } else {
        Err(OAuthError::grant(
            "the user this grant belongs to is suspended or deleted",
        ))
    })
}

/// `BASE64URL(SHA256(verifier))`, PKCE's S256.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `uri` with `pairs` added to its query string (percent-encoded).
fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let query = query.finish();
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s256_is_rfc_7636s_example() {
        // RFC 7636 appendix B.
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(is_s256_challenge(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!is_s256_challenge("plain-text-verifier"));
    }

    #[test]
    fn redirects_keep_the_registered_query_and_encode_what_is_added() {
        assert_eq!(
            with_query(
                "http://127.0.0.1:9/cb?x=1",
                &[("code", "a b"), ("state", "s&t")]
            ),
            "http://127.0.0.1:9/cb?x=1&code=a+b&state=s%26t"
        );
        assert_eq!(
            with_query("https://a.example/cb", &[("error", "access_denied")]),
            "https://a.example/cb?error=access_denied"
        );
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let auth = ClientAuth {
            identifier: Some("backend".into()),
            secret: Some("s3cret-value".into()),
        };
        let shown = format!("{auth:?}");
        assert!(
            shown.contains("backend") && !shown.contains("s3cret"),
            "{shown}"
        );
        let issued = Issued {
            id: 7,
            access_token: "access-s3cret".into(),
            refresh_token: Some("refresh-s3cret".into()),
        };
        let shown = format!("{issued:?}");
        assert!(shown.contains('7') && !shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn repeated_parameters_are_refused() {
        let pairs = vec![
            ("state".to_string(), "a".to_string()),
            ("state".to_string(), "b".to_string()),
        ];
        assert!(single(&pairs, "state").is_err());
        assert_eq!(single(&pairs, "scope"), Ok(None));
    }
}
