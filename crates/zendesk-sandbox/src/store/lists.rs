//! Lists: which page of a table to read (offset or keyset windows, under filters, in an order),
//! the SQL of one page, and reading it row by row so that a page of large records is never held
//! whole.

use std::collections::HashMap;
use std::sync::Arc;

use super::bind::Bind;
use super::connection::{PageRow, ReadSql};
use super::dialect::Dialect;
use super::error::StoreResult;
use super::record_cache::LARGEST_TEXT;
use super::sql::{Filter, RECORDS_PER_STATEMENT, ids_statement, where_clause};
use super::tables::Table;

/// Which rows of a list to fetch: offset (`page`, `per_page`) or keyset (after/before a key).
#[derive(Clone, Debug)]
pub enum Window {
    Offset { page: i64, per_page: i64 },
    After { key: Option<(i64, i64)>, size: i64 },
    Before { key: (i64, i64), size: i64 },
}

/// One page of a list: what table, under which filters, in which order.
#[derive(Clone, Debug)]
pub struct ListQuery<'a> {
    pub table: Table,
    pub filters: &'a [Filter],
    /// An integer column.
    pub sort_column: &'a str,
    pub descending: bool,
    pub window: &'a Window,
}

/// Rows of one page: (id, sort key, stored JSON text), whether more remain in that direction
/// and, for offset windows, the total.
#[derive(Debug, Default)]
pub struct PageRows {
    pub rows: Vec<(i64, i64, String)>,
    pub more: bool,
    pub count: Option<i64>,
}

/// What a streamed page found besides its rows.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageSummary {
    /// The total, for offset windows.
    pub count: Option<i64>,
    /// Whether more rows remain in the window's direction.
    pub more: bool,
    /// (id, sort key) of the first and last rows handed on.
    pub first: Option<(i64, i64)>,
    pub last: Option<(i64, i64)>,
}

/// The statements of one list page: the total (offset windows only) and the rows, with their
/// binds, and whether the rows come back in reverse (a page before a key).
pub struct ListSql {
    pub count: Option<String>,
    pub rows: String,
    pub binds: Vec<Bind>,
    /// How many rows to keep (one more is fetched to learn whether more remain).
    pub size: i64,
    pub backwards: bool,
    /// For a backwards page: the rows statement limited to `size`, its sort key aliased
    /// `sort_key`, and the ascending order to wrap it in.
    reversed: Option<(String, String)>,
}

impl ListSql {
    /// The backwards rows (at most `size`, key as `sort_key`) and the order that turns them
    /// around.
    pub fn reversed_rows(&self) -> (String, String) {
        self.reversed.clone().unwrap_or_default()
    }
}

/// Builds the SQL of one list page, in `dialect`.
pub fn list_sql(query: &ListQuery<'_>, dialect: Dialect) -> ListSql {
    list_sql_reading(query, dialect, "json")
}

/// As [`list_sql`], the third column (`json`) read as `third`: the record's text or, for a page
/// checked against the record cache, the row's revision.
fn list_sql_reading(query: &ListQuery<'_>, dialect: Dialect, third: &str) -> ListSql {
    let table = query.table.name();
    let sort = query.sort_column;
    // Every page reads a fourth column, NULL for a table without a companion, so that every
    // page is read and served one way.
    let companion = format!(
        ", {} AS companion",
        query.table.companion().unwrap_or("NULL")
    );
    let (mut where_sql, mut binds) = where_clause(query.filters, dialect);
    let (key, size, backwards) = match query.window {
        Window::Offset { page, per_page } => {
            let dir = if query.descending { "DESC" } else { "ASC" };
            return ListSql {
                count: Some(format!("SELECT COUNT(*) FROM {table} WHERE {where_sql}")),
                rows: format!(
                    "SELECT id, {sort}, {third}{companion} FROM {table} WHERE {where_sql} \
                     ORDER BY {sort} {dir}, id {dir} LIMIT {per_page} OFFSET {}",
                    (page - 1) * per_page
                ),
                binds,
                size: *per_page,
                backwards: false,
                reversed: None,
            };
        }
        Window::After { key, size } => (*key, *size, false),
        Window::Before { key, size } => (Some(*key), *size, true),
    };
    // A page before a key walks the order backwards (flipped comparison and direction); the
    // caller turns it around so every page reads in the list's order.
    let reversed = query.descending != backwards;
    let (cmp, order) = if reversed {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some((value, id)) = key {
        where_sql.push_str(&format!(
            " AND ({sort} {cmp} $? OR ({sort} = $? AND id {cmp} $?))"
        ));
        binds.extend([Bind::Int(value), Bind::Int(value), Bind::Int(id)]);
    }
    let turned = if order == "ASC" { "DESC" } else { "ASC" };
    let reversed = backwards.then(|| {
        (
            format!(
                "SELECT id, {sort} AS sort_key, {third}{companion} FROM {table} WHERE {where_sql} \
                 ORDER BY {sort} {order}, id {order} LIMIT {size}"
            ),
            format!("sort_key {turned}, id {turned}"),
        )
    });
    ListSql {
        count: None,
        rows: format!(
            "SELECT id, {sort}, {third}{companion} FROM {table} WHERE {where_sql} \
             ORDER BY {sort} {order}, id {order} LIMIT {}",
            size + 1
        ),
        binds,
        size,
        backwards,
        reversed,
    }
}

/// Reads one page of a list in the list's order and hands each row to `emit` as it is read, so
/// a page of large records never sits in memory whole.
///
/// Where the reader keeps a record cache (PostgreSQL), the page is first read as keys and row
/// revisions, the texts the cache holds at those revisions are served from it, and only the
/// others are read, by id, at the revisions listed (`cached_page`).
pub fn stream_page<R: ReadSql + ?Sized>(
    reader: &mut R,
    query: &ListQuery<'_>,
    emit: &mut dyn FnMut(PageRow<'_>) -> StoreResult<()>,
) -> StoreResult<PageSummary> {
    if let Some(revision) = reader.dialect().row_revision()
        && query.table.companion().is_none()
        && reader.record_cache().is_some()
        && let Some(summary) = cached_page(reader, query, revision, emit)?
    {
        return Ok(summary);
    }
    let built = list_sql(query, reader.dialect());
    let mut summary = PageSummary::default();
    let rows_sql = page_statement(reader, &built, &mut summary)?;
    let mut seen = 0i64;
    let mut each = |row: PageRow<'_>| {
        seen += 1;
        if seen > built.size {
            summary.more = true;
            return Ok(false);
        }
        summary.first.get_or_insert((row.id, row.key));
        summary.last = Some((row.id, row.key));
        emit(row)?;
        Ok(true)
    };
    reader.stream_page_rows(&rows_sql, &built.binds, &mut each)?;
    finish(&mut summary, query);
    Ok(summary)
}

/// The most bytes of record text a page read against the record cache holds before it is
/// served (the texts the cache did not have): past it, the page is read again as a stream.
const MOST_HELD_BYTES: usize = 4 << 20;

/// One page read against the record cache (see [`stream_page`]); `None` when it must be read
/// as a stream after all: a record too large to keep, a row changed between the two
/// statements, or the texts to read are too many to hold.
fn cached_page<R: ReadSql + ?Sized>(
    reader: &mut R,
    query: &ListQuery<'_>,
    revision: &str,
    emit: &mut dyn FnMut(PageRow<'_>) -> StoreResult<()>,
) -> StoreResult<Option<PageSummary>> {
    let table = query.table;
    // A text too large to keep is never read into memory whole: its row's revision reads -1
    // (a row version is never negative), and its page is streamed. The length is the stored
    // value's header: nothing is decompressed to learn it.
    let keys = format!(
        "CASE WHEN octet_length(json) <= {LARGEST_TEXT} THEN {revision} ELSE -1 END AS json"
    );
    let built = list_sql_reading(query, reader.dialect(), &keys);
    let mut summary = PageSummary::default();
    let rows_sql = page_statement(reader, &built, &mut summary)?;
    let mut rows = reader.query_int_triples(&rows_sql, &built.binds)?;
    if rows.len() as i64 > built.size {
        summary.more = true;
        rows.truncate(built.size.max(0) as usize);
    }
    if rows.iter().any(|&[_, _, rev]| rev < 0) {
        return Ok(None);
    }
    let listed: Vec<(i64, i64)> = rows.iter().map(|&[id, _, rev]| (id, rev)).collect();
    let Some(mut texts) = reader
        .record_cache()
        .map(|cache| cache.texts(table, &listed))
    else {
        return Ok(None);
    };
    let missing: Vec<i64> = listed
        .iter()
        .zip(&texts)
        .filter(|(_, text)| text.is_none())
        .map(|(&(id, _), _)| id)
        .collect();
    if !missing.is_empty() {
        let at: HashMap<i64, usize> = (listed.iter().enumerate())
            .map(|(i, &(id, _))| (id, i))
            .collect();
        let mut read: Vec<(usize, Arc<str>)> = Vec::with_capacity(missing.len());
        let (mut held, mut changed) = (0usize, false);
        for ids in missing.chunks(RECORDS_PER_STATEMENT) {
            let (sql, binds) = ids_statement(
                &format!("SELECT id, {revision}, json FROM {}", table.name()),
                ids,
            );
            reader.stream_triples(&sql, &binds, &mut |id, rev, json| {
                let Some(&i) = at.get(&id) else {
                    return Ok(true);
                };
                held += json.len();
                // Written since it was listed (the text is not the version that met the
                // filters), or too much to hold: the page is read again as a stream.
                changed = listed[i].1 != rev || held > MOST_HELD_BYTES;
                read.push((i, Arc::from(json)));
                Ok(!changed)
            })?;
            if changed {
                return Ok(None);
            }
        }
        let cache = reader.record_cache();
        for (i, text) in read {
            let (id, rev) = listed[i];
            if let Some(cache) = cache {
                cache.keep(table, id, rev, text.clone());
            }
            texts[i] = Some(text);
        }
    }
    // A listed row gone since (deleted outright): the page is read again as a stream.
    if texts.iter().any(Option::is_none) {
        return Ok(None);
    }
    for (&[id, key, _], json) in rows.iter().zip(texts.iter().flatten()) {
        summary.first.get_or_insert((id, key));
        summary.last = Some((id, key));
        emit(PageRow {
            id,
            key,
            json,
            companion: None,
        })?;
    }
    finish(&mut summary, query);
    Ok(Some(summary))
}

/// Runs what precedes a page's rows (its total, for an offset window; for a page before a key,
/// whether more lie before it) and answers the rows' statement, in the list's order.
fn page_statement<R: ReadSql + ?Sized>(
    reader: &mut R,
    built: &ListSql,
    summary: &mut PageSummary,
) -> StoreResult<String> {
    if let Some(count_sql) = &built.count {
        summary.count = Some(reader.query_i64(count_sql, &built.binds)?.unwrap_or(0));
    }
    if !built.backwards {
        return Ok(built.rows.clone());
    }
    // A page before a key is read backwards by `list_sql`; turn it around in SQL so rows
    // stream in the list's order, and learn whether more lie before it from a count of at
    // most size + 1 keys.
    let more = reader
        .query_i64(
            &format!("SELECT COUNT(*) FROM ({}) AS probe", built.rows),
            &built.binds,
        )?
        .unwrap_or(0);
    summary.more = more > built.size;
    let (inner, order) = built.reversed_rows();
    Ok(format!(
        "SELECT id, sort_key, json, companion FROM ({inner}) AS page ORDER BY {order}"
    ))
}

/// For an offset window, whether more pages follow is the total's to say.
fn finish(summary: &mut PageSummary, query: &ListQuery<'_>) {
    if let (Some(total), Window::Offset { page, per_page }) = (summary.count, query.window) {
        summary.more = page * per_page < total;
    }
}

#[cfg(test)]
mod tests {
    use super::super::record_cache::RecordCache;
    use super::*;

    /// A PostgreSQL-speaking reader over rows held here: (id, revision, text), in list order.
    /// It notes which statements it was asked, and `between` changes its rows after the
    /// page's keys are read (another connection writing meanwhile).
    type Rows = Vec<(i64, i64, String)>;
    /// What another connection writes between a page's two statements.
    type Meanwhile = Box<dyn FnMut(&mut Rows)>;

    struct FakeReader {
        rows: Rows,
        cache: RecordCache,
        asked: Vec<&'static str>,
        between: Option<Meanwhile>,
    }

    impl FakeReader {
        fn new(rows: &[(i64, i64, &str)]) -> FakeReader {
            FakeReader {
                rows: rows
                    .iter()
                    .map(|&(id, rev, t)| (id, rev, t.into()))
                    .collect(),
                cache: RecordCache::new(),
                asked: Vec::new(),
                between: None,
            }
        }

        /// One forward page of up to `size` tickets: the texts served, in order.
        fn page(&mut self, size: i64) -> Vec<String> {
            self.asked.clear();
            let window = Window::After { key: None, size };
            let query = ListQuery {
                table: Table::Tickets,
                filters: &[],
                sort_column: "id",
                descending: false,
                window: &window,
            };
            let mut served = Vec::new();
            let summary = stream_page(self, &query, &mut |row| {
                served.push(row.json.to_string());
                Ok(())
            })
            .unwrap();
            assert_eq!(summary.more, self.rows.len() as i64 > size);
            served
        }
    }

    impl ReadSql for FakeReader {
        fn dialect(&self) -> Dialect {
            Dialect::Postgres
        }
        fn query_i64(&mut self, _: &str, _: &[Bind]) -> StoreResult<Option<i64>> {
            unreachable!("a forward page counts nothing")
        }
        fn query_pairs(&mut self, _: &str, _: &[Bind]) -> StoreResult<Vec<(i64, i64)>> {
            unreachable!()
        }
        fn query_int_triples(&mut self, sql: &str, _: &[Bind]) -> StoreResult<Vec<[i64; 3]>> {
            assert!(
                sql.contains("xmin") && sql.contains("octet_length(json)"),
                "{sql}"
            );
            self.asked.push("keys");
            // As the keys statement says of a text too large to keep.
            let keys = (self.rows.iter())
                .map(|(id, rev, text)| match text.len() > LARGEST_TEXT {
                    true => [*id, *id, -1],
                    false => [*id, *id, *rev],
                })
                .collect();
            if let Some(mut between) = self.between.take() {
                between(&mut self.rows);
            }
            Ok(keys)
        }
        fn query_triples(&mut self, _: &str, _: &[Bind]) -> StoreResult<Vec<(i64, i64, String)>> {
            unreachable!()
        }
        fn stream_triples(
            &mut self,
            sql: &str,
            binds: &[Bind],
            each: &mut dyn FnMut(i64, i64, &str) -> StoreResult<bool>,
        ) -> StoreResult<()> {
            assert!(sql.contains("WHERE id IN"), "{sql}");
            self.asked.push("texts by id");
            for (id, rev, text) in &self.rows {
                if binds.iter().any(|b| matches!(b, Bind::Int(i) if i == id))
                    && !each(*id, *rev, text)?
                {
                    break;
                }
            }
            Ok(())
        }
        fn stream_page_rows(
            &mut self,
            sql: &str,
            _: &[Bind],
            each: &mut dyn FnMut(PageRow<'_>) -> StoreResult<bool>,
        ) -> StoreResult<()> {
            assert!(sql.contains(", json") && !sql.contains("xmin"), "{sql}");
            self.asked.push("whole page");
            for (id, _, text) in &self.rows {
                let row = PageRow {
                    id: *id,
                    key: *id,
                    json: text,
                    companion: None,
                };
                if !each(row)? {
                    break;
                }
            }
            Ok(())
        }
        fn record_cache(&self) -> Option<&RecordCache> {
            Some(&self.cache)
        }
    }

    #[test]
    fn a_page_read_again_is_served_from_the_record_cache() {
        let mut reader = FakeReader::new(&[(1, 10, "one"), (2, 10, "two"), (3, 11, "three")]);
        assert_eq!(reader.page(2), ["one", "two"]);
        assert_eq!(reader.asked, ["keys", "texts by id"]);
        assert_eq!(reader.page(2), ["one", "two"]);
        assert_eq!(reader.asked, ["keys"], "every text came from the cache");
        // Only what the cache lacks is read.
        assert_eq!(reader.page(3), ["one", "two", "three"]);
        assert_eq!(reader.asked, ["keys", "texts by id"]);
    }

    #[test]
    fn a_row_written_again_is_read_again() {
        let mut reader = FakeReader::new(&[(1, 10, "one"), (2, 10, "two")]);
        reader.page(2);
        reader.rows[1] = (2, 12, "two, edited".into());
        assert_eq!(reader.page(2), ["one", "two, edited"]);
        assert_eq!(reader.asked, ["keys", "texts by id"]);
    }

    #[test]
    fn a_row_written_between_the_two_statements_sends_the_page_to_a_stream() {
        let mut reader = FakeReader::new(&[(1, 10, "one"), (2, 10, "two")]);
        reader.between = Some(Box::new(|rows| rows[0] = (1, 13, "one, edited".into())));
        // The keys said revision 10; the text read is of 13: never served as the row listed.
        assert_eq!(reader.page(2), ["one, edited", "two"]);
        assert_eq!(reader.asked, ["keys", "texts by id", "whole page"]);
        // Nothing of that page was kept: the next page reads the texts again.
        reader.page(2);
        assert_eq!(reader.asked, ["keys", "texts by id"]);
    }

    #[test]
    fn a_page_with_a_record_too_large_to_keep_is_streamed_and_nothing_held() {
        let large = "x".repeat(LARGEST_TEXT + 1);
        let mut reader = FakeReader::new(&[(1, 10, "one"), (2, 10, &large)]);
        assert_eq!(reader.page(2), ["one", large.as_str()]);
        assert_eq!(reader.asked, ["keys", "whole page"]);
        assert_eq!(reader.page(2).len(), 2);
        assert_eq!(reader.asked, ["keys", "whole page"]);
    }

    #[test]
    fn a_row_deleted_between_the_two_statements_sends_the_page_to_a_stream() {
        let mut reader = FakeReader::new(&[(1, 10, "one"), (2, 10, "two"), (3, 10, "three")]);
        reader.between = Some(Box::new(|rows| {
            rows.remove(1);
        }));
        assert_eq!(reader.page(5), ["one", "three"]);
        assert_eq!(reader.asked, ["keys", "texts by id", "whole page"]);
    }
}
