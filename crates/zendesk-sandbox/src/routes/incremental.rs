//! Zendesk's incremental exports (`/api/v2/incremental/...`, admins only): what changed in the
//! account since a moment, oldest change first, page after page until `end_of_stream`.
//!
//! - **Cursor-based** (`tickets/cursor`, `users/cursor`): the first request sends `start_time`,
//!   the next ones `cursor` (a page's `after_cursor`, or its `before_cursor` to page back).
//!   Answers `after_cursor`, `after_url`, `before_cursor`, `before_url`, `end_of_stream`. A
//!   cursor is the (generated_timestamp, id) of the record it follows, encoded as Zendesk's are
//!   (base64 of `1576613539.0||467|`), so records never repeat; the last page's `after_cursor`
//!   is where a later run picks up what changed since.
//! - **Time-based** (`tickets`, `users`, `organizations`, `ticket_events`): each request sends
//!   `start_time`; answers `count`, `end_of_stream`, `end_time` (the newest change on the page)
//!   and `next_page` (`start_time=end_time`), so records sharing the boundary second come again.
//!   When more than a page changed in the very second a page starts at, the page holds that
//!   whole second and `end_time` is the second after it, so an export always moves on.
//! - **Samples** (`{resource}/sample`): the time-based form, at most 50 records.
//!
//! Zendesk's rules: `start_time` (Unix seconds, compared with `generated_timestamp`) must be at
//! least a minute in the past (422 `Too recent start_time` otherwise) and nothing that changed in
//! the last minute is returned; `per_page` is at most 1,000 (node-zendesk's `page[size]` means
//! the same); deleted records come too (a ticket with `status: "deleted"`, a user with
//! `active: false`, an organization with `deleted_at`) unless `exclude_deleted=true`; `include`
//! side-loads as the lists do, and `include=comment_events` puts comments into ticket events.
//! A `cursor` of `undefined` or `null` (what JavaScript clients send for a missing one) counts as
//! absent. The exports' own rate limit is `ratelimit`'s.
//!
//! Each page is streamed as it is read, inside one read transaction (`routes::stream`).

use axum::extract::State;
use axum::response::Response;
use base64::Engine;
use serde_json::Value;
use zendesk_types::incremental::{MAX_PAGE_SIZE, MIN_START_TIME_AGE_SECS};

use super::audience::{SideLoad, requested_side_loads};
use super::endpoint::Endpoint;
use super::http::{BaseUrl, Params, Query};
use super::organizations::Organizations;
use super::resource::Resource;
use super::stream::{self, Out};
use super::tickets::{TICKET_SIDE_LOADS, Tickets};
use super::users::Users;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::{comment_forms, ticket_events};
use crate::state::AppState;
use crate::store::{
    ChangeQuery, ChangeSource, ChangeSummary, Changed, Direction, Mark, Reader, StoreError, Table,
};
use crate::util::now;

/// Records in one page of a sample export (`/incremental/{resource}/sample`).
pub const SAMPLE_PAGE_SIZE: i64 = 50;

pub fn endpoints() -> Vec<Endpoint> {
    use Who::Admins;
    vec![
        Endpoint::get("/api/v2/incremental/tickets/cursor", Admins, tickets_cursor),
        Endpoint::get("/api/v2/incremental/users/cursor", Admins, users_cursor),
        Endpoint::get("/api/v2/incremental/tickets", Admins, tickets),
        Endpoint::get("/api/v2/incremental/users", Admins, users),
        Endpoint::get("/api/v2/incremental/organizations", Admins, organizations),
        Endpoint::get("/api/v2/incremental/ticket_events", Admins, ticket_events),
        Endpoint::get("/api/v2/incremental/tickets/sample", Admins, tickets_sample),
        Endpoint::get("/api/v2/incremental/users/sample", Admins, users_sample),
        Endpoint::get(
            "/api/v2/incremental/organizations/sample",
            Admins,
            organizations_sample,
        ),
        Endpoint::get(
            "/api/v2/incremental/ticket_events/sample",
            Admins,
            ticket_events_sample,
        ),
    ]
}

/// What an export reads and how each of its records is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Export {
    Tickets,
    Users,
    Organizations,
    TicketEvents,
}

/// `?include=organizations` on exported users.
const USER_SIDE_LOADS: [SideLoad; 1] = [SideLoad {
    name: "organizations",
    table: Table::Organizations,
    ids: |user| user["organization_id"].as_i64().into_iter().collect(),
    render: Organizations::render,
}];

impl Export {
    /// The envelope key and the path segment.
    fn key(self) -> &'static str {
        match self {
            Export::Tickets => "tickets",
            Export::Users => "users",
            Export::Organizations => "organizations",
            Export::TicketEvents => "ticket_events",
        }
    }

    fn source(self) -> ChangeSource {
        match self {
            Export::Tickets => ChangeSource::Tickets,
            Export::Users => ChangeSource::Users,
            Export::Organizations => ChangeSource::Organizations,
            Export::TicketEvents => ChangeSource::TicketAudits,
        }
    }

    fn side_loads(self) -> &'static [SideLoad] {
        match self {
            Export::Tickets => &TICKET_SIDE_LOADS,
            Export::Users => &USER_SIDE_LOADS,
            Export::Organizations | Export::TicketEvents => &[],
        }
    }

    /// One changed record as the export serves it.
    fn serve(
        self,
        changed: &Changed<'_>,
        base: &str,
        comment_events: bool,
    ) -> Result<String, ApiError> {
        match self {
            Export::Tickets => {
                // A deleted ticket is exported with the status `deleted`.
                let served = if changed.deleted {
                    let mut ticket = crate::store::parse_stored(changed.json)?;
                    ticket["status"] = Value::from("deleted");
                    Tickets::render(ticket, base).to_string()
                } else {
                    Tickets::serve_stored(changed.json, base)?
                };
                // Tickets carry the moment of their last change, which the export pages by.
                Ok(match served.strip_suffix('}') {
                    Some(open) if open.len() > 1 => {
                        format!("{open},\"generated_timestamp\":{}}}", changed.timestamp)
                    }
                    _ => served,
                })
            }
            Export::Users => Users::serve_stored(changed.json, base),
            Export::Organizations => Organizations::serve_stored(changed.json, base),
            Export::TicketEvents => {
                let audit = comment_forms::audit_with_comment(
                    crate::store::parse_stored(changed.json)?,
                    changed.companion,
                )?;
                Ok(
                    ticket_events::from_audit(&audit, changed.timestamp, comment_events)
                        .to_string(),
                )
            }
        }
    }
}

/// Where a page starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum From {
    /// Everything changed at or after this moment (Unix seconds).
    StartTime(i64),
    /// A cursor: after (or before) a record.
    Cursor(Mark, Direction),
}

/// One page as asked for.
#[derive(Clone, Copy, Debug)]
struct PageAsked {
    from: From,
    per_page: i64,
    exclude_deleted: bool,
    comment_events: bool,
    /// What changed before this moment only: a minute ago.
    until: i64,
}

/// A cursor as Zendesk writes one: base64 of `{timestamp}.0||{id}|` (after a record), and
/// `{timestamp}.0|before|{id}|` for the page before a record.
fn encode_cursor(mark: Mark, direction: Direction) -> String {
    let way = match direction {
        Direction::After => "",
        Direction::Before => "before",
    };
    base64::engine::general_purpose::STANDARD
        .encode(format!("{}.0|{way}|{}|", mark.timestamp, mark.id))
}

fn decode_cursor(cursor: &str) -> Result<(Mark, Direction), ApiError> {
    let bad = || {
        ApiError::bad_value(format!(
            "cursor `{cursor}` is not a cursor of this export: send the after_cursor or \
             before_cursor of an earlier page, or start again with start_time"
        ))
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<&str> = text.split('|').collect();
    let [time, way, id, ""] = parts.as_slice() else {
        return Err(bad());
    };
    let timestamp = time
        .strip_suffix(".0")
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(bad)?;
    let id = id.parse::<i64>().map_err(|_| bad())?;
    let direction = match *way {
        "" => Direction::After,
        "before" => Direction::Before,
        _ => return Err(bad()),
    };
    Ok((Mark { timestamp, id }, direction))
}

/// Reads a page's parameters; `cursors`: the export takes `cursor`; `largest`: its page size.
fn page_asked(
    params: &Params,
    cursors: bool,
    largest: i64,
    now: i64,
) -> Result<PageAsked, ApiError> {
    let until = now - MIN_START_TIME_AGE_SECS;
    let cursor = params
        .get("cursor")
        .filter(|c| cursors && !matches!(c.trim(), "undefined" | "null"));
    let from = match (cursor, params.get("start_time")) {
        (Some(cursor), _) => {
            let (mark, direction) = decode_cursor(cursor)?;
            From::Cursor(mark, direction)
        }
        (None, Some(raw)) => {
            let start = raw.trim().parse::<i64>().map_err(|_| {
                ApiError::bad_value(format!(
                    "start_time must be a Unix time in seconds (such as 1332034771), got `{raw}`"
                ))
            })?;
            if start < 0 {
                return Err(ApiError::bad_value(format!(
                    "start_time must be a Unix time in seconds, 0 or more, got {start}"
                )));
            }
            if start > until {
                // Zendesk's own answer.
                return Err(ApiError::Unprocessable(serde_json::json!({
                    "error": "InvalidValue",
                    "description": "Too recent start_time. Use a start_time older than 1 minute",
                })));
            }
            From::StartTime(start)
        }
        (None, None) => {
            return Err(ApiError::bad_value(if cursors {
                "start_time is required: the Unix time (seconds, at least a minute ago) to export \
                 changes from; or cursor, an earlier page's after_cursor"
            } else {
                "start_time is required: the Unix time (seconds, at least a minute ago) to export \
                 changes from"
            }));
        }
    };
    let size = params.get("per_page").or_else(|| params.get("page[size]"));
    let per_page = match size {
        None => largest,
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if n >= 1 => n.min(largest),
            _ => {
                return Err(ApiError::bad_value(format!(
                    "per_page must be a whole number from 1 to {MAX_PAGE_SIZE}, got `{raw}`"
                )));
            }
        },
    };
    let exclude_deleted = match params.get("exclude_deleted") {
        None => false,
        Some(raw) => match raw.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => {
                return Err(ApiError::bad_value(format!(
                    "exclude_deleted must be true or false, got `{raw}`"
                )));
            }
        },
    };
    let comment_events = params
        .all("include")
        .iter()
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("comment_events"));
    Ok(PageAsked {
        from,
        per_page,
        exclude_deleted,
        comment_events,
        until,
    })
}

/// `{base}/api/v2/incremental/{path}.json?...` with this request's other parameters kept and
/// the position parameters replaced by `position`.
fn page_url(base: &str, path: &str, params: &Params, position: (&str, String)) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in &params.0 {
        if !matches!(key.as_str(), "start_time" | "cursor") {
            query.append_pair(key, value);
        }
    }
    query.append_pair(position.0, &position.1);
    format!("{base}/api/v2/incremental/{path}.json?{}", query.finish())
}

/// What a page is read with and how it is written.
struct Page {
    export: Export,
    asked: PageAsked,
    base: String,
    params: Params,
    /// The path after `/api/v2/incremental/`.
    path: &'static str,
    side_loads: Vec<SideLoad>,
}

/// Writes a page's records as they are read, and remembers what its side-loads refer to.
struct PageWriter<'a> {
    page: &'a Page,
    out: &'a mut dyn Out,
    written: usize,
    referenced: Vec<Vec<i64>>,
}

impl PageWriter<'_> {
    fn record(&mut self, changed: &Changed<'_>) -> Result<(), ApiError> {
        let text =
            self.page
                .export
                .serve(changed, &self.page.base, self.page.asked.comment_events)?;
        if self.written > 0 {
            self.out.write(",")?;
        }
        self.out.write(&text)?;
        self.written += 1;
        if !self.page.side_loads.is_empty() {
            let record = crate::store::parse_stored(changed.json)?;
            for (ids, load) in self.referenced.iter_mut().zip(&self.page.side_loads) {
                ids.extend((load.ids)(&record));
            }
        }
        Ok(())
    }

    /// Streams one read's rows through `record`.
    fn read(
        &mut self,
        reader: &mut dyn Reader,
        query: ChangeQuery,
    ) -> Result<ChangeSummary, ApiError> {
        let mut failure: Option<ApiError> = None;
        let read = reader.stream_changes(&query, &mut |changed| {
            self.record(&changed).map_err(|error| {
                failure = Some(error);
                StoreError::unavailable("the export page stopped")
            })
        });
        if let Some(error) = failure {
            return Err(error);
        }
        Ok(read?)
    }

    /// `,"users":[...]` for each side-load asked for.
    fn side_loads(&mut self, reader: &mut dyn Reader) -> Result<(), ApiError> {
        let referenced = std::mem::take(&mut self.referenced);
        for (mut ids, load) in referenced.into_iter().zip(&self.page.side_loads) {
            ids.sort_unstable();
            ids.dedup();
            let records = reader.records(load.table, &ids)?;
            let rendered: Vec<Value> = records
                .into_iter()
                .map(|record| (load.render)(record, &self.page.base))
                .collect();
            self.out.write(&format!(
                ",{}:{}",
                Value::from(load.name),
                Value::Array(rendered)
            ))?;
        }
        Ok(())
    }
}

impl Page {
    fn new(
        export: Export,
        path: &'static str,
        asked: PageAsked,
        base: String,
        params: Params,
    ) -> Page {
        let side_loads = requested_side_loads(&params, export.side_loads());
        Page {
            export,
            asked,
            base,
            params,
            path,
            side_loads,
        }
    }

    fn query(
        &self,
        from: Mark,
        direction: Direction,
        until: i64,
        limit: Option<i64>,
    ) -> ChangeQuery {
        ChangeQuery {
            source: self.export.source(),
            from,
            direction,
            until,
            exclude_deleted: self.asked.exclude_deleted,
            limit,
            // Comments in ticket events are read beside their audits (`comment_forms`).
            companions: self.export == Export::TicketEvents && self.asked.comment_events,
        }
    }

    fn writer<'a>(&'a self, out: &'a mut dyn Out) -> Result<PageWriter<'a>, ApiError> {
        out.write(&format!("{{{}:[", Value::from(self.export.key())))?;
        Ok(PageWriter {
            page: self,
            out,
            written: 0,
            referenced: vec![Vec::new(); self.side_loads.len()],
        })
    }

    /// A cursor-based page: `{records, after_cursor, after_url, before_cursor, before_url,
    /// end_of_stream}`.
    fn write_cursor_page(
        &self,
        reader: &mut dyn Reader,
        out: &mut dyn Out,
    ) -> Result<(), ApiError> {
        let (mark, direction, from_cursor) = match self.asked.from {
            From::StartTime(start) => (Mark::at(start), Direction::After, false),
            From::Cursor(mark, direction) => (mark, direction, true),
        };
        let mut writer = self.writer(out)?;
        let query = self.query(mark, direction, self.asked.until, Some(self.asked.per_page));
        let summary = writer.read(reader, query)?;
        writer.out.write("]")?;
        // Forward: the next page starts after the last record (or where this one started when
        // it was empty); the page before starts before the first record.
        let after = summary.last.unwrap_or(mark);
        let (before, end_of_stream) = match direction {
            Direction::After => (summary.first.filter(|_| from_cursor), !summary.more),
            Direction::Before => (summary.first.filter(|_| summary.more), false),
        };
        let after_cursor = encode_cursor(after, Direction::After);
        let before_cursor = before.map(|mark| encode_cursor(mark, Direction::Before));
        let url = |cursor: &str| {
            page_url(
                &self.base,
                self.path,
                &self.params,
                ("cursor", cursor.to_string()),
            )
        };
        let tail = serde_json::json!({
            "after_url": url(&after_cursor),
            "after_cursor": after_cursor,
            "before_url": before_cursor.as_deref().map(url),
            "before_cursor": before_cursor,
            "end_of_stream": end_of_stream,
        });
        writer.side_loads(reader)?;
        write_tail(writer.out, &tail)
    }

    /// A time-based page: `{records, count, end_of_stream, end_time, next_page}`.
    fn write_time_page(&self, reader: &mut dyn Reader, out: &mut dyn Out) -> Result<(), ApiError> {
        let From::StartTime(start) = self.asked.from else {
            return Err(ApiError::Internal(
                "a time-based page without start_time".into(),
            ));
        };
        let until = self.asked.until;
        let mut writer = self.writer(out)?;
        let query = self.query(
            Mark::at(start),
            Direction::After,
            until,
            Some(self.asked.per_page),
        );
        let summary = writer.read(reader, query)?;
        let (end_time, end_of_stream) = match summary.last {
            None => (start, true),
            Some(last) if !summary.more => (last.timestamp, true),
            Some(last) if last.timestamp > start => (last.timestamp, false),
            Some(last) => {
                // The whole page changed in the second it starts at: finish that second, so
                // that the next page starts after it instead of here again.
                let second = (start + 1).min(until);
                writer.read(reader, self.query(last, Direction::After, second, None))?;
                let beyond = self.query(Mark::at(second), Direction::After, until, Some(0));
                let more = reader.stream_changes(&beyond, &mut |_| Ok(()))?.more;
                (second, !more)
            }
        };
        writer.out.write("]")?;
        let tail = serde_json::json!({
            "count": writer.written,
            "end_of_stream": end_of_stream,
            "end_time": end_time,
            "next_page": page_url(&self.base, self.path, &self.params, ("start_time", end_time.to_string())),
        });
        writer.side_loads(reader)?;
        write_tail(writer.out, &tail)
    }
}

/// `,"key":value...}`: the rest of an envelope after its records.
fn write_tail(out: &mut dyn Out, tail: &Value) -> Result<(), ApiError> {
    let text = tail.to_string();
    match text.strip_prefix('{') {
        Some("}") | None => out.write("}"),
        Some(rest) => {
            out.write(",")?;
            out.write(rest)
        }
    }
}

/// How a page is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    Cursor,
    Time,
    Sample,
}

async fn export(
    state: AppState,
    export: Export,
    style: Style,
    base: String,
    params: Params,
) -> Result<Response, ApiError> {
    let (path, largest) = match style {
        Style::Cursor => (
            match export {
                Export::Tickets => "tickets/cursor",
                _ => "users/cursor",
            },
            i64::from(MAX_PAGE_SIZE),
        ),
        Style::Time => (export.key(), i64::from(MAX_PAGE_SIZE)),
        Style::Sample => (
            match export {
                Export::Tickets => "tickets/sample",
                Export::Users => "users/sample",
                Export::Organizations => "organizations/sample",
                Export::TicketEvents => "ticket_events/sample",
            },
            SAMPLE_PAGE_SIZE,
        ),
    };
    let asked = page_asked(&params, style == Style::Cursor, largest, now())?;
    let page = Page::new(export, path, asked, base, params);
    stream::respond(state.store(), move |reader, out| match style {
        Style::Cursor => page.write_cursor_page(reader, out),
        Style::Time | Style::Sample => page.write_time_page(reader, out),
    })
    .await
}

macro_rules! export_endpoint {
    ($name:ident, $export:expr, $style:expr) => {
        async fn $name(
            State(state): State<AppState>,
            BaseUrl(base): BaseUrl,
            Query(params): Query,
        ) -> Result<Response, ApiError> {
            export(state, $export, $style, base, params).await
        }
    };
}

export_endpoint!(tickets_cursor, Export::Tickets, Style::Cursor);
export_endpoint!(users_cursor, Export::Users, Style::Cursor);
export_endpoint!(tickets, Export::Tickets, Style::Time);
export_endpoint!(users, Export::Users, Style::Time);
export_endpoint!(organizations, Export::Organizations, Style::Time);
export_endpoint!(ticket_events, Export::TicketEvents, Style::Time);
export_endpoint!(tickets_sample, Export::Tickets, Style::Sample);
export_endpoint!(users_sample, Export::Users, Style::Sample);
export_endpoint!(organizations_sample, Export::Organizations, Style::Sample);
export_endpoint!(ticket_events_sample, Export::TicketEvents, Style::Sample);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_written_as_zendesk_writes_them() {
        let mark = Mark {
            timestamp: 1_576_613_539,
            id: 467,
        };
        assert_eq!(
            encode_cursor(mark, Direction::After),
            "MTU3NjYxMzUzOS4wfHw0Njd8"
        );
        assert_eq!(
            decode_cursor("MTU3NjYxMzUzOS4wfHw0Njd8").unwrap(),
            (mark, Direction::After)
        );
        let back = encode_cursor(mark, Direction::Before);
        assert_eq!(decode_cursor(&back).unwrap(), (mark, Direction::Before));
        for garbage in ["", "not base64!", "MTIz", "eyJvIjoiaWQifQ=="] {
            let error = decode_cursor(garbage).unwrap_err();
            assert!(
                error.body()["description"]
                    .as_str()
                    .unwrap()
                    .contains("cursor")
            );
        }
    }

    fn params(query: &str) -> Params {
        Params::parse(Some(query))
    }

    #[test]
    fn start_time_must_be_a_minute_old() {
        let now = 1_700_000_000;
        let ok = page_asked(&params("start_time=1699999940"), true, 1000, now).unwrap();
        assert_eq!(ok.from, From::StartTime(1_699_999_940));
        assert_eq!(ok.until, 1_699_999_940);
        let recent = page_asked(&params("start_time=1699999941"), true, 1000, now).unwrap_err();
        assert_eq!(recent.status().as_u16(), 422);
        assert_eq!(
            recent.body()["description"],
            "Too recent start_time. Use a start_time older than 1 minute"
        );
        for (query, says) in [
            ("", "start_time is required"),
            ("start_time=yesterday", "start_time must be a Unix time"),
            ("start_time=-5", "0 or more"),
            ("start_time=1&per_page=0", "per_page"),
            ("start_time=1&exclude_deleted=maybe", "exclude_deleted"),
        ] {
            let error = page_asked(&params(query), true, 1000, now).unwrap_err();
            let text = error.body()["description"].to_string();
            assert!(text.contains(says), "{query}: {text}");
        }
    }

    #[test]
    fn page_sizes_and_cursors_are_read_as_clients_send_them() {
        let now = 1_700_000_000;
        let big = page_asked(&params("start_time=1&per_page=5000"), true, 1000, now).unwrap();
        assert_eq!(big.per_page, 1000);
        let node = page_asked(&params("start_time=1&page%5Bsize%5D=100"), true, 1000, now).unwrap();
        assert_eq!(node.per_page, 100);
        let sample = page_asked(&params("start_time=1"), false, SAMPLE_PAGE_SIZE, now).unwrap();
        assert_eq!(sample.per_page, 50);
        // node-zendesk's exportCursor(start) sends cursor=undefined beside start_time.
        let js = page_asked(&params("start_time=5&cursor=undefined"), true, 1000, now).unwrap();
        assert_eq!(js.from, From::StartTime(5));
        let cursor = page_asked(
            &params("cursor=MTU3NjYxMzUzOS4wfHw0Njd8&start_time=5"),
            true,
            1000,
            now,
        )
        .unwrap();
        assert!(matches!(cursor.from, From::Cursor(_, Direction::After)));
        let flags = page_asked(
            &params("start_time=1&exclude_deleted=true&include=users,comment_events"),
            true,
            1000,
            now,
        )
        .unwrap();
        assert!(flags.exclude_deleted && flags.comment_events);
    }

    #[test]
    fn next_pages_keep_the_other_parameters() {
        let url = page_url(
            "http://h",
            "tickets/cursor",
            &params("start_time=1&per_page=2&include=users"),
            ("cursor", "abc=".into()),
        );
        assert_eq!(
            url,
            "http://h/api/v2/incremental/tickets/cursor.json?per_page=2&include=users&cursor=abc%3D"
        );
    }
}
