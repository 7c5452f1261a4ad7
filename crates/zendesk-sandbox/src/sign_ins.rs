//! What a process remembers of sign-ins: credentials that signed in a moment ago (so a token
//! or password is not checked against the database on every request) and failed sign-ins per
//! account (ten a minute, then 429 until the minute ends). Per process, and fine so: another
//! process's credential change is seen within the cache's two seconds, and the throttle is a
//! courtesy limit.

use crate::error::ApiError;
use crate::store::Principal;

/// Credentials that signed in recently (by a keyed fingerprint of the whole `Authorization`
/// header), valid while users and credentials are unchanged in this process and for at most
/// [`SIGN_IN_CACHE_TTL`] (another process sharing the database may change them).
pub struct SignInCache {
    entries:
        std::sync::Mutex<std::collections::HashMap<String, (Principal, u64, std::time::Instant)>>,
}

pub const SIGN_IN_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

impl SignInCache {
    pub fn new() -> SignInCache {
        SignInCache {
            entries: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub fn get(&self, key: &str, generation: u64) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let (principal, seen, at) = entries.get(key)?;
        (*seen == generation && at.elapsed() < SIGN_IN_CACHE_TTL).then(|| principal.clone())
    }

    pub fn put(&self, key: String, principal: Principal, generation: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= 10_000 {
            entries.clear();
        }
        entries.insert(key, (principal, generation, std::time::Instant::now()));
    }
}

impl Default for SignInCache {
    fn default() -> Self {
        SignInCache::new()
    }
}

/// Failed sign-ins per account in a fixed window, shared by every request of this process.
pub struct SignInThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, (i64, u32)>>,
}

/// Failed sign-ins an account may make in [`SIGN_IN_WINDOW_SECS`].
pub const MAX_FAILED_SIGN_INS: u32 = 10;
pub const SIGN_IN_WINDOW_SECS: i64 = 60;

impl SignInThrottle {
    pub fn new() -> SignInThrottle {
        SignInThrottle {
            failures: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (i64, u32)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// 429 while the account has used up its failures.
    pub fn check(&self, account: &str) -> Result<(), ApiError> {
        let now = crate::util::now();
        let mut failures = self.lock();
        if let Some((start, count)) = failures.get(account).copied() {
            if now - start >= SIGN_IN_WINDOW_SECS {
                failures.remove(account);
            } else if count >= MAX_FAILED_SIGN_INS {
                return Err(ApiError::TooManySignIns {
                    retry_after: (start + SIGN_IN_WINDOW_SECS - now).max(1),
                });
            }
        }
        Ok(())
    }

    pub fn failed(&self, account: &str) {
        let now = crate::util::now();
        let mut failures = self.lock();
        // Bounded: a flood of distinct accounts cannot grow the map without end.
        if failures.len() > 100_000 {
            failures.retain(|_, (start, _)| now - *start < SIGN_IN_WINDOW_SECS);
        }
        let entry = failures.entry(account.to_string()).or_insert((now, 0));
        if now - entry.0 >= SIGN_IN_WINDOW_SECS {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle::new()
    }
}
