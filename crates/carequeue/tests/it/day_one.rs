//! Issue 11: a new user's own data in without a fight.

use expect_test::expect;

use crate::support::run;

const HEADER: &str =
    "event_id,type,occurred_at,request_id,patient_id,clinic,urgency,provider_type,visit";

#[test]
fn empty_and_header_only_files_are_reported_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.csv"), "").unwrap();
    std::fs::write(dir.path().join("header.csv"), format!("{HEADER}\n")).unwrap();
    expect![[r#"
        exit 1
        1 file: 0 new, 0 duplicate, 0 rejected events in <time>
        ledger l.db head 0:<hash>
        rejected header.csv: nothing of it stored
          header.csv: the file holds no event (it is empty, or a CSV header alone); --allow-empty records it as an empty batch
        error: 1 of 1 file rejected (header.csv), and nothing of it was stored
    "#]]
    .assert_eq(&run(dir.path(), &["ingest", "--db", "l.db", "header.csv"]));
    let out = run(dir.path(), &["ingest", "--db", "l.db", "empty.csv"]);
    assert!(out.starts_with("exit 1") && out.contains("the file holds no event"), "{out}");
    let out = run(dir.path(), &["ingest", "--db", "l.db", "--allow-empty", "header.csv"]);
    assert!(out.starts_with("exit 0") && out.contains("stored header.csv: 0 events"), "{out}");
}

#[test]
fn the_summary_says_exactly_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        format!("{HEADER}\ne1,request.opened,2024-03-01T09:30:00Z,r1,p1,c1,routine,sud,initial\n"),
    )
    .unwrap();
    expect![[r#"
        exit 1
        stored a.csv: 1 events, 1 new, 0 duplicate (batch 1, seq 1..=1)
        stored a.csv: 1 events, 0 new, 1 duplicate (batch 2, nothing new)
        3 files: 1 new, 1 duplicate, 0 rejected events in <time>
        ledger l.db head 1:<hash>
        rejected nope.csv: cannot open: No such file or directory (os error 2)
        error: 1 of 3 files rejected (nope.csv), and nothing of it was stored; the other 2 files were stored
    "#]]
    .assert_eq(&run(dir.path(), &["ingest", "--db", "l.db", "a.csv", "a.csv", "nope.csv"]));
}

#[test]
fn check_validates_without_storing_anything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.csv"),
        format!("{HEADER}\ne1,request.opened,2024-03-01T09:30:00Z,r1,p1,c1,routine,sud,initial\n"),
    )
    .unwrap();
    expect![[r#"
        exit 0
        checked a.csv: 1 events, 1 new, 0 duplicate; valid, nothing stored (--check)
        1 file: 1 new, 0 duplicate, 0 rejected events in <time>
    "#]]
    .assert_eq(&run(dir.path(), &["ingest", "--db", "l.db", "--check", "a.csv"]));
    assert!(!dir.path().join("l.db").exists(), "--check created a ledger");
    assert!(run(dir.path(), &["ingest", "--db", "l.db", "a.csv"]).starts_with("exit 0"));
    let before = run(dir.path(), &["verify", "--db", "l.db"]);
    let out = run(dir.path(), &["ingest", "--db", "l.db", "--check", "a.csv"]);
    assert!(out.contains("checked a.csv: 1 events, 0 new, 1 duplicate"), "{out}");
    assert_eq!(run(dir.path(), &["verify", "--db", "l.db"]), before, "--check changed the ledger");
}

/// A spreadsheet's export: semicolons, a byte-order mark, CRLF, empty
/// columns after the last, capitalised values; and a row missing five
/// fields, reported in one run.
#[test]
fn a_spreadsheets_csv_goes_in_and_every_problem_of_a_row_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let header = HEADER.replace(',', ";");
    std::fs::write(
        dir.path().join("excel.csv"),
        format!(
            "\u{feff}{header};;\r\ne1;request.opened;2024-03-01T09:30:00Z;r1;p1;c1;Routine;Non_Physician_MH;Initial;;\r\n"
        ),
    )
    .unwrap();
    let out = run(dir.path(), &["ingest", "--db", "l.db", "excel.csv"]);
    assert!(out.starts_with("exit 0") && out.contains("1 new"), "{out}");
    std::fs::write(
        dir.path().join("short.csv"),
        format!("{HEADER}\ne2,request.opened,2024-03-01T09:30:00Z,r2,,,,,\ne3,request.opened,2024-03-01T09:30:00Z,r3,p3,c1,routin,therapist,initial\n"),
    )
    .unwrap();
    expect![[r#"
        exit 1
        1 file: 0 new, 0 duplicate, 2 rejected events in <time>
        ledger l.db head 1:<hash>
        rejected short.csv: nothing of it stored
          short.csv:2: field `patient_id`: required for `request.opened` events, but absent
          short.csv:2: field `clinic`: required for `request.opened` events, but absent
          short.csv:2: field `urgency`: required for `request.opened` events, but absent
          short.csv:2: field `provider_type`: required for `request.opened` events, but absent
          short.csv:2: field `visit`: required for `request.opened` events, but absent
          short.csv:3: field `urgency`: expected one of urgent, routine, found "routin"; did you mean `routine`?
          short.csv:3: field `provider_type`: expected one of psychiatrist, non_physician_mh, sud, primary_care, other, found "therapist"
        error: 1 of 1 file rejected (short.csv), and nothing of it was stored
    "#]]
    .assert_eq(&run(dir.path(), &["ingest", "--db", "l.db", "short.csv"]));
}

#[test]
fn rules_check_says_whether_a_rule_file_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = crate::support::repo().join("crates/rules/rulesets/us-qhp.toml");
    std::fs::copy(shipped, dir.path().join("mine.toml")).unwrap();
    expect![[r#"
        exit 0
        mine.toml: a valid rule set, "us-qhp" (US Marketplace QHP appointment wait times (45 CFR 156.230, plan year 2025 on)), 2 standards
    "#]].assert_eq(&run(dir.path(), &["rules", "check", "mine.toml"]));
    std::fs::write(
        dir.path().join("bad.toml"),
        "id = \"x\"\nname = \"x\"\n[[standard]]\nlimit = \"10 days\"\n",
    )
    .unwrap();
    expect![[r#"
        exit 1
        error: bad.toml:3:1: missing field `id`
    "#]]
    .assert_eq(&run(dir.path(), &["rules", "check", "bad.toml"]));
}

#[test]
fn the_worklist_filters_by_clinic_and_provider_type_and_names_the_patient() {
    let dir = tempfile::tempdir().unwrap();
    let plan = crate::support::repo().join("examples/small-plan.ndjson");
    assert!(
        run(dir.path(), &["ingest", "--db", "l.db", plan.to_str().unwrap()]).starts_with("exit 0")
    );
    let judge = ["--db", "l.db", "--rules", "ca-dmhc", "--as-of", "2100-01-01T00:00:00Z"];
    let all = run(dir.path(), &[&["worklist"][..], &judge, &["--format", "csv"]].concat());
    let old = run(dir.path(), &[&["worklist"][..], &judge, &["--csv"]].concat());
    assert_eq!(all, old, "--csv is --format csv");
    expect![[r#"
        exit 0
        request_id,patient_id,provider_type,clinic,standard,verdict,clock_start,deadline,deadline_date,time_zone,seconds_left,arrange_out_of_network,problem
        r11,pt-r11,non_physician_mh,oak,non-physician-10bd,open_overdue,2024-01-12T12:00:00-08:00,2024-01-29T23:59:59.999999999-08:00,2024-01-29,America/Los_Angeles,-2395843200,true,
        r12,pt-r12,non_physician_mh,oak,non-physician-10bd,open_overdue,2024-01-12T13:00:00-08:00,2024-01-29T23:59:59.999999999-08:00,2024-01-29,America/Los_Angeles,-2395843200,true,
        r07,pt-r07,psychiatrist,oak,psychiatrist-15bd,open_overdue,2024-01-10T15:00:00-08:00,2024-02-16T23:59:59.999999999-08:00,2024-02-16,America/Los_Angeles,-2394288000,true,
    "#]].assert_eq(&all);
    expect![[r#"
        exit 0
        1 open requests under ca-dmhc as of 2100-01-01T00:00:00.000000Z; 1 overdue (the plan must arrange care out of network)
        r07            pt-r07       psychiatrist     oak          psychiatrist-15bd      overdue 27711d 16h  deadline 2024-02-16 (end of day, America/Los_Angeles)  open_overdue  ARRANGE OUT-OF-NETWORK CARE
    "#]].assert_eq(&run(
        dir.path(),
        &[&["worklist"][..], &judge, &["--clinic", "oak", "--provider-type", "psychiatrist"]]
            .concat(),
    ));
    expect![[r#"
        exit 2
        error: invalid value 'therapist' for '--provider-type <TYPE>': expected one of psychiatrist, non_physician_mh, sud, primary_care, other, found "therapist"

        For more information, try '--help'.
    "#]].assert_eq(&run(
        dir.path(),
        &[&["worklist"][..], &judge, &["--provider-type", "therapist"]].concat(),
    ));
}

/// History loaded today, reported for its measurement period, gives the
/// figures of the same events recorded as they happened; `--as-of` a date
/// before the load says why it is empty.
#[test]
fn a_measurement_period_over_back_loaded_history() {
    let dir = tempfile::tempdir().unwrap();
    let plan = crate::support::repo().join("examples/small-plan.ndjson");
    assert!(
        run(dir.path(), &["ingest", "--db", "loaded.db", plan.to_str().unwrap()])
            .starts_with("exit 0")
    );
    // The same events, recorded day by day as they happened.
    let live = ledger::Ledger::create(dir.path().join("live.db").to_str().unwrap()).unwrap();
    let text = std::fs::read_to_string(&plan).unwrap();
    let events: Vec<events::Event> =
        formats::Reader::new(text.as_bytes(), "plan").unwrap().map(|r| r.unwrap().value).collect();
    let mut days: std::collections::BTreeMap<jiff::civil::Date, Vec<&events::Event>> =
        std::collections::BTreeMap::new();
    for event in &events {
        let day = jiff::tz::TimeZone::UTC.to_datetime(event.occurred_at.timestamp()).date();
        days.entry(day).or_default().push(event);
    }
    for (day, batch) in days {
        // Recorded once the day's last event had happened and been entered.
        let end = batch
            .iter()
            .flat_map(|e| [Some(e.occurred_at), e.entered_at])
            .flatten()
            .map(|at| at.timestamp())
            .max()
            .unwrap();
        let incoming = batch.iter().enumerate().map(|(line, event)| {
            Ok::<_, std::convert::Infallible>(ledger::Incoming::new(
                line as u64 + 1,
                (*event).clone(),
            ))
        });
        let options = ledger::AppendOptions::new(day.to_string(), ledger::RecordedAt::At(end));
        assert!(matches!(live.append(incoming, &options).unwrap(), ledger::Appended::Stored(_)));
    }
    let rows = |db: &str, period: &str| {
        let out = std::process::Command::new(crate::support::BIN)
            .args(["report", "--db", db, "--rules", "ca-dmhc", "--by", "clinic"])
            .args(["--period", period, "--format", "json"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["period"]["from"], "2024-01-01");
        json["rows"].clone()
    };
    let loaded = rows("loaded.db", "2024-01");
    assert!(loaded.as_array().unwrap().len() > 3, "{loaded}");
    assert_eq!(loaded, rows("live.db", "2024-01"));
    // January 2024 only: the requests of another month are not counted.
    let other = std::process::Command::new(crate::support::BIN)
        .args(["report", "--db", "loaded.db", "--rules", "ca-dmhc", "--period", "2024-02"])
        .args(["--format", "csv"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&other.stdout).lines().count(), 1, "only the header");
    // As of a date before the load: empty, and said so.
    let early = run(
        dir.path(),
        &["report", "--db", "loaded.db", "--rules", "ca-dmhc", "--as-of", "2024-02-01T00:00:00Z"],
    );
    assert!(
        early.contains("warning: the as-of moment is before the ledger's first batch"),
        "{early}"
    );
}

/// The terminal table says what its columns are and marks a rate below the
/// standard's required rate.
#[test]
fn the_report_table_marks_rates_below_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let plan = crate::support::repo().join("examples/small-plan.ndjson");
    assert!(
        run(dir.path(), &["ingest", "--db", "l.db", plan.to_str().unwrap()]).starts_with("exit 0")
    );
    let out = run(
        dir.path(),
        &["report", "--db", "l.db", "--rules", "ca-dmhc", "--as-of", "2100-01-01T00:00:00Z"],
    );
    let table: Vec<&str> =
        out.lines().filter(|l| !l.starts_with("counted ")).take_while(|l| !l.is_empty()).collect();
    expect![[r#"
        exit 0
        ca-dmhc as of 2100-01-01 00:00:00 UTC; rate = met / (met + missed + open_overdue), ! when below the standard's required rate; wait = days from the clock start to the earliest date offered (Kaplan-Meier, requests still waiting censored); unjudged = requests a standard applies to that cannot be judged
        standard              requests  unjudged  met  missed  open_within  open_overdue  excluded      rate  wait_p50_days  wait_p90_days
        urgent-48h                   3         0    2       1            0             0         0   66.7% !            1.2            3.1
        psychiatrist-15bd            1         0    0       0            0             1         0    0.0% !
        non-physician-10bd           7         0    3       1            0             2         1   50.0% !            4.8
        sb221-follow-up-10bd         1         0    1       0            0             0         0  100.0%             12.0           12.0"#]].assert_eq(&table.join("\n"));
}
