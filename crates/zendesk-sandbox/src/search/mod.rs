//! Search: the typed layer behind `/search`, `/search/count` and `/search/export`. The query
//! is parsed once by `zendesk_query`, compiled to SQL per record type (`compile`) in the store's
//! dialect, and run here inside one read transaction with offset paging (search), a total
//! (count) or keyset cursors (export). `routes::search` turns request parameters into these
//! requests and the results into Zendesk's envelopes.
//!
//! [`search_records`], [`count_records`] and [`export_records`] take `now` (Unix seconds) so
//! relative dates and cursor expiry are testable.
//!
//! Behaviour:
//! - `/search`: `query` required; `page` >= 1, `per_page` 1..=100 (default 100, larger
//!   values served as 100); more than 1,000 results deep (`page * per_page > 1000`) is 422
//!   "Requested response size was greater than Search Response Limits"; `next_page` is null
//!   when the next page would pass that limit. `count` is the true total of every record type
//!   that matches up to [`EXACT_COUNT_LIMIT`] (10,000) records; past it, for a broad free-text
//!   search, an estimate (see below). `/search/count` always counts exactly.
//!   `sort_by` = updated_at|created_at|priority|status|ticket_type (or `order_by:` in the
//!   query; the parameter wins), `sort_order` = asc|desc (or `sort:`),
//!   default desc. Without a sort Zendesk ranks by relevance; the sandbox has no relevance
//!   score and uses `updated_at` descending. Without `type:`, every record type is searched
//!   and the results are merged by the sort key (ties by id, then ticket, user,
//!   organization, group). Each result carries `url` and `result_type`.
//! - `/search/export`: `filter[type]` required (400 otherwise); a `type:` in the query is
//!   ignored; `page[size]` 1..=1000 (default 100); ordered by `created_at` descending, then id
//!   (as recorded from Zendesk); no `count`. The cursor is base64 JSON carrying the last key,
//!   the time it was issued and a hash of the search: older than an hour, or from another
//!   search, it is refused with a 400 that says so.
//! - End-users see only tickets they requested and their own user; agents and admins see all.
//!
//! Speed (figures from `examples/search_bench.rs` in the report): the total is one `COUNT(*)`
//! per type; the page is read in two steps, `(sort key, id)` first and then the JSON of those
//! ids only, so SQLite never sorts whole records. When many tickets match and the sort key
//! has an index, the keys are read by walking that index and stopping after the page
//! (`Plan::Walk`) instead of sorting every match (`Plan::Gather`).
//!
//! Broad free text (`matches_of`): a common word among a million tickets matches 384,000 of
//! them, and counting them exactly, or gathering them to test records against, costs 200 ms.
//! When an agent searches free-text terms only (besides `type:`) that find more than 10,000
//! records and at least one in 20 of the type's (counted from the text index and the tags, no
//! further than that), the page is found by walking the sort order and asking the text index
//! about each record in turn, and the count is estimated from a sample: the share
//! of 256 records, in 32 runs of ids spread over the type's ids, that match, times the
//! records of the type. Zendesk's count is exact; this one has a standard error of about 8%
//! for a word in 40% of records (3 points of share). An estimate of 10,000 or under is
//! replaced by the exact count. With several terms (`printer jammed`, each word in many
//! tickets) the sample is taken before the walk, and only a share of one in 20 or more makes
//! the search broad: words each common may be rare together.
//! A prefix (`print*`) is still gathered once: FTS5 expands it each time it is asked.

mod compile;
mod error;
#[cfg(test)]
mod tests;

use base64::Engine;
use serde_json::{Value, json};
use zendesk_query::keywords::RecordType;
use zendesk_query::{Query, SortOrder, TermKind};
use zendesk_types::limits;

use compile::{Cond, Context, table};
pub use error::SearchError;

use crate::caller::{Caller, Role};
use crate::store::{Bind, Dialect, Reader, Store, TextForm};

/// Up to this many matches of a record type, `/search` counts them exactly; past it, a broad
/// search's count is an estimate (see `matches_of`). `/search/count` always counts exactly.
pub const EXACT_COUNT_LIMIT: i64 = 10_000;

/// At most this many results can be paged through `/search`.
pub const SEARCH_RESULT_LIMIT: i64 = limits::MAX_SEARCH_RESULTS as i64;
/// Largest `page[size]` of `/search/export`.
pub const EXPORT_PAGE_LIMIT: i64 = limits::MAX_EXPORT_PAGE_SIZE as i64;
/// How long an export cursor stays valid, in seconds.
pub const CURSOR_LIFETIME: i64 = limits::EXPORT_CURSOR_LIFETIME_SECS;

/// The sort keys `/search` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    UpdatedAt,
    CreatedAt,
    Priority,
    Status,
    TicketType,
}

impl SortField {
    /// `sort_by` values, and the `order_by:` spellings (`created`, `updated`).
    pub fn parse(text: &str) -> Option<SortField> {
        match text.to_ascii_lowercase().as_str() {
            "updated_at" | "updated" => Some(SortField::UpdatedAt),
            "created_at" | "created" => Some(SortField::CreatedAt),
            "priority" => Some(SortField::Priority),
            "status" => Some(SortField::Status),
            "ticket_type" | "type" => Some(SortField::TicketType),
            _ => None,
        }
    }

    /// An integer expression per record type; records without the field sort as 0.
    fn sql(self, rt: RecordType) -> &'static str {
        match (self, rt) {
            (SortField::UpdatedAt, _) => "r.updated_at",
            (SortField::CreatedAt, _) => "r.created_at",
            (SortField::Priority, RecordType::Ticket) => "r.priority_rank",
            (SortField::Status, RecordType::Ticket) => "r.status_rank",
            // Alphabetical, as the type names sort.
            (SortField::TicketType, RecordType::Ticket) => {
                "(CASE r.ticket_type WHEN 'incident' THEN 1 WHEN 'problem' THEN 2 \
                 WHEN 'question' THEN 3 WHEN 'task' THEN 4 ELSE 0 END)"
            }
            _ => "0",
        }
    }
}

/// One `/search` request.
#[derive(Clone, Debug)]
pub struct SearchRequest {
    pub query: String,
    pub sort_by: Option<SortField>,
    pub sort_order: Option<SortOrder>,
    /// 1-based.
    pub page: i64,
    /// 1..=100.
    pub per_page: i64,
}

/// One page of `/search`: the stored records (without `url`) and the total.
#[derive(Clone, Debug)]
pub struct SearchPage {
    pub results: Vec<(RecordType, Value)>,
    pub count: i64,
}

/// One `/search/export` request.
#[derive(Clone, Debug)]
pub struct ExportRequest {
    pub query: String,
    pub record_type: RecordType,
    /// 1..=1000.
    pub page_size: i64,
    pub after: Option<String>,
}

/// One page of `/search/export`.
#[derive(Clone, Debug)]
pub struct ExportPage {
    pub results: Vec<Value>,
    pub has_more: bool,
    /// The cursor after the last result; `None` on an empty page.
    pub after_cursor: Option<String>,
}

fn context(caller: &Caller, now: i64, dialect: Dialect) -> Context {
    Context {
        caller_id: caller.id,
        end_user: caller.role == Role::EndUser,
        now,
        dialect,
        text_form: TextForm::Member,
    }
}

/// Most terms one query may hold. Positive free-text terms are tested together
/// (`compile::all_free_text`), yet the text index still reads each phrase's list of matches
/// while the page is read: eight concurrent searches over 600 tickets, every word in every
/// ticket, grew the heap by 16.2 MiB at 50 terms (49.1 when each term was tested alone) and
/// 84 MiB at 200, against about 4 for one word. So a query's memory is bounded by its terms.
/// Longer questions are asked in several searches.
pub const MAX_QUERY_TERMS: usize = 50;

fn parse_query(text: &str) -> Result<Query, SearchError> {
    if text.contains('\0') {
        return Err(SearchError::InvalidQuery(
            "the query contains a NUL character; remove it".into(),
        ));
    }
    let query = zendesk_query::parse(text).map_err(|e| SearchError::InvalidQuery(e.to_string()))?;
    if query.terms.len() > MAX_QUERY_TERMS {
        return Err(SearchError::InvalidQuery(format!(
            "the query has {} terms; at most {MAX_QUERY_TERMS} are allowed: search in several steps",
            query.terms.len()
        )));
    }
    Ok(query)
}

/// The condition of every record type, compiled even for types that end up unused so that a
/// mistake in any term is reported whatever the `type:`; types whose condition is constant
/// false are dropped.
fn conditions(query: &Query, ctx: &Context) -> Result<Vec<(RecordType, Cond)>, SearchError> {
    let mut out = Vec::new();
    for rt in RecordType::ALL {
        let cond = compile::compile(query, rt, ctx)?;
        if !matches!(cond, Cond::False) {
            out.push((rt, cond));
        }
    }
    Ok(out)
}

fn count_of(reader: &mut dyn Reader, rt: RecordType, cond: &Cond) -> Result<i64, SearchError> {
    let (where_sql, binds) = cond.render();
    let sql = format!(
        "SELECT COUNT(*) FROM {} r WHERE {where_sql}",
        table(rt).name()
    );
    Ok(reader.query_i64(&sql, &binds)?.unwrap_or(0))
}

/// How `keys_of` reads the matches in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plan {
    /// Let SQLite pick: it gathers every match through the filters' indexes, then sorts.
    /// Best when few records match.
    Gather,
    /// Walk the sort key's index in order and stop after the page: best when many records
    /// match, so that a page is found after a short walk instead of sorting them all.
    Walk(&'static str),
}

/// The index of a record type's sort key, when it has one (see the schema).
fn sort_index(rt: RecordType, sort: SortField) -> Option<&'static str> {
    match (rt, sort) {
        (RecordType::Ticket, SortField::UpdatedAt) => Some("tickets_updated"),
        (RecordType::Ticket, SortField::CreatedAt) => Some("tickets_created"),
        (RecordType::Ticket, SortField::Status) => Some("tickets_status"),
        _ => None,
    }
}

/// Whether a condition is tied to the sort keys or costly to test per record: conditions on
/// dates are (a range of March, sorted by `updated_at`, lies deep down the index), and so are
/// those reading the JSON (custom fields). Walking an index in order assumes neither.
fn correlated(cond: &Cond) -> bool {
    match cond {
        Cond::Sql(sql, _) => [
            "r.created_at",
            "r.updated_at",
            "r.solved_at",
            "r.due_at",
            "r.json",
            "r.custom_fields",
        ]
        .iter()
        .any(|column| sql.contains(column)),
        Cond::True | Cond::False => false,
    }
}

/// Walking pays when the expected walk (`wanted * total / matches` index entries) is
/// shorter than the matches a gather would sort: `matches^2 >= wanted * total`. That estimate
/// assumes the filter is independent of the sort key and cheap to test ([`correlated`]):
/// other conditions always gather.
fn plan(
    rt: RecordType,
    sort: SortField,
    cond: &Cond,
    matches: i64,
    wanted: i64,
    total: i64,
) -> Plan {
    match sort_index(rt, sort) {
        Some(index)
            if !correlated(cond)
                && matches.saturating_mul(matches) >= wanted.saturating_mul(total) =>
        {
            Plan::Walk(index)
        }
        _ => Plan::Gather,
    }
}

/// `(sort key, id)` of the matching records in the requested order. The JSON is fetched
/// afterwards for the page alone, so SQLite never sorts whole records.
#[allow(clippy::too_many_arguments)]
fn keys_of(
    reader: &mut dyn Reader,
    rt: RecordType,
    cond: &Cond,
    sort: SortField,
    descending: bool,
    limit: i64,
    offset: i64,
    plan: Plan,
) -> Result<Vec<(i64, i64)>, SearchError> {
    let dialect = reader.dialect();
    let (where_sql, binds) = cond.render();
    let dir = if descending { "DESC" } else { "ASC" };
    let key = sort.sql(rt);
    let indexed = match plan {
        Plan::Walk(index) => dialect.index_hint(index),
        Plan::Gather => String::new(),
    };
    let sql = format!(
        "SELECT {key}, r.id FROM {} r{indexed} WHERE {where_sql} \
         ORDER BY {key} {dir}, r.id {dir} LIMIT {limit} OFFSET {offset}",
        table(rt).name()
    );
    Ok(reader.query_pairs(&sql, &binds)?)
}

/// Ranges of ids a count estimate samples, spread evenly over a type's ids, and ids in each:
/// 256 records, so a share of 40% is known with a standard error of 3 points (8% of the
/// count). Ranges rather than one run of ids, since neighbours were written together and alike.
const SAMPLE_RANGES: i64 = 32;
const SAMPLE_RANGE_IDS: i64 = 8;

/// Estimates how many records of `rt` match `cond` (in its probe form): the share that match
/// among the records of a sample spread over all ids, times the `total` records of the type.
/// `None` when the sample holds no record.
fn estimate_count(
    reader: &mut dyn Reader,
    rt: RecordType,
    probe: &Cond,
    total: i64,
) -> Result<Option<i64>, SearchError> {
    let name = table(rt).name();
    // Apart: SQLite answers MIN or MAX alone from one end of the key, both together by a scan.
    let mut end = |which: &str| {
        let sql = format!("SELECT COALESCE({which}(id), 0) FROM {name}");
        reader.query_i64(&sql, &[])
    };
    let (low, high) = (end("MIN")?.unwrap_or(0), end("MAX")?.unwrap_or(0));
    let step = ((high - low + 1) / SAMPLE_RANGES).max(SAMPLE_RANGE_IDS);
    let (where_sql, mut binds) = probe.render();
    // The ranges' first ids, generated in the statement and joined to the records by id: one
    // statement, each range read through the primary key (ranges ORed together make SQLite
    // scan the whole table; a statement per range repeats the setup of the condition).
    let sql = format!(
        "WITH RECURSIVE starts(k) AS (SELECT CAST($? AS BIGINT) UNION ALL \
         SELECT k + CAST($? AS BIGINT) FROM starts WHERE k + CAST($? AS BIGINT) <= CAST($? AS BIGINT)) \
         SELECT COUNT(*), COALESCE(SUM(CASE WHEN {where_sql} THEN 1 ELSE 0 END), 0) \
         FROM starts JOIN {name} r ON r.id BETWEEN starts.k AND starts.k + {} ",
        SAMPLE_RANGE_IDS - 1
    );
    let mut all = vec![
        Bind::Int(low),
        Bind::Int(step),
        Bind::Int(step),
        Bind::Int(high),
    ];
    all.append(&mut binds);
    let Some((sampled, matched)) = reader.query_pairs(&sql, &all)?.first().copied() else {
        return Ok(None);
    };
    if sampled == 0 {
        return Ok(None);
    }
    Ok(Some(
        (matched as f64 * total as f64 / sampled as f64).round() as i64,
    ))
}

/// The least upper bound the free-text terms give (see `compile::free_text_bounds`), each
/// part counted no further than `limit + 1`; `None` without free text.
fn free_text_bound(
    reader: &mut dyn Reader,
    query: &Query,
    rt: RecordType,
    ctx: &Context,
    limit: i64,
) -> Result<Option<i64>, SearchError> {
    let mut least: Option<i64> = None;
    for parts in compile::free_text_bounds(query, rt, ctx)? {
        let mut sum = 0i64;
        for (select, binds) in parts {
            let sql = format!(
                "SELECT COUNT(*) FROM ({select} LIMIT {}) AS part",
                limit.saturating_add(1)
            );
            sum += reader.query_i64(&sql, &binds)?.unwrap_or(0);
        }
        least = Some(least.map_or(sum, |l| l.min(sum)));
    }
    Ok(least)
}

/// The order a search reads, and how many of its first records it needs.
#[derive(Clone, Copy, Debug)]
struct Order {
    sort: SortField,
    descending: bool,
    wanted: i64,
}

/// A broad search matches at least one record in this many: a walk along the sort order then
/// asks about 20 records per record of the page at most.
const BROAD_SHARE: i64 = 20;

/// How many free-text terms a query of positive free-text terms only (besides `type:`) has;
/// `None` for any other query. Its matches are then those of every term: the least term's
/// size bounds them, and for one term says how long a walk for a page is. A keyword or a
/// negated term could make the search as narrow as nothing, and the walk as long as the table.
fn free_text_terms(query: &Query) -> Option<usize> {
    let mut text = 0;
    for term in &query.terms {
        match &term.kind {
            TermKind::Text(_) if !term.negated => text += 1,
            TermKind::Keyword { name, .. } if name == "type" && !term.negated => {}
            _ => return None,
        }
    }
    (text > 0).then_some(text)
}

/// The count of what a search finds among records of `rt`, and the `(sort key, id)` of the
/// first `wanted` of them in order.
///
/// A search is broad when an agent searches free-text terms only ([`free_text_terms`]) that
/// find more than `exact_count_limit` records and at least one in [`BROAD_SHARE`] of the
/// type's. Its page is found by walking the sort order, asking of each record whether it
/// matches ([`TextForm::Probe`]), and its count is estimated from a sample
/// ([`estimate_count`]); only if that estimate falls to the limit or under is the count taken
/// exactly. Counting 384,000 matches of a common word among a million tickets exactly costs
/// 200 ms; the walk for a page and the sample, a few. Several terms are known broad only from
/// the sample, taken before the walk: each term may be common and the terms together rare.
/// (An end-user's search is narrowed to the tickets they requested, and is never broad.)
fn matches_of(
    reader: &mut dyn Reader,
    query: &Query,
    rt: RecordType,
    cond: &Cond,
    ctx: &Context,
    order: Order,
    exact_count_limit: i64,
) -> Result<(i64, Vec<(i64, i64)>), SearchError> {
    let Order {
        sort,
        descending,
        wanted,
    } = order;
    if let Some(index) = sort_index(rt, sort)
        && !ctx.end_user
        && let Some(terms) = free_text_terms(query)
        && !correlated(cond)
    {
        // Past the limit first (a bounded read of the text index), so that the records of the
        // type are counted (a scan of a table on PostgreSQL) only for a term that may be broad.
        let past = |reader: &mut dyn Reader, limit: i64| -> Result<bool, SearchError> {
            Ok(free_text_bound(reader, query, rt, ctx, limit)?.is_some_and(|bound| bound > limit))
        };
        let mut total = 0;
        let mut broad = past(reader, exact_count_limit)?;
        if broad {
            let sql = format!("SELECT COUNT(*) FROM {}", table(rt).name());
            total = reader.query_i64(&sql, &[])?.unwrap_or(0);
            let share = total / BROAD_SHARE;
            broad = share <= exact_count_limit || past(reader, share)?;
        }
        if broad {
            let probing = Context {
                text_form: TextForm::Probe,
                ..*ctx
            };
            let probe = compile::compile(query, rt, &probing)?;
            // Several terms: the least term's count bounds the matches, and the terms together
            // may find far fewer. The sample, taken first, says what they find together, and
            // so whether a walk finds a page soon.
            let sampled = match terms {
                1 => None,
                _ => {
                    let estimate = estimate_count(reader, rt, &probe, total)?.unwrap_or(0);
                    broad = estimate > exact_count_limit && estimate >= total / BROAD_SHARE;
                    Some(estimate)
                }
            };
            if broad {
                let walk = Plan::Walk(index);
                let keys = keys_of(reader, rt, &probe, sort, descending, wanted, 0, walk)?;
                if (keys.len() as i64) < wanted {
                    // The walk read the whole order: these are all the matches.
                    return Ok((keys.len() as i64, keys));
                }
                let estimate = match sampled {
                    Some(estimate) => Some(estimate),
                    None => estimate_count(reader, rt, &probe, total)?,
                };
                if let Some(estimate) = estimate
                    && estimate > exact_count_limit
                {
                    return Ok((estimate, keys));
                }
                return Ok((count_of(reader, rt, cond)?, keys));
            }
        }
    }
    let matches = count_of(reader, rt, cond)?;
    let plan = match sort_index(rt, sort) {
        Some(_) => plan(rt, sort, cond, matches, wanted, table_size(reader, rt)?),
        None => Plan::Gather,
    };
    let keys = keys_of(reader, rt, cond, sort, descending, wanted, 0, plan)?;
    Ok((matches, keys))
}

/// About how many records of a type exist (the largest id: one index probe, no scan).
fn table_size(reader: &mut dyn Reader, rt: RecordType) -> Result<i64, SearchError> {
    let sql = format!("SELECT COALESCE(MAX(id), 0) FROM {}", table(rt).name());
    Ok(reader.query_i64(&sql, &[])?.unwrap_or(0))
}

fn decode_json(text: &str) -> Result<Value, SearchError> {
    Ok(crate::store::parse_stored(text)?)
}

/// Runs a `/search`: the page of records and the true total.
pub async fn search_records(
    store: &Store,
    caller: &Caller,
    request: &SearchRequest,
    now: i64,
) -> Result<SearchPage, SearchError> {
    let (caller, request) = (caller.clone(), request.clone());
    store
        .read(move |reader| search_in(reader, &caller, &request, now))
        .await
}

fn search_in(
    reader: &mut dyn Reader,
    caller: &Caller,
    request: &SearchRequest,
    now: i64,
) -> Result<SearchPage, SearchError> {
    let mut results = Vec::new();
    let count = search_stream(reader, caller, request, now, &mut |rt, json| {
        results.push((rt, decode_json(json)?));
        Ok(())
    })?;
    Ok(SearchPage { results, count })
}

/// Runs a `/search` and hands each result of the page (its type and stored JSON text) to
/// `each`, one at a time, in the page's order; returns the true total.
pub fn search_stream(
    reader: &mut dyn Reader,
    caller: &Caller,
    request: &SearchRequest,
    now: i64,
    each: &mut dyn FnMut(RecordType, &str) -> Result<(), SearchError>,
) -> Result<i64, SearchError> {
    search_counting(reader, caller, request, now, EXACT_COUNT_LIMIT, each)
}

/// [`search_stream`], counting exactly up to `exact_count_limit` matches of a type.
fn search_counting(
    reader: &mut dyn Reader,
    caller: &Caller,
    request: &SearchRequest,
    now: i64,
    exact_count_limit: i64,
    each: &mut dyn FnMut(RecordType, &str) -> Result<(), SearchError>,
) -> Result<i64, SearchError> {
    let max_page = limits::MAX_PAGE_SIZE as i64;
    if request.page < 1 || !(1..=max_page).contains(&request.per_page) {
        return Err(SearchError::InvalidParameter(format!(
            "page must be at least 1 and per_page between 1 and {max_page}"
        )));
    }
    if request.page.saturating_mul(request.per_page) > SEARCH_RESULT_LIMIT {
        return Err(SearchError::ResponseTooLarge);
    }
    let query = parse_query(&request.query)?;
    let order_by = match &query.order_by {
        Some(field) => Some(SortField::parse(field).ok_or_else(|| {
            SearchError::InvalidQuery(format!(
                "order_by must be one of created, updated, priority, status, ticket_type, got {field}"
            ))
        })?),
        None => None,
    };
    let sort = request.sort_by.or(order_by).unwrap_or(SortField::UpdatedAt);
    let descending = request.sort_order.or(query.sort) != Some(SortOrder::Asc);
    let ctx = context(caller, now, reader.dialect());
    let conds = conditions(&query, &ctx)?;
    let offset = (request.page - 1) * request.per_page;
    let wanted = offset + request.per_page;

    // Each type's first `wanted` keys, merged: (sort key, type rank, id, type).
    let mut count = 0;
    let mut page: Vec<(i64, usize, i64, RecordType)> = Vec::new();
    for (rank, (rt, cond)) in conds.iter().enumerate() {
        let order = Order {
            sort,
            descending,
            wanted,
        };
        let (matches, keys) =
            matches_of(reader, &query, *rt, cond, &ctx, order, exact_count_limit)?;
        count += matches;
        page.extend(keys.into_iter().map(|(key, id)| (key, rank, id, *rt)));
    }
    if conds.len() > 1 {
        page.sort_by(|a, b| {
            let by_key = if descending {
                b.0.cmp(&a.0).then(b.2.cmp(&a.2))
            } else {
                a.0.cmp(&b.0).then(a.2.cmp(&b.2))
            };
            by_key.then(a.1.cmp(&b.1))
        });
    }
    let page: Vec<_> = page
        .into_iter()
        .skip(offset as usize)
        .take(request.per_page as usize)
        .collect();
    // One record at a time, so a page of large records is never held whole. (A record deleted
    // meanwhile cannot be: this is one read transaction.)
    for (_, _, id, rt) in page {
        let sql = format!(
            "SELECT id, id, json FROM {} WHERE id = $?",
            table(rt).name()
        );
        let mut failure = None;
        reader.stream_triples(&sql, &[Bind::Int(id)], &mut |_, _, json| {
            if let Err(error) = each(rt, json) {
                failure = Some(error);
            }
            Ok(false)
        })?;
        if let Some(error) = failure {
            return Err(error);
        }
    }
    Ok(count)
}

/// Counts what a `/search` would find.
pub async fn count_records(
    store: &Store,
    caller: &Caller,
    query: &str,
    now: i64,
) -> Result<i64, SearchError> {
    let query = parse_query(query)?;
    let caller = caller.clone();
    store
        .read(move |reader| {
            let ctx = context(&caller, now, reader.dialect());
            let mut count = 0;
            for (rt, cond) in conditions(&query, &ctx)? {
                count += count_of(reader, rt, &cond)?;
            }
            Ok(count)
        })
        .await
}

/// FNV-1a: ties a cursor to the search that issued it (not a security boundary).
fn search_hash(rt: RecordType, query: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in rt.as_str().bytes().chain([b'\n']).chain(query.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn encode_export_cursor(rt: RecordType, query: &str, key: i64, id: i64, now: i64) -> String {
    let raw = json!({
        "field": "created_at",
        "desc": true,
        "type": rt.as_str(),
        "v": [key, id],
        "issued_at": now,
        "search": search_hash(rt, query).to_string(),
    });
    base64::engine::general_purpose::STANDARD.encode(raw.to_string())
}

fn decode_export_cursor(
    cursor: &str,
    rt: RecordType,
    query: &str,
    now: i64,
) -> Result<(i64, i64), SearchError> {
    let bad = || {
        SearchError::BadCursor(
            "page[after] is not a cursor of this search: pass the meta.after_cursor of its previous page".into(),
        )
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor.trim())
        .map_err(|_| bad())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let field = |p: &str| value.pointer(p).and_then(Value::as_i64);
    let (Some(key), Some(id), Some(issued)) = (field("/v/0"), field("/v/1"), field("/issued_at"))
    else {
        return Err(bad());
    };
    let same_search = value.get("type").and_then(Value::as_str) == Some(rt.as_str())
        && value.get("search").and_then(Value::as_str)
            == Some(search_hash(rt, query).to_string().as_str());
    if !same_search {
        return Err(bad());
    }
    if now - issued > CURSOR_LIFETIME {
        return Err(SearchError::ExpiredCursor);
    }
    Ok((key, id))
}

/// Runs one page of a `/search/export`.
pub async fn export_records(
    store: &Store,
    caller: &Caller,
    request: &ExportRequest,
    now: i64,
) -> Result<ExportPage, SearchError> {
    let (caller, request) = (caller.clone(), request.clone());
    store
        .read(move |reader| export_in(reader, &caller, &request, now))
        .await
}

fn export_in(
    reader: &mut dyn Reader,
    caller: &Caller,
    request: &ExportRequest,
    now: i64,
) -> Result<ExportPage, SearchError> {
    let mut results = Vec::new();
    let (has_more, after_cursor) = export_stream(reader, caller, request, now, &mut |json| {
        results.push(decode_json(json)?);
        Ok(())
    })?;
    Ok(ExportPage {
        results,
        has_more,
        after_cursor,
    })
}

/// Runs one page of a `/search/export`, handing each record's stored JSON text to `each` as it
/// is read; returns whether more follow and the cursor after the last one.
pub fn export_stream(
    reader: &mut dyn Reader,
    caller: &Caller,
    request: &ExportRequest,
    now: i64,
    each: &mut dyn FnMut(&str) -> Result<(), SearchError>,
) -> Result<(bool, Option<String>), SearchError> {
    if !(1..=EXPORT_PAGE_LIMIT).contains(&request.page_size) {
        return Err(SearchError::InvalidParameter(format!(
            "page[size] must be an integer between 1 and {EXPORT_PAGE_LIMIT}"
        )));
    }
    let query = parse_query(&request.query)?;
    let rt = request.record_type;
    let ctx = context(caller, now, reader.dialect());
    // Every type is compiled so that a bad term is reported whatever filter[type] says.
    for other in RecordType::ALL {
        compile::compile_ignoring_type(&query, other, &ctx)?;
    }
    let mut cond = compile::compile_ignoring_type(&query, rt, &ctx)?;
    let after = match &request.after {
        Some(cursor) => Some(decode_export_cursor(cursor, rt, &request.query, now)?),
        None => None,
    };
    if matches!(cond, Cond::False) {
        return Ok((false, None));
    }
    if let Some((key, id)) = after {
        cond = cond_and_after(cond, key, id);
    }
    let (where_sql, binds) = cond.render();
    let sql = format!(
        "SELECT r.created_at, r.id, r.json FROM {} r WHERE {where_sql} \
         ORDER BY r.created_at DESC, r.id ASC LIMIT {}",
        table(rt).name(),
        request.page_size + 1
    );
    let (mut seen, mut has_more, mut last, mut failure) = (0, false, None, None);
    reader.stream_triples(&sql, &binds, &mut |key, id, json| {
        seen += 1;
        if seen > request.page_size {
            has_more = true;
            return Ok(false);
        }
        last = Some((key, id));
        match each(json) {
            Ok(()) => Ok(true),
            Err(error) => {
                failure = Some(error);
                Ok(false)
            }
        }
    })?;
    if let Some(error) = failure {
        return Err(error);
    }
    Ok((
        has_more,
        last.map(|(k, id)| encode_export_cursor(rt, &request.query, k, id, now)),
    ))
}

/// Keyset condition for "after (created_at, id)" in created_at-descending, id-ascending order.
fn cond_and_after(cond: Cond, key: i64, id: i64) -> Cond {
    let (sql, mut binds) = match cond {
        Cond::Sql(sql, binds) => (sql, binds),
        Cond::True => ("1 = 1".to_string(), Vec::new()),
        Cond::False => return Cond::False,
    };
    binds.extend([Bind::Int(key), Bind::Int(key), Bind::Int(id)]);
    Cond::Sql(
        format!("({sql}) AND (r.created_at < $? OR (r.created_at = $? AND r.id > $?))"),
        binds,
    )
}
