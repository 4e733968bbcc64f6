//! The staffing search: the known answer where Erlang C gives it exactly,
//! by the closed form and by simulation, and on a clinic network.

use rules::RuleSet;
use sim::{QueueModel, Scenario};

use crate::*;

/// (λ, μ, target wait, probability) for three independent queues.
const QUEUES: [(f64, f64, f64, f64); 3] =
    [(9.0, 1.0, 0.5, 0.9), (2.0, 1.0, 0.25, 0.8), (95.0, 1.0, 0.1, 0.95)];

#[test]
fn the_search_finds_erlang_c_s_answer_from_any_start() {
    let exact: [u32; 3] =
        QUEUES.map(|(l, m, t, p)| fewest_servers(l, m, t, p, 10_000).unwrap().servers());
    let meets = |staff: [u32; 3], _: [bool; 3]| {
        std::array::from_fn(|k| {
            let (l, m, t, p) = QUEUES[k];
            Mmc::new(l, m, staff[k]).is_ok_and(|q| 1.0 - q.p_wait_longer(t) >= p)
        })
    };
    for start in [[1, 1, 1], [12, 4, 110], [40, 2, 300], [11, 3, 101]] {
        let found = fewest_each(start, 1, [true; 3], true, |_| 1, meets).unwrap();
        assert_eq!(found, exact.map(Some), "from {start:?}");
    }
    // Without growing, a start that does not meet has no answer; one that
    // does finds the fewest below it.
    let found = fewest_each([5, 10, 150], 1, [true; 3], false, |_| 1, meets).unwrap();
    assert_eq!(found, [None, Some(exact[1]), Some(exact[2])]);
    // Kinds not asked are left alone.
    let found = fewest_each([20, 20, 200], 1, [true, false, true], true, |_| 1, meets).unwrap();
    assert_eq!(found, [Some(exact[0]), None, Some(exact[2])]);
}

#[test]
fn the_search_over_simulations_finds_erlang_c_s_answer() {
    // Targets on the mean wait where Erlang C's answer is clear of its
    // neighbours: λ = 9: Wq 0.215 at 11 servers, 0.089 at 12; λ = 2: 0.444
    // at 3, 0.087 at 4; λ = 30: 0.163 at 33, 0.094 at 34.
    let cases = [(9.0, 0.15), (2.0, 0.2), (30.0, 0.12)];
    let exact: [u32; 3] = cases.map(|(lambda, target)| {
        (1..1000)
            .find(|c| Mmc::new(lambda, 1.0, *c).is_ok_and(|q| q.mean_wait() <= target))
            .unwrap()
    });
    assert_eq!(exact, [12, 4, 34]);
    let mut tried = 0;
    let meets = |staff: [u32; 3], asked: [bool; 3]| {
        tried += 1;
        std::array::from_fn(|k| {
            let (lambda, target) = cases[k];
            if !asked[k] || f64::from(staff[k]) <= lambda {
                return false;
            }
            let model =
                QueueModel { arrival_rates: vec![lambda], service_rate: 1.0, servers: staff[k] };
            // Met with 95% confidence: the interval's upper end is within target.
            let stats = sim::simulate(&model, 1_000_000, 3, staff[k]);
            stats.mean_wait + stats.mean_wait_ci95 <= target
        })
    };
    let found = fewest_each([8, 8, 8], 1, [true; 3], true, |_| 1, meets).unwrap();
    assert_eq!(found, exact.map(Some));
}

/// Two clinics, half a year, a tenth of the medium plan.
const SMALL: &str = r#"
start = "2025-01-06"
days = 182
members = 20000

[[clinic]]
id = "north"
member_share = 0.6
clinicians = [4.0, 1.0, 1.0]

[[clinic]]
id = "south"
member_share = 0.4
clinicians = [3.0, 1.0, 1.0]
"#;

#[test]
fn judging_a_run_request_by_request_agrees_with_assembling_its_events() {
    let scenario = Scenario::parse(SMALL, "small.toml").unwrap();
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    let run = sim::run_clinics(&scenario, 4, 0);
    let counts = compliance_by_type(&run, &rule_set, run.start);
    // The reference: every event, grouped by `rules::assemble`.
    let events = run.events();
    let zone = |clinic: &str| {
        scenario
            .clinics
            .iter()
            .find(|c| c.id == clinic)
            .map(|c| jiff::tz::TimeZone::get(&c.time_zone).unwrap())
            .unwrap()
    };
    let mut reference = vec![[Counts::default(); 3]; rule_set.standards.len()];
    let (mut verdicts, mut problems) = (Vec::new(), Vec::new());
    for history in rules::assemble(events.iter()) {
        verdicts.clear();
        let tz = zone(history.request.clinic.as_str());
        rules::evaluate(&history, &rule_set, &tz, run.end, &mut verdicts, &mut problems);
        crate::staffing::count(&mut reference, &rule_set, history.request.provider_type, &verdicts);
    }
    assert_eq!(counts, reference);
    assert!(counts.iter().flatten().map(|c| c.requests).sum::<u64>() > 1000);
}

#[test]
fn the_staffing_search_answers_with_the_fewest_that_meet() {
    let scenario = Scenario::parse(SMALL, "small.toml").unwrap();
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    let question = Question {
        scenario: &scenario,
        rule_set: &rule_set,
        targets: vec![0.7; rule_set.standards.len()],
        replications: 4,
        seed: 2,
        intake_shares: vec![0.2, 0.3],
        warm_up_days: 28,
        threads: 2,
    };
    let answer = search(&question, &mut |_| {}).unwrap();
    let floor = scenario.clinics.len() as u32;
    for p in 0..3 {
        assert!(answer.check.meets(p, &question.targets), "type {p}: {:?}", answer.check);
        // One fewer was tried at the chosen share and fell short (or the
        // answer is the floor of one per clinic).
        let one_fewer = answer.evaluations.iter().any(|e| {
            e.staff[p] + 1 == answer.staff[p]
                && (e.intake_shares[p] - answer.intake_shares[p]).abs() < 1e-12
                && !e.meets(p, &question.targets)
        });
        assert!(answer.staff[p] == floor || one_fewer, "type {p}: {:?}", answer.staff);
    }
    // Deterministic: the same question, the same answer.
    assert_eq!(search(&question, &mut |_| {}).unwrap(), answer);
}

#[test]
fn the_search_ends_near_the_floor() {
    // One clinic (floor 1): a kind that meets at 2 must still shrink to 1,
    // and a start of 0 must grow.
    let meets_from = [1u32, 2, 3];
    let decide = |staff: [u32; 3], _: [bool; 3]| std::array::from_fn(|k| staff[k] >= meets_from[k]);
    for start in [[2, 2, 2], [3, 3, 3], [0, 0, 0], [1, 1, 1]] {
        let found = fewest_each(start, 1, [true; 3], true, |_| 1, decide).unwrap();
        assert_eq!(found, [Some(1), Some(2), Some(3)], "from {start:?}");
    }
    let found = fewest_each([0, 0, 0], 0, [true; 3], true, |_| 1, decide).unwrap();
    assert_eq!(found, [Some(1), Some(2), Some(3)]);
}
