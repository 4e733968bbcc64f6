//! Benchmark: the time to answer a staffing question for a 1,000,000-member
//! plan (`scenarios/large-plan.toml`) under `ca-dmhc`.
//!
//! ```text
//! cargo bench -p planner --bench staffing -- [SCENARIO.toml] [--replications R]
//! ```
//!
//! First times the parts of one simulated staffing, one replication on one
//! thread (the model, building its events, judging them), then answers the
//! whole question as `carequeue plan staff` does with its defaults, on all
//! cores, and prints the time against the goal of 60 seconds. Nothing is
//! asserted.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant as Clock;

use planner::Question;
use rules::RuleSet;
use sim::Scenario;

const GOAL_SECONDS: f64 = 60.0;

fn main() {
    let mut path =
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios/large-plan.toml").to_owned();
    let mut replications = 4u32;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--replications" => replications = args.next().unwrap().parse().unwrap(),
            other if other.ends_with(".toml") => path = other.to_owned(),
            _ => {}
        }
    }
    let scenario = Scenario::parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap();
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    println!("{}: {} members, {} days", scenario.name, scenario.members, scenario.days);

    let clock = Clock::now();
    let run = sim::run_clinics(&scenario, 1, 0);
    let model = clock.elapsed().as_secs_f64();
    let clock = Clock::now();
    let counts = planner::compliance_by_type(&run, &rule_set, run.start);
    let judged = clock.elapsed().as_secs_f64();
    std::hint::black_box(counts);
    println!(
        "one replication: model {model:.2} s, events built and judged {judged:.2} s ({} events, {} requests)",
        run.len(),
        run.requests
    );

    let question = Question {
        scenario: &scenario,
        rule_set: &rule_set,
        targets: rule_set.standards.iter().map(|s| s.threshold).collect(),
        replications,
        seed: 1,
        intake_shares: vec![0.15, 0.2, 0.3],
        warm_up_days: 91,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let clock = Clock::now();
    let mut simulated = 0;
    let answer = planner::search(&question, &mut |_| simulated += 1).unwrap();
    let seconds = clock.elapsed().as_secs_f64();
    println!(
        "answer: {:?} clinicians at intake shares {:?}; {simulated} staffings simulated",
        answer.staff, answer.intake_shares
    );
    println!(
        "staffing question answered in {seconds:.1} s; goal {GOAL_SECONDS} s (ratio {:.2})",
        GOAL_SECONDS / seconds
    );
}
