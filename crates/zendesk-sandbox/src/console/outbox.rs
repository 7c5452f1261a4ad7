//! `/console/emails`: the outbox of notification emails the sandbox "sent" (to, subject, body,
//! ticket), newest first, from `GET /api/v2/sandbox/emails.json`; follows the `emails` change
//! feed. A sandbox without the outbox endpoint shows that the outbox is unavailable.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::Console;
use super::html::{self, Section, escape, text_of, time};
use super::session::Viewer;

/// The outbox's list, as the API serves it.
pub const EMAILS: &str = "/api/v2/sandbox/emails.json?per_page=100";

pub async fn page(State(_): State<Console>, viewer: Viewer) -> Response {
    let content = match viewer.api.get(EMAILS).await {
        Ok(answer) => {
            let mut emails: Vec<Value> = answer["emails"].as_array().cloned().unwrap_or_default();
            emails.sort_by(|a, b| {
                (b["created_at"].as_str(), b["id"].as_i64())
                    .cmp(&(a["created_at"].as_str(), a["id"].as_i64()))
            });
            table(&emails)
        }
        Err(refused) if refused.status == StatusCode::NOT_FOUND => {
            "<p class=\"empty\">The outbox is empty: this sandbox does not keep notification \
             emails (it serves no <code>/api/v2/sandbox/emails.json</code>).</p>"
                .to_string()
        }
        Err(refused) => format!(
            "<p class=\"flash error\" role=\"alert\">{}</p>",
            escape(&refused.message)
        ),
    };
    let body = format!(
        "<section id=\"emails\" data-region><h1>Emails</h1>\
         <p class=\"hint\">Notification emails the sandbox would have sent, newest first.</p>\n\
         {content}</section>"
    );
    html::page(
        &viewer,
        Some(Section::Emails),
        "Emails",
        Some("emails"),
        &body,
    )
}

fn table(emails: &[Value]) -> String {
    if emails.is_empty() {
        return "<p class=\"empty\">The outbox is empty: no email has been sent yet.</p>"
            .to_string();
    }
    let mut rows = String::new();
    for email in emails {
        let ticket = match email["ticket_id"].as_i64() {
            Some(id) => format!("<a href=\"/console/tickets/{id}\">#{id}</a>"),
            None => "-".to_string(),
        };
        rows.push_str(&format!(
            "<tr class=\"email\"><td>{}</td><td class=\"to\">{}</td><td>{ticket}</td>\
             <td><details><summary class=\"subject\">{}</summary>\
             <pre class=\"body\">{}</pre></details></td></tr>\n",
            time(&email["created_at"]),
            escape(&recipients(&email["to"])),
            escape(&text_of(&email["subject"])),
            escape(email["body"].as_str().unwrap_or("")),
        ));
    }
    format!(
        "<table class=\"emails\"><thead><tr><th>Sent</th><th>To</th><th>Ticket</th>\
         <th>Subject and body</th></tr></thead><tbody>\n{rows}</tbody></table>"
    )
}

/// `to` as text: an address, a list of them, or `{name, email}` objects.
fn recipients(to: &Value) -> String {
    match to {
        Value::Array(items) => items.iter().map(recipients).collect::<Vec<_>>().join(", "),
        Value::Object(person) => match (person.get("name"), person.get("email")) {
            (Some(Value::String(name)), Some(Value::String(email))) => {
                format!("{name} <{email}>")
            }
            (_, Some(email)) => text_of(email),
            _ => text_of(to),
        },
        other => text_of(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recipients_read_in_every_shape() {
        assert_eq!(recipients(&json!("a@example.com")), "a@example.com");
        assert_eq!(
            recipients(&json!(["a@example.com", {"name": "B", "email": "b@example.com"}])),
            "a@example.com, B <b@example.com>"
        );
    }

    #[test]
    fn emails_are_escaped_and_link_their_ticket() {
        let html = table(&[
            json!({"id": 1, "to": "x@example.com", "subject": "<b>Hi</b>",
            "body": "Hello <script>", "ticket_id": 42, "created_at": "2024-01-01T00:00:00Z"}),
        ]);
        assert!(html.contains("&lt;b&gt;Hi&lt;/b&gt;"), "{html}");
        assert!(html.contains("Hello &lt;script&gt;"), "{html}");
        assert!(html.contains("/console/tickets/42"), "{html}");
    }
}
