//! A ticket's conversation (additions beyond the seed): reading the thread as a person reads it
//! (each comment's author, time, whether the requester sees it, plain-text body, attachments),
//! adding an internal note (never shown to the customer), and replying publicly (emailed to the
//! requester). Writing goes through a ticket update, as in Zendesk: the note and the reply differ
//! only in `public`, which each tool fixes so neither can be reached by accident.

use std::collections::HashMap;

use serde_json::{Map, Value, json};
use zendesk::Detached;
use zendesk_types::TicketId;

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_ticket_comments", get_ticket_comments),
    ("zendesk_add_internal_note", add_internal_note),
    ("zendesk_reply_to_ticket", reply_to_ticket),
];

/// Who wrote what, from the users Zendesk side-loaded with the page (`include=users`).
pub(crate) fn authors(page: &zendesk::Page<Value>) -> HashMap<u64, Value> {
    page.side_loads
        .get("users")
        .and_then(Value::as_array)
        .map(|users| {
            users
                .iter()
                .filter_map(|user| {
                    let id = user.get("id")?.as_u64()?;
                    Some((id, author(id, Some(user))))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `{id, name, email, role}` of a user; only the ID when Zendesk did not side-load them.
pub(crate) fn author(id: u64, user: Option<&Value>) -> Value {
    let field = |key: &str| {
        user.and_then(|u| u.get(key))
            .cloned()
            .unwrap_or(Value::Null)
    };
    json!({ "id": id, "name": field("name"), "email": field("email"), "role": field("role") })
}

/// The author of a record with an `author_id`, resolved against the side-loaded users.
pub(crate) fn author_of(record: &Value, authors: &HashMap<u64, Value>) -> Value {
    match record.get("author_id").and_then(Value::as_u64) {
        Some(id) => authors
            .get(&id)
            .cloned()
            .unwrap_or_else(|| author(id, None)),
        None => Value::Null,
    }
}

/// A comment's text without markup: `body` (Zendesk's text), else `plain_body`, else the HTML
/// with its tags taken out.
pub(crate) fn plain_text(comment: &Value) -> String {
    let text = |key: &str| {
        comment
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(body) = text("body").or_else(|| text("plain_body")) {
        return body.to_owned();
    }
    text("html_body").map(strip_tags).unwrap_or_default()
}

/// HTML to text, enough for a comment or an article: tags dropped, a line break for each block
/// (paragraph, heading, list item, row), common entities decoded.
pub(crate) fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                let block = matches!(
                    name.as_str(),
                    "br" | "p"
                        | "div"
                        | "li"
                        | "ul"
                        | "ol"
                        | "tr"
                        | "table"
                        | "blockquote"
                        | "pre"
                        | "h1"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "h5"
                        | "h6"
                );
                if block {
                    out.push('\n');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

/// One comment as a person reads it.
fn compact_comment(comment: &Value, authors: &HashMap<u64, Value>) -> Value {
    let attachments: Vec<Value> = comment
        .get("attachments")
        .and_then(Value::as_array)
        .map(|files| {
            files
                .iter()
                .map(|file| {
                    json!({
                        "id": file.get("id"),
                        "file_name": file.get("file_name"),
                        "content_type": file.get("content_type"),
                        "size": file.get("size"),
                        "url": file.get("content_url"),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "id": comment.get("id"),
        "public": comment.get("public"),
        "body": plain_text(comment),
        "author": author_of(comment, authors),
        "created_at": comment.get("created_at"),
        "via": { "channel": comment.pointer("/via/channel") },
        "attachments": attachments,
    })
}

fn get_ticket_comments(p: &Params) -> Result<Plan, ToolError> {
    let id = TicketId(p.required_id("ticketId")?);
    let fields = p.fields()?;
    let mut list = Detached.tickets().comments(id).include("users");
    if p.choice("sortOrder")? == Some("desc") {
        list = list.newest_first();
    }
    Plan::list(p.paged(list)?, move |mut page| {
        let authors = authors(&page);
        page.items = page
            .items
            .iter()
            .map(|comment| compact_comment(comment, &authors))
            .collect();
        Ok(output::page(page, "comments", fields.as_deref()))
    })
}

/// What a comment added through a ticket update became: the Comment event of the update's
/// audit, with the ticket's status after the change.
fn written(body: Value, id: u64, sent: &str, public: bool) -> Result<Value, ToolError> {
    let status = body.pointer("/ticket/status").cloned().ok_or_else(|| {
        ToolError::invalid(
            "Zendesk's answer had no `ticket`; check the subdomain or ZENDESK_BASE_URL",
        )
    })?;
    let event = body
        .pointer("/audit/events")
        .and_then(Value::as_array)
        .and_then(|events| events.iter().find(|e| e["type"] == "Comment"));
    let comment = match event {
        Some(event) => {
            let mut comment = json!({
                "id": event.get("id"),
                "public": event.get("public").and_then(Value::as_bool).unwrap_or(public),
                "body": plain_text(event),
                "author_id": event.get("author_id"),
            });
            // Only a comment that carries files says so: a plain note stays as small as it was.
            if let Some(files) = event
                .get("attachments")
                .and_then(Value::as_array)
                .filter(|files| !files.is_empty())
            {
                comment["attachments"] = files
                    .iter()
                    .map(crate::tools::attachments::compact)
                    .collect();
            }
            comment
        }
        None => json!({ "id": null, "public": public, "body": sent, "author_id": null }),
    };
    let mut out = json!({ "ticket_id": id, "comment": comment, "status": status });
    if let Some(audit) = body.get("audit") {
        out["audit"] = crate::tools::audits::of_write(audit);
    }
    Ok(out)
}

fn plan_comment(p: &Params, public: bool, status: Option<&str>) -> Result<Plan, ToolError> {
    let id = p.required_id("ticketId")?;
    let body = p.required_text("body")?.to_owned();
    let mut comment = json!({ "body": body, "public": public });
    if let Some(tokens) = p.list("uploadTokens")? {
        if tokens.len() > 20 {
            return Err(ToolError::invalid(format!(
                "uploadTokens has {} tokens; a comment takes at most 20",
                tokens.len()
            )));
        }
        comment["uploads"] = json!(tokens);
    }
    let mut changes = Map::new();
    changes.insert("comment".into(), comment);
    if let Some(status) = status {
        changes.insert("status".into(), json!(status));
    }
    if let Some(ccs) = crate::tools::tickets::email_ccs(p)? {
        changes.insert("email_ccs".into(), ccs);
    }
    Plan::send(
        Detached.tickets().update(TicketId(id), &changes),
        move |answer| written(answer, id, &body, public),
    )
}

fn add_internal_note(p: &Params) -> Result<Plan, ToolError> {
    plan_comment(p, false, None)
}

fn reply_to_ticket(p: &Params) -> Result<Plan, ToolError> {
    let status = p.choice("status")?;
    plan_comment(p, true, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_only_comments_read_as_text() {
        let comment =
            json!({"html_body": "<div><p>Hi &amp; welcome</p><p>Line two<br>end</p></div>"});
        assert_eq!(plain_text(&comment), "Hi & welcome\n\nLine two\nend");
        assert_eq!(
            plain_text(&json!({"body": "plain", "html_body": "<b>x</b>"})),
            "plain"
        );
    }

    #[test]
    fn a_comment_reads_with_its_author_or_at_least_their_id() {
        let mut authors = HashMap::new();
        authors.insert(
            7,
            author(7, Some(&json!({"id": 7, "name": "Ada", "email": "ada@x", "role": "agent", "phone": "1"}))),
        );
        let comment = json!({"id": 1, "public": false, "body": "note", "author_id": 7,
                              "created_at": "2024-01-01T00:00:00Z", "via": {"channel": "web"},
                              "attachments": [{"id": 3, "file_name": "a.txt", "content_type": "text/plain",
                                               "content_url": "https://x/a.txt", "size": 4, "thumbnails": []}]});
        let out = compact_comment(&comment, &authors);
        assert_eq!(
            out,
            json!({"id": 1, "public": false, "body": "note",
                   "author": {"id": 7, "name": "Ada", "email": "ada@x", "role": "agent"},
                   "created_at": "2024-01-01T00:00:00Z", "via": {"channel": "web"},
                   "attachments": [{"id": 3, "file_name": "a.txt", "content_type": "text/plain", "size": 4, "url": "https://x/a.txt"}]})
        );
        let unknown = compact_comment(&json!({"id": 2, "author_id": 9, "body": "x"}), &authors);
        assert_eq!(
            unknown["author"],
            json!({"id": 9, "name": null, "email": null, "role": null})
        );
    }
}
