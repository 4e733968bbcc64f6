//! The staffing planner: closed forms for queues and waiting lists
//! (`reference/queueing.md`), checked against its golden values.
//!
//! This crate does no I/O and never reads the clock.

mod error;
mod queues;
mod waiting_list;

pub use crate::error::Error;
pub use crate::queues::{
    Mmc, allen_cunneen, erlang_b, fewest_servers, kingman, pollaczek_khinchine,
    priority_mean_waits, square_root_staffing,
};
pub use crate::waiting_list::{
    queue_load, relief_capacity, target_capacity, target_mean_wait, target_queue_size,
    waiting_list_pressure,
};

#[cfg(test)]
mod tests;
