//! Job statuses: the background jobs behind bulk creates, updates, deletes and merges.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::enums::JobState;
use crate::ids::JobStatusId;

/// A job status, as `GET /api/v2/job_statuses/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    pub id: JobStatusId,
    #[serde(default)]
    pub url: Option<String>,
    /// Number of items the job works on; null for some job kinds (merges, deletes).
    #[serde(default)]
    pub total: Option<u64>,
    /// Items done so far; null while queued.
    #[serde(default)]
    pub progress: Option<u64>,
    pub status: JobState,
    #[serde(default)]
    pub message: Option<String>,
    /// Null until the job finishes.
    #[serde(default)]
    pub results: Option<JobResults>,
    /// `Bulk Create Ticket`...; not on every response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_type: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl JobStatus {
    /// The per-item results when they are a list (an empty slice otherwise).
    pub fn result_items(&self) -> &[JobResult] {
        match &self.results {
            Some(JobResults::Items(items)) => items,
            _ => &[],
        }
    }

    /// The items that failed (those carrying an `error`).
    pub fn failed_items(&self) -> impl Iterator<Item = &JobResult> {
        self.result_items().iter().filter(|r| r.is_failure())
    }
}

/// A finished job's `results`: usually one entry per item, but some jobs (a permanent delete)
/// answer with a single object such as `{"success": true}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum JobResults {
    Items(Vec<JobResult>),
    Object(Map<String, Value>),
}

impl<'de> Deserialize<'de> for JobResults {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Decided by the JSON shape, with the failing path kept (an untagged enum would only say
        // "did not match any variant").
        match Value::deserialize(deserializer)? {
            Value::Object(map) => Ok(Self::Object(map)),
            list @ Value::Array(_) => serde_path_to_error::deserialize(list)
                .map(Self::Items)
                .map_err(|e| D::Error::custom(format_args!("at {}: {}", e.path(), e.inner()))),
            other => Err(D::Error::custom(format_args!(
                "job status results: expected a list or an object, found {other}"
            ))),
        }
    }
}

/// One item of a job's `results`.
///
/// Create: `{"index", "id"}` (plus `status: "Created"` for users and organizations);
/// update: `{"id", "action": "update", "status": "Updated", "success": true}`;
/// failure: `{"index", "id", "error", "details"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A string most of the time; kept as JSON because some errors send an object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl JobResult {
    /// True when the item failed: it carries an `error`, or `success: false`.
    pub fn is_failure(&self) -> bool {
        self.error.is_some() || self.success == Some(false)
    }
}
