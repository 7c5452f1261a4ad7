//! The closed vocabularies Zendesk uses (ticket status, priority, ticket type, user role,
//! organization and ticket field types, job status state, search result type, sort order, the
//! `sort` values of lists), defined here once: the query language, the client, the tools and the
//! CLI read their lists from `KNOWN` and the constants below. Each enum keeps values it does not know in
//! `Unknown(String)`, so a response carrying a value added by Zendesk later still decodes and
//! re-encodes to the very same string. Decoding is exact (what Zendesk sent is kept as sent);
//! `FromStr` is the lenient, validating parser the tools use for parameters: trimmed,
//! case-insensitive, and refusing unknown values with the list of accepted ones.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A parameter value outside an enum's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: expected one of {}", expected.join(", "))]
pub struct ParseEnumError {
    /// The vocabulary, in Zendesk's words ("ticket status").
    pub what: &'static str,
    /// The offending input, as given.
    pub value: String,
    /// Every accepted value.
    pub expected: &'static [&'static str],
}

macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal,
        { $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this crate does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every value this crate knows, in Zendesk's order.
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(s) => s,
                }
            }

            /// False for a value kept in `Unknown`.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }

            /// Exact mapping of a wire string (no trimming, no case folding).
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = ParseEnumError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $(
                    if t.eq_ignore_ascii_case($wire) {
                        return Ok(Self::$variant);
                    }
                )+
                Err(ParseEnumError { what: $what, value: s.to_owned(), expected: Self::KNOWN })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok(Self::from_wire(&s))
            }
        }
    };
}

// The webhook and business-rule vocabularies (`webhooks`, `triggers`) are declared beside
// their records with the same macro.
pub(crate) use wire_enum;

wire_enum!(
    /// A ticket's `status`.
    TicketStatus, "ticket status",
    {
        New => "new",
        Open => "open",
        Pending => "pending",
        Hold => "hold",
        Solved => "solved",
        Closed => "closed",
    }
);

impl TicketStatus {
    /// Position in Zendesk's status order (new < open < pending < hold < solved < closed), which
    /// search comparisons such as `status<solved` use. `None` for an unknown status.
    pub fn rank(&self) -> Option<u8> {
        Some(match self {
            Self::New => 0,
            Self::Open => 1,
            Self::Pending => 2,
            Self::Hold => 3,
            Self::Solved => 4,
            Self::Closed => 5,
            Self::Unknown(_) => return None,
        })
    }
}

wire_enum!(
    /// A ticket's `priority`.
    TicketPriority, "ticket priority",
    {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

impl TicketPriority {
    /// Position in Zendesk's priority order (low < normal < high < urgent). `None` if unknown.
    pub fn rank(&self) -> Option<u8> {
        Some(match self {
            Self::Low => 0,
            Self::Normal => 1,
            Self::High => 2,
            Self::Urgent => 3,
            Self::Unknown(_) => return None,
        })
    }
}

wire_enum!(
    /// A ticket's `type`, in the order of Zendesk's Type field.
    TicketType, "ticket type",
    {
        Question => "question",
        Incident => "incident",
        Problem => "problem",
        Task => "task",
    }
);

wire_enum!(
    /// A user's `role`.
    UserRole, "user role",
    {
        EndUser => "end-user",
        Agent => "agent",
        Admin => "admin",
    }
);

wire_enum!(
    /// An organization field's `type`.
    OrganizationFieldType, "organization field type",
    {
        Text => "text",
        Textarea => "textarea",
        Checkbox => "checkbox",
        Date => "date",
        Integer => "integer",
        Decimal => "decimal",
        Regexp => "regexp",
        Dropdown => "dropdown",
        Lookup => "lookup",
        Multiselect => "multiselect",
    }
);

impl OrganizationFieldType {
    /// The types an organization field can be created with (`multiselect` only comes from
    /// Zendesk's own fields).
    pub const CREATABLE: &'static [&'static str] = &[
        "text", "textarea", "checkbox", "date", "integer", "decimal", "regexp", "dropdown",
        "lookup",
    ];
}

wire_enum!(
    /// A job status's `status`: where a background job is in its lifecycle.
    JobState, "job status",
    {
        Queued => "queued",
        Working => "working",
        Completed => "completed",
        Failed => "failed",
        Killed => "killed",
    }
);

impl JobState {
    /// True once the job will not change any more (completed, failed or killed).
    pub fn is_finished(&self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Killed)
    }
}

wire_enum!(
    /// The kind of record a search result is (`result_type`), and what search export's
    /// `filter[type]` selects.
    SearchResultType, "search result type",
    {
        Ticket => "ticket",
        User => "user",
        Organization => "organization",
        Group => "group",
    }
);

wire_enum!(
    /// A list's direction: `sort_order` under offset paging (comments, search).
    SortOrder, "sort order",
    {
        Asc => "asc",
        Desc => "desc",
    }
);

wire_enum!(
    /// A ticket field's `type`: the custom types an admin creates, then the system fields'
    /// own types (`subject`, `status`, ...).
    TicketFieldType, "ticket field type",
    {
        Text => "text",
        Textarea => "textarea",
        Checkbox => "checkbox",
        Date => "date",
        Integer => "integer",
        Decimal => "decimal",
        Regexp => "regexp",
        PartialCreditCard => "partialcreditcard",
        Multiselect => "multiselect",
        Tagger => "tagger",
        Lookup => "lookup",
        Subject => "subject",
        Description => "description",
        Status => "status",
        CustomStatus => "custom_status",
        TicketType => "tickettype",
        Priority => "priority",
        Group => "group",
        Assignee => "assignee",
    }
);

impl TicketFieldType {
    /// The types an admin can create (the others are Zendesk's system fields).
    pub const CUSTOM: &'static [&'static str] = &[
        "text",
        "textarea",
        "checkbox",
        "date",
        "integer",
        "decimal",
        "regexp",
        "partialcreditcard",
        "multiselect",
        "tagger",
        "lookup",
    ];
}

/// The `sort` values `GET /tickets` accepts under cursor paging: a field, `-` first for
/// descending order.
pub const TICKET_SORTS: &[&str] = &[
    "updated_at",
    "-updated_at",
    "id",
    "-id",
    "status",
    "-status",
];

/// The `sort` values `GET /tickets/{id}/comments` accepts under cursor paging (oldest first by
/// default; `-created_at` for newest first).
pub const COMMENT_SORTS: &[&str] = &["created_at", "-created_at"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ticket_field_types_are_known_types() {
        for custom in TicketFieldType::CUSTOM {
            assert!(TicketFieldType::from_wire(custom).is_known(), "{custom}");
        }
    }

    #[test]
    fn sorts_are_fields_with_an_optional_minus() {
        for sorts in [TICKET_SORTS, COMMENT_SORTS] {
            for pair in sorts.chunks(2) {
                assert_eq!(format!("-{}", pair[0]), pair[1]);
            }
        }
    }

    #[test]
    fn parsing_is_trimmed_case_insensitive_and_names_the_choices() {
        assert_eq!(
            " Pending ".parse::<TicketStatus>(),
            Ok(TicketStatus::Pending)
        );
        let error = "opened".parse::<TicketStatus>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid ticket status \"opened\": expected one of new, open, pending, hold, solved, closed"
        );
        assert_eq!("DESC".parse::<SortOrder>(), Ok(SortOrder::Desc));
    }
}
