//! The worklist: open requests by time left to their deadline.

use events::{Event, Instant};
use jiff::Timestamp;
use rules::{Outcome, RuleSet, Verdict, assemble_with, evaluate};

use crate::scan::{Scan, Shared};

/// One open request under one standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    /// The request.
    pub request_id: String,
    /// Its clinic.
    pub clinic: String,
    /// The standard.
    pub standard: String,
    /// `open_within` or `open_overdue`.
    pub outcome: Outcome,
    /// The clock start, in the clinic's offset.
    pub clock_start: Instant,
    /// The deadline (the last moment within it), in the clinic's offset.
    pub deadline: Instant,
    /// Seconds from the as-of moment to the deadline; negative when overdue.
    pub seconds_left: i64,
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
        scan.observe(event, as_of, false);
    }
    let shared = scan.finish(rule_set);
    let mut items = worklist_part(events, &shared, rule_set, as_of);
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
) -> Vec<WorkItem> {
    let mut items = Vec::new();
    let mut verdicts: Vec<Verdict<'_, '_>> = Vec::new();
    let mut problems = Vec::new();
    let prior = |id: &str| shared.appointment_at(id);
    for history in assemble_with(events.iter().copied(), &prior) {
        let clinic = history.request.clinic.as_str();
        let tz = shared.zone(clinic);
        verdicts.clear();
        evaluate(&history, rule_set, tz, as_of, &mut verdicts, &mut problems);
        for verdict in &verdicts {
            if !matches!(verdict.outcome, Outcome::OpenWithin | Outcome::OpenOverdue) {
                continue;
            }
            let seconds_left = (verdict.deadline.timestamp() - as_of).as_secs();
            items.push(WorkItem {
                request_id: history.request.request_id.to_string(),
                clinic: clinic.to_owned(),
                standard: verdict.standard.id.clone(),
                outcome: verdict.outcome,
                clock_start: verdict.clock_start,
                deadline: verdict.deadline,
                seconds_left,
                arrange_out_of_network: verdict.outcome == Outcome::OpenOverdue,
            });
        }
    }
    items
}

/// Puts a worklist in order: least time left first (the longest overdue
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
