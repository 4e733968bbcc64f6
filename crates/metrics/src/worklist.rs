//! The worklist: open requests by time left to their deadline.

use foldhash::HashMap;

use events::{Body, Event, Instant};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rules::{Outcome, RuleSet, Verdict, assemble, evaluate};

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
/// longest overdue first, then by time left.
pub fn worklist(events: &[&Event], rule_set: &RuleSet, as_of: Timestamp) -> Vec<WorkItem> {
    let mut zones: HashMap<&str, TimeZone> = HashMap::default();
    for event in events {
        if let Body::ClinicRegistered(c) = &event.body {
            zones.insert(c.clinic.as_str(), c.time_zone.time_zone());
        }
    }
    let mut items = Vec::new();
    let mut verdicts: Vec<Verdict<'_, '_>> = Vec::new();
    let mut problems = Vec::new();
    for history in assemble(events.iter().copied()) {
        let clinic = history.request.clinic.as_str();
        let tz = zones.get(clinic).unwrap_or(&rule_set.time_zone);
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
    items.sort_by(|a, b| {
        a.seconds_left.cmp(&b.seconds_left).then_with(|| a.request_id.cmp(&b.request_id))
    });
    items
}
