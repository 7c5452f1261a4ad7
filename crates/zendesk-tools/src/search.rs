//! Search tools: unified search through search export (cursor paging, no 1,000-result cap) and
//! the count of matches. Both refuse, before sending, what Zendesk's language does not have
//! (`AND`, parentheses, a `type:` contradicting `filterType`) and warn about keywords Zendesk
//! does not know, naming the one to use.

use crate::Tool;
use crate::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::Plan;
use crate::spec::*;
use zendesk::Detached;

const FILTER_TYPES: &[&str] = zendesk_types::SearchResultType::KNOWN;

pub(crate) fn search() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_search",
            description: "Unified search across tickets, users, and organizations in Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "query",
                        "Search query string using Zendesk search syntax (e.g., \"type:ticket status:open\")",
                    ),
                    required(
                        "filterType",
                        "Resource type to search for: \"ticket\", \"user\", \"organization\", or \"group\"",
                    ).one_of(FILTER_TYPES),
                    optional(
                        "perPage",
                        "Results per page as a number string (default: \"100\", max: \"100\")",
                    ),
                    optional(
                        "pageAfter",
                        "Cursor from a previous response to fetch the next page of results",
                    ),
                    fields_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "paging",
                    "object",
                    "Cursor-based pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
                out(
                    "results",
                    "array",
                    "Array of result objects (tickets, users, or organizations depending on search query)",
                ),
            ],
            annotations: READ_ONLY,
        },
        plan_search,
    )
}

pub(crate) fn search_count() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_search_count",
            description: "Count the number of search results matching a query in Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![required(
                    "query",
                    "Search query string using Zendesk search syntax (e.g., \"type:ticket status:open\")",
                )],
            ),
            outputs: vec![out("count", "number", "Number of matching results")],
            annotations: READ_ONLY,
        },
        plan_search_count,
    )
}

fn plan_search(p: &Params) -> Result<Plan, ToolError> {
    let query = p.required_text("query")?.trim().to_owned();
    let filter_type = p
        .choice("filterType")?
        .ok_or_else(|| ToolError::invalid("filterType is required"))?;
    let warnings = check_query(&query, Some(filter_type))?;
    let fields = p.fields(&record_keys(filter_type))?;
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
    let mut keys = match filter_type {
        "user" => keys_of(&user_fields()),
        "organization" => keys_of(&organization_fields()),
        "group" => keys_of(&group_fields()),
        _ => keys_of(&ticket_fields()),
    };
    keys.push("result_type");
    keys
}

/// Refuses, before anything is sent, what Zendesk's language does not have and would search as
/// text (`AND`, parentheses) and a `type:` that contradicts `filterType` (the search could only
/// find nothing); returns a warning for each keyword Zendesk does not know, naming the one to
/// use. A query the parser cannot read goes to Zendesk as given: Zendesk is the judge.
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

fn plan_search_count(p: &Params) -> Result<Plan, ToolError> {
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
