//! `/console/webhooks`: each webhook (`GET /api/v2/webhooks`) with its latest invocations
//! (`/webhooks/{id}/invocations`) and their attempts (`.../attempts`): request and response,
//! headers and payload. A resend button sends an invocation's request again through the
//! webhook test endpoint (`POST /api/v2/webhooks/test?webhook_id=`), which answers with the
//! endpoint's response. Webhooks are for admins, as on Zendesk. Follows the `webhooks` feed.

use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Console;
use super::api::{Api, encode};
use super::html::{self, Section, escape, text_of, time};
use super::session::{Form, Viewer};

/// Invocations shown per webhook (the newest).
const INVOCATIONS: usize = 10;

pub async fn page(State(_): State<Console>, viewer: Viewer) -> Response {
    render(&viewer, None).await
}

async fn render(viewer: &Viewer, notice: Option<(bool, String)>) -> Response {
    let api = &viewer.api;
    let content = match api.get("/api/v2/webhooks?page%5Bsize%5D=100").await {
        Ok(answer) => {
            let webhooks = answer["webhooks"].as_array().cloned().unwrap_or_default();
            if webhooks.is_empty() {
                "<p class=\"empty\">No webhooks yet (<code>POST /api/v2/webhooks</code> makes \
                 one).</p>"
                    .to_string()
            } else {
                let mut out = String::new();
                for webhook in &webhooks {
                    out.push_str(&webhook_section(viewer, api, webhook).await);
                }
                out
            }
        }
        Err(refused) if refused.status == StatusCode::NOT_FOUND => {
            "<p class=\"empty\">This sandbox serves no webhooks (<code>/api/v2/webhooks</code>): \
             nothing was delivered.</p>"
                .to_string()
        }
        Err(refused) if refused.status == StatusCode::FORBIDDEN => {
            "<p class=\"empty\">Only admins see webhooks, as on Zendesk.</p>".to_string()
        }
        Err(refused) => format!(
            "<p class=\"flash error\" role=\"alert\">{}</p>",
            escape(&refused.message)
        ),
    };
    let notice = notice
        .map(|(ok, text)| {
            format!(
                "<p class=\"flash {}\" role=\"status\">{}</p>",
                if ok { "ok" } else { "error" },
                escape(&text)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Webhooks</h1>\n{notice}<section id=\"webhooks\" data-region>{content}</section>"
    );
    html::page(
        viewer,
        Some(Section::Webhooks),
        "Webhooks",
        Some("webhooks"),
        &body,
    )
}

async fn webhook_section(viewer: &Viewer, api: &Api, webhook: &Value) -> String {
    let id = webhook["id"].as_str().unwrap_or_default();
    let invocations = api
        .get(&format!(
            "/api/v2/webhooks/{}/invocations?sort=-latest_completed_at&page%5Bsize%5D={INVOCATIONS}",
            encode(id)
        ))
        .await
        .map(|a| a["invocations"].as_array().cloned().unwrap_or_default())
        .unwrap_or_default();
    let mut rows = String::new();
    for invocation in invocations.iter().take(INVOCATIONS) {
        let invocation_id = invocation["id"].as_str().unwrap_or_default();
        let attempts = api
            .get(&format!(
                "/api/v2/webhooks/{}/invocations/{}/attempts",
                encode(id),
                encode(invocation_id)
            ))
            .await
            .map(|a| a["attempts"].as_array().cloned().unwrap_or_default())
            .unwrap_or_default();
        let attempts: String = attempts.iter().map(attempt).collect();
        rows.push_str(&format!(
            "<li class=\"invocation\"><div class=\"line\">{} <span class=\"badge\">{}</span> \
             {} <form method=\"post\" action=\"/console/webhooks/{}/invocations/{}/resend\" \
             class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">Resend</button></form></div>{attempts}</li>",
            time(&invocation["latest_completed_at"]),
            escape(&text_of(&invocation["status"])),
            escape(&text_of(&invocation["status_code"])),
            escape(&encode(id)),
            escape(&encode(invocation_id)),
            escape(&viewer.csrf),
        ));
    }
    if rows.is_empty() {
        rows = "<li class=\"empty\">No invocations in the last 7 days.</li>".to_string();
    }
    format!(
        "<article class=\"webhook\"><h2>{} <small>{} {} · {}</small></h2>\
         <ol class=\"invocations\">{rows}</ol></article>\n",
        escape(&text_of(&webhook["name"])),
        escape(&text_of(&webhook["http_method"])),
        escape(&text_of(&webhook["endpoint"])),
        escape(&text_of(&webhook["status"])),
    )
}

fn attempt(attempt: &Value) -> String {
    let part = |side: &Value| {
        let headers: Vec<String> = side["headers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|h| format!("{}: {}", text_of(&h["key"]), text_of(&h["value"])))
            .collect();
        let payload = match &side["payload"] {
            Value::String(text) => text.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        escape(&format!("{}\n\n{payload}", headers.join("\n")))
    };
    format!(
        "<details class=\"attempt\"><summary>Attempt {} · {} {}</summary>\
         <div class=\"exchange\"><div><h3>Request</h3><pre>{}</pre></div>\
         <div><h3>Response</h3><pre>{}</pre></div></div></details>",
        time(&attempt["completed_at"]),
        escape(&text_of(&attempt["status"])),
        escape(&text_of(&attempt["status_code"])),
        part(&attempt["request"]),
        part(&attempt["response"]),
    )
}

/// `POST /console/webhooks/{id}/invocations/{invocation}/resend`: the invocation's first
/// request sent again through `POST /api/v2/webhooks/test?webhook_id=`.
pub async fn resend(
    State(_): State<Console>,
    viewer: Viewer,
    Path((id, invocation)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(refused) = Form::parse(&body).check_csrf(&viewer.csrf) {
        return refused.into_response();
    }
    let api = &viewer.api;
    let webhook_path = format!("/api/v2/webhooks/{}", encode(&id));
    let attempts_path = format!(
        "/api/v2/webhooks/{}/invocations/{}/attempts",
        encode(&id),
        encode(&invocation)
    );
    let (webhook, attempts) = tokio::join!(api.get(&webhook_path), api.get(&attempts_path));
    let (webhook, attempts) = match (webhook, attempts) {
        (Ok(webhook), Ok(attempts)) => (webhook["webhook"].clone(), attempts),
        (Err(refused), _) | (_, Err(refused)) => {
            return render(&viewer, Some((false, refused.message))).await;
        }
    };
    let Some(first) = attempts["attempts"].as_array().and_then(|a| a.first()) else {
        return render(
            &viewer,
            Some((
                false,
                "This invocation has no attempt to send again.".into(),
            )),
        )
        .await;
    };
    let request = json!({"request": {
        "endpoint": webhook["endpoint"],
        "http_method": webhook["http_method"],
        "request_format": webhook["request_format"],
        "payload": first["request"]["payload"],
    }});
    let answer = api
        .call(
            Method::POST,
            &format!("/api/v2/webhooks/test?webhook_id={}", encode(&id)),
            Some(&request),
        )
        .await;
    let notice = if answer.status.is_success() {
        (
            true,
            format!(
                "Sent again: the endpoint answered {}.",
                text_of(&answer.body["response"]["status_code"])
            ),
        )
    } else {
        (false, answer.message())
    };
    render(&viewer, Some(notice)).await
}
