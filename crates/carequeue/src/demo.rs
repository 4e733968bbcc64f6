//! `carequeue demo`: a medium-sized synthetic plan simulated into a fresh
//! ledger in the current folder, its compliance summary, and the HTML report.

use std::io::{self, IsTerminal, Write};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ledger::Ledger;
use sim::Scenario;

use crate::Outcome;
use crate::cli::DemoArgs;
use crate::provenance::Announce;

/// The demo's scenario, shipped with carequeue.
const SCENARIO: &str = include_str!("../../../scenarios/medium-plan.toml");
const LEDGER: &str = "carequeue-demo.db";
const REPORT: &str = "carequeue-demo.html";
/// Which rule set governs each of the demo plan's networks.
const PLAN_TEXT: &str = include_str!("../../../scenarios/medium-plan.plan.toml");
const PLAN: &str = "carequeue-demo-plan.toml";

/// A progress bar on a terminal.
fn progress(message: &str, total: u64) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {percent}% {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(message.to_owned());
    Some(bar)
}

/// A spinner with a message, on a terminal.
pub(crate) fn spinner(message: &str) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

pub(crate) fn run(args: &DemoArgs) -> Result<Outcome> {
    let started = Instant::now();
    let scenario = Scenario::parse(SCENARIO, "scenarios/medium-plan.toml")?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "carequeue demo: {} ({} members, {} days), seed {}",
        scenario.name, scenario.members, scenario.days, args.seed
    )?;

    let bar = spinner("simulating the plan");
    let run = sim::run_clinics(&scenario, args.seed, 0);
    let events = run.events();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    writeln!(
        out,
        "simulated {} requests, {} events in {:.1} s",
        run.requests,
        events.len(),
        started.elapsed().as_secs_f64()
    )?;

    // A fresh ledger: the demo's own file is replaced.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{LEDGER}{suffix}"));
    }
    // The events are stored as a live feed would have stored them: a batch
    // a week, recorded at the moment of its last event, so that `--as-of` can look
    // at any moment of the simulated year.
    let ledger = Ledger::create(LEDGER)?;
    let bar = progress("storing the events in the ledger, a batch a week", events.len() as u64);
    let stored = app::demo::store_weekly(&ledger, &events, run.start, &mut |n| {
        if let Some(bar) = &bar {
            bar.inc(n);
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let (stored, head) = (stored.events, stored.head);
    // The last batch's moment: the end of the simulated year.
    let as_of = events.iter().map(|e| e.occurred_at.timestamp()).max().unwrap_or(run.end);
    writeln!(
        out,
        "stored {stored} events in {LEDGER} in weekly batches, head {}",
        head.map_or_else(String::new, |h| h.to_string())
    )?;

    let bar = spinner("computing the report");
    // The plan file says which rule set governs each network; it is written
    // beside the ledger for the commands the demo suggests.
    std::fs::write(PLAN, PLAN_TEXT).with_context(|| format!("cannot write {PLAN}"))?;
    let (plan, governed) = app::plan::from_text(PLAN_TEXT, std::path::Path::new(PLAN))?;
    let period = metrics::Period::default();
    // The same computation as `carequeue report --plan`, the chain checked too.
    let parts = crate::plan_file::judge(
        &ledger,
        &governed,
        as_of,
        &[metrics::GroupBy::Clinic],
        &period,
        false,
    )?;
    let provenance = match parts.last() {
        Some(last) => last.provenance.clone(),
        None => anyhow::bail!("the demo's plan names no rule set"),
    };
    // The HTML marks a break; nothing else is written from a broken chain.
    let write_all = provenance.announce(None, false)?;
    let page = app::html::page(Some(&plan), &governed, &parts, &period);
    std::fs::write(REPORT, page).with_context(|| format!("cannot write {REPORT}"))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if !write_all {
        eprintln!("{REPORT} was written with the break marked; nothing else");
        return Ok(provenance.outcome());
    }
    writeln!(out)?;
    crate::report_cmd::write_tables(&mut out, Some(&plan), &parts, &period)?;
    writeln!(out)?;
    writeln!(
        out,
        "wrote {REPORT} and the plan file {PLAN}; the ledger is {LEDGER} (try: carequeue \
         worklist --db {LEDGER} --plan {PLAN} --as-of {as_of})"
    )?;
    writeln!(out, "done in {:.1} s", started.elapsed().as_secs_f64())?;
    Ok(Outcome::Success)
}
