//! CSV: a header row naming any subset of the fields, then one event per row.

use std::io::{self, Read};

use events::{Field, Raw, RawRecord};

use crate::MAX_LINE_BYTES;
use crate::error::ErrorKind;

/// Passes bytes through, counting lines, and fails with
/// [`io::ErrorKind::InvalidData`] as soon as one physical line, or the bytes
/// read since the last [`LineLimit::mark`] (one record, whose quoted cells
/// may hold newlines, plus what the CSV parser buffers ahead), pass their
/// limit, so that no record can make the reader buffer without end.
pub(crate) struct LineLimit<R> {
    inner: R,
    /// The 1-based line of the next byte.
    pub(crate) line: u64,
    in_line: usize,
    since_mark: usize,
    pub(crate) too_long: bool,
}

/// What the CSV parser may read ahead of the record it returns.
const READ_AHEAD: usize = 256 * 1024;

impl<R> LineLimit<R> {
    pub(crate) fn new(inner: R) -> LineLimit<R> {
        LineLimit { inner, line: 1, in_line: 0, since_mark: 0, too_long: false }
    }

    /// Starts counting a new record.
    pub(crate) fn mark(&mut self) {
        self.since_mark = 0;
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.too_long {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        }
        let n = self.inner.read(buf)?;
        self.since_mark += n;
        if self.since_mark > MAX_LINE_BYTES + READ_AHEAD {
            self.too_long = true;
            return Err(io::Error::new(io::ErrorKind::InvalidData, "record too long"));
        }
        for &byte in &buf[..n] {
            if byte == b'\n' {
                self.line += 1;
                self.in_line = 0;
            } else {
                self.in_line += 1;
                if self.in_line > MAX_LINE_BYTES {
                    self.too_long = true;
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
                }
            }
        }
        Ok(n)
    }
}

/// The columns of a CSV file, checked.
pub(crate) struct Header {
    columns: Vec<Field>,
}

impl Header {
    /// Checks the header row: every cell a field name, none twice, and the
    /// fields every event needs (`event_id`, `type`, `occurred_at`) present.
    pub(crate) fn parse(record: &csv::ByteRecord) -> Result<Header, ErrorKind> {
        let mut columns = Vec::with_capacity(record.len());
        // Spreadsheets often write empty columns after the last one named:
        // they are ignored (a row that puts a value there is an error).
        let named = record.iter().rposition(|cell| !cell.is_empty()).map_or(0, |idx| idx + 1);
        for (idx, cell) in record.iter().enumerate().take(named) {
            if cell.is_empty() {
                return Err(ErrorKind::Header {
                    message: format!(
                        "column {} has no name, between columns that do (docs/events.md \
                         lists the fields)",
                        idx + 1
                    ),
                });
            }
            let name = std::str::from_utf8(cell).map_err(|_| ErrorKind::Header {
                message: format!("column {} is not valid UTF-8", idx + 1),
            })?;
            let name = name.strip_prefix('\u{feff}').unwrap_or(name);
            let field = Field::from_name(name).ok_or_else(|| {
                // A whole header in one cell: the file is separated by
                // something else.
                let separated = [('|', "`|`"), (';', "`;`"), (',', "`,`"), ('\t', "tabs")]
                    .into_iter()
                    .find(|(c, _)| name.contains(*c))
                    .map(|(_, name)| {
                        format!(
                            "; is the file separated by {name}? carequeue reads commas, \
                             semicolons and tabs"
                        )
                    })
                    .unwrap_or_default();
                ErrorKind::Header {
                    message: format!(
                        "column {} is named {name:?}, which is no field of the vocabulary \
                         (docs/events.md lists the fields){separated}",
                        idx + 1
                    ),
                }
            })?;
            if field == Field::RecordedAt {
                return Err(ErrorKind::Header {
                    message: "column `recorded_at` is assigned by carequeue when an event is \
                              stored, so a source may not supply it"
                        .to_owned(),
                });
            }
            if columns.contains(&field) {
                return Err(ErrorKind::Header {
                    message: format!("column `{field}` appears twice"),
                });
            }
            columns.push(field);
        }
        for needed in [Field::EventId, Field::Type, Field::OccurredAt] {
            if !columns.contains(&needed) {
                return Err(ErrorKind::Header {
                    message: format!("no `{needed}` column; every event needs one"),
                });
            }
        }
        Ok(Header { columns })
    }

    /// Fills `record` from one row; empty cells are absent fields.
    pub(crate) fn fill<'a>(
        &self,
        row: &'a csv::ByteRecord,
        record: &mut RawRecord<'a>,
    ) -> Result<(), ErrorKind> {
        record.clear();
        if row.len() < self.columns.len() {
            return Err(ErrorKind::Syntax {
                column: None,
                message: format!(
                    "row has {} cells but the header names {} columns",
                    row.len(),
                    self.columns.len()
                ),
            });
        }
        if let Some(idx) =
            row.iter().enumerate().skip(self.columns.len()).find(|(_, cell)| !cell.is_empty())
        {
            return Err(ErrorKind::Syntax {
                column: Some(idx.0 + 1),
                message: format!(
                    "a value under a column the header does not name (it names {})",
                    self.columns.len()
                ),
            });
        }
        for (field, cell) in self.columns.iter().zip(row.iter()) {
            if cell.is_empty() {
                continue;
            }
            let text = std::str::from_utf8(cell).map_err(|err| {
                ErrorKind::Event(events::Error::Invalid {
                    field: *field,
                    expected: "valid UTF-8 text",
                    found: format!(
                        "{} bytes with an invalid byte at byte {}",
                        cell.len(),
                        err.valid_up_to() + 1
                    ),
                })
            })?;
            // Spreadsheets leave non-breaking spaces around cells too (the
            // reader trims only ASCII ones); a cell of spaces alone is empty.
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            // Cells made safe for spreadsheets are read back as written.
            record.set(*field, Raw::Text(crate::cell::unescape_cell(text)));
        }
        Ok(())
    }
}
