//! The writer both backends share: one thread per process owns the write connection, and
//! write jobs queue on a channel to it. When it wakes it takes every job waiting (up to
//! [`MAX_BATCH`]) and runs them in one write transaction, each in its own savepoint (a job that
//! fails is undone alone; a lone job needs none), then commits once: writers that arrive
//! together share one commit (group commit), and each job is answered only after that commit.
//! A whole rule runs on the thread that owns the connection, with no channel hop per statement.
//!
//! A job that failed is answered with its own error, whatever the commit did (the error it
//! returned, or why it was undone although it answered Ok: a statement of it failed, it
//! panicked); the others with `commit failed: ...` when the commit fails. When the database
//! ends the transaction on its own (a lost connection, a full disk), the jobs of it that
//! succeeded are answered with the cause, and the jobs still waiting go on in a new
//! transaction.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::backend::BoxFuture;
use super::connection::{Connection, JobEnd, WriteJob, lock, run_write_job};
use super::error::{StoreError, StoreErrorKind, StoreResult};

/// Most write jobs committed together.
pub(crate) const MAX_BATCH: usize = 64;

/// Moves the account's credentials generation, read by every process on the database.
pub(crate) const BUMP_CREDENTIALS: &str =
    "UPDATE credential_changes SET generation = generation + 1 WHERE id = 1";

struct WriteRequest {
    job: WriteJob,
    done: tokio::sync::oneshot::Sender<StoreResult<()>>,
}

/// Hands the writer its connection for one batch (reconnecting after a lost one, or locking a
/// shared one), or answers why there is none.
pub(crate) type WithConnection =
    Box<dyn FnMut(&mut dyn FnMut(&mut dyn Connection)) -> StoreResult<()> + Send>;

/// The handle to a backend's writer thread.
pub(crate) struct GroupCommit {
    sender: Mutex<Option<Sender<WriteRequest>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Bumped after every commit that changed users or their credentials.
    credentials: Arc<AtomicU64>,
}

impl GroupCommit {
    /// Starts the writer thread `name` over the connection `with` hands it.
    pub(crate) fn start(name: &str, mut with: WithConnection) -> std::io::Result<GroupCommit> {
        let (sender, requests) = std::sync::mpsc::channel::<WriteRequest>();
        let credentials = Arc::new(AtomicU64::new(0));
        let generation = credentials.clone();
        let thread = std::thread::Builder::new()
            .name(name.to_string())
            .spawn(move || run(&requests, &mut with, &generation))?;
        Ok(GroupCommit {
            sender: Mutex::new(Some(sender)),
            thread: Mutex::new(Some(thread)),
            credentials,
        })
    }

    /// Queues a write job; resolves once it is committed (or rolled back).
    pub(crate) fn submit(&self, job: WriteJob) -> BoxFuture<'_, StoreResult<()>> {
        let (done, answer) = tokio::sync::oneshot::channel();
        let sent = match lock(&self.sender).as_ref() {
            Some(sender) => sender.send(WriteRequest { job, done }).is_ok(),
            None => false,
        };
        Box::pin(async move {
            if !sent {
                return Err(StoreError::unavailable("the store is closed"));
            }
            answer
                .await
                .map_err(|_| StoreError::unavailable("the database writer stopped"))?
        })
    }

    /// Changes after every committed write (by this process) to users or credentials.
    pub(crate) fn credentials_generation(&self) -> u64 {
        self.credentials.load(Ordering::SeqCst)
    }

    /// Lets the writer finish what is queued and stop; resolves when it has.
    pub(crate) fn stop(&self) -> BoxFuture<'_, ()> {
        // Dropping the sender ends the writer's loop once the queue is empty.
        lock(&self.sender).take();
        let thread = lock(&self.thread).take();
        Box::pin(async move {
            if let Some(thread) = thread {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
        })
    }
}

fn run(requests: &Receiver<WriteRequest>, with: &mut WithConnection, credentials: &AtomicU64) {
    while let Ok(first) = requests.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match requests.try_recv() {
                Ok(next) => batch.push(next),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let mut pending = Some(batch);
        let connected = with(&mut |conn| {
            if let Some(batch) = pending.take() {
                run_batch(conn, batch, credentials);
            }
        });
        if let (Err(error), Some(batch)) = (connected, pending) {
            fail_all(batch, &error);
        }
    }
}

fn fail_all(batch: impl IntoIterator<Item = WriteRequest>, error: &StoreError) {
    for request in batch {
        let _ = request.done.send(Err(error.clone()));
    }
}

/// Runs a batch of write jobs in as few transactions as the database allows (one, unless it
/// ends one on its own), each job in its own savepoint when there are several.
fn run_batch(conn: &mut dyn Connection, batch: Vec<WriteRequest>, credentials: &AtomicU64) {
    let touched = Cell::new(false);
    let mut pending = batch.into_iter().peekable();
    while pending.peek().is_some() {
        if let Err(error) = conn.begin_write() {
            let _ = conn.batch("ROLLBACK");
            let error = StoreError {
                kind: error.kind,
                detail: format!("cannot start a write: {}", error.detail),
            };
            return fail_all(pending, &error);
        }
        let savepoints = pending.len() > 1;
        // (reply, how the job ended) for the jobs of this transaction.
        let mut done = Vec::new();
        let mut rollback_all = false;
        let mut lost = false;
        for request in pending.by_ref() {
            let (end, undo_all) = run_write_job(conn, request.job, &touched, savepoints);
            lost = conn.transaction_lost();
            rollback_all |= undo_all;
            done.push((request.done, end));
            if lost || rollback_all {
                break;
            }
        }
        if lost {
            // Every change of this transaction is gone: its jobs fail with the cause, and the
            // jobs still waiting start a new transaction.
            let (kind, cause) = done
                .iter()
                .rev()
                .find_map(|(_, end)| match end {
                    JobEnd::Failed(error) => Some((error.kind, error.detail.clone())),
                    _ => None,
                })
                .unwrap_or_else(|| {
                    (
                        StoreErrorKind::Database,
                        "the transaction was aborted".into(),
                    )
                });
            for (reply, end) in done {
                let answer = match end {
                    JobEnd::RolledBack => Ok(()),
                    JobEnd::Done | JobEnd::Failed(_) => Err(StoreError {
                        kind,
                        detail: cause.clone(),
                    }),
                };
                let _ = reply.send(answer);
            }
            touched.set(false);
            continue;
        }
        let committed = if rollback_all {
            conn.batch("ROLLBACK").map(|()| false)
        } else if touched.get() {
            // Every process on the database learns that credentials changed (see
            // `Store::credentials_generation`), in the transaction that changed them.
            conn.execute(BUMP_CREDENTIALS, &[])
                .and_then(|_| conn.batch("COMMIT"))
                .map(|()| true)
        } else {
            conn.batch("COMMIT").map(|()| true)
        };
        if let Err(error) = &committed {
            let _ = conn.batch("ROLLBACK");
            tracing::error!(error = %error, "a write transaction failed to commit");
        }
        // After the commit, so a reader never caches a credential under the new generation
        // from data the commit was about to change.
        if !rollback_all && touched.replace(false) {
            credentials.fetch_add(1, Ordering::SeqCst);
        }
        for (reply, end) in done {
            let answer = match (end, &committed) {
                (JobEnd::Failed(failure), _) => Err(failure),
                (JobEnd::RolledBack, _) => Ok(()),
                (JobEnd::Done, Err(error)) => Err(StoreError::database(format!(
                    "commit failed: {}",
                    error.detail
                ))),
                (JobEnd::Done, Ok(_)) => Ok(()),
            };
            let _ = reply.send(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::store::bind::Bind;
    use crate::store::connection::{ExtraColumn, Outcome, Row, WriteSql};
    use crate::store::dialect::Dialect;
    use crate::store::tables::Table;

    /// A connection that logs what it is asked and fails where a test tells it to.
    #[derive(Default)]
    struct Fake {
        log: Vec<String>,
        commit_fails: bool,
        lost: bool,
    }

    impl Connection for Fake {
        fn dialect(&self) -> Dialect {
            Dialect::Sqlite
        }
        fn execute(&mut self, sql: &str, _: &[Bind]) -> StoreResult<u64> {
            self.log.push(sql.to_string());
            match sql {
                "FAIL" => Err(StoreError::database("no such table: nowhere")),
                "LOSE" => {
                    self.lost = true;
                    Err(StoreError::database("disk I/O error"))
                }
                _ => Ok(1),
            }
        }
        fn query(
            &mut self,
            sql: &str,
            _: &[Bind],
            _: &mut dyn FnMut(&dyn Row) -> StoreResult<bool>,
        ) -> StoreResult<()> {
            self.log.push(sql.to_string());
            Ok(())
        }
        fn batch(&mut self, sql: &str) -> StoreResult<()> {
            self.log.push(sql.to_string());
            if sql == "COMMIT" && self.commit_fails {
                return Err(StoreError::database("deferred constraint violated"));
            }
            if sql.starts_with("BEGIN") {
                self.lost = false;
            }
            Ok(())
        }
        fn begin_write(&mut self) -> StoreResult<()> {
            self.batch("BEGIN")
        }
        fn begin_read(&mut self) -> StoreResult<bool> {
            Ok(false)
        }
        fn transaction_lost(&self) -> bool {
            self.lost
        }
        fn allocate_id(&mut self, _: Table) -> StoreResult<i64> {
            Ok(1)
        }
        fn next_ids(&mut self, _: &str, _: i64) -> StoreResult<i64> {
            Ok(1)
        }
        fn extra_columns(
            &mut self,
            _: Table,
            _: &Value,
            _: &[(&'static str, String)],
        ) -> Vec<ExtraColumn> {
            Vec::new()
        }
        fn index_text(
            &mut self,
            _: Table,
            _: i64,
            _: &[(&'static str, String)],
        ) -> StoreResult<()> {
            Ok(())
        }
        fn drop_text(&mut self, _: Table, _: i64) -> StoreResult<()> {
            Ok(())
        }
        fn skip_locked(&self) -> &'static str {
            ""
        }
    }

    type Answer = tokio::sync::oneshot::Receiver<StoreResult<()>>;

    /// A job running `statements` (ignoring their errors) that ends with `outcome`.
    fn job(statements: &'static [&'static str], outcome: Outcome) -> (WriteRequest, Answer) {
        let (done, answer) = tokio::sync::oneshot::channel();
        let job: WriteJob = Box::new(move |tx| {
            for sql in statements {
                let _ = tx.execute(sql, &[]);
            }
            outcome
        });
        (WriteRequest { job, done }, answer)
    }

    fn answer(mut answer: Answer) -> Result<(), String> {
        answer
            .try_recv()
            .expect("answered")
            .map_err(|error| error.detail)
    }

    fn run(fake: &mut Fake, jobs: Vec<(WriteRequest, Answer)>) -> Vec<Result<(), String>> {
        let (requests, answers): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
        run_batch(fake, requests, &AtomicU64::new(0));
        answers.into_iter().map(answer).collect()
    }

    #[test]
    fn a_failed_commit_answers_each_job_for_itself() {
        let mut fake = Fake {
            commit_fails: true,
            ..Fake::default()
        };
        let answers = run(
            &mut fake,
            vec![
                job(&["UPDATE a"], Outcome::Commit),
                job(&["UPDATE b", "FAIL"], Outcome::Commit),
                job(&["UPDATE c"], Outcome::Rollback),
            ],
        );
        assert_eq!(
            answers,
            [
                Err("commit failed: deferred constraint violated".to_string()),
                Err(
                    "a statement failed, so the write was rolled back: no such table: nowhere"
                        .to_string()
                ),
                // Its own error is its answer (`Store::write` hands it back).
                Ok(()),
            ]
        );
        assert_eq!(
            fake.log,
            [
                "BEGIN",
                "SAVEPOINT job",
                "UPDATE a",
                "RELEASE SAVEPOINT job",
                "SAVEPOINT job",
                "UPDATE b",
                "FAIL",
                "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job",
                "SAVEPOINT job",
                "UPDATE c",
                "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job",
                // The first job's changes are kept: every process is told credentials moved.
                BUMP_CREDENTIALS,
                "COMMIT",
                "ROLLBACK",
            ]
        );
    }

    #[test]
    fn a_lone_job_runs_without_a_savepoint_and_a_failed_statement_undoes_it() {
        let mut fake = Fake::default();
        let answers = run(&mut fake, vec![job(&["UPDATE a", "FAIL"], Outcome::Commit)]);
        assert_eq!(
            answers,
            [Err(
                "a statement failed, so the write was rolled back: no such table: nowhere"
                    .to_string()
            )]
        );
        assert_eq!(fake.log, ["BEGIN", "UPDATE a", "FAIL", "ROLLBACK"]);
        let mut fake = Fake::default();
        let answers = run(&mut fake, vec![job(&["UPDATE a"], Outcome::Commit)]);
        assert_eq!(answers, [Ok(())]);
        assert_eq!(fake.log, ["BEGIN", "UPDATE a", BUMP_CREDENTIALS, "COMMIT"]);
    }

    #[test]
    fn a_transaction_the_database_ends_fails_its_jobs_and_the_rest_go_on() {
        let mut fake = Fake::default();
        let answers = run(
            &mut fake,
            vec![
                job(&["UPDATE a"], Outcome::Commit),
                job(&["LOSE"], Outcome::Commit),
                job(&["UPDATE c"], Outcome::Commit),
            ],
        );
        assert_eq!(
            answers,
            [
                Err("a statement failed, so the write was rolled back: disk I/O error".to_string()),
                Err("a statement failed, so the write was rolled back: disk I/O error".to_string()),
                Ok(()),
            ]
        );
        // The third job went on alone, in a transaction of its own.
        assert_eq!(
            &fake.log[fake.log.len() - 4..],
            ["BEGIN", "UPDATE c", BUMP_CREDENTIALS, "COMMIT"]
        );
    }
}
