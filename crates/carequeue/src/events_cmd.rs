//! `carequeue events`.

use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use ledger::{Ledger, StoredEvent};

use crate::Outcome;
use crate::cli::{EventsArgs, EventsFormat};

pub(crate) fn run(args: &EventsArgs) -> Result<Outcome> {
    let as_of = args.as_of;
    let ledger = Ledger::open(&args.db.db)?;
    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    let mut scratch = Vec::with_capacity(512);
    match args.format {
        EventsFormat::Ndjson if args.with_chain => {
            ledger.for_each_event(as_of, |stored| {
                write_with_chain(&mut out, &stored, &mut scratch)?;
                Ok(())
            })?;
        }
        EventsFormat::Ndjson => {
            ledger.for_each_event(as_of, |stored| {
                formats::write_ndjson(&mut out, &stored.event, &mut scratch)?;
                Ok(())
            })?;
        }
        EventsFormat::Csv => {
            let mut csv = formats::CsvWriter::new(out)?;
            ledger.for_each_event(as_of, |stored| {
                csv.write(&stored.event)?;
                Ok(())
            })?;
            out = csv.finish()?;
        }
    }
    out.flush().context("write events")?;
    Ok(Outcome::Success)
}

fn write_with_chain(
    out: &mut impl Write,
    stored: &StoredEvent,
    scratch: &mut Vec<u8>,
) -> io::Result<()> {
    scratch.clear();
    stored.event.write_canonical_json(scratch);
    let voided_by = match &stored.voided_by {
        Some(id) => format!("\"{id}\""),
        None => "null".to_owned(),
    };
    write!(
        out,
        "{{\"seq\":{},\"recorded_at\":\"{}\",\"hash\":\"{}\",\"voided_by\":{voided_by},\"event\":",
        stored.seq,
        ledger::format_recorded_at(stored.recorded_at),
        stored.hash
    )?;
    out.write_all(scratch)?;
    out.write_all(b"}\n")
}
