//! `client.tickets()`: list (cursor, with `sort`), show, show_many, create, create_many,
//! update, update_many (one change for many, or one change each), delete, merge, comments.

use reqwest::Method;
use serde::Serialize;
use zendesk_types::limits::MAX_MERGE_SOURCES;
use zendesk_types::{Comment, JobStatus, Single, TICKET_SORTS, Ticket, TicketAndAudit, TicketId};

use super::{check_bulk, choices, items_with_ids, join_ids, keyed, normalized};
use crate::client::{Client, NO_QUERY};
use crate::error::{Error, Result};
use crate::paging::{ListRequest, Paging};

/// Ticket requests. Get one with [`Client::tickets`].
#[derive(Debug, Clone, Copy)]
pub struct TicketsHandler<'a> {
    client: &'a Client,
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
    pub fn tickets(&self) -> TicketsHandler<'_> {
        TicketsHandler { client: self }
    }
}

impl TicketsHandler<'_> {
    /// `GET /tickets`, cursor paging. `sort` is `updated_at`, `id` or `status`, optionally
    /// `-`-prefixed (case and surrounding spaces ignored); anything else is refused on send.
    pub fn list(&self, sort: Option<&str>) -> ListRequest<Ticket> {
        let request = self.client.list("/tickets", Paging::Cursor);
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
    pub async fn show(&self, id: TicketId) -> Result<Ticket> {
        let single: Single<Ticket> = self
            .client
            .send(
                Method::GET,
                &format!("/tickets/{id}"),
                NO_QUERY,
                None::<&()>,
            )
            .await?;
        Ok(single.record)
    }

    /// `GET /tickets/show_many?ids=...` (at most 100 IDs).
    pub async fn show_many(&self, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        let ids = join_ids("show many tickets", ids)?;
        let page: zendesk_types::OffsetPage<Ticket> = self
            .client
            .send(
                Method::GET,
                "/tickets/show_many",
                &[("ids", ids)],
                None::<&()>,
            )
            .await?;
        Ok(page.items)
    }

    /// `POST /tickets` with `{"ticket": ticket}`; answers the ticket and its audit.
    pub async fn create<B: Serialize + ?Sized>(&self, ticket: &B) -> Result<TicketAndAudit> {
        self.client
            .send(
                Method::POST,
                "/tickets",
                NO_QUERY,
                Some(&keyed("ticket", ticket)),
            )
            .await
    }

    /// `POST /tickets/create_many` with `{"tickets": [...]}` (1 to 100); answers the job status.
    pub async fn create_many<B: Serialize>(&self, tickets: &[B]) -> Result<JobStatus> {
        check_bulk("create many tickets", tickets.len())?;
        let single: Single<JobStatus> = self
            .client
            .send(
                Method::POST,
                "/tickets/create_many",
                NO_QUERY,
                Some(&keyed("tickets", tickets)),
            )
            .await?;
        Ok(single.record)
    }

    /// `PUT /tickets/{id}` with `{"ticket": changes}`; answers the ticket and its audit.
    pub async fn update<B: Serialize + ?Sized>(
        &self,
        id: TicketId,
        changes: &B,
    ) -> Result<TicketAndAudit> {
        self.client
            .send(
                Method::PUT,
                &format!("/tickets/{id}"),
                NO_QUERY,
                Some(&keyed("ticket", changes)),
            )
            .await
    }

    /// `PUT /tickets/update_many?ids=...` with `{"ticket": changes}`: the same change to every
    /// ticket (1 to 100 IDs). Use `additional_tags` to add tags (`tags` replaces them).
    pub async fn update_many<B: Serialize + ?Sized>(
        &self,
        ids: &[TicketId],
        changes: &B,
    ) -> Result<JobStatus> {
        let ids = join_ids("update many tickets", ids)?;
        let single: Single<JobStatus> = self
            .client
            .send(
                Method::PUT,
                "/tickets/update_many",
                &[("ids", ids)],
                Some(&keyed("ticket", changes)),
            )
            .await?;
        Ok(single.record)
    }

    /// `PUT /tickets/update_many` with `{"tickets": [{"id": 1, ...}, ...]}`: one change per
    /// ticket. Every item needs a positive integer `id` (string digits are converted).
    pub async fn update_many_each<B: Serialize>(&self, tickets: &[B]) -> Result<JobStatus> {
        let items = items_with_ids("update many tickets", tickets)?;
        let single: Single<JobStatus> = self
            .client
            .send(
                Method::PUT,
                "/tickets/update_many",
                NO_QUERY,
                Some(&keyed("tickets", &items)),
            )
            .await?;
        Ok(single.record)
    }

    /// `DELETE /tickets/{id}` (204; a soft delete).
    pub async fn delete(&self, id: TicketId) -> Result<()> {
        let _: serde_json::Value = self
            .client
            .send(
                Method::DELETE,
                &format!("/tickets/{id}"),
                NO_QUERY,
                None::<&()>,
            )
            .await?;
        Ok(())
    }

    /// `POST /tickets/{target}/merge`; answers the job status. The target may not be among the
    /// sources, and 1 to 5 sources are needed (checked before sending).
    pub async fn merge(&self, target: TicketId, merge: &MergeTickets) -> Result<JobStatus> {
        check_bulk("merge tickets", merge.ids.len())?;
        if merge.ids.len() > MAX_MERGE_SOURCES {
            return Err(Error::InvalidRequest(format!(
                "merge tickets: at most {MAX_MERGE_SOURCES} tickets can be merged in one call, got {}",
                merge.ids.len()
            )));
        }
        if merge.ids.contains(&target) {
            return Err(Error::InvalidRequest(format!(
                "merge tickets: the target ticket {target} is also among the tickets to merge \
                 into it"
            )));
        }
        let single: Single<JobStatus> = self
            .client
            .send(
                Method::POST,
                &format!("/tickets/{target}/merge"),
                NO_QUERY,
                Some(merge),
            )
            .await?;
        Ok(single.record)
    }

    /// `GET /tickets/{id}/comments`, cursor paging, oldest first.
    pub fn comments(&self, id: TicketId) -> ListRequest<Comment> {
        self.client
            .list(format!("/tickets/{id}/comments"), Paging::Cursor)
    }
}
