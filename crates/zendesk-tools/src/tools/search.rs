//! Search tools: unified search through search export (cursor paging, no 1,000-result cap) and
//! the count of matches. Both refuse, before sending, what Zendesk's language does not have and
//! would search as text, finding nothing without a word (`AND`, `OR`, `NOT`, `!`, parentheses, a
//! `type:` contradicting `filterType`), and warn about keywords Zendesk does not know (naming
//! the one to use) and about relative dates (saying which side of the moment they mean).

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};
use zendesk::Detached;

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_search", search),
    ("zendesk_search_count", search_count),
];

fn search(p: &Params) -> Result<Plan, ToolError> {
    let query = p.required_text("query")?.trim().to_owned();
    let filter_type = p
        .choice("filterType")?
        .ok_or_else(|| ToolError::invalid("filterType is required"))?;
    let warnings = check_query(&query, Some(filter_type))?;
    let fields = p.fields_in(&record_keys(filter_type))?;
    Plan::list(
        p.paged(Detached.search().export(&query, filter_type))?,
        move |page| {
            let out = output::page(page, "results", fields.as_deref());
            Ok(with_warnings(reorder_search_output(out), &warnings))
        },
    )
}

/// The top-level keys of the records a search for `filter_type` returns (what `fields` may
/// keep).
fn record_keys(filter_type: &str) -> Vec<&'static str> {
    // The record types are the search's `filterType` values, each a record of the catalog.
    let mut keys = crate::catalog::catalog().record_keys(filter_type);
    keys.push("result_type");
    keys
}

/// Refuses, before anything is sent, what Zendesk's language does not have and would search as
/// text (`AND`, `OR`, `NOT`, `!`, parentheses) and a `type:` that contradicts `filterType` (the
/// search could only find nothing); returns a warning for each keyword Zendesk does not know,
/// naming the one to use, and for each relative date, saying what it means. A query the parser
/// cannot read goes to Zendesk as given: Zendesk is the judge.
fn check_query(query: &str, filter_type: Option<&str>) -> Result<Vec<String>, ToolError> {
    let Ok(parsed) = zendesk_query::parse(query) else {
        return Ok(Vec::new());
    };
    if let Some(problem) = zendesk_query::lint::unsupported(&parsed).first() {
        return Err(ToolError::invalid(format!("query: {problem}")));
    }
    if let Some(filter_type) = filter_type
        && let Some(other) = parsed.types().into_iter().find(|t| t != filter_type)
    {
        return Err(ToolError::invalid(format!(
            "query: it says type:{other} but filterType is \"{filter_type}\", so the search would find nothing; filterType chooses the record type: drop type:{other} from the query, or set filterType to \"{other}\""
        )));
    }
    let relative = zendesk_query::lint::relative_dates(&parsed);
    Ok(parsed
        .unknown_keywords()
        .into_iter()
        .map(|keyword| match zendesk_query::lint::suggest_keyword(keyword) {
            Some(meant) => format!(
                "{keyword}: is not a Zendesk search keyword, so Zendesk searched it as text; use {meant}: instead (e.g. {meant}:12345)"
            ),
            None => format!(
                "{keyword}: is not a Zendesk search keyword, so Zendesk searched it as text"
            ),
        })
        .chain(relative)
        .collect())
}

/// The output with `warnings` added when there are any.
fn with_warnings(mut out: serde_json::Value, warnings: &[String]) -> serde_json::Value {
    if !warnings.is_empty()
        && let serde_json::Value::Object(map) = &mut out
    {
        map.insert("warnings".into(), serde_json::json!(warnings));
    }
    out
}

/// The spec lists `paging`, `metadata`, then `results`.
fn reorder_search_output(mut out: serde_json::Value) -> serde_json::Value {
    let mut ordered = serde_json::Map::new();
    for key in ["paging", "metadata", "results"] {
        if let Some(value) = out.get_mut(key) {
            ordered.insert(key.into(), value.take());
        }
    }
    serde_json::Value::Object(ordered)
}

fn search_count(p: &Params) -> Result<Plan, ToolError> {
    let query = p.required_text("query")?.trim().to_owned();
    let warnings = check_query(&query, None)?;
    Plan::send(Detached.search().count(&query), move |body| {
        let count = body.get("count").cloned().ok_or_else(|| {
            ToolError::invalid(
                "Zendesk's answer had no `count`; check the subdomain or ZENDESK_BASE_URL",
            )
        })?;
        Ok(with_warnings(
            serde_json::json!({ "count": count }),
            &warnings,
        ))
    })
}
