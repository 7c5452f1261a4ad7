//! The compiler: a parsed query (`zendesk_query::Query`) to one SQL condition per record type,
//! over the tables the store describes (`store::Table`; alias `r` for the record's table). User
//! text only ever travels as bind values (`$?` markers, numbered by the store when the
//! statement runs); the SQL text is built from this file's literals and the store's alone.
//!
//! Conditions on columns are portable SQL. Full text and custom-field values differ between
//! backends: the store's dialect ([`Context::dialect`]) writes those fragments
//! (`Dialect::text_match`, `Dialect::custom_fields`), so both find the same records.
//!
//! Semantics (Zendesk's where known, documented choices where not):
//! - Terms are ANDed; positive `keyword:value` terms with the same keyword are ORed together
//!   (`tags:a tags:b`, `status:new status:open`); comparisons (`created>x created<y`) are
//!   ANDed so ranges work. `-term` is NOT, with SQL NULL counted as "does not match" so
//!   `-assignee:5` keeps unassigned tickets.
//! - A keyword that does not apply to a record type makes a positive term false for that type
//!   (so `status:open` alone returns tickets only); negated, it is true.
//! - Unknown keywords (`foo:bar`) are searched as the free-text phrase "foo bar", as Zendesk does.
//! - Free text and text keywords go through FTS5: a word or phrase is an FTS phrase, `word*` a
//!   prefix; a `*` elsewhere than at the end of a text term is refused. Text with no letters or
//!   digits is ignored. Groups have no FTS table: their name is matched with LIKE.
//! - People (`assignee`, `requester`, `submitter`): ID, `me`, `none`, an email (contains `@`),
//!   a name (phrase match on the name), or a wildcard over email and name.
//! - Dates: `YYYY-MM-DD` is that whole UTC day (`created:2024-01-31`, `created<2024-01-31` is
//!   before that day, `created>2024-01-31` after it); a date-time is an instant; a relative
//!   `4hours` is now minus that span (`created>4hours`: in the last four hours; `created:4hours`
//!   means the same as `>`). Months are 30 days, years 365.
//! - `priority<high` matches tickets with a priority below high, not those with none.

use time::OffsetDateTime;
use zendesk_query::keywords::{self, KeywordKind, RecordType};
use zendesk_query::{Op, Query, TermKind, Value};

use super::error::SearchError;
use crate::store::{Bind, Dialect, Table, TextForm, TextPhrase};

/// Who is searching and when: `me`, relative dates and what an end-user may see.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    pub caller_id: i64,
    /// End-users see only the tickets they requested and themselves.
    pub end_user: bool,
    /// Unix seconds.
    pub now: i64,
    /// The store's dialect, asked for full text and custom fields.
    pub dialect: Dialect,
    /// How conditions on other tables (full text, tags) test each record: gathered once
    /// for a search that tests every record, asked per record for a walk that tests few.
    pub text_form: TextForm,
}

/// A condition, folded when constant so that a record type that cannot match is not queried.
#[derive(Clone, Debug)]
pub enum Cond {
    True,
    False,
    /// SQL with `$?` markers, and the values for them in order of appearance.
    Sql(String, Vec<Bind>),
}

impl Cond {
    fn sql(sql: impl Into<String>, binds: Vec<Bind>) -> Cond {
        Cond::Sql(sql.into(), binds)
    }

    fn from_bool(b: bool) -> Cond {
        if b { Cond::True } else { Cond::False }
    }

    fn and(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::False, _) | (_, Cond::False) => Cond::False,
            (Cond::True, c) | (c, Cond::True) => c,
            (Cond::Sql(a, mut ab), Cond::Sql(b, bb)) => {
                ab.extend(bb);
                Cond::Sql(format!("({a}) AND ({b})"), ab)
            }
        }
    }

    fn or(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::True, _) | (_, Cond::True) => Cond::True,
            (Cond::False, c) | (c, Cond::False) => c,
            (Cond::Sql(a, mut ab), Cond::Sql(b, bb)) => {
                ab.extend(bb);
                Cond::Sql(format!("({a}) OR ({b})"), ab)
            }
        }
    }

    /// NULL (an unknown comparison, e.g. on an empty column) counts as "did not match", so
    /// the negation of it matches.
    fn not(self) -> Cond {
        match self {
            Cond::True => Cond::False,
            Cond::False => Cond::True,
            Cond::Sql(s, b) => Cond::Sql(format!("NOT COALESCE(({s}), FALSE)"), b),
        }
    }

    /// The SQL with `$?` markers; constants become `1 = 1` / `1 = 0`.
    pub fn render(&self) -> (String, Vec<Bind>) {
        match self {
            Cond::True => ("1 = 1".into(), Vec::new()),
            Cond::False => ("1 = 0".into(), Vec::new()),
            Cond::Sql(sql, binds) => (sql.clone(), binds.clone()),
        }
    }
}

/// The table behind a record type.
pub fn table(rt: RecordType) -> Table {
    match rt {
        RecordType::Ticket => Table::Tickets,
        RecordType::User => Table::Users,
        RecordType::Organization => Table::Organizations,
        RecordType::Group => Table::Groups,
    }
}

/// The ticket text columns an end-user may search (internal notes are `private_comments`).
const PUBLIC_TICKET_TEXT: &[&str] = &["subject", "description", "comments"];

/// Words to find in the full text of records of `rt`: a phrase (the last word a prefix when
/// `prefix`), in `columns` only when not empty.
struct TextMatch<'a> {
    text: &'a str,
    prefix: bool,
    columns: &'a [&'a str],
}

impl TextMatch<'_> {
    fn phrase(&self) -> TextPhrase<'_> {
        TextPhrase {
            text: self.text,
            prefix: self.prefix,
            fields: self.columns,
        }
    }

    /// `column` is among the records of rt whose text matches; `None` when the text has no
    /// word (it matches nothing) or records of `rt` have no full text.
    fn cond(&self, column: &str, rt: RecordType, ctx: &Context) -> Option<Cond> {
        // A prefix is expanded to every word it begins each time the index is asked: asked
        // per record it cost 3.7 s for a page at a million tickets, gathered once 0.4 s.
        let form = if self.prefix {
            TextForm::Member
        } else {
            ctx.text_form
        };
        let (sql, binds) = ctx
            .dialect
            .text_match(table(rt), column, &self.phrase(), form)?;
        Some(Cond::Sql(sql, binds))
    }
}

/// The whole condition for one record type: the query's terms, the record being live, and
/// what the caller may see.
pub fn compile(query: &Query, rt: RecordType, ctx: &Context) -> Result<Cond, SearchError> {
    compile_terms(query, rt, ctx, false)
}

/// As [`compile`], ignoring `type:` terms (search export takes the type from `filter[type]`).
pub fn compile_ignoring_type(
    query: &Query,
    rt: RecordType,
    ctx: &Context,
) -> Result<Cond, SearchError> {
    compile_terms(query, rt, ctx, true)
}

fn compile_terms(
    query: &Query,
    rt: RecordType,
    ctx: &Context,
    ignore_type: bool,
) -> Result<Cond, SearchError> {
    let mut cond = live(rt);
    // Two positive free-text terms or more are tested together (see `all_free_text`).
    let positive_text: Vec<&Value> = query
        .terms
        .iter()
        .filter_map(|term| match &term.kind {
            TermKind::Text(value) if !term.negated => Some(value),
            _ => None,
        })
        .collect();
    let together = positive_text.len() > 1 && table(rt).text_table().is_some();
    if together && let Some(all) = all_free_text(&positive_text, rt, ctx)? {
        cond = cond.and(all);
    }
    // Positive equality terms, grouped by keyword (in order of first appearance) to be ORed.
    let mut groups: Vec<(&str, Cond)> = Vec::new();
    for term in &query.terms {
        let compiled = match &term.kind {
            TermKind::Keyword { name, .. } if ignore_type && name == "type" => continue,
            TermKind::Keyword { name, op, value } => keyword(name, *op, value, rt, ctx)?,
            TermKind::Text(_) if together && !term.negated => continue,
            TermKind::Text(value) => free_text(value, rt, ctx)?,
        };
        let Some(compiled) = compiled else { continue };
        match &term.kind {
            TermKind::Keyword {
                name, op: Op::Eq, ..
            } if !term.negated => match groups.iter_mut().find(|(n, _)| n == name) {
                Some((_, group)) => {
                    let previous = std::mem::replace(group, Cond::False);
                    *group = previous.or(compiled);
                }
                None => groups.push((name, compiled)),
            },
            _ if term.negated => cond = cond.and(compiled.not()),
            _ => cond = cond.and(compiled),
        }
    }
    for (_, group) in groups {
        cond = cond.and(group);
    }
    if ctx.end_user {
        cond = cond.and(match rt {
            RecordType::Ticket => Cond::sql("r.requester_id = $?", vec![Bind::Int(ctx.caller_id)]),
            RecordType::User => Cond::sql("r.id = $?", vec![Bind::Int(ctx.caller_id)]),
            RecordType::Organization | RecordType::Group => Cond::False,
        });
    }
    Ok(cond)
}

fn live(rt: RecordType) -> Cond {
    match rt {
        // Phrased on the id (through the `deleted_at` index) rather than `r.deleted_at IS NULL`
        // so that a condition on ids alone (full text, tags) never reads the ticket rows.
        RecordType::Ticket => Cond::sql(
            "r.id NOT IN (SELECT id FROM tickets WHERE deleted_at IS NOT NULL)",
            vec![],
        ),
        RecordType::User => Cond::sql("r.active = 1", vec![]),
        RecordType::Organization => Cond::True,
        RecordType::Group => Cond::sql("r.deleted = 0", vec![]),
    }
}

fn invalid(message: impl Into<String>) -> SearchError {
    SearchError::InvalidQuery(message.into())
}

/// Text a value stands for when read as words.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Word(s) | Value::Phrase(s) => Some(s.clone()),
        Value::Wildcard(_) => None,
        other => Some(other.to_string()),
    }
}

/// The words of a word, phrase or trailing-star prefix, and whether it is a prefix; `None`
/// when the value stands for no text.
fn text_term(value: &Value, what: &str) -> Result<Option<(String, bool)>, SearchError> {
    match value {
        Value::Wildcard(pattern) => {
            let prefix = pattern.strip_suffix('*').unwrap_or(pattern);
            if prefix.contains('*') || !pattern.ends_with('*') {
                return Err(invalid(format!(
                    "{what}: a * wildcard must end the word, as in print*, got {pattern}"
                )));
            }
            Ok(Some((prefix.to_string(), true)))
        }
        other => Ok(text_of(other).map(|t| (t, false))),
    }
}

/// `*` → `%` for LIKE, escaping LIKE's own wildcards (`ESCAPE '\'`), lower-cased.
fn like_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 2);
    for c in pattern.to_lowercase().chars() {
        match c {
            '*' => out.push('%'),
            '%' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

fn like_contains(text: &str) -> String {
    format!("%{}%", like_pattern(&text.replace('*', "")))
}

fn id_of(n: u64) -> Option<i64> {
    i64::try_from(n).ok()
}

fn op_sql(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
    }
}

/// The tickets tagged with a (bound) tag.
const TAGGED_TICKETS: &str = "SELECT ticket_id FROM ticket_tags WHERE tag = $?";

/// A `SELECT` of one column of ids, with the values of its `$?` markers.
pub type IdSelect = (String, Vec<Bind>);

/// What one free-text term finds in records of a type with full text: the records whose text
/// matches, and for tickets the one whose ID is the number and (for agents) those tagged with
/// the word.
struct FreeText {
    text: String,
    prefix: bool,
    columns: &'static [&'static str],
    tag: Option<String>,
    id: Option<i64>,
}

impl FreeText {
    fn words(&self) -> TextMatch<'_> {
        TextMatch {
            text: &self.text,
            prefix: self.prefix,
            columns: self.columns,
        }
    }
}

/// The parts of a free-text term for `rt`; `None` when the term stands for no text.
fn free_text_parts(
    value: &Value,
    rt: RecordType,
    ctx: &Context,
) -> Result<Option<FreeText>, SearchError> {
    let Some((text, prefix)) = text_term(value, "free text")? else {
        return Ok(None);
    };
    // Internal notes, and agents' notes about people, are not the end-user's to search (not
    // even to learn they match).
    let columns: &'static [&'static str] = match rt {
        RecordType::Ticket if ctx.end_user => PUBLIC_TICKET_TEXT,
        RecordType::User if ctx.end_user => crate::permissions::END_USER_SEARCHABLE_USER_TEXT,
        _ => &[],
    };
    let (mut tag, mut id) = (None, None);
    if rt == RecordType::Ticket
        && let Value::Word(word) = value
    {
        // Tags are agents' (see `permissions::may_search_keyword`).
        if !ctx.end_user {
            tag = Some(word.to_lowercase());
        }
        id = word.parse::<i64>().ok();
    }
    Ok(Some(FreeText {
        text,
        prefix,
        columns,
        tag,
        id,
    }))
}

/// Free text over the whole record (tickets: subject, description, comments, plus the ticket
/// ID for a number and the tags for a word).
fn free_text(value: &Value, rt: RecordType, ctx: &Context) -> Result<Option<Cond>, SearchError> {
    let Some(parts) = free_text_parts(value, rt, ctx)? else {
        return Ok(None);
    };
    if table(rt).text_table().is_none() {
        return Ok(Some(group_name_like(value)));
    }
    Ok(parts.cond(rt, ctx))
}

impl FreeText {
    /// The records this term finds: its words, or (tickets) its tag or ID. `None` when its
    /// text has no word: the term is left out.
    fn cond(&self, rt: RecordType, ctx: &Context) -> Option<Cond> {
        let mut cond = self.words().cond("r.id", rt, ctx)?;
        if let Some(tag) = &self.tag {
            let sql = match ctx.text_form {
                TextForm::Member => format!("r.id IN ({TAGGED_TICKETS})"),
                TextForm::Probe => format!("EXISTS ({TAGGED_TICKETS} AND ticket_id = r.id)"),
            };
            cond = cond.or(Cond::sql(sql, vec![Bind::Text(tag.clone())]));
        }
        if let Some(id) = self.id {
            cond = cond.or(Cond::sql("r.id = $?", vec![Bind::Int(id)]));
        }
        Some(cond)
    }
}

/// Two free-text terms or more, all positive, in one condition. Tested term by term, each
/// term's matches were gathered into their own table and held until the page was read: memory
/// grew as terms times matches (8 searches of 50 terms, each in 600 tickets: 49 MiB, against
/// 4 for one word). Instead:
/// - the records whose text holds every term's words, in one condition the text index answers
///   by intersecting its lists (`Dialect::text_match_all`);
/// - or, for tickets, one found through a term's tag or ID instead of its words: such a ticket
///   is among the tickets with one of the words as a tag or the numbers as an ID (few), and
///   only those are then tested term by term, each term asked of the text index per ticket.
///
/// `None` when no term has a word (each would be left out alone too).
fn all_free_text(
    values: &[&Value],
    rt: RecordType,
    ctx: &Context,
) -> Result<Option<Cond>, SearchError> {
    let mut terms = Vec::new();
    for value in values {
        if let Some(parts) = free_text_parts(value, rt, ctx)?
            && parts.words().cond("r.id", rt, ctx).is_some()
        {
            terms.push(parts);
        }
    }
    let phrases: Vec<TextPhrase> = terms
        .iter()
        .map(|t| TextPhrase {
            text: &t.text,
            prefix: t.prefix,
            fields: t.columns,
        })
        .collect();
    // A prefix is gathered, never asked per record (see `TextMatch::cond`).
    let form = if terms.iter().any(|t| t.prefix) {
        TextForm::Member
    } else {
        ctx.text_form
    };
    let Some((sql, binds)) = ctx
        .dialect
        .text_match_all(table(rt), "r.id", &phrases, form)
    else {
        return Ok(None);
    };
    let every_word = Cond::Sql(sql, binds);
    let tags: Vec<&str> = terms.iter().filter_map(|t| t.tag.as_deref()).collect();
    let ids: Vec<i64> = terms.iter().filter_map(|t| t.id).collect();
    if tags.is_empty() && ids.is_empty() {
        return Ok(Some(every_word));
    }
    let mut candidates = Cond::False;
    if !tags.is_empty() {
        candidates = candidates.or(Cond::sql(
            format!(
                "r.id IN (SELECT ticket_id FROM ticket_tags WHERE tag IN ({}))",
                vec!["$?"; tags.len()].join(", ")
            ),
            tags.iter().map(|tag| Bind::Text(tag.to_string())).collect(),
        ));
    }
    for id in ids {
        candidates = candidates.or(Cond::sql("r.id = $?", vec![Bind::Int(id)]));
    }
    let per_ticket = Context {
        text_form: TextForm::Probe,
        ..*ctx
    };
    let mut each_term = Cond::True;
    for term in &terms {
        if let Some(cond) = term.cond(rt, &per_ticket) {
            each_term = each_term.and(cond);
        }
    }
    Ok(Some(every_word.or(candidates.and(each_term))))
}

/// Upper bounds of what a search finds among records of `rt`, from its free-text terms alone:
/// each term's matches are among the union of its parts, so a term bounds the search by the
/// sum of its parts' sizes. Returns, per free-text term, the parts as `SELECT`s of ids read
/// from the text index and the tags alone (cheap to count up to a limit, where testing the
/// whole condition is not). Empty when no free-text term applies.
pub fn free_text_bounds(
    query: &Query,
    rt: RecordType,
    ctx: &Context,
) -> Result<Vec<Vec<IdSelect>>, SearchError> {
    let mut bounds = Vec::new();
    if table(rt).text_table().is_none() {
        return Ok(bounds);
    }
    for term in &query.terms {
        let TermKind::Text(value) = &term.kind else {
            continue;
        };
        if term.negated {
            continue;
        }
        let Some(parts) = free_text_parts(value, rt, ctx)? else {
            continue;
        };
        let Some(words) = ctx.dialect.text_ids(table(rt), &parts.words().phrase()) else {
            continue;
        };
        let mut selects = vec![words];
        if let Some(tag) = parts.tag {
            selects.push((TAGGED_TICKETS.into(), vec![Bind::Text(tag)]));
        }
        if parts.id.is_some() {
            // The ticket with that ID: one record at most.
            selects.push(("SELECT 1".into(), Vec::new()));
        }
        bounds.push(selects);
    }
    Ok(bounds)
}

fn group_name_like(value: &Value) -> Cond {
    let pattern = match value {
        Value::Wildcard(w) => format!("%{}", like_pattern(w)),
        other => like_contains(&text_of(other).unwrap_or_default()),
    };
    Cond::sql(
        "lower(r.name) LIKE $? ESCAPE '\\'",
        vec![Bind::Text(pattern)],
    )
}

/// One `name<op>value` term for record type `rt`; `None` when the term is ignored.
fn keyword(
    name: &str,
    op: Op,
    value: &Value,
    rt: RecordType,
    ctx: &Context,
) -> Result<Option<Cond>, SearchError> {
    let Some(kw) = keywords::lookup(name) else {
        // Zendesk searches an unknown `foo:bar` as text.
        let words = match value {
            Value::Wildcard(w) => w.replace('*', " "),
            other => text_of(other).unwrap_or_default(),
        };
        return free_text(&Value::Phrase(format!("{name} {words}")), rt, ctx);
    };
    if op != Op::Eq && !kw.kind.is_ordered() {
        return Err(invalid(format!(
            "{name} takes \":\" only, not \"{}\"",
            op.as_str()
        )));
    }
    if !kw.applies_to(rt) || !crate::permissions::may_search_keyword(!ctx.end_user, kw.name) {
        return Ok(Some(Cond::False));
    }
    let cond = match kw.kind {
        KeywordKind::RecordType => {
            let word = text_of(value).unwrap_or_default();
            let wanted = RecordType::from_word(&word).ok_or_else(|| {
                invalid(format!(
                    "type must be ticket, user, organization or group, got {value}"
                ))
            })?;
            Cond::from_bool(wanted == rt)
        }
        KeywordKind::Ordered(list) => ordered(name, op, value, list, kw)?,
        KeywordKind::Choice(list) => {
            let column = if name == "role" {
                "r.role"
            } else {
                "r.ticket_type"
            };
            match value {
                Value::None => Cond::sql(format!("{column} IS NULL"), vec![]),
                Value::Word(w) | Value::Phrase(w) => {
                    let rank = kw.rank(w).ok_or_else(|| {
                        invalid(format!(
                            "{name} must be one of {}, got {w}",
                            list.join(", ")
                        ))
                    })?;
                    Cond::sql(
                        format!("{column} = $?"),
                        vec![Bind::Text(list[rank].to_string())],
                    )
                }
                other => {
                    return Err(invalid(format!(
                        "{name} must be one of {}, got {other}",
                        list.join(", ")
                    )));
                }
            }
        }
        KeywordKind::User => person(name, value, ctx)?,
        KeywordKind::Organization => organization(value, ctx)?,
        KeywordKind::Group => group(value)?,
        KeywordKind::Tag => tag(value, rt)?,
        KeywordKind::Text => return text_keyword(name, value, rt, ctx),
        KeywordKind::Exact => exact(name, value)?,
        KeywordKind::Date => date(name, op, value, ctx)?,
        KeywordKind::CustomField => {
            let id = keywords::custom_field_id(name).and_then(|id| i64::try_from(id).ok());
            match id {
                Some(id) => field_value(name, op, value, Some(id), rt, ctx.dialect)?,
                None => Cond::False,
            }
        }
        KeywordKind::FieldValue => field_value(name, op, value, None, rt, ctx.dialect)?,
    };
    Ok(Some(cond))
}

fn ordered(
    name: &str,
    op: Op,
    value: &Value,
    list: &[&str],
    kw: &keywords::Keyword,
) -> Result<Cond, SearchError> {
    let priority = name == "priority";
    let bad = || {
        invalid(format!(
            "{name} must be one of {}{}, got {value}",
            list.join(", "),
            if priority { " or none" } else { "" }
        ))
    };
    let word = match value {
        Value::None if priority && op == Op::Eq => {
            return Ok(Cond::sql("r.priority_rank = 0", vec![]));
        }
        Value::Word(w) | Value::Phrase(w) => w,
        _ => return Err(bad()),
    };
    let rank = kw.rank(word).ok_or_else(bad)?;
    // The store ranks status from 0 and priority from 1 (0 = no priority).
    let (column, rank) = if priority {
        ("r.priority_rank", rank as i64 + 1)
    } else {
        ("r.status_rank", rank as i64)
    };
    let sql = if priority && matches!(op, Op::Lt | Op::Le) {
        format!("{column} {} $? AND {column} > 0", op_sql(op))
    } else {
        format!("{column} {} $?", op_sql(op))
    };
    Ok(Cond::sql(sql, vec![Bind::Int(rank)]))
}

fn person(name: &str, value: &Value, ctx: &Context) -> Result<Cond, SearchError> {
    let column = match name {
        "assignee" => "r.assignee_id",
        "requester" => "r.requester_id",
        _ => "r.submitter_id",
    };
    Ok(match value {
        Value::Number(n) => match id_of(*n) {
            Some(id) => Cond::sql(format!("{column} = $?"), vec![Bind::Int(id)]),
            None => Cond::False,
        },
        Value::Me => Cond::sql(format!("{column} = $?"), vec![Bind::Int(ctx.caller_id)]),
        Value::None => Cond::sql(format!("{column} IS NULL"), vec![]),
        Value::Word(s) | Value::Phrase(s) if s.contains('@') => Cond::sql(
            format!("{column} IN (SELECT id FROM users WHERE email = $?)"),
            vec![Bind::Text(s.to_lowercase())],
        ),
        Value::Word(s) | Value::Phrase(s) => TextMatch {
            text: s,
            prefix: false,
            columns: &["name"],
        }
        .cond(column, RecordType::User, ctx)
        .unwrap_or(Cond::False),
        Value::Wildcard(w) => Cond::sql(
            format!(
                "{column} IN (SELECT id FROM users WHERE email LIKE $? ESCAPE '\\' OR lower(name) LIKE $? ESCAPE '\\')"
            ),
            vec![Bind::Text(like_pattern(w)), Bind::Text(like_pattern(w))],
        ),
        other => {
            return Err(invalid(format!(
                "{name} takes a user ID, email, name, none or me, got {other}"
            )));
        }
    })
}

fn organization(value: &Value, ctx: &Context) -> Result<Cond, SearchError> {
    let column = "r.organization_id";
    Ok(match value {
        Value::Number(n) => match id_of(*n) {
            Some(id) => Cond::sql(format!("{column} = $?"), vec![Bind::Int(id)]),
            None => Cond::False,
        },
        Value::None => Cond::sql(format!("{column} IS NULL"), vec![]),
        Value::Me => Cond::sql(
            format!("{column} IN (SELECT organization_id FROM users WHERE id = $?)"),
            vec![Bind::Int(ctx.caller_id)],
        ),
        Value::Word(s) | Value::Phrase(s) => TextMatch {
            text: s,
            prefix: false,
            columns: &["name"],
        }
        .cond(column, RecordType::Organization, ctx)
        .unwrap_or(Cond::False),
        Value::Wildcard(w) => Cond::sql(
            format!(
                "{column} IN (SELECT id FROM organizations WHERE name_lower LIKE $? ESCAPE '\\')"
            ),
            vec![Bind::Text(like_pattern(w))],
        ),
        other => {
            return Err(invalid(format!(
                "organization takes an organization ID, name, none or me, got {other}"
            )));
        }
    })
}

fn group(value: &Value) -> Result<Cond, SearchError> {
    let column = "r.group_id";
    Ok(match value {
        Value::Number(n) => match id_of(*n) {
            Some(id) => Cond::sql(format!("{column} = $?"), vec![Bind::Int(id)]),
            None => Cond::False,
        },
        Value::None => Cond::sql(format!("{column} IS NULL"), vec![]),
        Value::Word(s) | Value::Phrase(s) => Cond::sql(
            format!("{column} IN (SELECT id FROM groups WHERE deleted = 0 AND lower(name) = $?)"),
            vec![Bind::Text(s.to_lowercase())],
        ),
        Value::Wildcard(w) => Cond::sql(
            format!(
                "{column} IN (SELECT id FROM groups WHERE deleted = 0 AND lower(name) LIKE $? ESCAPE '\\')"
            ),
            vec![Bind::Text(like_pattern(w))],
        ),
        other => {
            return Err(invalid(format!(
                "group takes a group ID, name or none, got {other}"
            )));
        }
    })
}

fn tag(value: &Value, rt: RecordType) -> Result<Cond, SearchError> {
    let Some((tags, owner)) = table(rt).spec().tags else {
        return Ok(Cond::False);
    };
    Ok(match value {
        Value::None => Cond::sql(format!("r.id NOT IN (SELECT {owner} FROM {tags})"), vec![]),
        Value::Wildcard(w) => Cond::sql(
            format!("r.id IN (SELECT {owner} FROM {tags} WHERE tag LIKE $? ESCAPE '\\')"),
            vec![Bind::Text(like_pattern(w))],
        ),
        Value::Word(_) | Value::Phrase(_) | Value::Number(_) => {
            let tag = text_of(value).unwrap_or_default().to_lowercase();
            Cond::sql(
                format!("r.id IN (SELECT {owner} FROM {tags} WHERE tag = $?)"),
                vec![Bind::Text(tag)],
            )
        }
        other => {
            return Err(invalid(format!(
                "tags takes a tag, a tag prefix like vip* or none, got {other}"
            )));
        }
    })
}

fn text_keyword(
    name: &str,
    value: &Value,
    rt: RecordType,
    ctx: &Context,
) -> Result<Option<Cond>, SearchError> {
    if table(rt).text_table().is_none() {
        // Groups: only `name`, matched with LIKE.
        return Ok(Some(group_name_like(value)));
    }
    let columns: &[&str] = match name {
        // Agents search public comments and internal notes; end-users their public thread.
        "comment" if ctx.end_user => &["comments"],
        "comment" => &["comments", "private_comments"],
        "subject" => &["subject"],
        "description" => &["description"],
        "name" => &["name"],
        "details" => &["details"],
        "notes" => &["notes"],
        other => return Err(invalid(format!("{other} is not a text field"))),
    };
    let Some((text, prefix)) = text_term(value, name)? else {
        return Ok(None);
    };
    Ok(TextMatch {
        text: &text,
        prefix,
        columns,
    }
    .cond("r.id", rt, ctx))
}

fn exact(name: &str, value: &Value) -> Result<Cond, SearchError> {
    // email and external_id are stored lower-cased (and indexed): compare them directly.
    let column = match name {
        "via" => "lower(r.via_channel)",
        "email" => "r.email",
        "phone" => "lower(r.phone)",
        _ => "r.external_id",
    };
    Ok(match value {
        Value::None => Cond::sql(format!("{column} IS NULL"), vec![]),
        Value::Wildcard(w) => Cond::sql(
            format!("{column} LIKE $? ESCAPE '\\'"),
            vec![Bind::Text(like_pattern(w))],
        ),
        other => match text_of(other) {
            Some(text) => Cond::sql(
                format!("{column} = $?"),
                vec![Bind::Text(text.to_lowercase())],
            ),
            None => {
                return Err(invalid(format!(
                    "{name} takes a value or none, got {other}"
                )));
            }
        },
    })
}

const DAY: i64 = 86_400;

fn date(name: &str, op: Op, value: &Value, ctx: &Context) -> Result<Cond, SearchError> {
    let column = match name {
        "created" | "created_at" => "r.created_at",
        "updated" | "updated_at" => "r.updated_at",
        "solved" => "r.solved_at",
        _ => "r.due_at",
    };
    let bad = || {
        invalid(format!(
            "{name} takes a date (2024-01-31), an ISO 8601 date-time (2024-01-31T10:00:00Z) or a relative time (4hours, 2days, 3weeks), got {value}"
        ))
    };
    // A phrase holding a date is read as that date.
    let typed;
    let value = match value {
        Value::Phrase(p) => {
            typed = zendesk_query::parse_date(p)
                .map(Value::Date)
                .or_else(|| zendesk_query::parse_datetime(p).map(Value::DateTime))
                .or_else(|| zendesk_query::parse_relative(p).map(Value::RelativeDate))
                .ok_or_else(bad)?;
            &typed
        }
        other => other,
    };
    let instant =
        |at: i64| -> Cond { Cond::sql(format!("{column} {} $?", op_sql(op)), vec![Bind::Int(at)]) };
    Ok(match value {
        Value::None if op == Op::Eq => Cond::sql(format!("{column} IS NULL"), vec![]),
        Value::Date(d) => {
            let start = d.midnight().assume_utc().unix_timestamp();
            let end = start + DAY;
            match op {
                Op::Eq => Cond::sql(
                    format!("{column} >= $? AND {column} < $?"),
                    vec![Bind::Int(start), Bind::Int(end)],
                ),
                Op::Lt => Cond::sql(format!("{column} < $?"), vec![Bind::Int(start)]),
                Op::Le => Cond::sql(format!("{column} < $?"), vec![Bind::Int(end)]),
                Op::Gt => Cond::sql(format!("{column} >= $?"), vec![Bind::Int(end)]),
                Op::Ge => Cond::sql(format!("{column} >= $?"), vec![Bind::Int(start)]),
            }
        }
        Value::DateTime(dt) => instant(dt.unix_timestamp()),
        Value::RelativeDate(r) => {
            let now =
                OffsetDateTime::from_unix_timestamp(ctx.now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
            let at = r.before(now).unix_timestamp();
            if op == Op::Eq {
                Cond::sql(format!("{column} >= $?"), vec![Bind::Int(at)])
            } else {
                instant(at)
            }
        }
        _ => return Err(bad()),
    })
}

/// `custom_field_{id}` (with `field = Some(id)`) or `fieldvalue` (any field).
fn field_value(
    name: &str,
    op: Op,
    value: &Value,
    field: Option<i64>,
    rt: RecordType,
    dialect: Dialect,
) -> Result<Cond, SearchError> {
    let sql = dialect.custom_fields(table(rt));
    let each = sql.each;
    let (raw, text) = (sql.raw, sql.text);
    let mut binds = Vec::new();
    let mut id_filter = String::new();
    if let Some(id) = field {
        id_filter.push_str(sql.id_is);
        id_filter.push_str(" AND ");
        binds.push(Bind::Int(id));
    }
    let exists = |cond: &str, mut binds: Vec<Bind>, extra: Vec<Bind>| -> Cond {
        binds.extend(extra);
        Cond::sql(
            format!("EXISTS (SELECT 1 FROM {each} WHERE {id_filter}{cond})"),
            binds,
        )
    };
    let bad = || {
        invalid(format!(
            "{name} comparisons take a number or a date (2024-01-31), got {value}"
        ))
    };
    Ok(match (op, value) {
        (Op::Eq, Value::None) => exists(&format!("{raw} IS NOT NULL"), binds, vec![]).not(),
        (Op::Eq, Value::Wildcard(w)) => exists(
            &format!("{text} LIKE $? ESCAPE '\\'"),
            binds,
            vec![Bind::Text(like_pattern(w))],
        ),
        (Op::Eq, other) => match text_of(other) {
            Some(t) => exists(
                &format!("{text} = $?"),
                binds,
                vec![Bind::Text(t.to_lowercase())],
            ),
            None => return Err(bad()),
        },
        (op, Value::Number(n)) => exists(
            &format!("{} {} {}", sql.number, op_sql(op), sql.integer_bind),
            binds,
            vec![Bind::Int(id_of(*n).unwrap_or(i64::MAX))],
        ),
        (op, Value::Word(w)) if w.parse::<f64>().is_ok_and(f64::is_finite) => exists(
            &format!("{} {} {}", sql.number, op_sql(op), sql.number_bind),
            binds,
            vec![Bind::Text(w.clone())],
        ),
        (op, Value::Date(_)) => exists(
            &format!("{} {} $?", sql.ordered, op_sql(op)),
            binds,
            vec![Bind::Text(value.to_string())],
        ),
        _ => return Err(bad()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            caller_id: 7,
            end_user: false,
            now: 1_700_000_000,
            dialect: Dialect::Sqlite,
            text_form: crate::store::TextForm::Member,
        }
    }

    fn compiled(q: &str, rt: RecordType) -> Cond {
        let query = zendesk_query::parse(q).unwrap();
        compile(&query, rt, &ctx()).unwrap()
    }

    #[test]
    fn user_text_is_only_ever_bound() {
        let evil = "subject:\"x'); DROP TABLE tickets; --\" tags:a'b";
        let Cond::Sql(sql, binds) = compiled(evil, RecordType::Ticket) else {
            panic!("expected SQL");
        };
        assert!(!sql.contains("DROP"), "{sql}");
        assert!(!sql.contains("a'b"), "{sql}");
        assert_eq!(binds.len(), 2);
    }

    #[test]
    fn inapplicable_keywords_rule_out_a_type() {
        assert!(matches!(
            compiled("status:open", RecordType::User),
            Cond::False
        ));
        assert!(matches!(
            compiled("type:user", RecordType::Ticket),
            Cond::False
        ));
        assert!(matches!(
            compiled("-status:open", RecordType::User),
            Cond::Sql(..)
        ));
    }

    #[test]
    fn repeated_keywords_or_and_comparisons_and() {
        let (sql, _) = compiled("tags:a tags:b", RecordType::Ticket).render();
        assert!(sql.contains(" OR "), "{sql}");
        let (sql, _) =
            compiled("created>2024-01-01 created<2024-02-01", RecordType::Ticket).render();
        assert!(!sql.contains(" OR "), "{sql}");
    }

    #[test]
    fn binds_follow_their_markers_in_order() {
        let (sql, binds) = compiled("assignee:5 requester:6", RecordType::Ticket).render();
        assert_eq!(sql.matches("$?").count(), binds.len(), "{sql}");
        assert_eq!(binds, [Bind::Int(5), Bind::Int(6)]);
    }

    #[test]
    fn bad_values_are_refused_with_the_keyword_named() {
        for (q, needle) in [
            ("status:bogus", "status must be one of new, open"),
            ("priority>none", "priority must be one of"),
            ("created>yesterday", "created takes a date"),
            ("assignee:2024-01-01", "assignee takes a user ID"),
            ("tags<a", "tags takes \":\" only"),
            ("type:widget", "type must be ticket, user"),
            ("subject:*fire", "a * wildcard must end the word"),
            ("ticket_type:bug", "ticket_type must be one of question"),
            (
                "custom_field_1>abc",
                "custom_field_1 comparisons take a number",
            ),
        ] {
            let query = zendesk_query::parse(q).unwrap();
            let err = RecordType::ALL
                .into_iter()
                .find_map(|rt| compile(&query, rt, &ctx()).err())
                .unwrap_or_else(|| panic!("{q} compiled"));
            assert!(err.to_string().contains(needle), "{q}: {err}");
        }
    }
}
