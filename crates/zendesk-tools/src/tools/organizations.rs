//! Organization tools: list, show, autocomplete by name prefix (offset paging), create (one or
//! in bulk), update and delete.

use serde_json::{Map, Value, json};

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

const ORGANIZATION_FIELDS_EXAMPLE: &str = r#"{"support_plan": "premium"}"#;

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
    Plan::send(Detached.organizations().show(id), |body| {
        output::record(body, "organization", "organization_id")
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

/// The organization fields shared by create and update, only those given.
fn organization_from(p: &Params, organization: &mut Map<String, Value>) -> Result<(), ToolError> {
    if let Some(name) = p.text("name")? {
        organization.insert("name".into(), json!(name.trim()));
    }
    if let Some(domains) = p.list("domainNames")? {
        organization.insert("domain_names".into(), json!(domains));
    }
    if let Some(details) = p.text("details")? {
        organization.insert("details".into(), json!(details));
    }
    if let Some(notes) = p.text("notes")? {
        organization.insert("notes".into(), json!(notes));
    }
    if let Some(tags) = p.list("tags")? {
        organization.insert("tags".into(), json!(tags));
    }
    // Organization fields are keyed by the field's key, and sent as given.
    if let Some(fields) = p.json_object("customFields", ORGANIZATION_FIELDS_EXAMPLE)? {
        organization.insert("organization_fields".into(), Value::Object(fields));
    }
    Ok(())
}

fn create_organization(p: &Params) -> Result<Plan, ToolError> {
    p.required_text("name")?;
    let mut organization = Map::new();
    organization_from(p, &mut organization)?;
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
    organization_from(p, &mut organization)?;
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
