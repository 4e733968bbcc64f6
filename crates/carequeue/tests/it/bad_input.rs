//! The corpus of malformed files: each is rejected with a precise message
//! and nothing of it is stored.

use std::path::Path;

use expect_test::{Expect, expect};

use crate::support::{repo, run};

/// Ingests the example plan, then `file`; renders the second ingest and
/// checks that the ledger holds exactly the plan afterwards.
#[track_caller]
fn check(file: &Path, expect: Expect) {
    let dir = tempfile::tempdir().unwrap();
    let plan = repo().join("examples/small-plan.ndjson");
    let first = run(dir.path(), &["ingest", "--db", "l.db", plan.to_str().unwrap()]);
    assert!(first.starts_with("exit 0"), "{first}");
    let before = run(dir.path(), &["events", "--db", "l.db", "--with-chain"]);
    let out = run(dir.path(), &["ingest", "--db", "l.db", file.to_str().unwrap()]);
    let out = out.replace(&file.parent().unwrap().display().to_string(), "$DIR");
    expect.assert_eq(&out);
    let after = run(dir.path(), &["events", "--db", "l.db", "--with-chain"]);
    assert_eq!(before, after, "a rejected file changed the ledger");
    let verify = run(dir.path(), &["verify", "--db", "l.db"]);
    assert!(verify.starts_with("exit 0"), "{verify}");
}

fn bad(name: &str) -> std::path::PathBuf {
    repo().join("crates/carequeue/tests/data/bad").join(name)
}

#[test]
fn broken_json() {
    check(
        &bad("broken-json.ndjson"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/broken-json.ndjson: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/broken-json.ndjson:2: column 104: EOF while parsing a value: the line ends before the JSON object does (a truncated line?)
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/broken-json.ndjson), and nothing of it was stored
        "#]],
    );
}

#[test]
fn missing_field() {
    check(
        &bad("missing-field.ndjson"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/missing-field.ndjson: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/missing-field.ndjson:2: field `patient_id`: required for `request.opened` events, but absent
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/missing-field.ndjson), and nothing of it was stored
        "#]],
    );
}

#[test]
fn unknown_enumeration_value() {
    check(
        &bad("unknown-enum.csv"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/unknown-enum.csv: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/unknown-enum.csv:3: field `urgency`: expected one of urgent, routine, found "soon"
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/unknown-enum.csv), and nothing of it was stored
        "#]],
    );
}

#[test]
fn timestamp_without_offset() {
    check(
        &bad("no-offset.ndjson"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/no-offset.ndjson: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/no-offset.ndjson:2: field `occurred_at`: expected an RFC 3339 timestamp with a UTC offset, such as 2024-03-01T09:30:00-08:00 or 2024-03-01T17:30:00Z, found "2024-01-12T09:00:00"
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/no-offset.ndjson), and nothing of it was stored
        "#]],
    );
}

#[test]
fn unknown_reference() {
    check(
        &bad("unknown-reference.ndjson"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/unknown-reference.ndjson: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/unknown-reference.ndjson:2: event "bad-2": field `request_id`: unknown request "r99"; it is neither in the ledger nor in this file
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/unknown-reference.ndjson), and nothing of it was stored
        "#]],
    );
}

#[test]
fn reference_to_another_request() {
    check(
        &bad("wrong-request.ndjson"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/wrong-request.ndjson: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/wrong-request.ndjson:2: event "bad-2": field `appointment_id`: appointment "a01" belongs to request "r01", not to request "r02"
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/wrong-request.ndjson), and nothing of it was stored
        "#]],
    );
}

#[test]
fn duplicate_id_with_a_different_body() {
    check(
        &bad("different-body.ndjson"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/different-body.ndjson: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/different-body.ndjson:2: event "ex-0001": this event_id is already stored (ledger seq 1) with a different body: `name` is "Oakland Behavioral Health" there and "Oakland Wellness" here; an event is never edited, so record a correction as a new event (or void the old one)
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/different-body.ndjson), and nothing of it was stored
        "#]],
    );
}

#[test]
fn truncated_last_line() {
    check(
        &bad("truncated-last-line.ndjson"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/truncated-last-line.ndjson: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/truncated-last-line.ndjson:2: column 90: EOF while parsing a string: the line ends before the JSON object does (a truncated line?)
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/truncated-last-line.ndjson), and nothing of it was stored
        "#]],
    );
}

#[test]
fn invalid_utf8() {
    check(
        &bad("invalid-utf8.csv"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/invalid-utf8.csv: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/invalid-utf8.csv:3: field `request_id`: expected valid UTF-8 text, found 4 bytes with an invalid byte at byte 2
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/invalid-utf8.csv), and nothing of it was stored
        "#]],
    );
}

#[test]
fn unknown_csv_column() {
    check(
        &bad("unknown-column.csv"),
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 1 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $REPO/crates/carequeue/tests/data/bad/unknown-column.csv: nothing of it stored
              $REPO/crates/carequeue/tests/data/bad/unknown-column.csv:1: CSV header: column 6 is named "mood", which is no field of the vocabulary (docs/events.md lists the fields)
            error: 1 of 1 file rejected ($REPO/crates/carequeue/tests/data/bad/unknown-column.csv), and nothing of it was stored
        "#]],
    );
}

#[test]
fn a_ten_megabyte_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.ndjson");
    let mut text = String::from(
        r#"{"event_id":"bad-1","type":"harm.reported","occurred_at":"2024-01-11T22:00:00-08:00","request_id":"r05","kind":"crisis"}"#,
    );
    text.push_str("\n{\"event_id\":\"bad-2\",\"type\":\"event.voided\",\"occurred_at\":\"2024-01-11T22:00:00-08:00\",\"voids\":\"ex-0001\",\"reason\":\"");
    text.push_str(&"x".repeat(10 << 20));
    text.push_str("\"}\n");
    std::fs::write(&path, text).unwrap();
    check(
        &path,
        expect![[r#"
            exit 1
            1 file: 0 new, 0 duplicate, 2 rejected events in <time>
            ledger l.db head 199:<hash>
            rejected $DIR/huge.ndjson: nothing of it stored
              $DIR/huge.ndjson:2: line or record longer than 1048576 bytes; an event is a single line of a few hundred bytes
            error: 1 of 1 file rejected ($DIR/huge.ndjson), and nothing of it was stored
        "#]],
    );
}
