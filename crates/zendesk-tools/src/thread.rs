//! A ticket with its conversation, read through the tools (`zendesk_get_ticket`, then every page
//! of `zendesk_get_ticket_comments`) and rendered as a person reads it: who wrote each comment,
//! when, and whether the requester sees it or it is an internal note. One rendering for the CLI
//! (`zd tickets show`) and the MCP resource (`zendesk://tickets/{id}`).

use std::fmt::Write as _;

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::registry::registry;
use crate::tool::CallContext;

/// Why a thread could not be read: the failing tool's message, and Zendesk's HTTP status when
/// it answered (404: no such ticket).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadError {
    pub message: String,
    pub status: Option<u16>,
}

impl std::fmt::Display for ThreadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl ThreadError {
    fn of(result: crate::tool::ToolResult) -> Self {
        ThreadError {
            status: result.output["status"]
                .as_u64()
                .and_then(|s| u16::try_from(s).ok()),
            message: result.error.unwrap_or_default(),
        }
    }
}

/// A ticket (the `ticket` of `zendesk_get_ticket`) and its comments, oldest first (as
/// `zendesk_get_ticket_comments` gives them).
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub ticket: Value,
    pub comments: Vec<Value>,
}

impl Thread {
    /// Reads ticket `ticket_id` and its whole conversation. The error is the failing tool's
    /// message.
    pub async fn read(ticket_id: &str, ctx: &CallContext) -> Result<Thread, ThreadError> {
        let tool = |id: &str| {
            registry().get(id).ok_or_else(|| ThreadError {
                message: format!("internal error: no tool {id}"),
                status: None,
            })
        };
        let args = json!({ "ticketId": ticket_id });
        let result = tool("zendesk_get_ticket")?.call(args.clone(), ctx).await;
        if !result.success {
            return Err(ThreadError::of(result));
        }
        let ticket = result.output["ticket"].clone();
        let mut comments = Vec::new();
        let mut pages = std::pin::pin!(tool("zendesk_get_ticket_comments")?.pages(args, ctx));
        while let Some(page) = pages.next().await {
            if !page.success {
                return Err(ThreadError::of(page));
            }
            if let Some(items) = page.output["comments"].as_array() {
                comments.extend(items.iter().cloned());
            }
        }
        Ok(Thread { ticket, comments })
    }

    /// `{"ticket": ..., "comments": [...]}`.
    pub fn to_json(&self) -> Value {
        json!({ "ticket": self.ticket, "comments": self.comments })
    }

    /// The ticket's header, then each comment with its author, time and visibility.
    pub fn to_text(&self) -> String {
        let t = &self.ticket;
        let mut out = String::new();
        let _ = writeln!(out, "Ticket #{}: {}", text(&t["id"]), text(&t["subject"]));
        let _ = writeln!(
            out,
            "Status: {} | Priority: {} | Type: {}",
            or_dash(&t["status"]),
            or_dash(&t["priority"]),
            or_dash(&t["type"])
        );
        let _ = writeln!(
            out,
            "Requester: {} | Assignee: {} | Group: {}",
            self.person(&t["requester_id"]),
            self.person(&t["assignee_id"]),
            id_or_dash(&t["group_id"])
        );
        if let Some(tags) = t["tags"].as_array().filter(|tags| !tags.is_empty()) {
            let tags: Vec<String> = tags.iter().map(text).collect();
            let _ = writeln!(out, "Tags: {}", tags.join(", "));
        }
        let _ = writeln!(
            out,
            "Created: {} | Updated: {}",
            or_dash(&t["created_at"]),
            or_dash(&t["updated_at"])
        );
        if self.comments.is_empty() {
            let _ = writeln!(out, "\n(no comments)");
        }
        for (index, comment) in self.comments.iter().enumerate() {
            let visibility = match comment["public"].as_bool() {
                Some(false) => "INTERNAL NOTE (agents only)",
                Some(true) => "public (the requester sees it)",
                None => "visibility unknown",
            };
            let via = comment["via"]["channel"]
                .as_str()
                .map(|channel| format!(" | via {channel}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "\n[{}] {} | {} | {visibility}{via}",
                index + 1,
                or_dash(&comment["created_at"]),
                author(&comment["author"]),
            );
            let _ = writeln!(out, "{}", text(&comment["body"]).trim_end());
            for file in comment["attachments"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "Attachment: {} ({}, {} bytes) {}",
                    text(&file["file_name"]),
                    or_dash(&file["content_type"]),
                    or_dash(&file["size"]),
                    text(&file["url"])
                );
            }
        }
        out
    }

    /// A user named by ID on the ticket, with their name when they wrote in the thread.
    fn person(&self, id: &Value) -> String {
        let Some(id) = id.as_u64() else {
            return "-".to_owned();
        };
        self.comments
            .iter()
            .map(|comment| &comment["author"])
            .find(|author| author["id"].as_u64() == Some(id) && !author["name"].is_null())
            .map(author)
            .unwrap_or_else(|| format!("user #{id}"))
    }
}

/// `Name <email> (role)`, or `user #id` when only the ID is known.
fn author(author: &Value) -> String {
    let id = author["id"].as_u64();
    match (author["name"].as_str(), id) {
        (Some(name), _) => {
            let mut out = name.to_owned();
            if let Some(email) = author["email"].as_str() {
                let _ = write!(out, " <{email}>");
            }
            if let Some(role) = author["role"].as_str() {
                let _ = write!(out, " ({role})");
            }
            out
        }
        (None, Some(id)) => format!("user #{id}"),
        (None, None) => "unknown author".to_owned(),
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn or_dash(value: &Value) -> String {
    match text(value) {
        s if s.is_empty() => "-".to_owned(),
        s => s,
    }
}

fn id_or_dash(value: &Value) -> String {
    value
        .as_u64()
        .map(|id| format!("#{id}"))
        .unwrap_or_else(|| "-".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_reads_like_a_conversation() {
        let thread = Thread {
            ticket: json!({"id": 42, "subject": "Printer on fire", "status": "open", "priority": "urgent",
                           "type": null, "requester_id": 10, "assignee_id": 20, "group_id": 4,
                           "tags": ["printer", "vip"], "created_at": "2024-03-01T09:00:00Z",
                           "updated_at": "2024-03-01T10:00:00Z"}),
            comments: vec![
                json!({"id": 1, "public": true, "body": "My printer is on fire\n",
                       "author": {"id": 10, "name": "Carla", "email": "carla@example.com", "role": "end-user"},
                       "created_at": "2024-03-01T09:00:00Z", "via": {"channel": "email"},
                       "attachments": [{"id": 5, "file_name": "fire.jpg", "content_type": "image/jpeg",
                                        "size": 2048, "url": "https://acme.zendesk.com/a/fire.jpg"}]}),
                json!({"id": 2, "public": false, "body": "Legacy model",
                       "author": {"id": 20, "name": null, "email": null, "role": null},
                       "created_at": "2024-03-01T09:05:00Z", "via": {"channel": "web"}, "attachments": []}),
            ],
        };
        assert_eq!(
            thread.to_text(),
            "Ticket #42: Printer on fire\n\
             Status: open | Priority: urgent | Type: -\n\
             Requester: Carla <carla@example.com> (end-user) | Assignee: user #20 | Group: #4\n\
             Tags: printer, vip\n\
             Created: 2024-03-01T09:00:00Z | Updated: 2024-03-01T10:00:00Z\n\
             \n\
             [1] 2024-03-01T09:00:00Z | Carla <carla@example.com> (end-user) | public (the requester sees it) | via email\n\
             My printer is on fire\n\
             Attachment: fire.jpg (image/jpeg, 2048 bytes) https://acme.zendesk.com/a/fire.jpg\n\
             \n\
             [2] 2024-03-01T09:05:00Z | user #20 | INTERNAL NOTE (agents only) | via web\n\
             Legacy model\n"
        );
    }
}
