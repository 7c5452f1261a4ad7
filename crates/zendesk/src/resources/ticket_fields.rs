//! `client.ticket_fields()`: list (cursor) and show. Ticket fields are Zendesk's system fields
//! and the account's custom fields; tickets hold custom values under `custom_fields` by field ID.

use reqwest::Method;
use zendesk_types::{TicketField, TicketFieldId};

use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Request, read_record};

/// Ticket field requests. Get one with [`Client::ticket_fields`] or [`Detached::ticket_fields`].
#[derive(Debug, Clone)]
pub struct TicketFieldsHandler<C = Client> {
    client: C,
}

impl Client {
    /// Ticket field requests.
    pub fn ticket_fields(&self) -> TicketFieldsHandler {
        TicketFieldsHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Ticket field requests as plain values.
    pub fn ticket_fields(self) -> TicketFieldsHandler<Detached> {
        TicketFieldsHandler { client: self }
    }
}

impl<C: Clone> TicketFieldsHandler<C> {
    /// `GET /ticket_fields`, cursor paging (ordered by ID; without paging Zendesk orders them by
    /// position).
    pub fn list(&self) -> ListRequest<TicketField, C> {
        ListRequest::new(self.client.clone(), "/ticket_fields", Paging::Cursor)
    }

    /// `GET /ticket_fields/{id}`.
    pub fn show(&self, id: TicketFieldId) -> Request<TicketField, C> {
        Request::new(
            self.client.clone(),
            Method::GET,
            format!("/ticket_fields/{id}"),
            read_record::<TicketField>,
        )
    }
}
