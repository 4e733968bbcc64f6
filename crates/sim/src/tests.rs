//! Validation against the closed forms and golden values of
//! `docs/sources.md`, an exact replay against an independent
//! implementation, and determinism.

use crate::{Customer, QueueModel, Scheduler, Source, measure, run, simulate};

/// Checks that `simulated` is within three half-widths of `exact`.
#[track_caller]
fn within(what: &str, simulated: f64, half_width: f64, exact: f64) {
    assert!(
        (simulated - exact).abs() <= 3.0 * half_width,
        "{what}: simulated {simulated:.6} ± {half_width:.6}, exact {exact:.6}"
    );
    // A confidence interval this wide would make the check meaningless.
    assert!(half_width < 0.1 * exact.max(0.05), "{what}: half-width {half_width} too wide");
}

fn mmc(lambda: f64, mu: f64, c: u32) -> QueueModel {
    QueueModel { arrival_rates: vec![lambda], service_rate: mu, servers: c }
}

#[test]
fn erlang_c_golden_values() {
    // (λ, μ, c, P(wait), Wq, customers) from docs/sources.md section 4.
    let cases = [
        (8.0, 1.0, 10, 0.409180, 0.204590, 2_000_000),
        (2.0, 1.0, 3, 4.0 / 9.0, 4.0 / 9.0, 2_000_000),
        (95.0, 1.0, 100, 0.506457, 0.101291, 8_000_000),
        (9.0, 1.0, 10, 0.668732, 0.668732, 4_000_000),
    ];
    for (lambda, mu, c, p_wait, wq, customers) in cases {
        let stats = simulate(&mmc(lambda, mu, c), customers, 1, 0);
        within(&format!("Wq, M/M/{c}, λ={lambda}"), stats.mean_wait, stats.mean_wait_ci95, wq);
        within(&format!("P(wait), M/M/{c}, λ={lambda}"), stats.p_wait, stats.p_wait_ci95, p_wait);
    }
}

#[test]
fn two_class_non_pre_emptive_priority() {
    // λ urgent 2, routine 7, μ 1, c 10: Wq 0.0836 and 0.8359 (docs/sources.md section 4).
    let model = QueueModel { arrival_rates: vec![2.0, 7.0], service_rate: 1.0, servers: 10 };
    let stats = simulate(&model, 4_000_000, 2, 0);
    let (urgent, urgent_hw) = stats.classes[0];
    let (routine, routine_hw) = stats.classes[1];
    within("urgent", urgent, urgent_hw, 0.0836);
    within("routine", routine, routine_hw, 0.8359);
}

/// A fixed trace of customers.
struct Trace {
    customers: Vec<Customer>,
    next: usize,
}

impl Source for Trace {
    fn next_customer(&mut self) -> Customer {
        let customer = self.customers[self.next % self.customers.len()];
        self.next += 1;
        customer
    }
}

/// A small deterministic generator, independent of the simulator's streams.
fn lcg(state: &mut u64) -> f64 {
    *state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    ((*state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// FIFO with `c` servers the textbook way: each customer, in order of
/// arrival, takes the server that frees first.
fn independent_fifo(customers: &[Customer], c: usize) -> Vec<f64> {
    let mut free_at = vec![0.0f64; c];
    let mut arrival = 0.0;
    customers
        .iter()
        .map(|customer| {
            arrival += customer.interarrival;
            let (idx, &earliest) =
                free_at.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).unwrap_or((0, &0.0));
            let start = arrival.max(earliest);
            free_at[idx] = start + customer.service;
            start - arrival
        })
        .collect()
}

#[test]
fn exact_replay_of_fixed_traces() {
    for (c, load) in [(1, 0.85), (3, 0.9), (10, 0.95)] {
        let mut state = 42 + c as u64;
        let customers: Vec<Customer> = (0..20_000)
            .map(|_| Customer {
                interarrival: -(lcg(&mut state)).ln() / (load * c as f64),
                class: 0,
                service: -(lcg(&mut state)).ln(),
            })
            .collect();
        let expected = independent_fifo(&customers, c);
        let mut waits = vec![f64::NAN; customers.len()];
        let mut trace = Trace { customers: customers.clone(), next: 0 };
        run(c as u32, customers.len() as u64, &mut trace, |index, _, wait| {
            waits[index as usize] = wait
        });
        for (idx, (a, b)) in waits.iter().zip(&expected).enumerate() {
            assert!((a - b).abs() < 1e-9, "c={c}, customer {idx}: {a} against {b}");
        }
    }
}

#[test]
fn the_same_seed_gives_the_same_run_and_replications_differ() {
    let model = mmc(8.0, 1.0, 10);
    let a = simulate(&model, 200_000, 7, 0);
    let b = simulate(&model, 200_000, 7, 0);
    assert_eq!(a, b);
    assert_ne!(a, simulate(&model, 200_000, 7, 1));
    assert_ne!(a, simulate(&model, 200_000, 8, 0));
}

#[test]
fn parallel_replications_equal_sequential_ones() {
    let model = mmc(8.0, 1.0, 10);
    let sequential: Vec<_> = (0..4).map(|r| simulate(&model, 100_000, 3, r)).collect();
    let parallel: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|r| {
                let model = &model;
                scope.spawn(move || simulate(model, 100_000, 3, r))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sequential, parallel);
}

#[test]
fn ties_are_taken_in_the_order_scheduled() {
    let mut calendar = Scheduler::default();
    for label in ["a", "b", "c"] {
        calendar.schedule(1.0, label);
    }
    calendar.schedule(0.5, "first");
    let order: Vec<&str> = std::iter::from_fn(|| calendar.take_next().map(|(_, e)| e)).collect();
    assert_eq!(order, ["first", "a", "b", "c"]);
    let _ = measure;
}
