//! `client.tickets()`: list (cursor, with `sort`), show, show_many, create, create_many,
//! update, update_many (one change for many, or one change each), delete, merge, comments,
//! audits.

use reqwest::Method;
use serde::Serialize;
use zendesk_types::limits::MAX_MERGE_SOURCES;
use zendesk_types::{Audit, Comment, JobStatus, TICKET_SORTS, Ticket, TicketAndAudit, TicketId};

use super::{check_bulk, choices, items_with_ids, join_ids, keyed, normalized};
use crate::client::Client;
use crate::error::Error;
use crate::paging::{ListRequest, Paging};
use crate::request::{Detached, Reader, Request, read_items, read_json, read_nothing, read_record};

/// Ticket requests. Get one with [`Client::tickets`] (requests to send) or
/// [`Detached::tickets`] (plain values).
#[derive(Debug, Clone)]
pub struct TicketsHandler<C = Client> {
    client: C,
}

/// The body of `POST /tickets/{id}/merge`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MergeTickets {
    /// The tickets merged into the target (closed afterwards).
    pub ids: Vec<TicketId>,
    /// Comment added to the target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_comment: Option<String>,
    /// Comment added to each source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_comment: Option<String>,
    /// Whether the target comment is public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_comment_is_public: Option<bool>,
    /// Whether the source comments are public.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_comment_is_public: Option<bool>,
}

impl Client {
    /// Ticket requests.
    pub fn tickets(&self) -> TicketsHandler {
        TicketsHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Ticket requests as plain values.
    pub fn tickets(self) -> TicketsHandler<Detached> {
        TicketsHandler { client: self }
    }
}

impl<C: Clone> TicketsHandler<C> {
    fn request<T>(
        &self,
        method: Method,
        path: impl Into<String>,
        read: Reader<T>,
    ) -> Request<T, C> {
        Request::new(self.client.clone(), method, path, read)
    }

    /// `GET /tickets`, cursor paging. `sort` is `updated_at`, `id` or `status`, optionally
    /// `-`-prefixed (case and surrounding spaces ignored); anything else is refused on send.
    pub fn list(&self, sort: Option<&str>) -> ListRequest<Ticket, C> {
        let request = ListRequest::new(self.client.clone(), "/tickets", Paging::Cursor);
        match sort.and_then(normalized) {
            None => request,
            Some(sort) if TICKET_SORTS.contains(&sort.as_str()) => request.param("sort", sort),
            Some(sort) => request.fail(format!(
                "sort {sort:?} is not valid: expected {}",
                choices(TICKET_SORTS)
            )),
        }
    }

    /// `GET /tickets/{id}`.
    pub fn show(&self, id: TicketId) -> Request<Ticket, C> {
        self.request(Method::GET, format!("/tickets/{id}"), read_record::<Ticket>)
    }

    /// `GET /tickets/show_many?ids=...` (at most 100 IDs).
    pub fn show_many(&self, ids: &[TicketId]) -> Request<Vec<Ticket>, C> {
        let request = self.request(Method::GET, "/tickets/show_many", read_items::<Ticket>);
        match join_ids("show many tickets", ids) {
            Ok(ids) => request.param("ids", ids),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `POST /tickets` with `{"ticket": ticket}`; answers the ticket and its audit.
    pub fn create<B: Serialize + ?Sized>(&self, ticket: &B) -> Request<TicketAndAudit, C> {
        self.request(Method::POST, "/tickets", read_json::<TicketAndAudit>)
            .json(&keyed("ticket", ticket))
    }

    /// `POST /tickets/create_many` with `{"tickets": [...]}` (1 to 100); answers the job status.
    pub fn create_many<B: Serialize>(&self, tickets: &[B]) -> Request<JobStatus, C> {
        self.request(
            Method::POST,
            "/tickets/create_many",
            read_record::<JobStatus>,
        )
        .json(&keyed("tickets", tickets))
        .refuse_on(check_bulk("create many tickets", tickets.len()))
    }

    /// `PUT /tickets/{id}` with `{"ticket": changes}`; answers the ticket and its audit.
    pub fn update<B: Serialize + ?Sized>(
        &self,
        id: TicketId,
        changes: &B,
    ) -> Request<TicketAndAudit, C> {
        self.request(
            Method::PUT,
            format!("/tickets/{id}"),
            read_json::<TicketAndAudit>,
        )
        .json(&keyed("ticket", changes))
    }

    /// `PUT /tickets/update_many?ids=...` with `{"ticket": changes}`: the same change to every
    /// ticket (1 to 100 IDs). Use `additional_tags` to add tags (`tags` replaces them).
    pub fn update_many<B: Serialize + ?Sized>(
        &self,
        ids: &[TicketId],
        changes: &B,
    ) -> Request<JobStatus, C> {
        let request = self
            .request(
                Method::PUT,
                "/tickets/update_many",
                read_record::<JobStatus>,
            )
            .json(&keyed("ticket", changes));
        match join_ids("update many tickets", ids) {
            Ok(ids) => request.param("ids", ids),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `PUT /tickets/update_many` with `{"tickets": [{"id": 1, ...}, ...]}`: one change per
    /// ticket. Every item needs a positive integer `id` (string digits are converted).
    pub fn update_many_each<B: Serialize>(&self, tickets: &[B]) -> Request<JobStatus, C> {
        let request = self.request(
            Method::PUT,
            "/tickets/update_many",
            read_record::<JobStatus>,
        );
        match items_with_ids("update many tickets", tickets) {
            Ok(items) => request.json(&keyed("tickets", &items)),
            Err(error) => request.refuse_on(Err(error)),
        }
    }

    /// `DELETE /tickets/{id}` (204; a soft delete).
    pub fn delete(&self, id: TicketId) -> Request<(), C> {
        self.request(Method::DELETE, format!("/tickets/{id}"), read_nothing)
    }

    /// `POST /tickets/{target}/merge`; answers the job status. The target may not be among the
    /// sources, and 1 to 5 sources are needed (checked before sending).
    pub fn merge(&self, target: TicketId, merge: &MergeTickets) -> Request<JobStatus, C> {
        let count = merge.ids.len();
        let check = check_bulk("merge tickets", count).and_then(|()| {
            if count > MAX_MERGE_SOURCES {
                return Err(Error::InvalidRequest(format!(
                    "merge tickets: at most {MAX_MERGE_SOURCES} tickets can be merged in one call, got {count}"
                )));
            }
            if merge.ids.contains(&target) {
                return Err(Error::InvalidRequest(format!(
                    "merge tickets: the target ticket {target} is also among the tickets to merge \
                     into it"
                )));
            }
            Ok(())
        });
        self.request(
            Method::POST,
            format!("/tickets/{target}/merge"),
            read_record::<JobStatus>,
        )
        .json(merge)
        .refuse_on(check)
    }

    /// `GET /tickets/{id}/comments`, cursor paging, oldest first (see
    /// [`ListRequest::newest_first`]). `.include("users")` side-loads the authors.
    pub fn comments(&self, id: TicketId) -> ListRequest<Comment, C> {
        ListRequest::new(
            self.client.clone(),
            format!("/tickets/{id}/comments"),
            Paging::Cursor,
        )
    }

    /// `GET /tickets/{id}/audits`, cursor paging, oldest first: the ticket's history, each
    /// audit with the events it made. `.include("users")` side-loads the authors.
    pub fn audits(&self, id: TicketId) -> ListRequest<Audit, C> {
        ListRequest::new(
            self.client.clone(),
            format!("/tickets/{id}/audits"),
            Paging::Cursor,
        )
    }
}

impl<C> ListRequest<Comment, C> {
    /// Newest comment first (`sort=-created_at`; Zendesk lists oldest first by default).
    pub fn newest_first(self) -> Self {
        self.param("sort", "-created_at")
    }
}
