//! The commands' output on the example plan, as a user sees it.

use expect_test::expect;

use crate::support::{repo, run};

#[test]
fn ingest_verify_export_and_ingest_again() {
    let dir = tempfile::tempdir().unwrap();
    let plan = repo().join("examples/small-plan.ndjson");
    let plan_csv = repo().join("examples/small-plan.csv");
    let plan = plan.to_str().unwrap();
    let plan_csv = plan_csv.to_str().unwrap();
    expect![[r#"
        exit 0
        stored $REPO/examples/small-plan.ndjson: 199 events, 199 new, 0 duplicate (batch 1, seq 1..=199)
        1 file: 199 new, 0 duplicate, 0 rejected events in <time>
        ledger l.db head 199:<hash>
    "#]].assert_eq(&run(dir.path(), &["ingest", "--db", "l.db", plan]));
    expect![[r#"
        exit 0
        stored $REPO/examples/small-plan.csv: 199 events, 0 new, 199 duplicate (batch 2, nothing new)
        stored $REPO/examples/small-plan.ndjson: 199 events, 0 new, 199 duplicate (batch 3, nothing new)
        2 files: 0 new, 398 duplicate, 0 rejected events in <time>
        ledger l.db head 199:<hash>
    "#]].assert_eq(&run(dir.path(), &["ingest", "--db", "l.db", plan_csv, plan]));
    expect![[r#"
        exit 0
        ledger l.db verifies: 199 events in 3 batches, head 199:<hash>
    "#]]
    .assert_eq(&run(dir.path(), &["verify", "--db", "l.db"]));

    // Export, then ingest the export into a fresh ledger: the same events.
    let exported = std::process::Command::new(crate::support::BIN)
        .args(["events", "--db", "l.db"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(exported.status.success());
    std::fs::write(dir.path().join("export.ndjson"), &exported.stdout).unwrap();
    expect![[r#"
        exit 0
        stored export.ndjson: 199 events, 199 new, 0 duplicate (batch 1, seq 1..=199)
        1 file: 199 new, 0 duplicate, 0 rejected events in <time>
        ledger copy.db head 199:<hash>
    "#]]
    .assert_eq(&run(dir.path(), &["ingest", "--db", "copy.db", "export.ndjson"]));
    let again = std::process::Command::new(crate::support::BIN)
        .args(["events", "--db", "copy.db"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(again.stdout, exported.stdout);

    let csv = run(dir.path(), &["events", "--db", "l.db", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 1 + 1 + 199, "exit line, header and 199 rows");
    let early = run(dir.path(), &["events", "--db", "l.db", "--as-of", "2020-01-01T00:00:00Z"]);
    expect![[r#"
        exit 0
        warning: the as-of moment is before the ledger's first batch (recorded at <now>), so nothing is counted; for history loaded later, leave --as-of at now (report, verdicts and worklist choose the requests of a period with --period)
    "#]]
    .assert_eq(&early);
}

#[test]
fn usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    expect![[r#"
        exit 2
        error: the following required arguments were not provided:
          --db <DB>

        Usage: carequeue ingest --db <DB> <FILE>...

        For more information, try '--help'.
    "#]]
    .assert_eq(&run(dir.path(), &["ingest", "x.ndjson"]));
    expect![[r#"
        exit 2
        error: invalid value '7' for '--expect-head <SEQ:HASH>': expected SEQ:HASH (a number, a colon and 64 lower-case hex digits)

        For more information, try '--help'.
    "#]].assert_eq(&run(dir.path(), &["verify", "--db", "l.db", "--expect-head", "7"]));
    expect![[r#"
        exit 2
        error: invalid value 'yesterday' for '--as-of <T>': expected an RFC 3339 timestamp with an offset, such as 2024-03-01T00:00:00Z

        For more information, try '--help'.
    "#]].assert_eq(&run(dir.path(), &["events", "--db", "l.db", "--as-of", "yesterday"]));
    expect![[r#"
        exit 1
        error: cannot use ledger ".": is a directory; give the path of a ledger file
    "#]]
    .assert_eq(&run(dir.path(), &["ingest", "--db", ".", "x.ndjson"]));
    expect![[r#"
        exit 1
        error: cannot use ledger "postgres://nobody@127.0.0.1:1/none": error connecting to server: Connection refused (os error 111)
    "#]].assert_eq(&run(dir.path(), &["ingest", "--db", "postgres://nobody@127.0.0.1:1/none", "x.ndjson"]));
}
