//! The HTTP request one delivery attempt makes, as Zendesk makes it: the body (empty for GET and
//! DELETE, whose key-value pairs go to the query string), `Content-Type` for the request format,
//! `User-Agent: Zendesk Webhook`, `X-Zendesk-Account-Id`, `X-Zendesk-Webhook-Id`,
//! `X-Zendesk-Webhook-Invocation-Id`, the signature over timestamp + body
//! (`zendesk_types::webhook_signature`), the authentication header and the custom headers.
//! Every attempt of one invocation carries the same invocation id, so a receiver can drop a
//! duplicate.
//!
//! And where a delivery may go: a sandbox sends to this machine only (loopback) unless it was
//! started with `--webhook-allow-host` naming more, so a shared sandbox is no way into the
//! network it runs in.

use std::fmt;
use std::net::IpAddr;

use serde_json::{Value, json};
use zendesk_types::webhook_signature::{
    SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, timestamp_header,
};
use zendesk_types::webhooks::{ACCOUNT_ID_HEADER, INVOCATION_ID_HEADER, WEBHOOK_ID_HEADER};

use super::definition::{HttpMethod, RequestFormat, SigningSecret, Webhook};

pub const USER_AGENT: &str = "Zendesk Webhook";
/// The `X-Zendesk-Account-Id` of every delivery: the sandbox is one account.
pub const SANDBOX_ACCOUNT_ID: i64 = 1;
/// The secret Zendesk signs test deliveries (`POST /webhooks/test`) with, as documented.
pub const TEST_SIGNING_SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";

/// What identifies one invocation's attempts.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    pub account_id: i64,
    pub webhook_id: &'a str,
    pub invocation_id: &'a str,
    /// When this attempt is signed, Unix seconds.
    pub signed_at: i64,
}

/// A request to send. `Debug` and [`DeliveryRequest::logged`] never show the authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct DeliveryRequest {
    pub method: HttpMethod,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The header carrying the authentication, if any.
    secret_header: Option<String>,
}

impl fmt::Debug for DeliveryRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.logged_headers())
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

impl DeliveryRequest {
    /// The headers with the authentication's value shown as `[redacted]`.
    pub fn logged_headers(&self) -> Vec<(String, String)> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let secret = self
                    .secret_header
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(name));
                let value = if secret {
                    "[redacted]".into()
                } else {
                    value.clone()
                };
                (name.clone(), value)
            })
            .collect()
    }

    /// The request as an invocation attempt records it: `{"headers": [{key, value}],
    /// "payload"}`, the authentication redacted.
    pub fn logged(&self) -> Value {
        json!({
            "headers": self.logged_headers().into_iter()
                .map(|(key, value)| json!({"key": key, "value": value}))
                .collect::<Vec<_>>(),
            "payload": String::from_utf8_lossy(&self.body),
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A trigger's key-value pairs (`{"k": "v"}` or `[["k", "v"]]`), for a query string or a
/// form-encoded body; `None` when the body is something else.
fn pairs(body: &str) -> Option<Vec<(String, String)>> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(v.to_string()),
        Value::Null => Some(String::new()),
        _ => None,
    };
    match serde_json::from_str::<Value>(body).ok()? {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| Some((k.clone(), scalar(v)?)))
            .collect(),
        Value::Array(items) => items
            .iter()
            .map(|item| match item.as_array()?.as_slice() {
                [key, value] => Some((key.as_str()?.to_string(), scalar(value)?)),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn encode(pairs: &[(String, String)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        serializer.append_pair(key, value);
    }
    serializer.finish()
}

/// Builds the request of one attempt to deliver `body` (rendered, or an event payload).
pub fn build_request(
    webhook: &Webhook,
    secret: &SigningSecret,
    body: &str,
    invocation: &Invocation,
) -> DeliveryRequest {
    let mut url = webhook.endpoint.clone();
    let sent: Vec<u8> = if webhook.http_method.has_body() {
        match (webhook.request_format, pairs(body)) {
            (RequestFormat::FormEncoded, Some(pairs)) => encode(&pairs).into_bytes(),
            _ => body.as_bytes().to_vec(),
        }
    } else {
        if let Some(pairs) = pairs(body).filter(|p| !p.is_empty()) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&encode(&pairs));
        }
        Vec::new()
    };
    let timestamp = timestamp_header(invocation.signed_at);
    let mut headers = Vec::new();
    if webhook.http_method.has_body() {
        headers.push((
            "Content-Type".to_string(),
            webhook.request_format.content_type().to_string(),
        ));
    }
    headers.push(("User-Agent".into(), USER_AGENT.into()));
    headers.push((ACCOUNT_ID_HEADER.into(), invocation.account_id.to_string()));
    headers.push((WEBHOOK_ID_HEADER.into(), invocation.webhook_id.to_string()));
    headers.push((
        INVOCATION_ID_HEADER.into(),
        invocation.invocation_id.to_string(),
    ));
    headers.push((
        SIGNATURE_HEADER.into(),
        sign(secret.expose(), &timestamp, &sent),
    ));
    headers.push((TIMESTAMP_HEADER.into(), timestamp));
    let mut secret_header = None;
    if let Some(authentication) = &webhook.authentication {
        let (name, value) = authentication.header();
        secret_header = Some(name.clone());
        headers.push((name, value));
    }
    headers.extend(webhook.custom_headers.iter().cloned());
    DeliveryRequest {
        method: webhook.http_method,
        url,
        headers,
        body: sent,
        secret_header,
    }
}

/// Where deliveries may go: loopback always, other hosts only when named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostPolicy {
    allowed: Vec<String>,
}

impl HostPolicy {
    /// Loopback plus the hosts `--webhook-allow-host` names (compared case-insensitively).
    pub fn new<S: AsRef<str>>(allowed: impl IntoIterator<Item = S>) -> HostPolicy {
        HostPolicy {
            allowed: allowed
                .into_iter()
                .map(|h| {
                    let host = h.as_ref().trim();
                    host.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_ascii_lowercase()
                })
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    /// As [`HostPolicy::new`], each host checked: a name or an address, without scheme, port
    /// or path (`hooks.example.com`, `10.0.0.5`, `::1`). The error names the one refused.
    pub fn checked<S: AsRef<str>>(
        allowed: impl IntoIterator<Item = S>,
    ) -> Result<HostPolicy, String> {
        let hosts: Vec<String> = allowed
            .into_iter()
            .map(|h| h.as_ref().to_string())
            .collect();
        for host in &hosts {
            let bare = host.trim().trim_start_matches('[').trim_end_matches(']');
            let address = bare.parse::<IpAddr>().is_ok();
            let name = !bare.is_empty()
                && bare
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            if !address && !name {
                return Err(format!(
                    "--webhook-allow-host takes a host name or address such as hooks.example.com or 10.0.0.5, without scheme, port or path; got `{host}`"
                ));
            }
        }
        Ok(HostPolicy::new(hosts))
    }

    /// Whether `host` was named with `--webhook-allow-host` (any address it resolves to may
    /// then be dialled).
    pub fn names(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(host))
    }

    /// Whether a delivery to `url` may go, given the addresses its host resolved to. The error
    /// says why not, for the failed invocation's record.
    pub fn check(&self, url: &str, resolved: &[IpAddr]) -> Result<(), String> {
        let host = endpoint_host(url).ok_or_else(|| format!("`{url}` is not an http(s) URL"))?;
        if self.names(&host) {
            return Ok(());
        }
        if resolved.is_empty() {
            return Err(format!("the host `{host}` did not resolve"));
        }
        match resolved.iter().find(|ip| !ip.is_loopback()) {
            None => Ok(()),
            Some(ip) => Err(format!(
                "the sandbox sends webhooks to this machine only; `{host}` is {ip}, not loopback: start the sandbox with --webhook-allow-host {host} to allow it"
            )),
        }
    }
}

/// The host of an `http(s)://` URL, lower-cased, without port or IPv6 brackets.
pub fn endpoint_host(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    Some(host.to_ascii_lowercase()).filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zendesk_types::webhook_signature::verify;

    fn webhook(input: Value) -> Webhook {
        Webhook::parse_new(input.as_object().unwrap()).unwrap()
    }

    fn invocation() -> Invocation<'static> {
        Invocation {
            account_id: 1,
            webhook_id: "01HZX3B6J0X9Q8W6V5T4S3R2Q1",
            invocation_id: "01HZX3B6J0X9Q8W6V5T4S3R2QZ",
            signed_at: 1_627_207_200,
        }
    }

    #[test]
    fn a_delivery_carries_zendesks_headers_and_a_verifiable_signature() {
        let hook = webhook(json!({
            "name": "Pager", "endpoint": "http://127.0.0.1:9000/hook",
            "subscriptions": ["conditional_ticket_events"],
            "authentication": {"type": "bearer_token", "data": {"token": "t0ken"}},
            "custom_headers": {"X-Team": "support"}
        }));
        let secret = SigningSecret::from_stored(TEST_SIGNING_SECRET.into());
        let body = r#"{"ticket": "42"}"#;
        let request = build_request(&hook, &secret, body, &invocation());
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(request.body, body.as_bytes());
        let names: Vec<&str> = request.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "User-Agent",
                "X-Zendesk-Account-Id",
                "X-Zendesk-Webhook-Id",
                "X-Zendesk-Webhook-Invocation-Id",
                "X-Zendesk-Webhook-Signature",
                "X-Zendesk-Webhook-Signature-Timestamp",
                "Authorization",
                "X-Team"
            ]
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            request.header(TIMESTAMP_HEADER),
            Some("2021-07-25T10:00:00Z")
        );
        assert_eq!(request.header("Authorization"), Some("Bearer t0ken"));
        verify(
            TEST_SIGNING_SECRET,
            request.header(TIMESTAMP_HEADER),
            &request.body,
            request.header(SIGNATURE_HEADER),
            1_627_207_200,
        )
        .unwrap();
        // The log and Debug never show the token.
        assert!(!request.logged().to_string().contains("t0ken"));
        assert!(!format!("{request:?}").contains("t0ken"));
        assert_eq!(request.logged()["payload"], body);
    }

    #[test]
    fn get_sends_pairs_in_the_query_and_signs_an_empty_body() {
        let hook = webhook(
            json!({"name": "n", "endpoint": "http://localhost:9000/hook?a=1",
            "http_method": "GET", "subscriptions": ["conditional_ticket_events"]}),
        );
        let secret = SigningSecret::from_stored("s".into());
        let request = build_request(
            &hook,
            &secret,
            r#"[["ticket", "42"], ["who", "Ada K"]]"#,
            &invocation(),
        );
        assert_eq!(
            request.url,
            "http://localhost:9000/hook?a=1&ticket=42&who=Ada+K"
        );
        assert!(request.body.is_empty());
        assert_eq!(request.header("Content-Type"), None);
        let signed = request.header(SIGNATURE_HEADER).unwrap();
        assert_eq!(signed, sign("s", "2021-07-25T10:00:00Z", b""));
    }

    #[test]
    fn form_encoded_bodies_encode_pairs() {
        let hook = webhook(json!({"name": "n", "endpoint": "http://localhost/h",
            "request_format": "form_encoded", "subscriptions": ["conditional_ticket_events"]}));
        let request = build_request(
            &hook,
            &SigningSecret::from_stored("s".into()),
            r#"{"id": 42, "title": "a&b"}"#,
            &invocation(),
        );
        assert_eq!(request.body, b"id=42&title=a%26b");
        assert_eq!(
            request.header("Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    #[test]
    fn deliveries_go_to_loopback_unless_a_host_is_allowed() {
        let policy = HostPolicy::new(["Hooks.Example.com"]);
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let v6: IpAddr = "::1".parse().unwrap();
        let outside: IpAddr = "10.0.0.5".parse().unwrap();
        assert_eq!(
            policy.check("http://localhost:9000/x", &[loopback, v6]),
            Ok(())
        );
        assert_eq!(policy.check("http://[::1]:9000/x", &[v6]), Ok(()));
        assert_eq!(
            policy.check("https://hooks.example.com/x", &[outside]),
            Ok(())
        );
        let refused = policy
            .check("http://intranet:80/x", &[outside])
            .unwrap_err();
        assert!(
            refused.contains("--webhook-allow-host intranet"),
            "{refused}"
        );
        // A name resolving to loopback and elsewhere is refused: either could be used.
        assert!(
            policy
                .check("http://mixed/x", &[loopback, outside])
                .is_err()
        );
        assert!(
            policy
                .check("http://nowhere/x", &[])
                .unwrap_err()
                .contains("did not resolve")
        );
        assert_eq!(
            endpoint_host("https://user:pw@Host.Example:8443/p?q"),
            Some("host.example".into())
        );
        assert_eq!(endpoint_host("ftp://x"), None);
        assert!(HostPolicy::checked(["hooks.example.com", "10.0.0.5", "[::1]"]).is_ok());
        for bad in [
            "https://hooks.example.com",
            "hooks.example.com:8443",
            "a/b",
            " ",
        ] {
            let refused = HostPolicy::checked([bad]).unwrap_err();
            assert!(refused.contains(bad.trim()), "{refused}");
        }
        assert!(HostPolicy::checked(["[::1]"]).unwrap().names("::1"));
    }
}

/// The whole pure path of the issue's first scenario: a trigger on urgent creates tags the
/// ticket and calls a webhook; the call's body is rendered and signed so the receiver verifies
/// it with the webhook's secret.
#[cfg(test)]
mod scenario {
    use super::*;
    use crate::business_rules::effects::render_effects;
    use crate::business_rules::fixtures::{WEBHOOK, directory, end_user, ticket, vocabulary};
    use crate::business_rules::rule::{Rule, RuleDefinition};
    use crate::business_rules::ticket_update::TicketUpdate;
    use crate::business_rules::triggers::run;
    use crate::business_rules::vocabulary::RuleKind;
    use zendesk_types::webhook_signature::verify;

    #[test]
    fn an_urgent_ticket_pages_on_call_with_a_signed_rendered_body() {
        let input = json!({
            "title": "Page on-call for urgent tickets",
            "conditions": {"all": [
                {"field": "update_type", "operator": "is", "value": "Create"},
                {"field": "priority", "operator": "is", "value": "urgent"}
            ]},
            "actions": [
                {"field": "current_tags", "value": "paged"},
                {"field": "notification_webhook", "value": [WEBHOOK,
                    "{\"ticket\": \"{{ticket.id}}\", \"title\": \"{{ticket.title}}\", \"by\": \"{{ticket.requester.name}}\"}"]}
            ]
        });
        let trigger = Rule {
            id: 31,
            definition: RuleDefinition::parse_new(
                RuleKind::Trigger,
                input.as_object().unwrap(),
                &vocabulary(),
            )
            .unwrap(),
        };
        let mut created = ticket();
        created["priority"] = json!("urgent");
        created["subject"] = json!("Site \"down\"");
        let customer = end_user(5);
        let update = TicketUpdate {
            before: None,
            current_user: Some(&customer),
            comment: None,
            via: "api",
        };
        let result = run(&[trigger], &update, created, 0);
        assert_eq!(result.ticket["tags"], json!(["printer", "paged"]));
        let rendered = render_effects(
            &result.effects,
            &result.ticket,
            Some(&customer),
            &directory(),
        );
        let events = result.audit_events(&rendered, 1);
        assert_eq!(
            events[0]["via"]["source"]["from"]["title"],
            "Page on-call for urgent tickets"
        );

        let call = &rendered.webhook_calls[0];
        assert_eq!(call.webhook_id, WEBHOOK);
        let hook = Webhook::parse_new(
            json!({"name": "Pager", "endpoint": "http://127.0.0.1:9/hook",
            "subscriptions": ["conditional_ticket_events"]})
            .as_object()
            .unwrap(),
        )
        .unwrap();
        let secret = SigningSecret::generate().unwrap();
        let request = build_request(
            &hook,
            &secret,
            &call.body,
            &Invocation {
                account_id: 1,
                webhook_id: WEBHOOK,
                invocation_id: "01HZX3B6J0X9Q8W6V5T4S3R2QZ",
                signed_at: 1_700_000_000,
            },
        );
        let sent: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            sent,
            json!({"ticket": "42", "title": "Site \"down\"", "by": "Customer 5"})
        );
        verify(
            secret.expose(),
            request.header(TIMESTAMP_HEADER),
            &request.body,
            request.header(SIGNATURE_HEADER),
            1_700_000_010,
        )
        .unwrap();
        // Signed with another secret, the receiver refuses it.
        assert!(
            verify(
                "another",
                request.header(TIMESTAMP_HEADER),
                &request.body,
                request.header(SIGNATURE_HEADER),
                1_700_000_010
            )
            .is_err()
        );
    }
}
