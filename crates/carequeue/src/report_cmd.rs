//! `carequeue report`: the compliance table as a table, CSV or JSON.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use ledger::Ledger;
use metrics::{Report, Row};

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
            write!(out, "{{\"plan\":{},\"parts\":[", serde_json::to_string(name)?)?;
            for (idx, Judged { governed, report, provenance, .. }) in parts.iter().enumerate() {
                let networks = match &governed.networks {
                    metrics::Networks::All => serde_json::json!({"all": true}),
                    metrics::Networks::Only(only) => serde_json::json!({ "only": only }),
                    metrics::Networks::Except(except) => serde_json::json!({ "except": except }),
                };
                write!(
                    out,
                    "{}\n{{\"rule_set\":{},\"networks\":{networks},\"report\":",
                    if idx > 0 { "," } else { "" },
                    serde_json::to_string(&governed.rule_set.id)?
                )?;
                write_json(&mut out, report, provenance, &period)?;
                write!(out, "}}")?;
            }
            writeln!(out, "\n]}}")?;
        }
        (_, ReportFormat::Html) => {
            out.write_all(html_page(plan.as_deref(), &governed, &parts, &period).as_bytes())?
        }
    }
    out.flush().context("write report")?;
    Ok(provenance.outcome())
}

/// The HTML report: one rule set's, or a plan's with a section per rule set.
pub(crate) fn html_page(
    plan: Option<&str>,
    governed: &[crate::plan_file::Governed],
    parts: &[Judged<'_>],
    period: &metrics::Period,
) -> String {
    let pages: Vec<String> = parts
        .iter()
        .map(|part| {
            crate::html::render(
                &part.report,
                &part.governed.rule_set,
                &part.provenance,
                period,
                plan.is_some(),
            )
        })
        .collect();
    match plan {
        None => pages.into_iter().next().unwrap_or_default(),
        Some(name) => crate::html::combine(name, governed, pages),
    }
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
    header.extend(first.by.iter().map(|g| g.as_str()));
    let blank = Row { keys: Vec::new(), ..empty_row() };
    header.extend(columns(&blank).iter().map(|(h, _)| *h));
    let note = provenance.report_note();
    let mut table = formats::TableWriter::new(out, note.as_deref(), header)?;
    for Judged { governed, report, .. } in parts {
        for row in &report.rows {
            let mut cells: Vec<String> = vec![governed.rule_set.id.clone()];
            cells.extend(row.keys.iter().cloned());
            cells.extend(columns(row).into_iter().map(|(_, v)| v));
            table.row(cells)?;
        }
    }
    table.finish()?;
    Ok(())
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(String::new, |v| format!("{v:.decimals$}"))
}

/// The columns after the group keys: (header, value).
fn columns(row: &Row) -> Vec<(&'static str, String)> {
    vec![
        ("standard", row.standard.clone()),
        ("requests", row.requests.to_string()),
        ("met", row.met.to_string()),
        ("missed", row.missed.to_string()),
        ("open_within", row.open_within.to_string()),
        ("open_overdue", row.open_overdue.to_string()),
        ("excluded", row.excluded.to_string()),
        ("rate", number(row.rate, 4)),
        ("threshold", number(Some(row.threshold), 2)),
        ("wait_p50_days", number(row.wait_p50_days, 1)),
        ("wait_p90_days", number(row.wait_p90_days, 1)),
        ("wait_p50_business_days", number(row.wait_p50_business_days, 0)),
        ("wait_p90_business_days", number(row.wait_p90_business_days, 0)),
        ("attended_p50_days", number(row.attended_p50_days, 1)),
        ("attended_p90_days", number(row.attended_p90_days, 1)),
        ("extensions", row.extensions.to_string()),
        ("declines_patient_preference", row.declines_patient_preference.to_string()),
        ("out_of_network", row.out_of_network.to_string()),
        ("group_for_individual", row.group_for_individual.to_string()),
        ("harm_while_waiting", row.harm_while_waiting.to_string()),
        // Added later: at the end, so that columns read by position stay.
        ("unjudged", row.unjudged.to_string()),
        ("business_days_unmeasured", row.business_days_unmeasured.to_string()),
    ]
}

fn write_csv(out: &mut dyn Write, report: &Report, provenance: &Provenance) -> io::Result<()> {
    let mut header: Vec<&str> = report.by.iter().map(|g| g.as_str()).collect();
    let blank = Row { keys: Vec::new(), ..empty_row() };
    header.extend(columns(&blank).iter().map(|(h, _)| *h));
    let note = provenance.report_note();
    let mut table = formats::TableWriter::new(out, note.as_deref(), header)?;
    for row in &report.rows {
        let mut cells: Vec<String> = row.keys.clone();
        cells.extend(columns(row).into_iter().map(|(_, v)| v));
        table.row(cells)?;
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
        let cols = columns(row);
        for name in shown {
            let value =
                cols.iter().find(|(h, _)| *h == name).map(|(_, v)| v.clone()).unwrap_or_default();
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

fn json_number(value: Option<f64>) -> String {
    value
        .filter(|v| v.is_finite())
        .map_or_else(|| "null".to_owned(), |v| format!("{}", (v * 1e6).round() / 1e6))
}

/// Rows as JSON objects, separated by commas (the brackets are the
/// caller's): one key per grouping, then every column.
fn write_rows_json(out: &mut dyn Write, by: &[metrics::GroupBy], rows: &[Row]) -> io::Result<()> {
    for (idx, row) in rows.iter().enumerate() {
        if idx > 0 {
            write!(out, ",")?;
        }
        write!(out, "\n{{")?;
        for (group, key) in by.iter().zip(&row.keys) {
            write!(out, "\"{group}\":{},", serde_json::to_string(key).unwrap_or_default())?;
        }
        write!(
            out,
            "\"standard\":\"{}\",\"requests\":{},\"unjudged\":{},\"met\":{},\"missed\":{},\"open_within\":{},\
             \"open_overdue\":{},\"excluded\":{},\"rate\":{},\"threshold\":{},\"wait_p50_days\":{},\
             \"wait_p90_days\":{},\"wait_p50_business_days\":{},\"wait_p90_business_days\":{},\
             \"business_days_unmeasured\":{},\
             \"attended_p50_days\":{},\"attended_p90_days\":{},\"extensions\":{},\
             \"declines_patient_preference\":{},\"out_of_network\":{},\"group_for_individual\":{},\
             \"harm_while_waiting\":{}}}",
            row.standard,
            row.requests,
            row.unjudged,
            row.met,
            row.missed,
            row.open_within,
            row.open_overdue,
            row.excluded,
            json_number(row.rate),
            json_number(Some(row.threshold)),
            json_number(row.wait_p50_days),
            json_number(row.wait_p90_days),
            json_number(row.wait_p50_business_days),
            json_number(row.wait_p90_business_days),
            row.business_days_unmeasured,
            json_number(row.attended_p50_days),
            json_number(row.attended_p90_days),
            row.extensions,
            row.declines_patient_preference,
            row.out_of_network,
            row.group_for_individual,
            row.harm_while_waiting
        )?;
    }
    Ok(())
}

fn write_json(
    out: &mut dyn Write,
    report: &Report,
    provenance: &Provenance,
    period: &metrics::Period,
) -> io::Result<()> {
    let by: Vec<String> = report.by.iter().map(|g| format!("\"{g}\"")).collect();
    let period = serde_json::json!({
        "from": period.from.map(|d| d.to_string()),
        "to": period.to.map(|d| d.to_string()),
    });
    write!(
        out,
        "{{\"rule_set\":\"{}\",\"as_of\":\"{}\",\"by\":[{}],\"period\":{period},\"ledger\":{},\"rows\":[",
        report.rule_set,
        ledger::format_recorded_at(report.as_of),
        by.join(","),
        serde_json::to_string(provenance).map_err(io::Error::other)?
    )?;
    write_rows_json(out, &report.by, &report.rows)?;
    // Network by network, as regulators judge a plan.
    write!(out, "\n],\"by_network\":[")?;
    write_rows_json(out, &[metrics::GroupBy::Network], &report.by_network)?;
    write!(out, "\n],\"integrity\":[")?;
    for (idx, finding) in report.integrity.iter().enumerate() {
        if idx > 0 {
            write!(out, ",")?;
        }
        write!(
            out,
            "\n{{\"check\":\"{}\",\"description\":{},\"count\":{},\"events\":[",
            finding.check,
            serde_json::to_string(finding.description).unwrap_or_default(),
            finding.events.len(),
        )?;
        for (idx, id) in finding.events.iter().enumerate() {
            if idx > 0 {
                out.write_all(b",")?;
            }
            // Event ids need no escaping (`events` restricts them); the
            // chain's message may.
            if id.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\') {
                write!(out, "\"{id}\"")?;
            } else {
                out.write_all(serde_json::to_string(id).unwrap_or_default().as_bytes())?;
            }
        }
        write!(out, "]}}")?;
    }
    let access = &report.access;
    write!(out, "\n],\"third_next_available\":[")?;
    for (idx, row) in access.third_next_available.iter().enumerate() {
        if idx > 0 {
            write!(out, ",")?;
        }
        let days = row.days.map_or_else(|| "null".to_owned(), |d| d.to_string());
        write!(
            out,
            "\n{{\"clinic\":\"{}\",\"provider_type\":\"{}\",\"date\":\"{}\",\"days\":{days}}}",
            row.clinic, row.provider_type, row.date
        )?;
    }
    write!(out, "\n],\"open_age\":[")?;
    for (idx, row) in access.open_age.iter().enumerate() {
        if idx > 0 {
            write!(out, ",")?;
        }
        write!(
            out,
            "\n{{\"provider_type\":\"{}\",\"band\":\"{}\",\"requests\":{}}}",
            row.provider_type, row.band, row.requests
        )?;
    }
    write!(out, "\n],\"follow_up_gaps\":[")?;
    for (idx, row) in access.follow_up_gaps.iter().enumerate() {
        if idx > 0 {
            write!(out, ",")?;
        }
        write!(
            out,
            "\n{{\"clinic\":\"{}\",\"month\":\"{}\",\"gaps\":{},\"p50_days\":{},\"p90_days\":{},\"over_14_days\":{}}}",
            row.clinic,
            row.month,
            row.gaps,
            json_number(row.p50_days),
            json_number(row.p90_days),
            row.over_14_days
        )?;
    }
    write!(out, "\n],\"new_vs_returning\":[")?;
    for (idx, row) in access.new_vs_returning.iter().enumerate() {
        if idx > 0 {
            write!(out, ",")?;
        }
        write!(
            out,
            "\n{{\"clinic\":\"{}\",\"month\":\"{}\",\"new_patients\":{},\"returning\":{}}}",
            row.clinic, row.month, row.new_patients, row.returning
        )?;
    }
    writeln!(out, "\n]}}")
}

fn empty_row() -> Row {
    Row {
        keys: Vec::new(),
        standard: String::new(),
        requests: 0,
        unjudged: 0,
        met: 0,
        missed: 0,
        open_within: 0,
        open_overdue: 0,
        excluded: 0,
        rate: None,
        threshold: 0.0,
        wait_p50_days: None,
        wait_p90_days: None,
        wait_p50_business_days: None,
        wait_p90_business_days: None,
        business_days_unmeasured: 0,
        attended_p50_days: None,
        attended_p90_days: None,
        extensions: 0,
        declines_patient_preference: 0,
        out_of_network: 0,
        group_for_individual: 0,
        harm_while_waiting: 0,
        wait_histogram: [0; metrics::WAIT_BINS.len() + 1],
    }
}
