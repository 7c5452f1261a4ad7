//! What a writer may expect of Zendesk's search language but it does not have: boolean `AND`
//! (every term must already match), `OR` / `||` (repeat the keyword instead), `NOT` / `!` (`-`
//! instead) and grouping parentheses. Zendesk searches them silently as text, so a query using
//! them finds nothing or the wrong records without a word; [`unsupported`] names them so a
//! caller can refuse the query and say how to write it. Also the keyword a writer most
//! likely meant when they used one Zendesk does not know ([`suggest_keyword`]:
//! `requester_id:` -> `requester:`).

use crate::ast::{Op, Query, Term, TermKind, Value};
use crate::keywords::{self, KEYWORDS};

/// Something in a query Zendesk's language does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// The word `AND`, meant as an operator.
    And,
    /// The word `OR` (or `||`), meant as an operator.
    Or,
    /// `NOT term` or `!term`, meant as negation: the term written with Zendesk's `-`.
    Not(String),
    /// A term opening or closing a parenthesis, as written (`(status:open`).
    Parentheses(String),
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsupported::And => f.write_str(
                "AND is not an operator in Zendesk search: every term must match already, so \
                 \"AND\" would be searched as a word. Leave it out, e.g. \
                 \"status:open priority:high\"",
            ),
            Unsupported::Or => f.write_str(
                "OR is not an operator in Zendesk search: it would be searched as a word, so \
                 the query would find nothing. For either of two values, repeat the keyword: \
                 \"priority:urgent priority:high\" (several values of one keyword match any \
                 of them)",
            ),
            Unsupported::Not(negated) => write!(
                f,
                "Zendesk search has no NOT or !: it would be searched as text. Put - before the \
                 term instead: {negated:?}"
            ),
            Unsupported::Parentheses(term) => write!(
                f,
                "Zendesk search has no parentheses: {term:?} would be searched as text. Write \
                 the terms without them: every term must match, and several values of one \
                 keyword match any of them (\"status:open status:pending\")"
            ),
        }
    }
}

/// An unquoted word opening or closing a parenthesis.
fn parenthesized(word: &str) -> bool {
    word.starts_with('(') || word.ends_with(')')
}

/// What `query` uses that Zendesk's language does not have, in order of appearance. Quoted
/// phrases are text on purpose and never count.
pub fn unsupported(query: &Query) -> Vec<Unsupported> {
    let mut found = Vec::new();
    for (at, term) in query.terms.iter().enumerate() {
        match &term.kind {
            TermKind::Text(Value::Word(word))
                if (word == "AND" || word == "&&") && !found.contains(&Unsupported::And) =>
            {
                found.push(Unsupported::And);
            }
            TermKind::Text(Value::Word(word))
                if (word == "OR" || word == "||") && !found.contains(&Unsupported::Or) =>
            {
                found.push(Unsupported::Or);
            }
            TermKind::Text(Value::Word(word)) if word == "NOT" || word == "!" => {
                let next = query.terms.get(at + 1).map(|next| Term {
                    negated: true,
                    kind: next.kind.clone(),
                });
                found.push(Unsupported::Not(
                    next.map_or_else(|| "-status:closed".to_owned(), |t| t.to_string()),
                ));
            }
            TermKind::Text(Value::Word(word) | Value::Wildcard(word))
                if word.len() > 1 && word.starts_with('!') =>
            {
                let rest = crate::parse(&word[1..]).ok();
                let negated = match rest.as_ref().map(|q| q.terms.as_slice()) {
                    Some([only]) => Term {
                        negated: true,
                        kind: only.kind.clone(),
                    }
                    .to_string(),
                    _ => format!("-{}", &word[1..]),
                };
                found.push(Unsupported::Not(negated));
            }
            TermKind::Text(Value::Word(word) | Value::Wildcard(word)) if parenthesized(word) => {
                found.push(Unsupported::Parentheses(word.clone()));
            }
            TermKind::Keyword {
                name,
                op,
                value: Value::Word(word) | Value::Wildcard(word),
            } if parenthesized(word) => {
                found.push(Unsupported::Parentheses(format!(
                    "{name}{}{word}",
                    op.as_str()
                )));
            }
            _ => {}
        }
    }
    found
}

/// What each relative date of `query` means in Zendesk, which writers often read backwards: a
/// relative date is a moment (that long ago) and `<` means before it, so `updated<1week` is
/// "more than a week ago", not "in the last week" (that is `updated>1week`).
pub fn relative_dates(query: &Query) -> Vec<String> {
    query
        .terms
        .iter()
        .filter_map(|term| match &term.kind {
            TermKind::Keyword {
                name,
                op,
                value: Value::RelativeDate(span),
            } => {
                let unit = span.unit.as_str();
                // `1week`, `a week`, `the last week`; `2days`, `2 days`, `the last 2 days`.
                let (short, long, last) = if span.amount == 1 {
                    let one = unit.trim_end_matches('s');
                    (format!("1{one}"), format!("a {one}"), one.to_owned())
                } else {
                    let many = format!("{} {unit}", span.amount);
                    (format!("{}{unit}", span.amount), many.clone(), many)
                };
                let not = if term.negated { "-" } else { "" };
                let written = format!("{not}{name}{}{short}", op.as_str());
                Some(match op {
                    Op::Lt | Op::Le => format!(
                        "{written} means {name} more than {long} ago in Zendesk (before the moment {long} ago: < is before){}; for the last {last} write {name}>{short}",
                        if term.negated { ", negated" } else { "" }
                    ),
                    Op::Gt | Op::Ge | Op::Eq => format!(
                        "{written} means {name} within the last {last} in Zendesk (after the moment {long} ago){}; for longer ago write {name}<{short}",
                        if term.negated { ", negated" } else { "" }
                    ),
                })
            }
            _ => None,
        })
        .collect()
}

/// Keywords people write for one Zendesk names otherwise.
const ALIASES: &[(&str, &str)] = &[
    ("tag", "tags"),
    ("state", "status"),
    ("title", "subject"),
    ("body", "comment"),
    ("org", "organization"),
    ("agent", "assignee"),
    ("created_date", "created"),
    ("updated_date", "updated"),
];

/// The keyword a writer most likely meant by one Zendesk does not know: `requester_id` ->
/// `requester` (Zendesk's keywords take the record, not its `_id`), a common alias (`tag` ->
/// `tags`), or the nearest keyword within two edits (`stauts` -> `status`).
pub fn suggest_keyword(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    if let Some(base) = name.strip_suffix("_id")
        && let Some(keyword) = keywords::lookup(base)
    {
        return Some(keyword.name);
    }
    if let Some((_, keyword)) = ALIASES.iter().find(|(alias, _)| *alias == name) {
        return keywords::lookup(keyword).map(|k| k.name);
    }
    KEYWORDS
        .iter()
        .filter(|k| k.name != "custom_field_")
        .map(|k| (distance(&name, k.name), k.name))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, keyword)| keyword)
}

/// Edit distance (insertions, deletions, substitutions).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push(
                (previous[j] + cost)
                    .min(previous[j + 1] + 1)
                    .min(current[j] + 1),
            );
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn found(query: &str) -> Vec<Unsupported> {
        unsupported(&parse(query).unwrap())
    }

    #[test]
    fn and_and_parentheses_are_found_outside_quotes_only() {
        assert_eq!(found("status:open AND priority:high"), [Unsupported::And]);
        assert_eq!(
            found("(status:open OR status:pending)"),
            [
                Unsupported::Parentheses("(status:open".into()),
                Unsupported::Or,
                Unsupported::Parentheses("status:pending)".into())
            ]
        );
        assert_eq!(
            found("subject:(printer)"),
            [Unsupported::Parentheses("subject:(printer)".into())]
        );
        assert!(found("\"fire (again)\" and status:open").is_empty());
        assert!(found("status<solved priority:urgent").is_empty());
    }

    #[test]
    fn or_and_not_are_found_with_the_rewrite() {
        assert_eq!(found("priority:urgent OR priority:high"), [Unsupported::Or]);
        assert_eq!(found("priority:urgent || priority:high"), [Unsupported::Or]);
        assert_eq!(
            found("status:open NOT status:closed"),
            [Unsupported::Not("-status:closed".into())]
        );
        assert_eq!(
            found("!status:closed printer"),
            [Unsupported::Not("-status:closed".into())]
        );
        assert_eq!(found("!urgent"), [Unsupported::Not("-urgent".into())]);
        assert!(found("\"this OR that\" -status:closed or not").is_empty());
        let or = Unsupported::Or.to_string();
        assert!(or.contains("priority:urgent priority:high"), "{or}");
        let not = Unsupported::Not("-status:closed".into()).to_string();
        assert!(not.contains("\"-status:closed\""), "{not}");
    }

    #[test]
    fn relative_dates_say_which_side_of_the_moment_they_mean() {
        let notes = relative_dates(&parse("updated<1week status:open created>2days").unwrap());
        assert_eq!(
            notes,
            [
                "updated<1week means updated more than a week ago in Zendesk (before the moment a week ago: < is before); for the last week write updated>1week",
                "created>2days means created within the last 2 days in Zendesk (after the moment 2 days ago); for longer ago write created<2days",
            ]
        );
        assert!(relative_dates(&parse("updated>2024-01-01").unwrap()).is_empty());
    }

    #[test]
    fn unknown_keywords_suggest_zendesks() {
        assert_eq!(suggest_keyword("requester_id"), Some("requester"));
        assert_eq!(suggest_keyword("organization_id"), Some("organization"));
        assert_eq!(suggest_keyword("tag"), Some("tags"));
        assert_eq!(suggest_keyword("stauts"), Some("status"));
        assert_eq!(suggest_keyword("flavour"), None);
    }

    #[test]
    fn every_alias_points_at_a_keyword() {
        for (alias, keyword) in ALIASES {
            assert!(keywords::lookup(keyword).is_some(), "{alias} -> {keyword}");
            assert_eq!(suggest_keyword(alias), Some(*keyword));
        }
    }
}
