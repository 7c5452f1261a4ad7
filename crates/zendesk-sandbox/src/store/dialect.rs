//! Which SQL a backend speaks, and the SQL text that differs between the two: full text (SQLite's
//! FTS5 tables against PostgreSQL's weighted `search` vectors), custom-field values (SQLite's
//! `json_each` over the stored JSON against PostgreSQL's JSONB) and index hints. Modules that
//! build SQL (list filters, the search compiler) ask the store's dialect for these fragments,
//! so they never name a backend themselves.

use super::bind::Bind;
use super::tables::Table;
use super::text::fold_text;

/// The SQL dialect of a backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// How one dialect reads the custom fields of a record (`cf` is one element of the record's
/// `custom_fields` array), for the search compiler.
pub struct CustomFieldSql {
    /// The rows: `FROM ... cf`.
    pub each: &'static str,
    /// The value as text (NULL when unset).
    pub raw: &'static str,
    /// The value as compared for equality: booleans as true/false, the rest lower-cased.
    pub text: &'static str,
    /// The value as a number (NULL when it is not one).
    pub number: &'static str,
    /// A number given as text, as the dialect's number type.
    pub number_bind: &'static str,
    /// An integer, compared with `number`.
    pub integer_bind: &'static str,
    /// The value's text, compared byte by byte (dates).
    pub ordered: &'static str,
    /// The field id equals a bound integer.
    pub id_is: &'static str,
}

/// A Help Center article search as the dialect runs it: the rows (`from`, a condition, a
/// ranking, best first) and the bound query made of the words.
pub struct ArticleMatch {
    pub from: &'static str,
    pub condition: &'static str,
    pub best_first: &'static str,
    pub words: Bind,
}

impl Dialect {
    /// A list filter: the records of `table` whose full text holds `text` as a phrase (SQL on
    /// the table's own columns, with `$?` markers).
    pub fn phrase_filter(self, table: Table, text: &str) -> (String, Vec<Bind>) {
        match self {
            Dialect::Sqlite => sqlite_phrase_filter(table, text),
            Dialect::Postgres => postgres_phrase_filter(table, text),
        }
    }

    /// A search condition: `column` (an id) is among the records of `table` whose full text
    /// holds `phrase`. `r` is the alias of the record searched, so `column` = `r.id` is that
    /// record itself. `None` when the text has no word or the table no text.
    ///
    /// `form` says how the condition is tested: see [`TextForm`].
    pub fn text_match(
        self,
        table: Table,
        column: &str,
        phrase: &TextPhrase,
        form: TextForm,
    ) -> Option<(String, Vec<Bind>)> {
        match self {
            Dialect::Sqlite => sqlite_text_match(table, column, phrase, form),
            Dialect::Postgres => postgres_text_match(table, column, phrase),
        }
    }

    /// As [`Dialect::text_match`] for a record whose full text holds every one of `phrases`,
    /// tested in one condition: SQLite's text index intersects them itself (each phrase
    /// tested on its own would be gathered on its own, and held, until the statement ends).
    /// Phrases without a word are left out; `None` when none has one.
    pub fn text_match_all(
        self,
        table: Table,
        column: &str,
        phrases: &[TextPhrase],
        form: TextForm,
    ) -> Option<(String, Vec<Bind>)> {
        match self {
            Dialect::Sqlite => {
                let mut fts = None;
                let mut exprs = Vec::new();
                for phrase in phrases {
                    if let Some((table_fts, expr)) = sqlite_fts_expr(table, phrase) {
                        fts = Some(table_fts);
                        exprs.push(format!("({expr})"));
                    }
                }
                Some(sqlite_match_sql(fts?, column, exprs.join(" AND "), form))
            }
            Dialect::Postgres => {
                let queries: Vec<String> = phrases
                    .iter()
                    .filter_map(|phrase| postgres_ts_query(table, phrase))
                    .map(|query| format!("({query})"))
                    .collect();
                if queries.is_empty() {
                    return None;
                }
                Some((
                    postgres_match_sql(table, column),
                    vec![Bind::Text(queries.join(" & "))],
                ))
            }
        }
    }

    /// The ids of `table`'s records whose full text holds `phrase`: a `SELECT` of one column,
    /// read straight from the text index (no record is read). `None` as for `text_match`.
    pub fn text_ids(self, table: Table, phrase: &TextPhrase) -> Option<(String, Vec<Bind>)> {
        match self {
            Dialect::Sqlite => {
                let (fts, expr) = sqlite_fts_expr(table, phrase)?;
                Some((
                    format!("SELECT rowid FROM {fts} WHERE {fts} MATCH $?"),
                    vec![Bind::Text(expr)],
                ))
            }
            Dialect::Postgres => {
                let (sql, binds) = postgres_text_match(table, "r.id", phrase)?;
                Some((
                    format!("SELECT r.id FROM {} r WHERE {sql}", table.name()),
                    binds,
                ))
            }
        }
    }

    /// How custom-field values of `table`'s records are read.
    pub fn custom_fields(self, table: Table) -> &'static CustomFieldSql {
        match self {
            Dialect::Sqlite => &SQLITE_CUSTOM_FIELDS,
            Dialect::Postgres => postgres_custom_fields(table),
        }
    }

    /// The SQL of a row's revision, an integer that changes whenever the row is written, by
    /// any connection (PostgreSQL's `xmin`, the transaction that wrote the row version); `None`
    /// where there is none to read. What the record cache checks a text against.
    pub fn row_revision(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some("xmin::text::bigint"),
        }
    }

    /// What follows a table's alias in `FROM` to read it through `index` (a plan the caller
    /// chose), where the dialect takes such hints; empty where it does not.
    pub fn index_hint(self, index: &str) -> String {
        match self {
            Dialect::Sqlite => format!(" INDEXED BY {index}"),
            Dialect::Postgres => String::new(),
        }
    }

    /// A Help Center search for any of `words`; `None` when they hold nothing to search.
    pub(crate) fn article_match(self, words: &[String]) -> Option<ArticleMatch> {
        match self {
            Dialect::Sqlite => sqlite_article_match(words),
            Dialect::Postgres => postgres_article_match(words),
        }
    }
}

/// A list filter on full text: the record's FTS row holds the words of `text` as a phrase.
fn sqlite_phrase_filter(table: Table, text: &str) -> (String, Vec<Bind>) {
    let words: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    match table.text_table() {
        Some(fts) if !words.trim().is_empty() => (
            format!("id IN (SELECT rowid FROM {fts} WHERE {fts} MATCH $?)"),
            vec![Bind::Text(format!("\"{}\"", words.trim()))],
        ),
        _ => ("1 = 0".into(), Vec::new()),
    }
}

/// Words searched as one phrase in a record's full text.
#[derive(Clone, Copy, Debug)]
pub struct TextPhrase<'a> {
    pub text: &'a str,
    /// The last word is a prefix (`print*`).
    pub prefix: bool,
    /// Only these of the table's text fields; all when empty.
    pub fields: &'a [&'a str],
}

/// How a full-text condition is tested against each record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextForm {
    /// `id IN (ids that match)`: the matches are gathered once, then each record is looked up
    /// among them. Best when the condition is tested against many records.
    Member,
    /// `EXISTS (this id matches)`: the text index is asked about each record alone. Best when
    /// few records are tested (a walk along a sort order that stops after a page): gathering
    /// 384,000 matches of a common word to test 300 records costs 40 ms, asking 300 times
    /// well under 10 (SQLite; PostgreSQL plans both forms alike and gets `Member`).
    Probe,
}

/// The FTS5 table of `table` and the expression matching `phrase`: an FTS5 phrase (the last
/// word a prefix), restricted to columns (`{subject description comments} : (...)`) when
/// `fields` name some.
fn sqlite_fts_expr(table: Table, phrase: &TextPhrase) -> Option<(&'static str, String)> {
    let fts = table.text_table()?;
    // A phrase without tokens is a syntax error in FTS5, and matches nothing anyway.
    if !phrase.text.chars().any(char::is_alphanumeric) {
        return None;
    }
    let mut expr = format!("\"{}\"", phrase.text.replace('"', "\"\""));
    if phrase.prefix {
        expr.push('*');
    }
    let expr = match phrase.fields {
        [] => expr,
        [one] => format!("{one} : {expr}"),
        many => format!("{{{}}} : ({expr})", many.join(" ")),
    };
    Some((fts, expr))
}

/// A search condition on full text (see [`Dialect::text_match`]).
fn sqlite_text_match(
    table: Table,
    column: &str,
    phrase: &TextPhrase,
    form: TextForm,
) -> Option<(String, Vec<Bind>)> {
    let (fts, expr) = sqlite_fts_expr(table, phrase)?;
    Some(sqlite_match_sql(fts, column, expr, form))
}

/// `column` among the rows of the FTS5 table `fts` matching `expr`, tested as `form` says.
fn sqlite_match_sql(fts: &str, column: &str, expr: String, form: TextForm) -> (String, Vec<Bind>) {
    let sql = match form {
        TextForm::Member => format!("{column} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH $?)"),
        TextForm::Probe => {
            format!("EXISTS (SELECT 1 FROM {fts} WHERE {fts} MATCH $? AND rowid = {column})")
        }
    };
    (sql, vec![Bind::Text(expr)])
}

/// Custom fields read from the stored JSON.
const SQLITE_CUSTOM_FIELDS: CustomFieldSql = CustomFieldSql {
    each: "json_each(r.json, '$.custom_fields') cf",
    raw: "json_extract(cf.value, '$.value')",
    text: "(CASE json_type(cf.value, '$.value') WHEN 'true' THEN 'true' \
           WHEN 'false' THEN 'false' \
           ELSE lower(CAST(json_extract(cf.value, '$.value') AS TEXT)) END)",
    // `zd_number` (registered on every connection) reads numbers as PostgreSQL's regular
    // expression does; JSON booleans, which json_extract answers as 1 and 0, are none.
    number: "zd_number(CASE WHEN json_type(cf.value, '$.value') IN ('true', 'false') THEN NULL \
             ELSE json_extract(cf.value, '$.value') END)",
    number_bind: "CAST($? AS REAL)",
    integer_bind: "$?",
    ordered: "json_extract(cf.value, '$.value')",
    id_is: "json_extract(cf.value, '$.id') = $?",
};

/// Any word may match, as a prefix ("refund" finds "refunds"); bm25 ranks articles with more
/// of the words, and words in the title (weighed 4, labels 2, body 1), first.
fn sqlite_article_match(words: &[String]) -> Option<ArticleMatch> {
    let terms: Vec<String> = words
        .iter()
        .map(|word| format!("\"{}\"*", word.replace('"', "")))
        .collect();
    if terms.is_empty() {
        return None;
    }
    Some(ArticleMatch {
        from: "hc_articles JOIN (SELECT rowid AS hit, bm25(articles_fts, 4.0, 1.0, 2.0) AS score \
               FROM articles_fts WHERE articles_fts MATCH $?) AS m ON m.hit = hc_articles.id",
        condition: "1 = 1",
        best_first: "m.score",
        words: Bind::Text(terms.join(" OR ")),
    })
}

/// A list filter on full text: the record's `search` vector holds the words of `text` as a
/// phrase.
fn postgres_phrase_filter(table: Table, text: &str) -> (String, Vec<Bind>) {
    let has_words = text.chars().any(char::is_alphanumeric);
    match ts_phrase(text, "", false) {
        Some(query) if has_words && table.text_table().is_some() => (
            "search @@ to_tsquery('simple', $?)".into(),
            vec![Bind::Text(query)],
        ),
        _ => ("1 = 0".into(), Vec::new()),
    }
}

/// A search condition on full text: a tsquery phrase over the `search` vector, restricted to
/// the weights of `fields` when they name some.
fn postgres_text_match(
    table: Table,
    column: &str,
    phrase: &TextPhrase,
) -> Option<(String, Vec<Bind>)> {
    let query = postgres_ts_query(table, phrase)?;
    Some((postgres_match_sql(table, column), vec![Bind::Text(query)]))
}

/// The `tsquery` of `phrase` over `table`'s text, restricted to its fields' weights; `None`
/// when the phrase has no word or the table no text.
fn postgres_ts_query(table: Table, phrase: &TextPhrase) -> Option<String> {
    let spec = table.spec().text.as_ref()?;
    let weights: String = phrase
        .fields
        .iter()
        .map(|field| spec.weight(field))
        .collect();
    // Every field selected is every field: no restriction.
    let weights = if weights.len() >= 4 {
        String::new()
    } else {
        weights
    };
    ts_phrase(phrase.text, &weights, phrase.prefix)
}

/// `column` among `table`'s records whose `search` vector matches the `tsquery` bound.
fn postgres_match_sql(table: Table, column: &str) -> String {
    if column == "r.id" {
        "r.search @@ to_tsquery('simple', $?)".to_string()
    } else {
        format!(
            "{column} IN (SELECT id FROM {} WHERE search @@ to_tsquery('simple', $?))",
            table.name()
        )
    }
}

/// A PostgreSQL `tsquery` (for `to_tsquery('simple', ...)`) matching the words of `text` as one
/// phrase, each restricted to the fields of `weights` (`""`: any field), the last a prefix when
/// `prefix`. `None` when the text has no word. Built from folded words only, so user text can
/// never be read as tsquery syntax.
fn ts_phrase(text: &str, weights: &str, prefix: bool) -> Option<String> {
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

/// Custom fields of tickets: their JSONB column (written with the record).
const POSTGRES_TICKET_CUSTOM_FIELDS: CustomFieldSql = CustomFieldSql {
    each: "jsonb_array_elements(r.custom_fields) cf(value)",
    ..POSTGRES_OTHER_CUSTOM_FIELDS
};

/// Only tickets carry `custom_fields` (users and organizations keep theirs in `user_fields` /
/// `organization_fields`, which SQLite's `json_each` does not read either).
const POSTGRES_OTHER_CUSTOM_FIELDS: CustomFieldSql = CustomFieldSql {
    each: "jsonb_array_elements('[]'::jsonb) cf(value)",
    raw: "(cf.value ->> 'value')",
    text: "(CASE jsonb_typeof(cf.value -> 'value') WHEN 'boolean' THEN cf.value ->> 'value' \
           ELSE lower(cf.value ->> 'value') END)",
    // Text that is not a number is no number (the shape `sql::number_text` checks on SQLite).
    // As `numeric`, which holds any such text (1e999 too, where double precision would fail
    // the query): larger than every number, as SQLite's infinity is.
    number: "(CASE WHEN (cf.value ->> 'value') ~ '^\\s*[-+]?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?\\s*$' \
             THEN (cf.value ->> 'value')::numeric END)",
    number_bind: "CAST(CAST($? AS text) AS numeric)",
    integer_bind: "CAST($? AS bigint)",
    ordered: "(cf.value ->> 'value') COLLATE \"C\"",
    id_is: "(cf.value -> 'id') = to_jsonb(CAST($? AS bigint))",
};

fn postgres_custom_fields(table: Table) -> &'static CustomFieldSql {
    match table {
        Table::Tickets => &POSTGRES_TICKET_CUSTOM_FIELDS,
        _ => &POSTGRES_OTHER_CUSTOM_FIELDS,
    }
}

/// Any word may match, as a prefix; ts_rank weighs the title (A) over labels (B) and the body
/// (C). Words are folded (letters and digits only), so none reads as tsquery syntax.
fn postgres_article_match(words: &[String]) -> Option<ArticleMatch> {
    let terms: Vec<String> = words
        .iter()
        .map(|word| fold_text(word))
        .flat_map(|folded| {
            folded
                .split_whitespace()
                .map(|w| format!("{w}:*"))
                .collect::<Vec<_>>()
        })
        .collect();
    if terms.is_empty() {
        return None;
    }
    Some(ArticleMatch {
        from: "hc_articles, to_tsquery('simple', $?) AS q",
        condition: "hc_articles.search @@ q",
        best_first: "ts_rank(hc_articles.search, q) DESC",
        words: Bind::Text(terms.join(" | ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
