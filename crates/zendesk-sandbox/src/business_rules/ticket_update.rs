//! One ticket write as the business rules see it: the ticket before it (none on a create), who
//! made it, the comment it added and the channel it came through; the people rules name and
//! mail; and the moments a ticket's `hours_since_*` conditions count from.

use serde_json::Value;
use zendesk_types::UserRole;

/// A user as the rules see one: the current user, a requester, an assignee, a group member.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub id: i64,
    pub name: String,
    /// `None` for a user without an address: mail to them is skipped.
    pub email: Option<String>,
    pub role: UserRole,
}

impl Person {
    /// Agents and admins: they see internal notes, and the `role` condition's "(agent)".
    pub fn is_staff(&self) -> bool {
        matches!(self.role, UserRole::Agent | UserRole::Admin)
    }

    /// The first word of the name (`{{ticket.requester.first_name}}`).
    pub fn first_name(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or("")
    }

    /// The rest of the name after the first word.
    pub fn last_name(&self) -> String {
        let mut words = self.name.split_whitespace();
        words.next();
        words.collect::<Vec<_>>().join(" ")
    }

    /// A user record (`{"id", "name", "email", "role"}`) as a person; `None` without an id.
    pub fn from_record(user: &Value) -> Option<Person> {
        Some(Person {
            id: user["id"].as_i64()?,
            name: user["name"].as_str().unwrap_or_default().to_string(),
            email: user["email"]
                .as_str()
                .filter(|e| !e.is_empty())
                .map(str::to_string),
            role: UserRole::from_wire(user["role"].as_str().unwrap_or("end-user")),
        })
    }
}

/// Whether a write created the ticket or changed it (the `update_type` condition).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateType {
    Create,
    Change,
}

impl UpdateType {
    /// `Create` or `Change`, as conditions write it.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateType::Create => "Create",
            UpdateType::Change => "Change",
        }
    }
}

/// The comment a write added.
#[derive(Debug, Clone, PartialEq)]
pub struct AddedComment {
    pub id: Option<i64>,
    pub author_id: i64,
    pub body: String,
    /// False for an internal note.
    pub public: bool,
}

/// One ticket write: what the ticket was, who wrote, what they said and through which channel.
/// The ticket after the write is passed beside it, since the rules change it.
#[derive(Debug, Clone, Copy)]
pub struct TicketUpdate<'a> {
    /// The ticket before the write; `None` when the write created it.
    pub before: Option<&'a Value>,
    /// Who made the write; `None` for the system (an automation's pass).
    pub current_user: Option<&'a Person>,
    /// The comment the write added, if any.
    pub comment: Option<&'a AddedComment>,
    /// The channel of the write (`api`, `web`, `email`, `rule`), for `current_via_id`.
    pub via: &'a str,
}

impl TicketUpdate<'_> {
    /// `Create` when there was no ticket before.
    pub fn update_type(&self) -> UpdateType {
        if self.before.is_some() {
            UpdateType::Change
        } else {
            UpdateType::Create
        }
    }
}

/// What an `hours_since_*` condition counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Created,
    Open,
    Pending,
    Hold,
    Solved,
    Closed,
    Assigned,
    Update,
    RequesterUpdate,
    AssigneeUpdate,
}

/// The moments (Unix seconds) a ticket's time conditions count from; `None` when the moment
/// never came (a ticket never solved has no `hours_since_solved`). The sandbox keeps them beside
/// each ticket and updates them with [`TicketTimes::record`] on every write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TicketTimes {
    pub created: Option<i64>,
    /// The last time the status became open (likewise pending, hold, solved, closed).
    pub open: Option<i64>,
    pub pending: Option<i64>,
    pub hold: Option<i64>,
    pub solved: Option<i64>,
    pub closed: Option<i64>,
    /// The last time the assignee changed to someone.
    pub assigned: Option<i64>,
    /// The last write of any kind.
    pub updated: Option<i64>,
    /// The last write by the requester, and by the assignee.
    pub requester_updated: Option<i64>,
    pub assignee_updated: Option<i64>,
}

impl TicketTimes {
    /// The moment `since` counts from.
    pub fn get(&self, since: Since) -> Option<i64> {
        match since {
            Since::Created => self.created,
            Since::Open => self.open,
            Since::Pending => self.pending,
            Since::Hold => self.hold,
            Since::Solved => self.solved,
            Since::Closed => self.closed,
            Since::Assigned => self.assigned,
            Since::Update => self.updated,
            Since::RequesterUpdate => self.requester_updated,
            Since::AssigneeUpdate => self.assignee_updated,
        }
    }

    /// Whole hours from `since` to `now` (`None` when the moment never came). Zendesk's time
    /// conditions compare whole hours: `hours_since_solved is 96` holds for the hour starting 96
    /// hours after the ticket was solved.
    pub fn hours_since(&self, since: Since, now: i64) -> Option<i64> {
        self.get(since).map(|at| (now - at).max(0) / 3600)
    }

    /// The moments as the store keeps them, in `store::TICKET_MOMENTS` order.
    pub fn from_moments(moments: &[Option<i64>; 10]) -> TicketTimes {
        let [
            created,
            open,
            pending,
            hold,
            solved,
            closed,
            assigned,
            updated,
            requester_updated,
            assignee_updated,
        ] = *moments;
        TicketTimes {
            created,
            open,
            pending,
            hold,
            solved,
            closed,
            assigned,
            updated,
            requester_updated,
            assignee_updated,
        }
    }

    /// The moments in `store::TICKET_MOMENTS` order.
    pub fn to_moments(&self) -> [Option<i64>; 10] {
        [
            self.created,
            self.open,
            self.pending,
            self.hold,
            self.solved,
            self.closed,
            self.assigned,
            self.updated,
            self.requester_updated,
            self.assignee_updated,
        ]
    }

    /// Records a write at `at` by `actor` that took the ticket from `before` (none on a create)
    /// to `after`: the status and assignment moments move when they change, and the update
    /// moments for whoever wrote.
    pub fn record(&mut self, before: Option<&Value>, after: &Value, actor: Option<i64>, at: i64) {
        if before.is_none() {
            self.created = Some(at);
        }
        self.updated = Some(at);
        let status = after["status"].as_str().unwrap_or_default();
        let was = before.and_then(|b| b["status"].as_str());
        if was != Some(status) {
            let slot = match status {
                "open" => Some(&mut self.open),
                "pending" => Some(&mut self.pending),
                "hold" => Some(&mut self.hold),
                "solved" => Some(&mut self.solved),
                "closed" => Some(&mut self.closed),
                _ => None,
            };
            if let Some(slot) = slot {
                *slot = Some(at);
            }
        }
        let assignee = after["assignee_id"].as_i64();
        if assignee.is_some() && before.and_then(|b| b["assignee_id"].as_i64()) != assignee {
            self.assigned = Some(at);
        }
        if let Some(actor) = actor {
            if after["requester_id"].as_i64() == Some(actor) {
                self.requester_updated = Some(at);
            }
            if assignee == Some(actor) {
                self.assignee_updated = Some(at);
            }
        }
    }
}

/// A JSON value as the text conditions compare: strings as they are, numbers and booleans as
/// their digits and words, null (and anything else) as empty.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// A ticket's tags, as stored.
pub fn tags(ticket: &Value) -> Vec<String> {
    ticket["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A custom field's value on a ticket (`custom_fields: [{"id", "value"}]`); null when unset.
pub fn custom_field(ticket: &Value, id: i64) -> Value {
    ticket["custom_fields"]
        .as_array()
        .and_then(|fields| fields.iter().find(|f| f["id"].as_i64() == Some(id)))
        .map(|f| f["value"].clone())
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_move_with_status_assignment_and_who_wrote() {
        let mut times = TicketTimes::default();
        let created = json!({"status": "new", "requester_id": 5, "assignee_id": null});
        times.record(None, &created, Some(5), 1_000);
        assert_eq!(times.created, Some(1_000));
        assert_eq!(times.requester_updated, Some(1_000));
        assert_eq!(times.assigned, None);

        let opened = json!({"status": "open", "requester_id": 5, "assignee_id": 7});
        times.record(Some(&created), &opened, Some(7), 2_000);
        assert_eq!(
            (times.open, times.assigned, times.assignee_updated),
            (Some(2_000), Some(2_000), Some(2_000))
        );
        assert_eq!(times.requester_updated, Some(1_000));

        // Same status again: the moment it became open does not move.
        times.record(Some(&opened), &opened, None, 3_000);
        assert_eq!((times.open, times.updated), (Some(2_000), Some(3_000)));

        let solved = json!({"status": "solved", "requester_id": 5, "assignee_id": 7});
        times.record(Some(&opened), &solved, Some(7), 4_000);
        assert_eq!(
            times.hours_since(Since::Solved, 4_000 + 96 * 3600),
            Some(96)
        );
        assert_eq!(
            times.hours_since(Since::Solved, 4_000 + 96 * 3600 - 1),
            Some(95)
        );
        assert_eq!(times.hours_since(Since::Closed, 10_000), None);
    }

    #[test]
    fn a_person_reads_from_a_user_record() {
        let person = Person::from_record(
            &json!({"id": 3, "name": "Ada King Lovelace", "email": "ada@example.com", "role": "admin"}),
        )
        .unwrap();
        assert!(person.is_staff());
        assert_eq!(person.first_name(), "Ada");
        assert_eq!(person.last_name(), "King Lovelace");
        let end_user = Person::from_record(&json!({"id": 4, "name": "Bo", "email": ""})).unwrap();
        assert!(!end_user.is_staff());
        assert_eq!(end_user.email, None);
    }
}
