//! `carequeue verdicts`: every request judged under a rule set
//! (`app::verdicts`), as CSV or JSON, in ledger order.

use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use ledger::Ledger;

use crate::Outcome;
use crate::cli::{VerdictsArgs, VerdictsFormat};
use crate::provenance::Announce;

pub(crate) fn run(args: &VerdictsArgs) -> Result<Outcome> {
    let rule_set = args.judge.rule_set()?;
    let as_of = args.judge.as_of.unwrap_or_else(jiff::Timestamp::now);
    let ledger = Ledger::open(&args.db.db)?;
    let format = args.format;
    let period = args.judge.period()?;
    let mut judged = app::verdicts::judge(&ledger, &rule_set, as_of, &period)?;
    let provenance = judged.provenance.clone();
    if !provenance.announce(Some(args.chain.allow_broken_chain), format == VerdictsFormat::Json)? {
        return Ok(Outcome::Failure);
    }
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut err = io::stderr().lock();
    match format {
        VerdictsFormat::Csv => {
            let note = provenance.broken_note();
            let mut table = formats::TableWriter::new(
                &mut out,
                note.as_deref(),
                app::verdicts::VerdictRow::CSV_HEADER,
            )?;
            for judgement in judged.by_ref() {
                let judgement = judgement?;
                warn(&mut err, &judgement)?;
                for row in &judgement.verdicts {
                    table.row(row.cells())?;
                }
            }
            table.finish()?;
        }
        VerdictsFormat::Json => {
            write!(
                out,
                "{{\"rule_set\":{},\"as_of\":\"{}\",\"ledger\":{},\"verdicts\":[",
                serde_json::to_string(&rule_set.id)?,
                ledger::format_recorded_at(as_of),
                serde_json::to_string(&provenance)?
            )?;
            let mut written = false;
            for judgement in judged.by_ref() {
                let judgement = judgement?;
                warn(&mut err, &judgement)?;
                for row in &judgement.verdicts {
                    out.write_all(if written { b",\n" } else { b"\n" })?;
                    serde_json::to_writer(&mut out, row)?;
                    written = true;
                }
            }
            out.write_all(b"\n]}\n")?;
        }
    }
    out.flush().context("write verdicts")?;
    if !judged.unregistered.is_empty() {
        let list: Vec<&str> = judged.unregistered.iter().map(String::as_str).collect();
        writeln!(
            err,
            "warning: clinics never registered, judged in the rule set's time zone {}: {}",
            rule_set.time_zone_name,
            list.join(", ")
        )?;
    }
    Ok(provenance.outcome())
}

/// Says on standard error what could not be judged about a request.
fn warn(err: &mut impl Write, judgement: &app::verdicts::Judgement) -> io::Result<()> {
    for (standard, message) in &judgement.problems {
        writeln!(err, "warning: request {}, standard {standard}: {message}", judgement.request_id)?;
    }
    Ok(())
}
