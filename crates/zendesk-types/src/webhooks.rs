//! Webhooks (`/api/v2/webhooks`): where Zendesk sends events, the deliveries it made
//! (invocations, each with its attempts), the secret it signs them with, and the headers every
//! delivery carries. How the signature is made is `webhook_signature`'s.
//!
//! A webhook is connected one of two ways, fixed at creation: `["conditional_ticket_events"]`
//! (called by triggers and automations, with the body their `notification_webhook` action
//! renders) or a list of `zen:event-type:...` event types (Zendesk's own JSON payloads, always
//! `POST` and `json`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::enums::ParseEnumError;
use crate::envelope::{ListKey, RecordKey};
use crate::ids::{WebhookId, WebhookInvocationId};

/// The header naming the webhook a delivery comes from.
pub const WEBHOOK_ID_HEADER: &str = "X-Zendesk-Webhook-Id";
/// The header naming the invocation: the same on every retried attempt of one delivery, so a
/// receiver drops duplicates by it.
pub const INVOCATION_ID_HEADER: &str = "X-Zendesk-Webhook-Invocation-Id";
/// The header naming the Zendesk account.
pub const ACCOUNT_ID_HEADER: &str = "X-Zendesk-Account-Id";

/// The subscription of a webhook called by triggers and automations.
pub const CONDITIONAL_TICKET_EVENTS: &str = "conditional_ticket_events";

/// Zendesk's ticket event types, written once: the enum, the names without their prefix
/// ([`TICKET_EVENT_TYPES`]) and with it ([`TicketEventType::name`]), and the prefix itself.
macro_rules! ticket_event_types {
    ($prefix:literal, { $( $(#[$meta:meta])* $variant:ident => $short:literal ),+ $(,)? }) => {
        /// What every event-type subscription starts with (`zen:event-type:ticket.created`).
        pub const EVENT_TYPE_PREFIX: &str = $prefix;

        /// The ticket events a webhook may subscribe to, after [`EVENT_TYPE_PREFIX`], in
        /// Zendesk's order.
        pub const TICKET_EVENT_TYPES: &[&str] = &[$($short),+];

        /// A ticket event a webhook may subscribe to (`zen:event-type:ticket.*`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum TicketEventType {
            $( $(#[$meta])* $variant, )+
        }

        impl TicketEventType {
            /// Every ticket event type, in Zendesk's order.
            pub const ALL: &'static [TicketEventType] = &[$(TicketEventType::$variant),+];

            /// The full name a subscription and a payload's `type` carry
            /// (`zen:event-type:ticket.status_changed`).
            pub fn name(self) -> &'static str {
                match self {
                    $( TicketEventType::$variant => concat!($prefix, $short), )+
                }
            }

            /// The name without its prefix (`ticket.status_changed`).
            pub fn short_name(self) -> &'static str {
                match self {
                    $( TicketEventType::$variant => $short, )+
                }
            }

            /// The event type of a full name; `None` for anything else.
            pub fn from_name(name: &str) -> Option<TicketEventType> {
                TicketEventType::ALL.iter().copied().find(|t| t.name() == name)
            }
        }

        impl fmt::Display for TicketEventType {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

ticket_event_types!("zen:event-type:", {
    Created => "ticket.created",
    StatusChanged => "ticket.status_changed",
    PriorityChanged => "ticket.priority_changed",
    TypeChanged => "ticket.type_changed",
    SubjectChanged => "ticket.subject_changed",
    DescriptionChanged => "ticket.description_changed",
    AgentAssignmentChanged => "ticket.agent_assignment_changed",
    GroupAssignmentChanged => "ticket.group_assignment_changed",
    RequesterChanged => "ticket.requester_changed",
    OrganizationChanged => "ticket.organization_changed",
    TagsChanged => "ticket.tags_changed",
    CustomFieldChanged => "ticket.custom_field_changed",
    CommentAdded => "ticket.comment_added",
    CommentMadePrivate => "ticket.comment_made_private",
    Merged => "ticket.merged",
    MarkedAsSpam => "ticket.marked_as_spam",
    SoftDeleted => "ticket.soft_deleted",
    Undeleted => "ticket.undeleted",
    PermanentlyDeleted => "ticket.permanently_deleted",
});

/// One subscription as Zendesk spells it: `conditional_ticket_events`, a full
/// `zen:event-type:...` name (kept as given: Zendesk has user, organization and Help Center
/// events too), or a known ticket event without its prefix (`ticket.created`). Anything else is
/// refused with the accepted forms.
pub fn subscription(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name == CONDITIONAL_TICKET_EVENTS {
        return Ok(name.to_owned());
    }
    if let Some(event) = name.strip_prefix(EVENT_TYPE_PREFIX)
        && !event.is_empty()
        && event
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        return Ok(name.to_owned());
    }
    if TICKET_EVENT_TYPES.contains(&name) {
        return Ok(format!("{EVENT_TYPE_PREFIX}{name}"));
    }
    Err(format!(
        "subscription {input:?} is not one Zendesk knows: expected {CONDITIONAL_TICKET_EVENTS} \
         (for triggers and automations), an event type such as {EVENT_TYPE_PREFIX}ticket.created, \
         or one of {}",
        TICKET_EVENT_TYPES.join(", ")
    ))
}

crate::enums::wire_enum!(
    /// A webhook's `status`: an inactive webhook sends nothing.
    WebhookStatus, "webhook status",
    {
        Active => "active",
        Inactive => "inactive",
    }
);

crate::enums::wire_enum!(
    /// A webhook's `http_method` (event subscriptions always `POST`).
    WebhookHttpMethod, "webhook HTTP method",
    {
        Get => "GET",
        Post => "POST",
        Put => "PUT",
        Patch => "PATCH",
        Delete => "DELETE",
    }
);

crate::enums::wire_enum!(
    /// A webhook's `request_format` (event subscriptions always `json`).
    WebhookRequestFormat, "webhook request format",
    {
        Json => "json",
        Xml => "xml",
        FormEncoded => "form_encoded",
    }
);

/// A webhook, as `GET /api/v2/webhooks/{id}` returns it. `authentication` never carries its
/// secret part in an answer (`{"type": "basic_auth", "data": {"username": "..."}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: WebhookId,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<WebhookStatus>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_method: Option<WebhookHttpMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_format: Option<WebhookRequestFormat>,
    /// `["conditional_ticket_events"]` or `zen:event-type:...` names.
    #[serde(default)]
    pub subscriptions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_headers: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_source: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// A user ID as a string; `"-1"` is Zendesk itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Webhook {
    /// Whether triggers and automations call it (rather than Zendesk's event types).
    pub fn is_conditional(&self) -> bool {
        self.subscriptions
            .iter()
            .any(|s| s == CONDITIONAL_TICKET_EVENTS)
    }
}

/// `GET /api/v2/webhooks/{id}/signing_secret`: the key deliveries are signed with. `Debug`
/// hides it; read it with [`secret`](Self::secret).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSigningSecret {
    secret: String,
    /// `SHA256`.
    #[serde(default)]
    pub algorithm: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WebhookSigningSecret {
    /// A secret with Zendesk's algorithm, as the sandbox hands it out.
    pub fn new(secret: impl Into<String>) -> Self {
        WebhookSigningSecret {
            secret: secret.into(),
            algorithm: Some("SHA256".to_owned()),
            extra: Map::new(),
        }
    }

    /// The secret itself: pass it to the signature check, never to a log.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for WebhookSigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSigningSecret")
            .field("secret", &"[hidden]")
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

/// One delivery of a webhook (`GET /api/v2/webhooks/{id}/invocations`), kept 7 days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookInvocation {
    pub id: WebhookInvocationId,
    /// How the latest attempt went (`success`, `failed`, ...).
    #[serde(default)]
    pub status: Option<String>,
    /// The receiver's HTTP status on the latest attempt.
    #[serde(default)]
    pub status_code: Option<u16>,
    #[serde(default)]
    pub latest_completed_at: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One attempt of an invocation (`.../invocations/{id}/attempts`): what was sent and what came
/// back, `request` and `response` each `{"headers": [{"key", "value"}], "payload"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookAttempt {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_id: Option<WebhookInvocationId>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub status_code: Option<u16>,
    #[serde(default)]
    pub completed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `POST /api/v2/webhooks/test`'s `response`: what the endpoint answered to the test request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookTestResponse {
    /// `[{"key", "value"}]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<u16>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl WebhookTestResponse {
    /// The endpoint's HTTP status, under `status_code` or, as some answers spell it, `status`.
    pub fn status(&self) -> Option<u16> {
        self.status_code.or_else(|| {
            self.extra
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
        })
    }
}

impl RecordKey for Webhook {
    const RECORD_KEY: &'static str = "webhook";
}
impl ListKey for Webhook {
    const LIST_KEY: &'static str = "webhooks";
}
impl RecordKey for WebhookSigningSecret {
    const RECORD_KEY: &'static str = "signing_secret";
}
impl ListKey for WebhookInvocation {
    const LIST_KEY: &'static str = "invocations";
}
impl ListKey for WebhookAttempt {
    const LIST_KEY: &'static str = "attempts";
}
impl RecordKey for WebhookTestResponse {
    const RECORD_KEY: &'static str = "response";
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_webhook_decodes_with_its_ulid_and_reencodes_unchanged() {
        let sent = json!({
            "id": "01HANAN7NVBM93Z21ZGCXESV8X",
            "name": "Urgent to on-call",
            "status": "active",
            "endpoint": "https://example.com/zendesk",
            "http_method": "POST",
            "request_format": "json",
            "subscriptions": ["conditional_ticket_events"],
            "authentication": {"type": "basic_auth", "add_position": "header", "data": {"username": "john_smith"}},
            "created_at": "2024-03-01T10:00:00Z",
            "created_by": "1900000001",
            "signing_secret_rotated": false
        });
        let webhook: Webhook = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(webhook.id.as_str(), "01HANAN7NVBM93Z21ZGCXESV8X");
        assert_eq!(webhook.http_method, Some(WebhookHttpMethod::Post));
        assert!(webhook.is_conditional());
        assert_eq!(serde_json::to_value(&webhook).unwrap(), sent);
    }

    #[test]
    fn the_signing_secret_never_shows_in_debug() {
        let secret: WebhookSigningSecret =
            serde_json::from_value(json!({"secret": "dGhpc19zZWNyZXQ=", "algorithm": "SHA256"}))
                .unwrap();
        assert_eq!(secret.secret(), "dGhpc19zZWNyZXQ=");
        assert!(!format!("{secret:?}").contains("dGhpc19zZWNyZXQ="));
    }

    #[test]
    fn subscriptions_take_zendesks_spellings_and_refuse_others() {
        assert_eq!(
            subscription("ticket.created").unwrap(),
            "zen:event-type:ticket.created"
        );
        assert_eq!(
            subscription(" zen:event-type:user.created ").unwrap(),
            "zen:event-type:user.created"
        );
        assert_eq!(
            subscription("conditional_ticket_events").unwrap(),
            CONDITIONAL_TICKET_EVENTS
        );
        let refused = subscription("ticket.exploded").unwrap_err();
        assert!(refused.contains("ticket.status_changed"), "{refused}");
        assert!(subscription("zen:event-type:").is_err());
        assert!(subscription("zen:event-type:a/b").is_err());
    }

    #[test]
    fn ticket_event_types_are_one_list_with_and_without_the_prefix() {
        assert_eq!(TicketEventType::ALL.len(), TICKET_EVENT_TYPES.len());
        for (event, short) in TicketEventType::ALL.iter().zip(TICKET_EVENT_TYPES) {
            assert_eq!(event.short_name(), *short);
            assert_eq!(event.name(), format!("{EVENT_TYPE_PREFIX}{short}"));
            assert_eq!(TicketEventType::from_name(event.name()), Some(*event));
            assert_eq!(subscription(short).unwrap(), event.name());
        }
        assert_eq!(TicketEventType::from_name("ticket.created"), None);
    }

    #[test]
    fn a_test_answer_gives_its_status_either_way() {
        let a: WebhookTestResponse =
            serde_json::from_value(json!({"status_code": 204, "payload": ""})).unwrap();
        let b: WebhookTestResponse = serde_json::from_value(
            json!({"status": 200, "headers": [{"key": "Content-Type", "value": "text/plain"}]}),
        )
        .unwrap();
        assert_eq!((a.status(), b.status()), (Some(204), Some(200)));
    }
}
