//! A comment's text forms: stored once, served in Zendesk's three. Zendesk answers every comment
//! (and every Comment event of an audit) with `body`, `html_body` and `plain_body`. Stored, a
//! comment keeps its text in `body` only; `html_body` is kept only when a client sent HTML of its
//! own, and both other forms are derived when the comment is served. An audit's Comment event is
//! stored without the text: it is the comment, which the store reads beside the audit
//! (`TableSpec::companion`). A 2 MB comment therefore costs its text once, not six times.
//! Comments and audits stored before this keep their forms and are served as they are.
//!
//! A comment is served piece by piece into a [`Sink`]: its stored text is written as it is, and
//! its HTML is made while the stored JSON string is read, so a page of a 2 MB comment holds the
//! stored text and small buffers, never the text's other forms whole.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::store::StoreError;

/// Where served JSON text is written, piece by piece (a streamed answer, or a string).
pub type Sink<'a> = dyn FnMut(&str) -> Result<(), ApiError> + 'a;

/// The forms of a comment's text, which an audit's Comment event does not store.
const TEXT_FORMS: [&str; 3] = ["body", "html_body", "plain_body"];

/// The text forms derived when a comment is served, in Zendesk's order right after `body`: each
/// one the comment does not store (`stores` says which it does). Both ways of serving a comment,
/// streamed and as a value, follow this.
fn derived_forms(stores: impl Fn(&str) -> bool) -> impl Iterator<Item = DerivedForm> {
    [DerivedForm::Html, DerivedForm::Plain]
        .into_iter()
        .filter(move |form| !stores(form.key()))
}

#[derive(Clone, Copy)]
enum DerivedForm {
    /// `html_body`: [`plain_html`] of the body.
    Html,
    /// `plain_body`: the body.
    Plain,
}

impl DerivedForm {
    fn key(self) -> &'static str {
        match self {
            DerivedForm::Html => "html_body",
            DerivedForm::Plain => "plain_body",
        }
    }
}

/// Zendesk's HTML of a plain text: the text in a `div`, its paragraphs (split at blank lines)
/// each in a `p`, other line breaks as `<br>`, `&`, `<` and `>` escaped.
const HTML_OPEN: &str = "<div class=\"zd-comment\" dir=\"auto\"><p dir=\"auto\">";
const HTML_PARAGRAPH: &str = "</p>\n\n<p dir=\"auto\">";
const HTML_LINE: &str = "<br>";
const HTML_CLOSE: &str = "</p></div>";

/// What `c` is in HTML, when it must be escaped.
fn html_entity(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        _ => None,
    }
}

/// The line breaks of a text being made HTML: a newline is placed when the next character
/// shows what it is (a second newline: a paragraph; anything else: a line break).
#[derive(Default)]
struct Lines {
    newline_pending: bool,
}

impl Lines {
    /// The markup a newline adds.
    fn newline(&mut self) -> Option<&'static str> {
        if std::mem::take(&mut self.newline_pending) {
            Some(HTML_PARAGRAPH)
        } else {
            self.newline_pending = true;
            None
        }
    }

    /// The markup before a character that is not a newline.
    fn other(&mut self) -> Option<&'static str> {
        std::mem::take(&mut self.newline_pending).then_some(HTML_LINE)
    }
}

/// The HTML Zendesk makes of a plain-text comment (see [`HTML_OPEN`]).
pub fn plain_html(body: &str) -> String {
    let mut html = String::with_capacity(body.len() + body.len() / 8 + 64);
    html.push_str(HTML_OPEN);
    let mut lines = Lines::default();
    for c in body.chars() {
        if c == '\n' {
            html.extend(lines.newline());
            continue;
        }
        html.extend(lines.other());
        match html_entity(c) {
            Some(entity) => html.push_str(entity),
            None => html.push(c),
        }
    }
    html.extend(lines.other());
    html.push_str(HTML_CLOSE);
    html
}

/// Pieces of served text gathered before they go to the sink.
const PIECE: usize = 64 * 1024;

/// Writes, as a JSON string, [`plain_html`] of the text the JSON string `literal` holds: the
/// literal is read as it goes (its escapes kept as they are, but for newlines and escaped
/// `&`, `<` and `>`), so neither the text nor its HTML is ever whole in memory.
fn write_plain_html(literal: &str, write: &mut Sink<'_>) -> Result<(), ApiError> {
    let not_a_string = || {
        ApiError::from(StoreError::corrupt(
            "a stored comment's body is not a JSON string",
        ))
    };
    let inner = literal
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .ok_or_else(not_a_string)?;
    // The markup as it reads inside a JSON string.
    let escaped = |markup: &str| {
        let quoted = Value::from(markup).to_string();
        quoted[1..quoted.len() - 1].to_string()
    };
    let (paragraph, line) = (escaped(HTML_PARAGRAPH), escaped(HTML_LINE));
    let markup = |m: &'static str| {
        if m == HTML_PARAGRAPH {
            &paragraph
        } else {
            &line
        }
    };
    let mut buf = String::with_capacity(PIECE + 256);
    buf.push('"');
    buf.push_str(&escaped(HTML_OPEN));
    let mut lines = Lines::default();
    let bytes = inner.as_bytes();
    let (mut at, mut run) = (0, 0);
    // Text between escapes and special characters is copied as a run (it holds no newline:
    // JSON escapes every control character).
    let copy_run = |buf: &mut String, lines: &mut Lines, text: &str, write: &mut Sink<'_>| {
        if text.is_empty() {
            return Ok(());
        }
        if lines.other().is_some() {
            buf.push_str(&line);
        }
        if text.len() > PIECE {
            write(buf)?;
            buf.clear();
            return write(text);
        }
        buf.push_str(text);
        Ok(())
    };
    while at < bytes.len() {
        let (len, decoded) = match bytes[at] {
            b'\\' => {
                let kind = *bytes.get(at + 1).ok_or_else(not_a_string)?;
                if kind == b'u' {
                    let hex = inner.get(at + 2..at + 6).ok_or_else(not_a_string)?;
                    let code = u32::from_str_radix(hex, 16).map_err(|_| not_a_string())?;
                    (6, char::from_u32(code))
                } else {
                    let c = match kind {
                        b'n' => '\n',
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'r' => '\r',
                        b't' => '\t',
                        _ => return Err(not_a_string()),
                    };
                    (2, Some(c))
                }
            }
            b'&' | b'<' | b'>' => (1, Some(bytes[at] as char)),
            _ => {
                at += 1;
                continue;
            }
        };
        copy_run(&mut buf, &mut lines, &inner[run..at], write)?;
        if decoded == Some('\n') {
            if let Some(m) = lines.newline() {
                buf.push_str(markup(m));
            }
        } else {
            if let Some(m) = lines.other() {
                buf.push_str(markup(m));
            }
            match decoded.and_then(html_entity) {
                Some(entity) => buf.push_str(entity),
                None => buf.push_str(&inner[at..at + len]),
            }
        }
        at += len;
        run = at;
        if buf.len() >= PIECE {
            write(&buf)?;
            buf.clear();
        }
    }
    copy_run(&mut buf, &mut lines, &inner[run..], write)?;
    if let Some(m) = lines.other() {
        buf.push_str(markup(m));
    }
    buf.push_str(&escaped(HTML_CLOSE));
    buf.push('"');
    write(&buf)
}

/// A JSON object's members in order, each value as its stored JSON text.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct InOrder;
        impl<'de> Visitor<'de> for InOrder {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members<'de>, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    members.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(InOrder)
    }
}

/// The members of a stored record, when it is a JSON object.
fn members(stored: &str) -> Result<Option<Members<'_>>, ApiError> {
    if !stored.trim_start().starts_with('{') {
        return Ok(None);
    }
    serde_json::from_str(stored)
        .map(Some)
        .map_err(|e| StoreError::corrupt(format!("stored JSON: {e}")).into())
}

/// Writes a stored comment as served: its members as stored, `html_body` and `plain_body`
/// derived right after `body` where they were not stored, then the members of `beside` the
/// comment does not have (an audit's Comment event served from its comment). Each member
/// other than the text is written with `member` (which puts attachment URLs in full).
pub fn write_served_comment(
    stored: &str,
    beside: Option<&Map<String, Value>>,
    member: &dyn Fn(&str) -> std::borrow::Cow<'_, str>,
    write: &mut Sink<'_>,
) -> Result<(), ApiError> {
    let Some(Members(members)) = members(stored)? else {
        return write(stored);
    };
    let has = |key: &str| members.iter().any(|(k, _)| k == key);
    write("{")?;
    for (n, (key, value)) in members.iter().enumerate() {
        let name = Value::from(key.as_str()).to_string();
        let separator = if n > 0 { "," } else { "" };
        if !TEXT_FORMS.contains(&key.as_str()) {
            write(&member(&format!("{separator}{name}:{}", value.get())))?;
            continue;
        }
        write(&format!("{separator}{name}:"))?;
        write(value.get())?;
        let text = value.get();
        if key == "body" && text.starts_with('"') {
            for form in derived_forms(has) {
                write(",\"")?;
                write(form.key())?;
                write("\":")?;
                match form {
                    DerivedForm::Html => write_plain_html(text, write)?,
                    DerivedForm::Plain => write(text)?,
                }
            }
        }
    }
    for (key, value) in beside.into_iter().flatten() {
        if !has(key) {
            let name = Value::from(key.as_str()).to_string();
            write(&member(&format!(",{name}:{value}")))?;
        }
    }
    write("}")
}

/// Whether `event` is a Comment event stored without its text (see [`stored_audit`]).
fn textless_comment(event: &Value) -> bool {
    event["type"] == "Comment" && event.get("body").is_none()
}

/// Writes a stored audit as served: a Comment event stored without its text is its comment
/// (`comment`, the comment's stored JSON, read beside the audit) served as
/// [`write_served_comment`] serves it; a Comment event stored with its text (before the text
/// was kept once) gets the forms not stored. Other members are written with `member`.
pub fn write_served_audit(
    stored: &str,
    comment: Option<&str>,
    member: &dyn Fn(&str) -> std::borrow::Cow<'_, str>,
    write: &mut Sink<'_>,
) -> Result<(), ApiError> {
    // In JSON text a quote inside a string is escaped, so this finds only a `type` key whose
    // value is "Comment" (or, harmlessly, a text that quotes one): the others need no parse.
    if !stored.contains(r#""type":"Comment""#) {
        return write(&member(stored));
    }
    let audit = crate::store::parse_stored(stored)?;
    let Value::Object(fields) = served_audit(audit) else {
        return write(&member(stored));
    };
    write("{")?;
    for (n, (key, value)) in fields.iter().enumerate() {
        let name = Value::from(key.as_str()).to_string();
        let separator = if n > 0 { "," } else { "" };
        let events = value.as_array().filter(|_| key == "events");
        let Some(events) = events else {
            write(&member(&format!("{separator}{name}:{value}")))?;
            continue;
        };
        write(&format!("{separator}{name}:["))?;
        for (n, event) in events.iter().enumerate() {
            if n > 0 {
                write(",")?;
            }
            let its_comment = comment.filter(|_| textless_comment(event)).filter(|text| {
                // The comment read beside the audit is this event's (a comment's id is its
                // event's id).
                event["id"]
                    .as_i64()
                    .is_some_and(|id| comment_id(text) == Some(id))
            });
            match its_comment {
                Some(text) => write_served_comment(text, event.as_object(), member, write)?,
                None => write(&member(&event.to_string()))?,
            }
        }
        write("]")?;
    }
    write("}")
}

/// The `id` of a stored comment, read without parsing its text.
fn comment_id(stored: &str) -> Option<i64> {
    let Ok(Some(Members(members))) = members(stored) else {
        return None;
    };
    members
        .iter()
        .find(|(key, _)| key == "id")
        .and_then(|(_, value)| value.get().parse().ok())
}

/// A stored audit with its textless Comment event filled from `comment` (the comment's stored
/// JSON, read beside it), for those that read the audit as a value (the ticket events export).
pub fn audit_with_comment(mut audit: Value, comment: Option<&str>) -> Result<Value, ApiError> {
    let Some(comment) = comment else {
        return Ok(audit);
    };
    let Value::Object(comment) = crate::store::parse_stored(comment)? else {
        return Ok(audit);
    };
    if let Some(events) = audit.get_mut("events").and_then(Value::as_array_mut) {
        for event in events {
            if textless_comment(event) && event["id"] == comment["id"] {
                let mut filled = comment.clone();
                if let Value::Object(fields) = std::mem::take(event) {
                    for (key, value) in fields {
                        filled.entry(key).or_insert(value);
                    }
                }
                *event = Value::Object(filled);
            }
        }
    }
    Ok(audit)
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

/// An audit as stored: its Comment events without the text, which their comments keep (an
/// event's id is its comment's id; the store reads the comment beside the audit).
pub fn stored_audit(audit: &Value) -> Value {
    let mut stored = audit.clone();
    if let Some(events) = stored.get_mut("events").and_then(Value::as_array_mut) {
        for event in events {
            if event["type"] == "Comment"
                && let Some(fields) = event.as_object_mut()
            {
                fields.retain(|key, _| !TEXT_FORMS.contains(&key.as_str()));
            }
        }
    }
    stored
}

/// A stored comment as served: `html_body` and `plain_body` derived from `body`, right after it,
/// where they were not stored.
pub fn served_comment(stored: Map<String, Value>) -> Map<String, Value> {
    let forms: Vec<DerivedForm> = derived_forms(|key| stored.contains_key(key)).collect();
    if forms.is_empty() {
        return stored;
    }
    let Some(mut body) = stored
        .get("body")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return stored;
    };
    let mut served = Map::with_capacity(stored.len() + forms.len());
    for (key, value) in stored {
        let was_body = key == "body";
        served.insert(key, value);
        if was_body {
            for form in &forms {
                // The plain form comes last (`derived_forms`): it takes the body's copy.
                let text = match form {
                    DerivedForm::Html => plain_html(&body),
                    DerivedForm::Plain => std::mem::take(&mut body),
                };
                served.insert(form.key().into(), json!(text));
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

    /// What a writer writes, as one string.
    fn written(produce: impl FnOnce(&mut Sink<'_>) -> Result<(), ApiError>) -> String {
        let mut text = String::new();
        produce(&mut |piece: &str| {
            text.push_str(piece);
            Ok(())
        })
        .unwrap();
        text
    }

    fn as_stored(text: &str) -> std::borrow::Cow<'_, str> {
        std::borrow::Cow::Borrowed(text)
    }

    /// Zendesk's HTML as it was first written here: split at blank lines, then lines.
    fn html_by_splitting(body: &str) -> String {
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

    fn texts() -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            "\n",
            "\n\n",
            "\n\n\n",
            "a\n\n\nb",
            "Line one\nline <two>\n\nA \"new\" paragraph & more\\ \t tabbed\r\n",
            "é 😀 \u{2028} \u{7f} \u{1} </p>",
            "trailing newline\n",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect();
        let alphabet = [
            'a', ' ', '\n', '&', '<', '>', '"', '\\', 'é', '😀', '\t', '/',
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..300 {
            let len = rng.usize(0..40);
            texts.push(
                (0..len)
                    .map(|_| alphabet[rng.usize(..alphabet.len())])
                    .collect(),
            );
        }
        // Longer than a piece, with few escapes: written in runs.
        texts.push(format!(
            "{}\n\n{}",
            "x".repeat(200_000),
            "y<".repeat(50_000)
        ));
        texts
    }

    #[test]
    fn html_is_made_as_zendesk_makes_it_and_while_the_stored_text_is_read() {
        for text in texts() {
            let html = plain_html(&text);
            assert_eq!(html, html_by_splitting(&text), "{text:?}");
            let literal = Value::from(text.as_str()).to_string();
            let streamed = written(|sink| write_plain_html(&literal, sink));
            // Byte for byte what serializing the HTML would write.
            assert_eq!(streamed, Value::from(html.as_str()).to_string(), "{text:?}");
        }
        // Escapes another writer may have used (PostgreSQL's JSON, a client's): the same HTML.
        for (literal, text) in [
            (r#""a\u0026b\u003c\u003E""#, "a&b<>"),
            (r#""one\u000atwo\u000A\nthree""#, "one\ntwo\n\nthree"),
            (r#""\/path \ud83d\ude00""#, "/path 😀"),
        ] {
            let streamed = written(|sink| write_plain_html(literal, sink));
            let html: String = serde_json::from_str(&streamed).unwrap();
            assert_eq!(html, plain_html(text), "{literal}");
        }
        for broken in [r#"no quotes"#, r#""\x""#, r#""\u12""#, r#""end\"#] {
            let mut sink = |_: &str| Ok(());
            assert!(write_plain_html(broken, &mut sink).is_err(), "{broken}");
        }
    }

    #[test]
    fn a_comment_is_written_as_served_piece_by_piece() {
        for text in texts() {
            let full = json!({"id": 1, "type": "Comment", "body": text,
                "html_body": plain_html(&text), "plain_body": text, "public": true,
                "attachments": []});
            let stored = stored_comment(&full).to_string();
            let served = written(|sink| write_served_comment(&stored, None, &as_stored, sink));
            assert_eq!(served, full.to_string());
        }
        // HTML a client sent is served as stored; a comment that is not an object as it is.
        let sent = json!({"body": "<b>Hi</b>", "html_body": "<b>Hi</b>"}).to_string();
        let served = written(|sink| write_served_comment(&sent, None, &as_stored, sink));
        assert_eq!(
            serde_json::from_str::<Value>(&served).unwrap(),
            json!({"body": "<b>Hi</b>", "html_body": "<b>Hi</b>", "plain_body": "<b>Hi</b>"})
        );
        assert_eq!(
            written(|sink| write_served_comment("null", None, &as_stored, sink)),
            "null"
        );
        // Members other than the text go through `member` (attachment URLs put in full).
        let with_file = json!({"body": "/attachments/1", "attachments": [
            {"content_url": "/attachments/token/x/a.png"}]})
        .to_string();
        fn absolute(text: &str) -> std::borrow::Cow<'_, str> {
            std::borrow::Cow::Owned(
                text.replace("\":\"/attachments/", "\":\"http://h/attachments/"),
            )
        }
        let served: Value = serde_json::from_str(&written(|sink| {
            write_served_comment(&with_file, None, &absolute, sink)
        }))
        .unwrap();
        assert_eq!(
            served["attachments"][0]["content_url"],
            "http://h/attachments/token/x/a.png"
        );
        assert_eq!(served["body"], "/attachments/1");
    }

    #[test]
    fn an_audit_keeps_its_comments_text_in_the_comment_only() {
        let body = "Line one\nline <two>";
        let comment = json!({"id": 10, "type": "Comment", "author_id": 5, "body": body,
            "html_body": plain_html(body), "plain_body": body, "public": false, "audit_id": 9});
        let audit = json!({"id": 9, "ticket_id": 1, "events": [
            comment,
            {"id": 11, "type": "Change", "field_name": "status", "value": "open"}],
            "via": {"channel": "api"}});
        let stored = stored_audit(&audit);
        assert_eq!(
            stored["events"][0],
            json!({"id": 10, "type": "Comment", "author_id": 5, "public": false, "audit_id": 9})
        );
        assert_eq!(stored["events"][1], audit["events"][1]);
        let stored_text = stored.to_string();
        let comment_text = stored_comment(&comment).to_string();
        let served =
            written(|sink| write_served_audit(&stored_text, Some(&comment_text), &as_stored, sink));
        assert_eq!(served, audit.to_string());
        assert_eq!(
            audit_with_comment(stored.clone(), Some(&comment_text)).unwrap(),
            json!({"id": 9, "ticket_id": 1, "events": [stored_comment(&comment),
                audit["events"][1]], "via": {"channel": "api"}})
        );
        // Another comment than the event's is not put in its place.
        let other = json!({"id": 12, "type": "Comment", "body": "other"}).to_string();
        let served: Value = serde_json::from_str(&written(|sink| {
            write_served_audit(&stored_text, Some(&other), &as_stored, sink)
        }))
        .unwrap();
        assert_eq!(served["events"][0], stored["events"][0]);
    }

    #[test]
    fn audits_stored_with_their_text_are_served_as_before() {
        let audit = json!({"id": 9, "events": [
            {"id": 10, "type": "Comment", "body": "a", "html_body": plain_html("a"), "plain_body": "a"},
            {"id": 11, "type": "Change", "field_name": "status", "value": "open"}]});
        let old = json!({"id": 9, "events": [{"id": 10, "type": "Comment", "body": "a"},
            audit["events"][1]]});
        assert_eq!(served_audit(old.clone()), audit);
        let served = written(|sink| write_served_audit(&old.to_string(), None, &as_stored, sink));
        assert_eq!(served, audit.to_string());
        let full = audit.to_string();
        assert_eq!(
            written(|sink| write_served_audit(&full, None, &as_stored, sink)),
            full
        );
        let no_comment = r#"{"id":3,"events":[]}"#;
        assert_eq!(
            written(|sink| write_served_audit(no_comment, None, &as_stored, sink)),
            no_comment
        );
    }
}
