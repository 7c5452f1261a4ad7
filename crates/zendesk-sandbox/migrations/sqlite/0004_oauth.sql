-- The sandbox as an OAuth server: registered clients, authorization codes, and access tokens that
-- expire, refresh (rotating) and can be revoked.
--
-- Every secret (client secret, code, access token, refresh token) is stored only as its keyed
-- hash (`hmac-sha256:` + hex, under the sandbox's key file); none can be read back or checked
-- without the key. Timestamps are integer Unix seconds (UTC); NULL means "never" for expiries
-- and "not yet" for used_at / revoked_at. Portable to PostgreSQL as written, except
-- AUTOINCREMENT (identity columns there).
--
-- oauth_clients    one row per OAuth client (Admin Center > OAuth clients). `json` is the client
--                  as served (without `url`; never the secret); `identifier` (unique, compared
--                  as given) and `kind` ('public' | 'confidential') are copied from it by the
--                  same statement. `secret_hash`: the confidential client's secret (NULL for a
--                  public client, which proves itself with PKCE). `user_id`: the admin who
--                  created it (client_credentials tokens act as that admin).
-- oauth_codes      authorization codes, single use, valid 120 s. `client` is oauth_clients.id;
--                  `redirect_uri` the exact URI the authorization request named (the token
--                  request must name the same); `code_challenge` the PKCE S256 challenge (NULL
--                  when none was sent); `used_at` is set by the first exchange, in a conditional
--                  update, so two exchanges cannot both win. A second exchange revokes every
--                  token the first one issued (grant_id = this code's id).
-- oauth_tokens     (from 0001, extended here) one row per access token, with its refresh token
--                  when it has one:
--                    refresh_token_hash        unique; NULL for tokens minted by
--                                              POST /api/v2/oauth/tokens or client_credentials
--                    expires_at                access token expiry (NULL: never, as Zendesk's
--                                              default)
--                    refresh_token_expires_at  refresh token expiry
--                    revoked_at                set when revoked, or when its refresh token was
--                                              spent (rotation); the row is kept so a spent
--                                              refresh token presented again is recognised
--                    grant_id                  the authorization (oauth_codes.id) the token
--                                              descends from through rotations: a replayed
--                                              code or spent refresh token revokes them all
--                    oauth_client_id           oauth_clients.id (the older text `client_id`
--                                              column is no longer written)

CREATE TABLE oauth_clients (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    json        TEXT    NOT NULL,
    identifier  TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    secret_hash TEXT,
    user_id     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX oauth_clients_identifier ON oauth_clients (identifier);

CREATE TABLE oauth_codes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash      TEXT    NOT NULL,
    client         INTEGER NOT NULL,
    user_id        INTEGER NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    scopes         TEXT    NOT NULL,
    code_challenge TEXT,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
);
CREATE UNIQUE INDEX oauth_codes_hash ON oauth_codes (code_hash);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

ALTER TABLE oauth_tokens ADD COLUMN refresh_token_hash TEXT;
ALTER TABLE oauth_tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE oauth_tokens ADD COLUMN refresh_token_expires_at INTEGER;
ALTER TABLE oauth_tokens ADD COLUMN revoked_at INTEGER;
ALTER TABLE oauth_tokens ADD COLUMN grant_id INTEGER;
ALTER TABLE oauth_tokens ADD COLUMN oauth_client_id INTEGER;
CREATE UNIQUE INDEX oauth_tokens_refresh ON oauth_tokens (refresh_token_hash);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_user ON oauth_tokens (user_id);
CREATE INDEX oauth_tokens_client ON oauth_tokens (oauth_client_id);
