//! `--rules` or `--plan`: the rule sets a command judges by, each with the
//! networks it governs (`app::plan`), and the plan's warnings.

use std::path::Path;

use anyhow::Result;
pub(crate) use app::plan::{Governed, Judged};
use ledger::Ledger;
use metrics::{GroupBy, Period};

use crate::cli::JudgeArgs;

/// The plan's name (with `--plan`) and the rule sets to judge by, each with
/// the networks it governs: every network is judged under exactly one.
pub(crate) fn governed(
    judge: &JudgeArgs,
    plan: Option<&Path>,
) -> Result<(Option<String>, Vec<Governed>)> {
    match plan {
        None => Ok((None, app::plan::everywhere(judge.rule_set()?))),
        Some(path) => {
            let (name, governed) = app::plan::from_file(path)?;
            Ok((Some(name), governed))
        }
    }
}

/// Each rule set's report over the networks it governs, as of `as_of`; with
/// `timings`, how long each read took, on standard error. A network the
/// plan names that no request of the ledger belongs to is warned of.
pub(crate) fn judge<'g>(
    ledger: &Ledger,
    governed: &'g [Governed],
    as_of: jiff::Timestamp,
    by: &[GroupBy],
    period: &Period,
    timings: bool,
) -> Result<Vec<Judged<'g>>> {
    let parts = app::plan::judge(ledger, governed, as_of, by, period)?;
    if timings {
        for part in &parts {
            eprintln!("report: {}", part.timing);
        }
    }
    for network in app::plan::unseen_networks(governed, &parts) {
        eprintln!(
            "warning: the plan names network {network:?}, but no request of the ledger belongs \
             to it (networks are named as clinic.registered names them)"
        );
    }
    Ok(parts)
}
