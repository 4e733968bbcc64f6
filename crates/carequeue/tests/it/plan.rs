//! `carequeue plan`, end to end.

use expect_test::expect;

use crate::support::run;

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
