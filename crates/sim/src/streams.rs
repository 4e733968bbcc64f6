//! Named random streams: one independent ChaCha8 stream per replication and
//! purpose, all derived from one seed, so that a run can be replayed exactly
//! from (model, seed, version) and replications do not share randomness.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for; each purpose has its own stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Purpose {
    /// Arrival times.
    Arrivals = 1,
    /// Service times.
    Services = 2,
    /// Choices made by patients (declines, no-shows, withdrawals).
    Patients = 3,
    /// Anything else a model draws.
    Other = 4,
}

/// The random stream for one replication and purpose of a seeded run.
pub fn stream(seed: u64, replication: u32, purpose: Purpose) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((u64::from(replication) << 8) | purpose as u64);
    rng
}

/// An exponential variate with the given rate (the ziggurat method of
/// `rand_distr`, several times faster than inversion).
pub fn exponential(rng: &mut ChaCha8Rng, rate: f64) -> f64 {
    use rand::RngExt;
    let unit: f64 = rng.sample(rand_distr::Exp1);
    unit / rate
}
