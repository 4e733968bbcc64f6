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
        self.out.write_record(row).map_err(io::Error::other)
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        self.out.into_inner().map_err(|err| io::Error::other(err.to_string()))
    }
}

fn columns() -> impl Iterator<Item = Field> {
    Field::ALL.iter().copied().filter(|field| *field != Field::RecordedAt)
}
