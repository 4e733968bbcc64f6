//! The staffing plan: the fewest clinicians whose simulated compliance
//! meets every standard's required rate, fitted to a ledger when asked,
//! and projected over the years with growth and the workforce.

use ledger::Ledger;
use serde_json::json;

use crate::provenance::Provenance;
use crate::{Error, Result};

/// The provider types planned, in the planner's order.
pub const TYPE_NAMES: [&str; 3] = ["therapists", "psychiatrists", "SUD counsellors"];

/// A year, for the calibration window.
const YEAR: jiff::SignedDuration = jiff::SignedDuration::from_hours(365 * 24);

/// One value per provider type from one value or three.
fn per_type(name: &str, values: &[f64], default: [f64; 3]) -> Result<[f64; 3]> {
    match values {
        [] => Ok(default),
        [one] => Ok([*one; 3]),
        [a, b, c] => Ok([*a, *b, *c]),
        _ => Err(Error::Invalid(format!(
            "--{name}: expected one value or three (therapists, psychiatrists, SUD counsellors), found {}",
            values.len()
        ))),
    }
}

/// A plan fitted to a ledger's year to `as_of`.
#[derive(Debug)]
pub struct Fitted {
    /// The calibration: the scenario fitted, with notes.
    pub calibration: planner::Calibration,
    /// The growth of initial requests over the year before, when the ledger
    /// holds two years.
    pub growth: Option<f64>,
}

/// Fits a scenario to the ledger's year to `as_of` (the live events
/// recorded by then, the chain checked in the same read). Nothing is fitted
/// (`None`) to a broken chain (the provenance says so) or to a ledger with
/// no initial request recorded by `as_of`.
pub fn fit(
    ledger: &Ledger,
    as_of: jiff::Timestamp,
    members: Option<u32>,
) -> Result<(Option<Fitted>, Provenance)> {
    // The live events recorded by `as_of` (calibration needs them all),
    // the chain checked in the same read: a plan is not fitted to a ledger
    // that may have been changed.
    let mut owned: Vec<events::Event> = Vec::new();
    let checked = ledger.verify_and_read(Some(as_of), |stored| {
        if stored.voided_by.is_none() {
            owned.push(stored.event);
        }
        Ok(())
    })?;
    let provenance = Provenance::new(&checked.verification, &checked.batches, Some(as_of));
    if provenance.broken().is_some() {
        return Ok((None, provenance));
    }
    let live: Vec<&events::Event> = owned.iter().collect();
    // The year fitted ends with the last event recorded by `as_of`: for a
    // ledger fed as care happens, that is about `as_of` itself.
    let end = live.iter().map(|e| e.occurred_at.timestamp()).max().unwrap_or(as_of).min(as_of);
    let year_start = end.saturating_sub(YEAR).unwrap_or(end);
    let two_years = year_start.saturating_sub(YEAR).unwrap_or(year_start);
    // The year's events, with the registrations and the slots published
    // before it for times within it.
    let events: Vec<&events::Event> = live
        .iter()
        .copied()
        .filter(|e| {
            matches!(
                e.body,
                events::Body::ClinicRegistered(_)
                    | events::Body::ClinicianRegistered(_)
                    | events::Body::SlotPublished(_)
            ) || e.occurred_at.timestamp() >= year_start
        })
        .collect();
    let calibration = planner::calibrate(&events, end, members);
    if calibration.requests_per_year <= 0.0 {
        // No initial request recorded by `as_of`: nothing to fit.
        return Ok((None, provenance));
    }
    let initial = |from: jiff::Timestamp, to: jiff::Timestamp| {
        live.iter()
            .filter(|e| matches!(&e.body, events::Body::RequestOpened(r) if r.visit == events::Visit::Initial))
            .filter(|e| (from..to).contains(&e.occurred_at.timestamp()))
            .count() as f64
    };
    let first = live
        .iter()
        .filter(|e| matches!(e.body, events::Body::RequestOpened(_)))
        .map(|e| e.occurred_at.timestamp())
        .min();
    let growth = first
        .filter(|f| *f <= two_years + jiff::SignedDuration::from_hours(30 * 24))
        .and_then(|_| {
            let (before, last) = (initial(two_years, year_start), initial(year_start, end));
            (before > 0.0).then(|| last / before - 1.0)
        });
    Ok((Some(Fitted { calibration, growth }), provenance))
}

/// What a staffing plan is asked.
#[derive(Debug, Clone)]
pub struct Options {
    /// One required rate for every standard, in place of each standard's.
    pub target: Option<f64>,
    /// Replications per staffing simulated.
    pub replications: u32,
    /// The seed.
    pub seed: u64,
    /// The intake shares to try (the scenario's when empty).
    pub intake_shares: Vec<f64>,
    /// Days simulated before measuring.
    pub warm_up_days: u32,
    /// Years to project (one for a fitted plan, none otherwise, by default).
    pub years: Option<u32>,
    /// Yearly growth of demand (the fitted growth, or none, by default).
    pub growth: Option<f64>,
    /// Yearly attrition, one value or one per provider type.
    pub attrition: Vec<f64>,
    /// Hires a year, one value or one per provider type.
    pub hires_per_year: Vec<f64>,
    /// Months a hire takes.
    pub months_to_hire: f64,
    /// Trainees a year, one value or one per provider type.
    pub trainees_per_year: Vec<f64>,
}

/// The planned answer with everything the outputs show.
#[derive(Debug)]
pub struct Plan {
    /// The scenario planned for.
    pub scenario: sim::Scenario,
    /// The rule set judged by.
    pub rule_set: rules::RuleSet,
    /// The rate required of each standard.
    pub targets: Vec<f64>,
    /// The search's answer.
    pub answer: planner::Answer,
    /// The clinicians the scenario has, per provider type.
    pub current: [f64; 3],
    /// What was fitted to a ledger, if anything.
    pub fitted: Option<Fitted>,
    /// The workforce assumptions of the projection.
    pub workforce: Option<planner::Workforce>,
    /// The projection, year by year.
    pub projection: Vec<planner::YearRow>,
    /// Per projected year and type: the worst standard's expected rate.
    pub expected: Vec<[Option<f64>; 3]>,
    /// How long the search took.
    pub seconds: f64,
    /// Replications per staffing.
    pub replications: u32,
    /// The seed.
    pub seed: u64,
}

/// Plans the staffing of `scenario` under `rule_set`; `progress` sees each
/// staffing simulated as it finishes.
pub fn plan(
    scenario: sim::Scenario,
    fitted: Option<Fitted>,
    rule_set: rules::RuleSet,
    options: &Options,
    progress: &mut dyn FnMut(&planner::Evaluation),
) -> Result<Plan> {
    if let Some(target) = options.target
        && !(target > 0.0 && target < 1.0)
    {
        return Err(Error::Invalid(format!(
            "--target: expected a rate above 0 and below 1, found {target}"
        )));
    }
    let targets: Vec<f64> =
        rule_set.standards.iter().map(|s| options.target.unwrap_or(s.threshold)).collect();
    let question = planner::Question {
        scenario: &scenario,
        rule_set: &rule_set,
        targets: targets.clone(),
        replications: options.replications,
        seed: options.seed,
        intake_shares: options.intake_shares.clone(),
        warm_up_days: options.warm_up_days,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let started = std::time::Instant::now();
    let answer = planner::search(&question, progress)?;
    let seconds = started.elapsed().as_secs_f64();
    let current: [f64; 3] =
        std::array::from_fn(|p| scenario.clinics.iter().map(|c| c.clinicians[p]).sum());

    // Growth and workforce.
    let years = options.years.unwrap_or(if fitted.is_some() { 1 } else { 0 });
    let (workforce, projection, expected) = if years > 0 {
        let growth = options.growth.or(fitted.as_ref().and_then(|f| f.growth)).unwrap_or(0.0);
        if !(growth.is_finite() && growth > -0.9 && growth < 10.0) {
            return Err(Error::Invalid(format!(
                "--growth: expected a yearly growth above -0.9 and below 10, found {growth}"
            )));
        }
        let workforce = planner::Workforce {
            growth,
            attrition: per_type("attrition", &options.attrition, [0.15; 3])?,
            hires_per_year: per_type(
                "hires-per-year",
                &options.hires_per_year,
                current.map(|c| (c * 0.25).max(1.0)),
            )?,
            months_to_hire: options.months_to_hire,
            trainees_per_year: per_type("trainees-per-year", &options.trainees_per_year, [0.0; 3])?,
        };
        let strictest = targets.iter().copied().fold(0.0, f64::max);
        let base = answer.start;
        let today = f64::from(scenario.members);
        // The answer scaled by the closed forms (in proportion to the
        // members, should they fail for some membership).
        let needed = |members: f64| -> [f64; 3] {
            let mut grown = scenario.clone();
            grown.members = members.round().clamp(1.0, f64::from(u32::MAX)) as u32;
            std::array::from_fn(|p| {
                let scale = planner::closed_form_start(&grown, answer.intake_shares[p], strictest)
                    .map_or(members / today, |closed| {
                        f64::from(closed[p]) / f64::from(base[p].max(1))
                    });
                f64::from(answer.staff[p]) * scale
            })
        };
        let projection =
            planner::project(f64::from(scenario.members), current, &needed, &workforce, years);
        let expected = projection
            .iter()
            .map(|row| {
                let coverage = row.coverage();
                std::array::from_fn(|p| worst_expected(&answer, &rule_set, p, coverage[p]))
            })
            .collect();
        (Some(workforce), projection, expected)
    } else {
        (None, Vec::new(), Vec::new())
    };
    Ok(Plan {
        scenario,
        rule_set,
        targets,
        answer,
        current,
        fitted,
        workforce,
        projection,
        expected,
        seconds,
        replications: options.replications,
        seed: options.seed,
    })
}

/// The worst expected rate over the standards of provider type `p` at
/// `coverage` of the answer's staffing, from the simulated curve.
fn worst_expected(
    answer: &planner::Answer,
    rule_set: &rules::RuleSet,
    p: usize,
    coverage: f64,
) -> Option<f64> {
    (0..rule_set.standards.len())
        .filter_map(|s| {
            let points: Vec<(u32, f64)> =
                curve_points(answer, p, s).into_iter().map(|(n, r)| (n, r.mean)).collect();
            planner::expected_rate(&points, answer.staff[p], coverage)
        })
        .reduce(f64::min)
}

/// The curve of provider type `p` for standard `s`: (clinicians, estimate).
pub fn curve_points(answer: &planner::Answer, p: usize, s: usize) -> Vec<(u32, planner::Estimate)> {
    answer.curve(p).into_iter().filter_map(|(n, e)| e.rates[s][p].map(|r| (n, r))).collect()
}

/// The plan as its JSON says it.
pub fn plan_json(plan: &Plan) -> serde_json::Value {
    let answer = &plan.answer;
    let standards: Vec<&str> = plan.rule_set.standards.iter().map(|s| s.id.as_str()).collect();
    let types: Vec<serde_json::Value> = (0..3)
        .map(|p| {
            let curves: serde_json::Map<String, serde_json::Value> = standards
                .iter()
                .enumerate()
                .filter_map(|(s, id)| {
                    let points: Vec<serde_json::Value> = curve_points(answer, p, s)
                        .into_iter()
                        .map(|(n, r)| json!({"clinicians": n, "rate": r.mean, "ci95": r.half_width, "requests": r.requests}))
                        .collect();
                    (!points.is_empty()).then(|| ((*id).to_owned(), serde_json::Value::Array(points)))
                })
                .collect();
            json!({
                "provider_type": planner::PROVIDER_TYPES[p].as_str(),
                "current": plan.current[p],
                "closed_form_start": answer.start[p],
                "clinicians": answer.staff[p],
                "intake_share": answer.intake_shares[p],
                "curves": curves,
            })
        })
        .collect();
    let projection: Vec<serde_json::Value> = plan
        .projection
        .iter()
        .zip(&plan.expected)
        .map(|(row, expected)| {
            let gap = row.gap();
            json!({
                "year": row.year,
                "members": row.members,
                "provider_types": (0..3).map(|p| json!({
                    "provider_type": planner::PROVIDER_TYPES[p].as_str(),
                    "needed": row.needed[p],
                    "staff": row.staff[p],
                    "gap": gap[p],
                    "expected_worst_rate": expected[p],
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "scenario": plan.scenario.name,
        "members": plan.scenario.members,
        "rule_set": plan.rule_set.id,
        "targets": standards.iter().zip(&plan.targets).map(|(s, t)| json!({"standard": s, "target": t})).collect::<Vec<_>>(),
        "replications": plan.replications,
        "seed": plan.seed,
        "provider_types": types,
        "calibration": plan.fitted.as_ref().map(|f| json!({
            "requests_per_year": f.calibration.requests_per_year,
            "growth": f.growth,
            "notes": f.calibration.notes,
        })),
        "workforce": plan.workforce.as_ref().map(|w| json!({
            "growth": w.growth,
            "attrition": w.attrition,
            "hires_per_year": w.hires_per_year,
            "months_to_hire": w.months_to_hire,
            "trainees_per_year": w.trainees_per_year,
        })),
        "projection": projection,
        "staffings_simulated": answer.evaluations.len(),
        "seconds": plan.seconds,
    })
}

/// A number as a person writes it: at most two decimals, none trailing
/// (2.4, not 2.4000000000000004; 3, not 3.00).
pub fn human(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}
