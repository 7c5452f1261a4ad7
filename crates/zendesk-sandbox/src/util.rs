//! The clock, Zendesk's timestamp forms, and fresh secrets.

use base64::Engine;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Now, in Unix seconds.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// `2023-09-18T23:22:37Z`, Zendesk's timestamp form.
pub fn iso(ts: i64) -> String {
    let Ok(dt) = OffsetDateTime::from_unix_timestamp(ts) else {
        return "1970-01-01T00:00:00Z".to_string();
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    )
}

/// `2023-09-18 23:22:37 +0000`, the form of a job's completion message.
pub fn job_time(ts: i64) -> String {
    iso(ts).replace('T', " ").replace('Z', " +0000")
}

/// Parses an ISO 8601 timestamp or a `YYYY-MM-DD` date into Unix seconds.
pub fn parse_time(text: &str) -> Option<i64> {
    if let Ok(dt) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some(dt.unix_timestamp());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &format)
        .ok()
        .map(|date| date.midnight().assume_utc().unix_timestamp())
}

/// A fresh secret (API token, OAuth token): 32 bytes from the OS, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    if getrandom::getrandom(&mut bytes).is_err() {
        // The OS generator failed (never seen on supported platforms): fall back to fastrand
        // seeded from the clock rather than refusing to start.
        for byte in &mut bytes {
            *byte = fastrand::u8(..);
        }
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
