//! What the server offers besides tools: prompts that tell a model which tools to use, in what
//! order, for the two everyday jobs of a support agent (`triage-ticket`, `draft-reply`), and the
//! resource template `zendesk://tickets/{id}`: a ticket with its conversation as readable text.
//! Prompts are static texts; the resource reads through the registry's tools.

use rmcp::ErrorData as McpError;
use rmcp::model::{
    GetPromptResult, Prompt, PromptArgument, PromptMessage, ReadResourceResult, ResourceContents,
    ResourceTemplate, Role,
};
use zendesk_tools::{CallContext, Thread};

/// The resource template of a ticket with its thread.
pub const TICKET_URI_TEMPLATE: &str = "zendesk://tickets/{id}";
const TICKET_URI_PREFIX: &str = "zendesk://tickets/";

struct Guide {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    text: fn(&str) -> String,
}

const GUIDES: &[Guide] = &[
    Guide {
        name: "triage-ticket",
        title: "Triage a ticket",
        description: "Read a ticket and its conversation, then set its type, priority, group and assignee, explaining why in an internal note. Nothing is sent to the customer.",
        text: triage_text,
    },
    Guide {
        name: "draft-reply",
        title: "Draft a reply",
        description: "Read a ticket's conversation and draft a reply to the requester, shown for approval before anything is emailed.",
        text: draft_text,
    },
];

fn triage_text(id: &str) -> String {
    format!(
        "Triage Zendesk ticket #{id}. Work in this order:\n\
         1. Read the ticket with zendesk_get_ticket (ticketId \"{id}\") and its whole conversation with \
         zendesk_get_ticket_comments: each comment names its author (an end-user is the customer) and says \
         whether it is public or an internal note (public: false). The resource zendesk://tickets/{id} gives both \
         as text.\n\
         2. If the history matters (earlier reassignments or status changes), read zendesk_get_ticket_audits.\n\
         3. Decide the type and priority. Find the right group with zendesk_get_groups, and an agent of that \
         group with zendesk_get_group_memberships (groupId) if you assign someone. For custom fields, \
         zendesk_get_ticket_fields gives each field's id and the values it takes.\n\
         4. Write your reasoning as an internal note with zendesk_add_internal_note: it is never shown or \
         emailed to the customer.\n\
         5. Apply the changes with zendesk_update_ticket (type, priority, groupId, assigneeId, tags, \
         customFields). Do not pass comment there: a comment on zendesk_update_ticket is public by default and \
         emailed to the customer.\n\
         Do not reply to the customer while triaging: zendesk_reply_to_ticket emails them."
    )
}

fn draft_text(id: &str) -> String {
    format!(
        "Draft a reply to the requester of Zendesk ticket #{id}. Work in this order:\n\
         1. Read the conversation with zendesk_get_ticket_comments (ticketId \"{id}\"), oldest first: public \
         comments are what the customer has seen; internal notes (public: false) are context for agents that \
         must not be quoted to the customer. The resource zendesk://tickets/{id} gives the thread as text.\n\
         2. If needed, read zendesk_get_ticket for the status and fields, and zendesk_get_ticket_audits for what \
         was already done.\n\
         3. Write the draft in plain text, in the customer's language, answering what they last asked. Show it \
         to me and send nothing yet.\n\
         4. Only once I approve, send it with zendesk_reply_to_ticket (ticketId \"{id}\"): Zendesk emails it to \
         the requester. Set status \"pending\" when waiting for their answer, \"solved\" when this resolves it. \
         Anything meant for agents only goes in zendesk_add_internal_note instead."
    )
}

/// The prompts, as `prompts/list` gives them.
pub fn prompts() -> Vec<Prompt> {
    GUIDES
        .iter()
        .map(|guide| {
            let mut argument = PromptArgument::new("ticketId")
                .with_description("The ticket's ID, e.g. \"12345\"")
                .with_required(true);
            argument.title = Some("Ticket ID".to_owned());
            Prompt::new(guide.name, Some(guide.description), Some(vec![argument]))
                .with_title(guide.title)
        })
        .collect()
}

/// `ticketId` as a positive decimal, or the error a client shows.
fn ticket_id(value: Option<&serde_json::Value>) -> Result<String, McpError> {
    let text = match value {
        Some(serde_json::Value::String(text)) => text.trim().to_owned(),
        Some(serde_json::Value::Number(number)) => number.to_string(),
        _ => String::new(),
    };
    let valid = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && text.parse::<u64>().is_ok_and(|id| id > 0);
    if valid {
        Ok(text)
    } else {
        Err(McpError::invalid_params(
            "ticketId must be a numeric string such as \"12345\"; find a ticket's id with zendesk_search (filterType \"ticket\")",
            None,
        ))
    }
}

/// One prompt with its `ticketId` filled in.
pub fn prompt(
    name: &str,
    arguments: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<GetPromptResult, McpError> {
    let Some(guide) = GUIDES.iter().find(|guide| guide.name == name) else {
        let names: Vec<&str> = GUIDES.iter().map(|guide| guide.name).collect();
        return Err(McpError::invalid_params(
            format!(
                "unknown prompt `{name}`; this server has: {}",
                names.join(", ")
            ),
            None,
        ));
    };
    let id = ticket_id(arguments.and_then(|args| args.get("ticketId")))?;
    Ok(
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, (guide.text)(&id))])
            .with_description(guide.description),
    )
}

/// The resource templates, as `resources/templates/list` gives them.
pub fn resource_templates() -> Vec<ResourceTemplate> {
    vec![
        ResourceTemplate::new(TICKET_URI_TEMPLATE, "ticket")
            .with_title("A ticket with its conversation")
            .with_description(
                "The ticket's status, priority, people and tags, then every comment with its author, time, and whether the requester sees it or it is an internal note, as plain text",
            )
            .with_mime_type("text/plain"),
    ]
}

/// Reads `zendesk://tickets/{id}`.
pub async fn read(uri: &str, context: &CallContext) -> Result<ReadResourceResult, McpError> {
    let Some(id) = uri.strip_prefix(TICKET_URI_PREFIX) else {
        return Err(McpError::resource_not_found(
            format!("no resource {uri}; this server reads {TICKET_URI_TEMPLATE}"),
            None,
        ));
    };
    let id = ticket_id(Some(&serde_json::Value::String(id.to_owned())))?;
    let thread = Thread::read(&id, context).await.map_err(|error| {
        if error.status == Some(404) {
            McpError::resource_not_found(error.message, None)
        } else {
            McpError::internal_error(error.message, None)
        }
    })?;
    Ok(ReadResourceResult::new(vec![ResourceContents::text(
        thread.to_text(),
        uri,
    )]))
}
