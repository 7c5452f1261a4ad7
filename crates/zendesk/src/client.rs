//! `Client` and the request core every handler goes through: URL building under `/api/v2`,
//! the `Authorization` header, one attempt on the wire, and the retry loop (429 with
//! `Retry-After`, 5xx and connection failures for idempotent methods only, the optional
//! proactive throttle). Also the generic JSON escape hatch (`get_json`, `post_json`, ...).

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;
use url::Url;
use zendesk_types::ErrorBody;

use crate::builder::ClientBuilder;
use crate::error::{ApiError, Error, Result, retryable_status};
use crate::retry::{RetryBudget, RetryPolicy};

/// An empty query string, for calls that take none: `client.get_json("/users/me", NO_QUERY)`.
pub const NO_QUERY: &[(&str, &str)] = &[];

/// The Zendesk client. Cheap to clone (one shared connection pool); `Send + Sync`.
///
/// `Debug` shows the API base URL and the kind of credentials, never the credentials.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: std::sync::Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    http: reqwest::Client,
    /// Always ends with `/api/v2/`.
    api_base: Url,
    auth_header: Option<HeaderValue>,
    auth_kind: Option<&'static str>,
    retry: RetryPolicy,
    /// `Some` when the proactive throttle is on: the instant before which no request leaves.
    throttle: Option<Mutex<Option<Instant>>>,
    request_timeout: Duration,
    connect_timeout: Duration,
    /// A self-refreshing OAuth sign-in; its header replaces `auth_header` on every attempt.
    token_source: Option<crate::oauth::TokenSource>,
}

impl ClientInner {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        http: reqwest::Client,
        api_base: Url,
        auth_header: Option<HeaderValue>,
        auth_kind: Option<&'static str>,
        retry: RetryPolicy,
        proactive_throttle: bool,
        request_timeout: Duration,
        connect_timeout: Duration,
    ) -> Self {
        Self {
            http,
            api_base,
            auth_header,
            auth_kind,
            retry,
            throttle: proactive_throttle.then(|| Mutex::new(None)),
            request_timeout,
            connect_timeout,
            token_source: None,
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_base", &self.inner.api_base.as_str())
            .field("auth", &self.inner.auth_kind.unwrap_or("none"))
            .field("retry", &self.inner.retry)
            .field("request_timeout", &self.inner.request_timeout)
            .field("connect_timeout", &self.inner.connect_timeout)
            .finish()
    }
}

/// One request on the wire: URL built, body encoded, ready to be sent (and re-sent on retry).
#[derive(Debug, Clone)]
pub(crate) struct WireRequest {
    pub method: Method,
    /// The path as the caller gave it, for messages.
    pub path: String,
    pub url: Url,
    pub body: Option<Bytes>,
    /// The body's type when it is not JSON (an uploaded file).
    pub content_type: Option<String>,
}

/// A file fetched with [`Client::download`]: its first bytes (all of them unless `truncated`),
/// the type the server gave, and its whole size when the server said.
#[derive(Debug, Clone)]
pub struct Download {
    pub bytes: Bytes,
    pub truncated: bool,
    pub content_type: Option<String>,
    pub total: Option<u64>,
}

/// A successful answer: status, headers and the whole body.
#[derive(Debug)]
pub(crate) struct RawResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Client {
    /// Sets the OAuth token source of a client being built (its `inner` is not shared yet).
    pub(crate) fn with_token_source(mut self, source: Option<crate::oauth::TokenSource>) -> Self {
        if let Some(inner) = std::sync::Arc::get_mut(&mut self.inner) {
            inner.token_source = source;
        }
        self
    }

    /// A new [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The API base every path is appended to, e.g. `https://acme.zendesk.com/api/v2/`.
    pub fn api_base(&self) -> &Url {
        &self.inner.api_base
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    // ----- escape hatch -------------------------------------------------------------------

    /// `GET {path}` with `query`, answered as JSON. `path` is relative to `/api/v2` and starts
    /// with `/` (`/tickets/1`); query values are percent-encoded by the client.
    pub async fn get_json<K, V>(&self, path: &str, query: &[(K, V)]) -> Result<Value>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.send(Method::GET, path, query, None::<&()>).await
    }

    /// `POST {path}` with a JSON body. Never retried on 5xx or timeouts (not idempotent).
    pub async fn post_json<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<Value> {
        self.send(Method::POST, path, NO_QUERY, Some(body)).await
    }

    /// `POST {path}` with a query string and a JSON body.
    pub async fn post_json_with_query<K, V, B>(
        &self,
        path: &str,
        query: &[(K, V)],
        body: &B,
    ) -> Result<Value>
    where
        K: AsRef<str>,
        V: AsRef<str>,
        B: Serialize + ?Sized,
    {
        self.send(Method::POST, path, query, Some(body)).await
    }

    /// `PUT {path}` with a query string (`ids=1,2` for `update_many`) and a JSON body.
    pub async fn put_json<K, V, B>(&self, path: &str, query: &[(K, V)], body: &B) -> Result<Value>
    where
        K: AsRef<str>,
        V: AsRef<str>,
        B: Serialize + ?Sized,
    {
        self.send(Method::PUT, path, query, Some(body)).await
    }

    /// `DELETE {path}`. A `204 No Content` answer gives `Value::Null`; a body (as for
    /// `DELETE /users/{id}`) is returned decoded.
    pub async fn delete<K, V>(&self, path: &str, query: &[(K, V)]) -> Result<Value>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.send(Method::DELETE, path, query, None::<&()>).await
    }

    /// The typed core: sends `method path?query` with an optional JSON body (retrying per
    /// the policy) and decodes the answer into `T`. An empty body (204) decodes as JSON
    /// `null`, so `T = Value` gives `Value::Null` and `T = ()` works. A decode failure is
    /// [`Error::Decode`] naming the field (`tickets[2].status`).
    pub async fn send<T, K, V, B>(
        &self,
        method: Method,
        path: &str,
        query: &[(K, V)],
        body: Option<&B>,
    ) -> Result<T>
    where
        T: DeserializeOwned,
        K: AsRef<str>,
        V: AsRef<str>,
        B: Serialize + ?Sized,
    {
        let request = self.request(method, path, query, body)?;
        let response = self.execute(&request).await?;
        decode(&request, &response.body)
    }

    // ----- files --------------------------------------------------------------------------

    /// Fetches a file at an attachment's `content_url`, reading at most `max_bytes` of it.
    ///
    /// Credentials go only to this client's own Zendesk: a `content_url` on another host is
    /// refused. Zendesk answers a file's URL with a redirect to its file storage; a redirect to
    /// another host is followed without credentials (the link it gives is signed), at most
    /// three times. Retried as any GET is: a 429 after its `Retry-After` (within the policy's
    /// wait budget), a 5xx, timeout or dropped connection with backoff, and a refused OAuth
    /// token once after a refresh; each retry starts the download over.
    pub async fn download(&self, content_url: &str, max_bytes: usize) -> Result<Download> {
        let mut budget = RetryBudget::new(&self.inner.retry);
        let mut refreshed_after_401 = false;
        loop {
            let mut generation = None;
            let outcome = self
                .download_attempt(content_url, max_bytes, &mut generation)
                .await;
            let error = match outcome {
                Ok(download) => return Ok(download),
                Err(error) => error,
            };
            let wait = match &error {
                Error::Api(api) if api.status == 401 && !refreshed_after_401 => {
                    let (Some(source), Some(generation)) = (&self.inner.token_source, generation)
                    else {
                        return Err(error);
                    };
                    refreshed_after_401 = true;
                    source.rejected(generation).await?;
                    continue;
                }
                Error::RateLimited { retry_after, .. } => budget.rate_limited(*retry_after),
                retryable if retryable.is_retryable() => budget.failed(None),
                _ => None,
            };
            let Some(wait) = wait else {
                return Err(error);
            };
            tracing::warn!(error = %error, wait_ms = wait.as_millis() as u64, "download failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// One download attempt, following redirects; `generation` is set to the OAuth token
    /// generation it sent, so a refused token can be refreshed.
    async fn download_attempt(
        &self,
        content_url: &str,
        max_bytes: usize,
        generation: &mut Option<u64>,
    ) -> Result<Download> {
        let api = self.inner.api_base.clone();
        let same_origin = |url: &Url| {
            url.scheme() == api.scheme()
                && url.host_str() == api.host_str()
                && url.port_or_known_default() == api.port_or_known_default()
        };
        let mut url = Url::parse(content_url).map_err(|e| {
            Error::InvalidRequest(format!("content_url {content_url:?} is not a URL: {e}"))
        })?;
        if !same_origin(&url) {
            return Err(Error::InvalidRequest(format!(
                "content_url {content_url:?} is not on this Zendesk ({}): zd sends its credentials to its own Zendesk only",
                api.origin().ascii_serialization()
            )));
        }
        let mut credentials = true;
        for _ in 0..4 {
            let wire = WireRequest {
                method: Method::GET,
                path: url.path().to_owned(),
                url: url.clone(),
                body: None,
                content_type: None,
            };
            let authorization = match (&self.inner.token_source, credentials) {
                (_, false) => None,
                (Some(source), true) => {
                    let (header, sent) = source.authorization().await?;
                    *generation = Some(sent);
                    Some(header)
                }
                (None, true) => self.inner.auth_header.clone(),
            };
            let mut builder = self.inner.http.get(url.clone()).header(ACCEPT, "*/*");
            if let Some(authorization) = authorization {
                builder = builder.header(AUTHORIZATION, authorization);
            }
            let mut response = builder
                .send()
                .await
                .map_err(|e| self.transport_error(&wire, e))?;
            let status = response.status();
            let headers = response.headers().clone();
            if status.is_redirection() {
                let location = headers
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        Error::InvalidRequest(format!(
                            "{} redirected without a Location",
                            wire.path
                        ))
                    })?;
                let next = url.join(location).map_err(|e| {
                    Error::InvalidRequest(format!("a redirect to {location:?} is not a URL: {e}"))
                })?;
                if next.scheme() != "https" && next.scheme() != url.scheme() {
                    return Err(Error::InvalidRequest(format!(
                        "a redirect to {location:?} leaves http(s)"
                    )));
                }
                credentials = credentials && same_origin(&next);
                url = next;
                continue;
            }
            if !status.is_success() {
                let body = response.bytes().await.unwrap_or_default();
                let answer = RawResponse {
                    status,
                    headers,
                    body,
                };
                if status == StatusCode::TOO_MANY_REQUESTS {
                    return Err(rate_limited(&wire, &answer, retry_after(&answer.headers)));
                }
                return Err(api_error(&wire, &answer));
            }
            let content_type = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let total = response.content_length();
            let mut bytes = bytes::BytesMut::new();
            let mut truncated = false;
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| self.transport_error(&wire, e))?
            {
                let room = max_bytes - bytes.len();
                if chunk.len() > room {
                    bytes.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            return Ok(Download {
                bytes: bytes.freeze(),
                truncated,
                content_type,
                total,
            });
        }
        Err(Error::InvalidRequest(format!(
            "content_url {content_url:?} redirected more than three times"
        )))
    }

    // ----- request core ---------------------------------------------------------------------

    /// Builds a request, refusing paths that could leave `/api/v2` or the host.
    pub(crate) fn request<K, V, B>(
        &self,
        method: Method,
        path: &str,
        query: &[(K, V)],
        body: Option<&B>,
    ) -> Result<WireRequest>
    where
        K: AsRef<str>,
        V: AsRef<str>,
        B: Serialize + ?Sized,
    {
        let url = self.url(path, query)?;
        let body = match body {
            Some(body) => Some(Bytes::from(serde_json::to_vec(body).map_err(|e| {
                Error::InvalidRequest(format!("the body of {method} {path} is not JSON: {e}"))
            })?)),
            None => None,
        };
        Ok(WireRequest {
            method,
            path: path.to_owned(),
            url,
            body,
            content_type: None,
        })
    }

    fn url<K: AsRef<str>, V: AsRef<str>>(&self, path: &str, query: &[(K, V)]) -> Result<Url> {
        check_path(path)?;
        let relative = &path[1..];
        let mut url = self.inner.api_base.join(relative).map_err(|e| {
            Error::InvalidRequest(format!("path {path:?} does not form a URL: {e}"))
        })?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in query {
                pairs.append_pair(key.as_ref(), value.as_ref());
            }
        }
        Ok(url)
    }

    /// Sends a request, retrying per the policy, and returns the first 2xx answer.
    pub(crate) async fn execute(&self, request: &WireRequest) -> Result<RawResponse> {
        let idempotent = matches!(
            request.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        let mut budget = RetryBudget::new(&self.inner.retry);
        let mut refreshed_after_401 = false;
        loop {
            self.throttle(&mut budget).await;
            let (authorization, generation) = match &self.inner.token_source {
                Some(source) => {
                    let (header, generation) = source.authorization().await?;
                    (Some(header), Some(generation))
                }
                None => (self.inner.auth_header.clone(), None),
            };
            let outcome = self.dispatch(request, authorization).await;
            let retry_delay = match outcome {
                Ok(response) if response.status.is_success() => return Ok(response),
                // The token was refused: refresh once (a 401 means nothing was done, so even a
                // POST may be sent again) and send again at once.
                Ok(response)
                    if response.status == StatusCode::UNAUTHORIZED && !refreshed_after_401 =>
                {
                    let (Some(source), Some(generation)) = (&self.inner.token_source, generation)
                    else {
                        return Err(api_error(request, &response));
                    };
                    refreshed_after_401 = true;
                    source.rejected(generation).await?;
                    continue;
                }
                Ok(response) if response.status == StatusCode::TOO_MANY_REQUESTS => {
                    let retry_after = retry_after(&response.headers);
                    // None: failing fast, or sleeping would end past the caller's budget.
                    let Some(wait) = budget.rate_limited(retry_after) else {
                        return Err(rate_limited(request, &response, retry_after));
                    };
                    tracing::warn!(
                        method = %request.method, path = %request.path, wait_ms = wait.as_millis() as u64,
                        "Zendesk rate limit reached; waiting before retrying"
                    );
                    wait
                }
                Ok(response) => {
                    let status = response.status.as_u16();
                    // During maintenance Zendesk may say how long to stay away; a wait
                    // longer than the rate-limit budget is not worth making.
                    let wait = (idempotent && retryable_status(status))
                        .then(|| budget.failed(retry_after(&response.headers)))
                        .flatten();
                    let Some(wait) = wait else {
                        return Err(api_error(request, &response));
                    };
                    tracing::warn!(
                        method = %request.method, path = %request.path, status,
                        attempt = budget.failures(), "Zendesk answered a server error; retrying"
                    );
                    wait
                }
                Err(error) => {
                    // Nothing reached Zendesk when the connection could not be opened, so
                    // even a POST may be sent again.
                    let connect = matches!(error, Error::Connection { connect: true, .. });
                    let wait = (idempotent || connect)
                        .then(|| budget.failed(None))
                        .flatten();
                    let Some(wait) = wait else {
                        return Err(error);
                    };
                    tracing::warn!(
                        method = %request.method, path = %request.path,
                        attempt = budget.failures(), error = %error, "request failed; retrying"
                    );
                    wait
                }
            };
            tokio::time::sleep(retry_delay).await;
        }
    }

    /// One attempt on the wire.
    async fn dispatch(
        &self,
        request: &WireRequest,
        authorization: Option<HeaderValue>,
    ) -> Result<RawResponse> {
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), request.url.clone())
            .header(ACCEPT, "application/json");
        if let Some(auth) = authorization {
            builder = builder.header(AUTHORIZATION, auth);
        }
        if let Some(body) = &request.body {
            let content_type = request
                .content_type
                .as_deref()
                .unwrap_or("application/json");
            builder = builder
                .header(CONTENT_TYPE, content_type)
                .body(body.clone());
        }
        tracing::debug!(method = %request.method, path = %request.path, "sending request to Zendesk");
        let response = builder
            .send()
            .await
            .map_err(|e| self.transport_error(request, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(request, e))?;
        tracing::debug!(method = %request.method, path = %request.path, status = status.as_u16(), "Zendesk answered");
        self.note_rate_limit(&headers);
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    fn transport_error(&self, request: &WireRequest, error: reqwest::Error) -> Error {
        if error.is_timeout() {
            let timeout = if error.is_connect() {
                self.inner.connect_timeout
            } else {
                self.inner.request_timeout
            };
            return Error::Timeout {
                method: request.method.to_string(),
                path: request.path.clone(),
                timeout,
            };
        }
        let connect = error.is_connect();
        // The chain of causes says what happened ("connection refused"); the URL is left out
        // because the path is already in the message.
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            causes.push(cause.to_string());
            source = cause.source();
        }
        let mut message = error.without_url().to_string();
        for cause in causes {
            message.push_str(": ");
            message.push_str(&cause);
        }
        Error::Connection {
            method: request.method.to_string(),
            path: request.path.clone(),
            message,
            connect,
        }
    }

    /// Remembers "no requests before reset" when the throttle is on and Zendesk says the
    /// budget for this window is spent.
    fn note_rate_limit(&self, headers: &HeaderMap) {
        let Some(throttle) = &self.inner.throttle else {
            return;
        };
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        // Zendesk has sent each of these spellings over the years.
        let remaining = number("ratelimit-remaining")
            .or_else(|| number("rate-limit-remaining"))
            .or_else(|| number("x-rate-limit-remaining"));
        if remaining != Some(0) {
            return;
        }
        // Without a reset time, let the next request go: a 429 will carry Retry-After.
        if let Some(reset) = number("ratelimit-reset").or_else(|| number("rate-limit-reset"))
            && let Ok(mut until) = throttle.lock()
        {
            *until = Some(Instant::now() + Duration::from_secs(reset.min(3600)));
        }
    }

    async fn throttle(&self, budget: &mut RetryBudget<'_>) {
        let Some(throttle) = &self.inner.throttle else {
            return;
        };
        let until = throttle.lock().ok().and_then(|mut until| until.take());
        let Some(until) = until else {
            return;
        };
        let left = self
            .inner
            .retry
            .max_rate_limit_wait
            .saturating_sub(budget.rate_limit_waited());
        let wait = until.saturating_duration_since(Instant::now()).min(left);
        if !wait.is_zero() {
            tracing::info!(
                wait_ms = wait.as_millis() as u64,
                "Zendesk rate limit budget spent; holding requests until it resets"
            );
            budget.waited_on_rate_limit(wait);
            tokio::time::sleep(wait).await;
        }
    }
}

/// Refuses a path that could leave `/api/v2` or the host: it must start with `/` and be made of
/// segments of letters, digits, `-`, `_` or `.` (no empty, `.` or `..` segment).
pub(crate) fn check_path(path: &str) -> Result<()> {
    let relative = path.strip_prefix('/').ok_or_else(|| {
        Error::InvalidRequest(format!(
            "path {path:?} must start with '/' and be relative to /api/v2, such as \"/tickets/1\""
        ))
    })?;
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.');
    if relative.is_empty()
        || !relative.chars().all(safe)
        || relative
            .split('/')
            .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(Error::InvalidRequest(format!(
            "path {path:?} is not a Zendesk API path: expected segments of letters, digits, \
             '-', '_' or '.' such as \"/tickets/1\" or \"/organization_fields/my_key\""
        )));
    }
    Ok(())
}

/// Decodes a body into `T`, naming the failing field; an empty body is JSON `null`.
pub(crate) fn decode<T: DeserializeOwned>(request: &WireRequest, body: &[u8]) -> Result<T> {
    crate::request::read_json(body).map_err(|failure| Error::Decode {
        method: request.method.to_string(),
        path: request.path.clone(),
        field: failure.field,
        message: failure.message,
    })
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "x-zendesk-request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::to_owned)
}

/// `Retry-After` in seconds (Zendesk sends an integer; a fraction is rounded up).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = headers.get("retry-after")?.to_str().ok()?.trim();
    let seconds: f64 = raw.parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs(seconds.ceil() as u64))
}

fn rate_limited(
    request: &WireRequest,
    response: &RawResponse,
    retry_after: Option<Duration>,
) -> Error {
    let body = ErrorBody::parse(&response.body);
    Error::RateLimited {
        method: request.method.to_string(),
        path: request.path.clone(),
        retry_after,
        message: Some(body.message()).filter(|m| !m.is_empty() && m != "empty error body"),
        request_id: request_id(&response.headers),
    }
}

fn api_error(request: &WireRequest, response: &RawResponse) -> Error {
    Error::Api(Box::new(ApiError {
        status: response.status.as_u16(),
        method: request.method.to_string(),
        path: request.path.clone(),
        body: ErrorBody::parse(&response.body),
        request_id: request_id(&response.headers),
    }))
}
