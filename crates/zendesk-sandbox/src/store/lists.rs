//! Lists: which page of a table to read (offset or keyset windows, under filters, in an order),
//! the SQL of one page, and reading it row by row so that a page of large records is never held
//! whole.

use super::bind::Bind;
use super::connection::{PageRow, ReadSql};
use super::dialect::Dialect;
use super::error::StoreResult;
use super::sql::{Filter, where_clause};
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
                    "SELECT id, {sort}, json{companion} FROM {table} WHERE {where_sql} \
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
                "SELECT id, {sort} AS sort_key, json{companion} FROM {table} WHERE {where_sql} \
                 ORDER BY {sort} {order}, id {order} LIMIT {size}"
            ),
            format!("sort_key {turned}, id {turned}"),
        )
    });
    ListSql {
        count: None,
        rows: format!(
            "SELECT id, {sort}, json{companion} FROM {table} WHERE {where_sql} \
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
pub fn stream_page<R: ReadSql + ?Sized>(
    reader: &mut R,
    query: &ListQuery<'_>,
    emit: &mut dyn FnMut(PageRow<'_>) -> StoreResult<()>,
) -> StoreResult<PageSummary> {
    let built = list_sql(query, reader.dialect());
    let mut summary = PageSummary::default();
    if let Some(count_sql) = &built.count {
        summary.count = Some(reader.query_i64(count_sql, &built.binds)?.unwrap_or(0));
    }
    let rows_sql = if built.backwards {
        // A page before a key is read backwards by `list_sql`; turn it around in SQL so rows
        // stream in the list's order, and learn whether more lie before it from a count of
        // at most size + 1 keys.
        let more = reader
            .query_i64(
                &format!("SELECT COUNT(*) FROM ({}) AS probe", built.rows),
                &built.binds,
            )?
            .unwrap_or(0);
        summary.more = more > built.size;
        let (inner, order) = built.reversed_rows();
        format!("SELECT id, sort_key, json, companion FROM ({inner}) AS page ORDER BY {order}")
    } else {
        built.rows.clone()
    };
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
    if let (Some(total), Window::Offset { page, per_page }) = (summary.count, query.window) {
        summary.more = page * per_page < total;
    }
    Ok(summary)
}
