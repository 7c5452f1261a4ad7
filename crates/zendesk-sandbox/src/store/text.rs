//! The text rules both backends' full text follows, so both find the same words: folding
//! (`fold_text`) and what a custom field's text value means as a number (`number_text`).

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
