//! The process-wide budget of file descriptors for served connections.
//!
//! Every accepted connection costs a file descriptor. When the process runs out (`ulimit -n`,
//! 1,024 by default on many systems, 128 in hardened containers), `accept` fails with `EMFILE`
//! and so does everything else that opens a file: the SQLite pool, an outbound HTTP connection,
//! a log file. So connections get at most a share of the limit, counted for the whole process
//! because one process may run several servers (`zd mcp --http` runs the MCP server and the
//! embedded sandbox): the soft limit less a reserve of 32 descriptors plus a quarter of the
//! limit, for the database, outbound connections and the runtime. At `ulimit -n 128` that leaves
//! 64 connections for all the process's servers together; at 1,024, 736.
//!
//! The limit is read once, at the first server's start.

use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

/// Descriptors always left to everything but served connections.
const RESERVED: usize = 32;

/// Beyond this many the budget stops mattering (and a semaphore stays small).
const UNLIMITED: usize = 1 << 20;

static BUDGET: OnceLock<Option<Arc<Semaphore>>> = OnceLock::new();

/// How many connections this process's servers may hold together; `None` when the file limit
/// is unknown or effectively unlimited.
pub fn connections() -> Option<usize> {
    soft_file_limit().and_then(budget_for)
}

/// The connections a soft file limit of `limit` leaves to served connections.
pub fn budget_for(limit: usize) -> Option<usize> {
    if limit >= UNLIMITED {
        return None;
    }
    Some(limit.saturating_sub(RESERVED + limit / 4).max(1))
}

/// The shared semaphore with [`connections`] permits, created on first use.
pub(crate) fn semaphore() -> Option<Arc<Semaphore>> {
    BUDGET
        .get_or_init(|| connections().map(|n| Arc::new(Semaphore::new(n))))
        .clone()
}

/// The soft `RLIMIT_NOFILE`, when the platform has one and it is finite.
#[cfg(unix)]
pub fn soft_file_limit() -> Option<usize> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes the one `rlimit` it is given, which we own.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    if rc != 0 || limit.rlim_cur == libc::RLIM_INFINITY {
        return None;
    }
    usize::try_from(limit.rlim_cur).ok()
}

#[cfg(not(unix))]
pub fn soft_file_limit() -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_leaves_a_reserve_for_everything_else() {
        assert_eq!(budget_for(128), Some(64));
        assert_eq!(budget_for(1024), Some(736));
        assert_eq!(budget_for(16), Some(1));
        assert_eq!(budget_for(UNLIMITED), None);
    }
}
