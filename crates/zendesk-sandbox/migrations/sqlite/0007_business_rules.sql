-- Business rules: triggers, their categories, automations, the outbox, the moments automations
-- count from, and the state every process on the database shares (the sandbox clock, the
-- hourly pass, the rules' stamp).
--
-- Same conventions as 0001 (records as served in `json` plus indexed columns derived from it
-- by the same statement; integer Unix timestamps; 0/1 booleans; lowercased text for
-- case-insensitive matches). Each record table has its own id range (see the sqlite_sequence
-- rows).
--
-- triggers           title_lower (`/triggers/search`), active, position, category_id (the
--                    category's id as text, as Zendesk answers it; NULL: none).
-- trigger_categories position.
-- automations        title_lower, active, position.
-- outbox_emails      one row per email a rule sent (never delivered): ticket_id, to_address
--                    (lowercased), created_at (the sandbox clock's). Listed newest first.
-- ticket_times       one row per ticket: the moments (Unix seconds, NULL = never) the
--                    automations' `hours_since_*` conditions count from, kept by every ticket
--                    write: created, the last time the status became open, pending, hold,
--                    solved, closed, the last assignment, the last update, the last update by
--                    the requester and by the assignee. Tickets written before this migration
--                    get what their row tells: created_at, updated_at, solved_at, and their
--                    current status (and assignment) as of their last update.
-- sandbox_state      one row: clock_offset (seconds added to the machine's time: the sandbox
--                    clock, moved by `POST /sandbox/clock/advance`), last_pass_at (the whole
--                    hour of the last automation pass run), rules_version (a fresh random stamp
--                    on every change to what triggers may name, so each process knows when its
--                    parsed triggers are stale), standard_triggers_at (when the standard
--                    triggers were created: once per account, never again).

CREATE TABLE triggers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    json        TEXT    NOT NULL,
    title_lower TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    position    INTEGER NOT NULL DEFAULT 0,
    category_id TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX triggers_order ON triggers (active, position, id);

CREATE TABLE trigger_categories (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    json       TEXT    NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE automations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    json        TEXT    NOT NULL,
    title_lower TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX automations_order ON automations (active, position, id);

CREATE TABLE outbox_emails (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    json       TEXT    NOT NULL,
    ticket_id  INTEGER NOT NULL,
    to_address TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX outbox_emails_newest ON outbox_emails (created_at, id);
CREATE INDEX outbox_emails_ticket ON outbox_emails (ticket_id, created_at, id);
CREATE INDEX outbox_emails_to ON outbox_emails (to_address, created_at, id);

CREATE TABLE ticket_times (
    ticket_id         INTEGER PRIMARY KEY,
    created           INTEGER,
    open              INTEGER,
    pending           INTEGER,
    hold              INTEGER,
    solved            INTEGER,
    closed            INTEGER,
    assigned          INTEGER,
    updated           INTEGER,
    requester_updated INTEGER,
    assignee_updated  INTEGER
);
INSERT INTO ticket_times (ticket_id, created, open, pending, hold, solved, closed, assigned,
                          updated)
SELECT id, created_at,
       CASE WHEN status = 'open' THEN updated_at END,
       CASE WHEN status = 'pending' THEN updated_at END,
       CASE WHEN status = 'hold' THEN updated_at END,
       COALESCE(solved_at, CASE WHEN status IN ('solved', 'closed') THEN updated_at END),
       CASE WHEN status = 'closed' THEN updated_at END,
       CASE WHEN assignee_id IS NOT NULL THEN updated_at END,
       updated_at
FROM tickets;

CREATE TABLE sandbox_state (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    clock_offset         INTEGER NOT NULL DEFAULT 0,
    last_pass_at         INTEGER,
    rules_version        INTEGER NOT NULL DEFAULT 0,
    standard_triggers_at INTEGER
);
INSERT INTO sandbox_state (id) VALUES (1);

INSERT INTO sqlite_sequence (name, seq) VALUES
    ('triggers', 36000000000), ('automations', 37000000000),
    ('trigger_categories', 38000000000), ('outbox_emails', 39000000000);
