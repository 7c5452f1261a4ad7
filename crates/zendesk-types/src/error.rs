//! Zendesk's error bodies. Zendesk answers errors in several shapes, all decoded into one
//! `ErrorBody`:
//! - `{"error": "RecordNotFound", "description": "Not found"}`, optionally with `details`
//!   (`{"email": [{"description": "...", "error": "DuplicateValue"}]}`) and extra keys
//!   (`"max_count": 100`);
//! - `{"error": {"title": "Invalid attribute", "message": "..."}}`;
//! - `{"errors": [{"code": "InvalidPaginationDepth", "title": "..."}]}`;
//! - plain text (`429 Number of allowed API requests per minute exceeded`), or anything else.
//!
//! Code decides on `code()`, never on `description()`: descriptions can be localised.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A Zendesk error body in any of its shapes.
#[derive(Debug, Clone, PartialEq)]
pub enum ErrorBody {
    /// `{"error": "<code>", "description": ..., "details": ..., ...}`.
    Coded {
        error: String,
        description: Option<String>,
        details: Option<Value>,
        /// Other keys (`max_count`...).
        extra: Map<String, Value>,
    },
    /// `{"error": {"title": ..., "message": ...}}`.
    Titled {
        title: Option<String>,
        message: Option<String>,
        /// Other keys of the inner object.
        extra: Map<String, Value>,
    },
    /// `{"errors": [{"code", "title", "detail"?...}]}`.
    List(Vec<ErrorItem>),
    /// A body that is not one of the JSON shapes above (plain text, HTML, other JSON), as text.
    Text(String),
}

/// One entry of `{"errors": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Longest text kept from a body that is not JSON (an HTML error page can be large).
const MAX_TEXT: usize = 2000;

impl ErrorBody {
    /// `{"error": code, "description": description}`, the most common shape.
    pub fn coded(code: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Coded {
            error: code.into(),
            description: Some(description.into()),
            details: None,
            extra: Map::new(),
        }
    }

    /// Adds one per-field validation error to `details` (string shape only), as Zendesk writes
    /// it: `{"<field>": [{"description": ..., "error": ...}]}`.
    pub fn with_detail(
        mut self,
        field: &str,
        description: impl Into<String>,
        error: impl Into<String>,
    ) -> Self {
        if let Self::Coded { details, .. } = &mut self {
            if !matches!(details, Some(Value::Object(_))) {
                *details = Some(Value::Object(Map::new()));
            }
            if let Some(Value::Object(map)) = details {
                let entry = serde_json::json!({
                    "description": description.into(),
                    "error": error.into(),
                });
                match map.get_mut(field) {
                    Some(Value::Array(list)) => list.push(entry),
                    _ => {
                        map.insert(field.to_owned(), Value::Array(vec![entry]));
                    }
                }
            }
        }
        self
    }

    /// Adds a top-level key such as `max_count` (string and object shapes).
    pub fn with_extra(mut self, key: &str, value: impl Into<Value>) -> Self {
        if let Self::Coded { extra, .. } | Self::Titled { extra, .. } = &mut self {
            extra.insert(key.to_owned(), value.into());
        }
        self
    }

    /// Decodes a response body of any shape; never fails (unknown shapes become `Text`).
    pub fn parse(body: &[u8]) -> Self {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => Self::from_value(value),
            Err(_) => Self::Text(truncate(String::from_utf8_lossy(body).trim())),
        }
    }

    /// Classifies an already decoded JSON body; never fails.
    pub fn from_value(value: Value) -> Self {
        let mut map = match value {
            Value::Object(map) => map,
            Value::String(s) => return Self::Text(truncate(s.trim())),
            other => return Self::Text(truncate(&other.to_string())),
        };
        match map.remove("error") {
            Some(Value::String(error)) => {
                let mut description = match map.remove("description") {
                    Some(Value::String(s)) => Some(s),
                    Some(Value::Null) | None => None,
                    Some(other) => {
                        map.insert("description".to_owned(), other);
                        None
                    }
                };
                // OAuth's shape (a refused bearer token, the token endpoint):
                // `{"error": "invalid_token", "error_description": "..."}`.
                if description.is_none()
                    && let Some(Value::String(s)) = map.get("error_description")
                {
                    description = Some(s.clone());
                    map.remove("error_description");
                }
                let details = map.remove("details");
                return Self::Coded {
                    error,
                    description,
                    details,
                    extra: map,
                };
            }
            Some(Value::Object(mut inner)) if map.is_empty() => {
                let title = take_string(&mut inner, "title");
                let message = take_string(&mut inner, "message");
                return Self::Titled {
                    title,
                    message,
                    extra: inner,
                };
            }
            Some(other) => {
                map.insert("error".to_owned(), other);
            }
            None => {}
        }
        if map.len() == 1
            && let Some(Value::Array(items)) = map.get("errors")
        {
            let parsed: Result<Vec<ErrorItem>, _> =
                items.iter().map(ErrorItem::deserialize).collect();
            if let Ok(items) = parsed {
                return Self::List(items);
            }
        }
        Self::Text(truncate(&Value::Object(map).to_string()))
    }

    /// The machine-readable code: `error` (string shape) or the first `errors[].code`.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Coded { error, .. } => Some(error),
            Self::List(items) => items.iter().find_map(|i| i.code.as_deref()),
            Self::Titled { .. } | Self::Text(_) => None,
        }
    }

    /// The human description Zendesk gave, if any (`description`, `message`, first `title`).
    pub fn description(&self) -> Option<&str> {
        match self {
            Self::Coded { description, .. } => description.as_deref(),
            Self::Titled { message, title, .. } => message.as_deref().or(title.as_deref()),
            Self::List(items) => items
                .iter()
                .find_map(|i| i.title.as_deref().or(i.detail.as_deref())),
            Self::Text(text) => Some(text).filter(|t| !t.is_empty()).map(String::as_str),
        }
    }

    /// `details` of the string shape (per-field validation errors), as sent.
    pub fn details(&self) -> Option<&Value> {
        match self {
            Self::Coded { details, .. } => details.as_ref().filter(|d| !d.is_null()),
            _ => None,
        }
    }

    /// An extra top-level key of the string shape, such as `max_count`.
    pub fn extra(&self, key: &str) -> Option<&Value> {
        match self {
            Self::Coded { extra, .. } | Self::Titled { extra, .. } => extra.get(key),
            _ => None,
        }
    }

    /// Per-field validation messages from `details`: `(field, description, error code)`.
    pub fn field_errors(&self) -> Vec<FieldError<'_>> {
        let Some(Value::Object(details)) = self.details() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (field, entries) in details {
            let entries = match entries {
                Value::Array(list) => list.iter().collect::<Vec<_>>(),
                other => vec![other],
            };
            for entry in entries {
                match entry {
                    Value::Object(o) => out.push(FieldError {
                        field,
                        description: o.get("description").and_then(Value::as_str),
                        error: o.get("error").and_then(Value::as_str),
                    }),
                    Value::String(s) => out.push(FieldError {
                        field,
                        description: Some(s),
                        error: None,
                    }),
                    _ => {}
                }
            }
        }
        out
    }

    /// One line combining everything Zendesk said: code, description and field details, e.g.
    /// `RecordInvalid: Record validation errors (email: Email: x@y is already being used by
    /// another user [DuplicateValue])`.
    pub fn message(&self) -> String {
        let mut out = match self {
            Self::Coded {
                error, description, ..
            } => match description {
                Some(d) if !d.is_empty() => format!("{error}: {d}"),
                _ => error.clone(),
            },
            Self::Titled { title, message, .. } => match (title, message) {
                (Some(t), Some(m)) => format!("{t}: {m}"),
                (Some(t), None) => t.clone(),
                (None, Some(m)) => m.clone(),
                (None, None) => "unspecified error".to_owned(),
            },
            Self::List(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|i| {
                        let head = [i.code.as_deref(), i.title.as_deref()]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(": ");
                        match &i.detail {
                            Some(d) if head.is_empty() => d.clone(),
                            Some(d) => format!("{head} ({d})"),
                            None => head,
                        }
                    })
                    .collect();
                if parts.is_empty() {
                    "unspecified error".to_owned()
                } else {
                    parts.join("; ")
                }
            }
            Self::Text(text) if text.is_empty() => "empty error body".to_owned(),
            Self::Text(text) => text.clone(),
        };
        let fields = self.field_errors();
        if !fields.is_empty() {
            let parts: Vec<String> = fields
                .iter()
                .map(|f| {
                    let mut s = format!("{}: {}", f.field, f.description.unwrap_or("invalid"));
                    if let Some(code) = f.error {
                        s.push_str(&format!(" [{code}]"));
                    }
                    s
                })
                .collect();
            out.push_str(&format!(" ({})", parts.join("; ")));
        } else if let Some(Value::String(d)) = self.details() {
            out.push_str(&format!(" ({d})"));
        }
        out
    }
}

/// One per-field validation error from `details`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError<'a> {
    pub field: &'a str,
    pub description: Option<&'a str>,
    pub error: Option<&'a str>,
}

fn take_string(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => {
            map.insert(key.to_owned(), other);
            None
        }
    }
}

fn truncate(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_owned();
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl Serialize for ErrorBody {
    /// Re-encodes in the shape it came in (`Text` as a JSON string), so the sandbox can render
    /// Zendesk's own error bodies from this type.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = match self {
            Self::Coded {
                error,
                description,
                details,
                extra,
            } => {
                let mut map = Map::new();
                map.insert("error".to_owned(), Value::String(error.clone()));
                if let Some(d) = description {
                    map.insert("description".to_owned(), Value::String(d.clone()));
                }
                if let Some(d) = details {
                    map.insert("details".to_owned(), d.clone());
                }
                map.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
                Value::Object(map)
            }
            Self::Titled {
                title,
                message,
                extra,
            } => {
                let mut inner = Map::new();
                if let Some(t) = title {
                    inner.insert("title".to_owned(), Value::String(t.clone()));
                }
                if let Some(m) = message {
                    inner.insert("message".to_owned(), Value::String(m.clone()));
                }
                inner.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
                let mut map = Map::new();
                map.insert("error".to_owned(), Value::Object(inner));
                Value::Object(map)
            }
            Self::List(items) => {
                let mut map = Map::new();
                map.insert(
                    "errors".to_owned(),
                    serde_json::to_value(items).map_err(serde::ser::Error::custom)?,
                );
                Value::Object(map)
            }
            Self::Text(text) => Value::String(text.clone()),
        };
        value.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    /// Accepts any JSON value; see [`ErrorBody::from_value`].
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from_value)
    }
}
