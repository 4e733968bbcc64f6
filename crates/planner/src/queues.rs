//! Closed forms and approximations for queues (`docs/sources.md`
//! section 2): M/M/c (Erlang C), non-pre-emptive priority classes,
//! Pollaczek-Khinchine, Kingman, Allen-Cunneen, square-root staffing, and
//! the fewest servers that meet a waiting-time target.
//!
//! Erlang C is computed through the Erlang B recursion, which stays exact
//! to rounding for thousands of servers (no factorials, no powers).

use crate::error::{Error, non_negative, positive};

/// Erlang B: the blocking probability of `servers` servers offered `load`
/// erlangs, by the recursion B₀ = 1, Bₖ = a·Bₖ₋₁ / (k + a·Bₖ₋₁).
pub fn erlang_b(servers: u32, load: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=servers {
        b = load * b / (f64::from(k) + load * b);
    }
    b
}

/// Erlang C from Erlang B: C = c·B / (c − a·(1 − B)).
fn c_from_b(servers: u32, load: f64, b: f64) -> f64 {
    let c = f64::from(servers);
    c * b / (c - load * (1.0 - b))
}

/// An M/M/c queue: Poisson arrivals at `arrival_rate`, exponential service
/// at `service_rate` per server, `servers` servers, first come first served.
/// Times are in the unit of the rates' reciprocal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mmc {
    arrival_rate: f64,
    service_rate: f64,
    servers: u32,
    p_wait: f64,
}

impl Mmc {
    /// Checks the rates and that the queue is stable (λ < c·μ).
    pub fn new(arrival_rate: f64, service_rate: f64, servers: u32) -> Result<Mmc, Error> {
        let arrival_rate = positive("arrival rate", arrival_rate)?;
        let service_rate = positive("service rate", service_rate)?;
        if servers == 0 {
            return Err(Error::Invalid { name: "servers", expected: "at least 1", found: 0.0 });
        }
        let load = arrival_rate / service_rate;
        if load >= f64::from(servers) {
            return Err(Error::Unstable { load, servers });
        }
        let p_wait = c_from_b(servers, load, erlang_b(servers, load));
        Ok(Mmc { arrival_rate, service_rate, servers, p_wait })
    }

    /// The arrival rate λ.
    pub fn arrival_rate(&self) -> f64 {
        self.arrival_rate
    }

    /// The service rate μ of one server.
    pub fn service_rate(&self) -> f64 {
        self.service_rate
    }

    /// The number of servers c.
    pub fn servers(&self) -> u32 {
        self.servers
    }

    /// Offered load a = λ/μ, in erlangs.
    pub fn offered_load(&self) -> f64 {
        self.arrival_rate / self.service_rate
    }

    /// Utilisation ρ = a/c.
    pub fn utilisation(&self) -> f64 {
        self.offered_load() / f64::from(self.servers)
    }

    /// The probability of waiting, Erlang C: C(c, a).
    pub fn p_wait(&self) -> f64 {
        self.p_wait
    }

    /// The rate at which the queue drains while every server is busy, cμ − λ.
    fn drain_rate(&self) -> f64 {
        f64::from(self.servers) * self.service_rate - self.arrival_rate
    }

    /// Mean wait in the queue, Wq = C / (cμ − λ).
    pub fn mean_wait(&self) -> f64 {
        self.p_wait / self.drain_rate()
    }

    /// Mean number waiting, Lq = λ·Wq.
    pub fn mean_queue(&self) -> f64 {
        self.arrival_rate * self.mean_wait()
    }

    /// Mean time in the system, W = Wq + 1/μ.
    pub fn mean_response(&self) -> f64 {
        self.mean_wait() + 1.0 / self.service_rate
    }

    /// P(Wq > t) = C·e^(−(cμ − λ)t), for t ≥ 0.
    pub fn p_wait_longer(&self, t: f64) -> f64 {
        if t < 0.0 { 1.0 } else { self.p_wait * (-self.drain_rate() * t).exp() }
    }

    /// The `p`-quantile of the wait in the queue: 0 when at least `p` of
    /// arrivals do not wait, otherwise ln(C / (1 − p)) / (cμ − λ).
    pub fn wait_quantile(&self, p: f64) -> f64 {
        if p <= 1.0 - self.p_wait {
            0.0
        } else if p >= 1.0 {
            f64::INFINITY
        } else {
            (self.p_wait / (1.0 - p)).ln() / self.drain_rate()
        }
    }
}

/// Mean waits of non-pre-emptive priority classes sharing `servers`
/// servers with one service rate (Gross and Harris):
/// Wq_k = C(c, a) / (cμ·(1 − σₖ₋₁)·(1 − σₖ)), σₖ = Σ_{i≤k} λᵢ / (cμ).
/// `arrival_rates` are highest priority first.
pub fn priority_mean_waits(
    arrival_rates: &[f64],
    service_rate: f64,
    servers: u32,
) -> Result<Vec<f64>, Error> {
    for rate in arrival_rates {
        positive("arrival rate", *rate)?;
    }
    let total: f64 = arrival_rates.iter().sum();
    let queue = Mmc::new(total, service_rate, servers)?;
    let capacity = f64::from(servers) * service_rate;
    let mut sigma = 0.0;
    Ok(arrival_rates
        .iter()
        .map(|rate| {
            let before = sigma;
            sigma += rate / capacity;
            queue.p_wait() / (capacity * (1.0 - before) * (1.0 - sigma))
        })
        .collect())
}

/// Pollaczek-Khinchine, exact for M/G/1: Wq = λ·E[S²] / (2(1 − ρ)), with
/// E[S²] = (1 + c_s²)·E[S]² from the mean service time and its coefficient
/// of variation.
pub fn pollaczek_khinchine(
    arrival_rate: f64,
    mean_service: f64,
    cv_service: f64,
) -> Result<f64, Error> {
    let arrival_rate = positive("arrival rate", arrival_rate)?;
    let mean_service = positive("mean service time", mean_service)?;
    let cv_service = non_negative("service-time coefficient of variation", cv_service)?;
    let rho = single_server_load(arrival_rate, mean_service)?;
    let second_moment = (1.0 + cv_service * cv_service) * mean_service * mean_service;
    Ok(arrival_rate * second_moment / (2.0 * (1.0 - rho)))
}

/// Kingman's approximation for GI/G/1:
/// Wq ≈ ρ/(1 − ρ) · (c_a² + c_s²)/2 · E[S].
pub fn kingman(
    arrival_rate: f64,
    mean_service: f64,
    cv_arrival: f64,
    cv_service: f64,
) -> Result<f64, Error> {
    let arrival_rate = positive("arrival rate", arrival_rate)?;
    let mean_service = positive("mean service time", mean_service)?;
    let variability = variability(cv_arrival, cv_service)?;
    let rho = single_server_load(arrival_rate, mean_service)?;
    Ok(rho / (1.0 - rho) * variability * mean_service)
}

/// The Allen-Cunneen approximation for GI/G/c:
/// Wq ≈ Wq(M/M/c) · (c_a² + c_s²)/2.
pub fn allen_cunneen(
    arrival_rate: f64,
    service_rate: f64,
    servers: u32,
    cv_arrival: f64,
    cv_service: f64,
) -> Result<f64, Error> {
    let variability = variability(cv_arrival, cv_service)?;
    Ok(Mmc::new(arrival_rate, service_rate, servers)?.mean_wait() * variability)
}

/// Square-root staffing: c ≈ a + β·√a servers for an offered load of `a`
/// erlangs and a quality-of-service parameter β, rounded up.
pub fn square_root_staffing(load: f64, beta: f64) -> Result<u32, Error> {
    let load = positive("offered load", load)?;
    let beta = non_negative("beta", beta)?;
    let servers = (load + beta * load.sqrt()).ceil();
    // The queue needs more servers than its load to be stable.
    let servers = servers.max(load.floor() + 1.0);
    if servers > f64::from(u32::MAX) {
        return Err(Error::Invalid {
            name: "offered load",
            expected: "a smaller load",
            found: load,
        });
    }
    Ok(servers as u32)
}

/// The fewest servers for which at least `probability` of arrivals wait
/// no longer than `target_wait` in the queue, P(Wq ≤ t) ≥ p, trying up to
/// `limit` servers. With `target_wait` 0 the target is on P(no wait).
pub fn fewest_servers(
    arrival_rate: f64,
    service_rate: f64,
    target_wait: f64,
    probability: f64,
    limit: u32,
) -> Result<Mmc, Error> {
    let arrival_rate = positive("arrival rate", arrival_rate)?;
    let service_rate = positive("service rate", service_rate)?;
    let target_wait = non_negative("target wait", target_wait)?;
    if !(probability > 0.0 && probability < 1.0) {
        return Err(Error::Invalid {
            name: "target probability",
            expected: "a probability above 0 and below 1",
            found: probability,
        });
    }
    let load = arrival_rate / service_rate;
    // Erlang B for 1, 2, ... servers, one step of the recursion each.
    let mut b = 1.0;
    for servers in 1..=limit {
        b = load * b / (f64::from(servers) + load * b);
        if load >= f64::from(servers) {
            continue;
        }
        let p_wait = c_from_b(servers, load, b);
        let drain = f64::from(servers) * service_rate - arrival_rate;
        let p_longer = p_wait * (-drain * target_wait).exp();
        if 1.0 - p_longer >= probability {
            return Mmc::new(arrival_rate, service_rate, servers);
        }
    }
    Err(Error::Unreachable { limit })
}

fn single_server_load(arrival_rate: f64, mean_service: f64) -> Result<f64, Error> {
    let rho = arrival_rate * mean_service;
    if rho >= 1.0 { Err(Error::Unstable { load: rho, servers: 1 }) } else { Ok(rho) }
}

fn variability(cv_arrival: f64, cv_service: f64) -> Result<f64, Error> {
    let cv_arrival = non_negative("arrival coefficient of variation", cv_arrival)?;
    let cv_service = non_negative("service-time coefficient of variation", cv_service)?;
    Ok((cv_arrival * cv_arrival + cv_service * cv_service) / 2.0)
}
