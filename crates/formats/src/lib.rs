//! Reading and writing event files: NDJSON and CSV.
//!
//! [`Reader`] detects the format from the file's first bytes (an NDJSON file
//! starts with `{`; anything else is read as CSV with a header row), then
//! yields one located event per record, streaming in constant memory: a
//! record is parsed, checked and handed on before the next is read, and no
//! line longer than [`MAX_LINE_BYTES`] is ever buffered. Every error carries
//! the file, the line, the field when there is one, what was expected and what
//! was found; the reader goes on after an error where the format allows it,
//! so that one pass can report several problems.
//!
//! [`write_ndjson`] and [`CsvWriter`] write events back out: NDJSON lines are
//! the canonical encoding of each event, so exporting and re-reading a ledger
//! is lossless. [`TableWriter`] writes carequeue's other CSV tables (reports,
//! verdicts, the worklist). Every CSV cell written is safe to open in a
//! spreadsheet ([`escape_cell`]), and the reader undoes that.
//!
//! This crate reads and writes the streams it is given; it opens no files.

mod cell;
mod csv_reader;
mod error;
mod ndjson;
mod reader;
mod writer;

pub use crate::cell::{escape_cell, unescape_cell};
pub use crate::error::{Error, ErrorKind};
pub use crate::reader::{Format, Located, Reader};
pub use crate::writer::{CsvWriter, TableWriter, write_ndjson, write_rows};

/// Parses one NDJSON line (a JSON object) into an event; the ledger uses it
/// to read back the canonical encodings it stores.
pub fn event_from_json(line: &str) -> Result<events::Event, ErrorKind> {
    let mut record = events::RawRecord::default();
    if let Some(unknown) = ndjson::parse_object(line, &mut record)?.into_iter().next() {
        return Err(unknown);
    }
    events::Event::parse(&record).map_err(ErrorKind::Event)
}

/// The longest line accepted, in bytes (1 MiB). An event is a few hundred
/// bytes; a longer line is almost always a file of another kind.
pub const MAX_LINE_BYTES: usize = 1 << 20;

#[cfg(test)]
mod tests;
