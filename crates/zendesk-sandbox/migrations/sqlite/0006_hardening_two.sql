-- What every process sharing the file must see of credentials, and where a ticket's
-- description is an internal note.
--
-- credential_changes  one row: `generation` goes up in every transaction that changes who a
--                     credential belongs to (a user saved, a token issued or revoked, a
--                     password set). A process reads it every few hundred milliseconds and
--                     forgets its cached sign-ins when it moved, so a revocation through one
--                     process is seen by every other within a second.
-- tickets.description_private  1 when the ticket's first comment (its `description`) is an
--                     internal note: an end-user is then shown no description, and the text
--                     is indexed with the internal notes only. Derived from the comments
--                     whenever the ticket is saved; set here for tickets saved before.
-- attachment_chunks   a file's bytes in slices of at most 256 KiB (seq from 0), so a download
--                     is read and sent a slice at a time; `attachments.content` is no longer
--                     written, and the bytes of earlier files move here as one slice.

CREATE TABLE credential_changes (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO credential_changes (id, generation) VALUES (1, 0);

ALTER TABLE tickets ADD COLUMN description_private INTEGER NOT NULL DEFAULT 0;
UPDATE tickets SET description_private = 1
    WHERE (SELECT c.public FROM ticket_comments c WHERE c.ticket_id = tickets.id
           ORDER BY c.created_at, c.id LIMIT 1) = 0;
CREATE INDEX tickets_private_description ON tickets (requester_id) WHERE description_private = 1;

CREATE TABLE attachment_chunks (
    attachment_id INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    bytes         BLOB    NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
INSERT INTO attachment_chunks (attachment_id, seq, bytes)
    SELECT id, 0, content FROM attachments WHERE content IS NOT NULL AND length(content) > 0;
UPDATE attachments SET content = NULL WHERE content IS NOT NULL;
