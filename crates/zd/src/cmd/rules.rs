//! `zd triggers` and `zd automations`: the business rules Zendesk runs by itself (triggers on
//! every ticket change, automations hourly on time). List, show, create, update and delete, on
//! the typed client. A rule is written as JSON (`--json FILE|-`) or with flags: `--when "FIELD
//! OPERATOR [VALUE]"` for each condition, `--action "FIELD=VALUE"` for each action.
//!
//! Zendesk replaces a rule's conditions and actions together whenever an update sends either,
//! so an update that changes only one of them sends the other as it stands: nothing is dropped
//! by accident.

use std::process::ExitCode;
use std::str::FromStr;

use futures_util::StreamExt;
use serde_json::{Map, Value, json};
use zendesk::{Client, ListRequest};
use zendesk_types::{AutomationId, ConditionOperator, TriggerCategoryId, TriggerId};

use crate::cmd::client::{self, failed, read_json_object};
use crate::cmd::common::{self, Session, usage_error};

/// Which rules a command works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Trigger,
    Automation,
}

impl RuleKind {
    fn one(self) -> &'static str {
        match self {
            RuleKind::Trigger => "trigger",
            RuleKind::Automation => "automation",
        }
    }

    fn many(self) -> &'static str {
        match self {
            RuleKind::Trigger => "triggers",
            RuleKind::Automation => "automations",
        }
    }

    fn title(self) -> &'static str {
        match self {
            RuleKind::Trigger => "Trigger",
            RuleKind::Automation => "Automation",
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// List them in firing order, active and inactive.
    List {
        /// Only active ones (the ones that run).
        #[arg(long, conflicts_with = "inactive")]
        active: bool,
        /// Only inactive ones.
        #[arg(long)]
        inactive: bool,
        /// Only those whose title holds these words.
        #[arg(long)]
        query: Option<String>,
        /// Only the triggers of this category (triggers only).
        #[arg(long)]
        category: Option<String>,
        /// Fetch every page.
        #[arg(long)]
        all: bool,
        /// Print Zendesk's JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one: its conditions and what it does.
    Show {
        /// The ID, e.g. 25.
        id: String,
        /// Print Zendesk's JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create one from JSON and/or flags; it is active unless `--active false`.
    Create(RuleFlags),
    /// Change one: the fields given change, the rest stays.
    Update {
        /// The ID, e.g. 25.
        id: String,
        #[command(flatten)]
        flags: RuleFlags,
    },
    /// Delete one or several (several: one bulk request, all or none).
    Delete {
        /// The IDs, e.g. 25 26.
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

#[derive(clap::Args)]
struct RuleFlags {
    /// The rule as JSON: a file, or `-` for stdin (`{"title", "conditions": {"all": [...],
    /// "any": [...]}, "actions": [...]}`, wrapped in its key or not). Flags change it further.
    #[arg(long, value_name = "FILE|-")]
    json: Option<String>,
    /// Its title.
    #[arg(long)]
    title: Option<String>,
    /// Its description (triggers only).
    #[arg(long)]
    description: Option<String>,
    /// Whether it runs: true or false.
    #[arg(long, value_name = "BOOL")]
    active: Option<bool>,
    /// Its place in the firing order.
    #[arg(long)]
    position: Option<i64>,
    /// The category it sits in (triggers only).
    #[arg(long)]
    category: Option<String>,
    /// A condition that must hold, "FIELD OPERATOR [VALUE]" such as "priority is urgent" or
    /// "status changed" (repeatable; replaces the rule's "all" conditions).
    #[arg(long = "when", value_name = "CONDITION")]
    when_all: Vec<String>,
    /// A condition of which at least one must hold, as --when (repeatable; replaces the rule's
    /// "any" conditions).
    #[arg(long = "when-any", value_name = "CONDITION")]
    when_any: Vec<String>,
    /// What it does, "FIELD=VALUE" such as "status=solved" or
    /// 'notification_webhook=["01HANAN7NVBM93Z21ZGCXESV8X", "{\"id\": \"{{ticket.id}}\"}"]'
    /// (a value starting with [ or { is JSON; repeatable; replaces the rule's actions).
    #[arg(long = "action", value_name = "FIELD=VALUE")]
    actions: Vec<String>,
    /// Print Zendesk's answer as JSON instead of a summary.
    #[arg(long)]
    print_json: bool,
}

pub async fn run(kind: RuleKind, args: Args) -> ExitCode {
    let session = match Session::open(true).await {
        Ok(session) => session,
        Err(code) => return code,
    };
    let outcome = match client::client(&session) {
        Ok(client) => match args.command {
            Command::List {
                active,
                inactive,
                query,
                category,
                all,
                json,
            } => {
                let filter = ListFilter {
                    active,
                    inactive,
                    query,
                    category,
                };
                list(&client, kind, filter, all, json).await
            }
            Command::Show { id, json } => show(&client, kind, &id, json).await,
            Command::Create(flags) => create(&client, kind, flags).await,
            Command::Update { id, flags } => update(&client, kind, &id, flags).await,
            Command::Delete { ids } => delete(&client, kind, &ids).await,
        },
        Err(code) => Err(code),
    };
    session.close().await;
    outcome.err().unwrap_or(ExitCode::SUCCESS)
}

struct ListFilter {
    active: bool,
    inactive: bool,
    query: Option<String>,
    category: Option<String>,
}

fn list_request(
    client: &Client,
    kind: RuleKind,
    filter: &ListFilter,
) -> Result<ListRequest<Value>, ExitCode> {
    let category = match (&filter.category, kind) {
        (None, _) => None,
        (Some(_), RuleKind::Automation) => {
            return Err(usage_error("--category: automations have no categories"));
        }
        (Some(raw), RuleKind::Trigger) => Some(
            TriggerCategoryId::from_str(raw)
                .map_err(|error| usage_error(&format!("--category: {error}")))?,
        ),
    };
    let mut list = match (kind, &filter.query) {
        (RuleKind::Trigger, Some(query)) => client.triggers().search(query).raw(),
        (RuleKind::Automation, Some(query)) => client.automations().search(query).raw(),
        (RuleKind::Trigger, None) if filter.active => client.triggers().active().raw(),
        (RuleKind::Automation, None) if filter.active => client.automations().active().raw(),
        (RuleKind::Trigger, None) => match &category {
            Some(category) => client.triggers().list().in_category(category).raw(),
            None => client.triggers().list().raw(),
        },
        (RuleKind::Automation, None) => client.automations().list().raw(),
    };
    if filter.query.is_some() && filter.active {
        list = list.param("active", "true");
    }
    if filter.inactive {
        list = list.param("active", "false");
    }
    if let (Some(category), true) = (&category, filter.query.is_some() || filter.active) {
        list = list.param("category_id", category.as_str());
    }
    Ok(list)
}

async fn list(
    client: &Client,
    kind: RuleKind,
    filter: ListFilter,
    all: bool,
    json: bool,
) -> Result<(), ExitCode> {
    let list = list_request(client, kind, &filter)?;
    let spinner = all.then(|| common::paging_spinner(kind.many()));
    let mut pages = std::pin::pin!(list.pages().into_stream());
    let mut items = Vec::new();
    let mut has_more = false;
    while let Some(page) = pages.next().await {
        let page = page.map_err(failed)?;
        items.extend(page.items);
        has_more = page.has_more;
        if let Some(spinner) = &spinner {
            spinner.set_message(format!("fetched {} {}", items.len(), kind.many()));
            spinner.tick();
        }
        if !all {
            break;
        }
    }
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    common::print_list(kind.many(), &items, has_more, json, |rules| {
        table(kind, rules)
    });
    Ok(())
}

fn table(kind: RuleKind, rules: &[Value]) {
    let rows: Vec<Vec<String>> = rules
        .iter()
        .map(|rule| {
            let mut row = vec![
                common::cell(&rule["id"]),
                state(rule).to_owned(),
                common::cell(&rule["position"]),
            ];
            if kind == RuleKind::Trigger {
                row.push(common::cell(&rule["category_id"]));
            }
            row.push(common::clip(&common::cell(&rule["title"]), 40));
            row.push(common::clip(&actions_text(rule, " "), 60));
            row
        })
        .collect();
    let header: &[&str] = match kind {
        RuleKind::Trigger => &["ID", "STATE", "POSITION", "CATEGORY", "TITLE", "DOES"],
        RuleKind::Automation => &["ID", "STATE", "POSITION", "TITLE", "DOES"],
    };
    common::print_table(header, &rows);
}

fn state(rule: &Value) -> &'static str {
    if rule["active"] == Value::Bool(true) {
        "active"
    } else {
        "inactive"
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn actions_text(rule: &Value, separator: &str) -> String {
    rule["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|action| {
            format!(
                "{}={}",
                value_text(&action["field"]),
                value_text(&action["value"])
            )
        })
        .collect::<Vec<_>>()
        .join(separator)
}

fn condition_text(condition: &Value) -> String {
    let mut text = format!(
        "{} {}",
        value_text(&condition["field"]),
        value_text(&condition["operator"])
    );
    let value = value_text(&condition["value"]);
    if !value.is_empty() {
        text.push(' ');
        text.push_str(&value);
    }
    text
}

fn parse_id(kind: RuleKind, raw: &str) -> Result<u64, ExitCode> {
    let parsed = match kind {
        RuleKind::Trigger => TriggerId::from_str(raw).map(TriggerId::get),
        RuleKind::Automation => AutomationId::from_str(raw).map(AutomationId::get),
    };
    parsed.map_err(|error| usage_error(&error.to_string()))
}

async fn fetch(client: &Client, kind: RuleKind, id: u64) -> zendesk::Result<Value> {
    match kind {
        RuleKind::Trigger => client.triggers().show(TriggerId(id)).raw().await,
        RuleKind::Automation => client.automations().show(AutomationId(id)).raw().await,
    }
}

async fn show(client: &Client, kind: RuleKind, id: &str, json: bool) -> Result<(), ExitCode> {
    let id = parse_id(kind, id)?;
    let answer = fetch(client, kind, id).await.map_err(failed)?;
    if json {
        common::print_json(&answer);
        return Ok(());
    }
    describe(kind, &answer[kind.one()]);
    Ok(())
}

/// A rule as a person reads it: title and state, then its conditions and actions.
fn describe(kind: RuleKind, rule: &Value) {
    let mut facts = vec![state(rule).to_owned()];
    if let Some(position) = rule["position"].as_i64() {
        facts.push(format!("position {position}"));
    }
    if !rule["category_id"].is_null() {
        facts.push(format!("category {}", value_text(&rule["category_id"])));
    }
    println!(
        "{} #{} \"{}\" ({})",
        kind.title(),
        common::cell(&rule["id"]),
        value_text(&rule["title"]),
        facts.join(", ")
    );
    if let Some(description) = rule["description"].as_str().filter(|d| !d.is_empty()) {
        println!("  {description}");
    }
    for (group, heading) in [("all", "When all of:"), ("any", "When any of:")] {
        let conditions = rule["conditions"][group]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !conditions.is_empty() {
            println!("{heading}");
            for condition in &conditions {
                println!("  {}", condition_text(condition));
            }
        }
    }
    println!("Then:");
    let actions = rule["actions"].as_array().cloned().unwrap_or_default();
    if actions.is_empty() {
        println!("  nothing");
    }
    for action in &actions {
        println!(
            "  {} = {}",
            value_text(&action["field"]),
            value_text(&action["value"])
        );
    }
}

/// `"priority is urgent"` as `{"field", "operator", "value"}`; the operator must be one
/// Zendesk has, with a value unless it is terminal (`changed`, `present`...).
fn parse_condition(flag: &str, text: &str) -> Result<Value, String> {
    let (field, rest) = first_word(text);
    let (operator, rest) = first_word(rest);
    let (Some(field), Some(operator)) = (field, operator) else {
        return Err(format!(
            "{flag} {text:?}: expected \"FIELD OPERATOR [VALUE]\" such as \"priority is urgent\""
        ));
    };
    let operator =
        ConditionOperator::from_str(operator).map_err(|error| format!("{flag}: {error}"))?;
    let value = Some(rest.trim()).filter(|v| !v.is_empty());
    let mut condition = Map::new();
    condition.insert("field".into(), json!(field));
    condition.insert("operator".into(), json!(operator.as_str()));
    match (value, operator.is_terminal()) {
        (Some(value), false) => {
            condition.insert("value".into(), parse_value(flag, value)?);
        }
        (None, true) => {}
        (Some(value), true) => {
            return Err(format!(
                "{flag} {text:?}: {operator} takes no value (got {value:?})"
            ));
        }
        (None, false) => {
            return Err(format!(
                "{flag} {text:?}: {operator} needs a value, such as \"{field} {operator} urgent\""
            ));
        }
    }
    Ok(Value::Object(condition))
}

/// The first word of `text` and what follows it.
fn first_word(text: &str) -> (Option<&str>, &str) {
    let text = text.trim_start();
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    let (word, rest) = text.split_at(end);
    (Some(word).filter(|w| !w.is_empty()), rest)
}

/// `"status=solved"` as `{"field", "value"}`.
fn parse_action(text: &str) -> Result<Value, String> {
    let Some((field, value)) = text.split_once('=') else {
        return Err(format!(
            "--action {text:?}: expected \"FIELD=VALUE\" such as \"status=solved\""
        ));
    };
    let field = field.trim();
    if field.is_empty() {
        return Err(format!("--action {text:?}: the field before '=' is empty"));
    }
    Ok(json!({"field": field, "value": parse_value("--action", value.trim())?}))
}

/// A value starting with `[` or `{` is JSON (lists of notification parts, tag lists); anything
/// else is text, as Zendesk writes most values.
fn parse_value(flag: &str, value: &str) -> Result<Value, String> {
    if value.starts_with('[') || value.starts_with('{') {
        serde_json::from_str(value)
            .map_err(|error| format!("{flag}: {value:?} starts like JSON but is not ({error})"))
    } else {
        Ok(Value::String(value.to_owned()))
    }
}

/// The body the flags (over `--json`) describe.
fn body(kind: RuleKind, flags: &RuleFlags) -> Result<Map<String, Value>, ExitCode> {
    let mut rule = match &flags.json {
        Some(source) => read_json_object(source, kind.one())?,
        None => Map::new(),
    };
    if kind == RuleKind::Automation {
        for (given, flag) in [
            (flags.description.is_some(), "--description"),
            (flags.category.is_some(), "--category"),
        ] {
            if given {
                return Err(usage_error(&format!(
                    "{flag}: automations have no {}",
                    &flag[2..]
                )));
            }
        }
    }
    if let Some(title) = &flags.title {
        rule.insert("title".into(), json!(title));
    }
    if let Some(description) = &flags.description {
        rule.insert("description".into(), json!(description));
    }
    if let Some(active) = flags.active {
        rule.insert("active".into(), json!(active));
    }
    if let Some(position) = flags.position {
        rule.insert("position".into(), json!(position));
    }
    if let Some(category) = &flags.category {
        let category = TriggerCategoryId::from_str(category)
            .map_err(|error| usage_error(&format!("--category: {error}")))?;
        rule.insert("category_id".into(), json!(category));
    }
    for (group, flag, texts) in [
        ("all", "--when", &flags.when_all),
        ("any", "--when-any", &flags.when_any),
    ] {
        if texts.is_empty() {
            continue;
        }
        let conditions = texts
            .iter()
            .map(|text| parse_condition(flag, text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| usage_error(&message))?;
        let entry = rule
            .entry("conditions")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(groups) = entry else {
            return Err(usage_error(
                "--json: \"conditions\" must be an object {\"all\": [...], \"any\": [...]}",
            ));
        };
        groups.insert(group.into(), Value::Array(conditions));
    }
    if !flags.actions.is_empty() {
        let actions = flags
            .actions
            .iter()
            .map(|text| parse_action(text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| usage_error(&message))?;
        rule.insert("actions".into(), Value::Array(actions));
    }
    Ok(rule)
}

fn summary(kind: RuleKind, verb: &str, answer: &Value, print_json: bool) {
    if print_json {
        common::print_json(answer);
        return;
    }
    let rule = &answer[kind.one()];
    println!(
        "{verb} {} #{} \"{}\" ({})",
        kind.one(),
        common::cell(&rule["id"]),
        value_text(&rule["title"]),
        state(rule)
    );
}

async fn create(client: &Client, kind: RuleKind, flags: RuleFlags) -> Result<(), ExitCode> {
    let rule = body(kind, &flags)?;
    if !rule.contains_key("title") {
        return Err(usage_error(&format!(
            "a {} needs a title: give --title or \"title\" in --json",
            kind.one()
        )));
    }
    let answer = match kind {
        RuleKind::Trigger => client.triggers().create(&rule).raw().await,
        RuleKind::Automation => client.automations().create(&rule).raw().await,
    }
    .map_err(failed)?;
    summary(kind, "Created", &answer, flags.print_json);
    Ok(())
}

async fn update(
    client: &Client,
    kind: RuleKind,
    id: &str,
    flags: RuleFlags,
) -> Result<(), ExitCode> {
    let id = parse_id(kind, id)?;
    let mut changes = body(kind, &flags)?;
    if changes.is_empty() {
        return Err(usage_error(
            "nothing to update: give --json, --title, --description, --active, --position, \
             --category, --when, --when-any or --action",
        ));
    }
    // Zendesk replaces conditions and actions together: keep the half not being changed.
    let has_conditions = changes.contains_key("conditions");
    let has_actions = changes.contains_key("actions");
    let partial_groups = changes
        .get("conditions")
        .and_then(Value::as_object)
        .is_some_and(|groups| !groups.contains_key("all") || !groups.contains_key("any"));
    if has_conditions != has_actions || partial_groups {
        let current = fetch(client, kind, id).await.map_err(failed)?;
        let current = &current[kind.one()];
        if !has_actions {
            changes.insert("actions".into(), current["actions"].clone());
        }
        let stored = current["conditions"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        match changes.get_mut("conditions") {
            Some(Value::Object(groups)) => {
                for (group, conditions) in stored {
                    groups.entry(group).or_insert(conditions);
                }
            }
            Some(_) => {}
            None => {
                changes.insert("conditions".into(), Value::Object(stored));
            }
        }
    }
    let answer = match kind {
        RuleKind::Trigger => {
            client
                .triggers()
                .update(TriggerId(id), &changes)
                .raw()
                .await
        }
        RuleKind::Automation => {
            client
                .automations()
                .update(AutomationId(id), &changes)
                .raw()
                .await
        }
    }
    .map_err(failed)?;
    summary(kind, "Updated", &answer, flags.print_json);
    Ok(())
}

async fn delete(client: &Client, kind: RuleKind, ids: &[String]) -> Result<(), ExitCode> {
    let ids = ids
        .iter()
        .map(|id| parse_id(kind, id))
        .collect::<Result<Vec<_>, _>>()?;
    let outcome = match (kind, ids.as_slice()) {
        (RuleKind::Trigger, [id]) => client.triggers().delete(TriggerId(*id)).await,
        (RuleKind::Automation, [id]) => client.automations().delete(AutomationId(*id)).await,
        (RuleKind::Trigger, _) => {
            let ids: Vec<_> = ids.iter().copied().map(TriggerId).collect();
            client.triggers().destroy_many(&ids).await
        }
        (RuleKind::Automation, _) => {
            let ids: Vec<_> = ids.iter().copied().map(AutomationId).collect();
            client.automations().destroy_many(&ids).await
        }
    };
    outcome.map_err(failed)?;
    let shown: Vec<String> = ids.iter().map(|id| format!("#{id}")).collect();
    println!("Deleted {} {}", plural(kind, ids.len()), shown.join(", "));
    Ok(())
}

fn plural(kind: RuleKind, count: usize) -> &'static str {
    if count == 1 { kind.one() } else { kind.many() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_read_as_zendesk_writes_them() {
        assert_eq!(
            parse_condition("--when", "priority is urgent").unwrap(),
            json!({"field": "priority", "operator": "is", "value": "urgent"})
        );
        assert_eq!(
            parse_condition("--when", " status  changed ").unwrap(),
            json!({"field": "status", "operator": "changed"})
        );
        assert_eq!(
            parse_condition("--when", "comment_includes_word includes refund please").unwrap()["value"],
            "refund please"
        );
        assert_eq!(
            parse_condition("--when", r#"custom_status_id includes ["1", "2"]"#).unwrap()["value"],
            json!(["1", "2"])
        );
        for (bad, says) in [
            ("priority", "FIELD OPERATOR"),
            ("priority nearly urgent", "expected one of"),
            ("priority is", "needs a value"),
            ("status changed open", "takes no value"),
            ("tags includes [oops", "starts like JSON"),
        ] {
            let error = parse_condition("--when", bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn actions_take_text_or_json() {
        assert_eq!(
            parse_action("status=solved").unwrap(),
            json!({"field": "status", "value": "solved"})
        );
        assert_eq!(
            parse_action(r#"notification_webhook=["01HANAN7NVBM93Z21ZGCXESV8X", "{\"id\": 1}"]"#)
                .unwrap()["value"][1],
            "{\"id\": 1}"
        );
        assert_eq!(parse_action("current_tags=a=b").unwrap()["value"], "a=b");
        assert!(parse_action("solved").is_err());
        assert!(parse_action("=solved").is_err());
    }
}
