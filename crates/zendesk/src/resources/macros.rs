//! `client.macros()`: list (all, active, search by title), show, create, update, delete, the
//! actions a macro may hold, and applying one: what it would do alone (`apply`) or to a ticket
//! (`apply_to_ticket`: the ticket as it would be and the comment it would add). Applying changes
//! nothing: the caller then updates the ticket.

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;
use zendesk_types::{Macro, MacroId, MacroResult, TicketId};

use super::keyed;
use crate::client::Client;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_json, read_nothing, read_record};

/// Macro requests. Get one with [`Client::macros`] or [`Detached::macros`].
#[derive(Debug, Clone)]
pub struct MacrosHandler<C = Client> {
    client: C,
}

impl Client {
    /// Macro requests.
    pub fn macros(&self) -> MacrosHandler {
        MacrosHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Macro requests as plain values.
    pub fn macros(self) -> MacrosHandler<Detached> {
        MacrosHandler { client: self }
    }
}

impl<C: Clone> MacrosHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /macros`: the macros the user may use (shared, their groups', their own), cursor
    /// paging. `.param("active", "true")` keeps active ones.
    pub fn list(&self) -> ListRequest<Macro, C> {
        ListRequest::new(self.client.clone(), "/macros", Paging::Cursor)
    }

    /// `GET /macros/active`.
    pub fn active(&self) -> ListRequest<Macro, C> {
        ListRequest::new(self.client.clone(), "/macros/active", Paging::Cursor)
    }

    /// `GET /macros/search?query=`: macros whose title holds `query` (offset paging). An empty
    /// query is refused before sending.
    pub fn search(&self, query: &str) -> ListRequest<Macro, C> {
        let list = ListRequest::new(self.client.clone(), "/macros/search", Paging::Offset);
        if query.trim().is_empty() {
            return list.fail("search macros: give words of the title to find".into());
        }
        list.param("query", query.trim())
    }

    /// `GET /macros/{id}`.
    pub fn show(&self, id: MacroId) -> Request<Macro, C> {
        self.request(Method::GET, format!("/macros/{id}"), read_record::<Macro>)
    }

    /// `POST /macros` with `{"macro": {"title", "actions": [...]}}`.
    pub fn create<B: Serialize + ?Sized>(&self, record: &B) -> Request<Macro, C> {
        self.request(Method::POST, "/macros", read_record::<Macro>)
            .json(&keyed("macro", record))
    }

    /// `PUT /macros/{id}` with `{"macro": changes}`.
    pub fn update<B: Serialize + ?Sized>(&self, id: MacroId, changes: &B) -> Request<Macro, C> {
        self.request(Method::PUT, format!("/macros/{id}"), read_record::<Macro>)
            .json(&keyed("macro", changes))
    }

    /// `DELETE /macros/{id}` (204).
    pub fn delete(&self, id: MacroId) -> Request<(), C> {
        self.request(Method::DELETE, format!("/macros/{id}"), read_nothing)
    }

    /// `GET /macros/actions`: the actions a macro may hold, with the values each takes.
    pub fn actions(&self) -> Request<Value, C> {
        self.request(Method::GET, "/macros/actions", read_json::<Value>)
    }

    /// `GET /macros/{id}/apply`: what the macro sets, on no ticket in particular.
    pub fn apply(&self, id: MacroId) -> Request<Value, C> {
        self.request(
            Method::GET,
            format!("/macros/{id}/apply"),
            read_json::<Value>,
        )
    }

    /// `GET /tickets/{ticket}/macros/{id}/apply`: the ticket as the macro would leave it and
    /// the comment it would add. Nothing is changed.
    pub fn apply_to_ticket(&self, ticket: TicketId, id: MacroId) -> Request<MacroResult, C> {
        self.request(
            Method::GET,
            format!("/tickets/{ticket}/macros/{id}/apply"),
            read_record::<MacroResult>,
        )
    }
}
