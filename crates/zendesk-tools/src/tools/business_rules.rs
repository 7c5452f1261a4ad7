//! Business rules an agent's change sets off (additions beyond the seed): the account's triggers
//! (run after every ticket create and update) and automations (run hourly on time conditions),
//! listed read-only with their conditions and actions, so an agent can see what will follow a
//! change before making it.

use zendesk::{Detached, ListRequest};

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_triggers", get_triggers),
    ("zendesk_get_automations", get_automations),
];

fn get_triggers(p: &Params) -> Result<Plan, ToolError> {
    rules(p, Detached.triggers().list(), "triggers")
}

fn get_automations(p: &Params) -> Result<Plan, ToolError> {
    rules(p, Detached.automations().list(), "automations")
}

/// One page of rules in position order, each cut to the keys the tool declares (then to
/// `fields`); `active` passed on as Zendesk's filter of the same name.
fn rules<T: zendesk_types::ListKey>(
    p: &Params,
    mut list: ListRequest<T, Detached>,
    out_key: &'static str,
) -> Result<Plan, ToolError> {
    let fields = p.fields()?;
    let keys = p.record_keys();
    if let Some(active) = p.boolean("active")? {
        list = list.param("active", active.to_string());
    }
    Plan::list(p.paged(list)?, move |mut page| {
        page.items = page.items.iter().map(|r| output::keys(r, &keys)).collect();
        Ok(output::page(page, out_key, fields.as_deref()))
    })
}
