//! Building tool outputs from Zendesk's answers, the same way for every tool: a record and its
//! ID, a list with `paging` and `metadata` (cursor or offset form, as TOOL_BEHAVIOR.md defines
//! them), a job status and its ID, a deletion.

use serde_json::{Value, json};

use crate::error::ToolError;

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
pub(crate) fn record(body: Value, key: &str, id_key: &str) -> Result<Value, ToolError> {
    read(body, key, id_key, None)
}

/// A ticket write's answer: `record`, and `audit`, what Zendesk's audit of the write says
/// happened (fields set or changed, the comment and who sees it, who was emailed), compact.
pub(crate) fn written(body: Value, key: &str, id_key: &str) -> Result<Value, ToolError> {
    let audit = body.get("audit").map(crate::tools::audits::of_write);
    let mut out = record(body, key, id_key)?;
    if let (Some(audit), Value::Object(map)) = (audit, &mut out) {
        map.insert("audit".into(), audit);
    }
    Ok(out)
}

/// A read of one record: `record`, with only `fields` of it when the caller asked for some.
pub(crate) fn read(
    mut body: Value,
    key: &str,
    id_key: &str,
    fields: Option<&[&str]>,
) -> Result<Value, ToolError> {
    let mut record = take(&mut body, key)?;
    if let Some(fields) = fields {
        record = project(record, fields);
    }
    let id = record.get("id").cloned().unwrap_or(Value::Null);
    let mut out = serde_json::Map::new();
    out.insert(key.to_owned(), record);
    out.insert(id_key.to_owned(), id);
    Ok(Value::Object(out))
}

/// One page of a list: `{out_key: records, paging, metadata}`. `paging` is the cursor form
/// (`after_cursor = meta.after_cursor`, `has_more = meta.has_more`, `next_page = links.next`)
/// or the offset form (`after_cursor = null`, `has_more = next_page != null`, `next_page`), as
/// the client read the page; on the last page both the cursor and `next_page` are null (Zendesk
/// still sends a cursor there, which leads nowhere). With `fields`, each record keeps only those
/// top-level keys (in that order).
pub(crate) fn page(page: zendesk::Page<Value>, out_key: &str, fields: Option<&[&str]>) -> Value {
    let more = |link: Option<String>| link.filter(|_| page.has_more);
    let paging = json!({
        "after_cursor": more(page.after_cursor.clone()),
        "has_more": page.has_more,
        "next_page": more(page.next_page.clone()),
    });
    let items = match fields {
        Some(fields) => page
            .items
            .into_iter()
            .map(|record| project(record, fields))
            .collect(),
        None => page.items,
    };
    list_output(out_key, items, paging, page.has_more)
}

/// The record with exactly `keys`, in that order (null for those it lacks): a record cut to
/// the keys its tool declares.
pub(crate) fn keys(record: &Value, keys: &[&str]) -> Value {
    Value::Object(
        keys.iter()
            .map(|key| {
                let value = record.get(*key).cloned().unwrap_or(Value::Null);
                ((*key).to_owned(), value)
            })
            .collect(),
    )
}

/// The record with only `fields` (those it has), in that order.
pub(crate) fn project(mut record: Value, fields: &[&str]) -> Value {
    let Value::Object(map) = &mut record else {
        return record;
    };
    let mut kept = serde_json::Map::with_capacity(fields.len());
    for field in fields {
        if let Some(value) = map.remove(*field) {
            kept.insert((*field).to_owned(), value);
        }
    }
    Value::Object(kept)
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

    fn page_of(
        items: Vec<Value>,
        has_more: bool,
        cursor: Option<&str>,
        next: Option<&str>,
    ) -> zendesk::Page<Value> {
        zendesk::Page {
            items,
            has_more,
            after_cursor: cursor.map(str::to_owned),
            before_cursor: None,
            next_page: next.map(str::to_owned),
            previous_page: None,
            count: None,
            next: None,
            side_loads: Default::default(),
        }
    }

    #[test]
    fn a_page_gives_records_paging_and_metadata() {
        let out = page(
            page_of(
                vec![json!({"id": 1}), json!({"id": 2})],
                true,
                Some("abc"),
                Some("https://a.zendesk.com/api/v2/tickets?page[after]=abc"),
            ),
            "tickets",
            None,
        );
        assert_eq!(out["tickets"], json!([{"id": 1}, {"id": 2}]));
        assert_eq!(out["paging"]["after_cursor"], "abc");
        assert_eq!(out["paging"]["has_more"], true);
        assert_eq!(
            out["metadata"],
            json!({"total_returned": 2, "has_more": true})
        );
        // An offset page: no cursor.
        let out = page(
            page_of(
                vec![json!({"id": 1, "name": "A", "email": "a@x"})],
                false,
                None,
                None,
            ),
            "users",
            Some(&["id", "email", "phone"]),
        );
        // `fields` keeps only the keys asked for (and present), in that order.
        assert_eq!(out["users"], json!([{"id": 1, "email": "a@x"}]));
        assert_eq!(
            out["paging"],
            json!({"after_cursor": null, "has_more": false, "next_page": null})
        );
        assert_eq!(
            out["metadata"],
            json!({"total_returned": 1, "has_more": false})
        );
    }

    /// Zendesk sends a cursor on the last page too; it leads nowhere, so it is not passed on.
    #[test]
    fn the_last_page_carries_no_cursor() {
        let out = page(
            page_of(vec![json!({"id": 1})], false, Some("end"), None),
            "tickets",
            None,
        );
        assert_eq!(
            out["paging"],
            json!({"after_cursor": null, "has_more": false, "next_page": null})
        );
    }

    #[test]
    fn a_missing_envelope_key_is_an_error_not_a_null() {
        assert!(record(json!({"other": 1}), "ticket", "ticket_id").is_err());
        assert!(job(json!({})).is_err());
    }
}
