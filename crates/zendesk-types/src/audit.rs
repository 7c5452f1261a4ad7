//! Ticket audits and their events, and ticket comments with their attachments. An audit's `events` are tagged by
//! `type`; the types this crate names decode into structs, every other type is kept whole as
//! `AuditEvent::Other`, so a new Zendesk event type never breaks decoding.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::ids::{AttachmentId, AuditId, CommentId, TicketId, UserId};
use crate::ticket::Via;

/// A ticket audit: one change set on a ticket, with the events it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Audit {
    pub id: AuditId,
    #[serde(default)]
    pub ticket_id: Option<TicketId>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub author_id: Option<UserId>,
    /// `{"system": {...}, "custom": {...}}`: client, IP address, location.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    #[serde(default)]
    pub via: Option<Via>,
    #[serde(default)]
    pub events: Vec<AuditEvent>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A ticket comment, as listed by `GET /tickets/{id}/comments` and as the `Comment` event of an
/// audit (where `created_at`, `via` and `metadata` are absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: CommentId,
    /// `Comment` or `VoiceComment` on a listed comment; absent inside an audit event, whose
    /// enum variant carries the type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub comment_type: Option<String>,
    #[serde(default)]
    pub author_id: Option<UserId>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plain_body: Option<String>,
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_id: Option<AuditId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A file on a comment. `content_url` may point outside Zendesk: never send credentials to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: AttachmentId,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub content_url: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `Create` or `Change` event: one field set on a new ticket, or changed on an existing one.
/// `value` is a string, a list (tags) or null, so it stays JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEvent {
    pub id: u64,
    #[serde(default)]
    pub field_name: Option<String>,
    #[serde(default)]
    pub value: Value,
    /// Only on `Change` events (absent: `None`; sent as null: `Some(Value::Null)`).
    #[serde(
        default,
        deserialize_with = "present_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_value: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Keeps a present `null` as `Some(Value::Null)`; an absent key stays `None` through `default`.
fn present_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// One entry of an audit's `events`, by its `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditEvent {
    Comment(Box<Comment>),
    Create(FieldEvent),
    Change(FieldEvent),
    /// Any other event type (`Notification`, `CommentPrivacyChange`, `VoiceComment`...), kept
    /// whole, `type` included.
    Other(Map<String, Value>),
}

impl AuditEvent {
    /// The event's `type` as Zendesk writes it.
    pub fn event_type(&self) -> &str {
        match self {
            Self::Comment(_) => "Comment",
            Self::Create(_) => "Create",
            Self::Change(_) => "Change",
            Self::Other(map) => map.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

/// Decodes `value` into `T`, keeping the path of a failure in the message (serde loses it when
/// a tagged value is decoded in two steps).
pub(crate) fn from_map<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    map: Map<String, Value>,
    context: &str,
) -> Result<T, E> {
    serde_path_to_error::deserialize(Value::Object(map))
        .map_err(|e| E::custom(format_args!("{context}: at {}: {}", e.path(), e.inner())))
}

/// Encodes `value` as a JSON object with `tag_key: tag` first.
pub(crate) fn to_tagged_map<T: Serialize, E: serde::ser::Error>(
    value: &T,
    tag_key: &str,
    tag: &str,
) -> Result<Map<String, Value>, E> {
    let fields = match serde_json::to_value(value).map_err(E::custom)? {
        Value::Object(map) => map,
        _ => return Err(E::custom("a tagged record must encode as a JSON object")),
    };
    let mut out = Map::with_capacity(fields.len() + 1);
    out.insert(tag_key.to_owned(), Value::String(tag.to_owned()));
    out.extend(fields);
    Ok(out)
}

impl<'de> Deserialize<'de> for AuditEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(deserializer)?;
        let tag = match map.get("type") {
            Some(Value::String(s)) => s.clone(),
            _ => return Ok(Self::Other(map)),
        };
        match tag.as_str() {
            "Comment" => {
                map.remove("type");
                from_map(map, "Comment event").map(|c| Self::Comment(Box::new(c)))
            }
            "Create" => {
                map.remove("type");
                from_map(map, "Create event").map(Self::Create)
            }
            "Change" => {
                map.remove("type");
                from_map(map, "Change event").map(Self::Change)
            }
            _ => Ok(Self::Other(map)),
        }
    }
}

impl Serialize for AuditEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Comment(c) => {
                to_tagged_map::<_, S::Error>(c, "type", "Comment")?.serialize(serializer)
            }
            Self::Create(e) => {
                to_tagged_map::<_, S::Error>(e, "type", "Create")?.serialize(serializer)
            }
            Self::Change(e) => {
                to_tagged_map::<_, S::Error>(e, "type", "Change")?.serialize(serializer)
            }
            Self::Other(map) => map.serialize(serializer),
        }
    }
}
