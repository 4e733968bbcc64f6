//! The workforce projection, against hand-worked cases.

use crate::{Workforce, expected_rate, project};

fn workforce(growth: f64, attrition: f64, hires: f64, months: f64) -> Workforce {
    Workforce {
        growth,
        attrition: [attrition; 3],
        hires_per_year: [hires; 3],
        months_to_hire: months,
        trainees_per_year: [0.0; 3],
    }
}

/// Clinicians needed: one per 1,000 members, for every type.
fn per_thousand(members: f64) -> [f64; 3] {
    [members / 1000.0; 3]
}

#[test]
fn a_steady_plan_stays_steady() {
    let rows = project(100_000.0, [100.0; 3], &per_thousand, &workforce(0.0, 0.0, 50.0, 3.0), 5);
    assert_eq!(rows.len(), 6);
    for row in rows {
        assert!(row.gap().iter().all(|g| g.abs() < 1e-9), "{row:?}");
    }
}

#[test]
fn attrition_without_hiring_compounds_monthly() {
    let rows = project(100_000.0, [100.0; 3], &per_thousand, &workforce(0.0, 0.12, 0.0, 3.0), 2);
    let after_one = 100.0 * (1.0 - 0.01_f64).powi(12);
    assert!((rows[1].staff[0] - after_one).abs() < 1e-9, "{:?}", rows[1]);
    assert!((rows[2].staff[0] - after_one * (1.0 - 0.01_f64).powi(12)).abs() < 1e-9);
    assert!((rows[2].gap()[0] - (100.0 - rows[2].staff[0])).abs() < 1e-9);
}

#[test]
fn ample_hiring_keeps_up_with_growth_and_attrition() {
    // 5% growth a year, 15% attrition, posts filled in 4 months, plenty
    // of capacity: hiring for the membership four months ahead keeps the
    // staff at what is needed to within a clinician.
    let rows =
        project(100_000.0, [100.0; 3], &per_thousand, &workforce(0.05, 0.15, 1000.0, 4.0), 5);
    for row in &rows[1..] {
        assert!(row.gap()[0].abs() < 1.0, "{row:?}");
    }
    assert!((rows[5].members - 100_000.0 * 1.05_f64.powi(5)).abs() < 1e-6);
}

#[test]
fn a_hiring_cap_opens_a_gap_that_grows() {
    // 10% growth and 20% attrition need about 30 hires a year at first;
    // ten a year fall further behind every year.
    let rows = project(100_000.0, [100.0; 3], &per_thousand, &workforce(0.10, 0.20, 10.0, 2.0), 4);
    let gaps: Vec<f64> = rows.iter().map(|r| r.gap()[0]).collect();
    assert!(gaps.windows(2).all(|w| w[1] > w[0]), "{gaps:?}");
    assert!(gaps[4] > 40.0, "{gaps:?}");
}

#[test]
fn trainees_join_every_month() {
    let mut w = workforce(0.0, 0.0, 0.0, 0.0);
    w.trainees_per_year = [12.0, 0.0, 6.0];
    let rows = project(100_000.0, [100.0; 3], &per_thousand, &w, 1);
    assert_eq!(rows[1].staff, [112.0, 100.0, 106.0]);
}

#[test]
fn the_expected_rate_interpolates_the_curve() {
    let curve = [(80, 0.60), (90, 0.72), (100, 0.80)];
    assert_eq!(expected_rate(&curve, 100, 1.0), Some(0.80));
    assert!((expected_rate(&curve, 100, 0.95).unwrap() - 0.76).abs() < 1e-12);
    assert!((expected_rate(&curve, 100, 0.85).unwrap() - 0.66).abs() < 1e-12);
    // Outside the points simulated: the nearest.
    assert_eq!(expected_rate(&curve, 100, 0.5), Some(0.60));
    assert_eq!(expected_rate(&curve, 100, 1.5), Some(0.80));
    assert_eq!(expected_rate(&[], 100, 1.0), None);
}
