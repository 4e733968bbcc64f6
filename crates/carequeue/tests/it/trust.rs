//! Issue 10: every figure honest. A broken chain fails every command that
//! reads the ledger; reading never creates a ledger nor waits behind an
//! ingest; what cannot be judged is counted and shown; clocks are checked;
//! CSV cells are safe in a spreadsheet.

use std::path::Path;
use std::process::Command;

use expect_test::expect;

use crate::support::{BIN, repo, run};

/// A ledger holding the example plan, in a fresh folder.
pub(crate) fn plan_ledger() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let plan = repo().join("examples/small-plan.ndjson");
    let out = run(dir.path(), &["ingest", "--db", "l.db", plan.to_str().unwrap()]);
    assert!(out.starts_with("exit 0"), "{out}");
    dir
}

/// Changes one stored body directly in the database, keeping it a valid
/// event: an urgent request made routine.
fn tamper(dir: &Path) {
    let conn = rusqlite::Connection::open(dir.join("l.db")).unwrap();
    let changed = conn
        .execute(
            "UPDATE events SET body = replace(body, '\"urgency\":\"urgent\"', '\"urgency\":\"routine\"')
             WHERE seq = (SELECT min(seq) FROM events WHERE body LIKE '%\"urgency\":\"urgent\"%')",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

/// Stores `text` (NDJSON) as one batch from `source`, recorded at `at`, as a
/// live feed would have, through the ledger itself.
fn append_at(ledger: &ledger::Ledger, text: &str, source: &str, at: &str) {
    let incoming = formats::Reader::new(text.as_bytes(), source)
        .unwrap()
        .map(|r| r.map(|l| ledger::Incoming::new(l.line, l.value)))
        .collect::<Vec<_>>();
    let options = ledger::AppendOptions::new(source, ledger::RecordedAt::At(at.parse().unwrap()));
    assert!(matches!(ledger.append(incoming, &options).unwrap(), ledger::Appended::Stored(_)));
}

/// Runs `carequeue` and gives (exit code, stdout, stderr).
fn output(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output =
        Command::new(BIN).args(args).current_dir(dir).env_remove("CAREQUEUE_DB").output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// After everything was recorded (now), and every deadline.
const AS_OF: &str = "2100-01-01T00:00:00Z";

#[test]
fn a_broken_chain_fails_every_command_that_reads_the_ledger() {
    let dir = plan_ledger();
    // Before the change, every command succeeds.
    for args in reading_commands() {
        let (code, _, stderr) = output(dir.path(), &args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
    }
    tamper(dir.path());
    for args in reading_commands() {
        let (code, stdout, stderr) = output(dir.path(), &args);
        assert_eq!(code, 1, "{args:?} exits 0 on a broken chain:\n{stdout}\n{stderr}");
        assert!(
            stderr.contains("chain is broken") || stderr.contains("is BROKEN at event"),
            "{args:?} does not say the chain is broken:\n{stdout}\n{stderr}"
        );
        let structured = args.contains(&"json") || args.contains(&"html");
        if args[0] == "verify" {
            continue;
        }
        if structured {
            // JSON and HTML are written, with the break marked.
            let written = match args.iter().position(|a| *a == "--out") {
                Some(idx) => std::fs::read_to_string(dir.path().join(args[idx + 1])).unwrap(),
                None => stdout.clone(),
            };
            assert!(
                written.contains("\"chain\":\"broken\"")
                    || written.contains("hash chain is broken"),
                "{args:?} does not mark its output:\n{written}"
            );
        } else {
            assert_eq!(stdout, "", "{args:?} wrote flat output from a broken chain");
            assert!(stderr.contains("--allow-broken-chain"), "{args:?}: {stderr}");
        }
    }
    // For forensic work, the flat formats are written, marked on their
    // first line; the exit still says the chain is broken.
    for args in [
        vec!["report", "--db", "l.db", "--rules", "ca-dmhc", "--as-of", AS_OF, "--format", "csv"],
        vec!["report", "--db", "l.db", "--rules", "ca-dmhc", "--as-of", AS_OF],
        vec!["verdicts", "--db", "l.db", "--rules", "ca-dmhc", "--as-of", AS_OF],
        vec!["worklist", "--db", "l.db", "--rules", "ca-dmhc", "--as-of", AS_OF, "--format", "csv"],
        vec!["worklist", "--db", "l.db", "--rules", "ca-dmhc", "--as-of", AS_OF],
        vec!["events", "--db", "l.db", "--format", "csv"],
    ] {
        let args = [&args[..], &["--allow-broken-chain"]].concat();
        let (code, stdout, stderr) = output(dir.path(), &args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stdout.starts_with("# CHAIN BROKEN: "), "{args:?}:\n{stdout}");
        assert!(stdout.lines().count() > 2, "{args:?}:\n{stdout}");
    }
    // NDJSON has no place for a mark: written, with the error on stderr.
    let (code, stdout, stderr) =
        output(dir.path(), &["events", "--db", "l.db", "--allow-broken-chain"]);
    assert_eq!((code, stdout.lines().count()), (1, 199), "{stderr}");
    assert!(stderr.contains("chain is broken"), "{stderr}");
}

/// Every command that reads the ledger, in every format.
fn reading_commands() -> Vec<Vec<&'static str>> {
    let judge = ["--db", "l.db", "--rules", "ca-dmhc", "--as-of", AS_OF];
    let with =
        |command: &'static str, more: &[&'static str]| [&[command][..], &judge[..], more].concat();
    vec![
        vec!["verify", "--db", "l.db"],
        with("report", &[]),
        with("report", &["--format", "csv"]),
        with("report", &["--format", "json"]),
        with("report", &["--format", "html", "--out", "r.html"]),
        with("verdicts", &[]),
        with("verdicts", &["--format", "json"]),
        with("worklist", &[]),
        with("worklist", &["--format", "csv"]),
        vec!["events", "--db", "l.db"],
        vec!["events", "--db", "l.db", "--format", "csv"],
        vec!["events", "--db", "l.db", "--with-chain"],
    ]
}

#[test]
fn plan_staff_from_a_broken_chain_fits_nothing() {
    let dir = plan_ledger();
    tamper(dir.path());
    let (code, stdout, stderr) = output(
        dir.path(),
        &["plan", "staff", "--from-db", "l.db", "--as-of", AS_OF, "--members", "1000"],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains("chain is broken") && stderr.contains("no plan was fitted"),
        "{stderr}"
    );
}

#[test]
fn reading_a_missing_ledger_fails_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["report", "--db", "typo.db", "--rules", "ca-dmhc"],
        vec!["report", "--db", "typo.db", "--rules", "ca-dmhc", "--format", "csv"],
        vec!["verdicts", "--db", "typo.db", "--rules", "ca-dmhc"],
        vec!["worklist", "--db", "typo.db", "--rules", "ca-dmhc"],
        vec!["events", "--db", "typo.db"],
        vec!["verify", "--db", "typo.db"],
        vec!["plan", "staff", "--from-db", "typo.db", "--members", "1000"],
    ] {
        let (code, stdout, stderr) = output(dir.path(), &args);
        assert_eq!((code, stdout.as_str()), (1, ""), "{args:?}: {stderr}");
        assert!(
            stderr.contains("typo.db") && stderr.contains("no such file"),
            "{args:?}: {stderr}"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{args:?} created {left:?}");
    }
}

#[test]
fn a_report_answers_while_an_ingest_holds_the_write_lock() {
    let dir = plan_ledger();
    // An ingest in the middle of a large batch holds SQLite's write lock.
    let holder = rusqlite::Connection::open(dir.path().join("l.db")).unwrap();
    holder
        .execute_batch("BEGIN IMMEDIATE; INSERT INTO schema_migrations VALUES (1000, 'x')")
        .unwrap();
    let mut child = Command::new(BIN)
        .args(["report", "--db", "l.db", "--rules", "ca-dmhc"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the report waited behind the write lock");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    assert!(status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("urgent-48h"));
    drop(holder);
}

#[test]
fn a_report_says_which_batches_it_counted_and_warns_of_later_ones() {
    let dir = tempfile::tempdir().unwrap();
    // Two batches recorded at known moments (as a live feed would).
    let ledger = ledger::Ledger::create(dir.path().join("l.db").to_str().unwrap()).unwrap();
    let text = std::fs::read_to_string(repo().join("examples/small-plan.ndjson")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (half, at) in
        [(&lines[..100], "2024-01-13T00:00:00Z"), (&lines[100..], "2024-01-20T00:00:00Z")]
    {
        append_at(&ledger, &half.join("\n"), "half", at);
    }
    let (code, stdout, stderr) = output(
        dir.path(),
        &["report", "--db", "l.db", "--rules", "ca-dmhc", "--as-of", "2024-01-15T00:00:00Z"],
    );
    assert_eq!(code, 0, "{stderr}");
    let counted = stdout.lines().nth(1).unwrap();
    let counted = counted.split(" (head").next().unwrap();
    expect![[
        r#"counted 1 batch of the ledger, the last batch 1 recorded at 2024-01-13T00:00:00.000000Z"#
    ]]
    .assert_eq(counted);
    expect![[r#"
        warning: 1 batch recorded after the as-of moment was left out (the latest recorded at 2024-01-20T00:00:00.000000Z); give a later --as-of to count it
    "#]]
    .assert_eq(&stderr);
    let (_, json, _) = output(
        dir.path(),
        &[
            "report",
            "--db",
            "l.db",
            "--rules",
            "ca-dmhc",
            "--as-of",
            "2024-01-15T00:00:00Z",
            "--format",
            "json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut ledger = json["ledger"].clone();
    ledger["head"] = "<head>".into();
    ledger["last_batch_counted"]["head"] = "<head>".into();
    expect![[r#"{"backfill_batches_counted":0,"batches_after_as_of":1,"batches_counted":1,"chain":"valid","chain_break":null,"first_recorded_at":"2024-01-13T00:00:00.000000Z","head":"<head>","last_batch_counted":{"batch_id":1,"head":"<head>","recorded_at":"2024-01-13T00:00:00.000000Z","source":"half"},"latest_recorded_at":"2024-01-20T00:00:00.000000Z","simulated":false}"#]]
        .assert_eq(&ledger.to_string());
}

#[test]
fn ingest_refuses_events_from_the_future_and_a_clock_behind_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("future.ndjson"),
        r#"{"event_id":"c1","type":"clinic.registered","occurred_at":"2024-01-02T08:00:00-08:00","clinic":"oak","time_zone":"America/Los_Angeles","network":"n1"}
{"event_id":"h1","type":"clinic.registered","occurred_at":"2099-01-02T08:00:00-08:00","clinic":"elm","time_zone":"America/Los_Angeles","network":"n1"}
"#,
    )
    .unwrap();
    let out = run(dir.path(), &["ingest", "--db", "l.db", "future.ndjson"]);
    assert!(out.starts_with("exit 1"), "{out}");
    assert!(
        out.contains("future.ndjson:2: event \"h1\": field `occurred_at`")
            && out.contains("found 2099-01-02T08:00:00-08:00"),
        "{out}"
    );
    // A ledger whose last batch was stamped by a clock far ahead: this
    // host's clock is behind it, and the ingest is refused naming both.
    let ledger = ledger::Ledger::create(dir.path().join("ahead.db").to_str().unwrap()).unwrap();
    let first = r#"{"event_id":"c1","type":"clinic.registered","occurred_at":"2024-01-02T08:00:00-08:00","clinic":"oak","time_zone":"America/Los_Angeles","network":"n1"}"#;
    append_at(&ledger, first, "ahead", "2099-01-01T00:00:00Z");
    std::fs::write(dir.path().join("ok.ndjson"), format!("{first}\n")).unwrap();
    let out = run(dir.path(), &["ingest", "--db", "ahead.db", "ok.ndjson"]);
    assert!(out.starts_with("exit 1"), "{out}");
    assert!(
        out.contains("2099-01-01T00:00:00.000000Z") && out.contains("the clock dating this batch"),
        "{out}"
    );
}

#[test]
fn a_request_that_cannot_be_judged_is_in_the_report_the_json_and_the_worklist() {
    let dir = tempfile::tempdir().unwrap();
    // A request opened in 1989, before the calendars' first year (1990),
    // under a rule set of California's standards without their effective
    // dates: its 10 business days cannot be counted.
    let rules = std::fs::read_to_string(repo().join("crates/rules/rulesets/ca-dmhc.toml")).unwrap();
    let rules: String = rules
        .lines()
        .filter(|line| !line.starts_with("effective_from"))
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(dir.path().join("r.toml"), rules).unwrap();
    std::fs::write(
        dir.path().join("old.ndjson"),
        r#"{"event_id":"c1","type":"clinic.registered","occurred_at":"1989-01-02T08:00:00-08:00","clinic":"oak","time_zone":"America/Los_Angeles","network":"n1"}
{"event_id":"o1","type":"request.opened","occurred_at":"1989-12-27T10:00:00-08:00","request_id":"r1","patient_id":"p1","clinic":"oak","urgency":"routine","provider_type":"non_physician_mh","visit":"initial"}
{"event_id":"o2","type":"request.opened","occurred_at":"2024-01-08T10:00:00-08:00","request_id":"r2","patient_id":"p2","clinic":"oak","urgency":"routine","provider_type":"non_physician_mh","visit":"initial"}
"#,
    )
    .unwrap();
    assert!(run(dir.path(), &["ingest", "--db", "l.db", "old.ndjson"]).starts_with("exit 0"));
    let judge = ["--db", "l.db", "--rules", "r.toml", "--as-of", "2030-01-01T00:00:00Z"];
    let (code, csv, stderr) =
        output(dir.path(), &[&["report"][..], &judge, &["--format", "csv"]].concat());
    assert_eq!(code, 0, "{stderr}");
    let row = csv.lines().find(|l| l.starts_with("non-physician-10bd")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let cells: Vec<&str> = row.split(',').collect();
    let cell = |name: &str| cells[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!((cell("requests"), cell("unjudged"), cell("open_overdue")), ("1", "1", "1"));

    let (_, json, _) =
        output(dir.path(), &[&["report"][..], &judge, &["--format", "json"]].concat());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let row =
        json["rows"].as_array().unwrap().iter().find(|r| r["standard"] == "non-physician-10bd");
    assert_eq!(row.unwrap()["unjudged"], 1);
    let unjudged = json["integrity"].as_array().unwrap().iter().find(|f| f["check"] == "unjudged");
    expect![[
        r#"["o1 (non-physician-10bd: 1989-12-27 is outside the calendars' years 1990 to 2100)"]"#
    ]]
    .assert_eq(&unjudged.unwrap()["events"].to_string());

    let (code, worklist, stderr) = output(dir.path(), &[&["worklist"][..], &judge].concat());
    assert_eq!(code, 0, "{stderr}");
    expect![[r#"
        1 open requests under ca-dmhc as of 2030-01-01T00:00:00.000000Z; 1 overdue (the plan must arrange care out of network); 1 cannot be judged and need attention (listed first)
        r1             p1           non_physician_mh oak          non-physician-10bd     NEEDS ATTENTION: cannot be judged (1989-12-27 is outside the calendars' years 1990 to 2100)
        r2             p2           non_physician_mh oak          non-physician-10bd     overdue 2168d 16h   deadline 2024-01-23 (end of day, America/Los_Angeles)  open_overdue  ARRANGE OUT-OF-NETWORK CARE
    "#]].assert_eq(&worklist);
}

#[test]
fn ids_that_look_like_formulas_are_safe_in_every_csv_and_read_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ids.ndjson"),
        r#"{"event_id":"=1+1","type":"clinic.registered","occurred_at":"2024-01-02T08:00:00-08:00","clinic":"+oak","time_zone":"America/Los_Angeles","network":"-n1"}
{"event_id":"@o1","type":"request.opened","occurred_at":"2024-01-08T10:00:00-08:00","request_id":"=HYPERLINK","patient_id":"-p1","clinic":"+oak","urgency":"routine","provider_type":"non_physician_mh","visit":"initial"}
"#,
    )
    .unwrap();
    assert!(run(dir.path(), &["ingest", "--db", "l.db", "ids.ndjson"]).starts_with("exit 0"));
    let (_, csv, _) = output(dir.path(), &["events", "--db", "l.db", "--format", "csv"]);
    std::fs::write(dir.path().join("ids.csv"), &csv).unwrap();
    assert!(run(dir.path(), &["ingest", "--db", "copy.db", "ids.csv"]).starts_with("exit 0"));
    let (_, original, _) = output(dir.path(), &["events", "--db", "l.db"]);
    let (_, copy, _) = output(dir.path(), &["events", "--db", "copy.db"]);
    assert_eq!(copy, original, "the CSV round trip changed the events");
    let judge = ["--db", "l.db", "--rules", "ca-dmhc"];
    let outputs = [
        csv,
        output(
            dir.path(),
            &[&["report"][..], &judge, &["--format", "csv", "--by", "clinic,network"]].concat(),
        )
        .1,
        output(dir.path(), &[&["verdicts"][..], &judge].concat()).1,
        output(dir.path(), &[&["worklist"][..], &judge, &["--format", "csv"]].concat()).1,
    ];
    for text in &outputs {
        assert!(text.lines().count() >= 2, "{text}");
        for line in text.lines() {
            for cell in line.split(',') {
                // Plain numbers (an overdue request's negative seconds) stay numbers.
                let number = cell.strip_prefix('-').is_some_and(|n| {
                    !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                });
                assert!(
                    number || !cell.starts_with(['=', '+', '-', '@']),
                    "a formula cell in:\n{text}"
                );
            }
        }
    }
    assert!(outputs[1].contains("'+oak,'-n1,"), "{}", outputs[1]);
    assert!(
        outputs[2].starts_with("request_id,") && outputs[2].contains("'=HYPERLINK,'+oak"),
        "{}",
        outputs[2]
    );
}
