//! Test helpers: an in-memory sandbox driven through `app(...)` with `oneshot`, credentials for
//! each role, and a job follower.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use serde_json::{Value, json};
use tower::ServiceExt;
use zendesk_sandbox::{AppState, Config, app};

pub const ADMIN_TOKEN: &str = "test-admin-token";

pub struct Sb {
    pub state: AppState,
    pub router: axum::Router,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

pub fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

pub fn admin() -> String {
    basic("admin@example.com/token", ADMIN_TOKEN)
}

pub async fn sandbox() -> Sb {
    sandbox_with(Config {
        db_url: zendesk_sandbox::test_db_url(),
        ..Config::in_memory(ADMIN_TOKEN)
    })
    .await
}

pub async fn sandbox_with(config: Config) -> Sb {
    let state = AppState::open(&config).await.expect("sandbox opens");
    Sb {
        router: app(state.clone()),
        state,
    }
}

impl Sb {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "sandbox.test");
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .expect("request builds");
        self.raw(request).await
    }

    pub async fn raw(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body reads");
        let text = String::from_utf8_lossy(&bytes).to_string();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, Some(&admin()), None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(&admin()), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(&admin()), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.call(Method::DELETE, path, Some(&admin()), None).await
    }

    /// Uploads `bytes` as `file_name` with `auth` (`POST /uploads`); the reply.
    pub async fn upload(
        &self,
        auth: &str,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
        token: Option<&str>,
    ) -> Reply {
        let name: String = form_urlencoded::byte_serialize(file_name.as_bytes()).collect();
        let mut uri = format!("/api/v2/uploads.json?filename={name}");
        if let Some(token) = token {
            uri.push_str(&format!("&token={token}"));
        }
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header("host", "sandbox.test")
            .header("authorization", auth)
            .header("content-type", content_type)
            .body(Body::from(bytes.to_vec()))
            .expect("request builds");
        self.raw(request).await
    }

    /// Creates a ticket and returns its id.
    pub async fn ticket(&self, subject: &str) -> i64 {
        let reply = self
            .post("/api/v2/tickets.json", json!({"ticket": {"subject": subject, "comment": {"body": format!("about {subject}")}}}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        reply.body["ticket"]["id"].as_i64().expect("ticket id")
    }

    /// Creates a user with a password and returns (id, Basic header).
    pub async fn user(&self, name: &str, role: &str) -> (i64, String) {
        let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
        let reply = self
            .post("/api/v2/users.json", json!({"user": {"name": name, "email": email, "role": role, "password": "pass-word-1"}}))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        (
            reply.body["user"]["id"].as_i64().expect("user id"),
            basic(&email, "pass-word-1"),
        )
    }

    /// Polls a job status until it is completed/failed (at most ~10 s).
    pub async fn wait_job(&self, id: &str) -> Value {
        for _ in 0..200 {
            let reply = self.get(&format!("/api/v2/job_statuses/{id}.json")).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            let status = reply.body["job_status"]["status"]
                .as_str()
                .unwrap_or("")
                .to_string();
            if status == "completed" || status == "failed" || status == "killed" {
                return reply.body["job_status"].clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("job {id} did not finish");
    }

    pub fn job_id(reply: &Reply) -> String {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["job_status"]["id"]
            .as_str()
            .expect("job id")
            .to_string()
    }
}
