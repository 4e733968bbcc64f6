//! The report over a ledger of any size: one read of the ledger that checks
//! the chain and feeds [`metrics::Scan`], request events sent to their
//! patient's part (kept in memory, or spilled to temporary files when the
//! ledger is large), then the parts computed on every core and merged. See
//! `metrics::scan` for why the result does not depend on the split.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use events::Event;
use jiff::Timestamp;
use ledger::{Checked, Ledger, StoredEvent};
use metrics::{GroupBy, Partial, Report, Route, Router, Scan, Shared};
use rules::RuleSet;

use crate::provenance::Provenance;
use crate::{Error, Result};

/// Events a part holds, by default: a part is held parsed in memory while
/// it is computed, one part per core at a time.
const PART_EVENTS: u64 = 1_000_000;

/// Read from this environment variable, the events per part (for tests and
/// for machines with little memory).
const PART_EVENTS_VAR: &str = "CAREQUEUE_REPORT_PART_EVENTS";

/// At most this many parts (open files) however small they are asked to be.
const MAX_PARTS: u64 = 512;

/// Events handed from the reading thread to the scanning one at a time.
const CHUNK: usize = 256;

/// Where a part's events wait for pass two.
enum Sink {
    Memory(Vec<(u64, Event)>),
    /// Events in their binary encoding (`Event::encode`), each after its
    /// sequence number and length.
    File {
        writer: BufWriter<File>,
        path: std::path::PathBuf,
        buffer: Vec<u8>,
        /// Events written.
        count: usize,
    },
}

impl Sink {
    fn push(&mut self, stored: StoredEvent) -> Result<()> {
        match self {
            Sink::Memory(events) => events.push((stored.seq, stored.event)),
            Sink::File { writer, path, buffer, count } => {
                *count += 1;
                buffer.clear();
                stored.event.encode(buffer);
                let len = u32::try_from(buffer.len())
                    .map_err(|_| Error::Work("an event over 4 GB".to_owned()))?;
                writer
                    .write_all(&stored.seq.to_le_bytes())
                    .and_then(|()| writer.write_all(&len.to_le_bytes()))
                    .and_then(|()| writer.write_all(buffer))
                    .map_err(|err| Error::io("write", path, err))?;
            }
        }
        Ok(())
    }

    /// The part's events, in ledger order, and their sequence numbers.
    fn load(self) -> Result<(Vec<u64>, Vec<Event>)> {
        let mut events = match self {
            Sink::Memory(events) => events,
            Sink::File { writer, path, count, .. } => {
                let file = writer
                    .into_inner()
                    .map_err(|err| Error::io("write", &path, err.into_error()))?;
                drop(file);
                read_spilled(&path, count)?
            }
        };
        // Events routed after their request was opened come last.
        events.sort_by_key(|(seq, _)| *seq);
        Ok(events.into_iter().unzip())
    }
}

/// The `count` events spilled to `path`.
fn read_spilled(path: &std::path::Path, count: usize) -> Result<Vec<(u64, Event)>> {
    let file = File::open(path).map_err(|err| Error::io("read", path, err))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut events = Vec::with_capacity(count);
    let mut head = [0u8; 12];
    let mut body = Vec::new();
    loop {
        match reader.read_exact(&mut head) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(err) => return Err(Error::io("read", path, err)),
        }
        let seq = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
        let len = u32::from_le_bytes(head[8..].try_into().expect("4 bytes")) as usize;
        // An event is at most a 1 MiB line of JSON, and its encoding shorter.
        if len > formats::MAX_LINE_BYTES {
            return Err(Error::Work(format!(
                "{}: event {seq} is {len} bytes long (the file was changed)",
                path.display()
            )));
        }
        body.resize(len, 0);
        reader.read_exact(&mut body).map_err(|err| Error::io("read", path, err))?;
        let event = Event::decode(&body)
            .map_err(|err| Error::Work(format!("{}: event {seq}: {err}", path.display())))?;
        events.push((seq, event));
    }
    if events.len() != count {
        return Err(Error::Work(format!(
            "{}: {} events read back of the {count} written (the temporary file was changed)",
            path.display(),
            events.len()
        )));
    }
    Ok(events)
}

/// The events per part: [`PART_EVENTS`] or the environment's choice.
fn part_events() -> Result<u64> {
    match std::env::var(PART_EVENTS_VAR) {
        Ok(text) => text.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Error::Work(format!("{PART_EVENTS_VAR}: expected a positive number, found {text:?}"))
        }),
        Err(_) => Ok(PART_EVENTS),
    }
}

/// The ledger read once: the chain checked, the scan's shared facts, and
/// the live request events split into parts by patient.
pub struct Split {
    /// The scan's facts shared by every part.
    pub shared: Shared,
    /// The chain's check and the batches counted and left out.
    pub provenance: Provenance,
    sinks: Vec<Sink>,
    spill: bool,
    stored: u64,
    /// The spilled parts' directory, removed when the split is dropped.
    _dir: Option<tempfile::TempDir>,
}

/// Reads the events recorded by `as_of` once, checking the whole chain,
/// and splits them into parts (in memory, or spilled to disk when the
/// ledger holds more than a part's worth).
pub fn split(ledger: &Ledger, rule_set: &RuleSet, as_of: Timestamp) -> Result<Split> {
    let stored = ledger.head()?.seq;
    let per_part = part_events()?;
    let spill = stored > per_part;
    let parts = if spill {
        usize::try_from(stored.div_ceil(per_part).min(MAX_PARTS)).unwrap_or(1).max(cores())
    } else {
        cores()
    };
    let dir = if spill {
        Some(tempfile::Builder::new().prefix("carequeue-report").tempdir().map_err(|err| {
            Error::Work(format!(
                "cannot create a temporary directory for the report's parts (TMPDIR chooses \
                 where): {err}"
            ))
        })?)
    } else {
        None
    };
    let mut sinks = (0..parts)
        .map(|part| match &dir {
            None => Ok(Sink::Memory(Vec::new())),
            Some(dir) => {
                let path = dir.path().join(format!("part-{part}"));
                let file = File::create(&path).map_err(|err| Error::io("create", &path, err))?;
                let writer = BufWriter::with_capacity(1 << 16, file);
                Ok(Sink::File { writer, path, buffer: Vec::new(), count: 0 })
            }
        })
        .collect::<Result<Vec<Sink>>>()?;

    // This thread reads and checks the chain; another scans and routes.
    let (sender, receiver) = mpsc::sync_channel::<Vec<StoredEvent>>(4);
    // Emptied chunks go back to the reader: allocating a fresh one each time
    // costs the kernel's page zeroing.
    let (empty_sender, empty_receiver) = mpsc::channel::<Vec<StoredEvent>>();
    let (checked, scan) = std::thread::scope(|scope| -> Result<(Checked, Scan)> {
        let sinks = &mut sinks;
        let scanner = std::thread::Builder::new()
            .name("report-scan".into())
            .spawn_scoped(scope, move || -> Result<Scan> {
                let mut scan = Scan::new(as_of);
                let mut router = Router::new(parts);
                let mut unknown = Vec::new();
                for mut chunk in receiver {
                    for stored in chunk.drain(..) {
                        let voided = stored.voided_by.is_some();
                        let recorded =
                            metrics::Recorded { at: stored.recorded_at, backfill: stored.backfill };
                        scan.observe(&stored.event, recorded, voided);
                        if voided {
                            continue;
                        }
                        match router.route(&stored.event) {
                            Route::Shared => {}
                            Route::Part(part) => sinks[part].push(stored)?,
                            Route::Unknown => unknown.push(stored),
                        }
                    }
                    let _ = empty_sender.send(chunk);
                }
                for stored in unknown {
                    if let Route::Part(part) = router.route(&stored.event) {
                        sinks[part].push(stored)?;
                    }
                }
                Ok(scan)
            })
            .map_err(|err| Error::Work(format!("cannot start a thread: {err}")))?;
        let mut chunk = Vec::with_capacity(CHUNK);
        let read = ledger.verify_and_read(Some(as_of), |stored| {
            chunk.push(stored);
            if chunk.len() == CHUNK {
                let empty = empty_receiver.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK));
                sender
                    .send(std::mem::replace(&mut chunk, empty))
                    .map_err(|_| "the scan stopped")?;
            }
            Ok(())
        });
        let last = if chunk.is_empty() { Ok(()) } else { sender.send(chunk) };
        drop(sender);
        let scan = match scanner.join() {
            Ok(scan) => scan?,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        let checked = read?;
        last.map_err(|_| Error::Work("the scan stopped".to_owned()))?;
        Ok((checked, scan))
    })?;
    let shared = scan.finish(rule_set);
    let provenance = Provenance::new(&checked.verification, &checked.batches, Some(as_of));
    Ok(Split { shared, provenance, sinks, spill, stored, _dir: dir })
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl std::fmt::Debug for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Split")
            .field("parts", &self.sinks.len())
            .field("spill", &self.spill)
            .field("stored", &self.stored)
            .finish_non_exhaustive()
    }
}

impl Split {
    /// Computes each part's events (with their sequence numbers) with
    /// `compute`, a part per core at a time, and adds the results up with
    /// `merge` (in no particular order; `merge` must not care). `None` when
    /// there is no part.
    pub fn fold<T: Send>(
        &mut self,
        compute: impl Fn(&[&Event], &[u64], &Shared) -> T + Sync,
        merge: impl Fn(&mut T, T) + Sync,
    ) -> Result<Option<T>> {
        let sinks: Vec<std::sync::Mutex<Option<Sink>>> = std::mem::take(&mut self.sinks)
            .into_iter()
            .map(|s| std::sync::Mutex::new(Some(s)))
            .collect();
        let shared = &self.shared;
        let (compute, merge) = (&compute, &merge);
        let next = AtomicUsize::new(0);
        let workers = cores().clamp(1, sinks.len().max(1));
        let results = std::thread::scope(|scope| {
            let handles = (0..workers)
                .map(|_| {
                    std::thread::Builder::new().name("report-part".into()).spawn_scoped(
                        scope,
                        || -> Result<Option<T>> {
                            let mut mine: Option<T> = None;
                            loop {
                                let idx = next.fetch_add(1, Ordering::Relaxed);
                                let Some(slot) = sinks.get(idx) else { return Ok(mine) };
                                let sink = slot
                                    .lock()
                                    .map_err(|_| Error::Work("a part's lock was poisoned".into()))?
                                    .take()
                                    .ok_or_else(|| {
                                        Error::Work(format!("part {idx} taken twice"))
                                    })?;
                                let (seqs, events) = sink.load()?;
                                let refs: Vec<&Event> = events.iter().collect();
                                let result = compute(&refs, &seqs, shared);
                                match &mut mine {
                                    Some(mine) => merge(mine, result),
                                    None => mine = Some(result),
                                }
                            }
                        },
                    )
                })
                .collect::<std::io::Result<Vec<_>>>()
                .map_err(|err| Error::Work(format!("cannot start a thread: {err}")))?;
            handles
                .into_iter()
                .map(|h| match h.join() {
                    Ok(result) => result,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect::<Result<Vec<Option<T>>>>()
        })?;
        let mut merged: Option<T> = None;
        for result in results.into_iter().flatten() {
            match &mut merged {
                Some(merged) => merge(merged, result),
                None => merged = Some(result),
            }
        }
        Ok(merged)
    }
}

/// How long a report's phases took, and how it was computed.
#[derive(Debug, Clone)]
pub struct Timing {
    /// Events read (and the chain checked).
    pub events: u64,
    /// Parts the events were split into.
    pub parts: usize,
    /// Whether the parts were spilled to disk.
    pub spilled: bool,
    /// Threads that computed the parts.
    pub threads: usize,
    /// Reading the ledger and checking the chain.
    pub read: std::time::Duration,
    /// Computing the parts.
    pub compute: std::time::Duration,
    /// Adding them up into the report.
    pub totals: std::time::Duration,
}

impl std::fmt::Display for Timing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} events read and the chain checked, {} parts {} ({:.2} s); parts computed on {} \
             threads ({:.2} s); totals ({:.2} s)",
            self.events,
            self.parts,
            if self.spilled { "spilled to disk" } else { "in memory" },
            self.read.as_secs_f64(),
            self.threads,
            self.compute.as_secs_f64(),
            self.totals.as_secs_f64(),
        )
    }
}

/// A report and what its read saw of the ledger.
#[derive(Debug)]
pub struct ReportRead {
    /// The report.
    pub report: Report,
    /// The chain's check and the batches counted and left out.
    pub provenance: Provenance,
    /// How long each phase took.
    pub timing: Timing,
}

/// The report of the events recorded by `as_of` over `networks`, and the
/// chain's check of the whole ledger with the batches counted, from one
/// read.
pub fn report(
    ledger: &Ledger,
    rule_set: &RuleSet,
    as_of: Timestamp,
    by: &[GroupBy],
    period: &metrics::Period,
    networks: &metrics::Networks,
) -> Result<ReportRead> {
    let started = std::time::Instant::now();
    let mut split = split(ledger, rule_set, as_of)?;
    let read_at = started.elapsed();
    let parts = split.sinks.len();
    let partial = split
        .fold(
            |events, seqs, shared| {
                let (events, _) = networks.select(events, seqs, shared);
                Partial::compute(&events, shared, rule_set, as_of, by, period)
            },
            |mine, theirs| mine.merge(theirs, rule_set),
        )?
        // An empty ledger still has one (empty) part.
        .unwrap_or_else(|| Partial::compute(&[], &split.shared, rule_set, as_of, by, period));
    let parts_at = started.elapsed();
    let Split { shared, provenance, spill, stored, .. } = split;
    let report =
        metrics::finish(shared, partial, rule_set, as_of, by, provenance.broken(), networks);
    let timing = Timing {
        events: stored,
        parts,
        spilled: spill,
        threads: cores(),
        read: read_at,
        compute: parts_at - read_at,
        totals: started.elapsed() - parts_at,
    };
    Ok(ReportRead { report, provenance, timing })
}
