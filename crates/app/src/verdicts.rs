//! Every request judged under a rule set, in ledger order, for a ledger of
//! any size.
//!
//! The ledger is read once and split by patient as for the report
//! ([`crate::read`]); each part's requests are judged and written to a
//! temporary file in the order of their openings, and the files are merged
//! by the openings' sequence numbers, so the verdicts come in ledger order
//! whatever the split.

use std::collections::{BTreeSet, BinaryHeap};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};

use events::{Body, Event};
use jiff::Timestamp;
use ledger::Ledger;
use metrics::Shared;
use rules::{RuleSet, Verdict, assemble_with, evaluate};
use serde::{Deserialize, Serialize};

use crate::provenance::Provenance;
use crate::{Error, Result};

/// One verdict, as every output gives it (its fields in the CSV's order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictRow {
    /// The request.
    pub request_id: String,
    /// Its clinic.
    pub clinic: String,
    /// The standard.
    pub standard: String,
    /// `met`, `missed`, `open_within`, `open_overdue` or `excluded`.
    pub verdict: String,
    /// When the clock started, in the clinic's offset.
    pub clock_start: String,
    /// The last moment within the deadline, in the clinic's offset.
    pub deadline: String,
    /// When the clock stopped, if it did.
    pub stop_at: Option<String>,
    /// The event that stopped it.
    pub stop_event: Option<String>,
    /// Why, in words.
    pub reason: String,
}

impl VerdictRow {
    /// The CSV header: the fields' names, in order.
    pub const CSV_HEADER: [&'static str; 9] = [
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

    fn new(request_id: &str, clinic: &str, verdict: &Verdict<'_, '_>) -> VerdictRow {
        VerdictRow {
            request_id: request_id.to_owned(),
            clinic: clinic.to_owned(),
            standard: verdict.standard.id.clone(),
            verdict: verdict.outcome.to_string(),
            clock_start: verdict.clock_start.to_string(),
            deadline: verdict.deadline.to_string(),
            stop_at: verdict.stop_at.map(|t| t.to_string()),
            stop_event: verdict.stop_event.map(|e| e.event_id.to_string()),
            reason: verdict.reasons.to_string(),
        }
    }

    /// Its CSV cells, in [`VerdictRow::CSV_HEADER`]'s order.
    pub fn cells(&self) -> [&str; 9] {
        [
            &self.request_id,
            &self.clinic,
            &self.standard,
            &self.verdict,
            &self.clock_start,
            &self.deadline,
            self.stop_at.as_deref().unwrap_or(""),
            self.stop_event.as_deref().unwrap_or(""),
            &self.reason,
        ]
    }
}

/// One request's verdicts, and what could not be judged about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// The request.
    pub request_id: String,
    /// A verdict per standard that applies.
    pub verdicts: Vec<VerdictRow>,
    /// Each standard that applies but cannot be judged, and why.
    pub problems: Vec<(String, String)>,
}

/// One part's requests judged: a temporary file of records (the opening's
/// sequence number, then the judgement as JSON), and the clinics never
/// registered.
struct Part {
    file: File,
    unregistered: BTreeSet<String>,
}

fn judge_part(
    events: &[&Event],
    seqs: &[u64],
    shared: &Shared,
    rule_set: &RuleSet,
    as_of: Timestamp,
    period: &metrics::Period,
) -> Result<Part> {
    // The opening's sequence number of each request: the merge key.
    let opened_at: std::collections::HashMap<&str, u64> = events
        .iter()
        .zip(seqs)
        .filter_map(|(event, seq)| match &event.body {
            Body::RequestOpened(opened) => Some((opened.request_id.as_str(), *seq)),
            _ => None,
        })
        .collect();
    let temporary = |err: io::Error| Error::Work(format!("a temporary file of verdicts: {err}"));
    let file = tempfile::tempfile().map_err(temporary)?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut unregistered = BTreeSet::new();
    let mut verdicts: Vec<Verdict<'_, '_>> = Vec::new();
    let mut problems = Vec::new();
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
        if verdicts.is_empty() && problems.is_empty() {
            continue;
        }
        let request_id = history.request.request_id.as_str();
        let judgement = Judgement {
            request_id: request_id.to_owned(),
            verdicts: verdicts.iter().map(|v| VerdictRow::new(request_id, clinic, v)).collect(),
            problems: problems.iter().map(|p| (p.standard.clone(), p.message.clone())).collect(),
        };
        let bytes = serde_json::to_vec(&judgement)
            .map_err(|err| Error::Work(format!("a request's verdicts: {err}")))?;
        let len = u32::try_from(bytes.len())
            .map_err(|_| Error::Work("a request's verdicts over 4 GB".to_owned()))?;
        let seq = opened_at.get(request_id).copied().unwrap_or(u64::MAX);
        out.write_all(&seq.to_le_bytes())
            .and_then(|()| out.write_all(&len.to_le_bytes()))
            .and_then(|()| out.write_all(&bytes))
            .map_err(temporary)?;
    }
    let mut file = out.into_inner().map_err(|err| temporary(err.into_error()))?;
    file.rewind().map_err(temporary)?;
    Ok(Part { file, unregistered })
}

/// The next record of a part's file; `None` at the end.
fn next_record(reader: &mut impl Read) -> Result<Option<(u64, Judgement)>> {
    let back = |err: io::Error| Error::Work(format!("cannot read the verdicts back: {err}"));
    let mut seq = [0u8; 8];
    match reader.read_exact(&mut seq) {
        Ok(()) => {}
        Err(err) if err.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(err) => return Err(back(err)),
    }
    let mut len = [0u8; 4];
    reader.read_exact(&mut len).map_err(back)?;
    let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
    reader.read_exact(&mut bytes).map_err(back)?;
    let judgement = serde_json::from_slice(&bytes)
        .map_err(|err| Error::Work(format!("cannot read the verdicts back: {err}")))?;
    Ok(Some((u64::from_le_bytes(seq), judgement)))
}

/// Every request of a ledger judged, ready to be taken in ledger order.
#[derive(Debug)]
pub struct Verdicts {
    /// What the read saw of the ledger.
    pub provenance: Provenance,
    /// Clinics never registered: judged in the rule set's time zone.
    pub unregistered: BTreeSet<String>,
    readers: Vec<BufReader<File>>,
    heap: BinaryHeap<std::cmp::Reverse<(u64, usize, JudgementOrd)>>,
}

/// A judgement in the merge's heap, ordered only by its key.
#[derive(Debug)]
struct JudgementOrd(Judgement);

impl PartialEq for JudgementOrd {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for JudgementOrd {}
impl PartialOrd for JudgementOrd {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for JudgementOrd {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl Iterator for Verdicts {
    type Item = Result<Judgement>;

    fn next(&mut self) -> Option<Result<Judgement>> {
        let std::cmp::Reverse((_, idx, JudgementOrd(judgement))) = self.heap.pop()?;
        match next_record(&mut self.readers[idx]) {
            Ok(Some((seq, next))) => {
                self.heap.push(std::cmp::Reverse((seq, idx, JudgementOrd(next))));
            }
            Ok(None) => {}
            Err(err) => return Some(Err(err)),
        }
        Some(Ok(judgement))
    }
}

/// Judges every request recorded by `as_of` (those whose clock started in
/// `period`) under `rule_set`, from one read that checks the whole chain.
pub fn judge(
    ledger: &Ledger,
    rule_set: &RuleSet,
    as_of: Timestamp,
    period: &metrics::Period,
) -> Result<Verdicts> {
    let mut split = crate::read::split(ledger, rule_set, as_of)?;
    let parts = split
        .fold(
            |events, seqs, shared| {
                judge_part(events, seqs, shared, rule_set, as_of, period).map(|part| vec![part])
            },
            |all: &mut Result<Vec<Part>>, more: Result<Vec<Part>>| match more {
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
    let mut unregistered = BTreeSet::new();
    let mut readers = Vec::with_capacity(parts.len());
    for part in parts {
        unregistered.extend(part.unregistered);
        readers.push(BufReader::with_capacity(1 << 16, part.file));
    }
    let mut heap = BinaryHeap::new();
    for (idx, reader) in readers.iter_mut().enumerate() {
        if let Some((seq, judgement)) = next_record(reader)? {
            heap.push(std::cmp::Reverse((seq, idx, JudgementOrd(judgement))));
        }
    }
    Ok(Verdicts { provenance: split.provenance, unregistered, readers, heap })
}
