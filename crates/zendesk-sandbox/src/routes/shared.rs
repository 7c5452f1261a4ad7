//! What the resource handlers share: how a stored record is served (its envelope keys and the
//! absolute `url` Zendesk adds), the show / show_many / created answers, paged lists of records,
//! and the bulk endpoints (`create_many`, `update_many`, `destroy_many`: at most 100 items, a
//! non-empty `ids` list, answered with the queued job's status).
//!
//! Lists serve each record's stored JSON text with its `url` spliced in, without parsing it:
//! the record is stored as serde_json wrote it (`{"id":N,...}`, no `url`), so splicing gives the
//! same bytes as parse + render + serialize. Any other shape takes that slower road.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use zendesk_types::limits::MAX_BULK_ITEMS;

use super::http::{BaseUrl, JsonBody, Params, Query, array_under, object_under, with_url};
use super::paging::{self, PageRequest, Sort};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::jobs::JobKind;
use crate::rules::input::as_id;
use crate::store::{Bind, Filter, Store, Table};

/// A kind of record served from its own table (tickets, users, organizations...).
pub trait Resource {
    const TABLE: Table;
    /// The envelope key of one record (`ticket`).
    const ONE: &'static str;
    /// The envelope key of a list (`tickets`), also the path its records' urls live under.
    const MANY: &'static str;
    /// Zendesk puts `id` before `url` for users; every other record starts with `url`.
    const ID_FIRST: bool = false;

    /// `{base}/api/v2/tickets/{id}.json`.
    fn url(base: &str, id: i64) -> String {
        format!("{base}/api/v2/{}/{id}.json", Self::MANY)
    }

    /// A record as served: its absolute `url` added in Zendesk's key order.
    fn render(record: Value, base: &str) -> Value {
        let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
        if !Self::ID_FIRST {
            return with_url(record, base, &format!("{}/{id}", Self::MANY));
        }
        let mut out = Map::new();
        out.insert("id".into(), json!(id));
        out.insert("url".into(), json!(Self::url(base, id)));
        if let Value::Object(map) = record {
            for (k, v) in map {
                if k != "id" && k != "url" {
                    out.insert(k, v);
                }
            }
        }
        Value::Object(out)
    }

    /// A stored record's JSON text as served: what `render` then serializing would give.
    fn serve_stored(stored: &str, base: &str) -> Result<String, ApiError> {
        if let Some((id, rest)) = split_leading_id(stored)
            && !stored.contains("\"url\":")
        {
            let url = Value::String(Self::url(base, id)).to_string();
            return Ok(if Self::ID_FIRST {
                format!("{{\"id\":{id},\"url\":{url},{rest}")
            } else {
                format!("{{\"url\":{url},\"id\":{id},{rest}")
            });
        }
        let record = crate::store::parse_stored(stored)?;
        Ok(Self::render(record, base).to_string())
    }

    /// `200 {"ticket": {...}}` from the record's stored text, without parsing it.
    fn one_stored(stored: &str, base: &str) -> Result<Response, ApiError> {
        let record = Self::serve_stored(stored, base)?;
        let key = Value::String(Self::ONE.to_string());
        Ok(paging::json_text(format!("{{{key}:{record}}}")))
    }

    /// `200 {"ticket": {...}}`.
    fn one(record: Value, base: &str) -> Response {
        axum::Json(json!({ Self::ONE: Self::render(record, base) })).into_response()
    }

    /// `201 {"ticket": {...}}` with the record's url as `Location`.
    fn created(record: Value, base: &str) -> Response {
        let record = Self::render(record, base);
        let location = record["url"].as_str().unwrap_or_default().to_string();
        created_response(json!({ Self::ONE: record }), &location)
    }

    /// `{"tickets": [...], next_page: null, previous_page: null, count}`, by id.
    fn show_many(mut records: Vec<Value>, base: &str) -> Response {
        records.sort_by_key(|r| r["id"].as_i64());
        let count = records.len();
        let records: Vec<Value> = records.into_iter().map(|r| Self::render(r, base)).collect();
        axum::Json(json!({
            Self::MANY: records, "next_page": null, "previous_page": null, "count": count
        }))
        .into_response()
    }
}

/// `{"id":N,` at the start of a stored record: N and what follows the comma. None for any
/// other shape (the caller then parses the record).
fn split_leading_id(stored: &str) -> Option<(i64, &str)> {
    let rest = stored.strip_prefix("{\"id\":")?;
    let end = rest.find(',')?;
    let digits = &rest[..end];
    let id: i64 = digits.parse().ok()?;
    // Only serde_json's own spelling of the number splices to the same bytes.
    (id.to_string() == digits).then(|| (id, &rest[end + 1..]))
}

/// `GET /{resources}/{id}` for `viewer`: an agent gets the stored text with its url spliced in
/// (no parse); an end-user the record as `permissions::view` shows it, when it is theirs to
/// read (`Forbidden` says how a refusal is answered: 404 for tickets, 403 for users).
pub async fn show_one<R: Resource>(
    store: &Store,
    viewer: &Viewer,
    id: i64,
    base: &str,
    refused: fn() -> ApiError,
) -> Result<Response, ApiError> {
    if viewer.sees_everything() {
        let table = R::TABLE;
        let stored = store
            .peek(move |reader| reader.record_text(table, id))
            .await?
            .ok_or(ApiError::NotFound)?;
        return R::one_stored(&stored, base);
    }
    // A record the caller may not read answers like one that does not exist, and the other
    // way round: nothing is learned from the difference.
    let record = match fetch(store, R::TABLE, id).await {
        Ok(record) if crate::permissions::can_read(&viewer.caller, R::TABLE, &record) => record,
        Ok(_) | Err(ApiError::NotFound) => return Err(refused()),
        Err(error) => return Err(error),
    };
    Ok(R::one(viewer.view(R::TABLE, record), base))
}

/// One live record, or 404.
pub async fn fetch(store: &Store, table: Table, id: i64) -> Result<Value, ApiError> {
    store
        .peek(move |reader| crate::rules::fetch(reader, table, id))
        .await
}

/// `201` with `body` and a `Location` header.
pub fn created_response(body: Value, location: &str) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// `?external_id=` on a list: external ids are stored and compared lowercased.
pub fn external_id_filter(external: &str) -> Filter {
    Filter::Eq("external_id", Bind::Text(external.to_lowercase()))
}

/// What a caller is shown of the records they may read (`permissions::view`): agents see
/// records whole; end-users without agents' annotations and internal custom fields.
#[derive(Clone)]
pub struct Viewer {
    caller: Caller,
    /// Custom ticket fields visible in the help center (loaded for end-users only).
    portal_fields: Vec<i64>,
}

impl Viewer {
    pub async fn of(store: &Store, caller: &Caller) -> Result<Viewer, ApiError> {
        let portal_fields = if caller.is_agent() {
            Vec::new()
        } else {
            store
                .read(|reader| {
                    let fields = reader.find(
                        Table::TicketFields,
                        &[Filter::Live(Table::TicketFields)],
                        10_000,
                    )?;
                    Ok::<_, ApiError>(
                        fields
                            .iter()
                            .filter(|f| f["visible_in_portal"] == true)
                            .filter_map(|f| f["id"].as_i64())
                            .collect(),
                    )
                })
                .await?
        };
        Ok(Viewer {
            caller: caller.clone(),
            portal_fields,
        })
    }

    /// Whether records are shown as stored (the fast path of lists).
    pub fn sees_everything(&self) -> bool {
        self.caller.is_agent()
    }

    pub fn view(&self, table: Table, record: Value) -> Value {
        crate::permissions::view(&self.caller, table, record, &self.portal_fields)
    }
}

/// A side-load (`?include=users`): records of another resource that listed records refer to,
/// answered beside them under `name`.
#[derive(Clone, Copy)]
pub struct SideLoad {
    /// The `include` value and the answer's key (`users`).
    pub name: &'static str,
    pub table: Table,
    /// The ids a record refers to.
    pub ids: fn(&Value) -> Vec<i64>,
    /// How a side-loaded record is served (its `url` added).
    pub render: fn(Value, &str) -> Value,
}

/// The side-loads `?include=a,b` asks for among those an endpoint offers; others are ignored,
/// as Zendesk ignores them.
pub fn requested_side_loads(params: &Params, offered: &[SideLoad]) -> Vec<SideLoad> {
    let wanted: Vec<String> = params
        .all("include")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_lowercase())
        .collect();
    offered
        .iter()
        .filter(|load| wanted.iter().any(|w| w == load.name))
        .copied()
        .collect()
}

/// The side-loaded lists for `records`, each record once, in id order.
pub async fn side_load(
    store: &Store,
    viewer: &Viewer,
    loads: &[SideLoad],
    records: &[Value],
    base: &str,
) -> Result<Vec<(String, Value)>, ApiError> {
    let mut wanted: Vec<(SideLoad, Vec<i64>)> = Vec::new();
    for load in loads {
        let mut ids: Vec<i64> = records.iter().flat_map(|r| (load.ids)(r)).collect();
        ids.sort_unstable();
        ids.dedup();
        wanted.push((*load, ids));
    }
    let asked: Vec<(Table, Vec<i64>)> = wanted
        .iter()
        .map(|(l, ids)| (l.table, ids.clone()))
        .collect();
    let found = store
        .read(move |reader| {
            asked
                .iter()
                .map(|(table, ids)| reader.records(*table, ids))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(wanted
        .into_iter()
        .zip(found)
        .map(|((load, _), records)| {
            let rendered = records
                .into_iter()
                .map(|r| (load.render)(viewer.view(load.table, r), base))
                .collect();
            (load.name.to_string(), Value::Array(rendered))
        })
        .collect())
}

/// What a list of records asks for: one page, by id unless `sorted`, under filters.
pub struct Listing<'a> {
    base: &'a str,
    params: &'a Params,
    request: PageRequest,
    filters: Vec<Filter>,
    sort: Sort,
    side_loads: Vec<SideLoad>,
    viewer: Option<&'a Viewer>,
}

impl<'a> Listing<'a> {
    pub fn new(
        base: &'a str,
        params: &'a Params,
        request: PageRequest,
        filters: Vec<Filter>,
    ) -> Listing<'a> {
        Listing {
            base,
            params,
            request,
            filters,
            sort: Sort::by_id(),
            side_loads: Vec::new(),
            viewer: None,
        }
    }

    /// Serves each record as `viewer` may see it (see `Viewer`).
    pub fn viewed_by(self, viewer: &'a Viewer) -> Listing<'a> {
        Listing {
            viewer: Some(viewer),
            ..self
        }
    }

    pub fn sorted(self, sort: Sort) -> Listing<'a> {
        Listing { sort, ..self }
    }

    /// Answers the side-loads the request asks for among `offered`.
    pub fn side_loading(self, offered: &[SideLoad]) -> Listing<'a> {
        let side_loads = requested_side_loads(self.params, offered);
        Listing { side_loads, ..self }
    }

    /// One page of `R`'s records at its own path (`/tickets`).
    pub async fn serve<R: Resource>(self, store: &Store) -> Result<Response, ApiError> {
        self.serve_at::<R>(store, R::MANY).await
    }

    /// One page of `R`'s live records at `path` (`users/search`), for `links` and `next_page`.
    pub async fn serve_at<R: Resource>(
        mut self,
        store: &Store,
        path: &str,
    ) -> Result<Response, ApiError> {
        self.filters.insert(0, Filter::Live(R::TABLE));
        let base = self.base.to_string();
        let serve: paging::Serve = match self.viewer.filter(|v| !v.sees_everything()) {
            None => Box::new(move |stored| R::serve_stored(stored, &base)),
            Some(viewer) => {
                let viewer = viewer.clone();
                Box::new(move |stored| {
                    let record = crate::store::parse_stored(stored)?;
                    Ok(R::render(viewer.view(R::TABLE, record), &base).to_string())
                })
            }
        };
        self.serve_rows(store, R::TABLE, path, R::MANY, serve).await
    }

    /// One page of `table` under `key` at `path`, streamed; `serve` turns each stored
    /// record's JSON text into the JSON text served.
    pub async fn serve_rows(
        self,
        store: &Store,
        table: Table,
        path: &str,
        key: &str,
        serve: paging::Serve,
    ) -> Result<Response, ApiError> {
        paging::stream_list(
            store,
            paging::StreamedList {
                table,
                filters: self.filters,
                sort: self.sort,
                request: self.request,
                base: self.base.to_string(),
                path: path.to_string(),
                params: self.params.clone(),
                key: key.to_string(),
                serve,
                side_loads: self.side_loads,
                viewer: self.viewer.cloned(),
            },
        )
        .await
    }
}

/// A resource with bulk endpoints, each run as a background job.
pub trait Bulk: Resource {
    const CREATE: JobKind;
    const UPDATE: JobKind;
    const DESTROY: JobKind;

    /// Refuses items a job must not hold (its payload is stored until it runs).
    fn check_items(_items: &[Value]) -> Result<(), ApiError> {
        Ok(())
    }

    /// The answer to more than 100 items in `create_many`.
    fn too_many_to_create() -> ApiError {
        ApiError::too_many_values()
    }
}

/// Queues `kind` and answers `{"job_status": {...}}`.
pub async fn job_answer(
    state: &AppState,
    caller: &Caller,
    base: &str,
    kind: JobKind,
    payload: Value,
    total: usize,
) -> Result<Response, ApiError> {
    let job = state
        .inner
        .jobs
        .enqueue(&state.inner.store, kind, payload, total, base, caller)
        .await?;
    Ok(axum::Json(json!({ "job_status": job })).into_response())
}

/// The `ids` of a bulk call: required and non-empty (`what` names them: "tickets to delete").
pub fn required_ids(params: &Params, what: &str) -> Result<Vec<i64>, ApiError> {
    let ids = params.ids("ids")?.unwrap_or_default();
    if ids.is_empty() {
        return Err(ApiError::bad_value(format!(
            "ids must list the {what}, such as ids=1,2"
        )));
    }
    Ok(ids)
}

/// Queues a job over the `{"tickets": [...]}` items of `body` (at most 100).
pub async fn queue_items<R: Bulk>(
    state: &AppState,
    caller: &Caller,
    base: &str,
    body: &Value,
    kind: JobKind,
    too_many: fn() -> ApiError,
) -> Result<Response, ApiError> {
    let items = array_under(body, R::MANY)?;
    if items.len() > MAX_BULK_ITEMS {
        return Err(too_many());
    }
    R::check_items(items)?;
    let key = R::MANY;
    job_answer(
        state,
        caller,
        base,
        kind,
        json!({ key: items }),
        items.len(),
    )
    .await
}

/// `POST /tickets/create_many` (and users, organizations).
pub async fn create_many<R: Bulk>(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    queue_items::<R>(
        &state,
        &caller,
        &base,
        &body,
        R::CREATE,
        R::too_many_to_create,
    )
    .await
}

/// `PUT /tickets/update_many`, in either form of [`bulk_update_payload`].
pub async fn update_many<R: Bulk>(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let (payload, total) = bulk_update_payload(&params, &body, R::ONE, R::MANY)?;
    R::check_items(
        payload[R::MANY]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default(),
    )?;
    job_answer(&state, &caller, &base, R::UPDATE, payload, total).await
}

/// `DELETE /tickets/destroy_many?ids=1,2`.
pub async fn destroy_many<R: Bulk>(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    Query(params): Query,
) -> Result<Response, ApiError> {
    let ids = required_ids(&params, &format!("{} to delete", R::MANY))?;
    let total = ids.len();
    job_answer(
        &state,
        &caller,
        &base,
        R::DESTROY,
        json!({ "ids": ids }),
        total,
    )
    .await
}

/// `?ids=1,2` + `{"ticket": {...}}` (one change for all) or `{"tickets": [{"id": 1, ...}]}`.
pub fn bulk_update_payload(
    params: &Params,
    body: &Value,
    one: &str,
    many: &str,
) -> Result<(Value, usize), ApiError> {
    if let Some(ids) = params.ids("ids")? {
        if ids.is_empty() {
            return Err(ApiError::bad_value(
                "ids must list at least one id, such as ids=1,2",
            ));
        }
        let change = object_under(body, one)?;
        let items: Vec<Value> = ids
            .iter()
            .map(|id| {
                let mut item = change.clone();
                item.insert("id".into(), json!(id));
                Value::Object(item)
            })
            .collect();
        let total = items.len();
        return Ok((json!({ many: items }), total));
    }
    let items = array_under(body, many).map_err(|_| {
        ApiError::bad_value(format!(
            "give either ?ids=1,2 with {{\"{one}\": {{...}}}} or {{\"{many}\": [{{\"id\": 1, ...}}]}}"
        ))
    })?;
    if items.len() > MAX_BULK_ITEMS {
        return Err(ApiError::too_many_values());
    }
    for (index, item) in items.iter().enumerate() {
        if item.get("id").and_then(as_id).is_none() {
            return Err(ApiError::bad_value(format!(
                "{many}[{index}] needs a numeric `id`, such as {{\"id\": 123, ...}}"
            )));
        }
    }
    Ok((json!({ many: items }), items.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tickets;
    impl Resource for Tickets {
        const TABLE: Table = Table::Tickets;
        const ONE: &'static str = "ticket";
        const MANY: &'static str = "tickets";
    }

    struct Users;
    impl Resource for Users {
        const TABLE: Table = Table::Users;
        const ONE: &'static str = "user";
        const MANY: &'static str = "users";
        const ID_FIRST: bool = true;
    }

    fn slow<R: Resource>(stored: &Value, base: &str) -> String {
        R::render(stored.clone(), base).to_string()
    }

    /// Splicing gives the bytes parse + render + serialize gives, for both url placements.
    #[test]
    fn spliced_record_matches_rendered_record() {
        let base = "http://127.0.0.1:8080";
        let record = json!({"id": 42, "subject": "Toner \"low\" — é\n", "tags": ["a"],
            "via": {"channel": "api", "source": {"rel": null}}, "score": 1.5});
        let stored = record.to_string();
        assert!(
            split_leading_id(&stored).is_some(),
            "the fast path is taken"
        );
        assert_eq!(
            Tickets::serve_stored(&stored, base).unwrap(),
            slow::<Tickets>(&record, base)
        );
        assert_eq!(
            Users::serve_stored(&stored, base).unwrap(),
            slow::<Users>(&record, base)
        );
    }

    /// Records of another shape (a stored `url`, no leading id, odd ids) take the slow road
    /// and still come out the same.
    #[test]
    fn unusual_records_are_rendered_the_slow_way() {
        let base = "http://h";
        for record in [
            json!({"id": 7, "url": "http://old/x.json", "name": "n"}),
            json!({"name": "no id first", "id": 9}),
            json!({"id": 3}),
            json!({}),
            json!({"id": -4, "name": "negative"}),
        ] {
            let stored = record.to_string();
            assert_eq!(
                Tickets::serve_stored(&stored, base).unwrap(),
                slow::<Tickets>(&record, base),
                "{stored}"
            );
            assert_eq!(
                Users::serve_stored(&stored, base).unwrap(),
                slow::<Users>(&record, base),
                "{stored}"
            );
        }
        assert_eq!(split_leading_id("{\"id\":007,\"a\":1}"), None);
    }

    /// A required field: kept when given, refused blank, refused missing only on create.
    #[test]
    fn required_text_names_the_field() {
        let input = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(
            crate::rules::required_text(&input(json!({"name": " Tier 2 "})), "name", true).unwrap(),
            Some(" Tier 2 ".to_string())
        );
        assert_eq!(
            crate::rules::required_text(&input(json!({})), "name", false).unwrap(),
            None
        );
        for (body, creating) in [
            (json!({}), true),
            (json!({"name": "  "}), false),
            (json!({"name": null}), false),
        ] {
            let error = crate::rules::required_text(&input(body), "name", creating).unwrap_err();
            assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(
                error.body()["details"],
                json!({"name": [{"description": "Name: cannot be blank", "error": "BlankValue"}]})
            );
        }
    }
}
