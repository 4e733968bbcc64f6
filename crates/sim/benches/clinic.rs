//! Benchmark: the clinic-network model, as simulated requests and events
//! per second.
//!
//! ```text
//! cargo bench -p sim --bench clinic -- [SCENARIO.toml] [--replications N]
//! ```
//!
//! Runs N replications (default 3) of one plan-year of the large plan
//! (`scenarios/large-plan.toml`, 1,000,000 members) one after the other
//! (the model on one thread; its events are built 65,536 at a time on all
//! cores, as `carequeue generate` builds them), and prints each one's time, its requests and events per
//! second, and two ratios: to the goal of 2 seconds per replication, and to
//! a baseline run in the same process (the plain M/M/c queue with as many
//! customers as the replication had requests, so the ratio says what the
//! clinic model costs per request beyond the kernel). Nothing is asserted.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant as Clock;

use sim::{QueueModel, Scenario};

const GOAL_SECONDS: f64 = 2.0;

fn main() {
    let mut path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/large-plan.toml").to_owned();
    let mut replications = 3u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--replications" => replications = args.next().unwrap().parse().unwrap(),
            "--bench" => {}
            other if other.ends_with(".toml") => path = other.to_owned(),
            _ => {}
        }
    }
    let text = std::fs::read_to_string(&path).unwrap();
    let scenario = Scenario::parse(&text, &path).unwrap();
    println!(
        "{}: {} members, {} days, {} clinics",
        scenario.name,
        scenario.members,
        scenario.days,
        scenario.clinics.len()
    );
    println!(
        "{:>4} {:>9} {:>10} {:>10} {:>12} {:>12} {:>9} {:>10}",
        "rep", "seconds", "requests", "events", "requests/s", "events/s", "vs goal", "vs M/M/c"
    );
    for replication in 0..replications {
        let clock = Clock::now();
        let run = sim::run_clinics(&scenario, 1, replication);
        // Every event is built, a chunk at a time, as `generate` does.
        let mut n_events = 0;
        for chunk in run.chunks(1 << 16) {
            n_events += chunk.len();
            std::hint::black_box(chunk);
        }
        let seconds = clock.elapsed().as_secs_f64();
        // Baseline: an M/M/10 queue at utilisation 0.9 with as many
        // customers, in the same process.
        let model = QueueModel { arrival_rates: vec![9.0], service_rate: 1.0, servers: 10 };
        let clock = Clock::now();
        let stats = sim::simulate(&model, run.requests.max(2_000), 1, replication);
        let baseline = clock.elapsed().as_secs_f64();
        std::hint::black_box(stats);
        println!(
            "{:>4} {:>9.3} {:>10} {:>10} {:>12.0} {:>12.0} {:>8.2}x {:>9.1}x",
            replication,
            seconds,
            run.requests,
            n_events,
            run.requests as f64 / seconds,
            n_events as f64 / seconds,
            GOAL_SECONDS / seconds,
            seconds / baseline
        );
    }
    println!("vs goal: 2 s / time (above 1 meets the goal); vs M/M/c: time / plain-queue time");
}
