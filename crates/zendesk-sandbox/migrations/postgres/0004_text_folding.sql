-- Full text without Latin diacritics: from this version the backend folds `é` to `e` (as
-- SQLite's FTS5 does) before `to_tsvector('simple', ...)`, for records and queries alike.
-- Vectors written before were folded without it, so the backend recomputes the `search`
-- vector of every ticket, user, organization and article right after this step, in the same
-- transaction (only the backend can fold text: see `store/postgres.rs`, `refold_text`).
SELECT 1;
