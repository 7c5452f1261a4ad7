//! Upkeep a database needs while the sandbox runs, done by one background task per process.
//!
//! - **SQLite: the full-text indexes.** FTS5 writes each transaction's words as a new segment
//!   and merges segments only in steps of levels, so a busy index holds ten or more of them, and
//!   every search for a word asks each. Asking one record whether it holds a word (as a broad
//!   search does for each record of its walk, `search::matches_of`) costs 85 µs over the ten
//!   segments of a million tickets and 15 µs over one. The task merges them, a bounded amount at
//!   a time, while any index holds more than one (PostgreSQL's GIN indexes need nothing of the
//!   kind).
//! - **PostgreSQL: the planner's statistics.** A table filled since it was last analyzed is
//!   planned from defaults: `deleted_at IS NULL` is taken to hold for 0.5% of tickets, so a list
//!   page reads every live ticket and sorts them, and each connection keeps that plan for its
//!   prepared statement. Autovacuum analyzes such a table, but only when it next looks (once a
//!   minute by default, for the whole server). The task analyzes, every few seconds, the tables
//!   whose rows changed past autovacuum's own rule, which also replans the prepared statements.

use std::time::Duration;

use super::dialect::Dialect;
use super::tables::Table;
use super::{Store, StoreResult};

/// How often the task merges SQLite's full-text segments.
const MERGE_EVERY: Duration = Duration::from_secs(60);

/// How often the task looks for PostgreSQL tables with stale statistics: a look is one query
/// of the statistics views, and an account's first thousand tickets would otherwise be listed
/// by the wrong plan for up to a minute.
const ANALYZE_EVERY: Duration = Duration::from_secs(5);

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

    /// Analyzes the tables whose rows changed, since they were last analyzed, by more than
    /// autovacuum's threshold (50 rows and a tenth of the table); answers their names. Nothing
    /// on SQLite, whose planner keeps no statistics unless asked.
    pub async fn refresh_statistics(&self) -> StoreResult<Vec<String>> {
        self.backend.refresh_statistics().await
    }
}

/// The background task; it stops when dropped (with the server's state).
pub struct Upkeep(tokio::task::JoinHandle<()>);

impl Upkeep {
    /// Starts the upkeep of the store's backend.
    pub fn start(store: Store) -> Upkeep {
        Upkeep(tokio::spawn(async move {
            let every = match store.dialect() {
                Dialect::Sqlite => MERGE_EVERY,
                Dialect::Postgres => ANALYZE_EVERY,
            };
            let first = tokio::time::Instant::now() + every;
            let mut tick = tokio::time::interval_at(first, every);
            loop {
                tick.tick().await;
                let done = match store.dialect() {
                    Dialect::Sqlite => store.tend_text_indexes().await.map(drop),
                    Dialect::Postgres => store.refresh_statistics().await.map(drop),
                };
                if let Err(error) = done {
                    tracing::warn!(%error, "the store's upkeep failed");
                }
            }
        }))
    }
}

impl Drop for Upkeep {
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

    /// A table filled since it was last analyzed is analyzed by the next look, which records
    /// what the planner needs (here, that every ticket is live); a look right after finds
    /// nothing more to do.
    #[tokio::test]
    async fn a_table_filled_since_its_statistics_is_analyzed() {
        let store = Store::open(&crate::test_db_url()).await.unwrap();
        if store.dialect() != crate::store::Dialect::Postgres {
            // SQLite's planner keeps no statistics unless asked: nothing to refresh.
            assert!(store.refresh_statistics().await.unwrap().is_empty());
            return;
        }
        let live_share = |store: &Store| {
            let store = store.clone();
            async move {
                store
                    .read(|r| {
                        r.query_i64(
                            "SELECT CAST(100 * null_frac AS BIGINT) FROM pg_stats \
                             WHERE schemaname = current_schema() AND tablename = 'tickets' \
                             AND attname = 'deleted_at'",
                            &[],
                        )
                    })
                    .await
                    .unwrap()
            }
        };
        store
            .write(|tx: &mut dyn Writer| -> Result<(), StoreError> {
                for id in 1..=300i64 {
                    let ticket = json!({"id": id, "subject": "printer", "description": "",
                        "status": "open", "tags": [], "custom_fields": [], "via": {"channel": "api"},
                        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z"});
                    tx.save(Table::Tickets, &ticket)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(live_share(&store).await, None, "no statistics before");
        // The server's statistics of the write arrive within about a second of its commit.
        let mut analyzed = Vec::new();
        for _ in 0..100 {
            analyzed = store.refresh_statistics().await.unwrap();
            if analyzed.iter().any(|t| t == "tickets") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(analyzed.iter().any(|t| t == "tickets"), "{analyzed:?}");
        assert_eq!(live_share(&store).await, Some(100));
        let again = store.refresh_statistics().await.unwrap();
        assert!(!again.iter().any(|t| t == "tickets"), "{again:?}");
    }
}
