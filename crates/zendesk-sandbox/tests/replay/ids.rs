//! Recorded IDs onto sandbox IDs: what the replay learns from each pair of responses (the record
//! a request created, the records it points at, job results, paging cursors), and the rewriting
//! of later requests (path segments, `ids=` lists, body `id`s and references, cursors).

use std::collections::HashMap;

use serde_json::Value;

/// The record kinds whose IDs the replay maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Ticket,
    User,
    Organization,
    OrganizationField,
    Group,
    TicketField,
    GroupMembership,
}

impl Kind {
    /// The kind a path segment (`tickets`, `deleted_tickets`, ...) or body key names.
    pub fn from_word(word: &str) -> Option<Kind> {
        Some(match word {
            "ticket" | "tickets" | "deleted_tickets" => Kind::Ticket,
            "user" | "users" => Kind::User,
            "organization" | "organizations" => Kind::Organization,
            "organization_field" | "organization_fields" => Kind::OrganizationField,
            "group" | "groups" => Kind::Group,
            "ticket_field" | "ticket_fields" => Kind::TicketField,
            "group_membership" | "group_memberships" | "memberships" => Kind::GroupMembership,
            _ => return None,
        })
    }

    /// The kind a reference field (`requester_id`, ...) points at.
    fn of_reference(field: &str) -> Option<Kind> {
        Some(match field {
            "requester_id" | "submitter_id" | "assignee_id" | "author_id" | "user_id" => Kind::User,
            "organization_id" => Kind::Organization,
            "group_id" | "default_group_id" => Kind::Group,
            _ => return None,
        })
    }
}

/// Why a recorded request cannot be replayed as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmapped {
    /// It names a record the recording never created (one that already existed in that account).
    Record(Kind),
    /// It follows a cursor the sandbox never handed out (its list ended sooner).
    Cursor,
    /// It polls a job the sandbox never started.
    Job,
}

#[derive(Debug, Default)]
pub struct IdMap {
    records: HashMap<(Kind, i64), i64>,
    jobs: HashMap<String, String>,
    cursors: HashMap<String, String>,
}

/// Zendesk's own "no such record" probe (`i64::MAX`): passed through so the sandbox 404s too.
pub const MISSING_ID: i64 = i64::MAX;

impl IdMap {
    pub fn record(&mut self, kind: Kind, recorded: i64, sandbox: i64) {
        self.records.entry((kind, recorded)).or_insert(sandbox);
    }

    pub fn lookup(&self, kind: Kind, recorded: i64) -> Option<i64> {
        self.records.get(&(kind, recorded)).copied()
    }

    pub fn job(&mut self, recorded: &str, sandbox: &str) {
        self.jobs
            .entry(recorded.to_string())
            .or_insert_with(|| sandbox.to_string());
    }

    /// Learns from a record Zendesk returned and the sandbox's answer to the same request: its
    /// id, and the records it points at (requester, organization, group...).
    pub fn learn_record(&mut self, kind: Kind, recorded: &Value, sandbox: &Value) {
        if let (Some(r), Some(s)) = (recorded["id"].as_i64(), sandbox["id"].as_i64()) {
            self.record(kind, r, s);
        }
        self.learn_references(recorded, sandbox);
    }

    fn learn_references(&mut self, recorded: &Value, sandbox: &Value) {
        let Some(fields) = recorded.as_object() else {
            return;
        };
        for (field, value) in fields {
            if let (Some(kind), Some(r), Some(s)) = (
                Kind::of_reference(field),
                value.as_i64(),
                sandbox[field].as_i64(),
            ) {
                self.record(kind, r, s);
            }
        }
    }

    /// Learns from two lists of the same records (show_many): each recorded record whose id is
    /// already mapped is paired with the sandbox's record of that id.
    pub fn learn_list(&mut self, kind: Kind, recorded: &[Value], sandbox: &[Value]) {
        for rec in recorded {
            let Some(id) = rec["id"].as_i64().and_then(|r| self.lookup(kind, r)) else {
                continue;
            };
            if let Some(sb) = sandbox.iter().find(|s| s["id"].as_i64() == Some(id)) {
                self.learn_references(rec, sb);
            }
        }
    }

    /// Learns the records a finished create job made: results pair by `index` (Zendesk's user
    /// and organization results have none; their position stands in).
    pub fn learn_job_results(&mut self, kind: Kind, recorded: &Value, sandbox: &Value) {
        let indexed = |results: &Value| -> HashMap<i64, i64> {
            results
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .enumerate()
                        .filter_map(|(pos, item)| {
                            let index = item["index"].as_i64().unwrap_or(pos as i64);
                            Some((index, item["id"].as_i64()?))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let sandbox = indexed(sandbox);
        for (index, recorded_id) in indexed(recorded) {
            if let Some(sandbox_id) = sandbox.get(&index) {
                self.record(kind, recorded_id, *sandbox_id);
            }
        }
    }

    /// Learns paging cursors: the recorded response's cursors stand for the sandbox's. When
    /// Zendesk had more pages and the sandbox had not, the next-page cursor is left unmapped:
    /// following it would compare Zendesk's records with the sandbox's empty page.
    pub fn learn_cursors(&mut self, recorded: &Value, sandbox: &Value) {
        let ended_sooner =
            recorded["meta"]["has_more"] == true && sandbox["meta"]["has_more"] == false;
        for key in ["after_cursor", "before_cursor"] {
            if ended_sooner && key == "after_cursor" {
                continue;
            }
            if let (Some(r), Some(s)) = (
                recorded["meta"][key].as_str(),
                sandbox["meta"][key].as_str(),
            ) {
                self.cursors
                    .entry(r.to_string())
                    .or_insert_with(|| s.to_string());
            }
        }
    }

    /// The request's path and query with every recorded ID and cursor replaced by the sandbox's.
    pub fn rewrite_target(
        &self,
        path_and_query: &str,
        keep_unknown: bool,
    ) -> Result<String, Unmapped> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        let segments: Vec<&str> = path.split('/').collect();
        let mut out = Vec::with_capacity(segments.len());
        for (n, segment) in segments.iter().enumerate() {
            let previous = n.checked_sub(1).map(|p| segments[p]).unwrap_or_default();
            let (stem, suffix) = match segment.strip_suffix(".json") {
                Some(stem) => (stem, ".json"),
                None => (*segment, ""),
            };
            if previous == "job_statuses" && !["show_many", ""].contains(&stem) {
                let job = self.jobs.get(stem).ok_or(Unmapped::Job)?;
                out.push(format!("{job}{suffix}"));
            } else if let (Some(kind), Ok(id)) = (Kind::from_word(previous), stem.parse::<i64>()) {
                out.push(format!("{}{suffix}", self.map_id(kind, id, keep_unknown)?));
            } else {
                out.push((*segment).to_string());
            }
        }
        let mut target = out.join("/");
        if let Some(query) = query {
            let kind = segments
                .iter()
                .rev()
                .find_map(|s| Kind::from_word(s.trim_end_matches(".json")));
            let mut pairs = form_urlencoded::Serializer::new(String::new());
            for (name, value) in form_urlencoded::parse(query.as_bytes()) {
                let value = match (name.as_ref(), kind) {
                    ("ids", Some(kind)) => value
                        .split(',')
                        .map(|raw| match raw.trim().parse::<i64>() {
                            Ok(id) => self.map_id(kind, id, keep_unknown).map(|id| id.to_string()),
                            Err(_) => Ok(raw.to_string()),
                        })
                        .collect::<Result<Vec<_>, _>>()?
                        .join(","),
                    ("ids", None) if path.contains("job_statuses") => value
                        .split(',')
                        .map(|raw| self.jobs.get(raw.trim()).cloned().ok_or(Unmapped::Job))
                        .collect::<Result<Vec<_>, _>>()?
                        .join(","),
                    ("page[after]" | "page[before]", _) => self
                        .cursors
                        .get(value.as_ref())
                        .cloned()
                        .ok_or(Unmapped::Cursor)?,
                    _ => value.into_owned(),
                };
                pairs.append_pair(&name, &value);
            }
            target = format!("{target}?{}", pairs.finish());
        }
        Ok(target)
    }

    /// The request body with record `id`s (under a `ticket`/`tickets`... key) and references
    /// (`requester_id`, `organization_id`...) replaced by the sandbox's.
    pub fn rewrite_body(&self, body: &Value, keep_unknown: bool) -> Result<Value, Unmapped> {
        self.rewrite_value(body, None, keep_unknown)
    }

    fn rewrite_value(
        &self,
        value: &Value,
        kind: Option<Kind>,
        keep: bool,
    ) -> Result<Value, Unmapped> {
        Ok(match value {
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (key, v) in map {
                    let rewritten = if let (Some(kind), "id", Some(id)) =
                        (kind, key.as_str(), v.as_i64())
                    {
                        Value::from(self.map_id(kind, id, keep)?)
                    } else if let (Some(target), Some(id)) = (Kind::of_reference(key), v.as_i64()) {
                        Value::from(self.map_id(target, id, keep)?)
                    } else {
                        self.rewrite_value(v, Kind::from_word(key), keep)?
                    };
                    out.insert(key.clone(), rewritten);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| self.rewrite_value(item, kind, keep))
                    .collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    }

    fn map_id(&self, kind: Kind, id: i64, keep_unknown: bool) -> Result<i64, Unmapped> {
        if id == MISSING_ID || keep_unknown {
            return Ok(self.lookup(kind, id).unwrap_or(id));
        }
        self.lookup(kind, id).ok_or(Unmapped::Record(kind))
    }
}
