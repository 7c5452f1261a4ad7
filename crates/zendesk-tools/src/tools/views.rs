//! Views (additions beyond the seed): the team's ticket queues. Listing them, reading a view's
//! tickets (whole ticket records, `fields` to cut them), and counting them.

use serde_json::json;
use zendesk::Detached;
use zendesk_types::ViewId;

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_views", get_views),
    ("zendesk_get_view_tickets", get_view_tickets),
    ("zendesk_get_view_count", get_view_count),
];

fn get_views(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields()?;
    let keys = p.record_keys();
    let mut list = Detached.views().list();
    if let Some(active) = p.boolean("active")? {
        list = list.param("active", active.to_string());
    }
    Plan::list(p.paged(list)?, move |mut page| {
        page.items = page.items.iter().map(|v| output::keys(v, &keys)).collect();
        Ok(output::page(page, "views", fields.as_deref()))
    })
}

fn get_view_tickets(p: &Params) -> Result<Plan, ToolError> {
    let id = ViewId(p.required_id("viewId")?);
    let fields = p.fields()?;
    Plan::records(p.paged(Detached.views().tickets(id))?, "tickets", fields)
}

fn get_view_count(p: &Params) -> Result<Plan, ToolError> {
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
