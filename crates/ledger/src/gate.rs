//! How many reads a ledger serves at once: a service answers many callers,
//! and each read holds a database connection and memory; reads beyond the
//! limit wait their turn, for a bounded time.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::error::Error;

/// How many reads a ledger serves at once, and how long a read waits for
/// its turn before it fails with [`Error::Busy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readers {
    /// Reads at once (at least one).
    pub max: usize,
    /// How long a read waits for a turn.
    pub wait: Duration,
}

impl Default for Readers {
    /// Eight reads at once, a minute's wait: more than a command line ever
    /// asks.
    fn default() -> Readers {
        Readers { max: 8, wait: Duration::from_secs(60) }
    }
}

/// The turns of a ledger's reads.
#[derive(Debug)]
pub(crate) struct Gate {
    limits: Readers,
    running: Mutex<usize>,
    freed: Condvar,
}

/// A read's turn, given back when dropped.
#[derive(Debug)]
pub(crate) struct Turn<'g> {
    gate: &'g Gate,
}

impl Gate {
    pub(crate) fn new(limits: Readers) -> Gate {
        Gate { limits, running: Mutex::new(0), freed: Condvar::new() }
    }

    pub(crate) fn default_limits() -> Gate {
        Gate::new(Readers::default())
    }

    pub(crate) fn limits(&self) -> Readers {
        self.limits
    }

    /// Waits (up to the limit's wait) for a turn to read.
    pub(crate) fn enter(&self) -> Result<Turn<'_>, Error> {
        let max = self.limits.max.max(1);
        let started = Instant::now();
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        while *running >= max {
            let left = self.limits.wait.saturating_sub(started.elapsed());
            if left.is_zero() {
                return Err(Error::Busy { readers: max, waited: self.limits.wait });
            }
            running = self.freed.wait_timeout(running, left).unwrap_or_else(|p| p.into_inner()).0;
        }
        *running += 1;
        Ok(Turn { gate: self })
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut running = self.gate.running.lock().unwrap_or_else(|p| p.into_inner());
        *running = running.saturating_sub(1);
        self.gate.freed.notify_one();
    }
}
