-- Incremental exports (`/api/v2/incremental/...`): what changed since a moment, in the order it
-- changed. The same columns as on SQLite (see migrations/sqlite/0009_incremental.sql):
--
-- tickets, users, organizations
--   generated_timestamp  Unix seconds of the record's last change of any kind, set by the store
--                        on every write of the row (a soft deletion or a restore included).
-- deleted_organizations  an organization deleted for good, as it last was (with `deleted_at`).
-- ticket_audits          read by (created_at, id) for the ticket events export.
-- rate_windows           a window per limit: `name` is `account` (`--rate-limit`) or an
--                        endpoint's own limit (`incremental-exports`, `incremental-sample`),
--                        each counted for every process on the database.

ALTER TABLE tickets ADD COLUMN generated_timestamp BIGINT NOT NULL DEFAULT 0;
UPDATE tickets SET generated_timestamp = GREATEST(updated_at, COALESCE(deleted_at, 0));
CREATE INDEX tickets_generated ON tickets (generated_timestamp, id);

ALTER TABLE users ADD COLUMN generated_timestamp BIGINT NOT NULL DEFAULT 0;
UPDATE users SET generated_timestamp = updated_at;
CREATE INDEX users_generated ON users (generated_timestamp, id);

ALTER TABLE organizations ADD COLUMN generated_timestamp BIGINT NOT NULL DEFAULT 0;
UPDATE organizations SET generated_timestamp = updated_at;
CREATE INDEX organizations_generated ON organizations (generated_timestamp, id);

CREATE TABLE deleted_organizations (
    id                  BIGINT PRIMARY KEY,
    json                TEXT   NOT NULL,
    generated_timestamp BIGINT NOT NULL
);
CREATE INDEX deleted_organizations_generated ON deleted_organizations (generated_timestamp, id);

CREATE INDEX ticket_audits_created ON ticket_audits (created_at, id);

ALTER TABLE rate_windows ADD COLUMN name TEXT NOT NULL DEFAULT 'account';
ALTER TABLE rate_windows DROP CONSTRAINT rate_windows_pkey;
ALTER TABLE rate_windows ADD PRIMARY KEY (name, window_start);
