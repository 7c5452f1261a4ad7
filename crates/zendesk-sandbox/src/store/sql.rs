//! SQL shared by the backends: bind values, filter fragments with `$?` markers, the portable
//! list-page query, and what each resource table derives from a record's JSON (its indexed
//! columns, tag rows and full-text fields). Backends turn these into statements of their own
//! dialect; nothing here runs anything.

use serde_json::Value;

use super::{Dialect, ListQuery, Table, Window};

/// A bound value for dynamically built SQL.
#[derive(Clone, Debug, PartialEq)]
pub enum Bind {
    Null,
    Int(i64),
    Text(String),
}

impl From<i64> for Bind {
    fn from(value: i64) -> Bind {
        Bind::Int(value)
    }
}

impl From<&str> for Bind {
    fn from(value: &str) -> Bind {
        Bind::Text(value.to_string())
    }
}

impl Bind {
    pub fn opt_int(value: Option<i64>) -> Bind {
        value.map_or(Bind::Null, Bind::Int)
    }

    pub fn opt_text(value: Option<String>) -> Bind {
        value.map_or(Bind::Null, Bind::Text)
    }
}

/// A condition on the rows of a list, rendered by the store in its dialect. Column names are
/// the schema's (see `migrations/`); values always travel as binds.
#[derive(Clone, Debug)]
pub enum Filter {
    /// The record is live (not soft-deleted).
    Live(Table),
    /// `column = value`.
    Eq(&'static str, Bind),
    /// `column IN (values)`.
    In(&'static str, Vec<Bind>),
    /// `column IS NULL`.
    Null(&'static str),
    /// `column IS NOT NULL`.
    NotNull(&'static str),
    /// `lower(column) LIKE pattern`, the pattern lower-cased, `%`/`_` wildcards, `\` escaping
    /// (user text goes in through [`like_escape`]).
    Like(&'static str, String),
    /// The record's full text (see the schema) holds this phrase.
    Phrase(Table, String),
    /// `column < value`.
    Lt(&'static str, Bind),
    /// `column > value`.
    Gt(&'static str, Bind),
    /// `column` is not `value`, a NULL included (Zendesk's "is not": an unassigned ticket is
    /// not assigned to 5).
    Ne(&'static str, Bind),
    /// `column` is none of `values`, a NULL included.
    NotIn(&'static str, Vec<Bind>),
    /// The ticket carries at least one of these tags (lowercased, as stored).
    TicketTags(Vec<String>),
    /// The opposite of a filter.
    Not(Box<Filter>),
    /// Any of these.
    Any(Vec<Filter>),
    /// All of these (inside an `Any`).
    All(Vec<Filter>),
    /// SQL in the store's dialect with `$?` marking each bind, built by a module that asked the
    /// store which dialect it speaks (search).
    Sql(String, Vec<Bind>),
}

impl Filter {
    /// SQL with `$?` markers, and its binds in order.
    pub fn render(&self, dialect: Dialect) -> (String, Vec<Bind>) {
        match self {
            Filter::Live(table) => (table.live().to_string(), Vec::new()),
            Filter::Eq(column, value) => (format!("{column} = $?"), vec![value.clone()]),
            Filter::In(column, values) if values.is_empty() => ("1 = 0".into(), Vec::new()),
            Filter::In(column, values) => (
                format!("{column} IN ({})", vec!["$?"; values.len()].join(", ")),
                values.clone(),
            ),
            Filter::Lt(column, value) => (format!("{column} < $?"), vec![value.clone()]),
            Filter::Gt(column, value) => (format!("{column} > $?"), vec![value.clone()]),
            Filter::Ne(column, value) => (
                format!("{column} IS NULL OR {column} <> $?"),
                vec![value.clone()],
            ),
            Filter::NotIn(_, values) if values.is_empty() => ("1 = 1".into(), Vec::new()),
            Filter::NotIn(column, values) => (
                format!(
                    "{column} IS NULL OR {column} NOT IN ({})",
                    vec!["$?"; values.len()].join(", ")
                ),
                values.clone(),
            ),
            Filter::TicketTags(tags) if tags.is_empty() => ("1 = 0".into(), Vec::new()),
            Filter::TicketTags(tags) => (
                format!(
                    "id IN (SELECT ticket_id FROM ticket_tags WHERE tag IN ({}))",
                    vec!["$?"; tags.len()].join(", ")
                ),
                tags.iter().map(|t| Bind::Text(t.clone())).collect(),
            ),
            Filter::Not(inner) => {
                let (sql, binds) = inner.render(dialect);
                (format!("NOT ({sql})"), binds)
            }
            Filter::Null(column) => (format!("{column} IS NULL"), Vec::new()),
            Filter::NotNull(column) => (format!("{column} IS NOT NULL"), Vec::new()),
            Filter::Like(column, pattern) => (
                format!("lower({column}) LIKE $? ESCAPE '\\'"),
                vec![Bind::Text(pattern.clone())],
            ),
            Filter::Phrase(table, text) => phrase_sql(*table, text, dialect),
            Filter::Any(filters) if filters.is_empty() => ("1 = 0".into(), Vec::new()),
            Filter::Any(filters) => {
                let mut parts = Vec::new();
                let mut binds = Vec::new();
                for filter in filters {
                    let (sql, more) = filter.render(dialect);
                    parts.push(format!("({sql})"));
                    binds.extend(more);
                }
                (parts.join(" OR "), binds)
            }
            Filter::All(filters) if filters.is_empty() => ("1 = 1".into(), Vec::new()),
            Filter::All(filters) => {
                let mut parts = Vec::new();
                let mut binds = Vec::new();
                for filter in filters {
                    let (sql, more) = filter.render(dialect);
                    parts.push(format!("({sql})"));
                    binds.extend(more);
                }
                (parts.join(" AND "), binds)
            }
            Filter::Sql(sql, binds) => (sql.clone(), binds.clone()),
        }
    }
}

/// A full-text phrase condition on `table`'s records (SQLite: its FTS5 table; PostgreSQL: its
/// `search` tsvector).
fn phrase_sql(table: Table, text: &str, dialect: Dialect) -> (String, Vec<Bind>) {
    let words: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    if words.trim().is_empty() {
        return ("1 = 0".into(), Vec::new());
    }
    match (dialect, table.text_table()) {
        (Dialect::Sqlite, Some(fts)) => (
            format!("id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH $?)"),
            vec![Bind::Text(format!("\"{}\"", words.trim()))],
        ),
        (Dialect::Postgres, Some(_)) => match ts_phrase(text, "", false) {
            Some(query) => (
                "search @@ to_tsquery('simple', $?)".into(),
                vec![Bind::Text(query)],
            ),
            None => ("1 = 0".into(), Vec::new()),
        },
        _ => ("1 = 0".into(), Vec::new()),
    }
}

/// `text` taken literally inside a [`Filter::Like`] pattern: LIKE's wildcards `%` and `_`, and
/// its escape `\`, escaped.
pub fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Text as the full-text indexes of both backends see it: lowercased, every character that is
/// neither a letter nor a digit a space, and Latin letters without their diacritics (SQLite's
/// FTS5 `unicode61` tokenizer does all three; PostgreSQL is given the folded text, so both find
/// the same words: `bob@example.com` is bob, example, com, and `Café Müller` is cafe muller).
pub fn fold_text(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            folded.push(if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            });
        } else if !c.is_alphanumeric() {
            folded.push(' ');
        } else {
            for lower in c.to_lowercase() {
                push_without_diacritics(lower, &mut folded);
            }
        }
    }
    folded
}

/// `c` with its combining marks taken off when it is a Latin letter (`é` is e, `ø` stays, as
/// it has no decomposition); other scripts keep theirs, as FTS5 keeps them (`й` stays `й`).
fn push_without_diacritics(c: char, out: &mut String) {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut parts = std::iter::once(c).nfd();
    match parts.next() {
        Some(base) if is_latin(base) => {
            out.push(base);
            out.extend(parts.filter(|part| !is_combining_mark(*part)));
        }
        _ => out.push(c),
    }
}

/// Latin letters: Basic Latin, Latin-1 Supplement, Latin Extended-A and -B, Latin Extended
/// Additional.
fn is_latin(c: char) -> bool {
    matches!(c, 'a'..='z' | 'A'..='Z' | '\u{c0}'..='\u{24f}' | '\u{1e00}'..='\u{1eff}')
}

/// The number a custom field's text value is, by one rule on both backends: optional spaces,
/// a sign, digits, a fraction, an exponent, spaces (`" 12.5 "`, `-3`, `1e3`); anything else
/// (`gold`, `""`, `1,5`, `0x10`) is no number and never compares with one. PostgreSQL checks
/// the same shape with a regular expression (`search/compile.rs`); SQLite calls this, as
/// `zd_number`, since its own casts read any text as a number (`gold` as 0).
pub fn number_text(text: &str) -> Option<f64> {
    // PostgreSQL's `\s`: space, tab, newline, carriage return, form feed, vertical tab.
    let trimmed = text.trim_matches([' ', '\t', '\n', '\r', '\x0c', '\x0b']);
    let bytes = trimmed.as_bytes();
    let mut at = 0;
    let digits = |at: &mut usize| {
        let start = *at;
        while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        *at > start
    };
    if matches!(bytes.first(), Some(b'+' | b'-')) {
        at += 1;
    }
    if !digits(&mut at) {
        return None;
    }
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        if !digits(&mut at) {
            return None;
        }
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        if !digits(&mut at) {
            return None;
        }
    }
    if at != bytes.len() {
        return None;
    }
    // Beyond f64 (1e999) is an infinity, as PostgreSQL's `numeric` is beyond every number.
    trimmed.parse::<f64>().ok()
}

/// The weight a full-text field has in PostgreSQL's `search` tsvector (four weights tell the
/// fields apart; see `migrations/postgres/0001_schema.sql`).
pub fn text_weight(table: Table, field: &str) -> char {
    match (table, field) {
        (Table::Tickets, "subject") => 'A',
        (Table::Tickets, "description") => 'B',
        (Table::Tickets, "comments") => 'C',
        (Table::Tickets, _) => 'D',
        (Table::Users, "name") => 'A',
        (Table::Users, "notes") => 'B',
        (Table::Users, "details") => 'C',
        (Table::Users, _) => 'D',
        (Table::Articles, "title") => 'A',
        (Table::Articles, "labels") => 'B',
        (Table::Articles, "body") => 'C',
        (Table::Articles, _) => 'D',
        (_, "name") => 'A',
        (_, "details") => 'B',
        (_, "notes") => 'C',
        _ => 'D',
    }
}

/// A PostgreSQL `tsquery` (for `to_tsquery('simple', ...)`) matching the words of `text` as one
/// phrase, each restricted to the fields of `weights` (`""`: any field), the last a prefix when
/// `prefix`. `None` when the text has no word. Built from folded words only, so user text can
/// never be read as tsquery syntax.
pub fn ts_phrase(text: &str, weights: &str, prefix: bool) -> Option<String> {
    let folded = fold_text(text);
    let words: Vec<&str> = folded.split_whitespace().collect();
    let last = words.len().checked_sub(1)?;
    let terms: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(n, word)| {
            let star = if prefix && n == last { "*" } else { "" };
            let label = if star.is_empty() && weights.is_empty() {
                String::new()
            } else {
                format!(":{star}{weights}")
            };
            format!("'{word}'{label}")
        })
        .collect();
    Some(terms.join(" <-> "))
}

/// Replaces each `$?` by the dialect's placeholder, numbering from `start + 1`; returns the SQL
/// and the last number used.
pub fn number_placeholders(sql: &str, start: usize, dialect: Dialect) -> (String, usize) {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = start;
    let mut rest = sql;
    while let Some(pos) = rest.find("$?") {
        n += 1;
        out.push_str(&rest[..pos]);
        out.push_str(&dialect.placeholder(n));
        rest = &rest[pos + 2..];
    }
    out.push_str(rest);
    (out, n)
}

/// The statements of one list page: the total (offset windows only) and the rows, with their
/// binds, and whether the rows come back in reverse (a page before a key).
pub struct ListSql {
    pub count: Option<String>,
    pub rows: String,
    pub binds: Vec<Bind>,
    /// How many rows to keep (one more is fetched to learn whether more remain).
    pub size: i64,
    pub backwards: bool,
    /// For a backwards page: the rows statement limited to `size`, its sort key aliased
    /// `sort_key`, and the ascending order to wrap it in.
    reversed: Option<(String, String)>,
}

impl ListSql {
    /// The backwards rows (at most `size`, key as `sort_key`) and the order that turns them
    /// around.
    pub fn reversed_rows(&self, _dialect: Dialect) -> (String, String) {
        self.reversed.clone().unwrap_or_default()
    }
}

/// `1 = 1 AND (f1) AND (f2)...` with numbered placeholders, and the binds.
pub fn where_clause(filters: &[Filter], dialect: Dialect) -> (String, Vec<Bind>) {
    let mut where_sql = String::from("1 = 1");
    let mut binds: Vec<Bind> = Vec::new();
    let mut n = 0;
    for filter in filters {
        let (sql, filter_binds) = filter.render(dialect);
        let (sql, last) = number_placeholders(&sql, n, dialect);
        n = last;
        where_sql.push_str(" AND (");
        where_sql.push_str(&sql);
        where_sql.push(')');
        binds.extend(filter_binds);
    }
    (where_sql, binds)
}

/// Builds the SQL of one list page, in `dialect`.
pub fn list_sql(query: &ListQuery<'_>, dialect: Dialect) -> ListSql {
    let table = query.table.name();
    let sort = query.sort_column;
    let (mut where_sql, mut binds) = where_clause(query.filters, dialect);
    let n = binds.len();
    let (key, size, backwards) = match query.window {
        Window::Offset { page, per_page } => {
            let dir = if query.descending { "DESC" } else { "ASC" };
            return ListSql {
                count: Some(format!("SELECT COUNT(*) FROM {table} WHERE {where_sql}")),
                rows: format!(
                    "SELECT id, {sort}, json FROM {table} WHERE {where_sql} \
                     ORDER BY {sort} {dir}, id {dir} LIMIT {per_page} OFFSET {}",
                    (page - 1) * per_page
                ),
                binds,
                size: *per_page,
                backwards: false,
                reversed: None,
            };
        }
        Window::After { key, size } => (*key, *size, false),
        Window::Before { key, size } => (Some(*key), *size, true),
    };
    // A page before a key walks the order backwards (flipped comparison and direction); the
    // caller turns it around so every page reads in the list's order.
    let reversed = query.descending != backwards;
    let (cmp, order) = if reversed {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some((value, id)) = key {
        let (a, b) = (dialect.placeholder(n + 1), dialect.placeholder(n + 2));
        where_sql.push_str(&format!(
            " AND ({sort} {cmp} {a} OR ({sort} = {a} AND id {cmp} {b}))"
        ));
        binds.push(Bind::Int(value));
        binds.push(Bind::Int(id));
    }
    let turned = if order == "ASC" { "DESC" } else { "ASC" };
    let reversed = backwards.then(|| {
        (
            format!(
                "SELECT id, {sort} AS sort_key, json FROM {table} WHERE {where_sql} \
                 ORDER BY {sort} {order}, id {order} LIMIT {size}"
            ),
            format!("sort_key {turned}, id {turned}"),
        )
    });
    ListSql {
        count: None,
        rows: format!(
            "SELECT id, {sort}, json FROM {table} WHERE {where_sql} \
             ORDER BY {sort} {order}, id {order} LIMIT {}",
            size + 1
        ),
        binds,
        size,
        backwards,
        reversed,
    }
}

fn s(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_string)
}

fn i(json: &Value, key: &str) -> Option<i64> {
    json.get(key).and_then(Value::as_i64)
}

fn ts(json: &Value, key: &str) -> Option<i64> {
    json.get(key)
        .and_then(Value::as_str)
        .and_then(crate::util::parse_time)
}

fn flag_of(json: &Value, key: &str, default: bool) -> bool {
    json.get(key).and_then(Value::as_bool).unwrap_or(default)
}

fn flag(json: &Value, key: &str, default: bool) -> Bind {
    Bind::Int(flag_of(json, key, default) as i64)
}

fn lower(value: Option<String>) -> Bind {
    Bind::opt_text(value.map(|v| v.to_lowercase()))
}

/// Position of a status in Zendesk's order (new 0 < open < pending < hold < solved < closed 5).
pub fn status_rank(status: &str) -> i64 {
    status
        .parse::<zendesk_types::TicketStatus>()
        .ok()
        .and_then(|s| s.rank())
        .map_or(5, i64::from)
}

/// Priority rank (low 1 < normal < high < urgent 4); 0 for none.
pub fn priority_rank(priority: Option<&str>) -> i64 {
    let known = zendesk_types::TicketPriority::KNOWN;
    priority
        .and_then(|p| known.iter().position(|k| *k == p))
        .map_or(0, |rank| rank as i64 + 1)
}

/// The indexed columns `table` derives from a record's JSON, in insert order (`id` and `json`
/// first). Creation time is set on insert only; everything else follows the JSON.
pub fn derived_columns(table: Table, record: &Value) -> Vec<(&'static str, Bind)> {
    let now = crate::util::now();
    let id = Bind::Int(i(record, "id").unwrap_or_default());
    let json = Bind::Text(record.to_string());
    let created = Bind::Int(ts(record, "created_at").unwrap_or(now));
    let updated = Bind::Int(ts(record, "updated_at").unwrap_or(now));
    match table {
        Table::Tickets => {
            let status = s(record, "status").unwrap_or_else(|| "new".into());
            let priority = s(record, "priority");
            vec![
                ("id", id),
                ("json", json),
                ("status_rank", Bind::Int(status_rank(&status))),
                ("status", Bind::Text(status)),
                (
                    "priority_rank",
                    Bind::Int(priority_rank(priority.as_deref())),
                ),
                ("priority", Bind::opt_text(priority)),
                ("ticket_type", Bind::opt_text(s(record, "type"))),
                ("subject", Bind::opt_text(s(record, "subject"))),
                ("assignee_id", Bind::opt_int(i(record, "assignee_id"))),
                ("requester_id", Bind::opt_int(i(record, "requester_id"))),
                ("submitter_id", Bind::opt_int(i(record, "submitter_id"))),
                (
                    "organization_id",
                    Bind::opt_int(i(record, "organization_id")),
                ),
                ("group_id", Bind::opt_int(i(record, "group_id"))),
                ("external_id", lower(s(record, "external_id"))),
                (
                    "via_channel",
                    Bind::Text(
                        record
                            .pointer("/via/channel")
                            .and_then(Value::as_str)
                            .unwrap_or("api")
                            .to_string(),
                    ),
                ),
                ("created_at", created),
                ("updated_at", updated),
                ("due_at", Bind::opt_int(ts(record, "due_at"))),
            ]
        }
        Table::Users => vec![
            ("id", id),
            ("json", json),
            ("name", Bind::Text(s(record, "name").unwrap_or_default())),
            ("email", lower(s(record, "email"))),
            (
                "role",
                Bind::Text(s(record, "role").unwrap_or_else(|| "end-user".into())),
            ),
            (
                "organization_id",
                Bind::opt_int(i(record, "organization_id")),
            ),
            ("external_id", lower(s(record, "external_id"))),
            ("custom_role_id", Bind::opt_int(i(record, "custom_role_id"))),
            ("active", flag(record, "active", true)),
            ("suspended", flag(record, "suspended", false)),
            ("phone", Bind::opt_text(s(record, "phone"))),
            ("created_at", created),
            ("updated_at", updated),
        ],
        Table::Organizations => {
            let name = s(record, "name").unwrap_or_default();
            vec![
                ("id", id),
                ("json", json),
                ("name_lower", Bind::Text(name.to_lowercase())),
                ("name", Bind::Text(name)),
                ("external_id", lower(s(record, "external_id"))),
                ("group_id", Bind::opt_int(i(record, "group_id"))),
                ("created_at", created),
                ("updated_at", updated),
            ]
        }
        Table::OrganizationFields => vec![
            ("id", id),
            ("json", json),
            ("key", Bind::Text(s(record, "key").unwrap_or_default())),
            ("position", Bind::Int(i(record, "position").unwrap_or(9999))),
            ("active", flag(record, "active", true)),
            ("created_at", created),
            ("updated_at", updated),
        ],
        Table::Groups => vec![
            ("id", id),
            ("json", json),
            ("name", Bind::Text(s(record, "name").unwrap_or_default())),
            ("deleted", flag(record, "deleted", false)),
            ("created_at", created),
            ("updated_at", updated),
        ],
        Table::TicketFields => vec![
            ("id", id),
            ("json", json),
            ("type", Bind::Text(s(record, "type").unwrap_or_default())),
            ("position", Bind::Int(i(record, "position").unwrap_or(9999))),
            ("active", flag(record, "active", true)),
            (
                "system",
                Bind::Int(!flag_of(record, "removable", true) as i64),
            ),
            ("deleted", flag(record, "deleted", false)),
            ("created_at", created),
            ("updated_at", updated),
        ],
        Table::GroupMemberships => vec![
            ("id", id),
            ("json", json),
            (
                "user_id",
                Bind::Int(i(record, "user_id").unwrap_or_default()),
            ),
            (
                "group_id",
                Bind::Int(i(record, "group_id").unwrap_or_default()),
            ),
            ("is_default", flag(record, "default", false)),
            ("created_at", created),
            ("updated_at", updated),
        ],
        Table::Macros | Table::Views => {
            let (user, groups) = restriction_columns(record);
            vec![
                ("id", id),
                ("json", json),
                ("title_lower", lower(s(record, "title")).or_empty()),
                ("active", flag(record, "active", true)),
                ("position", Bind::Int(i(record, "position").unwrap_or(9999))),
                ("restricted_user_id", Bind::opt_int(user)),
                ("restricted_group_ids", Bind::opt_text(groups)),
                ("created_at", created),
                ("updated_at", updated),
            ]
        }
        Table::Categories => vec![
            ("id", id),
            ("json", json),
            ("locale", lower(s(record, "locale")).or_empty()),
            ("position", Bind::Int(i(record, "position").unwrap_or(0))),
            ("created_at", created),
            ("updated_at", updated),
        ],
        Table::Sections => vec![
            ("id", id),
            ("json", json),
            (
                "category_id",
                Bind::Int(i(record, "category_id").unwrap_or_default()),
            ),
            ("locale", lower(s(record, "locale")).or_empty()),
            ("position", Bind::Int(i(record, "position").unwrap_or(0))),
            ("created_at", created),
            ("updated_at", updated),
        ],
        Table::Articles => vec![
            ("id", id),
            ("json", json),
            (
                "section_id",
                Bind::Int(i(record, "section_id").unwrap_or_default()),
            ),
            ("locale", lower(s(record, "locale")).or_empty()),
            ("draft", flag(record, "draft", false)),
            ("position", Bind::Int(i(record, "position").unwrap_or(0))),
            ("author_id", Bind::opt_int(i(record, "author_id"))),
            ("title_lower", lower(s(record, "title")).or_empty()),
            ("created_at", created),
            ("updated_at", updated),
        ],
        Table::Attachments => {
            let upload = record.get("upload").cloned().unwrap_or_default();
            vec![
                ("id", id),
                ("json", json),
                (
                    "upload_token",
                    Bind::Text(s(&upload, "token").unwrap_or_default()),
                ),
                (
                    "content_token",
                    Bind::Text(s(&upload, "content_token").unwrap_or_default()),
                ),
                (
                    "uploader_id",
                    Bind::Int(i(&upload, "uploader_id").unwrap_or_default()),
                ),
                ("ticket_id", Bind::opt_int(i(&upload, "ticket_id"))),
                ("comment_id", Bind::opt_int(i(&upload, "comment_id"))),
                (
                    "public",
                    Bind::opt_int(upload.get("public").and_then(Value::as_bool).map(i64::from)),
                ),
                ("size", Bind::Int(i(record, "size").unwrap_or_default())),
                ("created_at", created),
                ("updated_at", updated),
            ]
        }
        // Comments and audits have their own inserts (they belong to a ticket).
        Table::TicketComments | Table::TicketAudits => vec![("id", id), ("json", json)],
    }
}

impl Bind {
    /// An empty text in place of NULL, for NOT NULL text columns.
    fn or_empty(self) -> Bind {
        match self {
            Bind::Null => Bind::Text(String::new()),
            other => other,
        }
    }
}

/// Who a macro or view is restricted to: (the user of a personal one, `,1,2,` for groups).
pub fn restriction_columns(record: &Value) -> (Option<i64>, Option<String>) {
    let Some(restriction) = record.get("restriction").filter(|r| r.is_object()) else {
        return (None, None);
    };
    let id = restriction.get("id").and_then(crate::rules::input::as_id);
    match restriction.get("type").and_then(Value::as_str) {
        Some("User") => (id, None),
        Some("Group") => {
            let mut ids: Vec<i64> = restriction
                .get("ids")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(crate::rules::input::as_id).collect())
                .unwrap_or_default();
            ids.extend(id);
            ids.sort_unstable();
            ids.dedup();
            let joined: Vec<String> = ids.iter().map(i64::to_string).collect();
            (None, Some(format!(",{},", joined.join(","))))
        }
        _ => (None, None),
    }
}

/// The tag table of `table` and its owner column, when its records carry `tags`.
pub fn tag_table(table: Table) -> Option<(&'static str, &'static str)> {
    match table {
        Table::Tickets => Some(("ticket_tags", "ticket_id")),
        Table::Users => Some(("user_tags", "user_id")),
        Table::Organizations => Some(("organization_tags", "organization_id")),
        _ => None,
    }
}

/// A record's tags.
pub fn tags_of(record: &Value) -> Vec<String> {
    record
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The full-text fields of a record (comments of tickets are added by the backend, which reads
/// them from the comments table).
pub fn text_fields(table: Table, record: &Value) -> Vec<(&'static str, String)> {
    let field = |key: &'static str| (key, s(record, key).unwrap_or_default());
    match table {
        Table::Tickets => vec![field("subject"), field("description")],
        Table::Users => vec![
            field("name"),
            field("email"),
            field("notes"),
            field("details"),
            field("phone"),
        ],
        Table::Organizations => vec![field("name"), field("details"), field("notes")],
        Table::Articles => {
            let labels: Vec<&str> = record
                .get("label_names")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            vec![
                field("title"),
                (
                    "body",
                    crate::util::html_text(&s(record, "body").unwrap_or_default()),
                ),
                ("labels", labels.join(" ")),
            ]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_digits_with_a_sign_fraction_and_exponent() {
        for (text, number) in [
            ("42", 42.0),
            (" 12.5 ", 12.5),
            ("-3", -3.0),
            ("+7", 7.0),
            ("1e3", 1000.0),
            ("2.5E-1", 0.25),
            ("\t8\n", 8.0),
            ("007", 7.0),
            ("1e999", f64::INFINITY),
            ("-1e999", f64::NEG_INFINITY),
        ] {
            assert_eq!(number_text(text), Some(number), "{text:?}");
        }
        for text in [
            "", " ", "gold", "1,5", "0x10", ".5", "5.", "1e", "--1", "1 2", "inf", "NaN",
        ] {
            assert_eq!(number_text(text), None, "{text:?}");
        }
    }

    #[test]
    fn text_folds_as_fts5_splits_and_folds_it() {
        assert_eq!(fold_text("Bob@Example.COM"), "bob example com");
        assert_eq!(
            fold_text("Café Müller, São Paulo"),
            "cafe muller  sao paulo"
        );
        assert_eq!(fold_text("ÉCOLE Ångström"), "ecole angstrom");
        // No decomposition: kept as it is (lowercased).
        assert_eq!(fold_text("Øre straße"), "øre straße");
        // Other scripts keep their marks, as FTS5 keeps them.
        assert_eq!(fold_text("Йога ελλάδα"), "йога ελλάδα");
        assert_eq!(fold_text("数字 ①"), "数字 ①");
    }

    #[test]
    fn placeholders_follow_the_dialect() {
        let (sql, n) = number_placeholders("a = $? AND b = $?", 2, Dialect::Sqlite);
        assert_eq!((sql.as_str(), n), ("a = ?3 AND b = ?4", 4));
        let (sql, _) = number_placeholders("a = $?", 0, Dialect::Postgres);
        assert_eq!(sql, "a = $1");
    }

    #[test]
    fn tsqueries_hold_only_folded_words() {
        assert_eq!(
            ts_phrase("Low TONER!", "", false).as_deref(),
            Some("'low' <-> 'toner'")
        );
        assert_eq!(ts_phrase("prin", "AB", true).as_deref(), Some("'prin':*AB"));
        assert_eq!(
            ts_phrase("a' | b:*", "C", false).as_deref(),
            Some("'a':C <-> 'b':C")
        );
        assert_eq!(ts_phrase("?!", "", false), None);
    }

    #[test]
    fn ranks_follow_zendesks_order() {
        assert_eq!(status_rank("new"), 0);
        assert_eq!(status_rank("closed"), 5);
        assert_eq!(priority_rank(None), 0);
        assert_eq!(priority_rank(Some("low")), 1);
        assert_eq!(priority_rank(Some("urgent")), 4);
    }

    #[test]
    fn ticket_columns_come_from_the_json() {
        let ticket = json!({"id": 7, "status": "pending", "priority": "high", "external_id": "AbC",
            "created_at": "2024-01-01T00:00:00Z", "via": {"channel": "email"}});
        let columns = derived_columns(Table::Tickets, &ticket);
        let get = |name: &str| columns.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(get("status_rank"), Bind::Int(2));
        assert_eq!(get("priority_rank"), Bind::Int(3));
        assert_eq!(get("external_id"), Bind::Text("abc".into()));
        assert_eq!(get("via_channel"), Bind::Text("email".into()));
        assert_eq!(get("created_at"), Bind::Int(1_704_067_200));
    }
}
