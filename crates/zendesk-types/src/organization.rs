//! The organization record and organization fields (the custom fields whose values live in each
//! organization's `organization_fields`, keyed by the field's `key`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::enums::OrganizationFieldType;
use crate::ids::{CustomFieldOptionId, GroupId, OrganizationFieldId, OrganizationId};

/// An organization, as `GET /api/v2/organizations/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Organization {
    pub id: OrganizationId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub shared_tickets: bool,
    #[serde(default)]
    pub shared_comments: bool,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub domain_names: Vec<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub group_id: Option<GroupId>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Custom field values keyed by organization field `key`; `{}` when none is set.
    #[serde(default)]
    pub organization_fields: Map<String, Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Organization {
    /// The keys an organization create or update body may carry (`id` in bulk updates): any
    /// other key is dropped by Zendesk without a word, so callers refuse it instead.
    pub const WRITABLE: &'static [&'static str] = &[
        "id",
        "name",
        "details",
        "notes",
        "domain_names",
        "external_id",
        "group_id",
        "organization_fields",
        "shared_tickets",
        "shared_comments",
        "tags",
    ];
}

/// An organization field, as `GET /api/v2/organization_fields/{id_or_key}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationField {
    pub id: OrganizationFieldId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(rename = "type", default)]
    pub field_type: Option<OrganizationFieldType>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub raw_title: Option<String>,
    #[serde(default)]
    pub raw_description: Option<String>,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub system: bool,
    #[serde(default)]
    pub regexp_for_validation: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Dropdown (and multiselect) fields only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_field_options: Option<Vec<CustomFieldOption>>,
    /// Checkbox fields only: the tag added when checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Lookup fields only: `zen:user`, `zen:organization`, `zen:ticket`, custom objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship_target_type: Option<String>,
    /// Lookup fields only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship_filter: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One option of a dropdown field: `name` shown to agents, `value` stored (the "tag").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldOption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<CustomFieldOptionId>,
    pub name: String,
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
