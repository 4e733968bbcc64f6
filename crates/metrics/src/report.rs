//! The compliance table: verdicts counted, and waits estimated, per
//! standard and group.

use std::collections::BTreeMap;

use foldhash::HashMap;
use std::fmt;

use events::{Body, DeclineReason, Event, Urgency};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rules::{History, Outcome, Reasons, RuleSet, Verdict, assemble, evaluate};

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
    /// The month of the request, in the clinic's time zone (`2024-01`).
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
    /// Waits to the first suitable offer, counted in the bins of
    /// [`WAIT_BINS`], then those still waiting (censored) last.
    pub wait_histogram: [u64; WAIT_BINS.len() + 1],
}

/// The bins of [`Row::wait_histogram`]: the upper bound in days, inclusive,
/// and the label.
pub const WAIT_BINS: [(f64, &str); 6] = [
    (2.0, "0-2"),
    (7.0, "3-7"),
    (14.0, "8-14"),
    (30.0, "15-30"),
    (60.0, "31-60"),
    (f64::INFINITY, "over 60"),
];

/// The clinic facts a report needs.
#[derive(Debug, Clone)]
struct Clinic {
    time_zone: TimeZone,
    network: String,
}

#[derive(Default)]
struct Accum {
    requests: u64,
    counts: [u64; 5],
    offer_days: Vec<Wait>,
    offer_business_days: Vec<Wait>,
    attended_days: Vec<Wait>,
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
    offer_business: Wait,
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
        self.offer_business_days.push(c.offer_business);
        self.attended_days.push(c.attended);
        self.extensions += u64::from(c.extension);
        self.group_for_individual += u64::from(c.group_for_individual);
        self.declines_patient_preference += c.declines_patient_preference;
        self.out_of_network += c.out_of_network;
        self.harm_while_waiting += c.harm_while_waiting;
    }
}

/// Builds the compliance table of a report once for each grouping (one
/// pass over the requests), and lists the extensions recorded after their
/// deadline.
pub(crate) fn compliance(
    events: &[&Event],
    rule_set: &RuleSet,
    as_of: Timestamp,
    groupings: &[&[GroupBy]],
) -> (Vec<Vec<Row>>, Vec<String>) {
    let mut clinics: HashMap<&str, Clinic> = HashMap::default();
    for event in events {
        if let Body::ClinicRegistered(c) = &event.body {
            let clinic =
                Clinic { time_zone: c.time_zone.time_zone(), network: c.network.to_string() };
            clinics.insert(c.clinic.as_str(), clinic);
        }
    }
    let unregistered =
        Clinic { time_zone: rule_set.time_zone.clone(), network: "(unregistered)".to_owned() };
    // Accumulated in hash maps, ordered by group then standard at the end.
    let mut groups: Vec<HashMap<(Vec<String>, usize), Accum>> =
        groupings.iter().map(|_| HashMap::default()).collect();
    let mut verdicts: Vec<Verdict<'_, '_>> = Vec::new();
    let mut problems = Vec::new();
    let mut late_extensions = Vec::new();
    for history in assemble(events.iter().copied()) {
        let clinic_id = history.request.clinic.as_str();
        let clinic = clinics.get(clinic_id).unwrap_or(&unregistered);
        verdicts.clear();
        evaluate(&history, rule_set, &clinic.time_zone, as_of, &mut verdicts, &mut problems);
        if verdicts.is_empty() {
            continue;
        }
        let facts = request_facts(&history);
        let opened = history.opened.occurred_at.timestamp();
        let key = |group: &GroupBy| match group {
            GroupBy::Clinic => clinic_id.to_owned(),
            GroupBy::Network => clinic.network.clone(),
            GroupBy::ProviderType => history.request.provider_type.as_str().to_owned(),
            GroupBy::Urgency => facts.urgency.as_str().to_owned(),
            GroupBy::Month => {
                let date = clinic.time_zone.to_datetime(opened).date();
                format!("{:04}-{:02}", date.year(), date.month())
            }
        };
        let keys: Vec<Vec<String>> =
            groupings.iter().map(|by| by.iter().map(key).collect()).collect();
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
                calendar
                    .business_days_between(local(start), local(end))
                    .map_or(f64::NAN, |n| n as f64)
            };
            let attended = verdict.first_attended_at.map(|i| i.timestamp()).filter(|t| *t <= as_of);
            let visit = attended.unwrap_or(Timestamp::MAX);
            let contribution = Contribution {
                standard: rule_set
                    .standards
                    .iter()
                    .position(|s| std::ptr::eq(s, verdict.standard))
                    .unwrap_or(0),
                outcome: outcome_index(verdict.outcome),
                offer: wait(start, offer, censor),
                offer_business: match offer {
                    Some(end) => Wait { length: business(end), ended: true },
                    None => Wait { length: business(censor.max(start)), ended: false },
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
            for (groups, keys) in groups.iter_mut().zip(&keys) {
                groups.entry((keys.clone(), contribution.standard)).or_default().add(&contribution);
            }
        }
    }
    let tables = groups.into_iter().map(|groups| rows(groups, rule_set)).collect();
    late_extensions.sort();
    late_extensions.dedup();
    (tables, late_extensions)
}

/// The rows of one grouping's accumulators, by group then standard.
fn rows(groups: HashMap<(Vec<String>, usize), Accum>, rule_set: &RuleSet) -> Vec<Row> {
    let groups: BTreeMap<(Vec<String>, usize), Accum> = groups.into_iter().collect();
    groups
        .into_iter()
        .map(|((keys, standard_idx), mut a)| {
            let standard = &rule_set.standards[standard_idx];
            let [met, missed, open_within, open_overdue, excluded] = a.counts;
            let denominator = met + missed + open_overdue;
            a.offer_business_days.retain(|w| !w.length.is_nan());
            let mut wait_histogram = [0u64; WAIT_BINS.len() + 1];
            for wait in &a.offer_days {
                let bin = if wait.ended {
                    WAIT_BINS
                        .iter()
                        .position(|(max, _)| wait.length <= *max)
                        .unwrap_or(WAIT_BINS.len() - 1)
                } else {
                    WAIT_BINS.len()
                };
                wait_histogram[bin] += 1;
            }
            Row {
                keys,
                standard: standard.id.clone(),
                requests: a.requests,
                met,
                missed,
                open_within,
                open_overdue,
                excluded,
                rate: (denominator > 0).then(|| met as f64 / denominator as f64),
                threshold: standard.threshold,
                wait_p50_days: km_quantile(&mut a.offer_days, 0.5),
                wait_p90_days: km_quantile(&mut a.offer_days, 0.9),
                wait_p50_business_days: km_quantile(&mut a.offer_business_days, 0.5),
                wait_p90_business_days: km_quantile(&mut a.offer_business_days, 0.9),
                attended_p50_days: km_quantile(&mut a.attended_days, 0.5),
                attended_p90_days: km_quantile(&mut a.attended_days, 0.9),
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
