//! The user record (end-users, agents and admins alike) and its photo.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::enums::UserRole;
use crate::ids::{GroupId, OrganizationId, UserId};

/// A user, as `GET /api/v2/users/{id}` returns it. `Debug` hides `authenticity_token` (a
/// session token `/users/me` returns).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    #[serde(default)]
    pub iana_time_zone: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub shared_phone_number: Option<bool>,
    #[serde(default)]
    pub photo: Option<Photo>,
    #[serde(default)]
    pub locale_id: Option<u64>,
    #[serde(default)]
    pub locale: Option<String>,
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    #[serde(default)]
    pub role: Option<UserRole>,
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub shared: bool,
    #[serde(default)]
    pub shared_agent: bool,
    #[serde(default)]
    pub last_login_at: Option<String>,
    #[serde(default)]
    pub two_factor_auth_enabled: Option<bool>,
    #[serde(default)]
    pub signature: Option<String>,
    #[serde(default)]
    pub details: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub role_type: Option<u64>,
    #[serde(default)]
    pub custom_role_id: Option<u64>,
    #[serde(default)]
    pub moderator: bool,
    /// `organization`, `groups`, `assigned`, `requested` or null.
    #[serde(default)]
    pub ticket_restriction: Option<String>,
    #[serde(default)]
    pub only_private_comments: bool,
    #[serde(default)]
    pub restricted_agent: bool,
    #[serde(default)]
    pub suspended: bool,
    #[serde(default)]
    pub default_group_id: Option<GroupId>,
    /// Custom user field values, keyed by field key.
    #[serde(default)]
    pub user_fields: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_only: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_photo_url: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl User {
    /// The keys a user create or update body may carry (`id` in bulk updates): any other key
    /// is dropped by Zendesk without a word, so callers refuse it instead.
    pub const WRITABLE: &'static [&'static str] = &[
        "id",
        "name",
        "email",
        "role",
        "custom_role_id",
        "phone",
        "shared_phone_number",
        "organization_id",
        "organization",
        "external_id",
        "tags",
        "user_fields",
        "verified",
        "skip_verify_email",
        "identities",
        "alias",
        "details",
        "notes",
        "signature",
        "time_zone",
        "iana_time_zone",
        "locale",
        "locale_id",
        "default_group_id",
        "moderator",
        "only_private_comments",
        "restricted_agent",
        "suspended",
        "ticket_restriction",
        "photo",
        "remote_photo_url",
        "agent_brand_ids",
    ];
}

/// A user's `photo` (an attachment record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    #[serde(default)]
    pub content_url: Option<String>,
    #[serde(default)]
    pub file_name: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Keys whose values `Debug` must not show.
const SECRET_KEYS: &[&str] = &["authenticity_token"];

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Through JSON, so every field shows without listing them twice; secrets are masked.
        let mut value = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
        if let Value::Object(map) = &mut value {
            for key in SECRET_KEYS {
                if let Some(v) = map.get_mut(*key) {
                    *v = Value::String("[redacted]".to_owned());
                }
            }
        }
        write!(f, "User {value}")
    }
}
