//! Reports: the compliance table and the access measures computed from the
//! ledger's events and a rule set's verdicts.
//!
//! Everything here is a pure function of the events recorded by an as-of
//! moment (voided ones left out), the rule set and that moment, so that a
//! report as of T can be reproduced exactly later. This crate does no I/O
//! and never reads the wall clock.

mod access;
mod integrity;
mod period;
mod report;
mod scan;
mod survival;
mod worklist;

pub use crate::access::{Access, AgeRow, GapRow, ShareRow, TnaRow};
pub use crate::integrity::{EventIds, Finding};
pub use crate::period::Period;
pub use crate::report::{
    FAILING_LISTED, Failing, GroupBy, Row, URGENT_WAIT_BINS, WAIT_BINS, wait_bins,
};
pub use crate::scan::{Networks, Partial, Route, Router, Scan, Shared, finish};
pub use crate::survival::{Wait, km_quantile};
pub use crate::worklist::{WorkItem, sort_worklist, worklist, worklist_part};

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
    /// Whether it came in a backfill batch (history loaded after the fact).
    pub backfill: bool,
    /// The void that names it, as of the report's moment.
    pub voided_by: Option<String>,
}

/// When and how the ledger stored an event.
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    /// When the ledger stored it.
    pub at: Timestamp,
    /// Whether its batch is history loaded after the fact (`ingest
    /// --backfill`): then `at` says nothing about when it was entered.
    pub backfill: bool,
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
    /// The same table by network: regulators such as California's DMHC
    /// judge compliance network by network.
    pub by_network: Vec<Row>,
    /// The requests that failed a standard with the longest waits, at most
    /// [`FAILING_LISTED`] per standard, longest first, in the rule set's
    /// order of standards.
    pub failing: Vec<Failing>,
    /// The access measures.
    pub access: Access,
    /// The integrity checks, each with the events it found.
    pub integrity: Vec<Finding>,
}

/// Computes a report from the entries recorded by `as_of`, all in memory.
/// `chain` is the ledger's verification failure, if it failed. For a ledger
/// larger than memory, see [`Scan`].
pub fn report(
    entries: &[Entry],
    rule_set: &RuleSet,
    as_of: Timestamp,
    by: &[GroupBy],
    chain: Option<&str>,
) -> Report {
    scan::whole(entries, rule_set, as_of, by, chain)
}

#[cfg(test)]
mod tests;
