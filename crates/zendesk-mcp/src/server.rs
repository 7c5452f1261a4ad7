//! The MCP request handler: lists the selected registry tools and runs calls against them.
//! Transport-agnostic (stdio and HTTP both serve this), and holds the server's configuration
//! (the connection inside `CallContext`) so credentials never pass through a model.
//!
//! Every tool failure, including bad arguments and a panic inside a tool, becomes a tool result
//! with `isError` and a message the model can act on; only an unknown tool name is a protocol
//! error, as MCP asks.

use std::{panic::AssertUnwindSafe, sync::Arc, time::Instant};

use futures_util::FutureExt;
use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock,
        GetPromptRequestParams, GetPromptResponse, Implementation, JsonObject, ListPromptsResult,
        ListResourceTemplatesResult, ListToolsResult, PaginatedRequestParams,
        ProgressNotificationParam, ProgressToken, ReadResourceRequestParams, ReadResourceResponse,
        ServerCapabilities, ServerConfig, Tool as McpTool,
    },
    service::{Peer, RequestContext},
};
use serde_json::Value;
use tokio::sync::mpsc;
use zendesk_tools::{CallContext, FilledBy, Progress, Tool, ToolResult, ToolSpec};

use crate::{guides, schema};

/// One exposed tool: its registry entry and its MCP description, built once at start.
struct Exposed {
    tool: &'static Tool,
    description: McpTool,
}

struct Inner {
    tools: Vec<Exposed>,
    context: CallContext,
}

/// The zd MCP server. Cheap to clone (one per HTTP session shares the same state).
#[derive(Clone)]
pub struct ZendeskMcpServer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ZendeskMcpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZendeskMcpServer")
            .field("tools", &self.tool_names())
            .field("context", &self.inner.context)
            .finish()
    }
}

impl ZendeskMcpServer {
    /// A server exposing `tools` (see [`crate::ToolSelection`]). `context` is the base of every
    /// call's context: the configured connection; the server adds the progress reporter.
    pub fn new(tools: Vec<&'static Tool>, context: CallContext) -> Self {
        let tools = tools
            .into_iter()
            .map(|tool| Exposed {
                tool,
                description: schema::mcp_tool(&tool.spec),
            })
            .collect();
        Self {
            inner: Arc::new(Inner { tools, context }),
        }
    }

    pub fn tool_names(&self) -> Vec<&'static str> {
        self.inner
            .tools
            .iter()
            .map(|exposed| exposed.tool.spec.id)
            .collect()
    }

    /// The MCP descriptions of the exposed tools, as `tools/list` returns them.
    pub fn mcp_tools(&self) -> Vec<McpTool> {
        self.inner
            .tools
            .iter()
            .map(|exposed| exposed.description.clone())
            .collect()
    }

    fn find(&self, name: &str) -> Option<&'static Tool> {
        self.inner
            .tools
            .iter()
            .find(|exposed| exposed.tool.spec.id == name)
            .map(|exposed| exposed.tool)
    }

    /// Run one tool call with the server's context and an optional progress reporter, mapped to
    /// an MCP tool result. Never fails: every problem becomes an `isError` result.
    pub async fn call(
        &self,
        tool: &'static Tool,
        arguments: Option<JsonObject>,
        progress: Option<zendesk_tools::ProgressFn>,
    ) -> CallToolResult {
        let args = match prepare_arguments(&tool.spec, arguments) {
            Ok(args) => args,
            Err(message) => return tool_error(tool.spec.id, &message, None),
        };
        let mut context = self.inner.context.clone();
        context.progress = progress;
        let started = Instant::now();
        // A panic inside a tool must not take the server (or the client's pending request) down.
        let outcome = AssertUnwindSafe(tool.call(args, &context))
            .catch_unwind()
            .await;
        let result = match outcome {
            Ok(result) => result,
            Err(_) => {
                tracing::error!(tool = tool.spec.id, "tool panicked");
                return tool_error(
                    tool.spec.id,
                    "internal error in the tool (a bug in zd); the request may or may not have \
                     reached Zendesk, so check before retrying a change",
                    None,
                );
            }
        };
        tracing::debug!(
            tool = tool.spec.id,
            success = result.success,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "tool call"
        );
        to_call_tool_result(tool.spec.id, result)
    }
}

/// Hold a model's arguments to what a model may set.
///
/// - no arguments at all means `{}`;
/// - an argument the tool does not declare is refused, naming the valid ones (credentials are
///   not offered);
/// - a configuration parameter (credentials, subdomain) is refused: a model must not redirect
///   the server's credentials to another account, nor swap them;
/// - values pass unchanged: the registry checks them (and accepts `12345` for `"12345"`).
pub fn prepare_arguments(spec: &ToolSpec, arguments: Option<JsonObject>) -> Result<Value, String> {
    let arguments = arguments.unwrap_or_default();
    for name in arguments.keys() {
        let Some(param) = spec.params.iter().find(|param| param.name == name) else {
            return Err(unknown_argument(spec, name));
        };
        if param.filled_by == FilledBy::Configuration {
            return Err(format!(
                "`{name}` is part of the server's configuration and cannot be passed in a call; \
                 remove it and call again"
            ));
        }
    }
    Ok(Value::Object(arguments))
}

fn unknown_argument(spec: &ToolSpec, name: &str) -> String {
    let valid: Vec<&str> = schema::model_params(spec).map(|param| param.name).collect();
    if valid.is_empty() {
        format!("unknown argument `{name}`: {} takes no arguments", spec.id)
    } else {
        format!(
            "unknown argument `{name}`; {} takes: {}",
            spec.id,
            valid.join(", ")
        )
    }
}

fn tool_error(tool: &str, message: &str, output: Option<&Value>) -> CallToolResult {
    let mut content = vec![ContentBlock::text(format!("{tool} failed: {message}"))];
    // What the tool could still report (a job id, Zendesk's retry_after, ...) helps the model
    // decide what to do next.
    if let Some(output) = output.filter(|output| match output {
        Value::Object(map) => !map.is_empty(),
        Value::Null => false,
        _ => true,
    }) {
        content.push(ContentBlock::text(output.to_string()));
    }
    CallToolResult::error(content)
}

/// Map a registry result to MCP: success gives the `output` object as structured content plus
/// the same JSON as text (for clients without structured-content support).
pub fn to_call_tool_result(tool: &str, result: ToolResult) -> CallToolResult {
    if result.success {
        CallToolResult::structured(result.output)
    } else {
        let message = result
            .error
            .as_deref()
            .unwrap_or("the tool reported a failure without a message");
        tool_error(tool, message, Some(&result.output))
    }
}

/// A progress reporter that forwards registry progress to the client as
/// `notifications/progress` for `token`, in order, from a task that ends when the reporter is
/// dropped.
fn progress_forwarder(
    peer: Peer<RoleServer>,
    token: ProgressToken,
) -> (zendesk_tools::ProgressFn, tokio::task::JoinHandle<()>) {
    let (sender, mut receiver) = mpsc::unbounded_channel::<Progress>();
    let forward = tokio::spawn(async move {
        while let Some(progress) = receiver.recv().await {
            let mut param = ProgressNotificationParam::new(token.clone(), progress.progress);
            param.total = progress.total;
            param.message = progress.message;
            if let Err(error) = peer.notify_progress(param).await {
                tracing::debug!(%error, "progress notification not delivered");
            }
        }
    });
    let report: zendesk_tools::ProgressFn = Arc::new(move |progress: Progress| {
        // The receiver only goes away with the call; a lost update then harms nobody.
        let _ = sender.send(progress);
    });
    (report, forward)
}

impl ServerHandler for ZendeskMcpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_prompts()
                .enable_resources()
                .enable_tools()
                .build(),
        )
        .with_server_info(
            Implementation::new("zd", env!("CARGO_PKG_VERSION")).with_title("zd: Zendesk tools"),
        )
        .with_instructions(
            "Zendesk Support tools: tickets and their conversations (comments, internal \
                 notes, public replies, history), ticket fields, groups, users, organizations, \
                 organization fields, search and job statuses. A public reply \
                 (zendesk_reply_to_ticket, or a comment on zendesk_update_ticket) is emailed to \
                 the customer; zendesk_add_internal_note never is. Credentials are configured on \
                 the server; never pass them. IDs are numeric strings such as \"12345\". Bulk \
                 tools return a job id: follow it with zendesk_get_job_status. Prompts: \
                 triage-ticket, draft-reply. Resource: zendesk://tickets/{id}.",
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult {
            tools: self.mcp_tools(),
            ..Default::default()
        })
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(guides::prompts()))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        guides::prompt(&request.name, request.arguments.as_ref()).map(Into::into)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            guides::resource_templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        guides::read(&request.uri, &self.inner.context)
            .await
            .map(Into::into)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(tool) = self.find(&request.name) else {
            return Err(McpError::invalid_params(
                format!(
                    "unknown tool `{}`; this server exposes: {}",
                    request.name,
                    self.tool_names().join(", ")
                ),
                None,
            ));
        };
        let (progress, forwarder) = match context.meta.get_progress_token() {
            Some(token) => {
                let (report, task) = progress_forwarder(context.peer.clone(), token);
                (Some(report), Some(task))
            }
            None => (None, None),
        };
        let result = tokio::select! {
            result = self.call(tool, request.arguments, progress) => result,
            () = context.ct.cancelled() => tool_error(tool.spec.id, "cancelled by the client", None),
        };
        // The reporter was dropped with the call: let the queued notifications go out before
        // the result, so the client sees them in order.
        // Bounded, in case a tool kept a clone of the reporter alive.
        if let Some(task) = forwarder {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), task).await;
        }
        Ok(result.into())
    }
}
