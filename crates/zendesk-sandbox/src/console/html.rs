//! What every console page is made of: the one escaping function every template uses, the
//! page frame (navigation, the signed-in user, the sign-out form), the headers every answer
//! carries (a script policy without inline script, no framing, no referrer, no caching), and
//! small pieces shared by pages (times, people, labels).

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::session::Viewer;

/// Text made safe for HTML content and double-quoted attribute values. Every value a page
/// shows passes through here.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A JSON value as text for a page: strings as they are, null as `-`, others as JSON.
pub fn text_of(value: &Value) -> String {
    match value {
        Value::Null => "-".to_string(),
        Value::String(text) if text.is_empty() => "-".to_string(),
        Value::String(text) => text.clone(),
        Value::Array(items) if items.is_empty() => "-".to_string(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// An ISO time from the API (`2024-05-01T10:20:30Z`) as `2024-05-01 10:20:30`, in a `<time>`.
pub fn time(value: &Value) -> String {
    let Some(iso) = value.as_str() else {
        return "-".to_string();
    };
    let shown = iso.trim_end_matches('Z').replacen('T', " ", 1);
    format!(
        "<time datetime=\"{}\">{}</time>",
        escape(iso),
        escape(&shown)
    )
}

/// Users by id, from side-loads and `show_many`, for names.
#[derive(Default)]
pub struct People(HashMap<i64, Value>);

impl People {
    pub fn add(&mut self, users: impl IntoIterator<Item = Value>) {
        for user in users {
            if let Some(id) = user["id"].as_i64() {
                self.0.insert(id, user);
            }
        }
    }

    pub fn has(&self, id: i64) -> bool {
        self.0.contains_key(&id)
    }

    /// The user's name, or `user ID` when the API showed none; `-` for no one.
    pub fn name(&self, id: &Value) -> String {
        match id.as_i64() {
            None => "-".to_string(),
            Some(id) => self
                .0
                .get(&id)
                .and_then(|u| u["name"].as_str())
                .map(str::to_string)
                .unwrap_or_else(|| format!("user {id}")),
        }
    }

    /// Fetches the users among `ids` not known yet (`users/show_many`, 100 at a time).
    pub async fn fetch(&mut self, api: &super::api::Api, ids: impl IntoIterator<Item = i64>) {
        let mut missing: Vec<i64> = ids.into_iter().filter(|id| !self.has(*id)).collect();
        missing.sort_unstable();
        missing.dedup();
        for chunk in missing.chunks(100) {
            let ids: Vec<String> = chunk.iter().map(i64::to_string).collect();
            if let Ok(page) = api
                .get(&format!("/api/v2/users/show_many?ids={}", ids.join(",")))
                .await
            {
                self.add(page["users"].as_array().cloned().unwrap_or_default());
            }
        }
    }
}

/// A ticket status as a coloured label.
pub fn status_badge(status: &Value) -> String {
    let status = status.as_str().unwrap_or("-");
    format!(
        "<span class=\"badge status-{}\">{}</span>",
        escape(status),
        escape(status)
    )
}

/// Which top-level page a page belongs to, for the navigation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Queues,
    Emails,
    Webhooks,
    Activity,
}

/// A signed-in page. `live` names the change feed its regions follow (see `live.rs`).
pub fn page(
    viewer: &Viewer,
    section: Option<Section>,
    title: &str,
    live: Option<&str>,
    body: &str,
) -> Response {
    page_with_status(viewer, StatusCode::OK, section, title, live, body)
}

pub fn page_with_status(
    viewer: &Viewer,
    status: StatusCode,
    section: Option<Section>,
    title: &str,
    live: Option<&str>,
    body: &str,
) -> Response {
    let link = |href: &str, label: &str, this: Section| {
        let current = if section == Some(this) {
            " aria-current=\"page\""
        } else {
            ""
        };
        format!("<a href=\"{href}\"{current}>{label}</a>")
    };
    let nav = [
        link("/console/", "Queues", Section::Queues),
        link("/console/emails", "Emails", Section::Emails),
        link("/console/webhooks", "Webhooks", Section::Webhooks),
        link("/console/activity", "Activity", Section::Activity),
    ]
    .join("");
    let live = live
        .map(|feed| format!(" data-live=\"{}\"", escape(feed)))
        .unwrap_or_default();
    let header = format!(
        "<header class=\"top\"><a class=\"brand\" href=\"/console/\">zd console</a>\
         <nav>{nav}</nav><div class=\"me\"><span>{} <small>{}</small></span>\
         <form method=\"post\" action=\"/console/sign_out\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\" class=\"link\">Sign out</button></form></div></header>",
        escape(viewer.name()),
        escape(viewer.me["role"].as_str().unwrap_or("")),
        escape(&viewer.csrf),
    );
    document(
        status,
        title,
        &format!("{header}\n<main id=\"main\"{live}>\n{body}\n</main>"),
    )
}

/// A page without the signed-in frame (sign-in, errors before a session).
pub fn bare_page(status: StatusCode, title: &str, body: &str) -> Response {
    document(
        status,
        title,
        &format!(
            "<header class=\"top\"><a class=\"brand\" href=\"/console/\">zd console</a></header>\n\
             <main id=\"main\">\n{body}\n</main>"
        ),
    )
}

/// An error page: what failed, in words, and a way back.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    bare_page(
        status,
        title,
        &format!(
            "<section class=\"error-page\"><h1>{}</h1><p>{}</p>\
             <p><a href=\"/console/\">Back to the queues</a></p></section>",
            escape(title),
            escape(message)
        ),
    )
}

fn document(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} · zd console</title>\n\
         <link rel=\"stylesheet\" href=\"/console/assets/console.css?v={}\">\n\
         <script src=\"/console/assets/console.js?v={}\" defer></script>\n\
         </head>\n<body>\n{body}\n</body>\n</html>\n",
        escape(title),
        *super::assets::CSS_VERSION,
        *super::assets::JS_VERSION,
    );
    let mut response = (status, page).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// 303 to `location` (after a form: the browser asks for it with GET).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The headers on every console answer: scripts and styles only from the console itself (no
/// inline script), no framing, no referrer, pages never cached.
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_leaves_no_markup() {
        assert_eq!(
            escape("\"><script>alert('x')</script>&"),
            "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
        assert_eq!(escape("plain text"), "plain text");
    }

    #[test]
    fn times_and_values_read_as_text() {
        assert_eq!(
            time(&Value::from("2024-05-01T10:20:30Z")),
            "<time datetime=\"2024-05-01T10:20:30Z\">2024-05-01 10:20:30</time>"
        );
        assert_eq!(time(&Value::Null), "-");
        assert_eq!(text_of(&serde_json::json!(["a", "b"])), "a, b");
        assert_eq!(text_of(&Value::Null), "-");
        assert_eq!(text_of(&serde_json::json!(3)), "3");
    }
}
