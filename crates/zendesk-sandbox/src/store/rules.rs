//! What the business rules keep beside the records: the state every process on the database
//! shares (the sandbox clock's offset, the last hourly automation pass, the rules' stamp, when
//! the standard triggers were made), the moments each ticket's `hours_since_*` conditions count
//! from, and the tickets an automation pass reads.

use serde_json::Value;

use super::bind::Bind;
use super::connection::{Row, Transaction};
use super::error::{StoreError, StoreResult};

/// The moments kept for each ticket, in the order [`ReadRules::ticket_times`] answers them:
/// created; the last time the status became open, pending, hold, solved, closed; the last
/// assignment; the last update; the last update by the requester, and by the assignee.
pub const TICKET_MOMENTS: [&str; 10] = [
    "created",
    "open",
    "pending",
    "hold",
    "solved",
    "closed",
    "assigned",
    "updated",
    "requester_updated",
    "assignee_updated",
];

/// A ticket's moments (Unix seconds; `None`: never), in [`TICKET_MOMENTS`] order.
pub type Moments = [Option<i64>; 10];

/// The account-wide state of the business rules, one row shared by every process.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SandboxState {
    /// Seconds the sandbox clock is ahead of the machine's.
    pub clock_offset: i64,
    /// The whole hour (Unix seconds, sandbox time) of the last automation pass run.
    pub last_pass_at: Option<i64>,
    /// Changes whenever something triggers may name changes (a trigger, an automation, a
    /// category, a ticket field, a webhook): parsed triggers cached under another stamp are
    /// stale.
    pub rules_version: i64,
    /// When the account's standard triggers were made; `None` until they are.
    pub standard_triggers_at: Option<i64>,
}

/// Reading the business rules' state.
pub trait ReadRules {
    fn sandbox_state(&mut self) -> StoreResult<SandboxState>;
    /// A ticket's moments; `None` when none are kept.
    fn ticket_times(&mut self, ticket_id: i64) -> StoreResult<Option<Moments>>;
    /// Every live ticket that is not closed, with its moments (none kept: all `None`), by id:
    /// what an automation pass looks at.
    fn unclosed_tickets(&mut self) -> StoreResult<Vec<(Value, Moments)>>;
    /// The highest `position` among the records of `table` (0 when it has none).
    fn last_position(&mut self, table: super::Table) -> StoreResult<i64>;
}

/// Changing the business rules' state.
pub trait WriteRules {
    /// Moves the sandbox clock `seconds` forward; answers the new offset.
    fn advance_clock(&mut self, seconds: i64) -> StoreResult<i64>;
    /// Records the hourly pass at `at` as run, if the last one recorded is still `previous`:
    /// answers false when another process got there first (it runs that pass, not this one).
    fn claim_pass(&mut self, previous: Option<i64>, at: i64) -> StoreResult<bool>;
    /// Gives the rules a fresh stamp: every process parses its triggers again. The stamp is
    /// random, so a change undone by a rollback is never mistaken for a later one.
    fn bump_rules_version(&mut self) -> StoreResult<()>;
    /// Records that the standard triggers were made at `at`.
    fn mark_standard_triggers(&mut self, at: i64) -> StoreResult<()>;
    /// Keeps a ticket's moments.
    fn save_ticket_times(&mut self, ticket_id: i64, moments: &Moments) -> StoreResult<()>;
}

fn moments(row: &dyn Row, first: usize) -> StoreResult<Moments> {
    let mut out = [None; 10];
    for (index, slot) in out.iter_mut().enumerate() {
        *slot = row.int(first + index)?;
    }
    Ok(out)
}

impl ReadRules for Transaction<'_> {
    fn sandbox_state(&mut self) -> StoreResult<SandboxState> {
        self.row(
            "SELECT clock_offset, last_pass_at, rules_version, standard_triggers_at
             FROM sandbox_state WHERE id = 1",
            &[],
            |row| {
                Ok(SandboxState {
                    clock_offset: row.id(0)?,
                    last_pass_at: row.int(1)?,
                    rules_version: row.id(2)?,
                    standard_triggers_at: row.int(3)?,
                })
            },
        )?
        .ok_or_else(|| StoreError::corrupt("the sandbox_state row is missing"))
    }

    fn ticket_times(&mut self, ticket_id: i64) -> StoreResult<Option<Moments>> {
        let sql = format!(
            "SELECT {} FROM ticket_times WHERE ticket_id = $?",
            TICKET_MOMENTS.join(", ")
        );
        self.row(&sql, &[Bind::Int(ticket_id)], |row| moments(row, 0))
    }

    fn unclosed_tickets(&mut self) -> StoreResult<Vec<(Value, Moments)>> {
        let columns: Vec<String> = TICKET_MOMENTS.iter().map(|m| format!("m.{m}")).collect();
        let sql = format!(
            "SELECT t.json, {} FROM tickets t LEFT JOIN ticket_times m ON m.ticket_id = t.id
             WHERE t.deleted_at IS NULL AND t.status <> 'closed' ORDER BY t.id",
            columns.join(", ")
        );
        self.rows(&sql, &[], |row| Ok((row.json(0)?, moments(row, 1)?)))
    }

    fn last_position(&mut self, table: super::Table) -> StoreResult<i64> {
        let sql = format!("SELECT COALESCE(MAX(position), 0) FROM {}", table.name());
        Ok(self.one_int(&sql, &[])?.unwrap_or(0))
    }
}

impl WriteRules for Transaction<'_> {
    fn advance_clock(&mut self, seconds: i64) -> StoreResult<i64> {
        self.exec(
            "UPDATE sandbox_state SET clock_offset = clock_offset + $? WHERE id = 1",
            &[Bind::Int(seconds)],
        )?;
        Ok(self.sandbox_state()?.clock_offset)
    }

    fn claim_pass(&mut self, previous: Option<i64>, at: i64) -> StoreResult<bool> {
        let changed = match previous {
            None => self.exec(
                "UPDATE sandbox_state SET last_pass_at = $? WHERE id = 1 AND last_pass_at IS NULL",
                &[Bind::Int(at)],
            )?,
            Some(previous) => self.exec(
                "UPDATE sandbox_state SET last_pass_at = $? WHERE id = 1 AND last_pass_at = $?",
                &[Bind::Int(at), Bind::Int(previous)],
            )?,
        };
        Ok(changed == 1)
    }

    fn bump_rules_version(&mut self) -> StoreResult<()> {
        self.exec(
            "UPDATE sandbox_state SET rules_version = $? WHERE id = 1",
            &[Bind::Int(fastrand::i64(..))],
        )?;
        Ok(())
    }

    fn mark_standard_triggers(&mut self, at: i64) -> StoreResult<()> {
        self.exec(
            "UPDATE sandbox_state SET standard_triggers_at = $? WHERE id = 1",
            &[Bind::Int(at)],
        )?;
        Ok(())
    }

    fn save_ticket_times(&mut self, ticket_id: i64, moments: &Moments) -> StoreResult<()> {
        let markers = vec!["$?"; TICKET_MOMENTS.len() + 1].join(", ");
        let updates: Vec<String> = TICKET_MOMENTS
            .iter()
            .map(|m| format!("{m} = excluded.{m}"))
            .collect();
        let sql = format!(
            "INSERT INTO ticket_times (ticket_id, {}) VALUES ({markers})
             ON CONFLICT (ticket_id) DO UPDATE SET {}",
            TICKET_MOMENTS.join(", "),
            updates.join(", ")
        );
        let mut binds = vec![Bind::Int(ticket_id)];
        binds.extend(moments.iter().map(|m| Bind::opt_int(*m)));
        self.exec(&sql, &binds)?;
        Ok(())
    }
}
