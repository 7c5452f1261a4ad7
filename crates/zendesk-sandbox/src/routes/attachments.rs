//! Uploads and attachments over HTTP: `POST /uploads?filename=` (the file's bytes as the body,
//! its type in `Content-Type`; `token=` adds it to an upload), `DELETE /uploads/{token}`,
//! `GET /attachments/{id}` (the record), and the file itself at its `content_url`,
//! `/attachments/token/{token}?name=`, for whoever may see it (`resources::attachments`).
//!
//! Attachments are stored with paths for their URLs; [`absolute`] and [`absolute_text`] put the
//! request's base URL in front wherever an attachment is served, inside comments and audits too.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::endpoint::Endpoint;
use super::http::{BaseUrl, PathId, Query};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::attachments;
use crate::state::AppState;
use crate::store::Table;

/// The URL keys of an attachment whose values are stored as paths.
const URL_KEYS: [&str; 3] = ["url", "content_url", "mapped_content_url"];

fn is_attachment_path(text: &str) -> bool {
    text.starts_with("/attachments/") || text.starts_with("/api/v2/attachments/")
}

/// Puts `base` in front of every attachment path in `value` (comments, audits, uploads).
pub fn absolute(value: &mut Value, base: &str) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match item {
                    Value::String(text)
                        if URL_KEYS.contains(&key.as_str()) && is_attachment_path(text) =>
                    {
                        *text = format!("{base}{text}");
                    }
                    other => absolute(other, base),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| absolute(item, base)),
        _ => {}
    }
}

/// [`absolute`] on a record's stored JSON text, without parsing it. A URL value starting with
/// an attachment path follows `":"` in the text; inside a JSON string those quotes would be
/// escaped, so no text a user wrote can match.
pub fn absolute_text<'a>(text: &'a str, base: &str) -> Cow<'a, str> {
    if !text.contains("\":\"/attachments/") && !text.contains("\":\"/api/v2/attachments/") {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.replace("\":\"/attachments/", &format!("\":\"{base}/attachments/"))
            .replace(
                "\":\"/api/v2/attachments/",
                &format!("\":\"{base}/api/v2/attachments/"),
            ),
    )
}

/// `POST /uploads?filename=report.pdf[&token=...]`: 201 `{"upload": {token, attachment,
/// attachments}}`.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Some(file_name) = params.get("filename").map(str::to_string) else {
        return Err(ApiError::bad_value(
            "filename is required: the name the file gets on the ticket, such as ?filename=screenshot.png",
        ));
    };
    let token = params.get("token").map(str::to_string);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut upload = state
        .store()
        .write(move |tx| {
            attachments::upload(
                tx,
                &caller,
                &file_name,
                content_type.as_deref(),
                &body,
                token.as_deref(),
            )
        })
        .await?;
    absolute(&mut upload, &base);
    Ok((StatusCode::CREATED, axum::Json(json!({ "upload": upload }))).into_response())
}

/// `DELETE /uploads/{token}`: 204; 404 when the caller has no pending upload with that token.
pub async fn delete_upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    state
        .store()
        .write(move |tx| attachments::delete_upload(tx, &caller, &token))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /attachments/{id}`.
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let stored = state
        .store()
        .read(move |reader| {
            let stored = crate::resources::fetch(reader, Table::Attachments, id)?;
            if !attachments::can_see(reader, &caller, &stored)? {
                return Err(ApiError::NotFound);
            }
            Ok(stored)
        })
        .await?;
    let mut attachment = attachments::public(&stored);
    absolute(&mut attachment, &base);
    Ok(axum::Json(json!({ "attachment": attachment })).into_response())
}

/// `GET /attachments/token/{token}?name=`: the file. Served as a download (images inline), never
/// interpreted as a page of the sandbox: whoever uploaded it chose its type. Sent a stored
/// slice at a time, each read when the connection takes it, so a reader holds one slice of the
/// file, not the whole.
pub async fn content(
    State(state): State<AppState>,
    caller: Caller,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let (stored, first) = state
        .store()
        .read(move |reader| {
            let Some(stored) = attachments::by_content_token(reader, &token)? else {
                return Err(ApiError::NotFound);
            };
            if !attachments::can_see(reader, &caller, &stored)? {
                return Err(ApiError::NotFound);
            }
            let id = stored["id"].as_i64().unwrap_or_default();
            let first = reader.attachment_slice(id, 0)?;
            Ok((stored, first))
        })
        .await?;
    let id = stored["id"].as_i64().unwrap_or_default();
    let store = state.store().clone();
    // The first slice read with the permission check (an error is still answered as one);
    // the rest as the client takes them. A slice that cannot be read cuts the body short.
    let slices = futures_util::stream::unfold(
        (first, 1_i64, store),
        move |(slice, seq, store)| async move {
            let bytes = slice?;
            let next = store
                .read(move |reader| reader.attachment_slice(id, seq))
                .await;
            let next = match next {
                Ok(next) => next,
                Err(error) => {
                    tracing::warn!(%error, attachment = id, "an attachment download was cut short");
                    None
                }
            };
            Some((
                Ok::<_, std::io::Error>(Bytes::from(bytes)),
                (next, seq + 1, store),
            ))
        },
    );
    let content_type = stored["content_type"]
        .as_str()
        .unwrap_or("application/octet-stream");
    let file_name = stored["file_name"].as_str().unwrap_or("file");
    let inline = content_type.starts_with("image/") && content_type != "image/svg+xml";
    let safe_name: String = file_name
        .chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .filter(char::is_ascii)
        .collect();
    let disposition = format!(
        "{}; filename=\"{safe_name}\"",
        if inline { "inline" } else { "attachment" }
    );
    let mut response = (StatusCode::OK, axum::body::Body::from_stream(slices)).into_response();
    let headers = response.headers_mut();
    if let Some(size) = stored["size"].as_u64() {
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    }
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    Ok(response)
}

/// This resource's endpoints and who may call each (`permissions::Who`). Anyone signed in uploads; a file is served to who may see the comment it is on (or its uploader, until attached).
pub fn endpoints() -> Vec<Endpoint> {
    use Who::{Agents, SignedIn};
    vec![
        Endpoint::post("/api/v2/uploads", SignedIn, upload),
        Endpoint::delete("/api/v2/uploads/{token}", SignedIn, delete_upload),
        Endpoint::get("/api/v2/attachments/{id}", Agents, show),
        Endpoint::get("/attachments/token/{token}", SignedIn, content),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_paths_get_the_base_and_user_text_does_not() {
        let stored = json!({"id": 1, "body": "see \":\"/attachments/x", "attachments": [
            {"url": "/api/v2/attachments/5.json", "content_url": "/attachments/token/t?name=a.png",
             "mapped_content_url": "/attachments/token/t?name=a.png", "file_name": "a.png"}]});
        let text = stored.to_string();
        let fixed = absolute_text(&text, "http://h:1");
        let mut value = stored.clone();
        absolute(&mut value, "http://h:1");
        assert_eq!(serde_json::from_str::<Value>(&fixed).unwrap(), value);
        assert_eq!(value["body"], stored["body"]);
        assert_eq!(
            value["attachments"][0]["content_url"],
            "http://h:1/attachments/token/t?name=a.png"
        );
        assert_eq!(
            value["attachments"][0]["url"],
            "http://h:1/api/v2/attachments/5.json"
        );
        assert!(matches!(
            absolute_text("{\"id\":1}", "http://h"),
            Cow::Borrowed(_)
        ));
    }
}
