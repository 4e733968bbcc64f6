//! `carequeue ingest`: files into the ledger, each whole or not at all.

use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ledger::{AppendOptions, Appended, Incoming, Ledger, Problem};

use crate::Outcome;
use crate::cli::IngestArgs;

/// Records travel from the reader thread to the ledger in chunks of this many.
const CHUNK: usize = 1024;

#[derive(Default)]
struct Totals {
    n_files: u64,
    n_rejected_files: u64,
    /// The rejected files' names, for the summary.
    rejected: Vec<String>,
    n_new: u64,
    n_duplicate: u64,
    n_rejected: u64,
}

pub(crate) fn run(args: &IngestArgs) -> Result<Outcome> {
    // `--check` stores nothing, not even a new ledger or a migration: an
    // existing ledger is checked as it is (it must be one already), and
    // files meant for a ledger that does not exist yet are checked against
    // an empty one, made apart.
    let db = &args.db.db;
    let is_url = db.starts_with("postgres://") || db.starts_with("postgresql://");
    let scratch = if args.check && !is_url && !Path::new(db).exists() {
        Some(tempfile::tempdir().context("cannot create a temporary folder for --check")?)
    } else {
        None
    };
    let ledger = match &scratch {
        Some(dir) => Ledger::create(&dir.path().join("check.db").display().to_string())?,
        None if args.check => {
            // Fails, naming it, on anything that is not a ledger; never
            // migrates one (a real ingest would bring it up to date first).
            if Ledger::open(db)?.needs_migration() {
                anyhow::bail!(
                    "{db}: the ledger's schema is older than this carequeue's; --check never \
                     changes a ledger, and the first real ingest brings it up to date (then \
                     check again)"
                );
            }
            Ledger::create(db)?
        }
        None => Ledger::create(db)?,
    };
    if scratch.is_some() {
        writeln!(io::stdout(), "no ledger at {db}: the files are checked against an empty one")?;
    }
    let started = Instant::now();
    let mut totals = Totals::default();
    for path in &args.files {
        totals.n_files += 1;
        ingest_file(&ledger, path, args, &mut totals)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let n_events = totals.n_new + totals.n_duplicate + totals.n_rejected;
    let rate = if seconds > 0.0 { n_events as f64 / seconds } else { 0.0 };
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{} file{}: {} new, {} duplicate, {} rejected events in {seconds:.2} s ({rate:.0} events/s)",
        totals.n_files,
        if totals.n_files == 1 { "" } else { "s" },
        totals.n_new,
        totals.n_duplicate,
        totals.n_rejected,
    )?;
    if scratch.is_none() {
        writeln!(out, "ledger {} head {}", ledger.location(), ledger.head()?)?;
    }
    if totals.n_rejected_files > 0 {
        let n_accepted = totals.n_files - totals.n_rejected_files;
        let others = match (n_accepted, args.check) {
            (0, _) => String::new(),
            (1, false) => "; the other file was stored".to_owned(),
            (n, false) => format!("; the other {n} files were stored"),
            (1, true) => "; the other file is valid".to_owned(),
            (n, true) => format!("; the other {n} files are valid"),
        };
        writeln!(
            io::stderr(),
            "error: {} of {} file{} rejected ({}), and nothing of {} was stored{others}",
            totals.n_rejected_files,
            totals.n_files,
            if totals.n_files == 1 { "" } else { "s" },
            totals.rejected.join(", "),
            if totals.n_rejected_files == 1 { "it" } else { "them" },
        )?;
        return Ok(Outcome::Failure);
    }
    Ok(Outcome::Success)
}

fn ingest_file(ledger: &Ledger, path: &Path, args: &IngestArgs, totals: &mut Totals) -> Result<()> {
    let name = path.display().to_string();
    let (input, size): (Box<dyn Read + Send>, Option<u64>) = if name == "-" {
        (Box::new(io::stdin()), None)
    } else {
        match File::open(path) {
            Ok(file) => {
                let size = file.metadata().ok().map(|m| m.len());
                (Box::new(file), size)
            }
            Err(err) => {
                writeln!(io::stderr(), "rejected {name}: cannot open: {err}")?;
                totals.n_rejected_files += 1;
                totals.rejected.push(name);
                return Ok(());
            }
        }
    };
    let progress = progress_bar(&name, size);
    let input: Box<dyn Read + Send> = match &progress {
        Some(bar) => Box::new(bar.wrap_read(input)),
        None => input,
    };
    let mut options =
        AppendOptions::new(name.clone(), ledger::RecordedAt::Now(jiff::Timestamp::now));
    options.max_problems = args.max_errors;
    options.allow_empty = args.allow_empty;
    options.dry_run = args.check;
    if args.backfill {
        options.kind = ledger::BatchKind::Backfill;
    }
    let (appended, n_unreadable) = match formats::Reader::new(input, &name) {
        Err(err) => (
            Appended::Rejected(ledger::Rejection {
                problems: vec![Problem::Source(err)],
                n_more: 0,
                n_read: 0,
            }),
            1,
        ),
        Ok(reader) => {
            append_pipelined(ledger, reader, &options).with_context(|| format!("storing {name}"))?
        }
    };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    match appended {
        Appended::Stored(summary) => {
            let batch = &summary.batch;
            totals.n_new += batch.n_new;
            totals.n_duplicate += batch.n_duplicate;
            let seqs = if batch.n_new == 0 {
                "nothing new".to_owned()
            } else {
                format!("seq {}..={}", batch.first_seq, batch.last_seq)
            };
            if args.check {
                writeln!(
                    io::stdout(),
                    "checked {name}: {} events, {} new, {} duplicate; valid, nothing stored \
                     (--check)",
                    batch.n_read,
                    batch.n_new,
                    batch.n_duplicate,
                )?;
            } else {
                let kind = match batch.kind {
                    ledger::BatchKind::Live => "",
                    ledger::BatchKind::Backfill => "backfill ",
                };
                writeln!(
                    io::stdout(),
                    "stored {name}: {} events, {} new, {} duplicate ({kind}batch {}, {seqs})",
                    batch.n_read,
                    batch.n_new,
                    batch.n_duplicate,
                    batch.batch_id
                )?;
            }
        }
        Appended::Rejected(rejection) => {
            totals.n_rejected_files += 1;
            totals.rejected.push(name.clone());
            totals.n_rejected += rejection.n_read + n_unreadable;
            let mut err = io::stderr().lock();
            writeln!(err, "rejected {name}: nothing of it stored")?;
            for problem in &rejection.problems {
                match problem {
                    Problem::Source(source) => writeln!(err, "  {source}")?,
                    Problem::NoEvents => writeln!(
                        err,
                        "  {name}: the file holds no event (it is empty, or a CSV header alone); \
                         --allow-empty records it as an empty batch"
                    )?,
                    Problem::Event(problem) => {
                        writeln!(err, "  {name}:{}: {problem}", problem.line)?
                    }
                }
            }
            if rejection.n_more > 0 {
                writeln!(err, "  ... and {} more problems", rejection.n_more)?;
            }
        }
    }
    Ok(())
}

/// What the reader thread sends the ledger.
enum Message {
    /// The next records.
    Chunk(Vec<Result<Incoming, formats::Error>>),
    /// Every record was sent.
    End,
}

/// The records as they arrive from the reader thread. If the thread stops
/// without sending [`Message::End`] (it panicked), the last item is an error,
/// so that the ledger rejects the batch rather than store part of it.
struct Received<'a> {
    receiver: &'a mpsc::Receiver<Message>,
    chunk: std::vec::IntoIter<Result<Incoming, formats::Error>>,
    done: bool,
    source_name: &'a str,
}

impl Iterator for Received<'_> {
    type Item = Result<Incoming, formats::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.chunk.next() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.receiver.recv() {
                Ok(Message::Chunk(chunk)) => self.chunk = chunk.into_iter(),
                Ok(Message::End) => self.done = true,
                Err(_) => {
                    self.done = true;
                    return Some(Err(formats::Error {
                        source_name: self.source_name.to_owned(),
                        line: 0,
                        kind: formats::ErrorKind::Io(io::Error::other(
                            "reading stopped before the end",
                        )),
                    }));
                }
            }
        }
    }
}

/// Reads and checks records on one thread while the ledger stores them on
/// this one.
/// Also gives how many records could not be read as events (a record with
/// several problems counts once; every one is counted, listed or not).
fn append_pipelined<R: Read + Send>(
    ledger: &Ledger,
    reader: formats::Reader<R>,
    options: &AppendOptions,
) -> Result<(Appended<formats::Error>, u64), ledger::Error> {
    let (sender, receiver) = mpsc::sync_channel::<Message>(8);
    let unreadable = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        let unreadable = &unreadable;
        scope.spawn(move || {
            let mut chunk = Vec::with_capacity(CHUNK);
            // A record's problems come one after another, on its line.
            let mut last_failed_line = None;
            for item in reader {
                if let Err(err) = &item
                    && last_failed_line != Some(err.line)
                {
                    last_failed_line = Some(err.line);
                    unreadable.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                chunk.push(item.map(|located| Incoming::new(located.line, located.value)));
                if chunk.len() == CHUNK
                    && sender.send(Message::Chunk(std::mem::take(&mut chunk))).is_err()
                {
                    // The ledger stopped (a storage error); stop reading.
                    return;
                }
            }
            let _ = sender.send(Message::Chunk(chunk));
            let _ = sender.send(Message::End);
        });
        let received = Received {
            receiver: &receiver,
            chunk: Vec::new().into_iter(),
            done: false,
            source_name: &options.source,
        };
        ledger.append(received, options)
    })
    .map(|appended| (appended, unreadable.load(std::sync::atomic::Ordering::Relaxed)))
}

fn progress_bar(name: &str, size: Option<u64>) -> Option<ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = match size {
        Some(size) => ProgressBar::new(size),
        None => ProgressBar::no_length(),
    };
    let style = ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .map(|style| style.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(name.to_owned());
    Some(bar)
}
