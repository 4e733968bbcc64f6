//! `carequeue simulate`.

use std::io::{self, Write};
use std::time::Instant;

use std::path::Path;

use anyhow::{Context, Result, format_err};
use rules::RuleSet;
use sim::{ClinicRun, QueueModel, Scenario};

use crate::Outcome;
use crate::cli::{GenerateArgs, QueueArgs, QueueFormat, SimulateArgs, SimulateCommand};

pub(crate) fn run(args: &SimulateArgs) -> Result<Outcome> {
    match (&args.command, &args.scenario) {
        (Some(SimulateCommand::Queue(queue)), _) => run_queue(queue),
        (None, Some(path)) => run_scenario(args, path),
        (None, None) => Err(format_err!(
            "give --scenario FILE, or the subcommand `queue` (see carequeue simulate --help)"
        )),
    }
}

/// Reads a scenario file.
pub(crate) fn load_scenario(path: &Path) -> Result<Scenario> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Scenario::parse(&text, &path.display().to_string())?)
}

/// One standard's result in one run: its id, compliance rate and requests.
pub(crate) type Rate = (String, Option<f64>, u64);

/// The compliance rate per standard of one simulated run: the verdicts of
/// `rules::evaluate`, counted as the reports count them (the simulator's
/// requests are all of the three planned provider types).
pub(crate) fn rates(run: &ClinicRun<'_>, rule_set: &RuleSet) -> Vec<Rate> {
    planner::compliance_by_type(run, rule_set, run.start)
        .into_iter()
        .zip(&rule_set.standards)
        .filter(|(by_type, _)| by_type.iter().any(|c| c.requests > 0))
        .map(|(by_type, standard)| {
            let total = by_type.iter().fold(planner::Counts::default(), |a, c| planner::Counts {
                requests: a.requests + c.requests,
                met: a.met + c.met,
                missed: a.missed + c.missed,
                open_overdue: a.open_overdue + c.open_overdue,
            });
            (standard.id.clone(), total.rate(), total.requests)
        })
        .collect()
}

fn run_scenario(args: &SimulateArgs, path: &Path) -> Result<Outcome> {
    let scenario = load_scenario(path)?;
    let rule_set = crate::rules_cmd::load(&args.rules)?;
    if args.replications < 2 {
        return Err(format_err!("--replications must be at least 2, for a confidence interval"));
    }
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Each replication has its own streams: the results do not depend on
    // how they are spread over threads.
    let results: Vec<(u32, Vec<Rate>, u64)> = sim::replicate(args.replications, threads, |r| {
        let run = sim::run_clinics(&scenario, args.seed, r);
        (r, rates(&run, &rule_set), run.len() as u64)
    });
    let seconds = started.elapsed().as_secs_f64();
    let n_events: u64 = results.iter().map(|(_, _, n)| n).sum();
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{}: {} replications, seed {}, judged under {}",
        scenario.name, args.replications, args.seed, rule_set.id
    )?;
    writeln!(out, "{:<22} {:>10} {:>10} {:>12}", "standard", "requests", "rate", "95% CI")?;
    for standard in &rule_set.standards {
        let values: Vec<f64> = results
            .iter()
            .filter_map(|(_, rows, _)| {
                rows.iter().find(|(s, _, _)| s == &standard.id).and_then(|(_, rate, _)| *rate)
            })
            .collect();
        if values.is_empty() {
            continue;
        }
        let requests: u64 = results
            .iter()
            .filter_map(|(_, rows, _)| {
                rows.iter().find(|(s, _, _)| s == &standard.id).map(|(_, _, n)| *n)
            })
            .sum::<u64>()
            / results.len() as u64;
        let (mean, half) = planner::mean_and_half_width(&values);
        writeln!(
            out,
            "{:<22} {:>10} {:>9.1}% {:>10.1} pp",
            standard.id,
            requests,
            mean * 100.0,
            half * 100.0
        )?;
    }
    writeln!(out, "{seconds:.1} s; {:.0} simulated events/s", n_events as f64 / seconds)?;
    Ok(Outcome::Success)
}

/// `carequeue generate`.
pub(crate) fn generate(args: &GenerateArgs) -> Result<Outcome> {
    let scenario = load_scenario(&args.scenario)?;
    let started = Instant::now();
    let run = sim::run_clinics(&scenario, args.seed, 0);
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut out = io::BufWriter::with_capacity(1 << 20, file);
    let csv = args.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if csv {
        let mut writer = formats::CsvWriter::new(out)?;
        for chunk in run.chunks(1 << 16) {
            for event in &chunk {
                writer.write(event)?;
            }
        }
        out = writer.finish()?;
    } else {
        let mut scratch = Vec::new();
        for chunk in run.chunks(1 << 16) {
            for event in &chunk {
                formats::write_ndjson(&mut out, event, &mut scratch)?;
            }
        }
    }
    out.flush()?;
    writeln!(
        io::stdout(),
        "wrote {} events ({} requests) of {} to {} in {:.1} s",
        run.len(),
        run.requests,
        scenario.name,
        args.out.display(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(Outcome::Success)
}

fn run_queue(args: &QueueArgs) -> Result<Outcome> {
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if !args.arrival_rate.iter().all(|l| positive(*l))
        || !positive(args.service_rate)
        || args.servers == 0
    {
        return Err(format_err!("rates must be positive numbers and --servers at least 1"));
    }
    let load: f64 =
        args.arrival_rate.iter().sum::<f64>() / (args.service_rate * f64::from(args.servers));
    if load >= 1.0 {
        return Err(format_err!(
            "the queue is unstable: utilisation {load:.3} (arrival rate / (servers x service rate)) must be below 1"
        ));
    }
    if args.customers < 2_000 {
        return Err(format_err!("--customers must be at least 2000 (20 batches of 100)"));
    }
    let model = QueueModel {
        arrival_rates: args.arrival_rate.clone(),
        service_rate: args.service_rate,
        servers: args.servers,
    };
    let started = Instant::now();
    let stats = sim::simulate(&model, args.customers, args.seed, 0);
    let seconds = started.elapsed().as_secs_f64();
    let rate = args.customers as f64 / seconds;
    let mut out = io::stdout().lock();
    match args.format {
        QueueFormat::Json => {
            let classes: Vec<String> = stats
                .classes
                .iter()
                .map(|(m, h)| format!("{{\"mean_wait\":{m},\"mean_wait_ci95\":{h}}}"))
                .collect();
            writeln!(
                out,
                "{{\"customers\":{},\"measured\":{},\"utilisation\":{load},\"mean_wait\":{},\"mean_wait_ci95\":{},\
                 \"p_wait\":{},\"p_wait_ci95\":{},\"classes\":[{}],\"seconds\":{seconds},\"customers_per_second\":{rate:.0}}}",
                args.customers,
                stats.customers,
                stats.mean_wait,
                stats.mean_wait_ci95,
                stats.p_wait,
                stats.p_wait_ci95,
                classes.join(",")
            )?;
        }
        QueueFormat::Text => {
            let rates: Vec<String> = args.arrival_rate.iter().map(|l| l.to_string()).collect();
            writeln!(
                out,
                "M/M/{} with arrival rate {} and service rate {} (utilisation {load:.3}), seed {}",
                args.servers,
                rates.join(" + "),
                args.service_rate,
                args.seed
            )?;
            writeln!(
                out,
                "{} customers measured after a 1% warm-up; 95% intervals from 20 batch means",
                stats.customers
            )?;
            writeln!(
                out,
                "mean wait in queue  {:.6} ± {:.6}",
                stats.mean_wait, stats.mean_wait_ci95
            )?;
            writeln!(out, "P(wait)             {:.6} ± {:.6}", stats.p_wait, stats.p_wait_ci95)?;
            if stats.classes.len() > 1 {
                for (class, (mean, half)) in stats.classes.iter().enumerate() {
                    writeln!(out, "class {class} mean wait {mean:.6} ± {half:.6}")?;
                }
            }
            writeln!(out, "{seconds:.2} s, {rate:.0} customers/s")?;
        }
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use metrics::Entry;
    use sim::ClinicRun;

    /// A run's events as the reports read them, all recorded at the run's end.
    fn entries(run: &ClinicRun<'_>) -> Vec<Entry> {
        let mut entries = Vec::with_capacity(run.len());
        for chunk in run.chunks(1 << 16) {
            entries.extend(chunk.into_iter().map(|event| Entry {
                event,
                recorded_at: run.end,
                backfill: false,
                voided_by: None,
            }));
        }
        entries
    }

    use metrics::GroupBy;

    /// Three clinics alike but for one thing each: `short` has five ninths
    /// of the therapists of `base`; `short-no-carve` is `short` without an
    /// urgent carve-out.
    const CONTRAST: &str = r#"
start = "2025-01-06"
days = 364
members = 54000

[[clinic]]
id = "base"
member_share = 0.34
clinicians = [9.0, 2.0, 1.5]
urgent_carve_out = 2

[[clinic]]
id = "short"
member_share = 0.33
clinicians = [5.0, 2.0, 1.5]
urgent_carve_out = 2

[[clinic]]
id = "short-no-carve"
member_share = 0.33
clinicians = [5.0, 2.0, 1.5]
urgent_carve_out = 0
"#;

    #[test]
    fn the_model_shows_what_a_clinic_manager_would_recognise() {
        let scenario = sim::Scenario::parse(CONTRAST, "contrast.toml").unwrap();
        let run = sim::run_clinics(&scenario, 1, 0);
        let entries = entries(&run);
        let rule_set = rules::RuleSet::shipped("ca-dmhc").unwrap();
        let report = metrics::report(&entries, &rule_set, run.end, &[GroupBy::Clinic], None);
        let row = |clinic: &str, standard: &str| {
            report
                .rows
                .iter()
                .find(|r| r.keys == [clinic] && r.standard == standard)
                .unwrap_or_else(|| panic!("no {standard} row for {clinic}"))
        };
        let urgent = |clinic| row(clinic, "urgent-48h").rate.unwrap();
        let group = |clinic| {
            let r = row(clinic, "non-physician-10bd");
            r.group_for_individual as f64 / r.requests as f64
        };
        // The share of follow-up gaps longer than 14 days, over the months
        // of the later visits from `first` to `last`.
        let long_gaps = |clinic: &str, first: &str, last: &str| {
            let rows: Vec<_> = report
                .access
                .follow_up_gaps
                .iter()
                .filter(|g| g.clinic == clinic && (first..=last).contains(&g.month.as_str()))
                .collect();
            rows.iter().map(|g| g.over_14_days).sum::<u64>() as f64
                / rows.iter().map(|g| g.gaps).sum::<u64>() as f64
        };
        let early = |clinic| long_gaps(clinic, "2025-01", "2025-03");
        let late = |clinic| long_gaps(clinic, "2025-10", "2025-12");
        let figures = format!(
            "urgent-48h: short {:.3}, short-no-carve {:.3}; group for individual: base {:.3}, \
             short {:.3}; follow-up gaps over 14 days, Q1 and Q4: base {:.3} {:.3}, short {:.3} {:.3}",
            urgent("short"),
            urgent("short-no-carve"),
            group("base"),
            group("short"),
            early("base"),
            late("base"),
            early("short"),
            late("short"),
        );
        eprintln!("{figures}");
        // Urgent waits are longer where there is no carve-out...
        assert!(urgent("short-no-carve") < urgent("short") - 0.1, "{figures}");
        // ...group care stands in for individual care where therapists are
        // short...
        assert!(group("short") > 1.5 * group("base"), "{figures}");
        // ...and follow-up visits drift apart as caseloads fill, the more
        // where therapists are short.
        assert!(late("short") > early("short") + 0.1, "{figures}");
        assert!(late("short") > late("base") + 0.05, "{figures}");
    }
}
