use std::fmt;

/// A failure of the ledger itself (not of the input, which is rejected with
/// [`crate::Rejection`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The `--db` value is neither a file path nor a `postgres://` URL that
    /// can be used.
    Location {
        /// The value given.
        location: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// SQLite reported an error.
    Sqlite(rusqlite::Error),
    /// PostgreSQL reported an error.
    Postgres(postgres::Error),
    /// The database holds a newer schema than this build knows.
    SchemaTooNew {
        /// The newest migration applied to the database.
        found: i64,
        /// The newest migration this build knows.
        known: i64,
    },
    /// A stored row cannot be read back as an event. `carequeue verify` says
    /// more.
    Corrupt {
        /// The row's sequence number.
        seq: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A callback given to a read failed.
    Callback(Box<dyn std::error::Error + Send + Sync>),
    /// The clock that dates the batch reads earlier than the ledger's last
    /// `recorded_at` by more than [`crate::CLOCK_TOLERANCE`]: recording at
    /// the last moment instead would date the batch in the future of this
    /// clock. Fix the clock (or wait), then append again.
    ClockBehind {
        /// The clock's moment.
        clock: jiff::Timestamp,
        /// The last batch's `recorded_at`.
        last: jiff::Timestamp,
    },
    /// The ledger was opened for reading ([`crate::Ledger::open`]); only
    /// [`crate::Ledger::create`] opens one to append to.
    ReadOnly,
    /// Every turn to read was taken for as long as a read may wait.
    Busy {
        /// Reads served at once.
        readers: usize,
        /// How long the read waited.
        waited: std::time::Duration,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Location { location, reason } => {
                write!(f, "cannot use ledger {location:?}: {reason}")
            }
            Error::Sqlite(err) => write!(f, "SQLite: {err}"),
            Error::Postgres(err) => match err.as_db_error() {
                Some(db) => write!(f, "PostgreSQL: {}", db.message()),
                None => write!(f, "PostgreSQL: {err}"),
            },
            Error::SchemaTooNew { found, known } => write!(
                f,
                "the ledger's schema is at migration {found}, newer than this carequeue \
                 (which knows up to {known}); upgrade carequeue"
            ),
            Error::Corrupt { seq, reason } => {
                write!(f, "stored event {seq} cannot be read ({reason}); run `carequeue verify`")
            }
            Error::Callback(err) => write!(f, "{err}"),
            Error::ClockBehind { clock, last } => write!(
                f,
                "the clock dating this batch (this host's, or the PostgreSQL server's) reads {}, \
                 but the ledger's last batch was recorded at {}, {:.3} s later (more than the \
                 {} s allowed): recorded_at never goes backwards, and stamping this batch with \
                 the later moment would date it in that clock's future; correct the clock and \
                 ingest again",
                crate::format_recorded_at(*clock),
                crate::format_recorded_at(*last),
                last.duration_since(*clock).as_secs_f64(),
                crate::CLOCK_TOLERANCE.as_secs()
            ),
            Error::ReadOnly => write!(f, "the ledger was opened for reading, not for appending"),
            Error::Busy { readers, waited } => write!(
                f,
                "the ledger is busy: {readers} reads were running for all of the {:.1} s this \
                 one waited; try again",
                waited.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Sqlite(err) => Some(err),
            Error::Postgres(err) => Some(err),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Error {
        Error::Sqlite(err)
    }
}

impl From<postgres::Error> for Error {
    fn from(err: postgres::Error) -> Error {
        Error::Postgres(err)
    }
}
