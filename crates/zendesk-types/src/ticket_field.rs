//! Ticket fields: Zendesk's system fields (subject, status, priority, type, group, assignee...)
//! and the custom fields an admin adds, whose values tickets carry in `custom_fields`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::enums::TicketFieldType;
use crate::ids::TicketFieldId;
use crate::organization::CustomFieldOption;

/// A ticket field, as `GET /api/v2/ticket_fields/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketField {
    pub id: TicketFieldId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(rename = "type", default)]
    pub field_type: Option<TicketFieldType>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub raw_title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub raw_description: Option<String>,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub active: bool,
    /// Agents must fill it before solving the ticket.
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub collapsed_for_agents: bool,
    #[serde(default)]
    pub regexp_for_validation: Option<String>,
    #[serde(default)]
    pub title_in_portal: Option<String>,
    #[serde(default)]
    pub raw_title_in_portal: Option<String>,
    #[serde(default)]
    pub visible_in_portal: bool,
    #[serde(default)]
    pub editable_in_portal: bool,
    #[serde(default)]
    pub required_in_portal: bool,
    /// Checkbox fields only: the tag added when checked.
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// False for the system fields every ticket has.
    #[serde(default)]
    pub removable: bool,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub agent_description: Option<String>,
    /// Dropdown (`tagger`) and multiselect fields: the options, `value` being what tickets
    /// store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_field_options: Option<Vec<CustomFieldOption>>,
    /// The system `status`, `priority` and `tickettype` fields: their values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_field_options: Option<Vec<SystemFieldOption>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One value of a system field (`{"name": "Open", "value": "open"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemFieldOption {
    pub name: String,
    pub value: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
