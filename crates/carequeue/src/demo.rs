//! `carequeue demo`: a medium-sized synthetic plan simulated into a fresh
//! ledger in the current folder, its compliance summary, and the HTML report.

use std::io::{self, IsTerminal, Write};
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ledger::{AppendOptions, Appended, Incoming, Ledger};
use sim::Scenario;

use crate::Outcome;
use crate::cli::DemoArgs;

/// The demo's scenario, shipped with carequeue.
const SCENARIO: &str = include_str!("../../../scenarios/medium-plan.toml");
const LEDGER: &str = "carequeue-demo.db";
const REPORT: &str = "carequeue-demo.html";

fn step(message: &str) -> Option<ProgressBar> {
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

    let bar = step("simulating the plan");
    let run = sim::run_clinics(&scenario, args.seed, 0);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    writeln!(
        out,
        "simulated {} requests, {} events in {:.1} s",
        run.requests,
        run.events.len(),
        started.elapsed().as_secs_f64()
    )?;

    // A fresh ledger: the demo's own file is replaced.
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{LEDGER}{suffix}"));
    }
    let bar = step("storing the events in the ledger");
    let ledger = Ledger::open(LEDGER)?;
    let recorded_at = jiff::Timestamp::now();
    let options =
        AppendOptions { source: "carequeue demo".to_owned(), recorded_at, max_problems: 20 };
    let incoming = run.events.iter().enumerate().map(|(idx, event)| {
        Ok::<_, std::convert::Infallible>(Incoming::new(idx as u64 + 1, event.clone()))
    });
    let appended = ledger.append(incoming, &options)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    match appended {
        Appended::Stored(summary) => writeln!(
            out,
            "stored {} events in {LEDGER}, head {}",
            summary.batch.n_new, summary.head
        )?,
        Appended::Rejected(rejection) => {
            return Err(anyhow::format_err!(
                "the simulated events were rejected: {} problems",
                rejection.problems.len()
            ));
        }
    }

    let bar = step("computing the report");
    let rule_set = rules::RuleSet::shipped("ca-dmhc").context("the shipped rule set ca-dmhc")?;
    let entries = crate::report_cmd::entries_as_of(&ledger, recorded_at)?;
    // Judged as of the end of the simulated year.
    let report = metrics::report(&entries, &rule_set, run.end, &[metrics::GroupBy::Clinic], None);
    std::fs::write(REPORT, crate::html::render(&report, &rule_set, true))
        .with_context(|| format!("cannot write {REPORT}"))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    writeln!(out)?;
    crate::report_cmd::write_table(&mut out, &report)?;
    writeln!(out)?;
    writeln!(
        out,
        "wrote {REPORT}; the ledger is {LEDGER} (try: carequeue worklist --db {LEDGER} --rules ca-dmhc --as-of {})",
        run.end
    )?;
    writeln!(out, "done in {:.1} s", started.elapsed().as_secs_f64())?;
    Ok(Outcome::Success)
}
