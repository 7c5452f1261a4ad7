//! The sandbox as an OAuth server, outside `/api/v2` (and outside the endpoint table: these
//! pages authenticate users and clients themselves, not with an `Authorization` user
//! credential):
//!
//! - `GET /oauth/authorizations/new`: the authorization page, a real HTML form: the client's
//!   name and the scopes it asks for, email and password, Allow or Deny. The request's
//!   parameters ride along in hidden fields. An unknown client or an unregistered redirect URI
//!   gets an error page and no redirect.
//! - `POST /oauth/authorizations/new`: the form's answer (the form posts to its own URL).
//!   Allow, with the right password: 302 to the redirect URI with `code` and `state`. Deny:
//!   302 with `error=access_denied` and `state`. A wrong password shows the form again (401),
//!   counted by the sign-in throttle like any other.
//! - `POST /oauth/tokens`: the token endpoint (JSON or form body; the client authenticates
//!   with `client_id`/`client_secret` in the body or HTTP Basic). Answers carry
//!   `Cache-Control: no-store`.
//!
//! What each decides is in `resources::oauth_grants`; this module only speaks HTTP and HTML.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value};

use super::http::Params;
use crate::error::ApiError;
use crate::resources::oauth_grants::{
    AuthorizationRefusal, AuthorizationRequest, ClientAuth, OAuthError, approve,
    check_authorization, token,
};
use crate::state::AppState;

/// The fields of the sign-in form that are the user's, not the authorization request's.
const FORM_FIELDS: &[&str] = &["email", "password", "decision"];

pub async fn authorize_page(
    State(state): State<AppState>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let params = Params::parse(uri.query()).0;
    let checked = state
        .store()
        .read(move |tx| check_authorization(tx, &params))
        .await?;
    Ok(match checked {
        Ok(request) => sign_in_page(StatusCode::OK, &request, "", None),
        Err(refusal) => refused(refusal),
    })
}

pub async fn authorize_decision(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let field = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (email, password, decision) = (field("email"), field("password"), field("decision"));
    // The authorization request is checked again: hidden fields are only what the browser
    // sent back, not something the sandbox vouches for.
    let request_params: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !FORM_FIELDS.contains(&k.as_str()))
        .cloned()
        .collect();
    let checked = state
        .store()
        .read(move |tx| check_authorization(tx, &request_params))
        .await?;
    let request = match checked {
        Ok(request) => request,
        Err(refusal) => return Ok(refused(refusal)),
    };
    let client_id = request.client.json["identifier"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    match decision.as_str() {
        "deny" => {
            tracing::info!(client = ?client_id, "OAuth authorization denied by the user");
            return Ok(redirect(&request.denied()));
        }
        "allow" => {}
        _ => {
            return Ok(sign_in_page(
                StatusCode::BAD_REQUEST,
                &request,
                &email,
                Some("Choose Allow or Deny."),
            ));
        }
    }
    let email = email.trim().to_string();
    if email.is_empty() || password.is_empty() {
        return Ok(sign_in_page(
            StatusCode::UNAUTHORIZED,
            &request,
            &email,
            Some("Enter your email and password to allow access."),
        ));
    }
    let secrets = &state.inner.secrets;
    let account = secrets.fingerprint(&email.to_lowercase());
    // Wrong passwords are throttled per account, as on the API (see `sign_ins`).
    let attempt = state.inner.sign_ins.attempt(&account).await;
    let principal = crate::auth::password_principal(&state, email.clone(), password).await?;
    let user_id = match principal {
        Some(principal) if principal.active => principal.user_id,
        _ => {
            state.inner.sign_ins.failed(attempt).await;
            tracing::info!(client = ?client_id, "OAuth authorization: sign-in failed");
            return Ok(sign_in_page(
                StatusCode::UNAUTHORIZED,
                &request,
                &email,
                Some("The email or password is wrong (or the account is suspended)."),
            ));
        }
    };
    let secrets = secrets.clone();
    let location = state
        .store()
        .write(move |tx| approve(tx, &secrets, &request, user_id))
        .await?;
    tracing::info!(client = ?client_id, user_id, "OAuth authorization allowed: code issued");
    Ok(redirect(&location))
}

/// `POST /oauth/tokens`.
pub async fn tokens(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let input: Map<String, Value> = if form {
        form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect()
    } else if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => map,
            _ => {
                return Ok(oauth_refusal(
                    &OAuthError {
                        status: 400,
                        error: "invalid_request",
                        description: "the body must be a JSON object (Content-Type: \
                                      application/json) or a form \
                                      (application/x-www-form-urlencoded) with grant_type"
                            .into(),
                    },
                    false,
                ));
            }
        }
    };
    let basic = match basic_client(&headers) {
        Ok(basic) => basic,
        Err(refusal) => return Ok(oauth_refusal(&refusal, true)),
    };
    let used_basic = basic.is_some();
    // Wrong client secrets are throttled per client, like passwords per account (see
    // `sign_ins`): past the budget, attempts wait their turn and a right secret still passes.
    let identifier = basic
        .as_ref()
        .and_then(|b| b.identifier.clone())
        .or_else(|| {
            input
                .get("client_id")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default()
        .chars()
        .take(100)
        .collect::<String>();
    let secrets = state.inner.secrets.clone();
    let account = secrets.fingerprint(&format!("oauth-client:{identifier}"));
    let attempt = state.inner.sign_ins.attempt(&account).await;
    let lifetimes = state.inner.oauth_lifetimes;
    let grant_type = input
        .get("grant_type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(40)
        .collect::<String>();
    let answer = state
        .store()
        .write(move |tx| token(tx, &secrets, &lifetimes, &input, basic))
        .await?;
    match answer {
        Ok(body) => {
            tracing::info!(
                grant_type = ?grant_type,
                client = ?identifier,
                scope = %body["scope"].as_str().unwrap_or_default(),
                "OAuth token issued"
            );
            let mut response = (StatusCode::OK, axum::Json(body)).into_response();
            no_store(response.headers_mut());
            Ok(response)
        }
        Err(refusal) => {
            // Descriptions name what was refused, never a secret value.
            tracing::info!(
                grant_type = ?grant_type,
                client = ?identifier,
                error = refusal.error,
                description = ?refusal.description,
                "OAuth token request refused"
            );
            if refusal.error == "invalid_client" {
                state.inner.sign_ins.failed(attempt).await;
            }
            Ok(oauth_refusal(&refusal, used_basic))
        }
    }
}

/// HTTP Basic client authentication (RFC 6749 §2.3.1: both parts form-encoded).
fn basic_client(headers: &HeaderMap) -> Result<Option<ClientAuth>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || OAuthError {
        status: 401,
        error: "invalid_client",
        description: "the Authorization header must be Basic base64(client_id:client_secret)"
            .into(),
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    let Some((scheme, encoded)) = text.split_once(' ') else {
        return Err(bad());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let decode = |part: &str| -> String {
        form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let (id, secret) = (decode(id), decode(secret));
    Ok(Some(ClientAuth {
        identifier: Some(id).filter(|s| !s.is_empty()),
        secret: Some(secret).filter(|s| !s.is_empty()),
    }))
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn oauth_refusal(refusal: &OAuthError, used_basic: bool) -> Response {
    let status = StatusCode::from_u16(refusal.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, axum::Json(refusal.body())).into_response();
    no_store(response.headers_mut());
    if status == StatusCode::UNAUTHORIZED && used_basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Zendesk\""),
        );
    }
    response
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    no_store(response.headers_mut());
    response
}

fn refused(refusal: AuthorizationRefusal) -> Response {
    match refusal {
        AuthorizationRefusal::Redirect(location) => redirect(&location),
        AuthorizationRefusal::Page(message) => html(
            StatusCode::BAD_REQUEST,
            "This sign-in cannot go on",
            &format!(
                "<h1>This sign-in cannot go on</h1>\n<p class=\"error\">{}</p>\n\
                 <p>Nothing was sent back to the application. Close this page.</p>",
                escape(&message)
            ),
        ),
    }
}

/// What a scope lets the application do, in words for the page.
fn scope_words(scope: &str) -> String {
    match scope {
        "read" => "read everything you can see".into(),
        "write" => "create, change and delete everything you can".into(),
        _ => match scope.split_once(':') {
            Some((resource, "read")) => format!("read {}", resource.replace('_', " ")),
            Some((resource, "write")) => {
                format!("create, change and delete {}", resource.replace('_', " "))
            }
            _ => scope.to_string(),
        },
    }
}

fn sign_in_page(
    status: StatusCode,
    request: &AuthorizationRequest,
    email: &str,
    error: Option<&str>,
) -> Response {
    let client = &request.client.json;
    let text = |key: &str| client[key].as_str().unwrap_or_default().to_string();
    let name = text("name");
    let company = text("company");
    let description = text("description");
    let mut body = format!(
        "<h1>Allow {} to use your Zendesk account?</h1>\n",
        escape(&name)
    );
    if !company.is_empty() || !description.is_empty() {
        body.push_str(&format!(
            "<p class=\"about\">{}{}{}</p>\n",
            escape(&company),
            if company.is_empty() || description.is_empty() {
                ""
            } else {
                " — "
            },
            escape(&description)
        ));
    }
    body.push_str("<p>It asks to:</p>\n<ul class=\"scopes\">\n");
    for scope in &request.scopes {
        body.push_str(&format!(
            "  <li><code>{}</code> {}</li>\n",
            escape(scope),
            escape(&scope_words(scope))
        ));
    }
    body.push_str("</ul>\n");
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape(error)
        ));
    }
    body.push_str("<form method=\"post\" autocomplete=\"on\">\n");
    let mut hidden = vec![
        ("response_type", "code".to_string()),
        ("client_id", text("identifier")),
        ("redirect_uri", request.redirect_uri.clone()),
        ("scope", request.scopes.join(" ")),
    ];
    if let Some(state) = &request.state {
        hidden.push(("state", state.clone()));
    }
    if let Some(challenge) = &request.code_challenge {
        hidden.push(("code_challenge", challenge.clone()));
        hidden.push(("code_challenge_method", "S256".to_string()));
    }
    for (name, value) in hidden {
        body.push_str(&format!(
            "  <input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
            escape(&value)
        ));
    }
    body.push_str(&format!(
        "  <label>Email <input type=\"email\" name=\"email\" value=\"{}\" \
         autocomplete=\"username\" required></label>\n\
         \x20 <label>Password <input type=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required></label>\n\
         \x20 <p class=\"buttons\">\n\
         \x20   <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\n\
         \x20   <button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button>\n\
         \x20 </p>\n</form>\n<p class=\"note\">Allowing sends you back to {}.</p>",
        escape(email),
        escape(&request.redirect_uri)
    ));
    html(status, &format!("Allow {name}?"), &body)
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · Zendesk sandbox</title>\n<style>\n\
         body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; \
         padding: 0 1rem; color: #1f2933; }}\n\
         label {{ display: block; margin: 0.75rem 0; }}\n\
         input[type=email], input[type=password] {{ display: block; width: 100%; \
         padding: 0.4rem; margin-top: 0.25rem; }}\n\
         button {{ padding: 0.5rem 1.25rem; margin-right: 0.5rem; }}\n\
         .error {{ color: #b42318; }}\n.note, .about {{ color: #52606d; }}\n\
         </style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n",
        escape(title)
    );
    let mut response = (status, page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // The page takes a password: no framing (clickjacking), no scripts, no caching, no
    // referrer carrying the request's parameters elsewhere.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    no_store(headers);
    response
}

/// Text for HTML content and double-quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("\"><script>alert('x')</script>&"),
            "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
        assert_eq!(scope_words("tickets:read"), "read tickets");
        assert_eq!(
            scope_words("satisfaction_ratings:write"),
            "create, change and delete satisfaction ratings"
        );
    }
}
