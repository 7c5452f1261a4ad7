//! The keyword table: which keywords exist, for which record types, and what kind of value
//! each takes (ordered lists such as status, people, dates, text...). The sandbox's compiler
//! and the client's query builder both read it, so they agree on the language.
//!
//! Unknown keywords: like Zendesk, a `foo:bar` whose `foo` is not in this table is kept by
//! the parser as a keyword term and searched as the free text `foo bar` by the sandbox (see
//! [`crate::Query::unknown_keywords`] to warn about likely typos). `order_by` and `sort` are
//! not in the table: the parser takes them out of the terms.

/// The record types a search covers, as written after `type:` and in `result_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    Ticket,
    User,
    Organization,
    Group,
}

impl RecordType {
    pub const ALL: [RecordType; 4] = [
        RecordType::Ticket,
        RecordType::User,
        RecordType::Organization,
        RecordType::Group,
    ];

    /// The word, as `zendesk_types::SearchResultType` defines it (the variants are in its
    /// order).
    pub fn as_str(self) -> &'static str {
        zendesk_types::SearchResultType::KNOWN[self as usize]
    }

    /// Case-insensitive.
    pub fn from_word(word: &str) -> Option<RecordType> {
        RecordType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(word))
    }
}

impl std::fmt::Display for RecordType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a keyword's value means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordKind {
    /// `type:`: one of [`RecordType`].
    RecordType,
    /// One of a fixed list, compared by position in the list (`status<solved`).
    Ordered(&'static [&'static str]),
    /// One of a fixed list, equality only.
    Choice(&'static [&'static str]),
    /// A user: ID, email, name, `none` or `me`.
    User,
    /// An organization: ID, name or `none`.
    Organization,
    /// A group: ID, name or `none`.
    Group,
    /// A tag, exact (wildcards allowed); `none` for no tags.
    Tag,
    /// Words of a text field: words, phrases, prefixes.
    Text,
    /// A whole value compared case-insensitively (wildcards allowed): email, phone, external ID, via.
    Exact,
    /// A date or date-time, absolute or relative; all comparisons.
    Date,
    /// `custom_field_{id}`: the value of that ticket field.
    CustomField,
    /// `fieldvalue`: the value of any ticket field.
    FieldValue,
}

impl KeywordKind {
    /// Whether `<`, `<=`, `>`, `>=` mean something for this kind.
    pub fn is_ordered(self) -> bool {
        matches!(
            self,
            KeywordKind::Ordered(_) | KeywordKind::Date | KeywordKind::CustomField
        )
    }
}

/// One keyword of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyword {
    /// Lower-case name; `custom_field_` stands for every `custom_field_{id}`.
    pub name: &'static str,
    pub kind: KeywordKind,
    /// The record types the keyword applies to.
    pub types: &'static [RecordType],
}

impl Keyword {
    pub fn applies_to(&self, record_type: RecordType) -> bool {
        self.types.contains(&record_type)
    }

    /// Position of `value` (case-insensitive) in an ordered or choice list.
    pub fn rank(&self, value: &str) -> Option<usize> {
        match self.kind {
            KeywordKind::Ordered(list) | KeywordKind::Choice(list) => {
                list.iter().position(|v| v.eq_ignore_ascii_case(value))
            }
            _ => None,
        }
    }
}

/// Ticket statuses in Zendesk's order (`zendesk_types` defines them).
pub const STATUSES: &[&str] = zendesk_types::TicketStatus::KNOWN;
/// Ticket priorities in Zendesk's order.
pub const PRIORITIES: &[&str] = zendesk_types::TicketPriority::KNOWN;
pub const TICKET_TYPES: &[&str] = zendesk_types::TicketType::KNOWN;
pub const ROLES: &[&str] = zendesk_types::UserRole::KNOWN;

use RecordType::{Group as G, Organization as O, Ticket as T, User as U};

const ALL: &[RecordType] = &[T, U, O, G];

/// Every keyword, in the order the spec lists them.
pub const KEYWORDS: &[Keyword] = &[
    kw("type", KeywordKind::RecordType, ALL),
    kw("status", KeywordKind::Ordered(STATUSES), &[T]),
    kw("priority", KeywordKind::Ordered(PRIORITIES), &[T]),
    kw("ticket_type", KeywordKind::Choice(TICKET_TYPES), &[T]),
    kw("assignee", KeywordKind::User, &[T]),
    kw("requester", KeywordKind::User, &[T]),
    kw("submitter", KeywordKind::User, &[T]),
    kw("organization", KeywordKind::Organization, &[T, U]),
    kw("group", KeywordKind::Group, &[T]),
    kw("tags", KeywordKind::Tag, &[T, U, O]),
    kw("subject", KeywordKind::Text, &[T]),
    kw("description", KeywordKind::Text, &[T]),
    kw("comment", KeywordKind::Text, &[T]),
    kw("created", KeywordKind::Date, ALL),
    kw("updated", KeywordKind::Date, ALL),
    // Aliases seen in real traffic (`created_at>=2023-09-14T00:39:54Z` in a search export).
    kw("created_at", KeywordKind::Date, ALL),
    kw("updated_at", KeywordKind::Date, ALL),
    kw("solved", KeywordKind::Date, &[T]),
    kw("due_date", KeywordKind::Date, &[T]),
    kw("via", KeywordKind::Exact, &[T]),
    kw("custom_field_", KeywordKind::CustomField, &[T]),
    kw("fieldvalue", KeywordKind::FieldValue, &[T]),
    kw("name", KeywordKind::Text, &[U, O, G]),
    kw("email", KeywordKind::Exact, &[U]),
    kw("role", KeywordKind::Choice(ROLES), &[U]),
    kw("phone", KeywordKind::Exact, &[U]),
    kw("details", KeywordKind::Text, &[U, O]),
    kw("notes", KeywordKind::Text, &[U, O]),
    kw("external_id", KeywordKind::Exact, &[U, O]),
];

const fn kw(name: &'static str, kind: KeywordKind, types: &'static [RecordType]) -> Keyword {
    Keyword { name, kind, types }
}

/// The table entry for a (lower-case) keyword name; `custom_field_123` finds the
/// `custom_field_` entry.
pub fn lookup(name: &str) -> Option<&'static Keyword> {
    if custom_field_id(name).is_some() {
        return KEYWORDS.iter().find(|k| k.name == "custom_field_");
    }
    KEYWORDS
        .iter()
        .find(|k| k.name != "custom_field_" && k.name == name)
}

/// The field ID of a `custom_field_{id}` keyword.
pub fn custom_field_id(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("custom_field_")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_known_and_custom_fields_only() {
        assert_eq!(lookup("status").map(|k| k.name), Some("status"));
        assert_eq!(
            lookup("custom_field_360001").map(|k| k.name),
            Some("custom_field_")
        );
        assert_eq!(custom_field_id("custom_field_360001"), Some(360001));
        assert!(lookup("custom_field_").is_none());
        assert!(lookup("custom_field_x1").is_none());
        assert!(lookup("stauts").is_none());
        assert!(lookup("order_by").is_none());
    }

    #[test]
    fn ordered_ranks_follow_zendesk_order() {
        let status = lookup("status").unwrap();
        assert!(status.rank("open") < status.rank("Solved"));
        assert_eq!(status.rank("hold"), Some(3));
        assert_eq!(status.rank("bogus"), None);
        let priority = lookup("priority").unwrap();
        assert_eq!(priority.rank("URGENT"), Some(3));
        assert!(priority.kind.is_ordered());
        assert!(!lookup("tags").unwrap().kind.is_ordered());
    }

    #[test]
    fn record_types_are_the_search_result_types() {
        let words: Vec<&str> = RecordType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(words, ["ticket", "user", "organization", "group"]);
        assert_eq!(words, zendesk_types::SearchResultType::KNOWN);
    }

    #[test]
    fn types_per_keyword() {
        assert!(lookup("organization").unwrap().applies_to(RecordType::User));
        assert!(
            !lookup("organization")
                .unwrap()
                .applies_to(RecordType::Group)
        );
        assert!(lookup("name").unwrap().applies_to(RecordType::Group));
        assert!(!lookup("status").unwrap().applies_to(RecordType::User));
        assert_eq!(
            RecordType::from_word("Organization"),
            Some(RecordType::Organization)
        );
    }
}
