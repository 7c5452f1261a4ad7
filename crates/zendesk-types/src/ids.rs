//! Typed record IDs. Each wraps the wire value and serializes as that plain JSON number (or
//! string, for job statuses), so a `TicketId` can never be passed where a `UserId` is expected.
//! `FromStr` is how tools turn a parameter (`"12345"`) into an ID; it names the field kind in
//! its error.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A value that does not parse as an ID of the given kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}: expected {expected}")]
pub struct ParseIdError {
    /// Which ID kind was being parsed, in Zendesk's words ("ticket ID").
    pub what: &'static str,
    /// The offending input, as given.
    pub value: String,
    /// The expected form, for the message.
    pub expected: &'static str,
}

macro_rules! numeric_id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The raw number Zendesk uses.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<u64> for $name {
            fn from(value: u64) -> Self {
                Self(value)
            }
        }

        impl From<$name> for u64 {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            /// Accepts a positive decimal integer, surrounding whitespace ignored.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().parse::<u64>() {
                    Ok(n) if n > 0 => Ok(Self(n)),
                    _ => Err(ParseIdError {
                        what: $what,
                        value: s.to_owned(),
                        expected: "a positive integer such as \"12345\"",
                    }),
                }
            }
        }
    };
}

numeric_id!(
    /// A ticket's `id`.
    TicketId,
    "ticket ID"
);
numeric_id!(
    /// A user's `id` (requester, submitter, assignee, author...).
    UserId,
    "user ID"
);
numeric_id!(
    /// An organization's `id`.
    OrganizationId,
    "organization ID"
);
numeric_id!(
    /// A group's `id`.
    GroupId,
    "group ID"
);
numeric_id!(
    /// An organization field's `id` (fields are also addressed by `key`).
    OrganizationFieldId,
    "organization field ID"
);
numeric_id!(
    /// A ticket field's `id`, as found in a ticket's `custom_fields` and `fields`.
    TicketFieldId,
    "ticket field ID"
);
numeric_id!(
    /// A ticket audit's `id`.
    AuditId,
    "audit ID"
);
numeric_id!(
    /// A ticket comment's `id`.
    CommentId,
    "comment ID"
);
numeric_id!(
    /// A brand's `id`.
    BrandId,
    "brand ID"
);
numeric_id!(
    /// A ticket form's `id`.
    TicketFormId,
    "ticket form ID"
);
numeric_id!(
    /// A custom ticket status's `id`.
    CustomStatusId,
    "custom status ID"
);
numeric_id!(
    /// A dropdown option's `id` in a field's `custom_field_options`.
    CustomFieldOptionId,
    "custom field option ID"
);
numeric_id!(
    /// A group membership's `id`: one agent in one group.
    GroupMembershipId,
    "group membership ID"
);
numeric_id!(
    /// An attachment's `id` (a file on a comment).
    AttachmentId,
    "attachment ID"
);

numeric_id!(
    /// A macro's `id`.
    MacroId,
    "macro ID"
);
numeric_id!(
    /// A view's `id`.
    ViewId,
    "view ID"
);
numeric_id!(
    /// A Help Center article's `id`.
    ArticleId,
    "article ID"
);
numeric_id!(
    /// A Help Center section's `id`.
    SectionId,
    "section ID"
);
numeric_id!(
    /// A Help Center category's `id`.
    CategoryId,
    "category ID"
);
numeric_id!(
    /// A trigger's `id`.
    TriggerId,
    "trigger ID"
);
numeric_id!(
    /// An automation's `id`.
    AutomationId,
    "automation ID"
);

/// IDs Zendesk writes as strings. They go into URL paths, so `FromStr` lets through only
/// letters, digits, `-` and `_` (at most 128), surrounding whitespace ignored.
macro_rules! text_id {
    ($(#[$meta:meta])* $name:ident, $what:literal, $example:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The ID as Zendesk wrote it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                let fits = !t.is_empty()
                    && t.len() <= 128
                    && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if fits {
                    Ok(Self(t.to_owned()))
                } else {
                    Err(ParseIdError {
                        what: $what,
                        value: s.to_owned(),
                        expected: concat!("letters and digits such as \"", $example, "\""),
                    })
                }
            }
        }
    };
}

text_id!(
    /// A webhook's `id`: a ULID string (`01HANAN7NVBM93Z21ZGCXESV8X`).
    WebhookId,
    "webhook ID",
    "01HANAN7NVBM93Z21ZGCXESV8X"
);
text_id!(
    /// One delivery of a webhook (`X-Zendesk-Webhook-Invocation-Id`), retried attempts included.
    WebhookInvocationId,
    "webhook invocation ID",
    "8350205582"
);
text_id!(
    /// A trigger category's `id` (Zendesk writes it as a string of digits, `"10001"`).
    TriggerCategoryId,
    "trigger category ID",
    "10001"
);

/// A job status's `id`. Zendesk job IDs are strings (`"V3-3453357b842a394f4b7c092020d42e30"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobStatusId(pub String);

impl JobStatusId {
    /// The ID as Zendesk wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobStatusId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for JobStatusId {
    type Err = ParseIdError;

    /// Accepts letters, digits, `-` and `_` (the ID goes into a URL path, so nothing else is
    /// let through), surrounding whitespace ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        if !t.is_empty()
            && t.len() <= 128
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(Self(t.to_owned()))
        } else {
            Err(ParseIdError {
                what: "job status ID",
                value: s.to_owned(),
                expected: "letters, digits, '-' or '_' such as \"V3-3453357b842a394f\"",
            })
        }
    }
}
