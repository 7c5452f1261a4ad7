-- What every process sharing the file must see of credentials.
--
-- credential_changes  one row: `generation` goes up in every transaction that changes who a
--                     credential belongs to (a user saved, a token issued or revoked, a
--                     password set). A process reads it every few hundred milliseconds and
--                     forgets its cached sign-ins when it moved, so a revocation through one
--                     process is seen by every other within a second.

CREATE TABLE credential_changes (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO credential_changes (id, generation) VALUES (1, 0);
