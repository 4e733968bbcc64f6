//! Reports: the compliance table and the access measures computed from the
//! ledger's events and a rule set's verdicts.
//!
//! Everything here is a pure function of the events recorded by an as-of
//! moment (voided ones left out), the rule set and that moment, so that a
//! report as of T can be reproduced exactly later. This crate does no I/O
//! and never reads the wall clock.

mod access;
mod integrity;
mod report;
mod survival;
mod worklist;

pub use crate::access::{Access, AgeRow, GapRow, ShareRow, TnaRow};
pub use crate::integrity::Finding;
pub use crate::report::{GroupBy, Row, WAIT_BINS};
pub use crate::survival::{Wait, km_quantile};
pub use crate::worklist::{WorkItem, worklist};

use events::Event;
use jiff::Timestamp;
use rules::RuleSet;

/// One stored event, as the reports read it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The event.
    pub event: Event,
    /// When the ledger stored it.
    pub recorded_at: Timestamp,
    /// The void that names it, as of the report's moment.
    pub voided_by: Option<String>,
}

/// A report: the compliance table, the access measures and the integrity
/// findings, as of a moment.
#[derive(Debug, Clone)]
pub struct Report {
    /// The rule set's id.
    pub rule_set: String,
    /// The as-of moment.
    pub as_of: Timestamp,
    /// What rows are grouped by (empty: one row per standard).
    pub by: Vec<GroupBy>,
    /// One row per group and standard, by group then standard order.
    pub rows: Vec<Row>,
    /// The same table by month of request, for the charts.
    pub by_month: Vec<Row>,
    /// The access measures.
    pub access: Access,
    /// The integrity checks, each with the events it found.
    pub integrity: Vec<Finding>,
}

/// Computes a report from the entries recorded by `as_of`. `chain` is the
/// ledger's verification failure, if it failed.
pub fn report(
    entries: &[Entry],
    rule_set: &RuleSet,
    as_of: Timestamp,
    by: &[GroupBy],
    chain: Option<&str>,
) -> Report {
    let events: Vec<&Event> =
        entries.iter().filter(|e| e.voided_by.is_none()).map(|e| &e.event).collect();
    let mut zones: foldhash::HashMap<&str, jiff::tz::TimeZone> = foldhash::HashMap::default();
    for event in &events {
        if let events::Body::ClinicRegistered(c) = &event.body {
            zones.insert(c.clinic.as_str(), c.time_zone.time_zone());
        }
    }
    let zone =
        |clinic: &str| zones.get(clinic).cloned().unwrap_or_else(|| rule_set.time_zone.clone());
    let (tables, late_extensions) =
        report::compliance(&events, rule_set, as_of, &[by, &[GroupBy::Month]]);
    let mut tables = tables.into_iter();
    let rows = tables.next().unwrap_or_default();
    let by_month = tables.next().unwrap_or_default();
    let access = access::access(&events, as_of, &zone);
    let integrity =
        integrity::integrity(entries, &access.third_next_available, late_extensions, chain, &zone);
    Report {
        rule_set: rule_set.id.clone(),
        as_of,
        by: by.to_vec(),
        rows,
        by_month,
        access,
        integrity,
    }
}

#[cfg(test)]
mod tests;
