//! The staffing search: the fewest clinicians of each provider type, and
//! the split of their sessions between intake and return visits, that meet
//! every standard's target with 95% confidence in the simulated plan (the
//! confidence of each standard's mean rate; docs/planning.md says what that
//! guarantees and what it does not).
//!
//! Provider types are planned separately: a request needs one provider
//! type, and its follow-ups the same one, so each type's clinicians serve
//! their own queue. A type meets the targets when, for every standard
//! that applies to its requests, the lower end of the 95% confidence
//! interval of its compliance rate over the replications is at or above
//! the target. That every type meets a target is sufficient for the plan
//! as a whole to meet it.
//!
//! The search starts from the closed forms ([`closed_form_start`]): the
//! fewest clinicians whose intake sessions meet the routine target by
//! Erlang C and whose return sessions cover the follow-up visits. From
//! there [`fewest_each`] brackets and bisects every type at once (each
//! simulated staffing simulates every type). A staffing is simulated three
//! times, and more (up to the question's replications) while a type's
//! verdict is in doubt: neither its lower bounds reach the targets nor an
//! upper bound falls below one. Each type's full search runs at the intake
//! share nearest its own in the scenario; at its other shares only whether
//! fewer clinicians will do is asked. The combined answer is simulated once
//! more on fresh replications. A warm-up is simulated and not judged.

use events::{Event, ProviderType};
use jiff::Timestamp;
use rules::{History, Outcome, RuleSet, Verdict, evaluate};
use sim::{ClinicRun, Scenario};

use crate::{Error, fewest_each};

/// The provider types planned, in the order of a scenario's `clinicians`.
pub const PROVIDER_TYPES: [ProviderType; 3] =
    [ProviderType::NonPhysicianMh, ProviderType::Psychiatrist, ProviderType::Sud];

pub(crate) fn type_index(provider: ProviderType) -> Option<usize> {
    PROVIDER_TYPES.iter().position(|p| *p == provider)
}

/// Verdicts of one standard for one provider type in one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests judged.
    pub requests: u64,
    /// Met.
    pub met: u64,
    /// Missed.
    pub missed: u64,
    /// Deadline passed, never offered anything, still open.
    pub open_overdue: u64,
}

impl Counts {
    /// met / (met + missed + open_overdue), as the reports compute it.
    pub fn rate(&self) -> Option<f64> {
        let denominator = self.met + self.missed + self.open_overdue;
        (denominator > 0).then(|| self.met as f64 / denominator as f64)
    }
}

/// The verdicts of a simulated run, by standard (rule-set order) and
/// provider type, as of the run's end, for the requests opened from
/// `judged_from` on: each request's history is judged by
/// `rules::evaluate`, as real ledgers are, one request at a time.
pub fn compliance_by_type(
    run: &ClinicRun<'_>,
    rule_set: &RuleSet,
    judged_from: Timestamp,
) -> Vec<[Counts; 3]> {
    let empty = || vec![[Counts::default(); 3]; rule_set.standards.len()];
    let parts = run.fold_requests_from(
        judged_from,
        || (empty(), Vec::new()),
        |(counts, problems), request| {
            let others: Vec<&Event> = request.others.iter().collect();
            let Some(history) = History::new(&request.opened, others, request.prior_appointment_at)
            else {
                return;
            };
            let mut verdicts = Vec::new();
            evaluate(&history, rule_set, request.time_zone, run.end, &mut verdicts, problems);
            count(counts, rule_set, history.request.provider_type, &verdicts);
        },
    );
    let mut total = empty();
    for (counts, _) in parts {
        for (sum, part) in total.iter_mut().zip(counts) {
            for (s, p) in sum.iter_mut().zip(part) {
                s.requests += p.requests;
                s.met += p.met;
                s.missed += p.missed;
                s.open_overdue += p.open_overdue;
            }
        }
    }
    total
}

/// Adds one request's verdicts to the counts.
pub(crate) fn count(
    counts: &mut [[Counts; 3]],
    rule_set: &RuleSet,
    provider: ProviderType,
    verdicts: &[Verdict<'_, '_>],
) {
    let Some(provider) = type_index(provider) else { return };
    for verdict in verdicts {
        let Some(standard) =
            rule_set.standards.iter().position(|s| std::ptr::eq(s, verdict.standard))
        else {
            continue;
        };
        let c = &mut counts[standard][provider];
        c.requests += 1;
        match verdict.outcome {
            Outcome::Met => c.met += 1,
            Outcome::Missed => c.missed += 1,
            Outcome::OpenOverdue => c.open_overdue += 1,
            Outcome::OpenWithin | Outcome::Excluded => {}
        }
    }
}

/// A compliance rate over replications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Mean of the replications' rates.
    pub mean: f64,
    /// Half-width of its 95% confidence interval (Student's t).
    pub half_width: f64,
    /// Requests judged per replication, on average.
    pub requests: f64,
}

impl Estimate {
    /// The lower end of the confidence interval.
    pub fn lower(&self) -> f64 {
        self.mean - self.half_width
    }
}

/// Student's t at 0.975 for `df` degrees of freedom.
pub fn student_t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    // Beyond the table, 1.96 + 2.4/df is within 0.002 of t.
    TABLE.get(df.saturating_sub(1)).copied().unwrap_or(1.96 + 2.4 / df as f64)
}

/// The mean and 95% half-width of `values` (at least two).
pub fn mean_and_half_width(values: &[f64]) -> (f64, f64) {
    let k = values.len() as f64;
    let mean = values.iter().sum::<f64>() / k;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (k - 1.0).max(1.0);
    (mean, student_t_975(values.len().saturating_sub(1)) * variance.sqrt() / k.sqrt())
}

/// One staffing, simulated.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Clinicians of each provider type, over the plan.
    pub staff: [u32; 3],
    /// Intake share of each provider type.
    pub intake_shares: [f64; 3],
    /// Replications simulated.
    pub replications: u32,
    /// By standard (rule-set order), then provider type; `None` where no
    /// request of that type falls under the standard.
    pub rates: Vec<[Option<Estimate>; 3]>,
}

impl Evaluation {
    /// Whether provider type `provider` meets every target (one per
    /// standard) with 95% confidence.
    pub fn meets(&self, provider: usize, targets: &[f64]) -> bool {
        self.rates
            .iter()
            .zip(targets)
            .all(|(by_type, target)| by_type[provider].is_none_or(|e| e.lower() >= *target))
    }
}

/// A staffing question about a scenario.
#[derive(Debug, Clone)]
pub struct Question<'a> {
    /// The plan: its members, demand, clinics and behaviour. Its own
    /// staffing is ignored, except that clinicians are allocated to
    /// clinics by member share.
    pub scenario: &'a Scenario,
    /// The rules to judge by.
    pub rule_set: &'a RuleSet,
    /// One target compliance rate per standard, in rule-set order.
    pub targets: Vec<f64>,
    /// Replications of each staffing at most: three to start with, more
    /// while a verdict is in doubt, all of them for the answer (at least 2).
    pub replications: u32,
    /// The seed of the random streams.
    pub seed: u64,
    /// The intake shares to try.
    pub intake_shares: Vec<f64>,
    /// Days simulated before the scenario's first day and not judged, so
    /// that caseloads have filled when judging begins.
    pub warm_up_days: u32,
    /// Threads for the replications.
    pub threads: usize,
}

/// The answer to a staffing question.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The closed forms' starting point, per provider type, for the
    /// intake share chosen.
    pub start: [u32; 3],
    /// The fewest clinicians of each type found to meet every target.
    pub staff: [u32; 3],
    /// The intake share chosen for each type.
    pub intake_shares: [f64; 3],
    /// The answer, simulated once more with those shares.
    pub check: Evaluation,
    /// Every staffing simulated, in order.
    pub evaluations: Vec<Evaluation>,
}

impl Answer {
    /// The compliance-against-staffing curve of provider type `provider`
    /// at its chosen intake share: (clinicians, estimate) by standard,
    /// sorted by clinicians.
    pub fn curve(&self, provider: usize) -> Vec<(u32, &Evaluation)> {
        let share = self.intake_shares[provider];
        let mut points: Vec<(u32, &Evaluation)> = self
            .evaluations
            .iter()
            .filter(|e| (e.intake_shares[provider] - share).abs() < 1e-12)
            .map(|e| (e.staff[provider], e))
            .collect();
        // At each staffing, the evaluation with the most replications (the
        // latest of those).
        points.sort_by_key(|(n, e)| (*n, std::cmp::Reverse(e.replications)));
        points.dedup_by_key(|(n, _)| *n);
        points
    }
}

/// `scenario` with `staff` clinicians of each type spread over its
/// clinics by member share (largest remainder, at least one per clinic)
/// and the given intake shares.
pub fn with_staffing(scenario: &Scenario, staff: [u32; 3], intake_shares: [f64; 3]) -> Scenario {
    let mut out = scenario.clone();
    let shares: Vec<f64> = scenario.clinics.iter().map(|c| c.member_share).collect();
    for (provider, total) in staff.iter().enumerate() {
        for (clinic, n) in allocate(*total, &shares).into_iter().enumerate() {
            out.clinics[clinic].clinicians[provider] = f64::from(n);
        }
    }
    out.clinician.intake_shares = Some(intake_shares);
    out
}

/// Splits `total` into whole parts proportional to `shares`, each at
/// least 1, by largest remainder.
fn allocate(total: u32, shares: &[f64]) -> Vec<u32> {
    let n = shares.len() as u32;
    let extra = total.saturating_sub(n);
    let exact: Vec<f64> = shares.iter().map(|s| s * f64::from(extra)).collect();
    let mut parts: Vec<u32> = exact.iter().map(|x| x.floor() as u32).collect();
    let mut left = extra.saturating_sub(parts.iter().sum());
    let mut order: Vec<usize> = (0..shares.len()).collect();
    order.sort_by(|a, b| {
        let (ra, rb) = (exact[*a] - exact[*a].floor(), exact[*b] - exact[*b].floor());
        rb.total_cmp(&ra).then(a.cmp(b))
    });
    for idx in order.into_iter().cycle() {
        if left == 0 {
            break;
        }
        parts[idx] += 1;
        left -= 1;
    }
    parts.iter().map(|p| p + 1).collect()
}

/// `scenario` begun `days` days earlier, and the moment its own first day
/// begins (midnight in its first clinic's time zone): the requests before
/// it are the warm-up, simulated and not judged.
pub fn with_warm_up(scenario: &Scenario, days: u32) -> (Scenario, Timestamp) {
    let date: jiff::civil::Date = scenario.start.parse().unwrap_or(jiff::civil::date(2025, 1, 6));
    let zone = scenario
        .clinics
        .first()
        .and_then(|c| jiff::tz::TimeZone::get(&c.time_zone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    let judged_from = zone
        .to_ambiguous_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .compatible()
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let mut out = scenario.clone();
    let earlier = date.checked_sub(jiff::Span::new().days(i64::from(days))).unwrap_or(date);
    out.start = earlier.to_string();
    out.days = scenario.days + (date - earlier).get_days().max(0) as u32;
    (out, judged_from)
}

/// The verdict counts of replications `first..last` of a staffing, its
/// warm-up simulated and not judged.
fn simulate(
    question: &Question<'_>,
    scenario: &Scenario,
    replications: std::ops::Range<u32>,
) -> Vec<Vec<[Counts; 3]>> {
    let first = replications.start;
    let (scenario, judged_from) = with_warm_up(scenario, question.warm_up_days);
    sim::replicate(replications.len() as u32, question.threads, |r| {
        let run = sim::run_clinics(&scenario, question.seed, first + r);
        compliance_by_type(&run, question.rule_set, judged_from)
    })
}

/// The rates of replications' counts, by standard and provider type.
fn estimates(runs: &[Vec<[Counts; 3]>], n_standards: usize) -> Vec<[Option<Estimate>; 3]> {
    (0..n_standards)
        .map(|standard| {
            std::array::from_fn(|provider| {
                let counts: Vec<Counts> = runs.iter().map(|run| run[standard][provider]).collect();
                // Replications in which no request of the type was met,
                // missed or overdue under the standard have no rate; the
                // others do. With fewer than two rates there is nothing to
                // hold to a target.
                let values: Vec<f64> = counts.iter().filter_map(Counts::rate).collect();
                (values.len() >= 2).then(|| {
                    let (mean, half_width) = mean_and_half_width(&values);
                    let requests =
                        counts.iter().map(|c| c.requests as f64).sum::<f64>() / counts.len() as f64;
                    Estimate { mean, half_width, requests }
                })
            })
        })
        .collect()
}

/// Simulates one staffing with the question's `replications` runs.
pub fn evaluate_staffing(
    question: &Question<'_>,
    staff: [u32; 3],
    intake_shares: [f64; 3],
) -> Evaluation {
    evaluate_replications(question, staff, intake_shares, 0..question.replications)
}

/// Simulates one staffing with replications `replications`.
fn evaluate_replications(
    question: &Question<'_>,
    staff: [u32; 3],
    intake_shares: [f64; 3],
    replications: std::ops::Range<u32>,
) -> Evaluation {
    let scenario = with_staffing(question.scenario, staff, intake_shares);
    let runs = simulate(question, &scenario, replications);
    let rates = estimates(&runs, question.rule_set.standards.len());
    Evaluation { staff, intake_shares, replications: runs.len() as u32, rates }
}

/// The replications a staffing starts with; more are run, up to the
/// question's `replications`, while a type's verdict is in doubt.
const FIRST_REPLICATIONS: u32 = 3;

/// What a type's estimates say against the targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict3 {
    /// Every standard's lower confidence bound reaches its target.
    Meets,
    /// Some standard's upper bound is below its target.
    Fails,
    /// Neither, yet.
    InDoubt,
}

fn judge(evaluation: &Evaluation, provider: usize, targets: &[f64]) -> Verdict3 {
    if evaluation.meets(provider, targets) {
        return Verdict3::Meets;
    }
    let fails = evaluation.rates.iter().zip(targets).any(|(by_type, target)| {
        by_type[provider].is_some_and(|e| e.mean + e.half_width < *target)
    });
    if fails { Verdict3::Fails } else { Verdict3::InDoubt }
}

/// Simulates a staffing until every type in `asked` is decided (or the
/// question's replications are spent: a type still in doubt does not
/// meet the targets), and returns the evaluation and which types meet.
fn decide(
    question: &Question<'_>,
    staff: [u32; 3],
    intake_shares: [f64; 3],
    asked: [bool; 3],
) -> (Evaluation, [bool; 3]) {
    let scenario = with_staffing(question.scenario, staff, intake_shares);
    let max = question.replications.max(2);
    let step = (question.threads as u32).max(1);
    // The first round fills every thread: three replications or more.
    let first = FIRST_REPLICATIONS.div_ceil(step) * step;
    let mut runs = simulate(question, &scenario, 0..first.min(max));
    loop {
        let evaluation = Evaluation {
            staff,
            intake_shares,
            replications: runs.len() as u32,
            rates: estimates(&runs, question.rule_set.standards.len()),
        };
        let verdicts: [Verdict3; 3] =
            std::array::from_fn(|p| judge(&evaluation, p, &question.targets));
        let in_doubt = (0..3).any(|p| asked[p] && verdicts[p] == Verdict3::InDoubt);
        let have = runs.len() as u32;
        if !in_doubt || have >= max {
            return (evaluation, verdicts.map(|v| v == Verdict3::Meets));
        }
        runs.extend(simulate(question, &scenario, have..(have + step).min(max)));
    }
}

/// The closed forms' estimate, per provider type, of the fewest
/// clinicians: enough intake sessions for first visits to meet the
/// routine target (`policy.routine_target_days`) at probability `target`
/// by Erlang C, with each clinician a server of their weekly intake
/// sessions, and enough return sessions for the expected follow-up
/// visits. No-shows are booked again; leave takes its weeks.
pub fn closed_form_start(
    scenario: &Scenario,
    intake_share: f64,
    target: f64,
) -> Result<[u32; 3], Error> {
    /// No start beyond this many clinicians of a type.
    const MOST: u32 = 1_000_000;
    let d = &scenario.demand;
    let p = &scenario.patients;
    let c = &scenario.course;
    let t = &scenario.clinician;
    let weeks_at_work = 1.0 - f64::from(t.leave_weeks.min(51)) / 52.0;
    let sessions = f64::from(t.sessions_per_week.max(1)) * weeks_at_work;
    let requests_per_week = f64::from(scenario.members) * d.requests_per_1000 / 1000.0 / 52.0;
    let clinics = scenario.clinics.len() as u32;
    let mut start = [0; 3];
    for (provider, slot) in start.iter_mut().enumerate() {
        let initial = requests_per_week * d.provider_mix[provider];
        // A first visit is booked again after a no-show unless the patient
        // is unreachable: 1 / (1 − no-show × reachable) bookings each.
        let rebooked = (p.no_show_initial * (1.0 - p.unreachable_after_no_show)).min(0.95);
        let first_bookings = initial / (1.0 - rebooked);
        let attended = initial * (1.0 - p.no_show_initial * p.unreachable_after_no_show);
        let follow_ups = attended * c.follow_up_probability * (c.mean_visits - 1.0).max(0.0);
        let return_bookings = follow_ups / (1.0 - p.no_show_follow_up).max(0.05);
        let intake_per_clinician = (sessions * intake_share).max(1e-9);
        let return_per_clinician = (sessions * (1.0 - intake_share)).max(1e-9);
        let weeks = f64::from(scenario.policy.routine_target_days) / 7.0;
        let for_intake = if first_bookings > 0.0 {
            crate::fewest_servers(first_bookings, intake_per_clinician, weeks, target, MOST)?
                .servers()
        } else {
            0
        };
        let for_returns = (return_bookings / return_per_clinician).ceil();
        if !for_returns.is_finite() || for_returns >= f64::from(MOST) {
            return Err(Error::Unreachable { limit: MOST });
        }
        *slot = for_intake.max(for_returns as u32).max(clinics);
    }
    Ok(start)
}

/// The smallest staffing of each type that meets the targets at one
/// intake share, searched from `start` (see [`fewest_each`]).
#[allow(clippy::too_many_arguments)]
fn fewest_at_share(
    question: &Question<'_>,
    shares: [f64; 3],
    start: [u32; 3],
    asked: [bool; 3],
    grow: bool,
    evaluations: &mut Vec<Evaluation>,
    progress: &mut dyn FnMut(&Evaluation),
) -> Result<[Option<u32>; 3], Error> {
    let floor = question.scenario.clinics.len() as u32;
    let resolution = |staff: u32| staff.div_ceil(100).max(1);
    fewest_each(start, floor, asked, grow, resolution, |staff, asked| {
        let (evaluation, meets) = decide(question, staff, shares, asked);
        progress(&evaluation);
        evaluations.push(evaluation);
        meets
    })
}

/// Answers a staffing question. `progress` sees each evaluation as it
/// finishes.
pub fn search(
    question: &Question<'_>,
    progress: &mut dyn FnMut(&Evaluation),
) -> Result<Answer, Error> {
    if question.replications < 2 {
        return Err(Error::Invalid {
            name: "replications",
            expected: "at least 2, for a confidence interval",
            found: f64::from(question.replications),
        });
    }
    if question.intake_shares.is_empty()
        || question.intake_shares.iter().any(|s| !(*s > 0.0 && *s < 1.0))
    {
        return Err(Error::Invalid {
            name: "intake share",
            expected: "shares above 0 and below 1",
            found: question.intake_shares.first().copied().unwrap_or(f64::NAN),
        });
    }
    if question.targets.len() != question.rule_set.standards.len()
        || question.targets.iter().any(|t| !(*t > 0.0 && *t < 1.0))
    {
        return Err(Error::Invalid {
            name: "target",
            expected: "a rate above 0 and below 1 for every standard",
            found: question.targets.iter().copied().fold(f64::NAN, f64::max),
        });
    }
    let strictest = question.targets.iter().copied().fold(0.0, f64::max);
    let mut evaluations = Vec::new();
    // Each type tries the shares from the one nearest its own in the
    // scenario: the full search at the first...
    let order: [Vec<f64>; 3] = std::array::from_fn(|p| {
        let current = question.scenario.clinician.intake_share_of(p);
        let mut shares = question.intake_shares.clone();
        shares.sort_by(|a, b| {
            (a - current).abs().total_cmp(&(b - current).abs()).then(a.total_cmp(b))
        });
        shares
    });
    let first: [f64; 3] = std::array::from_fn(|p| order[p][0]);
    let mut start = [0; 3];
    for (p, s) in start.iter_mut().enumerate() {
        *s = closed_form_start(question.scenario, first[p], strictest)?[p];
    }
    let found =
        fewest_at_share(question, first, start, [true; 3], true, &mut evaluations, progress)?;
    let mut best: [(u32, f64); 3] =
        std::array::from_fn(|p| (found[p].unwrap_or(start[p]), first[p]));
    // ...then, at each other share, only whether fewer clinicians will do.
    let rounds: Vec<[f64; 3]> =
        (0..question.intake_shares.len()).map(|k| std::array::from_fn(|p| order[p][k])).collect();
    for &shares in &rounds[1..] {
        let below: [u32; 3] = best.map(|(n, _)| n.saturating_sub(n.div_ceil(100).max(1)));
        let asked: [bool; 3] =
            std::array::from_fn(|p| below[p] >= question.scenario.clinics.len() as u32);
        let found =
            fewest_at_share(question, shares, below, asked, false, &mut evaluations, progress)?;
        for p in 0..3 {
            if let Some(n) = found[p]
                && n < best[p].0
            {
                best[p] = (n, shares[p]);
            }
        }
    }
    let mut staff = best.map(|(n, _)| n);
    let intake_shares = best.map(|(_, share)| share);
    // The combination is checked once more on fresh replications (the
    // search's own runs are not reused); a type that falls short gets one
    // more clinician, up to the search's limit.
    let mut start = [0; 3];
    for (p, s) in start.iter_mut().enumerate() {
        *s = closed_form_start(question.scenario, intake_shares[p], strictest)?[p];
    }
    let fresh = question.replications..2 * question.replications;
    let check = loop {
        let evaluation = evaluate_replications(question, staff, intake_shares, fresh.clone());
        progress(&evaluation);
        evaluations.push(evaluation.clone());
        let short: Vec<usize> =
            (0..3).filter(|p| !evaluation.meets(*p, &question.targets)).collect();
        if short.is_empty() {
            break evaluation;
        }
        for p in short {
            let limit = start[p].saturating_mul(64).saturating_add(100);
            if staff[p] >= limit {
                return Err(Error::Unreachable { limit });
            }
            staff[p] += 1;
        }
    };
    Ok(Answer { start, staff, intake_shares, check, evaluations })
}
