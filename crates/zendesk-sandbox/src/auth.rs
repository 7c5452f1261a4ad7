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
    let store = state.store();
    let secrets = &state.inner.secrets;
    // A credential that signed in a moment ago, with nothing about users or credentials
    // changed since, signs in again without a database read (or a password hash). An OAuth
    // token's expiry is cached with it and checked below on every request.
    let cache_key = secrets.fingerprint(header);
    let generation = store.credentials_generation();
    let cached = state.inner.sign_in_cache.get(&cache_key, generation);
    let bearer = strip_scheme(header, "bearer").is_some();
    // Failed sign-ins are counted per account (an email, or a bearer token's fingerprint):
    // past the limit the account answers 429 until the window ends, right or wrong.
    let (account, principal): (String, Option<Principal>) = if let Some(principal) = cached {
        (String::new(), Some(principal))
    } else if let Some(encoded) = strip_scheme(header, "basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| ApiError::Unauthorized)?;
        let decoded = String::from_utf8(decoded).map_err(|_| ApiError::Unauthorized)?;
        let (user, secret) = decoded.split_once(':').ok_or(ApiError::Unauthorized)?;
        let (user, secret) = (user.to_string(), secret.to_string());
        let account = user.trim_end_matches("/token").to_lowercase();
        state.inner.sign_ins.check(&secrets.fingerprint(&account))?;
        let principal = match user.strip_suffix("/token") {
            Some(email) => {
                let (email, hash) = (email.to_string(), secrets.token_hash(&secret));
                store
                    .peek(move |reader| reader.principal_by_api_token(&email, &hash))
                    .await?
            }
            None => password_principal(state, user, secret).await?,
        };
        (account, principal)
    } else if let Some(token) = strip_scheme(header, "bearer") {
        let hash = secrets.token_hash(token.trim());
        let account = hash.keyed.clone();
        state.inner.sign_ins.check(&secrets.fingerprint(&account))?;
        let principal = store
            .peek(move |reader| reader.principal_by_oauth_token(&hash))
            .await?;
        (account, principal)
    } else {
        return Err(ApiError::Unauthorized);
    };
    let refused = if bearer {
        ApiError::InvalidToken
    } else {
        ApiError::Unauthorized
    };
    let principal = match principal {
        Some(principal) if principal.active => principal,
        _ => {
            if !account.is_empty() {
                state.inner.sign_ins.failed(&secrets.fingerprint(&account));
            }
            return Err(refused);
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
    state
        .inner
        .sign_in_cache
        .put(cache_key, principal.clone(), generation);
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

/// The user a password signs in, when it is theirs. A password an earlier sandbox hashed is
/// re-hashed with argon2id on the way.
pub(crate) async fn password_principal(
    state: &AppState,
    email: String,
    password: String,
) -> Result<Option<Principal>, ApiError> {
    let Some((principal, stored)) = state
        .store()
        .peek(move |reader| reader.principal_by_email(&email))
        .await?
    else {
        return Ok(None);
    };
    // Hashing is deliberately slow: off the async threads.
    let check = tokio::task::spawn_blocking(move || (check_password(&password, &stored), password))
        .await
        .map_err(|e| ApiError::Internal(format!("password check: {e}")))?;
    match check {
        (PasswordCheck::Wrong, _) => Ok(None),
        (PasswordCheck::Right, _) => Ok(Some(principal)),
        (PasswordCheck::RightButOld, password) => {
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

fn strip_scheme<'a>(header: &'a str, scheme: &str) -> Option<&'a str> {
    let (given, rest) = header.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then_some(rest)
}
