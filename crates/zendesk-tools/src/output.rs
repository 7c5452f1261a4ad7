//! Building tool outputs from Zendesk's answers, the same way for every tool: a record and its
//! ID, a list with `paging` and `metadata` (cursor or offset form, as TOOL_BEHAVIOR.md defines
//! them), a job status and its ID, a deletion.

use serde_json::{Value, json};

use crate::ToolError;

fn unexpected(what: &str) -> ToolError {
    ToolError::invalid(format!(
        "Zendesk's answer had no {what}; the server may not be a Zendesk API (check the subdomain or ZENDESK_BASE_URL)"
    ))
}

/// Takes `body[key]`, which must be present and not null.
fn take(body: &mut Value, key: &str) -> Result<Value, ToolError> {
    match body.get_mut(key).map(Value::take) {
        Some(Value::Null) | None => Err(unexpected(&format!("`{key}`"))),
        Some(value) => Ok(value),
    }
}

/// `{record_key: record, id_key: record.id}` from `{key: record}`.
pub(crate) fn record(mut body: Value, key: &str, id_key: &str) -> Result<Value, ToolError> {
    let record = take(&mut body, key)?;
    let id = record.get("id").cloned().unwrap_or(Value::Null);
    let mut out = serde_json::Map::new();
    out.insert(key.to_owned(), record);
    out.insert(id_key.to_owned(), id);
    Ok(Value::Object(out))
}

fn items(body: &mut Value, key: &str) -> Result<Vec<Value>, ToolError> {
    match take(body, key)? {
        Value::Array(items) => Ok(items),
        _ => Err(unexpected(&format!("`{key}` list"))),
    }
}

/// A cursor-paged list: `paging = {after_cursor: meta.after_cursor, has_more: meta.has_more,
/// next_page: links.next (null when has_more is false)}`.
pub(crate) fn cursor_list(mut body: Value, key: &str, out_key: &str) -> Result<Value, ToolError> {
    let items = items(&mut body, key)?;
    let meta = body.get("meta");
    let has_more = meta
        .and_then(|m| m.get("has_more"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let after_cursor = meta
        .and_then(|m| m.get("after_cursor"))
        .cloned()
        .unwrap_or(Value::Null);
    let next_page = if has_more {
        body.get("links")
            .and_then(|l| l.get("next"))
            .cloned()
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    Ok(list_output(
        out_key,
        items,
        json!({ "after_cursor": after_cursor, "has_more": has_more, "next_page": next_page }),
        has_more,
    ))
}

/// An offset-paged list: `paging = {after_cursor: null, has_more: next_page != null,
/// next_page}`.
pub(crate) fn offset_list(mut body: Value, key: &str, out_key: &str) -> Result<Value, ToolError> {
    let items = items(&mut body, key)?;
    let next_page = body.get("next_page").cloned().unwrap_or(Value::Null);
    let has_more = !next_page.is_null();
    Ok(list_output(
        out_key,
        items,
        json!({ "after_cursor": null, "has_more": has_more, "next_page": next_page }),
        has_more,
    ))
}

fn list_output(out_key: &str, items: Vec<Value>, paging: Value, has_more: bool) -> Value {
    let total_returned = items.len();
    let mut out = serde_json::Map::new();
    out.insert(out_key.to_owned(), Value::Array(items));
    out.insert("paging".into(), paging);
    out.insert(
        "metadata".into(),
        json!({ "total_returned": total_returned, "has_more": has_more }),
    );
    Value::Object(out)
}

/// `{job_status, job_id: job_status.id}` from `{job_status}`.
pub(crate) fn job(mut body: Value) -> Result<Value, ToolError> {
    let job_status = take(&mut body, "job_status")?;
    let job_id = job_status.get("id").cloned().unwrap_or(Value::Null);
    Ok(json!({ "job_status": job_status, "job_id": job_id }))
}

/// `{deleted: true, id_key: "<id as given>"}`.
pub(crate) fn deleted(id_key: &str, id: String) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("deleted".into(), Value::Bool(true));
    out.insert(id_key.to_owned(), Value::String(id));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_paging_follows_meta_and_links() {
        let body = json!({
            "tickets": [{"id": 1}, {"id": 2}],
            "meta": {"has_more": true, "after_cursor": "abc", "before_cursor": "x"},
            "links": {"next": "https://a.zendesk.com/api/v2/tickets?page[after]=abc"}
        });
        let out = cursor_list(body, "tickets", "tickets").unwrap();
        assert_eq!(out["paging"]["after_cursor"], "abc");
        assert_eq!(out["paging"]["has_more"], true);
        assert_eq!(
            out["metadata"],
            json!({"total_returned": 2, "has_more": true})
        );
        let body = json!({"tickets": [], "meta": {"has_more": false, "after_cursor": null},
                          "links": {"next": "https://ignored"}});
        let out = cursor_list(body, "tickets", "tickets").unwrap();
        assert_eq!(out["paging"]["next_page"], Value::Null);
        assert_eq!(
            out["metadata"],
            json!({"total_returned": 0, "has_more": false})
        );
    }

    #[test]
    fn offset_paging_has_more_when_next_page_is_set() {
        let body = json!({"users": [{"id": 1}], "next_page": "https://n", "count": 9});
        let out = offset_list(body, "users", "users").unwrap();
        assert_eq!(
            out["paging"],
            json!({"after_cursor": null, "has_more": true, "next_page": "https://n"})
        );
        let body = json!({"users": [{"id": 1}], "next_page": null});
        let out = offset_list(body, "users", "users").unwrap();
        assert_eq!(out["paging"]["has_more"], false);
    }

    #[test]
    fn a_missing_envelope_key_is_an_error_not_a_null() {
        assert!(record(json!({"other": 1}), "ticket", "ticket_id").is_err());
        assert!(job(json!({})).is_err());
    }
}
