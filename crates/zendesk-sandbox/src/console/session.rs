//! Signing in to the console, its sessions and its CSRF tokens.
//!
//! A session is an OAuth access token of the signed-in user (no client, scopes `read write`,
//! 12 hours), made when the password is right and revoked at sign-out. So it lives where the
//! sandbox keeps every credential: in the database, hashed under the sandbox's key, seen by
//! every process on a shared PostgreSQL database; and each request resolves it through the
//! same lookup as any bearer token, which refuses a revoked token, a suspended or deleted user
//! at once (another process within the sign-in cache's 2 s). The cookie holds the token
//! (`HttpOnly`, `SameSite=Strict`, `Path=/console`, `Secure` over TLS); the console calls the
//! API in process with it, so the API's permissions are the console's. The session appears
//! among the user's OAuth tokens (`GET /api/v2/oauth/tokens`), where it can be revoked too.
//!
//! The password is checked by the API itself (`GET /api/v2/users/me` with HTTP Basic), so a
//! console sign-in is throttled, counted and refused exactly as an API sign-in is.
//!
//! CSRF: every form carries `csrf`, a keyed hash of the session token (nothing to store); the
//! sign-in form, before any session, a random value also set in a cookie (double submit). A
//! POST without the right value is a 403 and changes nothing.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::Value;

use super::Console;
use super::api::Api;
use super::html::{self, escape};
use crate::resources::oauth::{TokenGrant, issue};

/// The session cookie.
pub const COOKIE: &str = "zd_console";
/// The sign-in form's double-submit cookie.
const SIGN_IN_COOKIE: &str = "zd_console_sign_in";
/// How long a session lasts.
const LIFETIME_SECS: i64 = 12 * 60 * 60;

/// A signed-in agent or admin: the API as them, who they are, and their forms' CSRF token.
pub struct Viewer {
    pub api: Api,
    /// `GET /api/v2/users/me` as they are now.
    pub me: Value,
    pub csrf: String,
}

impl Viewer {
    pub fn name(&self) -> &str {
        self.me["name"].as_str().unwrap_or("")
    }
}

impl FromRequestParts<Console> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        let Some(token) = cookie(&parts.headers, COOKIE) else {
            return Err(to_sign_in(parts, None));
        };
        let api = Api::new(
            console.api.clone(),
            &format!("Bearer {token}"),
            parts.headers.get(header::HOST),
        );
        let answer = api.call(Method::GET, "/api/v2/users/me", None).await;
        let me = answer.body["user"].clone();
        match answer.status.as_u16() {
            200 if me["role"] == "agent" || me["role"] == "admin" => Ok(Viewer {
                api,
                me,
                csrf: csrf_for(console, &token),
            }),
            // Demoted to end-user while signed in: the session ends.
            200 => {
                let _ = api
                    .call(Method::DELETE, "/api/v2/oauth/tokens/current", None)
                    .await;
                Err(to_sign_in(parts, Some("end-user")))
            }
            // Signed out, expired, suspended, deleted.
            401 => Err(to_sign_in(parts, Some("ended"))),
            _ => Err(html::error_page(
                answer.status,
                "The console could not read who you are",
                &answer.message(),
            )),
        }
    }
}

/// The sign-in page's address, with why the session ended; a live feed is told to stop.
fn to_sign_in(parts: &Parts, why: Option<&str>) -> Response {
    if parts.uri.path() == "/console/live" {
        return (StatusCode::UNAUTHORIZED, "signed out").into_response();
    }
    let location = match why {
        Some(why) => format!("/console/sign_in?ended={why}"),
        None => "/console/sign_in".to_string(),
    };
    let mut response = html::see_other(&location);
    if why.is_some() {
        clear(&mut response, COOKIE, parts);
    }
    response
}

/// The CSRF token of a session: a keyed hash of its token (the key is the sandbox's).
fn csrf_for(console: &Console, token: &str) -> String {
    let keyed = console
        .state
        .inner
        .secrets
        .fingerprint(&format!("console csrf {token}"));
    keyed.rsplit(':').next().unwrap_or_default().to_string()
}

/// A form's fields, decoded.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Form {
        Form(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The last value of `key`, or "".
    pub fn get(&self, key: &str) -> &str {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// Refused (a 403) unless the form carries `expected` as its `csrf` field.
    pub fn check_csrf(&self, expected: &str) -> Result<(), Forged> {
        let given = self.get("csrf");
        if !expected.is_empty() && constant_time_eq(given.as_bytes(), expected.as_bytes()) {
            Ok(())
        } else {
            Err(Forged)
        }
    }
}

/// A form without this session's CSRF token: 403, nothing changed.
pub struct Forged;

impl IntoResponse for Forged {
    fn into_response(self) -> Response {
        html::error_page(
            StatusCode::FORBIDDEN,
            "This form has expired",
            "The form did not carry this session's security token, so nothing was changed. \
             Reload the page and try again.",
        )
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `GET /console/sign_in`.
pub async fn sign_in_page(headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let ended = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "ended")
        .map(|(_, v)| v.into_owned());
    let message = match ended.as_deref() {
        Some("end-user") => Some(END_USER_REFUSED),
        Some("ended") => Some("Your session has ended: sign in again."),
        Some("signed-out") => Some("You are signed out."),
        _ => None,
    };
    sign_in_form(&headers, StatusCode::OK, "", message)
}

const END_USER_REFUSED: &str =
    "The console is for agents and admins: end-users cannot sign in here.";

/// The sign-in form, with a fresh double-submit value (kept when the browser has one).
fn sign_in_form(
    headers: &HeaderMap,
    status: StatusCode,
    email: &str,
    message: Option<&str>,
) -> Response {
    let csrf = cookie(headers, SIGN_IN_COOKIE).unwrap_or_else(crate::util::random_token);
    let message = message
        .map(|m| format!("<p class=\"flash error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let body = format!(
        "<section class=\"sign-in\">\n<h1>Sign in to the console</h1>\n{message}\
         <form method=\"post\" action=\"/console/sign_in\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <label>Email <input type=\"email\" name=\"email\" value=\"{}\" autocomplete=\"username\" \
         required autofocus></label>\n\
         <label>Password <input type=\"password\" name=\"password\" \
         autocomplete=\"current-password\" required></label>\n\
         <button type=\"submit\">Sign in</button>\n</form>\n\
         <p class=\"hint\">Agents and admins of this sandbox sign in with their password \
         (give a user one with <code>PUT /api/v2/users/{{id}}</code> and \
         <code>{{\"user\": {{\"password\": \"...\"}}}}</code>).</p>\n</section>",
        escape(&csrf),
        escape(email),
    );
    let mut response = html::bare_page(status, "Sign in", &body);
    set_cookie(
        &mut response,
        SIGN_IN_COOKIE,
        &csrf,
        Some(600),
        headers_secure(headers),
    );
    response
}

/// `POST /console/sign_in`: the password checked by the API, then a session.
pub async fn sign_in(
    State(console): State<Console>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form = Form::parse(&body);
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if let Err(refused) = form.check_csrf(&expected) {
        return refused.into_response();
    }
    let email = form.get("email").trim().to_string();
    let password = form.get("password");
    if email.is_empty() || password.is_empty() {
        return sign_in_form(
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            Some("Enter your email and your password."),
        );
    }
    // An email, not an API token's `{email}/token` user name.
    if email.contains(':') || email.ends_with("/token") || !email.contains('@') {
        return sign_in_form(
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            Some("Enter your email address, such as agent@example.com."),
        );
    }
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{email}:{password}"));
    let api = Api::new(
        console.api.clone(),
        &format!("Basic {basic}"),
        headers.get(header::HOST),
    );
    let answer = api.call(Method::GET, "/api/v2/users/me", None).await;
    let user = &answer.body["user"];
    match answer.status.as_u16() {
        200 if user["role"] == "agent" || user["role"] == "admin" => {}
        200 => {
            return sign_in_form(
                &headers,
                StatusCode::FORBIDDEN,
                &email,
                Some(END_USER_REFUSED),
            );
        }
        429 => {
            let wait = answer.retry_after.unwrap_or_else(|| "60".to_string());
            return sign_in_form(
                &headers,
                StatusCode::TOO_MANY_REQUESTS,
                &email,
                Some(&format!(
                    "Too many failed sign-ins for this account: try again in {wait} seconds."
                )),
            );
        }
        401 => {
            return sign_in_form(
                &headers,
                StatusCode::UNAUTHORIZED,
                &email,
                Some("The email or password is wrong (or the account is suspended)."),
            );
        }
        _ => {
            return html::error_page(answer.status, "Sign-in failed", &answer.message());
        }
    }
    let Some(user_id) = user["id"].as_i64() else {
        return html::error_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sign-in failed",
            "the API named no user",
        );
    };
    let secrets = console.state.inner.secrets.clone();
    let scopes = ["read".to_string(), "write".to_string()];
    let issued = console
        .state
        .store()
        .write(move |tx| {
            issue(
                tx,
                &secrets,
                &TokenGrant {
                    user_id,
                    client: None,
                    scopes: &scopes,
                    access_lifetime: Some(LIFETIME_SECS),
                    refresh_lifetime: None,
                    grant_id: None,
                },
            )
        })
        .await;
    let issued = match issued {
        Ok(issued) => issued,
        Err(error) => {
            return html::error_page(error.status(), "Sign-in failed", &error.body().to_string());
        }
    };
    tracing::info!(user_id, "console: signed in");
    let mut response = html::see_other("/console/");
    let secure = headers_secure(&headers);
    set_cookie(
        &mut response,
        COOKIE,
        &issued.access_token,
        Some(LIFETIME_SECS),
        secure,
    );
    set_cookie(&mut response, SIGN_IN_COOKIE, "", Some(0), secure);
    response
}

/// `POST /console/sign_out`: the session's token revoked, the cookie cleared.
pub async fn sign_out(viewer: Viewer, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if let Err(refused) = Form::parse(&body).check_csrf(&viewer.csrf) {
        return refused.into_response();
    }
    let answer = viewer
        .api
        .call(Method::DELETE, "/api/v2/oauth/tokens/current", None)
        .await;
    if !answer.status.is_success() {
        return html::error_page(answer.status, "Sign-out failed", &answer.message());
    }
    let mut response = html::see_other("/console/sign_in?ended=signed-out");
    set_cookie(&mut response, COOKIE, "", Some(0), headers_secure(&headers));
    response
}

/// The value of cookie `name` in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| {
            !v.is_empty()
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Whether the browser reached the sandbox over TLS (directly or through a proxy that says so).
fn headers_secure(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

fn set_cookie(
    response: &mut Response,
    name: &str,
    value: &str,
    max_age: Option<i64>,
    secure: bool,
) {
    let mut cookie = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn clear(response: &mut Response, name: &str, parts: &Parts) {
    set_cookie(response, name, "", Some(0), headers_secure(&parts.headers));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_only_as_tokens() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; zd_console=abcDEF123; other=x".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, COOKIE).as_deref(), Some("abcDEF123"));
        assert_eq!(cookie(&headers, "missing"), None);
        headers.insert(header::COOKIE, "zd_console=a%20b".parse().unwrap());
        assert_eq!(cookie(&headers, COOKIE), None);
    }

    #[test]
    fn csrf_must_match_exactly() {
        let form = Form::parse(b"csrf=abc&body=hi");
        assert!(form.check_csrf("abc").is_ok());
        assert!(form.check_csrf("abd").is_err());
        assert!(
            form.check_csrf("").is_err(),
            "no expected value admits nothing"
        );
        let missing = Form::parse(b"body=hi");
        let refused = missing.check_csrf("abc").unwrap_err().into_response();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    }
}
