//! The job-status tool (an addition beyond the seed): reads a bulk job's status and, when asked
//! to wait, follows it until it ends or the wait is up, reporting progress to the host. Also
//! owns `waitSeconds`, which the bulk tools take too so one call can start a job and follow it.

use std::time::Duration;

use crate::error::ToolError;
use crate::params::{Params, shown};
use crate::plan::{Plan, PlanFn};

/// The plans of this module's tools, by tool id.
pub(crate) const PLANS: &[(&str, PlanFn)] = &[("zendesk_get_job_status", get_job_status)];

/// The longest wait one call may ask for.
pub(crate) const MAX_WAIT_SECONDS: u64 = 600;

/// Job IDs are opaque tokens (Zendesk uses hex); anything outside `[A-Za-z0-9_-]` could change
/// the request path, so it is refused.
fn job_id(p: &Params) -> Result<String, ToolError> {
    let raw = p.required_text("jobId")?;
    let id = raw.trim();
    let valid = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(id.to_owned())
    } else {
        Err(ToolError::invalid(format!(
            "jobId must be the job_id a bulk tool returned, letters and digits such as \"8b726e606741012ffc2d782bcb7848fe\" (got {})",
            shown(raw)
        )))
    }
}

/// `waitSeconds` read the same way for the job-status tool and the bulk tools: a whole number
/// of seconds up to `MAX_WAIT_SECONDS`; absent or `0` means no wait.
pub(crate) fn wait_from(p: &Params) -> Result<Option<Duration>, ToolError> {
    Ok(p.number_in("waitSeconds", 0..=MAX_WAIT_SECONDS)?
        .filter(|seconds| *seconds > 0)
        .map(Duration::from_secs))
}

fn get_job_status(p: &Params) -> Result<Plan, ToolError> {
    let job_id = zendesk_types::JobStatusId(job_id(p)?);
    let wait = wait_from(p)?;
    Ok(Plan::FollowJob { job_id, wait })
}

/// Whether a job status has ended (completed, failed or killed).
pub(crate) fn is_done(status: &str) -> bool {
    zendesk_types::JobState::from_wire(status).is_finished()
}
