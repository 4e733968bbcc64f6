//! The staffing planner: closed forms for queues and waiting lists
//! (`docs/sources.md`), checked against its golden values, and the
//! staffing search over the clinic simulator ([`search`]).
//!
//! This crate does no I/O and never reads the clock.

mod calibrate;
mod error;
mod queues;
mod search;
mod staffing;
mod waiting_list;
mod workforce;

pub use crate::calibrate::{Calibration, calibrate};
pub use crate::error::Error;
pub use crate::queues::{
    Mmc, allen_cunneen, erlang_b, fewest_servers, kingman, pollaczek_khinchine,
    priority_mean_waits, square_root_staffing,
};
pub use crate::search::fewest_each;
pub use crate::staffing::{
    Answer, Counts, Estimate, Evaluation, PROVIDER_TYPES, Question, closed_form_start,
    compliance_by_type, evaluate_staffing, mean_and_half_width, search, student_t_975,
    with_staffing, with_warm_up,
};
pub use crate::waiting_list::{
    queue_load, relief_capacity, target_capacity, target_mean_wait, target_queue_size,
    waiting_list_pressure,
};
pub use crate::workforce::{Workforce, YearRow, expected_rate, project};

#[cfg(test)]
mod calibrate_tests;
#[cfg(test)]
mod search_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod workforce_tests;
