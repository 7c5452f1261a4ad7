//! Who may read and write what, written down once, as Zendesk documents it for end-users,
//! agents and admins. Everything that decides access asks this module:
//!
//! - **Endpoints**: each route declares [`Who`] may call it (the route table in `routes/mod.rs`);
//!   `auth::admit` checks it before any handler runs. Anonymous callers reach only [`Who::Anyone`].
//! - **OAuth scopes**: what a token's scopes must grant to call an endpoint ([`scope_needed`],
//!   derived from the endpoint's method and path in the same table, checked by `auth::admit`):
//!   `read` for GET, `write` for POST/PUT/DELETE, overall or for the endpoint's resource
//!   (`tickets:read`, `users:write`, `organizations:read`, ...). A token whose scopes do not
//!   reach is refused with Zendesk's 403, whatever the user's role allows.
//! - **Records**: an end-user sees their own tickets (as requester), the public comments on
//!   them, themselves, and their own organization ([`can_read`], [`list_filters`]); agents and
//!   admins see every record.
//! - **Fields**: what each role may change on a user ([`USER_FIELDS`]) and a ticket
//!   ([`TICKET_FIELDS`]); a write that would change a field the caller may not change is refused
//!   with a 403 naming the field ([`check_changes`]). Sending a field back unchanged (clients
//!   round-trip whole records) is not a change.
//! - **Views**: what of a record an end-user is shown ([`view`]): agents' internal annotations
//!   (notes, details, tags, internal custom fields) never reach them, by any route.
//!
//! Admins may do everything. A job runs with its creator's permissions, re-checked per item.

use serde_json::{Map, Value, json};

use crate::caller::{Caller, Role};
use crate::error::ApiError;
use crate::store::{Bind, Filter, Table};

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// Anyone, signed in or not (`GET /users/me` answers the anonymous user).
    Anyone,
    /// Any signed-in user; end-users then see only their own records.
    SignedIn,
    /// Agents and admins.
    Agents,
    /// Admins only.
    Admins,
}

impl Who {
    /// Whether `caller` (None: anonymous) may call an endpoint open to `self`.
    pub fn admits(self, caller: Option<&Caller>) -> Result<(), ApiError> {
        let role = match (self, caller) {
            (Who::Anyone, _) => return Ok(()),
            (_, None) => return Err(ApiError::Unauthorized),
            (_, Some(caller)) => caller.role,
        };
        let allowed = match self {
            Who::Anyone | Who::SignedIn => true,
            Who::Agents => role >= Role::Agent,
            Who::Admins => role == Role::Admin,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// What an OAuth token's scopes must grant for an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeNeed {
    /// Any token, whatever its scopes: a token may always look at and revoke itself
    /// (`/api/v2/oauth/tokens/current`), so a read-only sign-in can still sign out.
    AnyToken,
    /// `read` (or `write` when `write`), overall or for `resource`.
    Access {
        resource: Option<&'static str>,
        write: bool,
    },
}

/// The resources Zendesk scopes tokens by that the sandbox serves, by the first path segment
/// after `/api/v2/`. Everything else (groups, fields, search, jobs, OAuth administration) needs
/// the overall `read` / `write`.
const SCOPED_RESOURCES: &[(&str, &str)] = &[
    ("tickets", "tickets"),
    ("deleted_tickets", "tickets"),
    ("ticket_audits", "tickets"),
    ("users", "users"),
    ("organizations", "organizations"),
    ("help_center", "hc"),
    ("webhooks", "webhooks"),
];

/// What a token must grant to call `method path` (a route template such as
/// `/api/v2/tickets/{id}`, or a concrete path).
pub fn scope_needed(method: &axum::http::Method, path: &str) -> ScopeNeed {
    let rest = path.strip_prefix("/api/v2/").unwrap_or(path);
    if rest == "oauth/tokens/current" {
        return ScopeNeed::AnyToken;
    }
    let first = rest.split('/').next().unwrap_or("");
    // Zendesk's password endpoints "do not support OAuth tokens scoped for users:write or
    // users:read": only the overall scope reaches them.
    let password = first == "users" && rest.trim_end_matches(".json").ends_with("/password");
    let resource = SCOPED_RESOURCES
        .iter()
        .find(|(segment, _)| *segment == first && !password)
        .map(|(_, resource)| *resource);
    let write = !matches!(*method, axum::http::Method::GET | axum::http::Method::HEAD);
    ScopeNeed::Access { resource, write }
}

impl ScopeNeed {
    /// Whether a token with `scopes` may call the endpoint.
    pub fn granted_by(self, scopes: &[String]) -> bool {
        match self {
            ScopeNeed::AnyToken => true,
            ScopeNeed::Access { resource, write } => {
                let access = if write { "write" } else { "read" };
                scopes.iter().any(|scope| {
                    scope == access
                        || resource.is_some_and(|r| scope.split_once(':') == Some((r, access)))
                })
            }
        }
    }
}

/// Who may change a field of a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum May {
    /// Admins only.
    Admins,
    /// Agents and admins.
    Agents,
    /// Agents and admins, and an end-user on their own record.
    Owner,
    /// Agents and admins, and an end-user when creating their own record (a ticket they open).
    OwnerOnCreate,
    /// Admins, and any user on their own record (a password, an agent's signature).
    SelfOrAdmin,
}

/// One writable field and who may change it.
#[derive(Clone, Copy, Debug)]
pub struct FieldRule {
    pub field: &'static str,
    pub may: May,
}

const fn rule(field: &'static str, may: May) -> FieldRule {
    FieldRule { field, may }
}

/// The writable fields of a user. Agents edit end-users and themselves (and only admins edit
/// other agents and admins: see `resources::users`).
pub const USER_FIELDS: &[FieldRule] = &[
    rule("name", May::Owner),
    rule("phone", May::Owner),
    rule("time_zone", May::Owner),
    rule("iana_time_zone", May::Owner),
    rule("locale", May::Owner),
    rule("email", May::Agents),
    rule("alias", May::Agents),
    rule("details", May::Agents),
    rule("notes", May::Agents),
    rule("tags", May::Agents),
    rule("external_id", May::Agents),
    rule("organization_id", May::Agents),
    rule("verified", May::Agents),
    rule("suspended", May::Agents),
    rule("user_fields", May::Agents),
    rule("shared_phone_number", May::Agents),
    rule("only_private_comments", May::Agents),
    rule("signature", May::SelfOrAdmin),
    rule("role", May::Admins),
    rule("custom_role_id", May::Admins),
    rule("default_group_id", May::Admins),
];

/// The writable fields of a ticket. End-users open tickets for themselves (with a subject,
/// description, priority, type and custom fields) and afterwards only comment.
pub const TICKET_FIELDS: &[FieldRule] = &[
    rule("subject", May::OwnerOnCreate),
    rule("raw_subject", May::OwnerOnCreate),
    rule("description", May::OwnerOnCreate),
    rule("priority", May::OwnerOnCreate),
    rule("type", May::OwnerOnCreate),
    rule("custom_fields", May::OwnerOnCreate),
    rule("fields", May::OwnerOnCreate),
    rule("status", May::Agents),
    rule("assignee_id", May::Agents),
    rule("group_id", May::Agents),
    rule("organization_id", May::Agents),
    rule("requester_id", May::Agents),
    rule("submitter_id", May::Agents),
    rule("external_id", May::Agents),
    rule("due_at", May::Agents),
    rule("tags", May::Agents),
    rule("collaborator_ids", May::Agents),
    rule("email_cc_ids", May::Agents),
    rule("follower_ids", May::Agents),
    rule("problem_id", May::Agents),
    rule("recipient", May::Agents),
];

/// Refuses `input` before anything is applied when it sets, to a value other than the record's,
/// a field `caller` may not change: a refused write then learns nothing from the validation of
/// that field (an email "already used by another user" would tell an end-user it exists).
pub fn check_input(
    caller: &Caller,
    rules: &[FieldRule],
    record: &Value,
    input: &Map<String, Value>,
    own: bool,
    creating: bool,
) -> Result<(), ApiError> {
    for rule in rules {
        if let Some(value) = input.get(rule.field)
            && record.get(rule.field) != Some(value)
            && !may_change(caller, rule.may, own, creating)
        {
            return Err(forbidden_field(caller, rule.field));
        }
    }
    Ok(())
}

/// Whether `caller` may change a field under `may`, on a record that is (`own`) theirs, when
/// `creating` it.
pub fn may_change(caller: &Caller, may: May, own: bool, creating: bool) -> bool {
    match caller.role {
        Role::Admin => true,
        Role::Agent => !matches!(may, May::Admins) && (may != May::SelfOrAdmin || own),
        Role::EndUser => match may {
            May::Owner | May::SelfOrAdmin => own,
            May::OwnerOnCreate => own && creating,
            May::Admins | May::Agents => false,
        },
    }
}

/// Refuses a write that changed (from `before` to `after`) a field `caller` may not change.
/// `own`: the record is the caller's (their user, a ticket they requested).
pub fn check_changes(
    caller: &Caller,
    rules: &[FieldRule],
    before: &Value,
    after: &Value,
    own: bool,
    creating: bool,
) -> Result<(), ApiError> {
    for rule in rules {
        if before.get(rule.field) != after.get(rule.field)
            && !may_change(caller, rule.may, own, creating)
        {
            return Err(forbidden_field(caller, rule.field));
        }
    }
    Ok(())
}

/// The fields of `rules` that `caller` may set (for an end-user's new ticket).
pub fn settable<'a>(
    caller: &'a Caller,
    rules: &'a [FieldRule],
    own: bool,
    creating: bool,
) -> impl Iterator<Item = &'static str> + 'a {
    rules
        .iter()
        .filter(move |r| may_change(caller, r.may, own, creating))
        .map(|r| r.field)
}

/// 403 naming the field the caller may not change.
pub fn forbidden_field(caller: &Caller, field: &str) -> ApiError {
    let who = match caller.role {
        Role::EndUser => "an end-user",
        Role::Agent => "an agent",
        Role::Admin => "an admin",
    };
    ApiError::ForbiddenBecause(format!(
        "{who} may not change `{field}` here; ask an admin or agent"
    ))
}

/// Whether `caller` may read this record of `table` at all.
pub fn can_read(caller: &Caller, table: Table, record: &Value) -> bool {
    if caller.role >= Role::Agent {
        return true;
    }
    let is = |key: &str, id: i64| record.get(key).and_then(Value::as_i64) == Some(id);
    match table {
        Table::Tickets => is("requester_id", caller.id),
        Table::Users => is("id", caller.id),
        Table::TicketComments => record.get("public") == Some(&Value::Bool(true)),
        // An end-user's own organization is checked by its id (see `list_filters`).
        _ => false,
    }
}

/// The conditions a list of `table` adds for `caller`: end-users list only their own records.
pub fn list_filters(caller: &Caller, table: Table, own_organization: Option<i64>) -> Vec<Filter> {
    if caller.role >= Role::Agent {
        return Vec::new();
    }
    match table {
        Table::Tickets => vec![Filter::Eq("requester_id", Bind::Int(caller.id))],
        Table::Users => vec![Filter::Eq("id", Bind::Int(caller.id))],
        Table::Organizations => vec![Filter::Eq("id", Bind::Int(own_organization.unwrap_or(-1)))],
        Table::TicketComments => vec![Filter::Eq("public", Bind::Int(1))],
        _ => vec![Filter::Eq("id", Bind::Int(-1))],
    }
}

/// Keys of a user an end-user sees of another user (an agent on their ticket).
const PUBLIC_USER_KEYS: &[&str] = &[
    "id",
    "url",
    "name",
    "photo",
    "role",
    "created_at",
    "updated_at",
];

/// Keys of records never shown to end-users: agents' annotations about people and accounts.
const INTERNAL_USER_KEYS: &[&str] = &["notes", "details", "tags", "user_fields", "alias"];
const INTERNAL_ORGANIZATION_KEYS: &[&str] = &[
    "notes",
    "details",
    "tags",
    "organization_fields",
    "group_id",
    "external_id",
    "shared_comments",
];
const INTERNAL_TICKET_KEYS: &[&str] = &["tags", "sharing_agreement_ids", "followup_ids"];

/// What of the account an end-user's view depends on, loaded once per request.
pub struct EndUserView<'a> {
    /// Ids of the custom ticket fields visible in the help center.
    pub portal_fields: &'a [i64],
    /// Ids of the end-user's tickets whose first comment (the `description`) is an internal
    /// note.
    pub private_descriptions: &'a [i64],
}

/// What `caller` is shown of a record they may read. Agents see it whole. End-users see their
/// own user without agents' notes, other users as name and photo only, their organization
/// without internal fields, and their tickets without tags, without custom fields that are
/// not visible in the help center, and with an empty `description` when the first comment is
/// an internal note (Zendesk shows end-users public comments only).
pub fn view(caller: &Caller, table: Table, record: Value, end_user: &EndUserView<'_>) -> Value {
    if caller.role >= Role::Agent {
        return record;
    }
    let Value::Object(mut map) = record else {
        return record;
    };
    match table {
        Table::Users if map.get("id").and_then(Value::as_i64) == Some(caller.id) => {
            drop_keys(&mut map, INTERNAL_USER_KEYS);
        }
        Table::Users => {
            map.retain(|k, _| PUBLIC_USER_KEYS.contains(&k.as_str()));
        }
        Table::Organizations => drop_keys(&mut map, INTERNAL_ORGANIZATION_KEYS),
        Table::Tickets => {
            drop_keys(&mut map, INTERNAL_TICKET_KEYS);
            for key in ["custom_fields", "fields"] {
                if let Some(Value::Array(values)) = map.get_mut(key) {
                    values.retain(|v| {
                        v["id"]
                            .as_i64()
                            .is_some_and(|id| end_user.portal_fields.contains(&id))
                    });
                }
            }
            let id = map.get("id").and_then(Value::as_i64).unwrap_or_default();
            if end_user.private_descriptions.contains(&id) {
                map.insert("description".into(), Value::String(String::new()));
            }
        }
        _ => {}
    }
    Value::Object(map)
}

fn drop_keys(map: &mut Map<String, Value>, keys: &[&str]) {
    for key in keys {
        map.remove(*key);
    }
}

/// Search keywords on what an end-user's view of a record leaves out (see [`view`]): agents'
/// tags, notes and details, group names, and custom fields (an end-user is shown only those
/// visible in the help center). For an end-user such a term matches nothing, so a prefix
/// query cannot recover the hidden words either.
const AGENT_ONLY_SEARCH_KEYWORDS: &[&str] = &[
    "tags",
    "notes",
    "details",
    "group",
    "custom_field_",
    "fieldvalue",
];

/// The user text an end-user may search for (their own record, as [`view`] shows it).
pub const END_USER_SEARCHABLE_USER_TEXT: &[&str] = &["name", "email", "phone"];

/// Whether `caller` may search on the keyword `name` (as `zendesk_query::keywords` names it).
pub fn may_search_keyword(caller_is_agent: bool, name: &str) -> bool {
    caller_is_agent || !AGENT_ONLY_SEARCH_KEYWORDS.contains(&name)
}

/// A job status as `caller` may see it: an end-user sees only jobs they started.
pub fn can_read_job(caller: &Caller, job_caller: i64) -> bool {
    caller.role >= Role::Agent || caller.id == job_caller
}

/// The permission model as data, for documentation and the role-matrix test.
pub fn describe() -> Value {
    let fields = |rules: &[FieldRule]| -> Value {
        rules
            .iter()
            .map(|r| json!({"field": r.field, "may": format!("{:?}", r.may)}))
            .collect()
    };
    json!({"users": fields(USER_FIELDS), "tickets": fields(TICKET_FIELDS)})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller { id: 7, role }
    }

    #[test]
    fn scopes_grant_reading_and_writing_overall_or_per_resource() {
        use axum::http::Method;
        let scopes = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let get_ticket = scope_needed(&Method::GET, "/api/v2/tickets/{id}");
        let put_ticket = scope_needed(&Method::PUT, "/api/v2/tickets/{id}");
        let get_group = scope_needed(&Method::GET, "/api/v2/groups");
        assert!(get_ticket.granted_by(&scopes(&["read"])));
        assert!(get_ticket.granted_by(&scopes(&["tickets:read"])));
        assert!(!get_ticket.granted_by(&scopes(&["users:read", "write"])));
        assert!(!put_ticket.granted_by(&scopes(&["read", "tickets:read"])));
        assert!(put_ticket.granted_by(&scopes(&["tickets:write"])));
        assert!(!get_group.granted_by(&scopes(&["tickets:read"])));
        assert!(
            scope_needed(&Method::GET, "/api/v2/deleted_tickets")
                .granted_by(&scopes(&["tickets:read"]))
        );
        assert!(
            scope_needed(&Method::DELETE, "/api/v2/oauth/tokens/current")
                .granted_by(&scopes(&["tickets:read"]))
        );
        assert!(
            !scope_needed(&Method::DELETE, "/api/v2/oauth/tokens/{id}")
                .granted_by(&scopes(&["read"]))
        );
        // Passwords: the overall scope only, never users:write.
        for path in [
            "/api/v2/users/{id}/password",
            "/api/v2/users/7/password.json",
        ] {
            let need = scope_needed(&Method::PUT, path);
            assert!(!need.granted_by(&scopes(&["users:read", "users:write"])));
            assert!(need.granted_by(&scopes(&["write"])));
        }
        assert!(
            scope_needed(&Method::PUT, "/api/v2/users/{id}").granted_by(&scopes(&["users:write"]))
        );
    }

    #[test]
    fn end_users_change_only_their_own_profile_basics() {
        let me = caller(Role::EndUser);
        let before = json!({"id": 7, "name": "A", "email": "a@x.test", "role": "end-user"});
        let renamed = json!({"id": 7, "name": "B", "email": "a@x.test", "role": "end-user"});
        assert!(check_changes(&me, USER_FIELDS, &before, &renamed, true, false).is_ok());
        let promoted = json!({"id": 7, "name": "A", "email": "a@x.test", "role": "admin"});
        assert!(check_changes(&me, USER_FIELDS, &before, &promoted, true, false).is_err());
        let hijack = json!({"id": 7, "name": "A", "email": "b@x.test", "role": "end-user"});
        let error = check_changes(&me, USER_FIELDS, &before, &hijack, true, false).unwrap_err();
        assert!(format!("{:?}", error).contains("email"));
        // Someone else's profile: not even the name.
        assert!(check_changes(&me, USER_FIELDS, &before, &renamed, false, false).is_err());
    }

    #[test]
    fn agents_cannot_change_roles_and_admins_can_change_anything() {
        let agent = caller(Role::Agent);
        let before = json!({"role": "end-user", "notes": null});
        let after = json!({"role": "agent", "notes": null});
        assert!(check_changes(&agent, USER_FIELDS, &before, &after, false, false).is_err());
        let noted = json!({"role": "end-user", "notes": "VIP"});
        assert!(check_changes(&agent, USER_FIELDS, &before, &noted, false, false).is_ok());
        let admin = caller(Role::Admin);
        assert!(check_changes(&admin, USER_FIELDS, &before, &after, false, false).is_ok());
    }

    #[test]
    fn end_users_see_no_internal_annotations() {
        let me = caller(Role::EndUser);
        let nothing = EndUserView {
            portal_fields: &[],
            private_descriptions: &[],
        };
        let own = json!({"id": 7, "name": "Me", "notes": "angry", "tags": ["vip"], "email": "m@x"});
        let shown = view(&me, Table::Users, own, &nothing);
        assert!(shown.get("notes").is_none() && shown.get("tags").is_none());
        assert_eq!(shown["email"], "m@x");
        let agent = json!({"id": 9, "name": "Ada", "email": "ada@x", "phone": "1", "notes": "n"});
        let shown = view(&me, Table::Users, agent, &nothing);
        assert_eq!(shown, json!({"id": 9, "name": "Ada"}));
        let ticket = json!({"id": 1, "tags": ["vip"], "description": "an internal note",
                            "custom_fields": [{"id": 5, "value": "x"}, {"id": 6, "value": "y"}]});
        let end_user = EndUserView {
            portal_fields: &[6],
            private_descriptions: &[1],
        };
        let shown = view(&me, Table::Tickets, ticket.clone(), &end_user);
        assert!(shown.get("tags").is_none());
        assert_eq!(shown["custom_fields"], json!([{"id": 6, "value": "y"}]));
        assert_eq!(shown["description"], "");
        let shown = view(&caller(Role::Agent), Table::Tickets, ticket, &end_user);
        assert_eq!(shown["description"], "an internal note");
    }
}
