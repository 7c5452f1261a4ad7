-- Suspension as a column (sign-in refuses suspended users), and each bulk job item's result
-- kept in the item's own transaction.
--
-- users.suspended  1 when the user is suspended: their credentials no longer authenticate.
-- job_items        one row per processed item of a job (its result as served, failures
--                  included), written in the same transaction as the item's changes, so after a
--                  crash the rows say exactly which items took effect.

ALTER TABLE users ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
UPDATE users SET suspended = 1 WHERE json_extract(json, '$.suspended') = 1;

CREATE TABLE job_items (
    job_id TEXT    NOT NULL,
    idx    INTEGER NOT NULL,
    result TEXT    NOT NULL,
    PRIMARY KEY (job_id, idx)
);
