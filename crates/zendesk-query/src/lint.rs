//! What a writer may expect of Zendesk's search language but it does not have: a boolean `AND`
//! (every term must already match) and grouping parentheses. Zendesk searches both silently as
//! text, so a query using them finds the wrong records without a word; [`unsupported`] names
//! them so a caller can refuse the query and say how to write it. Also the keyword a writer most
//! likely meant when they used one Zendesk does not know ([`suggest_keyword`]:
//! `requester_id:` -> `requester:`).

use crate::ast::{Query, TermKind, Value};
use crate::keywords::{self, KEYWORDS};

/// Something in a query Zendesk's language does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsupported {
    /// The word `AND`, meant as an operator.
    And,
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
    for term in &query.terms {
        match &term.kind {
            TermKind::Text(Value::Word(word))
                if (word == "AND" || word == "&&") && !found.contains(&Unsupported::And) =>
            {
                found.push(Unsupported::And);
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
