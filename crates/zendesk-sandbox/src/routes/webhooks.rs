//! Webhooks over HTTP, as Zendesk's `/api/v2/webhooks` (admins only; node-zendesk calls the
//! paths without `.json`): the cursor list (`filter[name_contains]`, `filter[status]`, `sort`
//! by name or status), show, create (or clone with `?clone_webhook_id=`), `PUT` and `PATCH`
//! (204), delete, the signing secret's show and reset, `POST /webhooks/test` (one request sent
//! now, answered with what the endpoint said), and the invocation log: invocations
//! (`filter[status]`, `filter[from_ts]`, `filter[to_ts]`, `sort`) and each one's attempts. What
//! each write does is `resources::webhooks`; deliveries are `webhooks::worker`'s.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Map, Value, json};

use super::endpoint::Endpoint;
use super::http::{BaseUrl, JsonBody, Params, Query, object_under};
use super::paging::{ListTarget, MAX_PAGE_SIZE, cursor_envelope, json_text};
use super::resource::created_response;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::permissions::Who;
use crate::resources::webhooks as records;
use crate::state::AppState;
use crate::store::{Bind, Filter, KeyWindow, like_escape};
use crate::webhooks::definition::{SigningSecret, Webhook};
use crate::webhooks::delivery::{
    Invocation, SANDBOX_ACCOUNT_ID, TEST_SIGNING_SECRET, build_request,
};
use crate::webhooks::ids::new_ulid;
use crate::webhooks::retry::{AttemptOutcome, InvocationFilter, invocation_json};

/// `{"webhook": {...}}`.
fn one(webhook: Value) -> Response {
    axum::Json(json!({ "webhook": webhook })).into_response()
}

/// A list's cursor: base64 of `{"o": the order, "v": [sort key, id]}`, refused when it was made
/// for another order.
fn encode_cursor(order: &str, key: &Value, id: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(json!({"o": order, "v": [key, id]}).to_string())
}

fn decode_cursor(cursor: &str, order: &str, param: &str) -> Result<(Bind, String), ApiError> {
    let bad = || {
        ApiError::bad_param(format!(
            "{param} is not a cursor of this list: pass the after_cursor or before_cursor it returned"
        ))
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(cursor.trim())
        .map_err(|_| bad())?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if value["o"].as_str() != Some(order) {
        return Err(bad());
    }
    let id = value["v"][1].as_str().ok_or_else(bad)?.to_string();
    let key = match &value["v"][0] {
        Value::String(text) => Bind::Text(text.clone()),
        Value::Number(n) => Bind::Int(n.as_i64().ok_or_else(bad)?),
        _ => return Err(bad()),
    };
    Ok((key, id))
}

/// The page a webhooks API list asks for: `page[size]` (1 to 100, 100 by default) and
/// `page[after]` or `page[before]`. These lists page by cursor only.
fn window(params: &Params, order: &str) -> Result<KeyWindow, ApiError> {
    if params.has("page") || params.has("per_page") {
        return Err(ApiError::bad_param(
            "this list pages by cursor only: send page[size] (1 to 100) and page[after] or page[before] from its links",
        ));
    }
    let size = match params.get("page[size]") {
        None => MAX_PAGE_SIZE,
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_param(format!(
                    "page[size] must be an integer between 1 and {MAX_PAGE_SIZE}, got `{raw}`"
                )));
            }
        },
    };
    let (key, before) = match (params.get("page[before]"), params.get("page[after]")) {
        (Some(cursor), _) => (Some(decode_cursor(cursor, order, "page[before]")?), true),
        (None, Some(cursor)) => (Some(decode_cursor(cursor, order, "page[after]")?), false),
        (None, None) => (None, false),
    };
    Ok(KeyWindow { key, before, size })
}

/// One answered page: the items (JSON text, sort key, id) and whether more lie in the page's
/// direction.
fn page_answer(
    target: &ListTarget<'_>,
    order: &str,
    window: &KeyWindow,
    items: Vec<(String, Value, String)>,
    more: bool,
) -> Response {
    let cursor = |item: Option<&(String, Value, String)>| {
        item.map(|(_, key, id)| encode_cursor(order, key, id))
    };
    let before_cursor = cursor(items.first());
    let after_cursor = cursor(items.last());
    // As every cursor list answers: whether more lie in the page's direction.
    let has_more = more;
    let texts: Vec<String> = items.into_iter().map(|(text, _, _)| text).collect();
    json_text(cursor_envelope(
        target,
        &texts,
        has_more,
        before_cursor,
        after_cursor,
        window.size,
    ))
}

/// `GET /webhooks`.
pub async fn list(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let (column, descending, order) = match params.get("sort").map(str::trim) {
        None => ("id", false, "id"),
        Some("name") => ("name_lower", false, "name"),
        Some("-name") => ("name_lower", true, "-name"),
        Some("status") => ("status", false, "status"),
        Some("-status") => ("status", true, "-status"),
        Some(other) => {
            return Err(ApiError::bad_value(format!(
                "sort must be name, -name, status or -status; got `{other}`"
            )));
        }
    };
    let mut filters = Vec::new();
    if let Some(text) = params.get("filter[name_contains]") {
        let pattern = format!("%{}%", like_escape(&text.trim().to_lowercase()));
        filters.push(Filter::Like("name_lower", pattern));
    }
    match params.get("filter[status]").map(str::trim) {
        None => {}
        Some(status @ ("active" | "inactive")) => {
            filters.push(Filter::Eq("status", Bind::from(status)));
        }
        Some(other) => {
            return Err(ApiError::bad_value(format!(
                "filter[status] must be active or inactive; got `{other}`"
            )));
        }
    }
    let window = window(&params, order)?;
    let page_window = window.clone();
    let page = state
        .store()
        .read(move |reader| reader.webhooks_page(&filters, column, descending, &page_window))
        .await?;
    let mut items = Vec::with_capacity(page.rows.len());
    for row in &page.rows {
        let webhook = records::served(row)?;
        let key = match column {
            "name_lower" => json!(webhook["name"].as_str().unwrap_or_default().to_lowercase()),
            "status" => webhook["status"].clone(),
            _ => json!(row.id),
        };
        items.push((webhook.to_string(), key, row.id.clone()));
    }
    let target = ListTarget {
        base: &base,
        path: "webhooks",
        params: &params,
        key: "webhooks",
    };
    Ok(page_answer(&target, order, &window, items, page.more))
}

/// `GET /webhooks/{id}`.
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = state
        .store()
        .read(move |reader| records::row(reader, &id))
        .await?;
    Ok(one(records::served(&row)?))
}

/// `POST /webhooks` (`?clone_webhook_id=` clones, the body then optional).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let source = params.get("clone_webhook_id").map(str::to_string);
    let input = match (&source, body.get("webhook")) {
        (Some(_), None) => Map::new(),
        _ => object_under(&body, "webhook")?.clone(),
    };
    let webhook = state
        .store()
        .write(move |tx| match &source {
            Some(source) => records::clone(tx, &caller, source, &input),
            None => records::create(tx, &caller, &input),
        })
        .await?;
    let location = format!(
        "{base}/api/v2/webhooks/{}",
        webhook["id"].as_str().unwrap_or_default()
    );
    Ok(created_response(json!({ "webhook": webhook }), &location))
}

async fn change(
    state: AppState,
    caller: Caller,
    id: String,
    body: Value,
    merge_patch: bool,
) -> Result<Response, ApiError> {
    let input = object_under(&body, "webhook")?.clone();
    state
        .store()
        .write(move |tx| records::update(tx, &caller, &id, &input, merge_patch))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /webhooks/{id}`: each field sent replaces the stored one; 204.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    change(state, caller, id, body, false).await
}

/// `PATCH /webhooks/{id}`: a JSON merge patch; 204.
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    change(state, caller, id, body, true).await
}

/// `DELETE /webhooks/{id}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .store()
        .write(move |tx| records::delete(tx, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /webhooks/{id}/signing_secret`: the one answer that shows a secret, to an admin.
pub async fn signing_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let secret = state
        .store()
        .read(move |reader| records::signing_secret(reader, &id))
        .await?;
    Ok(axum::Json(secret.to_json()).into_response())
}

/// `POST /webhooks/{id}/signing_secret`: a new secret, answered 201.
pub async fn reset_signing_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let secret = state
        .store()
        .write(move |tx| records::reset_signing_secret(tx, &caller, &id))
        .await?;
    Ok((StatusCode::CREATED, axum::Json(secret.to_json())).into_response())
}

/// `GET /webhooks/{id}/invocations`: its deliveries of the last 7 days that were attempted,
/// newest first unless `sort=latest_completed_at`.
pub async fn invocations(
    State(state): State<AppState>,
    BaseUrl(base): BaseUrl,
    Path(id): Path<String>,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let filter = InvocationFilter::parse(
        params.get("filter[status]"),
        params.get("filter[from_ts]"),
        params.get("filter[to_ts]"),
        params.get("sort"),
    )
    .map_err(ApiError::bad_value)?;
    let order = if filter.newest_first {
        "-latest_completed_at"
    } else {
        "latest_completed_at"
    };
    let window = window(&params, order)?;
    let mut filters = Vec::new();
    if let Some(status) = filter.status {
        filters.push(Filter::Eq("status", Bind::from(status.as_str())));
    }
    if let Some(from) = filter.from_ts {
        filters.push(Filter::Gt("latest_completed_at", Bind::Int(from - 1)));
    }
    if let Some(to) = filter.to_ts {
        filters.push(Filter::Lt("latest_completed_at", Bind::Int(to + 1)));
    }
    let (descending, page_window, webhook) = (filter.newest_first, window.clone(), id.clone());
    let page = state
        .store()
        .read(move |reader| {
            records::row(reader, &webhook)?;
            Ok::<_, ApiError>(reader.invocations_page(
                &webhook,
                &filters,
                descending,
                &page_window,
            )?)
        })
        .await?;
    let mut items = Vec::with_capacity(page.rows.len());
    for row in &page.rows {
        let status = crate::webhooks::retry::InvocationStatus::parse(&row.status)
            .unwrap_or(crate::webhooks::retry::InvocationStatus::Failed);
        let code = row.status_code.and_then(|c| u16::try_from(c).ok());
        let item = invocation_json(&row.id, status, code, row.latest_completed_at);
        items.push((
            item.to_string(),
            json!(row.latest_completed_at),
            row.id.clone(),
        ));
    }
    let path = format!("webhooks/{id}/invocations");
    let target = ListTarget {
        base: &base,
        path: &path,
        params: &params,
        key: "invocations",
    };
    Ok(page_answer(&target, order, &window, items, page.more))
}

/// `GET /webhooks/{id}/invocations/{invocation_id}/attempts`: each try, oldest first.
pub async fn attempts(
    State(state): State<AppState>,
    Path((id, invocation)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let attempts = state
        .store()
        .read(move |reader| {
            records::row(reader, &id)?;
            reader
                .invocation_attempts(&id, &invocation)?
                .ok_or(ApiError::NotFound)
        })
        .await?;
    Ok(json_text(format!(
        "{{\"attempts\":[{}]}}",
        attempts.join(",")
    )))
}

/// What `POST /webhooks/test` may send inside `request`.
const TEST_FIELDS: &[&str] = &[
    "endpoint",
    "http_method",
    "request_format",
    "authentication",
    "custom_headers",
    "headers",
    "payload",
];

/// `POST /webhooks/test` with `{"request": {endpoint, http_method, request_format,
/// authentication, headers: [{key, value}], payload}}`, and `?test_webhook_id=` (or `?webhook_id=`) to send as that
/// webhook (its stored settings under what `request` changes, signed with its secret; a new
/// webhook's test is signed with Zendesk's documented test secret). The request goes now, where
/// the sandbox may send; nothing is queued or logged as an invocation.
pub async fn test(
    State(state): State<AppState>,
    Query(params): Query,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request = match body.get("request") {
        None | Some(Value::Null) => Map::new(),
        Some(_) => object_under(&body, "request")?.clone(),
    };
    let refuse = |field: &str, detail: String| {
        ApiError::BadInput(json!({"errors": [{
            "code": "InvalidInput", "title": "Invalid webhook test", "detail": detail,
            "source": {"pointer": format!("/request/{field}")},
        }]}))
    };
    if let Some(key) = request.keys().find(|k| !TEST_FIELDS.contains(&k.as_str())) {
        return Err(refuse(
            key,
            format!(
                "`{key}` is not a field of a webhook test; send {}",
                TEST_FIELDS.join(", ")
            ),
        ));
    }
    let mut fields = Map::new();
    for (key, value) in &request {
        match key.as_str() {
            "payload" => {}
            "headers" => {
                fields.insert(
                    "custom_headers".into(),
                    header_list(value).map_err(|d| refuse("headers", d))?,
                );
            }
            _ => {
                fields.insert(key.clone(), value.clone());
            }
        }
    }
    let payload = match request.get("payload") {
        None | Some(Value::Null) => "{}".to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    };
    // Zendesk names it `test_webhook_id` (zenpy sends that); node-zendesk sends `webhook_id`.
    let webhook_id = params
        .get("test_webhook_id")
        .or_else(|| params.get("webhook_id"))
        .map(str::to_string);
    let (webhook, secret, id) = match webhook_id {
        Some(id) => {
            let lookup = id.clone();
            let row = state
                .store()
                .read(move |reader| records::row(reader, &lookup))
                .await?;
            let stored = records::load(&row)?;
            let webhook = Webhook::parse_update(&stored, &fields)?;
            (webhook, SigningSecret::from_stored(row.signing_secret), id)
        }
        None => {
            fields.insert("name".into(), json!("Webhook test"));
            fields.insert(
                "subscriptions".into(),
                json!([crate::webhooks::events::CONDITIONAL_TICKET_EVENTS]),
            );
            let webhook = Webhook::parse_new(&fields)?;
            let secret = SigningSecret::from_stored(TEST_SIGNING_SECRET.to_string());
            (webhook, secret, new_ulid())
        }
    };
    let invocation_id = new_ulid();
    let sent_request = build_request(
        &webhook,
        &secret,
        &payload,
        &Invocation {
            account_id: SANDBOX_ACCOUNT_ID,
            webhook_id: &id,
            invocation_id: &invocation_id,
            signed_at: crate::util::now(),
        },
    );
    let sent = state.inner.deliveries.outbound().send(&sent_request).await;
    let (headers, payload, status_code) = match (&sent.outcome, sent.response) {
        (AttemptOutcome::Refused(why), _) => return Err(refuse("endpoint", why.clone())),
        (_, Some(response)) => (
            response.headers,
            response.payload,
            sent.outcome.status_code(),
        ),
        (AttemptOutcome::Timeout, None) => (
            Vec::new(),
            "The endpoint did not answer within 12 seconds".to_string(),
            Some(504),
        ),
        (AttemptOutcome::Unreachable(why), None) => (Vec::new(), why.clone(), None),
        (_, None) => (Vec::new(), String::new(), None),
    };
    let headers: Vec<Value> = headers
        .into_iter()
        .map(|(key, value)| json!({"key": key, "value": value}))
        .collect();
    Ok(axum::Json(json!({"response": {
        "headers": headers, "payload": payload, "status_code": status_code,
    }}))
    .into_response())
}

/// A test's `headers: [{"key", "value"}]` as a webhook's `custom_headers` object.
fn header_list(value: &Value) -> Result<Value, String> {
    let expected = || {
        format!(
            "headers must be a list such as [{{\"key\": \"X-Team\", \"value\": \"support\"}}]; got {value}"
        )
    };
    let items = value.as_array().ok_or_else(expected)?;
    let mut headers = Map::new();
    for item in items {
        match (item["key"].as_str(), item["value"].as_str()) {
            (Some(key), Some(header)) => {
                headers.insert(key.to_string(), json!(header));
            }
            _ => return Err(expected()),
        }
    }
    Ok(Value::Object(headers))
}

/// This resource's endpoints: admins only, as Zendesk's.
pub fn endpoints() -> Vec<Endpoint> {
    use Who::Admins;
    vec![
        Endpoint::get("/api/v2/webhooks", Admins, list),
        Endpoint::post("/api/v2/webhooks", Admins, create),
        Endpoint::post("/api/v2/webhooks/test", Admins, test),
        Endpoint::get("/api/v2/webhooks/{id}", Admins, show),
        Endpoint::put("/api/v2/webhooks/{id}", Admins, update),
        Endpoint::patch("/api/v2/webhooks/{id}", Admins, patch),
        Endpoint::delete("/api/v2/webhooks/{id}", Admins, delete),
        Endpoint::get(
            "/api/v2/webhooks/{id}/signing_secret",
            Admins,
            signing_secret,
        ),
        Endpoint::post(
            "/api/v2/webhooks/{id}/signing_secret",
            Admins,
            reset_signing_secret,
        ),
        Endpoint::get("/api/v2/webhooks/{id}/invocations", Admins, invocations),
        Endpoint::get(
            "/api/v2/webhooks/{id}/invocations/{invocation_id}/attempts",
            Admins,
            attempts,
        ),
    ]
}
