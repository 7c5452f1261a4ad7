//! The background job queue's rows: jobs, the recorded result of each item (written in the
//! transaction that made the item's change, so a job resumed by another process never runs an
//! item twice), claims, heartbeats and expiry.

use serde_json::Value;

use super::bind::Bind;
use super::connection::{Row, Transaction};
use super::error::{StoreResult, parse_stored};
use crate::util::now;

/// A job row as stored.
#[derive(Clone, Debug)]
pub struct JobRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub payload: Value,
    pub total: i64,
    pub progress: Option<i64>,
    pub message: Option<String>,
    pub results: Option<Value>,
    pub base_url: String,
    pub caller_id: i64,
}

/// Reading jobs.
pub trait ReadJobs {
    fn job(&mut self, id: &str) -> StoreResult<Option<JobRow>>;
    /// The recorded results of a job's items, by index.
    fn job_items(&mut self, id: &str) -> StoreResult<Vec<(i64, Value)>>;
    /// The most recent jobs, newest first.
    fn recent_jobs(&mut self, limit: i64) -> StoreResult<Vec<JobRow>>;
    /// Ids of queued jobs, oldest first.
    fn queued_job_ids(&mut self) -> StoreResult<Vec<String>>;
    /// Jobs queued or working.
    fn active_job_count(&mut self) -> StoreResult<i64>;
}

/// Queueing, claiming, advancing and finishing jobs.
pub trait WriteJobs {
    /// Inserts a job row (status `queued`).
    fn insert_job(&mut self, job: &JobRow) -> StoreResult<()>;
    /// Claims a queued job for `runner`; false when another runner got it first.
    fn claim_job(&mut self, id: &str, runner: &str) -> StoreResult<bool>;
    /// Records an item's result (in the transaction that made the item's changes), with the
    /// job's progress message and heartbeat.
    fn record_job_item(
        &mut self,
        id: &str,
        index: i64,
        result: &Value,
        message: &str,
    ) -> StoreResult<()>;
    /// Tells other processes the runner of a working job is alive.
    fn job_heartbeat(&mut self, id: &str) -> StoreResult<()>;
    fn finish_job(
        &mut self,
        id: &str,
        status: &str,
        progress: i64,
        message: &str,
        results: &Value,
    ) -> StoreResult<()>;
    /// Queues again the jobs left `working` by a runner silent for `stale_after_secs` (a process
    /// that died): they go on from their first item without a recorded result. How many.
    fn requeue_abandoned_jobs(&mut self, stale_after_secs: i64) -> StoreResult<u64>;
    /// Deletes finished jobs older than a day (Zendesk keeps job statuses one day).
    fn expire_jobs(&mut self) -> StoreResult<()>;
}

/// A working job's progress is how many of its items have a recorded result.
const JOB_COLUMNS: &str = "id, kind, status, payload, total,
    CASE WHEN status = 'working'
         THEN (SELECT COUNT(*) FROM job_items i WHERE i.job_id = jobs.id) ELSE progress END,
    message, results, base_url, caller_id";

fn job_row(row: &dyn Row) -> StoreResult<JobRow> {
    Ok(JobRow {
        id: row.string(0)?,
        kind: row.string(1)?,
        status: row.string(2)?,
        payload: row.json(3)?,
        total: row.id(4)?,
        progress: row.int(5)?,
        message: row.opt_string(6)?,
        results: row.text(7)?.map(parse_stored).transpose()?,
        base_url: row.string(8)?,
        caller_id: row.id(9)?,
    })
}

impl ReadJobs for Transaction<'_> {
    fn job(&mut self, id: &str) -> StoreResult<Option<JobRow>> {
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $?");
        self.row(&sql, &[Bind::from(id)], job_row)
    }

    fn job_items(&mut self, id: &str) -> StoreResult<Vec<(i64, Value)>> {
        self.rows(
            "SELECT idx, result FROM job_items WHERE job_id = $? ORDER BY idx",
            &[Bind::from(id)],
            |row| Ok((row.id(0)?, row.json(1)?)),
        )
    }

    fn recent_jobs(&mut self, limit: i64) -> StoreResult<Vec<JobRow>> {
        let sql =
            format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY created_at DESC, id DESC LIMIT $?");
        self.rows(&sql, &[Bind::Int(limit)], job_row)
    }

    fn queued_job_ids(&mut self) -> StoreResult<Vec<String>> {
        self.rows(
            "SELECT id FROM jobs WHERE status = 'queued' ORDER BY created_at, id",
            &[],
            |row| row.string(0),
        )
    }

    fn active_job_count(&mut self) -> StoreResult<i64> {
        Ok(self
            .one_int(
                "SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'working')",
                &[],
            )?
            .unwrap_or(0))
    }
}

impl WriteJobs for Transaction<'_> {
    fn insert_job(&mut self, job: &JobRow) -> StoreResult<()> {
        let at = now();
        self.exec(
            "INSERT INTO jobs (id, kind, status, payload, total, progress, message, results,
                base_url, caller_id, created_at, updated_at)
             VALUES ($?, $?, 'queued', $?, $?, NULL, NULL, NULL, $?, $?, $?, $?)",
            &[
                Bind::Text(job.id.clone()),
                Bind::Text(job.kind.clone()),
                Bind::Text(job.payload.to_string()),
                Bind::Int(job.total),
                Bind::Text(job.base_url.clone()),
                Bind::Int(job.caller_id),
                Bind::Int(at),
                Bind::Int(at),
            ],
        )?;
        Ok(())
    }

    fn claim_job(&mut self, id: &str, runner: &str) -> StoreResult<bool> {
        // Writes are serialized by the account's write lock; where the database locks rows,
        // the claim still never waits on one some other transaction holds.
        let sql = format!(
            "UPDATE jobs SET status = 'working', claimed_by = $?, heartbeat_at = $?,
                progress = 0, updated_at = $?
             WHERE id = (SELECT id FROM jobs WHERE id = $? AND status = 'queued'{})",
            self.conn.skip_locked()
        );
        let at = now();
        let claimed = self.exec(
            &sql,
            &[
                Bind::from(runner),
                Bind::Int(at),
                Bind::Int(at),
                Bind::from(id),
            ],
        )?;
        Ok(claimed == 1)
    }

    fn record_job_item(
        &mut self,
        id: &str,
        index: i64,
        result: &Value,
        message: &str,
    ) -> StoreResult<()> {
        self.exec(
            "INSERT INTO job_items (job_id, idx, result) VALUES ($?, $?, $?)
             ON CONFLICT (job_id, idx) DO UPDATE SET result = excluded.result",
            &[
                Bind::from(id),
                Bind::Int(index),
                Bind::Text(result.to_string()),
            ],
        )?;
        let at = now();
        self.exec(
            "UPDATE jobs SET message = $?, heartbeat_at = $?, updated_at = $? WHERE id = $?",
            &[
                Bind::from(message),
                Bind::Int(at),
                Bind::Int(at),
                Bind::from(id),
            ],
        )?;
        Ok(())
    }

    fn job_heartbeat(&mut self, id: &str) -> StoreResult<()> {
        self.exec(
            "UPDATE jobs SET heartbeat_at = $? WHERE id = $? AND status = 'working'",
            &[Bind::Int(now()), Bind::from(id)],
        )?;
        Ok(())
    }

    fn finish_job(
        &mut self,
        id: &str,
        status: &str,
        progress: i64,
        message: &str,
        results: &Value,
    ) -> StoreResult<()> {
        let at = now();
        self.exec(
            "UPDATE jobs SET status = $?, progress = $?, message = $?, results = $?,
                updated_at = $?, heartbeat_at = $? WHERE id = $?",
            &[
                Bind::from(status),
                Bind::Int(progress),
                Bind::from(message),
                Bind::Text(results.to_string()),
                Bind::Int(at),
                Bind::Int(at),
                Bind::from(id),
            ],
        )?;
        Ok(())
    }

    fn requeue_abandoned_jobs(&mut self, stale_after_secs: i64) -> StoreResult<u64> {
        // Every item that took effect has its result row (same transaction), so the job can
        // go on from the first item without one: nothing runs twice.
        let at = now();
        self.exec(
            "UPDATE jobs SET status = 'queued', claimed_by = NULL, updated_at = $?,
             message = 'Resumed after the sandbox running it stopped: ' ||
                       CAST((SELECT COUNT(*) FROM job_items i WHERE i.job_id = jobs.id) AS TEXT) ||
                       ' of ' || CAST(total AS TEXT) || ' items were already done and are kept'
             WHERE status = 'working' AND COALESCE(heartbeat_at, 0) < $?",
            &[Bind::Int(at), Bind::Int(at - stale_after_secs)],
        )
    }

    fn expire_jobs(&mut self) -> StoreResult<()> {
        let before = Bind::Int(now() - 86_400);
        self.exec(
            "DELETE FROM job_items WHERE job_id IN (SELECT id FROM jobs
               WHERE status IN ('completed', 'failed', 'killed') AND updated_at < $?)",
            std::slice::from_ref(&before),
        )?;
        self.exec(
            "DELETE FROM jobs WHERE status IN ('completed', 'failed', 'killed')
             AND updated_at < $?",
            &[before],
        )?;
        Ok(())
    }
}
