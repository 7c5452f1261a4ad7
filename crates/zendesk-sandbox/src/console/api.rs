//! The API as the console calls it: requests sent in process (`oneshot`) to the same router
//! the network reaches, as the signed-in user, outside the account's rate limit and the
//! request log. Every page is rendered from these answers, so what a page shows and what a
//! form changes is what the API shows and changes for that user.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

/// The largest API answer the console reads (a page of 100 big tickets fits).
const MAX_ANSWER: usize = 64 * 1024 * 1024;

/// The API, as one user.
#[derive(Clone)]
pub struct Api {
    router: Router,
    authorization: Option<HeaderValue>,
    host: Option<HeaderValue>,
}

/// One API answer.
pub struct Answer {
    pub status: StatusCode,
    pub body: Value,
    pub retry_after: Option<String>,
}

impl Answer {
    /// What the API said went wrong, in its words.
    pub fn message(&self) -> String {
        let body = &self.body;
        let mut parts = Vec::new();
        for key in ["error", "description"] {
            match &body[key] {
                Value::String(text) => parts.push(text.clone()),
                Value::Object(object) => {
                    if let Some(text) = object.get("message").and_then(Value::as_str) {
                        parts.push(text.to_string());
                    }
                }
                _ => {}
            }
        }
        if let Some(details) = body["details"].as_object() {
            for (field, problems) in details {
                for problem in problems.as_array().into_iter().flatten() {
                    let text = problem["description"].as_str().unwrap_or("invalid");
                    parts.push(format!("{field}: {text}"));
                }
            }
        }
        if parts.is_empty() {
            format!("the API answered {}", self.status)
        } else {
            parts.join(": ")
        }
    }
}

/// A list the API refused: its status and message.
pub struct Refused {
    pub status: StatusCode,
    pub message: String,
}

impl Api {
    /// The API as whoever `authorization` (an `Authorization` header value) signs in.
    pub fn new(router: Router, authorization: &str, host: Option<&HeaderValue>) -> Api {
        Api {
            router,
            authorization: HeaderValue::from_str(authorization).ok().map(|mut v| {
                v.set_sensitive(true);
                v
            }),
            host: host.cloned(),
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(value) = &self.authorization {
            request = request.header(header::AUTHORIZATION, value.clone());
        }
        if let Some(host) = &self.host {
            request = request.header(header::HOST, host.clone());
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        };
        let request = match request {
            Ok(request) => request,
            Err(error) => return failed(format!("bad request to {path}: {error}")),
        };
        let response = match self.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = match axum::body::to_bytes(response.into_body(), MAX_ANSWER).await {
            Ok(bytes) if bytes.is_empty() => Value::Null,
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            Err(error) => return failed(format!("reading {path}: {error}")),
        };
        Answer {
            status,
            body,
            retry_after,
        }
    }

    /// `GET path`: its JSON when 2xx, else what was refused.
    pub async fn get(&self, path: &str) -> Result<Value, Refused> {
        let answer = self.call(Method::GET, path, None).await;
        if answer.status.is_success() {
            Ok(answer.body)
        } else {
            Err(Refused {
                status: answer.status,
                message: answer.message(),
            })
        }
    }

    /// Every item under `key` of a list and its next pages (offset `next_page` or cursor
    /// `links.next`), up to `cap` items; the side-loaded `users` of every page with them.
    pub async fn get_all(
        &self,
        path: &str,
        key: &str,
        cap: usize,
    ) -> Result<(Vec<Value>, Vec<Value>), Refused> {
        let (mut items, mut users) = (Vec::new(), Vec::new());
        let mut next = Some(path.to_string());
        while let Some(path) = next.take() {
            let page = self.get(&path).await?;
            items.extend(page[key].as_array().into_iter().flatten().cloned());
            users.extend(page["users"].as_array().into_iter().flatten().cloned());
            if items.len() >= cap {
                items.truncate(cap);
                break;
            }
            let more = page["next_page"]
                .as_str()
                .or_else(|| {
                    (page["meta"]["has_more"] == true)
                        .then(|| page["links"]["next"].as_str())
                        .flatten()
                })
                .and_then(api_path);
            next = more.filter(|p| *p != path);
        }
        Ok((items, users))
    }
}

/// The path and query of an absolute API URL the API handed out.
pub fn api_path(url: &str) -> Option<String> {
    url.find("/api/v2/").map(|at| url[at..].to_string())
}

fn failed(message: String) -> Answer {
    Answer {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        body: serde_json::json!({"error": "ConsoleError", "description": message}),
        retry_after: None,
    }
}

/// A query-string value, encoded.
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
