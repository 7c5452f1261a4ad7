//! Ticket tools: list (plain listing or filtered through search export), show, create (one or
//! in bulk), update (one or in bulk, tags added with `additional_tags`), delete and merge.

use serde_json::{Map, Value, json};

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};
use crate::tools::jobs::wait_from;

use zendesk::{Detached, MergeTickets};
use zendesk_types::TicketId;
use zendesk_types::limits::MAX_MERGE_SOURCES;

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_tickets", get_tickets),
    ("zendesk_get_ticket", get_ticket),
    ("zendesk_create_ticket", create_ticket),
    ("zendesk_create_tickets_bulk", create_tickets_bulk),
    ("zendesk_update_ticket", update_ticket),
    ("zendesk_update_tickets_bulk", update_tickets_bulk),
    ("zendesk_delete_ticket", delete_ticket),
    ("zendesk_merge_tickets", merge_tickets),
];

const CUSTOM_FIELDS_EXAMPLE: &str = r#"{"360001234567": "value"}"#;

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

fn get_tickets(p: &Params) -> Result<Plan, ToolError> {
    let status = p.choice("status")?;
    let priority = p.choice("priority")?;
    let ticket_type = p.choice("type")?;
    let assignee = p.id("assigneeId")?;
    let organization = p.id("organizationId")?;
    let sort = p.choice("sort")?;
    let fields = p.fields()?;
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

fn get_ticket(p: &Params) -> Result<Plan, ToolError> {
    let id = TicketId(p.required_id("ticketId")?);
    let fields = p.fields()?;
    Plan::send(Detached.tickets().show(id), move |body| {
        output::read(body, "ticket", "ticket_id", fields.as_deref())
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

/// The ticket fields shared by create and update, only those given: the params that name
/// their key (`sets`), and the custom fields.
fn ticket_fields_from(p: &Params, ticket: &mut Map<String, Value>) -> Result<(), ToolError> {
    p.fill(ticket)?;
    if let Some(fields) = ticket_custom_fields(p)? {
        ticket.insert("custom_fields".into(), fields);
    }
    Ok(())
}

fn create_ticket(p: &Params) -> Result<Plan, ToolError> {
    let description = p.required_text("description")?;
    let mut ticket = Map::new();
    let subject = match p.text("subject")? {
        Some(subject) => subject.to_owned(),
        None => subject_from(description),
    };
    ticket.insert("subject".into(), json!(subject));
    ticket.insert("comment".into(), json!({ "body": description }));
    ticket_fields_from(p, &mut ticket)?;
    if let Some(requester) = requester_by_email(p)? {
        ticket.insert("requester".into(), requester);
    }
    Plan::send(Detached.tickets().create(&ticket), |body| {
        output::written(body, "ticket", "ticket_id")
    })
}

/// `requesterEmail` (and `requesterName`) as Zendesk's `requester` object, which finds the user
/// with that email or creates an end-user: a ticket for a customer who has no id yet.
fn requester_by_email(p: &Params) -> Result<Option<Value>, ToolError> {
    let name = p.text("requesterName")?.map(str::trim);
    let Some(email) = p.text("requesterEmail")?.map(str::trim) else {
        return match name {
            Some(_) => Err(ToolError::invalid(
                "requesterName names a requester Zendesk creates from requesterEmail: add requesterEmail, or leave requesterName out",
            )),
            None => Ok(None),
        };
    };
    if p.given("requesterId") {
        return Err(ToolError::invalid(
            "give the requester once: requesterId (an existing user) or requesterEmail (found or created), not both",
        ));
    }
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(ToolError::invalid(format!(
            "requesterEmail must be an email address such as \"jane@example.com\" (got {})",
            crate::params::shown(email)
        )));
    }
    let mut requester = json!({ "email": email });
    if let Some(name) = name {
        requester["name"] = json!(name);
    }
    Ok(Some(requester))
}

/// `emailCcs` as Zendesk's `email_ccs` changes: each item an email or a user ID, added, or
/// removed when written with a leading `-`.
pub(crate) fn email_ccs(p: &Params) -> Result<Option<Value>, ToolError> {
    let Some(items) = p.list("emailCcs")? else {
        return Ok(None);
    };
    items
        .iter()
        .map(|item| {
            let (action, who) = match item.strip_prefix('-') {
                Some(rest) => ("delete", rest.trim()),
                None => ("put", item.as_str()),
            };
            if let Some(id) = crate::params::parse_id(who) {
                Ok(json!({ "user_id": id, "action": action }))
            } else if who.contains('@') && !who.contains(char::is_whitespace) {
                Ok(json!({ "user_email": who, "action": action }))
            } else {
                Err(ToolError::invalid(format!(
                    "emailCcs: {} is neither an email address nor a user ID; list emails or IDs such as \"ada@acme.com, 12345\", with - before one to remove it",
                    crate::params::shown(item)
                )))
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|ccs| Some(Value::Array(ccs)))
}

fn create_tickets_bulk(p: &Params) -> Result<Plan, ToolError> {
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

fn update_ticket(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("ticketId")?;
    let mut ticket = Map::new();
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
    if p.given("tags") && (p.given("addTags") || p.given("removeTags")) {
        return Err(ToolError::invalid(
            "tags replaces all of the ticket's tags, while addTags and removeTags change some and keep the rest: give tags alone, or addTags / removeTags",
        ));
    }
    if let (Some(add), Some(remove)) = (p.list("addTags")?, p.list("removeTags")?)
        && let Some(both) = add.iter().find(|tag| remove.contains(tag))
    {
        return Err(ToolError::invalid(format!(
            "the tag {} is in both addTags and removeTags: keep it in one",
            crate::params::shown(both)
        )));
    }
    ticket_fields_from(p, &mut ticket)?;
    if let Some(ccs) = email_ccs(p)? {
        ticket.insert("email_ccs".into(), ccs);
    }
    if ticket.is_empty() {
        return Err(ToolError::invalid(format!(
            "nothing to update: give at least one of {}",
            p.optional_names().join(", ")
        )));
    }
    Plan::send(Detached.tickets().update(TicketId(id), &ticket), |body| {
        output::written(body, "ticket", "ticket_id")
    })
}

fn update_tickets_bulk(p: &Params) -> Result<Plan, ToolError> {
    let ids = p.required_id_list("ticketIds")?;
    let mut ticket = Map::new();
    // The seed says the tags are added to every ticket: `tags` fills `additional_tags` (which
    // adds) rather than `tags` (which would replace each ticket's tags).
    p.fill(&mut ticket)?;
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

fn delete_ticket(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("ticketId")?;
    Plan::send(Detached.tickets().delete(TicketId(id)), move |_| {
        Ok(output::deleted("ticket_id", id.to_string()))
    })
}

fn merge_tickets(p: &Params) -> Result<Plan, ToolError> {
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
    // Zendesk comments on the target and on each source whether or not a text is given (a
    // note of its own then): who sees them is the caller's to say, with or without a text.
    let merge = MergeTickets {
        ids: sources.into_iter().map(TicketId).collect(),
        target_comment: p.text("targetComment")?.map(str::to_owned),
        source_comment: p.text("sourceComment")?.map(str::to_owned),
        target_comment_is_public: p.boolean("targetCommentPublic")?,
        source_comment_is_public: p.boolean("sourceCommentPublic")?,
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
