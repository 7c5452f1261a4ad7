//! The ticket record and the small objects it carries (`via`, custom field values, the
//! satisfaction rating), plus the `{"ticket", "audit"}` envelope ticket writes answer with.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::audit::Audit;
use crate::enums::{TicketPriority, TicketStatus, TicketType};
use crate::ids::{
    BrandId, CustomStatusId, GroupId, OrganizationId, TicketFieldId, TicketFormId, TicketId, UserId,
};

/// A ticket, as `GET /api/v2/tickets/{id}` returns it.
///
/// Fields Zendesk always sends are plain (`Vec`, `bool`) or `Option` re-encoded as `null`;
/// fields it sends only sometimes are `Option` left out when `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub via: Option<Via>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(rename = "type", default)]
    pub ticket_type: Option<TicketType>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub raw_subject: Option<String>,
    /// The first comment's text (read-only).
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub priority: Option<TicketPriority>,
    #[serde(default)]
    pub status: Option<TicketStatus>,
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default)]
    pub requester_id: Option<UserId>,
    #[serde(default)]
    pub submitter_id: Option<UserId>,
    #[serde(default)]
    pub assignee_id: Option<UserId>,
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    #[serde(default)]
    pub group_id: Option<GroupId>,
    #[serde(default)]
    pub collaborator_ids: Vec<UserId>,
    #[serde(default)]
    pub follower_ids: Vec<UserId>,
    #[serde(default)]
    pub email_cc_ids: Vec<UserId>,
    #[serde(default)]
    pub forum_topic_id: Option<u64>,
    #[serde(default)]
    pub problem_id: Option<TicketId>,
    #[serde(default)]
    pub has_incidents: bool,
    #[serde(default)]
    pub is_public: bool,
    #[serde(default)]
    pub due_at: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldValue>,
    /// Zendesk's older alias of `custom_fields`; not on every response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<CustomFieldValue>>,
    #[serde(default)]
    pub satisfaction_rating: Option<SatisfactionRating>,
    #[serde(default)]
    pub sharing_agreement_ids: Vec<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_status_id: Option<CustomStatusId>,
    #[serde(default)]
    pub followup_ids: Vec<TicketId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_form_id: Option<TicketFormId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand_id: Option<BrandId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_channelback: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_attachments: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_messaging_channel: Option<bool>,
    /// Present on incremental exports only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_timestamp: Option<i64>,
    /// Every key this struct does not name, kept so the record re-encodes whole.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Ticket {
    /// The keys a ticket create or update body may carry (Zendesk's Tickets API): any other
    /// key is dropped by Zendesk without a word, so callers refuse it instead.
    pub const WRITABLE: &'static [&'static str] = &[
        "subject",
        "raw_subject",
        "comment",
        "requester_id",
        "requester",
        "submitter_id",
        "assignee_id",
        "assignee_email",
        "organization_id",
        "group_id",
        "collaborator_ids",
        "collaborators",
        "additional_collaborators",
        "follower_ids",
        "followers",
        "email_cc_ids",
        "email_ccs",
        "type",
        "priority",
        "status",
        "custom_status_id",
        "tags",
        "additional_tags",
        "remove_tags",
        "external_id",
        "problem_id",
        "due_at",
        "custom_fields",
        "fields",
        "ticket_form_id",
        "brand_id",
        "recipient",
        "via",
        "via_followup_source_id",
        "macro_ids",
        "sharing_agreement_ids",
        "attribute_value_ids",
        "metadata",
        "safe_update",
        "updated_stamp",
    ];
}

/// How a ticket, comment or audit was created: `{"channel": "api", "source": {...}}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Via {
    /// `api`, `web`, `email`, `sample_ticket`...; an open vocabulary, so kept as a string.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ViaSource>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `via.source`: `from` and `to` differ by channel (an address and name for email, a ticket for
/// a follow-up...), so they stay JSON objects.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ViaSource {
    #[serde(default)]
    pub from: Map<String, Value>,
    #[serde(default)]
    pub to: Map<String, Value>,
    #[serde(default)]
    pub rel: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One entry of a ticket's `custom_fields` (or `fields`): `{"id": 360001, "value": ...}`.
/// The value's JSON type depends on the field (string, number, boolean, list of tags, null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldValue {
    pub id: TicketFieldId,
    #[serde(default)]
    pub value: Value,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A ticket's `satisfaction_rating`: `{"score": "unoffered"}` or `{"id", "score", "comment"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SatisfactionRating {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of a ticket create or update: `{"ticket": {...}, "audit": {...}}`. A plain
/// `GET` answers with `ticket` alone, which decodes here too.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketAndAudit {
    pub ticket: Ticket,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<Audit>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
