//! The calibration round trip: generate with known parameters, calibrate
//! from the generated events, recover the parameters.

use sim::Scenario;

use crate::calibrate;

/// Known parameters, away from the defaults; ample staff, so that waits do
/// not hide the behaviour being measured.
const KNOWN: &str = r#"
name = "known"
start = "2025-01-06"
days = 364
members = 80000

[demand]
requests_per_1000 = 90.0
urgent_share = 0.2
prior_auth_share = 0.3
provider_mix = [0.6, 0.25, 0.15]
individual_share = 0.6
weekday_weights = [1.4, 1.2, 1.0, 1.0, 0.9, 0.3, 0.2]
seasonal_amplitude = 0.15

[course]
follow_up_probability = 0.7
mean_visits = 6.0
cadence_days = 12

[clinician]
sessions_per_week = 24
intake_share = 0.25
group_sessions_per_week = 2
group_capacity = 10
leave_weeks = 4

[patients]
decline_probability = 0.2
no_show_initial = 0.25
no_show_follow_up = 0.12
cancel_probability = 0.06
withdraw_per_day = 0.006
unreachable_after_no_show = 0.4
accept_group = 0.6

[[clinic]]
id = "west"
member_share = 0.55
clinicians = [14.0, 5.0, 3.0]

[[clinic]]
id = "east"
time_zone = "America/New_York"
member_share = 0.45
clinicians = [12.0, 4.0, 3.0]
"#;

/// (name, known, fitted, tolerance): the fitted value must be within the
/// tolerance of the known one.
fn compare(known: &Scenario, fitted: &Scenario) -> Vec<(&'static str, f64, f64, f64)> {
    let (k, f) = (known, fitted);
    let mut rows = vec![
        ("requests_per_1000", k.demand.requests_per_1000, f.demand.requests_per_1000, 3.0),
        ("urgent_share", k.demand.urgent_share, f.demand.urgent_share, 0.015),
        ("prior_auth_share", k.demand.prior_auth_share, f.demand.prior_auth_share, 0.03),
        ("individual_share", k.demand.individual_share, f.demand.individual_share, 0.015),
        ("seasonal_amplitude", k.demand.seasonal_amplitude, f.demand.seasonal_amplitude, 0.04),
        (
            "follow_up_probability",
            k.course.follow_up_probability,
            f.course.follow_up_probability,
            0.03,
        ),
        ("mean_visits", k.course.mean_visits, f.course.mean_visits, 0.6),
        ("cadence_days", f64::from(k.course.cadence_days), f64::from(f.course.cadence_days), 2.0),
        (
            "sessions_per_week",
            f64::from(k.clinician.sessions_per_week),
            f64::from(f.clinician.sessions_per_week),
            1.0,
        ),
        ("intake_share", k.clinician.intake_share, f.clinician.intake_share, 0.03),
        (
            "group_sessions_per_week",
            f64::from(k.clinician.group_sessions_per_week),
            f64::from(f.clinician.group_sessions_per_week),
            0.0,
        ),
        (
            "group_capacity",
            f64::from(k.clinician.group_capacity),
            f64::from(f.clinician.group_capacity),
            0.0,
        ),
        (
            "leave_weeks",
            f64::from(k.clinician.leave_weeks),
            f64::from(f.clinician.leave_weeks),
            1.0,
        ),
        (
            "decline_probability",
            k.patients.decline_probability,
            f.patients.decline_probability,
            0.02,
        ),
        ("no_show_initial", k.patients.no_show_initial, f.patients.no_show_initial, 0.02),
        ("no_show_follow_up", k.patients.no_show_follow_up, f.patients.no_show_follow_up, 0.01),
        ("cancel_probability", k.patients.cancel_probability, f.patients.cancel_probability, 0.01),
        ("withdraw_per_day", k.patients.withdraw_per_day, f.patients.withdraw_per_day, 0.0015),
        (
            "unreachable_after_no_show",
            k.patients.unreachable_after_no_show,
            f.patients.unreachable_after_no_show,
            0.05,
        ),
        ("accept_group", k.patients.accept_group, f.patients.accept_group, 0.1),
    ];
    for p in 0..3 {
        rows.push(("provider_mix", k.demand.provider_mix[p], f.demand.provider_mix[p], 0.015));
        let fte = |s: &Scenario| s.clinics.iter().map(|c| c.clinicians[p]).sum::<f64>();
        rows.push(("clinicians", fte(k), fte(f), 0.0));
    }
    for w in 0..7 {
        rows.push((
            "weekday_weights",
            k.demand.weekday_weights[w] / k.demand.weekday_weights.iter().sum::<f64>() * 7.0,
            f.demand.weekday_weights[w],
            0.05,
        ));
    }
    for (kc, fc) in k.clinics.iter().zip(&f.clinics) {
        rows.push(("member_share", kc.member_share, fc.member_share, 0.015));
    }
    rows
}

#[test]
fn calibration_recovers_the_generating_parameters() {
    let known = Scenario::parse(KNOWN, "known.toml").unwrap();
    let run = sim::run_clinics(&known, 11, 0);
    let events = run.events();
    let refs: Vec<_> = events.iter().collect();
    let fitted = calibrate(&refs, run.end, Some(known.members));
    let rows = compare(&known, &fitted.scenario);
    let table: String = rows
        .iter()
        .map(|(name, k, f, tol)| format!("{name:<26} {k:>9.4} {f:>9.4} ±{tol}\n"))
        .collect();
    eprintln!("{table}");
    let bad: Vec<_> = rows.iter().filter(|(_, k, f, tol)| (k - f).abs() > *tol + 1e-9).collect();
    assert!(bad.is_empty(), "outside tolerance: {bad:?}\n{table}");
    // The fitted scenario is a valid scenario file.
    let text = fitted.scenario.to_toml().unwrap();
    assert_eq!(Scenario::parse(&text, "fitted.toml").unwrap(), fitted.scenario);
}
