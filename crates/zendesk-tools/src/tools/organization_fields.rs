//! Organization-field tools (an addition beyond the seed, per ORGANIZATION_FIELDS.md): list,
//! show (by ID or key), create, update (dropdown options as the full list), delete and reorder.

use serde_json::{Map, Value, json};

use crate::error::ToolError;
use crate::output;
use crate::params::{Params, parse_id, shown};
use crate::plan::{Plan, PlanFn};
use zendesk::{Detached, OrganizationFieldRef};
use zendesk_types::OrganizationFieldId;

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[
    ("zendesk_get_organization_fields", get_organization_fields),
    ("zendesk_get_organization_field", get_organization_field),
    (
        "zendesk_create_organization_field",
        create_organization_field,
    ),
    (
        "zendesk_update_organization_field",
        update_organization_field,
    ),
    (
        "zendesk_delete_organization_field",
        delete_organization_field,
    ),
    (
        "zendesk_reorder_organization_fields",
        reorder_organization_fields,
    ),
];

const OPTIONS_EXAMPLE: &str = r#"[{"name": "Gold", "value": "gold"}]"#;

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
    p.fill(field)?;
    if let Some(options) = custom_field_options(p)? {
        field.insert("custom_field_options".into(), json!(options));
    }
    Ok(())
}

fn get_organization_fields(p: &Params) -> Result<Plan, ToolError> {
    let fields = p.fields()?;
    Plan::records(
        p.paged(Detached.organization_fields().list())?,
        "organization_fields",
        fields,
    )
}

fn get_organization_field(p: &Params) -> Result<Plan, ToolError> {
    let (_, field) = field_id_or_key(p)?;
    let fields = p.fields()?;
    Plan::send(Detached.organization_fields().show(&field), move |body| {
        output::read(
            body,
            "organization_field",
            "organization_field_id",
            fields.as_deref(),
        )
    })
}

fn create_organization_field(p: &Params) -> Result<Plan, ToolError> {
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
    // `key`, `type` and the settings, as given (the key checked above).
    let mut field = Map::new();
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

fn update_organization_field(p: &Params) -> Result<Plan, ToolError> {
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

fn delete_organization_field(p: &Params) -> Result<Plan, ToolError> {
    let (id, field) = field_id_or_key(p)?;
    Plan::send(Detached.organization_fields().delete(&field), move |_| {
        Ok(output::deleted("organization_field_id", id))
    })
}

fn reorder_organization_fields(p: &Params) -> Result<Plan, ToolError> {
    let ids = p.required_id_list("fieldIds")?;
    let fields: Vec<OrganizationFieldId> = ids.iter().copied().map(OrganizationFieldId).collect();
    Plan::send(Detached.organization_fields().reorder(&fields), move |_| {
        Ok(json!({ "reordered": true, "organization_field_ids": ids }))
    })
}
