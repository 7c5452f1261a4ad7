//! What changed since a moment (an addition beyond the seed): one page of Zendesk's cursor-based
//! incremental ticket export, so an agent run on a schedule asks only for the tickets changed
//! since its last run and keeps the cursor it is handed for the next.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use zendesk::{Detached, ExportPosition};
use zendesk_types::incremental::MIN_START_TIME_AGE_SECS;

use crate::error::ToolError;
use crate::output;
use crate::params::{Params, shown};
use crate::plan::{Plan, PlanFn};

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[("zendesk_get_changes_since", get_changes_since)];

fn get_changes_since(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields()?;
    let from = match (p.text("since")?, p.text("cursor")?) {
        (Some(_), Some(_)) => {
            return Err(ToolError::invalid(
                "give since or cursor, not both: cursor (the after_cursor of your last call) \
                 already says where to go on from",
            ));
        }
        (None, None) => {
            return Err(ToolError::invalid(
                "give since (ISO 8601 such as \"2024-05-01T00:00:00Z\", or Unix seconds) for a \
                 first call, or cursor (the after_cursor of your last call)",
            ));
        }
        (Some(since), None) => ExportPosition::StartTime(since_seconds(since, unix_now())?),
        (None, Some(cursor)) => ExportPosition::Cursor(cursor.trim().to_owned()),
    };
    let resumed = match &from {
        ExportPosition::Cursor(cursor) => Some(cursor.clone()),
        ExportPosition::StartTime(_) => None,
    };
    let export = Detached
        .incremental()
        .tickets_cursor(from)
        .per_page(p.per_page()?)
        .raw();
    Plan::send(export.request(), move |body| {
        shape(body, fields.as_deref(), resumed)
    })
}

/// `since` as Unix seconds: at least a minute ago (Zendesk never exports the latest minute and
/// refuses a start time within it).
fn since_seconds(text: &str, now: i64) -> Result<i64, ToolError> {
    let trimmed = text.trim();
    let seconds = if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        trimmed.parse::<i64>().ok()
    } else if let Some(at) = zendesk_query::parse_datetime(trimmed) {
        Some(at.unix_timestamp())
    } else {
        zendesk_query::parse_date(trimmed).map(|day| day.midnight().assume_utc().unix_timestamp())
    };
    let Some(seconds) = seconds else {
        return Err(ToolError::invalid(format!(
            "since must be an ISO 8601 time such as \"2024-05-01T00:00:00Z\", a date such as \
             \"2024-05-01\", or Unix seconds such as \"1714521600\" (got {})",
            shown(text)
        )));
    };
    if seconds > now - MIN_START_TIME_AGE_SECS {
        return Err(ToolError::invalid(format!(
            "since must be at least a minute ago: Zendesk exports only changes at least \
             {MIN_START_TIME_AGE_SECS} s old (got {}, now is {now} in Unix seconds); give an \
             earlier time, or the after_cursor of your last call as cursor",
            shown(text)
        )));
    }
    Ok(seconds)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `{tickets, after_cursor, end_of_stream}` from one export page. Zendesk sends an
/// `after_cursor` on the last page too: it is the place to go on from next run, so it is kept.
/// A page without one leaves the position where it was: the cursor the call `resumed` from.
fn shape(
    mut body: Value,
    fields: Option<&[&str]>,
    resumed: Option<String>,
) -> Result<Value, ToolError> {
    let Some(Value::Array(tickets)) = body.get_mut("tickets").map(Value::take) else {
        return Err(ToolError::invalid(
            "Zendesk's answer had no `tickets`; check the subdomain or ZENDESK_BASE_URL",
        ));
    };
    let tickets: Vec<Value> = match fields {
        Some(fields) => tickets
            .into_iter()
            .map(|t| output::project(t, fields))
            .collect(),
        None => tickets,
    };
    let after_cursor = body
        .get("after_cursor")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .or(resumed);
    Ok(json!({
        "tickets": tickets,
        "after_cursor": after_cursor,
        "end_of_stream": body["end_of_stream"].as_bool().unwrap_or(false),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_unix_seconds_iso_times_and_dates() {
        let now = 1_800_000_000;
        assert_eq!(since_seconds("1714521600", now).unwrap(), 1_714_521_600);
        assert_eq!(
            since_seconds(" 2024-05-01T00:00:00Z ", now).unwrap(),
            1_714_521_600
        );
        assert_eq!(
            since_seconds("2024-05-01T02:00:00+02:00", now).unwrap(),
            1_714_521_600
        );
        assert_eq!(since_seconds("2024-05-01", now).unwrap(), 1_714_521_600);
        for bad in ["yesterday", "2024-13-01", "-5", "1.5", ""] {
            let error = since_seconds(bad, now).unwrap_err().message;
            assert!(
                error.starts_with("since must be an ISO 8601 time"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn since_within_the_last_minute_is_refused_saying_why() {
        let now = 1_800_000_000;
        assert_eq!(since_seconds("1799999940", now).unwrap(), 1_799_999_940);
        let error = since_seconds("1799999941", now).unwrap_err().message;
        assert!(error.contains("at least a minute ago"), "{error}");
        assert!(error.contains("after_cursor"), "{error}");
    }

    #[test]
    fn the_answer_keeps_the_cursor_and_cuts_tickets_to_fields() {
        let body = json!({
            "tickets": [{"id": 1, "subject": "a", "status": "open"}],
            "after_cursor": "MTU3", "before_cursor": null,
            "after_url": "https://x/api/v2/incremental/tickets/cursor.json?cursor=MTU3",
            "end_of_stream": true
        });
        assert_eq!(
            shape(body, Some(&["id", "status"]), Some("older".into())).unwrap(),
            json!({"tickets": [{"id": 1, "status": "open"}], "after_cursor": "MTU3",
                   "end_of_stream": true})
        );
        // No cursor on the page: go on from where this call started, never lose the place.
        let quiet = json!({"tickets": [], "after_cursor": null, "end_of_stream": true});
        assert_eq!(
            shape(quiet.clone(), None, Some("MTU3".into())).unwrap()["after_cursor"],
            "MTU3"
        );
        assert_eq!(
            shape(quiet, None, None).unwrap()["after_cursor"],
            Value::Null
        );
        let error = shape(json!({"users": []}), None, None).unwrap_err().message;
        assert!(error.contains("no `tickets`"), "{error}");
    }
}
