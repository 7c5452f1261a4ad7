//! Custom field values: what a value of each field type must look like, for organization fields
//! (`dropdown`) and ticket fields (`tagger`) alike, and the tags a ticket field's value carries.

use serde_json::{Value, json};

use super::input::as_id;
use crate::error::ApiError;
use crate::store::Writer;

/// The `value`s of a dropdown or multi-select field's options.
pub fn option_values(field: &Value) -> Vec<String> {
    field["custom_field_options"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|o| o["value"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks (and normalises) a value for `field`; the error starts with `label` ("Custom fields"),
/// names the field (`name`) and says the expected form.
pub fn check_value(field: &Value, value: &Value, name: &str, label: &str) -> Result<Value, String> {
    let kind = field["type"].as_str().unwrap_or("text");
    if value.is_null() {
        return Ok(Value::Null);
    }
    let wrong = |expected: &str| {
        format!("{label}: {name} is a {kind} field and needs {expected}, got {value}")
    };
    match kind {
        "text" | "textarea" | "partialcreditcard" => match value {
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
                .map_err(|_| format!("{label}: {name} has an invalid pattern"))?;
            if regex.is_match(text) {
                Ok(value.clone())
            } else {
                Err(format!(
                    "{label}: {name} value `{text}` does not match the pattern {pattern}"
                ))
            }
        }
        "dropdown" | "tagger" => {
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

/// The tags a ticket field's value adds to its ticket: a drop-down or multi-select option's value,
/// a checked checkbox's `tag`.
pub fn tags_of_value(field: &Value, value: &Value) -> Vec<String> {
    match (field["type"].as_str().unwrap_or(""), value) {
        ("tagger", Value::String(tag)) => vec![tag.to_lowercase()],
        ("multiselect", Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_lowercase)
            .collect(),
        ("checkbox", Value::Bool(true)) => field["tag"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(|t| vec![t.to_lowercase()])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Reads the new option list, assigning ids to new options; returns it with the (old id ->
/// old value) pairs that changed or disappeared.
pub fn read_options(
    tx: &mut dyn Writer,
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
            None => tx.next_ids("option", 1)?,
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
