//! Argument checking, shared by every tool: the arguments object is held to the tool's
//! declaration (unknown names and missing required params refused), and typed accessors turn the
//! spec's string params into what Zendesk expects (IDs as numbers, enums, comma lists, JSON),
//! each refusing bad input with a message that names the param and shows the expected form.
//! Pure: nothing here does I/O.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::ToolError;
use crate::hints;
use crate::spec::{FilledBy, ParamForm, ToolSpec};

use zendesk::{ListRequest, Paging};
use zendesk_types::limits::{MAX_BULK_ITEMS as BULK_LIMIT, MAX_PAGE_SIZE};

/// One argument as the caller sent it. Strings are the spec's form; numbers and booleans are
/// accepted in their string form, and JSON params may also arrive already parsed.
#[derive(Debug, Clone)]
enum Raw {
    Text(String),
    Json(Value),
}

#[derive(Debug)]
pub(crate) struct Params<'s> {
    values: BTreeMap<&'static str, Raw>,
    /// The tool's declaration: what each param takes, which record keys they fill, what
    /// `fields` may ask for.
    spec: &'s ToolSpec,
}

/// Quotes a caller's value for an error message, cut short so a huge input cannot flood it.
pub(crate) fn shown(value: &str) -> String {
    const MAX: usize = 60;
    if value.chars().count() <= MAX {
        format!("{value:?}")
    } else {
        let cut: String = value.chars().take(MAX).collect();
        format!("{cut:?}...")
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses one positive decimal ID; `None` when it is not one.
pub(crate) fn parse_id(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().filter(|id| *id > 0)
}

impl<'s> Params<'s> {
    /// Holds `args` to the declaration: an object whose keys are declared params; empty strings
    /// and nulls count as absent; every required param the caller must give is present.
    pub fn parse(spec: &'s ToolSpec, args: Value) -> Result<Params<'s>, ToolError> {
        let object = match args {
            Value::Null => serde_json::Map::new(),
            Value::Object(object) => object,
            other => {
                return Err(ToolError::invalid(format!(
                    "arguments for {} must be a JSON object of string params such as {{\"{}\": \"...\"}}, not {}",
                    spec.id,
                    spec.params
                        .iter()
                        .find(|p| p.filled_by == FilledBy::Model)
                        .map_or("subdomain", |p| p.name),
                    json_kind(&other)
                )));
            }
        };
        let mut values = BTreeMap::new();
        for (key, value) in object {
            let Some(param) = spec.param(&key) else {
                return Err(ToolError::invalid(format!(
                    "unknown param {} for {}; valid params are: {}",
                    shown(&key),
                    spec.id,
                    spec.param_names().join(", ")
                )));
            };
            let raw = match value {
                Value::Null => continue,
                Value::String(text) if text.trim().is_empty() => continue,
                Value::String(text) => Raw::Text(text),
                Value::Number(number) => Raw::Text(number.to_string()),
                Value::Bool(flag) => Raw::Text(flag.to_string()),
                other => Raw::Json(other),
            };
            values.insert(param.name, raw);
        }
        let missing: Vec<String> = spec
            .params
            .iter()
            .filter(|p| p.required && p.filled_by == FilledBy::Model)
            .filter(|p| !values.contains_key(p.name))
            .map(|p| format!("{} ({})", p.name, p.description))
            .collect();
        if !missing.is_empty() {
            return Err(ToolError::invalid(format!(
                "missing required param{} for {}: {}",
                if missing.len() == 1 { "" } else { "s" },
                spec.id,
                missing.join("; ")
            )));
        }
        Ok(Params { values, spec })
    }

    /// The optional params a caller chooses (for "give at least one of ..." messages).
    pub fn optional_names(&self) -> Vec<&'static str> {
        self.spec
            .params
            .iter()
            .filter(|p| !p.required && p.filled_by == FilledBy::Model)
            .map(|p| p.name)
            .collect()
    }

    /// Whether the caller gave this param (a non-empty value).
    pub fn given(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// A plain string param, as given (not trimmed: subjects and comments keep their text).
    pub fn text(&self, name: &str) -> Result<Option<&str>, ToolError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(Raw::Text(text)) => Ok(Some(text)),
            Some(Raw::Json(value)) => Err(ToolError::invalid(format!(
                "{name} must be a string, not {}",
                json_kind(value)
            ))),
        }
    }

    pub fn required_text(&self, name: &str) -> Result<&str, ToolError> {
        self.text(name)?
            .ok_or_else(|| ToolError::invalid(format!("{name} is required")))
    }

    /// An ID param: a positive decimal integer in a string, sent on as a number.
    pub fn id(&self, name: &str) -> Result<Option<u64>, ToolError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        parse_id(text).map(Some).ok_or_else(|| {
            ToolError::invalid(format!(
                "{name} must be a numeric string such as \"12345\" (got {}){}",
                shown(text),
                finder_hint(name)
            ))
        })
    }

    pub fn required_id(&self, name: &str) -> Result<u64, ToolError> {
        self.id(name)?.ok_or_else(|| {
            ToolError::invalid(format!(
                "{name} is required: a numeric string such as \"12345\"{}",
                finder_hint(name)
            ))
        })
    }

    /// One of the values the param declares (`ParamForm::OneOf`), ignoring case and surrounding
    /// spaces; returns the canonical spelling.
    pub fn choice(&self, name: &str) -> Result<Option<&'static str>, ToolError> {
        match self.spec.param(name).map(|param| param.form) {
            Some(ParamForm::OneOf(allowed)) => self.one_of(name, allowed),
            _ => Err(ToolError::invalid(format!(
                "internal error: {name} declares no closed set of values"
            ))),
        }
    }

    /// One of `allowed`, ignoring case and surrounding spaces; returns the canonical spelling.
    pub fn one_of(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, ToolError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        let wanted = text.trim();
        allowed
            .iter()
            .find(|value| value.eq_ignore_ascii_case(wanted))
            .copied()
            .map(Some)
            .ok_or_else(|| {
                ToolError::invalid(format!(
                    "{name} must be one of {} (got {})",
                    allowed
                        .iter()
                        .map(|v| format!("\"{v}\""))
                        .collect::<Vec<_>>()
                        .join(", "),
                    shown(text)
                ))
            })
    }

    /// A list param: a comma-separated string (split on `,`), or a JSON array of strings or
    /// numbers; items trimmed, empties dropped. `None` when nothing is left. A string that
    /// starts with `[` is a JSON array written as text (`"[\"vip\", \"export\"]"`): it is read
    /// as one, or refused, never split on its commas (which would store `["vip"` as a tag).
    pub fn list(&self, name: &str) -> Result<Option<Vec<String>>, ToolError> {
        let items: Vec<String> = match self.values.get(name) {
            None => return Ok(None),
            Some(Raw::Text(text)) if text.trim_start().starts_with('[') => {
                match serde_json::from_str::<Value>(text.trim()) {
                    Ok(Value::Array(items)) => list_items(name, &items)?,
                    _ => {
                        return Err(ToolError::invalid(format!(
                            "{name} starts with [ but is not a JSON array ({}); send a JSON array such as [\"a\", \"b\"], or a comma-separated string such as \"a, b\"",
                            shown(text)
                        )));
                    }
                }
            }
            Some(Raw::Text(text)) => text.split(',').map(|item| item.trim().to_owned()).collect(),
            Some(Raw::Json(Value::Array(items))) => list_items(name, items)?,
            Some(Raw::Json(other)) => {
                return Err(ToolError::invalid(format!(
                    "{name} must be a comma-separated string such as \"a, b\" or a JSON array of strings, not {}",
                    json_kind(other)
                )));
            }
        };
        let items: Vec<String> = items.into_iter().filter(|item| !item.is_empty()).collect();
        Ok(if items.is_empty() { None } else { Some(items) })
    }

    /// Writes every given param that declares the record key it fills (`sets`) into `record`,
    /// read by its form: an ID or a number as a number, a flag as a boolean, one of a closed
    /// set in its canonical spelling, a list as an array, JSON as the object given, text
    /// trimmed. Params a tool shapes itself declare no `sets`.
    pub fn fill(&self, record: &mut serde_json::Map<String, Value>) -> Result<(), ToolError> {
        for param in &self.spec.params {
            let Some(key) = param.sets else { continue };
            let value = match param.form {
                ParamForm::Text => self.text(param.name)?.map(|text| Value::from(text.trim())),
                ParamForm::Id => self.id(param.name)?.map(Value::from),
                ParamForm::Number => self
                    .number_in(param.name, 0..=u64::from(u32::MAX))?
                    .map(Value::from),
                ParamForm::Json => self
                    .json_object(param.name, param.example.unwrap_or(r#"{"key": "value"}"#))?
                    .map(Value::Object),
                ParamForm::OneOf(_) if param.form.is_flag() => {
                    self.boolean(param.name)?.map(Value::from)
                }
                ParamForm::OneOf(_) => self.choice(param.name)?.map(Value::from),
                ParamForm::List => self
                    .list(param.name)?
                    .map(|items| Value::Array(items.into_iter().map(Value::from).collect())),
            };
            if let Some(value) = value {
                record.insert(key.to_owned(), value);
            }
        }
        Ok(())
    }

    /// `fields`: the top-level keys to keep in each record the tool answers with (its first
    /// output's keys); `id` is always kept. An unknown key is refused, naming the one meant.
    pub fn fields(&self) -> Result<Option<Vec<&'static str>>, ToolError> {
        self.fields_in(&self.spec.record_keys())
    }

    /// The top-level keys of the records the tool answers with, as its declaration lists them.
    pub fn record_keys(&self) -> Vec<&'static str> {
        self.spec.record_keys()
    }

    /// `fields`, each one of `valid` (for a tool whose records depend on another param, such as
    /// a search's `filterType`).
    pub fn fields_in(
        &self,
        valid: &[&'static str],
    ) -> Result<Option<Vec<&'static str>>, ToolError> {
        let Some(names) = self.list("fields")? else {
            return Ok(None);
        };
        let mut kept = vec!["id"];
        for name in &names {
            let Some(found) = valid.iter().find(|v| v.eq_ignore_ascii_case(name)) else {
                let hint = match hints::meant(name, valid) {
                    Some(meant) => format!("did you mean \"{meant}\"? "),
                    None => String::new(),
                };
                return Err(ToolError::invalid(format!(
                    "fields: {} is not a key of these records; {hint}valid keys are: {}",
                    shown(name),
                    valid.join(", ")
                )));
            };
            if !kept.contains(found) {
                kept.push(found);
            }
        }
        Ok(Some(kept))
    }

    /// A comma-separated list of IDs, each a positive number, at most `BULK_LIMIT` of them.
    pub fn id_list(&self, name: &str) -> Result<Option<Vec<u64>>, ToolError> {
        let Some(items) = self.list(name)? else {
            return Ok(None);
        };
        let mut ids = Vec::with_capacity(items.len());
        for item in &items {
            let id = parse_id(item).ok_or_else(|| {
                ToolError::invalid(format!(
                    "{name} must be comma-separated numeric IDs such as \"111, 222, 333\"; {} is not a positive number{}",
                    shown(item),
                    finder_hint(name)
                ))
            })?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        check_bulk_size(name, ids.len())?;
        Ok(Some(ids))
    }

    pub fn required_id_list(&self, name: &str) -> Result<Vec<u64>, ToolError> {
        self.id_list(name)?.ok_or_else(|| {
            ToolError::invalid(format!(
                "{name} is required: comma-separated numeric IDs such as \"111, 222, 333\""
            ))
        })
    }

    /// A JSON param, parsed; a syntax error is refused with the parser's message, which
    /// carries the line and column.
    pub fn json(&self, name: &str, example: &str) -> Result<Option<Value>, ToolError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(Raw::Json(value)) => Ok(Some(value.clone())),
            Some(Raw::Text(text)) => {
                serde_json::from_str::<Value>(text)
                    .map(Some)
                    .map_err(|error| {
                        ToolError::invalid(format!(
                            "{name} is not valid JSON: {error}. Send JSON such as {example}"
                        ))
                    })
            }
        }
    }

    /// A JSON object param (custom fields).
    pub fn json_object(
        &self,
        name: &str,
        example: &str,
    ) -> Result<Option<serde_json::Map<String, Value>>, ToolError> {
        match self.json(name, example)? {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(ToolError::invalid(format!(
                "{name} must be a JSON object such as {example}, not {}",
                json_kind(&other)
            ))),
        }
    }

    /// A JSON array of objects (bulk inputs), at most `BULK_LIMIT` items, refused before
    /// anything is sent.
    pub fn json_objects(
        &self,
        name: &str,
        example: &str,
    ) -> Result<Option<Vec<serde_json::Map<String, Value>>>, ToolError> {
        let items = match self.json(name, example)? {
            None => return Ok(None),
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(ToolError::invalid(format!(
                    "{name} must be a JSON array of objects such as {example}, not {}",
                    json_kind(&other)
                )));
            }
        };
        if items.is_empty() {
            return Err(ToolError::invalid(format!(
                "{name} is an empty array; send at least one object, e.g. {example}"
            )));
        }
        check_bulk_size(name, items.len())?;
        items
            .into_iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::Object(map) => Ok(map),
                other => Err(ToolError::invalid(format!(
                    "{name}[{index}] must be a JSON object, not {}; send an array such as {example}",
                    json_kind(&other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    pub fn required_json_objects(
        &self,
        name: &str,
        example: &str,
    ) -> Result<Vec<serde_json::Map<String, Value>>, ToolError> {
        self.json_objects(name, example)?.ok_or_else(|| {
            ToolError::invalid(format!(
                "{name} is required: a JSON array such as {example}"
            ))
        })
    }

    /// Bulk records (`tickets`, `users`, ...) whose keys must all be keys Zendesk takes on that
    /// record (`writable`): Zendesk drops any other key silently, so a `requesterId` would file
    /// the ticket under the caller. The refusal names the key Zendesk expects.
    pub fn required_records(
        &self,
        name: &str,
        example: &str,
        record: &str,
        writable: &[&'static str],
    ) -> Result<Vec<serde_json::Map<String, Value>>, ToolError> {
        let items = self.required_json_objects(name, example)?;
        let a = if record.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        for (index, item) in items.iter().enumerate() {
            for key in item.keys() {
                if writable.contains(&key.as_str()) {
                    continue;
                }
                let instead = match (hints::instead_of(record, key), hints::meant(key, writable)) {
                    (Some(instead), _) => instead.to_owned(),
                    (None, Some(meant)) => format!("use \"{meant}\""),
                    (None, None) => {
                        format!(
                            "keys Zendesk takes on {a} {record}: {}",
                            writable.join(", ")
                        )
                    }
                };
                return Err(ToolError::invalid(format!(
                    "{name}[{index}] has the key {}, which Zendesk does not take on {a} {record} and would drop silently; {instead}",
                    shown(key)
                )));
            }
        }
        Ok(items)
    }

    /// A whole number param within `range`.
    pub fn number_in(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Option<u64>, ToolError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        let trimmed = text.trim();
        trimmed
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n) && trimmed.bytes().all(|b| b.is_ascii_digit()))
            .map(Some)
            .ok_or_else(|| {
                ToolError::invalid(format!(
                    "{name} must be a whole number from {} to {} (got {})",
                    range.start(),
                    range.end(),
                    shown(text)
                ))
            })
    }

    /// `perPage`: 1..=100 (Zendesk's page size limit), default 100.
    pub fn per_page(&self) -> Result<u32, ToolError> {
        let max = MAX_PAGE_SIZE as u64;
        let per_page = self.number_in("perPage", 1..=max)?.unwrap_or(max);
        Ok(per_page as u32)
    }

    /// `page` (offset paging): 1-based.
    pub fn page(&self) -> Result<Option<u32>, ToolError> {
        Ok(self
            .number_in("page", 1..=u64::from(u32::MAX))?
            .map(|page| page as u32))
    }

    /// A list with the caller's paging: `perPage`, then `pageAfter` (a cursor, passed on as
    /// given: Zendesk judges it) on cursor lists or `page` on offset lists.
    pub fn paged<T, C>(&self, list: ListRequest<T, C>) -> Result<ListRequest<T, C>, ToolError> {
        let list = list.per_page(self.per_page()?);
        Ok(match list.paging() {
            Paging::Cursor => match self.text("pageAfter")? {
                Some(cursor) => list.after(cursor.trim()),
                None => list,
            },
            Paging::Offset => match self.page()? {
                Some(page) => list.page(page),
                None => list,
            },
        })
    }

    /// `"true"` or `"false"`, ignoring case and surrounding spaces.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ToolError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            _ => Err(ToolError::invalid(format!(
                "{name} must be \"true\" or \"false\" (got {})",
                shown(text)
            ))),
        }
    }
}

/// The items of a JSON array list: strings (trimmed) or numbers.
fn list_items(name: &str, items: &[Value]) -> Result<Vec<String>, ToolError> {
    items
        .iter()
        .map(|item| match item {
            Value::String(text) => Ok(text.trim().to_owned()),
            Value::Number(number) => Ok(number.to_string()),
            other => Err(ToolError::invalid(format!(
                "{name} must be a comma-separated string such as \"a, b\" or a JSON array of strings such as [\"a\", \"b\"]; an item is {}",
                json_kind(other)
            ))),
        })
        .collect()
}

/// `; find a group's id with zendesk_get_groups` for an ID param, or nothing.
fn finder_hint(name: &str) -> String {
    hints::finder(name)
        .map(|hint| format!("; {hint}"))
        .unwrap_or_default()
}

/// Refuses a bulk input over Zendesk's per-request limit, before anything is sent.
pub(crate) fn check_bulk_size(name: &str, count: usize) -> Result<(), ToolError> {
    if count > BULK_LIMIT {
        return Err(ToolError::invalid(format!(
            "{name} has {count} items; at most {BULK_LIMIT} are allowed per call. Split them into batches of {BULK_LIMIT} or fewer"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::registry;
    use serde_json::json;

    fn params(tool: &str, args: Value) -> Result<Params<'static>, ToolError> {
        let tool = registry().get(tool).expect("tool is registered");
        Params::parse(&tool.spec, args)
    }

    #[test]
    fn ids_must_be_positive_decimals() {
        for bad in [
            "abc",
            "12a",
            "-5",
            "0",
            "1.5",
            "0x10",
            "99999999999999999999999",
        ] {
            let p = params("zendesk_get_ticket", json!({ "ticketId": bad })).unwrap();
            let error = p.required_id("ticketId").unwrap_err().message;
            assert!(
                error.starts_with("ticketId must be a numeric string such as \"12345\""),
                "{bad}: {error}"
            );
        }
        let p = params("zendesk_get_ticket", json!({ "ticketId": " 42 " })).unwrap();
        assert_eq!(p.required_id("ticketId").unwrap(), 42);
        let p = params("zendesk_get_ticket", json!({ "ticketId": 42 })).unwrap();
        assert_eq!(p.required_id("ticketId").unwrap(), 42);
    }

    #[test]
    fn unknown_and_missing_params_are_refused_by_name() {
        let error = params("zendesk_get_ticket", json!({ "ticket": "1" })).unwrap_err();
        assert!(
            error.message.contains("unknown param \"ticket\""),
            "{}",
            error.message
        );
        assert!(error.message.contains("ticketId"), "{}", error.message);
        let error = params("zendesk_get_ticket", json!({ "ticketId": "  " })).unwrap_err();
        assert!(
            error.message.contains("missing required param"),
            "{}",
            error.message
        );
        assert!(error.message.contains("ticketId"), "{}", error.message);
        let error = params("zendesk_get_ticket", json!(["1"])).unwrap_err();
        assert!(
            error.message.contains("must be a JSON object"),
            "{}",
            error.message
        );
    }

    #[test]
    fn enums_ignore_case_and_spaces() {
        let p = params("zendesk_get_tickets", json!({ "status": " OPEN " })).unwrap();
        assert_eq!(p.choice("status").unwrap(), Some("open"));
        let p = params("zendesk_get_tickets", json!({ "status": "opened" })).unwrap();
        let error = p.choice("status").unwrap_err().message;
        assert_eq!(
            error,
            "status must be one of \"new\", \"open\", \"pending\", \"hold\", \"solved\", \"closed\" (got \"opened\")"
        );
    }

    #[test]
    fn comma_lists_are_split_trimmed_and_empties_dropped() {
        let p = params(
            "zendesk_create_ticket",
            json!({ "description": "x", "tags": " a, ,b ,, c " }),
        )
        .unwrap();
        assert_eq!(p.list("tags").unwrap().unwrap(), vec!["a", "b", "c"]);
        let p = params(
            "zendesk_create_ticket",
            json!({ "description": "x", "tags": " , " }),
        )
        .unwrap();
        assert_eq!(p.list("tags").unwrap(), None);
        // A JSON array works too, the way IDs may be numbers.
        let p = params(
            "zendesk_create_ticket",
            json!({ "description": "x", "tags": [" a", "", "b"] }),
        )
        .unwrap();
        assert_eq!(p.list("tags").unwrap().unwrap(), vec!["a", "b"]);
        let p = params(
            "zendesk_update_tickets_bulk",
            json!({ "ticketIds": [1, "2"] }),
        )
        .unwrap();
        assert_eq!(p.required_id_list("ticketIds").unwrap(), vec![1, 2]);
        let p = params(
            "zendesk_create_ticket",
            json!({ "description": "x", "tags": [["a"]] }),
        )
        .unwrap();
        let error = p.list("tags").unwrap_err().message;
        assert!(error.contains("an item is an array"), "{error}");
    }

    /// A model that writes an array as text gets the array, never tags such as `["vip"`.
    #[test]
    fn a_json_array_written_as_a_string_is_read_as_one_or_refused() {
        let p = params(
            "zendesk_create_ticket",
            json!({ "description": "x", "tags": "[\"vip\", \"export\"]" }),
        )
        .unwrap();
        assert_eq!(p.list("tags").unwrap().unwrap(), vec!["vip", "export"]);
        let p = params(
            "zendesk_update_tickets_bulk",
            json!({ "ticketIds": " [1, \"2\"]" }),
        )
        .unwrap();
        assert_eq!(p.required_id_list("ticketIds").unwrap(), vec![1, 2]);
        for broken in ["[\"vip\", \"export\"", "[vip, export]", "[{\"a\": 1}]"] {
            let p = params(
                "zendesk_create_ticket",
                json!({ "description": "x", "tags": broken }),
            )
            .unwrap();
            let error = p.list("tags").unwrap_err().message;
            assert!(error.starts_with("tags "), "{broken}: {error}");
            assert!(error.contains("JSON array"), "{broken}: {error}");
        }
    }

    #[test]
    fn id_lists_refuse_bad_items_and_more_than_a_hundred() {
        let p = params(
            "zendesk_update_tickets_bulk",
            json!({ "ticketIds": "1, x, 3" }),
        )
        .unwrap();
        let error = p.required_id_list("ticketIds").unwrap_err().message;
        assert!(error.contains("\"x\" is not a positive number"), "{error}");
        let many: Vec<String> = (1..=101).map(|n| n.to_string()).collect();
        let p = params(
            "zendesk_update_tickets_bulk",
            json!({ "ticketIds": many.join(",") }),
        )
        .unwrap();
        let error = p.required_id_list("ticketIds").unwrap_err().message;
        assert!(error.contains("101 items; at most 100"), "{error}");
    }

    #[test]
    fn json_errors_carry_line_and_column() {
        let p = params(
            "zendesk_create_ticket",
            json!({ "description": "x", "customFields": "{\"1\": \n \"a\",}" }),
        )
        .unwrap();
        let error = p.json_object("customFields", "{}").unwrap_err().message;
        assert!(
            error.starts_with("customFields is not valid JSON:"),
            "{error}"
        );
        assert!(error.contains("line 2 column"), "{error}");
        let p = params("zendesk_create_tickets_bulk", json!({ "tickets": "[1]" })).unwrap();
        let error = p
            .required_json_objects("tickets", "[]")
            .unwrap_err()
            .message;
        assert!(
            error.starts_with("tickets[0] must be a JSON object, not a number"),
            "{error}"
        );
    }

    #[test]
    fn per_page_is_one_to_a_hundred_defaulting_to_a_hundred() {
        let p = params("zendesk_get_tickets", json!({})).unwrap();
        assert_eq!(p.per_page().unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", "1e2"] {
            let p = params("zendesk_get_tickets", json!({ "perPage": bad })).unwrap();
            let error = p.per_page().unwrap_err().message;
            assert!(
                error.starts_with("perPage must be a whole number from 1 to 100"),
                "{error}"
            );
        }
        let p = params("zendesk_get_tickets", json!({ "perPage": "25" })).unwrap();
        assert_eq!(p.per_page().unwrap(), 25);
    }

    #[test]
    fn long_values_are_cut_short_in_messages() {
        let long = "x".repeat(500);
        assert!(shown(&long).len() < 80);
    }
}
