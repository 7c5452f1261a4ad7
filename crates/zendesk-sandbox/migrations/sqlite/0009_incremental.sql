-- Incremental exports (`/api/v2/incremental/...`): what changed since a moment, in the order it
-- changed.
--
-- tickets, users, organizations
--   generated_timestamp  Unix seconds of the record's last change of any kind: set by the store
--                        on every write of the row (a soft deletion or a restore included), so
--                        an export that pages by (generated_timestamp, id) sees every change.
--                        Rows written before this migration take their last known change.
-- deleted_organizations  an organization deleted for good, as it last was (its JSON with
--                        `deleted_at`), so that exports still say it is gone. Never served by
--                        anything else; an id is never reused.
-- ticket_audits          read by (created_at, id) for the ticket events export.

ALTER TABLE tickets ADD COLUMN generated_timestamp INTEGER NOT NULL DEFAULT 0;
UPDATE tickets SET generated_timestamp = MAX(updated_at, COALESCE(deleted_at, 0));
CREATE INDEX tickets_generated ON tickets (generated_timestamp, id);

ALTER TABLE users ADD COLUMN generated_timestamp INTEGER NOT NULL DEFAULT 0;
UPDATE users SET generated_timestamp = updated_at;
CREATE INDEX users_generated ON users (generated_timestamp, id);

ALTER TABLE organizations ADD COLUMN generated_timestamp INTEGER NOT NULL DEFAULT 0;
UPDATE organizations SET generated_timestamp = updated_at;
CREATE INDEX organizations_generated ON organizations (generated_timestamp, id);

CREATE TABLE deleted_organizations (
    id                  INTEGER PRIMARY KEY,
    json                TEXT    NOT NULL,
    generated_timestamp INTEGER NOT NULL
);
CREATE INDEX deleted_organizations_generated ON deleted_organizations (generated_timestamp, id);

CREATE INDEX ticket_audits_created ON ticket_audits (created_at, id);
