//! `carequeue verdicts`: every request judged under a rule set.
//!
//! The ledger is read once and split by patient as for the report
//! (`parts.rs`), so that any size of ledger fits; each part's requests are
//! judged and written to a temporary file in the order of their openings,
//! and the files are merged by the openings' sequence numbers, so the
//! output is in ledger order whatever the split.

use std::collections::{BTreeSet, BinaryHeap};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

use anyhow::{Context, Result, anyhow};
use events::{Body, Event};
use jiff::Timestamp;
use ledger::Ledger;
use metrics::Shared;
use rules::{RuleSet, Verdict, assemble_with, evaluate};

use crate::Outcome;
use crate::cli::{VerdictsArgs, VerdictsFormat};
use crate::provenance::Announce;

/// One part's requests judged: a file of records, in the order of their
/// openings, each the opening's sequence number, the request's rows and its
/// warnings; and the clinics never registered.
struct Judged {
    file: File,
    unregistered: BTreeSet<String>,
}

/// Judges one part's requests into a temporary file.
fn judge_part(
    events: &[&Event],
    seqs: &[u64],
    shared: &Shared,
    rule_set: &RuleSet,
    as_of: Timestamp,
    format: VerdictsFormat,
    period: &metrics::Period,
) -> Result<Judged> {
    // The opening's sequence number of each request: the merge key.
    let opened_at: std::collections::HashMap<&str, u64> = events
        .iter()
        .zip(seqs)
        .filter_map(|(event, seq)| match &event.body {
            Body::RequestOpened(opened) => Some((opened.request_id.as_str(), *seq)),
            _ => None,
        })
        .collect();
    let file = tempfile::tempfile().context("cannot create a temporary file for the verdicts")?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut unregistered = BTreeSet::new();
    let mut verdicts: Vec<Verdict<'_, '_>> = Vec::new();
    let mut problems = Vec::new();
    let (mut rows, mut warnings) = (Vec::new(), String::new());
    let prior = |id: &str| shared.appointment_at(id);
    for history in assemble_with(events.iter().copied(), &prior) {
        let clinic = history.request.clinic.as_str();
        let tz = shared.registered_time_zone(clinic).unwrap_or_else(|| {
            unregistered.insert(clinic.to_owned());
            &rule_set.time_zone
        });
        verdicts.clear();
        problems.clear();
        evaluate(&history, rule_set, tz, as_of, &mut verdicts, &mut problems);
        period.select(&history, tz, &mut verdicts, &mut problems);
        let request_id = history.request.request_id.as_str();
        rows.clear();
        warnings.clear();
        for problem in &problems {
            warnings.push_str(&format!(
                "warning: request {request_id}, standard {}: {}\n",
                problem.standard, problem.message
            ));
        }
        match format {
            VerdictsFormat::Csv => {
                rows.clear();
                formats::write_rows(
                    &mut rows,
                    verdicts.iter().map(|verdict| csv_row(request_id, clinic, verdict)),
                )?;
            }
            VerdictsFormat::Json => {
                let mut text = String::new();
                for verdict in &verdicts {
                    json_object(&mut text, request_id, clinic, verdict);
                }
                rows = text.into_bytes();
            }
        }
        let seq = opened_at.get(request_id).copied().unwrap_or(u64::MAX);
        for bytes in [&seq.to_le_bytes()[..], &len(rows.len())?, &rows] {
            out.write_all(bytes)?;
        }
        out.write_all(&len(warnings.len())?)?;
        out.write_all(warnings.as_bytes())?;
    }
    let mut file =
        out.into_inner().map_err(|err| anyhow!("cannot write the verdicts: {}", err.error()))?;
    file.rewind()?;
    Ok(Judged { file, unregistered })
}

fn len(n_bytes: usize) -> Result<[u8; 4]> {
    Ok(u32::try_from(n_bytes).context("a request's verdicts over 4 GB")?.to_le_bytes())
}

/// The CSV columns of a verdict.
const CSV_HEADER: [&str; 9] = [
    "request_id",
    "clinic",
    "standard",
    "verdict",
    "clock_start",
    "deadline",
    "stop_at",
    "stop_event",
    "reason",
];

/// One verdict's CSV cells, in [`CSV_HEADER`]'s order.
fn csv_row(request_id: &str, clinic: &str, verdict: &Verdict<'_, '_>) -> [String; 9] {
    [
        request_id.to_owned(),
        clinic.to_owned(),
        verdict.standard.id.clone(),
        verdict.outcome.to_string(),
        verdict.clock_start.to_string(),
        verdict.deadline.to_string(),
        verdict.stop_at.map(|t| t.to_string()).unwrap_or_default(),
        verdict.stop_event.map(|e| e.event_id.to_string()).unwrap_or_default(),
        verdict.reasons.to_string(),
    ]
}

/// Appends one verdict as a JSON object after a newline (the merge puts
/// the commas between requests).
fn json_object(out: &mut String, request_id: &str, clinic: &str, verdict: &Verdict<'_, '_>) {
    /// One verdict as the JSON output gives it.
    #[derive(serde::Serialize)]
    struct Object<'a> {
        request_id: &'a str,
        clinic: &'a str,
        standard: &'a str,
        verdict: String,
        clock_start: String,
        deadline: String,
        stop_at: Option<String>,
        stop_event: Option<&'a str>,
        reason: String,
    }
    let object = Object {
        request_id,
        clinic,
        standard: &verdict.standard.id,
        verdict: verdict.outcome.to_string(),
        clock_start: verdict.clock_start.to_string(),
        deadline: verdict.deadline.to_string(),
        stop_at: verdict.stop_at.map(|t| t.to_string()),
        stop_event: verdict.stop_event.map(|e| e.event_id.as_str()),
        reason: verdict.reasons.to_string(),
    };
    if !out.is_empty() {
        out.push(',');
    }
    out.push('\n');
    out.push_str(&serde_json::to_string(&object).unwrap_or_default());
}

/// A record of a part's file: the opening's sequence number, the request's
/// rows and its warnings.
type Record = (u64, Vec<u8>, Vec<u8>);

/// The next record of a part's file; `None` at the end.
fn next_record(reader: &mut impl Read) -> Result<Option<Record>> {
    let mut seq = [0u8; 8];
    match reader.read_exact(&mut seq) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(err).context("cannot read the verdicts back"),
    }
    let mut text = || -> Result<Vec<u8>> {
        let mut len = [0u8; 4];
        reader.read_exact(&mut len)?;
        let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
        reader.read_exact(&mut bytes)?;
        Ok(bytes)
    };
    let rows = text().context("cannot read the verdicts back")?;
    let warnings = text().context("cannot read the verdicts back")?;
    Ok(Some((u64::from_le_bytes(seq), rows, warnings)))
}

pub(crate) fn run(args: &VerdictsArgs) -> Result<Outcome> {
    let rule_set = args.judge.rule_set()?;
    let as_of = args.judge.as_of.unwrap_or_else(jiff::Timestamp::now);
    let ledger = Ledger::open(&args.db.db)?;
    let format = args.format;
    let period = args.judge.period()?;
    let mut split = app::read::split(&ledger, &rule_set, as_of)?;
    let parts = split
        .fold(
            |events, seqs, shared| {
                judge_part(events, seqs, shared, &rule_set, as_of, format, &period).map(|j| vec![j])
            },
            |all: &mut Result<Vec<Judged>>, more: Result<Vec<Judged>>| match more {
                Ok(more) => {
                    if let Ok(all) = all {
                        all.extend(more);
                    }
                }
                Err(err) => {
                    if all.is_ok() {
                        *all = Err(err);
                    }
                }
            },
        )?
        .unwrap_or_else(|| Ok(Vec::new()))?;

    let provenance = &split.provenance;
    if !provenance.announce(Some(args.chain.allow_broken_chain), format == VerdictsFormat::Json)? {
        return Ok(Outcome::Failure);
    }
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    match format {
        VerdictsFormat::Csv => {
            let note = provenance.broken_note();
            formats::TableWriter::new(&mut out, note.as_deref(), CSV_HEADER)?.finish()?;
        }
        VerdictsFormat::Json => write!(
            out,
            "{{\"rule_set\":{},\"as_of\":\"{}\",\"ledger\":{},\"verdicts\":[",
            serde_json::to_string(&rule_set.id)?,
            ledger::format_recorded_at(as_of),
            serde_json::to_string(provenance)?
        )?,
    }
    let mut err = io::stderr().lock();
    // The parts' records merged by the openings' sequence numbers.
    let mut unregistered = BTreeSet::new();
    let mut readers = Vec::with_capacity(parts.len());
    for part in parts {
        unregistered.extend(part.unregistered);
        readers.push(BufReader::with_capacity(1 << 16, part.file));
    }
    let mut heap = BinaryHeap::new();
    for (idx, reader) in readers.iter_mut().enumerate() {
        if let Some((seq, rows, warnings)) = next_record(reader)? {
            heap.push(std::cmp::Reverse((seq, idx, rows, warnings)));
        }
    }
    let mut written = false;
    while let Some(std::cmp::Reverse((_, idx, rows, warnings))) = heap.pop() {
        err.write_all(&warnings)?;
        if !rows.is_empty() {
            if format == VerdictsFormat::Json && written {
                out.write_all(b",")?;
            }
            out.write_all(&rows)?;
            written = true;
        }
        if let Some((seq, rows, warnings)) = next_record(&mut readers[idx])? {
            heap.push(std::cmp::Reverse((seq, idx, rows, warnings)));
        }
    }
    if format == VerdictsFormat::Json {
        out.write_all(b"\n]}\n")?;
    }
    out.flush().context("write verdicts")?;
    if !unregistered.is_empty() {
        let list: Vec<&str> = unregistered.iter().map(String::as_str).collect();
        writeln!(
            err,
            "warning: clinics never registered, judged in the rule set's time zone {}: {}",
            rule_set.time_zone_name,
            list.join(", ")
        )?;
    }
    Ok(provenance.outcome())
}
