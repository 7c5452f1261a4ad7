//! Organization-field tools (an addition beyond the seed, per ORGANIZATION_FIELDS.md): list,
//! show (by ID or key), create, update (dropdown options as the full list), delete and reorder.

use serde_json::{Map, Value, json};

use crate::Tool;
use crate::ToolError;
use crate::output;
use crate::params::{Params, parse_id, shown};
use crate::plan::Plan;
use crate::spec::*;
use zendesk::{Detached, OrganizationFieldRef};
use zendesk_types::OrganizationFieldId;

const FIELD_TYPES: &[&str] = zendesk_types::OrganizationFieldType::CREATABLE;
const OPTIONS_EXAMPLE: &str = r#"[{"name": "Gold", "value": "gold"}]"#;

fn field_id_or_key_param() -> ParamSpec {
    required(
        "fieldIdOrKey",
        "Organization field ID as a numeric string (e.g., \"12345\") or the field's key (e.g., \"support_plan\")",
    )
}

fn field_outputs(description: &'static str, id_description: &'static str) -> Vec<OutputSpec> {
    vec![
        nested(
            "organization_field",
            "object",
            description,
            organization_field_fields(),
        ),
        out("organization_field_id", "number", id_description),
    ]
}

/// The optional settings shared by create and update.
fn field_settings() -> Vec<ParamSpec> {
    vec![
        optional("description", "Description of the field's purpose"),
        optional(
            "position",
            "Position among the organization fields as a number string (e.g., \"0\")",
        ),
        optional(
            "active",
            "Set to \"true\" to make the field available, or \"false\" to hide it",
        )
        .flag(),
        optional(
            "regexpForValidation",
            "For regexp fields: the pattern a value must match (e.g., \"\\\\A[0-9]+\\\\z\")",
        ),
        optional(
            "tag",
            "For checkbox fields: the tag added to the organization when checked",
        ),
        optional(
            "customFieldOptions",
            "For dropdown fields: JSON array of options in order (e.g., [{\"name\": \"Gold\", \"value\": \"gold\"}])",
        ),
        optional(
            "relationshipTargetType",
            "For lookup fields: the object type referred to (e.g., \"zen:user\", \"zen:organization\", \"zen:ticket\")",
        ),
    ]
}

pub(crate) fn get_organization_fields() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_organization_fields",
            description: "List the custom organization fields of the Zendesk account, in their configured order",
            params: with_credentials(
                Subdomain::Plain,
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
                    "organization_fields",
                    "array",
                    "Array of organization field objects",
                    organization_field_fields(),
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
        plan_get_organization_fields,
    )
}

pub(crate) fn get_organization_field() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_get_organization_field",
            description: "Get a single organization field by ID or key from Zendesk",
            params: with_credentials(Subdomain::Plain, vec![field_id_or_key_param()]),
            outputs: field_outputs("Organization field object", "The organization field ID"),
            annotations: READ_ONLY,
        },
        plan_get_organization_field,
    )
}

pub(crate) fn create_organization_field() -> Tool {
    let mut params = vec![
        required(
            "key",
            "Unique key of the field: letters, digits and underscores, not only digits (e.g., \"support_plan\"); cannot be reused after deletion",
        ),
        required(
            "title",
            "Title of the field shown to agents (e.g., \"Support plan\")",
        ),
        required(
            "type",
            "Field type: \"checkbox\", \"date\", \"decimal\", \"dropdown\", \"integer\", \"lookup\", \"regexp\", \"text\", or \"textarea\"",
        ).one_of(FIELD_TYPES),
    ];
    params.extend(field_settings());
    Tool::new(
        ToolSpec {
            id: "zendesk_create_organization_field",
            description: "Create a custom organization field in Zendesk",
            params: with_credentials(Subdomain::Plain, params),
            outputs: field_outputs(
                "Created organization field object",
                "The created organization field ID",
            ),
            annotations: WRITE,
        },
        plan_create_organization_field,
    )
}

pub(crate) fn update_organization_field() -> Tool {
    let mut params = vec![
        field_id_or_key_param(),
        optional("title", "New title of the field"),
    ];
    params.extend(field_settings().into_iter().map(|param| {
        if param.name == "customFieldOptions" {
            optional("customFieldOptions", "For dropdown fields: JSON array of ALL options in order; options left out are deleted (e.g., [{\"id\": 123, \"name\": \"Gold\", \"value\": \"gold\"}, {\"id\": null, \"name\": \"New\", \"value\": \"new\"}])")
        } else {
            param
        }
    }));
    Tool::new(
        ToolSpec {
            id: "zendesk_update_organization_field",
            description: "Update a custom organization field in Zendesk",
            params: with_credentials(Subdomain::Plain, params),
            outputs: field_outputs(
                "Updated organization field object",
                "The updated organization field ID",
            ),
            annotations: IDEMPOTENT_WRITE,
        },
        plan_update_organization_field,
    )
}

pub(crate) fn delete_organization_field() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_delete_organization_field",
            description: "Delete a custom organization field from Zendesk (its key cannot be reused)",
            params: with_credentials(Subdomain::Plain, vec![field_id_or_key_param()]),
            outputs: vec![
                out("deleted", "boolean", "Deletion success"),
                out(
                    "organization_field_id",
                    "string",
                    "The deleted organization field ID or key, as given",
                ),
            ],
            annotations: DESTRUCTIVE_IDEMPOTENT,
        },
        plan_delete_organization_field,
    )
}

pub(crate) fn reorder_organization_fields() -> Tool {
    Tool::new(
        ToolSpec {
            id: "zendesk_reorder_organization_fields",
            description: "Set the order of the custom organization fields in Zendesk",
            params: with_credentials(
                Subdomain::Plain,
                vec![required(
                    "fieldIds",
                    "Comma-separated organization field IDs in the new order (e.g., \"3, 4, 1\")",
                ).list()],
            ),
            outputs: vec![
                out("reordered", "boolean", "Whether the new order was saved"),
                out(
                    "organization_field_ids",
                    "array",
                    "The organization field IDs in their new order",
                ),
            ],
            annotations: IDEMPOTENT_WRITE,
        },
        plan_reorder_organization_fields,
    )
}

/// Letters, digits and underscores, not only digits (Zendesk's rule for field keys).
fn is_key(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !text.bytes().all(|b| b.is_ascii_digit())
}

/// A field ID or key, checked so it is safe in the path.
/// `fieldIdOrKey` as given (trimmed) and as the client addresses the field.
fn field_id_or_key(p: &Params) -> Result<(String, OrganizationFieldRef), ToolError> {
    let raw = p.required_text("fieldIdOrKey")?;
    let text = raw.trim();
    if let Some(id) = parse_id(text) {
        let field = OrganizationFieldRef::Id(OrganizationFieldId(id));
        return Ok((id.to_string(), field));
    }
    if is_key(text) {
        return Ok((text.to_owned(), OrganizationFieldRef::Key(text.to_owned())));
    }
    Err(ToolError::invalid(format!(
        "fieldIdOrKey must be a field ID such as \"12345\" or a key such as \"support_plan\" (letters, digits, underscores) (got {})",
        shown(raw)
    )))
}

fn custom_field_options(p: &Params) -> Result<Option<Vec<Value>>, ToolError> {
    let Some(options) = p.json_objects("customFieldOptions", OPTIONS_EXAMPLE)? else {
        return Ok(None);
    };
    options
        .into_iter()
        .enumerate()
        .map(|(index, mut option)| {
            for key in ["name", "value"] {
                match option.get(key) {
                    Some(Value::String(s)) if !s.trim().is_empty() => {}
                    _ => {
                        return Err(ToolError::invalid(format!(
                            "customFieldOptions[{index}] needs a non-empty string \"{key}\", e.g. {OPTIONS_EXAMPLE}"
                        )));
                    }
                }
            }
            match option.get("id") {
                None | Some(Value::Null) => {}
                Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n > 0) => {}
                Some(Value::String(s)) => match parse_id(s) {
                    Some(id) => {
                        option.insert("id".into(), json!(id));
                    }
                    None => {
                        return Err(ToolError::invalid(format!(
                            "customFieldOptions[{index}].id must be the option's numeric ID, or null for a new option"
                        )));
                    }
                },
                Some(_) => {
                    return Err(ToolError::invalid(format!(
                        "customFieldOptions[{index}].id must be the option's numeric ID, or null for a new option"
                    )));
                }
            }
            Ok(Value::Object(option))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The optional settings shared by create and update, only those given.
fn settings_from(p: &Params, field: &mut Map<String, Value>) -> Result<(), ToolError> {
    if let Some(title) = p.text("title")? {
        field.insert("title".into(), json!(title.trim()));
    }
    if let Some(description) = p.text("description")? {
        field.insert("description".into(), json!(description));
    }
    if let Some(position) = p.number_in("position", 0..=u64::from(u32::MAX))? {
        field.insert("position".into(), json!(position));
    }
    if let Some(active) = p.boolean("active")? {
        field.insert("active".into(), json!(active));
    }
    if let Some(regexp) = p.text("regexpForValidation")? {
        field.insert("regexp_for_validation".into(), json!(regexp));
    }
    if let Some(tag) = p.text("tag")? {
        field.insert("tag".into(), json!(tag.trim()));
    }
    if let Some(options) = custom_field_options(p)? {
        field.insert("custom_field_options".into(), json!(options));
    }
    if let Some(target) = p.text("relationshipTargetType")? {
        field.insert("relationship_target_type".into(), json!(target.trim()));
    }
    Ok(())
}

fn plan_get_organization_fields(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields(&keys_of(&organization_field_fields()))?;
    Plan::records(
        p.paged(Detached.organization_fields().list())?,
        "organization_fields",
        fields,
    )
}

fn plan_get_organization_field(p: &Params) -> Result<Plan, ToolError> {
    let (_, field) = field_id_or_key(p)?;
    Plan::send(Detached.organization_fields().show(&field), |body| {
        output::record(body, "organization_field", "organization_field_id")
    })
}

fn plan_create_organization_field(p: &Params) -> Result<Plan, ToolError> {
    let key = p.required_text("key")?.trim();
    if !is_key(key) {
        return Err(ToolError::invalid(format!(
            "key must use letters, digits and underscores, and not be only digits, such as \"support_plan\" (got {})",
            shown(key)
        )));
    }
    let field_type = p
        .choice("type")?
        .ok_or_else(|| ToolError::invalid("type is required"))?;
    let mut field = Map::new();
    field.insert("key".into(), json!(key));
    field.insert("type".into(), json!(field_type));
    settings_from(p, &mut field)?;
    if field_type == "dropdown" && !field.contains_key("custom_field_options") {
        return Err(ToolError::invalid(format!(
            "a dropdown field needs customFieldOptions, a JSON array such as {OPTIONS_EXAMPLE}"
        )));
    }
    Plan::send(Detached.organization_fields().create(&field), |body| {
        output::record(body, "organization_field", "organization_field_id")
    })
}

fn plan_update_organization_field(p: &Params) -> Result<Plan, ToolError> {
    let (_, target) = field_id_or_key(p)?;
    let mut field = Map::new();
    settings_from(p, &mut field)?;
    if field.is_empty() {
        return Err(ToolError::invalid(
            "nothing to update: give at least one of title, description, position, active, regexpForValidation, tag, customFieldOptions, relationshipTargetType",
        ));
    }
    Plan::send(
        Detached.organization_fields().update(&target, &field),
        |body| output::record(body, "organization_field", "organization_field_id"),
    )
}

fn plan_delete_organization_field(p: &Params) -> Result<Plan, ToolError> {
    let (id, field) = field_id_or_key(p)?;
    Plan::send(Detached.organization_fields().delete(&field), move |_| {
        Ok(output::deleted("organization_field_id", id))
    })
}

fn plan_reorder_organization_fields(p: &Params) -> Result<Plan, ToolError> {
    let ids = p.required_id_list("fieldIds")?;
    let fields: Vec<OrganizationFieldId> = ids.iter().copied().map(OrganizationFieldId).collect();
    Plan::send(Detached.organization_fields().reorder(&fields), move |_| {
        Ok(json!({ "reordered": true, "organization_field_ids": ids }))
    })
}
