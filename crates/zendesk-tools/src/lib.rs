//! The zd tool registry: every tool's declaration (id, description, parameters, outputs,
//! annotations, toolset: data, in `tools.json`) and its call, JSON in and JSON out. One
//! definition serves the library, the CLI and the MCP server; this crate knows nothing of either.
//!
//! - `registry() -> &'static Registry`; `Registry::tools() -> &[Tool]`; `Registry::get(id)`;
//!   `Registry::toolsets()`.
//! - `Tool { spec: ToolSpec, .. }`; `Tool::call(args, &CallContext) -> ToolResult` (async),
//!   `Tool::pages`, `Tool::check`.
//! - `ToolSpec { id, description, params, outputs, annotations, toolset }`; credentials are
//!   params `FilledBy::Configuration`, everything else `FilledBy::Model`.
//! - `ToolResult { success, output, error }`; `to_json()` gives the spec's result shape.
//! - `CallContext`: the connection settings (the environment fills what it leaves out), the
//!   attachments directory and an optional progress callback for long waits (bulk jobs).
//!
//! Inside: `catalog` reads `tools.json`; `tools/` holds each Zendesk area's plans (arguments
//! -> the request to send, with no I/O, built by the client's handlers as plain values);
//! `params` checks arguments; `plan`, `exec` and `output` send and shape; `connection` says
//! where and as whom.

mod catalog;
mod connection;
mod error;
mod exec;
mod hints;
mod output;
mod params;
mod plan;
mod registry;
mod spec;
mod thread;
mod tool;
mod tools;

pub use connection::{Connection, normalize_subdomain};
pub use registry::{Registry, registry};
pub use spec::{Annotations, FilledBy, OutputSpec, ParamForm, ParamSpec, ToolSpec, Toolset};
pub use thread::{Thread, ThreadError};
pub use tool::{CallContext, Progress, ProgressFn, Tool, ToolResult};

#[cfg(test)]
mod wire_tests;
