//! What goes wrong below the rules, and how the store speaks of it safely: a stored record that
//! is not JSON is corrupt, and a database URL in a message never shows its password.

use std::fmt;

use serde_json::Value;

/// What went wrong below the rules. The detail is for the log; it never reaches a client.
#[derive(Clone, Debug)]
pub struct StoreError {
    pub kind: StoreErrorKind,
    pub detail: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// The database cannot be opened as configured (a bad URL, no server, a failed migration).
    Config,
    /// The database refused or failed a statement.
    Database,
    /// A stored value is not what the schema promises (a record that is not JSON).
    Corrupt,
    /// The store is closed or its writer stopped.
    Unavailable,
}

impl StoreError {
    pub fn config(detail: impl fmt::Display) -> StoreError {
        StoreError {
            kind: StoreErrorKind::Config,
            detail: detail.to_string(),
        }
    }

    pub fn database(detail: impl fmt::Display) -> StoreError {
        StoreError {
            kind: StoreErrorKind::Database,
            detail: detail.to_string(),
        }
    }

    pub fn corrupt(detail: impl fmt::Display) -> StoreError {
        StoreError {
            kind: StoreErrorKind::Corrupt,
            detail: detail.to_string(),
        }
    }

    pub fn unavailable(detail: impl fmt::Display) -> StoreError {
        StoreError {
            kind: StoreErrorKind::Unavailable,
            detail: detail.to_string(),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for StoreError {}

pub type StoreResult<T> = Result<T, StoreError>;

/// A database URL fit for a message: any password replaced (in the user part, or a
/// `password=` parameter).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut shown = match (base.find("://"), base.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &base[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => {
                    format!("{}{user}:***{}", &base[..scheme_end + 3], &base[at..])
                }
                None => base.to_string(),
            }
        }
        _ => base.to_string(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&pairs.join("&"));
    }
    shown
}

/// Parses a stored JSON column; a record that is not JSON is corrupt.
pub fn parse_stored(text: &str) -> StoreResult<Value> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(format!("stored JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://zd:s3cret@db.example:5432/zd"),
            "postgres://zd:***@db.example:5432/zd"
        );
        assert_eq!(redact_url("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            redact_url("postgres://zd@db/zd?schema=a&password=s3cret"),
            "postgres://zd@db/zd?schema=a&password=***"
        );
        assert_eq!(
            redact_url("postgres://zd@localhost/zd"),
            "postgres://zd@localhost/zd"
        );
    }
}
