//! The tools' plans, one module per Zendesk area: each turns a call's checked arguments into
//! what to send (`Plan`), with no I/O, and says how Zendesk's answer becomes the tool's output.
//! Each module lists its tools in `PLANS`; their declarations are in `tools.json`.

pub(crate) mod articles;
pub(crate) mod attachments;
pub(crate) mod audits;
pub(crate) mod business_rules;
pub(crate) mod changes;
pub(crate) mod comments;
pub(crate) mod groups;
pub(crate) mod jobs;
pub(crate) mod macros;
pub(crate) mod organization_fields;
pub(crate) mod organizations;
pub(crate) mod search;
pub(crate) mod ticket_fields;
pub(crate) mod tickets;
pub(crate) mod users;
pub(crate) mod views;

use crate::plan::PlanFn;

/// Every tool's plan, by tool id.
pub(crate) fn plans() -> Vec<(&'static str, PlanFn)> {
    [
        articles::PLANS,
        attachments::PLANS,
        audits::PLANS,
        business_rules::PLANS,
        changes::PLANS,
        comments::PLANS,
        groups::PLANS,
        jobs::PLANS,
        macros::PLANS,
        organization_fields::PLANS,
        organizations::PLANS,
        search::PLANS,
        ticket_fields::PLANS,
        tickets::PLANS,
        users::PLANS,
        views::PLANS,
    ]
    .concat()
}
