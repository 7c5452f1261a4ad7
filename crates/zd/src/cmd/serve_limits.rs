//! The serving limits as command-line flags, shared by `zd sandbox serve` and `zd mcp --http`:
//! header, body and idle timeouts, the connection cap and the largest request body. Each flag
//! left out keeps the library's default (`zendesk_sandbox::ServerLimits::default()`).

use std::time::Duration;

use zendesk_sandbox::ServerLimits;

#[derive(clap::Args, Clone, Debug, Default)]
pub struct ServeLimitArgs {
    /// Time a client has to send a request's headers; slower ones are disconnected
    /// (e.g. `10s`, `500ms`) [default: 10s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub header_timeout: Option<Duration>,
    /// Time a client has to send a request body after its headers; slower ones get 408
    /// [default: 30s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub body_timeout: Option<Duration>,
    /// How long a keep-alive connection may wait idle for its next request [default: 60s]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,
    /// Connections served at once; lowered to fit the process's file limit (ulimit -n)
    /// [default: 512]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: Option<u32>,
    /// Largest request body; larger ones get 413 (e.g. `2MiB`, `512KiB`, `100000`)
    /// [default: 2MiB]
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_body_size: Option<usize>,
}

impl ServeLimitArgs {
    /// The limits these flags ask for, the defaults elsewhere.
    pub fn limits(&self) -> ServerLimits {
        let defaults = ServerLimits::default();
        ServerLimits {
            header_read_timeout: self.header_timeout.unwrap_or(defaults.header_read_timeout),
            body_read_timeout: self.body_timeout.unwrap_or(defaults.body_read_timeout),
            idle_timeout: self.idle_timeout.unwrap_or(defaults.idle_timeout),
            max_connections: self
                .max_connections
                .map_or(defaults.max_connections, |n| n as usize),
            max_body_bytes: self.max_body_size.unwrap_or(defaults.max_body_bytes),
            shutdown_grace: defaults.shutdown_grace,
        }
    }

    /// The flags given, by name (for refusing them where they do not apply).
    pub fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        let flags = [
            ("--header-timeout", self.header_timeout.is_some()),
            ("--body-timeout", self.body_timeout.is_some()),
            ("--idle-timeout", self.idle_timeout.is_some()),
            ("--max-connections", self.max_connections.is_some()),
            ("--max-body-size", self.max_body_size.is_some()),
        ];
        for (flag, set) in flags {
            if set {
                given.push(flag);
            }
        }
        given
    }
}

/// `10s`, `500ms`, `2m`, `1.5s`, `1h`, or a bare number of seconds; more than zero.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let invalid = || format!("expected a duration such as 10s, 500ms or 2m, got `{raw}`");
    let text = raw.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let seconds = match unit.trim() {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        "h" => number * 3600.0,
        _ => return Err(invalid()),
    };
    if !seconds.is_finite() || seconds <= 0.0 || seconds > 366.0 * 24.0 * 3600.0 {
        return Err(format!(
            "expected a duration longer than zero and at most a year, got `{raw}`"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `2MiB`, `512KiB`, `1GiB`, `100kB`, `5MB`, or a bare number of bytes; at least 1.
pub fn parse_size(raw: &str) -> Result<usize, String> {
    let invalid = || format!("expected a size such as 2MiB, 512KiB or 100000 (bytes), got `{raw}`");
    let text = raw.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return Err(invalid()),
    };
    let bytes = number.checked_mul(multiplier).ok_or_else(invalid)?;
    if bytes == 0 {
        return Err(format!("expected a size of at least 1 byte, got `{raw}`"));
    }
    usize::try_from(bytes).map_err(|_| invalid())
}

/// Renders a duration the way the flags take it (`10s`, `500ms`, `30m`), to check the help.
#[cfg(test)]
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if !millis.is_multiple_of(1000) {
        format!("{millis}ms")
    } else if millis.is_multiple_of(3_600_000) {
        format!("{}h", millis / 3_600_000)
    } else if millis.is_multiple_of(60_000) && millis >= 120_000 {
        format!("{}m", millis / 60_000)
    } else {
        format!("{}s", millis / 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        limits: ServeLimitArgs,
    }

    #[test]
    fn durations_and_sizes_parse_in_the_forms_the_help_shows() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in ["", "0", "0s", "ten", "5 parsecs", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_size("2MiB"), Ok(2 * 1024 * 1024));
        assert_eq!(parse_size("512kib"), Ok(512 * 1024));
        assert_eq!(parse_size("100000"), Ok(100_000));
        assert_eq!(parse_size("5MB"), Ok(5_000_000));
        for bad in ["", "0", "2 fathoms", "1.5MiB", "-3"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert!(
            parse_size("lots")
                .unwrap_err()
                .contains("such as 2MiB, 512KiB")
        );
    }

    #[test]
    fn no_flags_are_the_library_defaults_and_the_help_says_which() {
        let probe = Probe::try_parse_from(["probe"]).unwrap();
        assert_eq!(probe.limits.limits(), ServerLimits::default());
        assert!(probe.limits.given().is_empty());

        let help = Probe::command().render_help().to_string();
        let defaults = ServerLimits::default();
        for shown in [
            format_duration(defaults.header_read_timeout),
            format_duration(defaults.body_read_timeout),
            format_duration(defaults.idle_timeout),
            defaults.max_connections.to_string(),
            format!("{}MiB", defaults.max_body_bytes >> 20),
        ] {
            assert!(
                help.contains(&format!("[default: {shown}]")),
                "help does not show the default {shown}:\n{help}"
            );
        }
    }

    #[test]
    fn flags_set_the_limits() {
        let probe = Probe::try_parse_from([
            "probe",
            "--header-timeout",
            "2s",
            "--body-timeout",
            "250ms",
            "--idle-timeout",
            "5m",
            "--max-connections",
            "64",
            "--max-body-size",
            "64KiB",
        ])
        .unwrap();
        let limits = probe.limits.limits();
        assert_eq!(limits.header_read_timeout, Duration::from_secs(2));
        assert_eq!(limits.body_read_timeout, Duration::from_millis(250));
        assert_eq!(limits.idle_timeout, Duration::from_secs(300));
        assert_eq!(limits.max_connections, 64);
        assert_eq!(limits.max_body_bytes, 64 * 1024);
        assert_eq!(probe.limits.given().len(), 5);
        assert!(Probe::try_parse_from(["probe", "--max-connections", "0"]).is_err());
    }
}
