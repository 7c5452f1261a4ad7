//! The parser: query string to `Query`. Lexing and parsing are one pass, because the language
//! is a flat list of terms and a token's meaning depends only on what precedes it in its term.
//! Never panics, whatever the input; every error names what was expected and where (byte
//! offset into the input).

use std::fmt;

use crate::ast::{Query, SortOrder, Term, TermKind, Value};
use crate::lexical::{self, classify_keyword_token, classify_text_token, ends_token};

/// A query the parser refused: `expected` says what it wanted at byte `position`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} at {position}")]
pub struct ParseError {
    /// Byte offset into the query string.
    pub position: usize,
    /// What would have been accepted there, e.g. `a value after "status:"`.
    pub expected: String,
}

impl ParseError {
    fn new(position: usize, expected: impl fmt::Display) -> Self {
        ParseError {
            position,
            expected: expected.to_string(),
        }
    }
}

/// Parses a Zendesk search query. Keyword names are lower-cased; values keep their case.
pub fn parse(input: &str) -> Result<Query, ParseError> {
    Parser { src: input, pos: 0 }.query()
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_whitespace(&mut self) {
        let rest = self.rest();
        let trimmed = rest.trim_start();
        self.pos += rest.len() - trimmed.len();
    }

    fn query(mut self) -> Result<Query, ParseError> {
        let mut query = Query::default();
        loop {
            self.skip_whitespace();
            let Some(first) = self.peek() else {
                return Ok(query);
            };
            let term_start = self.pos;
            let negated = first == '-';
            if negated {
                self.pos += 1;
                match self.peek() {
                    Some(c) if !c.is_whitespace() => {}
                    _ => {
                        return Err(ParseError::new(
                            self.pos,
                            "a word, phrase or keyword after \"-\"",
                        ));
                    }
                }
            }
            if self.peek() == Some('"') {
                let text = self.phrase()?;
                query.terms.push(Term {
                    negated,
                    kind: TermKind::Text(Value::Phrase(text)),
                });
                continue;
            }
            if let Some((name_len, op, op_len)) = lexical::keyword_prefix(self.rest()) {
                let name = self.rest()[..name_len].to_ascii_lowercase();
                let written = &self.src[self.pos..self.pos + name_len + op_len];
                let after = format!("a value after \"{written}\"");
                self.pos += name_len + op_len;
                let value_start = self.pos;
                let value = self.keyword_value(&after)?;
                match name.as_str() {
                    "order_by" | "sort" if negated => {
                        return Err(ParseError::new(
                            term_start,
                            format!("\"{name}:\" without \"-\" (an order cannot be negated)"),
                        ));
                    }
                    "order_by" | "sort" if op != crate::ast::Op::Eq => {
                        return Err(ParseError::new(
                            value_start - op_len,
                            format!("\":\" after \"{name}\""),
                        ));
                    }
                    "order_by" => match value {
                        // `none` and `me` are typed values but fine field names.
                        Value::Word(_) | Value::None | Value::Me
                            if lexical::is_keyword_name(&value.to_string()) =>
                        {
                            query.order_by = Some(value.to_string().to_ascii_lowercase());
                        }
                        _ => {
                            return Err(ParseError::new(
                                value_start,
                                "a field name after \"order_by:\" (letters, digits, underscores)",
                            ));
                        }
                    },
                    "sort" => {
                        query.sort = Some(match value {
                            Value::Word(w) if w.eq_ignore_ascii_case("asc") => SortOrder::Asc,
                            Value::Word(w) if w.eq_ignore_ascii_case("desc") => SortOrder::Desc,
                            _ => {
                                return Err(ParseError::new(
                                    value_start,
                                    "\"asc\" or \"desc\" after \"sort:\"",
                                ));
                            }
                        });
                    }
                    _ => query.terms.push(Term {
                        negated,
                        kind: TermKind::Keyword { name, op, value },
                    }),
                }
                continue;
            }
            let token = self.token();
            query.terms.push(Term {
                negated,
                kind: TermKind::Text(classify_text_token(token)),
            });
        }
    }

    /// An unquoted run up to whitespace or a quote; may be empty.
    fn token(&mut self) -> &str {
        let rest = self.rest();
        let len = rest.find(ends_token).unwrap_or(rest.len());
        let start = self.pos;
        self.pos += len;
        &self.src[start..self.pos]
    }

    fn keyword_value(&mut self, expected: &str) -> Result<Value, ParseError> {
        if self.peek() == Some('"') {
            return Ok(Value::Phrase(self.phrase()?));
        }
        let at = self.pos;
        let token = self.token();
        if token.is_empty() {
            return Err(ParseError::new(at, expected));
        }
        Ok(classify_keyword_token(token))
    }

    /// A quoted phrase starting at the current `"`. Inside, `\"` is a quote and `\\` a
    /// backslash; any other backslash is kept as written.
    fn phrase(&mut self) -> Result<String, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut text = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos += i + 1;
                    return Ok(text);
                }
                '\\' => match chars.clone().next() {
                    Some((_, next @ ('"' | '\\'))) => {
                        chars.next();
                        text.push(next);
                    }
                    _ => text.push('\\'),
                },
                other => text.push(other),
            }
        }
        Err(ParseError::new(
            self.src.len(),
            format!("a closing '\"' for the phrase opened at {open}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{Op, RelativeDate, TimeUnit};
    use time::macros::{date, datetime};

    fn kw(name: &str, op: Op, value: Value) -> Term {
        Term {
            negated: false,
            kind: TermKind::Keyword {
                name: name.into(),
                op,
                value,
            },
        }
    }

    fn text(value: Value) -> Term {
        Term {
            negated: false,
            kind: TermKind::Text(value),
        }
    }

    fn not(mut t: Term) -> Term {
        t.negated = true;
        t
    }

    fn word(s: &str) -> Value {
        Value::Word(s.into())
    }

    fn terms(q: &str) -> Vec<Term> {
        match parse(q) {
            Ok(query) => query.terms,
            Err(e) => panic!("{q:?} did not parse: {e}"),
        }
    }

    #[test]
    fn keyword_operators() {
        assert_eq!(
            terms("status:open priority>normal status<solved created>=2024-01-31 updated<=2days"),
            vec![
                kw("status", Op::Eq, word("open")),
                kw("priority", Op::Gt, word("normal")),
                kw("status", Op::Lt, word("solved")),
                kw("created", Op::Ge, Value::Date(date!(2024 - 01 - 31))),
                kw(
                    "updated",
                    Op::Le,
                    Value::RelativeDate(RelativeDate {
                        amount: 2,
                        unit: TimeUnit::Days
                    })
                ),
            ]
        );
    }

    #[test]
    fn keywords_are_case_insensitive_values_keep_case() {
        assert_eq!(
            terms("STATUS:Open Type:Ticket"),
            vec![
                kw("status", Op::Eq, word("Open")),
                kw("type", Op::Eq, word("Ticket"))
            ]
        );
    }

    #[test]
    fn negation_of_keywords_words_and_phrases() {
        assert_eq!(
            terms("-status:closed -printer -\"on fire\""),
            vec![
                not(kw("status", Op::Eq, word("closed"))),
                not(text(word("printer"))),
                not(text(Value::Phrase("on fire".into()))),
            ]
        );
    }

    #[test]
    fn phrases_bare_and_after_keywords_with_escapes() {
        assert_eq!(
            terms(r#""exact words" subject:"two words" "say \"hi\" \\ \n""#),
            vec![
                text(Value::Phrase("exact words".into())),
                kw("subject", Op::Eq, Value::Phrase("two words".into())),
                text(Value::Phrase("say \"hi\" \\ \\n".into())),
            ]
        );
    }

    #[test]
    fn wildcards_numbers_none_me() {
        assert_eq!(
            terms("print* subject:photo* assignee:123 requester:none assignee:ME external_id:007"),
            vec![
                text(Value::Wildcard("print*".into())),
                kw("subject", Op::Eq, Value::Wildcard("photo*".into())),
                kw("assignee", Op::Eq, Value::Number(123)),
                kw("requester", Op::Eq, Value::None),
                kw("assignee", Op::Eq, Value::Me),
                kw("external_id", Op::Eq, word("007")),
            ]
        );
    }

    #[test]
    fn datetimes_and_relative_units() {
        assert_eq!(
            terms(
                "created>2024-01-31T10:00:00Z updated<2024-01-31T10:00:00+02:00 solved>2024-01-31T10:00:00"
            ),
            vec![
                kw(
                    "created",
                    Op::Gt,
                    Value::DateTime(datetime!(2024-01-31 10:00:00 UTC))
                ),
                kw(
                    "updated",
                    Op::Lt,
                    Value::DateTime(datetime!(2024-01-31 10:00:00 +2))
                ),
                kw(
                    "solved",
                    Op::Gt,
                    Value::DateTime(datetime!(2024-01-31 10:00:00 UTC))
                ),
            ]
        );
        for (q, amount, unit) in [
            ("created>4hours", 4, TimeUnit::Hours),
            ("created>1hour", 1, TimeUnit::Hours),
            ("created>30minutes", 30, TimeUnit::Minutes),
            ("created>3weeks", 3, TimeUnit::Weeks),
            ("created>1months", 1, TimeUnit::Months),
            ("created>1years", 1, TimeUnit::Years),
            ("created>2DAYS", 2, TimeUnit::Days),
        ] {
            assert_eq!(
                terms(q),
                vec![kw(
                    "created",
                    Op::Gt,
                    Value::RelativeDate(RelativeDate { amount, unit })
                )],
                "{q}"
            );
        }
        // Not a date: stays a word, the compiler reports it against the keyword.
        assert_eq!(
            terms("created>2024-13-45"),
            vec![kw("created", Op::Gt, word("2024-13-45"))]
        );
    }

    #[test]
    fn order_by_and_sort_are_pulled_out() {
        let q = parse("order_by:Created status:open sort:DESC").unwrap();
        assert_eq!(q.order_by.as_deref(), Some("created"));
        assert_eq!(q.sort, Some(SortOrder::Desc));
        assert_eq!(q.terms, vec![kw("status", Op::Eq, word("open"))]);
        assert_eq!(q.to_string(), "status:open order_by:created sort:desc");
    }

    #[test]
    fn repeated_keywords_are_kept_as_separate_terms() {
        assert_eq!(
            terms("tags:a tags:b"),
            vec![kw("tags", Op::Eq, word("a")), kw("tags", Op::Eq, word("b"))]
        );
    }

    #[test]
    fn words_that_are_not_keywords() {
        // A leading digit, a lone colon, a URL's scheme-less tail: all free text.
        assert_eq!(
            terms("1:2 :x <y"),
            vec![text(word("1:2")), text(word(":x")), text(word("<y"))]
        );
        // Values run to whitespace, so colons inside values are fine.
        assert_eq!(
            terms("subject:a:b"),
            vec![kw("subject", Op::Eq, word("a:b"))]
        );
    }

    #[test]
    fn empty_and_blank_queries_have_no_terms() {
        assert_eq!(parse("").unwrap(), Query::default());
        assert_eq!(parse(" \t\n ").unwrap(), Query::default());
    }

    #[test]
    fn errors_name_position_and_expectation() {
        let cases = [
            ("status:", 7, "a value after \"status:\""),
            ("type:ticket created>= x", 21, "a value after \"created>=\""),
            ("status: open", 7, "a value after \"status:\""),
            ("foo -", 5, "a word, phrase or keyword after \"-\""),
            ("- foo", 1, "a word, phrase or keyword after \"-\""),
            ("a \"open", 7, "a closing '\"' for the phrase opened at 2"),
            ("sort:up", 5, "\"asc\" or \"desc\" after \"sort:\""),
            (
                "order_by:\"a b\"",
                9,
                "a field name after \"order_by:\" (letters, digits, underscores)",
            ),
            (
                "-sort:asc",
                0,
                "\"sort:\" without \"-\" (an order cannot be negated)",
            ),
            ("sort>asc", 4, "\":\" after \"sort\""),
        ];
        for (q, position, expected) in cases {
            let err = parse(q).expect_err(q);
            assert_eq!(
                err,
                ParseError {
                    position,
                    expected: expected.into()
                },
                "{q}"
            );
        }
        assert_eq!(
            parse("status:").unwrap_err().to_string(),
            "expected a value after \"status:\" at 7"
        );
    }

    #[test]
    fn printer_quotes_what_would_otherwise_change_meaning() {
        let q = Query {
            terms: vec![
                kw("subject", Op::Eq, word("none")),
                kw("subject", Op::Eq, word("123")),
                kw("subject", Op::Eq, word("two words")),
                text(word("-dash")),
                text(word("a:b")),
                text(Value::Phrase("he said \"x\"".into())),
            ],
            order_by: None,
            sort: None,
        };
        assert_eq!(
            q.to_string(),
            r#"subject:"none" subject:"123" subject:"two words" "-dash" "a:b" "he said \"x\"""#
        );
        let back = parse(&q.to_string()).unwrap();
        assert_eq!(
            back.terms[0],
            kw("subject", Op::Eq, Value::Phrase("none".into()))
        );
        assert_eq!(back.terms[5], q.terms[5]);
    }

    #[test]
    fn multibyte_input_positions_are_byte_offsets() {
        let err = parse("café status:").unwrap_err();
        assert_eq!(err.position, "café status:".len());
        assert_eq!(
            terms("naïve* «x»"),
            vec![text(Value::Wildcard("naïve*".into())), text(word("«x»"))]
        );
    }
}
