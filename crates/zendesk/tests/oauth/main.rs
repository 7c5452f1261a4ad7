//! OAuth sign-in tests against a fake authorization server served in-process (`fake.rs`): the
//! authorization code flow with PKCE and `state` through the loopback listener, refresh before
//! expiry and once on a 401, single-flight refreshes, rotation persisted before use, stored
//! sign-ins (file and keyring), and no secret in any `Debug` output or error.

mod fake;
mod flow;
mod refresh;
mod store;

use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use zendesk::oauth::{
    OAuthApp, OAuthClient, OAuthEndpoints, StoreError, TokenSet, TokenSource, TokenStore, now_unix,
};

/// An OAuth client for the fake (public unless a secret is given).
pub fn oauth_client(fake: &fake::Fake, secret: Option<&str>) -> OAuthClient {
    let app = match secret {
        Some(secret) => OAuthApp::confidential(fake::CLIENT_ID, secret),
        None => OAuthApp::public(fake::CLIENT_ID),
    };
    OAuthClient::new(OAuthEndpoints::for_base_url(&fake.url).unwrap(), app).unwrap()
}

/// Tokens as the fake would have issued them at sign-in, with the access token expiring in
/// `expires_in` seconds (as the client believes).
pub fn signed_in(fake: &fake::Fake, expires_in: u64) -> TokenSet {
    let issued = fake.state.issue_direct("read write");
    let body = serde_json::to_vec(&issued).unwrap();
    let mut tokens = TokenSet::from_response(&body, now_unix()).unwrap();
    tokens.expires_at = Some(now_unix() + expires_in);
    // Issued two hours ago: the full 60 s refresh margin applies.
    tokens.issued_at = Some(now_unix() - 7200);
    tokens
}

pub fn secret_of(tokens: &TokenSet) -> (String, String) {
    (
        tokens.access_token.expose_secret().to_owned(),
        tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned())
            .unwrap_or_default(),
    )
}

/// A client on the fake using `source`.
pub fn api_client(fake: &fake::Fake, source: &TokenSource) -> zendesk::Client {
    zendesk::Client::builder()
        .base_url(&fake.url)
        .auth(zendesk::Auth::oauth_source(source.clone()))
        .max_attempts(1)
        .build()
        .unwrap()
}

/// An in-memory token store that logs `saved:<access token>` into the fake's event log.
pub struct MemoryStore {
    pub tokens: Mutex<Option<TokenSet>>,
    pub events: Arc<Mutex<Vec<String>>>,
    pub saves: Mutex<usize>,
    /// How long a save takes (a slow keyring).
    pub save_delay: Mutex<std::time::Duration>,
}

impl MemoryStore {
    pub fn new(tokens: &TokenSet, events: Arc<Mutex<Vec<String>>>) -> Arc<Self> {
        Arc::new(Self {
            tokens: Mutex::new(Some(tokens.clone())),
            events,
            saves: Mutex::new(0),
            save_delay: Mutex::new(std::time::Duration::ZERO),
        })
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> Result<Option<TokenSet>, StoreError> {
        Ok(self.tokens.lock().unwrap().clone())
    }

    fn save(&self, tokens: &TokenSet) -> Result<(), StoreError> {
        let delay = *self.save_delay.lock().unwrap();
        std::thread::sleep(delay);
        self.events
            .lock()
            .unwrap()
            .push(format!("saved:{}", tokens.access_token.expose_secret()));
        *self.tokens.lock().unwrap() = Some(tokens.clone());
        *self.saves.lock().unwrap() += 1;
        Ok(())
    }
}

/// Asserts none of `secrets` appears in `text`.
pub fn assert_hidden(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!text.contains(secret), "a secret leaked into: {text}");
    }
}

pub fn body_text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

pub fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}
