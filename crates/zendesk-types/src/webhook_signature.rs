//! How Zendesk signs a webhook delivery, and how a receiver checks it: the one definition both
//! the sandbox (which signs what it sends) and the client (which verifies what it receives) use.
//!
//! Zendesk sends `X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(key = the signing secret as
//! text, message = timestamp + body))` and `X-Zendesk-Webhook-Signature-Timestamp` (ISO 8601,
//! `2021-07-25T10:00:00Z`). A receiver recomputes the signature over the exact bytes received,
//! compares in constant time, and refuses a timestamp too far from its own clock, so a captured
//! delivery cannot be replayed later.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Zendesk-Webhook-Signature";
/// The header carrying the timestamp that was signed.
pub const TIMESTAMP_HEADER: &str = "X-Zendesk-Webhook-Signature-Timestamp";
/// How far a delivery's timestamp may be from the receiver's clock, either way (5 minutes).
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Why a delivery's signature was refused. Never holds the secret or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the delivery has no {0} header")]
    Missing(&'static str),
    #[error("the {SIGNATURE_HEADER} header is not base64 of a SHA-256 HMAC")]
    MalformedSignature,
    #[error(
        "the {TIMESTAMP_HEADER} header `{0}` is not an ISO 8601 time like 2021-07-25T10:00:00Z"
    )]
    MalformedTimestamp(String),
    #[error(
        "the delivery's timestamp is {skew_secs} s from this clock (at most {MAX_CLOCK_SKEW_SECS} s): a replay, or a clock out of step"
    )]
    Stale { skew_secs: i64 },
    #[error(
        "the signature does not match: the body was changed, or it was signed with another secret"
    )]
    Forged,
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac
}

/// The `X-Zendesk-Webhook-Signature` value Zendesk sends for `body` signed at `timestamp`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// The timestamp header's value for a moment (Unix seconds), as Zendesk writes it.
pub fn timestamp_header(unix_secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_secs)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Checks a delivery: `signature` must be [`sign`] of `timestamp` + `body` under `secret`
/// (compared in constant time), and `timestamp` within [`MAX_CLOCK_SKEW_SECS`] of `now`
/// (Unix seconds). `None` for a header the delivery did not carry.
pub fn verify(
    secret: &str,
    timestamp: Option<&str>,
    body: &[u8],
    signature: Option<&str>,
    now: i64,
) -> Result<(), SignatureError> {
    let signature = signature.ok_or(SignatureError::Missing(SIGNATURE_HEADER))?;
    let timestamp = timestamp.ok_or(SignatureError::Missing(TIMESTAMP_HEADER))?;
    let expected = base64::engine::general_purpose::STANDARD
        .decode(signature.trim())
        .map_err(|_| SignatureError::MalformedSignature)?;
    if expected.len() != 32 {
        return Err(SignatureError::MalformedSignature);
    }
    let at = OffsetDateTime::parse(timestamp.trim(), &Rfc3339)
        .map_err(|_| SignatureError::MalformedTimestamp(timestamp.chars().take(64).collect()))?;
    let skew_secs = (now - at.unix_timestamp()).abs();
    if skew_secs > MAX_CLOCK_SKEW_SECS {
        return Err(SignatureError::Stale { skew_secs });
    }
    mac(secret, timestamp, body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Forged)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
    const TIMESTAMP: &str = "2021-07-25T10:00:00Z";
    const BODY: &[u8] = br#"{"type":"zen:event-type:ticket.created"}"#;
    // Computed independently: python3 -c 'import hmac,hashlib,base64;
    // print(base64.b64encode(hmac.new(SECRET.encode(), (TIMESTAMP+BODY).encode(), hashlib.sha256).digest()).decode())'
    const VECTOR: &str = "MjG/BrNyP5bLvpQnJ6uQ4LtMqtCB0MBadEBaz4x/Pu4=";

    fn at(timestamp: &str) -> i64 {
        OffsetDateTime::parse(timestamp, &Rfc3339)
            .unwrap()
            .unix_timestamp()
    }

    #[test]
    fn signs_as_an_independent_hmac_does() {
        assert_eq!(sign(SECRET, TIMESTAMP, BODY), VECTOR);
    }

    #[test]
    fn a_good_delivery_passes_within_the_skew() {
        let now = at(TIMESTAMP) + MAX_CLOCK_SKEW_SECS;
        assert_eq!(
            verify(SECRET, Some(TIMESTAMP), BODY, Some(VECTOR), now),
            Ok(())
        );
        let earlier = at(TIMESTAMP) - MAX_CLOCK_SKEW_SECS;
        assert_eq!(
            verify(SECRET, Some(TIMESTAMP), BODY, Some(VECTOR), earlier),
            Ok(())
        );
    }

    #[test]
    fn each_bad_delivery_says_which_check_failed() {
        let now = at(TIMESTAMP);
        assert_eq!(
            verify(SECRET, Some(TIMESTAMP), BODY, None, now),
            Err(SignatureError::Missing(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify(SECRET, None, BODY, Some(VECTOR), now),
            Err(SignatureError::Missing(TIMESTAMP_HEADER))
        );
        assert_eq!(
            verify(SECRET, Some(TIMESTAMP), BODY, Some("not base64!"), now),
            Err(SignatureError::MalformedSignature)
        );
        assert!(matches!(
            verify(SECRET, Some("yesterday"), BODY, Some(VECTOR), now),
            Err(SignatureError::MalformedTimestamp(_))
        ));
        assert_eq!(
            verify(
                SECRET,
                Some(TIMESTAMP),
                BODY,
                Some(VECTOR),
                now + MAX_CLOCK_SKEW_SECS + 1
            ),
            Err(SignatureError::Stale {
                skew_secs: MAX_CLOCK_SKEW_SECS + 1
            })
        );
        assert_eq!(
            verify(SECRET, Some(TIMESTAMP), b"{}", Some(VECTOR), now),
            Err(SignatureError::Forged)
        );
        assert_eq!(
            verify("another secret", Some(TIMESTAMP), BODY, Some(VECTOR), now),
            Err(SignatureError::Forged)
        );
        // A re-signed timestamp without the secret: the old signature no longer matches.
        assert_eq!(
            verify(
                SECRET,
                Some("2021-07-25T10:00:01Z"),
                BODY,
                Some(VECTOR),
                now
            ),
            Err(SignatureError::Forged)
        );
    }

    #[test]
    fn errors_never_hold_the_secret_or_the_expected_signature() {
        let error =
            verify(SECRET, Some(TIMESTAMP), b"{}", Some(VECTOR), at(TIMESTAMP)).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(SECRET) && !shown.contains(VECTOR));
    }

    #[test]
    fn timestamps_are_written_as_zendesk_writes_them() {
        assert_eq!(timestamp_header(at(TIMESTAMP)), TIMESTAMP);
    }
}
