//! OAuth clients (Admin Center > Apps and integrations > APIs > OAuth clients), admins only:
//! create, update, delete, generate a new secret. A client has a unique `identifier` (the
//! `client_id` of the OAuth flows), a `kind` (`confidential`: it holds a secret, shown once
//! when made and stored only as its keyed hash; `public`: no secret, PKCE instead) and its
//! registered `redirect_uri`s. Also here: what a redirect URI may be, and when a requested one
//! matches a registered one (a loopback URI matches on any port, RFC 8252 §7.3).

use serde_json::{Map, Value, json};

use super::credentials::Secrets;
use super::input::label;
use super::input::{opt_id, opt_str};
use super::required_text;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::store::{ClientKey, OAuthClientRow, Reader, Writer};
use crate::util::{iso, now, random_token};

/// The keys a client accepts, for the message refusing any other.
const WRITABLE: &[&str] = &[
    "name",
    "identifier",
    "kind",
    "redirect_uri",
    "company",
    "description",
    "user_id",
];
/// Keys of a client as served that a client may send back unchanged (they are ignored).
const READ_ONLY: &[&str] = &[
    "id",
    "url",
    "created_at",
    "updated_at",
    "global",
    "logo_url",
    "secret",
];

/// A client as served: the stored record with its `url` and a `secret` of `null` (the secret
/// is shown only in the answer that made it).
pub fn client_json(row: &OAuthClientRow, base: &str) -> Value {
    let id = row.json["id"].as_i64().unwrap_or_default();
    let mut out = Map::new();
    out.insert(
        "url".into(),
        json!(format!("{base}/api/v2/oauth/clients/{id}.json")),
    );
    if let Value::Object(map) = &row.json {
        for (k, v) in map {
            out.insert(k.clone(), v.clone());
        }
    }
    out.insert("secret".into(), Value::Null);
    Value::Object(out)
}

/// A client that was just made or given a new secret: (record, the secret in clear, once).
pub struct WithSecret {
    pub row: OAuthClientRow,
    pub secret: Option<String>,
}

impl std::fmt::Debug for WithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithSecret")
            .field("row", &self.row.json)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl WithSecret {
    /// The answer's `client`: the record with the secret in clear when there is a new one.
    pub fn shown(&self, base: &str) -> Value {
        let mut shown = client_json(&self.row, base);
        if let Some(secret) = &self.secret {
            shown["secret"] = json!(secret);
        }
        shown
    }
}

/// One client by id, or 404.
pub fn fetch(tx: &mut dyn Reader, id: i64) -> Result<OAuthClientRow, ApiError> {
    tx.oauth_client(ClientKey::Id(id))?
        .ok_or(ApiError::NotFound)
}

/// `POST /api/v2/oauth/clients`.
pub fn create(
    tx: &mut dyn Writer,
    secrets: &Secrets,
    caller: &Caller,
    input: &Map<String, Value>,
) -> Result<WithSecret, ApiError> {
    check_keys(input)?;
    let at = iso(now());
    let mut client = json!({
        "name": null, "identifier": null, "kind": "confidential", "redirect_uri": [],
        "company": null, "description": null, "user_id": caller.id, "global": false,
        "logo_url": null, "created_at": at, "updated_at": at,
    });
    apply(tx, &mut client, input, None, true)?;
    let id = tx.insert_oauth_client(&client)?;
    let secret = new_secret_if_confidential(tx, secrets, id, &client)?;
    Ok(WithSecret {
        row: fetch(tx, id)?,
        secret,
    })
}

/// `PUT /api/v2/oauth/clients/{id}`. Turning a public client confidential makes its secret
/// (shown in this answer); turning it public forgets it.
pub fn update(
    tx: &mut dyn Writer,
    secrets: &Secrets,
    id: i64,
    input: &Map<String, Value>,
) -> Result<WithSecret, ApiError> {
    check_keys(input)?;
    let before = fetch(tx, id)?;
    let mut client = before.json.clone();
    apply(tx, &mut client, input, Some(id), false)?;
    client["updated_at"] = json!(iso(now()));
    tx.update_oauth_client(id, &client)?;
    let secret = match client["kind"].as_str() {
        Some("confidential") if before.secret_hash.is_none() => {
            new_secret_if_confidential(tx, secrets, id, &client)?
        }
        Some("public") if before.secret_hash.is_some() => {
            tx.set_oauth_client_secret(id, None)?;
            None
        }
        _ => None,
    };
    Ok(WithSecret {
        row: fetch(tx, id)?,
        secret,
    })
}

/// `PUT /api/v2/oauth/clients/{id}/generate_secret`: a new secret (the old one stops working;
/// tokens already issued keep working).
pub fn generate_secret(
    tx: &mut dyn Writer,
    secrets: &Secrets,
    id: i64,
) -> Result<WithSecret, ApiError> {
    let client = fetch(tx, id)?;
    if client.json["kind"] != "confidential" {
        return Err(ApiError::invalid(
            "kind",
            "Kind: a public client has no secret (it proves itself with PKCE); set kind to \
             \"confidential\" to give it one",
            "InvalidValue",
        ));
    }
    let secret = new_secret_if_confidential(tx, secrets, id, &client.json)?;
    Ok(WithSecret {
        row: fetch(tx, id)?,
        secret,
    })
}

/// `DELETE /api/v2/oauth/clients/{id}`: its tokens are revoked and its codes forgotten.
pub fn delete(tx: &mut dyn Writer, id: i64) -> Result<(), ApiError> {
    if tx.delete_oauth_client(id)? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

fn new_secret_if_confidential(
    tx: &mut dyn Writer,
    secrets: &Secrets,
    id: i64,
    client: &Value,
) -> Result<Option<String>, ApiError> {
    if client["kind"] != "confidential" {
        return Ok(None);
    }
    let secret = random_token();
    tx.set_oauth_client_secret(id, Some(&secrets.token_hash(&secret).keyed))?;
    Ok(Some(secret))
}

fn check_keys(input: &Map<String, Value>) -> Result<(), ApiError> {
    for key in input.keys() {
        if !WRITABLE.contains(&key.as_str()) && !READ_ONLY.contains(&key.as_str()) {
            return Err(ApiError::invalid(
                key,
                format!(
                    "{}: is not a field of an OAuth client; send {}",
                    label(key),
                    WRITABLE.join(", ")
                ),
                "InvalidValue",
            ));
        }
    }
    Ok(())
}

/// Applies the writable fields of `input` to `client` (`id`: the client being updated).
fn apply(
    tx: &mut dyn Writer,
    client: &mut Value,
    input: &Map<String, Value>,
    id: Option<i64>,
    creating: bool,
) -> Result<(), ApiError> {
    if let Some(name) = required_text(input, "name", creating)? {
        client["name"] = json!(name);
    }
    if let Some(identifier) = required_text(input, "identifier", creating)? {
        let identifier = identifier.trim().to_string();
        if identifier.len() > 255
            || identifier
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ApiError::invalid(
                "identifier",
                "Identifier: must be at most 255 characters without spaces, such as \"zd_cli\"",
                "InvalidValue",
            ));
        }
        if let Some(other) = tx.oauth_client(ClientKey::Identifier(&identifier))?
            && other.json["id"].as_i64() != id
        {
            return Err(ApiError::invalid(
                "identifier",
                format!("Identifier: {identifier} has already been taken"),
                "DuplicateValue",
            ));
        }
        client["identifier"] = json!(identifier);
    }
    match opt_str(input, "kind")? {
        None => {}
        Some(Some(kind)) if kind == "public" || kind == "confidential" => {
            client["kind"] = json!(kind);
        }
        Some(other) => {
            return Err(ApiError::invalid(
                "kind",
                format!(
                    "Kind: must be \"public\" (no secret; PKCE) or \"confidential\" (a secret), got {}",
                    other.map_or("null".to_string(), |k| format!("\"{k}\""))
                ),
                "InvalidValue",
            ));
        }
    }
    if let Some(value) = input.get("redirect_uri") {
        let uris: Vec<String> = match value {
            Value::Null => Vec::new(),
            Value::String(one) => vec![one.clone()],
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| redirect_error(format!("{item} is not a URL string")))
                })
                .collect::<Result<_, _>>()?,
            other => return Err(redirect_error(format!("got {other}"))),
        };
        for uri in &uris {
            check_redirect_uri(uri).map_err(redirect_error)?;
        }
        client["redirect_uri"] = json!(uris);
    }
    for key in ["company", "description"] {
        if let Some(value) = opt_str(input, key)? {
            client[key] = json!(value);
        }
    }
    if let Some(user) = opt_id(input, "user_id")? {
        let Some(user) = user else {
            return Err(ApiError::invalid(
                "user_id",
                "User: must be the id of an admin",
                "BlankValue",
            ));
        };
        if tx.user_role(user)?.as_deref() != Some("admin") {
            return Err(ApiError::invalid(
                "user_id",
                format!("User: {user} is not an admin; a client belongs to an admin"),
                "InvalidValue",
            ));
        }
        client["user_id"] = json!(user);
    }
    Ok(())
}

fn redirect_error(why: String) -> ApiError {
    ApiError::invalid(
        "redirect_uri",
        format!(
            "Redirect uri: must be a list of absolute URLs, https (or http on 127.0.0.1, \
             localhost or [::1]) without a fragment, such as [\"http://127.0.0.1/callback\"]: {why}"
        ),
        "InvalidValue",
    )
}

/// What a registered redirect URI may be: absolute, `https`, or `http` on a loopback host (a
/// native app's listener); no fragment, no user info; at most 2,000 characters.
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    if uri.is_empty() || uri.len() > 2_000 {
        return Err("a redirect URI has 1 to 2,000 characters".into());
    }
    if uri.contains('#') || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{uri}` has a fragment or a space"));
    }
    let parsed = Parsed::of(uri).ok_or_else(|| {
        format!("`{uri}` is not an absolute URL (with a port, when it has one, of 1 to 65535)")
    })?;
    match parsed.scheme.as_str() {
        "https" => Ok(()),
        "http" if parsed.loopback() => Ok(()),
        "http" => Err(format!(
            "`{uri}` is plain http on a host other than 127.0.0.1, localhost or [::1]"
        )),
        other => Err(format!("`{uri}` has the scheme {other}; use https")),
    }
}

/// Whether `given` (from an authorization request) is one of `registered`: the same string, or
/// for a loopback `http` URI the same host, path and query on any port.
pub fn redirect_uri_registered(registered: &[String], given: &str) -> bool {
    registered.iter().any(|uri| {
        uri == given
            || match (Parsed::of(uri), Parsed::of(given)) {
                (Some(r), Some(g)) => {
                    r.scheme == "http"
                        && r.loopback()
                        && r.same_but_port(&g)
                        && !given.contains('#')
                }
                _ => false,
            }
    })
}

/// The parts of an absolute URI that matching compares.
struct Parsed {
    scheme: String,
    host: String,
    path_and_query: String,
}

impl Parsed {
    fn of(uri: &str) -> Option<Parsed> {
        let parsed: axum::http::Uri = uri.parse().ok()?;
        let authority = parsed.authority()?;
        if authority.as_str().contains('@') {
            return None;
        }
        let host = authority.host().to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        // A port is digits naming 1 to 65535 (RFC 3986 §3.2.3; 0 is reserved): `:99999`,
        // `:abc` or `:0` is no address a listener can have.
        let port = &authority.as_str()[authority.host().len()..];
        if let Some(digits) = port.strip_prefix(':')
            && !digits.is_empty()
            && !digits.parse::<u16>().is_ok_and(|port| port != 0)
        {
            return None;
        }
        Some(Parsed {
            scheme: parsed.scheme_str()?.to_ascii_lowercase(),
            host,
            path_and_query: parsed
                .path_and_query()
                .map_or("/".to_string(), |p| p.as_str().to_string()),
        })
    }

    fn loopback(&self) -> bool {
        matches!(self.host.as_str(), "127.0.0.1" | "localhost" | "[::1]")
    }

    fn same_but_port(&self, other: &Parsed) -> bool {
        self.scheme == other.scheme
            && self.host == other.host
            && self.path_and_query == other.path_and_query
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_secret_shows_in_the_answer_and_never_in_debug() {
        let made = WithSecret {
            row: OAuthClientRow {
                json: json!({"id": 3, "identifier": "backend", "kind": "confidential"}),
                secret_hash: Some("hmac-sha256:00".into()),
            },
            secret: Some("client-s3cret".into()),
        };
        assert!(!format!("{made:?}").contains("s3cret"));
        assert_eq!(made.shown("http://x")["secret"], "client-s3cret");
        assert_eq!(client_json(&made.row, "http://x")["secret"], Value::Null);
        assert_eq!(
            client_json(&made.row, "http://x")["url"],
            "http://x/api/v2/oauth/clients/3.json"
        );
    }

    #[test]
    fn redirect_uris_are_https_or_loopback() {
        assert!(check_redirect_uri("https://app.example.com/oauth/callback").is_ok());
        assert!(check_redirect_uri("http://127.0.0.1/callback").is_ok());
        assert!(check_redirect_uri("http://[::1]:8000/callback").is_ok());
        assert!(check_redirect_uri("http://localhost/cb?x=1").is_ok());
        assert!(check_redirect_uri("http://app.example.com/callback").is_err());
        assert!(check_redirect_uri("https://app.example.com/cb#frag").is_err());
        assert!(check_redirect_uri("/callback").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("https://user@app.example.com/cb").is_err());
    }

    #[test]
    fn a_port_is_1_to_65535() {
        for uri in [
            "http://127.0.0.1:99999/cb",
            "http://127.0.0.1:0/cb",
            "http://[::1]:0/cb",
            "http://localhost:65536/cb",
        ] {
            assert!(check_redirect_uri(uri).is_err(), "{uri}");
            assert!(!redirect_uri_registered(
                &["http://127.0.0.1/cb".into()],
                uri
            ));
        }
        for uri in [
            "http://127.0.0.1:1/cb",
            "http://[::1]:65535/cb",
            "https://x.test/cb",
        ] {
            assert!(check_redirect_uri(uri).is_ok(), "{uri}");
        }
    }

    #[test]
    fn loopback_uris_match_on_any_port_and_nothing_else_does() {
        let registered = vec![
            "http://127.0.0.1/callback".to_string(),
            "https://app.example.com/cb".to_string(),
        ];
        assert!(redirect_uri_registered(
            &registered,
            "http://127.0.0.1:53111/callback"
        ));
        assert!(redirect_uri_registered(
            &registered,
            "http://127.0.0.1/callback"
        ));
        assert!(!redirect_uri_registered(
            &registered,
            "http://127.0.0.1:5/other"
        ));
        assert!(!redirect_uri_registered(
            &registered,
            "http://localhost:5/callback"
        ));
        assert!(!redirect_uri_registered(
            &registered,
            "https://app.example.com:444/cb"
        ));
        assert!(!redirect_uri_registered(
            &registered,
            "https://app.example.com/cb2"
        ));
        assert!(!redirect_uri_registered(
            &registered,
            "http://127.0.0.1:5/callback?x"
        ));
        assert!(redirect_uri_registered(
            &registered,
            "https://app.example.com/cb"
        ));
    }
}
