//! Tickets: what a create, an update (comments, tag semantics, closed tickets refusing
//! updates), a soft delete, a restore, a permanent delete and a merge do, and the audit each
//! change leaves behind (a `Create`/`Change` event per field, the comment as an event).
//!
//! End-users open tickets for themselves and may only comment on their own; routing fields are
//! the agents' to set.

use serde_json::{Map, Value, json};
use zendesk_types::{TicketPriority, TicketStatus, TicketType};

use super::input::label;
use super::input::{id_list, opt_bool, opt_id, opt_str, opt_time, tag_list};
use super::{check_ref, comment_forms, fetch, ticket_fields};
use crate::business_rules::account::{AccountRules, Moment};
use crate::business_rules::automations::AutomatedUpdate;
use crate::business_rules::ticket_update::AddedComment;
use crate::business_rules::ticket_write::{self, TicketWrite};
use crate::caller::{Caller, Role};
use crate::error::ApiError;
use crate::permissions;
use crate::store::{Filter, Lookup, Reader, Table, Writer};
use crate::util::iso;
use crate::webhooks::events::Lifecycle;

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
#[derive(Clone)]
struct NewComment {
    body: String,
    html_body: Option<String>,
    public: bool,
    author_id: Option<i64>,
    /// Upload tokens whose files the comment takes (see `attachments`).
    uploads: Vec<String>,
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
                uploads: Vec::new(),
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
                    uploads: super::attachments::tokens_of(comment.get("uploads"))?,
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
            uploads: Vec::new(),
        }));
    }
    Ok(None)
}

/// A closed-vocabulary field (`status`): absent -> None; null (when `nullable`) -> Some(None);
/// a value outside `allowed` -> 422 listing the allowed ones.
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
                label(field),
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
                        label(field),
                        allowed.join(", ")
                    ),
                    "InvalidValue",
                ))
            }
        }
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
            let id = item
                .get("id")
                .and_then(super::input::as_id)
                .ok_or_else(|| {
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

fn as_list(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
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
fn resolve_requester(
    tx: &mut dyn Writer,
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
        if let Some(id) = tx.find_id(Table::Users, Lookup::Email, email)? {
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
    let id = tx.allocate_id(Table::Users)?;
    let mut user = super::users::new_user_json(id, &name, at);
    user["email"] = json!(email);
    tx.save(Table::Users, &user)?;
    Ok(id)
}

/// A user reference must name an existing user; `must_be_agent` refuses end-users.
fn check_user_ref(
    tx: &mut dyn Reader,
    field: &str,
    id: Option<i64>,
    must_be_agent: bool,
) -> Result<Option<Value>, ApiError> {
    let Some(id) = id else { return Ok(None) };
    let Some(found) = tx.record(Table::Users, id)? else {
        return Err(ApiError::invalid(
            field,
            format!("{}: no user has id {id}", label(field)),
            "InvalidValue",
        ));
    };
    if must_be_agent && found.get("role").and_then(Value::as_str) == Some("end-user") {
        return Err(ApiError::invalid(
            field,
            format!(
                "{}: user {id} is an end-user; only agents and admins can be assigned",
                label(field)
            ),
            "InvalidValue",
        ));
    }
    Ok(Some(found))
}

/// Zendesk refuses an assignee who is not an agent of the ticket's group (its 422 names the
/// `assignee`); a ticket without a group, or without an assignee, has nothing to check.
fn check_assignee_in_group(
    tx: &mut dyn Reader,
    assignee_id: Option<i64>,
    group_id: Option<i64>,
) -> Result<(), ApiError> {
    let (Some(assignee), Some(group)) = (assignee_id, group_id) else {
        return Ok(());
    };
    let member = tx
        .find(
            Table::GroupMemberships,
            &[
                Filter::Eq("user_id", assignee.into()),
                Filter::Eq("group_id", group.into()),
            ],
            1,
        )?
        .into_iter()
        .next()
        .is_some();
    if member {
        return Ok(());
    }
    Err(ApiError::invalid(
        "assignee",
        format!(
            "Assignee: is not a member of the group (user {assignee} is not in group {group}; \
             add them with a group membership or choose an agent of the group)"
        ),
        "InvalidValue",
    ))
}

fn check_field_ref(
    tx: &mut dyn Reader,
    field: &str,
    table: Table,
    id: Option<i64>,
) -> Result<(), ApiError> {
    check_ref(tx, field, &label(field), table, id)
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
    let html = c
        .html_body
        .clone()
        .unwrap_or_else(|| comment_forms::plain_html(&c.body));
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

fn is_solved(status: &Value) -> bool {
    matches!(status.as_str(), Some("solved") | Some("closed"))
}

/// Creates one ticket, runs the triggers on it and does what they set off; returns (ticket,
/// audit).
pub fn create(
    tx: &mut dyn Writer,
    account: &AccountRules,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<(Value, Value), ApiError> {
    // End-users describe their problem; routing fields are the agents' to set, and what an
    // end-user sends of them is left out (as Zendesk's request form does).
    let filtered;
    let input = if caller.role == Role::EndUser {
        let settable: Vec<&str> =
            permissions::settable(caller, permissions::TICKET_FIELDS, true, true).collect();
        filtered = input
            .iter()
            .filter(|(k, _)| k.as_str() == "comment" || settable.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Map<String, Value>>();
        &filtered
    } else {
        input
    };
    let moment = account.begin(tx)?;
    let ts = moment.now;
    let at = iso(ts);
    let Some(mut comment) = read_comment(input, true)? else {
        return Err(ApiError::invalid(
            "description",
            "Description: cannot be blank; give `comment: {\"body\": \"...\"}` or `description`",
            "BlankValue",
        ));
    };
    // Internal notes are agents': an end-user's first comment is public, whatever they ask.
    comment.public |= !caller.is_agent();
    let status = enum_field(input, "status", TicketStatus::KNOWN, false)?.flatten();
    let priority = enum_field(input, "priority", TicketPriority::KNOWN, true)?.flatten();
    let ticket_type = enum_field(input, "type", TicketType::KNOWN, true)?.flatten();
    let assignee_id = opt_id(input, "assignee_id")?.flatten();
    let group_id = opt_id(input, "group_id")?.flatten();
    let mut requester_id = opt_id(input, "requester_id")?.flatten();
    let submitter_id = opt_id(input, "submitter_id")?.flatten();
    let organization_id = opt_id(input, "organization_id")?.flatten();
    check_user_ref(tx, "assignee_id", assignee_id, true)?;
    check_field_ref(tx, "group_id", Table::Groups, group_id)?;
    check_assignee_in_group(tx, assignee_id, group_id)?;
    check_field_ref(tx, "organization_id", Table::Organizations, organization_id)?;
    if caller.role == Role::EndUser {
        // End-users open tickets for themselves only.
        requester_id = Some(caller.id);
    } else if requester_id.is_none()
        && let Some(Value::Object(spec)) = input.get("requester")
    {
        requester_id = Some(resolve_requester(tx, spec, &at)?);
    }
    let requester_id = requester_id.unwrap_or(caller.id);
    let requester =
        check_user_ref(tx, "requester_id", Some(requester_id), false)?.unwrap_or(Value::Null);
    let submitter_id = if caller.is_agent() {
        submitter_id.unwrap_or(caller.id)
    } else {
        caller.id
    };
    check_user_ref(tx, "submitter_id", Some(submitter_id), false)?;
    let organization_id =
        organization_id.or_else(|| requester.get("organization_id").and_then(Value::as_i64));
    let mut tags = match input.get("tags") {
        Some(v) => tag_list(v, "tags")?,
        None => Vec::new(),
    };
    let fields = ticket_fields::check_ticket_values(tx, custom_fields(input)?.unwrap_or_default())?;
    for tag in ticket_fields::tags_of_values(tx, &fields)? {
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    let due_at = opt_time(input, "due_at")?.flatten().map(iso);
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

    let id = tx.allocate_id(Table::Tickets)?;
    let audit_id = tx.next_ids("event", 12)?;
    let comment_id = audit_id + 1;
    // The requester is the first comment's author (as on Zendesk), unless an agent names one.
    let author = comment
        .author_id
        .filter(|_| caller.is_agent())
        .unwrap_or(requester_id);
    let mut comment_value = comment_json(comment_id, audit_id, author, &comment, &at);
    if !comment.uploads.is_empty() {
        let files =
            super::attachments::take_uploads(tx, &comment.uploads, id, comment_id, comment.public)?;
        comment_value["attachments"] = json!(files);
    }
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
    tx.insert_comment(id, &comment_forms::stored_comment(&comment_value), ts)?;
    let current_user = ticket_write::person(tx, caller.id)?;
    let added = AddedComment {
        id: Some(comment_id),
        author_id: author,
        body: comment.body.clone(),
        public: comment.public,
    };
    let outcome = ticket_write::run_rules(
        tx,
        account,
        &moment,
        TicketWrite {
            before: None,
            after: ticket,
            current_user: current_user.as_ref(),
            comment: Some(added),
            via: "api",
            automated: Vec::new(),
            automated_effects: Vec::new(),
        },
    )?;
    let mut ticket = outcome.ticket;
    events.extend(outcome.events);
    let audit = json!({
        "id": audit_id, "ticket_id": id, "created_at": at, "author_id": caller.id,
        "metadata": audit_metadata(),
        "events": events, "via": via_api()
    });
    tx.insert_audit(id, &comment_forms::stored_audit(&audit), ts)?;
    save_ticket(tx, &mut ticket, None, ts)?;
    Ok((ticket, audit))
}

/// Saves a ticket as a write left it: its custom status follows its status, and the moment it
/// was solved is kept (cleared when it is reopened).
fn save_ticket(
    tx: &mut dyn Writer,
    ticket: &mut Value,
    before: Option<&Value>,
    ts: i64,
) -> Result<(), ApiError> {
    let id = ticket["id"].as_i64().unwrap_or_default();
    let status = ticket["status"].as_str().unwrap_or("new").to_string();
    ticket["custom_status_id"] = json!(custom_status_id(&status));
    tx.save(Table::Tickets, ticket)?;
    let was_solved = before.is_some_and(|b| is_solved(&b["status"]));
    let solved = is_solved(&ticket["status"]);
    if solved && !was_solved {
        tx.set_ticket_solved_at(id, Some(ts))?;
    } else if !solved && was_solved {
        tx.set_ticket_solved_at(id, None)?;
    }
    Ok(())
}

/// Saves what an hourly automation pass did to one ticket, as a write by the system: one audit
/// (author -1, `via` the first automation) with each automation's changes and mail, then the
/// triggers run on it like on any update.
pub fn apply_automations(
    tx: &mut dyn Writer,
    account: &AccountRules,
    moment: &Moment,
    update: AutomatedUpdate,
) -> Result<(), ApiError> {
    let before = update.before;
    let id = before["id"].as_i64().unwrap_or_default();
    let via = update
        .fired
        .first()
        .map_or_else(via_api, |firing| firing.rule.via());
    let outcome = ticket_write::run_rules(
        tx,
        account,
        moment,
        TicketWrite {
            before: Some(&before),
            after: update.after,
            current_user: None,
            comment: None,
            via: "rule",
            automated: update.fired,
            automated_effects: update.effects,
        },
    )?;
    let mut ticket = outcome.ticket;
    let at = iso(moment.now);
    ticket["updated_at"] = json!(at);
    let audit_id = tx.next_ids("event", 1)?;
    let audit = json!({
        "id": audit_id, "ticket_id": id, "created_at": at, "author_id": -1,
        "metadata": audit_metadata(), "events": outcome.events, "via": via
    });
    tx.insert_audit(id, &comment_forms::stored_audit(&audit), moment.now)?;
    save_ticket(tx, &mut ticket, Some(&before), moment.now)
}

/// Applies an update to one ticket, runs the triggers on it and does what they set off; returns
/// (ticket, audit).
pub fn update(
    tx: &mut dyn Writer,
    account: &AccountRules,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<(Value, Value), ApiError> {
    let mut ticket = fetch(tx, Table::Tickets, id)?;
    if !permissions::can_read(caller, Table::Tickets, &ticket) {
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
    let moment = account.begin(tx)?;
    let ts = moment.now;
    let at = iso(ts);
    let before = ticket.clone();
    let comment = read_comment(input, false)?;
    // Whatever the input says, only the changes this caller may make go through: end-users
    // comment on their own tickets and change nothing else.
    let own = ticket["requester_id"].as_i64() == Some(caller.id);
    permissions::check_input(
        caller,
        permissions::TICKET_FIELDS,
        &ticket,
        input,
        own,
        false,
    )?;
    apply_changes(tx, caller, &mut ticket, input, &at)?;
    permissions::check_changes(
        caller,
        permissions::TICKET_FIELDS,
        &before,
        &ticket,
        own,
        false,
    )?;
    if !caller.is_agent() && comment.is_none() {
        return Err(permissions::forbidden_field(
            caller,
            "anything but a comment",
        ));
    }

    let audit_id = tx.next_ids("event", 20)?;
    let mut next_event = audit_id + 1;
    let mut events = Vec::new();
    let mut added: Option<AddedComment> = None;
    if let Some(comment) = &comment {
        let public = comment.public || !caller.is_agent();
        let comment = NewComment {
            public,
            ..comment.clone()
        };
        let author = super::author(caller, comment.author_id);
        let mut value = comment_json(next_event, audit_id, author, &comment, &at);
        if !comment.uploads.is_empty() {
            let files =
                super::attachments::take_uploads(tx, &comment.uploads, id, next_event, public)?;
            value["attachments"] = json!(files);
        }
        added = Some(AddedComment {
            id: Some(next_event),
            author_id: author,
            body: comment.body.clone(),
            public,
        });
        next_event += 1;
        tx.insert_comment(id, &comment_forms::stored_comment(&value), ts)?;
        events.push(value);
        if !public {
            // Zendesk keeps is_public true unless every comment is private.
            let count = tx.comment_count(id)?;
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
    ticket["updated_at"] = json!(at);
    let current_user = ticket_write::person(tx, caller.id)?;
    let outcome = ticket_write::run_rules(
        tx,
        account,
        &moment,
        TicketWrite {
            before: Some(&before),
            after: ticket,
            current_user: current_user.as_ref(),
            comment: added,
            via: "api",
            automated: Vec::new(),
            automated_effects: Vec::new(),
        },
    )?;
    let mut ticket = outcome.ticket;
    events.extend(outcome.events);
    let audit = json!({
        "id": audit_id, "ticket_id": id, "created_at": at, "author_id": caller.id,
        "metadata": audit_metadata(),
        "events": events, "via": via_api()
    });
    tx.insert_audit(id, &comment_forms::stored_audit(&audit), ts)?;
    save_ticket(tx, &mut ticket, Some(&before), ts)?;
    Ok((ticket, audit))
}

/// Applies the field changes of `input`: status, priority, type, subject, people, group,
/// organization, external id, due date, custom fields, collaborators and tags (who may change
/// which is `permissions::TICKET_FIELDS`).
fn apply_changes(
    tx: &mut dyn Writer,
    caller: &Caller,
    ticket: &mut Value,
    input: &Map<String, Value>,
    at: &str,
) -> Result<(), ApiError> {
    if let Some(status) = enum_field(input, "status", TicketStatus::KNOWN, false)? {
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
    if let Some(priority) = enum_field(input, "priority", TicketPriority::KNOWN, true)? {
        ticket["priority"] = json!(priority);
    }
    if let Some(kind) = enum_field(input, "type", TicketType::KNOWN, true)? {
        ticket["type"] = json!(kind);
    }
    if let Some(subject) = opt_str(input, "subject")? {
        ticket["subject"] = json!(subject);
        ticket["raw_subject"] = json!(subject);
    }
    if let Some(assignee) = opt_id(input, "assignee_id")? {
        check_user_ref(tx, "assignee_id", assignee, true)?;
        ticket["assignee_id"] = json!(assignee);
        if assignee.is_some() && ticket["status"] == "new" && input.get("status").is_none() {
            ticket["status"] = json!("open");
        }
    }
    if let Some(group) = opt_id(input, "group_id")? {
        check_field_ref(tx, "group_id", Table::Groups, group)?;
        ticket["group_id"] = json!(group);
    }
    if input.contains_key("assignee_id") || input.contains_key("group_id") {
        check_assignee_in_group(
            tx,
            ticket["assignee_id"].as_i64(),
            ticket["group_id"].as_i64(),
        )?;
    }
    if let Some(org) = opt_id(input, "organization_id")? {
        check_field_ref(tx, "organization_id", Table::Organizations, org)?;
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
        check_user_ref(tx, "requester_id", Some(requester), false)?;
        ticket["requester_id"] = json!(requester);
    } else if let Some(Value::Object(spec)) = input.get("requester") {
        let requester = resolve_requester(tx, spec, at)?;
        ticket["requester_id"] = json!(requester);
    }
    if let Some(external) = opt_str(input, "external_id")? {
        ticket["external_id"] = json!(external);
    }
    if let Some(due) = opt_time(input, "due_at")? {
        ticket["due_at"] = json!(due.map(iso));
    }
    // A field's drop-down value (or checked checkbox) is a tag: changing the value swaps it.
    let mut field_tags: Option<(Vec<String>, Vec<String>)> = None;
    if let Some(changes) = custom_fields(input)? {
        let changes = ticket_fields::check_ticket_values(tx, changes)?;
        let before = ticket_fields::tags_of_values(tx, as_list(&ticket["custom_fields"]))?;
        let merged = merge_custom_fields(&ticket["custom_fields"], changes);
        let after = ticket_fields::tags_of_values(tx, &merged)?;
        field_tags = Some((before, after));
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
    if let Some((before, after)) = field_tags {
        tags.retain(|t| !before.contains(t) || after.contains(t));
        for tag in after {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    ticket["tags"] = json!(tags);
    // Solving needs an assignee: an agent solving an unassigned ticket takes it, as on Zendesk.
    if is_solved(&ticket["status"]) && ticket["assignee_id"].is_null() {
        ticket["assignee_id"] = json!(caller.id);
    }
    Ok(())
}

/// Soft-deletes one ticket.
pub fn delete(
    tx: &mut dyn Writer,
    account: &AccountRules,
    caller: &Caller,
    id: i64,
) -> Result<(), ApiError> {
    caller.require_agent()?;
    let ticket = fetch(tx, Table::Tickets, id)?;
    let moment = account.begin(tx)?;
    tx.set_ticket_deleted(id, Some((moment.now, caller.id)))?;
    ticket_write::operation_event(
        tx,
        &moment,
        &ticket,
        Lifecycle::SoftDeleted,
        Some(caller.id),
    )?;
    Ok(())
}

/// Brings a soft-deleted ticket back (404 when it is not deleted).
pub fn restore(
    tx: &mut dyn Writer,
    account: &AccountRules,
    caller: &Caller,
    id: i64,
) -> Result<(), ApiError> {
    caller.require_agent()?;
    let Some(deleted) = tx.deleted_ticket(id)? else {
        return Err(ApiError::NotFound);
    };
    let moment = account.begin(tx)?;
    tx.set_ticket_deleted(id, None)?;
    let mut ticket = deleted.ticket;
    ticket["updated_at"] = json!(iso(moment.now));
    tx.save(Table::Tickets, &ticket)?;
    ticket_write::operation_event(tx, &moment, &ticket, Lifecycle::Undeleted, Some(caller.id))?;
    Ok(())
}

/// Removes a soft-deleted ticket for good (the permanent-delete job's item).
pub fn purge(
    tx: &mut dyn Writer,
    account: &AccountRules,
    caller: &Caller,
    id: i64,
) -> Result<(), ApiError> {
    caller.require_agent()?;
    let Some(deleted) = tx.deleted_ticket(id)? else {
        return Err(ApiError::NotFound);
    };
    let moment = account.begin(tx)?;
    tx.purge_ticket(id)?;
    ticket_write::operation_event(
        tx,
        &moment,
        &deleted.ticket,
        Lifecycle::PermanentlyDeleted,
        Some(caller.id),
    )?;
    Ok(())
}

/// What a merge asks for.
#[derive(Clone, Debug)]
pub struct MergeRequest {
    pub target: i64,
    pub sources: Vec<i64>,
    pub target_comment: Option<String>,
    pub source_comment: Option<String>,
    pub target_public: bool,
    pub source_public: bool,
}

impl MergeRequest {
    /// Reads `POST /tickets/{target}/merge`'s body.
    pub fn from_body(target: i64, input: &Map<String, Value>) -> Result<MergeRequest, ApiError> {
        let sources = id_list(input, "ids")?.unwrap_or_default();
        if sources.len() > zendesk_types::limits::MAX_MERGE_SOURCES {
            return Err(ApiError::invalid(
                "ids",
                format!(
                    "Ids: at most {} tickets can be merged in one call",
                    zendesk_types::limits::MAX_MERGE_SOURCES
                ),
                "TooManyValues",
            ));
        }
        Ok(MergeRequest {
            target,
            sources,
            target_comment: opt_str(input, "target_comment")?.flatten(),
            source_comment: opt_str(input, "source_comment")?.flatten(),
            target_public: opt_bool(input, "target_comment_is_public")?.unwrap_or(true),
            source_public: opt_bool(input, "source_comment_is_public")?.unwrap_or(true),
        })
    }

    /// The job payload it is stored as until the merge runs.
    pub fn to_payload(&self) -> Value {
        json!({
            "target": self.target, "ids": self.sources, "target_comment": self.target_comment,
            "source_comment": self.source_comment, "target_comment_is_public": self.target_public,
            "source_comment_is_public": self.source_public
        })
    }

    /// Reads a stored merge payload.
    pub fn from_payload(payload: &Value) -> MergeRequest {
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
}

/// Checks a merge before it is queued: every ticket exists, none is closed, the target is not
/// solved and not among the sources.
pub fn check_merge(tx: &mut dyn Reader, merge: &MergeRequest) -> Result<(), ApiError> {
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
    let target = fetch(tx, Table::Tickets, merge.target)?;
    if is_solved(&target["status"]) {
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
        let ticket = tx.record(Table::Tickets, *source)?.ok_or_else(|| {
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
pub fn merge(
    tx: &mut dyn Writer,
    account: &AccountRules,
    caller: &Caller,
    merge: &MergeRequest,
) -> Result<(), ApiError> {
    caller.require_agent()?;
    check_merge(tx, merge)?;
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
        let input = super::object(
            json!({"comment": {"body": body, "public": merge.source_public}, "status": "closed"}),
        );
        let (closed, _) = update(tx, account, caller, *source, &input)?;
        let moment = account.begin(tx)?;
        let merged = Lifecycle::Merged {
            target: merge.target,
        };
        ticket_write::operation_event(tx, &moment, &closed, merged, Some(caller.id))?;
    }
    let body = merge
        .target_comment
        .clone()
        .unwrap_or_else(|| format!("Requests {list} were closed and merged into this request."));
    let input = super::object(json!({"comment": {"body": body, "public": merge.target_public}}));
    update(tx, account, caller, merge.target, &input)?;
    Ok(())
}
