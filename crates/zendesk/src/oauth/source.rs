//! `TokenSource`: the access token a client sends, kept fresh. It refreshes shortly before the
//! token expires and once when Zendesk answers 401, never twice at once (concurrent callers
//! wait for the one refresh in flight and share its result), and with a [`TokenStore`] it
//! persists a rotated refresh token before the new access token is used, so a crash between
//! the two loses nothing. Across processes the store's lock plays the same part: before
//! spending the refresh token, the source re-reads the store, and adopts tokens another process
//! already refreshed instead of spending a refresh token that rotation has made stale.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::{OAuthClient, TokenSet, now_unix};
use crate::error::{Error, Result};

/// Refresh this long before the access token's expiry (Zendesk's shortest lifetime is 5 min).
const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Why a token store failed. Never carries a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// Held while a refresh is decided, done and saved; dropping it lets other processes go.
pub type StoreGuard = Box<dyn Send>;

/// Where a sign-in's tokens live between processes (a keyring, a private file). Methods block
/// (file and keyring calls); the source calls them off the async executor.
///
/// Contract: the source calls `lock`, then `load`, and (after refreshing) `save`, all while
/// holding the guard `lock` returned, so `save` must not take that lock itself.
pub trait TokenStore: Send + Sync {
    /// An exclusive lock across processes for one refresh (default: none).
    fn lock(&self) -> std::result::Result<StoreGuard, StoreError> {
        Ok(Box::new(()))
    }
    /// The tokens stored now (another process may have refreshed them), if any.
    fn load(&self) -> std::result::Result<Option<TokenSet>, StoreError>;
    /// Stores `tokens` durably (they replace the previous ones).
    fn save(&self, tokens: &TokenSet) -> std::result::Result<(), StoreError>;
}

struct Current {
    tokens: TokenSet,
    /// Bumped at every change of access token; a 401 names the generation it was sent with.
    generation: u64,
    header: HeaderValue,
}

struct Inner {
    oauth: OAuthClient,
    current: RwLock<Current>,
    /// Taken by whoever refreshes; the others wait on it and then find the fresh token.
    gate: tokio::sync::Mutex<()>,
    store: Option<Arc<dyn TokenStore>>,
    margin: Duration,
    refreshes: AtomicU64,
}

/// An OAuth access token that refreshes itself. Cheap to clone (clones share one state).
/// `Debug` shows the client id, scope and expiry, never a token.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tokens = self.tokens();
        f.debug_struct("TokenSource")
            .field("origin", &self.inner.oauth.endpoints().origin().as_str())
            .field("client_id", &self.inner.oauth.app().client_id)
            .field("scope", &tokens.scope)
            .field("expires_at", &tokens.expires_at)
            .field("token", &"[redacted]")
            .finish()
    }
}

fn bearer(tokens: &TokenSet) -> Result<HeaderValue> {
    let token = tokens.access_token.expose_secret();
    if token.trim().is_empty() || token.chars().any(char::is_control) {
        return Err(Error::construction(
            "auth",
            "the OAuth access token is empty or contains control characters",
        ));
    }
    let mut value = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        Error::construction("auth", "the OAuth access token cannot be sent in a header")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

impl TokenSource {
    /// A source starting from `tokens`, refreshed through `oauth`.
    pub fn new(oauth: OAuthClient, tokens: TokenSet) -> Result<Self> {
        let header = bearer(&tokens)?;
        Ok(Self {
            inner: Arc::new(Inner {
                oauth,
                current: RwLock::new(Current {
                    tokens,
                    generation: 0,
                    header,
                }),
                gate: tokio::sync::Mutex::new(()),
                store: None,
                margin: DEFAULT_REFRESH_MARGIN,
                refreshes: AtomicU64::new(0),
            }),
        })
    }

    /// Persists every refreshed token set in `store` (before it is used) and reads it back
    /// before refreshing. Call before sharing the source.
    pub fn with_store(mut self, store: Arc<dyn TokenStore>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.store = Some(store);
        }
        self
    }

    /// Refresh this long before expiry (default 60 s). Call before sharing the source.
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.margin = margin;
        }
        self
    }

    /// The token endpoint client.
    pub fn oauth(&self) -> &OAuthClient {
        &self.inner.oauth
    }

    /// The tokens held now (a copy).
    pub fn tokens(&self) -> TokenSet {
        self.read(|current| current.tokens.clone())
    }

    /// How many refreshes this source has made (adoptions of another process's tokens excluded).
    pub fn refresh_count(&self) -> u64 {
        self.inner.refreshes.load(Ordering::SeqCst)
    }

    /// The access token, refreshed first if it expires within the margin.
    pub async fn access_token(&self) -> Result<SecretString> {
        self.authorization().await?;
        Ok(self.read(|current| current.tokens.access_token.clone()))
    }

    /// Refreshes now, whatever the expiry (single-flight like the others).
    pub async fn refresh_now(&self) -> Result<()> {
        let generation = self.read(|current| current.generation);
        self.refresh_from(generation, Trigger::Forced).await
    }

    fn read<T>(&self, f: impl FnOnce(&Current) -> T) -> T {
        let current = self
            .inner
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&current)
    }

    /// The header to send and the generation it belongs to, refreshing first when the token
    /// expires within the margin.
    pub(crate) async fn authorization(&self) -> Result<(HeaderValue, u64)> {
        let (expiring, generation) = self.read(|current| {
            (
                current.tokens.expires_within(self.inner.margin, now_unix()),
                current.generation,
            )
        });
        if expiring {
            self.refresh_from(generation, Trigger::Expiring).await?;
        }
        Ok(self.read(|current| (current.header.clone(), current.generation)))
    }

    /// Zendesk refused the token of `generation` with a 401: refresh (unless another caller
    /// already replaced that token). Returns once a different token is ready to retry with.
    pub(crate) async fn rejected(&self, generation: u64) -> Result<()> {
        self.refresh_from(generation, Trigger::Rejected).await
    }

    async fn refresh_from(&self, generation: u64, trigger: Trigger) -> Result<()> {
        let _gate = self.inner.gate.lock().await;
        // Whoever held the gate before us may have refreshed already.
        let (still_due, held) = self.read(|current| {
            let due = current.generation == generation
                && match trigger {
                    Trigger::Expiring => {
                        current.tokens.expires_within(self.inner.margin, now_unix())
                    }
                    Trigger::Rejected | Trigger::Forced => true,
                };
            (due, current.tokens.clone())
        });
        if !still_due {
            return Ok(());
        }

        let store = self.inner.store.clone();
        let (guard, stored) = match &store {
            Some(store) => {
                let store = store.clone();
                blocking(move || {
                    let guard = store.lock()?;
                    let stored = store.load()?;
                    Ok((Some(guard), stored))
                })
                .await?
            }
            None => (None, None),
        };
        let held = match (&store, stored) {
            // The sign-in was removed from the store (signed out elsewhere): do not bring it back.
            (Some(_), None) => {
                return Err(Error::OAuth {
                    operation: "refreshing the access token",
                    status: None,
                    code: Some("signed_out".into()),
                    message: "this sign-in is no longer stored (it was signed out); sign in again"
                        .into(),
                });
            }
            // Another process refreshed since we loaded: its tokens are the live ones (rotation
            // revoked ours), so use them rather than spend a stale refresh token.
            (_, Some(stored)) if !stored.same_access_token(&held) => {
                if trigger == Trigger::Rejected
                    || !stored.expires_within(self.inner.margin, now_unix())
                {
                    tracing::debug!("adopting the tokens another process refreshed");
                    return self.install(stored);
                }
                stored
            }
            _ => held,
        };
        if held.refresh_token_expired(now_unix()) {
            return Err(Error::OAuth {
                operation: "refreshing the access token",
                status: None,
                code: Some("refresh_token_expired".into()),
                message: "the refresh token has expired; sign in again".into(),
            });
        }
        tracing::info!(?trigger, "refreshing the OAuth access token");
        let fresh = self.inner.oauth.refresh(&held).await?;
        self.inner.refreshes.fetch_add(1, Ordering::SeqCst);
        // Rotation: the old refresh token is dead at Zendesk now; store the new one before
        // anything uses the new access token, so a crash from here on loses nothing.
        if let Some(store) = store {
            let to_save = fresh.clone();
            let saved = blocking(move || store.save(&to_save)).await;
            if let Err(error) = saved {
                // The tokens still work in this process; the next one will have to sign in.
                tracing::warn!(%error, "the refreshed OAuth tokens could not be stored");
            }
        }
        drop(guard);
        self.install(fresh)
    }

    fn install(&self, tokens: TokenSet) -> Result<()> {
        let header = bearer(&tokens)?;
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        current.tokens = tokens;
        current.header = header;
        current.generation += 1;
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Trigger {
    Expiring,
    Rejected,
    Forced,
}

/// Runs a blocking store call off the async executor.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, StoreError> + Send + 'static,
) -> Result<T> {
    let outcome = tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::OAuth {
            operation: "reading the stored sign-in",
            status: None,
            code: None,
            message: format!("the token store call did not finish: {e}"),
        })?;
    outcome.map_err(|e| Error::OAuth {
        operation: "reading the stored sign-in",
        status: None,
        code: Some("token_store".into()),
        message: e.0,
    })
}
