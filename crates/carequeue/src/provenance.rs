//! How a command that reads the ledger tells what it read. The facts are
//! the application layer's (`app::provenance`); here they reach the
//! terminal, so that a broken chain fails every reading command the same
//! way:
//!
//! - it says so on standard error and the command exits 1;
//! - formats with a place for it (JSON, HTML) are written with the break
//!   marked; flat formats (CSV, tables, NDJSON) are written only with
//!   `--allow-broken-chain` (for forensic work), CSV and tables then with a
//!   first line saying the chain is broken.

use std::io::{self, Write};

pub(crate) use app::provenance::Provenance;

use crate::Outcome;

/// What a reading command does with a read's provenance.
pub(crate) trait Announce {
    /// Says on standard error what a reader must know: a broken chain (an
    /// error) and batches left out by the as-of moment (a warning). Returns
    /// whether the output may be written: always for `structured` formats
    /// (which mark the break), otherwise only when the chain verified or
    /// `allow_broken` is `Some(true)`; `None` for a command without
    /// `--allow-broken-chain`.
    fn announce(&self, allow_broken: Option<bool>, structured: bool) -> io::Result<bool>;

    /// The command's exit: a failure when the chain is broken, whatever
    /// was written.
    fn outcome(&self) -> Outcome;
}

impl Announce for Provenance {
    fn announce(&self, allow_broken: Option<bool>, structured: bool) -> io::Result<bool> {
        let mut err = io::stderr().lock();
        if let Some(warning) = self.left_out_warning() {
            writeln!(err, "warning: {warning}")?;
        }
        let Some(broken) = self.broken_error() else { return Ok(true) };
        writeln!(err, "error: {broken}")?;
        let write = structured || allow_broken == Some(true);
        if !write && allow_broken.is_some() {
            writeln!(
                err,
                "nothing was written; --allow-broken-chain writes the output all the same, \
                 marked, for forensic work"
            )?;
        }
        Ok(write)
    }

    fn outcome(&self) -> Outcome {
        if self.broken().is_some() { Outcome::Failure } else { Outcome::Success }
    }
}
