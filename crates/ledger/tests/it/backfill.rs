//! Backfill batches: marked in the ledger, hashed under their own domain so
//! that the mark cannot be added or removed unseen, told to every reader;
//! and ledgers from before the mark existed read and verify unchanged.

use ledger::{BatchKind, Ledger, Verification};

use crate::support::{SMALL_PLAN, TestDb, at, backends, open, options, read};

/// Runs SQL on the test database directly, as a tamperer would.
fn execute(db: &TestDb, sql: &str) {
    match db {
        TestDb::Sqlite { path, .. } => {
            rusqlite::Connection::open(path).unwrap().execute_batch(sql).unwrap()
        }
        TestDb::Postgres { url, .. } => {
            postgres::Client::connect(url, postgres::NoTls).unwrap().batch_execute(sql).unwrap()
        }
    }
}

/// The small plan in three batches, the second a backfill.
fn three_batches(ledger: &Ledger) {
    let lines: Vec<&str> = SMALL_PLAN.lines().collect();
    for (idx, part) in lines.chunks(lines.len().div_ceil(3)).enumerate() {
        let mut options = options("plan", at(idx as i64));
        if idx == 1 {
            options.kind = BatchKind::Backfill;
        }
        let appended = ledger.append(read(&part.join("\n")), &options).unwrap();
        assert!(
            matches!(appended, ledger::Appended::Stored(_)),
            "{}",
            crate::support::render(&appended)
        );
    }
}

fn verification(db: &TestDb) -> String {
    match Ledger::open(db.location()).unwrap().verify(None).unwrap() {
        Verification::Valid { n_events, n_batches, .. } => {
            format!("valid: {n_events} events, {n_batches} batches")
        }
        Verification::Broken(broken) => format!("broken: {broken}"),
    }
}

#[test]
fn a_backfill_batch_is_marked_and_its_events_say_so() {
    for db in backends() {
        let ledger = open(&db);
        three_batches(&ledger);
        let kinds: Vec<BatchKind> = ledger.batches().unwrap().iter().map(|b| b.kind).collect();
        assert_eq!(kinds, [BatchKind::Live, BatchKind::Backfill, BatchKind::Live], "{}", db.kind());
        let batches = ledger.batches().unwrap();
        let backfill = &batches[1];
        // Both ways of reading give each event its batch's kind.
        let mut flags = Vec::new();
        ledger
            .for_each_event(None, |stored| {
                flags.push((stored.seq, stored.backfill));
                Ok(())
            })
            .unwrap();
        let mut checked = Vec::new();
        let read = ledger
            .verify_and_read(None, |stored| {
                checked.push((stored.seq, stored.backfill));
                Ok(())
            })
            .unwrap();
        assert!(matches!(read.verification, Verification::Valid { .. }), "{}", db.kind());
        assert_eq!(flags, checked, "{}", db.kind());
        assert_eq!(flags.len() as u64, batches[2].last_seq);
        for (seq, backfill_flag) in flags {
            let inside = (backfill.first_seq..=backfill.last_seq).contains(&seq);
            assert_eq!(backfill_flag, inside, "{} seq {seq}", db.kind());
        }
        // The outside check of docs/ledger.md agrees (SQLite: the Python
        // script, which knows both domains).
        if let TestDb::Sqlite { path, .. } = &db {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/verify_chain.py");
            let output =
                std::process::Command::new("python3").arg(script).arg(path).output().unwrap();
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        }
    }
}

#[test]
fn a_batch_kind_changed_afterwards_breaks_the_chain() {
    for (batch, kind) in [(2, "live"), (1, "backfill")] {
        for db in backends() {
            three_batches(&open(&db));
            execute(&db, &format!("UPDATE batches SET kind = '{kind}' WHERE batch_id = {batch}"));
            let found = verification(&db);
            assert!(
                found.starts_with(&format!("broken: batch record {batch} is changed")),
                "{}: {found}",
                db.kind()
            );
            if let TestDb::Sqlite { path, .. } = &db {
                let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/verify_chain.py");
                let output =
                    std::process::Command::new("python3").arg(script).arg(path).output().unwrap();
                assert!(!output.status.success(), "the script missed batch {batch} made {kind}");
            }
        }
    }
}

/// A ledger of the small plan in batches of 100 events, taken back to
/// schema migration 1 as an older carequeue left it.
fn old_ledger(db: &TestDb) {
    let ledger = open(db);
    let lines: Vec<&str> = SMALL_PLAN.lines().collect();
    for (idx, part) in lines.chunks(100).enumerate() {
        let appended =
            ledger.append(read(&part.join("\n")), &options("plan", at(idx as i64))).unwrap();
        assert!(matches!(appended, ledger::Appended::Stored(_)));
    }
    drop(ledger);
    execute(
        db,
        "ALTER TABLE batches DROP COLUMN kind; DELETE FROM schema_migrations WHERE version = 2",
    );
}

#[test]
fn a_ledger_from_before_batch_kinds_reads_verifies_and_migrates_unchanged() {
    for db in backends() {
        old_ledger(&db);
        let before = verification(&db);
        assert!(before.starts_with("valid"), "{}: {before}", db.kind());
        let old = Ledger::open(db.location()).unwrap();
        assert!(old.needs_migration(), "{}", db.kind());
        let batches = old.batches().unwrap();
        assert!(batches.iter().all(|b| b.kind == BatchKind::Live));
        let head = old.head().unwrap();
        // An append migrates it; every stored hash stays as it was.
        let ledger = open(&db);
        assert!(!ledger.needs_migration());
        let mut options = options("more", at(100));
        options.kind = BatchKind::Backfill;
        options.allow_empty = true;
        let appended = ledger.append(read(""), &options).unwrap();
        assert!(matches!(appended, ledger::Appended::Stored(_)), "{}", db.kind());
        assert_eq!(ledger.batches().unwrap()[..batches.len()], batches[..], "{}", db.kind());
        assert_eq!(ledger.head().unwrap(), head);
        // The reader opened before the migration reads the new schema in
        // its next snapshot: the backfill batch as a backfill, chain valid.
        assert_eq!(old.batches().unwrap().last().unwrap().kind, BatchKind::Backfill);
        assert!(matches!(old.verify(None).unwrap(), Verification::Valid { .. }), "{}", db.kind());
        let after = verification(&db);
        assert!(after.starts_with("valid"), "{}: {after}", db.kind());
    }
}

#[test]
fn a_kind_changed_with_every_batch_hash_recomputed_still_breaks_the_chain() {
    for db in backends() {
        three_batches(&open(&db));
        // A tamperer marks batch 1 a backfill and recomputes the batch
        // chain from there: the events' hashes, which include the kind, no
        // longer follow.
        execute(&db, "UPDATE batches SET kind = 'backfill' WHERE batch_id = 1");
        let batches = Ledger::open(db.location()).unwrap().batches().unwrap();
        let mut prev = ledger::GENESIS.to_owned();
        for batch in &batches {
            let hash = ledger::batch_hash(&prev, batch);
            execute(
                &db,
                &format!(
                    "UPDATE batches SET batch_hash = '{hash}' WHERE batch_id = {}",
                    batch.batch_id
                ),
            );
            prev = hash;
        }
        let found = verification(&db);
        assert!(found.starts_with("broken: event 1 "), "{}: {found}", db.kind());
        assert!(found.contains("hash mismatch"), "{}: {found}", db.kind());
    }
}

#[test]
fn both_reads_as_of_a_moment_agree_on_the_backfill() {
    for db in backends() {
        let ledger = open(&db);
        three_batches(&ledger);
        for as_of in [at(0), at(1), at(2)] {
            let mut flags = Vec::new();
            ledger
                .for_each_event(Some(as_of), |stored| {
                    flags.push((stored.seq, stored.backfill));
                    Ok(())
                })
                .unwrap();
            let mut checked = Vec::new();
            ledger
                .verify_and_read(Some(as_of), |stored| {
                    checked.push((stored.seq, stored.backfill));
                    Ok(())
                })
                .unwrap();
            assert_eq!(flags, checked, "{} as of {as_of}", db.kind());
            assert_eq!(flags.iter().any(|(_, b)| *b), as_of >= at(1), "{}", db.kind());
        }
    }
}
