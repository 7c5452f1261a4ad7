//! The OAuth server's records: clients, authorization codes and tokens (access and refresh),
//! secrets stored as keyed hashes only.

use serde_json::Value;

use super::bind::Bind;
use super::connection::{Row, Transaction};
use super::error::{StoreError, StoreResult};
use crate::util::now;

/// An OAuth client as stored: the record as served (without `url`; never the secret) and
/// whether a secret is set.
#[derive(Clone, Debug)]
pub struct OAuthClientRow {
    pub json: Value,
    /// The keyed hash of a confidential client's secret.
    pub secret_hash: Option<String>,
}

/// How an OAuth client is looked up.
#[derive(Clone, Copy, Debug)]
pub enum ClientKey<'a> {
    Id(i64),
    /// The client's unique `identifier` (the `client_id` of the OAuth flows).
    Identifier(&'a str),
}

/// An authorization code as stored (its value only as a hash, the lookup key).
#[derive(Clone, Debug)]
pub struct OAuthCode {
    /// Set by the store on insert.
    pub id: i64,
    /// `oauth_clients.id`.
    pub client: i64,
    pub user_id: i64,
    /// The exact `redirect_uri` of the authorization request.
    pub redirect_uri: String,
    /// Space-separated granted scopes.
    pub scopes: String,
    /// The PKCE S256 challenge, when one was sent.
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// A new OAuth access token (and refresh token) to store: hashes only.
#[derive(Clone, Debug)]
pub struct NewOAuthToken<'a> {
    pub user_id: i64,
    pub token_hash: &'a str,
    pub refresh_token_hash: Option<&'a str>,
    /// `oauth_clients.id`.
    pub client: Option<i64>,
    /// Space-separated.
    pub scopes: &'a str,
    pub expires_at: Option<i64>,
    pub refresh_token_expires_at: Option<i64>,
    /// The authorization (code id) the token descends from.
    pub grant_id: Option<i64>,
}

/// An OAuth token as stored, without any secret.
#[derive(Clone, Debug)]
pub struct OAuthTokenRow {
    pub id: i64,
    pub user_id: i64,
    pub client: Option<i64>,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub refresh_token_expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub grant_id: Option<i64>,
    pub has_refresh_token: bool,
}

/// Which OAuth tokens to revoke.
#[derive(Clone, Copy, Debug)]
pub enum Revocation {
    /// One token (and its refresh token).
    Token(i64),
    /// Every token descending from one authorization.
    Grant(i64),
    /// Every token of a client (the client is being deleted).
    Client(i64),
    /// Every token signing in one user (their password or role changed, or they were
    /// suspended or deleted).
    User(i64),
}

/// Reading OAuth clients, codes and tokens.
pub trait ReadOAuth {
    /// One OAuth client.
    fn oauth_client(&mut self, key: ClientKey<'_>) -> StoreResult<Option<OAuthClientRow>>;
    /// Every OAuth client, by id.
    fn oauth_clients(&mut self) -> StoreResult<Vec<OAuthClientRow>>;
    /// The authorization code with this keyed hash (used or not, expired or not).
    fn oauth_code(&mut self, code_hash: &str) -> StoreResult<Option<OAuthCode>>;
    /// One OAuth token by id, revoked ones included.
    fn oauth_token(&mut self, id: i64) -> StoreResult<Option<OAuthTokenRow>>;
    /// The OAuth token whose refresh token has this keyed hash, revoked ones included (a spent
    /// refresh token is recognised).
    fn oauth_token_by_refresh(&mut self, refresh_hash: &str) -> StoreResult<Option<OAuthTokenRow>>;
    /// Tokens not revoked, of one user (or all), of one client (or all), by id.
    fn oauth_tokens(
        &mut self,
        user_id: Option<i64>,
        client: Option<i64>,
    ) -> StoreResult<Vec<OAuthTokenRow>>;
}

/// Writing OAuth clients, codes and tokens. A write that changes who may sign in signs out
/// cached sign-ins at once.
pub trait WriteOAuth {
    /// Stores an OAuth access token (and its refresh token); returns its id.
    fn insert_oauth_token(&mut self, token: &NewOAuthToken<'_>) -> StoreResult<i64>;
    /// Revokes OAuth tokens (access and refresh alike); how many were live. Signs them out at
    /// once (the credentials generation moves).
    fn revoke_oauth_tokens(&mut self, which: Revocation) -> StoreResult<u64>;
    /// Inserts an OAuth client (`json` without `id`: the store assigns it and writes it into the
    /// stored JSON) and returns its id; `identifier` must be free.
    fn insert_oauth_client(&mut self, json: &Value) -> StoreResult<i64>;
    /// Replaces a client's served JSON (its identifier and kind follow it).
    fn update_oauth_client(&mut self, id: i64, json: &Value) -> StoreResult<()>;
    /// Sets (or clears) a client's secret hash; tokens already issued keep working.
    fn set_oauth_client_secret(&mut self, id: i64, secret_hash: Option<&str>) -> StoreResult<()>;
    /// Deletes a client with its codes, and revokes its tokens; false when there was none.
    fn delete_oauth_client(&mut self, id: i64) -> StoreResult<bool>;
    /// Stores an authorization code (by its keyed hash); returns its id. Codes expired for an
    /// hour are purged on the way.
    fn insert_oauth_code(&mut self, code_hash: &str, code: &OAuthCode) -> StoreResult<i64>;
    /// Marks a code used; false when it already was (another exchange won).
    fn spend_oauth_code(&mut self, id: i64) -> StoreResult<bool>;
}

/// The columns of an OAuth token row, in [`token_row`]'s order.
const TOKEN_COLUMNS: &str = "id, user_id, oauth_client_id, scopes, created_at, expires_at,
    refresh_token_expires_at, revoked_at, grant_id,
    CASE WHEN refresh_token_hash IS NULL THEN 0 ELSE 1 END";

fn token_row(row: &dyn Row) -> StoreResult<OAuthTokenRow> {
    Ok(OAuthTokenRow {
        id: row.id(0)?,
        user_id: row.id(1)?,
        client: row.int(2)?,
        scopes: row.string(3)?,
        created_at: row.id(4)?,
        expires_at: row.int(5)?,
        refresh_token_expires_at: row.int(6)?,
        revoked_at: row.int(7)?,
        grant_id: row.int(8)?,
        has_refresh_token: row.flag(9)?,
    })
}

fn client_row(row: &dyn Row) -> StoreResult<OAuthClientRow> {
    Ok(OAuthClientRow {
        json: row.json(0)?,
        secret_hash: row.opt_string(1)?,
    })
}

impl ReadOAuth for Transaction<'_> {
    fn oauth_client(&mut self, key: ClientKey<'_>) -> StoreResult<Option<OAuthClientRow>> {
        match key {
            ClientKey::Id(id) => self.row(
                "SELECT json, secret_hash FROM oauth_clients WHERE id = $?",
                &[Bind::Int(id)],
                client_row,
            ),
            ClientKey::Identifier(identifier) => self.row(
                "SELECT json, secret_hash FROM oauth_clients WHERE identifier = $?",
                &[Bind::from(identifier)],
                client_row,
            ),
        }
    }

    fn oauth_clients(&mut self) -> StoreResult<Vec<OAuthClientRow>> {
        self.rows(
            "SELECT json, secret_hash FROM oauth_clients ORDER BY id",
            &[],
            client_row,
        )
    }

    fn oauth_code(&mut self, code_hash: &str) -> StoreResult<Option<OAuthCode>> {
        self.row(
            "SELECT id, client, user_id, redirect_uri, scopes, code_challenge, expires_at, used_at
             FROM oauth_codes WHERE code_hash = $?",
            &[Bind::from(code_hash)],
            |row| {
                Ok(OAuthCode {
                    id: row.id(0)?,
                    client: row.id(1)?,
                    user_id: row.id(2)?,
                    redirect_uri: row.string(3)?,
                    scopes: row.string(4)?,
                    code_challenge: row.opt_string(5)?,
                    expires_at: row.id(6)?,
                    used_at: row.int(7)?,
                })
            },
        )
    }

    fn oauth_token(&mut self, id: i64) -> StoreResult<Option<OAuthTokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE id = $?");
        self.row(&sql, &[Bind::Int(id)], token_row)
    }

    fn oauth_token_by_refresh(&mut self, refresh_hash: &str) -> StoreResult<Option<OAuthTokenRow>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE refresh_token_hash = $?");
        self.row(&sql, &[Bind::from(refresh_hash)], token_row)
    }

    fn oauth_tokens(
        &mut self,
        user_id: Option<i64>,
        client: Option<i64>,
    ) -> StoreResult<Vec<OAuthTokenRow>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM oauth_tokens WHERE revoked_at IS NULL
             AND (CAST($1 AS BIGINT) IS NULL OR user_id = $1)
             AND (CAST($2 AS BIGINT) IS NULL OR oauth_client_id = $2)
             ORDER BY id"
        );
        self.rows(
            &sql,
            &[Bind::opt_int(user_id), Bind::opt_int(client)],
            token_row,
        )
    }
}

impl WriteOAuth for Transaction<'_> {
    fn insert_oauth_token(&mut self, token: &NewOAuthToken<'_>) -> StoreResult<i64> {
        self.credentials_changed();
        self.one_int(
            "INSERT INTO oauth_tokens (user_id, token_hash, refresh_token_hash, oauth_client_id,
                scopes, created_at, expires_at, refresh_token_expires_at, grant_id)
             VALUES ($?, $?, $?, $?, $?, $?, $?, $?, $?) RETURNING id",
            &[
                Bind::Int(token.user_id),
                Bind::from(token.token_hash),
                Bind::opt_text(token.refresh_token_hash.map(str::to_string)),
                Bind::opt_int(token.client),
                Bind::from(token.scopes),
                Bind::Int(now()),
                Bind::opt_int(token.expires_at),
                Bind::opt_int(token.refresh_token_expires_at),
                Bind::opt_int(token.grant_id),
            ],
        )?
        .ok_or_else(|| StoreError::database("the token insert returned no id"))
    }

    fn revoke_oauth_tokens(&mut self, which: Revocation) -> StoreResult<u64> {
        // Whatever this revokes must stop signing in now, not when a cached sign-in lapses.
        self.credentials_changed();
        let (column, id) = match which {
            Revocation::Token(id) => ("id", id),
            Revocation::Grant(id) => ("grant_id", id),
            Revocation::Client(id) => ("oauth_client_id", id),
            Revocation::User(id) => ("user_id", id),
        };
        let revoked = self.exec(
            &format!(
                "UPDATE oauth_tokens SET revoked_at = $? WHERE {column} = $? AND revoked_at IS NULL"
            ),
            &[Bind::Int(now()), Bind::Int(id)],
        )?;
        // Spent and revoked rows are kept while their refresh token could still be presented
        // (so a replay is recognised); after that they are only history.
        self.exec(
            "DELETE FROM oauth_tokens WHERE revoked_at IS NOT NULL
             AND COALESCE(refresh_token_expires_at, revoked_at) < $?",
            &[Bind::Int(now() - 86_400)],
        )?;
        Ok(revoked)
    }

    fn insert_oauth_client(&mut self, json: &Value) -> StoreResult<i64> {
        let text =
            |key: &str| Bind::from(json.get(key).and_then(Value::as_str).unwrap_or_default());
        let user_id = json
            .get("user_id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let id = self
            .one_int(
                "INSERT INTO oauth_clients (json, identifier, kind, user_id, created_at)
                 VALUES ('{}', $?, $?, $?, $?) RETURNING id",
                &[
                    text("identifier"),
                    text("kind"),
                    Bind::Int(user_id),
                    Bind::Int(now()),
                ],
            )?
            .ok_or_else(|| StoreError::database("the client insert returned no id"))?;
        let mut stored = json.clone();
        stored["id"] = Value::from(id);
        self.update_oauth_client(id, &stored)?;
        Ok(id)
    }

    fn update_oauth_client(&mut self, id: i64, json: &Value) -> StoreResult<()> {
        let text =
            |key: &str| Bind::from(json.get(key).and_then(Value::as_str).unwrap_or_default());
        // A client's kind and redirect URIs decide who may sign in through it.
        self.credentials_changed();
        self.exec(
            "UPDATE oauth_clients SET json = $?, identifier = $?, kind = $? WHERE id = $?",
            &[
                Bind::Text(json.to_string()),
                text("identifier"),
                text("kind"),
                Bind::Int(id),
            ],
        )?;
        Ok(())
    }

    fn set_oauth_client_secret(&mut self, id: i64, secret_hash: Option<&str>) -> StoreResult<()> {
        self.credentials_changed();
        self.exec(
            "UPDATE oauth_clients SET secret_hash = $? WHERE id = $?",
            &[
                Bind::opt_text(secret_hash.map(str::to_string)),
                Bind::Int(id),
            ],
        )?;
        Ok(())
    }

    fn delete_oauth_client(&mut self, id: i64) -> StoreResult<bool> {
        self.revoke_oauth_tokens(Revocation::Client(id))?;
        self.exec(
            "DELETE FROM oauth_codes WHERE client = $?",
            &[Bind::Int(id)],
        )?;
        let deleted = self.exec("DELETE FROM oauth_clients WHERE id = $?", &[Bind::Int(id)])?;
        Ok(deleted == 1)
    }

    fn insert_oauth_code(&mut self, code_hash: &str, code: &OAuthCode) -> StoreResult<i64> {
        self.exec(
            "DELETE FROM oauth_codes WHERE expires_at < $?",
            &[Bind::Int(now() - 3_600)],
        )?;
        self.one_int(
            "INSERT INTO oauth_codes (code_hash, client, user_id, redirect_uri, scopes,
                code_challenge, created_at, expires_at)
             VALUES ($?, $?, $?, $?, $?, $?, $?, $?) RETURNING id",
            &[
                Bind::from(code_hash),
                Bind::Int(code.client),
                Bind::Int(code.user_id),
                Bind::Text(code.redirect_uri.clone()),
                Bind::Text(code.scopes.clone()),
                Bind::opt_text(code.code_challenge.clone()),
                Bind::Int(now()),
                Bind::Int(code.expires_at),
            ],
        )?
        .ok_or_else(|| StoreError::database("the code insert returned no id"))
    }

    fn spend_oauth_code(&mut self, id: i64) -> StoreResult<bool> {
        let spent = self.exec(
            "UPDATE oauth_codes SET used_at = $? WHERE id = $? AND used_at IS NULL",
            &[Bind::Int(now()), Bind::Int(id)],
        )?;
        Ok(spent == 1)
    }
}
