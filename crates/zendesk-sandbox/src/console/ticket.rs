//! `/console/tickets/{id}`: a ticket's fields (custom fields by their titles), its thread with
//! public replies and internal notes plainly apart, the audit timeline (each change's author
//! and channel: API, a trigger by title, web), and a form that adds an internal note or sends a
//! public reply and changes status, priority and assignee, through `PUT /api/v2/tickets/{id}`
//! as the signed-in agent.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::api::Api;
use super::html::{self, People, escape, status_badge, text_of, time};
use super::session::{Form, Viewer};
use super::{Console, param, query_pairs};

/// The most comments and audits a page shows (the first ones).
const MOST: usize = 2_000;

/// Audit fields whose values are users, shown by name.
const PEOPLE_FIELDS: &[&str] = &["requester_id", "assignee_id", "submitter_id"];

const STATUSES: &[&str] = &["new", "open", "pending", "hold", "solved", "closed"];
const PRIORITIES: &[&str] = &["low", "normal", "high", "urgent"];

/// What the form held when a write was refused: shown again with the API's reason.
#[derive(Default)]
struct Draft {
    body: String,
    error: Option<String>,
}

pub async fn page(
    State(_): State<Console>,
    viewer: Viewer,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let pairs = query_pairs(&uri);
    let notice = match param(&pairs, "saved") {
        Some("note") => Some("Internal note added."),
        Some("reply") => Some("Public reply sent."),
        Some("fields") => Some("Ticket updated."),
        Some("nothing") => Some("Nothing to save: write a comment or change a field."),
        _ => None,
    };
    render(&viewer, id, notice, Draft::default(), StatusCode::OK).await
}

/// `POST /console/tickets/{id}`: `body` with `action` `note` (internal) or `reply` (public),
/// and `status`, `priority`, `assignee_id` when they differ from the ticket's.
pub async fn update(
    State(_): State<Console>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let form = Form::parse(&body);
    if let Err(refused) = form.check_csrf(&viewer.csrf) {
        return refused.into_response();
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found();
    };
    let current = match viewer.api.get(&format!("/api/v2/tickets/{id}")).await {
        Ok(answer) => answer["ticket"].clone(),
        Err(refused) => return refused_page(refused.status, &refused.message),
    };
    let (patch, saved) = match changes(&form, &current) {
        Ok(Some(changes)) => changes,
        Ok(None) => return html::see_other(&format!("/console/tickets/{id}?saved=nothing")),
        Err(message) => {
            let draft = Draft {
                body: form.get("body").to_string(),
                error: Some(message),
            };
            return render(&viewer, id, None, draft, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let answer = viewer
        .api
        .call(
            Method::PUT,
            &format!("/api/v2/tickets/{id}"),
            Some(&json!({"ticket": patch})),
        )
        .await;
    if answer.status.is_success() {
        return html::see_other(&format!("/console/tickets/{id}?saved={saved}#thread-end"));
    }
    let draft = Draft {
        body: form.get("body").to_string(),
        error: Some(answer.message()),
    };
    let status = if answer.status.is_client_error() {
        answer.status
    } else {
        StatusCode::BAD_GATEWAY
    };
    render(&viewer, id, None, draft, status).await
}

/// The ticket update the form asks for, and what to say once saved; `None`: nothing to do.
fn changes(form: &Form, current: &Value) -> Result<Option<(Value, &'static str)>, String> {
    let mut patch = Map::new();
    let body = form.get("body");
    let saved = match form.get("action") {
        "reply" => "reply",
        "note" => "note",
        other => {
            return Err(format!(
                "Choose \"Add internal note\" or \"Send public reply\" (got action `{other}`)."
            ));
        }
    };
    let has_comment = !body.trim().is_empty();
    if has_comment {
        patch.insert(
            "comment".into(),
            json!({"body": body, "public": saved == "reply"}),
        );
    }
    let changed = |field: &str, given: &str| {
        let now = current[field]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                current[field]
                    .as_i64()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            });
        given != now
    };
    let status = form.get("status");
    if !status.is_empty() && changed("status", status) {
        if !STATUSES.contains(&status) {
            return Err(format!("status must be one of {}", STATUSES.join(", ")));
        }
        patch.insert("status".into(), json!(status));
    }
    let priority = form.get("priority");
    if changed("priority", priority) {
        if !priority.is_empty() && !PRIORITIES.contains(&priority) {
            return Err(format!("priority must be one of {}", PRIORITIES.join(", ")));
        }
        let value = if priority.is_empty() {
            Value::Null
        } else {
            json!(priority)
        };
        patch.insert("priority".into(), value);
    }
    let assignee = form.get("assignee_id");
    if changed("assignee_id", assignee) {
        let value = if assignee.is_empty() {
            Value::Null
        } else {
            json!(
                assignee
                    .parse::<i64>()
                    .map_err(|_| "assignee_id must be an agent's id".to_string())?
            )
        };
        patch.insert("assignee_id".into(), value);
    }
    if patch.is_empty() {
        return Ok(None);
    }
    Ok(Some((
        Value::Object(patch),
        if has_comment { saved } else { "fields" },
    )))
}

async fn render(
    viewer: &Viewer,
    id: i64,
    notice: Option<&str>,
    draft: Draft,
    status: StatusCode,
) -> Response {
    let api = &viewer.api;
    let shown = match api
        .get(&format!("/api/v2/tickets/{id}?include=users,groups"))
        .await
    {
        Ok(shown) => shown,
        Err(refused) => return refused_page(refused.status, &refused.message),
    };
    let ticket = &shown["ticket"];
    let comments_path = format!("/api/v2/tickets/{id}/comments?include=users&per_page=100");
    let audits_path = format!("/api/v2/tickets/{id}/audits?include=users&per_page=100");
    let (comments, audits, fields, agents) = tokio::join!(
        api.get_all(&comments_path, "comments", MOST),
        api.get_all(&audits_path, "audits", MOST),
        custom_field_titles(api, ticket),
        assignable_agents(api),
    );
    let mut people = People::default();
    people.add(shown["users"].as_array().cloned().unwrap_or_default());
    let (comments, comment_users) = comments.unwrap_or_default();
    let (audits, audit_users) = audits.unwrap_or_default();
    people.add(comment_users);
    people.add(audit_users);
    people.add(agents.clone());
    // Email recipients and people the timeline names.
    let named: Vec<i64> = audits
        .iter()
        .flat_map(|a| a["events"].as_array().cloned().unwrap_or_default())
        .flat_map(|e| {
            let mut ids = e["recipients"].as_array().cloned().unwrap_or_default();
            if PEOPLE_FIELDS.contains(&e["field_name"].as_str().unwrap_or("")) {
                ids.extend([e["value"].clone(), e["previous_value"].clone()]);
            }
            ids
        })
        .filter_map(|id| id.as_i64())
        .collect();
    people.fetch(api, named).await;
    let group = shown["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|g| g["id"] == ticket["group_id"])
        .and_then(|g| g["name"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| text_of(&ticket["group_id"]));

    let subject = ticket["subject"].as_str().unwrap_or("(no subject)");
    let notice = notice
        .map(|n| format!("<p class=\"flash ok\" role=\"status\">{}</p>", escape(n)))
        .unwrap_or_default();
    let error = draft
        .error
        .as_deref()
        .map(|e| format!("<p class=\"flash error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<div class=\"ticket-page\">\n<div class=\"ticket-main\">\n\
         <h1><span class=\"id\">#{id}</span> <span class=\"subject\">{}</span></h1>\n{notice}{error}\
         {}\n{}\n</div>\n<aside class=\"ticket-side\">{}\n{}</aside>\n</div>",
        escape(subject),
        thread(&comments, &people),
        reply_form(viewer, id, ticket, &agents, &draft),
        fields_table(ticket, &people, &group, &fields),
        timeline(&audits, &people),
    );
    html::page_with_status(
        viewer,
        status,
        None,
        &format!("#{id} {subject}"),
        None,
        &body,
    )
}

fn not_found() -> Response {
    refused_page(StatusCode::NOT_FOUND, "There is no such ticket.")
}

fn refused_page(status: StatusCode, message: &str) -> Response {
    let title = match status.as_u16() {
        403 => "You may not see this ticket",
        404 => "Ticket not found",
        _ => "The ticket could not be shown",
    };
    html::error_page(status, title, message)
}

/// Custom field titles by id (`/ticket_fields`), only when the ticket has custom values.
async fn custom_field_titles(api: &Api, ticket: &Value) -> Vec<(i64, String)> {
    let has_values = ticket["custom_fields"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| !f["value"].is_null());
    if !has_values {
        return Vec::new();
    }
    let Ok((fields, _)) = api
        .get_all("/api/v2/ticket_fields?per_page=100", "ticket_fields", 1_000)
        .await
    else {
        return Vec::new();
    };
    fields
        .iter()
        .filter_map(|f| Some((f["id"].as_i64()?, f["title"].as_str()?.to_string())))
        .collect()
}

/// Agents and admins who may be assigned (`/users?role[]=agent&role[]=admin`).
async fn assignable_agents(api: &Api) -> Vec<Value> {
    api.get_all(
        "/api/v2/users?role%5B%5D=agent&role%5B%5D=admin&per_page=100",
        "users",
        500,
    )
    .await
    .map(|(users, _)| users)
    .unwrap_or_default()
}

fn fields_table(ticket: &Value, people: &People, group: &str, titles: &[(i64, String)]) -> String {
    let row = |name: &str, value: String| {
        format!(
            "<tr><th scope=\"row\">{}</th><td>{value}</td></tr>",
            escape(name)
        )
    };
    let mut rows = vec![
        row("Status", status_badge(&ticket["status"])),
        row("Priority", escape(&text_of(&ticket["priority"]))),
        row("Type", escape(&text_of(&ticket["type"]))),
        row("Requester", escape(&people.name(&ticket["requester_id"]))),
        row("Assignee", escape(&people.name(&ticket["assignee_id"]))),
        row("Group", escape(group)),
        row(
            "Tags",
            ticket["tags"]
                .as_array()
                .filter(|tags| !tags.is_empty())
                .map(|tags| {
                    tags.iter()
                        .map(|t| format!("<span class=\"tag\">{}</span>", escape(&text_of(t))))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|| "-".to_string()),
        ),
        row("Created", time(&ticket["created_at"])),
        row("Updated", time(&ticket["updated_at"])),
    ];
    for field in ticket["custom_fields"].as_array().into_iter().flatten() {
        if field["value"].is_null() {
            continue;
        }
        let id = field["id"].as_i64().unwrap_or_default();
        let title = titles
            .iter()
            .find(|(fid, _)| *fid == id)
            .map(|(_, t)| t.clone())
            .unwrap_or_else(|| format!("Field {id}"));
        rows.push(row(&title, escape(&text_of(&field["value"]))));
    }
    format!(
        "<section class=\"fields\"><h2>Fields</h2><table>{}</table></section>",
        rows.join("")
    )
}

fn thread(comments: &[Value], people: &People) -> String {
    let mut out = String::from("<section class=\"thread\" aria-label=\"Conversation\">\n");
    for comment in comments {
        let public = comment["public"] != false;
        let (class, label) = if public {
            ("comment public", "Public reply")
        } else {
            ("comment internal", "Internal note")
        };
        let text = comment["plain_body"]
            .as_str()
            .or_else(|| comment["body"].as_str())
            .unwrap_or("");
        let attachments: Vec<String> = comment["attachments"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                format!(
                    "<li>{}</li>",
                    escape(a["file_name"].as_str().unwrap_or("attachment"))
                )
            })
            .collect();
        let attachments = if attachments.is_empty() {
            String::new()
        } else {
            format!("<ul class=\"attachments\">{}</ul>", attachments.join(""))
        };
        out.push_str(&format!(
            "<article class=\"{class}\" data-comment-id=\"{}\">\
             <header><span class=\"label\">{label}</span> <strong>{}</strong> {}</header>\
             <div class=\"body\">{}</div>{attachments}</article>\n",
            escape(&text_of(&comment["id"])),
            escape(&people.name(&comment["author_id"])),
            time(&comment["created_at"]),
            escape(text),
        ));
    }
    out.push_str("<span id=\"thread-end\"></span></section>");
    out
}

fn reply_form(viewer: &Viewer, id: i64, ticket: &Value, agents: &[Value], draft: &Draft) -> String {
    let options = |values: &[&str], current: &Value, blank: Option<&str>| {
        let mut out = String::new();
        if let Some(blank) = blank {
            let selected = if current.is_null() { " selected" } else { "" };
            out.push_str(&format!("<option value=\"\"{selected}>{blank}</option>"));
        }
        for value in values {
            let selected = if current == value { " selected" } else { "" };
            out.push_str(&format!(
                "<option value=\"{}\"{selected}>{}</option>",
                escape(value),
                escape(value)
            ));
        }
        out
    };
    let mut assignees = String::from("<option value=\"\">(unassigned)</option>");
    let mut listed = false;
    for agent in agents {
        let Some(agent_id) = agent["id"].as_i64() else {
            continue;
        };
        let selected = if ticket["assignee_id"].as_i64() == Some(agent_id) {
            listed = true;
            " selected"
        } else {
            ""
        };
        assignees.push_str(&format!(
            "<option value=\"{agent_id}\"{selected}>{}</option>",
            escape(agent["name"].as_str().unwrap_or(""))
        ));
    }
    if let (false, Some(assignee)) = (listed, ticket["assignee_id"].as_i64()) {
        assignees.push_str(&format!(
            "<option value=\"{assignee}\" selected>user {assignee}</option>"
        ));
    }
    format!(
        "<form method=\"post\" action=\"/console/tickets/{id}\" class=\"reply-form\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\n\
         <label for=\"body\">Comment</label>\n\
         <textarea id=\"body\" name=\"body\" rows=\"5\" \
         placeholder=\"A public reply is emailed to the requester; an internal note is seen by agents only.\">{}</textarea>\n\
         <div class=\"form-fields\">\
         <label>Status <select name=\"status\">{}</select></label>\
         <label>Priority <select name=\"priority\">{}</select></label>\
         <label>Assignee <select name=\"assignee_id\">{assignees}</select></label></div>\n\
         <div class=\"buttons\">\
         <button type=\"submit\" name=\"action\" value=\"note\" class=\"note\">Add internal note</button>\
         <button type=\"submit\" name=\"action\" value=\"reply\" class=\"primary\">Send public reply</button>\
         </div>\n</form>",
        escape(&viewer.csrf),
        escape(&draft.body),
        options(STATUSES, &ticket["status"], None),
        options(PRIORITIES, &ticket["priority"], Some("-")),
    )
}

/// The audit timeline, newest first.
fn timeline(audits: &[Value], people: &People) -> String {
    let mut out = String::from("<section class=\"timeline\"><h2>Timeline</h2><ol>\n");
    for audit in audits.iter().rev() {
        let events: Vec<String> = audit["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|event| event_line(event, people))
            .map(|line| format!("<li>{line}</li>"))
            .collect();
        out.push_str(&format!(
            "<li class=\"audit\"><div class=\"who\"><strong>{}</strong> <span class=\"via\">via {}</span> {}</div>\
             <ul class=\"events\">{}</ul></li>\n",
            escape(&people.name(&audit["author_id"])),
            escape(&via(&audit["via"])),
            time(&audit["created_at"]),
            events.join("")
        ));
    }
    out.push_str("</ol></section>");
    out
}

/// The channel a change came through, in words: `API`, `trigger "Title"`, `web`.
fn via(via: &Value) -> String {
    let channel = via["channel"].as_str().unwrap_or("unknown");
    let from = &via["source"]["from"];
    let named = from["title"]
        .as_str()
        .or_else(|| from["name"].as_str())
        .filter(|n| !n.is_empty());
    match (channel, via["source"]["rel"].as_str(), named) {
        ("rule", Some(rel), Some(title)) => format!("{rel} \u{201c}{title}\u{201d}"),
        ("rule", _, Some(title)) => format!("rule \u{201c}{title}\u{201d}"),
        ("api", _, Some(name)) => format!("API ({name})"),
        ("api", _, None) => "API".to_string(),
        (channel, _, Some(name)) => format!("{channel} ({name})"),
        (channel, _, None) => channel.to_string(),
    }
}

/// One audit event as a line of HTML; `None` for events with nothing to say.
fn event_line(event: &Value, people: &People) -> Option<String> {
    let field_name = event["field_name"].as_str().unwrap_or("");
    let field = escape(field_name);
    // People by name; other values as the API gives them.
    let shown = |value: &Value| {
        if PEOPLE_FIELDS.contains(&field_name) && value.as_i64().is_some() {
            people.name(value)
        } else {
            text_of(value)
        }
    };
    let value = escape(&shown(&event["value"]));
    Some(match event["type"].as_str()? {
        "Comment" => {
            if event["public"] == false {
                "<span class=\"label internal\">Internal note</span> added".to_string()
            } else {
                "<span class=\"label public\">Public reply</span> added".to_string()
            }
        }
        "Create" if event["value"].is_null() => return None,
        "Create" => format!("{field} set to <b>{value}</b>"),
        "Change" => format!(
            "{field}: {} \u{2192} <b>{value}</b>",
            escape(&shown(&event["previous_value"]))
        ),
        "Notification" | "Email" => {
            let recipients: Vec<String> = match &event["recipients"] {
                Value::Array(ids) => ids.iter().map(|id| people.name(id)).collect(),
                other => vec![text_of(other)],
            };
            format!(
                "Email to {}: {}",
                escape(&recipients.join(", ")),
                escape(&text_of(&event["subject"]))
            )
        }
        "VoiceComment" | "Tweet" | "FacebookEvent" => escape(event["type"].as_str()?),
        other => escape(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(text: &str) -> Form {
        Form::parse(text.as_bytes())
    }

    #[test]
    fn the_form_sends_only_what_changed() {
        let current = json!({"status": "open", "priority": "normal", "assignee_id": 7});
        let (patch, saved) = changes(
            &form("action=note&body=hello&status=open&priority=normal&assignee_id=7"),
            &current,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            patch,
            json!({"comment": {"body": "hello", "public": false}})
        );
        assert_eq!(saved, "note");
        let (patch, saved) = changes(
            &form("action=reply&body=&status=pending&priority=&assignee_id="),
            &current,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            patch,
            json!({"status": "pending", "priority": null, "assignee_id": null})
        );
        assert_eq!(saved, "fields");
        assert!(
            changes(
                &form("action=reply&body=%20&status=open&priority=normal&assignee_id=7"),
                &current
            )
            .unwrap()
            .is_none()
        );
        assert!(changes(&form("action=delete&body=x"), &current).is_err());
        assert!(changes(&form("action=note&status=gone"), &current).is_err());
    }

    #[test]
    fn via_names_the_trigger_or_the_api() {
        assert_eq!(
            via(
                &json!({"channel": "rule", "source": {"rel": "trigger", "from": {"id": 1, "title": "Notify"}}})
            ),
            "trigger \u{201c}Notify\u{201d}"
        );
        assert_eq!(
            via(&json!({"channel": "api", "source": {"from": {}}})),
            "API"
        );
        assert_eq!(via(&json!({"channel": "web"})), "web");
    }

    #[test]
    fn internal_notes_are_labelled_and_values_escaped() {
        let people = People::default();
        let html = thread(
            &[
                json!({"id": 1, "public": true, "plain_body": "<script>x</script>", "author_id": 1}),
                json!({"id": 2, "public": false, "plain_body": "secret plan", "author_id": 1}),
            ],
            &people,
        );
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("class=\"comment internal\""), "{html}");
        assert!(html.contains("Internal note"), "{html}");
    }
}
