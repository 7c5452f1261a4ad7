//! The clock, Zendesk's timestamp and id forms, fresh secrets and HTML as text: small helpers
//! every layer uses, importing nothing of the crate.

use base64::Engine;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An id that clients send as a number or a digit string; `""`/null are absent.
pub fn as_id(value: &serde_json::Value) -> Option<i64> {
    match value {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `2023-09-18T23:22:37Z`, Zendesk's timestamp form.
pub fn iso(ts: i64) -> String {
    let Ok(dt) = OffsetDateTime::from_unix_timestamp(ts) else {
        return "1970-01-01T00:00:00Z".to_string();
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// `2023-09-18 23:22:37 +0000`, the form of a job's completion message.
pub fn job_time(ts: i64) -> String {
    iso(ts).replace('T', " ").replace('Z', " +0000")
}

/// Parses an ISO 8601 timestamp or a `YYYY-MM-DD` date into Unix seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    if let Ok(dt) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(dt.unix_timestamp());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .ok()
        .map(|date| date.midnight().assume_utc().unix_timestamp())
}

/// A fresh secret (API token, OAuth token): 32 bytes from the OS, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    if getrandom::getrandom(&mut bytes).is_err() {
        // The OS generator failed (never seen on supported platforms): fall back to fastrand
        // seeded from the clock rather than refusing to start.
        for byte in &mut bytes {
            *byte = fastrand::u8(..);
        }
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// HTML as plain text, enough for Help Center bodies and comments: tags dropped (a block tag or
/// `<br>` becomes a line break), scripts and styles dropped whole, common entities decoded,
/// runs of blank space folded.
pub fn html_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..start]));
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            // A lone `<` is text.
            out.push('<');
            rest = after;
            continue;
        };
        let tag = after[..end].trim().to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        rest = &after[end + 1..];
        if (name == "script" || name == "style") && !tag.starts_with('/') {
            // Skip to the closing tag: its text is not content.
            let close = format!("</{name}");
            match rest.to_ascii_lowercase().find(&close) {
                Some(at) => {
                    rest = &rest[at..];
                    if let Some(gt) = rest.find('>') {
                        rest = &rest[gt + 1..];
                    }
                }
                None => rest = "",
            }
            continue;
        }
        let block = matches!(
            name.as_str(),
            "br" | "p"
                | "div"
                | "li"
                | "ul"
                | "ol"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "tr"
                | "table"
                | "blockquote"
                | "pre"
        );
        if block {
            out.push('\n');
        }
    }
    out.push_str(&decode_entities(rest));
    // Fold spaces within lines and keep at most one blank line between paragraphs.
    let mut folded = String::with_capacity(out.len());
    let mut blank_lines = 0;
    for line in out.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            blank_lines += 1;
            continue;
        }
        if !folded.is_empty() {
            folded.push_str(if blank_lines > 0 { "\n\n" } else { "\n" });
        }
        blank_lines = 0;
        folded.push_str(&line);
    }
    folded
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_reads_as_text() {
        assert_eq!(
            html_text(
                "<h1>Reset</h1><p>Click <b>Forgot</b> &amp; wait.</p><script>x()</script><p>Done</p>"
            ),
            "Reset\n\nClick Forgot & wait.\n\nDone"
        );
        assert_eq!(html_text("a < b and c"), "a < b and c");
        assert_eq!(html_text("<p>one</p>\n\n<p>two</p>"), "one\n\ntwo");
    }
}
