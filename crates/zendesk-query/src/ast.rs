//! The query AST and its printer. `Display` turns any AST back into a query string that
//! parses; for a canonical AST (one the parser could have produced) it parses back to an
//! equal AST. The printer is the single place that knows how values are quoted.

use std::fmt::{self, Write as _};

use time::{Date, OffsetDateTime, UtcOffset};

use crate::lexical;

/// A parsed search query: the terms in input order, plus the `order_by:` / `sort:` directives
/// (pulled out of the terms because they select an order, not records).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub terms: Vec<Term>,
    /// Lower-cased field name given by `order_by:`; the last one wins when repeated.
    pub order_by: Option<String>,
    /// Direction given by `sort:`; the last one wins when repeated.
    pub sort: Option<SortOrder>,
}

/// One term of a query: a keyword condition or free text, possibly negated with `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub negated: bool,
    pub kind: TermKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermKind {
    /// `name<op>value`; `name` is lower-cased. Keywords the table does not know are kept here
    /// too: deciding what they mean is the compiler's job (see `keywords`).
    Keyword { name: String, op: Op, value: Value },
    /// A bare word, `"a phrase"` or `prefix*`. Only `Word`, `Phrase` and `Wildcard` occur here.
    Text(Value),
}

/// The comparison between a keyword and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `:`
    Eq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => ":",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
        }
    }
}

/// A typed value. The parser types unquoted keyword values by their shape: `none`, `me`,
/// anything with `*`, a canonical integer, `YYYY-MM-DD`, an ISO 8601 date-time, `<n><unit>`;
/// everything else is a `Word`. Quoted values are always `Phrase`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// An unquoted token, case kept as written.
    Word(String),
    /// A quoted string, unescaped.
    Phrase(String),
    /// An unquoted token containing `*` (kept with its stars); `*` matches any run of characters.
    Wildcard(String),
    /// A non-negative integer written without leading zeros (IDs, custom field numbers).
    Number(u64),
    /// `YYYY-MM-DD`: a whole day, UTC.
    Date(Date),
    /// An ISO 8601 date-time; without an offset it is read as UTC.
    DateTime(OffsetDateTime),
    /// `4hours`, `2days`...: that long before now.
    RelativeDate(RelativeDate),
    /// `none`: the field is empty.
    None,
    /// `me`: the user making the search.
    Me,
}

/// A span of time back from now, as in `created>4hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RelativeDate {
    pub amount: u32,
    pub unit: TimeUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

impl TimeUnit {
    pub const ALL: [TimeUnit; 6] = [
        TimeUnit::Minutes,
        TimeUnit::Hours,
        TimeUnit::Days,
        TimeUnit::Weeks,
        TimeUnit::Months,
        TimeUnit::Years,
    ];

    /// The plural spelling the printer uses.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Months => "months",
            TimeUnit::Years => "years",
        }
    }

    /// Accepts the singular and plural spellings, any case.
    pub fn from_word(word: &str) -> Option<TimeUnit> {
        let lower = word.to_ascii_lowercase();
        TimeUnit::ALL
            .into_iter()
            .find(|u| lower == u.as_str() || lower == u.as_str().trim_end_matches('s'))
    }
}

impl RelativeDate {
    /// The instant `amount` units before `now`. Months count as 30 days and years as 365
    /// days: Zendesk does not document calendar arithmetic, and a fixed span keeps the SQL
    /// simple. Saturates instead of overflowing on absurd amounts.
    pub fn before(self, now: OffsetDateTime) -> OffsetDateTime {
        let minutes: i64 = match self.unit {
            TimeUnit::Minutes => 1,
            TimeUnit::Hours => 60,
            TimeUnit::Days => 60 * 24,
            TimeUnit::Weeks => 60 * 24 * 7,
            TimeUnit::Months => 60 * 24 * 30,
            TimeUnit::Years => 60 * 24 * 365,
        };
        let span = time::Duration::minutes(minutes.saturating_mul(i64::from(self.amount)));
        now.checked_sub(span)
            .unwrap_or(time::PrimitiveDateTime::MIN.assume_utc())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    Asc,
    Desc,
}

impl SortOrder {
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "asc",
            SortOrder::Desc => "desc",
        }
    }
}

impl Query {
    /// The record types the query restricts itself to with `type:` (lower-cased words;
    /// negated `type:` terms are not included).
    pub fn types(&self) -> Vec<String> {
        self.terms
            .iter()
            .filter(|t| !t.negated)
            .filter_map(|t| match &t.kind {
                TermKind::Keyword {
                    name,
                    value: Value::Word(w) | Value::Phrase(w),
                    ..
                } if name == "type" => Some(w.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    }

    /// Keyword names the keyword table does not know, in order of appearance. Such terms are
    /// searched as text (as Zendesk does); a tool can use this to warn about a likely typo.
    pub fn unknown_keywords(&self) -> Vec<&str> {
        self.terms
            .iter()
            .filter_map(|t| match &t.kind {
                TermKind::Keyword { name, .. } if crate::keywords::lookup(name).is_none() => {
                    Some(name.as_str())
                }
                _ => None,
            })
            .collect()
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| -> fmt::Result {
            if !std::mem::take(&mut first) {
                f.write_char(' ')?;
            }
            Ok(())
        };
        for term in &self.terms {
            sep(f)?;
            write!(f, "{term}")?;
        }
        if let Some(field) = &self.order_by {
            sep(f)?;
            // A field name is a keyword-like identifier (the parser and builder ensure it).
            write!(f, "order_by:{field}")?;
        }
        if let Some(sort) = self.sort {
            sep(f)?;
            write!(f, "sort:{}", sort.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_char('-')?;
        }
        match &self.kind {
            TermKind::Keyword { name, op, value } => {
                f.write_str(name)?;
                f.write_str(op.as_str())?;
                write_keyword_value(f, value)
            }
            TermKind::Text(value) => write_text_value(f, value, self.negated),
        }
    }
}

impl fmt::Display for Value {
    /// A value as it would appear after a keyword.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_keyword_value(f, self)
    }
}

impl fmt::Display for RelativeDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.as_str())
    }
}

/// Writes text after a keyword: bare when it would read back as the same `Word`, quoted
/// otherwise (so `subject:"none"` stays the word none, not the empty marker).
fn write_keyword_text(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    if lexical::is_plain_keyword_word(text) {
        f.write_str(text)
    } else {
        write_phrase(f, text)
    }
}

fn write_keyword_value(f: &mut fmt::Formatter<'_>, value: &Value) -> fmt::Result {
    match value {
        Value::Word(w) => write_keyword_text(f, w),
        Value::Phrase(p) => write_phrase(f, p),
        Value::Wildcard(w) => write_wildcard(f, w),
        Value::Number(n) => write!(f, "{n}"),
        Value::Date(d) => write_date(f, *d),
        Value::DateTime(dt) => write_datetime(f, *dt),
        Value::RelativeDate(r) => write!(f, "{r}"),
        Value::None => f.write_str("none"),
        Value::Me => f.write_str("me"),
    }
}

/// After a `-` (negated), a word may itself start with `-`: `--x` reads back as not `-x`.
fn write_text_value(f: &mut fmt::Formatter<'_>, value: &Value, negated: bool) -> fmt::Result {
    match value {
        Value::Word(w) if lexical::is_plain_text_word(w, negated) => f.write_str(w),
        Value::Word(w) | Value::Phrase(w) => write_phrase(f, w),
        Value::Wildcard(w) if lexical::is_plain_text_wildcard(w, negated) => f.write_str(w),
        Value::Wildcard(w) => write_phrase(f, w),
        // Typed values have no meaning as free text; print their text so nothing is lost.
        other => write_keyword_value(f, other),
    }
}

/// A wildcard that cannot stand unquoted (it holds a space or a quote) cannot be written at
/// all; it degrades to a phrase of the same text rather than producing an unparsable query.
fn write_wildcard(f: &mut fmt::Formatter<'_>, pattern: &str) -> fmt::Result {
    if lexical::is_plain_wildcard(pattern) {
        f.write_str(pattern)
    } else {
        write_phrase(f, pattern)
    }
}

fn write_phrase(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        if c == '"' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

fn write_date(f: &mut fmt::Formatter<'_>, d: Date) -> fmt::Result {
    write!(
        f,
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    )
}

/// RFC 3339, written by hand so printing can never fail. An offset with seconds (which RFC
/// 3339 cannot carry) is converted to UTC first; the instant is unchanged.
fn write_datetime(f: &mut fmt::Formatter<'_>, dt: OffsetDateTime) -> fmt::Result {
    let dt = if dt.offset().seconds_past_minute() != 0 {
        dt.to_offset(UtcOffset::UTC)
    } else {
        dt
    };
    write_date(f, dt.date())?;
    write!(f, "T{:02}:{:02}:{:02}", dt.hour(), dt.minute(), dt.second())?;
    let nanos = dt.nanosecond();
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        write!(f, ".{}", digits.trim_end_matches('0'))?;
    }
    let offset = dt.offset();
    if offset.is_utc() {
        f.write_char('Z')
    } else {
        let sign = if offset.is_negative() { '-' } else { '+' };
        write!(
            f,
            "{sign}{:02}:{:02}",
            offset.whole_hours().unsigned_abs(),
            offset.minutes_past_hour().unsigned_abs()
        )
    }
}
