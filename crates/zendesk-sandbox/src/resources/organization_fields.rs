//! Organization fields (see `spec/ORGANIZATION_FIELDS.md`): create, update (with the full
//! dropdown-options rules), delete (the key is never reused), reorder, and `check_value`, the
//! rule for a value stored on an organization, by field type. Only admins write.
//!
//! Dropdown updates take the complete option list: a null `id` creates an option, a known `id`
//! updates it (organizations holding its old value follow the new one), a missing option is
//! deleted and its value cleared from every organization.

use serde_json::{Map, Value, json};

use super::input::{as_id, opt_bool, opt_str};
use super::required_text;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Reader, Table, Writer};
use crate::util::{iso, now};

const TYPES: [&str; 10] = [
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "dropdown",
    "lookup",
    "multiselect",
];

/// Checks (and normalises) a value stored on an organization for `field`.
pub fn check_value(field: &Value, value: &Value) -> Result<Value, String> {
    let key = field["key"].as_str().unwrap_or("");
    super::field_values::check_value(field, value, &format!("`{key}`"), "Organization fields")
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.chars().all(|c| c.is_ascii_digit())
}

/// Finds a live field by id or key.
pub fn find(tx: &mut dyn Reader, id_or_key: &str) -> Result<Value, ApiError> {
    if let Ok(id) = id_or_key.trim().parse::<i64>()
        && let Some(field) = tx.record(Table::OrganizationFields, id)?
    {
        return Ok(field);
    }
    match tx.organization_field_by_key(id_or_key)? {
        Some((field, false)) => Ok(field),
        _ => Err(ApiError::NotFound),
    }
}

/// Rewrites every organization's value for `key` through `change` (None clears the value).
fn rewrite_values(
    tx: &mut dyn Writer,
    key: &str,
    change: impl Fn(&Value) -> Option<Option<Value>>,
) -> Result<(), ApiError> {
    let at = iso(now());
    for mut org in tx.organizations_with_field_values()? {
        let Some(current) = org["organization_fields"].get(key).cloned() else {
            continue;
        };
        if let Some(new_value) = change(&current) {
            match new_value {
                Some(value) => org["organization_fields"][key] = value,
                None => {
                    if let Some(map) = org["organization_fields"].as_object_mut() {
                        map.remove(key);
                    }
                }
            }
            org["updated_at"] = json!(at);
            tx.save(Table::Organizations, &org)?;
        }
    }
    Ok(())
}

fn apply_common(field: &mut Value, input: &Map<String, Value>) -> Result<(), ApiError> {
    if let Some(title) = required_text(input, "title", false)? {
        field["title"] = json!(title);
        field["raw_title"] = json!(opt_str(input, "raw_title")?.flatten().unwrap_or(title));
    }
    if let Some(description) = opt_str(input, "description")? {
        let description = description.unwrap_or_default();
        field["raw_description"] = json!(
            opt_str(input, "raw_description")?
                .flatten()
                .unwrap_or_else(|| description.clone())
        );
        field["description"] = json!(description);
    }
    if let Some(position) = input.get("position").filter(|v| !v.is_null()) {
        let position = as_id(position).ok_or_else(|| {
            ApiError::invalid(
                "position",
                format!("Position: must be an integer, got {position}"),
                "InvalidValue",
            )
        })?;
        field["position"] = json!(position);
    }
    if let Some(active) = opt_bool(input, "active")? {
        field["active"] = json!(active);
    }
    if let Some(tag) = opt_str(input, "tag")?
        && field["type"] == "checkbox"
    {
        field["tag"] = json!(tag);
    }
    if let Some(pattern) = opt_str(input, "regexp_for_validation")?
        && field["type"] == "regexp"
    {
        {
            let Some(pattern) = pattern.filter(|p| !p.is_empty()) else {
                return Err(ApiError::invalid(
                    "regexp_for_validation",
                    "Regexp for validation: a regexp field needs a pattern",
                    "BlankValue",
                ));
            };
            regex::Regex::new(&pattern).map_err(|e| {
                ApiError::invalid(
                    "regexp_for_validation",
                    format!("Regexp for validation: `{pattern}` is not a valid pattern: {e}"),
                    "InvalidValue",
                )
            })?;
            field["regexp_for_validation"] = json!(pattern);
        }
    }
    if field["type"] == "lookup" {
        if let Some(target) = opt_str(input, "relationship_target_type")? {
            let target = target.unwrap_or_default();
            if !(target == "zen:user"
                || target == "zen:organization"
                || target == "zen:ticket"
                || target.starts_with("zen:custom_object:"))
            {
                return Err(ApiError::invalid(
                    "relationship_target_type",
                    format!(
                        "Relationship target type: `{target}` is not valid; use zen:user, zen:organization, zen:ticket or zen:custom_object:KEY"
                    ),
                    "InvalidValue",
                ));
            }
            field["relationship_target_type"] = json!(target);
        }
        if let Some(filter) = input.get("relationship_filter") {
            field["relationship_filter"] = filter.clone();
        }
    }
    Ok(())
}

/// Creates one organization field.
pub fn create(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let key = opt_str(input, "key")?.flatten().unwrap_or_default();
    if !valid_key(&key) {
        return Err(ApiError::invalid(
            "key",
            format!(
                "Key: `{key}` is not valid; use letters, digits and underscores, not digits only, such as support_plan"
            ),
            if key.is_empty() {
                "BlankValue"
            } else {
                "InvalidValue"
            },
        ));
    }
    let kind = opt_str(input, "type")?
        .flatten()
        .map(|t| t.trim().to_lowercase())
        .unwrap_or_else(|| "text".into());
    if !TYPES.contains(&kind.as_str()) {
        return Err(ApiError::invalid(
            "type",
            format!(
                "Type: `{kind}` is not valid; use one of {}",
                TYPES.join(", ")
            ),
            "InvalidValue",
        ));
    }
    required_text(input, "title", true)?;
    if tx.organization_field_by_key(&key)?.is_some() {
        return Err(ApiError::invalid(
            "key",
            format!("Key: {key} has already been taken (keys of deleted fields are never reused)"),
            "DuplicateValue",
        ));
    }
    let at = iso(now());
    let id = tx.allocate_id(Table::OrganizationFields)?;
    let mut field = json!({
        "id": id, "type": kind, "key": key, "title": "", "description": "", "raw_title": "",
        "raw_description": "", "position": 9999, "active": true, "system": false,
        "regexp_for_validation": null, "created_at": at, "updated_at": at
    });
    if kind == "checkbox" {
        field["tag"] = Value::Null;
    }
    if kind == "lookup" {
        field["relationship_target_type"] = Value::Null;
        field["relationship_filter"] = json!({});
    }
    let mut common = input.clone();
    common.entry("description").or_insert(json!(""));
    apply_common(&mut field, &common)?;
    if kind == "regexp" && field["regexp_for_validation"].is_null() {
        return Err(ApiError::invalid(
            "regexp_for_validation",
            "Regexp for validation: a regexp field needs a pattern",
            "BlankValue",
        ));
    }
    if kind == "lookup" && field["relationship_target_type"].is_null() {
        return Err(ApiError::invalid(
            "relationship_target_type",
            "Relationship target type: a lookup field needs one, such as zen:user",
            "BlankValue",
        ));
    }
    if kind == "dropdown" || kind == "multiselect" {
        let raw = input
            .get("custom_field_options")
            .cloned()
            .unwrap_or(Value::Null);
        if raw.is_null() {
            return Err(ApiError::invalid(
                "custom_field_options",
                "Custom field options: a dropdown needs at least one option",
                "BlankValue",
            ));
        }
        let options = super::field_values::read_options(tx, &field, &raw)?;
        field["custom_field_options"] = json!(options);
    }
    tx.save_organization_field(&field, false)?;
    Ok(field)
}

/// Updates the field with this id or key.
pub fn update(
    tx: &mut dyn Writer,
    caller: &Caller,
    id_or_key: &str,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_admin()?;
    let mut field = find(tx, id_or_key)?;
    let key = field["key"].as_str().unwrap_or_default().to_string();
    if let Some(Some(new_key)) = opt_str(input, "key")?
        && new_key != key
    {
        return Err(ApiError::invalid(
            "key",
            "Key: cannot be changed after creation",
            "InvalidValue",
        ));
    }
    if let Some(Some(kind)) = opt_str(input, "type")?
        && field["type"] != kind.as_str()
    {
        return Err(ApiError::invalid(
            "type",
            "Type: cannot be changed after creation",
            "InvalidValue",
        ));
    }
    apply_common(&mut field, input)?;
    let is_options = field["type"] == "dropdown" || field["type"] == "multiselect";
    if is_options && let Some(raw) = input.get("custom_field_options") {
        let old: Vec<(i64, String)> = field["custom_field_options"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|o| Some((o["id"].as_i64()?, o["value"].as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let options = super::field_values::read_options(tx, &field, raw)?;
        // old value -> Some(new value) when the option was kept, None when it was removed.
        let mapping: Vec<(String, Option<String>)> = old
            .iter()
            .map(|(id, value)| {
                let kept = options
                    .iter()
                    .find(|o| o["id"].as_i64() == Some(*id))
                    .and_then(|o| o["value"].as_str().map(str::to_string));
                (value.clone(), kept)
            })
            .filter(|(old_value, kept)| kept.as_deref() != Some(old_value.as_str()))
            .collect();
        field["custom_field_options"] = json!(options);
        if !mapping.is_empty() {
            let map_one = |v: &str| -> Option<Option<String>> {
                mapping
                    .iter()
                    .find(|(old, _)| old == v)
                    .map(|(_, new)| new.clone())
            };
            rewrite_values(tx, &key, |current| match current {
                Value::String(s) => map_one(s).map(|new| new.map(Value::String)),
                Value::Array(items) => {
                    let mut changed = false;
                    let mut out = Vec::new();
                    for item in items {
                        match item.as_str().and_then(map_one) {
                            Some(Some(new)) => {
                                changed = true;
                                out.push(json!(new));
                            }
                            Some(None) => changed = true,
                            None => out.push(item.clone()),
                        }
                    }
                    changed.then_some(Some(Value::Array(out)))
                }
                _ => None,
            })?;
        }
    }
    field["updated_at"] = json!(iso(now()));
    tx.save_organization_field(&field, false)?;
    Ok(field)
}

/// Deletes the field with this id or key; its values leave every organization.
pub fn delete(tx: &mut dyn Writer, caller: &Caller, id_or_key: &str) -> Result<(), ApiError> {
    caller.require_admin()?;
    let field = find(tx, id_or_key)?;
    let key = field["key"].as_str().unwrap_or_default().to_string();
    rewrite_values(tx, &key, |_| Some(None))?;
    tx.save_organization_field(&field, true)?;
    Ok(())
}

/// Puts the fields in the order of `ids`.
pub fn reorder(tx: &mut dyn Writer, caller: &Caller, ids: &[i64]) -> Result<(), ApiError> {
    caller.require_admin()?;
    for (position, id) in ids.iter().enumerate() {
        let mut field = tx.record(Table::OrganizationFields, *id)?.ok_or_else(|| {
            ApiError::invalid(
                "organization_field_ids",
                format!("Organization field ids: no organization field has id {id}"),
                "InvalidValue",
            )
        })?;
        field["position"] = json!(position);
        field["updated_at"] = json!(iso(now()));
        tx.save_organization_field(&field, false)?;
    }
    Ok(())
}
