//! The HTTP client every delivery attempt (and `POST /webhooks/test`) goes out through, so a
//! sandbox others can reach is no way into the network it runs in:
//!
//! - the endpoint's host is resolved and checked with [`HostPolicy`] before anything is sent (a
//!   refusal says why, for the invocation log);
//! - the connection itself dials only addresses the policy allows (the client's resolver keeps
//!   loopback ones unless the host was named with `--webhook-allow-host`), so a name that
//!   resolves differently the second time (DNS rebinding) gains nothing;
//! - no proxy from the environment, no redirect followed (a 3xx is the answer, as Zendesk
//!   records it), Zendesk's 12-second timeout for the whole attempt;
//! - the answer's status, headers and at most [`MAX_LOGGED_RESPONSE`] bytes of its body are
//!   kept for the attempt's record.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::delivery::{DeliveryRequest, HostPolicy, endpoint_host};
use super::retry::{AttemptOutcome, LoggedResponse, RetryPolicy};

/// How much of an answer's body an attempt's record keeps.
pub const MAX_LOGGED_RESPONSE: usize = 64 * 1024;

/// What one request came to: the outcome the retry rule reads, and the answer for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub outcome: AttemptOutcome,
    pub response: Option<LoggedResponse>,
}

impl Sent {
    fn without_answer(outcome: AttemptOutcome) -> Sent {
        Sent {
            outcome,
            response: None,
        }
    }
}

/// The client, with the host policy it enforces.
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<HostPolicy>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("policy", &self.policy)
            .finish()
    }
}

/// Resolves names for the client, keeping only the addresses the policy lets it dial.
struct PolicyResolver {
    policy: Arc<HostPolicy>,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = resolve(&host).await;
            let named = policy.names(&host);
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|ip| named || ip.is_loopback())
                .map(|ip| SocketAddr::new(ip, 0))
                .collect();
            if kept.is_empty() {
                return Err(format!("`{host}` has no address this sandbox may send to").into());
            }
            Ok(Box::new(kept.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The addresses `host` resolves to (itself when it is an address); none when it does not
/// resolve.
async fn resolve(host: &str) -> Vec<IpAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return vec![ip];
    }
    match tokio::net::lookup_host((host, 0)).await {
        Ok(found) => found.map(|addr| addr.ip()).collect(),
        Err(_) => Vec::new(),
    }
}

/// TLS for `https` endpoints: rustls with the ring provider (already built for PostgreSQL's
/// TLS) and the operating system's roots, loaded once per process.
fn tls_config() -> Result<rustls::ClientConfig, String> {
    static CONFIG: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = roots.add(cert);
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
                .map_err(|error| format!("cannot set up TLS for webhook deliveries: {error}"))
        })
        .clone()
}

impl Outbound {
    /// A client that sends where `policy` allows.
    pub fn new(policy: HostPolicy) -> Result<Outbound, String> {
        let policy = Arc::new(policy);
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .dns_resolver(PolicyResolver {
                policy: policy.clone(),
            })
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_millis(RetryPolicy::ZENDESK.timeout_ms))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|error| format!("cannot build the webhook client: {error}"))?;
        Ok(Outbound { client, policy })
    }

    /// Sends `request` once, where the policy allows.
    pub async fn send(&self, request: &DeliveryRequest) -> Sent {
        let Some(host) = endpoint_host(&request.url) else {
            return Sent::without_answer(AttemptOutcome::Refused(format!(
                "`{}` is not an http:// or https:// URL",
                request.url
            )));
        };
        if let Err(why) = self.policy.check(&request.url, &resolve(&host).await) {
            return Sent::without_answer(AttemptOutcome::Refused(why));
        }
        let method = match reqwest::Method::from_bytes(request.method.as_str().as_bytes()) {
            Ok(method) => method,
            Err(_) => {
                return Sent::without_answer(AttemptOutcome::Refused(format!(
                    "{} is not an HTTP method",
                    request.method.as_str()
                )));
            }
        };
        let mut sending = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            sending = sending.header(name.as_str(), value.as_str());
        }
        if request.method.has_body() {
            sending = sending.body(request.body.clone());
        }
        match sending.send().await {
            Ok(response) => read_answer(response).await,
            Err(error) if error.is_timeout() => Sent::without_answer(AttemptOutcome::Timeout),
            Err(error) => Sent::without_answer(AttemptOutcome::Unreachable(describe(&error))),
        }
    }
}

/// The answer: its status and `Retry-After` for the retry rule, its headers and the start of
/// its body for the log.
async fn read_answer(mut response: reqwest::Response) -> Sent {
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut body = Vec::new();
    // The status is the answer; a body cut short (too long, too slow) is logged as far as it
    // came.
    while body.len() < MAX_LOGGED_RESPONSE {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = MAX_LOGGED_RESPONSE - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    Sent {
        outcome: AttemptOutcome::Response {
            status,
            retry_after,
        },
        response: Some(LoggedResponse {
            headers,
            payload: String::from_utf8_lossy(&body).into_owned(),
        }),
    }
}

/// Why a request got no answer, in words, without its URL (which may carry credentials).
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut words = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !text.is_empty() && !words.contains(&text) {
            words.push(text);
        }
        source = cause.source();
    }
    let kind = if error.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    if words.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {}", words.join(": "))
    }
}
