//! `carequeue simulate`.

use std::io::{self, Write};
use std::time::Instant;

use anyhow::{Result, format_err};
use sim::QueueModel;

use crate::Outcome;
use crate::cli::{QueueArgs, QueueFormat, SimulateArgs, SimulateCommand};

pub(crate) fn run(args: &SimulateArgs) -> Result<Outcome> {
    match &args.command {
        SimulateCommand::Queue(queue) => run_queue(queue),
    }
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
