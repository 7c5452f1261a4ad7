//! The closed vocabularies Zendesk uses (ticket status, priority, ticket type, user role,
//! organization field type, job status state). Each enum keeps values it does not know in
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
    /// A ticket's `type`.
    TicketType, "ticket type",
    {
        Problem => "problem",
        Incident => "incident",
        Question => "question",
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
