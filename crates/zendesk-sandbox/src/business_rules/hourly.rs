//! The automations' hourly passes against the store: which passes fall due (the sandbox's time
//! crossed a whole hour since the last one recorded), and running one: every ticket that is not
//! closed, as its moments stand, through the active automations (`automations::run_pass`),
//! each ticket an automation changed saved as a write by the system with the triggers run on
//! it (`tickets::apply_automations`).
//!
//! Passes are claimed in the shared state before they run, so on PostgreSQL two processes
//! never run the same hour's pass: the second one's claim finds the hour already taken.

use super::account::{AccountRules, sandbox_now};
use super::automations::run_pass;
use super::clock::{HOUR, hourly_passes_due};
use super::ticket_update::TicketTimes;
use crate::error::ApiError;
use crate::resources::tickets;
use crate::store::Writer;

/// What running the due passes did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassesRun {
    /// Hourly passes run.
    pub passes: usize,
    /// Ticket updates the automations made, over all passes.
    pub tickets_updated: usize,
}

/// Runs every pass due up to the sandbox's time now, oldest first. The first time the account
/// looks, it only records the current hour: passes are counted from then.
pub fn run_due_passes(tx: &mut dyn Writer, account: &AccountRules) -> Result<PassesRun, ApiError> {
    let state = tx.sandbox_state()?;
    let now = sandbox_now(&state);
    let Some(last) = state.last_pass_at else {
        tx.claim_pass(None, now.div_euclid(HOUR) * HOUR)?;
        return Ok(PassesRun::default());
    };
    let mut run = PassesRun::default();
    let mut previous = last;
    for at in hourly_passes_due(last, now) {
        if !tx.claim_pass(Some(previous), at)? {
            // Another process is running the passes; it runs this one too.
            break;
        }
        previous = at;
        run.passes += 1;
        run.tickets_updated += run_one_pass(tx, account, at)?;
    }
    Ok(run)
}

/// Moves the sandbox clock `hours` forward and runs every pass that falls due, in order.
pub fn advance_clock(
    tx: &mut dyn Writer,
    account: &AccountRules,
    hours: i64,
) -> Result<PassesRun, ApiError> {
    // Passes due before the advance count from the last one recorded (or from now).
    let state = tx.sandbox_state()?;
    if state.last_pass_at.is_none() {
        let now = sandbox_now(&state);
        tx.claim_pass(None, now.div_euclid(HOUR) * HOUR)?;
    }
    tx.advance_clock(hours * HOUR)?;
    run_due_passes(tx, account)
}

/// One pass at `at`; answers how many tickets the automations changed.
fn run_one_pass(tx: &mut dyn Writer, account: &AccountRules, at: i64) -> Result<usize, ApiError> {
    let moment = account.begin_at(tx, at)?;
    if moment.rules.automations.is_empty() {
        return Ok(0);
    }
    let tickets = tx
        .unclosed_tickets()?
        .into_iter()
        .map(|(ticket, moments)| (ticket, TicketTimes::from_moments(&moments)))
        .collect();
    let updates = run_pass(&moment.rules.automations, tickets, at);
    let count = updates.len();
    for update in updates {
        tickets::apply_automations(tx, account, &moment, update)?;
    }
    Ok(count)
}

/// How often the background runner looks for a pass that fell due.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// The background runner of the hourly passes as the machine's time moves; it stops when
/// dropped (with the server's state).
pub struct HourlyRunner(tokio::task::JoinHandle<()>);

impl HourlyRunner {
    /// Starts looking every minute (passes on a sandbox nobody advances run on the hour).
    pub fn start(store: crate::store::Store, account: AccountRules) -> HourlyRunner {
        HourlyRunner(tokio::spawn(async move {
            let mut tick = tokio::time::interval(LOOK_EVERY);
            loop {
                tick.tick().await;
                let account = account.clone();
                if let Err(error) = store.write(move |tx| run_due_passes(tx, &account)).await {
                    tracing::error!(error = %error.body(), "the hourly automation pass failed");
                }
            }
        }))
    }
}

impl Drop for HourlyRunner {
    fn drop(&mut self) {
        self.0.abort();
    }
}
