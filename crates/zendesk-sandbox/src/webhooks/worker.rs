//! The delivery worker: one per sandbox process, started with it and stopped on shutdown.
//!
//! It claims due deliveries from the queue (`webhook_deliveries`, one conditional update, so
//! exactly one process of those sharing a database sends each), at most [`MAX_IN_FLIGHT`] at
//! once, and for each: reads its webhook, signs a fresh request, asks the circuit breaker, sends
//! it through [`Outbound`] (the host policy), records the attempt, and applies Zendesk's retry
//! rule (queued again for later, or done). It wakes when this process queues something (the
//! queue's doorbell), when a retry falls due, and every second to see what other processes
//! queued.
//!
//! While it sends, it heartbeats the deliveries in flight; a delivery whose runner went silent
//! for [`ABANDONED_AFTER_SECS`] (the process died) is queued again by any worker and sent again
//! with the same invocation id, so nothing queued is lost and a duplicate is one a receiver can
//! recognise. On shutdown it stops claiming, lets the attempts under way finish for a moment,
//! and hands back what it did not finish.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::definition::{SigningSecret, Status, Webhook};
use super::delivery::{HostPolicy, Invocation, SANDBOX_ACCOUNT_ID, build_request};
use super::ids::new_ulid;
use super::outbound::{Outbound, Sent};
use super::queue::{QUEUED, RINGS, now_ms};
use super::retry::{AttemptOutcome, CircuitBreakers, Decision, RetryPolicy, attempt_json};
use crate::error::SandboxError;
use crate::store::{AttemptRow, ClaimedDelivery, Store};

/// Deliveries sent at once by one process.
pub const MAX_IN_FLIGHT: usize = 8;
/// A delivery whose runner has not beaten for this long belongs to a process that died.
pub const ABANDONED_AFTER_SECS: i64 = 30;
/// How often a runner says it is still sending what it claimed.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);
/// How often abandoned deliveries are looked for and old invocations forgotten.
const SWEEP_EVERY: Duration = Duration::from_secs(10);
/// How often the queue is looked at for what other processes queued.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// How long a stopping worker waits for the attempts under way.
const STOP_GRACE: Duration = Duration::from_secs(2);
/// Invocations are kept this long (Zendesk keeps 7 days).
const KEEP_INVOCATIONS_SECS: i64 = 7 * 86_400;

/// The running worker.
pub struct DeliveryWorker {
    outbound: Arc<Outbound>,
    stop: watch::Sender<bool>,
    handle: tokio::sync::Mutex<Option<JoinHandle<()>>>,
}

/// What every attempt of this worker shares.
struct Context {
    store: Store,
    outbound: Arc<Outbound>,
    runner: String,
    breakers: Mutex<CircuitBreakers>,
}

impl DeliveryWorker {
    /// Queues again what a dead process left being sent, then starts sending (what is already
    /// due goes at once). Deliveries go where `policy` allows.
    pub async fn start(store: Store, policy: HostPolicy) -> Result<DeliveryWorker, SandboxError> {
        let outbound = Arc::new(Outbound::new(policy).map_err(SandboxError::Config)?);
        let resumed = store
            .write(|tx| tx.requeue_abandoned_deliveries(crate::util::now() - ABANDONED_AFTER_SECS))
            .await
            .map_err(|e| SandboxError::Config(format!("cannot read the webhook queue: {e}")))?;
        if resumed > 0 {
            tracing::warn!(
                resumed,
                "webhook deliveries a stopped sandbox was sending are sent again"
            );
        }
        let context = Arc::new(Context {
            store,
            outbound: outbound.clone(),
            runner: format!("webhooks-{}", &crate::util::random_token()[..12]),
            breakers: Mutex::new(CircuitBreakers::default()),
        });
        let (stop, stopping) = watch::channel(false);
        let handle = tokio::spawn(run(context, stopping));
        Ok(DeliveryWorker {
            outbound,
            stop,
            handle: tokio::sync::Mutex::new(Some(handle)),
        })
    }

    /// The client deliveries go out through (for `POST /webhooks/test`).
    pub fn outbound(&self) -> &Outbound {
        &self.outbound
    }

    /// Stops claiming, lets attempts under way finish (a moment), queues again what is
    /// unfinished, and returns when the worker is gone.
    pub async fn stop(&self) {
        let _ = self.stop.send(true);
        if let Some(handle) = self.handle.lock().await.take() {
            let _ = handle.await;
        }
    }
}

async fn run(context: Arc<Context>, mut stopping: watch::Receiver<bool>) {
    let mut in_flight: JoinSet<()> = JoinSet::new();
    // Which delivery each task sends, for the heartbeat.
    let mut sending: HashMap<tokio::task::Id, String> = HashMap::new();
    let mut seen_rings = RINGS.load(Ordering::SeqCst);
    let mut last_sweep: Option<Instant> = None;
    let mut last_beat = Instant::now();
    loop {
        if *stopping.borrow() {
            break;
        }
        while let Some(done) = in_flight.try_join_next_with_id() {
            forget(&mut sending, done);
        }
        if last_sweep.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            last_sweep = Some(Instant::now());
            sweep(&context.store).await;
        }
        if !sending.is_empty() && last_beat.elapsed() >= HEARTBEAT_EVERY {
            last_beat = Instant::now();
            let runner = context.runner.clone();
            let ids: Vec<String> = sending.values().cloned().collect();
            if let Err(error) = context
                .store
                .write(move |tx| tx.delivery_heartbeat(&runner, &ids, crate::util::now()))
                .await
            {
                tracing::warn!(%error, "cannot heartbeat the webhook deliveries under way");
            }
        }

        let rings = RINGS.load(Ordering::SeqCst);
        let rung = rings != seen_rings;
        seen_rings = rings;
        let free = MAX_IN_FLIGHT.saturating_sub(in_flight.len());
        let due = if rung {
            // Queued by this process: claim through the writer, which runs after the write
            // that queued it (a read might not see it yet).
            true
        } else {
            next_due(&context.store)
                .await
                .is_some_and(|at| at <= now_ms())
        };
        if free > 0 && due {
            for delivery in claim(&context, free).await {
                let id = delivery.id.clone();
                let task = in_flight.spawn(attempt(context.clone(), delivery));
                sending.insert(task.id(), id);
            }
        }

        // Sleep until something may be due: a ring, an attempt ending, the next retry, a look
        // at the queue for other processes', or the stop.
        let doorbell = QUEUED.notified();
        tokio::pin!(doorbell);
        doorbell.as_mut().enable();
        if RINGS.load(Ordering::SeqCst) != seen_rings {
            continue;
        }
        let wait = match next_due(&context.store).await {
            Some(at) if in_flight.len() < MAX_IN_FLIGHT => {
                Duration::from_millis((at - now_ms()).clamp(0, LOOK_EVERY.as_millis() as i64) as u64)
            }
            _ => LOOK_EVERY,
        };
        tokio::select! {
            _ = &mut doorbell => {}
            Some(done) = in_flight.join_next_with_id(), if !in_flight.is_empty() => {
                forget(&mut sending, done);
            }
            _ = tokio::time::sleep(wait) => {}
            _ = stopping.changed() => {}
        }
    }
    // Stopping: what is under way may finish for a moment; the rest goes back to the queue,
    // for this sandbox's next start or another process.
    let finished = tokio::time::timeout(STOP_GRACE, async {
        while in_flight.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        in_flight.abort_all();
        while in_flight.join_next().await.is_some() {}
    }
    let runner = context.runner.clone();
    match context
        .store
        .write(move |tx| tx.release_deliveries(&runner))
        .await
    {
        Ok(0) => {}
        Ok(released) => tracing::info!(released, "unfinished webhook deliveries queued again"),
        Err(error) => tracing::warn!(%error, "cannot hand back unfinished webhook deliveries"),
    }
}

fn forget(
    sending: &mut HashMap<tokio::task::Id, String>,
    done: Result<(tokio::task::Id, ()), tokio::task::JoinError>,
) {
    let id = match done {
        Ok((id, ())) => id,
        Err(error) => {
            // Its delivery stays claimed and unbeaten: it is queued again once abandoned.
            tracing::error!(%error, "a webhook delivery attempt failed");
            error.id()
        }
    };
    sending.remove(&id);
}

/// Queues again what dead processes left, and forgets invocations older than Zendesk keeps.
async fn sweep(store: &Store) {
    let now = crate::util::now();
    let swept = store
        .write(move |tx| {
            let resumed = tx.requeue_abandoned_deliveries(now - ABANDONED_AFTER_SECS)?;
            tx.purge_invocations(now - KEEP_INVOCATIONS_SECS)?;
            Ok::<_, crate::store::StoreError>(resumed)
        })
        .await;
    match swept {
        Ok(0) => {}
        Ok(resumed) => tracing::warn!(
            resumed,
            "webhook deliveries a stopped process was sending are sent again"
        ),
        Err(error) => tracing::warn!(%error, "cannot sweep the webhook queue"),
    }
}

async fn next_due(store: &Store) -> Option<i64> {
    match store.read(|reader| reader.next_delivery_due()).await {
        Ok(due) => due,
        Err(error) => {
            tracing::warn!(%error, "cannot read the webhook queue");
            None
        }
    }
}

async fn claim(context: &Context, limit: usize) -> Vec<ClaimedDelivery> {
    let runner = context.runner.clone();
    let claimed = context
        .store
        .write(move |tx| tx.claim_deliveries(&runner, now_ms(), crate::util::now(), limit as i64))
        .await;
    claimed.unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot claim webhook deliveries");
        Vec::new()
    })
}

/// How an outcome is stored, for the retries left after it.
fn outcome_kind(outcome: &AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Response { .. } => "response",
        AttemptOutcome::Timeout => "timeout",
        AttemptOutcome::Unreachable(_) => "unreachable",
        AttemptOutcome::Refused(_) => "refused",
        AttemptOutcome::CircuitBroken => "circuit_broken",
    }
}

/// An earlier attempt's outcome, as much as the retry rule reads of it.
fn earlier_outcome(kind: &str, status_code: Option<i64>) -> AttemptOutcome {
    match kind {
        "response" => AttemptOutcome::Response {
            status: status_code
                .and_then(|code| u16::try_from(code).ok())
                .unwrap_or(0),
            retry_after: None,
        },
        "timeout" => AttemptOutcome::Timeout,
        "refused" => AttemptOutcome::Refused(String::new()),
        "circuit_broken" => AttemptOutcome::CircuitBroken,
        _ => AttemptOutcome::Unreachable(String::new()),
    }
}

/// One attempt of a claimed delivery, recorded with what comes next.
async fn attempt(context: Arc<Context>, delivery: ClaimedDelivery) {
    let webhook_id = delivery.webhook_id.clone();
    let row = match context
        .store
        .read(move |reader| reader.webhook(&webhook_id))
        .await
    {
        Ok(Some(row)) => row,
        // Deleted: its deliveries went with it.
        Ok(None) => return,
        Err(error) => {
            // Left claimed and unbeaten: queued again once abandoned.
            tracing::warn!(%error, invocation = %delivery.id, "cannot read the webhook to deliver to");
            return;
        }
    };
    let signed_at = crate::util::now();
    let invocation = Invocation {
        account_id: SANDBOX_ACCOUNT_ID,
        webhook_id: &row.id,
        invocation_id: &delivery.id,
        signed_at,
    };
    let secret = SigningSecret::from_stored(row.signing_secret.clone());
    let (request, sent) = match Webhook::from_stored(&row.record) {
        Err(error) => (
            None,
            Sent {
                outcome: AttemptOutcome::Refused(format!(
                    "Not sent: the stored webhook does not read ({error})"
                )),
                response: None,
            },
        ),
        Ok(webhook) => {
            let request = build_request(&webhook, &secret, &delivery.body, &invocation);
            let sent = if webhook.status != Status::Active {
                Sent {
                    outcome: AttemptOutcome::Refused("Not sent: the webhook is inactive".into()),
                    response: None,
                }
            } else if !lock(&context.breakers).allow(&row.id, now_ms()) {
                Sent {
                    outcome: AttemptOutcome::CircuitBroken,
                    response: None,
                }
            } else {
                context.outbound.send(&request).await
            };
            (Some(request), sent)
        }
    };
    let completed_ms = now_ms();
    let completed_at = completed_ms / 1_000;
    lock(&context.breakers).record(&row.id, completed_ms, &sent.outcome);
    let mut history: Vec<AttemptOutcome> = delivery
        .earlier
        .iter()
        .map(|(kind, code)| earlier_outcome(kind, *code))
        .collect();
    history.push(sent.outcome.clone());
    let (status, retry_at_ms) = match RetryPolicy::ZENDESK.decide(&history, completed_at) {
        Decision::Done(status) => (status, None),
        Decision::RetryAfterMs(wait) => (
            sent.outcome.status(),
            Some(completed_ms + i64::try_from(wait).unwrap_or(i64::MAX / 2)),
        ),
    };
    let attempt_id = new_ulid();
    let logged_request = request.as_ref().map_or_else(
        || json!({"headers": [], "payload": delivery.body}),
        |r| r.logged(),
    );
    let record = attempt_json(
        &attempt_id,
        &delivery.id,
        &sent.outcome,
        completed_at,
        logged_request,
        sent.response.as_ref(),
    )
    .to_string();
    let status_code = sent.outcome.status_code().map(i64::from);
    match &sent.outcome {
        AttemptOutcome::Refused(why) => tracing::warn!(
            webhook = %row.id, invocation = %delivery.id, reason = %why,
            "webhook delivery not sent"
        ),
        outcome => tracing::debug!(
            webhook = %row.id, invocation = %delivery.id, status_code, kind = outcome_kind(outcome),
            retry_in_ms = retry_at_ms.map(|at| at - completed_ms), "webhook delivery attempt"
        ),
    }
    let (runner, invocation_id, outcome) = (
        context.runner.clone(),
        delivery.id.clone(),
        outcome_kind(&sent.outcome),
    );
    let recorded = context
        .store
        .write(move |tx| {
            tx.record_attempt(
                &runner,
                &AttemptRow {
                    id: &attempt_id,
                    invocation_id: &invocation_id,
                    outcome,
                    status_code,
                    completed_at,
                    record: &record,
                    invocation_status: status.as_str(),
                    retry_at_ms,
                },
            )
        })
        .await;
    match recorded {
        Ok(true) => {}
        Ok(false) => tracing::debug!(
            invocation = %delivery.id,
            "another process took this delivery over while it was sent"
        ),
        Err(error) => {
            tracing::warn!(%error, invocation = %delivery.id, "cannot record a webhook attempt")
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_outcomes_read_back_as_the_retry_rule_counts_them() {
        for outcome in [
            AttemptOutcome::Timeout,
            AttemptOutcome::Response {
                status: 409,
                retry_after: None,
            },
            AttemptOutcome::Response {
                status: 503,
                retry_after: Some("1".into()),
            },
            AttemptOutcome::Unreachable("refused".into()),
            AttemptOutcome::Refused("not loopback".into()),
            AttemptOutcome::CircuitBroken,
        ] {
            let back =
                earlier_outcome(outcome_kind(&outcome), outcome.status_code().map(i64::from));
            assert_eq!(outcome_kind(&back), outcome_kind(&outcome));
            assert_eq!(back.status_code(), outcome.status_code());
            assert_eq!(back.status(), outcome.status());
        }
        // Five timeouts recorded, a sixth fails for good; four leave one more try.
        let timeouts = |n: usize| -> Vec<AttemptOutcome> {
            (0..n)
                .map(|_| earlier_outcome("timeout", Some(504)))
                .collect()
        };
        assert!(matches!(
            RetryPolicy::ZENDESK.decide(&timeouts(6), 0),
            Decision::Done(_)
        ));
        assert!(matches!(
            RetryPolicy::ZENDESK.decide(&timeouts(5), 0),
            Decision::RetryAfterMs(_)
        ));
    }
}
