//! The worklist: open requests by time left to their deadline.

use events::Body;
use events::{Event, Instant};
use jiff::Timestamp;
use rules::{Outcome, RuleSet, Verdict, assemble_with, evaluate};

use crate::scan::{Scan, Shared};

/// One open request under one standard, or one that cannot be judged
/// under it (which needs a person's attention).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    /// The request.
    pub request_id: String,
    /// The patient it is for (patient-level data: for schedulers).
    pub patient_id: String,
    /// The provider type asked for.
    pub provider_type: events::ProviderType,
    /// Its clinic.
    pub clinic: String,
    /// The clinic's time zone (IANA name), in which a day-counted deadline
    /// is a date.
    pub time_zone: String,
    /// The standard.
    pub standard: String,
    /// `open_within` or `open_overdue`; `None` when the request cannot be
    /// judged under the standard (`problem` says why).
    pub outcome: Option<Outcome>,
    /// The clock start, in the clinic's offset; for a request that cannot
    /// be judged, its opening.
    pub clock_start: Instant,
    /// The deadline (the last moment within it), in the clinic's offset;
    /// `None` when the request cannot be judged.
    pub deadline: Option<Instant>,
    /// The deadline's local date, when the standard counts days (business
    /// or calendar): the deadline is then the end of that day.
    pub deadline_day: Option<jiff::civil::Date>,
    /// Seconds from the as-of moment to the deadline; negative when
    /// overdue; `None` when the request cannot be judged.
    pub seconds_left: Option<i64>,
    /// Why the request cannot be judged under the standard.
    pub problem: Option<String>,
    /// Whether the plan must now arrange care out of network: the deadline
    /// passed with nothing offered (California Health and Safety Code
    /// 1374.72; the same duty under the other rule sets' network adequacy
    /// rules).
    pub arrange_out_of_network: bool,
}

/// The open requests as of `as_of`, most urgent first: overdue ones first,
/// longest overdue first, then by time left. `events` are the live events
/// recorded by then; for a ledger larger than memory, see [`worklist_part`].
pub fn worklist(events: &[&Event], rule_set: &RuleSet, as_of: Timestamp) -> Vec<WorkItem> {
    let mut scan = Scan::new(as_of);
    for event in events {
        scan.observe(event, crate::Recorded { at: as_of, backfill: false }, false);
    }
    let shared = scan.finish(rule_set);
    let mut items = worklist_part(events, &shared, rule_set, as_of, &crate::Period::default());
    sort_worklist(&mut items, rule_set);
    items
}

/// The open requests among one part's events (see [`crate::Router`]), in
/// no particular order: the parts' lists, concatenated and put in order by
/// [`sort_worklist`], are the worklist.
pub fn worklist_part(
    events: &[&Event],
    shared: &Shared,
    rule_set: &RuleSet,
    as_of: Timestamp,
    period: &crate::Period,
) -> Vec<WorkItem> {
    let mut items = Vec::new();
    let mut verdicts: Vec<Verdict<'_, '_>> = Vec::new();
    let mut problems = Vec::new();
    let prior = |id: &str| shared.appointment_at(id);
    for history in assemble_with(events.iter().copied(), &prior) {
        let clinic = history.request.clinic.as_str();
        let tz = shared.zone(clinic);
        verdicts.clear();
        problems.clear();
        evaluate(&history, rule_set, tz, as_of, &mut verdicts, &mut problems);
        period.select(&history, tz, &mut verdicts, &mut problems);
        // What every item of this request says.
        let item = |standard: &str, clock_start: Instant| WorkItem {
            request_id: history.request.request_id.to_string(),
            patient_id: history.request.patient_id.to_string(),
            provider_type: history.request.provider_type,
            clinic: clinic.to_owned(),
            time_zone: tz.iana_name().unwrap_or("UTC").to_owned(),
            standard: standard.to_owned(),
            outcome: None,
            clock_start,
            deadline: None,
            deadline_day: None,
            seconds_left: None,
            problem: None,
            arrange_out_of_network: false,
        };
        // Closed requests that cannot be judged need nobody's attention
        // here (the report counts them); open ones do.
        let closed = history.events.iter().any(|e| matches!(e.body, Body::RequestClosed(_)));
        if !closed {
            for problem in &problems {
                items.push(WorkItem {
                    problem: Some(problem.message.clone()),
                    ..item(&problem.standard, history.opened.occurred_at)
                });
            }
        }
        for verdict in &verdicts {
            if !matches!(verdict.outcome, Outcome::OpenWithin | Outcome::OpenOverdue) {
                continue;
            }
            let day_counted = verdict.standard.limit.is_day_counted();
            items.push(WorkItem {
                outcome: Some(verdict.outcome),
                deadline: Some(verdict.deadline),
                deadline_day: day_counted
                    .then(|| tz.to_datetime(verdict.deadline.timestamp()).date()),
                seconds_left: Some((verdict.deadline.timestamp() - as_of).as_secs()),
                arrange_out_of_network: verdict.outcome == Outcome::OpenOverdue,
                ..item(&verdict.standard.id, verdict.clock_start)
            });
        }
    }
    items
}

/// Puts a worklist in order: requests that cannot be judged first (they
/// need attention), then least time left first (the longest overdue
/// first), then by request, then by the standards' order in `rule_set`.
pub fn sort_worklist(items: &mut [WorkItem], rule_set: &RuleSet) {
    let rank = |id: &str| rule_set.standards.iter().position(|s| s.id == id);
    items.sort_by(|a, b| {
        a.seconds_left
            .cmp(&b.seconds_left)
            .then_with(|| a.request_id.cmp(&b.request_id))
            .then_with(|| rank(&a.standard).cmp(&rank(&b.standard)))
    });
}
