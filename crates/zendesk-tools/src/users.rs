//! User tools: list (by role or permission set), show, the authenticated user, search (by
//! query or external ID, offset paging), create (one or in bulk), update (one or in bulk) and
//! delete (Zendesk deactivates the user).

use serde_json::{Map, Value, json};

use crate::Tool;
use crate::ToolError;
use crate::jobs::{bulk_wait_param, wait_from};
use crate::output;
use crate::params::{Params, parse_id};
use crate::plan::Plan;
use crate::spec::*;
use zendesk::Detached;
use zendesk_types::UserId;

pub(crate) const ROLES: &[&str] = zendesk_types::UserRole::KNOWN;
const USER_FIELDS_EXAMPLE: &str = r#"{"membership_level": "gold"}"#;

pub(crate) fn get_users() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_users",
            description: "Retrieve a list of users from Zendesk with optional filtering",
            params: with_credentials(
                Subdomain::WithExample,
                vec![
                    optional(
                        "role",
                        "Filter by role: \"end-user\", \"agent\", or \"admin\"",
                    )
                    .one_of(ROLES),
                    optional(
                        "permissionSet",
                        "Filter by permission set ID as a numeric string (e.g., \"12345\")",
                    ),
                    optional(
                        "perPage",
                        "Results per page as a number string (default: \"100\", max: \"100\")",
                    ),
                    optional(
                        "pageAfter",
                        "Cursor from a previous response to fetch the next page of results",
                    ),
                    fields_param(),
                ],
            ),
            outputs: vec![
                nested("users", "array", "Array of user objects", user_fields()),
                nested(
                    "paging",
                    "object",
                    "Cursor-based pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
            ],
            annotations: READ_ONLY,
        },
        plan_get_users,
    )
}

pub(crate) fn get_user() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_user",
            description: "Get a single user by ID from Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![required(
                    "userId",
                    "User ID to retrieve as a numeric string (e.g., \"12345\")",
                )],
            ),
            outputs: vec![
                nested("user", "object", "User object", user_fields()),
                out("user_id", "number", "The user ID"),
            ],
            annotations: READ_ONLY,
        },
        plan_get_user,
    )
}

pub(crate) fn get_current_user() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_current_user",
            description: "Get the currently authenticated user from Zendesk",
            params: with_credentials(Subdomain::Plain, vec![]),
            outputs: vec![
                nested("user", "object", "Current user object", user_fields()),
                out("user_id", "number", "The current user ID"),
            ],
            annotations: READ_ONLY,
        },
        plan_get_current_user,
    )
}

pub(crate) fn search_users() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_search_users",
            description: "Search for users in Zendesk using a query string",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    optional("query", "Search query string (e.g., user name or email)"),
                    optional(
                        "externalId",
                        "External ID to search by (your system identifier)",
                    ),
                    optional(
                        "perPage",
                        "Results per page as a number string (default: \"100\", max: \"100\")",
                    ),
                    optional("page", "Page number for pagination (1-based)"),
                    fields_param(),
                ],
            ),
            outputs: vec![
                nested("users", "array", "Array of user objects", user_fields()),
                nested(
                    "paging",
                    "object",
                    "Cursor-based pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
            ],
            annotations: READ_ONLY,
        },
        plan_search_users,
    )
}

pub(crate) fn create_user() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_create_user",
            description: "Create a new user in Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required("name", "User full name (e.g., \"John Smith\")"),
                    optional(
                        "userEmail",
                        "User email address (e.g., \"john@example.com\")",
                    ),
                    optional("role", "User role: \"end-user\", \"agent\", or \"admin\"")
                        .one_of(ROLES),
                    optional("phone", "User phone number (e.g., \"+1-555-123-4567\")"),
                    optional(
                        "organizationId",
                        "Organization ID as a numeric string (e.g., \"12345\")",
                    ),
                    optional(
                        "verified",
                        "Set to \"true\" to skip email verification, or \"false\" otherwise",
                    )
                    .flag(),
                    optional("tags", "Comma-separated tags (e.g., \"vip, enterprise\")").list(),
                    optional(
                        "customFields",
                        "Custom fields as JSON object (e.g., {\"field_id\": \"value\"})",
                    ),
                ],
            ),
            outputs: vec![
                nested("user", "object", "Created user object", user_fields()),
                out("user_id", "number", "The created user ID"),
            ],
            annotations: WRITE,
        },
        plan_create_user,
    )
}

pub(crate) fn create_users_bulk() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_create_users_bulk",
            description: "Create multiple users in Zendesk using bulk import",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "users",
                        "JSON array of user objects to create (e.g., [{\"name\": \"User1\", \"email\": \"user1@example.com\"}])",
                    ),
                    bulk_wait_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "job_status",
                    "object",
                    "Job status object for bulk operations",
                    job_status_fields(),
                ),
                out("job_id", "string", "The bulk operation job ID"),
            ],
            annotations: WRITE,
        },
        plan_create_users_bulk,
    )
}

pub(crate) fn update_user() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_update_user",
            description: "Update an existing user in Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "userId",
                        "User ID to update as a numeric string (e.g., \"12345\")",
                    ),
                    optional("name", "New user full name (e.g., \"John Smith\")"),
                    optional(
                        "userEmail",
                        "New user email address (e.g., \"john@example.com\")",
                    ),
                    optional("role", "User role: \"end-user\", \"agent\", or \"admin\"")
                        .one_of(ROLES),
                    optional("phone", "User phone number (e.g., \"+1-555-123-4567\")"),
                    optional(
                        "organizationId",
                        "Organization ID as a numeric string (e.g., \"67890\")",
                    ),
                    optional(
                        "verified",
                        "Set to \"true\" to mark user as verified, or \"false\" otherwise",
                    )
                    .flag(),
                    optional("tags", "Comma-separated tags (e.g., \"vip, enterprise\")").list(),
                    optional(
                        "customFields",
                        "Custom fields as JSON object (e.g., {\"field_id\": \"value\"})",
                    ),
                ],
            ),
            outputs: vec![
                nested("user", "object", "Updated user object", user_fields()),
                out("user_id", "number", "The updated user ID"),
            ],
            annotations: IDEMPOTENT_WRITE,
        },
        plan_update_user,
    )
}

pub(crate) fn update_users_bulk() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_update_users_bulk",
            description: "Update multiple users in Zendesk using bulk update",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "users",
                        "JSON array of user objects to update, each must include id field (e.g., [{\"id\": \"123\", \"name\": \"New Name\"}])",
                    ),
                    bulk_wait_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "job_status",
                    "object",
                    "Job status object for bulk operations",
                    job_status_fields(),
                ),
                out("job_id", "string", "The bulk operation job ID"),
            ],
            annotations: WRITE,
        },
        plan_update_users_bulk,
    )
}

pub(crate) fn delete_user() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_delete_user",
            description: "Delete a user from Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![required(
                    "userId",
                    "User ID to delete as a numeric string (e.g., \"12345\")",
                )],
            ),
            outputs: vec![
                out("deleted", "boolean", "Deletion success"),
                out("user_id", "string", "The deleted user ID"),
            ],
            annotations: DESTRUCTIVE_IDEMPOTENT,
        },
        plan_delete_user,
    )
}
fn plan_get_users(p: &Params) -> Result<Plan, ToolError> {
    let role = p.choice("role")?;
    let permission_set = p.id("permissionSet")?;
    let fields = p.fields(&keys_of(&user_fields()))?;
    Plan::records(
        p.paged(Detached.users().list(role, permission_set))?,
        "users",
        fields,
    )
}

fn plan_get_user(p: &Params) -> Result<Plan, ToolError> {
    let id = UserId(p.required_id("userId")?);
    Plan::send(Detached.users().show(id), |body| {
        output::record(body, "user", "user_id")
    })
}

fn plan_get_current_user(_: &Params) -> Result<Plan, ToolError> {
    Plan::send(Detached.users().me(), |body| {
        output::record(body, "user", "user_id")
    })
}

fn plan_search_users(p: &Params) -> Result<Plan, ToolError> {
    let query = p.text("query")?;
    let external_id = p.text("externalId")?;
    if query.is_none() && external_id.is_none() {
        return Err(ToolError::invalid(
            "give query (a name or email, e.g. \"jane@example.com\") or externalId (your system's ID for the user); both are empty",
        ));
    }
    let fields = p.fields(&keys_of(&user_fields()))?;
    Plan::records(
        p.paged(Detached.users().search(query, external_id))?,
        "users",
        fields,
    )
}

/// The user fields shared by create and update, only those given.
fn user_fields_from(p: &Params, user: &mut Map<String, Value>) -> Result<(), ToolError> {
    if let Some(name) = p.text("name")? {
        user.insert("name".into(), json!(name));
    }
    if let Some(email) = p.text("userEmail")? {
        let email = email.trim();
        if !email.contains('@') || email.contains(char::is_whitespace) {
            return Err(ToolError::invalid(format!(
                "userEmail must be an email address such as \"john@example.com\" (got {})",
                crate::params::shown(email)
            )));
        }
        user.insert("email".into(), json!(email));
    }
    if let Some(role) = p.choice("role")? {
        user.insert("role".into(), json!(role));
    }
    if let Some(phone) = p.text("phone")? {
        user.insert("phone".into(), json!(phone.trim()));
    }
    if let Some(id) = p.id("organizationId")? {
        user.insert("organization_id".into(), json!(id));
    }
    if let Some(verified) = p.boolean("verified")? {
        user.insert("verified".into(), json!(verified));
    }
    if let Some(tags) = p.list("tags")? {
        user.insert("tags".into(), json!(tags));
    }
    if let Some(fields) = p.json_object("customFields", USER_FIELDS_EXAMPLE)? {
        user.insert("user_fields".into(), Value::Object(fields));
    }
    Ok(())
}

fn plan_create_user(p: &Params) -> Result<Plan, ToolError> {
    p.required_text("name")?;
    let mut user = Map::new();
    user_fields_from(p, &mut user)?;
    Plan::send(Detached.users().create(&user), |body| {
        output::record(body, "user", "user_id")
    })
}

fn plan_create_users_bulk(p: &Params) -> Result<Plan, ToolError> {
    let users = p.required_records(
        "users",
        r#"[{"name": "User1", "email": "user1@example.com"}]"#,
        "user",
        zendesk_types::User::WRITABLE,
    )?;
    Plan::job(
        Detached.users().create_many(&users),
        output::job,
        wait_from(p)?,
    )
}

fn plan_update_user(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("userId")?;
    let mut user = Map::new();
    user_fields_from(p, &mut user)?;
    if user.is_empty() {
        return Err(ToolError::invalid(
            "nothing to update: give at least one of name, userEmail, role, phone, organizationId, verified, tags, customFields",
        ));
    }
    Plan::send(Detached.users().update(UserId(id), &user), |body| {
        output::record(body, "user", "user_id")
    })
}

fn plan_update_users_bulk(p: &Params) -> Result<Plan, ToolError> {
    const EXAMPLE: &str = r#"[{"id": "123", "name": "New Name"}]"#;
    let mut users = p.required_records("users", EXAMPLE, "user", zendesk_types::User::WRITABLE)?;
    for (index, user) in users.iter_mut().enumerate() {
        let id = match user.get("id") {
            Some(Value::Number(n)) => n.as_u64().filter(|n| *n > 0),
            Some(Value::String(s)) => parse_id(s),
            _ => None,
        };
        let Some(id) = id else {
            return Err(ToolError::invalid(format!(
                "users[{index}] needs a numeric \"id\" (the user to update), e.g. {EXAMPLE}"
            )));
        };
        user.insert("id".into(), json!(id));
    }
    Plan::job(
        Detached.users().update_many(&users),
        output::job,
        wait_from(p)?,
    )
}

fn plan_delete_user(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("userId")?;
    Plan::send(Detached.users().delete(UserId(id)), move |_| {
        Ok(output::deleted("user_id", id.to_string()))
    })
}
