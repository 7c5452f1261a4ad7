//! Tickets: list (cursor + offset, documented sorts), show, show_many, create (201 + audit +
//! Location), create_many, update (comments, tag semantics, closed tickets refuse updates),
//! update_many (both forms), soft delete, destroy_many, merge, comments, audits, and the
//! deleted-ticket list with restore and purge.
//!
//! The write rules (`create_ticket`, `update_ticket`, `delete_ticket`, `merge_tickets`) work on
//! one connection inside the caller's transaction, so a refused request changes nothing; the
//! job runner calls the same functions for bulk items.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sqlx::SqliteConnection;

use super::path_id;
use super::shared::{
    self, Bulk, Listing, Resource, created_response, fetch, fetch_in, job_answer, required_ids,
};
use crate::AppState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::jobs::JobKind;
use crate::paging::{self, ListTarget, PageRequest, Sort, page_request};
use crate::store::{self, Bind, Filter, Table};
use crate::util::{
    BaseUrl, JsonBody, Query, as_id, iso, now, object_under, opt_bool, opt_id, opt_str, tag_list,
};

const STATUSES: [&str; 6] = ["new", "open", "pending", "hold", "solved", "closed"];
const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
const TYPES: [&str; 4] = ["problem", "incident", "question", "task"];

/// Tickets as served and bulk-changed (see `shared`).
pub struct Tickets;

impl Resource for Tickets {
    const TABLE: Table = Table::Tickets;
    const ONE: &'static str = "ticket";
    const MANY: &'static str = "tickets";
}

impl Bulk for Tickets {
    const CREATE: JobKind = JobKind::TicketsCreate;
    const UPDATE: JobKind = JobKind::TicketsUpdate;
    const DESTROY: JobKind = JobKind::TicketsDestroy;
}

fn can_see(caller: &Caller, ticket: &Value) -> bool {
    caller.is_agent() || ticket.get("requester_id").and_then(Value::as_i64) == Some(caller.id)
}

async fn live_ticket(conn: &mut SqliteConnection, id: i64) -> Result<Value, ApiError> {
    fetch_in(conn, Table::Tickets, id).await
}

async fn user(conn: &mut SqliteConnection, id: i64) -> Result<Option<Value>, ApiError> {
    Ok(store::get_json(conn, Table::Users, id).await?)
}

fn plain_html(body: &str) -> String {
    let escaped = body
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let paragraphs: Vec<String> = escaped
        .split("\n\n")
        .map(|p| format!("<p dir=\"auto\">{}</p>", p.replace('\n', "<br>")))
        .collect();
    format!(
        "<div class=\"zd-comment\" dir=\"auto\">{}</div>",
        paragraphs.join("\n\n")
    )
}

/// The account's one brand and one ticket form (the sandbox has no brand or form endpoints).
const DEFAULT_BRAND_ID: i64 = 5_000_000_001;
const DEFAULT_TICKET_FORM_ID: i64 = 6_000_000_001;

/// The built-in custom status of each status category (closed shares solved's).
fn custom_status_id(status: &str) -> i64 {
    7_000_000_000
        + match status {
            "new" => 1,
            "open" => 2,
            "pending" => 3,
            "hold" => 4,
            _ => 5,
        }
}

/// What Zendesk records about the client behind an audit or comment.
fn audit_metadata() -> Value {
    json!({"system": {"client": "zd-sandbox", "ip_address": "127.0.0.1", "location": "Sandbox",
        "latitude": 0.0, "longitude": 0.0}, "custom": {}})
}

fn via_api() -> Value {
    json!({"channel": "api", "source": {"from": {}, "to": {}, "rel": null}})
}

/// The comment a request body asks for: `comment` ({body | html_body, public, author_id}), or for
/// a create, a top-level `description`.
struct NewComment {
    body: String,
    html_body: Option<String>,
    public: bool,
    author_id: Option<i64>,
}

fn read_comment(
    input: &Map<String, Value>,
    allow_description: bool,
) -> Result<Option<NewComment>, ApiError> {
    match input.get("comment") {
        None | Some(Value::Null) => {}
        Some(Value::String(body)) if !body.trim().is_empty() => {
            return Ok(Some(NewComment {
                body: body.clone(),
                html_body: None,
                public: true,
                author_id: None,
            }));
        }
        Some(Value::Object(comment)) => {
            let body = opt_str(comment, "body")?.flatten();
            let html = opt_str(comment, "html_body")?.flatten();
            let text = body.clone().or_else(|| html.clone()).unwrap_or_default();
            if !text.trim().is_empty() {
                return Ok(Some(NewComment {
                    body: text,
                    html_body: html,
                    public: opt_bool(comment, "public")?.unwrap_or(true),
                    author_id: opt_id(comment, "author_id")?.flatten(),
                }));
            }
        }
        Some(Value::String(_)) => {}
        Some(other) => {
            return Err(ApiError::invalid(
                "comment",
                format!("comment: must be an object such as {{\"body\": \"text\"}}, got {other}"),
                "InvalidValue",
            ));
        }
    }
    if allow_description
        && let Some(Some(description)) = opt_str(input, "description")?
        && !description.trim().is_empty()
    {
        return Ok(Some(NewComment {
            body: description,
            html_body: None,
            public: true,
            author_id: None,
        }));
    }
    Ok(None)
}

fn enum_field(
    input: &Map<String, Value>,
    field: &str,
    allowed: &[&str],
    nullable: bool,
) -> Result<Option<Option<String>>, ApiError> {
    match opt_str(input, field)? {
        None => Ok(None),
        Some(None) if nullable => Ok(Some(None)),
        Some(None) => Err(ApiError::invalid(
            field,
            format!(
                "{}: cannot be blank; use one of {}",
                capitalized(field),
                allowed.join(", ")
            ),
            "BlankValue",
        )),
        Some(Some(value)) => {
            let lower = value.trim().to_lowercase();
            if lower.is_empty() && nullable {
                return Ok(Some(None));
            }
            if allowed.contains(&lower.as_str()) {
                Ok(Some(Some(lower)))
            } else {
                Err(ApiError::invalid(
                    field,
                    format!(
                        "{}: `{value}` is not valid; use one of {}",
                        capitalized(field),
                        allowed.join(", ")
                    ),
                    "InvalidValue",
                ))
            }
        }
    }
}

fn capitalized(field: &str) -> String {
    let mut chars = field.chars();
    match chars.next() {
        Some(c) => c
            .to_uppercase()
            .chain(chars)
            .collect::<String>()
            .replace('_', " "),
        None => String::new(),
    }
}

fn id_list(input: &Map<String, Value>, field: &str) -> Result<Option<Vec<i64>>, ApiError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                as_id(v).ok_or_else(|| {
                    ApiError::invalid(
                        field,
                        format!("{field}: every entry must be a numeric id, got {v}"),
                        "InvalidValue",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(ApiError::invalid(
            field,
            format!("{field}: must be an array of numeric ids, got {other}"),
            "InvalidValue",
        )),
    }
}

fn custom_fields(input: &Map<String, Value>) -> Result<Option<Vec<Value>>, ApiError> {
    let Some(value) = input.get("custom_fields").or_else(|| input.get("fields")) else {
        return Ok(None);
    };
    let items = match value {
        Value::Null => return Ok(Some(Vec::new())),
        Value::Array(items) => items.clone(),
        // `{"360001": "x"}` is a common shorthand: accept it.
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| json!({"id": k, "value": v}))
            .collect(),
        other => {
            return Err(ApiError::invalid(
                "custom_fields",
                format!(
                    "custom_fields: must be an array of {{\"id\": 123, \"value\": ...}}, got {other}"
                ),
                "InvalidValue",
            ));
        }
    };
    items
        .iter()
        .map(|item| {
            let id = item.get("id").and_then(as_id).ok_or_else(|| {
                ApiError::invalid(
                    "custom_fields",
                    format!("custom_fields: every entry needs a numeric `id`, got {item}"),
                    "InvalidValue",
                )
            })?;
            Ok(json!({"id": id, "value": item.get("value").cloned().unwrap_or(Value::Null)}))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn merge_custom_fields(current: &Value, changes: Vec<Value>) -> Vec<Value> {
    let mut fields: Vec<Value> = current.as_array().cloned().unwrap_or_default();
    for change in changes {
        let id = change.get("id").cloned();
        match fields.iter_mut().find(|f| f.get("id") == id.as_ref()) {
            Some(existing) => *existing = change,
            None => fields.push(change),
        }
    }
    fields
}

/// Resolves `requester: {name, email}` to a user, creating an end-user when the email is new.
async fn resolve_requester(
    conn: &mut SqliteConnection,
    spec: &Map<String, Value>,
    at: &str,
) -> Result<i64, ApiError> {
    let email = opt_str(spec, "email")?.flatten();
    let name = opt_str(spec, "name")?.flatten();
    if let Some(email) = &email {
        if !email.contains('@') {
            return Err(ApiError::invalid(
                "requester",
                format!("Requester: email `{email}` is not a valid email address"),
                "InvalidValue",
            ));
        }
        if let Some(id) = store::user_id_by(conn, "email", email).await? {
            return Ok(id);
        }
    }
    let Some(name) = name.or_else(|| {
        email
            .as_ref()
            .map(|e| e.split('@').next().unwrap_or(e).to_string())
    }) else {
        return Err(ApiError::invalid(
            "requester",
            "Requester: needs a name or an email, such as {\"name\": \"Jo\", \"email\": \"jo@example.com\"}",
            "BlankValue",
        ));
    };
    let id = store::next_row_id(conn, "users").await?;
    let mut user = store::new_user_json(id, &name, at);
    user["email"] = json!(email);
    store::save_user(conn, &user).await?;
    Ok(id)
}

async fn check_user_ref(
    conn: &mut SqliteConnection,
    field: &str,
    id: Option<i64>,
    must_be_agent: bool,
) -> Result<Option<Value>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    let Some(found) = user(conn, id).await? else {
        return Err(ApiError::invalid(
            field,
            format!("{}: no user has id {id}", capitalized(field)),
            "InvalidValue",
        ));
    };
    if must_be_agent && found.get("role").and_then(Value::as_str) == Some("end-user") {
        return Err(ApiError::invalid(
            field,
            format!(
                "{}: user {id} is an end-user; only agents and admins can be assigned",
                capitalized(field)
            ),
            "InvalidValue",
        ));
    }
    Ok(Some(found))
}

async fn check_ref(
    conn: &mut SqliteConnection,
    field: &str,
    table: Table,
    id: Option<i64>,
) -> Result<(), ApiError> {
    shared::check_ref(conn, field, &capitalized(field), table, id).await
}

fn derive_subject(description: &str) -> String {
    let first = description
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let mut subject: String = first.trim().chars().take(50).collect();
    if first.trim().chars().count() > 50 {
        subject.push_str("...");
    }
    subject
}

fn comment_json(id: i64, audit_id: i64, author: i64, c: &NewComment, at: &str) -> Value {
    let html = c.html_body.clone().unwrap_or_else(|| plain_html(&c.body));
    json!({
        "id": id, "type": "Comment", "author_id": author, "body": c.body, "html_body": html,
        "plain_body": c.body, "public": c.public, "attachments": [], "audit_id": audit_id,
        "via": via_api(), "created_at": at,
        "metadata": audit_metadata()
    })
}

fn event_value(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

/// Creates one ticket; returns (ticket, audit).
pub async fn create_ticket(
    conn: &mut SqliteConnection,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<(Value, Value), ApiError> {
    // End-users describe their problem; routing fields are the agents' to set.
    let filtered;
    let input = if caller.role == Role::EndUser {
        filtered = input
            .iter()
            .filter(|(k, _)| {
                [
                    "subject",
                    "comment",
                    "description",
                    "priority",
                    "type",
                    "custom_fields",
                ]
                .contains(&k.as_str())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Map<String, Value>>();
        &filtered
    } else {
        input
    };
    let ts = now();
    let at = iso(ts);
    let Some(comment) = read_comment(input, true)? else {
        return Err(ApiError::invalid(
            "description",
            "Description: cannot be blank; give `comment: {\"body\": \"...\"}` or `description`",
            "BlankValue",
        ));
    };
    let status = enum_field(input, "status", &STATUSES, false)?.flatten();
    let priority = enum_field(input, "priority", &PRIORITIES, true)?.flatten();
    let ticket_type = enum_field(input, "type", &TYPES, true)?.flatten();
    let assignee_id = opt_id(input, "assignee_id")?.flatten();
    let group_id = opt_id(input, "group_id")?.flatten();
    let mut requester_id = opt_id(input, "requester_id")?.flatten();
    let submitter_id = opt_id(input, "submitter_id")?.flatten();
    let organization_id = opt_id(input, "organization_id")?.flatten();
    check_user_ref(conn, "assignee_id", assignee_id, true).await?;
    check_ref(conn, "group_id", Table::Groups, group_id).await?;
    check_ref(
        conn,
        "organization_id",
        Table::Organizations,
        organization_id,
    )
    .await?;
    if caller.role == Role::EndUser {
        // End-users open tickets for themselves only.
        requester_id = Some(caller.id);
    } else if requester_id.is_none()
        && let Some(Value::Object(spec)) = input.get("requester")
    {
        requester_id = Some(resolve_requester(conn, spec, &at).await?);
    }
    let requester_id = requester_id.unwrap_or(caller.id);
    let requester = check_user_ref(conn, "requester_id", Some(requester_id), false)
        .await?
        .unwrap_or(Value::Null);
    let submitter_id = if caller.is_agent() {
        submitter_id.unwrap_or(caller.id)
    } else {
        caller.id
    };
    check_user_ref(conn, "submitter_id", Some(submitter_id), false).await?;
    let organization_id =
        organization_id.or_else(|| requester.get("organization_id").and_then(Value::as_i64));
    let tags = match input.get("tags") {
        Some(v) => tag_list(v, "tags")?,
        None => Vec::new(),
    };
    let fields = custom_fields(input)?.unwrap_or_default();
    let due_at = match opt_str(input, "due_at")?.flatten() {
        Some(text) => match crate::util::parse_time(&text) {
            Some(t) => Some(iso(t)),
            None => {
                return Err(ApiError::invalid(
                    "due_at",
                    format!(
                        "Due at: `{text}` is not a date; use ISO 8601 such as 2024-05-01T12:00:00Z"
                    ),
                    "InvalidValue",
                ));
            }
        },
        None => None,
    };
    let status = status.unwrap_or_else(|| {
        if assignee_id.is_some() {
            "open".into()
        } else {
            "new".into()
        }
    });
    let subject = opt_str(input, "subject")?
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| derive_subject(&comment.body));
    let collaborators = id_list(input, "collaborator_ids")?.unwrap_or_default();
    let email_ccs = id_list(input, "email_cc_ids")?.unwrap_or_default();
    let followers = id_list(input, "follower_ids")?.unwrap_or_default();

    let id = store::next_row_id(conn, "tickets").await?;
    let audit_id = store::next_ids(conn, "event", 12).await?;
    let comment_id = audit_id + 1;
    let author = comment
        .author_id
        .filter(|_| caller.is_agent())
        .unwrap_or(caller.id);
    let comment_value = comment_json(comment_id, audit_id, author, &comment, &at);
    let ticket = json!({
        "id": id, "external_id": opt_str(input, "external_id")?.flatten(), "via": via_api(),
        "created_at": at, "updated_at": at, "type": ticket_type, "subject": subject,
        "raw_subject": subject, "description": comment.body, "priority": priority,
        "status": status, "recipient": opt_str(input, "recipient")?.flatten(),
        "requester_id": requester_id, "submitter_id": submitter_id, "assignee_id": assignee_id,
        "organization_id": organization_id, "group_id": group_id,
        "collaborator_ids": collaborators, "follower_ids": followers, "email_cc_ids": email_ccs,
        "forum_topic_id": null, "problem_id": opt_id(input, "problem_id")?.flatten(),
        "has_incidents": false, "is_public": comment.public, "due_at": due_at, "tags": tags,
        "custom_fields": fields, "satisfaction_rating": null, "sharing_agreement_ids": [],
        "custom_status_id": custom_status_id(&status), "fields": fields, "followup_ids": [],
        "ticket_form_id": DEFAULT_TICKET_FORM_ID, "brand_id": DEFAULT_BRAND_ID,
        "allow_channelback": false, "allow_attachments": true,
        "from_messaging_channel": false
    });
    let mut events = vec![comment_value.clone()];
    let mut next_event = comment_id + 1;
    for field in [
        "subject",
        "requester_id",
        "priority",
        "type",
        "status",
        "organization_id",
        "assignee_id",
        "group_id",
        "tags",
    ] {
        let value = &ticket[field];
        let optional = field == "assignee_id" || field == "group_id" || field == "tags";
        if optional && (value.is_null() || value.as_array().is_some_and(Vec::is_empty)) {
            continue;
        }
        events.push(json!({"id": next_event, "type": "Create", "value": event_value(value), "field_name": field}));
        next_event += 1;
    }
    let audit = json!({
        "id": audit_id, "ticket_id": id, "created_at": at, "author_id": caller.id,
        "metadata": audit_metadata(),
        "events": events, "via": via_api()
    });
    store::insert_comment(conn, id, &comment_value, ts).await?;
    store::insert_audit(conn, id, &audit, ts).await?;
    store::save_ticket(conn, &ticket).await?;
    if status == "solved" || status == "closed" {
        store::set_ticket_solved_at(conn, id, Some(ts)).await?;
    }
    Ok((ticket, audit))
}

/// Applies an update to one ticket; returns (ticket, audit).
pub async fn update_ticket(
    conn: &mut SqliteConnection,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<(Value, Value), ApiError> {
    let mut ticket = live_ticket(conn, id).await?;
    if !can_see(caller, &ticket) {
        return Err(ApiError::NotFound);
    }
    if ticket["status"] == "closed" {
        return Err(ApiError::invalid(
            "status",
            "Status: closed prevents ticket update",
            "InvalidValue",
        ));
    }
    if opt_bool(input, "safe_update")? == Some(true) {
        let stamp = opt_str(input, "updated_stamp")?.flatten();
        if stamp.as_deref() != ticket["updated_at"].as_str() {
            return Err(ApiError::Conflict(format!(
                "Safe Update prevented the update due to outdated ticket data: the ticket was updated at {}",
                ticket["updated_at"].as_str().unwrap_or("")
            )));
        }
    }
    let ts = now();
    let at = iso(ts);
    let before = ticket.clone();
    let comment = read_comment(input, false)?;
    if caller.is_agent() {
        if let Some(status) = enum_field(input, "status", &STATUSES, false)? {
            let status = status.unwrap_or_default();
            if status == "new" && ticket["status"] != "new" {
                return Err(ApiError::invalid(
                    "status",
                    "Status: a ticket cannot go back to new",
                    "InvalidValue",
                ));
            }
            ticket["status"] = json!(status);
        }
        if let Some(priority) = enum_field(input, "priority", &PRIORITIES, true)? {
            ticket["priority"] = json!(priority);
        }
        if let Some(kind) = enum_field(input, "type", &TYPES, true)? {
            ticket["type"] = json!(kind);
        }
        if let Some(subject) = opt_str(input, "subject")? {
            ticket["subject"] = json!(subject);
            ticket["raw_subject"] = json!(subject);
        }
        if let Some(assignee) = opt_id(input, "assignee_id")? {
            check_user_ref(conn, "assignee_id", assignee, true).await?;
            ticket["assignee_id"] = json!(assignee);
            if assignee.is_some() && ticket["status"] == "new" && input.get("status").is_none() {
                ticket["status"] = json!("open");
            }
        }
        if let Some(group) = opt_id(input, "group_id")? {
            check_ref(conn, "group_id", Table::Groups, group).await?;
            ticket["group_id"] = json!(group);
        }
        if let Some(org) = opt_id(input, "organization_id")? {
            check_ref(conn, "organization_id", Table::Organizations, org).await?;
            ticket["organization_id"] = json!(org);
        }
        if let Some(requester) = opt_id(input, "requester_id")? {
            let Some(requester) = requester else {
                return Err(ApiError::invalid(
                    "requester_id",
                    "Requester: cannot be blank",
                    "BlankValue",
                ));
            };
            check_user_ref(conn, "requester_id", Some(requester), false).await?;
            ticket["requester_id"] = json!(requester);
        } else if let Some(Value::Object(spec)) = input.get("requester") {
            let requester = resolve_requester(conn, spec, &at).await?;
            ticket["requester_id"] = json!(requester);
        }
        if let Some(external) = opt_str(input, "external_id")? {
            ticket["external_id"] = json!(external);
        }
        if let Some(due) = opt_str(input, "due_at")? {
            ticket["due_at"] = match due {
                None => Value::Null,
                Some(text) => match crate::util::parse_time(&text) {
                    Some(t) => json!(iso(t)),
                    None => {
                        return Err(ApiError::invalid(
                            "due_at",
                            format!(
                                "Due at: `{text}` is not a date; use ISO 8601 such as 2024-05-01T12:00:00Z"
                            ),
                            "InvalidValue",
                        ));
                    }
                },
            };
        }
        if let Some(changes) = custom_fields(input)? {
            let merged = merge_custom_fields(&ticket["custom_fields"], changes);
            ticket["custom_fields"] = json!(merged);
            ticket["fields"] = json!(merged);
        }
        for field in ["collaborator_ids", "email_cc_ids", "follower_ids"] {
            if let Some(ids) = id_list(input, field)? {
                ticket[field] = json!(ids);
            }
        }
        let mut tags: Vec<String> = ticket["tags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(value) = input.get("tags") {
            tags = tag_list(value, "tags")?;
        }
        if let Some(value) = input.get("additional_tags") {
            for tag in tag_list(value, "additional_tags")? {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        if let Some(value) = input.get("remove_tags") {
            let remove = tag_list(value, "remove_tags")?;
            tags.retain(|t| !remove.contains(t));
        }
        ticket["tags"] = json!(tags);
        // Solving needs an assignee: an agent solving an unassigned ticket takes it, as on
        // Zendesk.
        let solving = matches!(ticket["status"].as_str(), Some("solved") | Some("closed"));
        if solving && ticket["assignee_id"].is_null() {
            ticket["assignee_id"] = json!(caller.id);
        }
    } else if comment.is_none() {
        // End-users may only comment on their own tickets.
        return Err(ApiError::Forbidden);
    }

    let audit_id = store::next_ids(conn, "event", 20).await?;
    let mut next_event = audit_id + 1;
    let mut events = Vec::new();
    if let Some(comment) = &comment {
        let public = comment.public || !caller.is_agent();
        let comment = NewComment {
            public,
            body: comment.body.clone(),
            html_body: comment.html_body.clone(),
            author_id: comment.author_id,
        };
        let author = comment
            .author_id
            .filter(|_| caller.is_agent())
            .unwrap_or(caller.id);
        let value = comment_json(next_event, audit_id, author, &comment, &at);
        next_event += 1;
        store::insert_comment(conn, id, &value, ts).await?;
        events.push(value);
        if !public {
            // Zendesk keeps is_public true unless every comment is private.
            let count = store::comment_count(conn, id).await?;
            if count <= 1 {
                ticket["is_public"] = json!(false);
            }
        }
    }
    for field in [
        "subject",
        "status",
        "priority",
        "type",
        "assignee_id",
        "group_id",
        "organization_id",
        "requester_id",
        "tags",
        "due_at",
        "external_id",
    ] {
        if before[field] != ticket[field] {
            events.push(json!({
                "id": next_event, "type": "Change", "value": event_value(&ticket[field]),
                "previous_value": event_value(&before[field]), "field_name": field
            }));
            next_event += 1;
        }
    }
    if before["status"] != ticket["status"] {
        let solved = matches!(ticket["status"].as_str(), Some("solved") | Some("closed"));
        let was_solved = matches!(before["status"].as_str(), Some("solved") | Some("closed"));
        if solved && !was_solved {
            store::set_ticket_solved_at(conn, id, Some(ts)).await?;
        } else if !solved {
            store::set_ticket_solved_at(conn, id, None).await?;
        }
    }
    ticket["updated_at"] = json!(at);
    let status = ticket["status"].as_str().unwrap_or("new").to_string();
    ticket["custom_status_id"] = json!(custom_status_id(&status));
    let audit = json!({
        "id": audit_id, "ticket_id": id, "created_at": at, "author_id": caller.id,
        "metadata": audit_metadata(),
        "events": events, "via": via_api()
    });
    store::insert_audit(conn, id, &audit, ts).await?;
    store::save_ticket(conn, &ticket).await?;
    Ok((ticket, audit))
}

/// Soft-deletes one ticket.
pub async fn delete_ticket(
    conn: &mut SqliteConnection,
    caller: &Caller,
    id: i64,
) -> Result<(), ApiError> {
    caller.require_agent()?;
    live_ticket(conn, id).await?;
    store::set_ticket_deleted(conn, id, Some((now(), caller.id))).await?;
    Ok(())
}

/// What a merge asks for.
pub struct MergeRequest {
    pub target: i64,
    pub sources: Vec<i64>,
    pub target_comment: Option<String>,
    pub source_comment: Option<String>,
    pub target_public: bool,
    pub source_public: bool,
}

/// Checks a merge before it is queued: every ticket exists, none is closed, the target is not
/// solved and not among the sources.
pub async fn check_merge(
    conn: &mut SqliteConnection,
    merge: &MergeRequest,
) -> Result<(), ApiError> {
    if merge.sources.is_empty() {
        return Err(ApiError::invalid(
            "ids",
            "Ids: give the source ticket ids to merge, such as {\"ids\": [2, 3]}",
            "BlankValue",
        ));
    }
    if merge.sources.contains(&merge.target) {
        return Err(ApiError::invalid(
            "ids",
            format!("Ids: ticket {} cannot be merged into itself", merge.target),
            "InvalidValue",
        ));
    }
    let target = live_ticket(conn, merge.target).await?;
    if matches!(target["status"].as_str(), Some("closed") | Some("solved")) {
        return Err(ApiError::invalid(
            "target",
            format!(
                "Target: ticket {} is {} and cannot receive a merge",
                merge.target,
                target["status"].as_str().unwrap_or("")
            ),
            "InvalidValue",
        ));
    }
    for source in &merge.sources {
        let ticket = store::get_json(conn, Table::Tickets, *source)
            .await?
            .ok_or_else(|| {
                ApiError::invalid(
                    "ids",
                    format!("Ids: ticket {source} does not exist"),
                    "InvalidValue",
                )
            })?;
        if ticket["status"] == "closed" {
            return Err(ApiError::invalid(
                "ids",
                format!("Ids: ticket {source} is closed and cannot be merged"),
                "InvalidValue",
            ));
        }
    }
    Ok(())
}

/// Merges sources into the target: sources get a comment pointing at the target and are closed;
/// the target gets a comment listing the sources.
pub async fn merge_tickets(
    conn: &mut SqliteConnection,
    caller: &Caller,
    merge: &MergeRequest,
) -> Result<(), ApiError> {
    check_merge(conn, merge).await?;
    let list = merge
        .sources
        .iter()
        .map(|s| format!("#{s}"))
        .collect::<Vec<_>>()
        .join(", ");
    for source in &merge.sources {
        let body = merge.source_comment.clone().unwrap_or_else(|| {
            format!(
                "This request was closed and merged into request #{}.",
                merge.target
            )
        });
        let input =
            json!({"comment": {"body": body, "public": merge.source_public}, "status": "closed"});
        let input = input.as_object().cloned().unwrap_or_default();
        update_ticket(conn, caller, *source, &input).await?;
    }
    let body = merge
        .target_comment
        .clone()
        .unwrap_or_else(|| format!("Requests {list} were closed and merged into this request."));
    let input = json!({"comment": {"body": body, "public": merge.target_public}});
    let input = input.as_object().cloned().unwrap_or_default();
    update_ticket(conn, caller, merge.target, &input).await?;
    Ok(())
}

// ---- handlers ----

fn ticket_sort(params: &crate::util::Params, cursor: bool) -> Result<Sort, ApiError> {
    let raw = if cursor {
        params.get("sort").map(str::to_string)
    } else {
        // Offset lists sort with sort_by + sort_order.
        params.get("sort_by").map(|by| {
            if params.get("sort_order") == Some("desc") {
                format!("-{by}")
            } else {
                by.to_string()
            }
        })
    };
    let Some(raw) = raw else {
        return Ok(Sort::by_id());
    };
    let (descending, name) = match raw.strip_prefix('-') {
        Some(name) => (true, name),
        None => (false, raw.as_str()),
    };
    let column = match name {
        "id" => "id",
        "updated_at" => "updated_at",
        "status" => "status_rank",
        "created_at" if !cursor => "created_at",
        _ => {
            return Err(ApiError::bad_param(
                "sort is not valid: use updated_at, id or status, with - for descending",
            ));
        }
    };
    Ok(Sort {
        order: format!("{name}{}", if descending { ":desc" } else { "" }),
        column,
        descending,
    })
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params, 100)?;
    let sort = ticket_sort(&params, matches!(request, PageRequest::Cursor { .. }))?;
    let mut filters = Vec::new();
    if !caller.is_agent() {
        filters.push(Filter::new("requester_id = $?", vec![Bind::Int(caller.id)]));
    }
    Listing::new(&base, &params, request, filters)
        .sorted(sort)
        .serve::<Tickets>(&state.inner.store)
        .await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let ticket = fetch(&state.inner.store, Table::Tickets, id).await?;
    if !can_see(&caller, &ticket) {
        return Err(ApiError::NotFound);
    }
    Ok(Tickets::one(ticket, &base))
}

pub async fn show_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let ids = params.ids("ids")?.unwrap_or_default();
    let mut tickets = state.inner.store.get_many(Table::Tickets, &ids).await?;
    tickets.retain(|t| can_see(&caller, t));
    Ok(Tickets::show_many(tickets, &base))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "ticket")?;
    let mut tx = state.inner.store.begin().await?;
    let (ticket, audit) = create_ticket(&mut tx, &caller, input).await?;
    tx.commit().await?;
    let id = ticket["id"].as_i64().unwrap_or_default();
    let location = Tickets::url(&base, id);
    Ok(created_response(
        json!({"ticket": Tickets::render(ticket, &base), "audit": audit}),
        &location,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let input = object_under(&body, "ticket")?;
    let mut tx = state.inner.store.begin().await?;
    let (ticket, audit) = update_ticket(&mut tx, &caller, id, input).await?;
    tx.commit().await?;
    Ok(
        axum::Json(json!({"ticket": Tickets::render(ticket, &base), "audit": audit}))
            .into_response(),
    )
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let mut tx = state.inner.store.begin().await?;
    delete_ticket(&mut tx, &caller, id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let target = path_id(&id)?;
    let input = body.as_object().cloned().unwrap_or_default();
    let sources = id_list(&input, "ids")?.unwrap_or_default();
    if sources.len() > 5 {
        return Err(ApiError::invalid(
            "ids",
            "Ids: at most 5 tickets can be merged in one call",
            "TooManyValues",
        ));
    }
    let request = MergeRequest {
        target,
        sources: sources.clone(),
        target_comment: opt_str(&input, "target_comment")?.flatten(),
        source_comment: opt_str(&input, "source_comment")?.flatten(),
        target_public: opt_bool(&input, "target_comment_is_public")?.unwrap_or(true),
        source_public: opt_bool(&input, "source_comment_is_public")?.unwrap_or(true),
    };
    {
        let mut conn = state.inner.store.pool().acquire().await?;
        check_merge(&mut conn, &request).await?;
    }
    let payload = json!({
        "target": target, "ids": sources, "target_comment": request.target_comment,
        "source_comment": request.source_comment, "target_comment_is_public": request.target_public,
        "source_comment_is_public": request.source_public
    });
    job_answer(&state, &caller, &base, JobKind::TicketsMerge, payload, 1).await
}

/// Parses a stored merge payload.
pub fn merge_from_payload(payload: &Value) -> MergeRequest {
    MergeRequest {
        target: payload["target"].as_i64().unwrap_or_default(),
        sources: payload["ids"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).collect())
            .unwrap_or_default(),
        target_comment: payload["target_comment"].as_str().map(str::to_string),
        source_comment: payload["source_comment"].as_str().map(str::to_string),
        target_public: payload["target_comment_is_public"]
            .as_bool()
            .unwrap_or(true),
        source_public: payload["source_comment_is_public"]
            .as_bool()
            .unwrap_or(true),
    }
}

pub async fn comments(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let id = path_id(&id)?;
    let ticket = fetch(&state.inner.store, Table::Tickets, id).await?;
    if !can_see(&caller, &ticket) {
        return Err(ApiError::NotFound);
    }
    let request = page_request(&params, 100)?;
    let mut filters = vec![Filter::new("ticket_id = $?", vec![Bind::Int(id)])];
    if !caller.is_agent() {
        filters.push(Filter::new("public = 1", vec![]));
    }
    let descending =
        params.get("sort_order") == Some("desc") || params.get("sort") == Some("-created_at");
    let path = format!("tickets/{id}/comments");
    Listing::new(&base, &params, request, filters)
        .sorted(by_created_at(descending))
        .serve_rows(
            &state.inner.store,
            "ticket_comments",
            &path,
            "comments",
            as_stored,
        )
        .await
}

pub async fn audits(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let id = path_id(&id)?;
    fetch(&state.inner.store, Table::Tickets, id).await?;
    let request = page_request(&params, 100)?;
    let filters = vec![Filter::new("ticket_id = $?", vec![Bind::Int(id)])];
    let path = format!("tickets/{id}/audits");
    Listing::new(&base, &params, request, filters)
        .sorted(by_created_at(false))
        .serve_rows(
            &state.inner.store,
            "ticket_audits",
            &path,
            "audits",
            as_stored,
        )
        .await
}

/// `GET /ticket_audits`: every ticket's audits, oldest first (cursor or offset).
pub async fn all_audits(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let request = page_request(&params, 100)?;
    Listing::new(&base, &params, request, Vec::new())
        .serve_rows(
            &state.inner.store,
            "ticket_audits",
            "ticket_audits",
            "audits",
            as_stored,
        )
        .await
}

pub async fn deleted_list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let request = page_request(&params, 100)?;
    let filters = vec![Filter::new("deleted_at IS NOT NULL", vec![])];
    let target = ListTarget {
        base: &base,
        path: "deleted_tickets",
        params: &params,
        key: "deleted_tickets",
    };
    let page = paging::fetch(
        &state.inner.store,
        "tickets",
        &filters,
        &Sort::by_id(),
        &request,
    )
    .await?;
    // The page holds stored tickets; reshape each into Zendesk's deleted-ticket form.
    let mut conn = state.inner.store.pool().acquire().await?;
    let mut items = Vec::with_capacity(page.rows.len());
    for (id, _, stored) in &page.rows {
        let item = match store::get_deleted_ticket(&mut conn, *id).await? {
            Some((ticket, deleted_at, deleted_by)) => {
                let actor = store::get_json(&mut conn, Table::Users, deleted_by).await?;
                json!({
                    "id": id, "subject": ticket["subject"], "description": ticket["description"],
                    "actor": {"id": deleted_by, "name": actor.as_ref().and_then(|a| a["name"].as_str()).unwrap_or("")},
                    "previous_state": ticket["status"], "deleted_at": iso(deleted_at)
                })
                .to_string()
            }
            None => stored.clone(),
        };
        items.push(item);
    }
    Ok(paging::json_text(page.envelope(&target, &items)))
}

pub async fn deleted_restore(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let id = path_id(&id)?;
    let mut tx = state.inner.store.begin().await?;
    restore_ticket(&mut tx, id).await?;
    tx.commit().await?;
    Ok(axum::Json(json!({})).into_response())
}

pub async fn deleted_purge(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let id = path_id(&id)?;
    {
        let mut conn = state.inner.store.pool().acquire().await?;
        if store::get_deleted_ticket(&mut conn, id).await?.is_none() {
            return Err(ApiError::NotFound);
        }
    }
    // Zendesk purges in the background and answers with the job.
    job_answer(
        &state,
        &caller,
        &base,
        JobKind::TicketsPurge,
        json!({"ids": [id]}),
        1,
    )
    .await
}

/// `PUT /deleted_tickets/restore_many?ids=`: restores them all, or none when one is missing.
pub async fn deleted_restore_many(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let ids = required_ids(&params, "deleted tickets to restore")?;
    let mut tx = state.inner.store.begin().await?;
    for id in ids {
        restore_ticket(&mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(axum::Json(json!({})).into_response())
}

/// `DELETE /deleted_tickets/destroy_many?ids=`: one permanent-delete job for them all.
pub async fn deleted_destroy_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let ids = required_ids(&params, "deleted tickets to remove for good")?;
    let total = ids.len();
    job_answer(
        &state,
        &caller,
        &base,
        JobKind::TicketsPurge,
        json!({ "ids": ids }),
        total,
    )
    .await
}

/// Comments and audits in time order (cursor tag `created_at` or `created_at:desc`).
fn by_created_at(descending: bool) -> Sort {
    Sort {
        order: format!("created_at{}", if descending { ":desc" } else { "" }),
        column: "created_at",
        descending,
    }
}

/// Comments and audits are served as stored.
fn as_stored(stored: &str) -> Result<String, ApiError> {
    Ok(stored.to_string())
}

/// Brings a soft-deleted ticket back (404 when it is not deleted).
async fn restore_ticket(conn: &mut SqliteConnection, id: i64) -> Result<(), ApiError> {
    let Some((mut ticket, _, _)) = store::get_deleted_ticket(conn, id).await? else {
        return Err(ApiError::NotFound);
    };
    store::set_ticket_deleted(conn, id, None).await?;
    ticket["updated_at"] = json!(iso(now()));
    store::save_ticket(conn, &ticket).await?;
    Ok(())
}

/// Removes a soft-deleted ticket for good (the permanent-delete job's item).
pub async fn purge_ticket(
    conn: &mut SqliteConnection,
    caller: &Caller,
    id: i64,
) -> Result<(), ApiError> {
    caller.require_agent()?;
    if store::get_deleted_ticket(conn, id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    store::purge_ticket(conn, id).await?;
    Ok(())
}
