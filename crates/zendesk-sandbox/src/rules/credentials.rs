//! Credentials: the sandbox admin created on first start, API tokens, OAuth access tokens, and
//! how secrets are kept (only hashes are stored; a token or password is never readable back).

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::check_ref;
use super::input::{opt_id, opt_str};
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::store::{Lookup, Table, Writer};
use crate::util::{iso, now, random_token};

/// Hex SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Salted password hash: `salt$hex(sha256(salt + password))`.
pub fn hash_password(password: &str) -> String {
    let salt = &random_token()[..16];
    format!("{salt}${}", hash_secret(&format!("{salt}{password}")))
}

/// Checks a password against [`hash_password`]'s output.
pub fn password_matches(password: &str, stored: &str) -> bool {
    match stored.split_once('$') {
        Some((salt, hash)) => hash_secret(&format!("{salt}{password}")) == hash,
        None => false,
    }
}

/// Creates the admin user and its API token when missing; an existing admin keeps its data, and
/// the given token is added to it if new.
pub fn bootstrap_admin(tx: &mut dyn Writer, email: &str, token: &str) -> Result<i64, ApiError> {
    let user_id = match tx.find_id(Table::Users, Lookup::Email, email)? {
        Some(id) => id,
        None => {
            let id = tx.allocate_id(Table::Users)?;
            let at = iso(now());
            let name = email.split('@').next().unwrap_or("Admin");
            let mut user = super::users::new_user_json(id, name, &at);
            user["email"] = json!(email);
            user["verified"] = json!(true);
            super::users::role_defaults(&mut user, "admin");
            tx.save(Table::Users, &user)?;
            id
        }
    };
    tx.insert_api_token(user_id, &hash_secret(token), "sandbox admin token")?;
    Ok(user_id)
}

/// `POST /api/v2/oauth/tokens`: mints a bearer token for the caller (or, for an admin, for
/// `user_id`) with scopes `read` and/or `write`. Returns the token's JSON, the full token shown
/// this once.
pub fn create_oauth_token(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let user_id = opt_id(input, "user_id")?.flatten().unwrap_or(caller.id);
    if user_id != caller.id && caller.role != Role::Admin {
        return Err(ApiError::Forbidden);
    }
    let scopes: Vec<String> = match input.get("scopes") {
        None | Some(Value::Null) => vec!["read".into(), "write".into()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(other) => {
            return Err(ApiError::invalid(
                "scopes",
                format!("Scopes: must be an array such as [\"read\", \"write\"], got {other}"),
                "InvalidValue",
            ));
        }
    };
    if scopes.is_empty() || scopes.iter().any(|s| s != "read" && s != "write") {
        return Err(ApiError::invalid(
            "scopes",
            "Scopes: use \"read\" and/or \"write\"",
            "InvalidValue",
        ));
    }
    let client_id = opt_str(input, "client_id")?.flatten();
    check_ref(tx, "user_id", "User", Table::Users, Some(user_id))?;
    let token = random_token();
    let id = tx.insert_oauth_token(
        user_id,
        &hash_secret(&token),
        client_id.as_deref(),
        &scopes.join(" "),
    )?;
    Ok(json!({
        "id": id, "user_id": user_id, "client_id": client_id, "token": &token[..10],
        "full_token": token, "scopes": scopes, "created_at": iso(now()), "expires_at": null,
        "refresh_token": null
    }))
}
