//! A refused trigger or automation, as Zendesk's 422 `RecordInvalid` names it: the field, what
//! to send instead, and the error code. Every parser of the business rules answers with it.

use std::fmt;

use serde_json::{Map, Value, json};

/// A refused rule, as Zendesk's 422 `RecordInvalid` names it: the field, a description saying
/// what to send instead, and the error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The `details` key (`title`, `conditions`, `actions`...).
    pub field: String,
    pub description: String,
    /// `BlankValue` or `InvalidValue`.
    pub error: &'static str,
}

impl RuleError {
    /// A refused condition: `Conditions: <detail>`.
    pub fn conditions(detail: impl fmt::Display) -> RuleError {
        RuleError::invalid("conditions", format!("Conditions: {detail}"))
    }

    /// A refused action: `Actions: <detail>`.
    pub fn actions(detail: impl fmt::Display) -> RuleError {
        RuleError::invalid("actions", format!("Actions: {detail}"))
    }

    /// An invalid value of `field`.
    pub fn invalid(field: &str, description: impl Into<String>) -> RuleError {
        RuleError {
            field: field.to_string(),
            description: description.into(),
            error: "InvalidValue",
        }
    }

    /// A required field missing or blank: `Title: cannot be blank`.
    pub fn blank(field: &str, label: &str) -> RuleError {
        RuleError {
            field: field.to_string(),
            description: format!("{label}: cannot be blank"),
            error: "BlankValue",
        }
    }

    /// `details` of the 422: `{"<field>": [{"description", "error"}]}`.
    pub fn details(&self) -> Map<String, Value> {
        let mut details = Map::new();
        details.insert(
            self.field.clone(),
            json!([{"description": self.description, "error": self.error}]),
        );
        details
    }

    /// The whole 422 body Zendesk answers.
    pub fn body(&self) -> Value {
        json!({
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": self.details(),
        })
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.description)
    }
}

impl std::error::Error for RuleError {}
