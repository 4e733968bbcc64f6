//! Outside tools recompute the chain from the documented encoding
//! (docs/ledger.md): Python's standard library for SQLite, plain SQL for
//! PostgreSQL. A tampered ledger fails both.

use std::process::Command;

use crate::support::{SMALL_PLAN, TestDb, append_text, at, backends, open};

/// The check of docs/ledger.md, in SQL: each row's hash from the previous
/// row's stored hash. Returns the first bad row, if any.
const SQL_CHECK: &str = "
SELECT e.seq, e.event_id
FROM events e
LEFT JOIN events p ON p.seq = e.seq - 1
LEFT JOIN batches b ON e.seq BETWEEN b.first_seq AND b.last_seq
WHERE (p.seq IS NULL AND e.seq <> 1)
   OR e.hash <> encode(sha256(convert_to(
          CASE b.kind WHEN 'backfill' THEN 'carequeue-ledger-backfill-v1'
                      ELSE 'carequeue-ledger-v1' END
          || E'\\n' || coalesce(p.hash, repeat('0', 64)) || E'\\n'
          || e.seq || E'\\n' || e.recorded_at || E'\\n' || e.body, 'UTF8')), 'hex')
ORDER BY e.seq
LIMIT 1";

fn outside_check(db: &TestDb) -> Result<String, String> {
    match db {
        TestDb::Sqlite { path, .. } => {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/verify_chain.py");
            let output =
                Command::new("python3").arg(script).arg(path).output().expect("python3 runs");
            let text = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            if output.status.success() {
                Ok(text)
            } else {
                Err(String::from_utf8_lossy(&output.stderr).into_owned())
            }
        }
        TestDb::Postgres { url, .. } => {
            let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
            if let Some(row) = client.query_opt(SQL_CHECK, &[]).unwrap() {
                return Err(format!(
                    "event {} ({})",
                    row.get::<_, i64>(0),
                    row.get::<_, String>(1)
                ));
            }
            let row = client
                .query_one("SELECT count(*), coalesce(max(seq), 0), (SELECT hash FROM events ORDER BY seq DESC LIMIT 1) FROM events", &[])
                .unwrap();
            let (count, max): (i64, i64) = (row.get(0), row.get(1));
            if count != max {
                return Err(format!("{count} rows but the last seq is {max}"));
            }
            Ok(format!("{max}:{}", row.get::<_, String>(2)))
        }
    }
}

#[test]
fn outside_tools_recompute_the_chain() {
    for db in backends() {
        let ledger = open(&db);
        for (idx, part) in SMALL_PLAN.lines().collect::<Vec<_>>().chunks(70).enumerate() {
            append_text(&ledger, "plan", &part.join("\n"), at(idx as i64));
        }
        let head = ledger.head().unwrap();
        assert_eq!(outside_check(&db), Ok(head.to_string()), "{}", db.kind());
        drop(ledger);

        let tamper = "UPDATE events SET body = replace(body, ':', ': ') WHERE seq = 150";
        match &db {
            TestDb::Sqlite { path, .. } => {
                rusqlite::Connection::open(path).unwrap().execute_batch(tamper).unwrap()
            }
            TestDb::Postgres { url, .. } => postgres::Client::connect(url, postgres::NoTls)
                .unwrap()
                .batch_execute(tamper)
                .unwrap(),
        }
        let err = outside_check(&db).unwrap_err();
        assert!(err.contains("150"), "{}: {err}", db.kind());
    }
}
