//! What a process remembers of sign-ins: credentials that signed in a moment ago (so a token or
//! password is not checked against the database on every request), and the throttle on wrong
//! credentials.
//!
//! The cache keeps a sign-in for at most [`SIGN_IN_CACHE_TTL`] after it was checked against the
//! database (using it does not extend that), and only while the account's credentials
//! generation is the one it was checked under: any change to users or credentials, through this
//! process or another on the same database, ends every remembered sign-in (see
//! `Store::credentials_generation`). Only sign-ins that succeeded are remembered, so a user
//! made a moment ago through another process signs in at once.
//!
//! The throttle slows guessing without ever refusing a right credential. Each account (an
//! email, an OAuth client) has [`MAX_FAILED_SIGN_INS`] wrong attempts in the minute that opens
//! at its first wrong one (not a clock minute, whose edge would split a burst of guesses and
//! let through twice the budget), counted by every process on a shared database (PostgreSQL). Past that budget, the account's attempts
//! are checked one at a time in each process, and a wrong one holds its turn for
//! [`WRONG_ANSWER_PAUSE`] before it is answered. A guesser therefore gets about one guess per
//! pause per process, however many requests it sends at once (a fast answer cannot tell a
//! right guess early: the checks themselves wait their turn), while the owner's right password
//! or token is checked in its turn and admitted at once, from any address: on loopback every
//! client shares one, so the address tells nobody apart. Bearer tokens are not counted: each
//! is 256 random bits, which nobody guesses, and counting per token would throttle nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::store::{Principal, Store};

/// How long a checked sign-in is remembered, at most.
pub const SIGN_IN_CACHE_TTL: Duration = Duration::from_secs(2);

/// Credentials that signed in recently, by a keyed fingerprint of the whole `Authorization`
/// header: (who, the credentials generation it was checked under, when it was checked).
pub struct SignInCache {
    entries: Mutex<HashMap<String, (Principal, u64, Instant)>>,
}

impl SignInCache {
    pub fn new() -> SignInCache {
        SignInCache {
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The sign-in checked under `generation` less than [`SIGN_IN_CACHE_TTL`] ago.
    pub fn get(&self, key: &str, generation: u64) -> Option<Principal> {
        let entries = lock(&self.entries);
        let (principal, seen, checked) = entries.get(key)?;
        (*seen == generation && checked.elapsed() < SIGN_IN_CACHE_TTL).then(|| principal.clone())
    }

    /// Remembers a sign-in just checked against the database under `generation`.
    pub fn put(&self, key: String, principal: Principal, generation: u64) {
        let mut entries = lock(&self.entries);
        if entries.len() >= 10_000 {
            entries.retain(|_, (_, _, checked)| checked.elapsed() < SIGN_IN_CACHE_TTL);
            if entries.len() >= 10_000 {
                entries.clear();
            }
        }
        entries.insert(key, (principal, generation, Instant::now()));
    }
}

impl Default for SignInCache {
    fn default() -> Self {
        SignInCache::new()
    }
}

/// Wrong attempts an account may make in the [`SIGN_IN_WINDOW_SECS`] after its first wrong one
/// before its attempts wait their turn.
pub const MAX_FAILED_SIGN_INS: u32 = 10;
pub const SIGN_IN_WINDOW_SECS: i64 = 60;
/// How long a wrong attempt past the budget holds its account's turn before it is answered.
pub const WRONG_ANSWER_PAUSE: Duration = Duration::from_secs(1);

/// Wrong sign-ins per account, and the turns of accounts past their budget.
pub struct SignInThrottle {
    /// (first failure of the window, failures) per account, when no store shares the count.
    failures: Mutex<HashMap<String, (i64, u32)>>,
    /// Where every process on the database counts (PostgreSQL).
    shared: Option<Store>,
    /// One turn per account past its budget, in this process.
    turns: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// [`WRONG_ANSWER_PAUSE`] (shorter in tests).
    pause: Duration,
}

/// One sign-in attempt of an account: holds the account's turn when it is past its budget.
pub struct Attempt {
    account: String,
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl SignInThrottle {
    /// `shared`: count in this store, for every process on the database.
    pub fn new(shared: Option<Store>) -> SignInThrottle {
        SignInThrottle {
            failures: Mutex::new(HashMap::new()),
            shared,
            turns: Mutex::new(HashMap::new()),
            pause: WRONG_ANSWER_PAUSE,
        }
    }

    /// Before a credential of `account` (a keyed fingerprint) is checked: an account past its
    /// budget waits for its earlier attempts in this process to be answered.
    pub async fn attempt(&self, account: &str) -> Attempt {
        let over = self.failures_now(account).await >= MAX_FAILED_SIGN_INS;
        let turn = if over {
            let turn = {
                let mut turns = lock(&self.turns);
                if turns.len() > 10_000 {
                    turns.retain(|_, turn| Arc::strong_count(turn) > 1);
                }
                turns.entry(account.to_string()).or_default().clone()
            };
            Some(turn.lock_owned().await)
        } else {
            None
        };
        Attempt {
            account: account.to_string(),
            turn,
        }
    }

    /// After a wrong credential: counts it, and past the budget answers only after
    /// [`WRONG_ANSWER_PAUSE`], holding the account's turn.
    pub async fn failed(&self, attempt: Attempt) {
        let failures = self.count_failure(&attempt.account).await;
        if attempt.turn.is_some() || failures > MAX_FAILED_SIGN_INS {
            tokio::time::sleep(self.pause).await;
        }
        drop(attempt);
    }

    /// The account's failures in the current window.
    async fn failures_now(&self, account: &str) -> u32 {
        let now = crate::util::now();
        if let Some(store) = &self.shared {
            match store
                .sign_in_failures(account, now, SIGN_IN_WINDOW_SECS, false)
                .await
            {
                Ok(Some(count)) => return u32::try_from(count).unwrap_or(u32::MAX),
                Ok(None) => {}
                // The count is a brake, not a gate: an unreadable count slows nothing.
                Err(error) => {
                    tracing::warn!(%error, "cannot read the failed sign-ins of an account");
                    return 0;
                }
            }
        }
        match lock(&self.failures).get(account) {
            Some((opened, count)) if in_window(*opened, now) => *count,
            _ => 0,
        }
    }

    /// Counts a failure; the account's failures in the window, this one included.
    async fn count_failure(&self, account: &str) -> u32 {
        let now = crate::util::now();
        if let Some(store) = &self.shared {
            match store
                .sign_in_failures(account, now, SIGN_IN_WINDOW_SECS, true)
                .await
            {
                Ok(Some(count)) => return u32::try_from(count).unwrap_or(u32::MAX),
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, "cannot count a failed sign-in");
                    return 0;
                }
            }
        }
        self.count_failure_here(account, now)
    }

    /// Counts a failure at `now` in this process's own count.
    fn count_failure_here(&self, account: &str, now: i64) -> u32 {
        let mut failures = lock(&self.failures);
        // Bounded: a flood of distinct accounts cannot grow the map without end.
        if failures.len() > 100_000 {
            failures.retain(|_, (opened, _)| in_window(*opened, now));
        }
        let entry = failures.entry(account.to_string()).or_insert((now, 0));
        if !in_window(entry.0, now) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1
    }
}

impl Default for SignInThrottle {
    fn default() -> Self {
        SignInThrottle::new(None)
    }
}

/// Whether a window opened at `opened` (Unix seconds) is still open at `now`.
fn in_window(opened: i64, now: i64) -> bool {
    opened > now - SIGN_IN_WINDOW_SECS
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_opens_at_the_first_failure_not_at_a_clock_minute() {
        let throttle = SignInThrottle::new(None);
        // A burst across the minute at 60 s is one window: it opened at 58.
        let counts: Vec<u32> = [58, 59, 60, 61, 117]
            .into_iter()
            .map(|now| throttle.count_failure_here("a", now))
            .collect();
        assert_eq!(counts, [1, 2, 3, 4, 5]);
        // 60 s after the first failure a new window opens.
        assert_eq!(throttle.count_failure_here("a", 118), 1);
        assert_eq!(throttle.count_failure_here("a", 119), 2);
    }

    #[tokio::test]
    async fn past_the_budget_wrong_attempts_take_turns_and_pause() {
        let pause = Duration::from_millis(100);
        let throttle = Arc::new(SignInThrottle {
            pause,
            ..SignInThrottle::new(None)
        });
        for _ in 0..MAX_FAILED_SIGN_INS {
            let attempt = throttle.attempt("a").await;
            assert!(
                attempt.turn.is_none(),
                "within the budget attempts run side by side"
            );
            let started = Instant::now();
            throttle.failed(attempt).await;
            assert!(started.elapsed() < pause);
        }
        // Three guesses at once, past the budget: answered a pause apart, not together.
        let started = Instant::now();
        let guesses: Vec<_> = (0..3)
            .map(|_| {
                let throttle = throttle.clone();
                tokio::spawn(async move {
                    let attempt = throttle.attempt("a").await;
                    throttle.failed(attempt).await;
                    started.elapsed()
                })
            })
            .collect();
        let mut answered = Vec::new();
        for guess in guesses {
            answered.push(guess.await.expect("a guess"));
        }
        answered.sort();
        for (n, took) in answered.iter().enumerate() {
            assert!(*took >= pause * (n as u32 + 1), "{answered:?}");
        }
        // The owner's right credential is checked in its turn and admitted without a pause.
        let right = throttle.attempt("a").await;
        assert!(right.turn.is_some());
        drop(right);
        assert!(started.elapsed() < pause * 4, "{:?}", started.elapsed());
        // Another account is not slowed.
        assert!(throttle.attempt("b").await.turn.is_none());
    }
}
