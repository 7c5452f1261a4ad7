//! The tables that hold records as served, each described once: its name, what one record is
//! called, when a row is live, its tag table, its full text, and the indexed columns it derives
//! from a record's JSON. The queries (`records.rs`), the list filters, the search compiler and
//! both backends read these descriptions; a new kind of record is a [`Table`] variant, its
//! description here and its migrations.

use serde_json::Value;

use super::bind::Bind;
use crate::util::{as_id, html_text, now, parse_time};

/// The tables that hold records as served (their JSON) and can be listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Tickets,
    Users,
    Organizations,
    OrganizationFields,
    Groups,
    TicketFields,
    GroupMemberships,
    /// A ticket's comments (written with `WriteRecords::insert_comment`).
    TicketComments,
    /// A ticket's audits (written with `WriteRecords::insert_audit`).
    TicketAudits,
    Macros,
    Views,
    /// Help Center categories, sections and articles.
    Categories,
    Sections,
    Articles,
    /// Uploaded files (their bytes through `WriteRecords::set_attachment_content`).
    Attachments,
    /// Business rules: triggers (run on every ticket write), their categories, and
    /// automations (run hourly).
    Triggers,
    TriggerCategories,
    Automations,
    /// The sandbox's outbox: every notification email a rule sent, captured.
    OutboxEmails,
}

/// A record's indexed columns, from its JSON.
pub type Columns = fn(&Value) -> Vec<(&'static str, Bind)>;

/// What the store knows of one table.
pub struct TableSpec {
    pub name: &'static str,
    /// What one record is called in messages ("ticket", "organization field").
    pub record: &'static str,
    /// The condition a row must meet to be live (not soft-deleted).
    pub live: &'static str,
    /// The tag table and its owner column, when records carry `tags`.
    pub tags: Option<(&'static str, &'static str)>,
    /// The record's full text, when it has one.
    pub text: Option<TextSpec>,
    /// The indexed columns derived from a record's JSON, besides `id`, `json`, `created_at` and
    /// `updated_at` (which every saved table has); `None` for rows written with an insert of
    /// their own (comments and audits belong to a ticket).
    pub columns: Option<Columns>,
    /// For a record kept in part in another table, the SQL of that part's JSON text, read as a
    /// column of the row's own statement (`NULL` when there is none): an audit's comment, whose
    /// text the audit's Comment event does not repeat (`resources::comment_forms`).
    pub companion: Option<&'static str>,
}

/// A table's full text: the fields a record's text is made of, in order, with the weight each
/// has in PostgreSQL's `search` vector (A first; SQLite's FTS table has a column per field).
pub struct TextSpec {
    /// SQLite's contentless FTS5 table (rowid = the record id).
    pub fts_table: &'static str,
    pub weights: &'static [(&'static str, char)],
    /// The record's own text fields (a ticket's comments are read from their table).
    pub fields: fn(&Value) -> Vec<(&'static str, String)>,
}

impl TextSpec {
    /// The weight of a field; fields not listed share the lowest.
    pub fn weight(&self, field: &str) -> char {
        self.weights
            .iter()
            .find(|(name, _)| *name == field)
            .map_or('D', |(_, weight)| *weight)
    }
}

impl Table {
    pub fn spec(self) -> &'static TableSpec {
        match self {
            Table::Tickets => &TICKETS,
            Table::Users => &USERS,
            Table::Organizations => &ORGANIZATIONS,
            Table::OrganizationFields => &ORGANIZATION_FIELDS,
            Table::Groups => &GROUPS,
            Table::TicketFields => &TICKET_FIELDS,
            Table::GroupMemberships => &GROUP_MEMBERSHIPS,
            Table::TicketComments => &TICKET_COMMENTS,
            Table::TicketAudits => &TICKET_AUDITS,
            Table::Macros => &MACROS,
            Table::Views => &VIEWS,
            Table::Categories => &CATEGORIES,
            Table::Sections => &SECTIONS,
            Table::Articles => &ARTICLES,
            Table::Attachments => &ATTACHMENTS,
            Table::Triggers => &TRIGGERS,
            Table::TriggerCategories => &TRIGGER_CATEGORIES,
            Table::Automations => &AUTOMATIONS,
            Table::OutboxEmails => &OUTBOX_EMAILS,
        }
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// The SQL of the part of a record kept in another table (see `TableSpec::companion`).
    pub fn companion(self) -> Option<&'static str> {
        self.spec().companion
    }

    /// The condition a row must meet to be "live" (not soft-deleted).
    pub fn live(self) -> &'static str {
        self.spec().live
    }

    /// What one record is called in messages ("ticket", "organization field").
    pub fn record_name(self) -> &'static str {
        self.spec().record
    }

    /// Whether Zendesk's incremental exports read this table: its rows keep
    /// `generated_timestamp`, the moment of their last change of any kind, set on every save.
    pub fn is_exported(self) -> bool {
        matches!(self, Table::Tickets | Table::Users | Table::Organizations)
    }

    /// The tables whose records have full text (see [`Table::text_table`]).
    pub const WITH_TEXT: [Table; 4] = [
        Table::Tickets,
        Table::Users,
        Table::Organizations,
        Table::Articles,
    ];

    /// The full-text table (SQLite) of the records that have full text.
    pub fn text_table(self) -> Option<&'static str> {
        self.spec().text.as_ref().map(|text| text.fts_table)
    }
}

const TICKETS: TableSpec = TableSpec {
    name: "tickets",
    record: "ticket",
    live: "deleted_at IS NULL",
    tags: Some(("ticket_tags", "ticket_id")),
    // Public comments and internal notes apart: an end-user's search reads only the former.
    text: Some(TextSpec {
        fts_table: "tickets_fts",
        weights: &[
            ("subject", 'A'),
            ("description", 'B'),
            ("comments", 'C'),
            ("private_comments", 'D'),
        ],
        fields: |record| fields(record, &["subject", "description"]),
    }),
    columns: Some(|record| {
        let status = s(record, "status").unwrap_or_else(|| "new".into());
        let priority = s(record, "priority");
        vec![
            ("status_rank", Bind::Int(status_rank(&status))),
            ("status", Bind::Text(status)),
            (
                "priority_rank",
                Bind::Int(priority_rank(priority.as_deref())),
            ),
            ("priority", Bind::opt_text(priority)),
            ("ticket_type", Bind::opt_text(s(record, "type"))),
            ("subject", Bind::opt_text(s(record, "subject"))),
            ("assignee_id", Bind::opt_int(i(record, "assignee_id"))),
            ("requester_id", Bind::opt_int(i(record, "requester_id"))),
            ("submitter_id", Bind::opt_int(i(record, "submitter_id"))),
            (
                "organization_id",
                Bind::opt_int(i(record, "organization_id")),
            ),
            ("group_id", Bind::opt_int(i(record, "group_id"))),
            ("external_id", lower(s(record, "external_id"))),
            (
                "via_channel",
                Bind::Text(
                    record
                        .pointer("/via/channel")
                        .and_then(Value::as_str)
                        .unwrap_or("api")
                        .to_string(),
                ),
            ),
            ("due_at", Bind::opt_int(ts(record, "due_at"))),
        ]
    }),
    companion: None,
};

const USERS: TableSpec = TableSpec {
    name: "users",
    record: "user",
    live: "1 = 1",
    tags: Some(("user_tags", "user_id")),
    text: Some(TextSpec {
        fts_table: "users_fts",
        weights: &[("name", 'A'), ("notes", 'B'), ("details", 'C')],
        fields: |record| fields(record, &["name", "email", "notes", "details", "phone"]),
    }),
    columns: Some(|record| {
        vec![
            ("name", Bind::Text(s(record, "name").unwrap_or_default())),
            ("email", lower(s(record, "email"))),
            (
                "role",
                Bind::Text(s(record, "role").unwrap_or_else(|| "end-user".into())),
            ),
            (
                "organization_id",
                Bind::opt_int(i(record, "organization_id")),
            ),
            ("external_id", lower(s(record, "external_id"))),
            ("custom_role_id", Bind::opt_int(i(record, "custom_role_id"))),
            ("active", flag(record, "active", true)),
            ("suspended", flag(record, "suspended", false)),
            ("phone", Bind::opt_text(s(record, "phone"))),
        ]
    }),
    companion: None,
};

const ORGANIZATIONS: TableSpec = TableSpec {
    name: "organizations",
    record: "organization",
    live: "1 = 1",
    tags: Some(("organization_tags", "organization_id")),
    text: Some(TextSpec {
        fts_table: "organizations_fts",
        weights: &[("name", 'A'), ("details", 'B'), ("notes", 'C')],
        fields: |record| fields(record, &["name", "details", "notes"]),
    }),
    columns: Some(|record| {
        let name = s(record, "name").unwrap_or_default();
        vec![
            ("name_lower", Bind::Text(name.to_lowercase())),
            ("name", Bind::Text(name)),
            ("external_id", lower(s(record, "external_id"))),
            ("group_id", Bind::opt_int(i(record, "group_id"))),
        ]
    }),
    companion: None,
};

/// Organization fields keep `deleted` beside the JSON (a deleted field's key is never reused):
/// they are saved through `WriteRecords::save_organization_field`.
const ORGANIZATION_FIELDS: TableSpec = TableSpec {
    name: "organization_fields",
    record: "organization field",
    live: "deleted = 0",
    tags: None,
    text: None,
    columns: Some(|record| {
        vec![
            ("key", Bind::Text(s(record, "key").unwrap_or_default())),
            ("position", Bind::Int(i(record, "position").unwrap_or(9999))),
            ("active", flag(record, "active", true)),
        ]
    }),
    companion: None,
};

const GROUPS: TableSpec = TableSpec {
    name: "groups",
    record: "group",
    live: "deleted = 0",
    tags: None,
    text: None,
    columns: Some(|record| {
        vec![
            ("name", Bind::Text(s(record, "name").unwrap_or_default())),
            ("deleted", flag(record, "deleted", false)),
        ]
    }),
    companion: None,
};

const TICKET_FIELDS: TableSpec = TableSpec {
    name: "ticket_fields",
    record: "ticket field",
    live: "deleted = 0",
    tags: None,
    text: None,
    columns: Some(|record| {
        vec![
            ("type", Bind::Text(s(record, "type").unwrap_or_default())),
            ("position", Bind::Int(i(record, "position").unwrap_or(9999))),
            ("active", flag(record, "active", true)),
            (
                "system",
                Bind::Int(!flag_of(record, "removable", true) as i64),
            ),
            ("deleted", flag(record, "deleted", false)),
        ]
    }),
    companion: None,
};

const GROUP_MEMBERSHIPS: TableSpec = TableSpec {
    name: "group_memberships",
    record: "group membership",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(|record| {
        vec![
            (
                "user_id",
                Bind::Int(i(record, "user_id").unwrap_or_default()),
            ),
            (
                "group_id",
                Bind::Int(i(record, "group_id").unwrap_or_default()),
            ),
            ("is_default", flag(record, "default", false)),
        ]
    }),
    companion: None,
};

const TICKET_COMMENTS: TableSpec = TableSpec {
    name: "ticket_comments",
    record: "comment",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: None,
    companion: None,
};

const TICKET_AUDITS: TableSpec = TableSpec {
    name: "ticket_audits",
    record: "audit",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: None,
    companion: Some(
        "(SELECT c.json FROM ticket_comments c WHERE c.audit_id = ticket_audits.id LIMIT 1)",
    ),
};

const MACROS: TableSpec = TableSpec {
    name: "macros",
    record: "macro",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(restricted_columns),
    companion: None,
};

const VIEWS: TableSpec = TableSpec {
    name: "views",
    record: "view",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(restricted_columns),
    companion: None,
};

const CATEGORIES: TableSpec = TableSpec {
    name: "hc_categories",
    record: "category",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(|record| {
        vec![
            ("locale", lower(s(record, "locale")).or_empty()),
            ("position", Bind::Int(i(record, "position").unwrap_or(0))),
        ]
    }),
    companion: None,
};

const SECTIONS: TableSpec = TableSpec {
    name: "hc_sections",
    record: "section",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(|record| {
        vec![
            (
                "category_id",
                Bind::Int(i(record, "category_id").unwrap_or_default()),
            ),
            ("locale", lower(s(record, "locale")).or_empty()),
            ("position", Bind::Int(i(record, "position").unwrap_or(0))),
        ]
    }),
    companion: None,
};

const ARTICLES: TableSpec = TableSpec {
    name: "hc_articles",
    record: "article",
    live: "1 = 1",
    tags: None,
    text: Some(TextSpec {
        fts_table: "articles_fts",
        weights: &[("title", 'A'), ("labels", 'B'), ("body", 'C')],
        fields: |record| {
            let labels: Vec<&str> = record
                .get("label_names")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            vec![
                ("title", s(record, "title").unwrap_or_default()),
                ("body", html_text(&s(record, "body").unwrap_or_default())),
                ("labels", labels.join(" ")),
            ]
        },
    }),
    columns: Some(|record| {
        vec![
            (
                "section_id",
                Bind::Int(i(record, "section_id").unwrap_or_default()),
            ),
            ("locale", lower(s(record, "locale")).or_empty()),
            ("draft", flag(record, "draft", false)),
            ("position", Bind::Int(i(record, "position").unwrap_or(0))),
            ("author_id", Bind::opt_int(i(record, "author_id"))),
            ("title_lower", lower(s(record, "title")).or_empty()),
        ]
    }),
    companion: None,
};

const ATTACHMENTS: TableSpec = TableSpec {
    name: "attachments",
    record: "attachment",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(|record| {
        let upload = record.get("upload").cloned().unwrap_or_default();
        vec![
            (
                "upload_token",
                Bind::Text(s(&upload, "token").unwrap_or_default()),
            ),
            (
                "content_token",
                Bind::Text(s(&upload, "content_token").unwrap_or_default()),
            ),
            (
                "uploader_id",
                Bind::Int(i(&upload, "uploader_id").unwrap_or_default()),
            ),
            ("ticket_id", Bind::opt_int(i(&upload, "ticket_id"))),
            ("comment_id", Bind::opt_int(i(&upload, "comment_id"))),
            (
                "public",
                Bind::opt_int(upload.get("public").and_then(Value::as_bool).map(i64::from)),
            ),
            ("size", Bind::Int(i(record, "size").unwrap_or_default())),
        ]
    }),
    companion: None,
};

const TRIGGERS: TableSpec = TableSpec {
    name: "triggers",
    record: "trigger",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(|record| {
        let mut columns = rule_columns(record);
        columns.push((
            "category_id",
            Bind::opt_text(record.get("category_id").and_then(|c| match c {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })),
        ));
        columns
    }),
    companion: None,
};

const TRIGGER_CATEGORIES: TableSpec = TableSpec {
    name: "trigger_categories",
    record: "trigger category",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(|record| vec![("position", Bind::Int(i(record, "position").unwrap_or(0)))]),
    companion: None,
};

const AUTOMATIONS: TableSpec = TableSpec {
    name: "automations",
    record: "automation",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(rule_columns),
    companion: None,
};

const OUTBOX_EMAILS: TableSpec = TableSpec {
    name: "outbox_emails",
    record: "email",
    live: "1 = 1",
    tags: None,
    text: None,
    columns: Some(|record| {
        vec![
            (
                "ticket_id",
                Bind::Int(i(record, "ticket_id").unwrap_or_default()),
            ),
            ("to_address", lower(s(record, "to")).or_empty()),
        ]
    }),
    companion: None,
};

/// The columns of triggers and automations: title (for search), whether it runs, its place.
fn rule_columns(record: &Value) -> Vec<(&'static str, Bind)> {
    vec![
        ("title_lower", lower(s(record, "title")).or_empty()),
        ("active", flag(record, "active", true)),
        ("position", Bind::Int(i(record, "position").unwrap_or(0))),
    ]
}

/// The columns of macros and views: who they are restricted to (see [`restriction_columns`]).
fn restricted_columns(record: &Value) -> Vec<(&'static str, Bind)> {
    let (user, groups) = restriction_columns(record);
    vec![
        ("title_lower", lower(s(record, "title")).or_empty()),
        ("active", flag(record, "active", true)),
        ("position", Bind::Int(i(record, "position").unwrap_or(9999))),
        ("restricted_user_id", Bind::opt_int(user)),
        ("restricted_group_ids", Bind::opt_text(groups)),
    ]
}

/// The indexed columns `table` derives from a record's JSON, `id` and `json` first. Creation
/// time is set on insert only; everything else follows the JSON, but `generated_timestamp`
/// (exported tables), which is the moment of the write.
pub fn derived_columns(table: Table, record: &Value) -> Vec<(&'static str, Bind)> {
    let mut columns = vec![
        ("id", Bind::Int(i(record, "id").unwrap_or_default())),
        ("json", Bind::Text(record.to_string())),
    ];
    if let Some(own) = table.spec().columns {
        let now = now();
        columns.extend(own(record));
        columns.push((
            "created_at",
            Bind::Int(ts(record, "created_at").unwrap_or(now)),
        ));
        columns.push((
            "updated_at",
            Bind::Int(ts(record, "updated_at").unwrap_or(now)),
        ));
        if table.is_exported() {
            columns.push(("generated_timestamp", Bind::Int(now)));
        }
    }
    columns
}

/// Who a macro or view is restricted to: (the user of a personal one, `,1,2,` for groups).
pub fn restriction_columns(record: &Value) -> (Option<i64>, Option<String>) {
    let Some(restriction) = record.get("restriction").filter(|r| r.is_object()) else {
        return (None, None);
    };
    let id = restriction.get("id").and_then(as_id);
    match restriction.get("type").and_then(Value::as_str) {
        Some("User") => (id, None),
        Some("Group") => {
            let mut ids: Vec<i64> = restriction
                .get("ids")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(as_id).collect())
                .unwrap_or_default();
            ids.extend(id);
            ids.sort_unstable();
            ids.dedup();
            let joined: Vec<String> = ids.iter().map(i64::to_string).collect();
            (None, Some(format!(",{},", joined.join(","))))
        }
        _ => (None, None),
    }
}

/// A record's tags.
pub fn tags_of(record: &Value) -> Vec<String> {
    record
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Position of a status in Zendesk's order (new 0 < open < pending < hold < solved < closed 5).
pub fn status_rank(status: &str) -> i64 {
    status
        .parse::<zendesk_types::TicketStatus>()
        .ok()
        .and_then(|s| s.rank())
        .map_or(5, i64::from)
}

/// Priority rank (low 1 < normal < high < urgent 4); 0 for none.
pub fn priority_rank(priority: Option<&str>) -> i64 {
    let known = zendesk_types::TicketPriority::KNOWN;
    priority
        .and_then(|p| known.iter().position(|k| *k == p))
        .map_or(0, |rank| rank as i64 + 1)
}

fn fields(record: &Value, keys: &[&'static str]) -> Vec<(&'static str, String)> {
    keys.iter()
        .map(|key| (*key, s(record, key).unwrap_or_default()))
        .collect()
}

fn s(json: &Value, key: &str) -> Option<String> {
    json.get(key).and_then(Value::as_str).map(str::to_string)
}

fn i(json: &Value, key: &str) -> Option<i64> {
    json.get(key).and_then(Value::as_i64)
}

fn ts(json: &Value, key: &str) -> Option<i64> {
    json.get(key).and_then(Value::as_str).and_then(parse_time)
}

fn flag_of(json: &Value, key: &str, default: bool) -> bool {
    json.get(key).and_then(Value::as_bool).unwrap_or(default)
}

fn flag(json: &Value, key: &str, default: bool) -> Bind {
    Bind::Int(flag_of(json, key, default) as i64)
}

fn lower(value: Option<String>) -> Bind {
    Bind::opt_text(value.map(|v| v.to_lowercase()))
}

impl Bind {
    /// An empty text in place of NULL, for NOT NULL text columns.
    fn or_empty(self) -> Bind {
        match self {
            Bind::Null => Bind::Text(String::new()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ranks_follow_zendesks_order() {
        assert_eq!(status_rank("new"), 0);
        assert_eq!(status_rank("closed"), 5);
        assert_eq!(priority_rank(None), 0);
        assert_eq!(priority_rank(Some("low")), 1);
        assert_eq!(priority_rank(Some("urgent")), 4);
    }

    #[test]
    fn ticket_columns_come_from_the_json() {
        let ticket = json!({"id": 7, "status": "pending", "priority": "high", "external_id": "AbC",
            "created_at": "2024-01-01T00:00:00Z", "via": {"channel": "email"}});
        let columns = derived_columns(Table::Tickets, &ticket);
        assert_eq!(columns[0], ("id", Bind::Int(7)));
        assert_eq!(columns[1].0, "json");
        let get = |name: &str| columns.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(get("status_rank"), Bind::Int(2));
        assert_eq!(get("priority_rank"), Bind::Int(3));
        assert_eq!(get("external_id"), Bind::Text("abc".into()));
        assert_eq!(get("via_channel"), Bind::Text("email".into()));
        assert_eq!(get("created_at"), Bind::Int(1_704_067_200));
    }

    #[test]
    fn comments_and_audits_derive_nothing_but_their_json() {
        let comment = json!({"id": 5, "body": "hi"});
        let columns = derived_columns(Table::TicketComments, &comment);
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["id", "json"]);
    }

    #[test]
    fn text_fields_carry_their_weights() {
        let text = Table::Tickets.spec().text.as_ref().unwrap();
        assert_eq!(text.weight("subject"), 'A');
        assert_eq!(text.weight("private_comments"), 'D');
        let users = Table::Users.spec().text.as_ref().unwrap();
        assert_eq!(users.weight("email"), 'D');
        assert!(Table::Groups.spec().text.is_none());
    }
}
