//! Tampering: hundreds of random direct changes to the stored rows, each of
//! which `verify` must catch.

use ledger::{Ledger, Verification};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::support::{SMALL_PLAN, TestDb, append_text, at, backends};

const TRIALS: usize = 300;

/// The columns of `events` a tamperer may change.
const COLUMNS: &[&str] =
    &["event_id", "type", "recorded_at", "request_id", "creates", "voids", "body", "hash"];

#[derive(Debug, Clone)]
struct Row {
    seq: u64,
    values: Vec<Option<String>>,
}

/// Fills a ledger with the small plan in three batches, with a fourth that
/// repeats the first (and so adds no event) between the second and third.
fn fill(ledger: &Ledger, shift: i64) {
    let lines: Vec<&str> = SMALL_PLAN.lines().collect();
    for (idx, range) in [0..80, 80..150, 0..80, 150..lines.len()].into_iter().enumerate() {
        let text = lines[range].join("\n");
        let out = append_text(ledger, "plan", &text, at(shift + 100 * idx as i64));
        assert!(out.starts_with("stored"), "{out}");
    }
}

fn quote(value: &Option<String>) -> String {
    match value {
        None => "NULL".to_owned(),
        Some(text) => format!("'{}'", text.replace('\'', "''")),
    }
}

/// A different text: one character replaced by another.
fn flip(rng: &mut ChaCha8Rng, text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.is_empty() {
        return "x".to_owned();
    }
    let idx = rng.random_range(0..chars.len());
    let pool = "abcdefghijklmnopqrstuvwxyz0123456789-:.";
    let mut replacement = chars[idx];
    while replacement == chars[idx] {
        replacement = pool.chars().nth(rng.random_range(0..pool.len())).unwrap_or('x');
    }
    let mut out: String = chars[..idx].iter().collect();
    out.push(replacement);
    out.extend(&chars[idx + 1..]);
    out
}

/// A change to the body that keeps it valid JSON and a plausible event.
fn plausible_body_change(rng: &mut ChaCha8Rng, body: &str) -> Option<String> {
    let swaps = [
        ("\"routine\"", "\"urgent\""),
        ("\"urgent\"", "\"routine\""),
        ("\"individual\"", "\"group\""),
        ("\"group\"", "\"individual\""),
        ("\"served\"", "\"withdrawn\""),
        ("\"patient_preference\"", "\"time\""),
        ("T09:", "T10:"),
        ("T14:", "T08:"),
        ("2024-01-1", "2024-01-0"),
        ("\"in_network\":true", "\"in_network\":false"),
    ];
    let start = rng.random_range(0..swaps.len());
    (0..swaps.len())
        .map(|k| swaps[(start + k) % swaps.len()])
        .find(|(from, _)| body.contains(from))
        .map(|(from, to)| body.replacen(from, to, 1))
}

/// One random change, as SQL statements, and what it is in words.
fn mutation(rng: &mut ChaCha8Rng, rows: &[Row], foreign: &[Row]) -> (String, Vec<String>) {
    let n = rows.len() as u64;
    let pick = |rng: &mut ChaCha8Rng| rows[rng.random_range(0..rows.len())].clone();
    match rng.random_range(0..10) {
        0..=3 => {
            let row = pick(rng);
            let col = rng.random_range(0..COLUMNS.len());
            let current = &row.values[col];
            let value = match (COLUMNS[col], current) {
                ("body", Some(body)) if rng.random_bool(0.5) => {
                    plausible_body_change(rng, body).unwrap_or_else(|| flip(rng, body))
                }
                (_, Some(text)) => flip(rng, text),
                ("request_id", None) => "r01".to_owned(),
                ("creates", None) => format!("slot:forged-{}", row.seq),
                (_, None) => format!("forged-{}", row.seq),
            };
            let what = format!("set {} of event {} to {value:?}", COLUMNS[col], row.seq);
            (
                what,
                vec![format!(
                    "UPDATE events SET {} = {} WHERE seq = {}",
                    COLUMNS[col],
                    quote(&Some(value)),
                    row.seq
                )],
            )
        }
        4 => {
            let row = pick(rng);
            let to =
                if rng.random_bool(0.5) { n + 1 + rng.random_range(0..5) } else { 1000 + row.seq };
            (
                format!("renumber event {} as {to}", row.seq),
                vec![format!("UPDATE events SET seq = {to} WHERE seq = {}", row.seq)],
            )
        }
        5 => {
            let row = pick(rng);
            (
                format!("delete event {}", row.seq),
                vec![format!("DELETE FROM events WHERE seq = {}", row.seq)],
            )
        }
        6 => {
            let a = rng.random_range(1..=n);
            let mut b = rng.random_range(1..=n);
            while b == a {
                b = rng.random_range(1..=n);
            }
            (
                format!("swap events {a} and {b}"),
                vec![
                    format!("UPDATE events SET seq = -1 WHERE seq = {a}"),
                    format!("UPDATE events SET seq = {a} WHERE seq = {b}"),
                    format!("UPDATE events SET seq = {b} WHERE seq = -1"),
                ],
            )
        }
        7 => {
            let keep = rng.random_range(0..n);
            let n_others = rng.random_range(1..=10).min(foreign.len() as u64 - keep);
            let mut sql = vec![format!("DELETE FROM events WHERE seq > {keep}")];
            for other in foreign.iter().filter(|r| r.seq > keep).take(n_others as usize) {
                let values: Vec<String> = other.values.iter().map(quote).collect();
                sql.push(format!(
                    "INSERT INTO events (seq, {}) VALUES ({}, {})",
                    COLUMNS.join(", "),
                    other.seq,
                    values.join(", ")
                ));
            }
            (format!("drop events after {keep} and append {n_others} others"), sql)
        }
        8 => {
            let keep = rng.random_range(0..n);
            (
                format!("drop events after {keep}"),
                vec![format!("DELETE FROM events WHERE seq > {keep}")],
            )
        }
        _ => {
            let batch = rng.random_range(1..=3);
            let (column, value) = match rng.random_range(0..5) {
                0 => ("recorded_at", "'2025-06-01T00:00:00.000000Z'"),
                1 => (
                    "head_hash",
                    "'0000000000000000000000000000000000000000000000000000000000000001'",
                ),
                2 => ("n_new", "n_new + 1"),
                3 => ("last_seq", "last_seq - 1"),
                _ => ("first_seq", "first_seq + 1"),
            };
            (
                format!("set {column} of batch {batch} to {value}"),
                vec![format!("UPDATE batches SET {column} = {value} WHERE batch_id = {batch}")],
            )
        }
    }
}

fn read_rows(db: &TestDb) -> Vec<Row> {
    let sql = format!("SELECT seq, {} FROM events ORDER BY seq", COLUMNS.join(", "));
    match db {
        TestDb::Sqlite { path, .. } => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let mut stmt = conn.prepare(&sql).unwrap();
            stmt.query_map([], |r| {
                Ok(Row {
                    seq: r.get(0)?,
                    values: (1..=COLUMNS.len()).map(|i| r.get(i)).collect::<Result<_, _>>()?,
                })
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
        }
        TestDb::Postgres { url, .. } => {
            let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
            client
                .query(&sql, &[])
                .unwrap()
                .iter()
                .map(|r| Row {
                    seq: r.get::<_, i64>(0) as u64,
                    values: (1..=COLUMNS.len()).map(|i| r.get(i)).collect(),
                })
                .collect()
        }
    }
}

/// Runs the trials on one backend; returns what each trial did.
fn trials(db: &TestDb, foreign: &[Row]) -> Vec<String> {
    let ledger = crate::support::open(db);
    fill(&ledger, 0);
    let pristine_head = match ledger.verify(None).unwrap() {
        Verification::Valid { head, .. } => head,
        broken => panic!("the pristine ledger does not verify: {broken:?}"),
    };
    let rows = read_rows(db);
    drop(ledger);
    let mut rng = ChaCha8Rng::seed_from_u64(0x7a3e_2026);
    let mut log = Vec::new();
    let mut pg = match db {
        TestDb::Postgres { url, .. } => {
            let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
            client
                .batch_execute(
                    "CREATE TABLE pristine_events AS SELECT * FROM events;
                     CREATE TABLE pristine_batches AS SELECT * FROM batches;",
                )
                .unwrap();
            Some((client, Ledger::open(url).unwrap()))
        }
        TestDb::Sqlite { .. } => None,
    };
    while log.len() < TRIALS {
        let (what, sql) = mutation(&mut rng, &rows, foreign);
        let verification = match (&mut pg, db) {
            (Some((client, ledger)), _) => {
                client
                    .batch_execute(
                        "BEGIN; DELETE FROM events; INSERT INTO events SELECT * FROM pristine_events;
                         DELETE FROM batches; INSERT INTO batches SELECT * FROM pristine_batches; COMMIT;",
                    )
                    .unwrap();
                // A change the database refuses (a duplicate key) is no trial.
                if client.batch_execute(&format!("BEGIN; {}; COMMIT", sql.join("; "))).is_err() {
                    client.batch_execute("ROLLBACK").unwrap();
                    continue;
                }
                (ledger.verify(None).unwrap(), fused(ledger))
            }
            (None, TestDb::Sqlite { path, .. }) => {
                let trial = format!("{path}.trial");
                std::fs::copy(path, &trial).unwrap();
                let conn = rusqlite::Connection::open(&trial).unwrap();
                if conn.execute_batch(&format!("BEGIN; {}; COMMIT", sql.join("; "))).is_err() {
                    continue;
                }
                drop(conn);
                let ledger = Ledger::open(&trial).unwrap();
                (ledger.verify(None).unwrap(), fused(&ledger))
            }
            _ => unreachable!(),
        };
        let (verification, fused) = verification;
        // The report's single read finds the same break, or refuses a body it
        // cannot read.
        match fused {
            Ok(fused) => assert_eq!(fused, verification, "{}: {what}", db.kind()),
            Err(ledger::Error::Corrupt { .. }) => {}
            Err(err) => panic!("{}: {what}: {err}", db.kind()),
        }
        match verification {
            Verification::Broken(broken) => log.push(format!("{what}: {broken}")),
            Verification::Valid { head, .. } => {
                panic!(
                    "{}: verify missed: {what} (head {head}, pristine {pristine_head})",
                    db.kind()
                )
            }
        }
    }
    log
}

/// Verification by the read that also gives every event to a report.
fn fused(ledger: &Ledger) -> Result<Verification, ledger::Error> {
    let mut seen = 0usize;
    let verification = ledger
        .verify_and_read(None, |_| {
            seen += 1;
            Ok(())
        })?
        .verification;
    // Every event stored, as a plain read gives them.
    let mut stored = 0usize;
    ledger.for_each_event(None, |_| {
        stored += 1;
        Ok(())
    })?;
    assert_eq!(seen, stored);
    Ok(verification)
}

#[test]
fn verify_catches_every_direct_change() {
    // Rows of a second ledger with the same events recorded at other times:
    // what a tamperer might append after dropping the tail.
    let other = crate::support::sqlite();
    fill(&crate::support::open(&other), 5000);
    let foreign = read_rows(&other);
    for db in backends() {
        let log = trials(&db, &foreign);
        assert_eq!(log.len(), TRIALS);
        // Every kind of change was tried.
        for kind in
            ["set ", "renumber", "delete", "swap", "append", "drop events after", "of batch"]
        {
            let n = log.iter().filter(|line| line.contains(kind)).count();
            assert!(n >= 10, "{}: only {n} trials of {kind:?}", db.kind());
        }
    }
}

#[test]
fn a_forged_chain_is_caught_only_by_a_head_held_elsewhere() {
    for db in backends() {
        let ledger = crate::support::open(&db);
        fill(&ledger, 0);
        let held = ledger.head().unwrap();
        // The tamperer removes the last batch and appends a different last
        // event through the ledger itself, so every hash is recomputed.
        let rows = read_rows(&db);
        let keep = rows.len() as u64 - 49;
        let forge = |sql: &str| match &db {
            TestDb::Sqlite { path, .. } => {
                rusqlite::Connection::open(path).unwrap().execute_batch(sql).unwrap()
            }
            TestDb::Postgres { url, .. } => {
                postgres::Client::connect(url, postgres::NoTls).unwrap().batch_execute(sql).unwrap()
            }
        };
        forge(&format!(
            "DELETE FROM events WHERE seq > {keep}; DELETE FROM batches WHERE batch_id = 4"
        ));
        let forged = SMALL_PLAN.lines().skip(150).collect::<Vec<_>>().join("\n").replacen(
            "\"served\"",
            "\"withdrawn\"",
            1,
        );
        assert!(append_text(&ledger, "forged", &forged, at(200)).starts_with("stored"));
        assert!(
            matches!(ledger.verify(None).unwrap(), Verification::Valid { .. }),
            "{}",
            db.kind()
        );
        match ledger.verify(Some(&held)).unwrap() {
            Verification::Broken(broken) => {
                assert!(broken.reason.contains("expected head"), "{broken}")
            }
            valid => panic!("{}: a forged chain passed the held head: {valid:?}", db.kind()),
        }
    }
}
