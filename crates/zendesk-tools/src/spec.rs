//! The declaration side of the registry: the spec types (`ToolSpec`, `ParamSpec`,
//! `OutputSpec`, `Annotations`), the small constructors every tool declaration is written with,
//! and the output field lists that several tools share (a ticket, a user, an organization, a job
//! status, paging, metadata). Texts here are the spec's, word for word: `tests/registry_matches_spec.rs`
//! holds them to `spec/tools.json`.

use serde::Serialize;

/// Who supplies a parameter's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FilledBy {
    /// The caller (a model or a person) chooses it per call.
    Model,
    /// Credentials and connection settings: the user's configuration, never a model.
    Configuration,
}

/// What values a parameter takes, beyond its string type: the MCP input schema says it (an
/// `enum`, or a string-or-array), and the registry checks it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ParamForm {
    /// Any string of the form the description gives (an ID, a text, JSON...).
    #[default]
    Text,
    /// One of these values (case and surrounding spaces ignored).
    OneOf(&'static [&'static str]),
    /// A list: a comma-separated string, or a JSON array of strings (or numbers, for IDs).
    List,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParamSpec {
    pub name: &'static str,
    /// Always `"string"` for the seed's tools, as `tools.json` says.
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub required: bool,
    pub description: &'static str,
    #[serde(skip)]
    pub filled_by: FilledBy,
    /// Closed value sets and lists. Not part of `tools.json`'s shape, so not serialized there.
    #[serde(skip)]
    pub form: ParamForm,
}

impl ParamSpec {
    /// The same param, taking only these values.
    pub(crate) fn one_of(mut self, values: &'static [&'static str]) -> Self {
        self.form = ParamForm::OneOf(values);
        self
    }

    /// The same param, `"true"` or `"false"`.
    pub(crate) fn flag(self) -> Self {
        self.one_of(&["true", "false"])
    }

    /// The same param, a comma-separated list or a JSON array.
    pub(crate) fn list(mut self) -> Self {
        self.form = ParamForm::List;
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct OutputSpec {
    pub name: &'static str,
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub description: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<OutputSpec>,
}

/// MCP-style hints about what a tool does to the help desk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolSpec {
    pub id: &'static str,
    pub description: &'static str,
    pub params: Vec<ParamSpec>,
    pub outputs: Vec<OutputSpec>,
    #[serde(skip)]
    pub annotations: Annotations,
}

impl ToolSpec {
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|param| param.name == name)
    }

    /// The names a caller may pass, in declaration order (for "valid names are ..." messages).
    pub fn param_names(&self) -> Vec<&'static str> {
        self.params.iter().map(|param| param.name).collect()
    }
}

pub(crate) const READ_ONLY: Annotations = Annotations {
    read_only: true,
    destructive: false,
    idempotent: true,
};
/// Creates something new each time it is called.
pub(crate) const WRITE: Annotations = Annotations {
    read_only: false,
    destructive: false,
    idempotent: false,
};
/// Sets fields to given values: calling twice leaves the same state as calling once.
pub(crate) const IDEMPOTENT_WRITE: Annotations = Annotations {
    read_only: false,
    destructive: false,
    idempotent: true,
};
/// Removes or overwrites data that cannot be brought back (deletes, merges).
pub(crate) const DESTRUCTIVE: Annotations = Annotations {
    read_only: false,
    destructive: true,
    idempotent: false,
};
/// Removes data, but a second identical call finds nothing more to remove.
pub(crate) const DESTRUCTIVE_IDEMPOTENT: Annotations = Annotations {
    read_only: false,
    destructive: true,
    idempotent: true,
};

pub(crate) fn required(name: &'static str, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        ty: "string",
        required: true,
        description,
        filled_by: FilledBy::Model,
        form: ParamForm::Text,
    }
}

pub(crate) fn optional(name: &'static str, description: &'static str) -> ParamSpec {
    ParamSpec {
        required: false,
        ..required(name, description)
    }
}

/// The optional `fields` of every list and search tool: a model asks for the keys it needs and
/// reads a few KB instead of a page of whole records.
pub(crate) fn fields_param() -> ParamSpec {
    optional(
        "fields",
        "Optional: comma-separated top-level keys to return for each record, e.g. \"id,subject,status,updated_at\" (id is always returned; leave out for whole records)",
    )
    .list()
}

/// The names of a record's top-level output fields: what `fields` may ask for.
pub(crate) fn keys_of(fields: &[OutputSpec]) -> Vec<&'static str> {
    fields.iter().map(|field| field.name).collect()
}

/// The seed words the `subdomain` description two ways; each tool keeps its own.
#[derive(Clone, Copy)]
pub(crate) enum Subdomain {
    Plain,
    WithExample,
}

/// The three credential params every tool declares first. The spec marks them required; they
/// are filled from configuration when the caller leaves them out.
pub(crate) fn with_credentials(subdomain: Subdomain, rest: Vec<ParamSpec>) -> Vec<ParamSpec> {
    let credential = |name, description| ParamSpec {
        filled_by: FilledBy::Configuration,
        ..required(name, description)
    };
    let mut params = vec![
        credential("email", "Your Zendesk email address"),
        credential("apiToken", "Zendesk API token"),
        credential(
            "subdomain",
            match subdomain {
                Subdomain::Plain => "Your Zendesk subdomain",
                Subdomain::WithExample => {
                    "Your Zendesk subdomain (e.g., \"mycompany\" for mycompany.zendesk.com)"
                }
            },
        ),
    ];
    params.extend(rest);
    params
}

pub(crate) fn out(name: &'static str, ty: &'static str, description: &'static str) -> OutputSpec {
    OutputSpec {
        name,
        ty,
        description,
        fields: Vec::new(),
    }
}

pub(crate) fn nested(
    name: &'static str,
    ty: &'static str,
    description: &'static str,
    fields: Vec<OutputSpec>,
) -> OutputSpec {
    OutputSpec {
        name,
        ty,
        description,
        fields,
    }
}

pub(crate) fn ticket_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "number", "Automatically assigned ticket ID"),
        out("url", "string", "API URL of the ticket"),
        out(
            "external_id",
            "string",
            "External ID for linking to external records",
        ),
        nested(
            "via",
            "object",
            "How the ticket was created",
            vec![
                out(
                    "channel",
                    "string",
                    "Channel through which the ticket was created (e.g., email, web, api)",
                ),
                nested(
                    "source",
                    "object",
                    "Source details for the channel",
                    vec![
                        nested(
                            "from",
                            "object",
                            "Information about the source sender",
                            vec![
                                out("address", "string", "Email address or other identifier"),
                                out("name", "string", "Name of the sender"),
                            ],
                        ),
                        nested(
                            "to",
                            "object",
                            "Information about the recipient",
                            vec![
                                out("address", "string", "Email address or other identifier"),
                                out("name", "string", "Name of the recipient"),
                            ],
                        ),
                        out("rel", "string", "Relationship type"),
                    ],
                ),
            ],
        ),
        out(
            "created_at",
            "string",
            "When the ticket was created (ISO 8601 format)",
        ),
        out(
            "updated_at",
            "string",
            "When the ticket was last updated (ISO 8601 format)",
        ),
        out(
            "type",
            "string",
            "Ticket type (problem, incident, question, task)",
        ),
        out("subject", "string", "Subject of the ticket"),
        out(
            "raw_subject",
            "string",
            "Subject of the ticket as entered by the requester",
        ),
        out(
            "description",
            "string",
            "Read-only first comment on the ticket",
        ),
        out(
            "priority",
            "string",
            "Priority level (low, normal, high, urgent)",
        ),
        out(
            "status",
            "string",
            "Ticket status (new, open, pending, hold, solved, closed)",
        ),
        out("recipient", "string", "Original recipient email address"),
        out("requester_id", "number", "User ID of the ticket requester"),
        out("submitter_id", "number", "User ID of the ticket submitter"),
        out(
            "assignee_id",
            "number",
            "User ID of the agent assigned to the ticket",
        ),
        out(
            "organization_id",
            "number",
            "Organization ID of the requester",
        ),
        out("group_id", "number", "Group ID assigned to the ticket"),
        out(
            "collaborator_ids",
            "array",
            "User IDs of collaborators (CC)",
        ),
        out("follower_ids", "array", "User IDs of followers"),
        out("email_cc_ids", "array", "User IDs of email CCs"),
        out(
            "forum_topic_id",
            "number",
            "Topic ID in the community forum",
        ),
        out(
            "problem_id",
            "number",
            "For incident tickets, the ID of the associated problem ticket",
        ),
        out(
            "has_incidents",
            "boolean",
            "Whether the ticket has incident tickets linked",
        ),
        out(
            "is_public",
            "boolean",
            "Whether the first comment is public",
        ),
        out(
            "due_at",
            "string",
            "Due date for task tickets (ISO 8601 format)",
        ),
        out("tags", "array", "Tags associated with the ticket"),
        nested(
            "custom_fields",
            "array",
            "Custom ticket fields",
            vec![
                out("id", "number", "Custom field ID"),
                out("value", "string", "Custom field value"),
            ],
        ),
        out("custom_status_id", "number", "Custom status ID"),
        nested(
            "satisfaction_rating",
            "object",
            "Customer satisfaction rating",
            vec![
                out("id", "number", "Satisfaction rating ID"),
                out(
                    "score",
                    "string",
                    "Rating score (e.g., good, bad, offered, unoffered)",
                ),
                out("comment", "string", "Comment left with the rating"),
            ],
        ),
        out("sharing_agreement_ids", "array", "Sharing agreement IDs"),
        out("followup_ids", "array", "IDs of follow-up tickets"),
        out("brand_id", "number", "Brand ID the ticket belongs to"),
        out(
            "allow_attachments",
            "boolean",
            "Whether attachments are allowed",
        ),
        out(
            "allow_channelback",
            "boolean",
            "Whether channelback is enabled",
        ),
        out(
            "from_messaging_channel",
            "boolean",
            "Whether the ticket originated from a messaging channel",
        ),
        out("ticket_form_id", "number", "Ticket form ID"),
        out(
            "generated_timestamp",
            "number",
            "Unix timestamp of the ticket generation",
        ),
    ]
}

pub(crate) fn user_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "number", "Automatically assigned user ID"),
        out("url", "string", "API URL of the user"),
        out("name", "string", "User name"),
        out("email", "string", "Primary email address"),
        out(
            "created_at",
            "string",
            "When the user was created (ISO 8601 format)",
        ),
        out(
            "updated_at",
            "string",
            "When the user was last updated (ISO 8601 format)",
        ),
        out(
            "time_zone",
            "string",
            "Time zone (e.g., Eastern Time (US & Canada))",
        ),
        out(
            "iana_time_zone",
            "string",
            "IANA time zone (e.g., America/New_York)",
        ),
        out("phone", "string", "Phone number"),
        out(
            "shared_phone_number",
            "boolean",
            "Whether the phone number is shared",
        ),
        nested(
            "photo",
            "object",
            "User photo details",
            vec![
                out("content_url", "string", "URL to the photo"),
                out("file_name", "string", "Photo file name"),
                out("size", "number", "File size in bytes"),
            ],
        ),
        out("locale", "string", "Locale (e.g., en-US)"),
        out("locale_id", "number", "Locale ID"),
        out("organization_id", "number", "Primary organization ID"),
        out("role", "string", "User role (end-user, agent, admin)"),
        out("role_type", "number", "Role type identifier"),
        out("custom_role_id", "number", "Custom role ID"),
        out(
            "active",
            "boolean",
            "Whether the user is active (false if deleted)",
        ),
        out(
            "verified",
            "boolean",
            "Whether any user identity has been verified",
        ),
        out("alias", "string", "Alias displayed to end users"),
        out("details", "string", "Details about the user"),
        out("notes", "string", "Notes about the user"),
        out("signature", "string", "User signature for email replies"),
        out(
            "default_group_id",
            "number",
            "Default group ID for the user",
        ),
        out("tags", "array", "Tags associated with the user"),
        out(
            "external_id",
            "string",
            "External ID for linking to external records",
        ),
        out(
            "restricted_agent",
            "boolean",
            "Whether the agent has restrictions",
        ),
        out("suspended", "boolean", "Whether the user is suspended"),
        out(
            "moderator",
            "boolean",
            "Whether the user has moderator permissions",
        ),
        out(
            "chat_only",
            "boolean",
            "Whether the user is a chat-only agent",
        ),
        out(
            "only_private_comments",
            "boolean",
            "Whether the user can only create private comments",
        ),
        out(
            "two_factor_auth_enabled",
            "boolean",
            "Whether two-factor auth is enabled",
        ),
        out(
            "last_login_at",
            "string",
            "Last login time (ISO 8601 format)",
        ),
        out(
            "ticket_restriction",
            "string",
            "Ticket access restriction (organization, groups, assigned, requested)",
        ),
        out(
            "user_fields",
            "json",
            "Custom user fields (dynamic key-value pairs)",
        ),
        out(
            "shared",
            "boolean",
            "Whether the user is shared from a different Zendesk",
        ),
        out(
            "shared_agent",
            "boolean",
            "Whether the agent is shared from a different Zendesk",
        ),
        out("remote_photo_url", "string", "URL to a remote photo"),
    ]
}

pub(crate) fn organization_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "number", "Automatically assigned organization ID"),
        out("url", "string", "API URL of the organization"),
        out("name", "string", "Unique organization name"),
        out(
            "domain_names",
            "array",
            "Domain names for automatic user assignment",
        ),
        out("details", "string", "Details about the organization"),
        out("notes", "string", "Notes about the organization"),
        out(
            "group_id",
            "number",
            "Group ID for auto-routing new tickets",
        ),
        out(
            "shared_tickets",
            "boolean",
            "Whether end users can see each others tickets",
        ),
        out(
            "shared_comments",
            "boolean",
            "Whether end users can see each others comments",
        ),
        out("tags", "array", "Tags associated with the organization"),
        out(
            "organization_fields",
            "json",
            "Custom organization fields (dynamic key-value pairs)",
        ),
        out(
            "created_at",
            "string",
            "When the organization was created (ISO 8601 format)",
        ),
        out(
            "updated_at",
            "string",
            "When the organization was last updated (ISO 8601 format)",
        ),
        out(
            "external_id",
            "string",
            "External ID for linking to external records",
        ),
    ]
}

pub(crate) fn job_status_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "string", "Automatically assigned job ID"),
        out("url", "string", "URL to poll for status updates"),
        out(
            "status",
            "string",
            "Current job status (queued, working, failed, completed)",
        ),
        out("job_type", "string", "Category of background task"),
        out("total", "number", "Total number of tasks in this job"),
        out("progress", "number", "Number of tasks already completed"),
        out("message", "string", "Message from the job worker"),
        nested(
            "results",
            "array",
            "Array of result objects from the job",
            vec![
                out("id", "number", "ID of the created or updated resource"),
                out("index", "number", "Position of the result in the batch"),
                out(
                    "action",
                    "string",
                    "Action performed (e.g., create, update)",
                ),
                out("success", "boolean", "Whether the operation succeeded"),
                out(
                    "status",
                    "string",
                    "Status message (e.g., Updated, Created)",
                ),
                out("error", "string", "Error message if operation failed"),
            ],
        ),
    ]
}

pub(crate) fn paging_fields() -> Vec<OutputSpec> {
    vec![
        out(
            "after_cursor",
            "string",
            "Cursor for fetching the next page of results",
        ),
        out("has_more", "boolean", "Whether more results are available"),
        out("next_page", "string", "URL for next page of results"),
    ]
}

pub(crate) fn metadata_fields() -> Vec<OutputSpec> {
    vec![
        out(
            "total_returned",
            "number",
            "Number of items returned in this response",
        ),
        out("has_more", "boolean", "Whether more items are available"),
    ]
}

/// An organization field, as `ORGANIZATION_FIELDS.md` lists its JSON format (an addition: the
/// seed has no organization-field tools).
pub(crate) fn organization_field_fields() -> Vec<OutputSpec> {
    vec![
        out(
            "id",
            "number",
            "Automatically assigned organization field ID",
        ),
        out("url", "string", "API URL of the organization field"),
        out(
            "key",
            "string",
            "Unique key of the field; organizations hold its value under organization_fields.{key}",
        ),
        out(
            "type",
            "string",
            "Field type (checkbox, date, decimal, dropdown, integer, lookup, regexp, text, textarea)",
        ),
        out("title", "string", "Title of the field"),
        out(
            "raw_title",
            "string",
            "Dynamic content placeholder if present, else the title",
        ),
        out(
            "description",
            "string",
            "Description of the field's purpose",
        ),
        out(
            "raw_description",
            "string",
            "Dynamic content placeholder if present, else the description",
        ),
        out(
            "position",
            "number",
            "Order of the field relative to the other fields",
        ),
        out("active", "boolean", "Whether the field is available"),
        out(
            "system",
            "boolean",
            "Whether the field is a system field (only active and position may change)",
        ),
        out(
            "regexp_for_validation",
            "string",
            "For regexp fields, the pattern a value must match",
        ),
        out(
            "tag",
            "string",
            "For checkbox fields, the tag added when checked",
        ),
        nested(
            "custom_field_options",
            "array",
            "Dropdown options, in order",
            vec![
                out("id", "number", "Option ID"),
                out("name", "string", "Option name shown to agents"),
                out("value", "string", "Option value (the tag)"),
            ],
        ),
        out(
            "relationship_target_type",
            "string",
            "For lookup fields, the object type referred to (e.g., zen:user)",
        ),
        out(
            "relationship_filter",
            "json",
            "For lookup fields, the filter narrowing the autocomplete",
        ),
        out(
            "created_at",
            "string",
            "When the field was created (ISO 8601 format)",
        ),
        out(
            "updated_at",
            "string",
            "When the field was last updated (ISO 8601 format)",
        ),
    ]
}

/// A group (an addition: the seed has no group tools).
pub(crate) fn group_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "number", "Automatically assigned group ID"),
        out("url", "string", "API URL of the group"),
        out("name", "string", "Name of the group"),
        out("description", "string", "Description of the group"),
        out(
            "default",
            "boolean",
            "Whether this is the account's default group",
        ),
        out(
            "is_public",
            "boolean",
            "Whether the group is public (false: private, its tickets seen only by its members)",
        ),
        out("deleted", "boolean", "Whether the group has been deleted"),
        out(
            "created_at",
            "string",
            "When the group was created (ISO 8601 format)",
        ),
        out(
            "updated_at",
            "string",
            "When the group was last updated (ISO 8601 format)",
        ),
    ]
}

/// Who wrote a comment or made a change, resolved from Zendesk's side-loaded users.
pub(crate) fn author_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "number", "User ID of the author"),
        out("name", "string", "Name of the author"),
        out("email", "string", "Email address of the author"),
        out(
            "role",
            "string",
            "Role of the author (end-user, agent, admin): an end-user is the customer",
        ),
    ]
}

/// One comment of a ticket's conversation, as a person reads it.
pub(crate) fn comment_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "number", "Comment ID"),
        out(
            "public",
            "boolean",
            "true: a public reply the requester sees (and was emailed); false: an internal note only agents see",
        ),
        out("body", "string", "The comment as plain text"),
        nested("author", "object", "Who wrote the comment", author_fields()),
        out(
            "created_at",
            "string",
            "When the comment was added (ISO 8601 format)",
        ),
        nested(
            "via",
            "object",
            "How the comment arrived",
            vec![out("channel", "string", "Channel (e.g., email, web, api)")],
        ),
        nested(
            "attachments",
            "array",
            "Files attached to the comment",
            vec![
                out("id", "number", "Attachment ID"),
                out("file_name", "string", "File name"),
                out("content_type", "string", "MIME type (e.g., image/png)"),
                out("size", "number", "Size in bytes"),
                out(
                    "url",
                    "string",
                    "Where to download the file (may be hosted outside Zendesk)",
                ),
            ],
        ),
    ]
}

/// One audit of a ticket's history, compact.
pub(crate) fn audit_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "number", "Audit ID"),
        out(
            "created_at",
            "string",
            "When the change was made (ISO 8601 format)",
        ),
        nested("author", "object", "Who made the change", author_fields()),
        out(
            "via",
            "string",
            "Channel the change came through (e.g., web, email, api, rule)",
        ),
        nested(
            "events",
            "array",
            "What the change did, in order",
            vec![
                out(
                    "type",
                    "string",
                    "Event type: Create (a field set on a new ticket), Change (a field changed), Comment, Notification, ...",
                ),
                out("field", "string", "Create and Change: the field's name"),
                out("from", "json", "Change: the previous value"),
                out("to", "json", "Create and Change: the new value"),
                out("comment_id", "number", "Comment: the comment's ID"),
                out("public", "boolean", "Comment: false for an internal note"),
                out("body", "string", "Comment: its text"),
                out(
                    "subject",
                    "string",
                    "Notification: the subject of the email sent",
                ),
                out(
                    "recipients",
                    "array",
                    "Notification: user IDs the email went to",
                ),
            ],
        ),
    ]
}

/// A ticket field, compact: enough to fill `customFields`.
pub(crate) fn ticket_field_fields() -> Vec<OutputSpec> {
    vec![
        out(
            "id",
            "number",
            "Ticket field ID: the key of customFields for a custom field",
        ),
        out("title", "string", "Title agents see"),
        out(
            "type",
            "string",
            "Field type: custom (text, textarea, checkbox, date, integer, decimal, regexp, tagger (a dropdown), multiselect, lookup...) or system (subject, description, status, priority, tickettype, group, assignee...)",
        ),
        out(
            "required",
            "boolean",
            "Whether agents must fill it before solving a ticket",
        ),
        out("active", "boolean", "Whether the field is in use"),
        out(
            "system",
            "boolean",
            "Whether it is one of Zendesk's system fields",
        ),
        out("description", "string", "What the field is for"),
        nested(
            "options",
            "array",
            "Dropdown, multiselect and system fields: the values it takes",
            vec![
                out("name", "string", "Name agents see"),
                out("value", "string", "Value to send in customFields (the tag)"),
            ],
        ),
    ]
}

/// A group membership with the agent's and group's names.
pub(crate) fn group_membership_fields() -> Vec<OutputSpec> {
    vec![
        out("id", "number", "Group membership ID"),
        out("user_id", "number", "The agent's user ID (an assigneeId)"),
        out("group_id", "number", "The group's ID (a groupId)"),
        out(
            "default",
            "boolean",
            "Whether tickets assigned to this agent alone land in this group",
        ),
        nested(
            "user",
            "object",
            "The agent",
            vec![
                out("id", "number", "User ID"),
                out("name", "string", "Name"),
                out("email", "string", "Email address"),
            ],
        ),
        nested(
            "group",
            "object",
            "The group",
            vec![
                out("id", "number", "Group ID"),
                out("name", "string", "Name"),
            ],
        ),
        out(
            "created_at",
            "string",
            "When the agent joined the group (ISO 8601 format)",
        ),
    ]
}
