//! User tools: list (by role or permission set), show, the authenticated user, search (by
//! query or external ID, offset paging), create (one or in bulk), update (one or in bulk) and
//! delete (Zendesk deactivates the user).

use serde_json::{Map, Value, json};

use crate::error::ToolError;
use crate::output;
use crate::params::{Params, parse_id};
use crate::plan::{Plan, PlanFn};
use crate::tools::jobs::wait_from;
use zendesk::Detached;
use zendesk_types::UserId;

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_users", get_users),
    ("zendesk_get_user", get_user),
    ("zendesk_get_current_user", get_current_user),
    ("zendesk_search_users", search_users),
    ("zendesk_create_user", create_user),
    ("zendesk_create_users_bulk", create_users_bulk),
    ("zendesk_update_user", update_user),
    ("zendesk_update_users_bulk", update_users_bulk),
    ("zendesk_delete_user", delete_user),
];

fn get_users(p: &Params) -> Result<Plan, ToolError> {
    let role = p.choice("role")?;
    let permission_set = p.id("permissionSet")?;
    let fields = p.fields()?;
    Plan::records(
        p.paged(Detached.users().list(role, permission_set))?,
        "users",
        fields,
    )
}

fn get_user(p: &Params) -> Result<Plan, ToolError> {
    let id = UserId(p.required_id("userId")?);
    let fields = p.fields()?;
    Plan::send(Detached.users().show(id), move |body| {
        output::read(body, "user", "user_id", fields.as_deref())
    })
}

fn get_current_user(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields()?;
    Plan::send(Detached.users().me(), move |body| {
        output::read(body, "user", "user_id", fields.as_deref())
    })
}

fn search_users(p: &Params) -> Result<Plan, ToolError> {
    let query = p.text("query")?;
    let external_id = p.text("externalId")?;
    if query.is_none() && external_id.is_none() {
        return Err(ToolError::invalid(
            "give query (a name or email, e.g. \"jane@example.com\") or externalId (your system's ID for the user); both are empty",
        ));
    }
    let fields = p.fields()?;
    Plan::records(
        p.paged(Detached.users().search(query, external_id))?,
        "users",
        fields,
    )
}

/// The user fields shared by create and update, only those given.
fn user_fields_from(p: &Params, user: &mut Map<String, Value>) -> Result<(), ToolError> {
    p.fill(user)?;
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
    Ok(())
}

fn create_user(p: &Params) -> Result<Plan, ToolError> {
    p.required_text("name")?;
    let mut user = Map::new();
    user_fields_from(p, &mut user)?;
    Plan::send(Detached.users().create(&user), |body| {
        output::record(body, "user", "user_id")
    })
}

fn create_users_bulk(p: &Params) -> Result<Plan, ToolError> {
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

fn update_user(p: &Params) -> Result<Plan, ToolError> {
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

fn update_users_bulk(p: &Params) -> Result<Plan, ToolError> {
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

fn delete_user(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("userId")?;
    Plan::send(Detached.users().delete(UserId(id)), move |_| {
        Ok(output::deleted("user_id", id.to_string()))
    })
}
