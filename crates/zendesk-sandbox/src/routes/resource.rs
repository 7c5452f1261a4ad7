//! A kind of record served from its own table, described once: its table, its envelope keys,
//! how one record is served (the absolute `url` Zendesk adds, spliced into the stored text
//! without parsing it when it can be), and what its show, create, update and delete do (its
//! rules). One handler of each serves every resource that has the plain form; the special
//! ones sit beside their resource.
//!
//! Lists serve each record's stored JSON text with its `url` spliced in: the record is stored
//! as serde_json wrote it (`{"id":N,...}`, no `url`), so splicing gives the same bytes as parse
//! + render + serialize. Any other shape takes that slower road.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::audience::Audience;
use super::http::{BaseUrl, JsonBody, PathId, object_under, with_url};
use super::paging;
use super::stream::Out;
use crate::auth::MaybeCaller;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::resources;
use crate::state::AppState;
use crate::store::{Reader, Store, Table, Writer};

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
        // Built by hand: a page of records makes one per record, and `format!` cost ten times
        // as much (1,700 instructions a url).
        let mut digits = itoa::Buffer::new();
        let id = digits.format(id);
        let mut url = String::with_capacity(base.len() + Self::MANY.len() + id.len() + 14);
        for piece in [base, "/api/v2/", Self::MANY, "/", id, ".json"] {
            url.push_str(piece);
        }
        url
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
        let mut served = String::with_capacity(stored.len() + base.len() + 48);
        Self::write_stored(stored, base, &mut served)?;
        Ok(served)
    }

    /// Writes a stored record's JSON text as served, in pieces: a page of records is written
    /// straight into its answer, with nothing allocated per record but its `url`.
    fn write_stored(stored: &str, base: &str, out: &mut dyn Out) -> Result<(), ApiError> {
        if let Some((id, digits, rest)) = split_leading_id(stored)
            && !stored.contains("\"url\":")
        {
            let url = Self::url(base, id);
            if Self::ID_FIRST {
                out.write("{\"id\":")?;
                out.write(digits)?;
                out.write(",\"url\":")?;
                write_json_string(&url, out)?;
            } else {
                out.write("{\"url\":")?;
                write_json_string(&url, out)?;
                out.write(",\"id\":")?;
                out.write(digits)?;
            }
            out.write(",")?;
            return out.write(rest);
        }
        let record = crate::store::parse_stored(stored)?;
        out.write(&Self::render(record, base).to_string())
    }

    /// `200 {"ticket": {...}}` from the record's stored text, without parsing it.
    fn one_stored(stored: &str, base: &str) -> Result<Response, ApiError> {
        let mut answer = String::with_capacity(stored.len() + base.len() + 64);
        answer.push('{');
        write_json_string(Self::ONE, &mut answer)?;
        answer.push(':');
        Self::write_stored(stored, base, &mut answer)?;
        answer.push('}');
        Ok(paging::json_text(answer))
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

/// `{"id":N,` at the start of a stored record: N, its digits and what follows the comma. None
/// for any other shape (the caller then parses the record).
fn split_leading_id(stored: &str) -> Option<(i64, &str, &str)> {
    let rest = stored.strip_prefix("{\"id\":")?;
    let end = rest.find(',')?;
    let digits = &rest[..end];
    let id: i64 = digits.parse().ok()?;
    // Only serde_json's own spelling of the number splices to the same bytes: no sign but a
    // minus, no leading zero, no `-0`.
    let magnitude = digits.strip_prefix('-').unwrap_or(digits);
    let canonical = !digits.starts_with('+')
        && (magnitude == "0" || !magnitude.starts_with('0'))
        && digits != "-0";
    canonical.then_some((id, digits, &rest[end + 1..]))
}

/// `text` as a JSON string, as serde_json writes it: only `"`, `\` and control characters are
/// escaped, so text without them is written as it is.
fn write_json_string(text: &str, out: &mut dyn Out) -> Result<(), ApiError> {
    if text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        return out.write(&Value::from(text).to_string());
    }
    out.write("\"")?;
    out.write(text)?;
    out.write("\"")
}

/// `GET /{resources}/{id}` for `audience`: an agent gets the stored text with its url spliced
/// in (no parse); an end-user the record as `permissions::view` shows it, when it is theirs to
/// read (`refused` says how a refusal is answered: 404 for tickets, 403 for users).
pub async fn show_one<R: Resource>(
    store: &Store,
    audience: &Audience,
    id: i64,
    base: &str,
    refused: fn() -> ApiError,
) -> Result<Response, ApiError> {
    if audience.sees_everything() {
        let table = R::TABLE;
        let stored = store
            .record_text(table, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        return R::one_stored(&stored, base);
    }
    // A record the caller may not read answers like one that does not exist, and the other
    // way round: nothing is learned from the difference.
    let record = match fetch(store, R::TABLE, id).await {
        Ok(record) if audience.can_read(R::TABLE, &record) => record,
        Ok(_) | Err(ApiError::NotFound) => return Err(refused()),
        Err(error) => return Err(error),
    };
    Ok(R::one(audience.view(R::TABLE, record), base))
}

/// One live record, or 404.
pub async fn fetch(store: &Store, table: Table, id: i64) -> Result<Value, ApiError> {
    store
        .peek(move |reader| crate::resources::fetch(reader, table, id))
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

/// What showing a record of a resource does: the record `caller` (none: anonymous) asks for,
/// or why not.
pub type ShowRule = fn(&mut dyn Reader, Option<&Caller>, i64) -> Result<Value, ApiError>;
/// What creating one does (the request's `{"<one>": {...}}` object as input).
pub type CreateRule = fn(&mut dyn Writer, &Caller, &Map<String, Value>) -> Result<Value, ApiError>;
/// What changing one does.
pub type UpdateRule =
    fn(&mut dyn Writer, &Caller, i64, &Map<String, Value>) -> Result<Value, ApiError>;
/// What deleting one does.
pub type DeleteRule = fn(&mut dyn Writer, &Caller, i64) -> Result<(), ApiError>;

/// Showing one record: `GET /{resources}/{id}`, open to whoever the endpoint admits.
pub trait Show: Resource {
    /// The live record, or 404, unless the resource says otherwise.
    const SHOW: ShowRule = live_record::<Self>;
}

/// Creating a record: `POST /{resources}` with `{"<one>": {...}}`, answered 201.
pub trait Create: Resource {
    const CREATE: CreateRule;
}

/// Changing a record: `PUT /{resources}/{id}` with `{"<one>": {...}}`.
pub trait Update: Resource {
    const UPDATE: UpdateRule;
}

/// Deleting a record: `DELETE /{resources}/{id}`, answered 204.
pub trait Delete: Resource {
    const DELETE: DeleteRule;
}

fn live_record<R: Resource + ?Sized>(
    reader: &mut dyn Reader,
    _: Option<&Caller>,
    id: i64,
) -> Result<Value, ApiError> {
    resources::fetch(reader, R::TABLE, id)
}

/// `GET /{resources}/{id}`.
pub async fn show<R: Show>(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    let record = state
        .store()
        .peek(move |reader| (R::SHOW)(reader, caller.as_ref(), id))
        .await?;
    Ok(R::one(record, &base))
}

/// `POST /{resources}`.
pub async fn create<R: Create>(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, R::ONE)?.clone();
    let record = state
        .store()
        .write(move |tx| (R::CREATE)(tx, &caller, &input))
        .await?;
    Ok(R::created(record, &base))
}

/// `PUT /{resources}/{id}`.
pub async fn update<R: Update>(
    State(state): State<AppState>,
    caller: Caller,
    BaseUrl(base): BaseUrl,
    PathId(id): PathId,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let input = object_under(&body, R::ONE)?.clone();
    let record = state
        .store()
        .write(move |tx| (R::UPDATE)(tx, &caller, id, &input))
        .await?;
    Ok(R::one(record, &base))
}

/// `DELETE /{resources}/{id}`.
pub async fn delete<R: Delete>(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Response, ApiError> {
    state
        .store()
        .write(move |tx| (R::DELETE)(tx, &caller, id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
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

    /// `record`, stored and served, is what parse + render + serialize gives, for both url
    /// placements (tickets put `url` first, users `id`).
    fn served_as_rendered(record: &Value, base: &str) {
        let stored = record.to_string();
        assert_eq!(
            Tickets::serve_stored(&stored, base).unwrap(),
            slow::<Tickets>(record, base),
            "{stored} at {base}"
        );
        assert_eq!(
            Users::serve_stored(&stored, base).unwrap(),
            slow::<Users>(record, base),
            "{stored} at {base}"
        );
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
        served_as_rendered(&record, base);
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
            served_as_rendered(&record, base);
        }
        for odd in ["007", "+7", "-0", "-07", "7.0", "1e3"] {
            assert_eq!(
                split_leading_id(&format!("{{\"id\":{odd},\"a\":1}}")),
                None,
                "{odd}"
            );
        }
        assert_eq!(
            split_leading_id("{\"id\":-7,\"a\":1}"),
            Some((-7, "-7", "\"a\":1}"))
        );
    }

    /// A base that JSON must escape is escaped in the spliced url as serde_json would.
    #[test]
    fn a_base_with_characters_json_escapes_splices_like_serde() {
        let record = json!({"id": 5, "subject": "s"});
        for base in ["http://h\"q", "http://h\\b", "http://h\u{7}", "http://é/ü"] {
            served_as_rendered(&record, base);
        }
    }

    /// A required field: kept when given, refused blank, refused missing only on create.
    #[test]
    fn required_text_names_the_field() {
        let input = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert_eq!(
            crate::resources::required_text(&input(json!({"name": " Tier 2 "})), "name", true)
                .unwrap(),
            Some(" Tier 2 ".to_string())
        );
        assert_eq!(
            crate::resources::required_text(&input(json!({})), "name", false).unwrap(),
            None
        );
        for (body, creating) in [
            (json!({}), true),
            (json!({"name": "  "}), false),
            (json!({"name": null}), false),
        ] {
            let error =
                crate::resources::required_text(&input(body), "name", creating).unwrap_err();
            assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(
                error.body()["details"],
                json!({"name": [{"description": "Name: cannot be blank", "error": "BlankValue"}]})
            );
        }
    }
}
