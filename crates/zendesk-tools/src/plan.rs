//! What a tool will do on the wire, decided before any I/O: one request (method, path under
//! `/api/v2`, query, body) with the function that turns Zendesk's answer into the tool's
//! output, a job status to follow, or a bulk request whose job is then followed. Plans are
//! plain values, so tests can read exactly what would be sent.

use std::time::Duration;

use serde_json::Value;

use crate::ToolError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
    Put,
    Delete,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    pub method: Method,
    /// Path under `/api/v2`, starting with `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Self {
        Request {
            method: Method::Get,
            path: path.into(),
            query: Vec::new(),
            body: None,
        }
    }

    pub fn post(path: impl Into<String>, body: Value) -> Self {
        Request {
            method: Method::Post,
            body: Some(body),
            ..Request::get(path)
        }
    }

    pub fn put(path: impl Into<String>, body: Value) -> Self {
        Request {
            method: Method::Put,
            body: Some(body),
            ..Request::get(path)
        }
    }

    pub fn delete(path: impl Into<String>) -> Self {
        Request {
            method: Method::Delete,
            ..Request::get(path)
        }
    }

    pub fn query(mut self, name: &str, value: impl ToString) -> Self {
        self.query.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn query_opt(self, name: &str, value: Option<impl ToString>) -> Self {
        match value {
            Some(value) => self.query(name, value),
            None => self,
        }
    }
}

/// Turns Zendesk's answer (the JSON body; `null` for `204 No Content`) into the tool's output.
pub(crate) type Shape = Box<dyn FnOnce(Value) -> Result<Value, ToolError> + Send>;

pub(crate) enum Plan {
    Send {
        request: Request,
        shape: Shape,
    },
    /// Read a job status, polling until it ends or `wait` runs out when a wait is given.
    FollowJob {
        job_id: String,
        wait: Option<Duration>,
    },
    /// Send a request that starts a bulk job (its shaped output has `job_status` and `job_id`),
    /// then follow that job for up to `wait`, as `FollowJob` does.
    SendThenFollow {
        request: Request,
        shape: Shape,
        wait: Duration,
    },
}

impl Plan {
    pub fn send(
        request: Request,
        shape: impl FnOnce(Value) -> Result<Value, ToolError> + Send + 'static,
    ) -> Self {
        Plan::Send {
            request,
            shape: Box::new(shape),
        }
    }

    /// A request that starts a bulk job: sent alone without a wait (the seed behaviour), or
    /// followed by following the job when `wait` is given.
    pub fn job(
        request: Request,
        shape: impl FnOnce(Value) -> Result<Value, ToolError> + Send + 'static,
        wait: Option<Duration>,
    ) -> Self {
        match wait {
            None => Plan::send(request, shape),
            Some(wait) => Plan::SendThenFollow {
                request,
                shape: Box::new(shape),
                wait,
            },
        }
    }

    /// The request this plan sends (the first one, for a job follow), for tests and dry runs.
    #[cfg(test)]
    pub fn request(&self) -> Request {
        match self {
            Plan::Send { request, .. } | Plan::SendThenFollow { request, .. } => request.clone(),
            Plan::FollowJob { job_id, .. } => Request::get(format!("/job_statuses/{job_id}")),
        }
    }
}
