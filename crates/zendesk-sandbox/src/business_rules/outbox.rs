//! The outbox: every notification email a rule sends is captured here, never delivered (no
//! mail leaves the machine). `GET /api/v2/sandbox/emails.json` answers `{"emails": [...]}`,
//! newest first, each `{id, to, subject, body, ticket_id, created_at}`, filtered by ticket
//! (`ticket_id`) or address (`to`).

use serde_json::{Value, json};

use super::effects::Email;
use crate::util::iso;

/// One captured email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEmail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub ticket_id: i64,
    /// Unix seconds (the sandbox clock's).
    pub created_at: i64,
}

impl OutboxEmail {
    /// The record of `email`, sent about `ticket_id` at `created_at`.
    pub fn new(id: i64, email: &Email, ticket_id: i64, created_at: i64) -> OutboxEmail {
        OutboxEmail {
            id,
            to: email.to.clone(),
            subject: email.subject.clone(),
            body: email.body.clone(),
            ticket_id,
            created_at,
        }
    }

    /// The record as `emails.json` answers it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "to": self.to, "subject": self.subject, "body": self.body,
            "ticket_id": self.ticket_id, "created_at": iso(self.created_at),
        })
    }
}

/// Which captured emails a listing asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxFilter {
    pub ticket_id: Option<i64>,
    /// Compared case-insensitively, as addresses are.
    pub to: Option<String>,
}

impl OutboxFilter {
    /// The `ticket_id` and `to` query parameters; the error names the parameter and the form.
    pub fn parse(ticket_id: Option<&str>, to: Option<&str>) -> Result<OutboxFilter, String> {
        let ticket_id =
            match ticket_id.map(str::trim).filter(|t| !t.is_empty()) {
                None => None,
                Some(text) => Some(text.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(
                    || format!("ticket_id must be a ticket's id, such as 42; got `{text}`"),
                )?),
            };
        let to = match to.map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(address) if address.contains('@') => Some(address.to_lowercase()),
            Some(other) => {
                return Err(format!(
                    "to must be an email address, such as customer@example.com; got `{other}`"
                ));
            }
        };
        Ok(OutboxFilter { ticket_id, to })
    }

    pub fn matches(&self, email: &OutboxEmail) -> bool {
        self.ticket_id.is_none_or(|id| id == email.ticket_id)
            && self
                .to
                .as_deref()
                .is_none_or(|to| to.eq_ignore_ascii_case(&email.to))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(to: &str, ticket_id: i64) -> OutboxEmail {
        OutboxEmail::new(
            1,
            &Email {
                to: to.into(),
                recipient_id: 5,
                subject: "Re: hi".into(),
                body: "body".into(),
            },
            ticket_id,
            1_700_000_000,
        )
    }

    #[test]
    fn a_captured_email_answers_in_the_outbox_shape() {
        assert_eq!(
            email("customer@example.com", 42).to_json(),
            json!({"id": 1, "to": "customer@example.com", "subject": "Re: hi", "body": "body",
                   "ticket_id": 42, "created_at": "2023-11-14T22:13:20Z"})
        );
    }

    #[test]
    fn filters_select_by_ticket_and_address() {
        let filter = OutboxFilter::parse(Some("42"), Some("Customer@Example.com")).unwrap();
        assert!(filter.matches(&email("customer@example.com", 42)));
        assert!(!filter.matches(&email("customer@example.com", 43)));
        assert!(!filter.matches(&email("agent@example.com", 42)));
        assert!(
            OutboxFilter::parse(None, None)
                .unwrap()
                .matches(&email("a@b", 1))
        );
        assert!(
            OutboxFilter::parse(Some("x"), None)
                .unwrap_err()
                .contains("ticket_id")
        );
        assert!(
            OutboxFilter::parse(None, Some("bob"))
                .unwrap_err()
                .contains("email address")
        );
    }
}
