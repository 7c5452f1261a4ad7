//! Organization fields (see `spec/ORGANIZATION_FIELDS.md`): list by position, show by id or key,
//! create, update (with the full dropdown-options rules), delete (204; the key is never reused),
//! reorder. Agents read; only admins write.
//!
//! Dropdown updates take the complete option list: a null `id` creates an option, a known `id`
//! updates it (organizations holding its old value follow the new one), a missing option is
//! deleted and its value cleared from every organization. `check_value` is the rule for a value
//! stored on an organization, by field type.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sqlx::SqliteConnection;

use super::shared::{Listing, Resource, required_text};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::paging::{Sort, page_request};
use crate::store::{self, Table};
use crate::util::{BaseUrl, JsonBody, Query, as_id, iso, now, object_under, opt_bool, opt_str};

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

/// Organization fields as served (see `shared`).
pub struct OrganizationFields;

impl Resource for OrganizationFields {
    const TABLE: Table = Table::OrganizationFields;
    const ONE: &'static str = "organization_field";
    const MANY: &'static str = "organization_fields";
}

fn option_values(field: &Value) -> Vec<String> {
    field["custom_field_options"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["value"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks (and normalises) a value for `field`; the error names the key and the expected form.
pub fn check_value(field: &Value, value: &Value) -> Result<Value, String> {
    let key = field["key"].as_str().unwrap_or("");
    let kind = field["type"].as_str().unwrap_or("text");
    if value.is_null() {
        return Ok(Value::Null);
    }
    let wrong = |expected: &str| {
        format!("Organization fields: `{key}` is a {kind} field and needs {expected}, got {value}")
    };
    match kind {
        "text" | "textarea" => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Number(n) => Ok(json!(n.to_string())),
            _ => Err(wrong("a string")),
        },
        "checkbox" => match value {
            Value::Bool(_) => Ok(value.clone()),
            Value::String(s) if s == "true" || s == "false" => Ok(json!(s == "true")),
            _ => Err(wrong("true or false")),
        },
        "date" => {
            let text = value
                .as_str()
                .ok_or_else(|| wrong("a date such as 2024-05-31"))?;
            let date_part = text.get(..10).unwrap_or(text);
            let format = time::macros::format_description!("[year]-[month]-[day]");
            time::Date::parse(date_part, &format)
                .map_err(|_| wrong("a date such as 2024-05-31"))?;
            if text.len() > 10 && crate::util::parse_time(text).is_none() {
                return Err(wrong("a date such as 2024-05-31"));
            }
            Ok(json!(date_part))
        }
        "integer" | "lookup" => match value {
            Value::Number(n) if n.is_i64() => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<i64>()
                .map(|n| json!(n))
                .map_err(|_| wrong("an integer such as 42")),
            _ => Err(wrong("an integer such as 42")),
        },
        "decimal" => match value {
            Value::Number(_) => Ok(value.clone()),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| json!(f))
                .ok_or_else(|| wrong("a decimal number such as 12.5")),
            _ => Err(wrong("a decimal number such as 12.5")),
        },
        "regexp" => {
            let text = value.as_str().ok_or_else(|| wrong("a string"))?;
            let pattern = field["regexp_for_validation"].as_str().unwrap_or("");
            let regex = regex::Regex::new(pattern)
                .map_err(|_| format!("Organization fields: `{key}` has an invalid pattern"))?;
            if regex.is_match(text) {
                Ok(value.clone())
            } else {
                Err(format!(
                    "Organization fields: `{key}` value `{text}` does not match the pattern {pattern}"
                ))
            }
        }
        "dropdown" => {
            let values = option_values(field);
            match value.as_str() {
                Some(text) if values.iter().any(|v| v == text) => Ok(value.clone()),
                _ => Err(wrong(&format!(
                    "one of the option values {}",
                    values.join(", ")
                ))),
            }
        }
        "multiselect" => {
            let values = option_values(field);
            let items = value
                .as_array()
                .ok_or_else(|| wrong("an array of option values"))?;
            for item in items {
                if !item.as_str().is_some_and(|t| values.iter().any(|v| v == t)) {
                    return Err(wrong(&format!("option values among {}", values.join(", "))));
                }
            }
            Ok(value.clone())
        }
        _ => Ok(value.clone()),
    }
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.chars().all(|c| c.is_ascii_digit())
}

/// Reads the new option list, assigning ids to new options; returns it with the (old id ->
/// old value) pairs that changed or disappeared.
async fn read_options(
    conn: &mut SqliteConnection,
    current: &Value,
    raw: &Value,
) -> Result<Vec<Value>, ApiError> {
    let items = raw.as_array().ok_or_else(|| {
        ApiError::invalid(
            "custom_field_options",
            "Custom field options: must be an array of {\"name\", \"value\"} objects",
            "InvalidValue",
        )
    })?;
    if items.is_empty() {
        return Err(ApiError::invalid(
            "custom_field_options",
            "Custom field options: a dropdown needs at least one option",
            "BlankValue",
        ));
    }
    let known: Vec<i64> = current["custom_field_options"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
        .unwrap_or_default();
    let mut out: Vec<Value> = Vec::new();
    let mut seen_values: Vec<String> = Vec::new();
    for (index, item) in items.iter().enumerate() {
        // An existing option sent by id alone (zenpy does this) keeps its name and value.
        let existing = item
            .get("id")
            .and_then(as_id)
            .and_then(|id| {
                current["custom_field_options"]
                    .as_array()
                    .and_then(|a| a.iter().find(|o| o["id"].as_i64() == Some(id)))
            })
            .cloned()
            .unwrap_or(Value::Null);
        let text = |key: &str| -> Option<String> {
            match item.get(key) {
                None | Some(Value::Null) => existing[key].as_str().map(str::to_string),
                Some(v) => v.as_str().map(|s| s.trim().to_string()),
            }
            .filter(|s| !s.is_empty())
        };
        let name = text("name");
        let value = text("value");
        let (Some(name), Some(value)) = (name, value) else {
            return Err(ApiError::invalid(
                "custom_field_options",
                format!(
                    "Custom field options: option {index} needs a non-empty `name` and `value`"
                ),
                "BlankValue",
            ));
        };
        if seen_values.contains(&value) {
            return Err(ApiError::invalid(
                "custom_field_options",
                format!("Custom field options: the value `{value}` is used twice"),
                "DuplicateValue",
            ));
        }
        seen_values.push(value.clone());
        let id = match item.get("id").filter(|v| !v.is_null()) {
            None => store::next_ids(conn, "option", 1).await?,
            Some(raw_id) => match as_id(raw_id) {
                Some(id) if known.contains(&id) => id,
                _ => {
                    return Err(ApiError::invalid(
                        "custom_field_options",
                        format!(
                            "Custom field options: option {index} has id {raw_id}, which is not an option of this field; pass a null id to create one"
                        ),
                        "InvalidValue",
                    ));
                }
            },
        };
        out.push(json!({"id": id, "name": name, "raw_name": name, "value": value, "position": index, "default": false}));
    }
    Ok(out)
}

/// Finds a live field by id or key.
async fn find(conn: &mut SqliteConnection, id_or_key: &str) -> Result<Value, ApiError> {
    if let Ok(id) = id_or_key.parse::<i64>()
        && let Some(field) = store::get_json(conn, Table::OrganizationFields, id).await?
    {
        return Ok(field);
    }
    match store::organization_field_by_key(conn, id_or_key).await? {
        Some((_, field, false)) => Ok(field),
        _ => Err(ApiError::NotFound),
    }
}

/// Rewrites every organization's value for `key` through `change` (None clears the value).
async fn rewrite_values(
    conn: &mut SqliteConnection,
    key: &str,
    change: impl Fn(&Value) -> Option<Option<Value>>,
) -> Result<(), ApiError> {
    let at = iso(now());
    for mut org in store::organizations_with_field(conn).await? {
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
            store::save_organization(conn, &org).await?;
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

// ---- handlers ----

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let request = page_request(&params, 100)?;
    let sort = Sort {
        order: "position".into(),
        column: "position",
        descending: false,
    };
    Listing::new(&base, &params, request, Vec::new())
        .sorted(sort)
        .serve::<OrganizationFields>(&state.inner.store)
        .await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_agent()?;
    let mut conn = state.inner.store.pool().acquire().await?;
    let field = find(&mut conn, &id).await?;
    Ok(OrganizationFields::one(field, &base))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let input = object_under(&body, "organization_field")?;
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
    let mut tx = state.inner.store.begin().await?;
    if store::organization_field_by_key(&mut tx, &key)
        .await?
        .is_some()
    {
        return Err(ApiError::invalid(
            "key",
            format!("Key: {key} has already been taken (keys of deleted fields are never reused)"),
            "DuplicateValue",
        ));
    }
    let at = iso(now());
    let id = store::next_row_id(&mut tx, "organization_fields").await?;
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
        let options = read_options(&mut tx, &field, &raw).await?;
        field["custom_field_options"] = json!(options);
    }
    store::save_organization_field(&mut tx, &field, false).await?;
    tx.commit().await?;
    Ok(OrganizationFields::created(field, &base))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let input = object_under(&body, "organization_field")?;
    let mut tx = state.inner.store.begin().await?;
    let mut field = find(&mut tx, &id).await?;
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
        let options = read_options(&mut tx, &field, raw).await?;
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
            rewrite_values(&mut tx, &key, |current| match current {
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
            })
            .await?;
        }
    }
    field["updated_at"] = json!(iso(now()));
    store::save_organization_field(&mut tx, &field, false).await?;
    tx.commit().await?;
    Ok(OrganizationFields::one(field, &base))
}

pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let mut tx = state.inner.store.begin().await?;
    let field = find(&mut tx, &id).await?;
    let key = field["key"].as_str().unwrap_or_default().to_string();
    rewrite_values(&mut tx, &key, |_| Some(None)).await?;
    store::save_organization_field(&mut tx, &field, true).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn reorder(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let ids: Vec<i64> = body
        .get("organization_field_ids")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::bad_value("the body must be {\"organization_field_ids\": [3, 4]}")
        })?
        .iter()
        .map(|v| {
            as_id(v).ok_or_else(|| {
                ApiError::bad_value(format!(
                    "organization_field_ids must hold numeric ids, got {v}"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let mut tx = state.inner.store.begin().await?;
    for (position, id) in ids.iter().enumerate() {
        let mut field = store::get_json(&mut tx, Table::OrganizationFields, *id)
            .await?
            .ok_or_else(|| {
                ApiError::invalid(
                    "organization_field_ids",
                    format!("Organization field ids: no organization field has id {id}"),
                    "InvalidValue",
                )
            })?;
        field["position"] = json!(position);
        field["updated_at"] = json!(iso(now()));
        store::save_organization_field(&mut tx, &field, false).await?;
    }
    tx.commit().await?;
    Ok(axum::Json(json!({})).into_response())
}
