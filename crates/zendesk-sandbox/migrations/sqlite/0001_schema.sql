-- The sandbox schema on SQLite.
--
-- Every resource table keeps the record's JSON exactly as the API serves it (`json`, without the
-- host-dependent `url`, which is added when rendering) plus indexed columns for what is filtered,
-- sorted and searched. The JSON is the truth for rendering; the columns are kept in step by the
-- same statement that writes the JSON, inside the same transaction.
--
-- Conventions (portable to PostgreSQL): timestamps are integer Unix seconds (UTC); text compared
-- case-insensitively is stored lowercased in its column (`email`, `external_id`, `name_lower`);
-- booleans are 0/1 integers.
--
-- tickets          status, status_rank (new 0 < open 1 < pending 2 < hold 3 < solved 4 < closed 5),
--                  priority, priority_rank (low 1 < normal 2 < high 3 < urgent 4; null 0),
--                  ticket_type, subject, assignee_id, requester_id, submitter_id, organization_id,
--                  group_id, external_id (lowercased), via_channel, created_at, updated_at,
--                  solved_at, due_at, deleted_at (NULL = live; set = soft-deleted, served by
--                  /deleted_tickets only).
-- ticket_tags      (ticket_id, tag): one row per tag, tags lowercased as Zendesk stores them.
-- ticket_comments  one row per comment (id = the comment event id), ascending created_at, id.
-- ticket_audits    one row per audit (create, update, merge), its events inside `json`.
-- users            role ('end-user' | 'agent' | 'admin'), email (lowercased, unique), name,
--                  organization_id, external_id (lowercased, unique), custom_role_id, active,
--                  phone, password_hash (salted SHA-256, never served).
-- user_tags        (user_id, tag).
-- organizations    name, name_lower (unique), external_id (lowercased, unique), group_id.
-- organization_tags (organization_id, tag).
-- organization_fields  key (unique forever: a deleted field keeps its row with deleted = 1, so
--                  its key is never reused), position, active, deleted.
-- groups           name, deleted (soft delete, as Zendesk does).
-- jobs             background job statuses: status queued | working | completed | failed | killed;
--                  claimed_by names the process running it; heartbeat_at lets a restarted sandbox
--                  tell a dead runner from a live one.
-- api_tokens, oauth_tokens  SHA-256 of each token; the token itself is never stored.
-- id_counters      named sequences for ids that are not table rows (audit events, comments,
--                  dropdown options).
--
-- Full-text search: tickets_fts(subject, description, comments), users_fts(name, email, notes,
-- details, phone), organizations_fts(name, details, notes). They are CONTENTLESS FTS5 tables
-- (content='', contentless_delete=1): rowid = the record's id, no copy of the text is kept, a
-- write deletes the rowid and inserts the new text in the same transaction. Query them with
-- `SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH $1`. `comments` holds every comment body
-- of the ticket joined by newlines.

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    json            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    status_rank     INTEGER NOT NULL,
    priority        TEXT,
    priority_rank   INTEGER NOT NULL DEFAULT 0,
    ticket_type     TEXT,
    subject         TEXT,
    assignee_id     INTEGER,
    requester_id    INTEGER,
    submitter_id    INTEGER,
    organization_id INTEGER,
    group_id        INTEGER,
    external_id     TEXT,
    via_channel     TEXT    NOT NULL DEFAULT 'api',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    solved_at       INTEGER,
    due_at          INTEGER,
    deleted_at      INTEGER,
    deleted_by      INTEGER
);
CREATE INDEX tickets_status ON tickets (status_rank, id);
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_requester ON tickets (requester_id);
CREATE INDEX tickets_assignee ON tickets (assignee_id);
CREATE INDEX tickets_organization ON tickets (organization_id);
CREATE INDEX tickets_group ON tickets (group_id);
CREATE INDEX tickets_deleted ON tickets (deleted_at);

CREATE TABLE ticket_tags (
    ticket_id INTEGER NOT NULL,
    tag       TEXT    NOT NULL,
    PRIMARY KEY (ticket_id, tag)
);
CREATE INDEX ticket_tags_tag ON ticket_tags (tag);

CREATE TABLE ticket_comments (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL,
    audit_id   INTEGER NOT NULL,
    author_id  INTEGER NOT NULL,
    public     INTEGER NOT NULL,
    body       TEXT    NOT NULL,
    json       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (ticket_id, created_at, id);

CREATE TABLE ticket_audits (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL,
    json       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ticket_audits_ticket ON ticket_audits (ticket_id, created_at, id);

CREATE TABLE users (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    json            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    email           TEXT,
    role            TEXT    NOT NULL,
    organization_id INTEGER,
    external_id     TEXT,
    custom_role_id  INTEGER,
    active          INTEGER NOT NULL DEFAULT 1,
    phone           TEXT,
    password_hash   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE UNIQUE INDEX users_external_id ON users (external_id);
CREATE INDEX users_role ON users (role, id);
CREATE INDEX users_organization ON users (organization_id);

CREATE TABLE user_tags (
    user_id INTEGER NOT NULL,
    tag     TEXT    NOT NULL,
    PRIMARY KEY (user_id, tag)
);
CREATE INDEX user_tags_tag ON user_tags (tag);

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    json        TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    name_lower  TEXT    NOT NULL,
    external_id TEXT,
    group_id    INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX organizations_name ON organizations (name_lower);
CREATE UNIQUE INDEX organizations_external_id ON organizations (external_id);

CREATE TABLE organization_tags (
    organization_id INTEGER NOT NULL,
    tag             TEXT    NOT NULL,
    PRIMARY KEY (organization_id, tag)
);
CREATE INDEX organization_tags_tag ON organization_tags (tag);

CREATE TABLE organization_fields (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    json       TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    deleted    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX organization_fields_key ON organization_fields (key);

CREATE TABLE groups (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    json       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    deleted    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE jobs (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    total        INTEGER NOT NULL,
    progress     INTEGER,
    message      TEXT,
    results      TEXT,
    base_url     TEXT    NOT NULL,
    caller_id    INTEGER NOT NULL,
    claimed_by   TEXT,
    heartbeat_at INTEGER,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX jobs_status ON jobs (status, created_at);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL,
    token_hash  TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE oauth_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,
    client_id  TEXT,
    scopes     TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE id_counters (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO id_counters (name, value) VALUES ('event', 10000000000), ('option', 20000000000);

-- Distinct id ranges per resource, so a user id passed where an organization id belongs fails
-- loudly instead of hitting the wrong record (tickets start at 1, as on Zendesk).
INSERT INTO sqlite_sequence (name, seq) VALUES
    ('users', 1000000000), ('organizations', 2000000000), ('groups', 3000000000),
    ('organization_fields', 4000000000), ('api_tokens', 0), ('oauth_tokens', 0);

CREATE VIRTUAL TABLE tickets_fts USING fts5 (
    subject, description, comments, content = '', contentless_delete = 1
);
CREATE VIRTUAL TABLE users_fts USING fts5 (
    name, email, notes, details, phone, content = '', contentless_delete = 1
);
CREATE VIRTUAL TABLE organizations_fts USING fts5 (
    name, details, notes, content = '', contentless_delete = 1
);
