//! The background job queue behind bulk operations and merges: jobs are rows in the `jobs`
//! table (so they survive restarts and are shared by every process on the same database),
//! move `queued` -> `working` -> `completed` (or `failed`), and record per-item results,
//! per-item failures included, in Zendesk's job-status shape.
//!
//! Claiming is atomic (`UPDATE ... WHERE status = 'queued'`), so two sandboxes on one file never
//! run a job twice. Each item is its own transaction, which also records the item's result
//! (`job_items`): one failing item does not undo the others (as on Zendesk), and after a crash
//! the recorded results say exactly which items took effect. A job left `working` by a process
//! that stopped heartbeating is therefore queued again and goes on from its first item without
//! a result: nothing is done twice and nothing done is lost. Shutdown drains the queue first.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::{Mutex, Notify, watch};
use tokio::task::JoinHandle;

use crate::business_rules::account::{AccountRules, RulesCache};
use crate::caller::{Caller, Role};
use crate::error::{ApiError, SandboxError};
use crate::resources::{organizations, tickets, users};
use crate::store::{JobRow, Store, StoreError, Writer};
use crate::util::{iso, job_time, now};

/// At most this many jobs may be queued or working at once (Zendesk's per-account limit).
const MAX_ACTIVE_JOBS: i64 = zendesk_types::limits::MAX_ACTIVE_JOBS as i64;
/// A working job whose runner has not beaten for this long belongs to a dead process.
const ABANDONED_AFTER_SECS: i64 = 30;
/// How often a runner says it is alive while it works on a job.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    TicketsCreate,
    TicketsUpdate,
    TicketsDestroy,
    TicketsMerge,
    TicketsPurge,
    UsersCreate,
    UsersCreateOrUpdate,
    UsersUpdate,
    UsersDestroy,
    OrganizationsCreate,
    OrganizationsUpdate,
    OrganizationsDestroy,
}

impl JobKind {
    fn name(self) -> &'static str {
        match self {
            JobKind::TicketsCreate => "tickets.create_many",
            JobKind::TicketsUpdate => "tickets.update_many",
            JobKind::TicketsDestroy => "tickets.destroy_many",
            JobKind::TicketsMerge => "tickets.merge",
            JobKind::TicketsPurge => "deleted_tickets.destroy",
            JobKind::UsersCreate => "users.create_many",
            JobKind::UsersCreateOrUpdate => "users.create_or_update_many",
            JobKind::UsersUpdate => "users.update_many",
            JobKind::UsersDestroy => "users.destroy_many",
            JobKind::OrganizationsCreate => "organizations.create_many",
            JobKind::OrganizationsUpdate => "organizations.update_many",
            JobKind::OrganizationsDestroy => "organizations.destroy_many",
        }
    }

    /// Zendesk's `job_type` (as recorded; the destroy jobs of tickets and users are reported as
    /// updates by Zendesk itself).
    fn job_type(self) -> &'static str {
        match self {
            JobKind::TicketsCreate => "Bulk Create Ticket",
            JobKind::TicketsUpdate | JobKind::TicketsDestroy => "Bulk Update Ticket",
            JobKind::TicketsMerge => "Ticket Merge",
            JobKind::TicketsPurge => "Bulk Permanently Delete Ticket",
            JobKind::UsersCreate | JobKind::UsersCreateOrUpdate => "Bulk Create User",
            JobKind::UsersUpdate | JobKind::UsersDestroy => "Bulk Update User",
            JobKind::OrganizationsCreate => "Bulk Create Organization",
            JobKind::OrganizationsUpdate => "Bulk Update Organization",
            JobKind::OrganizationsDestroy => "Bulk Delete Organization",
        }
    }

    fn parse(name: &str) -> Option<JobKind> {
        [
            JobKind::TicketsCreate,
            JobKind::TicketsUpdate,
            JobKind::TicketsDestroy,
            JobKind::TicketsMerge,
            JobKind::TicketsPurge,
            JobKind::UsersCreate,
            JobKind::UsersCreateOrUpdate,
            JobKind::UsersUpdate,
            JobKind::UsersDestroy,
            JobKind::OrganizationsCreate,
            JobKind::OrganizationsUpdate,
            JobKind::OrganizationsDestroy,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// A job status as served.
pub fn render(job: &JobRow, base: &str) -> Value {
    let kind = JobKind::parse(&job.kind);
    json!({
        "id": job.id,
        "job_type": kind.map(JobKind::job_type),
        "url": format!("{base}/api/v2/job_statuses/{}.json", job.id),
        // Zendesk reports no total for a permanent delete.
        "total": if kind == Some(JobKind::TicketsPurge) { Value::Null } else { json!(job.total) },
        "progress": job.progress,
        "status": job.status,
        "message": job.message,
        "results": job.results,
    })
}

/// The queue and its runner task.
pub struct JobQueue {
    runner_id: String,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    handle: Mutex<Option<JoinHandle<()>>>,
}

impl JobQueue {
    /// Queues again the jobs a dead process left working, then starts the runner (which picks
    /// up queued jobs at once).
    pub async fn start(store: Store, rules: RulesCache) -> Result<JobQueue, SandboxError> {
        let resumed = store
            .write(|tx| tx.requeue_abandoned_jobs(ABANDONED_AFTER_SECS))
            .await
            .map_err(|e| SandboxError::Config(format!("cannot read the job queue: {e}")))?;
        if resumed > 0 {
            tracing::warn!(
                resumed,
                "jobs left working by a stopped sandbox go on where they stopped"
            );
        }
        let runner_id = format!("runner-{}", &crate::util::random_token()[..12]);
        let wake = Arc::new(Notify::new());
        let (stop, stop_rx) = watch::channel(false);
        let handle = tokio::spawn(run(store, rules, runner_id.clone(), wake.clone(), stop_rx));
        Ok(JobQueue {
            runner_id,
            wake,
            stop,
            handle: Mutex::new(Some(handle)),
        })
    }

    /// Queues a job; 429 TooManyJobs when 30 are already queued or working.
    pub async fn enqueue(
        &self,
        store: &Store,
        kind: JobKind,
        payload: Value,
        total: usize,
        base: &str,
        caller: &Caller,
    ) -> Result<Value, ApiError> {
        let id = format!(
            "V3-{}",
            (0..32)
                .map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0'))
                .collect::<String>()
        );
        let row = JobRow {
            id,
            kind: kind.name().to_string(),
            status: "queued".into(),
            payload,
            total: total as i64,
            progress: None,
            message: None,
            results: None,
            base_url: base.to_string(),
            caller_id: caller.id,
        };
        let stored = row.clone();
        store
            .write(move |tx| {
                // Counted and inserted in one transaction, so the limit holds under concurrency.
                if tx.active_job_count()? >= MAX_ACTIVE_JOBS {
                    return Err(ApiError::TooManyJobs);
                }
                tx.insert_job(&stored)?;
                Ok(())
            })
            .await?;
        self.wake.notify_one();
        tracing::debug!(job = %row.id, kind = kind.name(), runner = %self.runner_id, "job queued");
        Ok(render(&row, base))
    }

    /// Runs every queued job to its end, then stops the runner.
    pub async fn drain_and_stop(&self) {
        let _ = self.stop.send(true);
        self.wake.notify_one();
        if let Some(handle) = self.handle.lock().await.take() {
            let _ = handle.await;
        }
    }
}

async fn run(
    store: Store,
    rules: RulesCache,
    runner_id: String,
    wake: Arc<Notify>,
    mut stop: watch::Receiver<bool>,
) {
    let mut last_sweep = now();
    loop {
        let queued = match store.read(|reader| reader.queued_job_ids()).await {
            Ok(ids) => ids,
            Err(error) => {
                tracing::error!(%error, "cannot read the job queue");
                Vec::new()
            }
        };
        for id in &queued {
            let (job, runner) = (id.clone(), runner_id.clone());
            match store.write(move |tx| tx.claim_job(&job, &runner)).await {
                Ok(true) => run_job(&store, &rules, id).await,
                Ok(false) => {}
                Err(error) => tracing::error!(%error, job = %id, "cannot claim job"),
            }
        }
        if now() - last_sweep > 30 {
            last_sweep = now();
            let _ = store
                .write(|tx| {
                    tx.requeue_abandoned_jobs(ABANDONED_AFTER_SECS)?;
                    tx.expire_jobs()
                })
                .await;
        }
        if *stop.borrow() {
            // Draining: stop only when nothing queued remains.
            match store.read(|reader| reader.queued_job_ids()).await {
                Ok(ids) if ids.is_empty() => break,
                Ok(_) => {
                    // Jobs are still queued (a claim failed or more arrived): go again shortly.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                Err(_) => break,
            }
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
            _ = stop.changed() => {}
        }
    }
}

fn error_text(error: &ApiError) -> (String, String) {
    let body = error.body();
    let code = body["error"].as_str().unwrap_or("Error").to_string();
    let mut details: Vec<String> = Vec::new();
    if let Some(map) = body["details"].as_object() {
        for items in map.values() {
            for item in items.as_array().into_iter().flatten() {
                if let Some(d) = item["description"].as_str() {
                    details.push(d.to_string());
                }
            }
        }
    }
    if details.is_empty() {
        details.push(
            body["description"]
                .as_str()
                .unwrap_or("the item could not be processed")
                .to_string(),
        );
    }
    (code, details.join("; "))
}

async fn run_job(store: &Store, rules: &RulesCache, id: &str) {
    let job_id = id.to_string();
    let job = match store.read(move |reader| reader.job(&job_id)).await {
        Ok(Some(job)) => job,
        Ok(None) => return,
        Err(error) => {
            tracing::error!(%error, job = %id, "cannot load job");
            return;
        }
    };
    let Some(kind) = JobKind::parse(&job.kind) else {
        let message = format!("Unknown job kind {}", job.kind);
        let _ = finish(store, id, "failed", 0, message, json!([])).await;
        return;
    };
    // Placeholders in the mail its tickets set off name the address the job was asked at.
    let account = AccountRules::new(&job.base_url, rules.clone());
    let caller_id = job.caller_id;
    let role = store
        .read(move |reader| reader.user_role(caller_id))
        .await
        .ok()
        .flatten();
    let caller = Caller {
        id: job.caller_id,
        role: role
            .as_deref()
            .and_then(Role::parse)
            .unwrap_or(Role::EndUser),
    };
    let items: Vec<Value> = match kind {
        JobKind::TicketsCreate | JobKind::TicketsUpdate => job.payload["tickets"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        JobKind::UsersCreate | JobKind::UsersCreateOrUpdate | JobKind::UsersUpdate => {
            job.payload["users"].as_array().cloned().unwrap_or_default()
        }
        JobKind::OrganizationsCreate | JobKind::OrganizationsUpdate => job.payload["organizations"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        JobKind::TicketsDestroy
        | JobKind::TicketsPurge
        | JobKind::UsersDestroy
        | JobKind::OrganizationsDestroy => {
            job.payload["ids"].as_array().cloned().unwrap_or_default()
        }
        JobKind::TicketsMerge => vec![job.payload.clone()],
    };
    // Items a previous run finished (and recorded) are not run again.
    let job_id = id.to_string();
    let done: std::collections::BTreeMap<i64, Value> = store
        .read(move |reader| reader.job_items(&job_id))
        .await
        .map(|items| items.into_iter().collect())
        .unwrap_or_default();
    let heartbeat = {
        let (store, id) = (store.clone(), id.to_string());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT_EVERY).await;
                let id = id.clone();
                let _ = store.write(move |tx| tx.job_heartbeat(&id)).await;
            }
        })
    };
    let mut results: Vec<Value> = Vec::with_capacity(items.len());
    let mut merge_failure: Option<String> = None;
    for (index, item) in items.iter().enumerate() {
        if let Some(result) = done.get(&(index as i64)) {
            if kind == JobKind::TicketsMerge && result.get("error").is_some() {
                merge_failure = result["details"].as_str().map(str::to_string);
            }
            results.push(result.clone());
            continue;
        }
        let message = match kind {
            JobKind::TicketsCreate => format!("Creating ticket #{}", index + 1),
            JobKind::TicketsMerge => "Merging tickets".to_string(),
            _ => format!("Processing item #{} of {}", index + 1, items.len()),
        };
        let outcome = run_item(
            store,
            &account,
            id,
            kind,
            &caller,
            index,
            item.clone(),
            &message,
        )
        .await;
        match outcome {
            Ok(result) => results.push(result),
            Err(error) => {
                let (code, details) = error_text(&error);
                let item_id = item
                    .get("id")
                    .and_then(crate::resources::input::as_id)
                    .or_else(|| item.as_i64());
                let failed_code = match (kind, code.as_str()) {
                    (_, "RecordNotFound") => "RecordNotFound".to_string(),
                    (JobKind::TicketsCreate, _) => "TicketCreateFailed".into(),
                    (JobKind::TicketsUpdate, _) => "TicketUpdateFailed".into(),
                    (JobKind::TicketsDestroy, _) => "TicketDeleteFailed".into(),
                    (JobKind::UsersCreate | JobKind::UsersCreateOrUpdate, _) => {
                        "UserCreateFailed".into()
                    }
                    (JobKind::UsersUpdate, _) => "UserUpdateFailed".into(),
                    (JobKind::UsersDestroy, _) => "UserDeleteFailed".into(),
                    (JobKind::OrganizationsCreate, _) => "OrganizationCreateFailed".into(),
                    (JobKind::OrganizationsUpdate, _) => "OrganizationUpdateFailed".into(),
                    (JobKind::OrganizationsDestroy, _) => "OrganizationDeleteFailed".into(),
                    (JobKind::TicketsMerge, _) => "TicketMergeFailed".into(),
                    (JobKind::TicketsPurge, _) => "TicketDeleteFailed".into(),
                };
                if kind == JobKind::TicketsMerge {
                    merge_failure = Some(details.clone());
                }
                let mut failure = Map::new();
                failure.insert("index".into(), json!(index));
                if let Some(item_id) = item_id {
                    failure.insert("id".into(), json!(item_id));
                }
                failure.insert("error".into(), json!(failed_code));
                failure.insert("details".into(), json!(details));
                let failure = Value::Object(failure);
                // The failed item changed nothing; its failure is recorded on its own.
                let (job_id, recorded) = (id.to_string(), failure.clone());
                let _ = store
                    .write(move |tx| tx.record_job_item(&job_id, index as i64, &recorded, &message))
                    .await;
                results.push(failure);
            }
        }
    }
    heartbeat.abort();
    let total = items.len() as i64;
    let (status, mut message) = match merge_failure {
        Some(details) => ("failed", format!("Merge failed: {details}")),
        None => ("completed", format!("Completed at {}", job_time(now()))),
    };
    if !done.is_empty() {
        // The job outlived the process that started it: say so for good, not only while it
        // waited to be resumed.
        message.push_str(&format!(
            " (resumed after the sandbox first running it stopped: {} of {total} items were \
             already done and were kept, not run again)",
            done.len()
        ));
    }
    // A permanent delete reports one object, `{"success": true}`, as Zendesk does.
    let results = if kind == JobKind::TicketsPurge {
        let failed: Vec<&Value> = results
            .iter()
            .filter(|r| r.get("error").is_some())
            .collect();
        if failed.is_empty() {
            vec![json!({"success": true})]
        } else {
            vec![json!({"success": false, "errors": failed})]
        }
    } else {
        results
    };
    let results = if kind == JobKind::TicketsPurge {
        results.into_iter().next().unwrap_or(Value::Null)
    } else {
        Value::Array(results)
    };
    if let Err(error) = finish(store, id, status, total, message, results).await {
        tracing::error!(%error, job = %id, "cannot record job results");
    }
    tracing::debug!(job = %id, at = %iso(now()), "job finished");
}

async fn finish(
    store: &Store,
    id: &str,
    status: &'static str,
    progress: i64,
    message: String,
    results: Value,
) -> Result<(), StoreError> {
    let id = id.to_string();
    store
        .write(move |tx| tx.finish_job(&id, status, progress, &message, &results))
        .await
}

/// Runs one item in its own transaction, which also records its result and the job's progress.
#[allow(clippy::too_many_arguments)]
async fn run_item(
    store: &Store,
    account: &AccountRules,
    job_id: &str,
    kind: JobKind,
    caller: &Caller,
    index: usize,
    item: Value,
    message: &str,
) -> Result<Value, ApiError> {
    let (caller, job_id, message) = (caller.clone(), job_id.to_string(), message.to_string());
    let account = account.clone();
    store
        .write(move |tx| {
            let result = run_item_in(tx, &account, kind, &caller, index, &item)?;
            tx.record_job_item(&job_id, index as i64, &result, &message)?;
            Ok(result)
        })
        .await
}

/// One item of a job, in its own transaction: one failing item does not undo the others.
fn run_item_in(
    tx: &mut dyn Writer,
    account: &AccountRules,
    kind: JobKind,
    caller: &Caller,
    index: usize,
    item: &Value,
) -> Result<Value, ApiError> {
    let empty = Map::new();
    let object = item.as_object().unwrap_or(&empty);
    let item_id = item
        .get("id")
        .and_then(crate::resources::input::as_id)
        .or_else(|| item.as_i64());
    let id = || item_id.ok_or(ApiError::NotFound);
    Ok(match kind {
        JobKind::TicketsCreate => {
            let (ticket, _) = tickets::create(tx, account, caller, object)?;
            json!({"index": index, "id": ticket["id"], "account_id": 1})
        }
        JobKind::TicketsUpdate => {
            let id = id()?;
            tickets::update(tx, account, caller, id, object)?;
            item_done(id, "update", "Updated")
        }
        JobKind::TicketsDestroy => {
            let id = id()?;
            tickets::delete(tx, account, caller, id)?;
            item_done(id, "delete", "Deleted")
        }
        JobKind::TicketsPurge => {
            let id = id()?;
            tickets::purge(tx, account, caller, id)?;
            json!({"id": id, "success": true})
        }
        JobKind::TicketsMerge => {
            let merge = tickets::MergeRequest::from_payload(item);
            tickets::merge(tx, account, caller, &merge)?;
            json!({"id": merge.target, "action": "merge", "status": "Merged", "success": true, "source_ids": merge.sources})
        }
        JobKind::UsersCreate => {
            let user = users::create(tx, caller, object)?;
            json!({"index": index, "id": user["id"], "status": "Created"})
        }
        JobKind::UsersCreateOrUpdate => {
            let (user, created) = users::create_or_update(tx, caller, object)?;
            json!({"index": index, "id": user["id"], "status": if created { "Created" } else { "Updated" }})
        }
        JobKind::UsersUpdate => {
            let id = id()?;
            users::update(tx, caller, id, object)?;
            item_done(id, "update", "Updated")
        }
        JobKind::UsersDestroy => {
            let id = id()?;
            users::delete(tx, caller, id)?;
            item_done(id, "delete", "Deleted")
        }
        JobKind::OrganizationsCreate => {
            let org = organizations::create(tx, caller, object)?;
            json!({"index": index, "id": org["id"], "status": "Created"})
        }
        JobKind::OrganizationsUpdate => {
            let id = id()?;
            organizations::update(tx, caller, id, object)?;
            item_done(id, "update", "Updated")
        }
        JobKind::OrganizationsDestroy => {
            let id = id()?;
            organizations::delete(tx, caller, id)?;
            item_done(id, "delete", "Deleted")
        }
    })
}

/// The result of an item updated or deleted by id.
fn item_done(id: i64, action: &str, status: &str) -> Value {
    json!({"id": id, "action": action, "status": status, "success": true})
}
