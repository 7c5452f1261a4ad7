//! What the rules that fired ask to send: emails (`notification_user`, `notification_group`)
//! and webhook calls (`notification_webhook`), rendered with the ticket as the rules left it.
//! Rendering needs people, groups and comments the ticket names; the caller asks [`needed`]
//! which, reads them, and passes them in as a [`Directory`] (nothing here looks anything up).
//! Each email is rendered for its recipient: an end-user's `{{ticket.comments_formatted}}`
//! leaves internal notes out.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use time::OffsetDateTime;

use super::actions::{Action, GroupRecipient, Recipient};
use super::placeholders::{Escape, Lookup, render};
use super::ticket_update::{Person, custom_field, tags, text};
use super::vocabulary::RuleRef;
use super::vocabulary::{PRIORITY_CHOICES, STATUS_CHOICES, TYPE_CHOICES, via_of_channel};

/// The account, as placeholders name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// `{{ticket.account}}`.
    pub name: String,
    /// The account's base URL (`https://example.zendesk.com`, or the sandbox's address).
    pub url: String,
}

/// A group and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    pub id: i64,
    pub name: String,
    pub member_ids: Vec<i64>,
}

/// One of the ticket's comments, for `{{ticket.latest_comment.value}}` and
/// `{{ticket.comments_formatted}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailComment {
    pub author_id: i64,
    pub body: String,
    pub public: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// Everything rendering may name, passed in by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Directory {
    pub account: Account,
    pub people: BTreeMap<i64, Person>,
    pub groups: BTreeMap<i64, GroupInfo>,
    /// Organization names by id.
    pub organizations: BTreeMap<i64, String>,
    /// The ticket's comments, newest first (the write's own comment included).
    pub comments: Vec<MailComment>,
}

/// A notification action of a rule that fired, to render once the run is over.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    pub rule: RuleRef,
    pub action: Action,
}

/// The records rendering needs: users (and every member of the groups), groups, organizations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needed {
    pub users: BTreeSet<i64>,
    pub groups: BTreeSet<i64>,
    pub organizations: BTreeSet<i64>,
}

/// The people, groups and organizations that rendering `effects` for `ticket` names. The
/// caller also reads the members of each group in `groups`.
pub fn needed(effects: &[Effect], ticket: &Value, current_user: Option<&Person>) -> Needed {
    let mut needed = Needed::default();
    if effects.is_empty() {
        return needed;
    }
    for field in ["requester_id", "assignee_id", "submitter_id"] {
        needed.users.extend(ticket[field].as_i64());
    }
    needed.groups.extend(ticket["group_id"].as_i64());
    needed
        .organizations
        .extend(ticket["organization_id"].as_i64());
    needed.users.extend(current_user.map(|p| p.id));
    for effect in effects {
        match &effect.action {
            Action::EmailUser {
                to: Recipient::RequesterAndCcs,
                ..
            } => needed.users.extend(ids(&ticket["email_cc_ids"])),
            Action::EmailUser {
                to: Recipient::User(id),
                ..
            } => {
                needed.users.insert(*id);
            }
            Action::EmailGroup {
                to: GroupRecipient::Group(id),
                ..
            } => {
                needed.groups.insert(*id);
            }
            _ => {}
        }
    }
    needed
}

/// One email, rendered for its recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub recipient_id: i64,
    pub subject: String,
    pub body: String,
}

/// One notification action's mail: the templates (as the audit's `Notification` event records
/// them), who was mailed, and each email.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub rule: RuleRef,
    pub subject: String,
    pub body: String,
    pub recipients: Vec<i64>,
    pub emails: Vec<Email>,
}

/// A webhook call with its body rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookCall {
    pub rule: RuleRef,
    pub webhook_id: String,
    pub body: String,
}

/// The emails and webhook calls of a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rendered {
    pub notifications: Vec<Notification>,
    pub webhook_calls: Vec<WebhookCall>,
}

impl Rendered {
    /// Every email, in the order the rules fired.
    pub fn emails(&self) -> impl Iterator<Item = &Email> {
        self.notifications.iter().flat_map(|n| n.emails.iter())
    }
}

/// Renders `effects` for `ticket` as the run left it. A recipient without an email address, or
/// missing from the directory, is skipped; a notification mailing no one records no one.
pub fn render_effects(
    effects: &[Effect],
    ticket: &Value,
    current_user: Option<&Person>,
    directory: &Directory,
) -> Rendered {
    let placeholders = |recipient| TicketPlaceholders {
        ticket,
        current_user,
        directory,
        recipient,
    };
    let mut rendered = Rendered::default();
    for effect in effects {
        let (people, subject, body) = match &effect.action {
            Action::EmailUser { to, subject, body } => {
                (user_recipients(to, ticket, current_user), subject, body)
            }
            Action::EmailGroup { to, subject, body } => {
                let group = match to {
                    GroupRecipient::TicketGroup => ticket["group_id"].as_i64(),
                    GroupRecipient::Group(id) => Some(*id),
                };
                let members = group
                    .and_then(|id| directory.groups.get(&id))
                    .map(|g| g.member_ids.clone())
                    .unwrap_or_default();
                (members, subject, body)
            }
            Action::Webhook {
                webhook_id,
                body,
                json,
            } => {
                let escape = if *json { Escape::Json } else { Escape::Plain };
                rendered.webhook_calls.push(WebhookCall {
                    rule: effect.rule.clone(),
                    webhook_id: webhook_id.clone(),
                    body: render(body, &placeholders(None), escape),
                });
                continue;
            }
            _ => continue,
        };
        let mut seen = BTreeSet::new();
        let emails: Vec<Email> = people
            .into_iter()
            .filter_map(|id| directory.people.get(&id))
            .filter(|person| seen.insert(person.id))
            .filter_map(|person| {
                let lookup = placeholders(Some(person));
                Some(Email {
                    to: person.email.clone()?,
                    recipient_id: person.id,
                    subject: render(subject, &lookup, Escape::Plain),
                    body: render(body, &lookup, Escape::Plain),
                })
            })
            .collect();
        rendered.notifications.push(Notification {
            rule: effect.rule.clone(),
            subject: subject.clone(),
            body: body.clone(),
            recipients: emails.iter().map(|e| e.recipient_id).collect(),
            emails,
        });
    }
    rendered
}

fn ids(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// The ids `notification_user` mails.
fn user_recipients(to: &Recipient, ticket: &Value, current_user: Option<&Person>) -> Vec<i64> {
    match to {
        Recipient::Requester => ticket["requester_id"].as_i64().into_iter().collect(),
        Recipient::RequesterAndCcs => ticket["requester_id"]
            .as_i64()
            .into_iter()
            .chain(ids(&ticket["email_cc_ids"]))
            .collect(),
        Recipient::Assignee => ticket["assignee_id"].as_i64().into_iter().collect(),
        Recipient::CurrentUser => current_user.map(|p| p.id).into_iter().collect(),
        Recipient::User(id) => vec![*id],
    }
}

/// Zendesk's placeholders over a ticket, the directory and (for an email) its recipient.
pub struct TicketPlaceholders<'a> {
    pub ticket: &'a Value,
    pub current_user: Option<&'a Person>,
    pub directory: &'a Directory,
    /// The email's recipient: an end-user's comment placeholders leave internal notes out.
    pub recipient: Option<&'a Person>,
}

impl TicketPlaceholders<'_> {
    fn person(&self, field: &str) -> Option<&Person> {
        self.ticket[field]
            .as_i64()
            .and_then(|id| self.directory.people.get(&id))
    }

    /// The comments the recipient may see, newest first.
    fn visible_comments(&self) -> impl Iterator<Item = &MailComment> {
        let staff = self.recipient.is_none_or(Person::is_staff);
        self.directory
            .comments
            .iter()
            .filter(move |c| staff || c.public)
    }

    fn comments_formatted(&self) -> String {
        let mut out = String::new();
        for comment in self.visible_comments() {
            let author = self
                .directory
                .people
                .get(&comment.author_id)
                .map(|p| p.name.as_str())
                .unwrap_or("");
            out.push_str("----------------------------------------------\n\n");
            out.push_str(&format!("{author}, {}\n\n", mail_time(comment.created_at)));
            out.push_str(comment.body.trim_end());
            out.push_str("\n\n");
        }
        out
    }
}

/// `2024-05-31 10:00` (UTC), how a comment's time reads in a notification.
fn mail_time(at: i64) -> String {
    let Ok(at) = OffsetDateTime::from_unix_timestamp(at) else {
        return String::new();
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// A closed value's title (`open` -> `Open`), as Zendesk renders status, priority and type.
fn title_of(choices: &[(&str, &str)], value: &Value) -> String {
    let value = text(value);
    choices
        .iter()
        .find(|(v, _)| *v == value && !v.is_empty())
        .map(|(_, title)| title.to_string())
        .unwrap_or_default()
}

fn person_field(person: Option<&Person>, attribute: &str) -> Option<String> {
    let person = person?;
    Some(match attribute {
        "name" => person.name.clone(),
        "first_name" => person.first_name().to_string(),
        "last_name" => person.last_name(),
        "email" => person.email.clone().unwrap_or_default(),
        "id" => person.id.to_string(),
        _ => return None,
    })
}

impl Lookup for TicketPlaceholders<'_> {
    fn lookup(&self, path: &str) -> Option<String> {
        if let Some(attribute) = path.strip_prefix("current_user.") {
            return person_field(self.current_user, attribute);
        }
        let field = path.strip_prefix("ticket.")?;
        let ticket = self.ticket;
        for (prefix, role) in [
            ("requester.", "requester_id"),
            ("assignee.", "assignee_id"),
            ("submitter.", "submitter_id"),
        ] {
            if let Some(attribute) = field.strip_prefix(prefix) {
                return person_field(self.person(role), attribute);
            }
        }
        if let Some(id) = field.strip_prefix("ticket_field_") {
            let value = custom_field(ticket, id.parse().ok()?);
            return Some(super::conditions::value_text(&value).unwrap_or_default());
        }
        let ticket_url = || {
            format!(
                "{}/agent/tickets/{}",
                self.directory.account.url.trim_end_matches('/'),
                text(&ticket["id"])
            )
        };
        Some(match field {
            "id" => text(&ticket["id"]),
            "title" => text(&ticket["subject"]),
            "description" => text(&ticket["description"]),
            "external_id" => text(&ticket["external_id"]),
            "status" => title_of(STATUS_CHOICES, &ticket["status"]),
            "priority" => title_of(PRIORITY_CHOICES, &ticket["priority"]),
            "ticket_type" => title_of(TYPE_CHOICES, &ticket["type"]),
            "tags" => tags(ticket).join(" "),
            "account" => self.directory.account.name.clone(),
            // Zendesk's `ticket.url` has no scheme; `ticket.link` has one.
            "url" => {
                let link = ticket_url();
                link.split_once("://")
                    .map(|(_, rest)| rest.to_string())
                    .unwrap_or(link)
            }
            "link" => ticket_url(),
            "via" => ticket["via"]["channel"]
                .as_str()
                .and_then(via_of_channel)
                .map(|via| via.title.to_string())
                .unwrap_or_default(),
            "group.name" => ticket["group_id"]
                .as_i64()
                .and_then(|id| self.directory.groups.get(&id))
                .map(|g| g.name.clone())
                .unwrap_or_default(),
            "organization.name" => ticket["organization_id"]
                .as_i64()
                .and_then(|id| self.directory.organizations.get(&id))
                .cloned()
                .unwrap_or_default(),
            "latest_comment.value" | "latest_comment" => self
                .visible_comments()
                .next()
                .map(|c| c.body.clone())
                .unwrap_or_default(),
            "latest_public_comment.value" | "latest_public_comment" => self
                .directory
                .comments
                .iter()
                .find(|c| c.public)
                .map(|c| c.body.clone())
                .unwrap_or_default(),
            "comments_formatted" => self.comments_formatted(),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::business_rules::fixtures::{agent, directory, end_user, ticket};
    use crate::business_rules::vocabulary::RuleKind;
    use serde_json::json;

    fn rule() -> RuleRef {
        RuleRef {
            kind: RuleKind::Trigger,
            id: 1,
            title: "Notify".into(),
        }
    }

    fn effect(action: Action) -> Effect {
        Effect {
            rule: rule(),
            action,
        }
    }

    fn lookup<'a>(
        ticket: &'a Value,
        directory: &'a Directory,
        me: &'a Person,
    ) -> TicketPlaceholders<'a> {
        TicketPlaceholders {
            ticket,
            current_user: Some(me),
            directory,
            recipient: None,
        }
    }

    #[test]
    fn placeholders_read_the_ticket_and_the_people_it_names() {
        let mut t = ticket();
        t["assignee_id"] = json!(7);
        t["priority"] = json!("urgent");
        t["custom_fields"] = json!([{"id": 100, "value": "plan_gold"}]);
        let d = directory();
        let me = agent(8);
        let l = lookup(&t, &d, &me);
        let cases = [
            ("ticket.id", "42"),
            ("ticket.title", "Printer on fire"),
            ("ticket.status", "New"),
            ("ticket.priority", "Urgent"),
            ("ticket.tags", "printer"),
            ("ticket.url", "127.0.0.1:8080/agent/tickets/42"),
            ("ticket.link", "http://127.0.0.1:8080/agent/tickets/42"),
            ("ticket.requester.name", "Customer 5"),
            ("ticket.requester.email", "customer5@example.com"),
            ("ticket.requester.first_name", "Customer"),
            ("ticket.assignee.name", "Agent 7"),
            ("ticket.group.name", "Support"),
            ("ticket.latest_comment.value", "Internal: check the toner."),
            ("ticket.latest_public_comment.value", "It is on fire."),
            ("ticket.ticket_field_100", "plan_gold"),
            ("ticket.via", "Web form"),
            ("ticket.account", "Sandbox"),
            ("current_user.name", "Agent 8"),
        ];
        for (path, expected) in cases {
            assert_eq!(l.lookup(path).as_deref(), Some(expected), "{path}");
        }
        assert_eq!(l.lookup("ticket.nope"), None);
        assert_eq!(l.lookup("ticket.organization.name").as_deref(), Some(""));
    }

    #[test]
    fn end_users_never_see_internal_notes() {
        let t = ticket();
        let d = directory();
        let me = agent(7);
        let customer = end_user(5);
        let as_customer = TicketPlaceholders {
            recipient: Some(&customer),
            ..lookup(&t, &d, &me)
        };
        let formatted = as_customer.lookup("ticket.comments_formatted").unwrap();
        assert!(
            formatted.contains("It is on fire.") && !formatted.contains("toner"),
            "{formatted}"
        );
        assert_eq!(
            as_customer.lookup("ticket.latest_comment.value").unwrap(),
            "It is on fire."
        );
        let staff = lookup(&t, &d, &me)
            .lookup("ticket.comments_formatted")
            .unwrap();
        assert!(
            staff.contains("toner") && staff.contains("Agent 7, 1970-01-01 00:33"),
            "{staff}"
        );
    }

    #[test]
    fn emails_go_to_the_people_named_with_an_address() {
        let mut t = ticket();
        t["assignee_id"] = json!(7);
        let mut d = directory();
        d.people.get_mut(&6).unwrap().email = None;
        let me = agent(8);
        let effects = vec![
            effect(Action::EmailUser {
                to: Recipient::RequesterAndCcs,
                subject: "[{{ticket.account}}] Re: {{ticket.title}}".into(),
                body: "Hi {{ticket.requester.first_name}}".into(),
            }),
            effect(Action::EmailGroup {
                to: GroupRecipient::TicketGroup,
                subject: "Group {{ticket.group.name}}".into(),
                body: "b".into(),
            }),
            effect(Action::EmailUser {
                to: Recipient::User(999),
                subject: "s".into(),
                body: "b".into(),
            }),
            effect(Action::Webhook {
                webhook_id: "01W".into(),
                body: "{\"title\": \"{{ticket.title}}\", \"by\": \"{{current_user.name}}\"}".into(),
                json: true,
            }),
        ];
        let needed = needed(&effects, &t, Some(&me));
        assert!(needed.users.is_superset(&BTreeSet::from([5, 6, 7, 8, 999])));
        assert_eq!(needed.groups, BTreeSet::from([20]));

        let rendered = render_effects(&effects, &t, Some(&me), &d);
        let emails: Vec<(&str, &str)> = rendered
            .emails()
            .map(|e| (e.to.as_str(), e.subject.as_str()))
            .collect();
        // Customer 6 (a CC) has no address; user 999 is not in the directory.
        assert_eq!(
            emails,
            [
                ("customer5@example.com", "[Sandbox] Re: Printer on fire"),
                ("agent7@example.com", "Group Support"),
                ("agent8@example.com", "Group Support"),
            ]
        );
        assert_eq!(
            rendered.notifications[0].body,
            "Hi {{ticket.requester.first_name}}"
        );
        assert_eq!(rendered.notifications[0].emails[0].body, "Hi Customer");
        assert!(rendered.notifications[2].recipients.is_empty());
        assert_eq!(
            rendered.webhook_calls[0].body,
            "{\"title\": \"Printer on fire\", \"by\": \"Agent 8\"}"
        );
    }

    #[test]
    fn nothing_to_render_needs_nothing() {
        assert_eq!(needed(&[], &ticket(), None), Needed::default());
    }
}
