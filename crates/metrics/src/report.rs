//! The compliance table: verdicts counted, and waits estimated, per
//! standard and group.

use std::collections::BTreeMap;

use foldhash::HashMap;
use std::fmt;

use events::{Body, DeclineReason, Event, Urgency};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rules::{History, Outcome, Reasons, RuleSet, Verdict, assemble_with, evaluate};

use crate::scan::Shared;

use crate::survival::{Wait, km_quantile};

/// What rows may be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupBy {
    /// The request's clinic.
    Clinic,
    /// The clinic's network (from `clinic.registered`).
    Network,
    /// The provider type requested.
    ProviderType,
    /// The most urgent urgency the request had.
    Urgency,
    /// The month the clock started, in the clinic's time zone (`2024-01`): for
    /// most requests the month of the request.
    Month,
}

impl GroupBy {
    /// Every grouping, as named on the command line.
    pub const ALL: &'static [GroupBy] = &[
        GroupBy::Clinic,
        GroupBy::Network,
        GroupBy::ProviderType,
        GroupBy::Urgency,
        GroupBy::Month,
    ];

    /// The name used in `--by` and as the JSON key.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Clinic => "clinic",
            GroupBy::Network => "network",
            GroupBy::ProviderType => "provider_type",
            GroupBy::Urgency => "urgency",
            GroupBy::Month => "month",
        }
    }

    /// Parses a name of [`GroupBy::as_str`].
    pub fn parse(text: &str) -> Option<GroupBy> {
        GroupBy::ALL.iter().copied().find(|g| g.as_str() == text)
    }
}

impl fmt::Display for GroupBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the compliance table: one standard in one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The group's key values, in the order of `by`.
    pub keys: Vec<String>,
    /// The standard's id.
    pub standard: String,
    /// Requests judged under the standard.
    pub requests: u64,
    /// Requests the standard applies to that could not be judged (the
    /// integrity check `unjudged` lists them with the reason); not in
    /// `requests`, nor in the rate.
    pub unjudged: u64,
    /// Verdicts met.
    pub met: u64,
    /// Verdicts missed.
    pub missed: u64,
    /// Open, deadline not passed.
    pub open_within: u64,
    /// Open, deadline passed, never offered anything.
    pub open_overdue: u64,
    /// Excluded (withdrawn, unreachable, declined care by the deadline).
    pub excluded: u64,
    /// met / (met + missed + open_overdue); `None` when that is 0 / 0.
    pub rate: Option<f64>,
    /// The standard's required rate.
    pub threshold: f64,
    /// Median wait from clock start to the earliest appointment date
    /// offered that suits the standard, in days (Kaplan-Meier, requests
    /// still waiting censored).
    pub wait_p50_days: Option<f64>,
    /// 90th percentile of the same.
    pub wait_p90_days: Option<f64>,
    /// Median wait to the first suitable offer in business days.
    pub wait_p50_business_days: Option<f64>,
    /// 90th percentile of the same.
    pub wait_p90_business_days: Option<f64>,
    /// Waits that cannot be counted in business days (a date outside the
    /// calendar's years), left out of the two business-day quantiles.
    pub business_days_unmeasured: u64,
    /// Median wait to the first attended visit, in days.
    pub attended_p50_days: Option<f64>,
    /// 90th percentile of the same.
    pub attended_p90_days: Option<f64>,
    /// Requests whose deadline a clinical extension moved.
    pub extensions: u64,
    /// Offers declined for patient preference.
    pub declines_patient_preference: u64,
    /// Offers and referrals out of network.
    pub out_of_network: u64,
    /// Requests for individual care offered group care.
    pub group_for_individual: u64,
    /// Harm reported before the request's first attended visit.
    pub harm_while_waiting: u64,
    /// Waits to the first suitable offer, counted in the bins
    /// [`wait_bins`] gives the standard (hours for a standard counted in
    /// hours, days otherwise), then those still waiting (censored) last.
    pub wait_histogram: [u64; WAIT_BINS.len() + 1],
}

/// The bins of waits for a standard whose limit is counted in hours: the
/// upper bound in days, inclusive, and the label (in hours).
pub static URGENT_WAIT_BINS: [(f64, &str); 6] = [
    (1.0, "0-24 hours"),
    (2.0, "24-48 hours"),
    (3.0, "48-72 hours"),
    (4.0, "72-96 hours"),
    (7.0, "4-7 days"),
    (f64::INFINITY, "over 7 days"),
];

/// The bins a standard's waits are counted in: hours for a limit in hours
/// (urgent care: 48 or 96 hours), days otherwise.
pub fn wait_bins(limit: &rules::Limit) -> &'static [(f64, &'static str); 6] {
    match limit {
        rules::Limit::Hours(_) => &URGENT_WAIT_BINS,
        _ => &WAIT_BINS,
    }
}

/// The bins of [`Row::wait_histogram`] for a standard counted in days: the
/// upper bound in days, inclusive, and the label.
pub static WAIT_BINS: [(f64, &str); 6] = [
    (2.0, "0-2 days"),
    (7.0, "3-7 days"),
    (14.0, "8-14 days"),
    (30.0, "15-30 days"),
    (60.0, "31-60 days"),
    (f64::INFINITY, "over 60 days"),
];

/// The clinic facts a report needs.
#[derive(Debug, Clone)]
pub(crate) struct Clinic {
    pub(crate) time_zone: TimeZone,
    pub(crate) network: String,
}

/// Waits, compactly: the lengths, and a bit for each saying whether it
/// ended (8 bytes and a bit each rather than 16).
#[derive(Default)]
struct Waits {
    lengths: Vec<f64>,
    ended: Vec<u64>,
}

impl Waits {
    fn push(&mut self, wait: Wait) {
        let idx = self.lengths.len();
        if idx.is_multiple_of(64) {
            self.ended.push(0);
        }
        self.ended[idx / 64] |= u64::from(wait.ended) << (idx % 64);
        self.lengths.push(wait.length);
    }

    fn iter(&self) -> impl Iterator<Item = Wait> + '_ {
        self.lengths.iter().enumerate().map(|(idx, &length)| Wait {
            length,
            ended: self.ended[idx / 64] >> (idx % 64) & 1 == 1,
        })
    }

    fn extend(&mut self, other: &Waits) {
        for wait in other.iter() {
            self.push(wait);
        }
    }
}

/// The accumulators of one grouping: by group keys and standard.
pub(crate) type Groups = HashMap<(Vec<String>, usize), Accum>;

/// Adds `theirs` into `mine`.
pub(crate) fn merge_groups(mine: &mut Groups, theirs: Groups) {
    for (key, accum) in theirs {
        match mine.get_mut(&key) {
            Some(existing) => existing.merge(&accum),
            None => {
                mine.insert(key, accum);
            }
        }
    }
}

#[derive(Default)]
pub(crate) struct Accum {
    requests: u64,
    unjudged: u64,
    business_days_unmeasured: u64,
    counts: [u64; 5],
    offer_days: Waits,
    offer_business_days: Waits,
    attended_days: Waits,
    extensions: u64,
    declines_patient_preference: u64,
    out_of_network: u64,
    group_for_individual: u64,
    harm_while_waiting: u64,
}

fn outcome_index(outcome: Outcome) -> usize {
    match outcome {
        Outcome::Met => 0,
        Outcome::Missed => 1,
        Outcome::OpenWithin => 2,
        Outcome::OpenOverdue => 3,
        Outcome::Excluded => 4,
    }
}

/// Facts of one request that every standard shares.
struct RequestFacts {
    urgency: Urgency,
    closed_at: Option<Timestamp>,
    declines_patient_preference: u64,
    out_of_network: u64,
    harm: Vec<Timestamp>,
}

fn request_facts(history: &History<'_>) -> RequestFacts {
    let mut facts = RequestFacts {
        urgency: history.request.urgency,
        closed_at: None,
        declines_patient_preference: 0,
        out_of_network: 0,
        harm: Vec::new(),
    };
    for event in &history.events {
        let at = event.occurred_at.timestamp();
        match &event.body {
            Body::RequestTriaged(t) if t.urgency == Urgency::Urgent => {
                facts.urgency = Urgency::Urgent
            }
            Body::RequestClosed(_) if facts.closed_at.is_none() => facts.closed_at = Some(at),
            Body::OfferDeclined(d) if d.reason == DeclineReason::PatientPreference => {
                facts.declines_patient_preference += 1;
            }
            Body::OfferMade(o) if !o.in_network => facts.out_of_network += 1,
            Body::ReferralOutOfNetwork(_) => facts.out_of_network += 1,
            Body::HarmReported(_) => facts.harm.push(at),
            _ => {}
        }
    }
    facts
}

/// A wait from `start` to `end`, censored at `censor` when there is no end.
fn wait(start: Timestamp, end: Option<Timestamp>, censor: Timestamp) -> Wait {
    match end {
        Some(end) => Wait { length: (end - start).as_secs_f64() / 86_400.0, ended: true },
        None => Wait { length: ((censor - start).as_secs_f64() / 86_400.0).max(0.0), ended: false },
    }
}

/// What one verdict adds to its group's row.
struct Contribution {
    standard: usize,
    outcome: usize,
    offer: Wait,
    /// `None` when it cannot be counted in business days.
    offer_business: Option<Wait>,
    attended: Wait,
    extension: bool,
    group_for_individual: bool,
    declines_patient_preference: u64,
    out_of_network: u64,
    harm_while_waiting: u64,
}

impl Accum {
    fn add(&mut self, c: &Contribution) {
        self.requests += 1;
        self.counts[c.outcome] += 1;
        self.offer_days.push(c.offer);
        match c.offer_business {
            Some(wait) => self.offer_business_days.push(wait),
            None => self.business_days_unmeasured += 1,
        }
        self.attended_days.push(c.attended);
        self.extensions += u64::from(c.extension);
        self.group_for_individual += u64::from(c.group_for_individual);
        self.declines_patient_preference += c.declines_patient_preference;
        self.out_of_network += c.out_of_network;
        self.harm_while_waiting += c.harm_while_waiting;
    }

    fn merge(&mut self, other: &Accum) {
        self.requests += other.requests;
        self.unjudged += other.unjudged;
        self.business_days_unmeasured += other.business_days_unmeasured;
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.offer_days.extend(&other.offer_days);
        self.offer_business_days.extend(&other.offer_business_days);
        self.attended_days.extend(&other.attended_days);
        self.extensions += other.extensions;
        self.group_for_individual += other.group_for_individual;
        self.declines_patient_preference += other.declines_patient_preference;
        self.out_of_network += other.out_of_network;
        self.harm_while_waiting += other.harm_while_waiting;
    }
}

/// What one pass over a part's requests gives: the accumulators of each
/// grouping, the extensions recorded after their deadline, and the
/// requests that could not be judged (`EVENT_ID (STANDARD: REASON)`, the
/// event being the request's opening).
pub(crate) struct Compliance {
    pub(crate) groups: Vec<Groups>,
    pub(crate) late_extensions: Vec<String>,
    pub(crate) unjudged: Vec<String>,
    pub(crate) failing: Vec<Failing>,
}

/// How many failing requests a report lists per standard: the longest
/// waits. Every one is in `carequeue verdicts`.
pub const FAILING_LISTED: usize = 50;

/// A request that failed a standard: missed, or past its deadline and still
/// waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct Failing {
    /// The standard's id.
    pub standard: String,
    /// `missed` or `open_overdue`.
    pub outcome: &'static str,
    /// The request.
    pub request_id: String,
    /// The patient's (pseudonymous) id, as the source gave it.
    pub patient_id: String,
    /// The clinic the request was made to.
    pub clinic: String,
    /// When the clock started, in the clinic's local time.
    pub clock_start: events::Instant,
    /// The last moment within the deadline, in the clinic's local time.
    pub deadline: events::Instant,
    /// The earliest appointment offered that suits the standard, if any.
    pub first_offer_at: Option<events::Instant>,
    /// Days from the clock start to that offer, or to the as-of moment (or
    /// the closure) for a request never offered one.
    pub wait_days: f64,
}

/// Keeps the [`FAILING_LISTED`] longest waits of each standard, longest
/// first (ties by request id), in the rule set's order of standards.
pub(crate) fn keep_longest(failing: &mut Vec<Failing>, rule_set: &RuleSet) {
    let order = |id: &str| rule_set.standards.iter().position(|s| s.id == id);
    failing.sort_by(|a, b| {
        order(&a.standard)
            .cmp(&order(&b.standard))
            .then(b.wait_days.total_cmp(&a.wait_days))
            .then_with(|| a.request_id.cmp(&b.request_id))
    });
    let mut kept = 0usize;
    let mut last: Option<String> = None;
    failing.retain(|f| {
        if last.as_deref() != Some(f.standard.as_str()) {
            last = Some(f.standard.clone());
            kept = 0;
        }
        kept += 1;
        kept <= FAILING_LISTED
    });
}

/// Builds the accumulators of the compliance table once for each grouping
/// (one pass over the requests of `events`), and lists the extensions
/// recorded after their deadline and the requests that cannot be judged.
pub(crate) fn compliance(
    events: &[&Event],
    shared: &Shared,
    rule_set: &RuleSet,
    as_of: Timestamp,
    groupings: &[&[GroupBy]],
    period: &crate::Period,
) -> Compliance {
    let mut groups: Vec<Groups> = groupings.iter().map(|_| HashMap::default()).collect();
    let mut verdicts: Vec<Verdict<'_, '_>> = Vec::new();
    let mut problems = Vec::new();
    let mut late_extensions = Vec::new();
    let mut unjudged = Vec::new();
    let mut failing = Vec::new();
    let prior = |id: &str| shared.appointment_at(id);
    let standard_idx = |id: &str| rule_set.standards.iter().position(|s| s.id == id);
    for history in assemble_with(events.iter().copied(), &prior) {
        let clinic_id = history.request.clinic.as_str();
        let clinic = shared.clinic(clinic_id);
        verdicts.clear();
        problems.clear();
        evaluate(&history, rule_set, &clinic.time_zone, as_of, &mut verdicts, &mut problems);
        period.select(&history, &clinic.time_zone, &mut verdicts, &mut problems);
        if verdicts.is_empty() && problems.is_empty() {
            continue;
        }
        let facts = request_facts(&history);
        let opened = history.opened.occurred_at.timestamp();
        // The month is the clock start's, in the clinic's zone, as the
        // measurement period is (for most requests, the month of the
        // request); a request that cannot be judged, its opening's.
        let keys_at = |start: Timestamp| -> Vec<Vec<String>> {
            let key = |group: &GroupBy| match group {
                GroupBy::Clinic => clinic_id.to_owned(),
                GroupBy::Network => clinic.network.clone(),
                GroupBy::ProviderType => history.request.provider_type.as_str().to_owned(),
                GroupBy::Urgency => facts.urgency.as_str().to_owned(),
                GroupBy::Month => {
                    let date = clinic.time_zone.to_datetime(start).date();
                    format!("{:04}-{:02}", date.year(), date.month())
                }
            };
            groupings.iter().map(|by| by.iter().map(key).collect()).collect()
        };
        let keys = keys_at(opened);
        let by_month = groupings.iter().any(|by| by.contains(&GroupBy::Month));
        for problem in &problems {
            // A problem always names a standard of the rule set judged.
            if let Some(standard) = standard_idx(&problem.standard) {
                for (groups, keys) in groups.iter_mut().zip(&keys) {
                    groups.entry((keys.clone(), standard)).or_default().unjudged += 1;
                }
            }
            unjudged.push(format!(
                "{} ({}: {})",
                history.opened.event_id, problem.standard, problem.message
            ));
        }
        for verdict in &verdicts {
            if verdict.reasons.contains(Reasons::LATE_EXTENSION) {
                for event in &history.events {
                    if matches!(event.body, Body::ExtensionDocumented(_))
                        && event.occurred_at.timestamp() > verdict.deadline.timestamp()
                    {
                        late_extensions.push(event.event_id.to_string());
                    }
                }
            }
            let start = verdict.clock_start.timestamp();
            let censor = facts.closed_at.map_or(as_of, |closed| closed.min(as_of));
            // The earliest date offered is known once the offer is recorded,
            // even when that date is still ahead.
            let offer = verdict.first_offer_at.map(|i| i.timestamp());
            let calendar = verdict.standard.calendar;
            let local = |t: Timestamp| clinic.time_zone.to_datetime(t).date();
            let business = |end: Timestamp| {
                calendar.business_days_between(local(start), local(end)).ok().map(|n| n as f64)
            };
            let attended = verdict.first_attended_at.map(|i| i.timestamp()).filter(|t| *t <= as_of);
            let visit = attended.unwrap_or(Timestamp::MAX);
            if matches!(verdict.outcome, Outcome::Missed | Outcome::OpenOverdue) {
                failing.push(Failing {
                    standard: verdict.standard.id.clone(),
                    outcome: verdict.outcome.as_str(),
                    request_id: history.request.request_id.to_string(),
                    patient_id: history.request.patient_id.to_string(),
                    clinic: clinic_id.to_owned(),
                    clock_start: verdict.clock_start,
                    deadline: verdict.deadline,
                    first_offer_at: verdict.first_offer_at,
                    wait_days: wait(start, offer, censor).length,
                });
            }
            let contribution = Contribution {
                standard: rule_set
                    .standards
                    .iter()
                    .position(|s| std::ptr::eq(s, verdict.standard))
                    .unwrap_or(0),
                outcome: outcome_index(verdict.outcome),
                offer: wait(start, offer, censor),
                offer_business: match offer {
                    Some(end) => business(end).map(|length| Wait { length, ended: true }),
                    None => business(censor.max(start)).map(|length| Wait { length, ended: false }),
                },
                attended: wait(start, attended, censor),
                extension: verdict.reasons.contains(Reasons::EXTENSION),
                group_for_individual: verdict.reasons.contains(Reasons::GROUP_FOR_INDIVIDUAL),
                declines_patient_preference: facts.declines_patient_preference,
                out_of_network: facts.out_of_network,
                harm_while_waiting: facts
                    .harm
                    .iter()
                    .filter(|h| **h >= start && **h < visit)
                    .count() as u64,
            };
            // Most clocks start in the month of the request: its keys serve.
            let own_keys;
            let keys =
                if by_month && local(start).first_of_month() != local(opened).first_of_month() {
                    own_keys = keys_at(start);
                    &own_keys
                } else {
                    &keys
                };
            for (groups, keys) in groups.iter_mut().zip(keys) {
                groups.entry((keys.clone(), contribution.standard)).or_default().add(&contribution);
            }
        }
    }
    keep_longest(&mut failing, rule_set);
    Compliance { groups, late_extensions, unjudged, failing }
}

/// The rows of one grouping's accumulators, by group then standard.
pub(crate) fn rows(groups: Groups, rule_set: &RuleSet) -> Vec<Row> {
    let groups: BTreeMap<(Vec<String>, usize), Accum> = groups.into_iter().collect();
    groups
        .into_iter()
        .map(|((keys, standard_idx), a)| {
            let standard = &rule_set.standards[standard_idx];
            let [met, missed, open_within, open_overdue, excluded] = a.counts;
            let denominator = met + missed + open_overdue;
            let mut offer_days: Vec<Wait> = a.offer_days.iter().collect();
            drop(a.offer_days);
            let mut offer_business_days: Vec<Wait> = a.offer_business_days.iter().collect();
            drop(a.offer_business_days);
            let mut attended_days: Vec<Wait> = a.attended_days.iter().collect();
            drop(a.attended_days);
            let mut wait_histogram = [0u64; WAIT_BINS.len() + 1];
            let bins = wait_bins(&standard.limit);
            for wait in &offer_days {
                let bin = if wait.ended {
                    bins.iter().position(|(max, _)| wait.length <= *max).unwrap_or(bins.len() - 1)
                } else {
                    WAIT_BINS.len()
                };
                wait_histogram[bin] += 1;
            }
            Row {
                keys,
                standard: standard.id.clone(),
                requests: a.requests,
                unjudged: a.unjudged,
                met,
                missed,
                open_within,
                open_overdue,
                excluded,
                rate: (denominator > 0).then(|| met as f64 / denominator as f64),
                threshold: standard.threshold,
                wait_p50_days: km_quantile(&mut offer_days, 0.5),
                wait_p90_days: km_quantile(&mut offer_days, 0.9),
                wait_p50_business_days: km_quantile(&mut offer_business_days, 0.5),
                wait_p90_business_days: km_quantile(&mut offer_business_days, 0.9),
                business_days_unmeasured: a.business_days_unmeasured,
                attended_p50_days: km_quantile(&mut attended_days, 0.5),
                attended_p90_days: km_quantile(&mut attended_days, 0.9),
                extensions: a.extensions,
                declines_patient_preference: a.declines_patient_preference,
                out_of_network: a.out_of_network,
                group_for_individual: a.group_for_individual,
                harm_while_waiting: a.harm_while_waiting,
                wait_histogram,
            }
        })
        .collect()
}
