//! Who is calling: HTTP Basic with an API token (`{email}/token:{token}`) or a password
//! (`{email}:{password}`), or `Bearer {oauth_token}`. Bad or missing credentials are 401
//! `{"error": "Couldn't authenticate you"}`; a bearer token that is unknown, expired or revoked
//! is 401 `invalid_token`, as Zendesk answers it. A role, or an OAuth token's scopes, that do
//! not allow the call are 403 Forbidden: [`admit`] checks both, from the endpoint table, before
//! any handler runs. Credentials are compared through their hashes and never logged.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

use crate::caller::{Caller, Role};
use crate::error::ApiError;
use crate::permissions::{ScopeNeed, Who, scope_needed};
use crate::resources::credentials::{PasswordCheck, check_password, hash_password};
use crate::state::AppState;
use crate::store::Principal;

/// The caller when credentials were given; `None` for an anonymous request. Bad credentials are
/// still a 401.
#[derive(Clone)]
pub struct MaybeCaller(pub Option<Caller>);

/// The OAuth token a request is authenticated with (its id), if any: what
/// `/api/v2/oauth/tokens/current` names.
#[derive(Clone, Copy, Debug)]
pub struct CallingToken(pub Option<i64>);

/// Who is calling, and with which OAuth token (and scopes).
struct SignedIn {
    caller: Caller,
    token: Option<i64>,
    scopes: Option<Vec<String>>,
}

/// The route layer in front of every endpoint: authenticates the caller once, refuses a token
/// whose scopes do not reach the endpoint (`need`, from the endpoint table) and who the
/// endpoint does not admit (see `permissions::Who`), and hands the caller to the handler.
pub async fn admit(
    who: Who,
    need: ScopeNeed,
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let signed_in = match authenticate(&parts, &state).await {
        Ok(signed_in) => signed_in,
        Err(error) => return error.into_response(),
    };
    if let Some(scopes) = signed_in.as_ref().and_then(|s| s.scopes.as_deref())
        && !need.granted_by(scopes)
    {
        return ApiError::Forbidden.into_response();
    }
    let caller = signed_in.as_ref().map(|s| s.caller.clone());
    if let Err(error) = who.admits(caller.as_ref()) {
        return error.into_response();
    }
    let token = signed_in.and_then(|s| s.token);
    parts.extensions.insert(CallingToken(token));
    parts.extensions.insert(MaybeCaller(caller.clone()));
    let mut response = next.run(Request::from_parts(parts, body)).await;
    // Who the request was answered for, for the request log around the router.
    response
        .extensions_mut()
        .insert(Authenticated { caller, token });
    response
}

/// Who an answered request was authenticated as (a response extension): the user, and the
/// OAuth token's id when one signed it in.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub caller: Option<Caller>,
    pub token: Option<i64>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match MaybeCaller::from_request_parts(parts, state).await?.0 {
            Some(caller) => Ok(caller),
            None => Err(ApiError::Unauthorized),
        }
    }
}

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Authenticated once by `admit`; every API route is in its table.
        if let Some(known) = parts.extensions.get::<MaybeCaller>() {
            return Ok(known.clone());
        }
        // A handler outside the table still honours a token's scopes, judged by its path.
        let signed_in = authenticate(parts, state).await?;
        if let Some(scopes) = signed_in.as_ref().and_then(|s| s.scopes.as_deref())
            && !scope_needed(&parts.method, parts.uri.path()).granted_by(scopes)
        {
            return Err(ApiError::Forbidden);
        }
        Ok(MaybeCaller(signed_in.map(|s| s.caller)))
    }
}

impl FromRequestParts<AppState> for CallingToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        Ok(parts
            .extensions
            .get::<CallingToken>()
            .copied()
            .unwrap_or(CallingToken(None)))
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<SignedIn>, ApiError> {
    let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
        return Ok(None);
    };
    let header = header.to_str().map_err(|_| ApiError::Unauthorized)?.trim();
    let secrets = &state.inner.secrets;
    // A credential checked a moment ago, with nothing about users or credentials changed since
    // (through any process), signs in again without a database read (or a password hash). An
    // OAuth token's expiry is remembered with it and checked below on every request.
    let cache_key = secrets.fingerprint(header);
    let generation = state.store().credentials_generation().await;
    let principal = match state.inner.sign_in_cache.get(&cache_key, generation) {
        Some(principal) => principal,
        None => {
            let principal = check_credential(state, header).await?;
            state
                .inner
                .sign_in_cache
                .put(cache_key, principal.clone(), generation);
            principal
        }
    };
    // An expired access token is refused from the cache as from the database; not counted as
    // a failed sign-in (a client that missed the expiry refreshes and goes on).
    if principal
        .expires_at
        .is_some_and(|at| crate::util::now() >= at)
    {
        return Err(ApiError::InvalidToken);
    }
    let role = Role::parse(&principal.role).unwrap_or(Role::EndUser);
    Ok(Some(SignedIn {
        caller: Caller {
            id: principal.user_id,
            role,
        },
        token: principal.token_id,
        scopes: principal.scopes,
    }))
}

/// Checks a credential against the database: the active user it signs in, or the refusal.
/// A wrong password or API token counts against its email's budget of failures (see
/// `sign_ins::SignInThrottle`: past it, attempts wait their turn and wrong ones are answered
/// after a pause; a right one is always admitted).
async fn check_credential(state: &AppState, header: &str) -> Result<Principal, ApiError> {
    let secrets = &state.inner.secrets;
    if let Some(token) = strip_scheme(header, "bearer") {
        let hash = secrets.token_hash(token.trim());
        return match state
            .store()
            .peek(move |reader| reader.principal_by_oauth_token(&hash))
            .await?
        {
            Some(principal) if principal.active => Ok(principal),
            _ => Err(ApiError::InvalidToken),
        };
    }
    let encoded = strip_scheme(header, "basic").ok_or(ApiError::Unauthorized)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| ApiError::Unauthorized)?;
    let decoded = String::from_utf8(decoded).map_err(|_| ApiError::Unauthorized)?;
    let (user, secret) = decoded.split_once(':').ok_or(ApiError::Unauthorized)?;
    let (user, secret) = (user.to_string(), secret.to_string());
    let account = secrets.fingerprint(&user.trim_end_matches("/token").to_lowercase());
    let attempt = state.inner.sign_ins.attempt(&account).await;
    let principal = match user.strip_suffix("/token") {
        Some(email) => {
            let (email, hash) = (email.to_string(), secrets.token_hash(&secret));
            state
                .store()
                .peek(move |reader| reader.principal_by_api_token(&email, &hash))
                .await?
        }
        None => password_principal(state, user, secret).await?,
    };
    match principal {
        Some(principal) if principal.active => Ok(principal),
        _ => {
            state.inner.sign_ins.failed(attempt).await;
            Err(ApiError::Unauthorized)
        }
    }
}

/// The user a password signs in, when it is theirs. A password an earlier sandbox hashed is
/// re-hashed with argon2id on the way. An email with no account (or no password) costs the
/// same hash as a wrong password, so the time of an answer tells no one which emails exist.
pub(crate) async fn password_principal(
    state: &AppState,
    email: String,
    password: String,
) -> Result<Option<Principal>, ApiError> {
    let found = state
        .store()
        .peek(move |reader| reader.principal_by_email(&email))
        .await?;
    // Hashing is deliberately slow: off the async threads.
    let (principal, check, password) = tokio::task::spawn_blocking(move || match found {
        Some((principal, stored)) => {
            let check = check_password(&password, &stored);
            (Some(principal), check, password)
        }
        None => {
            check_password(&password, unknown_account_hash());
            (None, PasswordCheck::Wrong, password)
        }
    })
    .await
    .map_err(|e| ApiError::Internal(format!("password check: {e}")))?;
    let Some(principal) = principal else {
        return Ok(None);
    };
    match check {
        PasswordCheck::Wrong => Ok(None),
        PasswordCheck::Right => Ok(Some(principal)),
        PasswordCheck::RightButOld => {
            let id = principal.user_id;
            let hash = tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|e| ApiError::Internal(format!("password hash: {e}")))?;
            state
                .store()
                .write(move |tx| tx.set_password_hash(id, Some(&hash)))
                .await?;
            Ok(Some(principal))
        }
    }
}

/// A password hash with the parameters of every stored one, of a password nobody has: what a
/// sign-in for an unknown email is checked against.
fn unknown_account_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&crate::util::random_token()))
}

fn strip_scheme<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}
