//! Crash safety: `carequeue ingest` killed with SIGKILL at random moments
//! loses no acknowledged batch, stores no partial batch, leaves the chain
//! valid, and a rerun completes with no duplicates.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ledger::{Ledger, Verification};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use testkit::TestDb;

use crate::support::BIN;

const N_FILES: usize = 8;
const EVENTS_PER_FILE: usize = 600;

/// Writes the files: each holds requests and events that refer to them, so
/// that each is a self-contained batch.
fn write_files(dir: &Path) -> Vec<PathBuf> {
    (0..N_FILES)
        .map(|file| {
            let mut text = String::new();
            for n in 0..EVENTS_PER_FILE / 2 {
                text.push_str(&format!(
                    r#"{{"event_id":"k{file}-{n}-open","type":"request.opened","occurred_at":"2024-02-01T09:00:00-08:00","request_id":"r{file}-{n}","patient_id":"p{n}","clinic":"c{file}","urgency":"routine","provider_type":"sud","visit":"initial"}}"#
                ));
                text.push('\n');
                text.push_str(&format!(
                    r#"{{"event_id":"k{file}-{n}-close","type":"request.closed","occurred_at":"2024-02-03T09:00:00-08:00","request_id":"r{file}-{n}","reason":"withdrawn"}}"#
                ));
                text.push('\n');
            }
            let path = dir.join(format!("batch-{file}.ndjson"));
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

/// The number of stored events of each file, after checking the chain.
fn stored_per_file(location: &str) -> Vec<usize> {
    // The ledger may not have existed when the ingest was killed.
    let ledger = Ledger::create(location).unwrap();
    match ledger.verify(None).unwrap() {
        Verification::Valid { .. } => {}
        Verification::Broken(broken) => panic!("chain broken after a crash: {broken}"),
    }
    let mut counts = vec![0; N_FILES];
    ledger
        .for_each_event(None, |stored| {
            let id = stored.event.event_id.as_str();
            let file: usize = id[1..id.find('-').unwrap()].parse().unwrap();
            counts[file] += 1;
            Ok(())
        })
        .unwrap();
    counts
}

/// Runs `ingest` on a fresh ledger without interruption; returns how long
/// it took.
fn full_run(files: &[PathBuf]) -> Duration {
    let db = TestDb::sqlite();
    let started = std::time::Instant::now();
    let output = Command::new(BIN)
        .arg("ingest")
        .arg("--db")
        .arg(db.location())
        .args(files)
        .output()
        .unwrap();
    assert!(output.status.success());
    started.elapsed()
}

/// One trial on a fresh ledger: an ingest killed after `delay`, the checks,
/// then the same ingest run to the end. Returns whether the kill struck a
/// running ingest.
fn trial(db: &TestDb, files: &[PathBuf], delay: Duration) -> bool {
    let mut child = Command::new(BIN)
        .arg("ingest")
        .arg("--db")
        .arg(db.location())
        .args(files)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    // Child::kill sends SIGKILL on Unix.
    let _ = child.kill();
    let struck = !child.wait().unwrap().success();
    let mut stdout = String::new();
    child.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    let acknowledged: Vec<usize> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("stored "))
        .map(|line| {
            let idx = files.iter().position(|f| line.starts_with(f.to_str().unwrap())).unwrap();
            assert!(line.contains(&format!("{EVENTS_PER_FILE} events")), "{line}");
            idx
        })
        .collect();
    let counts = stored_per_file(db.location());
    for (file, &count) in counts.iter().enumerate() {
        assert!(
            count == 0 || count == EVENTS_PER_FILE,
            "{}: file {file} partly stored: {count}",
            db.kind()
        );
    }
    for file in acknowledged {
        assert_eq!(counts[file], EVENTS_PER_FILE, "{}: acknowledged file {file} lost", db.kind());
    }

    // The same ingest, run to the end, adds exactly what is missing.
    let present: usize = counts.iter().sum();
    let output = Command::new(BIN)
        .arg("ingest")
        .arg("--db")
        .arg(db.location())
        .args(files)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let total = N_FILES * EVENTS_PER_FILE;
    let expected =
        format!("{N_FILES} files: {} new, {present} duplicate, 0 rejected", total - present);
    assert!(stdout.contains(&expected), "{}: expected {expected:?} in:\n{stdout}", db.kind());
    assert_eq!(stored_per_file(db.location()), vec![EVENTS_PER_FILE; N_FILES]);
    struck
}

#[test]
fn sigkill_during_ingest_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_files(dir.path());
    let window = full_run(&files);
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_0050);
    let mut delay = || window.mul_f64(rng.random_range(0.0..1.0));
    let mut struck = 0;
    for _ in 0..60 {
        struck += usize::from(trial(&TestDb::sqlite(), &files, delay()));
    }
    // PostgreSQL keeps its own promises; these trials check that carequeue's
    // use of it (one transaction per file, the advisory lock) keeps ours.
    for _ in 0..10 {
        if let Some(db) = TestDb::postgres() {
            struck += usize::from(trial(&db, &files, delay()));
        }
    }
    eprintln!("{struck} of 70 kills struck a running ingest");
    assert!(struck >= 50, "only {struck} of the kills struck a running ingest");
}
