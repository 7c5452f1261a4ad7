//! Organization tools: list, show, autocomplete by name prefix (offset paging), create (one or
//! in bulk), update and delete.

use serde_json::{Map, Value, json};

use crate::Tool;
use crate::ToolError;
use crate::jobs::{bulk_wait_param, wait_from};
use crate::output;
use crate::params::Params;
use crate::plan::Plan;
use crate::spec::*;
use zendesk::Detached;
use zendesk_types::OrganizationId;

const ORGANIZATION_FIELDS_EXAMPLE: &str = r#"{"support_plan": "premium"}"#;

pub(crate) fn get_organizations() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_organizations",
            description: "Retrieve a list of organizations from Zendesk",
            params: with_credentials(
                Subdomain::WithExample,
                vec![
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
                    "organizations",
                    "array",
                    "Array of organization objects",
                    organization_fields(),
                ),
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
        plan_get_organizations,
    )
}

pub(crate) fn get_organization() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_organization",
            description: "Get a single organization by ID from Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![required(
                    "organizationId",
                    "Organization ID to retrieve as a numeric string (e.g., \"12345\")",
                )],
            ),
            outputs: vec![
                nested(
                    "organization",
                    "object",
                    "Organization object",
                    organization_fields(),
                ),
                out("organization_id", "number", "The organization ID"),
            ],
            annotations: READ_ONLY,
        },
        plan_get_organization,
    )
}

pub(crate) fn autocomplete_organizations() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_autocomplete_organizations",
            description: "Autocomplete organizations in Zendesk by name prefix (for name matching/autocomplete)",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "name",
                        "Organization name prefix to search for (e.g., \"Acme\")",
                    ),
                    optional(
                        "perPage",
                        "Results per page as a number string (default: \"100\", max: \"100\")",
                    ),
                    optional("page", "Page number for pagination (1-based)"),
                    fields_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "organizations",
                    "array",
                    "Array of organization objects",
                    organization_fields(),
                ),
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
        plan_autocomplete_organizations,
    )
}

pub(crate) fn create_organization() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_create_organization",
            description: "Create a new organization in Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required("name", "Organization name (e.g., \"Acme Corporation\")"),
                    optional(
                        "domainNames",
                        "Comma-separated domain names (e.g., \"acme.com, acme.org\")",
                    )
                    .list(),
                    optional("details", "Organization details text"),
                    optional("notes", "Organization notes text"),
                    optional(
                        "tags",
                        "Comma-separated tags (e.g., \"enterprise, priority\")",
                    )
                    .list(),
                    optional(
                        "customFields",
                        "Custom fields as JSON object (e.g., {\"field_id\": \"value\"})",
                    ),
                ],
            ),
            outputs: vec![
                nested(
                    "organization",
                    "object",
                    "Created organization object",
                    organization_fields(),
                ),
                out("organization_id", "number", "The created organization ID"),
            ],
            annotations: WRITE,
        },
        plan_create_organization,
    )
}

pub(crate) fn create_organizations_bulk() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_create_organizations_bulk",
            description: "Create multiple organizations in Zendesk using bulk import",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "organizations",
                        "JSON array of organization objects to create (e.g., [{\"name\": \"Org1\"}, {\"name\": \"Org2\"}])",
                    ),
                    bulk_wait_param(),
                ],
            ),
            outputs: vec![
                nested(
                    "job_status",
                    "object",
                    "Job status object for bulk operations",
                    job_status_fields(),
                ),
                out("job_id", "string", "The bulk operation job ID"),
            ],
            annotations: WRITE,
        },
        plan_create_organizations_bulk,
    )
}

pub(crate) fn update_organization() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_update_organization",
            description: "Update an existing organization in Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![
                    required(
                        "organizationId",
                        "Organization ID to update as a numeric string (e.g., \"12345\")",
                    ),
                    optional("name", "New organization name (e.g., \"Acme Corporation\")"),
                    optional(
                        "domainNames",
                        "Comma-separated domain names (e.g., \"acme.com, acme.org\")",
                    )
                    .list(),
                    optional("details", "Organization details text"),
                    optional("notes", "Organization notes text"),
                    optional(
                        "tags",
                        "Comma-separated tags (e.g., \"enterprise, priority\")",
                    )
                    .list(),
                    optional(
                        "customFields",
                        "Custom fields as JSON object (e.g., {\"field_id\": \"value\"})",
                    ),
                ],
            ),
            outputs: vec![
                nested(
                    "organization",
                    "object",
                    "Updated organization object",
                    organization_fields(),
                ),
                out("organization_id", "number", "The updated organization ID"),
            ],
            annotations: IDEMPOTENT_WRITE,
        },
        plan_update_organization,
    )
}

pub(crate) fn delete_organization() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_delete_organization",
            description: "Delete an organization from Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![required(
                    "organizationId",
                    "Organization ID to delete as a numeric string (e.g., \"12345\")",
                )],
            ),
            outputs: vec![
                out(
                    "deleted",
                    "boolean",
                    "Whether the organization was successfully deleted",
                ),
                out("organization_id", "string", "The deleted organization ID"),
            ],
            annotations: DESTRUCTIVE_IDEMPOTENT,
        },
        plan_delete_organization,
    )
}
fn plan_get_organizations(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields(&keys_of(&organization_fields()))?;
    Plan::records(
        p.paged(Detached.organizations().list())?,
        "organizations",
        fields,
    )
}

fn plan_get_organization(p: &Params) -> Result<Plan, ToolError> {
    let id = OrganizationId(p.required_id("organizationId")?);
    Plan::send(Detached.organizations().show(id), |body| {
        output::record(body, "organization", "organization_id")
    })
}

fn plan_autocomplete_organizations(p: &Params) -> Result<Plan, ToolError> {
    let name = p.required_text("name")?;
    let fields = p.fields(&keys_of(&organization_fields()))?;
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

fn plan_create_organization(p: &Params) -> Result<Plan, ToolError> {
    p.required_text("name")?;
    let mut organization = Map::new();
    organization_from(p, &mut organization)?;
    Plan::send(Detached.organizations().create(&organization), |body| {
        output::record(body, "organization", "organization_id")
    })
}

fn plan_create_organizations_bulk(p: &Params) -> Result<Plan, ToolError> {
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

fn plan_update_organization(p: &Params) -> Result<Plan, ToolError> {
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

fn plan_delete_organization(p: &Params) -> Result<Plan, ToolError> {
    let id = p.required_id("organizationId")?;
    Plan::send(
        Detached.organizations().delete(OrganizationId(id)),
        move |_| Ok(output::deleted("organization_id", id.to_string())),
    )
}
