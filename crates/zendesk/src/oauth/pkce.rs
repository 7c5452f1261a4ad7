//! PKCE (RFC 7636) with the S256 method, the `state` value of an authorization request, and the
//! randomness both need (the OS generator, through `ring`, which TLS already builds).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SecureRandom as _;
use secrecy::{ExposeSecret, SecretString};

/// `count` bytes from the OS generator, base64url without padding.
pub(crate) fn random_urlsafe(count: usize) -> String {
    let mut bytes = vec![0u8; count];
    // The OS generator failing is not something a caller can recover from or work around.
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the operating system's random generator is unavailable");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The S256 code challenge of a verifier: `BASE64URL(SHA256(ASCII(verifier)))`, no padding.
pub fn s256_challenge(verifier: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// A PKCE pair: the secret verifier (sent only to the token endpoint) and its S256 challenge
/// (sent in the authorization URL). `Debug` shows the challenge only.
#[derive(Clone)]
pub struct Pkce {
    verifier: SecretString,
    challenge: String,
}

impl Pkce {
    /// A fresh verifier of 43 characters (32 random bytes, base64url), the RFC's recommendation.
    pub fn generate() -> Self {
        Self::from_verifier(random_urlsafe(32)).expect("a generated verifier is well formed")
    }

    /// A pair from a known verifier (43 to 128 characters of `[A-Za-z0-9-._~]`, RFC 7636 §4.1).
    pub fn from_verifier(verifier: impl Into<String>) -> Result<Self, String> {
        let verifier = verifier.into();
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~');
        if !(43..=128).contains(&verifier.len()) || !verifier.chars().all(allowed) {
            return Err(
                "a PKCE code verifier must be 43 to 128 characters of letters, digits, '-', '.', '_' or '~'"
                    .into(),
            );
        }
        let challenge = s256_challenge(&verifier);
        Ok(Self {
            verifier: SecretString::from(verifier),
            challenge,
        })
    }

    /// The `code_challenge` for the authorization URL.
    pub fn challenge(&self) -> &str {
        &self.challenge
    }

    /// The `code_challenge_method`: always `S256` (never `plain`).
    pub fn method(&self) -> &'static str {
        "S256"
    }

    /// The `code_verifier` for the token request (secret).
    pub fn verifier(&self) -> &SecretString {
        &self.verifier
    }

    pub(crate) fn verifier_str(&self) -> &str {
        self.verifier.expose_secret()
    }
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"[redacted]")
            .field("challenge", &self.challenge)
            .field("method", &"S256")
            .finish()
    }
}

/// Compares two strings in time independent of where they differ (for `state`).
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b_vector() {
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(pkce.method(), "S256");
    }

    #[test]
    fn generated_verifiers_are_fresh_and_well_formed() {
        let a = Pkce::generate();
        let b = Pkce::generate();
        assert_eq!(a.verifier_str().len(), 43);
        assert_ne!(a.verifier_str(), b.verifier_str());
        assert_eq!(a.challenge(), s256_challenge(a.verifier_str()));
        assert!(Pkce::from_verifier(a.verifier_str()).is_ok());
        let debug = format!("{a:?}");
        assert!(!debug.contains(a.verifier_str()), "{debug}");
    }

    #[test]
    fn bad_verifiers_are_refused() {
        assert!(Pkce::from_verifier("short").is_err());
        assert!(Pkce::from_verifier("a".repeat(129)).is_err());
        assert!(Pkce::from_verifier(format!("{}+", "a".repeat(43))).is_err());
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
