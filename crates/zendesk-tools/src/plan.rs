//! What a tool will do on the wire, decided before any I/O: a request built by the client's
//! resource handlers (`zendesk::Detached`, so no path is written here) with the function that
//! turns Zendesk's answer into the tool's output; one page of a list; a job status to follow; or
//! a bulk request whose job is then followed. A request the client's handler refuses (too many
//! IDs, a bad path) is refused here, while planning, so a refused call never sends anything.
//! Plans are plain values, so tests can read exactly what would be sent.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use zendesk::{Detached, ListRequest, Request};
use zendesk_types::{JobStatusId, ListKey};

use crate::error::ToolError;
use crate::params::Params;

/// A tool's plan: its checked arguments -> what to send. Pure, so refusals happen before any I/O.
pub(crate) type PlanFn = fn(&Params) -> Result<Plan, ToolError>;

/// Turns Zendesk's answer (the JSON body; `null` for `204 No Content`) into the tool's output.
pub(crate) type Shape = Box<dyn FnOnce(Value) -> Result<Value, ToolError> + Send>;

/// Turns one page of a list (its records as Zendesk's JSON) into the tool's output; called for
/// every page when a host walks the list (`Tool::pages`).
pub(crate) type PageShape =
    Arc<dyn Fn(zendesk::Page<Value>) -> Result<Value, ToolError> + Send + Sync>;

pub(crate) enum Plan {
    Send {
        request: Request<Value, Detached>,
        shape: Shape,
    },
    /// One page of a list (the one `pageAfter` / `page` points at); a host may walk on.
    List {
        list: ListRequest<Value, Detached>,
        shape: PageShape,
    },
    /// Read a job status, polling until it ends or `wait` runs out when a wait is given.
    FollowJob {
        job_id: JobStatusId,
        wait: Option<Duration>,
    },
    /// Send a request that starts a bulk job (its shaped output has `job_status` and `job_id`),
    /// then follow that job for up to `wait`, as `FollowJob` does.
    SendThenFollow {
        request: Request<Value, Detached>,
        shape: Shape,
        wait: Duration,
    },
    /// Send two reads (the first, then the second), shaped together. A 404 of either names the
    /// param whose record was not found (`missing`).
    Both {
        requests: Box<[Request<Value, Detached>; 2]>,
        missing: [&'static str; 2],
        shape: PairShape,
    },
    /// Read an attachment's record, then fetch its file (text up to `max_text` bytes, images up
    /// to `max_image` bytes), shaped by `crate::attachments`.
    Attachment {
        request: Request<Value, Detached>,
        max_text: usize,
        max_image: usize,
    },
    /// Upload a file from the host's attachments directory (`CallContext::attachments_dir`):
    /// `file` as the caller named it, checked against the directory when the call runs.
    Upload { file: String, token: Option<String> },
}

/// Turns the answers of a `Both` plan into the tool's output.
pub(crate) type PairShape = Box<dyn FnOnce(Value, Value) -> Result<Value, ToolError> + Send>;

/// The client's refusal as the tool's: its words, without the client's prefix.
fn refused(error: zendesk::Error) -> ToolError {
    match error {
        zendesk::Error::InvalidRequest(message) => ToolError::invalid(message),
        other => ToolError::invalid(other.to_string()),
    }
}

impl Plan {
    /// Sends `request` (refused now if its handler refused it), answered as Zendesk's JSON.
    pub fn send<T>(
        request: Request<T, Detached>,
        shape: impl FnOnce(Value) -> Result<Value, ToolError> + Send + 'static,
    ) -> Result<Self, ToolError> {
        let request = request.raw();
        request.check().map_err(refused)?;
        Ok(Plan::Send {
            request,
            shape: Box::new(shape),
        })
    }

    /// One page of `list` (refused now if its handler refused it), its records kept as
    /// Zendesk's JSON.
    pub fn list<T: ListKey>(
        list: ListRequest<T, Detached>,
        shape: impl Fn(zendesk::Page<Value>) -> Result<Value, ToolError> + Send + Sync + 'static,
    ) -> Result<Self, ToolError> {
        let list = list.raw();
        list.check().map_err(refused)?;
        Ok(Plan::List {
            list,
            shape: Arc::new(shape),
        })
    }

    /// One page of `list` as `{out_key: records, paging, metadata}`, each record cut to
    /// `fields` when the caller asked for some.
    pub fn records<T: ListKey>(
        list: ListRequest<T, Detached>,
        out_key: &'static str,
        fields: Option<Vec<&'static str>>,
    ) -> Result<Self, ToolError> {
        Plan::list(list, move |page| {
            Ok(crate::output::page(page, out_key, fields.as_deref()))
        })
    }

    /// Two reads shaped together (both refused now if either handler refused).
    pub fn both<A, B>(
        first: Request<A, Detached>,
        second: Request<B, Detached>,
        missing: [&'static str; 2],
        shape: impl FnOnce(Value, Value) -> Result<Value, ToolError> + Send + 'static,
    ) -> Result<Self, ToolError> {
        let (first, second) = (first.raw(), second.raw());
        first.check().map_err(refused)?;
        second.check().map_err(refused)?;
        Ok(Plan::Both {
            requests: Box::new([first, second]),
            missing,
            shape: Box::new(shape),
        })
    }

    /// A request that starts a bulk job: sent alone without a wait (the seed behaviour), or
    /// followed by following the job when `wait` is given.
    pub fn job<T>(
        request: Request<T, Detached>,
        shape: impl FnOnce(Value) -> Result<Value, ToolError> + Send + 'static,
        wait: Option<Duration>,
    ) -> Result<Self, ToolError> {
        match (Plan::send(request, shape)?, wait) {
            (Plan::Send { request, shape }, Some(wait)) => Ok(Plan::SendThenFollow {
                request,
                shape,
                wait,
            }),
            (plan, _) => Ok(plan),
        }
    }

    /// The request this plan sends first (the page it lists, the job status it reads), for
    /// tests and dry runs.
    #[cfg(test)]
    pub fn request(&self) -> Wire {
        match self {
            Plan::Send { request, .. }
            | Plan::SendThenFollow { request, .. }
            | Plan::Attachment { request, .. } => Wire::of(request),
            Plan::Both { requests, .. } => Wire::of(&requests[0]),
            Plan::Upload { file, .. } => Wire::of(
                &Detached
                    .attachments()
                    .upload(file, "application/octet-stream", Vec::new(), None)
                    .raw(),
            ),
            Plan::List { list, .. } => Wire::of(&list.request()),
            Plan::FollowJob { job_id, .. } => Wire::of(&Detached.job_statuses().show(job_id).raw()),
        }
    }
}

/// What goes on the wire, read from the client's request value.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Wire {
    pub method: zendesk::Method,
    /// Path under `/api/v2`, starting with `/`.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
}

#[cfg(test)]
impl Wire {
    fn of<T>(request: &Request<T, Detached>) -> Self {
        Wire {
            method: request.method().clone(),
            path: request.path().to_owned(),
            query: request.query().to_vec(),
            body: request.body().cloned(),
        }
    }
}
