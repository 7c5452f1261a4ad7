//! The zd tool registry: every tool's declaration (id, description, parameters, outputs,
//! annotations) and its call, JSON in and JSON out. One definition serves the library, the CLI
//! and the MCP server; this crate knows nothing of either.
//!
//! INTERFACE CONTRACT (pinned so the CLI and the MCP crates can be built in parallel; the
//! implementation may grow, but these names and shapes stay):
//! - `registry() -> &'static Registry`; `Registry::tools() -> &[Tool]`; `Registry::get(id)`.
//! - `Tool { spec: ToolSpec, .. }`; `Tool::call(args, &CallContext) -> ToolResult` (async).
//! - `ToolSpec { id, description, params: Vec<ParamSpec>, outputs: Vec<OutputSpec>, annotations }`.
//! - `ParamSpec { name, ty, required, description, filled_by }`; credentials are
//!   `FilledBy::Configuration`, everything else `FilledBy::Model`.
//! - `ToolResult { success, output, error }` with `to_json()` giving
//!   `{"success": true, "output": {...}}` or `{"success": false, "error": "...", "output": {...}}`.
//! - `CallContext` carries the connection settings (`Connection`: base URL, subdomain,
//!   credentials; the environment fills what it leaves out) and an optional progress callback
//!   for long waits (bulk jobs).
//!
//! How a call runs: the arguments are checked against the tool's declaration (`params`), the
//! tool's `plan` turns them into one Zendesk request (or a page of a list, or a job to follow)
//! without any I/O, built by the client's resource handlers as plain values
//! (`zendesk::Detached`, so no path is written in this crate), the connection is resolved
//! (subdomain validated), and only then is anything sent (`exec`). So a refused call never
//! reaches the network. `Tool::pages` walks a list tool's pages with the client's pager.

use std::sync::Arc;

use serde_json::Value;

mod audits;
mod comments;
mod connection;
mod exec;
mod groups;
mod hints;
mod jobs;
mod organization_fields;
mod organizations;
mod output;
mod params;
mod plan;
mod search;
mod spec;
mod thread;
mod ticket_fields;
mod tickets;
mod users;

pub use connection::{Connection, normalize_subdomain};
pub use spec::{Annotations, FilledBy, OutputSpec, ParamForm, ParamSpec, ToolSpec};
pub use thread::{Thread, ThreadError};

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
}

impl CallContext {
    pub fn with_connection(connection: Connection) -> Self {
        CallContext {
            progress: None,
            connection,
        }
    }
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("progress", &self.progress.is_some())
            .field("connection", &self.connection)
            .finish()
    }
}

/// Turns checked arguments into what to send; pure, so refusals happen before any I/O.
pub(crate) type PlanFn = fn(&params::Params) -> Result<plan::Plan, ToolError>;

pub struct Tool {
    pub spec: ToolSpec,
    plan: PlanFn,
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
        let params = params::Params::parse(&self.spec, args)?;
        let plan = (self.plan)(&params)?;
        let target = connection::resolve(&params, &ctx.connection)?;
        exec::execute(&target, plan, ctx)
            .await
            .map_err(|error| self.with_finder(error, &params))
    }

    /// A "no such record" answer names the tool that finds the ID the call gave.
    fn with_finder(&self, mut error: ToolError, params: &params::Params) -> ToolError {
        if error.output.get("status").and_then(Value::as_u64) == Some(404)
            && error.output.get("code").and_then(Value::as_str) != Some("InvalidEndpoint")
            && let Some(hint) = self
                .spec
                .params
                .iter()
                .filter(|param| params.given(param.name))
                .find_map(|param| hints::finder(param.name))
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
        let prepared = params::Params::parse(&self.spec, args).and_then(|params| {
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
        let params = params::Params::parse(&self.spec, args).map_err(|e| e.message)?;
        (self.plan)(&params).map_err(|e| e.message)?;
        connection::resolve(&params, connection).map_err(|e| e.message)?;
        Ok(())
    }
}

pub struct Registry {
    tools: Vec<Tool>,
}

impl Registry {
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    pub fn get(&self, id: &str) -> Option<&Tool> {
        self.tools.iter().find(|tool| tool.spec.id == id)
    }

    /// The whole registry in the shape of `spec/tools.json`: `{"tools": [{id, description,
    /// params, outputs}, ...]}`.
    pub fn to_json(&self) -> Value {
        let tools: Vec<Value> = self
            .tools
            .iter()
            .map(|tool| serde_json::to_value(&tool.spec).unwrap_or(Value::Null))
            .collect();
        serde_json::json!({ "tools": tools })
    }
}

pub fn registry() -> &'static Registry {
    static REGISTRY: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| Registry {
        tools: vec![
            tickets::get_tickets(),
            tickets::get_ticket(),
            tickets::create_ticket(),
            tickets::create_tickets_bulk(),
            tickets::update_ticket(),
            tickets::update_tickets_bulk(),
            tickets::delete_ticket(),
            tickets::merge_tickets(),
            users::get_users(),
            users::get_user(),
            users::get_current_user(),
            users::search_users(),
            users::create_user(),
            users::create_users_bulk(),
            users::update_user(),
            users::update_users_bulk(),
            users::delete_user(),
            organizations::get_organizations(),
            organizations::get_organization(),
            organizations::autocomplete_organizations(),
            organizations::create_organization(),
            organizations::create_organizations_bulk(),
            organizations::update_organization(),
            organizations::delete_organization(),
            search::search(),
            search::search_count(),
            // Additions beyond the seed (TOOL_BEHAVIOR.md).
            jobs::get_job_status(),
            organization_fields::get_organization_fields(),
            organization_fields::get_organization_field(),
            organization_fields::create_organization_field(),
            organization_fields::update_organization_field(),
            organization_fields::delete_organization_field(),
            organization_fields::reorder_organization_fields(),
            // The conversation, history, fields and groups of issue 9.
            comments::get_ticket_comments(),
            comments::add_internal_note(),
            comments::reply_to_ticket(),
            audits::get_ticket_audits(),
            ticket_fields::get_ticket_fields(),
            groups::get_groups(),
            groups::get_group_memberships(),
        ],
    })
}

/// Why a call failed: the message says what was wrong and what to send instead; `output`
/// carries machine-readable details (HTTP status, Zendesk's error body) when there are any.
#[derive(Debug, Clone)]
pub(crate) struct ToolError {
    pub message: String,
    pub output: Value,
}

impl ToolError {
    /// Bad input from the caller: nothing was sent.
    pub fn invalid(message: impl Into<String>) -> Self {
        ToolError {
            message: message.into(),
            output: Value::Object(Default::default()),
        }
    }

    pub fn with_output(message: impl Into<String>, output: Value) -> Self {
        ToolError {
            message: message.into(),
            output,
        }
    }

    fn into_result(self) -> ToolResult {
        ToolResult::failure(self.message, self.output)
    }
}

#[cfg(test)]
mod wire_tests;
