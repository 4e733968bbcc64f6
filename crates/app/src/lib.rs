//! carequeue's application layer: what the command line and the service do
//! beyond their own input and output, written once for both.
//!
//! - [`read`]: a ledger of any size read once, its chain checked, into a
//!   report, verdicts or a worklist (parts in memory or spilled to disk,
//!   computed on every core);
//! - [`plan`]: which rule set judges which networks (one for all, or a plan
//!   file's), and a report under each;
//! - [`verdicts`]: every request judged, in ledger order, for a ledger of
//!   any size;
//! - [`worklist`]: who must be offered care, most urgent first;
//! - [`provenance`]: what a read saw of the ledger (the chain's check, the
//!   batches counted and left out), as every output must say it;
//! - [`output`]: reports as typed values, one definition of their columns
//!   for CSV, table and JSON;
//! - [`staffing`]: the staffing plan, fitted to a ledger when asked;
//! - [`demo`]: the demo plan stored as a live feed would have stored it;
//! - [`html`]: the self-contained HTML report and staffing plan;
//! - [`rule_sets`]: a shipped rule set by id, or a rule file by path.
//!
//! No terminal I/O and no HTTP here: the caller prints, serves and exits.

pub mod demo;
mod error;
pub mod html;
pub mod output;
pub mod plan;
pub mod provenance;
pub mod read;
pub mod rule_sets;
pub mod staffing;
pub mod verdicts;
pub mod worklist;

pub use crate::error::Error;

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
