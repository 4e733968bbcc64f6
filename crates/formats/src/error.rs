use std::fmt;
use std::io;

/// A problem with one record of an event file, or with reading the file.
#[derive(Debug)]
pub struct Error {
    /// The file's name as given to the reader.
    pub source_name: String,
    /// The line (1-based) where the record starts; 0 when the file could not
    /// be read at all.
    pub line: u64,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// What went wrong with a record.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the file failed. Fatal: the reader stops.
    Io(io::Error),
    /// A line (or a CSV record) is longer than [`crate::MAX_LINE_BYTES`].
    LineTooLong,
    /// A line is not valid UTF-8.
    InvalidUtf8 {
        /// The 1-based byte column of the first invalid byte.
        column: usize,
    },
    /// The record is not well-formed JSON or CSV.
    Syntax {
        /// The 1-based column, when known.
        column: Option<usize>,
        /// The parser's description.
        message: String,
    },
    /// An NDJSON key or CSV column that is no field of the vocabulary.
    UnknownField {
        /// The name found.
        name: String,
    },
    /// An NDJSON object names the same field twice.
    DuplicateField {
        /// The repeated field.
        field: events::Field,
    },
    /// The CSV header lacks a column every event needs, or repeats one.
    Header {
        /// What is wrong with it.
        message: String,
    },
    /// The record is well-formed but is not a valid event.
    Event(events::Error),
}

impl Error {
    /// The field at fault, when the problem concerns one field.
    pub fn field(&self) -> Option<events::Field> {
        match &self.kind {
            ErrorKind::DuplicateField { field } => Some(*field),
            ErrorKind::Event(err) => Some(err.field()),
            _ => None,
        }
    }

    /// Whether the reader stops after this error.
    pub fn is_fatal(&self) -> bool {
        matches!(self.kind, ErrorKind::Io(_) | ErrorKind::Header { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.source_name, self.kind)
        } else {
            write!(f, "{}:{}: {}", self.source_name, self.line, self.kind)
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(err) => write!(f, "cannot read: {err}"),
            ErrorKind::LineTooLong => write!(
                f,
                "line or record longer than {} bytes; an event is a single line of a few hundred bytes",
                crate::MAX_LINE_BYTES
            ),
            ErrorKind::InvalidUtf8 { column } => {
                write!(f, "column {column}: invalid UTF-8; event files must be UTF-8")
            }
            ErrorKind::Syntax { column: Some(column), message } => {
                write!(f, "column {column}: {message}")
            }
            ErrorKind::Syntax { column: None, message } => f.write_str(message),
            ErrorKind::UnknownField { name } => {
                write!(f, "unknown field {name:?}; the fields are listed in docs/events.md")
            }
            ErrorKind::DuplicateField { field } => write!(f, "field `{field}` appears twice"),
            ErrorKind::Header { message } => write!(f, "CSV header: {message}"),
            ErrorKind::Event(err) => write!(f, "{err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(err) => Some(err),
            ErrorKind::Event(err) => Some(err),
            _ => None,
        }
    }
}
