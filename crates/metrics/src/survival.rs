//! Kaplan-Meier quantiles of waits, with still-waiting requests censored.

/// One wait: its length, and whether it ended (an offer or a visit) or was
/// censored (still waiting at the as-of moment, or closed without one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wait {
    /// The length, in the unit of the measure (days or business days).
    pub length: f64,
    /// Whether the wait ended; `false` for a censored wait.
    pub ended: bool,
}

/// The smallest wait by which a fraction `q` (0.5 for the median, 0.9 for
/// the 90th percentile) of requests had their wait end, by the Kaplan-Meier
/// product-limit estimate: the first time t at which the estimated share
/// still waiting, S(t), falls to 1 - q or below. `None` when it never does
/// (too many requests still waiting to say).
///
/// Ends at a time are counted before censorings at the same time, the usual
/// convention.
pub fn km_quantile(waits: &mut [Wait], q: f64) -> Option<f64> {
    waits.sort_by(|a, b| a.length.total_cmp(&b.length).then(b.ended.cmp(&a.ended)));
    let mut at_risk = waits.len() as f64;
    let mut survival = 1.0;
    let mut idx = 0;
    while idx < waits.len() {
        let time = waits[idx].length;
        let mut ended = 0.0;
        let mut leaving = 0.0;
        while idx < waits.len() && waits[idx].length == time {
            if waits[idx].ended {
                ended += 1.0;
            }
            leaving += 1.0;
            idx += 1;
        }
        if ended > 0.0 {
            survival *= 1.0 - ended / at_risk;
            if survival <= 1.0 - q + 1e-12 {
                return Some(time);
            }
        }
        at_risk -= leaving;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{Wait, km_quantile};

    fn waits(items: &[(f64, bool)]) -> Vec<Wait> {
        items.iter().map(|&(length, ended)| Wait { length, ended }).collect()
    }

    #[test]
    fn without_censoring_it_is_the_empirical_quantile() {
        let mut w = waits(&[(1.0, true), (2.0, true), (3.0, true), (4.0, true)]);
        assert_eq!(km_quantile(&mut w, 0.5), Some(2.0));
        assert_eq!(km_quantile(&mut w, 0.9), Some(4.0));
    }

    #[test]
    fn censored_waits_push_the_median_up_instead_of_being_dropped() {
        // Dropping the two still waiting would give a median of 2.
        let mut w = waits(&[(1.0, true), (2.0, true), (3.0, true), (10.0, false), (10.0, false)]);
        // S(1) = 4/5, S(2) = 3/5, S(3) = 2/5 <= 0.5.
        assert_eq!(km_quantile(&mut w, 0.5), Some(3.0));
        // S never reaches 0.1: the 90th percentile is not known yet.
        assert_eq!(km_quantile(&mut w, 0.9), None);
    }

    #[test]
    fn a_textbook_example() {
        // Censored at 3 and 5: S(2) = 5/6, S(4) = 5/6 * 3/4 = 0.625,
        // S(6) = 0.625 * 1/2 = 0.3125, S(7) = 0.
        let mut w = waits(&[
            (2.0, true),
            (3.0, false),
            (4.0, true),
            (5.0, false),
            (6.0, true),
            (7.0, true),
        ]);
        assert_eq!(km_quantile(&mut w, 0.5), Some(6.0));
        assert_eq!(km_quantile(&mut w, 0.9), Some(7.0));
    }

    #[test]
    fn nothing_to_estimate() {
        assert_eq!(km_quantile(&mut [], 0.5), None);
        assert_eq!(km_quantile(&mut waits(&[(3.0, false)]), 0.5), None);
    }
}
