//! The discrete-event simulator.
//!
//! A kernel of our own ([`Scheduler`]: a binary heap keyed by time and
//! sequence, so that ties break deterministically), named random streams
//! ([`stream`]: one ChaCha8 stream per replication and purpose, derived from
//! one seed), and the models built on them: the M/M/c queue with priority
//! classes ([`QueueModel`]), against which the engine is validated with the
//! closed forms of `docs/sources.md`, and the clinic-network model
//! ([`run_clinics`] on a [`Scenario`], docs/simulation.md) that emits the
//! events of the real system. [`replicate`] spreads independent
//! replications over threads without changing their results.
//!
//! This crate does no I/O and never reads the wall clock: a run is a pure
//! function of (model, seed, version).

mod clinic;
mod kernel;
mod queue;
mod replicate;
mod scenario;
mod streams;

pub use crate::clinic::{ClinicRun, RequestEvents, run_clinics};
pub use crate::kernel::{Scheduler, Time};
pub use crate::queue::{
    Customer, QueueModel, QueueStats, RandomSource, Source, measure, run, simulate,
};
pub use crate::replicate::replicate;
pub use crate::scenario::{
    Clinic, ClinicianTemplate, Course, Demand, Patients, Policy, Scenario, ScenarioError,
};
pub use crate::streams::{Purpose, exponential, stream};

#[cfg(test)]
mod clinic_tests;
#[cfg(test)]
mod tests;
