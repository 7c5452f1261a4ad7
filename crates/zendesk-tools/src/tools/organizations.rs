//! Organization tools: list, show, autocomplete by name prefix (offset paging), create (one or
//! in bulk), update and delete.

use serde_json::Map;

use crate::error::ToolError;
use crate::output;
use crate::params::Params;
use crate::plan::{Plan, PlanFn};
use crate::tools::jobs::wait_from;
use zendesk::Detached;
use zendesk_types::OrganizationId;

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_organizations", get_organizations),
    ("zendesk_get_organization", get_organization),
    (
        "zendesk_autocomplete_organizations",
        autocomplete_organizations,
    ),
    ("zendesk_create_organization", create_organization),
    (
        "zendesk_create_organizations_bulk",
        create_organizations_bulk,
    ),
    ("zendesk_update_organization", update_organization),
    ("zendesk_delete_organization", delete_organization),
];

fn get_organizations(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields()?;
    Plan::records(
        p.paged(Detached.organizations().list())?,
        "organizations",
        fields,
    )
}

fn get_organization(p: &Params) -> Result<Plan, ToolError> {
    let id = OrganizationId(p.required_id("organizationId")?);
    let fields = p.fields()?;
    Plan::send(Detached.organizations().show(id), move |body| {
        output::read(body, "organization", "organization_id", fields.as_deref())
    })
}

fn autocomplete_organizations(p: &Params) -> Result<Plan, ToolError> {
    let name = p.required_text("name")?;
    let fields = p.fields()?;
    Plan::records(
        p.paged(Detached.organizations().autocomplete(name))?,
        "organizations",
        fields,
    )
}

fn create_organization(p: &Params) -> Result<Plan, ToolError> {
    p.required_text("name")?;
    let mut organization = Map::new();
    p.fill(&mut organization)?;
    Plan::send(Detached.organizations().create(&organization), |body| {
        output::record(body, "organization", "organization_id")
    })
}

fn create_organizations_bulk(p: &Params) -> Result<Plan, ToolError> {
    let organizations = p.required_records(
        "organizations",
        r#"[{"name": "Org1"}, {"name": "Org2"}]"#,
        "organization",
        zendesk_types::Organization::WRITABLE,
    )?;
    Plan::job(
        Detached.organizations().create_many(&organizations),
        output::job,
        wait_from(p)?,
    )
}

fn update_organization(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("organizationId")?;
    let mut organization = Map::new();
    p.fill(&mut organization)?;
    if organization.is_empty() {
        return Err(ToolError::invalid(
            "nothing to update: give at least one of name, domainNames, details, notes, tags, customFields",
        ));
    }
    Plan::send(
        Detached
            .organizations()
            .update(OrganizationId(id), &organization),
        |body| output::record(body, "organization", "organization_id"),
    )
}

fn delete_organization(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("organizationId")?;
    Plan::send(
        Detached.organizations().delete(OrganizationId(id)),
        move |_| Ok(output::deleted("organization_id", id.to_string())),
    )
}
