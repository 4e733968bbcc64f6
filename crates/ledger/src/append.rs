//! The append algorithm, written once for every backend.

use std::fmt;

use events::Event;
use jiff::Timestamp;

use crate::chain::{Chain, Head, format_recorded_at};
use crate::error::Error;
use crate::store::{BatchRow, Candidate, Deferred, Found, Outcome, RefQuery, Store};

/// Events are handed to the backend this many at a time.
const CHUNK: usize = 2048;

/// An event read from a source, with its line and canonical encoding.
#[derive(Debug, Clone)]
pub struct Incoming {
    line: u64,
    event: Event,
    canonical: Vec<u8>,
}

impl Incoming {
    /// Prepares an event for appending. The canonical encoding is computed
    /// here, so that a reader thread can do that work.
    pub fn new(line: u64, event: Event) -> Incoming {
        let canonical = event.canonical_json();
        Incoming { line, event, canonical }
    }

    /// The line of the source the event came from.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The event.
    pub fn event(&self) -> &Event {
        &self.event
    }
}

/// How to append a batch.
#[derive(Debug, Clone)]
pub struct AppendOptions {
    /// The file or stream the batch comes from, kept with the batch.
    pub source: String,
    /// The moment to record. The ledger uses the later of this and the last
    /// batch's `recorded_at`, so that `recorded_at` never goes backwards.
    pub recorded_at: Timestamp,
    /// How many problems to report before only counting them.
    pub max_problems: usize,
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
        let event_id = incoming.event.event_id.as_str().to_owned();
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
    let (head, last_recorded_at) = tx.head()?;
    let mut recorded_at = format_recorded_at(options.recorded_at);
    if let Some(last) = last_recorded_at {
        recorded_at = recorded_at.max(last);
    }
    let first_seq = head.seq + 1;
    let mut chain = Chain { head, recorded_at };
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
            Problem::Source(_) => 0,
        });
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
    let batch = BatchRow {
        batch_id: 0,
        recorded_at: chain.recorded_at.clone(),
        first_seq,
        last_seq: chain.head.seq,
        head_hash: chain.head.hash.clone(),
        source: options.source.clone(),
        n_read: counts.n_read,
        n_new: counts.n_new,
        n_duplicate: counts.n_duplicate,
    };
    tx.commit(&batch)?;
    let batch = store.batches()?.pop().unwrap_or(batch);
    Ok(Appended::Stored(Summary { batch, head: chain.head }))
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
        .map(|incoming| {
            let event = &incoming.event;
            Candidate {
                event_id: event.event_id.as_str(),
                event_type: event.event_type().as_str(),
                request_id: event.request_id().map(|id| id.as_str()),
                creates: event.creates().map(|(entity, id)| format!("{}:{id}", entity.as_str())),
                voids: event.voids().map(|id| id.as_str()),
                body: &incoming.canonical,
            }
        })
        .collect();
    let outcomes = tx.append_chunk(chain, &candidates)?;

    // The references of the events just stored.
    let mut queries = Vec::new();
    let mut asked = Vec::new();
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
                let key = candidate.creates.clone().unwrap_or_default();
                problems.event(incoming, ProblemKind::AlreadyCreated { key, by_event_id });
                continue;
            }
            Outcome::AlreadyVoided { by_event_id } => {
                let target = candidate.voids.unwrap_or_default().to_owned();
                problems.event(incoming, ProblemKind::AlreadyVoided { target, by_event_id });
                continue;
            }
        }
        for reference in incoming.event.references() {
            asked.push((incoming, reference));
        }
    }
    let keys: Vec<String> = asked
        .iter()
        .map(|(_, r)| match r.entity {
            events::Entity::Event => r.id.to_owned(),
            entity => format!("{}:{}", entity.as_str(), r.id),
        })
        .collect();
    for ((_, reference), key) in asked.iter().zip(&keys) {
        queries.push(match reference.entity {
            events::Entity::Event => RefQuery::Event(key),
            _ => RefQuery::Entity(key),
        });
    }
    let found = if queries.is_empty() { Vec::new() } else { tx.resolve(&queries)? };
    let mut deferred = Vec::new();
    for (((incoming, reference), key), found) in asked.iter().zip(keys).zip(found) {
        let is_event = reference.entity == events::Entity::Event;
        let request_id =
            incoming.event.request_id().filter(|_| reference.same_request).map(|id| id.to_string());
        let item = Deferred {
            line: incoming.line,
            event_id: incoming.event.event_id.to_string(),
            field: reference.field.as_str().to_owned(),
            is_event,
            key,
            request_id,
        };
        match found {
            None => deferred.push(item),
            Some(found) => {
                let bad = if is_event {
                    found.detail.as_deref() == Some(events::EventType::EventVoided.as_str())
                } else {
                    item.request_id.is_some() && found.detail != item.request_id
                };
                if bad {
                    let kind = unresolved_kind(&item, Some(found));
                    problems.event(incoming, kind);
                }
            }
        }
    }
    if !deferred.is_empty() {
        tx.defer(&deferred)?;
    }
    Ok(())
}

/// The first field in which two canonical encodings differ, in words.
fn difference(stored: &str, new: &[u8]) -> String {
    type Object = serde_json::Map<String, serde_json::Value>;
    let stored: Object = serde_json::from_str(stored).unwrap_or_default();
    let new: Object = serde_json::from_slice(new).unwrap_or_default();
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
