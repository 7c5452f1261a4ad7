//! Response envelopes. Zendesk wraps a record under its singular name (`{"ticket": {...}}`) and
//! a list under its plural name (`{"tickets": [...]}`), with either cursor paging
//! (`meta` + `links`) or offset paging (`next_page`, `previous_page`, `count`). The key is part
//! of the record's type (`RecordKey`, `ListKey`), never guessed at run time; any other top-level
//! key (`facets`, sideloads...) is kept in `extra`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::audit::{Audit, Comment};
use crate::group::{Group, GroupMembership};
use crate::job_status::JobStatus;
use crate::organization::{Organization, OrganizationField};
use crate::search::SearchResult;
use crate::ticket::Ticket;
use crate::ticket_field::TicketField;
use crate::user::User;

/// The key a list of these records sits under: `"tickets"` for `Ticket`.
pub trait ListKey {
    const LIST_KEY: &'static str;
}

/// The key one of these records sits under: `"ticket"` for `Ticket`.
pub trait RecordKey {
    const RECORD_KEY: &'static str;
}

macro_rules! keys {
    ($($ty:ty => $one:literal, $many:literal;)+) => {
        $(
            impl RecordKey for $ty {
                const RECORD_KEY: &'static str = $one;
            }
            impl ListKey for $ty {
                const LIST_KEY: &'static str = $many;
            }
        )+
    };
}

keys! {
    Ticket => "ticket", "tickets";
    User => "user", "users";
    Organization => "organization", "organizations";
    OrganizationField => "organization_field", "organization_fields";
    Group => "group", "groups";
    JobStatus => "job_status", "job_statuses";
    Comment => "comment", "comments";
    Audit => "audit", "audits";
    TicketField => "ticket_field", "ticket_fields";
    GroupMembership => "group_membership", "group_memberships";
}

impl ListKey for SearchResult {
    const LIST_KEY: &'static str = "results";
}

/// `meta` of a cursor page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CursorMeta {
    #[serde(default)]
    pub has_more: bool,
    #[serde(default)]
    pub after_cursor: Option<String>,
    #[serde(default)]
    pub before_cursor: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `links` of a cursor page. On the last page `next` is still a URL: stop on `has_more`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CursorLinks {
    #[serde(default)]
    pub prev: Option<String>,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A cursor-paged list: `{"<list key>": [...], "meta": {...}, "links": {...}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct CursorPage<T> {
    pub items: Vec<T>,
    pub meta: CursorMeta,
    pub links: CursorLinks,
    /// Other top-level keys (`facets` on search export...).
    pub extra: Map<String, Value>,
}

impl<T> CursorPage<T> {
    /// The cursor of the next page, only when Zendesk says there is one: `has_more` true and a
    /// non-empty `after_cursor`. A missing cursor ends paging, so a loop over pages always ends.
    pub fn next_cursor(&self) -> Option<&str> {
        if !self.meta.has_more {
            return None;
        }
        self.meta.after_cursor.as_deref().filter(|c| !c.is_empty())
    }
}

/// An offset-paged list: `{"<list key>": [...], "next_page", "previous_page", "count"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetPage<T> {
    pub items: Vec<T>,
    pub next_page: Option<String>,
    pub previous_page: Option<String>,
    /// The total number of records (all pages); absent on some lists.
    pub count: Option<u64>,
    /// Other top-level keys (`facets` on search...).
    pub extra: Map<String, Value>,
}

/// Either kind of page, told apart by the presence of `meta`; for endpoints that answer with
/// one or the other depending on the parameters sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Page<T> {
    Cursor(CursorPage<T>),
    Offset(OffsetPage<T>),
}

impl<T> Page<T> {
    /// The records of this page.
    pub fn items(&self) -> &[T] {
        match self {
            Self::Cursor(p) => &p.items,
            Self::Offset(p) => &p.items,
        }
    }

    /// Takes the records out.
    pub fn into_items(self) -> Vec<T> {
        match self {
            Self::Cursor(p) => p.items,
            Self::Offset(p) => p.items,
        }
    }
}

/// One record under its singular key: `{"ticket": {...}}`. Other top-level keys are kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Single<T> {
    pub record: T,
    pub extra: Map<String, Value>,
}

/// Every top-level key of a list body, before deciding which envelope it is.
struct RawList<T> {
    items: Option<Vec<T>>,
    meta: Option<CursorMeta>,
    links: Option<CursorLinks>,
    next_page: Option<Option<String>>,
    previous_page: Option<Option<String>>,
    count: Option<Option<u64>>,
    extra: Map<String, Value>,
}

struct RawListVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned + ListKey> Visitor<'de> for RawListVisitor<T> {
    type Value = RawList<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with a {:?} list", T::LIST_KEY)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawList {
            items: None,
            meta: None,
            links: None,
            next_page: None,
            previous_page: None,
            count: None,
            extra: Map::new(),
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == T::LIST_KEY {
                raw.items = Some(map.next_value()?);
                continue;
            }
            match key.as_str() {
                "meta" => raw.meta = Some(map.next_value()?),
                "links" => raw.links = Some(map.next_value()?),
                "next_page" => raw.next_page = Some(map.next_value()?),
                "previous_page" => raw.previous_page = Some(map.next_value()?),
                "count" => raw.count = Some(map.next_value()?),
                _ => {
                    let value: Value = map.next_value()?;
                    raw.extra.insert(key, value);
                }
            }
        }
        Ok(raw)
    }
}

fn raw_list<'de, D: Deserializer<'de>, T: DeserializeOwned + ListKey>(
    deserializer: D,
) -> Result<RawList<T>, D::Error> {
    deserializer.deserialize_map(RawListVisitor(PhantomData))
}

fn keep<V: Serialize, E: de::Error>(
    extra: &mut Map<String, Value>,
    key: &str,
    value: Option<V>,
) -> Result<(), E> {
    if let Some(v) = value {
        extra.insert(key.to_owned(), serde_json::to_value(v).map_err(E::custom)?);
    }
    Ok(())
}

impl<T: ListKey> RawList<T> {
    fn into_cursor<E: de::Error>(mut self) -> Result<CursorPage<T>, E> {
        let items = self.items.ok_or_else(|| E::missing_field(T::LIST_KEY))?;
        let meta = self.meta.ok_or_else(|| E::missing_field("meta"))?;
        keep::<_, E>(&mut self.extra, "next_page", self.next_page)?;
        keep::<_, E>(&mut self.extra, "previous_page", self.previous_page)?;
        keep::<_, E>(&mut self.extra, "count", self.count)?;
        let links = self.links.unwrap_or_default();
        Ok(CursorPage {
            items,
            meta,
            links,
            extra: self.extra,
        })
    }

    fn into_offset<E: de::Error>(mut self) -> Result<OffsetPage<T>, E> {
        let items = self.items.ok_or_else(|| E::missing_field(T::LIST_KEY))?;
        keep::<_, E>(&mut self.extra, "meta", self.meta)?;
        keep::<_, E>(&mut self.extra, "links", self.links)?;
        Ok(OffsetPage {
            items,
            next_page: self.next_page.flatten(),
            previous_page: self.previous_page.flatten(),
            count: self.count.flatten(),
            extra: self.extra,
        })
    }
}

impl<'de, T: DeserializeOwned + ListKey> Deserialize<'de> for CursorPage<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        raw_list::<D, T>(deserializer)?.into_cursor()
    }
}

impl<'de, T: DeserializeOwned + ListKey> Deserialize<'de> for OffsetPage<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        raw_list::<D, T>(deserializer)?.into_offset()
    }
}

impl<'de, T: DeserializeOwned + ListKey> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = raw_list::<D, T>(deserializer)?;
        if raw.meta.is_some() {
            raw.into_cursor().map(Self::Cursor)
        } else {
            raw.into_offset().map(Self::Offset)
        }
    }
}

impl<T: Serialize + ListKey> Serialize for CursorPage<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3 + self.extra.len()))?;
        map.serialize_entry(T::LIST_KEY, &self.items)?;
        map.serialize_entry("meta", &self.meta)?;
        map.serialize_entry("links", &self.links)?;
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<T: Serialize + ListKey> Serialize for OffsetPage<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(T::LIST_KEY, &self.items)?;
        map.serialize_entry("next_page", &self.next_page)?;
        map.serialize_entry("previous_page", &self.previous_page)?;
        if let Some(count) = self.count {
            map.serialize_entry("count", &count)?;
        }
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<T: Serialize + ListKey> Serialize for Page<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Cursor(p) => p.serialize(serializer),
            Self::Offset(p) => p.serialize(serializer),
        }
    }
}

impl<T> Single<T> {
    /// Wraps a record with no other top-level key.
    pub fn new(record: T) -> Self {
        Single {
            record,
            extra: Map::new(),
        }
    }

    /// The record.
    pub fn into_inner(self) -> T {
        self.record
    }
}

struct SingleVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned + RecordKey> Visitor<'de> for SingleVisitor<T> {
    type Value = Single<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object with a {:?} record", T::RECORD_KEY)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut record = None;
        let mut extra = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == T::RECORD_KEY {
                record = Some(map.next_value()?);
            } else {
                let value: Value = map.next_value()?;
                extra.insert(key, value);
            }
        }
        let record = record.ok_or_else(|| de::Error::missing_field(T::RECORD_KEY))?;
        Ok(Single { record, extra })
    }
}

impl<'de, T: DeserializeOwned + RecordKey> Deserialize<'de> for Single<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(SingleVisitor(PhantomData))
    }
}

impl<T: Serialize + RecordKey> Serialize for Single<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1 + self.extra.len()))?;
        map.serialize_entry(T::RECORD_KEY, &self.record)?;
        for (k, v) in &self.extra {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}
