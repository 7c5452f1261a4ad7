//! A webhook's record, as Zendesk's `/api/v2/webhooks` takes and answers it: `name`,
//! `description`, `status`, `endpoint`, `http_method`, `request_format`, `subscriptions`,
//! `authentication`, `custom_headers`, `external_source`. The caller adds `id` (a ULID),
//! `created_at`, `created_by`, `updated_at` and `updated_by`.
//!
//! Zendesk's rules kept here: a webhook is called by triggers and automations
//! (`["conditional_ticket_events"]`) or subscribed to event types, never both, and never
//! switched later; an event-subscribed webhook is POST and JSON. Secrets (the authentication's
//! password, token or key, and the signing secret) are never answered, logged or shown by
//! `Debug`; an update that leaves them out keeps the stored ones.

use std::fmt;

use base64::Engine;
use serde_json::{Map, Value, json};

use super::events::{CONDITIONAL_TICKET_EVENTS, ticket_event_names};

/// A refused webhook: the field and what to send instead. Zendesk's webhooks API answers 400
/// with `{"errors": [{"code", "title", "detail", "source"}]}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookError {
    pub field: &'static str,
    pub detail: String,
}

impl WebhookError {
    fn new(field: &'static str, detail: impl Into<String>) -> WebhookError {
        WebhookError {
            field,
            detail: detail.into(),
        }
    }

    /// The 400 body.
    pub fn body(&self) -> Value {
        json!({"errors": [{
            "code": "InvalidInput", "title": "Invalid webhook", "detail": self.detail,
            "source": {"pointer": format!("/webhook/{}", self.field)},
        }]})
    }
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for WebhookError {}

macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident, $field:literal, { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const KNOWN: &'static [&'static str] = &[$($wire),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),+ }
            }

            fn parse(value: &Value) -> Result<Self, WebhookError> {
                match value.as_str() {
                    $(Some(s) if s.eq_ignore_ascii_case($wire) => Ok(Self::$variant),)+
                    _ => Err(WebhookError::new(
                        $field,
                        format!("{} must be one of {}; got {value}", $field, Self::KNOWN.join(", ")),
                    )),
                }
            }
        }
    };
}

closed_set!(
    /// Whether the webhook sends.
    Status, "status", { Active => "active", Inactive => "inactive" }
);
closed_set!(
    /// The HTTP method of its requests.
    HttpMethod, "http_method", {
        Get => "GET", Post => "POST", Put => "PUT", Patch => "PATCH", Delete => "DELETE",
    }
);
closed_set!(
    /// How its request bodies are written.
    RequestFormat, "request_format", {
        Json => "json", Xml => "xml", FormEncoded => "form_encoded",
    }
);

impl HttpMethod {
    /// GET and DELETE send no body (a trigger's key-value pairs go to the query string).
    pub fn has_body(self) -> bool {
        !matches!(self, HttpMethod::Get | HttpMethod::Delete)
    }
}

impl RequestFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            RequestFormat::Json => "application/json",
            RequestFormat::Xml => "application/xml",
            RequestFormat::FormEncoded => "application/x-www-form-urlencoded",
        }
    }
}

/// What sets the webhook off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscriptions {
    /// `["conditional_ticket_events"]`: triggers and automations call it.
    Conditional,
    /// `zen:event-type:...` names.
    Events(Vec<String>),
}

impl Subscriptions {
    /// True when the webhook is subscribed to `event_type` (a `zen:event-type:...` name).
    pub fn wants(&self, event_type: &str) -> bool {
        matches!(self, Subscriptions::Events(types) if types.iter().any(|t| t == event_type))
    }

    pub fn to_json(&self) -> Value {
        match self {
            Subscriptions::Conditional => json!([CONDITIONAL_TICKET_EVENTS]),
            Subscriptions::Events(types) => json!(types),
        }
    }
}

/// How the webhook authenticates to its endpoint. `Debug` never shows the secret part.
#[derive(Clone, PartialEq, Eq)]
pub enum Authentication {
    /// A header `name: value`.
    ApiKey {
        name: String,
        value: String,
    },
    BasicAuth {
        username: String,
        password: String,
    },
    BearerToken {
        token: String,
    },
}

impl fmt::Debug for Authentication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authentication::ApiKey { name, .. } => {
                write!(f, "ApiKey {{ name: {name:?}, value: [redacted] }}")
            }
            Authentication::BasicAuth { username, .. } => {
                write!(
                    f,
                    "BasicAuth {{ username: {username:?}, password: [redacted] }}"
                )
            }
            Authentication::BearerToken { .. } => f.write_str("BearerToken { token: [redacted] }"),
        }
    }
}

impl Authentication {
    fn kind(&self) -> &'static str {
        match self {
            Authentication::ApiKey { .. } => "api_key",
            Authentication::BasicAuth { .. } => "basic_auth",
            Authentication::BearerToken { .. } => "bearer_token",
        }
    }

    /// The header a delivery carries: (name, value).
    pub fn header(&self) -> (String, String) {
        match self {
            Authentication::ApiKey { name, value } => (name.clone(), value.clone()),
            Authentication::BasicAuth { username, password } => (
                "Authorization".into(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{password}"))
                ),
            ),
            Authentication::BearerToken { token } => {
                ("Authorization".into(), format!("Bearer {token}"))
            }
        }
    }

    /// As answered: the secret part left out (`{"username": "john_smith"}`).
    fn public_json(&self) -> Value {
        let data = match self {
            Authentication::ApiKey { name, .. } => json!({"name": name}),
            Authentication::BasicAuth { username, .. } => json!({"username": username}),
            Authentication::BearerToken { .. } => json!({}),
        };
        json!({"type": self.kind(), "add_position": "header", "data": data})
    }

    /// As stored, secret included.
    fn stored_json(&self) -> Value {
        let data = match self {
            Authentication::ApiKey { name, value } => json!({"name": name, "value": value}),
            Authentication::BasicAuth { username, password } => {
                json!({"username": username, "password": password})
            }
            Authentication::BearerToken { token } => json!({"token": token}),
        };
        json!({"type": self.kind(), "add_position": "header", "data": data})
    }
}

/// A checked webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub name: String,
    pub description: Option<String>,
    pub status: Status,
    pub endpoint: String,
    pub http_method: HttpMethod,
    pub request_format: RequestFormat,
    pub subscriptions: Subscriptions,
    pub authentication: Option<Authentication>,
    pub custom_headers: Vec<(String, String)>,
    pub external_source: Option<Value>,
}

/// Fields a body may send.
const FIELDS: &[&str] = &[
    "name",
    "description",
    "status",
    "endpoint",
    "http_method",
    "request_format",
    "subscriptions",
    "authentication",
    "custom_headers",
    "external_source",
];
/// Fields answered but written by the sandbox: accepted and ignored.
const READ_ONLY: &[&str] = &[
    "id",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "signing_secret",
];
/// Zendesk's limit on custom headers.
pub const MAX_CUSTOM_HEADERS: usize = 5;
/// Headers a delivery sets itself; a custom header may not replace them.
const RESERVED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "content-length",
    "host",
    "user-agent",
    "transfer-encoding",
    "connection",
];

impl Webhook {
    /// A create's body (the object inside `{"webhook": ...}`). `name`, `endpoint` and
    /// `subscriptions` are required; `status` defaults to active, `http_method` to POST,
    /// `request_format` to json.
    pub fn parse_new(input: &Map<String, Value>) -> Result<Webhook, WebhookError> {
        check_keys(input)?;
        parse(input, None)
    }

    /// An update's body over the stored webhook: each field sent replaces the stored one
    /// (`PUT` and `PATCH` alike); `authentication` sent without its secret keeps the stored
    /// secret when the type is the same.
    pub fn parse_update(
        stored: &Webhook,
        input: &Map<String, Value>,
    ) -> Result<Webhook, WebhookError> {
        check_keys(input)?;
        let mut fields = stored.stored_fields();
        for (key, value) in input {
            if FIELDS.contains(&key.as_str()) {
                fields.insert(key.clone(), value.clone());
            }
        }
        let updated = parse(&fields, stored.authentication.as_ref())?;
        let switched = matches!(
            (&stored.subscriptions, &updated.subscriptions),
            (Subscriptions::Conditional, Subscriptions::Events(_))
                | (Subscriptions::Events(_), Subscriptions::Conditional)
        );
        if switched {
            return Err(WebhookError::new(
                "subscriptions",
                "a webhook's connection cannot change: one called by triggers and automations (conditional_ticket_events) stays so, and one subscribed to event types stays so; create another webhook instead",
            ));
        }
        Ok(updated)
    }

    /// A `PATCH` body over the stored webhook: a JSON merge patch (RFC 7396) of its fields,
    /// objects (`custom_headers`, `authentication`) merged key by key, `null` removing a key.
    /// Secrets left out are kept, as in [`Webhook::parse_update`].
    pub fn parse_patch(
        stored: &Webhook,
        patch: &Map<String, Value>,
    ) -> Result<Webhook, WebhookError> {
        check_keys(patch)?;
        let mut fields = stored.stored_fields();
        for (key, value) in patch {
            if !FIELDS.contains(&key.as_str()) {
                continue;
            }
            let merged = merge_patch(fields.remove(key).unwrap_or(Value::Null), value);
            fields.insert(key.clone(), merged);
        }
        Webhook::parse_update(stored, &fields)
    }

    /// Whether an event of `event_type` (`zen:event-type:ticket.created`) is sent to this
    /// webhook: it is active and subscribed to it.
    pub fn receives(&self, event_type: &str) -> bool {
        self.status == Status::Active && self.subscriptions.wants(event_type)
    }

    /// Whether a trigger's or automation's `notification_webhook` call is sent: the webhook is
    /// active and subscribed to `conditional_ticket_events` (an inactive one is not called).
    pub fn answers_rules(&self) -> bool {
        self.status == Status::Active && self.subscriptions == Subscriptions::Conditional
    }

    /// Reads a stored record back (as written by [`Webhook::stored_fields`]).
    pub fn from_stored(record: &Value) -> Result<Webhook, WebhookError> {
        parse(&record.as_object().cloned().unwrap_or_default(), None)
    }

    /// The record's own fields as answered: no secret.
    pub fn public_fields(&self) -> Map<String, Value> {
        let mut fields = self.common_fields();
        fields.insert(
            "authentication".into(),
            self.authentication
                .as_ref()
                .map_or(Value::Null, Authentication::public_json),
        );
        fields
    }

    /// The record's own fields as stored: the authentication's secret included (never answer
    /// these).
    pub fn stored_fields(&self) -> Map<String, Value> {
        let mut fields = self.common_fields();
        fields.insert(
            "authentication".into(),
            self.authentication
                .as_ref()
                .map_or(Value::Null, Authentication::stored_json),
        );
        fields
    }

    fn common_fields(&self) -> Map<String, Value> {
        let headers: Map<String, Value> = self
            .custom_headers
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let mut fields = Map::new();
        fields.insert("name".into(), json!(self.name));
        fields.insert("description".into(), json!(self.description));
        fields.insert("status".into(), json!(self.status.as_str()));
        fields.insert("endpoint".into(), json!(self.endpoint));
        fields.insert("http_method".into(), json!(self.http_method.as_str()));
        fields.insert("request_format".into(), json!(self.request_format.as_str()));
        fields.insert("subscriptions".into(), self.subscriptions.to_json());
        fields.insert("custom_headers".into(), Value::Object(headers));
        if let Some(source) = &self.external_source {
            fields.insert("external_source".into(), source.clone());
        }
        fields
    }
}

/// RFC 7396: `patch` over `target`.
fn merge_patch(target: Value, patch: &Value) -> Value {
    let Value::Object(changes) = patch else {
        return patch.clone();
    };
    let mut merged = match target {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    for (key, change) in changes {
        if change.is_null() {
            merged.remove(key);
        } else {
            let old = merged.remove(key).unwrap_or(Value::Null);
            merged.insert(key.clone(), merge_patch(old, change));
        }
    }
    Value::Object(merged)
}

fn check_keys(input: &Map<String, Value>) -> Result<(), WebhookError> {
    match input
        .keys()
        .find(|k| !FIELDS.contains(&k.as_str()) && !READ_ONLY.contains(&k.as_str()))
    {
        Some(key) => Err(WebhookError::new(
            "base",
            format!(
                "`{key}` is not a field of a webhook; send {}",
                FIELDS.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

fn required_text(
    fields: &Map<String, Value>,
    field: &'static str,
    example: &str,
) -> Result<String, WebhookError> {
    match fields.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        other => Err(WebhookError::new(
            field,
            format!(
                "{field} is required: send text such as {example}; got {}",
                other.map_or("nothing".to_string(), Value::to_string)
            ),
        )),
    }
}

/// Parses a webhook from its fields; `keep` is the stored authentication an update may keep.
fn parse(
    fields: &Map<String, Value>,
    keep: Option<&Authentication>,
) -> Result<Webhook, WebhookError> {
    let name = required_text(fields, "name", "\"On-call pager\"")?;
    let endpoint = required_text(fields, "endpoint", "\"https://example.com/hooks/zendesk\"")?;
    check_endpoint(&endpoint)?;
    let optional = |field: &'static str| fields.get(field).filter(|v| !v.is_null());
    let status = optional("status").map_or(Ok(Status::Active), Status::parse)?;
    let http_method = optional("http_method").map_or(Ok(HttpMethod::Post), HttpMethod::parse)?;
    let request_format =
        optional("request_format").map_or(Ok(RequestFormat::Json), RequestFormat::parse)?;
    let subscriptions = parse_subscriptions(fields.get("subscriptions"))?;
    if matches!(subscriptions, Subscriptions::Events(_))
        && (http_method != HttpMethod::Post || request_format != RequestFormat::Json)
    {
        return Err(WebhookError::new(
            "http_method",
            "a webhook subscribed to event types sends POST with a json body: set http_method POST and request_format json",
        ));
    }
    let description = match optional("description") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            return Err(WebhookError::new(
                "description",
                format!("description must be text; got {other}"),
            ));
        }
    };
    Ok(Webhook {
        name,
        description,
        status,
        endpoint,
        http_method,
        request_format,
        subscriptions,
        authentication: parse_authentication(optional("authentication"), keep)?,
        custom_headers: parse_headers(optional("custom_headers"))?,
        external_source: optional("external_source").cloned(),
    })
}

/// An absolute `http://` or `https://` URL with a host and no whitespace.
fn check_endpoint(endpoint: &str) -> Result<(), WebhookError> {
    let host = endpoint
        .strip_prefix("https://")
        .or_else(|| endpoint.strip_prefix("http://"))
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    match host {
        Some(host) if !host.is_empty() && !endpoint.chars().any(char::is_whitespace) => Ok(()),
        _ => Err(WebhookError::new(
            "endpoint",
            format!(
                "endpoint must be an http:// or https:// URL such as https://example.com/hooks/zendesk; got `{endpoint}`"
            ),
        )),
    }
}

fn parse_subscriptions(value: Option<&Value>) -> Result<Subscriptions, WebhookError> {
    let expected = || {
        format!(
            "send [\"{CONDITIONAL_TICKET_EVENTS}\"] for a webhook triggers and automations call, or event types such as [\"zen:event-type:ticket.created\"]; the sandbox sends {}",
            ticket_event_names().collect::<Vec<_>>().join(", ")
        )
    };
    let names: Vec<String> = value
        .and_then(Value::as_array)
        .and_then(|items| {
            items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
        })
        .filter(|names| !names.is_empty())
        .ok_or_else(|| {
            WebhookError::new(
                "subscriptions",
                format!("subscriptions is required: {}", expected()),
            )
        })?;
    if names.iter().any(|n| n == CONDITIONAL_TICKET_EVENTS) {
        if names.len() > 1 {
            return Err(WebhookError::new(
                "subscriptions",
                format!(
                    "{CONDITIONAL_TICKET_EVENTS} cannot be mixed with event types: a webhook is called by triggers and automations, or subscribed to events, not both"
                ),
            ));
        }
        return Ok(Subscriptions::Conditional);
    }
    if let Some(unknown) = names
        .iter()
        .find(|n| !ticket_event_names().any(|known| known == n.as_str()))
    {
        return Err(WebhookError::new(
            "subscriptions",
            format!(
                "`{unknown}` is not an event the sandbox sends; {}",
                expected()
            ),
        ));
    }
    let mut unique: Vec<String> = Vec::new();
    for name in names {
        if !unique.contains(&name) {
            unique.push(name);
        }
    }
    Ok(Subscriptions::Events(unique))
}

fn parse_authentication(
    value: Option<&Value>,
    keep: Option<&Authentication>,
) -> Result<Option<Authentication>, WebhookError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let refuse = |detail: String| WebhookError::new("authentication", detail);
    let kind = value["type"].as_str().unwrap_or_default();
    if let Some(position) = value.get("add_position").and_then(Value::as_str)
        && position != "header"
    {
        return Err(refuse(format!(
            "authentication.add_position must be header; got `{position}`"
        )));
    }
    let data = &value["data"];
    let text = |key: &str| {
        data[key]
            .as_str()
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    };
    // A secret left out of an update is kept from the stored authentication of the same type.
    let kept = |wanted: &str| keep.filter(|k| k.kind() == wanted);
    let missing = |what: &str| refuse(format!("authentication.data.{what} is required for {kind}"));
    let auth = match kind {
        "api_key" => Authentication::ApiKey {
            name: text("name").ok_or_else(|| missing("name"))?,
            value: match (text("value"), kept("api_key")) {
                (Some(value), _) => value,
                (None, Some(Authentication::ApiKey { value, .. })) => value.clone(),
                _ => return Err(missing("value")),
            },
        },
        "basic_auth" => Authentication::BasicAuth {
            username: text("username").ok_or_else(|| missing("username"))?,
            password: match (text("password"), kept("basic_auth")) {
                (Some(password), _) => password,
                (None, Some(Authentication::BasicAuth { password, .. })) => password.clone(),
                _ => return Err(missing("password")),
            },
        },
        "bearer_token" => Authentication::BearerToken {
            token: match (text("token"), kept("bearer_token")) {
                (Some(token), _) => token,
                (None, Some(Authentication::BearerToken { token })) => token.clone(),
                _ => return Err(missing("token")),
            },
        },
        _ => {
            return Err(refuse(format!(
                "authentication.type must be api_key, basic_auth or bearer_token; got {}",
                value["type"]
            )));
        }
    };
    if let Authentication::ApiKey { name, .. } = &auth {
        check_header_name(name, "authentication.data.name")?;
    }
    Ok(Some(auth))
}

fn check_header_name(name: &str, field: &str) -> Result<(), WebhookError> {
    let token = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    let lower = name.to_ascii_lowercase();
    if !token {
        return Err(WebhookError::new(
            "custom_headers",
            format!("{field}: `{name}` is not a header name (letters, digits and - only)"),
        ));
    }
    if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("x-zendesk-") {
        return Err(WebhookError::new(
            "custom_headers",
            format!(
                "{field}: the delivery sets `{name}` itself (use authentication for credentials)"
            ),
        ));
    }
    Ok(())
}

fn parse_headers(value: Option<&Value>) -> Result<Vec<(String, String)>, WebhookError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let Some(object) = value.as_object() else {
        return Err(WebhookError::new(
            "custom_headers",
            format!(
                "custom_headers must be an object such as {{\"X-Team\": \"support\"}}; got {value}"
            ),
        ));
    };
    if object.len() > MAX_CUSTOM_HEADERS {
        return Err(WebhookError::new(
            "custom_headers",
            format!(
                "a webhook takes at most {MAX_CUSTOM_HEADERS} custom headers; got {}",
                object.len()
            ),
        ));
    }
    object
        .iter()
        .map(|(name, value)| {
            check_header_name(name, "custom_headers")?;
            match value.as_str() {
                Some(text) if !text.contains(['\r', '\n']) => Ok((name.clone(), text.to_string())),
                _ => Err(WebhookError::new(
                    "custom_headers",
                    format!("custom_headers.{name} must be one line of text; got {value}"),
                )),
            }
        })
        .collect()
}

/// A webhook's signing secret. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningSecret(String);

impl fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningSecret([redacted])")
    }
}

impl SigningSecret {
    /// A fresh secret from the OS generator: 32 random bytes in base64.
    pub fn generate() -> Result<SigningSecret, getrandom::Error> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes)?;
        Ok(SigningSecret(
            base64::engine::general_purpose::STANDARD.encode(bytes),
        ))
    }

    /// A stored secret.
    pub fn from_stored(secret: String) -> SigningSecret {
        SigningSecret(secret)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `GET /webhooks/{id}/signing_secret`'s answer (the one place a secret is shown, to an
    /// admin who asks for it).
    pub fn to_json(&self) -> Value {
        json!({"signing_secret": {"secret": self.0, "algorithm": "SHA256"}})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    fn refused(input: Value) -> WebhookError {
        Webhook::parse_new(&object(input)).unwrap_err()
    }

    fn conditional() -> Value {
        json!({
            "name": "Pager", "endpoint": "http://127.0.0.1:9000/hook", "http_method": "POST",
            "request_format": "json", "status": "active",
            "subscriptions": ["conditional_ticket_events"],
            "authentication": {"type": "basic_auth", "add_position": "header",
                               "data": {"username": "john_smith", "password": "hunter2"}},
            "custom_headers": {"X-Team": "support"}
        })
    }

    #[test]
    fn a_webhook_is_answered_without_its_secrets() {
        let webhook = Webhook::parse_new(&object(conditional())).unwrap();
        let public = Value::Object(webhook.public_fields());
        assert_eq!(
            public["authentication"],
            json!({"type": "basic_auth", "add_position": "header", "data": {"username": "john_smith"}})
        );
        assert!(!public.to_string().contains("hunter2"));
        assert!(!format!("{webhook:?}").contains("hunter2"));
        assert_eq!(
            public["subscriptions"],
            json!(["conditional_ticket_events"])
        );
        assert_eq!(public["custom_headers"], json!({"X-Team": "support"}));
        // The stored form keeps the secret and reads back to the same webhook.
        let stored = Value::Object(webhook.stored_fields());
        assert!(stored.to_string().contains("hunter2"));
        assert_eq!(Webhook::from_stored(&stored).unwrap(), webhook);
    }

    #[test]
    fn an_update_without_the_secret_keeps_it() {
        let stored = Webhook::parse_new(&object(conditional())).unwrap();
        // A client sends back what it read (no password) with a new name.
        let mut echoed = Value::Object(stored.public_fields());
        echoed["name"] = json!("Pager 2");
        echoed["id"] = json!("01HZX3B6J0X9Q8W6V5T4S3R2Q1");
        let updated = Webhook::parse_update(&stored, echoed.as_object().unwrap()).unwrap();
        assert_eq!(updated.name, "Pager 2");
        assert_eq!(updated.authentication, stored.authentication);
        // Another type needs its own secret.
        let bearer = object(json!({"authentication": {"type": "bearer_token", "data": {}}}));
        let error = Webhook::parse_update(&stored, &bearer).unwrap_err();
        assert!(error.detail.contains("data.token is required"), "{error}");
        // Removing authentication.
        let none =
            Webhook::parse_update(&stored, &object(json!({"authentication": null}))).unwrap();
        assert_eq!(none.authentication, None);
    }

    #[test]
    fn a_patch_merges_objects_and_removes_what_is_null() {
        let stored = Webhook::parse_new(&object(conditional())).unwrap();
        let patched = Webhook::parse_patch(
            &stored,
            &object(json!({
                "description": "pages on-call",
                "custom_headers": {"X-Team": null, "X-Tier": "2"},
                "authentication": {"data": {"username": "jane"}}
            })),
        )
        .unwrap();
        assert_eq!(patched.description.as_deref(), Some("pages on-call"));
        assert_eq!(
            patched.custom_headers,
            [("X-Tier".to_string(), "2".to_string())]
        );
        // The password was not sent: kept.
        assert_eq!(
            patched.authentication,
            Some(Authentication::BasicAuth {
                username: "jane".into(),
                password: "hunter2".into()
            })
        );
        assert_eq!(patched.name, stored.name);
        let cleared =
            Webhook::parse_patch(&patched, &object(json!({"description": null}))).unwrap();
        assert_eq!(cleared.description, None);
        let unknown = Webhook::parse_patch(&stored, &object(json!({"nmae": "x"}))).unwrap_err();
        assert!(unknown.detail.contains("`nmae` is not a field"));
    }

    #[test]
    fn the_closed_sets_are_the_client_types_vocabularies() {
        use zendesk_types::webhooks::{WebhookHttpMethod, WebhookRequestFormat, WebhookStatus};
        assert_eq!(Status::KNOWN, WebhookStatus::KNOWN);
        assert_eq!(HttpMethod::KNOWN, WebhookHttpMethod::KNOWN);
        assert_eq!(RequestFormat::KNOWN, WebhookRequestFormat::KNOWN);
    }

    #[test]
    fn subscriptions_follow_zendesks_rules() {
        let events = Webhook::parse_new(&object(json!({
            "name": "Stream", "endpoint": "https://example.com/e",
            "subscriptions": ["zen:event-type:ticket.created", "zen:event-type:ticket.created",
                              "zen:event-type:ticket.status_changed"]
        })))
        .unwrap();
        assert_eq!(
            (events.http_method, events.request_format, events.status),
            (HttpMethod::Post, RequestFormat::Json, Status::Active)
        );
        assert!(
            events
                .subscriptions
                .wants("zen:event-type:ticket.status_changed")
        );
        assert!(
            !events
                .subscriptions
                .wants("zen:event-type:ticket.priority_changed")
        );
        assert_eq!(
            events.subscriptions,
            Subscriptions::Events(vec![
                "zen:event-type:ticket.created".into(),
                "zen:event-type:ticket.status_changed".into()
            ])
        );
        let mixed = refused(json!({"name": "n", "endpoint": "https://e.com",
            "subscriptions": ["conditional_ticket_events", "zen:event-type:ticket.created"]}));
        assert!(mixed.detail.contains("cannot be mixed"));
        let get = refused(
            json!({"name": "n", "endpoint": "https://e.com", "http_method": "GET",
            "subscriptions": ["zen:event-type:ticket.created"]}),
        );
        assert!(get.detail.contains("POST with a json body"));
        let unknown = refused(json!({"name": "n", "endpoint": "https://e.com",
            "subscriptions": ["zen:event-type:user.created"]}));
        assert!(
            unknown
                .detail
                .contains("zen:event-type:ticket.comment_added"),
            "{}",
            unknown.detail
        );
        assert!(events.receives("zen:event-type:ticket.created"));
        assert!(!events.answers_rules());
        let paused =
            Webhook::parse_update(&events, &object(json!({"status": "inactive"}))).unwrap();
        assert!(!paused.receives("zen:event-type:ticket.created"));
        let called = Webhook::parse_new(&object(conditional())).unwrap();
        assert!(called.answers_rules() && !called.receives("zen:event-type:ticket.created"));
        let switch = Webhook::parse_update(
            &events,
            &object(json!({"subscriptions": ["conditional_ticket_events"]})),
        )
        .unwrap_err();
        assert!(switch.detail.contains("connection cannot change"));
    }

    #[test]
    fn bad_fields_are_refused_naming_them() {
        assert_eq!(
            refused(
                json!({"endpoint": "https://e.com", "subscriptions": ["conditional_ticket_events"]})
            )
            .field,
            "name"
        );
        let endpoint = refused(
            json!({"name": "n", "endpoint": "ftp://e.com", "subscriptions": ["conditional_ticket_events"]}),
        );
        assert!(endpoint.detail.contains("http:// or https://"));
        let method = refused(
            json!({"name": "n", "endpoint": "https://e.com", "http_method": "TRACE",
            "subscriptions": ["conditional_ticket_events"]}),
        );
        assert!(method.detail.contains("GET, POST, PUT, PATCH, DELETE"));
        let header = refused(json!({"name": "n", "endpoint": "https://e.com",
            "subscriptions": ["conditional_ticket_events"], "custom_headers": {"X-Zendesk-Webhook-Id": "x"}}));
        assert!(header.detail.contains("sets `X-Zendesk-Webhook-Id` itself"));
        let many: Map<String, Value> = (0..6).map(|i| (format!("X-{i}"), json!("v"))).collect();
        let too_many = refused(json!({"name": "n", "endpoint": "https://e.com",
            "subscriptions": ["conditional_ticket_events"], "custom_headers": many}));
        assert!(too_many.detail.contains("at most 5"));
        let unknown = refused(json!({"name": "n", "endpont": "https://e.com"}));
        assert!(unknown.detail.contains("`endpont` is not a field"));
        assert_eq!(
            unknown.body()["errors"][0]["source"]["pointer"],
            "/webhook/base"
        );
    }

    #[test]
    fn signing_secrets_are_random_and_never_debug_printed() {
        let a = SigningSecret::generate().unwrap();
        let b = SigningSecret::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 44);
        assert!(!format!("{a:?}").contains(a.expose()));
        assert_eq!(a.to_json()["signing_secret"]["algorithm"], "SHA256");
    }
}
