//! Sending a plan to Zendesk with the `zendesk` client, and turning the client's errors into
//! tool messages that keep Zendesk's own words and say what to do next. Clients are cached per
//! destination and identity, so a long-lived host (the MCP server) reuses its connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use secrecy::ExposeSecret;
use serde_json::{Value, json};

use futures_util::{Stream, StreamExt};
use zendesk::{Detached, Request};
use zendesk_types::JobStatusId;

use crate::connection::{Auth, Target};
use crate::error::ToolError;
use crate::plan::{PageShape, Plan};
use crate::tool::{CallContext, Progress};
use crate::tools::jobs::is_done;

/// A client for `target`, built once and reused.
fn client_for(target: &Target) -> Result<zendesk::Client, ToolError> {
    static CLIENTS: OnceLock<Mutex<HashMap<String, zendesk::Client>>> = OnceLock::new();
    let key = target.cache_key();
    let cache = CLIENTS.get_or_init(Default::default);
    if let Ok(clients) = cache.lock()
        && let Some(client) = clients.get(&key)
    {
        return Ok(client.clone());
    }
    let auth = match &target.auth {
        Auth::ApiToken { email, token } => {
            zendesk::Auth::api_token(email.clone(), token.expose_secret().to_owned())
        }
        Auth::OAuth(token) => zendesk::Auth::oauth(token.expose_secret().to_owned()),
        Auth::SignedIn { account } => {
            zendesk::Auth::oauth_source(crate::connection::signed_in_source(account)?)
        }
    };
    let client = zendesk::Client::builder()
        .base_url(target.base_url.clone())
        .auth(auth)
        .build()
        .map_err(|error| ToolError::invalid(error.to_string()))?;
    if let Ok(mut clients) = cache.lock() {
        clients.insert(key, client.clone());
    }
    Ok(client)
}

pub(crate) async fn execute(
    target: &Target,
    plan: Plan,
    ctx: &CallContext,
) -> Result<Value, ToolError> {
    run(&client_for(target)?, plan, ctx).await
}

async fn run(client: &zendesk::Client, plan: Plan, ctx: &CallContext) -> Result<Value, ToolError> {
    match plan {
        Plan::Send { request, shape } => {
            let body = send(client, request).await?;
            shape(body)
        }
        Plan::List { list, shape } => {
            let page = list.bind(client).send().await.map_err(zendesk_error)?;
            shape(page)
        }
        Plan::FollowJob { job_id, wait } => follow_job(client, &job_id, wait, ctx).await,
        Plan::SendThenFollow {
            request,
            shape,
            wait,
        } => {
            let started = shape(send(client, request).await?)?;
            follow_started_job(client, started, wait, ctx).await
        }
        Plan::Both {
            requests,
            missing,
            shape,
        } => {
            let [first, second] = *requests;
            let first = send(client, first)
                .await
                .map_err(|e| not_found(e, missing[0]))?;
            let second = send(client, second)
                .await
                .map_err(|e| not_found(e, missing[1]))?;
            shape(first, second)
        }
        Plan::Attachment {
            request,
            max_text,
            max_image,
        } => fetch_attachment(client, request, max_text, max_image).await,
        Plan::Upload { file, token } => upload_file(client, ctx, &file, token.as_deref()).await,
    }
}

/// Marks a "no such record" answer with the param whose record it was (`Tool::with_finder`
/// then names the tool that finds a valid one).
fn not_found(mut error: ToolError, param: &'static str) -> ToolError {
    let missing = error.output.get("status").and_then(Value::as_u64) == Some(404)
        && error.output.get("code").and_then(Value::as_str) != Some("InvalidEndpoint");
    if missing && let Value::Object(output) = &mut error.output {
        output.insert("not_found".into(), json!(param));
    }
    error
}

/// An attachment's record, then its file when a model can read it (text within `max_text`,
/// an image within `max_image`). A file that cannot be fetched still gives the record.
async fn fetch_attachment(
    client: &zendesk::Client,
    request: Request<Value, Detached>,
    max_text: usize,
    max_image: usize,
) -> Result<Value, ToolError> {
    use crate::tools::attachments::{Content, is_image, is_text, shaped, text_of};
    let body = send(client, request).await?;
    let record = body.get("attachment").cloned().ok_or_else(|| {
        ToolError::invalid(
            "Zendesk's answer had no `attachment`; check the subdomain or ZENDESK_BASE_URL",
        )
    })?;
    let kind = record["content_type"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let size = record["size"].as_u64().unwrap_or_default();
    let url = record["content_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let content = if is_text(&kind) {
        // A character is at most 4 bytes: this many bytes hold `max_text` characters.
        match client.download(&url, max_text.saturating_mul(4)).await {
            Ok(file) => {
                let (text, truncated) = text_of(&file.bytes, file.truncated, max_text);
                Content::Text { text, truncated }
            }
            Err(error) => Content::NotShown(format!("the file could not be fetched: {error}")),
        }
    } else if is_image(&kind) {
        if size as usize > max_image {
            Content::NotShown(format!(
                "an image of {size} bytes: too large to show (at most {max_image}); its url has it"
            ))
        } else {
            match client.download(&url, max_image).await {
                Ok(file) if !file.truncated => Content::Image {
                    mime_type: kind.clone(),
                    bytes: file.bytes.to_vec(),
                },
                Ok(_) => Content::NotShown(format!(
                    "the image is larger than {max_image} bytes: too large to show; its url has it"
                )),
                Err(error) => Content::NotShown(format!("the file could not be fetched: {error}")),
            }
        }
    } else {
        Content::NotShown(format!(
            "a {} file ({size} bytes) is not shown as text or image; its url has it",
            if kind.is_empty() { "binary" } else { &kind }
        ))
    };
    Ok(shaped(&record, content))
}

/// Uploads a file of the host's attachments directory (checked there when the call runs).
async fn upload_file(
    client: &zendesk::Client,
    ctx: &CallContext,
    file: &str,
    token: Option<&str>,
) -> Result<Value, ToolError> {
    let Some(dir) = &ctx.attachments_dir else {
        return Err(ToolError::invalid(
            "uploading is off: the operator has not given zd an attachments directory (zd mcp --attachments-dir DIR, or ZD_ATTACHMENTS_DIR); files can only be uploaded from there",
        ));
    };
    let (path, name) = crate::tools::attachments::file_in(dir, file)?;
    let bytes = crate::tools::attachments::read_checked(&path)?;
    let kind = zendesk_types::content_type_for(&name);
    let mut body = send(
        client,
        Detached
            .attachments()
            .upload(&name, kind, bytes, token)
            .raw(),
    )
    .await?;
    let upload = body.get_mut("upload").map(Value::take).ok_or_else(|| {
        ToolError::invalid(
            "Zendesk's answer had no `upload`; check the subdomain or ZENDESK_BASE_URL",
        )
    })?;
    let compact = |v: &Value| crate::tools::attachments::compact(v);
    Ok(json!({
        "token": upload["token"],
        "attachment": compact(&upload["attachment"]),
        "attachments": upload["attachments"].as_array().map(|files| files.iter().map(compact).collect::<Vec<_>>()).unwrap_or_default(),
    }))
}

/// Where a walk over a list's pages is.
enum Walk {
    Start(zendesk::Client, Plan, CallContext),
    Pages(zendesk::Pages<Value>, PageShape),
    Done,
}

/// Every page of a list plan, each shaped as the tool's output, walked by the client's pager
/// (which stops on `has_more: false` and refuses a cursor Zendesk sends twice, instead of
/// looping). Any other plan runs once. The stream ends after the first failure.
pub(crate) fn pages(
    target: &Target,
    plan: Plan,
    ctx: &CallContext,
) -> impl Stream<Item = Result<Value, ToolError>> + Send + use<> {
    let start = match client_for(target) {
        Ok(client) => Ok(Walk::Start(client, plan, ctx.clone())),
        Err(error) => Err(error),
    };
    let (first_error, walk) = match start {
        Ok(walk) => (None, walk),
        Err(error) => (Some(error), Walk::Done),
    };
    let walked = futures_util::stream::unfold(walk, |walk| async move {
        match walk {
            Walk::Done => None,
            Walk::Start(client, Plan::List { list, shape }, _) => {
                next_page(list.bind(&client).pages(), shape).await
            }
            Walk::Start(client, plan, ctx) => Some((run(&client, plan, &ctx).await, Walk::Done)),
            Walk::Pages(pages, shape) => next_page(pages, shape).await,
        }
    });
    futures_util::stream::iter(first_error.map(Err)).chain(walked)
}

async fn next_page(
    mut pages: zendesk::Pages<Value>,
    shape: PageShape,
) -> Option<(Result<Value, ToolError>, Walk)> {
    match pages.next_page().await {
        Ok(Some(page)) => Some((shape(page), Walk::Pages(pages, shape))),
        Ok(None) => None,
        Err(error) => Some((Err(zendesk_error(error)), Walk::Done)),
    }
}

/// Follows the job a bulk tool just started, the same way `zendesk_get_job_status` does, and
/// puts the followed status and `done` into the tool's own output (keeping its other keys,
/// such as merge's `target_ticket_id`).
async fn follow_started_job(
    client: &zendesk::Client,
    mut started: Value,
    wait: Duration,
    ctx: &CallContext,
) -> Result<Value, ToolError> {
    let Some(job_id) = started
        .get("job_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Err(ToolError::with_output(
            "Zendesk started the job but its answer had no job id to follow; the job may still run, check it later with zendesk_get_job_status",
            started,
        ));
    };
    // The job runs whatever happens to the follow, so a failed follow still names it.
    let mut followed = follow_job(client, &JobStatusId(job_id.clone()), Some(wait), ctx)
        .await
        .map_err(|mut error| {
            error.message.push_str(&format!(
                "; the job {job_id} was started: check it with zendesk_get_job_status"
            ));
            if let Value::Object(output) = &mut error.output {
                output.insert("job_id".into(), json!(job_id));
            }
            error
        })?;
    if let Value::Object(out) = &mut started {
        out.insert("job_status".into(), followed["job_status"].take());
        out.insert("done".into(), followed["done"].take());
    }
    Ok(started)
}

async fn send(
    client: &zendesk::Client,
    request: Request<Value, Detached>,
) -> Result<Value, ToolError> {
    request.send_with(client).await.map_err(zendesk_error)
}

/// Reads the job status once, or with a wait follows it with the client's job follower
/// (growing poll interval, rate limits honoured) until it ends or the wait is up, reporting
/// every status seen. Running out of time is not a failure: the last status comes back with
/// `done: false`.
async fn follow_job(
    client: &zendesk::Client,
    job_id: &JobStatusId,
    wait: Option<Duration>,
    ctx: &CallContext,
) -> Result<Value, ToolError> {
    let Some(wait) = wait else {
        let mut body = send(client, Detached.job_statuses().show(job_id).raw()).await?;
        let job_status = body
            .get_mut("job_status")
            .map(Value::take)
            .filter(|status| !status.is_null())
            .ok_or_else(|| {
                ToolError::invalid(
                    "Zendesk's answer had no `job_status`; check the subdomain or ZENDESK_BASE_URL",
                )
            })?;
        let done = job_status
            .get("status")
            .and_then(Value::as_str)
            .is_some_and(is_done);
        if let Some(report) = &ctx.progress {
            report(progress_of(&job_status, job_id.as_str()));
        }
        return Ok(job_output(job_status, job_id.as_str(), done));
    };
    let on_progress: Option<zendesk::JobProgressFn> = ctx.progress.clone().map(|report| {
        let job_id = job_id.as_str().to_owned();
        Arc::new(move |status: &zendesk_types::JobStatus| {
            if let Ok(value) = serde_json::to_value(status) {
                report(progress_of(&value, &job_id));
            }
        }) as zendesk::JobProgressFn
    });
    let options = zendesk::WaitOptions {
        timeout: wait,
        initial_interval: Duration::from_millis(200),
        max_interval: Duration::from_secs(2),
        on_progress,
    };
    let (status, done) = match client.job_statuses().wait(job_id, options).await {
        Ok(status) => (status, true),
        Err(zendesk::Error::JobTimeout { last, .. }) => (*last, false),
        Err(error) => return Err(zendesk_error(error)),
    };
    let job_status = serde_json::to_value(&status).map_err(|error| {
        ToolError::invalid(format!("cannot read the job status Zendesk sent: {error}"))
    })?;
    Ok(job_output(job_status, job_id.as_str(), done))
}

fn progress_of(job_status: &Value, job_id: &str) -> Progress {
    let status = job_status
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    Progress {
        progress: job_status
            .get("progress")
            .and_then(Value::as_f64)
            .unwrap_or(0.0),
        total: job_status.get("total").and_then(Value::as_f64),
        message: Some(format!("job {job_id}: {status}")),
    }
}

fn job_output(job_status: Value, job_id: &str, done: bool) -> Value {
    let id = job_status.get("id").cloned().unwrap_or(json!(job_id));
    json!({ "job_status": job_status, "job_id": id, "done": done })
}

/// The client's error, with Zendesk's words kept and a hint on what to do about it.
fn zendesk_error(error: zendesk::Error) -> ToolError {
    let status = error.status();
    // Zendesk answers 404 `InvalidEndpoint` for a path it does not serve at all: no ID to check.
    let unserved = status == Some(404) && error.code() == Some("InvalidEndpoint");
    let hint = match status {
        Some(404) if unserved => {
            "this Zendesk does not serve this endpoint (a feature of another plan, or a sandbox without it)"
        }
        Some(400) => "check the params named in Zendesk's message",
        Some(401) => {
            "check the credentials: email and apiToken (or ZENDESK_EMAIL/ZENDESK_API_TOKEN, or ZENDESK_OAUTH_TOKEN)"
        }
        Some(403) => {
            "the authenticated user is not allowed to do this; use an agent or admin account"
        }
        Some(404) => "no such record: check the ID (it may have been deleted)",
        Some(409) => "the record changed at the same time; try again",
        Some(422) => crate::hints::way_around(&error.to_string())
            .unwrap_or("fix the fields Zendesk names and try again"),
        Some(429) => "rate limited: wait and try again",
        Some(code) if code >= 500 => "Zendesk had a problem; try again later",
        _ => "",
    };
    let mut output = serde_json::Map::new();
    if let Some(status) = status {
        output.insert("status".into(), json!(status));
    }
    if let Some(code) = error.code() {
        output.insert("code".into(), json!(code));
    }
    if let Some(retry_after) = error.retry_after() {
        output.insert("retry_after".into(), json!(retry_after.as_secs()));
    }
    if let Some(api) = error.as_api()
        && let Some(details) = api.details()
    {
        output.insert("details".into(), details.clone());
    }
    // The client's message already carries Zendesk's text and the per-field details.
    let mut message = error.to_string();
    let hint = match &error {
        zendesk::Error::Connection { .. } => {
            "check the subdomain (or ZENDESK_BASE_URL) and the network"
        }
        zendesk::Error::Timeout { .. } => "Zendesk did not answer in time; try again",
        zendesk::Error::RateLimited { .. } => {
            "rate limited: wait for retry_after seconds and try again"
        }
        zendesk::Error::OAuth { .. } => "sign in again with `zd auth login`",
        _ => hint,
    };
    if !hint.is_empty() {
        message.push_str(" (");
        message.push_str(hint);
        message.push(')');
    }
    ToolError::with_output(message, Value::Object(output))
}
