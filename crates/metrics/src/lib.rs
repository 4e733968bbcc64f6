//! Reports: the compliance table and the access measures computed from the
//! ledger's events and a rule set's verdicts.
//!
//! Everything here is a pure function of the events recorded by an as-of
//! moment (voided ones left out), the rule set and that moment, so that a
//! report as of T can be reproduced exactly later. This crate does no I/O
//! and never reads the wall clock.

mod report;
mod survival;
mod worklist;

pub use crate::report::{GroupBy, Row};
pub use crate::survival::{Wait, km_quantile};
pub use crate::worklist::{WorkItem, worklist};

use events::Event;
use jiff::Timestamp;
use rules::RuleSet;

/// A report: the compliance table, as of a moment.
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
}

/// Computes a report from the events recorded by `as_of` (without voided
/// ones).
pub fn report(events: &[Event], rule_set: &RuleSet, as_of: Timestamp, by: &[GroupBy]) -> Report {
    Report {
        rule_set: rule_set.id.clone(),
        as_of,
        by: by.to_vec(),
        rows: report::compliance(events, rule_set, as_of, by),
    }
}

#[cfg(test)]
mod tests;
