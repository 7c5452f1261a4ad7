-- Webhooks, and their deliveries as a durable queue (see src/store/webhooks.rs).
--
-- webhooks            one row per webhook; id is a ULID (text, sorting by creation time).
--                     `record` is the webhook's own fields as checked (Webhook::stored_fields),
--                     the authentication's secret included; `signing_secret` the key every
--                     delivery is signed with. Both are kept in clear because each delivery
--                     needs them (they cannot be hashed like API tokens): the database file is
--                     owner-only, and nothing answers `record` without dropping the secret.
--                     name_lower, status ('active' | 'inactive') and conditional (1: called by
--                     triggers and automations; 0: subscribed to event types) are copied from
--                     the record by the same statement. Timestamps are Unix seconds;
--                     created_by / updated_by are user ids.
-- webhook_deliveries  one row per invocation (id = the invocation id, a ULID, on every attempt's
--                     request), inserted in the transaction of the change that set it off.
--                     source: 'trigger' | 'automation' | 'event' (source_id: the rule's id).
--                     state: 'queued' (due at next_attempt_at, Unix milliseconds) | 'working'
--                     (claimed_by a runner, which sets heartbeat_at every few seconds) | 'done'.
--                     status: the latest attempt's ('success' | 'failed' | 'circuit_broken'),
--                     final once done; last_status_code and latest_completed_at with it (NULL
--                     until the first attempt). Done rows are purged after 7 days.
-- webhook_attempts    one row per try (id a ULID): `record` is the attempt as
--                     /invocations/{id}/attempts answers it (request with the authentication
--                     redacted, response); outcome ('response' | 'timeout' | 'unreachable' |
--                     'refused' | 'circuit_broken') and status_code decide the retries left.

CREATE TABLE webhooks (
    id             TEXT    PRIMARY KEY,
    name           TEXT    NOT NULL,
    name_lower     TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    conditional    INTEGER NOT NULL,
    record         TEXT    NOT NULL,
    signing_secret TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    created_by     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    updated_by     INTEGER NOT NULL
);
CREATE INDEX webhooks_name ON webhooks (name_lower, id);
CREATE INDEX webhooks_status ON webhooks (status, id);

CREATE TABLE webhook_deliveries (
    id                  TEXT    PRIMARY KEY,
    webhook_id          TEXT    NOT NULL,
    ticket_id           INTEGER,
    source              TEXT    NOT NULL,
    source_id           INTEGER,
    body                TEXT    NOT NULL,
    state               TEXT    NOT NULL,
    status              TEXT,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     INTEGER NOT NULL,
    claimed_by          TEXT,
    heartbeat_at        INTEGER,
    created_at          INTEGER NOT NULL,
    latest_completed_at INTEGER,
    last_status_code    INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_invocations
    ON webhook_deliveries (webhook_id, latest_completed_at, id);

CREATE TABLE webhook_attempts (
    id            TEXT    PRIMARY KEY,
    invocation_id TEXT    NOT NULL,
    outcome       TEXT    NOT NULL,
    status_code   INTEGER,
    completed_at  INTEGER NOT NULL,
    record        TEXT    NOT NULL
);
CREATE INDEX webhook_attempts_invocation ON webhook_attempts (invocation_id, id);
