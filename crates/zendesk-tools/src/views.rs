//! Views (additions beyond the seed): the team's ticket queues. Listing them, reading a view's
//! tickets (whole ticket records, `fields` to cut them), and counting them.

use serde_json::{Map, Value, json};
use zendesk::Detached;
use zendesk_types::ViewId;

use crate::Tool;
use crate::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::Plan;
use crate::spec::*;

fn view_fields() -> Vec<OutputSpec> {
    vec![
        out(
            "id",
            "number",
            "View ID (the viewId of zendesk_get_view_tickets)",
        ),
        out("title", "string", "Title agents see"),
        out("description", "string", "What the queue is for"),
        out("active", "boolean", "Whether agents see it"),
        out("position", "number", "Its place in the agents' list"),
        out(
            "conditions",
            "json",
            "Which tickets it holds: {all: [...], any: [...]}, each {field, operator, value}",
        ),
        out(
            "restriction",
            "json",
            "null when every agent sees it; a User (personal) or Group restriction otherwise",
        ),
        out(
            "updated_at",
            "string",
            "When it was last changed (ISO 8601 format)",
        ),
    ]
}

fn view_id_param(purpose: &'static str) -> ParamSpec {
    required("viewId", purpose)
}

pub(crate) fn get_views() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_views",
            description: "List the views (ticket queues) the agent may use, in their order: each one's title, description and conditions (which tickets it holds). Read a view's tickets with zendesk_get_view_tickets",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    optional(
                        "active",
                        "\"true\" for active views only, \"false\" for inactive ones only",
                    )
                    .flag(),
                    optional(
                        "perPage",
                        "Views per page as a number string (default: \"100\", max: \"100\")",
                    ),
                    optional(
                        "pageAfter",
                        "Cursor from a previous response to fetch the next page of views",
                    ),
                    fields_param(),
                ],
            ),
            outputs: vec![
                nested("views", "array", "The views", view_fields()),
                nested(
                    "paging",
                    "object",
                    "Cursor-based pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
            ],
            annotations: READ_ONLY,
        },
        plan_get_views,
    )
}

pub(crate) fn get_view_tickets() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_view_tickets",
            description: "Read the tickets in a view (a ticket queue), in the view's order, one page at a time. Use fields (e.g., \"id,subject,status,priority,updated_at\") to read a queue in a few KB",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    view_id_param(
                        "View whose tickets to read, as a numeric string (an id from zendesk_get_views)",
                    ),
                    optional(
                        "perPage",
                        "Tickets per page as a number string (default: \"100\", max: \"100\")",
                    ),
                    optional(
                        "pageAfter",
                        "Cursor from a previous response to fetch the next page of tickets",
                    ),
                    fields_param(),
                ],
            ),
            outputs: vec![
                nested("tickets", "array", "The view's tickets", ticket_fields()),
                nested(
                    "paging",
                    "object",
                    "Cursor-based pagination information",
                    paging_fields(),
                ),
                nested("metadata", "object", "Response metadata", metadata_fields()),
            ],
            annotations: READ_ONLY,
        },
        plan_get_view_tickets,
    )
}

pub(crate) fn get_view_count() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_view_count",
            description: "Count the tickets in a view (a ticket queue) without reading them",
            params: with_credentials(
                Subdomain::Plain,
                vec![view_id_param(
                    "View to count, as a numeric string (an id from zendesk_get_views)",
                )],
            ),
            outputs: vec![
                out("view_id", "number", "The view"),
                out(
                    "count",
                    "number",
                    "Tickets in it (null while Zendesk is still counting)",
                ),
                out(
                    "fresh",
                    "boolean",
                    "false when Zendesk's count is an older cached one",
                ),
            ],
            annotations: READ_ONLY,
        },
        plan_get_view_count,
    )
}

fn compact_view(record: &Value) -> Value {
    let mut out = Map::new();
    for key in keys_of(&view_fields()) {
        out.insert(key.into(), record.get(key).cloned().unwrap_or(Value::Null));
    }
    Value::Object(out)
}

fn plan_get_views(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields(&keys_of(&view_fields()))?;
    let mut list = Detached.views().list();
    if let Some(active) = p.boolean("active")? {
        list = list.param("active", active.to_string());
    }
    Plan::list(p.paged(list)?, move |mut page| {
        page.items = page.items.iter().map(compact_view).collect();
        Ok(output::page(page, "views", fields.as_deref()))
    })
}

fn plan_get_view_tickets(p: &Params) -> Result<Plan, ToolError> {
    let id = ViewId(p.required_id("viewId")?);
    let fields = p.fields(&keys_of(&ticket_fields()))?;
    Plan::records(p.paged(Detached.views().tickets(id))?, "tickets", fields)
}

fn plan_get_view_count(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("viewId")?;
    Plan::send(Detached.views().count(ViewId(id)), move |body| {
        let count = body.get("view_count").ok_or_else(|| {
            ToolError::invalid(
                "Zendesk's answer had no `view_count`; check the subdomain or ZENDESK_BASE_URL",
            )
        })?;
        Ok(json!({
            "view_id": id, "count": count["value"],
            "fresh": count["fresh"].as_bool().unwrap_or(true)
        }))
    })
}
