//! `carequeue report`: the compliance table as a table, CSV or JSON.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use ledger::Ledger;
use metrics::Report;

use crate::Outcome;
use crate::cli::{ReportArgs, ReportFormat};
use crate::plan_file::Judged;
use crate::provenance::Announce;
use crate::provenance::Provenance;

pub(crate) fn run(args: &ReportArgs) -> Result<Outcome> {
    use std::io::IsTerminal;
    if args.format == ReportFormat::Html && args.out.is_none() && io::stdout().is_terminal() {
        anyhow::bail!(
            "an HTML report is a file to open in a browser: give --out FILE (or redirect \
             standard output)"
        );
    }
    let (plan, governed) = crate::plan_file::governed(&args.judge, args.plan.as_deref())?;
    let as_of = args.judge.as_of.unwrap_or_else(jiff::Timestamp::now);
    let ledger = Ledger::open(&args.db.db)?;
    let period = args.judge.period()?;
    // One report per rule set, each over the networks it governs.
    let parts =
        crate::plan_file::judge(&ledger, &governed, as_of, &args.by, &period, args.timings)?;
    // Every read checked the same chain; the last read saw the most.
    let Some(last) = parts.last() else {
        anyhow::bail!("no rule set to judge by");
    };
    let provenance = last.provenance.clone();
    // JSON and HTML carry a break in their integrity sections; the flat
    // formats are written from a broken chain only when asked.
    let structured = matches!(args.format, ReportFormat::Json | ReportFormat::Html);
    if !provenance.announce(Some(args.chain.allow_broken_chain), structured)? {
        return Ok(Outcome::Failure);
    }
    let mut out: Box<dyn Write> = match &args.out {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    match (&plan, args.format) {
        (_, ReportFormat::Table) => write_tables(&mut out, plan.as_deref(), &parts, &period)?,
        (None, ReportFormat::Csv) => write_csv(&mut out, &last.report, &provenance)?,
        (Some(_), ReportFormat::Csv) => write_plan_csv(&mut out, &parts, &provenance)?,
        (None, ReportFormat::Json) => write_json(&mut out, &last.report, &provenance, &period)?,
        (Some(name), ReportFormat::Json) => {
            let plan = app::output::PlanJson {
                plan: name,
                parts: parts
                    .iter()
                    .map(|part| app::output::PartJson {
                        rule_set: &part.governed.rule_set.id,
                        networks: app::output::NetworksJson::of(&part.governed.networks),
                        report: app::output::report_json(&part.report, &part.provenance, &period),
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut out, &plan)?;
            writeln!(out)?;
        }
        (_, ReportFormat::Html) => {
            out.write_all(app::html::page(plan.as_deref(), &governed, &parts, &period).as_bytes())?
        }
    }
    out.flush().context("write report")?;
    Ok(provenance.outcome())
}

/// The terminal table: one rule set's, or a plan's with a section per rule
/// set.
pub(crate) fn write_tables(
    out: &mut dyn Write,
    plan: Option<&str>,
    parts: &[Judged<'_>],
    period: &metrics::Period,
) -> io::Result<()> {
    if let Some(note) = parts.last().and_then(|last| last.provenance.broken_note()) {
        writeln!(out, "# {note}")?;
    }
    if let Some(name) = plan {
        writeln!(out, "plan: {name}; each network judged under the rule set governing it")?;
    }
    for (idx, part) in parts.iter().enumerate() {
        if plan.is_some() {
            if idx > 0 {
                writeln!(out)?;
            }
            writeln!(out, "== {} under {}", part.governed.describe(), part.governed.rule_set.id)?;
        }
        write_table(out, &part.report, &part.provenance, period)?;
    }
    Ok(())
}

/// A plan's report as one CSV: the rule set first on every row.
fn write_plan_csv(
    out: &mut dyn Write,
    parts: &[Judged<'_>],
    provenance: &Provenance,
) -> io::Result<()> {
    let Some(first) = parts.first().map(|part| &part.report) else { return Ok(()) };
    let mut header: Vec<&str> = vec!["rule_set"];
    header.extend(app::output::header(&first.by));
    let note = provenance.report_note();
    let mut table = formats::TableWriter::new(out, note.as_deref(), header)?;
    for Judged { governed, report, .. } in parts {
        for row in &report.rows {
            let mut cells: Vec<String> = vec![governed.rule_set.id.clone()];
            cells.extend(app::output::cells(row));
            table.row(cells)?;
        }
    }
    table.finish()?;
    Ok(())
}

fn write_csv(out: &mut dyn Write, report: &Report, provenance: &Provenance) -> io::Result<()> {
    let note = provenance.report_note();
    let mut table =
        formats::TableWriter::new(out, note.as_deref(), app::output::header(&report.by))?;
    for row in &report.rows {
        table.row(app::output::cells(row))?;
    }
    table.finish()?;
    Ok(())
}

fn write_table(
    out: &mut dyn Write,
    report: &Report,
    provenance: &Provenance,
    period: &metrics::Period,
) -> io::Result<()> {
    writeln!(
        out,
        "{} as of {}; rate = met / (met + missed + open_overdue), ! when below the standard's \
         required rate; wait = days from the clock start to the earliest date offered \
         (Kaplan-Meier, requests still waiting censored); unjudged = requests a standard applies \
         to that cannot be judged",
        report.rule_set,
        report.as_of.strftime("%Y-%m-%d %H:%M:%S UTC")
    )?;
    writeln!(out, "{}", provenance.summary())?;
    if !period.is_all() {
        writeln!(out, "measurement period: requests whose {period}, in each clinic's zone")?;
    }
    if provenance.simulated {
        writeln!(
            out,
            "simulated data (carequeue demo): it describes no real plan, and harm while waiting \
             is illustrative only"
        )?;
    }
    write_rows(out, report)?;
    writeln!(out)?;
    writeln!(out, "integrity checks:")?;
    for finding in &report.integrity {
        let listed: Vec<&str> = finding.events.iter().take(5).collect();
        let more = finding.events.len().saturating_sub(listed.len());
        writeln!(
            out,
            "  {:<27} {:>5}  {}{}",
            finding.check,
            finding.events.len(),
            listed.join(" "),
            if more > 0 { format!(" ... and {more} more") } else { String::new() }
        )?;
    }
    Ok(())
}

fn write_rows(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let mut header: Vec<String> = report.by.iter().map(|g| g.as_str().to_owned()).collect();
    let shown = [
        "standard",
        "requests",
        "unjudged",
        "met",
        "missed",
        "open_within",
        "open_overdue",
        "excluded",
        "rate",
        "wait_p50_days",
        "wait_p90_days",
    ];
    header.extend(shown.iter().map(|s| (*s).to_owned()));
    let mut lines: Vec<Vec<String>> = vec![header];
    for row in &report.rows {
        let mut cells = row.keys.clone();
        for name in shown {
            let value = app::output::column(name).map(|c| (c.cell)(row).text()).unwrap_or_default();
            cells.push(match (name, row.rate) {
                ("rate", Some(rate)) => {
                    let below = if rate < row.threshold { " !" } else { "  " };
                    format!("{:.1}%{below}", rate * 100.0)
                }
                _ => value,
            });
        }
        lines.push(cells);
    }
    let n_cols = lines[0].len();
    let widths: Vec<usize> = (0..n_cols)
        .map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0))
        .collect();
    for line in &lines {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(idx, (cell, width))| {
                if idx < report.by.len() + 1 {
                    format!("{cell:<width$}")
                } else {
                    format!("{cell:>width$}")
                }
            })
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    Ok(())
}

fn write_json(
    out: &mut dyn Write,
    report: &Report,
    provenance: &Provenance,
    period: &metrics::Period,
) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &app::output::report_json(report, provenance, period))?;
    writeln!(out)
}
