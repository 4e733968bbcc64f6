//! `carequeue worklist`: who must be offered care, most urgent first.

use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use ledger::Ledger;

use crate::Outcome;
use crate::cli::WorklistArgs;
use crate::provenance::Announce;

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

/// The deadline as a person reads it: a day-counted one as its date in the
/// clinic's zone, an hour-counted one as its instant.
fn deadline_text(item: &metrics::WorkItem) -> String {
    match (item.deadline_day, item.deadline) {
        (Some(day), _) => format!("{day} (end of day, {})", item.time_zone),
        (None, Some(deadline)) => deadline.to_string(),
        (None, None) => String::new(),
    }
}

pub(crate) fn run(args: &WorklistArgs) -> Result<Outcome> {
    let (_, governed) = crate::plan_file::governed(&args.judge, args.plan.as_deref())?;
    let as_of = args.judge.as_of.unwrap_or_else(jiff::Timestamp::now);
    let period = args.judge.period()?;
    let ledger = Ledger::open(&args.db.db)?;
    // The same single read as the report's (one per rule set of a plan): any
    // size of ledger, the chain checked on the way.
    let filter = app::worklist::Filter {
        clinics: args.clinic.clone(),
        provider_types: args.provider_type.clone(),
    };
    let app::worklist::Worklist { items, provenance } =
        app::worklist::compute(&ledger, &governed, as_of, &period, &filter)?;
    let provenance = &provenance;
    if !provenance.announce(Some(args.chain.allow_broken_chain), false)? {
        return Ok(Outcome::Failure);
    }
    let mut out = BufWriter::new(io::stdout().lock());
    if args.csv || args.format == crate::cli::WorklistFormat::Csv {
        let note = provenance.broken_note();
        let mut table = formats::TableWriter::new(
            &mut out,
            note.as_deref(),
            app::worklist::WorkRow::CSV_HEADER,
        )?;
        for item in &items {
            table.row(app::worklist::WorkRow::of(item).cells())?;
        }
        table.finish()?;
    } else {
        if let Some(note) = provenance.broken_note() {
            writeln!(out, "# {note}")?;
        }
        let unjudged = items.iter().filter(|i| i.outcome.is_none()).count();
        writeln!(
            out,
            "{} open requests under {} as of {}; {} overdue (the plan must arrange care out of \
             network){}",
            items.len() - unjudged,
            governed.iter().map(|g| g.rule_set.id.as_str()).collect::<Vec<_>>().join(" and "),
            ledger::format_recorded_at(as_of),
            items.iter().filter(|i| i.arrange_out_of_network).count(),
            if unjudged > 0 {
                format!("; {unjudged} cannot be judged and need attention (listed first)")
            } else {
                String::new()
            }
        )?;
        for item in &items {
            match (item.outcome, item.seconds_left) {
                (Some(outcome), Some(seconds_left)) => writeln!(
                    out,
                    "{:<14} {:<12} {:<16} {:<12} {:<22} {:<19} deadline {}  {}{}",
                    item.request_id,
                    item.patient_id,
                    item.provider_type.as_str(),
                    item.clinic,
                    item.standard,
                    time_left(seconds_left),
                    deadline_text(item),
                    outcome,
                    if item.arrange_out_of_network { "  ARRANGE OUT-OF-NETWORK CARE" } else { "" }
                )?,
                _ => writeln!(
                    out,
                    "{:<14} {:<12} {:<16} {:<12} {:<22} NEEDS ATTENTION: cannot be judged ({})",
                    item.request_id,
                    item.patient_id,
                    item.provider_type.as_str(),
                    item.clinic,
                    item.standard,
                    item.problem.as_deref().unwrap_or("no reason given")
                )?,
            }
        }
    }
    out.flush().context("write worklist")?;
    Ok(provenance.outcome())
}
