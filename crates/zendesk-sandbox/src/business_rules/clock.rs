//! The sandbox clock: the sandbox's time is the machine's plus an offset that only grows, so
//! tests need not wait hours for automations. `POST /api/v2/sandbox/clock/advance` with
//! `{"hours": N}` moves it forward and runs every hourly automation pass that falls due, in
//! order, each at its own moment. Passes fall on whole hours (Unix time divisible by 3,600).

use serde_json::Value;

/// One hour, in seconds.
pub const HOUR: i64 = 3_600;
/// The most one advance may move the clock (a leap year): a typo must not run a century of
/// passes.
pub const MAX_ADVANCE_HOURS: i64 = 24 * 366;

/// The hourly passes that fall due when the clock moves from `from` to `to` (Unix seconds): each
/// whole hour `t` with `from < t <= to`, in order.
pub fn hourly_passes_due(from: i64, to: i64) -> impl Iterator<Item = i64> {
    let first = from.div_euclid(HOUR) + 1;
    let last = to.div_euclid(HOUR);
    (first..=last).map(|hour| hour * HOUR)
}

/// The sandbox's time: the machine's plus the hours it was advanced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SandboxClock {
    /// Seconds added to the machine's time (never negative).
    pub offset: i64,
}

impl SandboxClock {
    /// The sandbox's time when the machine's is `machine_now`.
    pub fn now(&self, machine_now: i64) -> i64 {
        machine_now + self.offset
    }

    /// Moves the clock `hours` forward and returns the passes that fell due, given the
    /// machine's time.
    pub fn advance(&mut self, hours: i64, machine_now: i64) -> Vec<i64> {
        let from = self.now(machine_now);
        self.offset += hours * HOUR;
        hourly_passes_due(from, self.now(machine_now)).collect()
    }
}

/// The body of `POST /sandbox/clock/advance`: `{"hours": N}`, N a whole number from 1 to
/// [`MAX_ADVANCE_HOURS`]. The error names the field and the expected form.
pub fn parse_advance(body: &Value) -> Result<i64, String> {
    let Some(object) = body.as_object() else {
        return Err(format!(
            "send {{\"hours\": N}} with N a whole number of hours; got {body}"
        ));
    };
    if let Some(other) = object.keys().find(|k| *k != "hours") {
        return Err(format!(
            "`{other}` is not a field of a clock advance; send {{\"hours\": N}}"
        ));
    }
    let hours = &object.get("hours").cloned().unwrap_or(Value::Null);
    match hours.as_i64() {
        Some(n) if (1..=MAX_ADVANCE_HOURS).contains(&n) => Ok(n),
        _ => Err(format!(
            "hours must be a whole number from 1 to {MAX_ADVANCE_HOURS}; got {hours}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn passes_fall_on_each_whole_hour_crossed() {
        let passes: Vec<i64> = hourly_passes_due(10 * HOUR + 30, 13 * HOUR).collect();
        assert_eq!(passes, [11 * HOUR, 12 * HOUR, 13 * HOUR]);
        // Starting on a whole hour: that hour's pass already ran.
        assert_eq!(
            hourly_passes_due(HOUR, 2 * HOUR).collect::<Vec<_>>(),
            [2 * HOUR]
        );
        assert_eq!(hourly_passes_due(HOUR + 1, HOUR + 59).count(), 0);
    }

    #[test]
    fn advancing_the_clock_moves_the_sandbox_not_the_machine() {
        let mut clock = SandboxClock::default();
        let machine = 1_000 * HOUR + 600;
        let passes = clock.advance(96, machine);
        assert_eq!(passes.len(), 96);
        assert_eq!(passes[0], 1_001 * HOUR);
        assert_eq!(clock.now(machine), machine + 96 * HOUR);
        // Later the machine's own time keeps moving under the offset.
        assert_eq!(clock.now(machine + 5), machine + 96 * HOUR + 5);
    }

    #[test]
    fn an_advance_body_is_checked() {
        assert_eq!(parse_advance(&json!({"hours": 96})), Ok(96));
        assert!(
            parse_advance(&json!({"hours": 0}))
                .unwrap_err()
                .contains("from 1 to 8784")
        );
        assert!(parse_advance(&json!({"hours": "2"})).is_err());
        assert!(
            parse_advance(&json!({"days": 2}))
                .unwrap_err()
                .contains("`days`")
        );
        assert!(parse_advance(&json!([])).is_err());
    }
}
