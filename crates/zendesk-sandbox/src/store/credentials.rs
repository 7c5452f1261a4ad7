//! Credentials: who an API token, a password or an OAuth access token belongs to, and storing
//! a password hash or an API token. Secrets are only ever stored and looked up as hashes.

use super::bind::Bind;
use super::connection::{Row, Transaction};
use super::error::StoreResult;
use crate::util::now;

/// A secret's stored hash: keyed (HMAC-SHA256 with the sandbox's key) and, for secrets stored
/// by an earlier sandbox, the plain SHA-256 it kept; either matches.
#[derive(Clone, Debug)]
pub struct TokenHash {
    pub keyed: String,
    pub legacy: String,
}

/// Who a credential belongs to.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub role: String,
    pub active: bool,
    /// An OAuth token's scopes; `None` for API tokens and passwords (everything the role allows).
    pub scopes: Option<Vec<String>>,
    /// The OAuth token's id, for `/api/v2/oauth/tokens/current`.
    pub token_id: Option<i64>,
    /// When the OAuth access token stops working (Unix seconds); `None`: never.
    pub expires_at: Option<i64>,
}

/// Reading who credentials belong to.
pub trait ReadCredentials {
    /// The user an API token belongs to (its email must match). Suspended or deleted users come
    /// back with `active: false`.
    fn principal_by_api_token(
        &mut self,
        email: &str,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>>;
    /// The user signing in with a password, with the stored password hash.
    fn principal_by_email(&mut self, email: &str) -> StoreResult<Option<(Principal, String)>>;
    /// The user a live (not revoked) OAuth access token belongs to, with the token's scopes,
    /// id and expiry (the caller checks the expiry, so a cached sign-in can too).
    fn principal_by_oauth_token(
        &mut self,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>>;
    fn user_role(&mut self, id: i64) -> StoreResult<Option<String>>;
    /// The account's credentials generation, moved by every transaction (of any process) that
    /// changed users or credentials.
    fn credentials_generation_stored(&mut self) -> StoreResult<u64>;
}

/// Storing credentials. Each write signs out cached sign-ins at once.
pub trait WriteCredentials {
    fn set_password_hash(&mut self, user_id: i64, hash: Option<&str>) -> StoreResult<()>;
    /// Adds an API token (its hash) to a user; an existing identical token is kept.
    fn insert_api_token(
        &mut self,
        user_id: i64,
        token_hash: &str,
        description: &str,
    ) -> StoreResult<()>;
}

/// `id, role, active, suspended` of a user, as the first four columns.
fn principal(row: &dyn Row) -> StoreResult<Principal> {
    Ok(Principal {
        user_id: row.id(0)?,
        role: row.string(1)?,
        active: row.flag(2)? && !row.flag(3)?,
        scopes: None,
        token_id: None,
        expires_at: None,
    })
}

impl ReadCredentials for Transaction<'_> {
    fn principal_by_api_token(
        &mut self,
        email: &str,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>> {
        self.row(
            "SELECT u.id, u.role, u.active, u.suspended FROM api_tokens t
             JOIN users u ON u.id = t.user_id
             WHERE t.token_hash IN ($?, $?) AND u.email = $?",
            &[
                Bind::Text(token_hash.keyed.clone()),
                Bind::Text(token_hash.legacy.clone()),
                Bind::Text(email.to_lowercase()),
            ],
            principal,
        )
    }

    fn principal_by_email(&mut self, email: &str) -> StoreResult<Option<(Principal, String)>> {
        self.row(
            "SELECT id, role, active, suspended, password_hash FROM users
             WHERE email = $? AND password_hash IS NOT NULL",
            &[Bind::Text(email.to_lowercase())],
            |row| Ok((principal(row)?, row.string(4)?)),
        )
    }

    fn principal_by_oauth_token(
        &mut self,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<Principal>> {
        self.row(
            "SELECT u.id, u.role, u.active, u.suspended, t.scopes, t.id, t.expires_at
             FROM oauth_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash IN ($?, $?) AND t.revoked_at IS NULL",
            &[
                Bind::Text(token_hash.keyed.clone()),
                Bind::Text(token_hash.legacy.clone()),
            ],
            |row| {
                let scopes = row.str(4)?.split(' ').map(str::to_string).collect();
                Ok(Principal {
                    scopes: Some(scopes),
                    token_id: Some(row.id(5)?),
                    expires_at: row.int(6)?,
                    ..principal(row)?
                })
            },
        )
    }

    fn user_role(&mut self, id: i64) -> StoreResult<Option<String>> {
        self.row(
            "SELECT role FROM users WHERE id = $?",
            &[Bind::Int(id)],
            |row| row.string(0),
        )
    }

    fn credentials_generation_stored(&mut self) -> StoreResult<u64> {
        Ok(self
            .one_int(
                "SELECT generation FROM credential_changes WHERE id = 1",
                &[],
            )?
            .unwrap_or_default() as u64)
    }
}

impl WriteCredentials for Transaction<'_> {
    fn set_password_hash(&mut self, user_id: i64, hash: Option<&str>) -> StoreResult<()> {
        self.credentials_changed();
        self.exec(
            "UPDATE users SET password_hash = $? WHERE id = $?",
            &[Bind::opt_text(hash.map(str::to_string)), Bind::Int(user_id)],
        )?;
        Ok(())
    }

    fn insert_api_token(
        &mut self,
        user_id: i64,
        token_hash: &str,
        description: &str,
    ) -> StoreResult<()> {
        self.credentials_changed();
        self.exec(
            "INSERT INTO api_tokens (user_id, token_hash, description, created_at)
             VALUES ($?, $?, $?, $?) ON CONFLICT (token_hash) DO NOTHING",
            &[
                Bind::Int(user_id),
                Bind::from(token_hash),
                Bind::from(description),
                Bind::Int(now()),
            ],
        )?;
        Ok(())
    }
}
