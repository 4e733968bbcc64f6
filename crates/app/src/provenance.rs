//! What an output read from the ledger says about what it read: whether
//! the chain verified, which batches its as-of moment counted, and which it
//! left out. Every reader (the commands `report`, `verdicts`, `worklist`,
//! `events`, `plan staff --from-db`, `demo`, and the service) goes through
//! here, so that a broken chain fails each of them the same way: formats
//! with a place for it (JSON, HTML) carry the break; flat formats (CSV,
//! tables) start with a line saying so, when written at all.

use jiff::Timestamp;
use ledger::{BatchRow, Verification};
use serde::Serialize;

/// The batches a read counted and left out, and the chain's check.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// `valid` or `broken`.
    pub chain: &'static str,
    /// The first failed check, when the chain is broken.
    pub chain_break: Option<String>,
    /// The head of the chain as verified (`SEQ:HASH`), when it verified.
    pub head: Option<String>,
    /// Batches recorded by the as-of moment: those the output counts.
    pub batches_counted: u64,
    /// How many of them are backfills (history loaded after the fact).
    pub backfill_batches_counted: u64,
    /// The last of them.
    pub last_batch_counted: Option<BatchSeen>,
    /// Batches recorded after the as-of moment, which the output leaves out.
    pub batches_after_as_of: u64,
    /// When the latest of those was recorded.
    pub latest_recorded_at: Option<String>,
    /// When the ledger's first batch was recorded.
    pub first_recorded_at: Option<String>,
    /// Whether any counted batch was written by `carequeue demo` (simulated
    /// events, whose harm is illustrative only).
    pub simulated: bool,
}

/// A batch, as a reader is told of it.
#[derive(Debug, Clone, Serialize)]
pub struct BatchSeen {
    /// Its number.
    pub batch_id: u64,
    /// When it was recorded, as stored.
    pub recorded_at: String,
    /// The ledger's head after it (`SEQ:HASH`).
    pub head: String,
    /// The file or stream it came from.
    pub source: String,
}

/// The source name of the demo's batches.
pub const DEMO_SOURCE: &str = "carequeue demo";

impl Provenance {
    /// From a read's chain check and the batches of its snapshot.
    pub fn new(
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
    pub fn broken(&self) -> Option<&str> {
        self.chain_break.as_deref()
    }

    /// The warning a reader must see when the as-of moment left batches
    /// out (or counted none); `None` when it left none out.
    pub fn left_out_warning(&self) -> Option<String> {
        if self.batches_counted == 0 && self.batches_after_as_of > 0 {
            Some(format!(
                "the as-of moment is before the ledger's first batch (recorded at {}), so \
                 nothing is counted; for history loaded later, leave --as-of at now (report, \
                 verdicts and worklist choose the requests of a period with --period)",
                self.first_recorded_at.as_deref().unwrap_or("?")
            ))
        } else if self.batches_after_as_of > 0 {
            let one = self.batches_after_as_of == 1;
            Some(format!(
                "{} batch{} recorded after the as-of moment {} left out (the latest recorded at \
                 {}); give a later --as-of to count {}",
                self.batches_after_as_of,
                if one { "" } else { "es" },
                if one { "was" } else { "were" },
                self.latest_recorded_at.as_deref().unwrap_or("?"),
                if one { "it" } else { "them" },
            ))
        } else {
            None
        }
    }

    /// The error a reader must see when the chain is broken, with no
    /// control character (the break quotes stored values, which whoever
    /// changed them chose); `None` when it verified.
    pub fn broken_error(&self) -> Option<String> {
        let broken: String =
            self.broken()?.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
        Some(format!(
            "the ledger's chain is broken ({broken}): what it holds may have been changed, so \
             no figure from it can be trusted; run `carequeue verify`"
        ))
    }

    /// The note that a CSV or table written from a broken chain (with
    /// `--allow-broken-chain`) starts with, after `# `; `None` when the
    /// chain verified.
    pub fn broken_note(&self) -> Option<String> {
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
    pub fn report_note(&self) -> Option<String> {
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
    pub fn summary(&self) -> String {
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
