//! A comment's text forms: stored once, served in Zendesk's three. Zendesk answers every comment
//! (and every Comment event of an audit) with `body`, `html_body` and `plain_body`. Stored, a
//! comment keeps its text in `body` only; `html_body` is kept only when a client sent HTML of its
//! own, and both other forms are derived when the comment is served. A 2 MB comment therefore
//! costs its text once in the comment and once in its audit, not six times. Comments stored
//! before this keep their three forms and are served as they are.

use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// The HTML Zendesk makes of a plain-text comment: escaped, blank lines as paragraphs and line
/// breaks as `<br>`.
pub fn plain_html(body: &str) -> String {
    let escaped = body
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let paragraphs: Vec<String> = escaped
        .split("\n\n")
        .map(|p| format!("<p dir=\"auto\">{}</p>", p.replace('\n', "<br>")))
        .collect();
    format!(
        "<div class=\"zd-comment\" dir=\"auto\">{}</div>",
        paragraphs.join("\n\n")
    )
}

/// A comment (or a Comment event) as stored: without `plain_body`, and without `html_body` when
/// it is what [`plain_html`] makes of `body`.
pub fn stored_comment(comment: &Value) -> Value {
    let Some(fields) = comment.as_object() else {
        return comment.clone();
    };
    let body = fields.get("body").and_then(Value::as_str);
    let derived_html = |html: &Value| body.is_some_and(|b| html.as_str() == Some(&plain_html(b)));
    Value::Object(
        fields
            .iter()
            .filter(|(key, value)| match key.as_str() {
                "plain_body" => body.is_none_or(|b| value.as_str() != Some(b)),
                "html_body" => !derived_html(value),
                _ => true,
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect(),
    )
}

/// An audit as stored: its Comment events as [`stored_comment`]s.
pub fn stored_audit(audit: &Value) -> Value {
    let mut stored = audit.clone();
    if let Some(events) = stored.get_mut("events").and_then(Value::as_array_mut) {
        for event in events {
            if event["type"] == "Comment" {
                *event = stored_comment(event);
            }
        }
    }
    stored
}

/// A stored comment as served: `html_body` and `plain_body` derived from `body`, right after it,
/// where they were not stored.
pub fn served_comment(stored: Map<String, Value>) -> Map<String, Value> {
    let (has_html, has_plain) = (
        stored.contains_key("html_body"),
        stored.contains_key("plain_body"),
    );
    if has_html && has_plain {
        return stored;
    }
    let Some(body) = stored
        .get("body")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return stored;
    };
    let mut html = (!has_html).then(|| plain_html(&body));
    let mut plain = (!has_plain).then_some(body);
    let mut served = Map::with_capacity(stored.len() + 2);
    for (key, value) in stored {
        let was_body = key == "body";
        served.insert(key, value);
        if was_body {
            if let Some(html) = html.take() {
                served.insert("html_body".into(), json!(html));
            }
            if let Some(plain) = plain.take() {
                served.insert("plain_body".into(), json!(plain));
            }
        }
    }
    served
}

/// A stored audit as served: each Comment event as [`served_comment`] makes it.
pub fn served_audit(mut audit: Value) -> Value {
    if let Some(events) = audit.get_mut("events").and_then(Value::as_array_mut) {
        for event in events {
            if event["type"] == "Comment"
                && let Value::Object(fields) = std::mem::take(event)
            {
                *event = Value::Object(served_comment(fields));
            }
        }
    }
    audit
}

/// [`served_comment`] on a stored comment's JSON text.
pub fn served_comment_text(stored: &str) -> Result<String, ApiError> {
    match crate::store::parse_stored(stored)? {
        Value::Object(fields) => Ok(Value::Object(served_comment(fields)).to_string()),
        other => Ok(other.to_string()),
    }
}

/// [`served_audit`] on a stored audit's JSON text; an audit without a comment as it is.
pub fn served_audit_text(stored: &str) -> Result<String, ApiError> {
    // In JSON text a quote inside a string is escaped, so this finds only a `type` key whose
    // value is "Comment" (or, harmlessly, a text that quotes one): the others need no parse.
    if !stored.contains(r#""type":"Comment""#) {
        return Ok(stored.to_owned());
    }
    Ok(served_audit(crate::store::parse_stored(stored)?).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_comment_is_stored_once_and_served_in_three_forms() {
        let body = "Line one\nline <two>\n\nA new paragraph";
        let full = json!({"id": 1, "type": "Comment", "body": body, "html_body": plain_html(body),
            "plain_body": body, "public": true});
        let stored = stored_comment(&full);
        assert_eq!(
            stored,
            json!({"id": 1, "type": "Comment", "body": body, "public": true})
        );
        let Value::Object(stored) = stored else {
            unreachable!()
        };
        let served = Value::Object(served_comment(stored));
        assert_eq!(served, full);
        // In Zendesk's order: body, html_body, plain_body.
        let keys: Vec<&String> = served.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["id", "type", "body", "html_body", "plain_body", "public"]
        );
    }

    #[test]
    fn html_a_client_sent_is_kept() {
        let full =
            json!({"body": "<b>Hi</b>", "html_body": "<b>Hi</b>", "plain_body": "<b>Hi</b>"});
        let stored = stored_comment(&full);
        assert_eq!(
            stored,
            json!({"body": "<b>Hi</b>", "html_body": "<b>Hi</b>"})
        );
        let Value::Object(stored) = stored else {
            unreachable!()
        };
        assert_eq!(Value::Object(served_comment(stored)), full);
    }

    #[test]
    fn audits_keep_their_other_events_and_old_comments_stay_as_stored() {
        let audit = json!({"id": 9, "events": [
            {"id": 10, "type": "Comment", "body": "a", "html_body": plain_html("a"), "plain_body": "a"},
            {"id": 11, "type": "Change", "field_name": "status", "value": "open"}]});
        let stored = stored_audit(&audit);
        assert_eq!(
            stored["events"][0],
            json!({"id": 10, "type": "Comment", "body": "a"})
        );
        assert_eq!(stored["events"][1], audit["events"][1]);
        assert_eq!(served_audit(stored), audit);
        let old = audit.to_string();
        assert_eq!(served_audit_text(&old).unwrap(), old);
        let no_comment = r#"{"id":3,"events":[]}"#;
        assert_eq!(served_audit_text(no_comment).unwrap(), no_comment);
    }
}
