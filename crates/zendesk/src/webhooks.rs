//! Receiving webhooks: checking that a delivery comes from Zendesk and has not been replayed.
//! (Managing webhooks is `client.webhooks()`.)
//!
//! Every delivery carries `X-Zendesk-Webhook-Signature`, the base64 HMAC-SHA256 of
//! `X-Zendesk-Webhook-Signature-Timestamp` followed by the raw body, keyed with the webhook's
//! signing secret (`client.webhooks().signing_secret(&id)`). A receiver must:
//!
//! - check the **exact bytes received**, before parsing them (re-encoding JSON changes them);
//! - refuse a timestamp more than [`MAX_CLOCK_SKEW_SECS`] (5 minutes) from its clock, so a
//!   captured delivery cannot be replayed later ([`verify`] uses the system clock);
//! - answer 2xx quickly (Zendesk waits 12 s, then retries), and drop repeats by
//!   `X-Zendesk-Webhook-Invocation-Id`: delivery is at least once.
//!
//! The comparison runs in constant time, and no error shows the secret or the expected
//! signature.
//!
//! ```
//! use axum::{body::Bytes, http::{HeaderMap, StatusCode}};
//!
//! async fn receive(headers: HeaderMap, body: Bytes) -> StatusCode {
//!     let secret = std::env::var("ZENDESK_WEBHOOK_SECRET").unwrap_or_default();
//!     match zendesk::webhooks::verify_headers(&secret, &headers, &body) {
//!         Ok(()) => {
//!             // Parse `body` and handle the event.
//!             StatusCode::OK
//!         }
//!         Err(refused) => {
//!             eprintln!("refused a delivery: {refused}");
//!             StatusCode::UNAUTHORIZED
//!         }
//!     }
//! }
//! # let _ = axum::Router::<()>::new().route("/zendesk", axum::routing::post(receive));
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

pub use zendesk_types::webhook_signature::{
    MAX_CLOCK_SKEW_SECS, SIGNATURE_HEADER, SignatureError, TIMESTAMP_HEADER, sign, timestamp_header,
};
pub use zendesk_types::webhooks::{ACCOUNT_ID_HEADER, INVOCATION_ID_HEADER, WEBHOOK_ID_HEADER};

/// Checks one delivery against the system clock: `signature` (the `X-Zendesk-Webhook-Signature`
/// header) must sign `timestamp` (`X-Zendesk-Webhook-Signature-Timestamp`) followed by `body`
/// under `secret`, and `timestamp` must be within 5 minutes of now.
pub fn verify(
    secret: &str,
    timestamp: &str,
    body: &[u8],
    signature: &str,
) -> Result<(), SignatureError> {
    verify_at(secret, Some(timestamp), body, Some(signature), unix_now())
}

/// [`verify`] at a given moment (Unix seconds), with the headers a delivery may lack as `None`
/// (refused as [`SignatureError::Missing`]).
pub fn verify_at(
    secret: &str,
    timestamp: Option<&str>,
    body: &[u8],
    signature: Option<&str>,
    now: i64,
) -> Result<(), SignatureError> {
    zendesk_types::webhook_signature::verify(secret, timestamp, body, signature, now)
}

/// Checks a delivery from its headers (`http::HeaderMap`, as axum, hyper and reqwest hand them
/// over; names are case-insensitive) and raw body, against the system clock.
pub fn verify_headers(
    secret: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), SignatureError> {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().map_err(|_| name.to_owned()))
    };
    let signature = match header(SIGNATURE_HEADER).transpose() {
        Ok(signature) => signature,
        Err(_) => return Err(SignatureError::MalformedSignature),
    };
    let timestamp = match header(TIMESTAMP_HEADER).transpose() {
        Ok(timestamp) => timestamp,
        Err(_) => {
            return Err(SignatureError::MalformedTimestamp("(not text)".to_owned()));
        }
    };
    verify_at(secret, timestamp, body, signature, unix_now())
}

/// Checks a delivery whose headers are read through `header` (a name in Zendesk's spelling,
/// answered case-insensitively by the caller), for servers without an `http::HeaderMap`.
pub fn verify_with<'a>(
    secret: &str,
    header: impl Fn(&str) -> Option<&'a str>,
    body: &[u8],
) -> Result<(), SignatureError> {
    verify_at(
        secret,
        header(TIMESTAMP_HEADER),
        body,
        header(SIGNATURE_HEADER),
        unix_now(),
    )
}

/// Who sent a delivery, from its headers: the webhook, the invocation (the same on every
/// retried attempt: drop repeats by it) and the account. Read only after the signature checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryHeaders {
    pub webhook_id: Option<String>,
    pub invocation_id: Option<String>,
    pub account_id: Option<String>,
}

impl DeliveryHeaders {
    /// The delivery headers present in `headers`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        DeliveryHeaders {
            webhook_id: text(WEBHOOK_ID_HEADER),
            invocation_id: text(INVOCATION_ID_HEADER),
            account_id: text(ACCOUNT_ID_HEADER),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    const SECRET: &str = "a-webhook-signing-secret";
    const BODY: &[u8] = br#"{"type":"zen:event-type:ticket.created","subject":"zen:ticket:7"}"#;

    fn signed_headers(at: i64, body: &[u8]) -> HeaderMap {
        let timestamp = timestamp_header(at);
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-zendesk-webhook-signature",
            HeaderValue::from_str(&sign(SECRET, &timestamp, body)).unwrap(),
        );
        headers.insert(
            "X-Zendesk-Webhook-Signature-Timestamp",
            HeaderValue::from_str(&timestamp).unwrap(),
        );
        headers.insert(
            WEBHOOK_ID_HEADER,
            HeaderValue::from_static("01HANAN7NVBM93Z21ZGCXESV8X"),
        );
        headers
    }

    #[test]
    fn a_fresh_signed_delivery_passes_whatever_the_header_case() {
        let headers = signed_headers(unix_now(), BODY);
        assert_eq!(verify_headers(SECRET, &headers, BODY), Ok(()));
        let timestamp = headers[TIMESTAMP_HEADER].to_str().unwrap();
        let signature = headers[SIGNATURE_HEADER].to_str().unwrap();
        assert_eq!(verify(SECRET, timestamp, BODY, signature), Ok(()));
        let lookup = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        assert_eq!(verify_with(SECRET, lookup, BODY), Ok(()));
        assert_eq!(
            DeliveryHeaders::from_headers(&headers)
                .webhook_id
                .as_deref(),
            Some("01HANAN7NVBM93Z21ZGCXESV8X")
        );
    }

    #[test]
    fn forged_stale_and_missing_deliveries_are_refused() {
        let now = unix_now();
        let changed_body = br#"{"type":"zen:event-type:ticket.created","subject":"zen:ticket:8"}"#;
        assert_eq!(
            verify_headers(SECRET, &signed_headers(now, BODY), changed_body),
            Err(SignatureError::Forged)
        );
        assert_eq!(
            verify_headers("another secret", &signed_headers(now, BODY), BODY),
            Err(SignatureError::Forged)
        );
        assert!(matches!(
            verify_headers(SECRET, &signed_headers(now - 600, BODY), BODY),
            Err(SignatureError::Stale { .. })
        ));
        let mut unsigned = signed_headers(now, BODY);
        unsigned.remove(SIGNATURE_HEADER);
        assert_eq!(
            verify_headers(SECRET, &unsigned, BODY),
            Err(SignatureError::Missing(SIGNATURE_HEADER))
        );
        let mut garbled = signed_headers(now, BODY);
        garbled.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_bytes(b"\xff\xfe").unwrap(),
        );
        assert_eq!(
            verify_headers(SECRET, &garbled, BODY),
            Err(SignatureError::MalformedSignature)
        );
    }
}
