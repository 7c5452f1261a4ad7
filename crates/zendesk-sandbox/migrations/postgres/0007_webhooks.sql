-- Webhooks, and their deliveries as a durable queue: the meaning of
-- migrations/sqlite/0008_webhooks.sql (see that file for what each column holds). Booleans are
-- SMALLINT 0/1 and timestamps BIGINT, as in 0001, so the queries are the same SQL on both.

CREATE TABLE webhooks (
    id             TEXT     PRIMARY KEY,
    name           TEXT     NOT NULL,
    name_lower     TEXT     NOT NULL,
    status         TEXT     NOT NULL,
    conditional    SMALLINT NOT NULL,
    record         TEXT     NOT NULL,
    signing_secret TEXT     NOT NULL,
    created_at     BIGINT   NOT NULL,
    created_by     BIGINT   NOT NULL,
    updated_at     BIGINT   NOT NULL,
    updated_by     BIGINT   NOT NULL
);
CREATE INDEX webhooks_name ON webhooks (name_lower, id);
CREATE INDEX webhooks_status ON webhooks (status, id);

CREATE TABLE webhook_deliveries (
    id                  TEXT   PRIMARY KEY,
    webhook_id          TEXT   NOT NULL,
    ticket_id           BIGINT,
    source              TEXT   NOT NULL,
    source_id           BIGINT,
    body                TEXT   NOT NULL,
    state               TEXT   NOT NULL,
    status              TEXT,
    attempts            BIGINT NOT NULL DEFAULT 0,
    next_attempt_at     BIGINT NOT NULL,
    claimed_by          TEXT,
    heartbeat_at        BIGINT,
    created_at          BIGINT NOT NULL,
    latest_completed_at BIGINT,
    last_status_code    BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_invocations
    ON webhook_deliveries (webhook_id, latest_completed_at, id);

CREATE TABLE webhook_attempts (
    id            TEXT   PRIMARY KEY,
    invocation_id TEXT   NOT NULL,
    outcome       TEXT   NOT NULL,
    status_code   BIGINT,
    completed_at  BIGINT NOT NULL,
    record        TEXT   NOT NULL
);
CREATE INDEX webhook_attempts_invocation ON webhook_attempts (invocation_id, id);
