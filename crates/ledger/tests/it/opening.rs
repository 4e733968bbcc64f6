//! Opening a ledger (reading never creates, never waits behind an append)
//! and the clocks of an append (`recorded_at` from a clock that is not
//! behind; no event recorded before it happened).

use jiff::{SignedDuration, Timestamp};
use ledger::{AppendOptions, Error, Ledger, RecordedAt};

use crate::support::{at, backends, read, render};

const CLINIC: &str = r#"{"event_id":"b1","type":"clinic.registered","occurred_at":"2024-01-02T08:00:00-08:00","clinic":"c1","time_zone":"America/Los_Angeles","network":"n1"}"#;

fn options(recorded_at: RecordedAt) -> AppendOptions {
    AppendOptions::new("test", recorded_at)
}

fn append(ledger: &Ledger, text: &str, recorded_at: RecordedAt) -> Result<String, Error> {
    ledger.append(read(text), &options(recorded_at)).map(|appended| render(&appended))
}

#[test]
fn opening_a_missing_sqlite_file_for_reading_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.db");
    let err = Ledger::open(path.to_str().unwrap()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("typo.db") && message.contains("no such file"), "{message}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "something was created");
}

#[test]
fn opening_a_file_that_is_not_a_ledger_fails_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "not a database at all, just some text that is long enough").unwrap();
    let before = std::fs::read(&path).unwrap();
    let message = Ledger::open(path.to_str().unwrap()).unwrap_err().to_string();
    assert!(message.contains("not a carequeue ledger"), "{message}");
    // An empty SQLite database (no carequeue tables) is not a ledger either.
    let empty = dir.path().join("empty.db");
    rusqlite::Connection::open(&empty).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
    let message = Ledger::open(empty.to_str().unwrap()).unwrap_err().to_string();
    assert!(message.contains("not a carequeue ledger"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_postgres_database_without_a_ledger_is_not_opened_for_reading() {
    for db in backends().into_iter().filter(|db| db.kind() == "postgres") {
        let message = Ledger::open(db.location()).unwrap_err().to_string();
        assert!(message.contains("not a carequeue ledger"), "{message}");
        let mut client = postgres::Client::connect(db.location(), postgres::NoTls).unwrap();
        let tables: i64 = client
            .query_one(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
                &[],
            )
            .unwrap()
            .get(0);
        assert_eq!(tables, 0, "opening for reading created tables");
    }
}

#[test]
fn a_ledger_opened_for_reading_cannot_append() {
    for db in backends() {
        let writer = Ledger::create(db.location()).unwrap();
        append(&writer, CLINIC, RecordedAt::At(at(0))).unwrap();
        let reader = Ledger::open(db.location()).unwrap();
        let err = append(&reader, CLINIC, RecordedAt::At(at(1))).unwrap_err();
        assert!(matches!(err, Error::ReadOnly), "{}: {err}", db.kind());
        assert_eq!(reader.head().unwrap().seq, 1);
    }
}

#[test]
fn a_reader_answers_while_an_append_holds_the_write_lock() {
    for db in backends() {
        let writer = Ledger::create(db.location()).unwrap();
        append(&writer, CLINIC, RecordedAt::At(at(0))).unwrap();
        // Another process in the middle of an append: the write lock held.
        let _holder: Box<dyn std::any::Any> = match db.kind() {
            "sqlite" => {
                let conn = rusqlite::Connection::open(db.location()).unwrap();
                conn.execute_batch(
                    "BEGIN IMMEDIATE; INSERT INTO schema_migrations VALUES (99, 'x')",
                )
                .unwrap();
                Box::new(conn)
            }
            _ => {
                let mut client = postgres::Client::connect(db.location(), postgres::NoTls).unwrap();
                client
                    .batch_execute("BEGIN; SELECT pg_advisory_xact_lock(7161130662516581749)")
                    .unwrap();
                Box::new(client)
            }
        };
        let (sender, receiver) = std::sync::mpsc::channel();
        let location = db.location().to_owned();
        std::thread::spawn(move || {
            let result = Ledger::open(&location).and_then(|ledger| {
                let verification = ledger.verify(None)?;
                Ok((ledger.head()?.seq, matches!(verification, ledger::Verification::Valid { .. })))
            });
            let _ = sender.send(result.map_err(|err| err.to_string()));
        });
        let answer = receiver
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{}: the reader waited behind the write lock", db.kind()));
        assert_eq!(answer, Ok((1, true)), "{}", db.kind());
    }
}

#[test]
fn a_clock_behind_the_last_batch_is_refused_naming_both_moments() {
    for db in backends() {
        let ledger = Ledger::create(db.location()).unwrap();
        append(&ledger, CLINIC, RecordedAt::At(at(100))).unwrap();
        let err = append(&ledger, CLINIC, RecordedAt::At(at(10))).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, Error::ClockBehind { .. }), "{}: {message}", db.kind());
        assert!(
            message.contains("2026-01-01T00:00:10") && message.contains("2026-01-01T00:01:40"),
            "{message}"
        );
        assert_eq!(ledger.batches().unwrap().len(), 1, "{}", db.kind());
        // Within the tolerance, the batch takes the last moment: never backwards.
        append(&ledger, CLINIC, RecordedAt::At(at(98))).unwrap();
        let batches = ledger.batches().unwrap();
        assert_eq!(batches[1].recorded_at, batches[0].recorded_at, "{}", db.kind());
    }
}

#[test]
fn postgres_dates_a_batch_by_the_servers_clock_not_the_hosts() {
    for db in backends().into_iter().filter(|db| db.kind() == "postgres") {
        let ledger = Ledger::create(db.location()).unwrap();
        // A host whose clock is years behind.
        let host = || "2001-01-01T00:00:00Z".parse::<Timestamp>().unwrap();
        append(&ledger, CLINIC, RecordedAt::Now(host)).unwrap();
        let recorded =
            ledger::parse_recorded_at(&ledger.batches().unwrap()[0].recorded_at).unwrap();
        let mut client = postgres::Client::connect(db.location(), postgres::NoTls).unwrap();
        let server: i64 = client
            .query_one("SELECT extract(epoch FROM clock_timestamp())::bigint", &[])
            .unwrap()
            .get(0);
        let skew = (recorded.as_second() - server).abs();
        assert!(skew < 60, "recorded {recorded}, server clock {server}");
    }
}

#[test]
fn sqlite_dates_a_batch_by_the_hosts_clock() {
    let db = crate::support::sqlite();
    let ledger = Ledger::create(db.location()).unwrap();
    let host = || "2025-06-01T00:00:00Z".parse::<Timestamp>().unwrap();
    append(&ledger, CLINIC, RecordedAt::Now(host)).unwrap();
    assert_eq!(ledger.batches().unwrap()[0].recorded_at, ledger::format_recorded_at(host()));
}

#[test]
fn an_append_that_waited_for_the_lock_is_dated_when_it_runs() {
    let db = crate::support::sqlite();
    let ledger = Ledger::create(db.location()).unwrap();
    append(&ledger, CLINIC, RecordedAt::Now(Timestamp::now)).unwrap();
    // A second writer, opened before another process takes the write lock
    // and holds it for a while.
    let second = Ledger::create(db.location()).unwrap();
    let holder = rusqlite::Connection::open(db.location()).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let waiting =
        std::thread::spawn(move || append(&second, CLINIC, RecordedAt::Now(Timestamp::now)));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let released = Timestamp::now();
    holder.execute_batch("COMMIT").unwrap();
    let out = waiting.join().unwrap().unwrap();
    assert!(out.starts_with("stored"), "{out}");
    let recorded = ledger::parse_recorded_at(&ledger.batches().unwrap()[1].recorded_at).unwrap();
    assert!(
        recorded >= released,
        "recorded at {recorded}, before the lock was released at {released}"
    );
}

#[test]
fn events_after_their_recording_are_rejected_with_their_line() {
    for db in backends() {
        let ledger = Ledger::create(db.location()).unwrap();
        let recorded = "2024-01-10T12:00:00Z".parse::<Timestamp>().unwrap();
        // Line 2 is 4 minutes ahead (within the tolerance); line 3 an hour
        // ahead; line 4 was entered (by its source) a day ahead.
        let text = format!(
            "{CLINIC}
{{\"event_id\":\"r1\",\"type\":\"request.opened\",\"occurred_at\":\"2024-01-10T12:04:00Z\",\"request_id\":\"r1\",\"patient_id\":\"p1\",\"clinic\":\"c1\",\"urgency\":\"routine\",\"provider_type\":\"non_physician_mh\",\"visit\":\"initial\"}}
{{\"event_id\":\"h1\",\"type\":\"harm.reported\",\"occurred_at\":\"2024-01-10T13:00:00Z\",\"request_id\":\"r1\",\"kind\":\"crisis\"}}
{{\"event_id\":\"h2\",\"type\":\"harm.reported\",\"occurred_at\":\"2024-01-10T11:00:00Z\",\"entered_at\":\"2024-01-11T11:00:00Z\",\"request_id\":\"r1\",\"kind\":\"crisis\"}}"
        );
        let out = append(&ledger, &text, RecordedAt::At(recorded)).unwrap();
        expect_test::expect![[r#"
            rejected after reading 4 events:
              line 3: event "h1": field `occurred_at`: expected a moment no later than when it is recorded (2024-01-10T12:00:00.000000Z plus 5 minutes for clocks that differ), found 2024-01-10T13:00:00Z; an event is recorded after it happens
              line 4: event "h2": field `entered_at`: expected a moment no later than when it is recorded (2024-01-10T12:00:00.000000Z plus 5 minutes for clocks that differ), found 2024-01-11T11:00:00Z; an event is recorded after it happens"#]]
        .assert_eq(&out);
        assert_eq!(ledger.head().unwrap().seq, 0, "{}", db.kind());
        // Recorded a day later, the same file is accepted.
        let later = recorded.checked_add(SignedDuration::from_hours(24)).unwrap();
        let out = append(&ledger, &text, RecordedAt::At(later)).unwrap();
        assert!(out.starts_with("stored"), "{out}");
    }
}

#[test]
fn a_dry_run_checks_everything_and_stores_nothing() {
    for db in backends() {
        let ledger = Ledger::create(db.location()).unwrap();
        append(&ledger, CLINIC, RecordedAt::At(at(0))).unwrap();
        let mut options = options(RecordedAt::At(at(10)));
        options.dry_run = true;
        let text = format!(
            "{CLINIC}\n{}",
            r#"{"event_id":"b2","type":"request.opened","occurred_at":"2024-01-08T10:00:00-08:00","request_id":"r1","patient_id":"p1","clinic":"c1","urgency":"routine","provider_type":"sud","visit":"initial"}"#
        );
        let out = render(&ledger.append(read(&text), &options).unwrap());
        assert_eq!(out, "stored: read 2 new 1 duplicate 1 seq 2..=2", "{}", db.kind());
        assert_eq!(ledger.head().unwrap().seq, 1, "{}: the dry run stored", db.kind());
        assert_eq!(ledger.batches().unwrap().len(), 1, "{}", db.kind());
        // Problems are found as by a real append.
        let bad = r#"{"event_id":"b3","type":"harm.reported","occurred_at":"2024-01-08T10:00:00-08:00","request_id":"r9","kind":"crisis"}"#;
        let out = render(&ledger.append(read(bad), &options).unwrap());
        assert!(out.starts_with("rejected") && out.contains("unknown request"), "{out}");
    }
}

#[test]
fn a_batch_without_events_is_rejected_unless_allowed() {
    for db in backends() {
        let ledger = Ledger::create(db.location()).unwrap();
        let out = append(&ledger, "", RecordedAt::At(at(0))).unwrap();
        assert_eq!(out, "rejected after reading 0 events:\n  no events", "{}", db.kind());
        assert_eq!(ledger.batches().unwrap().len(), 0, "{}", db.kind());
        let mut options = options(RecordedAt::At(at(0)));
        options.allow_empty = true;
        let out = render(&ledger.append(read(""), &options).unwrap());
        assert!(out.starts_with("stored: read 0 new 0"), "{}: {out}", db.kind());
        assert_eq!(ledger.batches().unwrap().len(), 1, "{}", db.kind());
    }
}
