//! `client.job_statuses()`: show, show_many, and `wait`, which follows a bulk job politely
//! (growing poll interval, rate limits honoured) until it is completed, failed or killed, or
//! the caller's time is up.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use tokio::time::Instant;
use zendesk_types::{JobStatus, JobStatusId};

use super::join_ids;
use crate::client::Client;
use crate::error::{Error, Result};
use crate::request::{Detached, Request, read_items, read_record};

/// Called with every status `wait` sees, for progress bars and MCP progress notifications.
pub type JobProgressFn = Arc<dyn Fn(&JobStatus) + Send + Sync>;

/// How long and how often [`JobStatusesHandler::wait`] polls.
#[derive(Clone)]
pub struct WaitOptions {
    /// Give up after this long (the last status seen is in the error). Default 30 s.
    pub timeout: Duration,
    /// First pause between polls. Default 500 ms.
    pub initial_interval: Duration,
    /// The pause doubles up to this. Default 5 s.
    pub max_interval: Duration,
    /// Told about every status seen.
    pub on_progress: Option<JobProgressFn>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            initial_interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(5),
            on_progress: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("initial_interval", &self.initial_interval)
            .field("max_interval", &self.max_interval)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl WaitOptions {
    /// Waits up to `timeout` with the default poll intervals.
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            ..Self::default()
        }
    }

    /// First and largest pause between polls.
    pub fn poll_interval(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_interval = initial;
        self.max_interval = max.max(initial);
        self
    }

    /// Calls `f` with every status seen.
    pub fn on_progress(mut self, f: impl Fn(&JobStatus) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(f));
        self
    }
}

/// Job status requests. Get one with [`Client::job_statuses`] or [`Detached::job_statuses`].
#[derive(Debug, Clone)]
pub struct JobStatusesHandler<C = Client> {
    client: C,
}

impl Client {
    /// Job status requests.
    pub fn job_statuses(&self) -> JobStatusesHandler {
        JobStatusesHandler {
            client: self.clone(),
        }
    }
}

impl Detached {
    /// Job status requests as plain values.
    pub fn job_statuses(self) -> JobStatusesHandler<Detached> {
        JobStatusesHandler { client: self }
    }
}

impl<C: Clone> JobStatusesHandler<C> {
    /// `GET /job_statuses/{id}`.
    pub fn show(&self, id: &JobStatusId) -> Request<JobStatus, C> {
        Request::new(
            self.client.clone(),
            Method::GET,
            format!("/job_statuses/{id}"),
            read_record::<JobStatus>,
        )
    }

    /// `GET /job_statuses/show_many?ids=...` (1 to 100 IDs).
    pub fn show_many(&self, ids: &[JobStatusId]) -> Request<Vec<JobStatus>, C> {
        let request = Request::new(
            self.client.clone(),
            Method::GET,
            "/job_statuses/show_many",
            read_items::<JobStatus>,
        );
        match join_ids("show many job statuses", ids) {
            Ok(ids) => request.param("ids", ids),
            Err(error) => request.refuse_on(Err(error)),
        }
    }
}

impl JobStatusesHandler {
    /// Polls `GET /job_statuses/{id}` until the job is `completed`, `failed` or `killed` and
    /// returns that final status (a `completed` job may still list failed items: see
    /// `JobStatus::failed_items`). The pause between polls starts at
    /// `options.initial_interval` and doubles up to `options.max_interval`; a rate limit is
    /// waited out when it fits before the deadline. When `options.timeout` passes first, the
    /// result is [`Error::JobTimeout`] carrying the last status seen. The job is always polled
    /// at least once.
    pub async fn wait(&self, id: &JobStatusId, options: WaitOptions) -> Result<JobStatus> {
        let started = Instant::now();
        let deadline = started + options.timeout;
        let mut interval = options.initial_interval.max(Duration::from_millis(1));
        let mut last: Option<JobStatus> = None;
        loop {
            match self.show(id).await {
                Ok(status) => {
                    if let Some(progress) = &options.on_progress {
                        progress(&status);
                    }
                    if status.status.is_finished() {
                        return Ok(status);
                    }
                    last = Some(status);
                }
                Err(Error::RateLimited { retry_after, .. })
                    if retry_after.is_some_and(|wait| Instant::now() + wait < deadline) =>
                {
                    let wait = retry_after.unwrap_or(interval);
                    tracing::info!(job_status = %id, wait_ms = wait.as_millis() as u64, "rate limited while following a job");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(error) => {
                    // A timeout on our side is more useful than a rate-limit error when a
                    // status was already seen.
                    return match (error, last) {
                        (Error::RateLimited { .. }, Some(last)) => Err(Error::JobTimeout {
                            waited: started.elapsed(),
                            last: Box::new(last),
                        }),
                        (error, _) => Err(error),
                    };
                }
            }
            let now = Instant::now();
            if now >= deadline
                && let Some(last) = last.take()
            {
                return Err(Error::JobTimeout {
                    waited: now - started,
                    last: Box::new(last),
                });
            }
            tokio::time::sleep(interval.min(deadline.saturating_duration_since(now))).await;
            interval = (interval * 2).min(options.max_interval.max(interval));
        }
    }
}
