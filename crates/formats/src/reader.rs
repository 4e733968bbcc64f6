use std::io::{BufRead, BufReader, Read};

use events::{Event, RawRecord};

use crate::MAX_LINE_BYTES;
use crate::csv_reader::{Header, LineLimit};
use crate::error::{Error, ErrorKind};
use crate::ndjson;

/// The format of an event file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Ndjson,
    /// A header row, then one event per row.
    Csv,
}

/// A value with the line of the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The 1-based line where the record starts.
    pub line: u64,
    /// The value.
    pub value: T,
}

/// Reads events from an NDJSON or CSV stream, one record at a time.
///
/// As an iterator it yields each event or the error that stopped it from
/// being one, and goes on with the next record; after a fatal error (see
/// [`Error::is_fatal`]) it ends.
#[derive(Debug)]
pub struct Reader<R: Read> {
    source_name: String,
    inner: Inner<R>,
    done: bool,
    /// A record's further problems, given before the next record is read:
    /// every problem of a row at once.
    pending: std::collections::VecDeque<Error>,
}

enum Inner<R: Read> {
    Ndjson {
        input: BufReader<R>,
        buf: Vec<u8>,
        line: u64,
    },
    Csv {
        input: Box<csv::Reader<LineLimit<BufReader<R>>>>,
        header: Option<Header>,
        row: csv::ByteRecord,
    },
}

impl<R: Read> std::fmt::Debug for Inner<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Inner::Ndjson { line, .. } => write!(f, "Ndjson {{ line: {line} }}"),
            Inner::Csv { .. } => f.write_str("Csv"),
        }
    }
}

impl<R: Read> Reader<R> {
    /// Wraps a stream, detecting its format from its first bytes: after an
    /// optional UTF-8 byte-order mark and whitespace, `{` means NDJSON and
    /// anything else CSV. `source_name` names the stream in errors.
    pub fn new(input: R, source_name: &str) -> Result<Reader<R>, Error> {
        let mut input = BufReader::with_capacity(64 * 1024, input);
        let format = detect(&mut input).map_err(|err| Error {
            source_name: source_name.to_owned(),
            line: 0,
            kind: ErrorKind::Io(err),
        })?;
        let inner = match format {
            Format::Ndjson => Inner::Ndjson { input, buf: Vec::new(), line: 0 },
            Format::Csv => {
                let delimiter = sniff_delimiter(input.buffer());
                // Lines end at `\n` (a `\r` before it is trimmed with the
                // cell's spaces): with the crate's default CRLF terminator,
                // a record after a `\r\n` reports the line before its own.
                let csv = csv::ReaderBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .delimiter(delimiter)
                    .has_headers(false)
                    // Rows are checked against the header by `Header::fill`:
                    // empty cells past the named columns are allowed.
                    .flexible(true)
                    .trim(csv::Trim::All)
                    .from_reader(LineLimit::new(input));
                Inner::Csv { input: Box::new(csv), header: None, row: csv::ByteRecord::new() }
            }
        };
        Ok(Reader {
            source_name: source_name.to_owned(),
            inner,
            done: false,
            pending: Default::default(),
        })
    }

    /// The detected format.
    pub fn format(&self) -> Format {
        match self.inner {
            Inner::Ndjson { .. } => Format::Ndjson,
            Inner::Csv { .. } => Format::Csv,
        }
    }

    fn error(&self, line: u64, kind: ErrorKind) -> Error {
        Error { source_name: self.source_name.clone(), line, kind }
    }

    fn next_event(&mut self) -> Option<Result<Located<Event>, Problems>> {
        match &mut self.inner {
            Inner::Ndjson { input, buf, line } => loop {
                let fits = match ndjson::read_line_limited(input, buf, MAX_LINE_BYTES) {
                    Ok(None) => return None,
                    Ok(Some(fits)) => fits,
                    Err(err) => return Some(Err((*line + 1, vec![ErrorKind::Io(err)]))),
                };
                *line += 1;
                if !fits {
                    return Some(Err((*line, vec![ErrorKind::LineTooLong])));
                }
                if buf.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let text = match std::str::from_utf8(buf) {
                    Ok(text) if *line == 1 => text.strip_prefix('\u{feff}').unwrap_or(text),
                    Ok(text) => text,
                    Err(err) => {
                        let column = err.valid_up_to() + 1;
                        return Some(Err((*line, vec![ErrorKind::InvalidUtf8 { column }])));
                    }
                };
                let mut record = RawRecord::default();
                let result = ndjson::parse_object(text, &mut record)
                    .map_err(|kind| vec![kind])
                    .and_then(|mut unknown| match Event::parse_all(&record) {
                        Ok(event) if unknown.is_empty() => Ok(event),
                        Ok(_) => Err(unknown),
                        Err(errors) => {
                            unknown.extend(event_errors(errors));
                            Err(unknown)
                        }
                    });
                return Some(
                    result.map(|value| Located { line: *line, value }).map_err(|k| (*line, k)),
                );
            },
            Inner::Csv { input, header, row } => loop {
                // An I/O error has no position: the record that failed starts
                // where the last one ended.
                let start_line = input.position().line();
                match input.read_byte_record(row) {
                    Ok(false) => return None,
                    Ok(true) => input.get_mut().mark(),
                    Err(err) => {
                        let line = err.position().map_or(start_line, |p| p.line());
                        let kind = if input.get_ref().too_long {
                            ErrorKind::LineTooLong
                        } else {
                            match err.into_kind() {
                                csv::ErrorKind::Io(err) => ErrorKind::Io(err),
                                other => {
                                    ErrorKind::Syntax { column: None, message: csv_message(&other) }
                                }
                            }
                        };
                        return Some(Err((line, vec![kind])));
                    }
                }
                let line = row.position().map_or(0, |p| p.line());
                let Some(columns) = header else {
                    match Header::parse(row) {
                        Ok(parsed) => {
                            *header = Some(parsed);
                            continue;
                        }
                        Err(kind) => return Some(Err((line, vec![kind]))),
                    }
                };
                // A blank line (a lone `\r` of a CRLF file included) or a row
                // of empty cells is skipped.
                let blank =
                    |cell: &[u8]| std::str::from_utf8(cell).is_ok_and(|t| t.trim().is_empty());
                if row.iter().all(blank) {
                    continue;
                }
                let mut record = RawRecord::default();
                let result = columns
                    .fill(row, &mut record)
                    .map_err(|kind| vec![kind])
                    .and_then(|()| Event::parse_all(&record).map_err(event_errors));
                return Some(result.map(|value| Located { line, value }).map_err(|k| (line, k)));
            },
        }
    }
}

/// A record's line and every problem found in it.
type Problems = (u64, Vec<ErrorKind>);

/// A record's problems as a reader reports them.
fn event_errors(errors: Vec<events::Error>) -> Vec<ErrorKind> {
    errors.into_iter().map(ErrorKind::Event).collect()
}

fn csv_message(kind: &csv::ErrorKind) -> String {
    match kind {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("row has {len} cells but the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8 in cell {}", err.field() + 1),
        other => format!("{other:?}"),
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Located<Event>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(err) = self.pending.pop_front() {
            return Some(Err(err));
        }
        if self.done {
            return None;
        }
        let item = self.next_event()?;
        Some(item.map_err(|(line, kinds)| {
            let mut errors: std::collections::VecDeque<Error> =
                kinds.into_iter().map(|kind| self.error(line, kind)).collect();
            let first = errors.pop_front().unwrap_or_else(|| {
                self.error(
                    line,
                    ErrorKind::Syntax { column: None, message: "no problem given".into() },
                )
            });
            if first.is_fatal()
                || matches!(first.kind, ErrorKind::LineTooLong) && self.format() == Format::Csv
            {
                self.done = true;
            }
            self.pending = errors;
            first
        }))
    }
}

/// The delimiter of a CSV file, from its header line: a comma, or a
/// semicolon (spreadsheets in much of Europe write those) or a tab, when
/// one of those separates more columns. Field names never hold any of them.
fn sniff_delimiter(head: &[u8]) -> u8 {
    let head = head.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(head);
    // The header: the first line that is not blank.
    let line = head
        .split(|b| *b == b'\n')
        .find(|line| !line.iter().all(u8::is_ascii_whitespace))
        .unwrap_or(head);
    let count = |delimiter: u8| line.iter().filter(|b| **b == delimiter).count();
    let mut best = (count(b','), b',');
    for delimiter in [b';', b'\t'] {
        if count(delimiter) > best.0 {
            best = (count(delimiter), delimiter);
        }
    }
    best.1
}

/// Peeks at the first buffer of input to tell NDJSON from CSV.
fn detect(input: &mut impl BufRead) -> std::io::Result<Format> {
    let head = input.fill_buf()?;
    let head = head.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(head);
    Ok(match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | None => Format::Ndjson,
        Some(_) => Format::Csv,
    })
}
