//! Users: create, create-or-update (matched by email, then external id), update, soft delete
//! (`active: false`), passwords, and the defaults Zendesk gives each role.
//!
//! Who may do what: end-users edit themselves only; agents create and edit end-users (and
//! themselves); only admins give or change the agent and admin roles. Emails and external ids
//! are unique, compared case-insensitively.

use serde_json::{Map, Value, json};

use super::input::{opt_bool, opt_id, opt_str, tag_list};
use super::{apply_external_id, check_ref, fetch, required_text};
use crate::caller::{Caller, Role};
use crate::error::ApiError;
use crate::permissions;
use crate::store::{Lookup, Revocation, Table, Writer};
use crate::util::{iso, now};

/// A fresh end-user's JSON with Zendesk's defaults.
pub fn new_user_json(id: i64, name: &str, at: &str) -> Value {
    json!({
        "id": id, "name": name, "email": null, "created_at": at, "updated_at": at,
        "time_zone": "America/New_York", "iana_time_zone": "America/New_York", "phone": null,
        "shared_phone_number": null, "photo": null, "locale_id": 1, "locale": "en-US",
        "organization_id": null, "role": "end-user", "verified": false, "external_id": null,
        "tags": [], "alias": null, "active": true, "shared": false, "shared_agent": false,
        "last_login_at": null, "two_factor_auth_enabled": false, "signature": null,
        "details": null, "notes": null, "role_type": null, "custom_role_id": null,
        "moderator": false, "ticket_restriction": "requested", "only_private_comments": false,
        "restricted_agent": true, "suspended": false, "default_group_id": null,
        "report_csv": false, "user_fields": {}
    })
}

/// Sets `role` and the fields Zendesk derives from it.
pub fn role_defaults(user: &mut Value, role: &str) {
    user["role"] = json!(role);
    match role {
        "admin" => {
            user["role_type"] = json!(4);
            user["ticket_restriction"] = Value::Null;
            user["restricted_agent"] = json!(false);
            user["moderator"] = json!(true);
        }
        "agent" => {
            user["role_type"] = json!(0);
            user["ticket_restriction"] = Value::Null;
            user["restricted_agent"] = json!(false);
            user["moderator"] = json!(false);
        }
        _ => {
            user["role_type"] = Value::Null;
            user["ticket_restriction"] = json!("requested");
            user["restricted_agent"] = json!(true);
            user["moderator"] = json!(false);
        }
    }
}

/// Applies `input` to `user` as `caller`: refused (403 naming the field) when it would change a
/// field the caller may not change (see `permissions::USER_FIELDS`).
fn apply(
    tx: &mut dyn Writer,
    caller: &Caller,
    user: &mut Value,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    let id = user["id"].as_i64().unwrap_or_default();
    let own = caller.id == id;
    permissions::check_input(caller, permissions::USER_FIELDS, user, input, own, creating)?;
    let before = user.clone();
    apply_fields(tx, user, input, creating)?;
    // Whatever the input said, only the changes this caller may make go through (derived
    // changes included).
    permissions::check_changes(
        caller,
        permissions::USER_FIELDS,
        &before,
        user,
        own,
        creating,
    )
}

/// Applies the writable fields of `input` to `user`, checking their form, references and
/// uniqueness (who may change them is `apply`'s concern).
fn apply_fields(
    tx: &mut dyn Writer,
    user: &mut Value,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    let id = user["id"].as_i64().unwrap_or_default();
    if let Some(name) = required_text(input, "name", creating)? {
        user["name"] = json!(name.trim());
    }
    if let Some(email) = opt_str(input, "email")? {
        match email
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
        {
            None => user["email"] = Value::Null,
            Some(email) => {
                let valid = email.split_once('@').is_some_and(|(l, d)| {
                    !l.is_empty() && d.contains('.') && !d.starts_with('.') && !email.contains(' ')
                });
                if !valid {
                    return Err(ApiError::invalid(
                        "email",
                        format!("Email: {email} is not properly formatted; use name@example.com"),
                        "InvalidFormat",
                    ));
                }
                if let Some(other) = tx.find_id(Table::Users, Lookup::Email, &email)?
                    && other != id
                {
                    return Err(ApiError::invalid(
                        "email",
                        format!("Email: {email} is already being used by another user"),
                        "DuplicateValue",
                    ));
                }
                user["email"] = json!(email);
            }
        }
    }
    apply_external_id(tx, Table::Users, user, id, input)?;
    if let Some(role) = opt_str(input, "role")?.flatten() {
        let role = role.trim().to_lowercase();
        if Role::parse(&role).is_none() {
            return Err(ApiError::invalid(
                "role",
                format!("Role: `{role}` is not valid; use end-user, agent or admin"),
                "InvalidValue",
            ));
        }
        if user["role"] != role.as_str() {
            role_defaults(user, &role);
        }
    }
    if let Some(org) = opt_id(input, "organization_id")? {
        check_ref(
            tx,
            "organization_id",
            "Organization",
            Table::Organizations,
            org,
        )?;
        user["organization_id"] = json!(org);
    }
    if let Some(group) = opt_id(input, "default_group_id")? {
        user["default_group_id"] = json!(group);
    }
    if let Some(custom_role) = opt_id(input, "custom_role_id")? {
        user["custom_role_id"] = json!(custom_role);
    }
    for field in [
        "phone",
        "details",
        "notes",
        "alias",
        "signature",
        "time_zone",
        "locale",
    ] {
        if let Some(value) = opt_str(input, field)? {
            user[field] = json!(value);
        }
    }
    if let Some(time_zone) = opt_str(input, "time_zone")?.flatten() {
        user["iana_time_zone"] = json!(time_zone);
    }
    for field in [
        "verified",
        "suspended",
        "shared_phone_number",
        "only_private_comments",
    ] {
        if let Some(value) = opt_bool(input, field)? {
            user[field] = json!(value);
        }
    }
    if let Some(tags) = input.get("tags") {
        user["tags"] = json!(tag_list(tags, "tags")?);
    }
    match input.get("user_fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(fields)) => {
            let mut current = user["user_fields"].as_object().cloned().unwrap_or_default();
            for (k, v) in fields {
                current.insert(k.clone(), v.clone());
            }
            user["user_fields"] = Value::Object(current);
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "user_fields",
                format!("User fields: must be an object keyed by field key, got {other}"),
                "InvalidValue",
            ));
        }
    }
    Ok(())
}

/// A user's first password, given by the agent or admin who creates them (a sandbox
/// convenience: Zendesk sets passwords only through the password endpoints, see
/// [`set_password`]).
fn initial_password(
    tx: &mut dyn Writer,
    id: i64,
    input: &Map<String, Value>,
) -> Result<(), ApiError> {
    if let Some(password) = opt_str(input, "password")?.flatten() {
        check_new_password(&password)?;
        let hash = super::credentials::hash_password(&password);
        tx.set_password_hash(id, Some(&hash))?;
    }
    Ok(())
}

/// The rule a new password must meet.
pub fn check_new_password(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < 5 {
        return Err(ApiError::invalid(
            "password",
            "Password: must be at least 5 characters",
            "InvalidValue",
        ));
    }
    Ok(())
}

/// Stores a user's new password (`hash`, made off the writer) and ends every OAuth sign-in
/// made with the old one. Who may set it, and with which proof, is the password endpoints'
/// (`routes::users`).
pub fn set_password(tx: &mut dyn Writer, id: i64, hash: &str) -> Result<(), ApiError> {
    fetch(tx, Table::Users, id)?;
    tx.set_password_hash(id, Some(hash))?;
    tx.revoke_oauth_tokens(Revocation::User(id))?;
    Ok(())
}

/// The refusal of a password sent with a user's other fields: Zendesk's Users API has no
/// password; it changes only through the password endpoints.
fn password_not_here(id: i64) -> ApiError {
    ApiError::invalid(
        "password",
        format!(
            "Password: cannot be changed with the user's other fields; use \
             PUT /api/v2/users/{id}/password.json with previous_password and password (your own \
             password) or POST /api/v2/users/{id}/password.json with password (an admin setting \
             another user's)"
        ),
        "InvalidValue",
    )
}

/// Creates one user.
pub fn create(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let at = iso(now());
    let id = tx.allocate_id(Table::Users)?;
    let mut user = new_user_json(id, "", &at);
    apply(tx, caller, &mut user, input, true)?;
    tx.save(Table::Users, &user)?;
    initial_password(tx, id, input)?;
    Ok(user)
}

/// Updates the user matching `email` or `external_id`, or creates one; returns (user, created).
pub fn create_or_update(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<(Value, bool), ApiError> {
    caller.require_agent()?;
    let mut existing = None;
    if let Some(email) = opt_str(input, "email")?.flatten() {
        existing = tx.find_id(Table::Users, Lookup::Email, &email)?;
    }
    if existing.is_none()
        && let Some(external) = opt_str(input, "external_id")?.flatten()
    {
        existing = tx.find_id(Table::Users, Lookup::ExternalId, &external)?;
    }
    match existing {
        Some(id) => Ok((update(tx, caller, id, input)?, false)),
        None => Ok((create(tx, caller, input)?, true)),
    }
}

/// Updates one user.
pub fn update(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    if input.contains_key("password") {
        return Err(password_not_here(id));
    }
    let mut user = fetch(tx, Table::Users, id)?;
    check_write(caller, &user)?;
    let before = user.clone();
    apply(tx, caller, &mut user, input, false)?;
    user["updated_at"] = json!(iso(now()));
    tx.save(Table::Users, &user)?;
    // A sign-in is for the user as they were: a new role, or a suspension, ends the OAuth
    // tokens issued before it (an unsuspension does not bring them back).
    if user["role"] != before["role"] || (user["suspended"] == true && before["suspended"] != true)
    {
        tx.revoke_oauth_tokens(Revocation::User(id))?;
    }
    Ok(user)
}

/// Soft-deletes one user (`active: false`).
pub fn delete(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let mut user = fetch(tx, Table::Users, id)?;
    check_write(caller, &user)?;
    if id == caller.id {
        return Err(ApiError::invalid(
            "id",
            "Id: you cannot delete yourself",
            "InvalidValue",
        ));
    }
    user["active"] = json!(false);
    user["updated_at"] = json!(iso(now()));
    tx.save(Table::Users, &user)?;
    tx.revoke_oauth_tokens(Revocation::User(id))?;
    Ok(user)
}

/// End-users edit themselves; agents edit end-users and themselves; admins edit anyone.
fn check_write(caller: &Caller, user: &Value) -> Result<(), ApiError> {
    let id = user["id"].as_i64().unwrap_or_default();
    match caller.role {
        Role::Admin => Ok(()),
        _ if caller.id == id => Ok(()),
        Role::Agent if user["role"] == "end-user" => Ok(()),
        _ => Err(ApiError::Forbidden),
    }
}

/// Creates the admin user and its API token when missing; an existing admin keeps its data, and
/// the given token is added to it if new.
pub fn bootstrap_admin(
    tx: &mut dyn Writer,
    secrets: &super::credentials::Secrets,
    email: &str,
    token: &str,
) -> Result<i64, ApiError> {
    let user_id = match tx.find_id(Table::Users, Lookup::Email, email)? {
        Some(id) => id,
        None => {
            let id = tx.allocate_id(Table::Users)?;
            let at = iso(now());
            let name = email.split('@').next().unwrap_or("Admin");
            let mut user = new_user_json(id, name, &at);
            user["email"] = json!(email);
            user["verified"] = json!(true);
            role_defaults(&mut user, "admin");
            tx.save(Table::Users, &user)?;
            id
        }
    };
    tx.insert_api_token(
        user_id,
        &secrets.token_hash(token).keyed,
        "sandbox admin token",
    )?;
    Ok(user_id)
}
