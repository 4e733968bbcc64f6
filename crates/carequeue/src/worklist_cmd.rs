//! `carequeue worklist`: who must be offered care, most urgent first.

use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use ledger::Ledger;

use crate::Outcome;
use crate::cli::WorklistArgs;

/// Time left in words: `3d 4h`, or `overdue 2d 1h`.
fn time_left(seconds: i64) -> String {
    let abs = seconds.unsigned_abs();
    let (days, hours) = (abs / 86_400, (abs % 86_400) / 3600);
    let text = if days > 0 {
        format!("{days}d {hours}h")
    } else {
        format!("{hours}h {}m", (abs % 3600) / 60)
    };
    if seconds < 0 { format!("overdue {text}") } else { text }
}

pub(crate) fn run(args: &WorklistArgs) -> Result<Outcome> {
    let rule_set = crate::rules_cmd::load(&args.judge.rules)?;
    let as_of = args.judge.as_of.unwrap_or_else(jiff::Timestamp::now);
    let ledger = Ledger::open(&args.db.db)?;
    // The same single read as the report's: any size of ledger, the chain
    // checked on the way.
    let mut split = crate::parts::split(&ledger, &rule_set, as_of)?;
    let mut items = split
        .fold(
            |events, _, shared| metrics::worklist_part(events, shared, &rule_set, as_of),
            |items, more| items.extend(more),
        )?
        .unwrap_or_default();
    metrics::sort_worklist(&mut items, &rule_set);
    if let ledger::Verification::Broken(broken) = &split.verification {
        eprintln!("warning: the ledger's chain is broken ({broken}); run carequeue verify");
    }
    let mut out = BufWriter::new(io::stdout().lock());
    if args.csv {
        writeln!(
            out,
            "request_id,clinic,standard,verdict,clock_start,deadline,seconds_left,arrange_out_of_network"
        )?;
        for item in &items {
            writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                item.request_id,
                item.clinic,
                item.standard,
                item.outcome,
                item.clock_start,
                item.deadline,
                item.seconds_left,
                item.arrange_out_of_network
            )?;
        }
    } else {
        writeln!(
            out,
            "{} open requests under {} as of {}; {} overdue (the plan must arrange care out of network)",
            items.len(),
            rule_set.id,
            ledger::format_recorded_at(as_of),
            items.iter().filter(|i| i.arrange_out_of_network).count()
        )?;
        for item in &items {
            writeln!(
                out,
                "{:<14} {:<12} {:<22} {:<19} deadline {}  {}{}",
                item.request_id,
                item.clinic,
                item.standard,
                time_left(item.seconds_left),
                item.deadline,
                item.outcome,
                if item.arrange_out_of_network { "  ARRANGE OUT-OF-NETWORK CARE" } else { "" }
            )?;
        }
    }
    out.flush().context("write worklist")?;
    Ok(Outcome::Success)
}
