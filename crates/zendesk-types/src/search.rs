//! Search results: `/search` and `/search/export` return records of several kinds in one
//! `results` list, each tagged by `result_type`. Kinds this crate does not model (articles,
//! macros...) are kept whole in `SearchResult::Other`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::audit::{from_map, to_tagged_map};
use crate::group::Group;
use crate::organization::Organization;
use crate::ticket::Ticket;
use crate::user::User;

/// One entry of a search's `results`, by its `result_type`.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchResult {
    Ticket(Box<Ticket>),
    User(Box<User>),
    Organization(Box<Organization>),
    Group(Box<Group>),
    /// Any other `result_type`, kept whole, `result_type` included.
    Other(Map<String, Value>),
}

impl SearchResult {
    /// The `result_type` as Zendesk writes it.
    pub fn result_type(&self) -> &str {
        match self {
            Self::Ticket(_) => "ticket",
            Self::User(_) => "user",
            Self::Organization(_) => "organization",
            Self::Group(_) => "group",
            Self::Other(map) => map.get("result_type").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

impl<'de> Deserialize<'de> for SearchResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(deserializer)?;
        let tag = match map.get("result_type") {
            Some(Value::String(s)) => s.clone(),
            _ => return Ok(Self::Other(map)),
        };
        let known = matches!(tag.as_str(), "ticket" | "user" | "organization" | "group");
        if !known {
            return Ok(Self::Other(map));
        }
        map.remove("result_type");
        match tag.as_str() {
            "ticket" => from_map(map, "ticket result").map(|t| Self::Ticket(Box::new(t))),
            "user" => from_map(map, "user result").map(|u| Self::User(Box::new(u))),
            "organization" => {
                from_map(map, "organization result").map(|o| Self::Organization(Box::new(o)))
            }
            _ => from_map(map, "group result").map(|g| Self::Group(Box::new(g))),
        }
    }
}

impl Serialize for SearchResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let tag = self.result_type();
        match self {
            Self::Ticket(t) => {
                to_tagged_map::<_, S::Error>(t, "result_type", tag)?.serialize(serializer)
            }
            Self::User(u) => {
                to_tagged_map::<_, S::Error>(u, "result_type", tag)?.serialize(serializer)
            }
            Self::Organization(o) => {
                to_tagged_map::<_, S::Error>(o, "result_type", tag)?.serialize(serializer)
            }
            Self::Group(g) => {
                to_tagged_map::<_, S::Error>(g, "result_type", tag)?.serialize(serializer)
            }
            Self::Other(map) => map.serialize(serializer),
        }
    }
}

/// The body of `GET /search/count`: `{"count": N}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchCount {
    pub count: u64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
