//! Ticket tools: list (plain listing or filtered through search export), show, create (one or
//! in bulk), update (one or in bulk, tags added with `additional_tags`), delete and merge.

use serde_json::{Map, Value, json};

use crate::Tool;
use crate::ToolError;
use crate::jobs::{bulk_wait_param, wait_from};
use crate::output;
use crate::params::Params;
use crate::plan::Plan;
use crate::spec::*;

use zendesk::{Detached, MergeTickets};
use zendesk_types::limits::MAX_MERGE_SOURCES;
use zendesk_types::{TICKET_SORTS as SORTS, TicketId, TicketPriority, TicketStatus, TicketType};

pub(crate) const STATUSES: &[&str] = TicketStatus::KNOWN;
pub(crate) const PRIORITIES: &[&str] = TicketPriority::KNOWN;
pub(crate) const TYPES: &[&str] = TicketType::KNOWN;
const CUSTOM_FIELDS_EXAMPLE: &str = r#"{"360001234567": "value"}"#;

pub(crate) fn get_tickets() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_tickets",
            description: "Retrieve a list of tickets from Zendesk with optional filtering",
            params: with_credentials(
                Subdomain::WithExample,
                vec![
                    optional(
                        "status",
                        "Filter by status: \"new\", \"open\", \"pending\", \"hold\", \"solved\", or \"closed\"",
                    ).one_of(STATUSES),
                    optional(
                        "priority",
                        "Filter by priority: \"low\", \"normal\", \"high\", or \"urgent\"",
                    ).one_of(PRIORITIES),
                    optional(
                        "type",
                        "Filter by type: \"problem\", \"incident\", \"question\", or \"task\"",
                    ).one_of(TYPES),
                    optional(
                        "assigneeId",
                        "Filter by assignee user ID as a numeric string (e.g., \"12345\")",
                    ),
                    optional(
                        "organizationId",
                        "Filter by organization ID as a numeric string (e.g., \"67890\")",
                    ),
                    optional(
                        "sort",
                        "Sort field for ticket listing (only applies without filters): \"updated_at\", \"id\", or \"status\". Prefix with \"-\" for descending (e.g., \"-updated_at\")",
                    ).one_of(SORTS),
                    optional(
                        "perPage",
                        "Results per page as a number string (default: \"100\", max: \"100\")",
                    ),
                    optional(
                        "pageAfter",
                        "Cursor from a previous response to fetch the next page of results",
                    ),
                    fields_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "tickets",
                    "array",
                    "Array of ticket objects",
                    ticket_fields(),
                ),
                nested(
                    "paging",
                    "object",
                    "Cursor-based pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
            ],
            annotations: READ_ONLY,
        },
        plan_get_tickets,
    )
}

pub(crate) fn get_ticket() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_ticket",
            description: "Get a single ticket by ID from Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![required(
                    "ticketId",
                    "Ticket ID to retrieve as a numeric string (e.g., \"12345\")",
                )],
            ),
            outputs: vec![
                nested("ticket", "object", "Ticket object", ticket_fields()),
                out("ticket_id", "number", "The ticket ID"),
            ],
            annotations: READ_ONLY,
        },
        plan_get_ticket,
    )
}

pub(crate) fn create_ticket() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_create_ticket",
            description: "Create a new ticket in Zendesk with support for custom fields",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    optional(
                        "subject",
                        "Ticket subject (optional - will be auto-generated if not provided)",
                    ),
                    required("description", "Ticket description text (first comment)"),
                    optional(
                        "priority",
                        "Priority: \"low\", \"normal\", \"high\", or \"urgent\"",
                    ).one_of(PRIORITIES),
                    optional(
                        "status",
                        "Status: \"new\", \"open\", \"pending\", \"hold\", \"solved\", or \"closed\"",
                    ).one_of(STATUSES),
                    optional(
                        "type",
                        "Type: \"problem\", \"incident\", \"question\", or \"task\"",
                    ).one_of(TYPES),
                    optional("tags", "Comma-separated tags (e.g., \"billing, urgent\")").list(),
                    optional(
                        "assigneeId",
                        "Assignee user ID as a numeric string (e.g., \"12345\")",
                    ),
                    optional("groupId", "Group ID as a numeric string (e.g., \"67890\")"),
                    optional(
                        "requesterId",
                        "Requester user ID as a numeric string (e.g., \"11111\")",
                    ),
                    optional(
                        "customFields",
                        "Custom fields as JSON object (e.g., {\"field_id\": \"value\"})",
                    ),
                ],
            ),
            outputs: vec![
                nested("ticket", "object", "Created ticket object", ticket_fields()),
                out("ticket_id", "number", "The created ticket ID"),
            ],
            annotations: WRITE,
        },
        plan_create_ticket,
    )
}

pub(crate) fn create_tickets_bulk() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_create_tickets_bulk",
            description: "Create multiple tickets in Zendesk at once (max 100)",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "tickets",
                        "JSON array of ticket objects to create (max 100). Each ticket should have subject and comment properties (e.g., [{\"subject\": \"Issue 1\", \"comment\": {\"body\": \"Description\"}}])",
                    ),
                    bulk_wait_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "job_status",
                    "object",
                    "Job status object for bulk operations",
                    job_status_fields(),
                ),
                out("job_id", "string", "The bulk operation job ID"),
            ],
            annotations: WRITE,
        },
        plan_create_tickets_bulk,
    )
}

pub(crate) fn update_ticket() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_update_ticket",
            description: "Update an existing ticket in Zendesk with support for custom fields",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "ticketId",
                        "Ticket ID to update as a numeric string (e.g., \"12345\")",
                    ),
                    optional("subject", "New ticket subject text"),
                    optional("comment", "Comment text to add to the ticket"),
                    optional(
                        "priority",
                        "Priority: \"low\", \"normal\", \"high\", or \"urgent\"",
                    ).one_of(PRIORITIES),
                    optional(
                        "status",
                        "Status: \"new\", \"open\", \"pending\", \"hold\", \"solved\", or \"closed\"",
                    ).one_of(STATUSES),
                    optional(
                        "type",
                        "Type: \"problem\", \"incident\", \"question\", or \"task\"",
                    ).one_of(TYPES),
                    optional("tags", "Comma-separated tags (e.g., \"billing, urgent\")").list(),
                    optional(
                        "assigneeId",
                        "Assignee user ID as a numeric string (e.g., \"12345\")",
                    ),
                    optional("groupId", "Group ID as a numeric string (e.g., \"67890\")"),
                    optional(
                        "customFields",
                        "Custom fields as JSON object (e.g., {\"field_id\": \"value\"})",
                    ),
                    optional(
                        "commentPublic",
                        "Optional: who sees comment. \"true\" (the default, as in Zendesk) makes it a public reply that the requester sees and is emailed; \"false\" makes it an internal note only agents see",
                    )
                    .flag(),
                ],
            ),
            outputs: vec![
                nested("ticket", "object", "Updated ticket object", ticket_fields()),
                out("ticket_id", "number", "The updated ticket ID"),
            ],
            annotations: WRITE,
        },
        plan_update_ticket,
    )
}

pub(crate) fn update_tickets_bulk() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_update_tickets_bulk",
            description: "Update multiple tickets in Zendesk at once (max 100)",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "ticketIds",
                        "Comma-separated ticket IDs to update (max 100, e.g., \"111, 222, 333\")",
                    ).list(),
                    optional(
                        "status",
                        "New status for all tickets: \"new\", \"open\", \"pending\", \"hold\", \"solved\", or \"closed\"",
                    ).one_of(STATUSES),
                    optional(
                        "priority",
                        "New priority for all tickets: \"low\", \"normal\", \"high\", or \"urgent\"",
                    ).one_of(PRIORITIES),
                    optional(
                        "assigneeId",
                        "New assignee ID for all tickets as a numeric string (e.g., \"12345\")",
                    ),
                    optional(
                        "groupId",
                        "New group ID for all tickets as a numeric string (e.g., \"67890\")",
                    ),
                    optional(
                        "tags",
                        "Comma-separated tags to add to all tickets (e.g., \"bulk-update, processed\")",
                    ).list(),
                    bulk_wait_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "job_status",
                    "object",
                    "Job status object for bulk operations",
                    job_status_fields(),
                ),
                out("job_id", "string", "The bulk operation job ID"),
            ],
            annotations: WRITE,
        },
        plan_update_tickets_bulk,
    )
}

pub(crate) fn delete_ticket() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_delete_ticket",
            description: "Delete a ticket from Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![required(
                    "ticketId",
                    "Ticket ID to delete as a numeric string (e.g., \"12345\")",
                )],
            ),
            outputs: vec![
                out("deleted", "boolean", "Deletion success"),
                out("ticket_id", "string", "The deleted ticket ID"),
            ],
            annotations: DESTRUCTIVE_IDEMPOTENT,
        },
        plan_delete_ticket,
    )
}

pub(crate) fn merge_tickets() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_merge_tickets",
            description: "Merge multiple tickets into a target ticket",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "targetTicketId",
                        "Target ticket ID as a numeric string (tickets will be merged into this one, e.g., \"12345\")",
                    ),
                    required(
                        "sourceTicketIds",
                        "Comma-separated source ticket IDs to merge (e.g., \"111, 222, 333\")",
                    )
                    .list(),
                    optional(
                        "targetComment",
                        "Comment text to add to target ticket after merge",
                    ),
                    optional(
                        "targetCommentPublic",
                        "Optional: who sees targetComment. \"true\" (the default, as in Zendesk) makes it public: the target's requester sees it and is emailed; \"false\" makes it an internal note",
                    )
                    .flag(),
                    bulk_wait_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "job_status",
                    "object",
                    "Job status object for bulk operations",
                    job_status_fields(),
                ),
                out("job_id", "string", "The merge job ID"),
                out(
                    "target_ticket_id",
                    "string",
                    "The target ticket ID that tickets were merged into",
                ),
            ],
            annotations: DESTRUCTIVE,
        },
        plan_merge_tickets,
    )
}
/// The search query for `get_tickets` filters, built with the query builder (which quotes
/// and checks values), e.g. `status:open priority:high ticket_type:incident assignee:123`.
fn ticket_filter_query(
    status: Option<&str>,
    priority: Option<&str>,
    ticket_type: Option<&str>,
    assignee: Option<u64>,
    organization: Option<u64>,
) -> Result<Option<String>, ToolError> {
    if status.is_none()
        && priority.is_none()
        && ticket_type.is_none()
        && assignee.is_none()
        && organization.is_none()
    {
        return Ok(None);
    }
    let mut builder = zendesk_query::QueryBuilder::new();
    for (keyword, value) in [
        ("status", status),
        ("priority", priority),
        ("ticket_type", ticket_type),
    ] {
        if let Some(value) = value {
            builder = builder.eq(keyword, value);
        }
    }
    for (keyword, id) in [("assignee", assignee), ("organization", organization)] {
        if let Some(id) = id {
            builder = builder.eq(keyword, id);
        }
    }
    builder
        .build()
        .map(Some)
        .map_err(|error| ToolError::invalid(format!("cannot build the ticket filter: {error}")))
}

fn plan_get_tickets(p: &Params) -> Result<Plan, ToolError> {
    let status = p.choice("status")?;
    let priority = p.choice("priority")?;
    let ticket_type = p.choice("type")?;
    let assignee = p.id("assigneeId")?;
    let organization = p.id("organizationId")?;
    let sort = p.choice("sort")?;
    let fields = p.fields(&keys_of(&ticket_fields()))?;
    match ticket_filter_query(status, priority, ticket_type, assignee, organization)? {
        // Filters go through search export: cursor paging, no 1,000-result cap. `sort` does
        // not apply there (the seed says so).
        Some(query) => Plan::records(
            p.paged(Detached.search().export(&query, "ticket"))?,
            "tickets",
            fields,
        ),
        None => Plan::records(p.paged(Detached.tickets().list(sort))?, "tickets", fields),
    }
}

fn plan_get_ticket(p: &Params) -> Result<Plan, ToolError> {
    let id = TicketId(p.required_id("ticketId")?);
    Plan::send(Detached.tickets().show(id), |body| {
        output::record(body, "ticket", "ticket_id")
    })
}

/// `customFields` `{"360001": "x"}` becomes `[{"id": 360001, "value": "x"}]`. The array form
/// `[{"id": 360001, "value": "x"}]` is accepted as is. Keys must be numeric field IDs.
fn ticket_custom_fields(p: &Params) -> Result<Option<Value>, ToolError> {
    let Some(value) = p.json("customFields", CUSTOM_FIELDS_EXAMPLE)? else {
        return Ok(None);
    };
    let fields = match value {
        Value::Object(map) => map
            .into_iter()
            .map(|(key, value)| {
                let id = crate::params::parse_id(&key).ok_or_else(|| {
                    ToolError::invalid(format!(
                        "customFields key {} is not a ticket field ID; ticket custom fields are keyed by numeric field ID, e.g. {CUSTOM_FIELDS_EXAMPLE}",
                        crate::params::shown(&key)
                    ))
                })?;
                Ok(json!({ "id": id, "value": value }))
            })
            .collect::<Result<Vec<_>, ToolError>>()?,
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                let id = item.get("id").and_then(|id| match id {
                    Value::Number(n) => n.as_u64().filter(|n| *n > 0),
                    Value::String(s) => crate::params::parse_id(s),
                    _ => None,
                });
                match (id, item.get("value")) {
                    (Some(id), Some(value)) => Ok(json!({ "id": id, "value": value })),
                    _ => Err(ToolError::invalid(format!(
                        "customFields[{index}] must be an object with a numeric \"id\" and a \"value\", e.g. {{\"id\": 360001234567, \"value\": \"x\"}}"
                    ))),
                }
            })
            .collect::<Result<Vec<_>, ToolError>>()?,
        _ => {
            return Err(ToolError::invalid(format!(
                "customFields must be a JSON object such as {CUSTOM_FIELDS_EXAMPLE}"
            )));
        }
    };
    Ok(Some(Value::Array(fields)))
}

/// A subject from the description when none is given: its first non-empty line, cut to 80
/// characters on a character boundary.
fn subject_from(description: &str) -> String {
    let line = description
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("New ticket");
    if line.chars().count() <= 80 {
        line.to_owned()
    } else {
        let cut: String = line.chars().take(77).collect();
        format!("{}...", cut.trim_end())
    }
}

/// The ticket fields shared by create and update, only those given.
fn ticket_fields_from(p: &Params, ticket: &mut Map<String, Value>) -> Result<(), ToolError> {
    if let Some(priority) = p.choice("priority")? {
        ticket.insert("priority".into(), json!(priority));
    }
    if let Some(status) = p.choice("status")? {
        ticket.insert("status".into(), json!(status));
    }
    if let Some(ticket_type) = p.choice("type")? {
        ticket.insert("type".into(), json!(ticket_type));
    }
    if let Some(tags) = p.list("tags")? {
        ticket.insert("tags".into(), json!(tags));
    }
    if let Some(id) = p.id("assigneeId")? {
        ticket.insert("assignee_id".into(), json!(id));
    }
    if let Some(id) = p.id("groupId")? {
        ticket.insert("group_id".into(), json!(id));
    }
    if let Some(fields) = ticket_custom_fields(p)? {
        ticket.insert("custom_fields".into(), fields);
    }
    Ok(())
}

fn plan_create_ticket(p: &Params) -> Result<Plan, ToolError> {
    let description = p.required_text("description")?;
    let mut ticket = Map::new();
    let subject = match p.text("subject")? {
        Some(subject) => subject.to_owned(),
        None => subject_from(description),
    };
    ticket.insert("subject".into(), json!(subject));
    ticket.insert("comment".into(), json!({ "body": description }));
    ticket_fields_from(p, &mut ticket)?;
    if let Some(id) = p.id("requesterId")? {
        ticket.insert("requester_id".into(), json!(id));
    }
    Plan::send(Detached.tickets().create(&ticket), |body| {
        output::record(body, "ticket", "ticket_id")
    })
}

fn plan_create_tickets_bulk(p: &Params) -> Result<Plan, ToolError> {
    let tickets = p.required_records(
        "tickets",
        r#"[{"subject": "Issue 1", "comment": {"body": "Description"}}]"#,
        "ticket",
        zendesk_types::Ticket::WRITABLE,
    )?;
    Plan::job(
        Detached.tickets().create_many(&tickets),
        output::job,
        wait_from(p)?,
    )
}

fn plan_update_ticket(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("ticketId")?;
    let mut ticket = Map::new();
    if let Some(subject) = p.text("subject")? {
        ticket.insert("subject".into(), json!(subject));
    }
    match (p.text("comment")?, p.boolean("commentPublic")?) {
        (Some(comment), None) => {
            ticket.insert("comment".into(), json!({ "body": comment }));
        }
        (Some(comment), Some(public)) => {
            ticket.insert(
                "comment".into(),
                json!({ "body": comment, "public": public }),
            );
        }
        (None, Some(_)) => {
            return Err(ToolError::invalid(
                "commentPublic says who sees comment, but no comment was given: add comment, or leave commentPublic out",
            ));
        }
        (None, None) => {}
    }
    ticket_fields_from(p, &mut ticket)?;
    if ticket.is_empty() {
        return Err(ToolError::invalid(
            "nothing to update: give at least one of subject, comment, priority, status, type, tags, assigneeId, groupId, customFields",
        ));
    }
    Plan::send(Detached.tickets().update(TicketId(id), &ticket), |body| {
        output::record(body, "ticket", "ticket_id")
    })
}

fn plan_update_tickets_bulk(p: &Params) -> Result<Plan, ToolError> {
    let ids = p.required_id_list("ticketIds")?;
    let mut ticket = Map::new();
    if let Some(status) = p.choice("status")? {
        ticket.insert("status".into(), json!(status));
    }
    if let Some(priority) = p.choice("priority")? {
        ticket.insert("priority".into(), json!(priority));
    }
    if let Some(id) = p.id("assigneeId")? {
        ticket.insert("assignee_id".into(), json!(id));
    }
    if let Some(id) = p.id("groupId")? {
        ticket.insert("group_id".into(), json!(id));
    }
    // The seed says the tags are added to every ticket: `additional_tags` adds, `tags` would
    // replace each ticket's tags.
    if let Some(tags) = p.list("tags")? {
        ticket.insert("additional_tags".into(), json!(tags));
    }
    if ticket.is_empty() {
        return Err(ToolError::invalid(
            "nothing to update: give at least one of status, priority, assigneeId, groupId, tags",
        ));
    }
    let ids: Vec<TicketId> = ids.into_iter().map(TicketId).collect();
    Plan::job(
        Detached.tickets().update_many(&ids, &ticket),
        output::job,
        wait_from(p)?,
    )
}

fn plan_delete_ticket(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("ticketId")?;
    Plan::send(Detached.tickets().delete(TicketId(id)), move |_| {
        Ok(output::deleted("ticket_id", id.to_string()))
    })
}

fn plan_merge_tickets(p: &Params) -> Result<Plan, ToolError> {
    let target = p.required_id("targetTicketId")?;
    let sources = p.required_id_list("sourceTicketIds")?;
    if sources.len() > MAX_MERGE_SOURCES {
        return Err(ToolError::invalid(format!(
            "sourceTicketIds has {} tickets; Zendesk merges at most {MAX_MERGE_SOURCES} into a target in one call. Merge them in several calls",
            sources.len()
        )));
    }
    if sources.contains(&target) {
        return Err(ToolError::invalid(format!(
            "sourceTicketIds must not include the target ticket {target}: list only the tickets to merge into it"
        )));
    }
    let target_comment = p.text("targetComment")?.map(str::to_owned);
    let target_comment_is_public = p.boolean("targetCommentPublic")?;
    if target_comment.is_none() && target_comment_is_public.is_some() {
        return Err(ToolError::invalid(
            "targetCommentPublic says who sees targetComment, but no targetComment was given: add targetComment, or leave targetCommentPublic out",
        ));
    }
    let merge = MergeTickets {
        ids: sources.into_iter().map(TicketId).collect(),
        target_comment,
        target_comment_is_public,
        ..MergeTickets::default()
    };
    Plan::job(
        Detached.tickets().merge(TicketId(target), &merge),
        move |body| {
            let mut out = output::job(body)?;
            if let Value::Object(map) = &mut out {
                map.insert("target_ticket_id".into(), json!(target.to_string()));
            }
            Ok(out)
        },
        wait_from(p)?,
    )
}
