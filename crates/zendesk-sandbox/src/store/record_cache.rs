//! The record cache: stored records' text held in memory beside the revision of the row it was
//! read from, so that a list page on PostgreSQL asks the server only for each row's id, sort key
//! and revision, and the texts this process already holds are not sent again.
//!
//! Why: on PostgreSQL a page of 100 tickets is about 88 KB of record text, and sending it (the
//! server's output, TLS on both sides, the kernel's loopback copies) was most of what a list
//! page cost the two cores. A page of keys is a few KB.
//!
//! Why it is never stale: the revision is PostgreSQL's `xmin`, the transaction that wrote the
//! row version. Every change of a row, by this process or any other, writes a new row version
//! with a new `xmin`, so a text is served only when the row the page just read is the very
//! version the text came from (`Dialect::row_revision`). `xmin` is 32 bits and wraps after
//! 2^32 transactions; an entry older than [`MOST_AGE`] is forgotten, far sooner than any server
//! can run that many. Texts are kept from reads only (a write transaction's rows may still be
//! undone), and only from the row that carried the revision.
//!
//! Bounded: two generations of at most half of [`BUDGET_BYTES`] each. When the current one is
//! full (or older than half of [`MOST_AGE`]) it becomes the previous one and the one before is
//! dropped; a hit in the previous generation moves back into the current. A text larger than
//! [`LARGEST_TEXT`] is never kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::tables::Table;

/// The most bytes of text (with each entry's own overhead) the cache holds.
pub(crate) const BUDGET_BYTES: usize = 32 << 20;

/// The largest text kept: a page of larger records is read whole, as it always was.
pub(crate) const LARGEST_TEXT: usize = 64 << 10;

/// How long an entry may be kept unread at most (see the module doc: `xmin` wraps).
pub(crate) const MOST_AGE: Duration = Duration::from_secs(20 * 60);

/// What an entry costs besides its text: its key, revision, the map's slot and the `Arc`.
const ENTRY_OVERHEAD: usize = 64;

/// Records' texts by (table, id), each with the revision of the row it was read from.
pub struct RecordCache {
    generations: Mutex<Generations>,
    budget: usize,
    most_age: Duration,
}

struct Generations {
    current: HashMap<(Table, i64), Entry>,
    current_bytes: usize,
    previous: HashMap<(Table, i64), Entry>,
    started: Instant,
}

#[derive(Clone)]
struct Entry {
    revision: i64,
    text: Arc<str>,
}

impl Entry {
    fn cost(&self) -> usize {
        self.text.len() + ENTRY_OVERHEAD
    }
}

impl RecordCache {
    pub(crate) fn new() -> RecordCache {
        RecordCache::with_bounds(BUDGET_BYTES, MOST_AGE)
    }

    fn with_bounds(budget: usize, most_age: Duration) -> RecordCache {
        RecordCache {
            generations: Mutex::new(Generations {
                current: HashMap::new(),
                current_bytes: 0,
                previous: HashMap::new(),
                started: Instant::now(),
            }),
            budget,
            most_age,
        }
    }

    fn generations(&self) -> MutexGuard<'_, Generations> {
        // Each change leaves the maps whole: a panic elsewhere never leaves them half-made.
        self.generations
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The texts of `rows` (id, revision) of `table`, in order: `None` where the cache does not
    /// hold that very revision.
    pub(crate) fn texts(&self, table: Table, rows: &[(i64, i64)]) -> Vec<Option<Arc<str>>> {
        let mut generations = self.generations();
        self.age(&mut generations);
        rows.iter()
            .map(|&(id, revision)| {
                let key = (table, id);
                if let Some(entry) = generations.current.get(&key) {
                    return (entry.revision == revision).then(|| entry.text.clone());
                }
                let entry = generations.previous.remove(&key)?;
                let text = (entry.revision == revision).then(|| entry.text.clone());
                if text.is_some() {
                    self.put(&mut generations, key, entry);
                }
                text
            })
            .collect()
    }

    /// Keeps `text`, read from the row of `table` `id` at `revision` (replacing what was held
    /// for that record). Texts larger than [`LARGEST_TEXT`] are not kept.
    pub(crate) fn keep(&self, table: Table, id: i64, revision: i64, text: Arc<str>) {
        if text.len() > LARGEST_TEXT {
            return;
        }
        let entry = Entry { revision, text };
        let mut generations = self.generations();
        self.age(&mut generations);
        generations.previous.remove(&(table, id));
        self.put(&mut generations, (table, id), entry);
    }

    /// Puts an entry in the current generation, turning generations first when it is full.
    fn put(&self, generations: &mut Generations, key: (Table, i64), entry: Entry) {
        if generations.current_bytes + entry.cost() > self.budget / 2 {
            self.turn(generations);
        }
        generations.current_bytes += entry.cost();
        if let Some(replaced) = generations.current.insert(key, entry) {
            generations.current_bytes -= replaced.cost();
        }
    }

    /// Turns generations when the current one has been filling for half the longest age: an
    /// entry is then at most `most_age` old.
    fn age(&self, generations: &mut Generations) {
        if generations.started.elapsed() >= self.most_age / 2 {
            self.turn(generations);
        }
    }

    fn turn(&self, generations: &mut Generations) {
        generations.previous = std::mem::take(&mut generations.current);
        generations.current_bytes = 0;
        generations.started = Instant::now();
    }

    /// The bytes held now (both generations), for tests.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        let generations = self.generations();
        let previous: usize = generations.previous.values().map(Entry::cost).sum();
        generations.current_bytes + previous
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(cache: &RecordCache, id: i64, revision: i64) -> Option<String> {
        cache.texts(Table::Tickets, &[(id, revision)])[0]
            .as_ref()
            .map(|t| t.to_string())
    }

    #[test]
    fn a_text_is_served_only_at_the_revision_it_was_read_at() {
        let cache = RecordCache::new();
        cache.keep(Table::Tickets, 7, 100, r#"{"id":7,"subject":"old"}"#.into());
        assert_eq!(
            text_of(&cache, 7, 100).as_deref(),
            Some(r#"{"id":7,"subject":"old"}"#)
        );
        // The row was written again: another revision, not served.
        assert_eq!(text_of(&cache, 7, 101), None);
        // Another table's record of the same id is another record.
        assert!(cache.texts(Table::Users, &[(7, 100)])[0].is_none());
        cache.keep(Table::Tickets, 7, 101, r#"{"id":7,"subject":"new"}"#.into());
        assert_eq!(text_of(&cache, 7, 100), None);
        assert_eq!(
            text_of(&cache, 7, 101).as_deref(),
            Some(r#"{"id":7,"subject":"new"}"#)
        );
    }

    #[test]
    fn the_cache_holds_at_most_its_budget_and_keeps_what_is_read() {
        let text = "x".repeat(1_000);
        let cache = RecordCache::with_bounds(20 * (1_000 + ENTRY_OVERHEAD), MOST_AGE);
        cache.keep(Table::Tickets, 1, 1, text.as_str().into());
        for id in 2..=200 {
            cache.keep(Table::Tickets, id, 1, text.as_str().into());
            // Record 1 is read all along: it stays.
            assert!(text_of(&cache, 1, 1).is_some(), "record 1 after {id}");
            assert!(cache.bytes() <= 20 * (1_000 + ENTRY_OVERHEAD));
        }
        // Records written long ago and never read again are gone.
        assert_eq!(text_of(&cache, 2, 1), None);
        assert!(text_of(&cache, 200, 1).is_some());
    }

    #[test]
    fn large_texts_are_not_kept() {
        let cache = RecordCache::new();
        cache.keep(Table::Tickets, 1, 1, "x".repeat(LARGEST_TEXT + 1).into());
        assert_eq!(text_of(&cache, 1, 1), None);
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn entries_are_forgotten_after_the_longest_age() {
        let cache = RecordCache::with_bounds(BUDGET_BYTES, Duration::from_millis(40));
        cache.keep(Table::Tickets, 1, 1, "{}".into());
        std::thread::sleep(Duration::from_millis(25));
        // One turn: still held, in the previous generation (and not read since).
        cache.keep(Table::Tickets, 2, 1, "{}".into());
        std::thread::sleep(Duration::from_millis(25));
        assert_eq!(text_of(&cache, 1, 1), None);
    }
}
