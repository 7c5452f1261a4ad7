-- Ticket fields, group memberships, and comments searchable by who may read them.
--
-- ticket_fields      system fields (subject, description, status, tickettype, priority, group,
--                    assignee) and custom ones; type, position, active, system, deleted (a
--                    deleted field keeps its row so its id is never reused).
-- group_memberships  (user_id, group_id) unique; is_default marks the agent's default group.
-- tickets_fts        rebuilt with public comments (`comments`) apart from internal notes
--                    (`private_comments`): an end-user's search never touches the latter.

CREATE TABLE ticket_fields (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    json       TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    active     INTEGER NOT NULL DEFAULT 1,
    system     INTEGER NOT NULL DEFAULT 0,
    deleted    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX ticket_fields_position ON ticket_fields (position, id);

CREATE TABLE group_memberships (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    json       TEXT    NOT NULL,
    user_id    INTEGER NOT NULL,
    group_id   INTEGER NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX group_memberships_pair ON group_memberships (user_id, group_id);
CREATE INDEX group_memberships_group ON group_memberships (group_id, id);

INSERT INTO sqlite_sequence (name, seq) VALUES
    ('ticket_fields', 8000000000), ('group_memberships', 9000000000);

DROP TABLE tickets_fts;
CREATE VIRTUAL TABLE tickets_fts USING fts5 (
    subject, description, comments, private_comments, content = '', contentless_delete = 1
);
INSERT INTO tickets_fts (rowid, subject, description, comments, private_comments)
SELECT t.id,
       COALESCE(t.subject, ''),
       COALESCE(json_extract(t.json, '$.description'), ''),
       COALESCE((SELECT group_concat(body, char(10)) FROM
           (SELECT body FROM ticket_comments c
             WHERE c.ticket_id = t.id AND c.public = 1 ORDER BY created_at, id)), ''),
       COALESCE((SELECT group_concat(body, char(10)) FROM
           (SELECT body FROM ticket_comments c
             WHERE c.ticket_id = t.id AND c.public = 0 ORDER BY created_at, id)), '')
FROM tickets t;
