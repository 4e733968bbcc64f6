//! `carequeue plan`, end to end.

use expect_test::expect;

use crate::support::run;

/// Two clinics, half a year: small enough to plan in seconds.
pub(crate) const SMALL: &str = r#"
start = "2025-01-06"
days = 182
members = 20000

[[clinic]]
id = "north"
member_share = 0.6
clinicians = [4.0, 1.0, 1.0]

[[clinic]]
id = "south"
time_zone = "America/New_York"
member_share = 0.4
clinicians = [3.0, 1.0, 1.0]
"#;

#[test]
fn plan_staff_fits_a_ledger_and_projects() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), SMALL).unwrap();
    let generated =
        run(dir.path(), &["generate", "--scenario", "small.toml", "--out", "small.ndjson"]);
    assert!(generated.starts_with("exit 0"), "{generated}");
    let ingested = run(dir.path(), &["ingest", "--db", "l.db", "small.ndjson"]);
    assert!(ingested.starts_with("exit 0"), "{ingested}");
    let out = run(
        dir.path(),
        &[
            "plan",
            "staff",
            "--from-db",
            "l.db",
            "--members",
            "20000",
            "--years",
            "2",
            "--growth",
            "0.1",
            "--write-scenario",
            "fitted.toml",
            "--format",
            "json",
        ],
    );
    let json = out.strip_prefix("exit 0\n").unwrap_or_else(|| panic!("{out}"));
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(value["members"], 20000);
    let fitted = &value["calibration"];
    let per_year = fitted["requests_per_year"].as_f64().unwrap();
    // 20,000 members at the default 100 initial requests per 1,000 a year.
    assert!((per_year - 2000.0).abs() < 250.0, "{per_year}");
    for p in value["provider_types"].as_array().unwrap() {
        assert!(p["clinicians"].as_u64().unwrap() >= 2, "{p}");
        assert!(!p["curves"].as_object().unwrap().is_empty(), "{p}");
    }
    let years = value["projection"].as_array().unwrap();
    assert_eq!(years.len(), 3);
    assert!((years[2]["members"].as_f64().unwrap() - 24_200.0).abs() < 1e-6);
    // The fitted scenario is written; through the ledger, it recovers the
    // generating scenario's (default) parameters within sampling error for
    // about a thousand initial requests.
    let text = std::fs::read_to_string(dir.path().join("fitted.toml")).unwrap();
    let fitted = sim::Scenario::parse(&text, "fitted.toml").unwrap();
    let known = sim::Scenario::parse(SMALL, "small.toml").unwrap();
    let close = |what: &str, got: f64, want: f64, tolerance: f64| {
        assert!((got - want).abs() <= tolerance, "{what}: fitted {got}, generated with {want}");
    };
    close("urgent share", fitted.demand.urgent_share, known.demand.urgent_share, 0.04);
    close("therapy share", fitted.demand.provider_mix[0], known.demand.provider_mix[0], 0.05);
    close("no-shows", fitted.patients.no_show_initial, known.patients.no_show_initial, 0.05);
    let (f, k) = (&fitted.course, &known.course);
    close("follow-ups", f.follow_up_probability, k.follow_up_probability, 0.06);
    let (f, k) = (&fitted.clinician, &known.clinician);
    close("sessions", f64::from(f.sessions_per_week), f64::from(k.sessions_per_week), 1.0);
    close("intake share", f.intake_share, k.intake_share, 0.03);
    let clinics: Vec<(&str, f64)> =
        fitted.clinics.iter().map(|c| (c.id.as_str(), c.clinicians[0])).collect();
    assert_eq!(clinics, [("north", 4.0), ("south", 3.0)]);
    expect![[r#"
        exit 2
        error: the following required arguments were not provided:
          <--scenario <FILE>|--from-db <DB>>

        Usage: carequeue plan staff <--scenario <FILE>|--from-db <DB>>

        For more information, try '--help'.
    "#]]
    .assert_eq(&run(dir.path(), &["plan", "staff"]));
    expect![[r#"
        exit 1
        error: cannot use ledger "missing.db": no such file; only `carequeue ingest` (or `demo`) creates a ledger
    "#]]
    .assert_eq(&run(dir.path(), &["plan", "staff", "--from-db", "missing.db"]));
    // A ledger with nothing recorded by the moment asked.
    expect![[r#"
        exit 1
        warning: the as-of moment is before the ledger's first batch (recorded at <now>), so nothing is counted; for history loaded later, leave --as-of at now (report, verdicts and worklist choose the requests of a period with --period)
        error: l.db holds no initial request recorded by 2020-01-01T00:00:00Z: nothing to fit
    "#]]
    .assert_eq(&run(
        dir.path(),
        &["plan", "staff", "--from-db", "l.db", "--as-of", "2020-01-01T00:00:00Z"],
    ));
}

#[test]
fn plan_queue_prints_the_closed_forms() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["plan", "queue", "--arrival-rate", "9", "--service-rate", "1", "--servers", "10"];
    expect![[r#"
        exit 0
        M/M/10 (as given): arrival rate 9, service rate 1, offered load 9.0000 erlangs, utilisation 0.9000
          P(wait), Erlang C                  0.668732
          mean wait in queue, Wq             0.668732
          mean number waiting, Lq            6.018584
          mean time in system, W             1.668732
          median wait in queue               0.290775
          90th percentile wait               1.900212
          Allen-Cunneen Wq (c_a 1, c_s 1)    0.668732
    "#]]
    .assert_eq(&run(dir.path(), &args));
    let json = run(dir.path(), &[&args[..], &["--format", "json"]].concat());
    let value: serde_json::Value =
        serde_json::from_str(json.strip_prefix("exit 0\n").unwrap()).unwrap();
    assert!((value["p_wait"].as_f64().unwrap() - 0.668732).abs() < 1e-6);
    assert!((value["mean_wait"].as_f64().unwrap() - 0.668732).abs() < 1e-6);
    // The fewest servers for 90% within half an hour; two priority classes.
    expect![[r#"
        exit 0
        M/M/12 (the fewest servers with 90.0% waiting at most 0.5): arrival rate 9, service rate 1, offered load 9.0000 erlangs, utilisation 0.7500
          P(wait), Erlang C                  0.266035
          mean wait in queue, Wq             0.088678
          mean number waiting, Lq            0.798104
          mean time in system, W             1.088678
          median wait in queue               0.000000
          90th percentile wait               0.326152
          P(wait <= 0.5)                     0.940640
          class 1 mean wait                  0.026603
          class 2 mean wait                  0.106414
          Allen-Cunneen Wq (c_a 1, c_s 1)    0.088678
    "#]]
    .assert_eq(&run(
        dir.path(),
        &["plan", "queue", "--arrival-rate", "2,7", "--service-rate", "1", "--target-wait", "0.5"],
    ));
}

#[test]
fn plan_waiting_list_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    expect![[r#"
        exit 0
          queue load (demand / capacity)     1.111111  (the list grows)
          target mean wait                   13.000000
          target queue size                  390.000000
          target capacity                    30.076923
          relief capacity                    61.153846  (to reach the target size in 26)
          waiting-list pressure              2.423077  (likely to miss)
    "#]]
    .assert_eq(&run(
        dir.path(),
        &[
            "plan",
            "waiting-list",
            "--demand",
            "30",
            "--capacity",
            "27",
            "--target-wait",
            "52",
            "--queue-size",
            "1200",
            "--mean-wait",
            "63",
        ],
    ));
    expect![[r#"
        exit 1
        error: the queue is unstable: offered load 9.0000 is not below 9 server(s)
    "#]]
    .assert_eq(&run(
        dir.path(),
        &["plan", "queue", "--arrival-rate", "9", "--service-rate", "1", "--servers", "9"],
    ));
    expect![[r#"
        exit 1
        error: target probability: expected a probability above 0 and below 1, found 1.5
    "#]]
    .assert_eq(&run(
        dir.path(),
        &[
            "plan",
            "queue",
            "--arrival-rate",
            "9",
            "--service-rate",
            "1",
            "--target-wait",
            "1",
            "--target-probability",
            "1.5",
        ],
    ));
}
