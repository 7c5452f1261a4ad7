//! Records as served: reading them (one, several, a page of a list, a count), saving them with
//! the columns, tags and full text derived from their JSON, and what belongs to a ticket
//! (comments, audits, soft deletion) or an upload (its bytes). Written once for both backends,
//! over [`Connection`](super::connection::Connection); where full text differs, the
//! connection's hooks do it.

use serde_json::Value;

use super::bind::Bind;
use super::connection::{Row, Transaction};
use super::error::{StoreError, StoreResult, parse_stored};
use super::lists::{ListQuery, PageRows, stream_page};
use super::sql::{self, Filter};
use super::tables::{self, Table};
use crate::util::{iso, now};

/// A case-insensitive unique lookup key of users and organizations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// A user's email.
    Email,
    /// A user's or organization's external id.
    ExternalId,
    /// An organization's name.
    Name,
}

/// A soft-deleted ticket: its last JSON, when and by whom it was deleted.
#[derive(Clone, Debug)]
pub struct DeletedTicket {
    pub ticket: Value,
    pub deleted_at: i64,
    pub deleted_by: i64,
}

/// A Help Center article search: any of `words` may match (articles matching more, or in the
/// title, rank first, by the backend's text ranking); `filters` apply to the articles table.
#[derive(Clone, Debug)]
pub struct ArticleSearch<'a> {
    pub words: &'a [String],
    pub filters: &'a [Filter],
    pub offset: i64,
    pub limit: i64,
}

/// The most bytes of an uploaded file one row holds (`attachment_chunks`): a download is read
/// and sent a slice at a time, so a reader holds a slice, not the file.
pub const ATTACHMENT_SLICE: usize = 256 * 1024;

/// The statement of [`ReadRecords::record_texts`] (`SELECT id, json` of the live records, as
/// [`sql::ids_statement`] pads its ids) and its binds; `None` for no ids.
pub(crate) fn record_texts_statement(table: Table, ids: &[i64]) -> Option<(String, Vec<Bind>)> {
    if ids.is_empty() {
        return None;
    }
    let (sql, binds) = sql::ids_statement(&format!("SELECT id, json FROM {}", table.name()), ids);
    Some((format!("{sql} AND {}", table.live()), binds))
}

/// A row of the [`record_texts_statement`]: (id, JSON text).
pub(crate) fn record_text(row: &dyn Row) -> StoreResult<(i64, String)> {
    Ok((row.id(0)?, row.string(1)?))
}

/// Reading records.
pub trait ReadRecords {
    /// One live record's JSON.
    fn record(&mut self, table: Table, id: i64) -> StoreResult<Option<Value>> {
        self.record_text(table, id)?
            .map(|text| parse_stored(&text))
            .transpose()
    }
    /// One live record's JSON text as stored (served without parsing it).
    fn record_text(&mut self, table: Table, id: i64) -> StoreResult<Option<String>>;
    /// The live records among `ids` as stored, (id, JSON text), in one statement, in no
    /// particular order.
    fn record_texts(&mut self, table: Table, ids: &[i64]) -> StoreResult<Vec<(i64, String)>>;
    /// Live records, in the order of `ids`, skipping missing ones.
    fn records(&mut self, table: Table, ids: &[i64]) -> StoreResult<Vec<Value>>;
    /// The id of the record whose lookup key equals `value` (compared case-insensitively).
    fn find_id(&mut self, table: Table, key: Lookup, value: &str) -> StoreResult<Option<i64>>;
    /// One page of a list, held in memory (see [`stream_page`] to hand rows on as they are read).
    fn list_page(&mut self, query: &ListQuery<'_>) -> StoreResult<PageRows>;
    /// How many rows of `table` meet every filter.
    fn count(&mut self, table: Table, filters: &[Filter]) -> StoreResult<i64>;
    /// Up to `limit` records of `table` meeting every filter, by id.
    fn find(&mut self, table: Table, filters: &[Filter], limit: i64) -> StoreResult<Vec<Value>>;

    fn deleted_ticket(&mut self, id: i64) -> StoreResult<Option<DeletedTicket>>;
    fn comment_count(&mut self, ticket_id: i64) -> StoreResult<i64>;
    /// Slice `seq` (from 0) of an uploaded file's bytes (see [`ATTACHMENT_SLICE`]); `None`
    /// past the last.
    fn attachment_slice(&mut self, id: i64, seq: i64) -> StoreResult<Option<Vec<u8>>>;
    /// One page of a Help Center search, best match first: (total, [(id, stored JSON)]).
    fn search_articles(
        &mut self,
        search: &ArticleSearch<'_>,
    ) -> StoreResult<(i64, Vec<(i64, String)>)>;
    /// Every user (active or not) whose `organization_id` is `organization_id`.
    fn users_in_organization(&mut self, organization_id: i64) -> StoreResult<Vec<Value>>;
    /// Every organization holding at least one organization-field value.
    fn organizations_with_field_values(&mut self) -> StoreResult<Vec<Value>>;
    /// A field by key, deleted ones included (keys are never reused): (json, deleted).
    fn organization_field_by_key(&mut self, key: &str) -> StoreResult<Option<(Value, bool)>>;
    /// Every live organization field, by position then id.
    fn live_organization_fields(&mut self) -> StoreResult<Vec<Value>>;
}

/// Writing records; everything a transaction writes commits or rolls back together.
pub trait WriteRecords {
    /// A fresh id for a new record of `table` (each resource has its own id range).
    fn allocate_id(&mut self, table: Table) -> StoreResult<i64>;
    /// Reserves `n` consecutive ids of a named counter (`event`: audits, comments and their
    /// events; `option`: dropdown options); returns the first.
    fn next_ids(&mut self, counter: &str, n: i64) -> StoreResult<i64>;
    /// Writes a record's JSON (insert or replace) and refreshes the columns, tags and
    /// full text derived from it. Organization fields go through
    /// [`WriteRecords::save_organization_field`].
    fn save(&mut self, table: Table, record: &Value) -> StoreResult<()>;
    fn save_organization_field(&mut self, field: &Value, deleted: bool) -> StoreResult<()>;
    /// Deletes an organization for good; false when there was none.
    fn delete_organization(&mut self, id: i64) -> StoreResult<bool>;
    /// Deletes a row of `table` for good (a group membership); false when there was none.
    fn delete_row(&mut self, table: Table, id: i64) -> StoreResult<bool>;

    /// Sets `solved_at` (not part of the served JSON).
    fn set_ticket_solved_at(&mut self, id: i64, solved_at: Option<i64>) -> StoreResult<()>;
    /// Soft-deletes (`Some((at, by))`) or restores (`None`) a ticket; false when nothing changed.
    fn set_ticket_deleted(&mut self, id: i64, deleted: Option<(i64, i64)>) -> StoreResult<bool>;
    /// Removes a ticket for good, with its comments, audits, tags and text.
    fn purge_ticket(&mut self, id: i64) -> StoreResult<()>;
    fn insert_comment(&mut self, ticket_id: i64, comment: &Value, at: i64) -> StoreResult<()>;
    fn insert_audit(&mut self, ticket_id: i64, audit: &Value, at: i64) -> StoreResult<()>;
    /// Stores an uploaded file's bytes beside its attachment row (saved first).
    fn set_attachment_content(&mut self, id: i64, content: &[u8]) -> StoreResult<()>;
}

impl ReadRecords for Transaction<'_> {
    fn record_text(&mut self, table: Table, id: i64) -> StoreResult<Option<String>> {
        let sql = format!(
            "SELECT json FROM {} WHERE id = $? AND {}",
            table.name(),
            table.live()
        );
        self.row(&sql, &[Bind::Int(id)], |row| row.string(0))
    }

    fn record_texts(&mut self, table: Table, ids: &[i64]) -> StoreResult<Vec<(i64, String)>> {
        let Some((sql, binds)) = record_texts_statement(table, ids) else {
            return Ok(Vec::new());
        };
        self.rows(&sql, &binds, record_text)
    }

    fn records(&mut self, table: Table, ids: &[i64]) -> StoreResult<Vec<Value>> {
        // Read together (a statement per `sql::RECORDS_PER_STATEMENT` ids, not one per id: on
        // PostgreSQL a round trip each), then put in the order asked.
        let mut found = std::collections::HashMap::with_capacity(ids.len());
        for some in ids.chunks(sql::RECORDS_PER_STATEMENT) {
            found.extend(self.record_texts(table, some)?);
        }
        ids.iter()
            .filter_map(|id| found.get(id))
            .map(|text| parse_stored(text))
            .collect()
    }

    fn find_id(&mut self, table: Table, key: Lookup, value: &str) -> StoreResult<Option<i64>> {
        let column = match (table, key) {
            (Table::Users, Lookup::Email) => "email",
            (Table::Organizations, Lookup::Name) => "name_lower",
            (Table::Users | Table::Organizations, Lookup::ExternalId) => "external_id",
            _ => return Ok(None),
        };
        let sql = format!("SELECT id FROM {} WHERE {column} = $?", table.name());
        self.one_int(&sql, &[Bind::Text(value.to_lowercase())])
    }

    fn list_page(&mut self, query: &ListQuery<'_>) -> StoreResult<PageRows> {
        let mut rows = Vec::new();
        let summary = stream_page(self, query, &mut |row| {
            rows.push((row.id, row.key, row.json.to_string()));
            Ok(())
        })?;
        Ok(PageRows {
            rows,
            more: summary.more,
            count: summary.count,
        })
    }

    fn count(&mut self, table: Table, filters: &[Filter]) -> StoreResult<i64> {
        let (where_sql, binds) = sql::where_clause(filters, self.conn.dialect());
        let count_sql = format!("SELECT COUNT(*) FROM {} WHERE {where_sql}", table.name());
        Ok(self.one_int(&count_sql, &binds)?.unwrap_or(0))
    }

    fn find(&mut self, table: Table, filters: &[Filter], limit: i64) -> StoreResult<Vec<Value>> {
        let (where_sql, binds) = sql::where_clause(filters, self.conn.dialect());
        let find_sql = format!(
            "SELECT json FROM {} WHERE {where_sql} ORDER BY id LIMIT {limit}",
            table.name()
        );
        self.json_rows(&find_sql, &binds)
    }

    fn deleted_ticket(&mut self, id: i64) -> StoreResult<Option<DeletedTicket>> {
        self.row(
            "SELECT json, deleted_at, deleted_by FROM tickets
             WHERE id = $? AND deleted_at IS NOT NULL",
            &[Bind::Int(id)],
            |row| {
                Ok(DeletedTicket {
                    ticket: row.json(0)?,
                    deleted_at: row.id(1)?,
                    deleted_by: row.int(2)?.unwrap_or_default(),
                })
            },
        )
    }

    fn comment_count(&mut self, ticket_id: i64) -> StoreResult<i64> {
        Ok(self
            .one_int(
                "SELECT COUNT(*) FROM ticket_comments WHERE ticket_id = $?",
                &[Bind::Int(ticket_id)],
            )?
            .unwrap_or(0))
    }

    fn attachment_slice(&mut self, id: i64, seq: i64) -> StoreResult<Option<Vec<u8>>> {
        Ok(self
            .row(
                "SELECT bytes FROM attachment_chunks WHERE attachment_id = $? AND seq = $?",
                &[Bind::Int(id), Bind::Int(seq)],
                |row| row.bytes(0),
            )?
            .flatten())
    }

    fn search_articles(
        &mut self,
        search: &ArticleSearch<'_>,
    ) -> StoreResult<(i64, Vec<(i64, String)>)> {
        let dialect = self.conn.dialect();
        let Some(matched) = dialect.article_match(search.words) else {
            return Ok((0, Vec::new()));
        };
        let (where_sql, filter_binds) = sql::where_clause(search.filters, dialect);
        let from = format!(
            "FROM {} WHERE {} AND {where_sql}",
            matched.from, matched.condition
        );
        let mut binds = vec![matched.words];
        binds.extend(filter_binds);
        let total = self
            .one_int(&format!("SELECT COUNT(*) {from}"), &binds)?
            .unwrap_or(0);
        let hits = self.rows(
            &format!(
                "SELECT hc_articles.id, hc_articles.json {from} \
                 ORDER BY {}, hc_articles.id LIMIT {} OFFSET {}",
                matched.best_first,
                search.limit.max(0),
                search.offset.max(0)
            ),
            &binds,
            |row| Ok((row.id(0)?, row.string(1)?)),
        )?;
        Ok((total, hits))
    }

    fn users_in_organization(&mut self, organization_id: i64) -> StoreResult<Vec<Value>> {
        self.json_rows(
            "SELECT json FROM users WHERE organization_id = $?",
            &[Bind::Int(organization_id)],
        )
    }

    fn organizations_with_field_values(&mut self) -> StoreResult<Vec<Value>> {
        self.json_rows(
            "SELECT json FROM organizations WHERE json LIKE '%\"organization_fields\":{\"%'",
            &[],
        )
    }

    fn organization_field_by_key(&mut self, key: &str) -> StoreResult<Option<(Value, bool)>> {
        self.row(
            "SELECT json, deleted FROM organization_fields WHERE key = $?",
            &[Bind::from(key)],
            |row| Ok((row.json(0)?, row.flag(1)?)),
        )
    }

    fn live_organization_fields(&mut self) -> StoreResult<Vec<Value>> {
        self.json_rows(
            "SELECT json FROM organization_fields WHERE deleted = 0 ORDER BY position, id",
            &[],
        )
    }
}

impl Transaction<'_> {
    /// The full text of a record: its own fields and, for a ticket, its public comments and
    /// internal notes (apart: an end-user's search reads only the former), each in order.
    pub(crate) fn text_of(
        &mut self,
        table: Table,
        record: &Value,
    ) -> StoreResult<Vec<(&'static str, String)>> {
        let Some(text) = &table.spec().text else {
            return Ok(Vec::new());
        };
        let mut fields = (text.fields)(record);
        if table == Table::Tickets {
            let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
            // An internal note as the first comment is the agents' description only: it is
            // indexed with the internal notes (below), never in the text end-users search.
            if self.description_is_private(id)? {
                for (name, text) in &mut fields {
                    if *name == "description" {
                        text.clear();
                    }
                }
            }
            let (mut public, mut private) = (String::new(), String::new());
            self.each_row(
                "SELECT json, public FROM ticket_comments WHERE ticket_id = $?
                 ORDER BY created_at, id",
                &[Bind::Int(id)],
                &mut |row| {
                    let text = if row.flag(1)? {
                        &mut public
                    } else {
                        &mut private
                    };
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    let comment = super::parse_stored(row.text(0)?.unwrap_or_default())?;
                    text.push_str(comment["body"].as_str().unwrap_or_default());
                    Ok(true)
                },
            )?;
            fields.push(("comments", public));
            fields.push(("private_comments", private));
        }
        Ok(fields)
    }

    /// Whether the ticket's first comment (its `description`) is an internal note.
    fn description_is_private(&mut self, ticket_id: i64) -> StoreResult<bool> {
        let first_public = self.one_int(
            "SELECT public FROM ticket_comments WHERE ticket_id = $?
             ORDER BY created_at, id LIMIT 1",
            &[Bind::Int(ticket_id)],
        )?;
        Ok(first_public == Some(0))
    }

    fn replace_tags(&mut self, table: Table, id: i64, tags: &[String]) -> StoreResult<()> {
        let Some((tag_table, owner)) = table.spec().tags else {
            return Ok(());
        };
        self.exec(
            &format!("DELETE FROM {tag_table} WHERE {owner} = $?"),
            &[Bind::Int(id)],
        )?;
        let insert = format!(
            "INSERT INTO {tag_table} ({owner}, tag) VALUES ($?, $?) ON CONFLICT DO NOTHING"
        );
        for tag in tags {
            self.exec(&insert, &[Bind::Int(id), Bind::Text(tag.clone())])?;
        }
        Ok(())
    }

    /// Inserts or updates a row from its columns and the columns the backend adds.
    fn upsert(
        &mut self,
        table: Table,
        columns: Vec<(&'static str, Bind)>,
        text: &[(&'static str, String)],
        record: &Value,
    ) -> StoreResult<()> {
        let extra = self.conn.extra_columns(table, record, text);
        let mut names: Vec<&str> = Vec::with_capacity(columns.len() + extra.len());
        let mut values: Vec<String> = Vec::with_capacity(columns.len() + extra.len());
        let mut binds: Vec<Bind> = Vec::with_capacity(columns.len() + extra.len());
        for (name, bind) in columns {
            names.push(name);
            values.push("$?".into());
            binds.push(bind);
        }
        for column in extra {
            names.push(column.name);
            values.push(column.value);
            binds.extend(column.binds);
        }
        let updates: Vec<String> = names
            .iter()
            .filter(|name| **name != "id" && **name != "created_at")
            .map(|name| format!("{name} = excluded.{name}"))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT (id) DO UPDATE SET {}",
            table.name(),
            names.join(", "),
            values.join(", "),
            updates.join(", ")
        );
        self.exec(&sql, &binds)?;
        Ok(())
    }
}

impl WriteRecords for Transaction<'_> {
    fn allocate_id(&mut self, table: Table) -> StoreResult<i64> {
        if table.spec().columns.is_none() {
            return Err(StoreError::corrupt(format!(
                "{} ids come from the event counter",
                table.record_name()
            )));
        }
        let id = self.conn.allocate_id(table);
        self.noted(id)
    }

    fn next_ids(&mut self, counter: &str, n: i64) -> StoreResult<i64> {
        let first = self.conn.next_ids(counter, n);
        self.noted(first)
    }

    fn save(&mut self, table: Table, record: &Value) -> StoreResult<()> {
        if table == Table::OrganizationFields {
            return self.save_organization_field(record, false);
        }
        if table.spec().columns.is_none() {
            return Err(StoreError::corrupt(format!(
                "{} rows are written with their own insert",
                table.record_name()
            )));
        }
        let mut columns = tables::derived_columns(table, record);
        let id = match columns.first() {
            Some((_, Bind::Int(id))) => *id,
            _ => 0,
        };
        if table == Table::Tickets {
            // Where an end-user is shown no description (see `permissions::view`).
            let private = self.description_is_private(id)?;
            columns.push(("description_private", Bind::Int(private as i64)));
        }
        let text = self.text_of(table, record)?;
        self.upsert(table, columns, &text, record)?;
        if table == Table::Users {
            self.credentials_changed();
        }
        self.replace_tags(table, id, &tables::tags_of(record))?;
        let indexed = self.conn.index_text(table, id, &text);
        self.noted(indexed)
    }

    fn save_organization_field(&mut self, field: &Value, deleted: bool) -> StoreResult<()> {
        let mut columns = tables::derived_columns(Table::OrganizationFields, field);
        columns.push(("deleted", Bind::Int(deleted as i64)));
        self.upsert(Table::OrganizationFields, columns, &[], field)
    }

    fn delete_organization(&mut self, id: i64) -> StoreResult<bool> {
        // The incremental exports still say it is gone: its last JSON with `deleted_at`.
        if let Some(mut last) = self.record(Table::Organizations, id)? {
            let at = now();
            if let Some(fields) = last.as_object_mut() {
                fields.insert("deleted_at".into(), Value::String(iso(at)));
            }
            self.exec(
                "INSERT INTO deleted_organizations (id, json, generated_timestamp) VALUES ($?, $?, $?)
                 ON CONFLICT (id) DO UPDATE SET json = excluded.json,
                    generated_timestamp = excluded.generated_timestamp",
                &[Bind::Int(id), Bind::Text(last.to_string()), Bind::Int(at)],
            )?;
        }
        let deleted = self.exec("DELETE FROM organizations WHERE id = $?", &[Bind::Int(id)])?;
        self.exec(
            "DELETE FROM organization_tags WHERE organization_id = $?",
            &[Bind::Int(id)],
        )?;
        let dropped = self.conn.drop_text(Table::Organizations, id);
        self.noted(dropped)?;
        Ok(deleted == 1)
    }

    fn delete_row(&mut self, table: Table, id: i64) -> StoreResult<bool> {
        self.credentials_changed();
        if table == Table::Attachments {
            self.exec(
                "DELETE FROM attachment_chunks WHERE attachment_id = $?",
                &[Bind::Int(id)],
            )?;
        }
        let deleted = self.exec(
            &format!("DELETE FROM {} WHERE id = $?", table.name()),
            &[Bind::Int(id)],
        )?;
        let dropped = self.conn.drop_text(table, id);
        self.noted(dropped)?;
        Ok(deleted == 1)
    }

    fn set_ticket_solved_at(&mut self, id: i64, solved_at: Option<i64>) -> StoreResult<()> {
        self.exec(
            "UPDATE tickets SET solved_at = $? WHERE id = $?",
            &[Bind::opt_int(solved_at), Bind::Int(id)],
        )?;
        Ok(())
    }

    fn set_ticket_deleted(&mut self, id: i64, deleted: Option<(i64, i64)>) -> StoreResult<bool> {
        // A deletion or a restore is a change the incremental exports must see.
        let changed_at = now();
        let changed = match deleted {
            Some((at, by)) => self.exec(
                "UPDATE tickets SET deleted_at = $?, deleted_by = $?, generated_timestamp = $?
                 WHERE id = $? AND deleted_at IS NULL",
                &[
                    Bind::Int(at),
                    Bind::Int(by),
                    Bind::Int(changed_at),
                    Bind::Int(id),
                ],
            )?,
            None => self.exec(
                "UPDATE tickets SET deleted_at = NULL, deleted_by = NULL, generated_timestamp = $?
                 WHERE id = $? AND deleted_at IS NOT NULL",
                &[Bind::Int(changed_at), Bind::Int(id)],
            )?,
        };
        Ok(changed == 1)
    }

    fn purge_ticket(&mut self, id: i64) -> StoreResult<()> {
        for sql in [
            "DELETE FROM tickets WHERE id = $?",
            "DELETE FROM ticket_tags WHERE ticket_id = $?",
            "DELETE FROM ticket_comments WHERE ticket_id = $?",
            "DELETE FROM ticket_audits WHERE ticket_id = $?",
            "DELETE FROM ticket_times WHERE ticket_id = $?",
        ] {
            self.exec(sql, &[Bind::Int(id)])?;
        }
        let dropped = self.conn.drop_text(Table::Tickets, id);
        self.noted(dropped)
    }

    fn insert_comment(&mut self, ticket_id: i64, comment: &Value, at: i64) -> StoreResult<()> {
        let int = |key: &str| comment.get(key).and_then(Value::as_i64);
        let public = comment
            .get("public")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        // The text is kept once, in `json` (the `body` column of rows written earlier holds a
        // copy; new rows leave it empty).
        self.exec(
            "INSERT INTO ticket_comments (id, ticket_id, audit_id, author_id, public, body, json,
                created_at)
             VALUES ($?, $?, $?, $?, $?, $?, $?, $?)",
            &[
                Bind::opt_int(int("id")),
                Bind::Int(ticket_id),
                Bind::Int(int("audit_id").unwrap_or_default()),
                Bind::Int(int("author_id").unwrap_or_default()),
                Bind::Int(public as i64),
                Bind::from(""),
                Bind::Text(comment.to_string()),
                Bind::Int(at),
            ],
        )?;
        Ok(())
    }

    fn insert_audit(&mut self, ticket_id: i64, audit: &Value, at: i64) -> StoreResult<()> {
        self.exec(
            "INSERT INTO ticket_audits (id, ticket_id, json, created_at) VALUES ($?, $?, $?, $?)",
            &[
                Bind::opt_int(audit.get("id").and_then(Value::as_i64)),
                Bind::Int(ticket_id),
                Bind::Text(audit.to_string()),
                Bind::Int(at),
            ],
        )?;
        Ok(())
    }

    fn set_attachment_content(&mut self, id: i64, content: &[u8]) -> StoreResult<()> {
        let exists = self.one_int(
            "SELECT COUNT(*) FROM attachments WHERE id = $?",
            &[Bind::Int(id)],
        )?;
        if exists != Some(1) {
            return Err(StoreError::corrupt(format!(
                "no attachment {id} to hold the uploaded bytes"
            )));
        }
        self.exec(
            "DELETE FROM attachment_chunks WHERE attachment_id = $?",
            &[Bind::Int(id)],
        )?;
        for (seq, slice) in content.chunks(ATTACHMENT_SLICE).enumerate() {
            self.exec(
                "INSERT INTO attachment_chunks (attachment_id, seq, bytes) VALUES ($?, $?, $?)",
                &[
                    Bind::Int(id),
                    Bind::Int(seq as i64),
                    Bind::Blob(slice.to_vec()),
                ],
            )?;
        }
        Ok(())
    }
}
