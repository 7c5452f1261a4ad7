//! Tickets over HTTP: list (cursor + offset, documented sorts), show, show_many, create (201 +
//! audit + Location), create_many, update, update_many (both forms), soft delete,
//! destroy_many, merge (a job), comments, audits, and the deleted-ticket list with restore and
//! purge. What each write does is `resources::tickets`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::audience::{Audience, SideLoad, requested_side_loads, side_load};
use super::bulk::{self, Bulk, job_answer, required_ids};
use super::endpoint::Endpoint;
use super::groups::Groups;
use super::http::{BaseUrl, JsonBody, Params, PathId, Query, object_under};
use super::listing::Listing;
use super::organizations::Organizations;
use super::paging::{self, ListTarget, PageRequest, Sort, page_request};
use super::resource::{Resource, created_response, fetch, show_one};
use super::users::Users;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::jobs::JobKind;
use crate::permissions::{self, Who};
use crate::resources::comment_forms;
use crate::resources::tickets::{self, MergeRequest};
use crate::state::AppState;
use crate::store::{Bind, Filter, Table};
use crate::util::iso;

/// Tickets as served (see `resource`) and bulk-changed (see `bulk`).
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

fn ids_at(record: &Value, keys: &[&str]) -> Vec<i64> {
    let mut ids = Vec::new();
    for key in keys {
        match &record[*key] {
            Value::Number(n) => ids.extend(n.as_i64()),
            Value::Array(items) => ids.extend(items.iter().filter_map(Value::as_i64)),
            _ => {}
        }
    }
    ids
}

/// `?include=users,groups,organizations` on tickets.
pub(crate) const TICKET_SIDE_LOADS: [SideLoad; 3] = [
    SideLoad {
        name: "users",
        table: Table::Users,
        ids: |t| {
            ids_at(
                t,
                &[
                    "requester_id",
                    "submitter_id",
                    "assignee_id",
                    "collaborator_ids",
                    "follower_ids",
                    "email_cc_ids",
                ],
            )
        },
        render: Users::render,
    },
    SideLoad {
        name: "groups",
        table: Table::Groups,
        ids: |t| ids_at(t, &["group_id"]),
        render: Groups::render,
    },
    SideLoad {
        name: "organizations",
        table: Table::Organizations,
        ids: |t| ids_at(t, &["organization_id"]),
        render: Organizations::render,
    },
];

/// `?include=users` on audits: who made each change and who wrote its comments.
const AUDIT_SIDE_LOADS: [SideLoad; 1] = [SideLoad {
    name: "users",
    table: Table::Users,
    ids: |audit| {
        let mut ids = ids_at(audit, &["author_id"]);
        for event in audit["events"].as_array().into_iter().flatten() {
            ids.extend(ids_at(event, &["author_id"]));
        }
        ids
    },
    render: Users::render,
}];

/// `?include=users` on comments: their authors.
const COMMENT_SIDE_LOADS: [SideLoad; 1] = [SideLoad {
    name: "users",
    table: Table::Users,
    ids: |c| ids_at(c, &["author_id"]),
    render: Users::render,
}];

fn ticket_sort(params: &Params, cursor: bool) -> Result<Sort, ApiError> {
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
    let request = page_request(&params)?;
    let sort = ticket_sort(&params, matches!(request, PageRequest::Cursor { .. }))?;
    let filters = permissions::list_filters(&caller, Table::Tickets, None);
    let audience = Audience::of(state.store(), &caller).await?;
    Listing::new(&base, &params, request, filters)
        .sorted(sort)
        .shown_to(&audience)
        .side_loading(&TICKET_SIDE_LOADS)
        .serve::<Tickets>(state.store())
        .await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let audience = Audience::of(state.store(), &caller).await?;
    let loads = requested_side_loads(&params, &TICKET_SIDE_LOADS);
    if loads.is_empty() {
        return show_one::<Tickets>(state.store(), &audience, id, &base, || ApiError::NotFound)
            .await;
    }
    let ticket = fetch(state.store(), Table::Tickets, id).await?;
    if !permissions::can_read(&caller, Table::Tickets, &ticket) {
        return Err(ApiError::NotFound);
    }
    let extra = side_load(
        state.store(),
        &audience,
        &loads,
        std::slice::from_ref(&ticket),
        &base,
    )
    .await?;
    let mut body = serde_json::Map::new();
    let ticket = audience.view(Table::Tickets, ticket);
    body.insert("ticket".into(), Tickets::render(ticket, &base));
    body.extend(extra);
    Ok(axum::Json(Value::Object(body)).into_response())
}

pub async fn show_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let ids = params.ids("ids")?.unwrap_or_default();
    let mut tickets = state
        .store()
        .read(move |reader| reader.records(Table::Tickets, &ids))
        .await?;
    tickets.retain(|t| permissions::can_read(&caller, Table::Tickets, t));
    let audience = Audience::of(state.store(), &caller).await?;
    let tickets = tickets
        .into_iter()
        .map(|t| audience.view(Table::Tickets, t))
        .collect();
    Ok(Tickets::show_many(tickets, &base))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "ticket")?.clone();
    let audience = Audience::of(state.store(), &caller).await?;
    let account = state.account(&base);
    let (ticket, audit) = state
        .store()
        .write(move |tx| tickets::create(tx, &account, &caller, &input))
        .await?;
    let id = ticket["id"].as_i64().unwrap_or_default();
    let location = Tickets::url(&base, id);
    let (ticket, mut audit) = viewed_change(&audience, ticket, audit);
    super::attachments::absolute(&mut audit, &base);
    Ok(created_response(
        json!({"ticket": Tickets::render(ticket, &base), "audit": audit}),
        &location,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "ticket")?.clone();
    let audience = Audience::of(state.store(), &caller).await?;
    let account = state.account(&base);
    let (ticket, audit) = state
        .store()
        .write(move |tx| tickets::update(tx, &account, &caller, id, &input))
        .await?;
    let (ticket, mut audit) = viewed_change(&audience, ticket, audit);
    super::attachments::absolute(&mut audit, &base);
    Ok(
        axum::Json(json!({"ticket": Tickets::render(ticket, &base), "audit": audit}))
            .into_response(),
    )
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let account = state.account(&base);
    state
        .store()
        .write(move |tx| tickets::delete(tx, &account, &caller, id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn merge(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(target): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = body.as_object().cloned().unwrap_or_default();
    let request = MergeRequest::from_body(target, &input)?;
    let payload = request.to_payload();
    state
        .store()
        .read(move |reader| tickets::check_merge(reader, &request))
        .await?;
    job_answer(&state, &caller, &base, JobKind::TicketsMerge, payload, 1).await
}

pub async fn comments(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    // Whether the caller may read the ticket, asked without reading it: its description may be
    // the first comment's megabytes.
    let mut readable = vec![
        Filter::Live(Table::Tickets),
        Filter::Eq("id", Bind::Int(id)),
    ];
    readable.extend(permissions::list_filters(&caller, Table::Tickets, None));
    let found = state
        .store()
        .peek(move |reader| reader.count(Table::Tickets, &readable))
        .await?;
    if found == 0 {
        return Err(ApiError::NotFound);
    }
    let request = page_request(&params)?;
    let mut filters = vec![Filter::Eq("ticket_id", Bind::Int(id))];
    filters.extend(permissions::list_filters(
        &caller,
        Table::TicketComments,
        None,
    ));
    let audience = Audience::of(state.store(), &caller).await?;
    let descending =
        params.get("sort_order") == Some("desc") || params.get("sort") == Some("-created_at");
    let path = format!("tickets/{id}/comments");
    Listing::new(&base, &params, request, filters)
        .sorted(by_created_at(descending))
        .shown_to(&audience)
        .side_loading(&COMMENT_SIDE_LOADS)
        .serve_rows(
            state.store(),
            Table::TicketComments,
            &path,
            "comments",
            comments_as_served(&base),
        )
        .await
}

pub async fn audits(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    Query(params): Query,
) -> Result<Response, ApiError> {
    fetch(state.store(), Table::Tickets, id).await?;
    let request = page_request(&params)?;
    let filters = vec![Filter::Eq("ticket_id", Bind::Int(id))];
    let path = format!("tickets/{id}/audits");
    let audience = Audience::of(state.store(), &caller).await?;
    Listing::new(&base, &params, request, filters)
        .sorted(by_created_at(false))
        .shown_to(&audience)
        .side_loading(&AUDIT_SIDE_LOADS)
        .serve_rows(
            state.store(),
            Table::TicketAudits,
            &path,
            "audits",
            audits_as_served(&base),
        )
        .await
}

/// `GET /ticket_audits`: every ticket's audits, oldest first (cursor or offset).
pub async fn all_audits(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    Listing::new(&base, &params, request, Vec::new())
        .serve_rows(
            state.store(),
            Table::TicketAudits,
            "ticket_audits",
            "audits",
            audits_as_served(&base),
        )
        .await
}

pub async fn deleted_list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let filters = vec![Filter::NotNull("deleted_at")];
    let target = ListTarget {
        base: &base,
        path: "deleted_tickets",
        params: &params,
        key: "deleted_tickets",
    };
    let page = paging::fetch(
        state.store(),
        Table::Tickets,
        filters,
        &Sort::by_id(),
        &request,
    )
    .await?;
    // The page holds stored tickets; reshape each into Zendesk's deleted-ticket form.
    let rows: Vec<(i64, String)> = page
        .rows
        .iter()
        .map(|(id, _, stored)| (*id, stored.clone()))
        .collect();
    let items = state
        .store()
        .read(move |reader| {
            let mut items = Vec::with_capacity(rows.len());
            for (id, stored) in rows {
                let item = match reader.deleted_ticket(id)? {
                    Some(deleted) => {
                        let ticket = &deleted.ticket;
                        let actor = reader.record(Table::Users, deleted.deleted_by)?;
                        json!({
                            "id": id, "subject": ticket["subject"], "description": ticket["description"],
                            "actor": {"id": deleted.deleted_by, "name": actor.as_ref().and_then(|a| a["name"].as_str()).unwrap_or("")},
                            "previous_state": ticket["status"], "deleted_at": iso(deleted.deleted_at)
                        })
                        .to_string()
                    }
                    None => stored,
                };
                items.push(item);
            }
            Ok::<_, ApiError>(items)
        })
        .await?;
    Ok(paging::json_text(page.envelope(&target, &items)))
}

pub async fn deleted_restore(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let account = state.account(&base);
    state
        .store()
        .write(move |tx| tickets::restore(tx, &account, &caller, id))
        .await?;
    Ok(axum::Json(json!({})).into_response())
}

pub async fn deleted_purge(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let deleted = state
        .store()
        .read(move |reader| reader.deleted_ticket(id))
        .await?;
    if deleted.is_none() {
        return Err(ApiError::NotFound);
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
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let ids = required_ids(&params, "deleted tickets to restore")?;
    let account = state.account(&base);
    state
        .store()
        .write(move |tx| {
            for id in ids {
                tickets::restore(tx, &account, &caller, id)?;
            }
            Ok::<_, ApiError>(())
        })
        .await?;
    Ok(axum::Json(json!({})).into_response())
}

/// `DELETE /deleted_tickets/destroy_many?ids=`: one permanent-delete job for them all.
pub async fn deleted_destroy_many(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
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

/// A ticket and the audit of its change as `audience` may see them: an end-user's copy of the
/// audit keeps only events about fields they can see.
fn viewed_change(audience: &Audience, ticket: Value, mut audit: Value) -> (Value, Value) {
    let ticket = audience.view(Table::Tickets, ticket);
    if !audience.sees_everything()
        && let Some(events) = audit["events"].as_array_mut()
    {
        events.retain(|event| match event["field_name"].as_str() {
            None => event["type"] == "Comment",
            Some(field) => ticket.get(field).is_some(),
        });
    }
    (ticket, audit)
}

/// Comments and audits in time order (cursor tag `created_at` or `created_at:desc`).
fn by_created_at(descending: bool) -> Sort {
    Sort {
        order: format!("created_at{}", if descending { ":desc" } else { "" }),
        column: "created_at",
        descending,
    }
}

/// Comments as served: the text forms not stored derived (`comment_forms`), attachment URLs
/// absolute; written piece by piece, so a comment of megabytes is never held in its three forms.
fn comments_as_served(base: &str) -> paging::Serve {
    let base = base.to_string();
    Box::new(move |row, out| {
        comment_forms::write_served_comment(
            row.json,
            None,
            &|text| super::attachments::absolute_text(text, &base),
            &mut |piece| out.write(piece),
        )
    })
}

/// Audits as served: each Comment event is its comment (read beside the audit), served as
/// `comments_as_served` serves comments.
fn audits_as_served(base: &str) -> paging::Serve {
    let base = base.to_string();
    Box::new(move |row, out| {
        comment_forms::write_served_audit(
            row.json,
            row.companion,
            &|text| super::attachments::absolute_text(text, &base),
            &mut |piece| out.write(piece),
        )
    })
}

/// This resource's endpoints and who may call each (`permissions::Who`). End-users reach their own tickets (as requester) and update them with comments only.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Agents, SignedIn};
    vec![
        Endpoint::get("/api/v2/tickets", SignedIn, list),
        Endpoint::post("/api/v2/tickets", SignedIn, create),
        Endpoint::get("/api/v2/tickets/show_many", SignedIn, show_many),
        Endpoint::post(
            "/api/v2/tickets/create_many",
            Agents,
            bulk::create_many::<Tickets>,
        ),
        Endpoint::put(
            "/api/v2/tickets/update_many",
            Agents,
            bulk::update_many::<Tickets>,
        ),
        Endpoint::delete(
            "/api/v2/tickets/destroy_many",
            Agents,
            bulk::destroy_many::<Tickets>,
        ),
        Endpoint::get("/api/v2/tickets/{id}", SignedIn, show),
        Endpoint::put("/api/v2/tickets/{id}", SignedIn, update),
        Endpoint::delete("/api/v2/tickets/{id}", Agents, delete),
        Endpoint::post("/api/v2/tickets/{id}/merge", Agents, merge),
        Endpoint::get("/api/v2/tickets/{id}/comments", SignedIn, comments),
        Endpoint::get("/api/v2/tickets/{id}/audits", Agents, audits),
        Endpoint::get("/api/v2/ticket_audits", Agents, all_audits),
        Endpoint::get("/api/v2/deleted_tickets", Agents, deleted_list),
        Endpoint::put(
            "/api/v2/deleted_tickets/restore_many",
            Agents,
            deleted_restore_many,
        ),
        Endpoint::delete(
            "/api/v2/deleted_tickets/destroy_many",
            Agents,
            deleted_destroy_many,
        ),
        Endpoint::delete("/api/v2/deleted_tickets/{id}", Agents, deleted_purge),
        Endpoint::put(
            "/api/v2/deleted_tickets/{id}/restore",
            Agents,
            deleted_restore,
        ),
    ]
}
