//! Search tools: unified search through search export (cursor paging, no 1,000-result cap) and
//! the count of matches.

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
                    ),
                    optional(
                        "perPage",
                        "Results per page as a number string (default: \"100\", max: \"100\")",
                    ),
                    optional(
                        "pageAfter",
                        "Cursor from a previous response to fetch the next page of results",
                    ),
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
        .one_of("filterType", FILTER_TYPES)?
        .ok_or_else(|| ToolError::invalid("filterType is required"))?;
    Plan::list(
        p.paged(Detached.search().export(&query, filter_type))?,
        |page| Ok(reorder_search_output(output::page(page, "results"))),
    )
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
    Plan::send(Detached.search().count(&query), |body| {
        let count = body.get("count").cloned().ok_or_else(|| {
            ToolError::invalid(
                "Zendesk's answer had no `count`; check the subdomain or ZENDESK_BASE_URL",
            )
        })?;
        Ok(serde_json::json!({ "count": count }))
    })
}
