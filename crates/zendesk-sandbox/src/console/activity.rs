//! `/console/activity` (`?user_id=ID&status=404|4xx`): the API request log, newest first:
//! time, who (user and how they signed in), method, path, status, duration; from
//! `GET /api/v2/sandbox/requests.json`, following the `activity` change feed.

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde_json::Value;

use super::api::encode;
use super::html::{self, People, Section, escape};
use super::session::Viewer;
use super::{Console, param, query_pairs};

pub async fn page(State(_): State<Console>, viewer: Viewer, uri: Uri) -> Response {
    let pairs = query_pairs(&uri);
    let user_id = param(&pairs, "user_id");
    let status = param(&pairs, "status");
    let mut path = "/api/v2/sandbox/requests.json?per_page=200".to_string();
    if let Some(user_id) = user_id {
        path.push_str(&format!("&user_id={}", encode(user_id)));
    }
    if let Some(status) = status {
        path.push_str(&format!("&status={}", encode(status)));
    }
    let api = &viewer.api;
    // Everyone in the log, for the filter's choices.
    let (listed, everyone) = tokio::join!(
        api.get(&path),
        api.get("/api/v2/sandbox/requests.json?per_page=1000")
    );
    let mut people = People::default();
    let mut ids: Vec<i64> = everyone
        .as_ref()
        .ok()
        .and_then(|a| a["requests"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r["user_id"].as_i64())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    people.fetch(api, ids.clone()).await;
    let content = match listed {
        Ok(answer) => table(&answer, &people),
        Err(refused) => format!(
            "<p class=\"flash error\" role=\"alert\">{}</p>",
            escape(&refused.message)
        ),
    };
    let mut choices = String::from("<option value=\"\">everyone</option>");
    for id in &ids {
        let selected = if user_id == Some(id.to_string().as_str()) {
            " selected"
        } else {
            ""
        };
        choices.push_str(&format!(
            "<option value=\"{id}\"{selected}>{}</option>",
            escape(&people.name(&Value::from(*id)))
        ));
    }
    let body = format!(
        "<h1>Activity</h1>\n<p class=\"hint\">The API requests this sandbox process answered, \
         newest first (never a body or a credential).</p>\n\
         <form method=\"get\" action=\"/console/activity\" class=\"filters\">\
         <label>User <select name=\"user_id\">{choices}</select></label> \
         <label>Status <input name=\"status\" value=\"{}\" placeholder=\"404 or 4xx\" size=\"6\"></label> \
         <button type=\"submit\">Filter</button></form>\n\
         <section id=\"requests\" data-region>{content}</section>",
        escape(status.unwrap_or("")),
    );
    html::page(
        &viewer,
        Some(Section::Activity),
        "Activity",
        Some("activity"),
        &body,
    )
}

fn table(answer: &Value, people: &People) -> String {
    let requests = answer["requests"].as_array().cloned().unwrap_or_default();
    if requests.is_empty() {
        return "<p class=\"empty\">No request matches.</p>".to_string();
    }
    let mut rows = String::new();
    for request in &requests {
        let status = request["status"].as_u64().unwrap_or(0);
        rows.push_str(&format!(
            "<tr class=\"request status-{}xx\"><td>{}</td><td class=\"who\">{}</td>\
             <td class=\"method\">{}</td><td class=\"path\"><code>{}</code></td>\
             <td class=\"status\">{status}</td><td class=\"duration\">{:.1} ms</td></tr>\n",
            status / 100,
            html::time(&request["created_at"]),
            who(request, people),
            escape(request["method"].as_str().unwrap_or("")),
            escape(request["path"].as_str().unwrap_or("")),
            request["duration_ms"].as_f64().unwrap_or(0.0),
        ));
    }
    format!(
        "<p class=\"count\">{} of {} kept (the last {}).</p>\
         <table class=\"requests\"><thead><tr><th>Time</th><th>Who</th><th>Method</th>\
         <th>Path</th><th>Status</th><th>Duration</th></tr></thead><tbody>\n{rows}</tbody></table>",
        requests.len(),
        answer["count"],
        answer["capacity"],
    )
}

/// Who called, in words: the user and the credential's kind (never the credential).
fn who(request: &Value, people: &People) -> String {
    let credential = match request["credential"].as_str() {
        Some("api_token") => "API token".to_string(),
        Some("password") => "password".to_string(),
        Some("oauth_token") => match request["oauth_token_id"].as_i64() {
            Some(id) => format!("OAuth token {id}"),
            None => "OAuth token".to_string(),
        },
        _ => "no credentials".to_string(),
    };
    match (
        request["user_id"].as_i64(),
        request["claimed_email"].as_str(),
    ) {
        (Some(_), _) => format!(
            "{} <small>{}</small>",
            escape(&people.name(&request["user_id"])),
            escape(&credential)
        ),
        (None, Some(email)) => format!(
            "<span class=\"refused\">{}</span> <small>{} (refused)</small>",
            escape(email),
            escape(&credential)
        ),
        (None, None) => format!("anonymous <small>{}</small>", escape(&credential)),
    }
}
