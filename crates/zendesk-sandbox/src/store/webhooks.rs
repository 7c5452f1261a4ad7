//! Webhooks and their durable delivery queue: the account's webhooks (ULID ids, the record with
//! the authentication's secret, the signing secret beside it), the deliveries waiting or done
//! (`webhook_deliveries`: one row per invocation, queued in the transaction of the change that
//! set it off) and each try of one (`webhook_attempts`, the record served as it was answered).
//!
//! A delivery moves `queued` -> `working` (claimed by one runner, which heartbeats) -> `queued`
//! again with a later `next_attempt_at` (a retry) or `done`. Claims are one conditional update
//! (with `FOR UPDATE SKIP LOCKED` where the database locks rows), so each delivery is sent by
//! one process; a `working` row whose runner went silent is queued again, and sent again with
//! the same invocation id (at least once, as Zendesk delivers).

use std::fmt;

use serde_json::Value;

use super::bind::Bind;
use super::connection::{Row, Transaction};
use super::error::StoreResult;
use super::sql::Filter;

/// A webhook as stored. `record` holds the authentication's secret and `signing_secret` the
/// key deliveries are signed with: neither is ever answered as is, and `Debug` shows neither.
#[derive(Clone)]
pub struct WebhookRow {
    /// A ULID.
    pub id: String,
    /// The webhook's own fields, secret included.
    pub record: Value,
    pub signing_secret: String,
    pub created_at: i64,
    pub created_by: i64,
    pub updated_at: i64,
    pub updated_by: i64,
}

impl fmt::Debug for WebhookRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookRow")
            .field("id", &self.id)
            .field("name", &self.record.get("name"))
            .field("record", &"[has secrets]")
            .field("signing_secret", &"[redacted]")
            .finish()
    }
}

/// The indexed columns of a webhook, given by the caller beside its record.
#[derive(Clone, Copy, Debug)]
pub struct WebhookColumns<'a> {
    pub name: &'a str,
    /// `active` or `inactive`.
    pub status: &'a str,
    /// Called by triggers and automations (rather than subscribed to event types).
    pub conditional: bool,
}

/// One page of a keyed list: rows after (or before) a (sort key, id) pair, in the list's
/// order, at most `size`.
#[derive(Clone, Debug)]
pub struct KeyWindow {
    /// The sort key and id of the row the page starts after (or ends before); `None` for the
    /// first page.
    pub key: Option<(Bind, String)>,
    pub before: bool,
    pub size: i64,
}

/// A page of webhooks or invocations: its rows and whether more lie beyond it.
#[derive(Debug)]
pub struct KeyedPage<T> {
    pub rows: Vec<T>,
    pub more: bool,
}

/// A new delivery to queue.
#[derive(Clone, Debug)]
pub struct NewDeliveryRow<'a> {
    /// The invocation id (a ULID), on every attempt's request.
    pub id: &'a str,
    pub webhook_id: &'a str,
    pub ticket_id: Option<i64>,
    /// `trigger`, `automation` or `event`.
    pub source: &'a str,
    /// The trigger's or automation's id.
    pub source_id: Option<i64>,
    pub body: &'a str,
    /// When it was queued, Unix seconds.
    pub created_at: i64,
    /// When it may first be sent, Unix milliseconds.
    pub due_ms: i64,
}

/// A delivery a runner claimed: what to send, and what came of its earlier attempts.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    pub id: String,
    pub webhook_id: String,
    pub body: String,
    /// Each earlier attempt's outcome kind and status code, oldest first.
    pub earlier: Vec<(String, Option<i64>)>,
}

/// One attempt to record, and where it leaves its delivery.
#[derive(Clone, Debug)]
pub struct AttemptRow<'a> {
    pub id: &'a str,
    pub invocation_id: &'a str,
    /// `response`, `timeout`, `unreachable`, `refused` or `circuit_broken`.
    pub outcome: &'a str,
    pub status_code: Option<i64>,
    /// Unix seconds.
    pub completed_at: i64,
    /// The attempt as `.../attempts` answers it (JSON text).
    pub record: &'a str,
    /// The invocation's status after this attempt (`success`, `failed`, `circuit_broken`).
    pub invocation_status: &'a str,
    /// When to try again (Unix milliseconds); `None`: the delivery is done.
    pub retry_at_ms: Option<i64>,
}

/// An invocation as listed.
#[derive(Clone, Debug)]
pub struct InvocationRow {
    pub id: String,
    pub status: String,
    pub status_code: Option<i64>,
    pub latest_completed_at: i64,
}

/// Reading webhooks and their invocations.
pub trait ReadWebhooks {
    fn webhook(&mut self, id: &str) -> StoreResult<Option<WebhookRow>>;
    /// One page of webhooks under `filters` (on `name_lower`, `status`), ordered by
    /// `sort_column` (`id`, `name_lower` or `status`) then id.
    fn webhooks_page(
        &mut self,
        filters: &[Filter],
        sort_column: &'static str,
        descending: bool,
        window: &KeyWindow,
    ) -> StoreResult<KeyedPage<WebhookRow>>;
    /// Every active webhook, oldest first.
    fn active_webhook_rows(&mut self) -> StoreResult<Vec<WebhookRow>>;
    /// One page of a webhook's attempted invocations under `filters` (on `status`,
    /// `latest_completed_at`), by `latest_completed_at` then id.
    fn invocations_page(
        &mut self,
        webhook_id: &str,
        filters: &[Filter],
        descending: bool,
        window: &KeyWindow,
    ) -> StoreResult<KeyedPage<InvocationRow>>;
    /// The attempts of a webhook's invocation, oldest first, as stored (JSON text); `None`
    /// when the webhook has no such invocation.
    fn invocation_attempts(
        &mut self,
        webhook_id: &str,
        invocation_id: &str,
    ) -> StoreResult<Option<Vec<String>>>;
    /// When the next queued delivery falls due (Unix milliseconds).
    fn next_delivery_due(&mut self) -> StoreResult<Option<i64>>;
    /// Deliveries not done yet (queued or being sent).
    fn pending_delivery_count(&mut self) -> StoreResult<i64>;
}

/// Writing webhooks, queueing deliveries, and the runners' claims.
pub trait WriteWebhooks {
    fn insert_webhook(&mut self, row: &WebhookRow, columns: WebhookColumns<'_>) -> StoreResult<()>;
    /// Replaces a webhook's record; false when there is none.
    fn update_webhook(
        &mut self,
        id: &str,
        record: &Value,
        columns: WebhookColumns<'_>,
        at: i64,
        by: i64,
    ) -> StoreResult<bool>;
    fn set_signing_secret(&mut self, id: &str, secret: &str, at: i64, by: i64)
    -> StoreResult<bool>;
    /// Deletes a webhook with its deliveries and their attempts; false when there is none.
    fn delete_webhook(&mut self, id: &str) -> StoreResult<bool>;
    /// Queues a delivery (in the caller's transaction).
    fn insert_delivery(&mut self, delivery: &NewDeliveryRow<'_>) -> StoreResult<()>;
    /// Claims up to `limit` deliveries due at `now_ms` for `runner`, earliest due first.
    fn claim_deliveries(
        &mut self,
        runner: &str,
        now_ms: i64,
        heartbeat_at: i64,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedDelivery>>;
    /// Tells other processes `runner` is alive and still sending the deliveries `ids` (one it
    /// claimed and no longer names goes stale, and is queued again once abandoned).
    fn delivery_heartbeat(&mut self, runner: &str, ids: &[String], at: i64) -> StoreResult<()>;
    /// Records an attempt and moves its delivery on (queued again, or done), when `runner`
    /// still holds it; the attempt is kept either way while the delivery exists. Answers
    /// whether the runner still held it.
    fn record_attempt(&mut self, runner: &str, attempt: &AttemptRow<'_>) -> StoreResult<bool>;
    /// Queues again deliveries whose runner has not beaten since `stale_before` (it died);
    /// how many.
    fn requeue_abandoned_deliveries(&mut self, stale_before: i64) -> StoreResult<u64>;
    /// Queues again what `runner` claimed and did not finish (it is stopping); how many.
    fn release_deliveries(&mut self, runner: &str) -> StoreResult<u64>;
    /// Forgets invocations done before `before` (Unix seconds) and their attempts.
    fn purge_invocations(&mut self, before: i64) -> StoreResult<()>;
}

const WEBHOOK_COLUMNS: &str = "id, record, signing_secret, created_at, created_by, updated_at, \
                               updated_by";

fn webhook_row(row: &dyn Row) -> StoreResult<WebhookRow> {
    Ok(WebhookRow {
        id: row.string(0)?,
        record: row.json(1)?,
        signing_secret: row.string(2)?,
        created_at: row.id(3)?,
        created_by: row.id(4)?,
        updated_at: row.id(5)?,
        updated_by: row.id(6)?,
    })
}

fn invocation_row(row: &dyn Row) -> StoreResult<InvocationRow> {
    Ok(InvocationRow {
        id: row.string(0)?,
        status: row.string(1)?,
        status_code: row.int(2)?,
        latest_completed_at: row.id(3)?,
    })
}

impl Transaction<'_> {
    /// One page of `table` (`columns` first the id, then what `map` reads) under `filters`,
    /// keyset-paged on (`sort`, id) in the list's order.
    #[allow(clippy::too_many_arguments)]
    fn keyed_page<T>(
        &mut self,
        table: &str,
        columns: &str,
        filters: &[Filter],
        sort: &str,
        descending: bool,
        window: &KeyWindow,
        map: impl FnMut(&dyn Row) -> StoreResult<T>,
    ) -> StoreResult<KeyedPage<T>> {
        let dialect = self.conn.dialect();
        let mut conditions = Vec::new();
        let mut binds = Vec::new();
        for filter in filters {
            let (sql, more) = filter.render(dialect);
            conditions.push(format!("({sql})"));
            binds.extend(more);
        }
        // A page before a key walks the order backwards, and is turned around below.
        let backwards = descending != window.before;
        let (cmp, order) = if backwards {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((key, id)) = &window.key {
            conditions.push(format!(
                "({sort} {cmp} $? OR ({sort} = $? AND id {cmp} $?))"
            ));
            binds.extend([key.clone(), key.clone(), Bind::Text(id.clone())]);
        }
        let where_sql = if conditions.is_empty() {
            "1 = 1".to_string()
        } else {
            conditions.join(" AND ")
        };
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE {where_sql} ORDER BY {sort} {order}, id {order} \
             LIMIT {}",
            window.size + 1
        );
        let mut rows = self.rows(&sql, &binds, map)?;
        let more = rows.len() as i64 > window.size;
        rows.truncate(window.size.max(0) as usize);
        if window.before {
            rows.reverse();
        }
        Ok(KeyedPage { rows, more })
    }
}

impl ReadWebhooks for Transaction<'_> {
    fn webhook(&mut self, id: &str) -> StoreResult<Option<WebhookRow>> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $?");
        self.row(&sql, &[Bind::from(id)], webhook_row)
    }

    fn webhooks_page(
        &mut self,
        filters: &[Filter],
        sort_column: &'static str,
        descending: bool,
        window: &KeyWindow,
    ) -> StoreResult<KeyedPage<WebhookRow>> {
        self.keyed_page(
            "webhooks",
            WEBHOOK_COLUMNS,
            filters,
            sort_column,
            descending,
            window,
            webhook_row,
        )
    }

    fn active_webhook_rows(&mut self) -> StoreResult<Vec<WebhookRow>> {
        let sql =
            format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE status = 'active' ORDER BY id");
        self.rows(&sql, &[], webhook_row)
    }

    fn invocations_page(
        &mut self,
        webhook_id: &str,
        filters: &[Filter],
        descending: bool,
        window: &KeyWindow,
    ) -> StoreResult<KeyedPage<InvocationRow>> {
        let mut all = vec![
            Filter::Eq("webhook_id", Bind::from(webhook_id)),
            Filter::NotNull("latest_completed_at"),
        ];
        all.extend(filters.iter().cloned());
        self.keyed_page(
            "webhook_deliveries",
            "id, status, last_status_code, latest_completed_at",
            &all,
            "latest_completed_at",
            descending,
            window,
            invocation_row,
        )
    }

    fn invocation_attempts(
        &mut self,
        webhook_id: &str,
        invocation_id: &str,
    ) -> StoreResult<Option<Vec<String>>> {
        let known = self.one_int(
            "SELECT 1 FROM webhook_deliveries WHERE id = $? AND webhook_id = $?",
            &[Bind::from(invocation_id), Bind::from(webhook_id)],
        )?;
        if known.is_none() {
            return Ok(None);
        }
        self.rows(
            "SELECT record FROM webhook_attempts WHERE invocation_id = $? ORDER BY id",
            &[Bind::from(invocation_id)],
            |row| row.string(0),
        )
        .map(Some)
    }

    fn next_delivery_due(&mut self) -> StoreResult<Option<i64>> {
        self.one_int(
            "SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE state = 'queued'",
            &[],
        )
    }

    fn pending_delivery_count(&mut self) -> StoreResult<i64> {
        Ok(self
            .one_int(
                "SELECT COUNT(*) FROM webhook_deliveries WHERE state IN ('queued', 'working')",
                &[],
            )?
            .unwrap_or(0))
    }
}

impl WriteWebhooks for Transaction<'_> {
    fn insert_webhook(&mut self, row: &WebhookRow, columns: WebhookColumns<'_>) -> StoreResult<()> {
        self.exec(
            "INSERT INTO webhooks (id, name, name_lower, status, conditional, record,
                signing_secret, created_at, created_by, updated_at, updated_by)
             VALUES ($?, $?, $?, $?, $?, $?, $?, $?, $?, $?, $?)",
            &[
                Bind::from(row.id.as_str()),
                Bind::from(columns.name),
                Bind::Text(columns.name.to_lowercase()),
                Bind::from(columns.status),
                Bind::Int(i64::from(columns.conditional)),
                Bind::Text(row.record.to_string()),
                Bind::from(row.signing_secret.as_str()),
                Bind::Int(row.created_at),
                Bind::Int(row.created_by),
                Bind::Int(row.updated_at),
                Bind::Int(row.updated_by),
            ],
        )?;
        Ok(())
    }

    fn update_webhook(
        &mut self,
        id: &str,
        record: &Value,
        columns: WebhookColumns<'_>,
        at: i64,
        by: i64,
    ) -> StoreResult<bool> {
        let changed = self.exec(
            "UPDATE webhooks SET name = $?, name_lower = $?, status = $?, conditional = $?,
                record = $?, updated_at = $?, updated_by = $?
             WHERE id = $?",
            &[
                Bind::from(columns.name),
                Bind::Text(columns.name.to_lowercase()),
                Bind::from(columns.status),
                Bind::Int(i64::from(columns.conditional)),
                Bind::Text(record.to_string()),
                Bind::Int(at),
                Bind::Int(by),
                Bind::from(id),
            ],
        )?;
        Ok(changed == 1)
    }

    fn set_signing_secret(
        &mut self,
        id: &str,
        secret: &str,
        at: i64,
        by: i64,
    ) -> StoreResult<bool> {
        let changed = self.exec(
            "UPDATE webhooks SET signing_secret = $?, updated_at = $?, updated_by = $?
             WHERE id = $?",
            &[
                Bind::from(secret),
                Bind::Int(at),
                Bind::Int(by),
                Bind::from(id),
            ],
        )?;
        Ok(changed == 1)
    }

    fn delete_webhook(&mut self, id: &str) -> StoreResult<bool> {
        let id = Bind::from(id);
        self.exec(
            "DELETE FROM webhook_attempts WHERE invocation_id IN
               (SELECT id FROM webhook_deliveries WHERE webhook_id = $?)",
            std::slice::from_ref(&id),
        )?;
        self.exec(
            "DELETE FROM webhook_deliveries WHERE webhook_id = $?",
            std::slice::from_ref(&id),
        )?;
        Ok(self.exec("DELETE FROM webhooks WHERE id = $?", &[id])? == 1)
    }

    fn insert_delivery(&mut self, delivery: &NewDeliveryRow<'_>) -> StoreResult<()> {
        self.exec(
            "INSERT INTO webhook_deliveries (id, webhook_id, ticket_id, source, source_id, body,
                state, attempts, next_attempt_at, created_at)
             VALUES ($?, $?, $?, $?, $?, $?, 'queued', 0, $?, $?)",
            &[
                Bind::from(delivery.id),
                Bind::from(delivery.webhook_id),
                Bind::opt_int(delivery.ticket_id),
                Bind::from(delivery.source),
                Bind::opt_int(delivery.source_id),
                Bind::from(delivery.body),
                Bind::Int(delivery.due_ms),
                Bind::Int(delivery.created_at),
            ],
        )?;
        Ok(())
    }

    fn claim_deliveries(
        &mut self,
        runner: &str,
        now_ms: i64,
        heartbeat_at: i64,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        // Writes are serialized by the account's write lock; where the database locks rows,
        // the claim still never waits on one another transaction holds.
        let sql = format!(
            "UPDATE webhook_deliveries SET state = 'working', claimed_by = $?, heartbeat_at = $?
             WHERE id IN (SELECT id FROM webhook_deliveries
                          WHERE state = 'queued' AND next_attempt_at <= $?
                          ORDER BY next_attempt_at, id LIMIT $?{})
             RETURNING id, webhook_id, body, attempts",
            self.conn.skip_locked()
        );
        let claimed = self.rows(
            &sql,
            &[
                Bind::from(runner),
                Bind::Int(heartbeat_at),
                Bind::Int(now_ms),
                Bind::Int(limit),
            ],
            |row| Ok((row.string(0)?, row.string(1)?, row.string(2)?, row.id(3)?)),
        )?;
        let mut deliveries = Vec::with_capacity(claimed.len());
        for (id, webhook_id, body, attempts) in claimed {
            let earlier = if attempts == 0 {
                Vec::new()
            } else {
                self.rows(
                    "SELECT outcome, status_code FROM webhook_attempts
                     WHERE invocation_id = $? ORDER BY id",
                    &[Bind::from(id.as_str())],
                    |row| Ok((row.string(0)?, row.int(1)?)),
                )?
            };
            deliveries.push(ClaimedDelivery {
                id,
                webhook_id,
                body,
                earlier,
            });
        }
        Ok(deliveries)
    }

    fn delivery_heartbeat(&mut self, runner: &str, ids: &[String], at: i64) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE webhook_deliveries SET heartbeat_at = $?
             WHERE state = 'working' AND claimed_by = $? AND id IN ({})",
            vec!["$?"; ids.len()].join(", ")
        );
        let mut binds = vec![Bind::Int(at), Bind::from(runner)];
        binds.extend(ids.iter().map(|id| Bind::Text(id.clone())));
        self.exec(&sql, &binds)?;
        Ok(())
    }

    fn record_attempt(&mut self, runner: &str, attempt: &AttemptRow<'_>) -> StoreResult<bool> {
        let invocation = Bind::from(attempt.invocation_id);
        // Kept while the delivery exists (a deleted webhook took its deliveries along), even
        // when another runner took the delivery over: both attempts went out.
        self.exec(
            "INSERT INTO webhook_attempts (id, invocation_id, outcome, status_code,
                completed_at, record)
             SELECT $?, $?, $?, $?, $?, $?
             WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE id = $?)",
            &[
                Bind::from(attempt.id),
                invocation.clone(),
                Bind::from(attempt.outcome),
                Bind::opt_int(attempt.status_code),
                Bind::Int(attempt.completed_at),
                Bind::from(attempt.record),
                invocation.clone(),
            ],
        )?;
        let (state, due) = match attempt.retry_at_ms {
            Some(at) => ("queued", Bind::Int(at)),
            None => ("done", Bind::Null),
        };
        let held = self.exec(
            "UPDATE webhook_deliveries SET state = $?, claimed_by = NULL,
                next_attempt_at = COALESCE($?, next_attempt_at), attempts = attempts + 1,
                status = $?, last_status_code = $?, latest_completed_at = $?
             WHERE id = $? AND state = 'working' AND claimed_by = $?",
            &[
                Bind::from(state),
                due,
                Bind::from(attempt.invocation_status),
                Bind::opt_int(attempt.status_code),
                Bind::Int(attempt.completed_at),
                invocation,
                Bind::from(runner),
            ],
        )?;
        Ok(held == 1)
    }

    fn requeue_abandoned_deliveries(&mut self, stale_before: i64) -> StoreResult<u64> {
        // What the silent runner was sending may have reached its endpoint: it goes again
        // with the same invocation id, which is how a receiver recognises a duplicate.
        self.exec(
            "UPDATE webhook_deliveries SET state = 'queued', claimed_by = NULL
             WHERE state = 'working' AND COALESCE(heartbeat_at, 0) < $?",
            &[Bind::Int(stale_before)],
        )
    }

    fn release_deliveries(&mut self, runner: &str) -> StoreResult<u64> {
        self.exec(
            "UPDATE webhook_deliveries SET state = 'queued', claimed_by = NULL
             WHERE state = 'working' AND claimed_by = $?",
            &[Bind::from(runner)],
        )
    }

    fn purge_invocations(&mut self, before: i64) -> StoreResult<()> {
        let before = Bind::Int(before);
        self.exec(
            "DELETE FROM webhook_attempts WHERE invocation_id IN
               (SELECT id FROM webhook_deliveries WHERE state = 'done'
                AND latest_completed_at < $?)",
            std::slice::from_ref(&before),
        )?;
        self.exec(
            "DELETE FROM webhook_deliveries WHERE state = 'done' AND latest_completed_at < $?",
            &[before],
        )?;
        Ok(())
    }
}
