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

/// `a.csv`: one request, valid.
fn one_request(dir: &std::path::Path) {
    std::fs::write(
        dir.join("a.csv"),
        format!("{HEADER}\ne1,request.opened,2024-03-01T09:30:00Z,r1,p1,c1,routine,sud,initial\n"),
    )
    .unwrap();
}

#[test]
fn the_summary_says_exactly_what_was_stored() {
    let dir = tempfile::tempdir().unwrap();
    one_request(dir.path());
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
    one_request(dir.path());
    expect![[r#"
        exit 0
        no ledger at l.db: the files are checked against an empty one
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
    // The example plan in l.db.
    let dir = crate::trust::plan_ledger();
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
    // Two more requests: one opened at 23:30 on 31 January in Oakland (1
    // February in UTC, January in the clinic's zone), one in February.
    let more = r#"{"event_id":"m1","type":"request.opened","occurred_at":"2024-01-31T23:30:00-08:00","request_id":"r90","patient_id":"p90","clinic":"oak","urgency":"routine","provider_type":"non_physician_mh","visit":"initial"}
{"event_id":"m2","type":"request.opened","occurred_at":"2024-02-05T10:00:00-08:00","request_id":"r91","patient_id":"p91","clinic":"oak","urgency":"routine","provider_type":"non_physician_mh","visit":"initial"}
"#;
    let text = std::fs::read_to_string(&plan).unwrap() + more;
    std::fs::write(dir.path().join("history.ndjson"), &text).unwrap();
    let loaded = run(dir.path(), &["ingest", "--db", "loaded.db", "history.ndjson"]);
    assert!(loaded.starts_with("exit 0"), "{loaded}");
    // The same events, recorded day by day as they happened.
    let live = ledger::Ledger::create(dir.path().join("live.db").to_str().unwrap()).unwrap();
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
    let json = |args: &[&str]| {
        let out = std::process::Command::new(crate::support::BIN)
            .args(args)
            .args(["--rules", "ca-dmhc", "--format", "json"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let rows = |db: &str, period: &[&str]| {
        json(&[&["report", "--db", db, "--by", "clinic,month"][..], period].concat())["rows"]
            .clone()
    };
    let requests = |rows: &serde_json::Value| -> u64 {
        rows.as_array().unwrap().iter().map(|r| r["requests"].as_u64().unwrap()).sum()
    };
    for period in [&["--period", "2024-01"][..], &["--period", "2024-02"]] {
        assert_eq!(rows("loaded.db", period), rows("live.db", period), "{period:?}");
    }
    // The period chooses: January has the plan's requests and the one of
    // 23:30 on the 31st; February the one of the 5th.
    let january = rows("loaded.db", &["--period", "2024-01"]);
    let february = rows("loaded.db", &["--period", "2024-02"]);
    let everything = rows("loaded.db", &[]);
    assert_eq!(requests(&february), 1, "{february}");
    assert_eq!(requests(&january) + 1, requests(&everything));
    assert!(january.as_array().unwrap().iter().all(|r| r["month"] == "2024-01"), "{january}");
    // --opened-from and --opened-to are the same choice, dates included.
    assert_eq!(
        rows("loaded.db", &["--opened-from", "2024-02-01", "--opened-to", "2024-02-29"]),
        february
    );
    // verdicts and the worklist choose alike.
    let verdicts = json(&["verdicts", "--db", "loaded.db", "--period", "2024-02"]);
    let ids: Vec<&str> = verdicts["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["r91"]);
    let worklist = run(
        dir.path(),
        &[
            "worklist",
            "--db",
            "loaded.db",
            "--rules",
            "ca-dmhc",
            "--period",
            "2024-01",
            "--format",
            "csv",
        ],
    );
    assert!(worklist.contains("r90,") && !worklist.contains("r91,"), "{worklist}");
    expect![[r#"
        exit 2
        error: invalid value '2024-13' for '--period <P>': expected a year (2025), a quarter (2025-Q3) or a month (2025-07)

        For more information, try '--help'.
    "#]].assert_eq(&run(
        dir.path(),
        &["report", "--db", "loaded.db", "--rules", "ca-dmhc", "--period", "2024-13"],
    ));
    let backwards = run(
        dir.path(),
        &[
            "report",
            "--db",
            "loaded.db",
            "--rules",
            "ca-dmhc",
            "--opened-from",
            "2024-03-01",
            "--opened-to",
            "2024-02-01",
        ],
    );
    assert!(
        backwards.starts_with("exit 1") && backwards.contains("is after --opened-to"),
        "{backwards}"
    );
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
    // The example plan in l.db.
    let dir = crate::trust::plan_ledger();
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

/// The CSV templates ingest in the order `docs/events.md` gives, each file
/// a batch, and every event of the documentation's examples is one of them.
#[test]
fn the_templates_ingest_in_the_documented_order() {
    let dir = tempfile::tempdir().unwrap();
    let templates = crate::support::repo().join("examples/templates");
    let docs = std::fs::read_to_string(crate::support::repo().join("docs/events.md")).unwrap();
    // The numbered list under "CSV templates".
    let order: Vec<String> = docs
        .lines()
        .skip_while(|line| !line.starts_with("## CSV templates"))
        .filter_map(|line| {
            let (number, rest) = line.split_once(". `")?;
            number.parse::<u32>().ok()?;
            Some(rest.split('`').next()?.to_owned())
        })
        .take_while(|name| name.ends_with(".csv"))
        .collect();
    let mut files: Vec<String> = std::fs::read_dir(&templates)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut listed = order.clone();
    listed.sort();
    assert_eq!(listed, files, "the documented order names every template once");
    assert_eq!(order.len(), 17, "a template per event type");
    let paths: Vec<String> =
        order.iter().map(|f| templates.join(f).display().to_string()).collect();
    let args: Vec<&str> =
        ["ingest", "--db", "t.db"].into_iter().chain(paths.iter().map(String::as_str)).collect();
    let out = run(dir.path(), &args);
    assert!(out.starts_with("exit 0") && out.contains("17 files: 17 new"), "{out}");
    let report =
        run(dir.path(), &["report", "--db", "t.db", "--rules", "ca-dmhc", "--format", "json"]);
    assert!(report.starts_with("exit 0"), "{report}");
}

/// HTML is not written to a terminal (400 KB of markup on the screen); it is
/// written to a file or a pipe.
#[test]
fn an_html_report_is_refused_on_a_terminal() {
    // The example plan in l.db.
    let dir = crate::trust::plan_ledger();
    let command = format!("{} report --db l.db --rules ca-dmhc --format html", crate::support::BIN);
    // `script` gives the command a terminal (util-linux).
    let Ok(output) = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .output()
    else {
        assert!(std::env::var_os("CI").is_none(), "CI needs `script` (util-linux)");
        return;
    };
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("give --out FILE"), "{text}");
    assert!(!text.contains("<html"), "{text}");
    // To a pipe, it is written.
    let piped = std::process::Command::new(crate::support::BIN)
        .args(["report", "--db", "l.db", "--rules", "ca-dmhc", "--format", "html"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&piped.stdout).contains("<html"));
}

/// A plan file gives each network its own rule set: the New York clinic's
/// requests are judged under the Marketplace rules, the California
/// clinic's under the DMHC's, and neither is mixed into the other's rates.
#[test]
fn a_plan_file_judges_each_network_under_its_own_rule_set() {
    // The example plan in l.db.
    let dir = crate::trust::plan_ledger();
    // The Marketplace rules, without their start in 2025 and for urgent
    // requests too, in a rule file beside the plan (named relative to it).
    std::fs::create_dir(dir.path().join("plans")).unwrap();
    let qhp =
        std::fs::read_to_string(crate::support::repo().join("crates/rules/rulesets/us-qhp.toml"))
            .unwrap()
            .lines()
            .filter(|line| !line.starts_with("effective_from"))
            .map(|line| format!("{line}\n"))
            .collect::<String>()
            .replace("urgency = [\"routine\"]", "urgency = [\"routine\", \"urgent\"]");
    std::fs::write(dir.path().join("plans/qhp.toml"), qhp).unwrap();
    std::fs::write(
        dir.path().join("plans/plan.toml"),
        "name = \"Two coasts (synthetic)\"\ndefault_rules = \"ca-dmhc\"\n\n[[network]]\nid = \"east\"\nrules = \"qhp.toml\"\n",
    )
    .unwrap();
    let as_of = ["--as-of", "2100-01-01T00:00:00Z"];
    let json = |args: &[&str]| -> serde_json::Value {
        let out = std::process::Command::new(crate::support::BIN)
            .args(args)
            .args(as_of)
            .args(["--format", "json"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let planned = json(&["report", "--db", "l.db", "--plan", "plans/plan.toml", "--by", "network"]);
    assert_eq!(planned["plan"], "Two coasts (synthetic)");
    let parts = planned["parts"].as_array().unwrap();
    let summary: Vec<String> = parts
        .iter()
        .map(|part| {
            let networks: Vec<String> = part["report"]["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    format!(
                        "{}:{}={}",
                        r["network"].as_str().unwrap(),
                        r["standard"].as_str().unwrap(),
                        r["requests"]
                    )
                })
                .collect();
            format!("{} {} {}", part["rule_set"], part["networks"], networks.join(" "))
        })
        .collect();
    expect![[r#"
        "ca-dmhc" {"except":["east"]} bay:urgent-48h=2 bay:psychiatrist-15bd=1 bay:non-physician-10bd=7 bay:sb221-follow-up-10bd=1
        "us-qhp" {"only":["east"]} east:behavioral-health-10bd=1"#]].assert_eq(&summary.join("\n"));
    // Slots, like requests, are each network's own.
    let clinics = |part: &serde_json::Value| -> Vec<String> {
        let mut clinics: Vec<String> = part["report"]["third_next_available"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["clinic"].as_str().unwrap().to_owned())
            .collect();
        clinics.dedup();
        clinics
    };
    // Each part's rates network by network name only its own networks.
    let networks = |part: &serde_json::Value| -> Vec<String> {
        let mut names: Vec<String> = part["report"]["by_network"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row["network"].as_str().unwrap().to_owned())
            .collect();
        names.dedup();
        names
    };
    assert_eq!(
        (networks(&parts[0]), networks(&parts[1])),
        (vec!["bay".to_owned()], vec!["east".to_owned()])
    );
    assert_eq!(clinics(&parts[0]), ["oak"]);
    assert_eq!(clinics(&parts[1]), ["bkn"]);
    // The California part equals a report under ca-dmhc of the bay network
    // alone: the New York requests are no longer in California's rates.
    let everything = json(&["report", "--db", "l.db", "--rules", "ca-dmhc", "--by", "network"]);
    let bay: Vec<&serde_json::Value> =
        everything["rows"].as_array().unwrap().iter().filter(|r| r["network"] == "bay").collect();
    let california: Vec<&serde_json::Value> =
        parts[0]["report"]["rows"].as_array().unwrap().iter().collect();
    assert_eq!(california, bay);
    // The worklist, the table and the HTML take the plan too.
    let worklist = run(
        dir.path(),
        &[
            "worklist",
            "--db",
            "l.db",
            "--plan",
            "plans/plan.toml",
            "--as-of",
            "2024-01-20T00:00:00Z",
        ],
    );
    assert!(
        worklist.starts_with("exit 0") && worklist.contains("under ca-dmhc and us-qhp"),
        "{worklist}"
    );
    let table = run(dir.path(), &["report", "--db", "l.db", "--plan", "plans/plan.toml"]);
    assert!(table.contains("== network east under us-qhp"), "{table}");
    let html = run(
        dir.path(),
        &[
            "report",
            "--db",
            "l.db",
            "--plan",
            "plans/plan.toml",
            "--format",
            "html",
            "--out",
            "r.html",
        ],
    );
    assert!(html.starts_with("exit 0"), "{html}");
    let page = std::fs::read_to_string(dir.path().join("r.html")).unwrap();
    assert_eq!(page.matches("<body>").count(), 1);
    assert!(page.contains("Two coasts (synthetic)") && page.contains("network east under us-qhp"));
    // Each rule set's methods, one sign-off for the whole plan.
    assert_eq!(page.matches("<h2>Methods").count(), 2, "methods per rule set");
    assert_eq!(page.matches("<h2>Sign-off</h2>").count(), 1, "one sign-off");
    let both = run(
        dir.path(),
        &["report", "--db", "l.db", "--plan", "plans/plan.toml", "--rules", "ca-dmhc"],
    );
    assert!(both.starts_with("exit 2"), "{both}");
    let neither = run(dir.path(), &["report", "--db", "l.db"]);
    assert!(
        neither.starts_with("exit 2") && neither.contains("--rules <ID|PATH>|--plan <FILE>"),
        "{neither}"
    );
    let verdicts = run(dir.path(), &["verdicts", "--db", "l.db"]);
    assert!(verdicts.starts_with("exit 2") && verdicts.contains("--rules"), "{verdicts}");
    // A misspelt network is said, not silently judged under the default.
    std::fs::write(
        dir.path().join("plans/typo.toml"),
        "name = \"x\"\ndefault_rules = \"ca-dmhc\"\n[[network]]\nid = \"eest\"\nrules = \"qhp.toml\"\n",
    )
    .unwrap();
    let typo = run(dir.path(), &["report", "--db", "l.db", "--plan", "plans/typo.toml"]);
    assert!(typo.contains("warning: the plan names network \"eest\""), "{typo}");
    // One rule set named two ways is refused.
    std::fs::write(
        dir.path().join("plans/twice.toml"),
        "name = \"x\"\ndefault_rules = \"qhp.toml\"\n[[network]]\nid = \"bay\"\nrules = \"./qhp.toml\"\n",
    )
    .unwrap();
    let twice = run(dir.path(), &["report", "--db", "l.db", "--plan", "plans/twice.toml"]);
    assert!(twice.starts_with("exit 1") && twice.contains("named in two ways"), "{twice}");
}

/// History loaded with `--backfill` does not flood `late_entry`: events
/// without entered_at go to their own check, events with one are checked
/// against it as always, and the batch says what it is.
#[test]
fn a_backfill_reports_unknown_entry_times_apart_from_late_entry() {
    let dir = tempfile::tempdir().unwrap();
    let history = format!(
        "{HEADER},entered_at\n\
         h1,request.opened,2024-03-01T09:30:00Z,r1,p1,c1,routine,sud,initial,\n\
         h2,request.opened,2024-03-02T09:30:00Z,r2,p2,c1,routine,sud,initial,2024-03-02T09:35:00Z\n\
         h3,request.opened,2024-03-03T09:30:00Z,r3,p3,c1,routine,sud,initial,2024-03-09T09:30:00Z\n"
    );
    std::fs::write(dir.path().join("history.csv"), history).unwrap();
    let stored = run(dir.path(), &["ingest", "--db", "b.db", "--backfill", "history.csv"]);
    assert!(
        stored.contains(
            "stored history.csv: 3 events, 3 new, 0 duplicate (backfill batch 1, seq 1..=3)"
        ),
        "{stored}"
    );
    let live = run(dir.path(), &["ingest", "--db", "l.db", "history.csv"]);
    assert!(live.contains("(batch 1, seq 1..=3)"), "{live}");
    let report = |db: &str| {
        let out = std::process::Command::new(crate::support::BIN)
            .args(["report", "--db", db, "--rules", "ca-dmhc", "--format", "json"])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let found = |json: &serde_json::Value, check: &str| -> Vec<String> {
        let finding = json["integrity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == check)
            .unwrap_or_else(|| panic!("no check {check}: {json}"));
        finding["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().into()).collect()
    };
    // Loaded live, h1's recording today counts as entry today: late. h3 was
    // entered six days late at its source, whichever way it was loaded.
    let live = report("l.db");
    assert_eq!(found(&live, "late_entry"), ["h1", "h3"]);
    assert!(found(&live, "late_entry_unknown_backfill").is_empty());
    assert_eq!(live["ledger"]["backfill_batches_counted"], 0);
    let backfilled = report("b.db");
    assert_eq!(found(&backfilled, "late_entry"), ["h3"]);
    assert_eq!(found(&backfilled, "late_entry_unknown_backfill"), ["h1"]);
    assert_eq!(backfilled["ledger"]["backfill_batches_counted"], 1);
    let table = run(dir.path(), &["report", "--db", "b.db", "--rules", "ca-dmhc"]);
    assert!(
        table.contains("counted 1 batch of the ledger (1 of them backfill), the last"),
        "{table}"
    );
    assert!(table.contains("\n  late_entry_unknown_backfill     1  h1\n"), "{table}");
    assert!(table.contains("\n  late_entry                      1  h3\n"), "{table}");
}

/// `--check` never changes a ledger, not even to bring its schema up to
/// date; reading an older ledger needs no migration either.
#[test]
fn check_leaves_an_older_ledger_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    one_request(dir.path());
    assert!(run(dir.path(), &["ingest", "--db", "l.db", "a.csv"]).starts_with("exit 0"));
    let path = dir.path().join("l.db");
    let downgrade =
        "ALTER TABLE batches DROP COLUMN kind; DELETE FROM schema_migrations WHERE version = 2";
    rusqlite::Connection::open(&path).unwrap().execute_batch(downgrade).unwrap();
    let schema = || -> i64 {
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("SELECT max(version) FROM schema_migrations", [], |r| r.get(0))
            .unwrap()
    };
    let checked = run(dir.path(), &["ingest", "--db", "l.db", "--check", "a.csv"]);
    assert!(
        checked.starts_with("exit 1") && checked.contains("--check never changes a ledger"),
        "{checked}"
    );
    assert_eq!(schema(), 1);
    let verified = run(dir.path(), &["verify", "--db", "l.db"]);
    assert!(verified.starts_with("exit 0\nledger l.db verifies: 1 events"), "{verified}");
    assert_eq!(schema(), 1);
    // A real ingest brings it up to date.
    assert!(run(dir.path(), &["ingest", "--db", "l.db", "a.csv"]).starts_with("exit 0"));
    assert_eq!(schema(), 2);
}
