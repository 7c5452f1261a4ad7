//! Small shared pieces: clock and timestamp formats, secrets and hashes, query-string
//! parameters (Zendesk's `page[size]`, `role[]`, `ids=1,2`), the JSON body and Host extractors,
//! and readers for loosely typed JSON input (clients send ids as numbers or strings).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use base64::Engine;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{ApiError, malformed_json};

/// Now, in Unix seconds.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `2023-09-18T23:22:37Z`, Zendesk's timestamp form.
pub fn iso(ts: i64) -> String {
    let Ok(dt) = OffsetDateTime::from_unix_timestamp(ts) else {
        return "1970-01-01T00:00:00Z".to_string();
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// `2023-09-18 23:22:37 +0000`, the form of a job's completion message.
pub fn job_time(ts: i64) -> String {
    iso(ts).replace('T', " ").replace('Z', " +0000")
}

/// Parses an ISO 8601 timestamp or a `YYYY-MM-DD` date into Unix seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    if let Ok(dt) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(dt.unix_timestamp());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .ok()
        .map(|date| date.midnight().assume_utc().unix_timestamp())
}

/// A fresh secret (API token, OAuth token): 32 bytes from the OS, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    if getrandom::getrandom(&mut bytes).is_err() {
        // The OS generator failed (never seen on supported platforms): fall back to fastrand
        // seeded from the clock rather than refusing to start.
        for byte in &mut bytes {
            *byte = fastrand::u8(..);
        }
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Salted password hash: `salt$hex(sha256(salt + password))`.
pub fn hash_password(password: &str) -> String {
    let salt = &random_token()[..16];
    format!("{salt}${}", hash_secret(&format!("{salt}{password}")))
}

/// Checks a password against [`hash_password`]'s output.
pub fn password_matches(password: &str, stored: &str) -> bool {
    match stored.split_once('$') {
        Some((salt, hash)) => hash_secret(&format!("{salt}{password}")) == hash,
        None => false,
    }
}

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
        if ids.len() > 100 {
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

/// Reads an id that clients send as a number or a digit string; `""`/null are absent.
pub fn as_id(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An optional id field: absent/null -> Ok(None); not an id -> 422 naming the field.
pub fn opt_id(obj: &Map<String, Value>, field: &str) -> Result<Option<Option<i64>>, ApiError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if s.is_empty() => Ok(Some(None)),
        Some(v) => match as_id(v) {
            Some(id) => Ok(Some(Some(id))),
            None => Err(ApiError::invalid(
                field,
                format!("{field}: must be a numeric id such as 12345, got {v}"),
                "InvalidValue",
            )),
        },
    }
}

/// An optional string field: absent -> None, null -> Some(None).
pub fn opt_str(obj: &Map<String, Value>, field: &str) -> Result<Option<Option<String>>, ApiError> {
    match obj.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(Value::Number(n)) => Ok(Some(Some(n.to_string()))),
        Some(v) => Err(ApiError::invalid(
            field,
            format!("{field}: must be a string, got {v}"),
            "InvalidValue",
        )),
    }
}

/// An optional boolean field (accepts "true"/"false" strings, as clients send them).
pub fn opt_bool(obj: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(v) => Err(ApiError::invalid(
            field,
            format!("{field}: must be true or false, got {v}"),
            "InvalidValue",
        )),
    }
}

/// A tag list: an array of strings or one space/comma-separated string. Tags are lowercased and
/// spaces become separators, as Zendesk stores them.
pub fn tag_list(value: &Value, field: &str) -> Result<Vec<String>, ApiError> {
    let mut raw: Vec<String> = Vec::new();
    match value {
        Value::Null => {}
        Value::String(s) => raw.push(s.clone()),
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) => raw.push(s.clone()),
                    Value::Number(n) => raw.push(n.to_string()),
                    other => {
                        return Err(ApiError::invalid(
                            field,
                            format!("{field}: every tag must be a string, got {other}"),
                            "InvalidValue",
                        ));
                    }
                }
            }
        }
        other => {
            return Err(ApiError::invalid(
                field,
                format!("{field}: must be an array of strings, got {other}"),
                "InvalidValue",
            ));
        }
    }
    let mut tags: Vec<String> = Vec::new();
    for chunk in raw {
        for tag in chunk.split(|c: char| c.is_whitespace() || c == ',') {
            let tag = tag.trim().to_lowercase();
            if !tag.is_empty() && !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    Ok(tags)
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
