//! The client's error type, split the way retries and messages need it (after smithy-rs):
//! construction, invalid request, timeout, connection, Zendesk's answer (`Api`), rate limit,
//! decode, paging and job-wait failures. Zendesk's error envelopes are decoded by
//! `zendesk_types::ErrorBody`, so `Display` always carries Zendesk's own words. No secret
//! ever enters an error.

use std::fmt;
use std::time::Duration;

use serde_json::Value;
use zendesk_types::{ErrorBody, JobStatus};

/// Everything that can go wrong talking to Zendesk.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be built: a bad subdomain, base URL, credential or setting.
    /// Nothing was sent.
    #[error("invalid Zendesk client setting `{field}`: {message}")]
    Construction {
        /// The setting at fault (`subdomain`, `base_url`, `auth`, ...).
        field: &'static str,
        /// What is wrong and the expected form.
        message: String,
    },
    /// A request the client refused to send (a bad path, too many IDs...). Nothing was sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No answer within the request or connect timeout.
    #[error("{method} {path} timed out after {timeout:?} without an answer from Zendesk")]
    Timeout {
        /// HTTP method.
        method: String,
        /// Path under `/api/v2`.
        path: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The request could not be delivered or its answer could not be read.
    #[error("{method} {path}: could not reach Zendesk: {message}")]
    Connection {
        /// HTTP method.
        method: String,
        /// Path under `/api/v2`.
        path: String,
        /// The transport's description of the failure.
        message: String,
        /// Whether the failure happened while connecting (nothing reached Zendesk).
        connect: bool,
    },
    /// Zendesk answered with an error status.
    #[error(transparent)]
    Api(Box<ApiError>),
    /// Zendesk answered 429 and the client would not (or could no longer) wait.
    #[error(
        "{method} {path}: Zendesk rate limit exceeded{}{}",
        retry_after.map(|d| format!("; retry after {} s", d.as_secs())).unwrap_or_default(),
        message.as_deref().map(|m| format!(": {m}")).unwrap_or_default()
    )]
    RateLimited {
        /// HTTP method.
        method: String,
        /// Path under `/api/v2`.
        path: String,
        /// Zendesk's `Retry-After`, when it sent one.
        retry_after: Option<Duration>,
        /// Zendesk's text, if any.
        message: Option<String>,
        /// `x-request-id` / `x-zendesk-request-id`.
        request_id: Option<String>,
    },
    /// The answer was not the JSON the client expected; `field` is the serde path.
    #[error("{method} {path}: unexpected response from Zendesk at `{field}`: {message}")]
    Decode {
        /// HTTP method.
        method: String,
        /// Path under `/api/v2`.
        path: String,
        /// Where in the body decoding failed (`tickets[3].status`), `.` for the root.
        field: String,
        /// serde's message.
        message: String,
    },
    /// An OAuth step failed: the token endpoint refused a code or a refresh token, the redirect
    /// was refused (`state` mismatch, access denied), or the sign-in cannot be renewed. `code`
    /// is Zendesk's (`invalid_grant`) or the client's (`state_mismatch`, `signed_out`). Never
    /// carries a token, code or secret.
    #[error("{operation}: {message}")]
    OAuth {
        /// What was being done (`refreshing the access token`).
        operation: &'static str,
        /// The token endpoint's HTTP status, when it answered.
        status: Option<u16>,
        /// The OAuth error code.
        code: Option<String>,
        /// What happened and what to do.
        message: String,
    },
    /// Paging stopped because Zendesk's answer would have looped (a repeated cursor).
    #[error("paging {path} stopped: {message}")]
    Paging {
        /// Path under `/api/v2`.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A job status did not finish before the wait ended; carries the last status seen.
    #[error(
        "job status {} is still {} after waiting {} s{}; ask again later",
        last.id, last.status, waited.as_secs(), progress_text(last)
    )]
    JobTimeout {
        /// How long the client waited.
        waited: Duration,
        /// The last status Zendesk reported.
        last: Box<JobStatus>,
    },
}

fn progress_text(job: &JobStatus) -> String {
    match (job.progress, job.total) {
        (Some(p), Some(t)) => format!(" ({p} of {t} done)"),
        _ => String::new(),
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether the same request may succeed if sent again later: rate limits, timeouts,
    /// connection failures and 5xx answers (except 501/505). Whether the client itself
    /// retries also depends on the method (see `RetryPolicy`).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Timeout { .. } | Self::Connection { .. } => true,
            Self::Api(api) => retryable_status(api.status),
            _ => false,
        }
    }

    /// The HTTP status Zendesk answered, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(api) => Some(api.status),
            Self::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Zendesk's error code (`RecordNotFound`, `RecordInvalid`...), when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Api(api) => api.code(),
            Self::OAuth { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The wait Zendesk asked for, on a rate limit.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The Zendesk error details when this is an `Api` error.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }

    pub(crate) fn construction(field: &'static str, message: impl Into<String>) -> Self {
        Self::Construction {
            field,
            message: message.into(),
        }
    }
}

pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504 | 507 | 509)
}

/// An error answer from Zendesk, with everything it said.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// HTTP method of the request.
    pub method: String,
    /// Path under `/api/v2`.
    pub path: String,
    /// The body, in whichever envelope Zendesk used.
    pub body: ErrorBody,
    /// `x-request-id` / `x-zendesk-request-id`, for Zendesk support.
    pub request_id: Option<String>,
}

impl ApiError {
    /// Zendesk's machine code (`RecordNotFound`, `RecordInvalid`...). Decide on this, never
    /// on the description (Zendesk localises it).
    pub fn code(&self) -> Option<&str> {
        self.body.code()
    }

    /// Zendesk's human text (`description`, `error.message`, `errors[].title`, plain text).
    pub fn description(&self) -> Option<&str> {
        self.body.description()
    }

    /// `details` as sent (usually `{field: [{description, error}]}`).
    pub fn details(&self) -> Option<&Value> {
        self.body.details()
    }

    /// One line per entry in `details`: `email: Email: x@y is already being used
    /// (DuplicateValue)`. `Display` already includes them.
    pub fn detail_lines(&self) -> Vec<String> {
        self.body
            .field_errors()
            .iter()
            .map(|e| {
                let text = e.description.unwrap_or("invalid");
                match e.error {
                    Some(code) => format!("{}: {text} ({code})", e.field),
                    None => format!("{}: {text}", e.field),
                }
            })
            .collect()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: Zendesk answered {}: {}",
            self.method,
            self.path,
            self.status,
            self.body.message()
        )?;
        if let ErrorBody::Coded { extra, .. } = &self.body {
            for (key, value) in extra {
                write!(f, " [{key}: {value}]")?;
            }
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}
