//! The sandbox's own endpoints, which Zendesk does not have: the clock
//! (`POST /sandbox/clock/advance` with `{"hours": N}`, admins: moves the sandbox's time and runs
//! every hourly automation pass that falls due) and the outbox (`GET /sandbox/emails`, agents:
//! every notification email a rule sent, newest first, cursor paged, by `ticket_id` or `to`).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::endpoint::Endpoint;
use super::http::{BaseUrl, JsonBody, Query};
use super::listing::Listing;
use super::paging::{Sort, page_request};
use super::resource::Resource;
use crate::business_rules::account::sandbox_now;
use crate::business_rules::clock::{HOUR, parse_advance};
use crate::business_rules::hourly;
use crate::business_rules::outbox::OutboxFilter;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::state::AppState;
use crate::store::{Bind, Filter, Table};
use crate::util::iso;

/// The outbox's emails as served: records without a `url` of their own.
pub struct Emails;

impl Resource for Emails {
    const TABLE: Table = Table::OutboxEmails;
    const ONE: &'static str = "email";
    const MANY: &'static str = "emails";

    fn render(record: serde_json::Value, _base: &str) -> serde_json::Value {
        record
    }

    fn write_stored(
        stored: &str,
        _base: &str,
        out: &mut dyn super::stream::Out,
    ) -> Result<(), ApiError> {
        out.write(stored)
    }
}

/// `POST /sandbox/clock/advance` with `{"hours": N}`: answers the sandbox's new time and what
/// the passes did.
pub async fn advance(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let hours = parse_advance(&body).map_err(|e| ApiError::invalid("hours", e, "InvalidValue"))?;
    let account = state.account(&base);
    let (run, now, offset) = state
        .store()
        .write(move |tx| {
            let run = hourly::advance_clock(tx, &account, hours)?;
            let clock = tx.sandbox_state()?;
            Ok::<_, ApiError>((run, sandbox_now(&clock), clock.clock_offset))
        })
        .await?;
    Ok(axum::Json(json!({"clock": {
        "now": iso(now), "offset_hours": offset / HOUR,
        "automation_passes": run.passes, "tickets_updated": run.tickets_updated,
    }}))
    .into_response())
}

/// `GET /sandbox/emails?ticket_id=&to=`: `{"emails": [...]}` newest first, cursor paged.
pub async fn emails(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let filter = OutboxFilter::parse(params.get("ticket_id"), params.get("to"))
        .map_err(ApiError::bad_value)?;
    let mut filters = Vec::new();
    if let Some(ticket_id) = filter.ticket_id {
        filters.push(Filter::Eq("ticket_id", Bind::Int(ticket_id)));
    }
    if let Some(to) = filter.to {
        filters.push(Filter::Eq("to_address", Bind::Text(to)));
    }
    let request = page_request(&params)?;
    let newest_first = Sort {
        order: "created_at:desc".into(),
        column: "created_at",
        descending: true,
    };
    Listing::new(&base, &params, request, filters)
        .sorted(newest_first)
        .serve_at::<Emails>(state.store(), "sandbox/emails")
        .await
}

/// The sandbox's own endpoints and who may call each (`permissions::Who`).
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::post("/api/v2/sandbox/clock/advance", Who::Admins, advance),
        Endpoint::get("/api/v2/sandbox/emails", Who::Agents, emails),
    ]
}
