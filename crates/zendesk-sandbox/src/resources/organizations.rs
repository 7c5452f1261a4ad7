//! Organizations: create (unique names), update (`domain_names` and `tags` replace the lists),
//! delete (for good; members lose the membership). `organization_fields` values are checked
//! against each field's type (see `organization_fields::check_value`).

use serde_json::{Map, Value, json};

use super::input::{opt_bool, opt_id, opt_str, tag_list};
use super::{apply_external_id, check_ref, fetch, required_text};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{Lookup, Table, Writer};
use crate::util::{iso, now};

fn domain_list(value: &Value) -> Result<Vec<String>, ApiError> {
    let raw: Vec<String> = match value {
        Value::Null => Vec::new(),
        Value::String(s) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::to_string)
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    ApiError::invalid(
                        "domain_names",
                        format!("Domain names: every entry must be a string, got {v}"),
                        "InvalidValue",
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(ApiError::invalid(
                "domain_names",
                format!("Domain names: must be an array of strings, got {other}"),
                "InvalidValue",
            ));
        }
    };
    let mut out: Vec<String> = Vec::new();
    for domain in raw {
        let domain = domain.trim().to_lowercase();
        if domain.is_empty() {
            continue;
        }
        if !domain.contains('.') || domain.contains('@') || domain.contains('/') {
            return Err(ApiError::invalid(
                "domain_names",
                format!("Domain names: `{domain}` is not a domain such as example.com"),
                "InvalidValue",
            ));
        }
        if !out.contains(&domain) {
            out.push(domain);
        }
    }
    Ok(out)
}

fn apply(
    tx: &mut dyn Writer,
    org: &mut Value,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    let id = org["id"].as_i64().unwrap_or_default();
    if let Some(name) = required_text(input, "name", creating)? {
        let name = name.trim().to_string();
        if let Some(other) = tx.find_id(Table::Organizations, Lookup::Name, &name)?
            && other != id
        {
            return Err(ApiError::invalid(
                "name",
                format!("Name:  {name} has already been taken"),
                "DuplicateValue",
            ));
        }
        org["name"] = json!(name);
    }
    apply_external_id(tx, Table::Organizations, org, id, input)?;
    for field in ["details", "notes"] {
        if let Some(value) = opt_str(input, field)? {
            org[field] = json!(value);
        }
    }
    for field in ["shared_tickets", "shared_comments"] {
        if let Some(value) = opt_bool(input, field)? {
            org[field] = json!(value);
        }
    }
    if let Some(group) = opt_id(input, "group_id")? {
        check_ref(tx, "group_id", "Group", Table::Groups, group)?;
        org["group_id"] = json!(group);
    }
    if let Some(domains) = input.get("domain_names") {
        org["domain_names"] = json!(domain_list(domains)?);
    }
    if let Some(tags) = input.get("tags") {
        org["tags"] = json!(tag_list(tags, "tags")?);
    }
    match input.get("organization_fields") {
        None | Some(Value::Null) => {}
        Some(Value::Object(values)) => {
            let fields = tx.live_organization_fields()?;
            let mut current = org["organization_fields"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for (key, value) in values {
                let Some(field) = fields.iter().find(|f| f["key"] == key.as_str()) else {
                    return Err(ApiError::invalid(
                        "organization_fields",
                        format!(
                            "Organization fields: there is no organization field with key `{key}`"
                        ),
                        "InvalidValue",
                    ));
                };
                let value =
                    super::organization_fields::check_value(field, value).map_err(|message| {
                        ApiError::invalid("organization_fields", message, "InvalidValue")
                    })?;
                current.insert(key.clone(), value);
            }
            org["organization_fields"] = Value::Object(current);
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "organization_fields",
                format!("Organization fields: must be an object keyed by field key, got {other}"),
                "InvalidValue",
            ));
        }
    }
    Ok(())
}

/// Creates one organization.
pub fn create(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let at = iso(now());
    let id = tx.allocate_id(Table::Organizations)?;
    let mut org = json!({
        "id": id, "name": "", "shared_tickets": false, "shared_comments": false,
        "external_id": null, "created_at": at, "updated_at": at, "domain_names": [],
        "details": null, "notes": null, "group_id": null, "tags": [], "organization_fields": {}
    });
    apply(tx, &mut org, input, true)?;
    tx.save(Table::Organizations, &org)?;
    Ok(org)
}

/// Updates one organization.
pub fn update(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let mut org = fetch(tx, Table::Organizations, id)?;
    apply(tx, &mut org, input, false)?;
    org["updated_at"] = json!(iso(now()));
    tx.save(Table::Organizations, &org)?;
    Ok(org)
}

/// Deletes one organization for good.
pub fn delete(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    caller.require_agent()?;
    if !tx.delete_organization(id)? {
        return Err(ApiError::NotFound);
    }
    // Members lose the membership, as on Zendesk; their tickets keep their history.
    let at = iso(now());
    for mut user in tx.users_in_organization(id)? {
        user["organization_id"] = Value::Null;
        user["updated_at"] = json!(at);
        tx.save(Table::Users, &user)?;
    }
    Ok(())
}
