//! SQL text written once for both backends: the bind markers (`$?`, numbered by
//! [`bind_markers`] in the dialect's spelling when a statement runs), list filters and their
//! `WHERE` clause, statements of rows by id, and LIKE patterns. Nothing here runs anything.

use std::borrow::Cow;

use super::bind::Bind;
use super::dialect::Dialect;
use super::tables::Table;

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
    /// SQL with `$?` marking each bind, built by a module that asked the store's dialect for
    /// what differs between backends (search).
    Sql(String, Vec<Bind>),
}

impl Filter {
    /// SQL with `$?` markers, and its binds in order (the dialect renders full text).
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
            Filter::Phrase(table, text) => dialect.phrase_filter(*table, text),
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

/// `text` taken literally inside a [`Filter::Like`] pattern: LIKE's wildcards `%` and `_`, and
/// its escape `\`, escaped.
pub fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `sql` with its bind markers in `dialect`'s spelling (`?N` on SQLite, `$N` on PostgreSQL):
/// each `$?` takes the next number, and `?N` or `$N` keep theirs, so a statement is written once
/// for both backends. Quoted text (`'...'`, `"..."`) is left as it is.
pub fn bind_markers(sql: &str, dialect: Dialect) -> Cow<'_, str> {
    let (sigil, foreign) = match dialect {
        Dialect::Sqlite => (b'?', b'$'),
        Dialect::Postgres => (b'$', b'?'),
    };
    let bytes = sql.as_bytes();
    let needs_work = bytes.windows(2).any(|pair| {
        (pair[0] == b'$' && pair[1] == b'?') || (pair[0] == foreign && pair[1].is_ascii_digit())
    });
    if !needs_work {
        return Cow::Borrowed(sql);
    }
    let mut out = Vec::with_capacity(sql.len() + 8);
    let mut next = 0usize;
    let mut quote: Option<u8> = None;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match quote {
            Some(open) => {
                if byte == open {
                    quote = None;
                }
                out.push(byte);
                at += 1;
            }
            None if byte == b'\'' || byte == b'"' => {
                quote = Some(byte);
                out.push(byte);
                at += 1;
            }
            None if byte == b'$' && bytes.get(at + 1) == Some(&b'?') => {
                next += 1;
                out.push(sigil);
                out.extend_from_slice(next.to_string().as_bytes());
                at += 2;
            }
            None if (byte == b'$' || byte == b'?')
                && bytes.get(at + 1).is_some_and(u8::is_ascii_digit) =>
            {
                out.push(sigil);
                at += 1;
                while let Some(digit) = bytes.get(at).filter(|b| b.is_ascii_digit()) {
                    out.push(*digit);
                    at += 1;
                }
            }
            None => {
                out.push(byte);
                at += 1;
            }
        }
    }
    // Only ASCII bytes were replaced by ASCII bytes: still UTF-8.
    Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| sql.to_string()))
}

/// `1 = 1 AND (f1) AND (f2)...` with `$?` markers, and the binds.
pub fn where_clause(filters: &[Filter], dialect: Dialect) -> (String, Vec<Bind>) {
    let mut where_sql = String::from("1 = 1");
    let mut binds: Vec<Bind> = Vec::new();
    for filter in filters {
        let (sql, filter_binds) = filter.render(dialect);
        where_sql.push_str(" AND (");
        where_sql.push_str(&sql);
        where_sql.push(')');
        binds.extend(filter_binds);
    }
    (where_sql, binds)
}

/// The most ids one statement of rows by id ([`ids_statement`]) is given.
pub(crate) const RECORDS_PER_STATEMENT: usize = 256;

/// `select` (`SELECT ... FROM table`) of the rows whose id is among `ids` (not empty). The
/// markers are padded to a power of two with the last id repeated, so that a few prepared
/// statements serve every number of ids.
pub(crate) fn ids_statement(select: &str, ids: &[i64]) -> (String, Vec<Bind>) {
    let markers = ids.len().next_power_of_two();
    let mut binds: Vec<Bind> = ids.iter().map(|id| Bind::Int(*id)).collect();
    binds.resize(markers, Bind::Int(ids.last().copied().unwrap_or_default()));
    let sql = format!("{select} WHERE id IN ({})", vec!["$?"; markers].join(", "));
    (sql, binds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_markers_follow_the_dialect() {
        let sql = "a = $? AND b IN ($?, $?) AND c = 'x$?' AND d = \"$?\"";
        assert_eq!(
            bind_markers(sql, Dialect::Sqlite),
            "a = ?1 AND b IN (?2, ?3) AND c = 'x$?' AND d = \"$?\""
        );
        assert_eq!(
            bind_markers(sql, Dialect::Postgres),
            "a = $1 AND b IN ($2, $3) AND c = 'x$?' AND d = \"$?\""
        );
        // Numbered markers keep their number (a bind used twice), in either spelling.
        assert_eq!(
            bind_markers("x = ?2 OR y = ?2", Dialect::Postgres),
            "x = $2 OR y = $2"
        );
        assert_eq!(bind_markers("x = $10", Dialect::Sqlite), "x = ?10");
        // Nothing to change: the statement itself, not a copy.
        assert!(matches!(
            bind_markers("x = ?1", Dialect::Sqlite),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            bind_markers("x = $1", Dialect::Postgres),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            bind_markers("j = '$.value' AND n = $?", Dialect::Postgres),
            "j = '$.value' AND n = $1"
        );
    }
}
