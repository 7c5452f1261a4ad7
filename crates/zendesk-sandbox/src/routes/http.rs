//! What every route shares about HTTP: the decoded query string (Zendesk's `page[size]`,
//! `role[]`, `ids=1,2`), the JSON body (malformed bodies answered in Zendesk's shape), record
//! ids in the path (anything but a number is a 404), the base URL absolute `url`s are built
//! from, and the envelopes bodies arrive in.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::{ApiError, malformed_json};

/// The query string, decoded, keeping repeated keys (`role[]=agent&role[]=admin`).
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn parse(query: Option<&str>) -> Params {
        Params(
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The last value for `key`, empty values counting as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// `ids=1,2,3` (or another key) as ids; at most 100 values.
    pub fn ids(&self, key: &str) -> Result<Option<Vec<i64>>, ApiError> {
        let Some(raw) = self.get(key) else {
            return Ok(None);
        };
        let ids = parse_id_list(raw, key)?;
        if ids.len() > zendesk_types::limits::MAX_BULK_ITEMS {
            return Err(ApiError::too_many_values());
        }
        Ok(Some(ids))
    }
}

/// `1,2,3` -> ids; a non-numeric entry is refused naming the parameter.
pub fn parse_id_list(raw: &str, key: &str) -> Result<Vec<i64>, ApiError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i64>().map_err(|_| {
                ApiError::bad_value(format!(
                    "{key} must be comma-separated numeric ids such as 1,2,3; `{s}` is not one"
                ))
            })
        })
        .collect()
}

/// The request's JSON body as a `Value` (an empty body reads as `{}`). A malformed body is a
/// 400 in Zendesk's shape, never axum's plain-text rejection.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| malformed_json(&e.to_string()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(Map::new())));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| malformed_json(&e.to_string()))
    }
}

/// A record id in the path (`/tickets/{id}`): a number, or the path names nothing (404, as on
/// Zendesk).
pub struct PathId(pub i64);

/// The two record ids of a nested path (`/users/{user_id}/group_memberships/{id}`), each a
/// number or 404.
pub struct PathIds(pub i64, pub i64);

/// A record id as the path gives it: a number, or 404.
pub fn record_id(raw: &str) -> Result<i64, ApiError> {
    raw.trim().parse::<i64>().map_err(|_| ApiError::NotFound)
}

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        record_id(&raw)
            .map(PathId)
            .map_err(IntoResponse::into_response)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((first, second)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match (record_id(&first), record_id(&second)) {
            (Ok(first), Ok(second)) => Ok(PathIds(first, second)),
            (Err(error), _) | (_, Err(error)) => Err(error.into_response()),
        }
    }
}

/// `http://{Host}`: the base of every absolute `url` in a response.
#[derive(Clone, Debug)]
pub struct BaseUrl(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BaseUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(BaseUrl(base_url_of(parts)))
    }
}

pub fn base_url_of(parts: &Parts) -> String {
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
        })
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let scheme = parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

/// The query string of the request, decoded.
pub struct Query(pub Params);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Query(Params::parse(parts.uri.query())))
    }
}

/// The object under `key` in a request body (`{"ticket": {...}}`), or a 400 naming it.
pub fn object_under<'a>(body: &'a Value, key: &str) -> Result<&'a Map<String, Value>, ApiError> {
    body.get(key).and_then(Value::as_object).ok_or_else(|| {
        ApiError::bad_value(format!(
            "the request body must be a JSON object with a `{key}` object inside, such as {{\"{key}\": {{...}}}}"
        ))
    })
}

/// The array under `key` in a request body (`{"tickets": [...]}`), or a 400 naming it.
pub fn array_under<'a>(body: &'a Value, key: &str) -> Result<&'a Vec<Value>, ApiError> {
    body.get(key).and_then(Value::as_array).ok_or_else(|| {
        ApiError::bad_value(format!(
            "the request body must be a JSON object with a `{key}` array inside, such as {{\"{key}\": [...]}}"
        ))
    })
}

/// Adds the absolute `url` as the record's first key.
pub fn with_url(json: Value, base: &str, path: &str) -> Value {
    match json {
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len() + 1);
            out.insert(
                "url".to_string(),
                Value::String(format!("{base}/api/v2/{path}.json")),
            );
            for (k, v) in map {
                if k != "url" {
                    out.insert(k, v);
                }
            }
            Value::Object(out)
        }
        other => other,
    }
}
