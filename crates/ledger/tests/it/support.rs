//! Helpers: fresh ledgers (from `testkit`), appending text, rendering
//! outcomes.

use jiff::Timestamp;
use ledger::{AppendOptions, Appended, Incoming, Ledger};

pub(crate) const SMALL_PLAN: &str = include_str!("../../../../examples/small-plan.ndjson");
pub(crate) const SMALL_PLAN_CSV: &str = include_str!("../../../../examples/small-plan.csv");

pub(crate) use testkit::TestDb;

/// Opens the ledger at a test location.
pub(crate) fn open(db: &TestDb) -> Ledger {
    Ledger::create(db.location()).expect("open ledger")
}

/// One fresh ledger per backend.
pub(crate) fn backends() -> Vec<TestDb> {
    TestDb::each_backend()
}

pub(crate) fn sqlite() -> TestDb {
    TestDb::sqlite()
}

/// A fixed moment for `recorded_at`, `n` seconds into 2026.
pub(crate) fn at(n: i64) -> Timestamp {
    Timestamp::from_second(1_767_225_600 + n).expect("timestamp")
}

pub(crate) fn options(source: &str, recorded_at: Timestamp) -> AppendOptions {
    AppendOptions::new(source, ledger::RecordedAt::At(recorded_at))
}

/// Reads events from text (NDJSON or CSV).
pub(crate) fn read(text: &str) -> Vec<Result<Incoming, formats::Error>> {
    formats::Reader::new(text.as_bytes(), "input")
        .expect("reader")
        .map(|item| item.map(|located| Incoming::new(located.line, located.value)))
        .collect()
}

/// Appends text as one batch and renders the outcome.
pub(crate) fn append_text(
    ledger: &Ledger,
    source: &str,
    text: &str,
    recorded_at: Timestamp,
) -> String {
    let appended = ledger.append(read(text), &options(source, recorded_at)).expect("append");
    render(&appended)
}

pub(crate) fn render(appended: &Appended<formats::Error>) -> String {
    match appended {
        Appended::Stored(summary) => format!(
            "stored: read {} new {} duplicate {} seq {}..={}",
            summary.batch.n_read,
            summary.batch.n_new,
            summary.batch.n_duplicate,
            summary.batch.first_seq,
            summary.batch.last_seq
        ),
        Appended::Rejected(rejection) => {
            let mut out = format!("rejected after reading {} events:", rejection.n_read);
            for problem in &rejection.problems {
                match problem {
                    ledger::Problem::Source(err) => out.push_str(&format!("\n  {err}")),
                    ledger::Problem::NoEvents => out.push_str("\n  no events"),
                    ledger::Problem::Event(problem) => {
                        out.push_str(&format!("\n  line {}: {problem}", problem.line));
                    }
                }
            }
            if rejection.n_more > 0 {
                out.push_str(&format!("\n  and {} more", rejection.n_more));
            }
            out
        }
    }
}

/// The canonical bodies of every stored event, in order.
pub(crate) fn bodies(ledger: &Ledger) -> Vec<String> {
    let mut out = Vec::new();
    ledger
        .for_each_event(None, |stored| {
            out.push(String::from_utf8(stored.event.canonical_json())?);
            Ok(())
        })
        .expect("scan");
    out
}
