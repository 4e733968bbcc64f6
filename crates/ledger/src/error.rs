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
