//! The M/M/c queue (and its non-pre-emptive priority form) on the kernel:
//! Poisson arrivals, exponential services, `c` servers, first come first
//! served within a class, a higher class (lower index) served first.
//! It exists so that anyone can check the engine against the closed forms
//! (`carequeue simulate queue`).

use std::collections::VecDeque;

use rand_chacha::ChaCha8Rng;

use crate::kernel::{Scheduler, Time};
use crate::streams::{Purpose, exponential, stream};

/// A queue to simulate.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueModel {
    /// Arrival rate of each class, highest priority first (one class: plain
    /// M/M/c).
    pub arrival_rates: Vec<f64>,
    /// Service rate of one server.
    pub service_rate: f64,
    /// Number of servers.
    pub servers: u32,
}

/// One customer as a source gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Customer {
    /// Time since the previous arrival.
    pub interarrival: Time,
    /// Priority class (0 is served first).
    pub class: usize,
    /// Service time.
    pub service: Time,
}

/// Where customers come from: random draws, or a fixed trace.
pub trait Source {
    /// The next customer.
    fn next_customer(&mut self) -> Customer;
}

/// Customers drawn from a model's distributions, from the named streams of
/// a seed and replication.
#[derive(Debug)]
pub struct RandomSource<'m> {
    model: &'m QueueModel,
    total_rate: f64,
    arrivals: ChaCha8Rng,
    services: ChaCha8Rng,
}

impl<'m> RandomSource<'m> {
    /// The source of replication `replication` of a run seeded with `seed`.
    pub fn new(model: &'m QueueModel, seed: u64, replication: u32) -> RandomSource<'m> {
        RandomSource {
            model,
            total_rate: model.arrival_rates.iter().sum(),
            arrivals: stream(seed, replication, Purpose::Arrivals),
            services: stream(seed, replication, Purpose::Services),
        }
    }
}

impl Source for RandomSource<'_> {
    fn next_customer(&mut self) -> Customer {
        use rand::RngExt;
        let interarrival = exponential(&mut self.arrivals, self.total_rate);
        let mut class = 0;
        if self.model.arrival_rates.len() > 1 {
            let mut pick: f64 = self.arrivals.random::<f64>() * self.total_rate;
            while class + 1 < self.model.arrival_rates.len()
                && pick >= self.model.arrival_rates[class]
            {
                pick -= self.model.arrival_rates[class];
                class += 1;
            }
        }
        Customer {
            interarrival,
            class,
            service: exponential(&mut self.services, self.model.service_rate),
        }
    }
}

/// The events of the queue. The arriving customer is kept beside the
/// calendar (only one arrival is ever pending), so that entries stay small.
enum Event {
    Arrival,
    Departure,
}

/// Runs `n` customers through `servers` servers and calls `on_wait(index,
/// class, wait)` when each starts service (customers are numbered in order
/// of arrival).
pub fn run(
    servers: u32,
    n: u64,
    source: &mut dyn Source,
    mut on_wait: impl FnMut(u64, usize, Time),
) {
    let mut calendar: Scheduler<Event> = Scheduler::default();
    let mut queues: Vec<VecDeque<(u64, Time, Time)>> = Vec::new();
    let mut free = servers;
    let mut arrived = 0u64;
    let mut pending = source.next_customer();
    if n > 0 {
        calendar.schedule(pending.interarrival, Event::Arrival);
    }
    while let Some((now, event)) = calendar.take_next() {
        match event {
            Event::Arrival => {
                let customer = pending;
                let index = arrived;
                arrived += 1;
                if arrived < n {
                    pending = source.next_customer();
                    calendar.schedule(now + pending.interarrival, Event::Arrival);
                }
                if free > 0 {
                    free -= 1;
                    on_wait(index, customer.class, 0.0);
                    calendar.schedule(now + customer.service, Event::Departure);
                } else {
                    if queues.len() <= customer.class {
                        queues.resize_with(customer.class + 1, VecDeque::new);
                    }
                    queues[customer.class].push_back((index, now, customer.service));
                }
            }
            Event::Departure => {
                let next = queues
                    .iter_mut()
                    .enumerate()
                    .find_map(|(class, queue)| queue.pop_front().map(|waiting| (class, waiting)));
                match next {
                    Some((class, (index, arrived_at, service))) => {
                        on_wait(index, class, now - arrived_at);
                        calendar.schedule(now + service, Event::Departure);
                    }
                    None => free += 1,
                }
            }
        }
    }
}

/// What a run measured, after dropping the warm-up.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStats {
    /// Customers measured (after the warm-up).
    pub customers: u64,
    /// Mean wait in queue.
    pub mean_wait: f64,
    /// The 95% half-width of the mean wait, from batch means.
    pub mean_wait_ci95: f64,
    /// The share of customers who waited at all.
    pub p_wait: f64,
    /// The 95% half-width of `p_wait`, from batch means.
    pub p_wait_ci95: f64,
    /// For each class: mean wait and its 95% half-width.
    pub classes: Vec<(f64, f64)>,
}

/// Student's t at 0.975 with 19 degrees of freedom, for 20 batch means.
const T_19: f64 = 2.093_024;
const BATCHES: u64 = 20;

/// Simulates `customers` customers of `model` (replication `replication` of
/// a run seeded with `seed`), drops the first 1% as warm-up, and estimates
/// the mean wait with a 95% confidence interval from 20 batch means (the
/// waits of successive customers are strongly correlated, so the plain
/// standard error would be far too small).
pub fn simulate(model: &QueueModel, customers: u64, seed: u64, replication: u32) -> QueueStats {
    let mut source = RandomSource::new(model, seed, replication);
    measure(model.arrival_rates.len(), model.servers, customers, &mut source)
}

/// Runs a source and computes the statistics of [`simulate`].
pub fn measure(
    n_classes: usize,
    servers: u32,
    customers: u64,
    source: &mut dyn Source,
) -> QueueStats {
    let warmup = customers / 100;
    let measured = customers - warmup;
    let batch = (measured / BATCHES).max(1);
    // Per batch and class: sum of waits and count.
    let mut sums = vec![[0.0f64; 2]; (BATCHES as usize) * n_classes.max(1)];
    let mut counts = vec![0u64; (BATCHES as usize) * n_classes.max(1)];
    let mut waited = 0u64;
    run(servers, customers, source, |index, class, wait| {
        if index < warmup {
            return;
        }
        let b = ((index - warmup) / batch).min(BATCHES - 1) as usize;
        let slot = b * n_classes.max(1) + class;
        sums[slot][0] += wait;
        sums[slot][1] += f64::from(u8::from(wait > 0.0));
        counts[slot] += 1;
        if wait > 0.0 {
            waited += 1;
        }
    });
    let batch_means = |classes: &[usize], what: usize| -> (f64, f64) {
        let means: Vec<f64> = (0..BATCHES as usize)
            .filter_map(|b| {
                let (sum, count) = classes.iter().fold((0.0, 0u64), |(s, c), class| {
                    let slot = b * n_classes.max(1) + class;
                    (s + sums[slot][what], c + counts[slot])
                });
                (count > 0).then(|| sum / count as f64)
            })
            .collect();
        let k = means.len() as f64;
        if k < 2.0 {
            return (means.first().copied().unwrap_or(0.0), f64::INFINITY);
        }
        let mean = means.iter().sum::<f64>() / k;
        let var = means.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (k - 1.0);
        (mean, T_19 * (var / k).sqrt())
    };
    let all: Vec<usize> = (0..n_classes.max(1)).collect();
    let (mean_wait, mean_wait_ci95) = batch_means(&all, 0);
    let (_, p_wait_ci95) = batch_means(&all, 1);
    let classes = (0..n_classes.max(1)).map(|c| batch_means(&[c], 0)).collect();
    QueueStats {
        customers: measured,
        mean_wait,
        mean_wait_ci95,
        p_wait: if measured > 0 { waited as f64 / measured as f64 } else { 0.0 },
        p_wait_ci95,
        classes,
    }
}
