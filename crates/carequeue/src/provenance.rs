//! What a command that reads the ledger says about what it read: whether
//! the chain verified, which batches its as-of moment counted, and which it
//! left out. Every such command (`report`, `verdicts`, `worklist`,
//! `events`, `plan staff --from-db`, `demo`) goes through here, so that a
//! broken chain fails each of them the same way:
//!
//! - it says so on standard error and the command exits 1;
//! - formats with a place for it (JSON, HTML) are written with the break
//!   marked; flat formats (CSV, tables, NDJSON) are written only with
//!   `--allow-broken-chain` (for forensic work), CSV and tables then with a
//!   first line saying the chain is broken.

use std::io::{self, Write};

use jiff::Timestamp;
use ledger::{BatchRow, Verification};
use serde::Serialize;

use crate::Outcome;

/// The batches a read counted and left out, and the chain's check.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Provenance {
    /// `valid` or `broken`.
    pub(crate) chain: &'static str,
    /// The first failed check, when the chain is broken.
    pub(crate) chain_break: Option<String>,
    /// The head of the chain as verified (`SEQ:HASH`), when it verified.
    pub(crate) head: Option<String>,
    /// Batches recorded by the as-of moment: those the output counts.
    pub(crate) batches_counted: u64,
    /// How many of them are backfills (history loaded after the fact).
    pub(crate) backfill_batches_counted: u64,
    /// The last of them.
    pub(crate) last_batch_counted: Option<BatchSeen>,
    /// Batches recorded after the as-of moment, which the output leaves out.
    pub(crate) batches_after_as_of: u64,
    /// When the latest of those was recorded.
    pub(crate) latest_recorded_at: Option<String>,
    /// When the ledger's first batch was recorded.
    pub(crate) first_recorded_at: Option<String>,
    /// Whether any counted batch was written by `carequeue demo` (simulated
    /// events, whose harm is illustrative only).
    pub(crate) simulated: bool,
}

/// A batch, as a reader is told of it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct BatchSeen {
    pub(crate) batch_id: u64,
    pub(crate) recorded_at: String,
    /// The ledger's head after it (`SEQ:HASH`).
    pub(crate) head: String,
    pub(crate) source: String,
}

/// The source name of the demo's batches.
pub(crate) const DEMO_SOURCE: &str = "carequeue demo";

impl Provenance {
    /// From a read's chain check and the batches of its snapshot.
    pub(crate) fn new(
        verification: &Verification,
        batches: &[BatchRow],
        as_of: Option<Timestamp>,
    ) -> Provenance {
        let cutoff = as_of.map(ledger::format_recorded_at);
        let counted = |b: &&BatchRow| cutoff.as_ref().is_none_or(|c| b.recorded_at <= *c);
        let (before, after): (Vec<&BatchRow>, Vec<&BatchRow>) = batches.iter().partition(counted);
        let (chain, chain_break, head) = match verification {
            Verification::Valid { head, .. } => ("valid", None, Some(head.to_string())),
            Verification::Broken(broken) => ("broken", Some(broken.to_string()), None),
        };
        Provenance {
            chain,
            chain_break,
            head,
            batches_counted: before.len() as u64,
            backfill_batches_counted: before
                .iter()
                .filter(|b| b.kind == ledger::BatchKind::Backfill)
                .count() as u64,
            last_batch_counted: before.last().map(|b| BatchSeen {
                batch_id: b.batch_id,
                recorded_at: b.recorded_at.clone(),
                head: b.head().to_string(),
                source: b.source.clone(),
            }),
            batches_after_as_of: after.len() as u64,
            latest_recorded_at: after.iter().map(|b| b.recorded_at.clone()).max(),
            first_recorded_at: batches.first().map(|b| b.recorded_at.clone()),
            simulated: before.iter().any(|b| b.source == DEMO_SOURCE),
        }
    }

    /// The break, when the chain did not verify.
    pub(crate) fn broken(&self) -> Option<&str> {
        self.chain_break.as_deref()
    }

    /// Says on standard error what a reader must know: a broken chain (an
    /// error) and batches left out by the as-of moment (a warning). Returns
    /// whether the output may be written: always for `structured` formats
    /// (which mark the break), otherwise only when the chain verified or
    /// `allow_broken` is `Some(true)`; `None` for a command without
    /// `--allow-broken-chain`.
    pub(crate) fn announce(
        &self,
        allow_broken: Option<bool>,
        structured: bool,
    ) -> io::Result<bool> {
        let mut err = io::stderr().lock();
        if self.batches_counted == 0 && self.batches_after_as_of > 0 {
            writeln!(
                err,
                "warning: the as-of moment is before the ledger's first batch (recorded at {}), \
                 so nothing is counted; for history loaded later, leave --as-of at now (report, \
                 verdicts and worklist choose the requests of a period with --period)",
                self.first_recorded_at.as_deref().unwrap_or("?")
            )?;
        } else if self.batches_after_as_of > 0 {
            let one = self.batches_after_as_of == 1;
            writeln!(
                err,
                "warning: {} batch{} recorded after the as-of moment {} left out (the latest \
                 recorded at {}); give a later --as-of to count {}",
                self.batches_after_as_of,
                if one { "" } else { "es" },
                if one { "was" } else { "were" },
                self.latest_recorded_at.as_deref().unwrap_or("?"),
                if one { "it" } else { "them" },
            )?;
        }
        let Some(broken) = self.broken() else { return Ok(true) };
        // The break quotes stored values, which whoever changed them chose:
        // no control character reaches the terminal.
        let broken: String =
            broken.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
        writeln!(
            err,
            "error: the ledger's chain is broken ({broken}): what it holds may have been \
             changed, so no figure from it can be trusted; run `carequeue verify`"
        )?;
        let write = structured || allow_broken == Some(true);
        if !write && allow_broken.is_some() {
            writeln!(
                err,
                "nothing was written; --allow-broken-chain writes the output all the same, \
                 marked, for forensic work"
            )?;
        }
        Ok(write)
    }

    /// The note that a CSV or table written from a broken chain (with
    /// `--allow-broken-chain`) starts with, after `# `; `None` when the
    /// chain verified.
    pub(crate) fn broken_note(&self) -> Option<String> {
        // The break quotes stored values, which whoever changed them chose:
        // the line keeps no character that would start another cell, a
        // quoted field or a line, so it stays one cell starting with `#`.
        self.broken().map(|broken| {
            let safe: String = broken
                .chars()
                .map(|c| {
                    let unsafe_char =
                        c.is_control() || matches!(c, ',' | ';' | '"' | '\u{2028}' | '\u{2029}');
                    if unsafe_char { ' ' } else { c }
                })
                .collect();
            format!("CHAIN BROKEN: {safe} (carequeue verify)")
        })
    }

    /// The first line of a report's CSV or table, after `# `: the chain's
    /// break, and that the data is simulated (its harm illustrative);
    /// `None` when neither applies.
    pub(crate) fn report_note(&self) -> Option<String> {
        let simulated = self.simulated.then(|| {
            "SIMULATED DATA (carequeue demo): it describes no real plan and harm_while_waiting \
             is illustrative only"
                .to_owned()
        });
        match (self.broken_note(), simulated) {
            (Some(broken), Some(simulated)) => Some(format!("{broken}; {simulated}")),
            (broken, simulated) => broken.or(simulated),
        }
    }

    /// The batches counted and left out, and the chain's check, in words.
    pub(crate) fn summary(&self) -> String {
        let backfills = match self.backfill_batches_counted {
            0 => String::new(),
            n => format!(" ({n} of them backfill{})", if n == 1 { "" } else { "s" }),
        };
        let mut text = match &self.last_batch_counted {
            Some(last) => format!(
                "counted {} batch{} of the ledger{backfills}, the last batch {} recorded at {} \
                 (head {})",
                self.batches_counted,
                if self.batches_counted == 1 { "" } else { "es" },
                last.batch_id,
                last.recorded_at,
                last.head
            ),
            None => "counted no batch: nothing was recorded by the as-of moment".to_owned(),
        };
        if self.batches_after_as_of > 0 {
            text.push_str(&format!(
                "; {} recorded after the as-of moment left out (the latest at {})",
                self.batches_after_as_of,
                self.latest_recorded_at.as_deref().unwrap_or("?")
            ));
        }
        text.push_str(match self.broken() {
            None => "; chain verified",
            Some(_) => "; CHAIN BROKEN",
        });
        text
    }

    /// The command's exit: a failure when the chain is broken, whatever
    /// was written.
    pub(crate) fn outcome(&self) -> Outcome {
        if self.broken().is_some() { Outcome::Failure } else { Outcome::Success }
    }
}

#[cfg(test)]
mod tests {
    use ledger::{Break, Verification};

    use super::Provenance;

    /// The break quotes stored values a tamperer chose: its CSV line stays
    /// one cell that starts with `#`.
    #[test]
    fn a_broken_chains_csv_line_is_one_safe_cell() {
        let broken = Verification::Broken(Break {
            seq: Some(7),
            event_id: Some("e7".to_owned()),
            reason: "column body is \"x\",=HYPERLINK(\"http://x\");\n@SUM(1)\r".to_owned(),
        });
        let provenance = Provenance::new(&broken, &[], None);
        let line = provenance.broken_note().unwrap();
        assert!(line.starts_with("CHAIN BROKEN: "), "{line}");
        // No separator, quote or line break: one cell, whatever reads it.
        assert!(!line.contains([',', ';', '"', '\n', '\r']), "{line}");
    }
}
