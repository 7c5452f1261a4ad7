//! Incremental exports (`/api/v2/incremental/...`): what changed since a moment, in the order it
//! changed, page after page until `end_of_stream`. Two kinds of page:
//!
//! - **cursor-based** (`/incremental/tickets/cursor`, `/incremental/users/cursor`): started
//!   with `start_time`, continued with `cursor={after_cursor}`; answers `after_cursor`,
//!   `after_url`, `before_cursor`, `before_url`, `end_of_stream`. The last page's `after_cursor`
//!   is where a later run picks up what changed since.
//! - **time-based** (`/incremental/tickets`, `/users`, `/organizations`, `/ticket_events`):
//!   continued with `start_time={end_time}`; answers `count`, `end_of_stream`, `end_time`,
//!   `next_page`. Records sharing a timestamp across a page boundary come again on the next page
//!   (and the last one again on the next run): a reader drops repeats by `id` and `updated_at`.
//!
//! Zendesk's rules: `start_time` (Unix seconds, compared with a record's
//! `generated_timestamp`) must be at least [`MIN_START_TIME_AGE_SECS`] in the past, the most
//! recent minute is never returned, and a page holds at most [`MAX_PAGE_SIZE`] records.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::envelope::ListKey;
use crate::ids::{TicketId, UserId};

/// Records in one page of an incremental export (`per_page`), and its default.
pub const MAX_PAGE_SIZE: u32 = 1000;
/// How far in the past `start_time` must be, in seconds: Zendesk refuses a later one and never
/// returns the most recent minute.
pub const MIN_START_TIME_AGE_SECS: i64 = 60;

/// One page of a cursor-based export: `{"<list key>": [...], "after_cursor", "after_url",
/// "before_cursor", "before_url", "end_of_stream"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct CursorExportPage<T> {
    pub items: Vec<T>,
    /// Where the next page (or a later run) starts: send it as `cursor`.
    pub after_cursor: Option<String>,
    pub after_url: Option<String>,
    pub before_cursor: Option<String>,
    pub before_url: Option<String>,
    /// Everything up to a minute ago has been returned.
    pub end_of_stream: bool,
    /// Side-loads and any other top-level key.
    pub extra: Map<String, Value>,
}

/// One page of a time-based export: `{"<list key>": [...], "count", "end_of_stream",
/// "end_time", "next_page"}`.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeExportPage<T> {
    pub items: Vec<T>,
    pub count: Option<u64>,
    /// Everything up to a minute ago has been returned.
    pub end_of_stream: bool,
    /// The newest `generated_timestamp` on the page: the next page's (or a later run's)
    /// `start_time`.
    pub end_time: Option<i64>,
    pub next_page: Option<String>,
    /// Side-loads and any other top-level key.
    pub extra: Map<String, Value>,
}

/// An event of `/incremental/ticket_events`: one update of a ticket, its field changes (and,
/// with `include=comment_events`, its comments) in `child_events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_id: Option<TicketId>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updater_id: Option<UserIdOrSystem>,
    /// `"Web form"`, `"Rule"`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<Value>,
    /// `Audit`, `Create`, `Merge`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_events: Option<Vec<Value>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A ticket event's `updater_id`: a user, or `-1` for Zendesk itself (a rule, the system).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum UserIdOrSystem {
    User(UserId),
    System(i64),
}

impl ListKey for TicketEvent {
    const LIST_KEY: &'static str = "ticket_events";
}

/// The list and every other top-level key of an export page.
struct Keyed<T> {
    items: Option<Vec<T>>,
    rest: Map<String, Value>,
}

impl<T: ListKey> Keyed<T> {
    fn items<E: de::Error>(&mut self) -> Result<Vec<T>, E> {
        self.items
            .take()
            .ok_or_else(|| E::missing_field(T::LIST_KEY))
    }

    fn take<V: DeserializeOwned, E: de::Error>(&mut self, key: &'static str) -> Result<V, E> {
        let value = self.rest.shift_remove(key).unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| E::custom(format!("{key}: {e}")))
    }

    fn end_of_stream<E: de::Error>(&mut self) -> Result<bool, E> {
        match self.rest.shift_remove("end_of_stream") {
            Some(value) => {
                serde_json::from_value(value).map_err(|e| E::custom(format!("end_of_stream: {e}")))
            }
            None => Err(E::missing_field("end_of_stream")),
        }
    }
}

struct KeyedVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned + ListKey> Visitor<'de> for KeyedVisitor<T> {
    type Value = Keyed<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an export page with a {:?} list", T::LIST_KEY)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keyed = Keyed {
            items: None,
            rest: Map::new(),
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == T::LIST_KEY {
                keyed.items = Some(map.next_value()?);
            } else {
                let value: Value = map.next_value()?;
                keyed.rest.insert(key, value);
            }
        }
        Ok(keyed)
    }
}

impl<'de, T: DeserializeOwned + ListKey> Deserialize<'de> for CursorExportPage<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut keyed = deserializer.deserialize_map(KeyedVisitor::<T>(PhantomData))?;
        Ok(CursorExportPage {
            items: keyed.items()?,
            after_cursor: keyed.take("after_cursor")?,
            after_url: keyed.take("after_url")?,
            before_cursor: keyed.take("before_cursor")?,
            before_url: keyed.take("before_url")?,
            end_of_stream: keyed.end_of_stream()?,
            extra: keyed.rest,
        })
    }
}

impl<'de, T: DeserializeOwned + ListKey> Deserialize<'de> for TimeExportPage<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut keyed = deserializer.deserialize_map(KeyedVisitor::<T>(PhantomData))?;
        Ok(TimeExportPage {
            items: keyed.items()?,
            count: keyed.take("count")?,
            end_time: keyed.take("end_time")?,
            next_page: keyed.take("next_page")?,
            end_of_stream: keyed.end_of_stream()?,
            extra: keyed.rest,
        })
    }
}

impl<T: Serialize + ListKey> Serialize for CursorExportPage<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(T::LIST_KEY, &self.items)?;
        map.serialize_entry("after_cursor", &self.after_cursor)?;
        map.serialize_entry("after_url", &self.after_url)?;
        map.serialize_entry("before_cursor", &self.before_cursor)?;
        map.serialize_entry("before_url", &self.before_url)?;
        map.serialize_entry("end_of_stream", &self.end_of_stream)?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<T: Serialize + ListKey> Serialize for TimeExportPage<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry(T::LIST_KEY, &self.items)?;
        map.serialize_entry("count", &self.count)?;
        map.serialize_entry("end_of_stream", &self.end_of_stream)?;
        map.serialize_entry("end_time", &self.end_time)?;
        map.serialize_entry("next_page", &self.next_page)?;
        for (key, value) in &self.extra {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Organization, Ticket};
    use serde_json::json;

    #[test]
    fn a_cursor_page_keeps_every_key() {
        let sent = json!({
            "tickets": [{"id": 35436, "subject": "Help, my printer is on fire!", "generated_timestamp": 1304553600}],
            "after_cursor": "MTU3NjYxMzUzOS4wfHw0Njd8",
            "after_url": "https://example.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTU3NjYxMzUzOS4wfHw0Njd8",
            "before_cursor": null,
            "before_url": null,
            "end_of_stream": true,
            "users": [{"id": 1}]
        });
        let page: CursorExportPage<Ticket> = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(page.items[0].id, TicketId(35436));
        assert_eq!(
            page.after_cursor.as_deref(),
            Some("MTU3NjYxMzUzOS4wfHw0Njd8")
        );
        assert!(page.end_of_stream);
        assert!(page.extra.contains_key("users"));
        let back = serde_json::to_value(&page).unwrap();
        assert_eq!(back["after_url"], sent["after_url"]);
        assert_eq!(back["users"], sent["users"]);
    }

    #[test]
    fn a_time_page_reads_its_end_time() {
        let page: TimeExportPage<Organization> = serde_json::from_value(json!({
            "organizations": [{"id": 4112492, "name": "Groablet Enterprises"}],
            "count": 1, "end_of_stream": false, "end_time": 1601357503,
            "next_page": "https://example.zendesk.com/api/v2/incremental/organizations.json?start_time=1601357503"
        }))
        .unwrap();
        assert_eq!(
            (page.count, page.end_time, page.end_of_stream),
            (Some(1), Some(1601357503), false)
        );
    }

    #[test]
    fn a_page_without_end_of_stream_is_refused_by_name() {
        let error =
            serde_json::from_value::<TimeExportPage<Ticket>>(json!({"tickets": [], "end_time": 1}))
                .unwrap_err();
        assert!(error.to_string().contains("end_of_stream"), "{error}");
    }

    #[test]
    fn ticket_events_say_who_updated() {
        let event: TicketEvent = serde_json::from_value(json!({
            "id": 926256957613_u64, "ticket_id": 155, "timestamp": 1601357503, "updater_id": -1,
            "via": "Rule", "event_type": "Audit",
            "child_events": [{"id": 1, "event_type": "Change", "field_name": "status", "status": "solved"}]
        }))
        .unwrap();
        assert_eq!(event.updater_id, Some(UserIdOrSystem::System(-1)));
        assert_eq!(event.child_events.unwrap().len(), 1);
    }
}
