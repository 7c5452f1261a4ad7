//! Response shapes: what Zendesk's JSON promises a client, independent of the data.
//!
//! A recorded value becomes a [`Shape`]: the kinds of its values and, for objects, the keys it
//! has. The elements of an array merge into one shape (keys every element has; a key that was
//! `null` in some element is nullable), so a list of different records still yields the keys a
//! client may rely on. Event lists merge per event `type` (and `field_name` for field events)
//! and search results per `result_type`, since those elements are different records by design. A sandbox value then matches when it
//! has every key the shape has, with compatible kinds; it may have more.
//!
//! The sandbox's data differs from the recorded accounts' (an unassigned ticket, a user who
//! never logged in), so a `null` where Zendesk sent a value is accepted when Zendesk itself sent
//! `null` at that place somewhere in its recordings ([`NullEvidence`]), and flagged otherwise.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Only `null` was seen: anything is allowed.
    Unknown,
    /// Different kinds were seen (an event's `value`): anything is allowed.
    Any,
    Bool,
    Number,
    String,
    /// `opaque` objects are keyed by data (field keys), so only their kind is checked.
    Object {
        keys: BTreeMap<String, Shape>,
        opaque: bool,
    },
    /// Element shapes by discriminator (`""` when the list has none); empty when only empty
    /// lists were seen.
    Array(BTreeMap<String, Shape>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub kind: Kind,
    pub nullable: bool,
}

/// Objects whose keys are the account's own field keys, not part of the API's shape.
const OPAQUE_KEYS: &[&str] = &["user_fields", "organization_fields", "custom"];

/// The key that tells the elements of a list apart, by the list's key.
fn discriminator(list_key: &str) -> Option<&'static str> {
    match list_key {
        "events" => Some("type"),
        "results" => Some("result_type"),
        _ => None,
    }
}

fn tag(element: &Value, list_key: &str) -> String {
    let tag = discriminator(list_key)
        .and_then(|k| element.get(k))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    // A field event's `value` takes the field's kind (a list for `tags`, a string for
    // `subject`): such events are told apart by field too.
    match element.get("field_name").and_then(Value::as_str) {
        Some(field) if list_key == "events" => format!("{tag}:{field}"),
        _ => tag,
    }
}

impl Shape {
    /// The shape of a recorded value found under `key` (the key names opaque maps and lists).
    pub fn of(value: &Value, key: &str) -> Shape {
        let kind = match value {
            Value::Null => {
                return Shape {
                    kind: Kind::Unknown,
                    nullable: true,
                };
            }
            Value::Bool(_) => Kind::Bool,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Object(map) => Kind::Object {
                opaque: OPAQUE_KEYS.contains(&key),
                keys: map
                    .iter()
                    .map(|(k, v)| (k.clone(), Shape::of(v, k)))
                    .collect(),
            },
            Value::Array(items) => {
                let mut by_tag: BTreeMap<String, Shape> = BTreeMap::new();
                for item in items {
                    let shape = Shape::of(item, key);
                    let tag = tag(item, key);
                    let merged = match by_tag.remove(&tag) {
                        Some(seen) => seen.merge(shape),
                        None => shape,
                    };
                    by_tag.insert(tag, merged);
                }
                Kind::Array(by_tag)
            }
        };
        Shape {
            kind,
            nullable: false,
        }
    }

    /// Two observations of the same place: the keys both have, the kinds both allow.
    pub fn merge(self, other: Shape) -> Shape {
        let nullable = self.nullable || other.nullable;
        let kind = match (self.kind, other.kind) {
            (Kind::Unknown, k) | (k, Kind::Unknown) => k,
            (Kind::Any, _) | (_, Kind::Any) => Kind::Any,
            (
                Kind::Object {
                    keys: mut a,
                    opaque: oa,
                },
                Kind::Object {
                    keys: mut b,
                    opaque: ob,
                },
            ) => {
                let common: Vec<String> =
                    a.keys().filter(|k| b.contains_key(*k)).cloned().collect();
                let keys = common
                    .into_iter()
                    .filter_map(|k| {
                        let (x, y) = (a.remove(&k)?, b.remove(&k)?);
                        Some((k, x.merge(y)))
                    })
                    .collect();
                Kind::Object {
                    keys,
                    opaque: oa || ob,
                }
            }
            (Kind::Array(mut a), Kind::Array(b)) => {
                for (tag, shape) in b {
                    let merged = match a.remove(&tag) {
                        Some(seen) => seen.merge(shape),
                        None => shape,
                    };
                    a.insert(tag, merged);
                }
                Kind::Array(a)
            }
            (a, b) if a == b => a,
            _ => Kind::Any,
        };
        Shape { kind, nullable }
    }

    /// Every way `actual` (the sandbox's value at `path`) falls short of this shape.
    pub fn check(
        &self,
        actual: &Value,
        path: &str,
        key: &str,
        nulls: &NullEvidence,
        diffs: &mut BTreeSet<String>,
    ) {
        if actual.is_null() {
            if !self.nullable
                && !matches!(self.kind, Kind::Unknown | Kind::Any)
                && !nulls.allows(path)
            {
                diffs.insert(format!(
                    "{path}: Zendesk sent {}, sandbox sent null",
                    self.describe()
                ));
            }
            return;
        }
        let mismatch = |diffs: &mut BTreeSet<String>| {
            diffs.insert(format!(
                "{path}: Zendesk sent {}, sandbox sent {}",
                self.describe(),
                describe_value(actual)
            ));
        };
        match &self.kind {
            Kind::Unknown | Kind::Any => {}
            Kind::Bool => {
                if !actual.is_boolean() {
                    mismatch(diffs);
                }
            }
            Kind::Number => {
                if !actual.is_number() {
                    mismatch(diffs);
                }
            }
            Kind::String => {
                if !actual.is_string() {
                    mismatch(diffs);
                }
            }
            Kind::Object { keys, opaque } => {
                let Some(map) = actual.as_object() else {
                    return mismatch(diffs);
                };
                if *opaque {
                    return;
                }
                for (k, shape) in keys {
                    let here = format!("{path}.{k}");
                    match map.get(k) {
                        Some(v) => shape.check(v, &here, k, nulls, diffs),
                        None => {
                            diffs.insert(format!("{here}: missing"));
                        }
                    }
                }
            }
            Kind::Array(by_tag) => {
                let Some(items) = actual.as_array() else {
                    return mismatch(diffs);
                };
                for item in items {
                    let t = tag(item, key);
                    if let Some(shape) = by_tag.get(&t) {
                        let here = if t.is_empty() {
                            format!("{path}[]")
                        } else {
                            format!("{path}[{t}]")
                        };
                        shape.check(item, &here, key, nulls, diffs);
                    }
                }
            }
        }
    }

    fn describe(&self) -> &'static str {
        match self.kind {
            Kind::Unknown | Kind::Any => "anything",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Object { .. } => "an object",
            Kind::Array(_) => "a list",
        }
    }
}

fn describe_value(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Object(_) => "an object",
        Value::Array(_) => "a list",
    }
}

/// Compares a whole response body: the same top-level keys (no more, no fewer), the same
/// `error` code, non-empty record lists where Zendesk's were, then the shapes beneath.
pub fn compare_bodies(recorded: &Value, actual: &Value, nulls: &NullEvidence) -> BTreeSet<String> {
    let mut diffs = BTreeSet::new();
    match (recorded.as_object(), actual.as_object()) {
        (Some(rec), Some(act)) => {
            for key in rec.keys().filter(|k| !act.contains_key(*k)) {
                diffs.insert(format!("{key}: missing top-level key"));
            }
            for key in act.keys().filter(|k| !rec.contains_key(*k)) {
                diffs.insert(format!("{key}: unexpected top-level key"));
            }
            if let (Some(code), Some(got)) = (rec.get("error"), act.get("error"))
                && code.is_string()
                && code != got
            {
                diffs.insert(format!("error: Zendesk sent {code}, sandbox sent {got}"));
            }
            for (key, value) in rec {
                let Some(got) = act.get(key) else { continue };
                if let (Some(r), Some(a)) = (value.as_array(), got.as_array())
                    && !r.is_empty()
                    && a.is_empty()
                {
                    diffs.insert(format!(
                        "{key}: Zendesk listed records, sandbox listed none"
                    ));
                }
                Shape::of(value, key).check(got, key, key, nulls, &mut diffs);
            }
        }
        _ => Shape::of(recorded, "").check(actual, "body", "", nulls, &mut diffs),
    }
    diffs
}

/// The places where Zendesk's recorded answers hold `null` somewhere, as normalised paths
/// (`ticket.assignee_id` for `tickets[].assignee_id` too).
#[derive(Debug, Default)]
pub struct NullEvidence {
    paths: HashSet<String>,
}

impl NullEvidence {
    /// Notes every `null` in a recorded response body.
    pub fn observe(&mut self, body: &Value) {
        if let Some(map) = body.as_object() {
            for (key, value) in map {
                self.walk(value, key);
            }
        }
    }

    fn walk(&mut self, value: &Value, path: &str) {
        match value {
            Value::Null => {
                self.paths.insert(normalize(path));
            }
            Value::Object(map) => {
                for (k, v) in map {
                    self.walk(v, &format!("{path}.{k}"));
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.walk(item, &format!("{path}[]"));
                }
            }
            _ => {}
        }
    }

    /// Zendesk sent `null` at this place (in some recording).
    pub fn allows(&self, path: &str) -> bool {
        self.paths.contains(&normalize(path))
    }
}

/// `tickets[].via.source` and `ticket.via.source` name the same place: list markers go, and a
/// top-level list key becomes its record's key.
fn normalize(path: &str) -> String {
    let mut plain = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let (head, rest) = match plain.split_once('.') {
        Some((h, r)) => (h.to_string(), format!(".{r}")),
        None => (plain.clone(), String::new()),
    };
    let head = match head.as_str() {
        "tickets" | "deleted_tickets" => "ticket",
        "users" => "user",
        "organizations" => "organization",
        "groups" => "group",
        "organization_fields" => "organization_field",
        "job_statuses" => "job_status",
        "results" => "result",
        other => other,
    };
    format!("{head}{rest}")
}
