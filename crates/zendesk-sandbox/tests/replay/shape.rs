//! Response shapes: what Zendesk's JSON promises a client, independent of the data.
//!
//! A recorded value becomes a [`Shape`]: the kinds of its values and, for objects, the keys it
//! has. The elements of an array merge into one shape (keys every element has; a key that was
//! `null` in some element is nullable), so a list of different records still yields the keys a
//! client may rely on. Event lists merge per event `type` and search results per `result_type`,
//! since those elements are different records by design. A sandbox value then matches when it
//! has every key the shape has, with compatible kinds; it may have more.

use std::collections::{BTreeMap, BTreeSet};

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
    discriminator(list_key)
        .and_then(|k| element.get(k))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
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
    pub fn check(&self, actual: &Value, path: &str, key: &str, diffs: &mut BTreeSet<String>) {
        if actual.is_null() {
            if !self.nullable && !matches!(self.kind, Kind::Unknown | Kind::Any) {
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
                        Some(v) => shape.check(v, &here, k, diffs),
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
                        shape.check(item, &here, key, diffs);
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
pub fn compare_bodies(recorded: &Value, actual: &Value) -> BTreeSet<String> {
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
                Shape::of(value, key).check(got, key, key, &mut diffs);
            }
        }
        _ => Shape::of(recorded, "").check(actual, "body", "", &mut diffs),
    }
    diffs
}
