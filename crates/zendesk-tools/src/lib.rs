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
//! - `CallContext` carries the connection settings (credentials from params or environment,
//!   base URL) and an optional progress callback for long waits (bulk jobs).

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

/// Who supplies a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FilledBy {
    /// The caller (a model or a person) chooses it per call.
    Model,
    /// Credentials and connection settings: the user's configuration, never a model.
    Configuration,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    /// Always `"string"` for the seed's tools, as `tools.json` says.
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub required: bool,
    pub description: &'static str,
    #[serde(skip)]
    pub filled_by: FilledBy,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputSpec {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub description: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<OutputSpec>,
}

/// MCP-style hints about what a tool does to the help desk.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolSpec {
    pub id: &'static str,
    pub description: &'static str,
    pub params: Vec<ParamSpec>,
    pub outputs: Vec<OutputSpec>,
    #[serde(skip)]
    pub annotations: Annotations,
}

/// The outcome of one tool call, in the spec's result shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub success: bool,
    pub output: Value,
    pub error: Option<String>,
}

impl ToolResult {
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
}

impl std::fmt::Debug for CallContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallContext")
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

pub struct Tool {
    pub spec: ToolSpec,
}

impl Tool {
    pub async fn call(&self, _args: Value, _ctx: &CallContext) -> ToolResult {
        ToolResult {
            success: false,
            output: Value::Object(Default::default()),
            error: Some(format!("{} is not implemented yet", self.spec.id)),
        }
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
}

pub fn registry() -> &'static Registry {
    static REGISTRY: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| Registry { tools: Vec::new() })
}
