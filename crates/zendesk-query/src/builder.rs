//! A typed query builder for the client and the tools: terms are added as values, and the
//! printer does all the quoting, so the result always parses back to what was built.
//!
//! ```
//! use zendesk_query::{QueryBuilder, RecordType};
//! let q = QueryBuilder::new()
//!     .r#type(RecordType::Ticket)
//!     .eq("status", "open")
//!     .eq("assignee", 123)
//!     .eq("subject", "printer on fire")
//!     .build()
//!     .unwrap();
//! assert_eq!(q, r#"type:ticket status:open assignee:123 subject:"printer on fire""#);
//! ```

use time::{Date, OffsetDateTime};

use crate::ast::{Op, Query, RelativeDate, SortOrder, Term, TermKind, Value};
use crate::keywords::RecordType;
use crate::lexical::{self, classify_keyword_token, ends_token};

/// A value handed to the builder. Strings are literal text: a clean single token that the
/// parser types as a word, number or date is written bare; anything else (spaces, quotes,
/// `*`, the words `none` / `me`) is quoted, so it is searched as written. Use
/// [`QueryValue::None`] and [`QueryValue::Me`] for the special values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryValue {
    Text(String),
    Number(u64),
    Date(Date),
    DateTime(OffsetDateTime),
    Relative(RelativeDate),
    /// `none`: the field is empty.
    None,
    /// `me`: the user making the search.
    Me,
}

impl From<&str> for QueryValue {
    fn from(s: &str) -> Self {
        QueryValue::Text(s.to_owned())
    }
}
impl From<String> for QueryValue {
    fn from(s: String) -> Self {
        QueryValue::Text(s)
    }
}
impl From<&String> for QueryValue {
    fn from(s: &String) -> Self {
        QueryValue::Text(s.clone())
    }
}
impl From<u64> for QueryValue {
    fn from(n: u64) -> Self {
        QueryValue::Number(n)
    }
}
impl From<u32> for QueryValue {
    fn from(n: u32) -> Self {
        QueryValue::Number(n.into())
    }
}
impl From<i64> for QueryValue {
    /// Negative numbers have no integer form in the language; they are written as text.
    fn from(n: i64) -> Self {
        match u64::try_from(n) {
            Ok(n) => QueryValue::Number(n),
            Err(_) => QueryValue::Text(n.to_string()),
        }
    }
}
impl From<i32> for QueryValue {
    /// So that a plain literal works: `.eq("assignee", 123)`.
    fn from(n: i32) -> Self {
        QueryValue::from(i64::from(n))
    }
}
impl From<Date> for QueryValue {
    fn from(d: Date) -> Self {
        QueryValue::Date(d)
    }
}
impl From<OffsetDateTime> for QueryValue {
    fn from(d: OffsetDateTime) -> Self {
        QueryValue::DateTime(d)
    }
}
impl From<RelativeDate> for QueryValue {
    fn from(r: RelativeDate) -> Self {
        QueryValue::Relative(r)
    }
}
impl From<RecordType> for QueryValue {
    fn from(t: RecordType) -> Self {
        QueryValue::Text(t.as_str().to_owned())
    }
}

impl QueryValue {
    fn into_value(self) -> Value {
        match self {
            QueryValue::Text(s) => text_value(s),
            QueryValue::Number(n) => Value::Number(n),
            QueryValue::Date(d) => Value::Date(d),
            QueryValue::DateTime(d) => Value::DateTime(d),
            QueryValue::Relative(r) => Value::RelativeDate(r),
            QueryValue::None => Value::None,
            QueryValue::Me => Value::Me,
        }
    }
}

/// Literal text after a keyword: typed as the parser would type it when that keeps its
/// meaning, quoted otherwise.
fn text_value(s: String) -> Value {
    if s.is_empty() || s.chars().any(ends_token) {
        return Value::Phrase(s);
    }
    match classify_keyword_token(&s) {
        Value::None | Value::Me | Value::Wildcard(_) => Value::Phrase(s),
        // `1day` or `2024-01-31T10:00:00.000Z` would print differently: keep the text.
        typed if typed.to_string() == s => typed,
        _ => Value::Phrase(s),
    }
}

/// Why the builder refused to produce a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error(
        "keyword {0:?} is not a valid keyword name: expected letters, digits and underscores, not starting with a digit"
    )]
    InvalidKeyword(String),
    #[error("keyword {0:?} is set with order_by() / sort(), not as a term")]
    ReservedKeyword(String),
    #[error(
        "wildcard prefix {0:?} cannot be searched: expected at least one character and no spaces or quotes"
    )]
    InvalidPrefix(String),
    #[error("order_by field {0:?} is not valid: expected letters, digits and underscores")]
    InvalidOrderBy(String),
}

/// Builds a query term by term; see the module example.
#[derive(Debug, Clone, Default)]
pub struct QueryBuilder {
    query: Query,
    error: Option<BuildError>,
}

impl QueryBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// `type:ticket` and friends.
    pub fn r#type(self, record_type: RecordType) -> Self {
        self.push_keyword(
            false,
            "type",
            Op::Eq,
            Value::Word(record_type.as_str().into()),
        )
    }

    /// `keyword:value`.
    pub fn eq(self, keyword: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(keyword, Op::Eq, value)
    }

    /// `-keyword:value`.
    pub fn not_eq(self, keyword: &str, value: impl Into<QueryValue>) -> Self {
        let value = value.into().into_value();
        self.push_keyword(true, keyword, Op::Eq, value)
    }

    pub fn lt(self, keyword: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(keyword, Op::Lt, value)
    }

    pub fn le(self, keyword: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(keyword, Op::Le, value)
    }

    pub fn gt(self, keyword: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(keyword, Op::Gt, value)
    }

    pub fn ge(self, keyword: &str, value: impl Into<QueryValue>) -> Self {
        self.compare(keyword, Op::Ge, value)
    }

    /// `keyword<op>value` with any operator.
    pub fn compare(self, keyword: &str, op: Op, value: impl Into<QueryValue>) -> Self {
        let value = value.into().into_value();
        self.push_keyword(false, keyword, op, value)
    }

    /// `keyword:"exact words"`, quoted even when it is a single word.
    pub fn phrase_in(self, keyword: &str, phrase: &str) -> Self {
        self.push_keyword(false, keyword, Op::Eq, Value::Phrase(phrase.into()))
    }

    /// `keyword:prefix*`.
    pub fn prefix_in(mut self, keyword: &str, prefix: &str) -> Self {
        match wildcard(prefix) {
            Ok(w) => self.push_keyword(false, keyword, Op::Eq, w),
            Err(e) => {
                self.fail(e);
                self
            }
        }
    }

    /// `tags:tag`.
    pub fn tag(self, tag: &str) -> Self {
        self.eq("tags", tag)
    }

    /// A free-text word; quoted when it is not a plain single word.
    pub fn word(self, word: &str) -> Self {
        let value = if lexical::is_plain_text_word(word, false) {
            Value::Word(word.into())
        } else {
            Value::Phrase(word.into())
        };
        self.push_text(false, value)
    }

    /// `-word`: records without this word.
    pub fn not_word(self, word: &str) -> Self {
        let value = if lexical::is_plain_text_word(word, false) {
            Value::Word(word.into())
        } else {
            Value::Phrase(word.into())
        };
        self.push_text(true, value)
    }

    /// `"exact words"` anywhere in the record's text.
    pub fn phrase(self, phrase: &str) -> Self {
        self.push_text(false, Value::Phrase(phrase.into()))
    }

    /// `-"exact words"`.
    pub fn not_phrase(self, phrase: &str) -> Self {
        self.push_text(true, Value::Phrase(phrase.into()))
    }

    /// `prefix*` anywhere in the record's text.
    pub fn prefix(mut self, prefix: &str) -> Self {
        match wildcard(prefix) {
            Ok(Value::Wildcard(w)) if lexical::is_plain_text_wildcard(&w, false) => {
                self.push_text(false, Value::Wildcard(w))
            }
            _ => {
                self.fail(BuildError::InvalidPrefix(prefix.into()));
                self
            }
        }
    }

    /// `order_by:field`.
    pub fn order_by(mut self, field: &str) -> Self {
        if lexical::is_keyword_name(field) {
            self.query.order_by = Some(field.to_ascii_lowercase());
        } else {
            self.fail(BuildError::InvalidOrderBy(field.into()));
        }
        self
    }

    /// `sort:asc|desc`.
    pub fn sort(mut self, sort: SortOrder) -> Self {
        self.query.sort = Some(sort);
        self
    }

    /// The AST built so far, or the first mistake made while building.
    pub fn build_query(self) -> Result<Query, BuildError> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.query),
        }
    }

    /// The query string, or the first mistake made while building.
    pub fn build(self) -> Result<String, BuildError> {
        self.build_query().map(|q| q.to_string())
    }

    fn fail(&mut self, error: BuildError) {
        self.error.get_or_insert(error);
    }

    fn push_keyword(mut self, negated: bool, keyword: &str, op: Op, value: Value) -> Self {
        let name = keyword.to_ascii_lowercase();
        if !lexical::is_keyword_name(&name) {
            self.fail(BuildError::InvalidKeyword(keyword.into()));
        } else if name == "order_by" || name == "sort" {
            self.fail(BuildError::ReservedKeyword(keyword.into()));
        } else {
            self.query.terms.push(Term {
                negated,
                kind: TermKind::Keyword { name, op, value },
            });
        }
        self
    }

    fn push_text(mut self, negated: bool, value: Value) -> Self {
        self.query.terms.push(Term {
            negated,
            kind: TermKind::Text(value),
        });
        self
    }
}

/// `prefix*`, refusing prefixes that cannot stand unquoted.
fn wildcard(prefix: &str) -> Result<Value, BuildError> {
    if prefix.is_empty() || prefix.chars().any(ends_token) || prefix.contains('*') {
        return Err(BuildError::InvalidPrefix(prefix.into()));
    }
    Ok(Value::Wildcard(format!("{prefix}*")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::TimeUnit;
    use crate::parse;
    use time::macros::date;

    #[test]
    fn builds_the_readme_example() {
        let q = QueryBuilder::new()
            .r#type(RecordType::Ticket)
            .eq("status", "open")
            .eq("assignee", 123u64)
            .build()
            .unwrap();
        assert_eq!(q, "type:ticket status:open assignee:123");
    }

    #[test]
    fn quotes_values_that_need_it_and_types_the_rest() {
        let q = QueryBuilder::new()
            .eq("requester", "jane@example.com")
            .eq("organization", "Acme: West")
            .eq("subject", "say \"hi\"")
            .eq("subject", "none")
            .eq("assignee", QueryValue::None)
            .eq("assignee", QueryValue::Me)
            .not_eq("status", "closed")
            .lt("status", "solved")
            .ge("created", date!(2024 - 01 - 31))
            .gt(
                "updated",
                RelativeDate {
                    amount: 4,
                    unit: TimeUnit::Hours,
                },
            )
            .tag("vip")
            .prefix_in("subject", "print")
            .word("fire")
            .word("-not-negated")
            .not_word("spam")
            .phrase("exact words")
            .prefix("photo")
            .order_by("created_at")
            .sort(SortOrder::Desc)
            .build()
            .unwrap();
        assert_eq!(
            q,
            r#"requester:jane@example.com organization:"Acme: West" subject:"say \"hi\"" subject:"none" assignee:none assignee:me -status:closed status<solved created>=2024-01-31 updated>4hours tags:vip subject:print* fire "-not-negated" -spam "exact words" photo* order_by:created_at sort:desc"#
        );
        assert!(parse(&q).is_ok());
    }

    #[test]
    fn refuses_what_cannot_be_written() {
        assert_eq!(
            QueryBuilder::new().eq("my field", "x").build(),
            Err(BuildError::InvalidKeyword("my field".into()))
        );
        assert_eq!(
            QueryBuilder::new().eq("sort", "asc").build(),
            Err(BuildError::ReservedKeyword("sort".into()))
        );
        assert_eq!(
            QueryBuilder::new()
                .prefix_in("subject", "two words")
                .build(),
            Err(BuildError::InvalidPrefix("two words".into()))
        );
        assert_eq!(
            QueryBuilder::new().prefix("a:b").build(),
            Err(BuildError::InvalidPrefix("a:b".into()))
        );
        assert_eq!(
            QueryBuilder::new().order_by("created at").build(),
            Err(BuildError::InvalidOrderBy("created at".into()))
        );
    }
}
