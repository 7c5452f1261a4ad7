//! Views: what a create, update and delete do, and how a view's conditions select tickets. The
//! conditions (`all`: every one must hold; `any`: at least one, when there are any) are checked
//! when the view is saved and compiled to list filters over the ticket columns the sandbox
//! indexes (status, priority, type, assignee, requester, submitter, group, organization, tags,
//! hours since created or updated) when it runs, so a view's tickets are one indexed list query.
//! A condition on anything else is refused when the view is saved, naming what is supported,
//! rather than matching every ticket.

use serde_json::{Map, Value, json};

use super::restriction;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::resources::input::{as_id, opt_bool, opt_str, tag_list};
use crate::resources::required_text;
use crate::store::{Bind, Filter, Reader, Table, Writer};
use crate::util::{iso, now};

/// The condition fields a view may use, with the operators each takes.
const CONDITIONS: &[(&str, &[&str])] = &[
    ("status", &["is", "is_not", "less_than", "greater_than"]),
    ("priority", &["is", "is_not", "less_than", "greater_than"]),
    ("type", &["is", "is_not"]),
    ("assignee_id", &["is", "is_not"]),
    ("requester_id", &["is", "is_not"]),
    ("submitter_id", &["is", "is_not"]),
    ("group_id", &["is", "is_not"]),
    ("organization_id", &["is", "is_not"]),
    ("current_tags", &["includes", "not_includes"]),
    // Hours since the ticket was created (Zendesk's `NEW`) or last updated.
    ("NEW", &["is", "less_than", "greater_than"]),
    ("updated_at", &["is", "less_than", "greater_than"]),
];

/// Fields one of which an `all` condition must test (as Zendesk requires).
const ANCHORS: &[&str] = &["status", "type", "group_id", "assignee_id", "requester_id"];

/// The columns a view may show, by id, with their titles.
const COLUMNS: &[(&str, &str)] = &[
    ("nice_id", "ID"),
    ("description", "Subject"),
    ("status", "Status"),
    ("priority", "Priority"),
    ("type", "Type"),
    ("requester", "Requester"),
    ("assignee", "Assignee"),
    ("group", "Group"),
    ("organization", "Organization"),
    ("submitter", "Submitter"),
    ("created", "Requested"),
    ("updated", "Updated"),
    ("due_date", "Due Date"),
];

/// The columns a view may sort by, with the ticket column behind each.
const SORTS: &[(&str, &str)] = &[
    ("nice_id", "id"),
    ("status", "status_rank"),
    ("priority", "priority_rank"),
    ("created", "created_at"),
    ("updated", "updated_at"),
];

const DEFAULT_COLUMNS: &[&str] = &["status", "description", "requester", "created", "assignee"];

fn bad(field: &str, detail: impl Into<String>) -> ApiError {
    ApiError::invalid(field, detail, "InvalidValue")
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Checks one condition and returns it as stored (`value` as Zendesk keeps it, a string).
fn check_condition(tx: &mut dyn Reader, condition: &Value) -> Result<Value, ApiError> {
    let (Some(field), Some(operator)) = (
        condition.get("field").and_then(Value::as_str),
        condition.get("operator").and_then(Value::as_str),
    ) else {
        return Err(bad(
            "conditions",
            format!(
                "Conditions: each needs a field, an operator and a value, such as {{\"field\": \"status\", \"operator\": \"less_than\", \"value\": \"solved\"}}; got {condition}"
            ),
        ));
    };
    let Some((_, operators)) = CONDITIONS.iter().find(|(name, _)| *name == field) else {
        let supported: Vec<&str> = CONDITIONS.iter().map(|(name, _)| *name).collect();
        return Err(bad(
            "conditions",
            format!(
                "Conditions: the sandbox does not select tickets by `{field}`; use one of {}",
                supported.join(", ")
            ),
        ));
    };
    if !operators.contains(&operator) {
        return Err(bad(
            "conditions",
            format!(
                "Conditions: `{field}` takes the operators {}, not `{operator}`",
                operators.join(", ")
            ),
        ));
    }
    let raw = condition.get("value").cloned().unwrap_or(Value::Null);
    let value = match field {
        "status" => one_of(field, &raw, zendesk_types::TicketStatus::KNOWN, false)?,
        "priority" => one_of(field, &raw, zendesk_types::TicketPriority::KNOWN, true)?,
        "type" => one_of(field, &raw, zendesk_types::TicketType::KNOWN, true)?,
        "current_tags" => {
            let tags = tag_list(&raw, "conditions")?;
            if tags.is_empty() {
                return Err(bad(
                    "conditions",
                    "Conditions: current_tags needs at least one tag",
                ));
            }
            tags.join(" ")
        }
        "NEW" | "updated_at" => {
            let hours = text_of(&raw);
            if hours.parse::<u32>().is_err() {
                return Err(bad(
                    "conditions",
                    format!("Conditions: `{field}` counts hours, such as \"24\"; got {raw}"),
                ));
            }
            hours
        }
        _ => {
            let text = text_of(&raw);
            let special = match field {
                "assignee_id" | "requester_id" | "submitter_id" => text == "current_user",
                "group_id" => text == "current_groups",
                _ => false,
            };
            if !text.is_empty() && !special {
                let id = as_id(&json!(text)).ok_or_else(|| {
                    bad(
                        "conditions",
                        format!("Conditions: `{field}` takes an id (or \"\" for none); got {raw}"),
                    )
                })?;
                let table = match field {
                    "group_id" => Table::Groups,
                    "organization_id" => Table::Organizations,
                    _ => Table::Users,
                };
                crate::resources::check_ref(tx, "conditions", "Conditions", table, Some(id))?;
            }
            text
        }
    };
    Ok(json!({"field": field, "operator": operator, "value": value}))
}

fn one_of(field: &str, raw: &Value, allowed: &[&str], blank: bool) -> Result<String, ApiError> {
    let text = text_of(raw).to_lowercase();
    if (blank && text.is_empty()) || allowed.contains(&text.as_str()) {
        Ok(text)
    } else {
        Err(bad(
            "conditions",
            format!(
                "Conditions: `{field}` `{raw}` is not valid; use one of {}",
                allowed.join(", ")
            ),
        ))
    }
}

fn conditions_of(value: Option<&Value>, key: &str) -> Result<Option<Vec<Value>>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(other) => Err(bad(
            "conditions",
            format!("Conditions: `{key}` must be an array of conditions, got {other}"),
        )),
    }
}

/// A view's checked conditions: (`all`, `any`).
type Conditions = (Vec<Value>, Vec<Value>);

/// `all` and `any` from the input: top level (as Zendesk takes them) or under `conditions`.
fn read_conditions(
    tx: &mut dyn Reader,
    input: &Map<String, Value>,
) -> Result<Option<Conditions>, ApiError> {
    let nested = input.get("conditions").and_then(Value::as_object);
    let all = conditions_of(
        input
            .get("all")
            .or_else(|| nested.and_then(|c| c.get("all"))),
        "all",
    )?;
    let any = conditions_of(
        input
            .get("any")
            .or_else(|| nested.and_then(|c| c.get("any"))),
        "any",
    )?;
    if all.is_none() && any.is_none() {
        return Ok(None);
    }
    let all = all
        .unwrap_or_default()
        .iter()
        .map(|c| check_condition(tx, c))
        .collect::<Result<Vec<_>, _>>()?;
    let any = any
        .unwrap_or_default()
        .iter()
        .map(|c| check_condition(tx, c))
        .collect::<Result<Vec<_>, _>>()?;
    if !all
        .iter()
        .any(|c| ANCHORS.contains(&c["field"].as_str().unwrap_or_default()))
    {
        return Err(ApiError::invalid(
            "all",
            format!(
                "All: give at least one condition on {} (such as {{\"field\": \"status\", \"operator\": \"less_than\", \"value\": \"solved\"}})",
                ANCHORS.join(", ")
            ),
            "BlankValue",
        ));
    }
    Ok(Some((all, any)))
}

fn column_title(tx: &mut dyn Reader, id: &Value) -> Result<Value, ApiError> {
    if let Some(field) = as_id(id).filter(|_| !id.is_string() || text_of(id).parse::<i64>().is_ok())
    {
        let Some(record) = tx.record(Table::TicketFields, field)? else {
            return Err(bad(
                "output",
                format!("Output: no ticket field has id {field} (a column)"),
            ));
        };
        return Ok(json!({"id": field, "title": record["title"], "type": record["type"]}));
    }
    let name = text_of(id);
    match COLUMNS.iter().find(|(column, _)| *column == name) {
        Some((column, title)) => Ok(json!({"id": column, "title": title})),
        None => Err(bad(
            "output",
            format!(
                "Output: `{name}` is not a column; use one of {} or a ticket field id",
                COLUMNS
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

fn order(value: Option<&Value>, field: &str) -> Result<Option<String>, ApiError> {
    match value.map(text_of).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(order) if order == "asc" || order == "desc" => Ok(Some(order)),
        Some(order) => Err(bad(
            "output",
            format!("Output: {field} must be \"asc\" or \"desc\", got `{order}`"),
        )),
    }
}

/// The view's `execution` from `output` ({columns, sort_by, sort_order, group_by, group_order}).
fn execution(
    tx: &mut dyn Reader,
    output: Option<&Map<String, Value>>,
    current: &Value,
) -> Result<Value, ApiError> {
    let get = |key: &str| output.and_then(|o| o.get(key)).filter(|v| !v.is_null());
    let columns: Vec<Value> = match get("columns") {
        Some(Value::Array(ids)) if ids.len() <= 10 => ids
            .iter()
            .map(|id| column_title(tx, id))
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(bad(
                "output",
                format!("Output: columns must be an array of at most 10 column ids, got {other}"),
            ));
        }
        None => match current["columns"].as_array() {
            Some(columns) => columns.clone(),
            None => DEFAULT_COLUMNS
                .iter()
                .map(|id| column_title(tx, &json!(id)))
                .collect::<Result<_, _>>()?,
        },
    };
    let sort_by = match get("sort_by").map(text_of) {
        Some(sort) => {
            if !SORTS.iter().any(|(name, _)| *name == sort) {
                return Err(bad(
                    "output",
                    format!(
                        "Output: the sandbox sorts views by {}, not `{sort}`",
                        SORTS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
            sort
        }
        None => current["sort_by"].as_str().unwrap_or("nice_id").to_string(),
    };
    let sort_order = order(get("sort_order"), "sort_order")?
        .or_else(|| current["sort_order"].as_str().map(str::to_string))
        .unwrap_or_else(|| "asc".into());
    let group_by = match get("group_by") {
        Some(group) => {
            let title = column_title(tx, group)?;
            Some(title["id"].clone())
        }
        None => current.get("group_by").cloned().filter(|v| !v.is_null()),
    };
    let group_order = order(get("group_order"), "group_order")?
        .or_else(|| current["group_order"].as_str().map(str::to_string))
        .unwrap_or_else(|| "asc".into());
    let title = |id: &str| {
        COLUMNS
            .iter()
            .find(|(c, _)| *c == id)
            .map(|(_, t)| *t)
            .unwrap_or(id)
            .to_string()
    };
    let group = group_by
        .as_ref()
        .map(|id| json!({"id": id, "title": title(&text_of(id)), "order": group_order}));
    Ok(json!({
        "group_by": group_by, "group_order": group_order, "sort_by": sort_by,
        "sort_order": sort_order, "group": group,
        "sort": {"id": sort_by, "title": title(&sort_by), "order": sort_order},
        "columns": columns, "fields": columns, "custom_fields": []
    }))
}

fn apply_input(
    tx: &mut dyn Writer,
    caller: &Caller,
    record: &mut Value,
    input: &Map<String, Value>,
    creating: bool,
) -> Result<(), ApiError> {
    if let Some(title) = required_text(input, "title", creating)? {
        record["title"] = json!(title.trim());
        record["raw_title"] = json!(title.trim());
    }
    if let Some(description) = opt_str(input, "description")? {
        record["description"] = json!(description);
    }
    if let Some(active) = opt_bool(input, "active")? {
        record["active"] = json!(active);
    }
    if let Some(position) = input.get("position").filter(|v| !v.is_null()) {
        let position = as_id(position).filter(|p| *p >= 0).ok_or_else(|| {
            bad(
                "position",
                format!("Position: must be a whole number, got {position}"),
            )
        })?;
        record["position"] = json!(position);
    }
    match read_conditions(tx, input)? {
        Some((all, any)) => record["conditions"] = json!({"all": all, "any": any}),
        None if creating => {
            return Err(ApiError::invalid(
                "all",
                "All: cannot be blank; give conditions such as [{\"field\": \"status\", \"operator\": \"less_than\", \"value\": \"solved\"}]",
                "BlankValue",
            ));
        }
        None => {}
    }
    let output = match input.get("output") {
        None | Some(Value::Null) => None,
        Some(Value::Object(output)) => Some(output),
        Some(other) => {
            return Err(bad(
                "output",
                format!(
                    "Output: must be an object such as {{\"columns\": [\"status\"]}}, got {other}"
                ),
            ));
        }
    };
    if creating || output.is_some() {
        let current = record["execution"].clone();
        record["execution"] = execution(tx, output, &current)?;
    }
    if let Some(restriction) = restriction::read(tx, caller, input, creating)? {
        record["restriction"] = restriction;
    }
    Ok(())
}

pub fn create(
    tx: &mut dyn Writer,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let at = iso(now());
    let id = tx.allocate_id(Table::Views)?;
    let mut record = json!({
        "id": id, "title": "", "raw_title": "", "description": null, "active": true,
        "position": 9999, "default": false, "restriction": null,
        "conditions": {"all": [], "any": []}, "execution": {},
        "created_at": at, "updated_at": at
    });
    apply_input(tx, caller, &mut record, input, true)?;
    tx.save(Table::Views, &record)?;
    Ok(record)
}

/// One view `caller` may see, or 404.
pub fn visible(tx: &mut dyn Reader, caller: &Caller, id: i64) -> Result<Value, ApiError> {
    restriction::fetch_visible(tx, caller, Table::Views, id)
}

pub fn update(
    tx: &mut dyn Writer,
    caller: &Caller,
    id: i64,
    input: &Map<String, Value>,
) -> Result<Value, ApiError> {
    caller.require_agent()?;
    let mut record = visible(tx, caller, id)?;
    restriction::check_owner(caller, &record, "view")?;
    apply_input(tx, caller, &mut record, input, false)?;
    record["updated_at"] = json!(iso(now()));
    tx.save(Table::Views, &record)?;
    Ok(record)
}

pub fn delete(tx: &mut dyn Writer, caller: &Caller, id: i64) -> Result<(), ApiError> {
    restriction::delete(tx, caller, Table::Views, "view", id)
}

/// What a view selects for `caller`: its conditions as ticket list filters (`current_user` and
/// `current_groups` are the caller's), and its order: the sort's name (for cursors), the ticket
/// column behind it, and the direction.
pub struct Selection {
    pub filters: Vec<Filter>,
    pub sort_name: String,
    pub sort_column: &'static str,
    pub descending: bool,
}

fn condition_filter(
    condition: &Value,
    caller: &Caller,
    groups: &[i64],
    now: i64,
) -> Option<Filter> {
    let field = condition["field"].as_str()?;
    let operator = condition["operator"].as_str()?;
    let value = condition["value"].as_str().unwrap_or_default();
    let negate = |filter: Filter| match operator {
        "is_not" | "not_includes" => Filter::Not(Box::new(filter)),
        _ => filter,
    };
    let filter = match field {
        "status" | "priority" => {
            let (column, rank_column, rank) = if field == "status" {
                ("status", "status_rank", crate::store::status_rank(value))
            } else {
                (
                    "priority",
                    "priority_rank",
                    crate::store::priority_rank(Some(value).filter(|v| !v.is_empty())),
                )
            };
            match operator {
                "less_than" => Filter::Lt(rank_column, Bind::Int(rank)),
                "greater_than" => Filter::Gt(rank_column, Bind::Int(rank)),
                "is" if value.is_empty() => Filter::Null(column),
                "is" => Filter::Eq(column, Bind::Text(value.into())),
                _ if value.is_empty() => Filter::NotNull(column),
                _ => Filter::Ne(column, Bind::Text(value.into())),
            }
        }
        "type" => match (operator, value.is_empty()) {
            ("is", true) => Filter::Null("ticket_type"),
            ("is", false) => Filter::Eq("ticket_type", Bind::Text(value.into())),
            (_, true) => Filter::NotNull("ticket_type"),
            (_, false) => Filter::Ne("ticket_type", Bind::Text(value.into())),
        },
        "current_tags" => negate(Filter::TicketTags(
            value.split_whitespace().map(str::to_string).collect(),
        )),
        "NEW" | "updated_at" => {
            let column = if field == "NEW" {
                "created_at"
            } else {
                "updated_at"
            };
            let hours: i64 = value.parse().unwrap_or_default();
            // "More than N hours ago" is a time before now - N hours.
            let edge = now - hours * 3600;
            match operator {
                "less_than" => Filter::Gt(column, Bind::Int(edge)),
                "greater_than" => Filter::Lt(column, Bind::Int(edge)),
                _ => Filter::All(vec![
                    Filter::Lt(column, Bind::Int(edge + 1)),
                    Filter::Gt(column, Bind::Int(edge - 3600)),
                ]),
            }
        }
        column => {
            let column: &'static str = match column {
                "assignee_id" => "assignee_id",
                "requester_id" => "requester_id",
                "submitter_id" => "submitter_id",
                "group_id" => "group_id",
                _ => "organization_id",
            };
            let ids: Option<Vec<Bind>> = match value {
                "" => None,
                "current_user" => Some(vec![Bind::Int(caller.id)]),
                "current_groups" => Some(groups.iter().map(|g| Bind::Int(*g)).collect()),
                id => Some(vec![Bind::Int(id.parse().unwrap_or_default())]),
            };
            match (operator, ids) {
                ("is", None) => Filter::Null(column),
                ("is", Some(ids)) => Filter::In(column, ids),
                (_, None) => Filter::NotNull(column),
                (_, Some(ids)) => Filter::NotIn(column, ids),
            }
        }
    };
    Some(filter)
}

/// The tickets a view selects for `caller`, and in what order.
pub fn selection(
    tx: &mut dyn Reader,
    caller: &Caller,
    view: &Value,
) -> Result<Selection, ApiError> {
    let groups = restriction::groups_of(tx, caller.id)?;
    let at = now();
    let compile = |key: &str| -> Vec<Filter> {
        view["conditions"][key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| condition_filter(c, caller, &groups, at))
            .collect()
    };
    let mut filters = compile("all");
    let any = compile("any");
    if !any.is_empty() {
        filters.push(Filter::Any(any));
    }
    let sort_by = view["execution"]["sort_by"].as_str().unwrap_or("nice_id");
    let (name, column) = SORTS
        .iter()
        .find(|(name, _)| *name == sort_by)
        .copied()
        .unwrap_or(("nice_id", "id"));
    let descending = view["execution"]["sort_order"] == "desc";
    Ok(Selection {
        filters,
        sort_name: format!("view:{name}{}", if descending { ":desc" } else { "" }),
        sort_column: column,
        descending,
    })
}

/// A ticket as one row of an executed view: the ticket's main fields, then each column's value.
pub fn row(view: &Value, ticket: &Value) -> Value {
    let mut row = Map::new();
    row.insert(
        "ticket".into(),
        json!({
            "id": ticket["id"], "subject": ticket["subject"], "description": ticket["description"],
            "status": ticket["status"], "type": ticket["type"], "priority": ticket["priority"],
            "requester_id": ticket["requester_id"], "assignee_id": ticket["assignee_id"],
            "group_id": ticket["group_id"], "created_at": ticket["created_at"],
            "updated_at": ticket["updated_at"]
        }),
    );
    for column in view["execution"]["columns"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (key, value) = match &column["id"] {
            Value::Number(field) => {
                let value = ticket["custom_fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|f| f["id"].as_i64() == field.as_i64())
                    .map(|f| f["value"].clone())
                    .unwrap_or(Value::Null);
                (field.to_string(), value)
            }
            Value::String(id) => match id.as_str() {
                "nice_id" => ("ticket_id".into(), ticket["id"].clone()),
                "description" => ("subject".into(), ticket["subject"].clone()),
                "requester" => ("requester_id".into(), ticket["requester_id"].clone()),
                "assignee" => ("assignee_id".into(), ticket["assignee_id"].clone()),
                "group" => ("group_id".into(), ticket["group_id"].clone()),
                "organization" => ("organization_id".into(), ticket["organization_id"].clone()),
                "submitter" => ("submitter_id".into(), ticket["submitter_id"].clone()),
                "created" => ("created".into(), ticket["created_at"].clone()),
                "updated" => ("updated".into(), ticket["updated_at"].clone()),
                "due_date" => ("due_date".into(), ticket["due_at"].clone()),
                other => (other.to_string(), ticket[other].clone()),
            },
            _ => continue,
        };
        row.insert(key, value);
    }
    row.insert("group".into(), Value::Null);
    Value::Object(row)
}
