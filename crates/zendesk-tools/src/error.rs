//! Why a call failed: the message says what was wrong and what to send instead; `output`
//! carries machine-readable details (HTTP status, Zendesk's error body) when there are any.

use serde_json::Value;

use crate::tool::ToolResult;

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

    pub fn into_result(self) -> ToolResult {
        ToolResult::failure(self.message, self.output)
    }
}
