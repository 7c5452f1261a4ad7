-- The meaning of migrations/sqlite/0006_hardening_two.sql (see it for each table and column),
-- with 0001's conventions, and what only PostgreSQL's several processes share:
--
-- sign_in_failures  failed sign-ins per account (the keyed fingerprint of an email or an OAuth
--                   client, never the text) in a one-minute window, counted by every process on
--                   the database: past the budget each process checks that account's attempts
--                   one at a time and answers a wrong one only after a pause.

CREATE TABLE credential_changes (
    id         SMALLINT PRIMARY KEY CHECK (id = 1),
    generation BIGINT   NOT NULL
);
INSERT INTO credential_changes (id, generation) VALUES (1, 0);

ALTER TABLE tickets ADD COLUMN description_private SMALLINT NOT NULL DEFAULT 0;
UPDATE tickets SET description_private = 1
    WHERE (SELECT c.public FROM ticket_comments c WHERE c.ticket_id = tickets.id
           ORDER BY c.created_at, c.id LIMIT 1) = 0;
CREATE INDEX tickets_private_description ON tickets (requester_id) WHERE description_private = 1;

CREATE TABLE sign_in_failures (
    account      TEXT   PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures     BIGINT NOT NULL
);

CREATE TABLE attachment_chunks (
    attachment_id BIGINT  NOT NULL,
    seq           BIGINT  NOT NULL,
    bytes         BYTEA   NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
INSERT INTO attachment_chunks (attachment_id, seq, bytes)
    SELECT id, 0, content FROM attachments WHERE content IS NOT NULL AND length(content) > 0;
UPDATE attachments SET content = NULL WHERE content IS NOT NULL;
