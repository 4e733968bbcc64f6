//! The report, the worklist and the verdicts over a ledger spilled to disk
//! in parts equal those computed in memory.

use std::path::Path;
use std::process::Command;

use crate::support::{BIN, run};

/// Two clinics, 91 days (shared with the simulator's tests).
const SCENARIO: &str = include_str!("../../../sim/test_data/small.toml");

/// `carequeue report` with the events per part set (or left to the default).
fn report(dir: &Path, part_events: Option<&str>, args: &[&str]) -> String {
    command(dir, part_events, &[&["report", "--db", "spill.db"], args].concat())
}

/// `carequeue COMMAND --rules ca-dmhc ARGS...` with the events per part set
/// (or left to the default).
fn command(dir: &Path, part_events: Option<&str>, args: &[&str]) -> String {
    let mut command = Command::new(BIN);
    command.arg(args[0]).args(["--rules", "ca-dmhc"]).args(&args[1..]);
    command.current_dir(dir).env_remove("CAREQUEUE_DB");
    match part_events {
        Some(n) => command.env("CAREQUEUE_REPORT_PART_EVENTS", n),
        None => command.env_remove("CAREQUEUE_REPORT_PART_EVENTS"),
    };
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_report_spilled_in_parts_equals_the_report_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("spill.toml"), SCENARIO).unwrap();
    let generated =
        run(dir.path(), &["generate", "--scenario", "spill.toml", "--out", "spill.ndjson"]);
    assert!(generated.starts_with("exit 0"), "{generated}");
    let ingested = run(dir.path(), &["ingest", "--db", "spill.db", "spill.ndjson"]);
    assert!(ingested.starts_with("exit 0"), "{ingested}");
    // Recorded now: as of a later moment, everything is in.
    let as_of = ["--as-of", "2030-01-01T00:00:00Z"];
    for args in [
        &[&as_of[..], &["--format", "json"]].concat()[..],
        &[&as_of[..], &["--format", "json", "--by", "clinic,provider_type,month"]].concat(),
        &[&as_of[..], &["--format", "csv", "--by", "urgency,network"]].concat(),
    ] {
        let in_memory = report(dir.path(), None, args);
        assert!(in_memory.len() > 300, "{in_memory}");
        for part_events in ["1", "997", "20000"] {
            let spilled = report(dir.path(), Some(part_events), args);
            assert!(
                spilled == in_memory,
                "{args:?} with {part_events} events a part differs from the report in memory"
            );
        }
    }
    // The worklist goes through the same parts; the example plan leaves
    // requests open.
    let plan = crate::support::repo().join("examples/small-plan.ndjson");
    let ingested = run(dir.path(), &["ingest", "--db", "plan.db", plan.to_str().unwrap()]);
    assert!(ingested.starts_with("exit 0"), "{ingested}");
    let worklist = ["worklist", "--db", "plan.db", "--as-of", "2030-01-01T00:00:00Z", "--csv"];
    let in_memory = command(dir.path(), None, &worklist);
    assert!(in_memory.lines().count() > 3, "{in_memory}");
    for part_events in ["1", "7"] {
        let spilled = command(dir.path(), Some(part_events), &worklist);
        assert!(spilled == in_memory, "the worklist in parts of {part_events} events differs");
    }
    // And the verdicts, merged back into ledger order.
    for db in ["spill.db", "plan.db"] {
        for format in ["csv", "json"] {
            let verdicts =
                ["verdicts", "--db", db, "--as-of", "2030-01-01T00:00:00Z", "--format", format];
            let in_memory = command(dir.path(), None, &verdicts);
            assert!(in_memory.lines().count() > 10, "{in_memory}");
            for part_events in ["1", "997"] {
                let spilled = command(dir.path(), Some(part_events), &verdicts);
                assert!(
                    spilled == in_memory,
                    "{db} verdicts ({format}) in parts of {part_events} differ"
                );
            }
        }
    }
    // A broken chain is a finding of the report, its message quoted in JSON.
    let conn = rusqlite::Connection::open(dir.path().join("plan.db")).unwrap();
    conn.execute(
        r#"UPDATE events SET body = replace(body, '"ex-0007"', '"ex-0007x"') WHERE seq = 7"#,
        [],
    )
    .unwrap();
    drop(conn);
    // The JSON is written, marked, and the command fails.
    let broken = Command::new(BIN)
        .args(["report", "--db", "plan.db", "--rules", "ca-dmhc", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(1));
    let parsed: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
    assert_eq!(parsed["ledger"]["chain"], "broken");
    let chain = &parsed["integrity"].as_array().unwrap().last().unwrap();
    assert_eq!(chain["check"], "ledger_chain");
    assert_eq!(chain["count"], 1);
    assert!(chain["events"][0].as_str().unwrap().starts_with("event 7"), "{chain}");
    let bad = Command::new(BIN)
        .args(["report", "--db", "spill.db", "--rules", "ca-dmhc"])
        .current_dir(dir.path())
        .env("CAREQUEUE_REPORT_PART_EVENTS", "none")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr),
        "error: CAREQUEUE_REPORT_PART_EVENTS: expected a positive number, found \"none\"\n"
    );
}
