//! The append algorithm, written once for every backend.

use std::collections::HashMap;
use std::fmt;

use events::{Event, EventType};
use jiff::{SignedDuration, Timestamp};

use crate::chain::{Chain, Head, batch_hash, format_recorded_at};
use crate::error::Error;
use crate::store::{BatchKind, BatchRow, Candidate, Deferred, Found, Outcome, RefQuery, Store};

/// Events are handed to the backend this many at a time.
const CHUNK: usize = 2048;

/// An event read from a source, prepared for appending: its line, its
/// canonical encoding and the keys the ledger looks up, in one buffer.
///
/// Preparing is the costly part of reading; [`Incoming::new`] does it all,
/// so that a reader thread can, and the ledger's writer thread only stores.
#[derive(Debug, Clone)]
pub struct Incoming {
    line: u64,
    event_type: EventType,
    /// The canonical body, then the other strings below, back to back.
    text: String,
    body_end: usize,
    event_id: Span,
    request_id: Option<Span>,
    creates: Option<Span>,
    voids: Option<Span>,
    refs: [Option<RefKey>; 2],
    /// When it happened, and when the source first recorded it.
    occurred_at: events::Instant,
    entered_at: Option<events::Instant>,
}

/// A range of [`Incoming::text`].
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
}

/// A reference that must resolve, with its lookup key.
#[derive(Debug, Clone, Copy)]
struct RefKey {
    field: events::Field,
    /// An event id (from `voids`) rather than an entity key (`request:R1`).
    is_event: bool,
    key: Span,
    same_request: bool,
}

impl Incoming {
    /// Prepares an event for appending.
    pub fn new(line: u64, event: Event) -> Incoming {
        let mut text = String::from_utf8(event.canonical_json()).unwrap_or_default();
        let body_end = text.len();
        let mut push = |parts: &[&str]| {
            let start = text.len() as u32;
            for part in parts {
                text.push_str(part);
            }
            Span { start, end: text.len() as u32 }
        };
        let event_id = push(&[event.event_id.as_str()]);
        let request_id = event.request_id().map(|id| push(&[id.as_str()]));
        let creates = event.creates().map(|(entity, id)| push(&[entity.as_str(), ":", id]));
        let voids = event.voids().map(|id| push(&[id.as_str()]));
        let mut refs = [None; 2];
        for (slot, reference) in refs.iter_mut().zip(event.references()) {
            let is_event = reference.entity == events::Entity::Event;
            let key = if is_event {
                push(&[reference.id])
            } else {
                push(&[reference.entity.as_str(), ":", reference.id])
            };
            *slot = Some(RefKey {
                field: reference.field,
                is_event,
                key,
                same_request: reference.same_request,
            });
        }
        Incoming {
            line,
            occurred_at: event.occurred_at,
            entered_at: event.entered_at,
            event_type: event.event_type(),
            text,
            body_end,
            event_id,
            request_id,
            creates,
            voids,
            refs,
        }
    }

    fn span(&self, span: Span) -> &str {
        &self.text[span.start as usize..span.end as usize]
    }

    /// The line of the source the event came from.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The event's canonical encoding.
    pub fn body(&self) -> &str {
        &self.text[..self.body_end]
    }

    /// The event's id.
    pub fn event_id(&self) -> &str {
        self.span(self.event_id)
    }

    /// The event's type.
    pub fn event_type(&self) -> EventType {
        self.event_type
    }
}

/// How far a clock may run behind the ledger's last `recorded_at` before an
/// append is refused rather than recorded at that last moment (a clock
/// stepped back by its time service, say).
pub const CLOCK_TOLERANCE: SignedDuration = SignedDuration::from_secs(5);

/// How far after its batch's `recorded_at` an event's `occurred_at` (or
/// `entered_at`) may lie: the source's clock and ours differ a little. An
/// event later than that has not happened yet, and is rejected.
pub const FUTURE_TOLERANCE: SignedDuration = SignedDuration::from_secs(5 * 60);

/// Where a batch's `recorded_at` comes from.
#[derive(Debug, Clone, Copy)]
pub enum RecordedAt {
    /// Now, as this host's clock (the function given, which the ledger
    /// calls once it holds the write lock: an append that waited behind
    /// another is dated when it runs) reads it. A store with a clock of its
    /// own (PostgreSQL's server) uses that instead, so that every host
    /// appending to one ledger shares one clock.
    Now(fn() -> Timestamp),
    /// This moment exactly: a replay of history (the demo's weekly batches,
    /// tests).
    At(Timestamp),
}

/// How to append a batch.
#[derive(Debug, Clone)]
pub struct AppendOptions {
    /// The file or stream the batch comes from, kept with the batch.
    pub source: String,
    /// The moment to record. `recorded_at` never goes backwards: a moment up
    /// to [`CLOCK_TOLERANCE`] before the last batch's is recorded as that
    /// last moment; an earlier one refuses the append
    /// ([`Error::ClockBehind`]).
    pub recorded_at: RecordedAt,
    /// How many problems to report before only counting them.
    pub max_problems: usize,
    /// Store a batch that holds no event (an empty file, or a CSV header
    /// alone). Without it such a batch is rejected ([`Problem::NoEvents`]):
    /// an export that came out empty should not pass unnoticed.
    pub allow_empty: bool,
    /// Check the batch against the ledger exactly as an append would, then
    /// store nothing: [`Appended::Stored`] says what would have been stored.
    pub dry_run: bool,
    /// Live events, or history loaded after the fact (recorded in the
    /// batch's row and hashed with it).
    pub kind: BatchKind,
}

impl AppendOptions {
    /// Options for a batch from `source`, recorded as `recorded_at` says;
    /// up to 20 problems listed, empty batches rejected, stored for real.
    pub fn new(source: impl Into<String>, recorded_at: RecordedAt) -> AppendOptions {
        AppendOptions {
            source: source.into(),
            recorded_at,
            max_problems: 20,
            allow_empty: false,
            dry_run: false,
            kind: BatchKind::Live,
        }
    }
}

/// The result of an append.
#[derive(Debug)]
pub enum Appended<E> {
    /// Every event of the batch is stored (or was already stored).
    Stored(Summary),
    /// The batch was rejected; nothing of it is stored.
    Rejected(Rejection<E>),
}

/// What a stored batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The batch as recorded.
    pub batch: BatchRow,
    /// The ledger's head after the batch.
    pub head: Head,
}

/// Why a batch was rejected.
#[derive(Debug)]
pub struct Rejection<E> {
    /// The first problems, in the order found.
    pub problems: Vec<Problem<E>>,
    /// Problems found beyond those listed.
    pub n_more: u64,
    /// Events read from the source (records that were not events are not
    /// counted).
    pub n_read: u64,
}

/// One reason a batch was rejected.
#[derive(Debug)]
pub enum Problem<E> {
    /// The source could not be read as events.
    Source(E),
    /// A valid event conflicts with the ledger.
    Event(EventProblem),
    /// The source holds no event at all (it is empty, or a CSV header
    /// alone) and [`AppendOptions::allow_empty`] was not given.
    NoEvents,
}

/// A valid event that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventProblem {
    /// The line of the source.
    pub line: u64,
    /// The event's id.
    pub event_id: String,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong with an event that cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// Another event with the same id is stored with a different body.
    DifferentBody {
        /// The stored event's sequence number.
        seq: u64,
        /// The first field that differs, in words.
        difference: String,
    },
    /// The request, offer, appointment or slot this event creates already
    /// exists.
    AlreadyCreated {
        /// `request:R1` and the like.
        key: String,
        /// The event that created it.
        by_event_id: String,
    },
    /// The event this void voids was voided before.
    AlreadyVoided {
        /// The voided event.
        target: String,
        /// The earlier void.
        by_event_id: String,
    },
    /// A reference resolves neither to the ledger nor to the batch.
    Unresolved {
        /// The field holding it.
        field: String,
        /// What it refers to, as `request:R1` or `event:E1`.
        key: String,
    },
    /// A reference resolves to an entity of another request.
    WrongRequest {
        /// The field holding it.
        field: String,
        /// What it refers to.
        key: String,
        /// The request the entity belongs to.
        belongs_to: String,
        /// The request of the event.
        expected: String,
    },
    /// An `event.voided` voids another `event.voided`.
    VoidOfVoid {
        /// The void it names.
        target: String,
    },
    /// The event says it happened (`occurred_at`) or was entered
    /// (`entered_at`) after the moment it is being recorded, by more than
    /// [`FUTURE_TOLERANCE`].
    InTheFuture {
        /// `occurred_at` or `entered_at`.
        field: &'static str,
        /// Its value, as written.
        value: String,
        /// The batch's `recorded_at`.
        recorded_at: Timestamp,
    },
}

impl fmt::Display for EventProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "event {:?}: ", self.event_id)?;
        match &self.kind {
            ProblemKind::DifferentBody { seq, difference } => write!(
                f,
                "this event_id is already stored (ledger seq {seq}) with a different body: \
                 {difference}; an event is never edited, so record a correction as a new event \
                 (or void the old one)"
            ),
            ProblemKind::AlreadyCreated { key, by_event_id } => {
                write!(f, "{} was already created by event {by_event_id:?}", describe(key))
            }
            ProblemKind::AlreadyVoided { target, by_event_id } => {
                write!(f, "event {target:?} was already voided by event {by_event_id:?}")
            }
            ProblemKind::Unresolved { field, key } => write!(
                f,
                "field `{field}`: unknown {}; it is neither in the ledger nor in this file",
                describe(key)
            ),
            ProblemKind::WrongRequest { field, key, belongs_to, expected } => write!(
                f,
                "field `{field}`: {} belongs to request {belongs_to:?}, not to request {expected:?}",
                describe(key)
            ),
            ProblemKind::InTheFuture { field, value, recorded_at } => write!(
                f,
                "field `{field}`: expected a moment no later than when it is recorded \
                 ({} plus {} minutes for clocks that differ), found {}; an event is recorded \
                 after it happens",
                format_recorded_at(*recorded_at),
                FUTURE_TOLERANCE.as_secs() / 60,
                value
            ),
            ProblemKind::VoidOfVoid { target } => write!(
                f,
                "field `voids`: event {target:?} is itself a void; a void cannot be voided \
                 (record the original event again under a new id)"
            ),
        }
    }
}

/// `request:R1` as `request "R1"`.
fn describe(key: &str) -> String {
    match key.split_once(':') {
        Some((kind, id)) => format!("{kind} {id:?}"),
        None => key.to_owned(),
    }
}

struct Problems<E> {
    list: Vec<Problem<E>>,
    n_more: u64,
    max: usize,
}

impl<E> Problems<E> {
    fn push(&mut self, problem: Problem<E>) {
        if self.list.len() < self.max {
            self.list.push(problem);
        } else {
            self.n_more += 1;
        }
    }

    fn event(&mut self, incoming: &Incoming, kind: ProblemKind) {
        let event_id = incoming.event_id().to_owned();
        self.push(Problem::Event(EventProblem { line: incoming.line, event_id, kind }));
    }

    fn is_empty(&self) -> bool {
        self.list.is_empty() && self.n_more == 0
    }
}

#[derive(Default)]
struct Counts {
    n_read: u64,
    n_new: u64,
    n_duplicate: u64,
}

/// Appends a batch: all of it, or nothing.
pub(crate) fn append<E>(
    store: &dyn Store,
    source: impl IntoIterator<Item = Result<Incoming, E>>,
    options: &AppendOptions,
) -> Result<Appended<E>, Error> {
    let mut tx = store.begin()?;
    let last_batch = tx.last_batch()?;
    let head = last_batch.as_ref().map_or_else(Head::genesis, BatchRow::head);
    let clock = match options.recorded_at {
        RecordedAt::Now(host) => match tx.clock()? {
            Some(store) => store,
            None => host(),
        },
        RecordedAt::At(at) => at,
    };
    let mut moment = clock;
    if let Some(last) = &last_batch {
        let last_at =
            crate::chain::parse_recorded_at(&last.recorded_at).ok_or_else(|| Error::Corrupt {
                seq: last.last_seq,
                reason: format!("batch {} recorded_at {:?}", last.batch_id, last.recorded_at),
            })?;
        if clock < last_at {
            if last_at.duration_since(clock) > CLOCK_TOLERANCE {
                return Err(Error::ClockBehind { clock, last: last_at });
            }
            moment = last_at;
        }
    }
    let recorded_at = format_recorded_at(moment);
    let latest_allowed = moment.checked_add(FUTURE_TOLERANCE).unwrap_or(Timestamp::MAX);
    let first_seq = head.seq + 1;
    let mut chain = Chain { head, recorded_at, kind: options.kind };
    let mut problems = Problems { list: Vec::new(), n_more: 0, max: options.max_problems.max(1) };
    let mut counts = Counts::default();
    let mut chunk = Vec::with_capacity(CHUNK);
    // Once a record could not be read, the batch is lost and the ledger
    // checks stop (they would report references to the missing events);
    // reading goes on to report the source's other problems. After a
    // conflict with the ledger, the checks go on, so that one pass reports
    // every conflict.
    let mut source_failed = false;
    for item in source {
        match item {
            Ok(incoming) => {
                counts.n_read += 1;
                for (field, value) in [
                    ("occurred_at", Some(incoming.occurred_at)),
                    ("entered_at", incoming.entered_at),
                ] {
                    if let Some(value) = value.filter(|value| value.timestamp() > latest_allowed) {
                        let value = value.to_string();
                        let kind = ProblemKind::InTheFuture { field, value, recorded_at: moment };
                        problems.event(&incoming, kind);
                    }
                }
                if !source_failed {
                    chunk.push(incoming);
                    if chunk.len() == CHUNK {
                        process(&mut *tx, &mut chain, &chunk, &mut problems, &mut counts)?;
                        chunk.clear();
                    }
                }
            }
            Err(err) => {
                source_failed = true;
                problems.push(Problem::Source(err));
            }
        }
    }
    if !source_failed {
        if !chunk.is_empty() {
            process(&mut *tx, &mut chain, &chunk, &mut problems, &mut counts)?;
        }
        let (unresolved, n_unresolved) = tx.unresolved(problems.max)?;
        let n_listed = unresolved.len() as u64;
        for (deferred, found) in unresolved {
            let kind = unresolved_kind(&deferred, found);
            let event_id = deferred.event_id;
            problems.push(Problem::Event(EventProblem { line: deferred.line, event_id, kind }));
        }
        problems.n_more += n_unresolved - n_listed;
    }
    if !source_failed {
        problems.list.sort_by_key(|problem| match problem {
            Problem::Event(problem) => problem.line,
            Problem::Source(_) | Problem::NoEvents => 0,
        });
    }
    if counts.n_read == 0 && problems.is_empty() && !options.allow_empty {
        problems.push(Problem::NoEvents);
    }
    if !problems.is_empty() {
        // Dropping the transaction rolls it back.
        drop(tx);
        return Ok(Appended::Rejected(Rejection {
            problems: problems.list,
            n_more: problems.n_more,
            n_read: counts.n_read,
        }));
    }
    let mut batch = BatchRow {
        batch_id: last_batch.as_ref().map_or(1, |b| b.batch_id + 1),
        recorded_at: chain.recorded_at.clone(),
        first_seq,
        last_seq: chain.head.seq,
        head_hash: chain.head.hash.clone(),
        source: options.source.clone(),
        n_read: counts.n_read,
        n_new: counts.n_new,
        n_duplicate: counts.n_duplicate,
        batch_hash: String::new(),
        kind: options.kind,
    };
    batch.batch_hash =
        batch_hash(last_batch.as_ref().map_or(crate::chain::GENESIS, |b| &b.batch_hash), &batch);
    if options.dry_run {
        // Dropping the transaction rolls it back: nothing is stored.
        drop(tx);
        return Ok(Appended::Stored(Summary { head: chain.head, batch }));
    }
    // The batch is stored once this returns; nothing after it may fail.
    tx.commit(&batch)?;
    Ok(Appended::Stored(Summary { head: chain.head, batch }))
}

fn unresolved_kind(deferred: &Deferred, found: Option<Found>) -> ProblemKind {
    let field = deferred.field.clone();
    let key =
        if deferred.is_event { format!("event:{}", deferred.key) } else { deferred.key.clone() };
    match found {
        None => ProblemKind::Unresolved { field, key },
        Some(_) if deferred.is_event => ProblemKind::VoidOfVoid { target: deferred.key.clone() },
        Some(found) => ProblemKind::WrongRequest {
            field,
            key,
            belongs_to: found.detail.unwrap_or_default(),
            expected: deferred.request_id.clone().unwrap_or_default(),
        },
    }
}

fn process<E>(
    tx: &mut dyn crate::store::Tx,
    chain: &mut Chain,
    chunk: &[Incoming],
    problems: &mut Problems<E>,
    counts: &mut Counts,
) -> Result<(), Error> {
    let candidates: Vec<Candidate<'_>> = chunk
        .iter()
        .map(|incoming| Candidate {
            event_id: incoming.event_id(),
            event_type: incoming.event_type.as_str(),
            request_id: incoming.request_id.map(|span| incoming.span(span)),
            creates: incoming.creates.map(|span| incoming.span(span)),
            voids: incoming.voids.map(|span| incoming.span(span)),
            body: incoming.body(),
        })
        .collect();
    let outcomes = tx.append_chunk(chain, &candidates)?;
    let inserted: Vec<bool> = outcomes.iter().map(|o| *o == Outcome::Inserted).collect();

    // The references of the events just stored.
    let mut asked: Vec<(&Incoming, RefKey)> = Vec::new();
    for ((incoming, candidate), outcome) in chunk.iter().zip(&candidates).zip(outcomes) {
        match outcome {
            Outcome::Inserted => counts.n_new += 1,
            Outcome::Duplicate => {
                counts.n_duplicate += 1;
                continue;
            }
            Outcome::DifferentBody { seq, body } => {
                let difference = difference(&body, candidate.body);
                problems.event(incoming, ProblemKind::DifferentBody { seq, difference });
                continue;
            }
            Outcome::AlreadyCreated { by_event_id } => {
                let key = candidate.creates.unwrap_or_default().to_owned();
                problems.event(incoming, ProblemKind::AlreadyCreated { key, by_event_id });
                continue;
            }
            Outcome::AlreadyVoided { by_event_id } => {
                let target = candidate.voids.unwrap_or_default().to_owned();
                problems.event(incoming, ProblemKind::AlreadyVoided { target, by_event_id });
                continue;
            }
        }
        asked.extend(incoming.refs.iter().flatten().map(|r| (incoming, *r)));
    }
    if asked.is_empty() {
        return Ok(());
    }
    // Most references point to something created just before, in the same
    // chunk: resolve those here, and ask the ledger about the rest.
    // Entity keys and event ids are kept apart: an event id may look like a key.
    let mut entities: HashMap<&str, Option<&str>> = HashMap::new();
    let mut events: HashMap<&str, Option<&str>> = HashMap::new();
    for (candidate, _) in candidates.iter().zip(&inserted).filter(|(_, inserted)| **inserted) {
        if let Some(key) = candidate.creates {
            entities.insert(key, candidate.request_id);
        }
        events.insert(candidate.event_id, Some(candidate.event_type));
    }
    let local = |r: &RefKey, key: &str| {
        if r.is_event { events.get(key).copied() } else { entities.get(key).copied() }
    };
    let mut found: Vec<Option<Found>> = Vec::with_capacity(asked.len());
    let mut queries: Vec<RefQuery<'_>> = Vec::new();
    for (incoming, r) in &asked {
        let key = incoming.span(r.key);
        match local(r, key) {
            Some(detail) => found.push(Some(Found { detail: detail.map(str::to_owned) })),
            None => {
                found.push(None);
                queries.push(if r.is_event { RefQuery::Event(key) } else { RefQuery::Entity(key) });
            }
        }
    }
    if !queries.is_empty() {
        let mut from_ledger = tx.resolve(&queries)?.into_iter();
        for (slot, (incoming, r)) in found.iter_mut().zip(&asked) {
            if local(r, incoming.span(r.key)).is_none() {
                *slot = from_ledger.next().flatten();
            }
        }
    }
    let mut deferred = Vec::new();
    for ((incoming, reference), found) in asked.iter().zip(found) {
        let request_id = incoming
            .request_id
            .filter(|_| reference.same_request)
            .map(|span| incoming.span(span).to_owned());
        let bad = match &found {
            None => false,
            Some(found) if reference.is_event => {
                found.detail.as_deref() == Some(EventType::EventVoided.as_str())
            }
            Some(found) => request_id.is_some() && found.detail != request_id,
        };
        if found.is_some() && !bad {
            continue;
        }
        let item = Deferred {
            line: incoming.line,
            event_id: incoming.event_id().to_owned(),
            field: reference.field.as_str().to_owned(),
            is_event: reference.is_event,
            key: incoming.span(reference.key).to_owned(),
            request_id,
        };
        match found {
            None => deferred.push(item),
            Some(found) => problems.event(incoming, unresolved_kind(&item, Some(found))),
        }
    }
    if !deferred.is_empty() {
        tx.defer(&deferred)?;
    }
    Ok(())
}

/// The first field in which two canonical encodings differ, in words.
fn difference(stored: &str, new: &str) -> String {
    type Object = serde_json::Map<String, serde_json::Value>;
    let stored: Object = serde_json::from_str(stored).unwrap_or_default();
    let new: Object = serde_json::from_str(new).unwrap_or_default();
    let mut keys: Vec<&String> = stored.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (a, b) = (stored.get(key), new.get(key));
        if a != b {
            let show =
                |v: Option<&serde_json::Value>| v.map_or("absent".to_owned(), |v| v.to_string());
            return format!("`{key}` is {} there and {} here", show(a), show(b));
        }
    }
    "the bodies differ".to_owned()
}
