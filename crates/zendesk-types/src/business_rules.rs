//! Macros and views: the canned responses agents apply to tickets, and the ticket queues they
//! work from. A macro's `actions` and a view's `conditions` stay JSON (`field`, `value`,
//! `operator`): their vocabularies are Zendesk's and grow.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{MacroId, ViewId};
use crate::ticket::Ticket;

/// A macro, as `GET /api/v2/macros/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Macro {
    pub id: MacroId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub position: Option<i64>,
    /// `{"field": "status", "value": "solved"}`, ...
    #[serde(default)]
    pub actions: Vec<Value>,
    /// `null` for every agent; `{"type": "User" | "Group", "id", "ids"}` otherwise.
    #[serde(default)]
    pub restriction: Option<Value>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The comment a macro would add, as its apply answer gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacroComment {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_body: Option<String>,
    #[serde(default)]
    pub public: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `GET /tickets/{id}/macros/{id}/apply`'s `result`: the ticket as the macro would leave it (not
/// saved) and the comment it would add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MacroResult {
    pub ticket: Ticket,
    #[serde(default)]
    pub comment: Option<MacroComment>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A view, as `GET /api/v2/views/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct View {
    pub id: ViewId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub position: Option<i64>,
    /// `{"all": [{"field", "operator", "value"}], "any": [...]}`.
    #[serde(default)]
    pub conditions: Value,
    /// Columns, grouping and order.
    #[serde(default)]
    pub execution: Value,
    #[serde(default)]
    pub restriction: Option<Value>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How many tickets a view holds (`GET /views/{id}/count`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewCount {
    pub view_id: ViewId,
    #[serde(default)]
    pub url: Option<String>,
    /// Null while Zendesk is still counting.
    #[serde(default)]
    pub value: Option<u64>,
    #[serde(default)]
    pub pretty: Option<String>,
    #[serde(default)]
    pub fresh: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
