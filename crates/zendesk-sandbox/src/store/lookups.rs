//! Lookups of one record by id, gathered. On PostgreSQL a lookup is a statement's round trip
//! to the server, and the server's own work for one row (about 100 µs of its CPU over TLS) is
//! most of what showing a ticket costs. Lookups that arrive while earlier ones are being read
//! wait for the next batch and are read together, in one statement per table, the way group
//! commit gathers writes. At rest a lookup is read at once, alone: nothing waits to be
//! gathered. A backend that can read from async code does (`Backend::read_records_async`:
//! PostgreSQL's async client, with no hop to a blocking thread and back); otherwise a batch is
//! a `peek`.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

use super::backend::Backend;
use super::connection::ReadJob;
use super::error::{StoreError, StoreResult};
use super::records::ReadRecords;
use super::tables::Table;

/// Batches read at the same time. One: the lookups that arrive while it is read gather into
/// the next, so under load each round trip serves as many as came meanwhile. With the async
/// client, show ticket over TLS at 16 clients measured a median of 0.29x the floor with one
/// batch in flight (12 runs) and 0.26x with two (3 runs); a lone lookup never waits.
const BATCHES_IN_FLIGHT: usize = 1;

/// The most lookups one batch reads.
const MOST_PER_BATCH: usize = 64;

type Answer = oneshot::Sender<StoreResult<Option<String>>>;

/// One lookup waiting for its batch.
struct Pending {
    table: Table,
    id: i64,
    answer: Answer,
}

/// Where lookups queue; the task that batches them ends when the store's last copy is
/// dropped.
pub(super) struct Lookups {
    queue: mpsc::UnboundedSender<Pending>,
}

impl Lookups {
    pub(super) fn start(backend: Arc<dyn Backend>) -> Lookups {
        let (queue, mut waiting) = mpsc::unbounded_channel::<Pending>();
        tokio::spawn(async move {
            let running = Arc::new(Semaphore::new(BATCHES_IN_FLIGHT));
            loop {
                // A free batch first, then whatever waits: under load, the lookups that
                // arrived while every batch was busy leave together.
                let Ok(permit) = running.clone().acquire_owned().await else {
                    return;
                };
                let Some(first) = waiting.recv().await else {
                    return;
                };
                let mut batch = vec![first];
                while batch.len() < MOST_PER_BATCH {
                    match waiting.try_recv() {
                        Ok(pending) => batch.push(pending),
                        Err(_) => break,
                    }
                }
                let backend = backend.clone();
                tokio::spawn(async move {
                    read_batch(&*backend, batch).await;
                    drop(permit);
                });
            }
        });
        Lookups { queue }
    }

    /// The live record `id` of `table` as stored; `None` when the batching task is gone (the
    /// caller reads it alone).
    pub(super) async fn record_text(
        &self,
        table: Table,
        id: i64,
    ) -> Option<StoreResult<Option<String>>> {
        let (answer, answered) = oneshot::channel();
        self.queue.send(Pending { table, id, answer }).ok()?;
        answered.await.ok()
    }
}

/// Reads a batch (one statement per table, outside a transaction: each lookup stands alone)
/// and answers each lookup.
async fn read_batch(backend: &dyn Backend, batch: Vec<Pending>) {
    let mut by_table: Vec<(Table, Vec<i64>)> = Vec::new();
    for pending in &batch {
        match by_table
            .iter_mut()
            .find(|(table, _)| *table == pending.table)
        {
            Some((_, ids)) => ids.push(pending.id),
            None => by_table.push((pending.table, vec![pending.id])),
        }
    }
    if let Some(found) = read_async(backend, &by_table).await {
        answer(batch, found);
        return;
    }
    let (found_tx, found_rx) = std::sync::mpsc::sync_channel(1);
    let job: ReadJob = Box::new(move |reader| {
        let mut found = HashMap::new();
        let read = by_table.iter().try_for_each(|(table, ids)| {
            for (id, json) in reader.record_texts(*table, ids)? {
                found.insert((*table, id), json);
            }
            Ok::<(), StoreError>(())
        });
        let _ = found_tx.send(read.map(|()| found));
    });
    let found = match backend.peek(job).await {
        Ok(()) => found_rx
            .try_recv()
            .unwrap_or_else(|_| Err(StoreError::unavailable("the lookups ended unanswered"))),
        Err(error) => Err(error),
    };
    answer(batch, found);
}

/// The batch read from async code, where the backend can (one statement per table); `None`
/// where it cannot.
async fn read_async(
    backend: &dyn Backend,
    by_table: &[(Table, Vec<i64>)],
) -> Option<StoreResult<HashMap<(Table, i64), String>>> {
    let mut found = HashMap::new();
    for (table, ids) in by_table {
        match backend.read_records_async(*table, ids.clone())?.await {
            Ok(records) => found.extend(records.into_iter().map(|(id, json)| ((*table, id), json))),
            Err(error) => return Some(Err(error)),
        }
    }
    Some(Ok(found))
}

/// Answers each lookup of a batch from what was found.
fn answer(batch: Vec<Pending>, found: StoreResult<HashMap<(Table, i64), String>>) {
    for pending in batch {
        let answer = match &found {
            Ok(found) => Ok(found.get(&(pending.table, pending.id)).cloned()),
            Err(error) => Err(error.clone()),
        };
        let _ = pending.answer.send(answer);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::store::{Store, StoreError, Table, Writer};

    /// Lookups made at the same time, of two tables, missing and repeated ids among them, each
    /// get their own record (or none), however they were gathered.
    #[tokio::test]
    async fn lookups_made_together_each_get_their_own_record() {
        let store = Store::open(&crate::test_db_url()).await.unwrap();
        store
            .write(|tx: &mut dyn Writer| -> Result<(), StoreError> {
                for id in 1..=30i64 {
                    tx.save(
                        Table::Tickets,
                        &json!({"id": id, "subject": format!("ticket {id}"), "description": "",
                            "status": "open", "tags": [], "custom_fields": [],
                            "via": {"channel": "api"}, "created_at": "2024-01-01T00:00:00Z",
                            "updated_at": "2024-01-01T00:00:00Z"}),
                    )?;
                    tx.save(
                        Table::Groups,
                        &json!({"id": id, "name": format!("group {id}"),
                            "created_at": "2024-01-01T00:00:00Z",
                            "updated_at": "2024-01-01T00:00:00Z"}),
                    )?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let mut asked = Vec::new();
        for _round in 0..3 {
            for id in [1i64, 7, 7, 30, 31, 500] {
                for table in [Table::Tickets, Table::Groups] {
                    let store = store.clone();
                    asked.push((
                        table,
                        id,
                        tokio::spawn(async move { store.record_text(table, id).await }),
                    ));
                }
            }
        }
        for (table, id, answer) in asked {
            let answer = answer.await.unwrap().unwrap();
            let expected = (id <= 30).then(|| match table {
                Table::Tickets => format!("ticket {id}"),
                _ => format!("group {id}"),
            });
            let found = answer.map(|text| {
                let record: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(record["id"], id);
                record
                    .get("subject")
                    .or(record.get("name"))
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_string()
            });
            assert_eq!(found, expected, "{table:?} {id}");
        }
    }
}
