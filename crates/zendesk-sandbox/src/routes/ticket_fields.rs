//! Ticket fields over HTTP: list (by position; cursor or offset), show, create, update, delete
//! (204; system fields refuse). Agents read; only admins write (`resources::ticket_fields`).

use axum::extract::State;
use axum::response::Response;

use super::endpoint::Endpoint;
use super::http::{BaseUrl, Query};
use super::listing::Listing;
use super::paging::{Sort, page_request};
use super::resource::{
    self, Create, CreateRule, Delete, DeleteRule, Resource, Show, Update, UpdateRule,
};
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::ticket_fields;
use crate::state::AppState;
use crate::store::Table;

/// Ticket fields as served (see `resource`).
pub struct TicketFields;

impl Resource for TicketFields {
    const TABLE: Table = Table::TicketFields;
    const ONE: &'static str = "ticket_field";
    const MANY: &'static str = "ticket_fields";
}

impl Show for TicketFields {}

impl Create for TicketFields {
    const CREATE: CreateRule = ticket_fields::create;
}

impl Update for TicketFields {
    const UPDATE: UpdateRule = ticket_fields::update;
}

impl Delete for TicketFields {
    const DELETE: DeleteRule = ticket_fields::delete;
}

pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let request = page_request(&params)?;
    let sort = Sort {
        order: "position".into(),
        column: "position",
        descending: false,
    };
    Listing::new(&base, &params, request, Vec::new())
        .sorted(sort)
        .serve::<TicketFields>(state.store())
        .await
}

/// This resource's endpoints and who may call each (`permissions::Who`). Account configuration: agents read, admins write.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Admins, Agents};
    vec![
        Endpoint::get("/api/v2/ticket_fields", Agents, list),
        Endpoint::post(
            "/api/v2/ticket_fields",
            Admins,
            resource::create::<TicketFields>,
        ),
        Endpoint::get(
            "/api/v2/ticket_fields/{id}",
            Agents,
            resource::show::<TicketFields>,
        ),
        Endpoint::put(
            "/api/v2/ticket_fields/{id}",
            Admins,
            resource::update::<TicketFields>,
        ),
        Endpoint::delete(
            "/api/v2/ticket_fields/{id}",
            Admins,
            resource::delete::<TicketFields>,
        ),
    ]
}
