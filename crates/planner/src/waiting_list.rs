//! The NHS waiting-list formulas of Fong et al. (2022), as the
//! NHSRwaitinglist R package computes them (`docs/sources.md`
//! section 5). Units must agree: demand and capacity per week with waits
//! in weeks, for example.

use crate::error::{Error, non_negative, positive};

/// Queue load: demand / capacity; above 1 the list grows.
pub fn queue_load(demand: f64, capacity: f64) -> Result<f64, Error> {
    Ok(non_negative("demand", demand)? / positive("capacity", capacity)?)
}

/// The mean wait that meets `target_wait` for all but e^(−factor) of
/// patients (1.8% for the usual factor 4): target_wait / factor.
pub fn target_mean_wait(target_wait: f64, factor: f64) -> Result<f64, Error> {
    Ok(positive("target wait", target_wait)? / positive("factor", factor)?)
}

/// The list size that gives the target mean wait, by Little's law:
/// demand · target_wait / factor.
pub fn target_queue_size(demand: f64, target_wait: f64, factor: f64) -> Result<f64, Error> {
    Ok(non_negative("demand", demand)? * target_mean_wait(target_wait, factor)?)
}

/// The capacity that brings a list of `queue_size` down to
/// `target_queue_size` in `time_to_target`: demand + (queue_size −
/// target_queue_size) / time_to_target. With `num_referrals` above 0 and
/// x = 2·demand·cv_demand/√num_referrals below 1, demand is first raised to
/// demand / (1 − x) for the variability of demand.
pub fn relief_capacity(
    demand: f64,
    queue_size: f64,
    target_queue_size: f64,
    time_to_target: f64,
    num_referrals: f64,
    cv_demand: f64,
) -> Result<f64, Error> {
    let mut demand = non_negative("demand", demand)?;
    let queue_size = non_negative("queue size", queue_size)?;
    let target_queue_size = non_negative("target queue size", target_queue_size)?;
    let time_to_target = positive("time to target", time_to_target)?;
    let num_referrals = non_negative("number of referrals", num_referrals)?;
    let cv_demand = non_negative("coefficient of variation of demand", cv_demand)?;
    if num_referrals > 0.0 {
        let x = 2.0 * demand * cv_demand / num_referrals.sqrt();
        if x < 1.0 {
            demand /= 1.0 - x;
        }
    }
    Ok(demand + (queue_size - target_queue_size) / time_to_target)
}

/// The capacity that keeps the wait within target (Kingman/Marchal):
/// demand + (cv_demand² + cv_capacity²)/2 · factor / target_wait.
pub fn target_capacity(
    demand: f64,
    target_wait: f64,
    factor: f64,
    cv_demand: f64,
    cv_capacity: f64,
) -> Result<f64, Error> {
    let demand = non_negative("demand", demand)?;
    let target_wait = positive("target wait", target_wait)?;
    let factor = positive("factor", factor)?;
    let cv_demand = non_negative("coefficient of variation of demand", cv_demand)?;
    let cv_capacity = non_negative("coefficient of variation of capacity", cv_capacity)?;
    Ok(demand + (cv_demand * cv_demand + cv_capacity * cv_capacity) / 2.0 * factor / target_wait)
}

/// Waiting-list pressure: 2 · mean_wait / target_wait; above 1 the target
/// is likely to be missed.
pub fn waiting_list_pressure(mean_wait: f64, target_wait: f64) -> Result<f64, Error> {
    Ok(2.0 * non_negative("mean wait", mean_wait)? / positive("target wait", target_wait)?)
}
