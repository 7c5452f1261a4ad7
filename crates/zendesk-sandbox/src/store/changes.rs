//! What changed since a moment, for Zendesk's incremental exports: tickets, users and
//! organizations in the order they last changed (`generated_timestamp`, then id: a column the
//! store moves on every write of the row, a soft deletion included), and ticket audits in the
//! order they were made (the ticket events export). Deleted records come too unless excluded:
//! a soft-deleted ticket, an inactive user, an organization deleted for good (as
//! `deleted_organizations` keeps it). Rows are handed on as they are read; a page is never
//! held whole.
//!
//! Every read stops short of `until` (exclusive): a page read again later holds the same rows,
//! and a position handed back to a client stays before everything written after it (a write is
//! stamped when it runs, long before the export's horizon passes it).

use super::bind::Bind;
use super::connection::Transaction;
use super::error::StoreResult;
use super::tables::Table;

/// What an incremental export reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeSource {
    Tickets,
    Users,
    /// Live organizations and those deleted for good.
    Organizations,
    /// Ticket audits, by when they were made (each one a ticket event).
    TicketAudits,
}

/// A place in an export's order: a record's (generated_timestamp, id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mark {
    pub timestamp: i64,
    pub id: i64,
}

impl Mark {
    /// Just before every record changed at or after `start` (ids start at 1).
    pub fn at(start: i64) -> Mark {
        Mark {
            timestamp: start,
            id: 0,
        }
    }
}

/// Which way a page reads from its mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// The records after the mark, oldest change first.
    After,
    /// The records before the mark (the page just before it), still handed on oldest first.
    Before,
}

/// One page of changes.
#[derive(Clone, Copy, Debug)]
pub struct ChangeQuery {
    pub source: ChangeSource,
    pub from: Mark,
    pub direction: Direction,
    /// Only what changed before this moment (Unix seconds, exclusive).
    pub until: i64,
    /// Leave deleted records out.
    pub exclude_deleted: bool,
    /// Rows handed on at most; `None`: every row there is.
    pub limit: Option<i64>,
    /// Read each record's companion beside it (`TableSpec::companion`: an audit's comment).
    pub companions: bool,
}

/// One changed record as stored.
#[derive(Clone, Copy, Debug)]
pub struct Changed<'a> {
    pub id: i64,
    /// When it last changed (an audit: when it was made).
    pub timestamp: i64,
    /// Deleted: a ticket soft-deleted, a user made inactive, an organization deleted for good.
    pub deleted: bool,
    /// The stored JSON text.
    pub json: &'a str,
    /// Its companion's stored JSON text, when the query asked for companions and it has one.
    pub companion: Option<&'a str>,
}

impl Changed<'_> {
    pub fn mark(&self) -> Mark {
        Mark {
            timestamp: self.timestamp,
            id: self.id,
        }
    }
}

/// What a page found besides its rows.
#[derive(Clone, Copy, Debug, Default)]
pub struct ChangeSummary {
    /// Rows handed on.
    pub count: i64,
    /// More rows lie beyond the page in its direction (before `until`).
    pub more: bool,
    /// The marks of the first and last rows handed on.
    pub first: Option<Mark>,
    pub last: Option<Mark>,
}

/// Reading what changed.
pub trait ReadChanges {
    /// Hands each row of one page to `emit`, oldest change first, as it is read.
    fn stream_changes(
        &mut self,
        query: &ChangeQuery,
        emit: &mut dyn FnMut(Changed<'_>) -> StoreResult<()>,
    ) -> StoreResult<ChangeSummary>;
}

/// `SELECT id, timestamp, deleted, json[, companion]` of one source's rows past a mark (binds:
/// the mark's timestamp and id, then `until`), in the direction's order, unlimited.
fn rows_sql(
    source: ChangeSource,
    direction: Direction,
    exclude_deleted: bool,
    companions: bool,
) -> String {
    let (cmp, order) = match direction {
        Direction::After => (">", "ASC"),
        Direction::Before => ("<", "DESC"),
    };
    let window = |at: &str| format!("({at}, id) {cmp} ($1, $2) AND {at} < $3");
    match source {
        ChangeSource::Tickets => format!(
            "SELECT id, generated_timestamp, CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END AS deleted, json \
             FROM tickets WHERE {}{} \
             ORDER BY generated_timestamp {order}, id {order}",
            window("generated_timestamp"),
            if exclude_deleted {
                " AND deleted_at IS NULL"
            } else {
                ""
            }
        ),
        ChangeSource::Users => format!(
            "SELECT id, generated_timestamp, 1 - active AS deleted, json FROM users WHERE {}{} \
             ORDER BY generated_timestamp {order}, id {order}",
            window("generated_timestamp"),
            if exclude_deleted {
                " AND active = 1"
            } else {
                ""
            }
        ),
        ChangeSource::Organizations if exclude_deleted => format!(
            "SELECT id, generated_timestamp, 0 AS deleted, json FROM organizations WHERE {} \
             ORDER BY generated_timestamp {order}, id {order}",
            window("generated_timestamp")
        ),
        ChangeSource::Organizations => format!(
            "SELECT id, generated_timestamp, deleted, json FROM ( \
               SELECT id, generated_timestamp, 0 AS deleted, json FROM organizations WHERE {w} \
               UNION ALL \
               SELECT id, generated_timestamp, 1 AS deleted, json FROM deleted_organizations \
               WHERE {w}) AS changed \
             ORDER BY generated_timestamp {order}, id {order}",
            w = window("generated_timestamp")
        ),
        ChangeSource::TicketAudits => format!(
            "SELECT id, created_at, 0 AS deleted, json{} FROM ticket_audits WHERE {} \
             ORDER BY created_at {order}, id {order}",
            Table::TicketAudits
                .companion()
                .filter(|_| companions)
                .map(|sql| format!(", {sql} AS companion"))
                .unwrap_or_default(),
            window("created_at")
        ),
    }
}

impl ReadChanges for Transaction<'_> {
    fn stream_changes(
        &mut self,
        query: &ChangeQuery,
        emit: &mut dyn FnMut(Changed<'_>) -> StoreResult<()>,
    ) -> StoreResult<ChangeSummary> {
        let rows = rows_sql(
            query.source,
            query.direction,
            query.exclude_deleted,
            query.companions,
        );
        let binds = [
            Bind::Int(query.from.timestamp),
            Bind::Int(query.from.id),
            Bind::Int(query.until),
        ];
        let mut summary = ChangeSummary::default();
        let sql = match (query.direction, query.limit) {
            (_, None) => rows,
            (Direction::After, Some(limit)) => {
                // One more than the page, to learn whether more remain.
                format!("{rows} LIMIT {}", limit.max(0) + 1)
            }
            (Direction::Before, Some(limit)) => {
                // Read backwards, then turned around so rows come oldest first; whether more
                // lie before the page is a count of at most limit + 1 rows.
                let probe = format!(
                    "SELECT COUNT(*) FROM ({rows} LIMIT {}) AS probe",
                    limit.max(0) + 1
                );
                summary.more = self.one_int(&probe, &binds)?.unwrap_or(0) > limit.max(0);
                format!(
                    "SELECT * FROM ({rows} LIMIT {}) AS page ORDER BY 2 ASC, 1 ASC",
                    limit.max(0)
                )
            }
        };
        let limit = match query.direction {
            Direction::After => query.limit,
            Direction::Before => None,
        };
        self.stream_rows(&sql, &binds, &mut |row| {
            if limit.is_some_and(|limit| summary.count >= limit) {
                summary.more = true;
                return Ok(false);
            }
            let changed = Changed {
                id: row.id(0)?,
                timestamp: row.id(1)?,
                deleted: row.flag(2)?,
                json: row.str(3)?,
                companion: if query.companions && query.source == ChangeSource::TicketAudits {
                    row.text(4)?
                } else {
                    None
                },
            };
            summary.count += 1;
            summary.first.get_or_insert(changed.mark());
            summary.last = Some(changed.mark());
            emit(changed)?;
            Ok(true)
        })?;
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_read_past_the_mark_and_short_of_the_horizon() {
        let sql = rows_sql(ChangeSource::Tickets, Direction::After, true, false);
        assert!(
            sql.contains("(generated_timestamp, id) > ($1, $2)"),
            "{sql}"
        );
        assert!(sql.contains("generated_timestamp < $3"), "{sql}");
        assert!(sql.contains("deleted_at IS NULL"), "{sql}");
        let back = rows_sql(ChangeSource::Users, Direction::Before, false, false);
        assert!(
            back.contains("(generated_timestamp, id) < ($1, $2)"),
            "{back}"
        );
        assert!(back.ends_with("id DESC"), "{back}");
        let orgs = rows_sql(ChangeSource::Organizations, Direction::After, false, false);
        assert!(orgs.contains("deleted_organizations"), "{orgs}");
        let kept = rows_sql(ChangeSource::Organizations, Direction::After, true, false);
        assert!(!kept.contains("deleted_organizations"), "{kept}");
        let audits = rows_sql(ChangeSource::TicketAudits, Direction::After, false, true);
        assert!(audits.contains("(created_at, id) > ($1, $2)"), "{audits}");
        assert!(audits.contains("ticket_comments"), "{audits}");
    }
}
