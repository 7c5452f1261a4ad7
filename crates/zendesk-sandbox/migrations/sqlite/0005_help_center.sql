-- Macros, views, Help Center (categories, sections, articles) and attachments.
--
-- Same conventions as 0001 (records as served in `json` plus indexed columns derived from it by
-- the same statement; integer Unix timestamps; 0/1 booleans; lowercased text for
-- case-insensitive matches). Each table has its own id range (see the sqlite_sequence rows).
--
-- macros           title_lower (for `/macros/search` and alphabetical order), active, position,
--                  restricted_user_id (a personal macro: its owner; NULL otherwise),
--                  restricted_group_ids (",1,2," for a group restriction, else NULL: matched
--                  with LIKE '%,<id>,%'), created_at, updated_at.
-- views            the same columns as macros: a view's conditions live in `json` and are
--                  compiled to list filters over the tickets table when the view runs.
-- hc_categories    locale, position.
-- hc_sections      category_id, locale, position.
-- hc_articles      section_id, locale, draft, position, author_id, title_lower.
-- articles_fts     CONTENTLESS FTS5 (as tickets_fts): title, body (the article's HTML as plain
--                  text), labels (label_names joined by spaces); rowid = the article id. Search
--                  ranks with bm25; snippets are cut from the stored JSON, not from the index.
-- attachments      one row per uploaded file. `json` is the attachment as served plus a private
--                  `upload` object (token, uploader, where it was attached), which rendering
--                  drops. upload_token groups the files of one upload (`POST /uploads?token=`)
--                  until a comment uses them; content_token is the file's own secret in its
--                  `content_url`; ticket_id / comment_id / public are set when a comment takes
--                  the upload (NULL until then). `content` holds the file's bytes (BLOB; BYTEA
--                  on PostgreSQL), read only by the content route.

CREATE TABLE macros (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    json                 TEXT    NOT NULL,
    title_lower          TEXT    NOT NULL,
    active               INTEGER NOT NULL DEFAULT 1,
    position             INTEGER NOT NULL DEFAULT 9999,
    restricted_user_id   INTEGER,
    restricted_group_ids TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX macros_title ON macros (title_lower, id);

CREATE TABLE views (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    json                 TEXT    NOT NULL,
    title_lower          TEXT    NOT NULL,
    active               INTEGER NOT NULL DEFAULT 1,
    position             INTEGER NOT NULL DEFAULT 9999,
    restricted_user_id   INTEGER,
    restricted_group_ids TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX views_position ON views (position, id);

CREATE TABLE hc_categories (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    json       TEXT    NOT NULL,
    locale     TEXT    NOT NULL,
    position   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE hc_sections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    json        TEXT    NOT NULL,
    category_id INTEGER NOT NULL,
    locale      TEXT    NOT NULL,
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX hc_sections_category ON hc_sections (category_id, id);

CREATE TABLE hc_articles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    json        TEXT    NOT NULL,
    section_id  INTEGER NOT NULL,
    locale      TEXT    NOT NULL,
    draft       INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL DEFAULT 0,
    author_id   INTEGER,
    title_lower TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX hc_articles_section ON hc_articles (section_id, id);
CREATE INDEX hc_articles_locale ON hc_articles (locale, id);

CREATE VIRTUAL TABLE articles_fts USING fts5 (
    title, body, labels, content = '', contentless_delete = 1
);

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    json          TEXT    NOT NULL,
    upload_token  TEXT    NOT NULL,
    content_token TEXT    NOT NULL,
    uploader_id   INTEGER NOT NULL,
    ticket_id     INTEGER,
    comment_id    INTEGER,
    public        INTEGER,
    size          INTEGER NOT NULL,
    content       BLOB,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX attachments_upload ON attachments (upload_token);
CREATE UNIQUE INDEX attachments_content ON attachments (content_token);
CREATE INDEX attachments_ticket ON attachments (ticket_id);

INSERT INTO sqlite_sequence (name, seq) VALUES
    ('macros', 30000000000), ('views', 31000000000), ('attachments', 32000000000),
    ('hc_categories', 33000000000), ('hc_sections', 34000000000), ('hc_articles', 35000000000);
