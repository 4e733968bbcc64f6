//! The event ledger: append-only, hash-chained storage of events.
//!
//! A [`Ledger`] is either an SQLite file (the embedded default) or a
//! PostgreSQL database; both sit behind the same methods and pass the same
//! tests. The ledger:
//!
//! - stores a batch (one file) whole or not at all: [`Ledger::append`]
//!   returns [`Appended::Rejected`] with located problems and stores nothing
//!   when any event of the batch is invalid, conflicts with the ledger or
//!   refers to something that exists neither in the ledger nor in the batch;
//! - is idempotent by `event_id`: the same id with the same canonical body is
//!   a no-op, with another body a problem naming both;
//! - assigns `recorded_at` (one moment per batch, never going backwards) and
//!   a sequence number, and chains each event's hash to the previous one
//!   (`chain.rs` and `docs/ledger.md` define the encoding);
//! - keeps voided events, marking them with the void that names them;
//! - serialises appends from any number of threads and processes (SQLite's
//!   write lock, PostgreSQL's advisory lock) while reads proceed in
//!   parallel on their own connections;
//! - acknowledges an append only after it is durable (SQLite in WAL mode with
//!   `synchronous=FULL`; PostgreSQL's commit).
//!
//! All SQL of carequeue lives in this crate.

mod append;
mod chain;
mod error;
mod gate;
mod postgres;
mod sqlite;
mod store;
mod verify;

use events::{Event, EventId};
use jiff::Timestamp;

pub use crate::append::{
    AppendOptions, Appended, CLOCK_TOLERANCE, EventProblem, FUTURE_TOLERANCE, Incoming, Problem,
    ProblemKind, RecordedAt, Rejection, Summary,
};
pub use crate::chain::{
    GENESIS, Head, batch_hash, entry_hash, format_recorded_at, parse_recorded_at,
};
pub use crate::error::Error;
pub use crate::gate::Readers;
pub use crate::store::{BatchKind, BatchRow};
pub use crate::verify::{Break, Verification};

use crate::store::{ReadTo, Store};

/// An event as stored in the ledger.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    /// Its position in the chain: 1, 2, 3, ...
    pub seq: u64,
    /// When carequeue stored it.
    pub recorded_at: Timestamp,
    /// Whether it came in a backfill batch (history loaded after the fact:
    /// `recorded_at` then says nothing about when it was entered).
    pub backfill: bool,
    /// Its hash in the chain.
    pub hash: String,
    /// The void that names it, if one was recorded (by the `as_of` moment of
    /// the read).
    pub voided_by: Option<EventId>,
    /// The event.
    pub event: Event,
    /// The event's canonical encoding, as stored and hashed.
    pub body: String,
}

/// What [`Ledger::verify_and_read`] found.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The chain's check.
    pub verification: Verification,
    /// Every batch of the snapshot read, in order.
    pub batches: Vec<BatchRow>,
}

/// The event ledger; see the crate documentation.
pub struct Ledger {
    store: Box<dyn Store>,
    location: String,
    gate: gate::Gate,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("location", &self.location).finish()
    }
}

impl Ledger {
    /// Opens the ledger at `location` to append to, creating it (and
    /// bringing its schema up to date) if needed: a `postgres://` (or
    /// `postgresql://`) URL, or else the path of an SQLite file. Only
    /// commands that record events (`ingest`, `demo`) call this.
    pub fn create(location: &str) -> Result<Ledger, Error> {
        let store: Box<dyn Store> = if is_url(location) {
            Box::new(postgres::Postgres::open(location, Mode::Append)?)
        } else {
            Box::new(sqlite::Sqlite::open(std::path::Path::new(location), Mode::Append)?)
        };
        Ok(Ledger { store, location: redact(location), gate: gate::Gate::default_limits() })
    }

    /// Opens an existing ledger at `location` for reading: it creates no
    /// ledger, changes nothing (no migration), takes no write lock, so it
    /// never waits behind a running append. (SQLite in WAL mode may create
    /// its `-wal` and `-shm` files beside an existing ledger.) A path with no ledger, or a
    /// database without carequeue's tables, is an [`Error::Location`]
    /// naming it; [`Ledger::append`] fails with [`Error::ReadOnly`].
    pub fn open(location: &str) -> Result<Ledger, Error> {
        let store: Box<dyn Store> = if is_url(location) {
            Box::new(postgres::Postgres::open(location, Mode::Read)?)
        } else {
            Box::new(sqlite::Sqlite::open(std::path::Path::new(location), Mode::Read)?)
        };
        Ok(Ledger { store, location: redact(location), gate: gate::Gate::default_limits() })
    }

    /// The same ledger serving at most `readers.max` reads at once, each
    /// waiting at most `readers.wait` for its turn ([`Error::Busy`] then).
    pub fn with_readers(mut self, readers: Readers) -> Ledger {
        self.gate = gate::Gate::new(readers);
        self
    }

    /// How many reads it serves at once, and how long a read waits.
    pub fn readers(&self) -> Readers {
        self.gate.limits()
    }

    /// The location, with any password removed.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Appends a batch of events: all or nothing. See [`Appended`].
    ///
    /// `source` yields the events in file order, or the errors that kept
    /// records from being events; any error rejects the batch, and reading
    /// continues only to report further problems.
    pub fn append<E>(
        &self,
        source: impl IntoIterator<Item = Result<Incoming, E>>,
        options: &AppendOptions,
    ) -> Result<Appended<E>, Error> {
        append::append(&*self.store, source, options)
    }

    /// Calls `each` with every event in sequence order, or with those recorded
    /// by `as_of` when it is given.
    pub fn for_each_event(
        &self,
        as_of: Option<Timestamp>,
        mut each: impl FnMut(StoredEvent) -> Result<(), Box<dyn std::error::Error + Send + Sync>>,
    ) -> Result<(), Error> {
        let _turn = self.gate.enter()?;
        let backfill = std::cell::RefCell::new(Backfilled::default());
        let mut pick = |batches: &[BatchRow]| {
            *backfill.borrow_mut() = Backfilled::new(batches);
            ReadTo::both(as_of.map(|as_of| seq_as_of(batches, as_of)))
        };
        let mut last = LastRecordedAt::default();
        self.store.read(&mut pick, &mut |row| {
            let backfill = backfill.borrow_mut().contains(row.seq);
            each(stored_event(row, None, backfill, &mut last)?).map_err(Error::Callback)
        })
    }

    /// Checks the whole chain as [`Ledger::verify`] does and, in the same
    /// read of one snapshot, calls `each` with every event recorded by
    /// `as_of` (all when `None`) as [`Ledger::for_each_event`] would: one
    /// scan of the ledger instead of two. A break in the chain ends the
    /// checking, not the reading, and is returned after every event has been
    /// given, with the snapshot's batches (all of them: those recorded after
    /// `as_of` too, so that a report can say what it left out).
    pub fn verify_and_read(
        &self,
        as_of: Option<Timestamp>,
        mut each: impl FnMut(StoredEvent) -> Result<(), Box<dyn std::error::Error + Send + Sync>>,
    ) -> Result<Checked, Error> {
        let _turn = self.gate.enter()?;
        let mut each = |stored| each(stored).map_err(Error::Callback);
        let mut batches = Vec::new();
        let verification = verify::walk(
            &*self.store,
            None,
            Some(verify::Deliver { as_of, each: &mut each, batches: &mut batches }),
        )?;
        Ok(Checked { verification, batches })
    }

    /// The last sequence number recorded by `as_of`.
    pub fn seq_as_of(&self, as_of: Timestamp) -> Result<u64, Error> {
        let _turn = self.gate.enter()?;
        Ok(seq_as_of(&self.store.batches()?, as_of))
    }

    /// Whether the ledger's schema is older than this build's (it was
    /// opened for reading as it is; an append would migrate it first).
    pub fn needs_migration(&self) -> bool {
        let (found, known) = self.store.schema();
        found < known
    }

    /// Every batch appended, in order.
    pub fn batches(&self) -> Result<Vec<BatchRow>, Error> {
        let _turn = self.gate.enter()?;
        self.store.batches()
    }

    /// The head of the chain as the batches record it.
    pub fn head(&self) -> Result<Head, Error> {
        let _turn = self.gate.enter()?;
        let batches = self.store.batches()?;
        Ok(batches
            .last()
            .map_or_else(Head::genesis, |b| Head { seq: b.last_seq, hash: b.head_hash.clone() }))
    }

    /// Walks the whole chain and checks every event and batch (see
    /// `verify.rs`). With `expected`, also checks that the chain passes
    /// through that head, which a third party may have kept.
    pub fn verify(&self, expected: Option<&Head>) -> Result<Verification, Error> {
        let _turn = self.gate.enter()?;
        verify::verify(&*self.store, expected)
    }
}

/// A stored row as a [`StoredEvent`], its body parsed unless `event` is
/// that body already parsed.
/// The last `recorded_at` parsed: a batch's events share one.
#[derive(Default)]
pub(crate) struct LastRecordedAt(Option<(String, Timestamp)>);

impl LastRecordedAt {
    fn parse(&mut self, text: &str) -> Option<Timestamp> {
        match &self.0 {
            Some((last, at)) if last == text => Some(*at),
            _ => {
                let at = parse_recorded_at(text)?;
                self.0 = Some((text.to_owned(), at));
                Some(at)
            }
        }
    }
}

/// The events of a read's backfill batches, asked in ledger order.
#[derive(Default)]
pub(crate) struct Backfilled {
    /// Each backfill batch's first and last sequence numbers, in order.
    ranges: Vec<(u64, u64)>,
    next: usize,
}

impl Backfilled {
    pub(crate) fn new(batches: &[BatchRow]) -> Backfilled {
        let ranges = batches
            .iter()
            .filter(|b| b.kind == BatchKind::Backfill && b.n_new > 0)
            .map(|b| (b.first_seq, b.last_seq))
            .collect();
        Backfilled { ranges, next: 0 }
    }

    /// Whether event `seq` came in a backfill batch; `seq` never decreases
    /// from one call to the next.
    pub(crate) fn contains(&mut self, seq: u64) -> bool {
        while self.ranges.get(self.next).is_some_and(|&(_, last)| last < seq) {
            self.next += 1;
        }
        self.ranges.get(self.next).is_some_and(|&(first, _)| first <= seq)
    }
}

pub(crate) fn stored_event(
    row: store::StoredRow,
    event: Option<Event>,
    backfill: bool,
    last: &mut LastRecordedAt,
) -> Result<StoredEvent, Error> {
    let event = match event {
        Some(event) => event,
        None => formats::event_from_json(&row.body)
            .map_err(|err| Error::Corrupt { seq: row.seq, reason: err.to_string() })?,
    };
    let recorded_at = last.parse(&row.recorded_at).ok_or_else(|| Error::Corrupt {
        seq: row.seq,
        reason: format!("recorded_at {:?}", row.recorded_at),
    })?;
    let voided_by = match row.voided_by {
        None => None,
        Some(id) => Some(
            EventId::parse(events::Field::EventId, &id)
                .map_err(|err| Error::Corrupt { seq: row.seq, reason: err.to_string() })?,
        ),
    };
    Ok(StoredEvent {
        seq: row.seq,
        recorded_at,
        backfill,
        hash: row.hash,
        voided_by,
        event,
        body: row.body,
    })
}

/// The last sequence number of the batches recorded by `as_of`.
pub(crate) fn seq_as_of(batches: &[BatchRow], as_of: Timestamp) -> u64 {
    let as_of = format_recorded_at(as_of);
    batches.iter().filter(|b| b.recorded_at <= as_of).map(|b| b.last_seq).max().unwrap_or(0)
}

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Created if absent, migrated, ready to append.
    Append,
    /// Existing only, read only.
    Read,
}

fn is_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Removes the password from a URL, for messages.
fn redact(location: &str) -> String {
    let Some((scheme, rest)) = location.split_once("://") else { return location.to_owned() };
    let Some((userinfo, host)) = rest.split_once('@') else { return location.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => location.to_owned(),
    }
}
