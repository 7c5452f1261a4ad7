//! Uploads and attachments. `POST /uploads?filename=` stores a file (its bytes in the database)
//! under an upload token; more files join the same upload with `?token=`. A comment that names
//! the token in `uploads` takes every file of it (the token is then spent), and the files are
//! listed in the comment's `attachments`. Each file has its own secret `content_url`, served
//! to whoever may see it: agents see every file; an end-user sees the files they uploaded and
//! not yet attached, and the files of public comments on their own tickets.
//!
//! A stored attachment is the record Zendesk serves plus a private `upload` object (token,
//! uploader, where it went) that [`public`] drops. Its `url`, `content_url` and
//! `mapped_content_url` are stored as paths (`/attachments/token/...`): the base URL is put in
//! front when it is served (see `routes::attachments`), so a sandbox reached at another address
//! later still serves working links.

use serde_json::{Value, json};

use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions;
use crate::store::{Bind, Filter, Reader, Table, Writer};
use crate::util::{iso, now, random_token};

/// How many files one upload token may gather.
const MAX_FILES_PER_UPLOAD: i64 = 20;

fn check_file_name(file_name: &str) -> Result<String, ApiError> {
    let name = file_name.trim();
    let bad = name.is_empty()
        || name.len() > 255
        || name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| c == '/' || c == '\\' || c.is_control());
    if bad {
        return Err(ApiError::bad_value(format!(
            "filename must be a file name such as report.pdf (no path, at most 255 characters), got {:?}",
            name.chars().take(60).collect::<String>()
        )));
    }
    Ok(name.to_string())
}

/// The pending (not yet attached) files of an upload token.
fn pending(tx: &mut dyn Reader, token: &str) -> Result<Vec<Value>, ApiError> {
    Ok(tx.find(
        Table::Attachments,
        &[
            Filter::Eq("upload_token", Bind::Text(token.to_string())),
            Filter::Null("comment_id"),
        ],
        MAX_FILES_PER_UPLOAD + 1,
    )?)
}

/// The attachment as Zendesk serves it (paths still relative: see the module comment).
pub fn public(stored: &Value) -> Value {
    let mut record = stored.clone();
    if let Value::Object(map) = &mut record {
        map.remove("upload");
    }
    record
}

/// `POST /uploads`: stores one file and answers the upload (its token and every file in it).
/// `token` adds the file to an upload the caller started and has not attached yet.
pub fn upload(
    tx: &mut dyn Writer,
    caller: &Caller,
    file_name: &str,
    content_type: Option<&str>,
    content: &[u8],
    token: Option<&str>,
) -> Result<Value, ApiError> {
    let file_name = check_file_name(file_name)?;
    if content.is_empty() {
        return Err(ApiError::invalid(
            "file",
            "File: the upload is empty; send the file's bytes as the request body",
            "BlankValue",
        ));
    }
    let token = match token.map(str::trim).filter(|t| !t.is_empty()) {
        Some(token) => {
            let files = pending(tx, token)?;
            let mine = files
                .first()
                .is_some_and(|f| f["upload"]["uploader_id"].as_i64() == Some(caller.id));
            if !mine {
                return Err(ApiError::invalid(
                    "token",
                    "Token: not a pending upload of yours (unknown, already attached to a comment, or deleted); leave it out to start a new upload",
                    "InvalidValue",
                ));
            }
            if files.len() as i64 >= MAX_FILES_PER_UPLOAD {
                return Err(ApiError::invalid(
                    "token",
                    format!("Token: an upload holds at most {MAX_FILES_PER_UPLOAD} files"),
                    "TooManyValues",
                ));
            }
            token.to_string()
        }
        None => random_token(),
    };
    let content_type = content_type
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or(ct)
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|ct| {
            !ct.is_empty()
                && ct.contains('/')
                && ct != "application/binary"
                && ct != "application/octet-stream"
                && ct != "application/x-www-form-urlencoded"
        })
        .unwrap_or_else(|| zendesk_types::content_type_for(&file_name).to_string());
    let ts = now();
    let at = iso(ts);
    let id = tx.allocate_id(Table::Attachments)?;
    let content_token = random_token();
    let encoded: String = form_urlencoded::byte_serialize(file_name.as_bytes()).collect();
    let content_url = format!("/attachments/token/{content_token}?name={encoded}");
    let record = json!({
        "id": id, "url": format!("/api/v2/attachments/{id}.json"), "file_name": file_name,
        "content_url": content_url, "mapped_content_url": content_url,
        "content_type": content_type, "size": content.len(), "width": null, "height": null,
        "inline": false, "deleted": false, "malware_access_override": false,
        "malware_scan_result": "malware_not_found", "thumbnails": [],
        "created_at": at, "updated_at": at,
        "upload": {"token": token, "content_token": content_token, "uploader_id": caller.id,
                   "ticket_id": null, "comment_id": null, "public": null}
    });
    tx.save(Table::Attachments, &record)?;
    tx.set_attachment_content(id, content)?;
    let files: Vec<Value> = pending(tx, &token)?.iter().map(public).collect();
    Ok(json!({
        "token": token, "expires_at": iso(ts + 3 * 86_400),
        "attachments": files, "attachment": public(&record)
    }))
}

/// `DELETE /uploads/{token}`: removes the caller's pending upload; 404 when there is none.
pub fn delete_upload(tx: &mut dyn Writer, caller: &Caller, token: &str) -> Result<(), ApiError> {
    let files = pending(tx, token)?;
    let owned: Vec<&Value> = files
        .iter()
        .filter(|f| f["upload"]["uploader_id"].as_i64() == Some(caller.id) || caller.is_agent())
        .collect();
    if owned.is_empty() {
        return Err(ApiError::NotFound);
    }
    for file in owned {
        if let Some(id) = file["id"].as_i64() {
            tx.delete_row(Table::Attachments, id)?;
        }
    }
    Ok(())
}

/// The upload tokens a comment names in `uploads` (an array of tokens, or one token).
pub fn tokens_of(value: Option<&Value>) -> Result<Vec<String>, ApiError> {
    let bad = |value: &Value| {
        ApiError::invalid(
            "uploads",
            format!(
                "Uploads: must be an array of upload tokens from POST /api/v2/uploads, such as [\"abc123\"], got {value}"
            ),
            "InvalidValue",
        )
    };
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(token)) if !token.trim().is_empty() => Ok(vec![token.trim().into()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(token) if !token.trim().is_empty() => Ok(token.trim().to_string()),
                other => Err(bad(other)),
            })
            .collect(),
        Some(other) => Err(bad(other)),
    }
}

/// Gives the files of `tokens` to a comment: each token must be a pending upload (an unknown or
/// spent one is refused, naming it). Returns the files as the comment lists them.
pub fn take_uploads(
    tx: &mut dyn Writer,
    tokens: &[String],
    ticket_id: i64,
    comment_id: i64,
    public_comment: bool,
) -> Result<Vec<Value>, ApiError> {
    let mut taken = Vec::new();
    for token in tokens {
        let files = pending(tx, token)?;
        if files.is_empty() {
            let shown: String = token.chars().take(60).collect();
            return Err(ApiError::invalid(
                "uploads",
                format!(
                    "Uploads: `{shown}` is not a pending upload (unknown, already attached to a comment, or deleted); upload the file again with POST /api/v2/uploads"
                ),
                "InvalidValue",
            ));
        }
        for mut file in files {
            file["upload"]["ticket_id"] = json!(ticket_id);
            file["upload"]["comment_id"] = json!(comment_id);
            file["upload"]["public"] = json!(public_comment);
            tx.save(Table::Attachments, &file)?;
            taken.push(public(&file));
        }
    }
    Ok(taken)
}

/// Whether `caller` may see this stored attachment (and fetch its content).
pub fn can_see(tx: &mut dyn Reader, caller: &Caller, stored: &Value) -> Result<bool, ApiError> {
    if caller.is_agent() {
        return Ok(true);
    }
    let upload = &stored["upload"];
    let Some(ticket_id) = upload["ticket_id"].as_i64() else {
        // Not attached yet: only its uploader sees it.
        return Ok(upload["uploader_id"].as_i64() == Some(caller.id));
    };
    if upload["public"] != true {
        return Ok(false);
    }
    Ok(tx
        .record(Table::Tickets, ticket_id)?
        .is_some_and(|ticket| permissions::can_read(caller, Table::Tickets, &ticket)))
}

/// The stored attachment whose `content_url` carries `content_token`.
pub fn by_content_token(
    tx: &mut dyn Reader,
    content_token: &str,
) -> Result<Option<Value>, ApiError> {
    Ok(tx
        .find(
            Table::Attachments,
            &[Filter::Eq(
                "content_token",
                Bind::Text(content_token.to_string()),
            )],
            1,
        )?
        .into_iter()
        .next())
}
