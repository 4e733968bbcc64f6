//! `carequeue verify`.

use std::io::{self, Write};

use anyhow::{Context, Result};
use ledger::{Ledger, Verification};

use crate::Outcome;
use crate::cli::VerifyArgs;

pub(crate) fn run(args: &VerifyArgs) -> Result<Outcome> {
    let ledger = Ledger::open(&args.db.db)?;
    let verification = ledger.verify(args.expect_head.as_ref()).context("verify")?;
    match verification {
        Verification::Valid { n_events, n_batches, head } => {
            writeln!(
                io::stdout(),
                "ledger {} verifies: {n_events} events in {n_batches} batches, head {head}",
                ledger.location()
            )?;
            Ok(Outcome::Success)
        }
        Verification::Broken(broken) => {
            writeln!(io::stderr(), "ledger {} is BROKEN at {broken}", ledger.location())?;
            Ok(Outcome::Failure)
        }
    }
}
