//! Timely-access rules: rule sets as data, and the verdict of every request
//! under every standard that applies to it.
//!
//! A [`RuleSet`] is read from TOML (the format is in `docs/rules.md`; the
//! shipped ones are in `rulesets/`). [`evaluate`] is a pure function of one
//! request's [`History`], a rule set, the clinic's time zone and the as-of
//! moment; it gives a [`Verdict`] per applicable standard with the clock
//! start, the deadline, what stopped the clock, the [`Outcome`] and the
//! [`Reasons`], following docs/rules.md.
//!
//! This crate does no I/O and never reads the wall clock.

mod error;
mod evaluate;
mod history;
mod plan;
mod ruleset;

pub use crate::error::Error;
pub use crate::evaluate::{Outcome, Problem, Reasons, Verdict, evaluate};
pub use crate::history::{History, assemble, assemble_with};
pub use crate::plan::{NetworkRules, PlanFile};
pub use crate::ruleset::{
    ClockStart, Conditions, Limit, Qualifying, RuleSet, SHIPPED, Standard, Stop,
};

#[cfg(test)]
mod tests;
