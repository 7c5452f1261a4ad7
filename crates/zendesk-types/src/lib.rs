//! Wire models of the Zendesk Support API: the records (tickets, comments, audits, ticket
//! fields, users, organizations, organization fields, groups, group memberships, job statuses,
//! search results, triggers, automations, webhooks, incremental export pages), the list
//! envelopes and the error bodies, exactly as Zendesk sends them. Pure data: no I/O lives here,
//! but for [`shared`], which finds the project's reference material for the tests that need it.
//!
//! Design:
//! - **Nothing Zendesk sends is dropped.** Every record has `#[serde(flatten)] extra`, holding
//!   each key the struct does not name, so a decoded record re-encodes with the same keys and
//!   values (the `recordings` test checks this against real Zendesk traffic).
//! - **Null versus absent.** A field Zendesk always sends is a plain `Vec`/`bool`/`Map`, or an
//!   `Option` that re-encodes `None` as `null`; a field Zendesk sends only sometimes (and never
//!   as null) is an `Option` left out when `None`. Fields whose presence varies in ways not
//!   modelled simply stay in `extra`.
//! - **Open vocabularies.** Enums (status, priority, type, role, field type, job state) have an
//!   `Unknown(String)` variant: a value Zendesk adds later decodes and re-encodes unchanged.
//!   Their `FromStr` is the strict, case-insensitive parser for tool parameters, and their
//!   `KNOWN` lists are the one definition every other crate uses (with `limits` for numbers).
//! - **Tagged unions kept open.** Audit events (`type`) and search results (`result_type`)
//!   decode into named variants, with an `Other` variant holding any other kind whole.
//! - **The list key is part of the type** (`ListKey`, `RecordKey`): `CursorPage<Ticket>` reads
//!   `tickets`, `OffsetPage<SearchResult>` reads `results`.
//! - **Typed IDs** (`TicketId`, `UserId`, ...) serialize as the plain number (job status IDs as
//!   strings) and parse from parameters with `FromStr`.
//! - **Errors in every shape** decode into one `ErrorBody` with `code()`, `description()`,
//!   `details()` and a combined `message()`.

pub mod audit;
pub mod business_rules;
pub mod enums;
pub mod envelope;
pub mod error;
pub mod group;
pub mod help_center;
pub mod ids;
pub mod incremental;
pub mod job_status;
pub mod limits;
pub mod organization;
pub mod search;
pub mod shared;
pub mod ticket;
pub mod ticket_field;
pub mod triggers;
pub mod user;
pub mod webhook_signature;
pub mod webhooks;

pub use audit::{Attachment, Audit, AuditEvent, Comment, FieldEvent, Upload, content_type_for};
pub use business_rules::{Macro, MacroComment, MacroResult, View, ViewCount};
pub use enums::{
    COMMENT_SORTS, JobState, OrganizationFieldType, ParseEnumError, SearchResultType, SortOrder,
    TICKET_SORTS, TicketFieldType, TicketPriority, TicketStatus, TicketType, UserRole,
};
pub use envelope::{
    CursorLinks, CursorMeta, CursorPage, ListKey, OffsetPage, Page, RecordKey, Single,
};
pub use error::{ErrorBody, ErrorItem, FieldError};
pub use group::{Group, GroupMembership};
pub use help_center::{Article, ArticleHit, Category, Section};
pub use ids::{
    ArticleId, AttachmentId, AuditId, BrandId, CategoryId, CommentId, CustomFieldOptionId,
    CustomStatusId, GroupId, GroupMembershipId, JobStatusId, MacroId, OrganizationFieldId,
    OrganizationId, ParseIdError, SectionId, TicketFieldId, TicketFormId, TicketId, UserId, ViewId,
};
pub use ids::{AutomationId, TriggerCategoryId, TriggerId, WebhookId, WebhookInvocationId};
pub use incremental::{CursorExportPage, TicketEvent, TimeExportPage};
pub use job_status::{JobResult, JobResults, JobStatus};
pub use organization::{CustomFieldOption, Organization, OrganizationField};
pub use search::{SearchCount, SearchResult};
pub use ticket::{CustomFieldValue, SatisfactionRating, Ticket, TicketAndAudit, Via, ViaSource};
pub use ticket_field::{SystemFieldOption, TicketField};
pub use triggers::{
    Action, Automation, Condition, ConditionOperator, Conditions, Definition, RuleDefinitions,
    Trigger, TriggerCategory,
};
pub use user::{Photo, User};
pub use webhooks::{
    Webhook, WebhookAttempt, WebhookHttpMethod, WebhookInvocation, WebhookRequestFormat,
    WebhookSigningSecret, WebhookStatus, WebhookTestResponse,
};

/// A body that did not decode into the expected type, with the JSON path of the failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode {what}: at {path}: {message}")]
pub struct DecodeError {
    /// What was being decoded (a type name).
    pub what: &'static str,
    /// Where in the body it failed, like `tickets[3].status` (`.` for the top).
    pub path: String,
    /// serde's message: the expected type, at most quoting the one offending value.
    pub message: String,
}

/// Decodes a JSON body into `T`, naming the failing path on error.
pub fn from_slice<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| DecodeError {
        what: std::any::type_name::<T>(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })?;
    de.end().map_err(|e| DecodeError {
        what: std::any::type_name::<T>(),
        path: ".".to_owned(),
        message: e.to_string(),
    })?;
    Ok(value)
}

/// Decodes an already parsed JSON value into `T`, naming the failing path on error.
pub fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(|e| DecodeError {
        what: std::any::type_name::<T>(),
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}
