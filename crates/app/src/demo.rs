//! The demo's pipeline: a synthetic plan's events stored as a live feed
//! would have stored them, a batch a week, so that any moment of the
//! simulated year can be read as of then.

use events::Event;
use jiff::Timestamp;
use ledger::{AppendOptions, Appended, Head, Incoming, Ledger};

use crate::provenance::DEMO_SOURCE;
use crate::{Error, Result};

/// What storing the demo's events did.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Events stored.
    pub events: u64,
    /// The ledger's head after the last batch.
    pub head: Option<Head>,
}

/// Stores `events` (in the order they happened, from `start`) in `ledger`
/// a batch a week, each recorded at the moment of its last event and
/// marked as the demo's (`source` [`DEMO_SOURCE`]); `progress` sees the
/// events of each batch stored.
pub fn store_weekly(
    ledger: &Ledger,
    events: &[Event],
    start: Timestamp,
    progress: &mut dyn FnMut(u64),
) -> Result<Stored> {
    let weeks = events.chunk_by({
        let mut week_end = start;
        move |_, next: &Event| {
            let at = next.occurred_at.timestamp();
            if at <= week_end {
                return true;
            }
            while week_end < at {
                week_end =
                    week_end.saturating_add(jiff::SignedDuration::from_hours(7 * 24)).unwrap_or(at);
            }
            false
        }
    });
    let (mut stored, mut line) = (0, 0u64);
    let mut head = None;
    for batch in weeks {
        let last = batch.iter().map(|e| e.occurred_at.timestamp()).max().unwrap_or(start);
        let options = AppendOptions::new(DEMO_SOURCE, ledger::RecordedAt::At(last));
        let incoming = batch.iter().map(|event| {
            line += 1;
            Ok::<_, std::convert::Infallible>(Incoming::new(line, event.clone()))
        });
        match ledger.append(incoming, &options)? {
            Appended::Stored(summary) => {
                stored += summary.batch.n_new;
                head = Some(summary.head);
            }
            Appended::Rejected(rejection) => {
                return Err(Error::Work(format!(
                    "the simulated events were rejected: {} problems, the first: {:?}",
                    rejection.problems.len(),
                    rejection.problems.first()
                )));
            }
        }
        progress(batch.len() as u64);
    }
    Ok(Stored { events: stored, head })
}
