//! The shape rules of the language, shared by the parser (to type tokens), the printer (to
//! decide what must be quoted) and the builder (to type the values it is given), so the three
//! can never disagree.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

use crate::ast::{Op, RelativeDate, TimeUnit, Value};

/// True for the characters that end an unquoted token.
pub(crate) fn ends_token(c: char) -> bool {
    c.is_whitespace() || c == '"'
}

/// `[A-Za-z_][A-Za-z0-9_]*`: what may stand before `:`, `<` or `>` to make a keyword.
pub fn is_keyword_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// When `s` starts with `name` + operator, the name's length, the operator and its length.
pub(crate) fn keyword_prefix(s: &str) -> Option<(usize, Op, usize)> {
    let name_len = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    if !is_keyword_name(&s[..name_len]) {
        return None;
    }
    let rest = &s[name_len..];
    let (op, op_len) = if rest.starts_with("<=") {
        (Op::Le, 2)
    } else if rest.starts_with(">=") {
        (Op::Ge, 2)
    } else if rest.starts_with('<') {
        (Op::Lt, 1)
    } else if rest.starts_with('>') {
        (Op::Gt, 1)
    } else if rest.starts_with(':') {
        (Op::Eq, 1)
    } else {
        return None;
    };
    Some((name_len, op, op_len))
}

/// Types an unquoted token that follows a keyword.
pub fn classify_keyword_token(token: &str) -> Value {
    if token.eq_ignore_ascii_case("none") {
        return Value::None;
    }
    if token.eq_ignore_ascii_case("me") {
        return Value::Me;
    }
    if token.contains('*') {
        return Value::Wildcard(token.to_owned());
    }
    if let Some(n) = parse_number(token) {
        return Value::Number(n);
    }
    if let Some(d) = parse_date(token) {
        return Value::Date(d);
    }
    if let Some(dt) = parse_datetime(token) {
        return Value::DateTime(dt);
    }
    if let Some(r) = parse_relative(token) {
        return Value::RelativeDate(r);
    }
    Value::Word(token.to_owned())
}

/// Types an unquoted free-text token: only wildcards are special there.
pub(crate) fn classify_text_token(token: &str) -> Value {
    if token.contains('*') {
        Value::Wildcard(token.to_owned())
    } else {
        Value::Word(token.to_owned())
    }
}

fn is_unquotable(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(ends_token)
}

/// A word that, printed bare after a keyword, reads back as the same `Word`.
pub(crate) fn is_plain_keyword_word(s: &str) -> bool {
    is_unquotable(s) && matches!(classify_keyword_token(s), Value::Word(_))
}

/// A word that, printed bare as free text (after a `-` when `negated`), reads back as the
/// same text `Word`.
pub(crate) fn is_plain_text_word(s: &str, negated: bool) -> bool {
    is_unquotable(s) && !s.contains('*') && is_text_safe(s, negated)
}

/// A wildcard that can be printed bare after a keyword.
pub(crate) fn is_plain_wildcard(s: &str) -> bool {
    is_unquotable(s) && s.contains('*')
}

/// A wildcard that can be printed bare as free text.
pub(crate) fn is_plain_text_wildcard(s: &str, negated: bool) -> bool {
    is_plain_wildcard(s) && is_text_safe(s, negated)
}

/// Free text must not read as a keyword, nor as a negation unless it already is one.
fn is_text_safe(s: &str, negated: bool) -> bool {
    (negated || !s.starts_with('-')) && keyword_prefix(s).is_none()
}

/// A canonical non-negative integer: digits only, no leading zero (so `007` stays a word and
/// keeps its zeros), within `u64`.
fn parse_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DD`, a real calendar date.
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// ISO 8601 date-time: RFC 3339 (`2024-01-31T10:00:00Z`, `...+02:00`, fractions), or the same
/// without an offset, read as UTC.
pub fn parse_datetime(s: &str) -> Option<OffsetDateTime> {
    if s.len() < 19 || !matches!(s.as_bytes()[10], b'T' | b't') {
        return None;
    }
    if let Ok(dt) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(dt);
    }
    // No offset: `YYYY-MM-DDTHH:MM:SS` exactly.
    if s.len() != 19 {
        return None;
    }
    let date = parse_date(s.get(0..10)?)?;
    let b = s.as_bytes();
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let two = |r: std::ops::Range<usize>| -> Option<u8> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let time = Time::from_hms(two(11..13)?, two(14..16)?, two(17..19)?).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

/// `<digits><unit>` with unit minute(s), hour(s), day(s), week(s), month(s), year(s).
pub fn parse_relative(s: &str) -> Option<RelativeDate> {
    let digits_end = s.find(|c: char| !c.is_ascii_digit())?;
    if digits_end == 0 {
        return None;
    }
    let amount: u32 = s[..digits_end].parse().ok()?;
    let unit = TimeUnit::from_word(&s[digits_end..])?;
    Some(RelativeDate { amount, unit })
}
