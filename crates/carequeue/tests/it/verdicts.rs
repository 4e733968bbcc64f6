//! `carequeue verdicts` and `carequeue rules` on the example plan.

use expect_test::expect;

use crate::support::{repo, run};

#[test]
fn verdicts_of_the_example_plan() {
    let dir = tempfile::tempdir().unwrap();
    let plan = repo().join("examples/small-plan.ndjson");
    run(dir.path(), &["ingest", "--db", "l.db", plan.to_str().unwrap()]);
    // As of a moment after everything was recorded, and long after every deadline.
    let csv = run(
        dir.path(),
        &["verdicts", "--db", "l.db", "--rules", "ca-dmhc", "--as-of", "2100-01-01T00:00:00Z"],
    );
    expect![[r#"
        exit 0
        request_id,clinic,standard,verdict,clock_start,deadline,stop_at,stop_event,reason
        r01,oak,non-physician-10bd,met,2024-01-08T10:15:00-08:00,2024-01-23T23:59:59.999999999-08:00,2024-01-08T11:00:00-08:00,ex-0160,
        r02,oak,urgent-48h,met,2024-01-08T16:40:00-08:00,2024-01-10T16:40:00-08:00,2024-01-08T17:00:00-08:00,ex-0165,
        r03,oak,non-physician-10bd,met,2024-01-09T09:00:00-08:00,2024-01-24T23:59:59.999999999-08:00,2024-01-09T09:30:00-08:00,ex-0169,patient_preference
        r04,oak,non-physician-10bd,missed,2024-01-09T13:00:00-08:00,2024-01-24T23:59:59.999999999-08:00,,,group_offered_for_individual
        r05,oak,urgent-48h,missed,2024-01-10T08:05:00-08:00,2024-01-12T08:05:00-08:00,,,out_of_network_referral
        r06,oak,sb221-follow-up-10bd,met,2024-01-11T09:00:00-08:00,2024-01-26T23:59:59.999999999-08:00,2024-01-11T10:05:00-08:00,ex-0180,
        r07,oak,psychiatrist-15bd,open_overdue,2024-01-10T15:00:00-08:00,2024-02-16T23:59:59.999999999-08:00,,,extension;not_offered
        r08,oak,non-physician-10bd,excluded,2024-01-10T11:00:00-08:00,2024-01-25T23:59:59.999999999-08:00,,,withdrawn
        r09,bkn,urgent-48h,met,2024-01-10T09:00:00-05:00,2024-01-12T09:00:00-05:00,2024-01-10T09:30:00-05:00,ex-0187,retriaged_urgent
        r10,oak,non-physician-10bd,met,2024-01-11T14:00:00-08:00,2024-01-26T23:59:59.999999999-08:00,2024-01-11T14:30:00-08:00,ex-0191,
        r11,oak,non-physician-10bd,open_overdue,2024-01-12T12:00:00-08:00,2024-01-29T23:59:59.999999999-08:00,,,not_offered
        r12,oak,non-physician-10bd,open_overdue,2024-01-12T13:00:00-08:00,2024-01-29T23:59:59.999999999-08:00,,,not_offered
    "#]].assert_eq(&csv);
    let json = run(
        dir.path(),
        &[
            "verdicts",
            "--db",
            "l.db",
            "--rules",
            "nhs-talking-therapies",
            "--as-of",
            "2100-01-01T00:00:00Z",
            "--format",
            "json",
        ],
    );
    let body = json.strip_prefix("exit 0\n").unwrap();
    let parsed: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(parsed["rule_set"], "nhs-talking-therapies");
    assert_eq!(parsed["verdicts"].as_array().unwrap().len(), 2 * 8, "{body}");
}

/// Splits the example plan at `split` into two files; stores both, in two
/// batches, in `both.db`, and only the first in `first-only.db`. Returns a
/// moment between the two batches.
fn two_batches(dir: &std::path::Path, split: usize) -> String {
    let plan = std::fs::read_to_string(repo().join("examples/small-plan.ndjson")).unwrap();
    let lines: Vec<&str> = plan.lines().collect();
    std::fs::write(dir.join("first.ndjson"), lines[..split].join("\n")).unwrap();
    std::fs::write(dir.join("second.ndjson"), lines[split..].join("\n")).unwrap();
    run(dir, &["ingest", "--db", "both.db", "first.ndjson"]);
    run(dir, &["ingest", "--db", "first-only.db", "first.ndjson"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let between = jiff::Timestamp::now().to_string();
    std::thread::sleep(std::time::Duration::from_millis(20));
    run(dir, &["ingest", "--db", "both.db", "second.ndjson"]);
    between
}

#[test]
fn a_verdict_as_of_t_equals_one_computed_from_the_events_recorded_by_t() {
    let dir = tempfile::tempdir().unwrap();
    let between = two_batches(dir.path(), 170);
    for rules in ["ca-dmhc", "nhs-talking-therapies"] {
        let as_of = run(
            dir.path(),
            &["verdicts", "--db", "both.db", "--rules", rules, "--as-of", &between],
        );
        let only = run(
            dir.path(),
            &["verdicts", "--db", "first-only.db", "--rules", rules, "--as-of", &between],
        );
        assert!(as_of.contains("1 batch recorded after the as-of moment was left out"), "{as_of}");
        assert_eq!(without_provenance(&as_of), without_provenance(&only), "{rules}");
        let now = run(
            dir.path(),
            &["verdicts", "--db", "both.db", "--rules", rules, "--as-of", "2100-01-01T00:00:00Z"],
        );
        assert_ne!(as_of, now, "{rules}: the later events must change something");
    }
}

#[test]
fn rules_commands_and_a_bad_rule_file() {
    let dir = tempfile::tempdir().unwrap();
    expect![[r#"
        exit 0
        id                       standards  name
        ca-dmhc                          6  California DMHC timely access (Knox-Keene), with SB 221 follow-up
        us-medicaid-mc                   1  US Medicaid and CHIP managed care appointment wait times (42 CFR 438.68(e))
        us-qhp                           2  US Marketplace QHP appointment wait times (45 CFR 156.230, plan year 2025 on)
        nhs-talking-therapies            2  NHS England Talking Therapies: referral to first treatment within 6 and 18 weeks
    "#]].assert_eq(&run(dir.path(), &["rules", "list"]));
    let shown = run(dir.path(), &["rules", "show", "ca-dmhc"]);
    assert!(shown.contains("sb221-follow-up-10bd") && shown.contains("limit = \"48h\""), "{shown}");
    std::fs::write(
        dir.path().join("mine.toml"),
        "id = \"mine\"\nname = \"x\"\n[[standard]]\nlimit = 10\n",
    )
    .unwrap();
    expect![[r#"
        exit 1
        error: mine.toml:4:9: invalid type: integer `10`, expected a string
    "#]]
    .assert_eq(&run(dir.path(), &["rules", "show", "mine.toml"]));
    expect![[r#"
        exit 1
        error: "ca-dmv" is neither a shipped rule set (ca-dmhc, us-medicaid-mc, us-qhp, nhs-talking-therapies) nor a file
    "#]].assert_eq(&run(dir.path(), &["verdicts", "--db", "l.db", "--rules", "ca-dmv"]));
}

#[test]
fn a_report_as_of_t_equals_one_computed_from_the_events_recorded_by_t() {
    let dir = tempfile::tempdir().unwrap();
    let between = two_batches(dir.path(), 175);
    for format in ["json", "csv"] {
        let args = |db: &'static str| {
            ["report", "--db", db, "--rules", "ca-dmhc", "--by", "clinic,month", "--format", format]
        };
        let mut as_of: Vec<&str> = args("both.db").to_vec();
        as_of.extend(["--as-of", &between]);
        let mut only: Vec<&str> = args("first-only.db").to_vec();
        only.extend(["--as-of", &between]);
        let (as_of, only) = (run(dir.path(), &as_of), run(dir.path(), &only));
        assert!(as_of.starts_with("exit 0"), "{as_of}");
        assert!(as_of.contains("1 batch recorded after the as-of moment was left out"), "{as_of}");
        assert!(!only.contains("recorded after the as-of moment"), "{only}");
        assert_eq!(without_provenance(&as_of), without_provenance(&only), "{format}");
    }
}

/// Output without what says which batches were read: the warning about the
/// batches after the as-of moment, and JSON's `ledger` object (whose head
/// is that of the whole ledger read).
fn without_provenance(output: &str) -> String {
    let mut text: String = output
        .lines()
        .filter(|line| !line.contains("recorded after the as-of moment"))
        .map(|line| format!("{line}\n"))
        .collect();
    if let Some(start) = text.find(",\"ledger\":{") {
        let end = ["\"rows\":[", "\"verdicts\":["]
            .iter()
            .filter_map(|key| text[start..].find(key))
            .min()
            .expect("a ledger object before the rows");
        text.replace_range(start..start + end - 1, "");
    }
    text
}
