//! Readers for the loosely typed JSON that clients send in request bodies (ids as numbers or
//! strings, `"true"` for true, tags as an array or one string). Each refuses a value of the
//! wrong shape with a 422 naming the field and the expected form.

use serde_json::{Map, Value};

use crate::error::ApiError;

pub use crate::util::as_id;

/// `assignee_id` -> `Assignee id`: how Zendesk names a field at the start of a message.
pub fn label(field: &str) -> String {
    let mut chars = field.chars();
    match chars.next() {
        Some(c) => c
            .to_uppercase()
            .chain(chars)
            .collect::<String>()
            .replace('_', " "),
        None => String::new(),
    }
}

/// An optional id field: absent -> None; null or "" -> Some(None); not an id -> 422.
pub fn opt_id(obj: &Map<String, Value>, field: &str) -> Result<Option<Option<i64>>, ApiError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
        Some(v) => match as_id(v) {
            Some(id) => Ok(Some(Some(id))),
            None => Err(ApiError::invalid(
                field,
                format!("{field}: must be a numeric id such as 12345, got {v}"),
                "InvalidValue",
            )),
        },
    }
}

/// An optional string field: absent -> None, null -> Some(None).
pub fn opt_str(obj: &Map<String, Value>, field: &str) -> Result<Option<Option<String>>, ApiError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(Value::Number(n)) => Ok(Some(Some(n.to_string()))),
        Some(v) => Err(ApiError::invalid(
            field,
            format!("{field}: must be a string, got {v}"),
            "InvalidValue",
        )),
    }
}

/// An optional boolean field (accepts "true"/"false" strings, as clients send them).
pub fn opt_bool(obj: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(v) => Err(ApiError::invalid(
            field,
            format!("{field}: must be true or false, got {v}"),
            "InvalidValue",
        )),
    }
}

/// A list of ids (`collaborator_ids`): absent/null -> None; anything but an array of ids -> 422.
pub fn id_list(input: &Map<String, Value>, field: &str) -> Result<Option<Vec<i64>>, ApiError> {
    match input.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                as_id(v).ok_or_else(|| {
                    ApiError::invalid(
                        field,
                        format!("{field}: every entry must be a numeric id, got {v}"),
                        "InvalidValue",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(ApiError::invalid(
            field,
            format!("{field}: must be an array of numeric ids, got {other}"),
            "InvalidValue",
        )),
    }
}

/// A tag list: an array of strings or one space/comma-separated string. Tags are lowercased and
/// spaces become separators, as Zendesk stores them.
pub fn tag_list(value: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    let mut raw: Vec<String> = Vec::new();
    match value {
        Value::Null => {}
        Value::String(s) => raw.push(s.clone()),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) => raw.push(s.clone()),
                    Value::Number(n) => raw.push(n.to_string()),
                    other => {
                        return Err(ApiError::invalid(
                            field,
                            format!("{field}: every tag must be a string, got {other}"),
                            "InvalidValue",
                        ));
                    }
                }
            }
        }
        other => {
            return Err(ApiError::invalid(
                field,
                format!("{field}: must be an array of strings, got {other}"),
                "InvalidValue",
            ));
        }
    }
    let mut tags: Vec<String> = Vec::new();
    for chunk in raw {
        for tag in chunk.split(|c: char| c.is_whitespace() || c == ',') {
            let tag = tag.trim().to_lowercase();
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    Ok(tags)
}

/// `due_at` -> `Some(Some(ts))`, null -> `Some(None)`; a text that is not a date -> 422.
pub fn opt_time(input: &Map<String, Value>, field: &str) -> Result<Option<Option<i64>>, ApiError> {
    match opt_str(input, field)? {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(text)) if text.trim().is_empty() => Ok(Some(None)),
        Some(Some(text)) => match crate::util::parse_time(text.trim()) {
            Some(t) => Ok(Some(Some(t))),
            None => Err(ApiError::invalid(
                field,
                format!(
                    "{}: `{text}` is not a date; use ISO 8601 such as 2024-05-01T12:00:00Z",
                    label(field)
                ),
                "InvalidValue",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_come_as_numbers_or_digit_strings() {
        let input = json!({"a": 5, "b": "6", "c": null, "d": "", "e": "x"});
        let input = input.as_object().unwrap();
        assert_eq!(opt_id(input, "a").unwrap(), Some(Some(5)));
        assert_eq!(opt_id(input, "b").unwrap(), Some(Some(6)));
        assert_eq!(opt_id(input, "c").unwrap(), Some(None));
        assert_eq!(opt_id(input, "d").unwrap(), Some(None));
        assert_eq!(opt_id(input, "missing").unwrap(), None);
        assert!(opt_id(input, "e").is_err());
    }

    #[test]
    fn tags_are_lowercased_split_and_deduplicated() {
        assert_eq!(
            tag_list(&json!(["VIP", "a b", "vip"]), "tags").unwrap(),
            vec!["vip", "a", "b"]
        );
        assert_eq!(tag_list(&json!("x,y"), "tags").unwrap(), vec!["x", "y"]);
        assert!(tag_list(&json!({"a": 1}), "tags").is_err());
    }
}
