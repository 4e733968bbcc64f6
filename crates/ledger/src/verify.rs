//! Walking the chain: proof that no stored event was changed, removed,
//! reordered or inserted.

use std::cell::RefCell;

use crate::StoredEvent;
use crate::chain::{GENESIS, Head, batch_hash, entry_hash, parse_recorded_at};
use crate::error::Error;
use crate::seq_as_of;
use crate::store::{BatchRow, ReadTo, Store, StoredRow};

/// The outcome of [`crate::Ledger::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Every check passed.
    Valid {
        /// The number of events.
        n_events: u64,
        /// The number of batches.
        n_batches: u64,
        /// The head of the chain.
        head: Head,
    },
    /// A check failed; this is the first failure in sequence order.
    Broken(Break),
}

/// The first failed check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The sequence number at which the chain breaks, when it breaks at an
    /// event.
    pub seq: Option<u64>,
    /// The id stored at that row, when there is one.
    pub event_id: Option<String>,
    /// What failed.
    pub reason: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.seq, &self.event_id) {
            (Some(seq), Some(id)) => write!(f, "event {seq} ({id:?}): {}", self.reason),
            (Some(seq), None) => write!(f, "event {seq}: {}", self.reason),
            _ => f.write_str(&self.reason),
        }
    }
}

struct Walk<'b> {
    batches: Vec<BatchRow>,
    batch_idx: usize,
    expected: Option<&'b Head>,
    expected_seen: bool,
    seq: u64,
    hash: String,
    recorded_at: String,
}

impl Walk<'_> {
    fn fail(row: &StoredRow, reason: String) -> Break {
        Break { seq: Some(row.seq), event_id: Some(row.event_id.clone()), reason }
    }

    /// Checks the batches that end at the current head (those with no new
    /// events included).
    fn close_batches(&mut self) -> Result<(), Break> {
        while let Some(batch) = self.batches.get(self.batch_idx) {
            if batch.last_seq != self.seq {
                break;
            }
            if batch.head_hash != self.hash {
                return Err(Break {
                    seq: Some(self.seq),
                    event_id: None,
                    reason: format!(
                        "batch {} records head hash {} but the chain has {}",
                        batch.batch_id, batch.head_hash, self.hash
                    ),
                });
            }
            self.batch_idx += 1;
        }
        Ok(())
    }

    /// Checks the next row and returns its event, parsed.
    fn check(
        &mut self,
        row: &StoredRow,
        body: Result<events::Event, String>,
    ) -> Result<events::Event, Break> {
        let expected_seq = self.seq + 1;
        if row.seq != expected_seq {
            return Err(Walk::fail(
                row,
                format!(
                    "expected sequence number {expected_seq}: an event is missing or out of place"
                ),
            ));
        }
        // An event recorded with the one before was checked with it (the
        // first is always checked).
        let checked_before = self.seq > 0 && row.recorded_at == self.recorded_at;
        if !checked_before
            && (parse_recorded_at(&row.recorded_at).is_none() || row.recorded_at < self.recorded_at)
        {
            return Err(Walk::fail(
                row,
                format!(
                    "recorded_at {:?} is malformed or earlier than the previous event's {:?}",
                    row.recorded_at, self.recorded_at
                ),
            ));
        }
        // Hashed under its batch's kind (a missing batch is a break below).
        let kind = self
            .batches
            .get(self.batch_idx)
            .filter(|b| b.first_seq <= row.seq && row.seq <= b.last_seq)
            .map_or(crate::BatchKind::Live, |b| b.kind);
        let hash = entry_hash(kind, &self.hash, row.seq, &row.recorded_at, row.body.as_bytes());
        if hash != row.hash {
            return Err(Walk::fail(
                row,
                format!("hash mismatch: stored {} but the chain gives {hash}", row.hash),
            ));
        }
        let event = body.map_err(|reason| Walk::fail(row, reason))?;
        let batch = self
            .batches
            .get(self.batch_idx)
            .filter(|b| b.first_seq <= row.seq && row.seq <= b.last_seq);
        match batch {
            Some(batch) if batch.recorded_at == row.recorded_at => {}
            Some(batch) => {
                return Err(Walk::fail(
                    row,
                    format!(
                        "recorded_at {:?} differs from its batch {}'s {:?}",
                        row.recorded_at, batch.batch_id, batch.recorded_at
                    ),
                ));
            }
            None => return Err(Walk::fail(row, "no batch records this event".to_owned())),
        }
        self.seq = row.seq;
        self.hash = hash;
        self.recorded_at.clone_from(&row.recorded_at);
        if let Some(expected) = self.expected.filter(|expected| expected.seq == self.seq) {
            self.expected_seen = true;
            if expected.hash != self.hash {
                return Err(Walk::fail(
                    row,
                    format!("the expected head is {expected} but the chain has {}", self.hash),
                ));
            }
        }
        self.close_batches()?;
        Ok(event)
    }
}

/// Checks that the row's body is an event in canonical form and that the
/// columns derived from it agree with it.
fn check_body(row: &StoredRow) -> Result<events::Event, String> {
    let event = formats::event_from_json(&row.body)
        .map_err(|err| format!("body is not a valid event: {err}"))?;
    if event.canonical_json() != row.body.as_bytes() {
        return Err("body is not in canonical form".to_owned());
    }
    let creates = event.creates().map(|(entity, id)| format!("{}:{id}", entity.as_str()));
    let derived = [
        ("event_id", Some(event.event_id.as_str()), Some(row.event_id.as_str())),
        ("type", Some(event.event_type().as_str()), Some(row.event_type.as_str())),
        ("request_id", event.request_id().map(|id| id.as_str()), row.request_id.as_deref()),
        ("creates", creates.as_deref(), row.creates.as_deref()),
        ("voids", event.voids().map(|id| id.as_str()), row.voids.as_deref()),
    ];
    for (column, from_body, stored) in derived {
        if from_body != stored {
            return Err(format!("column {column} is {stored:?} but the body says {from_body:?}"));
        }
    }
    Ok(event)
}

/// Where a walk that also reads gives the events: those recorded by `as_of`,
/// each with its voids as of then.
pub(crate) struct Deliver<'a> {
    pub(crate) as_of: Option<jiff::Timestamp>,
    pub(crate) each: &'a mut dyn FnMut(StoredEvent) -> Result<(), Error>,
    /// Set to the batches of the read's snapshot (all of them, including
    /// those recorded after `as_of`).
    pub(crate) batches: &'a mut Vec<BatchRow>,
}

pub(crate) fn verify(store: &dyn Store, expected: Option<&Head>) -> Result<Verification, Error> {
    walk(store, expected, None)
}

/// Walks the chain as [`verify`] does and, with `deliver`, gives it the
/// events in the same read: one scan of the ledger checks it and feeds a
/// report. A break stops the checking, not the delivery.
pub(crate) fn walk(
    store: &dyn Store,
    expected: Option<&Head>,
    mut deliver: Option<Deliver<'_>>,
) -> Result<Verification, Error> {
    if let Some(head) = expected.filter(|head| head.seq == 0 && head.hash != GENESIS) {
        return Ok(Verification::Broken(Break {
            seq: None,
            event_id: None,
            reason: format!("the expected head {head} is not a valid empty-ledger head"),
        }));
    }
    // The batches and the events are read in one snapshot, so that an
    // append committing meanwhile cannot look like tampering.
    let walk: RefCell<Option<Walk<'_>>> = RefCell::new(None);
    let broken: RefCell<Option<Break>> = RefCell::new(None);
    let delivering = deliver.is_some();
    let as_of = deliver.as_ref().and_then(|d| d.as_of);
    let deliver_to = std::cell::Cell::new(u64::MAX);
    let mut last = crate::LastRecordedAt::default();
    let seen: RefCell<Vec<BatchRow>> = RefCell::new(Vec::new());
    let backfill = RefCell::new(crate::Backfilled::default());
    let read = read_beside(
        store,
        &mut |batches| {
            if delivering {
                *seen.borrow_mut() = batches.to_vec();
                *backfill.borrow_mut() = crate::Backfilled::new(batches);
            }
            let to = match as_of {
                Some(as_of) => {
                    deliver_to.set(seq_as_of(batches, as_of));
                    ReadTo { events: None, voids: Some(deliver_to.get()) }
                }
                None => ReadTo::both(None),
            };
            if let Some(problem) = check_batches(batches) {
                *broken.borrow_mut() = Some(problem);
                return if delivering { to } else { ReadTo::both(Some(0)) };
            }
            let mut start = Walk {
                batches: batches.to_vec(),
                batch_idx: 0,
                expected,
                expected_seen: expected.is_some_and(|head| head.seq == 0),
                seq: 0,
                hash: GENESIS.to_owned(),
                recorded_at: String::new(),
            };
            if let Err(problem) = start.close_batches() {
                *broken.borrow_mut() = Some(problem);
                return if delivering { to } else { ReadTo::both(Some(0)) };
            }
            *walk.borrow_mut() = Some(start);
            to
        },
        &mut |(row, body)| {
            let mut event = None;
            if broken.borrow().is_none()
                && let Some(walk) = walk.borrow_mut().as_mut()
            {
                match walk.check(&row, body) {
                    Ok(checked) => event = Some(checked),
                    Err(problem) => {
                        *broken.borrow_mut() = Some(problem);
                        if !delivering {
                            return Err(Error::Callback("stop".into()));
                        }
                    }
                }
            } else if let Ok(parsed) = body {
                event = Some(parsed);
            }
            match deliver.as_mut() {
                Some(deliver) if row.seq <= deliver_to.get() => {
                    let backfill = backfill.borrow_mut().contains(row.seq);
                    (deliver.each)(crate::stored_event(row, event, backfill, &mut last)?)
                }
                _ => Ok(()),
            }
        },
    );
    if let Some(deliver) = deliver {
        *deliver.batches = seen.into_inner();
    }
    // A delivering read does not stop at a break, so its errors are real.
    let read = if delivering { Ok(read?) } else { read };
    if let Some(broken) = broken.into_inner() {
        return Ok(Verification::Broken(broken));
    }
    read?;
    let Some(walk) = walk.into_inner() else {
        return Err(Error::Corrupt { seq: 0, reason: "the batches were not read".to_owned() });
    };
    let batches = &walk.batches;
    let last_batch_seq = batches.last().map_or(0, |b| b.last_seq);
    if walk.batch_idx != batches.len() || last_batch_seq != walk.seq {
        return Ok(Verification::Broken(Break {
            seq: Some(walk.seq + 1),
            event_id: None,
            reason: format!(
                "the batches record {last_batch_seq} events but the chain holds {}: \
                 events were removed from the end",
                walk.seq
            ),
        }));
    }
    if let Some(head) = expected.filter(|_| !walk.expected_seen) {
        return Ok(Verification::Broken(Break {
            seq: Some(head.seq),
            event_id: None,
            reason: format!(
                "the expected head {head} is beyond the chain's end at {}: events were removed",
                walk.seq
            ),
        }));
    }
    Ok(Verification::Valid {
        n_events: walk.seq,
        n_batches: batches.len() as u64,
        head: Head { seq: walk.seq, hash: walk.hash },
    })
}

/// Rows handed from the reading thread at a time.
const ROWS: usize = 256;

/// A row, with its body parsed and checked ([`check_body`]).
type Checked = (StoredRow, Result<events::Event, String>);

/// Threads that parse and check bodies beside the reading thread.
fn checkers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8)
}

/// [`Store::read`] on a thread of its own, with the bodies parsed and
/// checked ([`check_body`]) on others, so that the database's work, the
/// body checks and the chain's walk run side by side; `pick` and `each` run
/// on this thread, which gets the rows back in order.
fn read_beside(
    store: &dyn Store,
    pick: &mut dyn FnMut(&[BatchRow]) -> ReadTo,
    each: &mut dyn FnMut(Checked) -> Result<(), Error>,
) -> Result<(), Error> {
    use std::sync::Mutex;
    use std::sync::mpsc::{channel, sync_channel};
    let (batches_sender, batches_receiver) = sync_channel::<Vec<BatchRow>>(1);
    let (to_sender, to_receiver) = sync_channel::<ReadTo>(1);
    // Numbered chunks of rows, to the checkers; checked chunks, to this
    // thread. Emptied chunks go back to be filled again: allocating fresh
    // ones costs the kernel's page zeroing.
    let (raw_sender, raw_receiver) = sync_channel::<(u64, Vec<StoredRow>)>(8);
    let raw_receiver = Mutex::new(raw_receiver);
    let (empty_raw_sender, empty_raw_receiver) = channel::<Vec<StoredRow>>();
    let (empty_checked_sender, empty_checked_receiver) = channel::<Vec<Checked>>();
    let empty_checked_receiver = Mutex::new(empty_checked_receiver);
    // Set when this thread stops taking rows: the reader then stops reading.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let start = |name: &str| std::thread::Builder::new().name(name.to_owned());
    let cannot_start = |err: std::io::Error| {
        Error::Callback(format!("cannot start a reading thread: {err}").into())
    };
    std::thread::scope(|scope| {
        // Made here, so that a panic on this thread drops the receiver and
        // the checkers' sends fail rather than wait.
        let (checked_sender, checked_receiver) = sync_channel::<(u64, Vec<Checked>)>(8);
        let stop = &stop;
        let reader = start("ledger-read")
            .spawn_scoped(scope, move || {
                let stopped = || Error::Callback("the reader stopped".into());
                let mut chunk = Vec::with_capacity(ROWS);
                let mut number = 0u64;
                let read = store.read(
                    &mut |batches| {
                        // Nothing is read when the other side is gone.
                        if batches_sender.send(batches.to_vec()).is_err() {
                            return ReadTo::both(Some(0));
                        }
                        to_receiver.recv().unwrap_or(ReadTo::both(Some(0)))
                    },
                    &mut |row| {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            return Err(stopped());
                        }
                        chunk.push(row);
                        if chunk.len() == ROWS {
                            let empty = empty_raw_receiver
                                .try_recv()
                                .unwrap_or_else(|_| Vec::with_capacity(ROWS));
                            let full = std::mem::replace(&mut chunk, empty);
                            raw_sender.send((number, full)).map_err(|_| stopped())?;
                            number += 1;
                        }
                        Ok(())
                    },
                );
                // The number of chunks sent, so that none can go missing.
                match read {
                    Ok(()) if !chunk.is_empty() => {
                        raw_sender.send((number, chunk)).map_err(|_| stopped())?;
                        Ok(number + 1)
                    }
                    Ok(()) => Ok(number),
                    Err(err) => Err(err),
                }
            })
            .map_err(cannot_start)?;
        for _ in 0..checkers() {
            let checked_sender = checked_sender.clone();
            let empty_raw_sender = empty_raw_sender.clone();
            let (raw_receiver, empty_checked_receiver) = (&raw_receiver, &empty_checked_receiver);
            start("ledger-check")
                .spawn_scoped(scope, move || {
                    loop {
                        let next = match raw_receiver.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        let Ok((number, mut rows)) = next else { return };
                        let mut checked = empty_checked_receiver
                            .lock()
                            .ok()
                            .and_then(|receiver| receiver.try_recv().ok())
                            .unwrap_or_else(|| Vec::with_capacity(ROWS));
                        for row in rows.drain(..) {
                            let body = check_body(&row);
                            checked.push((row, body));
                        }
                        let _ = empty_raw_sender.send(rows);
                        if checked_sender.send((number, checked)).is_err() {
                            return;
                        }
                    }
                })
                .map_err(cannot_start)?;
        }
        drop(checked_sender);
        drop(empty_raw_sender);
        // However this thread leaves, by return or by panic, the reader is
        // stopped and whatever it still sends is taken, so that it ends.
        let unblock = Unblock { stop, raw: &raw_receiver };
        let mut outcome = Ok(());
        // The batches come first (the reader waits for the answer); none come
        // when the reader failed to start its read.
        if let Ok(batches) = batches_receiver.recv() {
            let _ = to_sender.send(pick(&batches));
        }
        // Chunks arrive in any order; they are taken in the reader's.
        let mut waiting: std::collections::BTreeMap<u64, Vec<Checked>> = Default::default();
        let mut next = 0u64;
        'chunks: for (number, chunk) in checked_receiver.iter() {
            waiting.insert(number, chunk);
            while let Some(mut rows) = waiting.remove(&next) {
                next += 1;
                for row in rows.drain(..) {
                    if let Err(err) = each(row) {
                        outcome = Err(err);
                        break 'chunks;
                    }
                }
                let _ = empty_checked_sender.send(rows);
            }
        }
        // Dropping these stops the other threads still sending or waiting.
        drop(checked_receiver);
        drop(to_sender);
        drop(batches_receiver);
        drop(unblock);
        let read = match reader.join() {
            Ok(read) => read,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        match (outcome, read) {
            (Err(err), _) | (Ok(()), Err(err)) => Err(err),
            // Only a checker gone (it would have panicked) leaves chunks
            // untaken.
            (Ok(()), Ok(sent)) if sent != next || !waiting.is_empty() => {
                Err(Error::Callback("rows were lost between the reading threads".into()))
            }
            (Ok(()), Ok(_)) => Ok(()),
        }
    })
}

/// Stops the reading thread and takes what it still sends, when dropped.
struct Unblock<'a> {
    stop: &'a std::sync::atomic::AtomicBool,
    raw: &'a std::sync::Mutex<std::sync::mpsc::Receiver<(u64, Vec<StoredRow>)>>,
}

impl Drop for Unblock<'_> {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Until the reader has gone (its sender dropped).
        while let Ok(receiver) = self.raw.lock() {
            if receiver.recv().is_err() {
                break;
            }
        }
    }
}

/// Checks that the batches are numbered 1, 2, 3, ..., chained by their
/// hashes, and cover the sequence numbers without gap or overlap, with
/// consistent counts.
fn check_batches(batches: &[BatchRow]) -> Option<Break> {
    let mut last_seq = 0;
    let mut recorded_at = "";
    let mut prev_hash = GENESIS;
    for (idx, batch) in batches.iter().enumerate() {
        let computed = batch_hash(prev_hash, batch);
        if computed != batch.batch_hash {
            return Some(Break {
                seq: None,
                event_id: None,
                reason: format!(
                    "batch record {} is changed: its hash is {} but its contents give {computed}",
                    batch.batch_id, batch.batch_hash
                ),
            });
        }
        prev_hash = &batch.batch_hash;
        let expected_id = idx as u64 + 1;
        let consistent = batch.batch_id == expected_id
            && batch.first_seq == last_seq + 1
            && batch.last_seq + 1 == batch.first_seq + batch.n_new
            && batch.n_new + batch.n_duplicate == batch.n_read
            && batch.recorded_at.as_str() >= recorded_at;
        if !consistent {
            return Some(Break {
                seq: None,
                event_id: None,
                reason: format!(
                    "batch record {expected_id} is inconsistent with its neighbours: {batch:?}"
                ),
            });
        }
        last_seq = batch.last_seq;
        recorded_at = &batch.recorded_at;
    }
    None
}
