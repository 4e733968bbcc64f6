//! `carequeue events`.

use std::io::{self, BufWriter, Seek, Write};

use anyhow::{Context, Result};
use ledger::{Ledger, StoredEvent};

use crate::Outcome;
use crate::cli::{EventsArgs, EventsFormat};
use crate::provenance::Announce;
use crate::provenance::Provenance;

pub(crate) fn run(args: &EventsArgs) -> Result<Outcome> {
    let as_of = args.as_of;
    let ledger = Ledger::open(&args.db.db)?;
    // The chain is checked in the same read; the events wait in a temporary
    // file until it has verified, so that nothing from a broken chain
    // reaches the output unless asked for.
    let file = tempfile::tempfile().context("cannot create a temporary file for the events")?;
    let mut out = BufWriter::with_capacity(1 << 16, file);
    let mut scratch = Vec::with_capacity(512);
    let checked = match args.format {
        EventsFormat::Ndjson if args.with_chain => ledger.verify_and_read(as_of, |stored| {
            write_with_chain(&mut out, &stored, &mut scratch)?;
            Ok(())
        })?,
        EventsFormat::Ndjson => ledger.verify_and_read(as_of, |stored| {
            formats::write_ndjson(&mut out, &stored.event, &mut scratch)?;
            Ok(())
        })?,
        EventsFormat::Csv => {
            let mut csv = formats::CsvWriter::new(out)?;
            let checked = ledger.verify_and_read(as_of, |stored| {
                csv.write(&stored.event)?;
                Ok(())
            })?;
            out = csv.finish()?;
            checked
        }
    };
    let provenance = Provenance::new(&checked.verification, &checked.batches, as_of);
    // NDJSON has no place to mark a break: each line must be an event.
    if !provenance.announce(Some(args.chain.allow_broken_chain), false)? {
        return Ok(Outcome::Failure);
    }
    let mut file = out.into_inner().map_err(|err| err.into_error())?;
    file.rewind()?;
    let mut stdout = io::stdout().lock();
    if args.format == EventsFormat::Csv
        && let Some(note) = provenance.broken_note()
    {
        writeln!(stdout, "# {note}")?;
    }
    io::copy(&mut file, &mut stdout).context("write events")?;
    stdout.flush().context("write events")?;
    Ok(provenance.outcome())
}

fn write_with_chain(
    out: &mut impl Write,
    stored: &StoredEvent,
    scratch: &mut Vec<u8>,
) -> io::Result<()> {
    scratch.clear();
    stored.event.write_canonical_json(scratch);
    // The hash is the stored column, which a tampered ledger may hold
    // anything in: written as a JSON string, escaped.
    let voided_by = stored.voided_by.as_ref().map(|id| id.as_str());
    write!(
        out,
        "{{\"seq\":{},\"recorded_at\":\"{}\",\"backfill\":{},\"hash\":{},\"voided_by\":{},\"event\":",
        stored.seq,
        ledger::format_recorded_at(stored.recorded_at),
        stored.backfill,
        serde_json::to_string(&stored.hash).map_err(io::Error::other)?,
        serde_json::to_string(&voided_by).map_err(io::Error::other)?
    )?;
    out.write_all(scratch)?;
    out.write_all(b"}\n")
}
