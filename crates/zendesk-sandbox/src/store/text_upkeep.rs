//! Upkeep of the full-text indexes: SQLite's FTS5 writes each transaction's words as a new
//! segment and merges segments only in steps of levels, so a busy index holds ten or more of
//! them, and every search for a word asks each. Asking one record whether it holds a word (as a
//! broad search does for each record of its walk, `search::matches_of`) costs 85 µs over the
//! ten segments of a million tickets and 15 µs over one. A background task merges them, a
//! bounded amount at a time, while any index holds more than one. PostgreSQL's GIN indexes
//! are kept by its own autovacuum: there is nothing to do.

use std::time::Duration;

use super::dialect::Dialect;
use super::tables::Table;
use super::{Store, StoreResult};

/// How often the task looks.
const LOOK_EVERY: Duration = Duration::from_secs(60);

/// Pages (of about 4 KiB) one merge step writes at most: a million tickets' index is about
/// 24,000 pages, so a step is a few tens of milliseconds of one write transaction.
const PAGES_PER_STEP: i64 = 2_000;

impl Store {
    /// One merge step on every full-text index that holds more than one segment; answers
    /// whether any did (so a caller can repeat until none does).
    pub async fn tend_text_indexes(&self) -> StoreResult<bool> {
        if self.dialect() != Dialect::Sqlite {
            return Ok(false);
        }
        self.write(|tx| {
            let mut merged = false;
            for table in Table::WITH_TEXT {
                let Some(fts) = table.text_table() else {
                    continue;
                };
                let segments = tx
                    .query_i64(&format!("SELECT COUNT(DISTINCT segid) FROM {fts}_idx"), &[])?
                    .unwrap_or(0);
                if segments > 1 {
                    // A negative count merges even below FTS5's own `automerge` threshold.
                    tx.execute(
                        &format!(
                            "INSERT INTO {fts} ({fts}, rank) VALUES ('merge', -{PAGES_PER_STEP})"
                        ),
                        &[],
                    )?;
                    merged = true;
                }
            }
            Ok(merged)
        })
        .await
    }
}

/// The background task; it stops when dropped (with the server's state).
pub struct TextUpkeep(tokio::task::JoinHandle<()>);

impl TextUpkeep {
    /// Starts looking every minute (nothing to do on PostgreSQL: the task ends at once).
    pub fn start(store: Store) -> TextUpkeep {
        TextUpkeep(tokio::spawn(async move {
            if store.dialect() != Dialect::Sqlite {
                return;
            }
            let first = tokio::time::Instant::now() + LOOK_EVERY;
            let mut tick = tokio::time::interval_at(first, LOOK_EVERY);
            loop {
                tick.tick().await;
                if let Err(error) = store.tend_text_indexes().await {
                    tracing::warn!(%error, "merging the full-text index failed");
                }
            }
        }))
    }
}

impl Drop for TextUpkeep {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::store::{Store, StoreError, Table, Writer};

    async fn segments(store: &Store) -> i64 {
        store
            .read(|r| r.query_i64("SELECT COUNT(DISTINCT segid) FROM tickets_fts_idx", &[]))
            .await
            .unwrap()
            .unwrap_or(0)
    }

    async fn printer_tickets(store: &Store) -> Vec<(i64, i64)> {
        let sql = "SELECT rowid, rowid FROM tickets_fts WHERE tickets_fts MATCH 'printer'";
        store.read(|r| r.query_pairs(sql, &[])).await.unwrap()
    }

    /// Each write transaction leaves its own segment; tending merges them into one, and the
    /// index finds what it found before.
    #[tokio::test]
    async fn tending_merges_the_segments_each_write_left() {
        let store = Store::open(&crate::test_db_url()).await.unwrap();
        if store.dialect() != crate::store::Dialect::Sqlite {
            // PostgreSQL keeps its own indexes: nothing to tend.
            assert!(!store.tend_text_indexes().await.unwrap());
            return;
        }
        for id in 1..=12i64 {
            let subject = if id % 2 == 0 { "printer jam" } else { "laptop" };
            let ticket = json!({"id": id, "subject": subject, "description": "", "status": "open",
                "tags": [], "custom_fields": [], "via": {"channel": "api"},
                "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"});
            store
                .write(move |tx: &mut dyn Writer| -> Result<(), StoreError> {
                    tx.save(Table::Tickets, &ticket)?;
                    Ok(())
                })
                .await
                .unwrap();
        }
        let before = printer_tickets(&store).await;
        assert_eq!(before.len(), 6);
        assert!(segments(&store).await > 1, "one segment per write");
        let mut steps = 0;
        while store.tend_text_indexes().await.unwrap() {
            steps += 1;
            assert!(steps < 10, "tending never ends");
        }
        assert!(steps >= 1);
        assert_eq!(segments(&store).await, 1);
        assert_eq!(printer_tickets(&store).await, before);
    }
}
