//! The MCP request handler: lists the selected registry tools and runs calls against them.
//! Transport-agnostic (stdio and HTTP both serve this), and holds the server's configuration
//! (the connection inside `CallContext`) so credentials never pass through a model.
//!
//! Every tool failure, including bad arguments and a panic inside a tool, becomes a tool result
//! with `isError` and a message the model can act on; only an unknown tool name is a protocol
//! error, as MCP asks. Before a call runs, the host's policy (`crate::policy`) may refuse it
//! (a comment that does not say who sees it) or ask a person to approve it (elicitation).

use std::{
    panic::AssertUnwindSafe,
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::FutureExt;
use rmcp::{
    ErrorData as McpError, RoleServer, ServerHandler,
    model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ElicitRequestParams,
        ElicitationAction, ElicitationSchema, GetPromptRequestParams, GetPromptResponse,
        Implementation, JsonObject, ListPromptsResult, ListResourceTemplatesResult,
        ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ProgressToken,
        ReadResourceRequestParams, ReadResourceResponse, ServerCapabilities, ServerConfig,
        Tool as McpTool,
    },
    service::{ElicitationMode, Peer, RequestContext},
};
use serde_json::Value;
use tokio::sync::mpsc;
use zendesk_tools::{CallContext, FilledBy, Progress, Tool, ToolResult, ToolSpec};

use crate::policy::{self, Approval, HostPolicy, Refusal};
use crate::{guides, schema};

/// How long a person has to answer an approval before the call is given up (nothing done).
const APPROVAL_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// One exposed tool: its registry entry and its MCP description, built once at start.
struct Exposed {
    tool: &'static Tool,
    description: McpTool,
}

struct Inner {
    tools: Vec<Exposed>,
    context: CallContext,
    policy: HostPolicy,
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
        Self::with_policy(tools, context, HostPolicy::default())
    }

    /// A server whose calls follow `policy` (what a person approves, see [`HostPolicy`]).
    pub fn with_policy(
        tools: Vec<&'static Tool>,
        context: CallContext,
        policy: HostPolicy,
    ) -> Self {
        let tools = tools
            .into_iter()
            .map(|tool| Exposed {
                tool,
                description: schema::mcp_tool(&tool.spec),
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                tools,
                context,
                policy,
            }),
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
    /// an MCP tool result. Never fails: every problem becomes an `isError` result. A call that
    /// needs a person's approval is refused here (there is no client to ask).
    pub async fn call(
        &self,
        tool: &'static Tool,
        arguments: Option<JsonObject>,
        progress: Option<zendesk_tools::ProgressFn>,
    ) -> CallToolResult {
        self.call_from(None, tool, arguments, progress).await
    }

    /// `call`, with the client that made it, who may be asked to approve it.
    async fn call_from(
        &self,
        client: Option<&Peer<RoleServer>>,
        tool: &'static Tool,
        arguments: Option<JsonObject>,
        progress: Option<zendesk_tools::ProgressFn>,
    ) -> CallToolResult {
        let args = match prepare_arguments(&tool.spec, arguments) {
            Ok(args) => args,
            Err(message) => return tool_error(tool.spec.id, &message, None),
        };
        if let Err(Refusal(message)) = self.inner.policy.explicit(tool, &args) {
            return tool_error(tool.spec.id, &message, None);
        }
        let kinds = self.inner.policy.needs_approval(tool, &args);
        if !kinds.is_empty() {
            // Nobody is asked about a call the tool would refuse anyway.
            if let Err(message) = tool.check(args.clone(), &self.inner.context.connection) {
                return tool_error(tool.spec.id, &message, None);
            }
            if let Err(refused) = self.approve(client, tool, &args, &kinds).await {
                return refused;
            }
        }
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

impl ZendeskMcpServer {
    /// Asks the person behind `client` to approve a gated call (MCP elicitation, a form with one
    /// yes/no field) and waits for the answer; `Err` is the result to send instead of running it.
    async fn approve(
        &self,
        client: Option<&Peer<RoleServer>>,
        tool: &'static Tool,
        args: &Value,
        kinds: &[Approval],
    ) -> Result<(), CallToolResult> {
        let id = tool.spec.id;
        let flag = kinds
            .iter()
            .map(|kind| kind.name())
            .collect::<Vec<_>>()
            .join(",");
        let Some(client) = client.filter(|client| {
            client
                .supported_elicitation_modes()
                .contains(&ElicitationMode::Form)
        }) else {
            return Err(tool_error(
                id,
                &format!(
                    "this call needs a person's approval (zd mcp --require-approval {flag}), but \
                     this MCP client cannot ask one: it does not support elicitation. Nothing was \
                     changed. Use a client that supports MCP elicitation, or ask the operator to \
                     run zd mcp without --require-approval {flag}"
                ),
                None,
            ));
        };
        let message = policy::summary(tool, args, kinds, &self.inner.context).await;
        let schema = ElicitationSchema::builder()
            .required_bool_property("approve", |field| {
                field
                    .title("Approve")
                    .description("true runs the call; false changes nothing")
            })
            .build()
            .map_err(|error| tool_error(id, error, None))?;
        let asked = client
            .create_elicitation_with_timeout(
                ElicitRequestParams::FormElicitationParams {
                    meta: None,
                    message,
                    requested_schema: schema,
                },
                Some(APPROVAL_TIMEOUT),
            )
            .await;
        let not_run = |why: &str| {
            tool_error(
                id,
                &format!(
                    "not run: {why} (zd mcp --require-approval {flag}). Nothing was changed and \
                     nothing was sent"
                ),
                None,
            )
        };
        match asked {
            Ok(answer) => match answer.action {
                ElicitationAction::Accept
                    if answer
                        .content
                        .as_ref()
                        .and_then(|content| content.get("approve"))
                        .and_then(Value::as_bool)
                        == Some(true) =>
                {
                    tracing::info!(tool = id, "a person approved the call");
                    Ok(())
                }
                ElicitationAction::Accept => Err(not_run("the person did not approve it")),
                ElicitationAction::Decline => Err(not_run("the person declined it")),
                // Cancel, or any answer a later protocol adds: not an approval.
                _ => Err(not_run(
                    "the person dismissed the question without approving",
                )),
            },
            Err(error) => Err(not_run(&format!(
                "the approval could not be asked ({error})"
            ))),
        }
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
/// the same JSON as text (for clients without structured-content support). An output that
/// carries an image (`image: {mime_type, data}`, from zendesk_get_attachment) gives it as MCP
/// image content, which a model sees as a picture; its base64 then leaves the JSON, so the
/// model is not sent it twice.
pub fn to_call_tool_result(tool: &str, result: ToolResult) -> CallToolResult {
    if result.success {
        let mut output = result.output;
        let image = take_image(&mut output);
        let mut answer = CallToolResult::structured(output);
        if let Some((data, mime_type)) = image {
            answer.content.push(ContentBlock::image(data, mime_type));
        }
        answer
    } else {
        let message = result
            .error
            .as_deref()
            .unwrap_or("the tool reported a failure without a message");
        tool_error(tool, message, Some(&result.output))
    }
}

/// Takes `image.data` out of an output (leaving `image.mime_type` and a word on where the
/// picture went): (base64, MIME type).
fn take_image(output: &mut Value) -> Option<(String, String)> {
    let image = output.get_mut("image")?.as_object_mut()?;
    let mime_type = image.get("mime_type")?.as_str()?.to_owned();
    let Some(Value::String(data)) = image.remove("data") else {
        return None;
    };
    image.insert(
        "sent_as".into(),
        Value::String("MCP image content (the picture follows this JSON)".into()),
    );
    Some((data, mime_type))
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
                 organization fields, search and job statuses; views (ticket queues), macros \
                 (zendesk_apply_macro previews one and changes nothing), Help Center articles, \
                 and attachments (uploads come only from the server's attachments directory). \
                 A public reply (zendesk_reply_to_ticket, or a public comment of \
                 zendesk_update_ticket or a merge) is emailed to the customer; \
                 zendesk_add_internal_note never is: say who sees a comment (commentPublic). \
                 Credentials are configured on the server; never pass them. IDs are numeric \
                 strings such as \"12345\". Bulk tools return a job id: follow it with \
                 zendesk_get_job_status. Prompts: triage-ticket, draft-reply. Resource: zendesk://tickets/{id}.",
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
            result = self.call_from(Some(&context.peer), tool, request.arguments, progress) => result,
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
