//! Benchmark: ingest throughput against baselines in the same run.
//!
//! ```text
//! cargo bench -p carequeue --bench ingest -- [--events N] [--postgres URL|none]
//! ```
//!
//! Generates N synthetic events (default 5,000,000; a fixed seed, and dates
//! that end before today, so every run of a day reads the same file) as
//! NDJSON, then measures in one run:
//!
//! - `carequeue ingest` into a fresh SQLite ledger (the release binary, as a
//!   user runs it: reading, checking, canonical encoding, reference checks,
//!   hashing, durable commit), with its peak memory, at N and at N/5 events
//!   to show that memory does not grow with the file;
//! - baseline A: the same rows (the same columns and bodies, a constant
//!   hash) inserted into a plain SQLite table with no indexes, no validation
//!   and no hashing, in one transaction with the same durability settings;
//! - baseline B: the same, into a table with the ledger's indexes;
//! - the same for PostgreSQL (unless `--postgres none`): carequeue ingest
//!   against a binary COPY of the same rows into a plain table.
//!
//! Ratios are carequeue's time over the baseline's. The machine is noisy;
//! compare ratios, not absolute figures. Nothing here is asserted.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const BIN: &str = env!("CARGO_BIN_EXE_carequeue");

struct Args {
    n_events: usize,
    postgres: Option<String>,
}

fn parse_args() -> Args {
    let mut args = Args {
        n_events: 5_000_000,
        postgres: Some("postgres://postgres@127.0.0.1:5432/postgres".to_owned()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--events" => {
                args.n_events = it.next().and_then(|n| n.parse().ok()).expect("--events N")
            }
            "--postgres" => {
                let url = it.next().expect("--postgres URL|none");
                args.postgres = (url != "none").then_some(url);
            }
            "--bench" => {}
            other => panic!("unknown argument {other:?}"),
        }
    }
    args
}

/// Writes `n` events of a synthetic plan: clinics, clinicians, slots, and
/// requests that are opened, sometimes re-triaged, offered (sometimes
/// declined and offered again), booked, attended or missed, and closed.
fn generate(path: &Path, n: usize, start: jiff::Timestamp) {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut written = 0;
    let mut line = String::with_capacity(512);
    let mut emit = |line: &mut String, written: &mut usize| {
        line.push('\n');
        out.write_all(line.as_bytes()).unwrap();
        line.clear();
        *written += 1;
    };
    let offset = jiff::tz::Offset::from_hours(-8).unwrap();
    // Clinics and clinicians are registered as the plan starts.
    let registered = events::Instant::new(start, offset).to_string();
    for clinic in 0..50 {
        let _ = write!(
            line,
            r#"{{"event_id":"c{clinic}","type":"clinic.registered","occurred_at":"{registered}","clinic":"c{clinic}","time_zone":"America/Los_Angeles","network":"n{}","name":"Clinic {clinic}"}}"#,
            clinic % 5
        );
        emit(&mut line, &mut written);
    }
    let types = ["psychiatrist", "non_physician_mh", "non_physician_mh", "sud"];
    for clinician in 0..500 {
        let _ = write!(
            line,
            r#"{{"event_id":"d{clinician}","type":"clinician.registered","occurred_at":"{registered}","clinician_id":"d{clinician}","clinic":"c{}","provider_type":"{}","fte":0.8}}"#,
            clinician % 50,
            types[clinician % 4]
        );
        emit(&mut line, &mut written);
    }
    let mut request = 0u64;
    let mut minute = 0u64;
    let stamp = |minute: u64| {
        let moment = start + jiff::SignedDuration::from_mins(minute as i64);
        events::Instant::new(moment, offset).to_string()
    };
    while written < n {
        request += 1;
        minute += rng.random_range(1..4);
        let r = request;
        let clinician = rng.random_range(0..500u64);
        let ptype = types[(clinician % 4) as usize];
        let urgency = if rng.random_bool(0.15) { "urgent" } else { "routine" };
        if rng.random_bool(0.05) {
            let _ = write!(
                line,
                r#"{{"event_id":"s{r}","type":"slot.published","occurred_at":"{}","slot_id":"s{r}","clinician_id":"d{clinician}","clinic":"c{}","start":"{}","end":"{}","format":"individual"}}"#,
                stamp(minute),
                clinician % 50,
                stamp(minute + 7 * 1440),
                stamp(minute + 7 * 1440 + 50)
            );
            emit(&mut line, &mut written);
        }
        let _ = write!(
            line,
            r#"{{"event_id":"r{r}-o","type":"request.opened","occurred_at":"{}","request_id":"r{r}","patient_id":"p{}","clinic":"c{}","urgency":"{urgency}","provider_type":"{ptype}","visit":"initial","channel":"phone"}}"#,
            stamp(minute),
            rng.random_range(0..200_000u32),
            clinician % 50
        );
        emit(&mut line, &mut written);
        if rng.random_bool(0.1) {
            let _ = write!(
                line,
                r#"{{"event_id":"r{r}-t","type":"request.triaged","occurred_at":"{}","request_id":"r{r}","urgency":"urgent"}}"#,
                stamp(minute + 30)
            );
            emit(&mut line, &mut written);
        }
        let mut offer = 0;
        loop {
            offer += 1;
            let _ = write!(
                line,
                r#"{{"event_id":"r{r}-m{offer}","type":"offer.made","occurred_at":"{}","request_id":"r{r}","offer_id":"r{r}-{offer}","appointment_at":"{}","clinician_id":"d{clinician}","provider_type":"{ptype}","format":"individual","modality":"video"}}"#,
                stamp(minute + 60),
                stamp(minute + 1440 * rng.random_range(1..20))
            );
            emit(&mut line, &mut written);
            if offer == 3 || !rng.random_bool(0.15) {
                break;
            }
            let _ = write!(
                line,
                r#"{{"event_id":"r{r}-d{offer}","type":"offer.declined","occurred_at":"{}","request_id":"r{r}","offer_id":"r{r}-{offer}","reason":"patient_preference"}}"#,
                stamp(minute + 61)
            );
            emit(&mut line, &mut written);
        }
        let _ = write!(
            line,
            r#"{{"event_id":"r{r}-b","type":"appointment.booked","occurred_at":"{}","request_id":"r{r}","appointment_id":"a{r}","appointment_at":"{}","clinician_id":"d{clinician}","format":"individual","modality":"video","offer_id":"r{r}-{offer}"}}"#,
            stamp(minute + 62),
            stamp(minute + 1440 * 5)
        );
        emit(&mut line, &mut written);
        let outcome = if rng.random_bool(0.85) { "attended" } else { "no_show" };
        let _ = write!(
            line,
            r#"{{"event_id":"r{r}-a","type":"appointment.{outcome}","occurred_at":"{}","request_id":"r{r}","appointment_id":"a{r}"}}"#,
            stamp(minute + 1440 * 5 + 50)
        );
        emit(&mut line, &mut written);
        let _ = write!(
            line,
            r#"{{"event_id":"r{r}-c","type":"request.closed","occurred_at":"{}","request_id":"r{r}","reason":"served"}}"#,
            stamp(minute + 1440 * 5 + 60)
        );
        emit(&mut line, &mut written);
    }
    out.flush().unwrap();
}

/// A file of at least `n` events (a request's events are never split).
fn data(dir: &Path, n: usize) -> PathBuf {
    // Ingest refuses events that have not happened yet: the plan ends before
    // today. A request takes at least four events and moves the clock on at
    // most 3 minutes, and its last event comes at most 5 days and an hour
    // after it, so starting n minutes and 10 days before today's midnight
    // keeps every event in the past. The start is a whole day, and names
    // the file.
    let today = jiff::Timestamp::now().as_second().div_euclid(86_400) * 86_400;
    let start = jiff::Timestamp::from_second(today - (n as i64 + 10 * 1440) * 60).unwrap();
    let day = start.strftime("%Y%m%d");
    let path = dir.join(format!("bench-v2-{n}-{day}.ndjson"));
    if !path.exists() {
        let started = Instant::now();
        let tmp = path.with_extension("tmp");
        generate(&tmp, n, start);
        std::fs::rename(&tmp, &path).unwrap();
        println!("generated {} in {:.1} s", path.display(), started.elapsed().as_secs_f64());
    }
    path
}

/// One row as the ledger stores it, read from the file before timing.
struct Row {
    event_id: String,
    event_type: &'static str,
    request_id: Option<String>,
    creates: Option<String>,
    voids: Option<String>,
    body: String,
}

fn rows(path: &Path) -> Vec<Row> {
    let file = std::fs::File::open(path).unwrap();
    formats::Reader::new(file, "bench")
        .unwrap()
        .map(|item| {
            let event = item.unwrap().value;
            Row {
                event_id: event.event_id.to_string(),
                event_type: event.event_type().as_str(),
                request_id: event.request_id().map(|id| id.to_string()),
                creates: event.creates().map(|(e, id)| format!("{}:{id}", e.as_str())),
                voids: event.voids().map(|id| id.to_string()),
                body: String::from_utf8(event.canonical_json()).unwrap(),
            }
        })
        .collect()
}

const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Flushes dirty pages, so that one run's writes do not slow the next.
fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_secs(1));
}

/// Runs `carequeue ingest` into `db`; returns its wall time and peak RSS.
fn run_ingest(db: &str, file: &Path) -> (Duration, u64) {
    settle();
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(["ingest", "--db", db])
        .arg(file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            for line in status.lines() {
                if let Some(rest) = line.strip_prefix("VmHWM:") {
                    let kib: u64 = rest.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0);
                    peak_kib = peak_kib.max(kib);
                }
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "ingest failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(" 0 rejected"), "{stdout}");
    (started.elapsed(), peak_kib / 1024)
}

fn sqlite_baseline(path: &Path, rows: &[Row], with_indexes: bool) -> Duration {
    let _ = std::fs::remove_file(path);
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.pragma_update(None, "cache_size", -256_000).unwrap();
    conn.execute_batch(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, type TEXT NOT NULL,
            recorded_at TEXT NOT NULL, request_id TEXT, creates TEXT, voids TEXT, body TEXT NOT NULL,
            hash TEXT NOT NULL)",
    )
    .unwrap();
    settle();
    if with_indexes {
        conn.execute_batch(
            "CREATE UNIQUE INDEX events_id ON events (event_id);
             CREATE UNIQUE INDEX events_creates ON events (creates) WHERE creates IS NOT NULL;
             CREATE UNIQUE INDEX events_voids ON events (voids) WHERE voids IS NOT NULL;
             CREATE INDEX events_request ON events (request_id) WHERE request_id IS NOT NULL;",
        )
        .unwrap();
    }
    let started = Instant::now();
    conn.execute_batch("BEGIN").unwrap();
    {
        let mut insert =
            conn.prepare("INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)").unwrap();
        for (idx, row) in rows.iter().enumerate() {
            insert
                .execute(rusqlite::params![
                    idx as i64 + 1,
                    row.event_id,
                    row.event_type,
                    "2026-11-29T00:00:00.000000Z",
                    row.request_id,
                    row.creates,
                    row.voids,
                    row.body,
                    HASH
                ])
                .unwrap();
        }
    }
    conn.execute_batch("COMMIT").unwrap();
    // Closing checkpoints the WAL into the database file, as carequeue's
    // exit does; it belongs in the time.
    drop(conn);
    started.elapsed()
}

fn postgres_baseline(url: &str, rows: &[Row]) -> Duration {
    use postgres::binary_copy::BinaryCopyInWriter;
    use postgres::types::Type;
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client
        .batch_execute(
            "CREATE TABLE plain_events (seq BIGINT, event_id TEXT, type TEXT, recorded_at TEXT,
                request_id TEXT, creates TEXT, voids TEXT, body TEXT, hash TEXT)",
        )
        .unwrap();
    settle();
    let started = Instant::now();
    let mut tx = client.transaction().unwrap();
    let sink = tx.copy_in("COPY plain_events FROM STDIN (FORMAT binary)").unwrap();
    let types = [
        Type::INT8,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
    ];
    let mut writer = BinaryCopyInWriter::new(sink, &types);
    for (idx, row) in rows.iter().enumerate() {
        writer
            .write(&[
                &(idx as i64 + 1),
                &row.event_id,
                &row.event_type,
                &"2026-11-29T00:00:00.000000Z",
                &row.request_id,
                &row.creates,
                &row.voids,
                &row.body,
                &HASH,
            ])
            .unwrap();
    }
    writer.finish().unwrap();
    tx.commit().unwrap();
    started.elapsed()
}

fn rate(n: usize, time: Duration) -> String {
    format!("{:>9.0} events/s ({:.2} s)", n as f64 / time.as_secs_f64(), time.as_secs_f64())
}

fn main() {
    let args = parse_args();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("bench-ingest");
    std::fs::create_dir_all(&dir).unwrap();
    let small_n = args.n_events / 5;
    let big = data(&dir, args.n_events);
    let small = data(&dir, small_n);
    let rows = rows(&big);
    let n = rows.len();
    println!("{n} events, {} MB of NDJSON", std::fs::metadata(&big).unwrap().len() >> 20);

    println!("\nSQLite (one transaction per file, WAL, synchronous=FULL):");
    let a = sqlite_baseline(&dir.join("baseline-a.db"), &rows, false);
    let ledger = dir.join("ledger.db");
    let _ = std::fs::remove_file(&ledger);
    let (ours, peak) = run_ingest(ledger.to_str().unwrap(), &big);
    let b = sqlite_baseline(&dir.join("baseline-b.db"), &rows, true);
    let small_ledger = dir.join("ledger-small.db");
    let _ = std::fs::remove_file(&small_ledger);
    let (_, small_peak) = run_ingest(small_ledger.to_str().unwrap(), &small);
    println!(
        "  carequeue ingest            {}  peak RSS {peak} MiB ({small_peak} MiB at {small_n} events)",
        rate(n, ours)
    );
    println!(
        "  baseline A: plain table     {}  ratio {:.2}",
        rate(n, a),
        ours.as_secs_f64() / a.as_secs_f64()
    );
    println!(
        "  baseline B: same indexes    {}  ratio {:.2}",
        rate(n, b),
        ours.as_secs_f64() / b.as_secs_f64()
    );
    for file in ["baseline-a.db", "baseline-b.db", "ledger.db", "ledger-small.db"] {
        let _ = std::fs::remove_file(dir.join(file));
    }

    if let Some(admin) = args.postgres {
        println!("\nPostgreSQL:");
        let name = format!("carequeue_bench_{}", std::process::id());
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        let copy = postgres_baseline(&url, &rows);
        let (ours, peak) = run_ingest(&url, &big);
        println!("  carequeue ingest            {}  peak RSS {peak} MiB", rate(n, ours));
        println!(
            "  baseline: binary COPY       {}  ratio {:.2}",
            rate(n, copy),
            ours.as_secs_f64() / copy.as_secs_f64()
        );
        client.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
    }
}
