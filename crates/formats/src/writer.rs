use std::io::{self, Write};

use events::{Event, Field};

/// Writes one event as an NDJSON line: its canonical encoding and `\n`.
pub fn write_ndjson(out: &mut impl Write, event: &Event, scratch: &mut Vec<u8>) -> io::Result<()> {
    scratch.clear();
    event.write_canonical_json(scratch);
    scratch.push(b'\n');
    out.write_all(scratch)
}

/// Writes events as CSV with one column per field of the vocabulary, in
/// [`Field::ALL`] order (without `recorded_at`). Lists are joined with `;`.
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
    scratch: Vec<u8>,
}

impl<W: Write> CsvWriter<W> {
    /// Starts a CSV stream and writes its header row.
    pub fn new(out: W) -> io::Result<CsvWriter<W>> {
        let mut out = csv::Writer::from_writer(out);
        let header = columns().map(Field::as_str);
        out.write_record(header).map_err(io::Error::other)?;
        Ok(CsvWriter { out, scratch: Vec::new() })
    }

    /// Writes one event as a row.
    pub fn write(&mut self, event: &Event) -> io::Result<()> {
        // The canonical encoding is the single description of an event's
        // fields; the row is read back from it.
        self.scratch.clear();
        event.write_canonical_json(&mut self.scratch);
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&self.scratch).map_err(io::Error::other)?;
        let row = columns().map(|field| match object.get(field.as_str()) {
            None => String::new(),
            Some(serde_json::Value::String(text)) => text.clone(),
            Some(serde_json::Value::Array(items)) => {
                items.iter().filter_map(serde_json::Value::as_str).collect::<Vec<_>>().join(";")
            }
            Some(other) => other.to_string(),
        });
        write_safe_row(&mut self.out, row)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|err| io::Error::other(err.to_string()))
    }
}

fn columns() -> impl Iterator<Item = Field> {
    Field::ALL.iter().copied().filter(|field| *field != Field::RecordedAt)
}

/// A CSV table of carequeue's own (a report, verdicts, the worklist),
/// written with the `csv` crate, each cell made safe for spreadsheets
/// ([`crate::escape_cell`]).
pub struct TableWriter<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> std::fmt::Debug for TableWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter").finish_non_exhaustive()
    }
}

impl<W: Write> TableWriter<W> {
    /// Starts a table: `comment` (one line, without its `# `), if given,
    /// comes first, then `header`.
    pub fn new<I, S>(mut out: W, comment: Option<&str>, header: I) -> io::Result<TableWriter<W>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        if let Some(comment) = comment {
            writeln!(out, "# {}", comment.replace(['\n', '\r'], " "))?;
        }
        let mut table = TableWriter { out: csv::Writer::from_writer(out) };
        table.row(header)?;
        Ok(table)
    }

    /// Writes one row.
    pub fn row<I, S>(&mut self, cells: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        write_safe_row(&mut self.out, cells)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|err| io::Error::other(err.to_string()))
    }
}

/// Appends rows to `out` as [`TableWriter`] writes them, for a table made
/// in parts whose header is written elsewhere.
pub fn write_rows<R, I, S>(out: &mut Vec<u8>, rows: R) -> io::Result<()>
where
    R: IntoIterator<Item = I>,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    // A small buffer: the rows go straight into `out`, which is memory.
    let mut writer = csv::WriterBuilder::new().buffer_capacity(256).from_writer(out);
    for row in rows {
        write_safe_row(&mut writer, row)?;
    }
    writer.flush()
}

/// Writes one record, each cell made safe for spreadsheets (copied only
/// when it changes).
fn write_safe_row<W, I, S>(out: &mut csv::Writer<W>, cells: I) -> io::Result<()>
where
    W: Write,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    for cell in cells {
        out.write_field(crate::cell::escape_cell(cell.as_ref()).as_bytes())
            .map_err(io::Error::other)?;
    }
    out.write_record(None::<&[u8]>).map_err(io::Error::other)
}
