//! `generate`, `simulate --scenario` and `demo`, end to end.

use expect_test::expect;

use crate::support::run;

/// A small network, a quarter of a year.
const SCENARIO: &str = r#"
start = "2025-03-03"
days = 91
members = 20000

[[clinic]]
id = "north"
member_share = 0.5
clinicians = [2.0, 1.0, 0.5]

[[clinic]]
id = "east"
time_zone = "America/New_York"
member_share = 0.5
clinicians = [2.0, 0.5, 0.5]
"#;

#[test]
fn generate_writes_the_same_bytes_for_the_same_seed_and_ingests_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), SCENARIO).unwrap();
    let generate = |seed: &str, out: &str| {
        run(dir.path(), &["generate", "--scenario", "small.toml", "--seed", seed, "--out", out])
    };
    let first = generate("3", "a.ndjson");
    assert!(first.starts_with("exit 0\nwrote "), "{first}");
    generate("3", "b.ndjson");
    generate("4", "c.ndjson");
    generate("3", "a.csv");
    let read = |name: &str| std::fs::read(dir.path().join(name)).unwrap();
    assert_eq!(read("a.ndjson"), read("b.ndjson"));
    assert_ne!(read("a.ndjson"), read("c.ndjson"));
    // The NDJSON and the CSV hold the same events: the second is all
    // duplicates.
    let ingested = run(dir.path(), &["ingest", "--db", "l.db", "a.ndjson", "a.csv"]);
    let n_events = read("a.ndjson").iter().filter(|b| **b == b'\n').count();
    assert!(
        ingested.contains(&format!("2 files: {n_events} new, {n_events} duplicate, 0 rejected")),
        "{ingested}"
    );
    let verified = run(dir.path(), &["verify", "--db", "l.db"]);
    assert!(verified.starts_with("exit 0\nledger l.db verifies"), "{verified}");
}

#[test]
fn simulate_prints_intervals_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), SCENARIO).unwrap();
    let args = ["simulate", "--scenario", "small.toml", "--replications", "4", "--seed", "2"];
    let without_time = |text: String| {
        let lines: Vec<&str> =
            text.lines().filter(|l| !l.ends_with("simulated events/s")).collect();
        lines.join("\n")
    };
    let once = without_time(run(dir.path(), &args));
    assert_eq!(once, without_time(run(dir.path(), &args)));
    let lines: Vec<&str> = once.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "exit 0",
            "scenario: 4 replications, seed 2, judged under ca-dmhc",
            "standard                 requests       rate       95% CI"
        ]
    );
    // One line per standard that had requests, with a rate and a half-width.
    let rows: Vec<Vec<&str>> = lines[3..].iter().map(|l| l.split_whitespace().collect()).collect();
    let standards: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(
        standards,
        [
            "urgent-48h",
            "urgent-96h",
            "psychiatrist-15bd",
            "non-physician-10bd",
            "sb221-follow-up-10bd"
        ]
    );
    for row in &rows {
        assert!(row[2].ends_with('%') && row[4] == "pp", "{row:?}");
        let half: f64 = row[3].parse().unwrap();
        assert!(half > 0.0 && half < 50.0, "{row:?}");
    }
}

#[test]
fn scenario_errors_are_located() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.toml"), SCENARIO.replace("days = 91", "days = 2")).unwrap();
    expect![[r#"
        exit 1
        error: bad.toml:3: days: expected a number of days from 7 to 3660, found 2
    "#]]
    .assert_eq(&run(dir.path(), &["generate", "--scenario", "bad.toml", "--out", "x.ndjson"]));
    assert!(!dir.path().join("x.ndjson").exists(), "nothing is written for a bad scenario");
    expect![[r#"
        exit 1
        error: cannot read missing.toml: No such file or directory (os error 2)
    "#]]
    .assert_eq(&run(dir.path(), &["simulate", "--scenario", "missing.toml"]));
}

#[test]
fn the_demo_builds_a_ledger_that_verifies_and_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["demo"]);
    assert!(
        out.starts_with(
            "exit 0\ncarequeue demo: Medium plan (synthetic) (200000 members, 364 days), seed 1"
        ),
        "{out}"
    );
    for clinic in ["oakland", "san-jose", "fresno", "los-angeles", "houston"] {
        assert!(out.contains(&format!("\n{clinic} ")), "no rows for {clinic}:\n{out}");
    }
    // Each network under the law that governs it: Texas's Marketplace
    // network under the federal standards, no California standard there.
    assert!(out.contains("== every network but marketplace-tx under ca-dmhc\n"), "{out}");
    let texas = out.split("== network marketplace-tx under us-qhp\n").nth(1).expect(&out);
    assert!(texas.contains("\nhouston  behavioral-health-10bd"), "{texas}");
    assert!(!texas.contains("urgent-48h") && !out.contains("houston  urgent"), "{out}");
    let plan = std::fs::read_to_string(dir.path().join("carequeue-demo-plan.toml")).unwrap();
    assert!(plan.contains("rules = \"us-qhp\""), "{plan}");
    assert!(out.contains("ledger_chain                    0"), "{out}");
    let html = std::fs::read_to_string(dir.path().join("carequeue-demo.html")).unwrap();
    assert!(html.contains("<svg"), "the report has charts");
    assert!(html.contains("<h1>Medium plan (synthetic)</h1>"), "the plan's name");
    // The as-of moment falls in January 2026: that month is marked partial.
    assert!(html.contains("2026-01 (partial)"), "the partial month");
    // Its layout fits, the partial month's label at the chart's edge too.
    let page = dir.path().join("carequeue-demo.html");
    if let Some(problems) = crate::html::layout_problems(dir.path(), &page, 1280) {
        assert_eq!(problems, "fits");
    }
    assert!(html.contains("<h3>urgent-48h: "), "failing urgent requests listed");
    // Simulated harm is labelled illustrative wherever the report shows it.
    assert!(html.contains("<strong>Simulated data.</strong>"), "no simulated-data note");
    for shown in ["<th>harm while waiting", "<h2>Group care substituted, and harm while waiting"] {
        let at = html.find(shown).unwrap_or_else(|| panic!("{shown} is not in the report"));
        assert!(html[at..at + 120].contains("illustrative"), "{shown} is not labelled");
    }
    assert!(html.contains("harm events while waiting (illustrative)"), "the chart's legend");
    assert!(out.contains("harm while waiting is illustrative only"), "{out}");
    // The same ledger's report says so too, in JSON.
    let json = std::process::Command::new(crate::support::BIN)
        .args(["report", "--db", "carequeue-demo.db", "--rules", "ca-dmhc", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["ledger"]["simulated"], true);
    let csv = run(
        dir.path(),
        &["report", "--db", "carequeue-demo.db", "--rules", "ca-dmhc", "--format", "csv"],
    );
    assert!(
        csv.starts_with("exit 0\n# SIMULATED DATA (carequeue demo): it describes no real plan and harm_while_waiting is illustrative only\n"),
        "{csv}"
    );
    let verified = run(dir.path(), &["verify", "--db", "carequeue-demo.db"]);
    assert!(verified.starts_with("exit 0\nledger carequeue-demo.db verifies"), "{verified}");
    // Stored a batch a week: the ledger can be read as of mid-year.
    let mid = run(
        dir.path(),
        &[
            "report",
            "--db",
            "carequeue-demo.db",
            "--rules",
            "ca-dmhc",
            "--as-of",
            "2025-07-01T00:00:00Z",
            "--format",
            "csv",
        ],
    );
    assert!(mid.starts_with("exit 0\n") && mid.lines().count() > 3, "{mid}");
}
