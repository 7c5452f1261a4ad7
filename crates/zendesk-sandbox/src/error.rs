//! Zendesk's error envelopes, and the conversion of everything that can go wrong in a request
//! (bad JSON, bad parameters, database failures) into one of them. Nothing here ever renders
//! axum's plain-text rejections: every failure answers in a shape a Zendesk client understands.
//! Also why a sandbox could not start or stop ([`SandboxError`]).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::store::{StoreError, StoreErrorKind};

/// An error answered in one of Zendesk's shapes.
#[derive(Debug)]
pub enum ApiError {
    /// 404 `{"error": "RecordNotFound", "description": "Not found"}`.
    NotFound,
    /// 422 `{"error": "RecordInvalid", "description": "Record validation errors", "details": {...}}`.
    Invalid(Map<String, Value>),
    /// 400 with `error` + `description` (+ `max_count` for TooManyValues).
    BadRequest {
        error: &'static str,
        description: String,
        max_count: Option<u32>,
    },
    /// 400 `{"errors": [{"code": "InvalidPaginationDepth", "title": ...}]}`.
    PaginationDepth,
    /// 401 `{"error": "Couldn't authenticate you"}`.
    Unauthorized,
    /// 401 for a bearer token that is unknown, expired or revoked, as Zendesk answers it:
    /// `{"error": "invalid_token", "error_description": ...}` with `WWW-Authenticate: Bearer`.
    InvalidToken,
    /// 403 `{"error": "Forbidden", "description": ...}`.
    Forbidden,
    /// 403 with a description saying what was refused (a field the caller may not change).
    ForbiddenBecause(String),
    /// 409 on a stale `safe_update`.
    Conflict(String),
    /// 429 when 30 jobs are already queued or running.
    TooManyJobs,
    /// 503 with `Retry-After` while the database cannot be reached (a PostgreSQL server that
    /// went away, a store shutting down): a wait, not a fault of the request.
    Unavailable,
    /// 422 with an arbitrary Zendesk-shaped body (search limits, merge refusals).
    Unprocessable(Value),
    /// 400 with a body of its own (the webhooks API's `{"errors": [...]}`).
    BadInput(Value),
    /// Another status with the error shape of Zendesk's newer APIs: `{"errors": [{"code",
    /// "title"}]}` (trigger categories).
    Errors {
        status: StatusCode,
        code: &'static str,
        title: String,
    },
    /// 500; the detail is logged, never sent.
    Internal(String),
}

impl ApiError {
    /// A 422 with one detail: `details.{field} = [{"description", "error"}]`.
    pub fn invalid(field: &str, description: impl Into<String>, error: &str) -> ApiError {
        let mut details = Map::new();
        details.insert(
            field.to_string(),
            json!([{"description": description.into(), "error": error}]),
        );
        ApiError::Invalid(details)
    }

    /// A 400 `InvalidParameter`-style error naming the parameter and the expected form.
    pub fn bad_param(description: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            error: "InvalidPaginationParameter",
            description: description.into(),
            max_count: None,
        }
    }

    /// 400 for a query parameter that is not pagination.
    pub fn bad_value(description: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            error: "InvalidValue",
            description: description.into(),
            max_count: None,
        }
    }

    /// 400 TooManyValues with Zendesk's wording and `max_count`.
    pub fn too_many_values() -> ApiError {
        ApiError::BadRequest {
            error: "TooManyValues",
            description: format!(
                "Parameter  cannot specify more than {} values",
                zendesk_types::limits::MAX_BULK_ITEMS
            ),
            max_count: Some(zendesk_types::limits::MAX_BULK_ITEMS as u32),
        }
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Invalid(_) | ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } | ApiError::PaginationDepth | ApiError::BadInput(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Unauthorized | ApiError::InvalidToken => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::ForbiddenBecause(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyJobs => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Errors { status, .. } => *status,
        }
    }

    /// The JSON body Zendesk would send.
    pub fn body(&self) -> Value {
        match self {
            ApiError::NotFound => json!({"error": "RecordNotFound", "description": "Not found"}),
            ApiError::Invalid(details) => json!({
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": details,
            }),
            ApiError::BadRequest {
                error,
                description,
                max_count,
            } => {
                let mut body = json!({"error": error, "description": description});
                if let Some(max) = max_count {
                    body["max_count"] = json!(max);
                }
                body
            }
            ApiError::PaginationDepth => json!({"errors": [{
                "code": "InvalidPaginationDepth",
                "title": "Offset pagination is limited to the first 10,000 records: use cursor \
                          pagination (page[size], page[after]) to go deeper",
            }]}),
            ApiError::Unauthorized => json!({"error": "Couldn't authenticate you"}),
            ApiError::InvalidToken => json!({
                "error": "invalid_token",
                "error_description": "The access token provided is expired, revoked, malformed or invalid for other reasons.",
            }),
            ApiError::Forbidden => json!({
                "error": "Forbidden",
                "description": "You do not have access to this page. Please contact the account owner of this help desk for further help.",
            }),
            ApiError::ForbiddenBecause(description) => json!({
                "error": "Forbidden",
                "description": description,
            }),
            ApiError::Conflict(description) => json!({
                "error": "UpdateConflict",
                "description": description,
            }),
            ApiError::TooManyJobs => json!({
                "error": "TooManyJobs",
                "description": "Too many jobs are queued or running for this account (at most 30): wait for some to finish",
            }),
            ApiError::Unavailable => json!({
                "error": "ServiceUnavailable",
                "description": format!(
                    "The sandbox cannot reach its database right now; try again in {UNAVAILABLE_RETRY_SECS} seconds"
                ),
            }),
            ApiError::Unprocessable(body) | ApiError::BadInput(body) => body.clone(),
            ApiError::Errors { code, title, .. } => {
                json!({"errors": [{"code": code, "title": title}]})
            }
            ApiError::Internal(_) => json!({
                "error": "InternalError",
                "description": "The sandbox failed to handle this request; see its log",
            }),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let status = self.status();
        let mut response = (status, axum::Json(self.body())).into_response();
        match self {
            ApiError::TooManyJobs => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
            }
            ApiError::Unavailable => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(UNAVAILABLE_RETRY_SECS),
                );
            }
            ApiError::InvalidToken => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"Zendesk\", error=\"invalid_token\""),
                );
            }
            _ => {}
        }
        response
    }
}

/// Seconds a client is asked to wait while the database cannot be reached.
const UNAVAILABLE_RETRY_SECS: u64 = 5;

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error.kind {
            StoreErrorKind::Unavailable => {
                tracing::warn!(detail = %error.detail, "the database is unavailable");
                ApiError::Unavailable
            }
            _ => ApiError::Internal(format!("storage: {error}")),
        }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(error: serde_json::Error) -> Self {
        ApiError::Internal(format!("stored JSON: {error}"))
    }
}

/// The body for a request whose JSON could not be parsed.
pub fn malformed_json(detail: &str) -> ApiError {
    ApiError::BadRequest {
        error: "InvalidJSON",
        description: format!("The request body is not valid JSON: {detail}"),
        max_count: None,
    }
}

/// Why a sandbox could not start or stop.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("sandbox database error: {0}")]
    Storage(StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid sandbox configuration: {0}")]
    Config(String),
    #[error("the sandbox server failed: {0}")]
    Serve(std::io::Error),
}

impl From<StoreError> for SandboxError {
    /// A database that cannot be opened as configured is the configuration's fault.
    fn from(error: StoreError) -> SandboxError {
        match error.kind {
            StoreErrorKind::Config => SandboxError::Config(error.detail),
            _ => SandboxError::Storage(error),
        }
    }
}
