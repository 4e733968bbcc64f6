//! The interface each storage backend implements. The append algorithm
//! (`append.rs`) and verification (`verify.rs`) are written once against it.

use crate::chain::{Chain, Head};

use crate::error::Error;

/// A storage backend: one per database kind.
pub(crate) trait Store: Send + Sync {
    /// Starts an append: takes the ledger's write lock (other appenders, in
    /// this process or another, wait) and opens a transaction.
    fn begin(&self) -> Result<Box<dyn Tx + '_>, Error>;

    /// Reads one consistent snapshot: the batches, which `pick` is shown and
    /// from which it chooses what to read ([`ReadTo`]), then the events in
    /// sequence order, each given to `each`.
    fn read(
        &self,
        pick: &mut dyn FnMut(&[BatchRow]) -> ReadTo,
        each: &mut dyn FnMut(StoredRow) -> Result<(), Error>,
    ) -> Result<(), Error>;

    /// Every batch, in order.
    fn batches(&self) -> Result<Vec<BatchRow>, Error>;

    /// The schema's migration when opened, and this build's latest.
    fn schema(&self) -> (i64, i64);
}

/// What a read returns: the events up to sequence number `events`, with
/// `voided_by` set by the voids up to sequence number `voids` (`None`: all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadTo {
    pub(crate) events: Option<u64>,
    pub(crate) voids: Option<u64>,
}

impl ReadTo {
    /// Events and voids up to the same sequence number.
    pub(crate) fn both(seq: Option<u64>) -> ReadTo {
        ReadTo { events: seq, voids: seq }
    }
}

/// An open append transaction. Dropping it without [`Tx::commit`] rolls back.
pub(crate) trait Tx {
    /// The store's own clock, read now, if it has one that every appending
    /// host shares (PostgreSQL's server); `None` for SQLite, where the
    /// host's clock is the only one.
    fn clock(&mut self) -> Result<Option<jiff::Timestamp>, Error>;

    /// The last batch when the transaction began (`None` for an empty
    /// ledger).
    fn last_batch(&mut self) -> Result<Option<BatchRow>, Error>;

    /// Stores each candidate whose event id is new, taking its sequence
    /// number and hash from `chain`, and says what happened to each.
    fn append_chunk(
        &mut self,
        chain: &mut Chain,
        candidates: &[Candidate<'_>],
    ) -> Result<Vec<Outcome>, Error>;

    /// Looks references up in the ledger (including this transaction's rows).
    fn resolve(&mut self, refs: &[RefQuery<'_>]) -> Result<Vec<Option<Found>>, Error>;

    /// Remembers references that did not resolve yet; their creation may come
    /// later in the batch.
    fn defer(&mut self, refs: &[Deferred]) -> Result<(), Error>;

    /// The deferred references that still do not resolve, by line, at most
    /// `limit` of them, and how many there are in all.
    fn unresolved(&mut self, limit: usize) -> Result<Unresolved, Error>;

    /// Records the batch (its id and hash already set) and commits; durable
    /// when this returns.
    fn commit(self: Box<Self>, batch: &BatchRow) -> Result<(), Error>;
}

/// The deferred references that do not resolve (at most the limit asked
/// for), each with what it found when it found something of the wrong kind,
/// and how many there are in all.
pub(crate) type Unresolved = (Vec<(Deferred, Option<Found>)>, u64);

/// An event offered to [`Tx::append_chunk`].
#[derive(Debug)]
pub(crate) struct Candidate<'a> {
    pub(crate) event_id: &'a str,
    pub(crate) event_type: &'static str,
    pub(crate) request_id: Option<&'a str>,
    pub(crate) creates: Option<&'a str>,
    pub(crate) voids: Option<&'a str>,
    pub(crate) body: &'a str,
}

/// What happened to a candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Stored under this sequence number.
    Inserted,
    /// An event with this id and this body is already stored: nothing done.
    Duplicate,
    /// An event with this id but another body is stored.
    DifferentBody { seq: u64, body: String },
    /// The entity this event creates was created by another event.
    AlreadyCreated { by_event_id: String },
    /// The event this void voids is already voided by another event.
    AlreadyVoided { by_event_id: String },
}

/// A reference to look up: an entity key (`request:R1`) or an event id.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RefQuery<'a> {
    /// Looks up `creates = key`.
    Entity(&'a str),
    /// Looks up `event_id = id`.
    Event(&'a str),
}

/// What a reference resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// For an entity, the request it belongs to; for an event, its type.
    pub(crate) detail: Option<String>,
}

/// A reference that did not resolve when it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deferred {
    pub(crate) line: u64,
    pub(crate) event_id: String,
    pub(crate) field: String,
    /// `true` for an event id (from `voids`), `false` for an entity key.
    pub(crate) is_event: bool,
    pub(crate) key: String,
    /// The request the entity must belong to, when it must.
    pub(crate) request_id: Option<String>,
}

/// One stored row, as read back.
#[derive(Debug, Clone)]
pub(crate) struct StoredRow {
    pub(crate) seq: u64,
    pub(crate) event_id: String,
    pub(crate) event_type: String,
    pub(crate) recorded_at: String,
    pub(crate) request_id: Option<String>,
    pub(crate) creates: Option<String>,
    pub(crate) voids: Option<String>,
    pub(crate) body: String,
    pub(crate) hash: String,
    pub(crate) voided_by: Option<String>,
}

/// One batch: one append of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRow {
    /// 1, 2, 3, ...
    pub batch_id: u64,
    /// When the batch was stored; every event of the batch has it.
    pub recorded_at: String,
    /// The first new event's sequence number.
    pub first_seq: u64,
    /// The ledger's head after the batch (`first_seq - 1` if nothing was new).
    pub last_seq: u64,
    /// The hash at `last_seq`.
    pub head_hash: String,
    /// The file or stream the batch came from.
    pub source: String,
    /// Events read.
    pub n_read: u64,
    /// Events stored.
    pub n_new: u64,
    /// Events already stored with the same body.
    pub n_duplicate: u64,
    /// Whether the batch was appended as events happened or is history
    /// loaded afterwards.
    pub kind: BatchKind,
    /// The hash chaining this row to the batch before it.
    pub batch_hash: String,
}

/// The columns of a batch row, in [`BatchRow`]'s order.
pub(crate) const BATCH_COLUMNS: &str = "batch_id, recorded_at, first_seq, last_seq, head_hash, \
     source, n_read, n_new, n_duplicate, batch_hash, kind";

/// The same for a ledger read before migration 2 added `kind`: all its
/// batches are live.
pub(crate) const BATCH_COLUMNS_V1: &str = "batch_id, recorded_at, first_seq, last_seq, \
     head_hash, source, n_read, n_new, n_duplicate, batch_hash, 'live' AS kind";

/// The first schema migration with the `kind` column.
pub(crate) const KIND_MIGRATION: i64 = 2;

/// What a batch is, as its appender said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchKind {
    /// Events appended as they were entered at their source (a feed, a
    /// nightly export): how long after they occurred they were recorded says
    /// how late they were entered.
    #[default]
    Live,
    /// History loaded after the fact (`carequeue ingest --backfill`): when
    /// its events were recorded says nothing about when they were entered at
    /// their source.
    Backfill,
}

impl BatchKind {
    /// As stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchKind::Live => "live",
            BatchKind::Backfill => "backfill",
        }
    }

    /// From the `kind` column.
    pub fn parse(text: &str) -> Option<BatchKind> {
        match text {
            "live" => Some(BatchKind::Live),
            "backfill" => Some(BatchKind::Backfill),
            _ => None,
        }
    }
}

impl BatchRow {
    /// The head of the chain after this batch.
    pub fn head(&self) -> Head {
        Head { seq: self.last_seq, hash: self.head_hash.clone() }
    }
}
