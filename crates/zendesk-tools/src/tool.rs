//! One tool as a host calls it: its declaration (`ToolSpec`) and its plan, run as JSON in, JSON
//! out (`Tool::call`), page by page (`Tool::pages`) or only checked (`Tool::check`); the
//! `CallContext` a host gives every call; and the `ToolResult` in the spec's shape.
//!
//! How a call runs: the arguments are held to the declaration (`params`), the plan turns them
//! into one Zendesk request (or a page of a list, or a job to follow) without any I/O, the
//! connection is resolved (subdomain validated), and only then is anything sent (`exec`). So a
//! refused call never reaches the network.

use std::sync::Arc;

use serde_json::Value;

use crate::connection::{self, Connection};
use crate::error::ToolError;
use crate::params::Params;
use crate::plan::PlanFn;
use crate::spec::ToolSpec;
use crate::{exec, hints};

/// The outcome of one tool call, in the spec's result shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub success: bool,
    pub output: Value,
    pub error: Option<String>,
}

impl ToolResult {
    pub fn ok(output: Value) -> Self {
        ToolResult {
            success: true,
            output,
            error: None,
        }
    }

    pub fn failure(error: impl Into<String>, output: Value) -> Self {
        ToolResult {
            success: false,
            output,
            error: Some(error.into()),
        }
    }

    /// `{"success": true, "output": {...}}` or `{"success": false, "error": "...", "output": {...}}`.
    pub fn to_json(&self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("success".into(), Value::Bool(self.success));
        if let Some(error) = &self.error {
            map.insert("error".into(), Value::String(error.clone()));
        }
        map.insert("output".into(), self.output.clone());
        Value::Object(map)
    }
}

/// Progress of a long-running call (a bulk job being followed), for progress bars and MCP
/// progress notifications.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub progress: f64,
    pub total: Option<f64>,
    pub message: Option<String>,
}

pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Everything a call needs besides its arguments.
#[derive(Clone, Default)]
pub struct CallContext {
    /// Called while a tool waits on a job; absent means nobody is listening.
    pub progress: Option<ProgressFn>,
    /// Connection settings injected by the host (the CLI's embedded sandbox, the MCP server's
    /// configuration). They take precedence over the environment; explicit credential params
    /// take precedence over both.
    pub connection: Connection,
    /// The directory files may be uploaded from (`zendesk_upload_attachment`), set by the
    /// host's operator; `None` turns uploading off. A caller names files inside it only.
    pub attachments_dir: Option<std::path::PathBuf>,
}

impl CallContext {
    pub fn with_connection(connection: Connection) -> Self {
        CallContext {
            progress: None,
            connection,
            attachments_dir: None,
        }
    }
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("progress", &self.progress.is_some())
            .field("connection", &self.connection)
            .field("attachments_dir", &self.attachments_dir)
            .finish()
    }
}

pub struct Tool {
    pub spec: ToolSpec,
    pub(crate) plan: PlanFn,
}

impl Tool {
    pub(crate) fn new(spec: ToolSpec, plan: PlanFn) -> Self {
        Tool { spec, plan }
    }

    pub async fn call(&self, args: Value, ctx: &CallContext) -> ToolResult {
        match self.run(args, ctx).await {
            Ok(output) => ToolResult::ok(output),
            Err(error) => error.into_result(),
        }
    }

    async fn run(&self, args: Value, ctx: &CallContext) -> Result<Value, ToolError> {
        let params = Params::parse(&self.spec, args)?;
        let plan = (self.plan)(&params)?;
        let target = connection::resolve(&params, &ctx.connection)?;
        exec::execute(&target, plan, ctx)
            .await
            .map_err(|error| self.with_finder(error, &params))
    }

    /// A "no such record" answer names the tool that finds the ID the call gave (the one the
    /// plan says was not found, else the first given).
    fn with_finder(&self, mut error: ToolError, params: &Params) -> ToolError {
        let named = error
            .output
            .get("not_found")
            .and_then(Value::as_str)
            .and_then(hints::finder);
        if error.output.get("status").and_then(Value::as_u64) == Some(404)
            && error.output.get("code").and_then(Value::as_str) != Some("InvalidEndpoint")
            && let Some(hint) = named.or_else(|| {
                self.spec
                    .params
                    .iter()
                    .filter(|param| params.given(param.name))
                    .find_map(|param| hints::finder(param.name))
            })
        {
            error.message.push_str("; ");
            error.message.push_str(hint);
        }
        error
    }

    /// Every page of a list tool (`zendesk_get_tickets`, `zendesk_search`, ...), from the one
    /// `pageAfter` / `page` points at to the last, each a result shaped like `call`'s output.
    /// The pages are walked by the client's pager: it stops when Zendesk says there are no more
    /// and fails (ending the stream) if Zendesk sends the same cursor twice, instead of looping.
    /// A tool that is not a list runs once. Refused arguments give one failure and send nothing.
    pub fn pages(
        &self,
        args: Value,
        ctx: &CallContext,
    ) -> impl futures_util::Stream<Item = ToolResult> + Send + use<> {
        use futures_util::StreamExt;
        let prepared = Params::parse(&self.spec, args).and_then(|params| {
            let plan = (self.plan)(&params)?;
            let target = connection::resolve(&params, &ctx.connection)?;
            Ok((plan, target))
        });
        let stream = match prepared {
            Ok((plan, target)) => exec::pages(&target, plan, ctx).left_stream(),
            Err(error) => futures_util::stream::iter([Err(error)]).right_stream(),
        };
        stream.map(|page| match page {
            Ok(output) => ToolResult::ok(output),
            Err(error) => error.into_result(),
        })
    }

    /// Checks arguments and builds the request without sending anything: what `call` would
    /// refuse, this refuses too. For hosts that want to validate before asking a person.
    pub fn check(&self, args: Value, connection: &Connection) -> Result<(), String> {
        let params = Params::parse(&self.spec, args).map_err(|e| e.message)?;
        (self.plan)(&params).map_err(|e| e.message)?;
        connection::resolve(&params, connection).map_err(|e| e.message)?;
        Ok(())
    }
}
