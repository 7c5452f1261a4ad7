//! The API request log's ring: the last requests this process served, as the console's
//! Activity page lists them (time, who called and how they signed in, method, path, status,
//! duration; never a credential, a body or a secret query value). Plain data owned by the
//! sandbox's state; the layer that fills it and the endpoint that serves it are in
//! `console/request_log.rs`. Per process: two sandboxes on one database each keep their own.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::{Value, json};

/// How many requests the log keeps unless configured (`Config::console_log_size`).
pub const DEFAULT_LOG_SIZE: usize = 1_000;

/// How a request signed in: the kind of credential, never its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    None,
    ApiToken,
    Password,
    OAuthToken,
}

impl Credential {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Credential::None => "none",
            Credential::ApiToken => "api_token",
            Credential::Password => "password",
            Credential::OAuthToken => "oauth_token",
        }
    }
}

/// One request as the log keeps it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub id: u64,
    /// Unix milliseconds when the request arrived.
    pub at_ms: i64,
    pub method: String,
    /// The path and query, with secret-bearing parts masked.
    pub path: String,
    pub status: u16,
    pub duration_ms: f64,
    pub credential: Credential,
    /// The user the request was authenticated as; `None`: anonymous or refused.
    pub user_id: Option<i64>,
    /// The OAuth token's id, when one signed the request in.
    pub token_id: Option<i64>,
    /// The email a refused Basic sign-in claimed (not a secret; helps see who failed).
    pub claimed_email: Option<String>,
}

impl Entry {
    pub(crate) fn json(&self) -> Value {
        json!({
            "id": self.id,
            "created_at": crate::util::iso(self.at_ms / 1000),
            "created_at_ms": self.at_ms,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": (self.duration_ms * 100.0).round() / 100.0,
            "credential": self.credential.name(),
            "user_id": self.user_id,
            "oauth_token_id": self.token_id,
            "claimed_email": self.claimed_email,
        })
    }
}

/// The ring: the last `capacity` requests, newest last.
pub struct RequestLog {
    capacity: usize,
    entries: Mutex<(u64, VecDeque<Entry>)>,
}

impl RequestLog {
    pub fn new(capacity: usize) -> RequestLog {
        RequestLog {
            capacity: capacity.max(1),
            entries: Mutex::new((0, VecDeque::new())),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn push(&self, mut entry: Entry) {
        let mut guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (next_id, entries) = &mut *guard;
        *next_id += 1;
        entry.id = *next_id;
        if entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// Entries matching `filter`, newest first, at most `limit`.
    pub fn newest(&self, filter: &Filter, limit: usize) -> (Vec<Entry>, usize) {
        let guard = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let matching: Vec<&Entry> = guard.1.iter().rev().filter(|e| filter.keeps(e)).collect();
        let count = matching.len();
        (matching.into_iter().take(limit).cloned().collect(), count)
    }
}

/// Which entries a reader wants.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub user_id: Option<i64>,
    /// An exact status (`404`) or a class (`4xx`).
    pub status: Option<StatusFilter>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    Exact(u16),
    Class(u16),
}

impl StatusFilter {
    pub fn parse(text: &str) -> Option<StatusFilter> {
        let text = text.trim().to_ascii_lowercase();
        if let Some(class) = text.strip_suffix("xx") {
            return match class.parse::<u16>() {
                Ok(digit @ 1..=5) if class.len() == 1 => Some(StatusFilter::Class(digit)),
                _ => None,
            };
        }
        match text.parse::<u16>() {
            Ok(code @ 100..=599) => Some(StatusFilter::Exact(code)),
            _ => None,
        }
    }
}

impl Filter {
    pub(crate) fn keeps(&self, entry: &Entry) -> bool {
        self.user_id.is_none_or(|id| entry.user_id == Some(id))
            && match self.status {
                None => true,
                Some(StatusFilter::Exact(code)) => entry.status == code,
                Some(StatusFilter::Class(digit)) => entry.status / 100 == digit,
            }
    }
}
