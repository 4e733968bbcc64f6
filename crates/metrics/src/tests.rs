//! The report and the worklist on the example plan, and the survival
//! estimate's laws.

use expect_test::expect;
use jiff::Timestamp;
use proptest::prelude::*;
use rules::RuleSet;

use crate::{GroupBy, Wait, km_quantile, report, worklist};

fn plan() -> Vec<events::Event> {
    let text = include_str!("../../../examples/small-plan.ndjson");
    let events: Vec<events::Event> =
        formats::Reader::new(text.as_bytes(), "plan").unwrap().map(|r| r.unwrap().value).collect();
    // The ledger leaves voided events out of reports; so does this test.
    let voided: Vec<String> =
        events.iter().filter_map(|e| e.voids().map(|id| id.to_string())).collect();
    events.into_iter().filter(|e| !voided.contains(&e.event_id.to_string())).collect()
}

fn render(rows: &[crate::Row]) -> String {
    rows.iter()
        .map(|r| {
            format!(
                "{:?} {} n={} met={} missed={} within={} overdue={} excluded={} rate={:?} p50={:?} p90={:?} ext={} pp={} oon={} group={} harm={}\n",
                r.keys, r.standard, r.requests, r.met, r.missed, r.open_within, r.open_overdue, r.excluded,
                r.rate.map(|v| (v * 1000.0).round() / 1000.0), r.wait_p50_days.map(|v| (v * 100.0).round() / 100.0),
                r.wait_p90_days.map(|v| (v * 100.0).round() / 100.0), r.extensions, r.declines_patient_preference,
                r.out_of_network, r.group_for_individual, r.harm_while_waiting
            )
        })
        .collect()
}

#[test]
fn compliance_table_of_the_example_plan() {
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    // As of 2024-02-20: every deadline has passed.
    let as_of: Timestamp = "2024-02-20T00:00:00Z".parse().unwrap();
    let events = plan();
    expect![[r#"
        [] urgent-48h n=3 met=2 missed=1 within=0 overdue=0 excluded=0 rate=Some(0.667) p50=Some(0.02) p90=Some(2.08) ext=0 pp=0 oon=1 group=0 harm=1
        [] psychiatrist-15bd n=1 met=0 missed=0 within=0 overdue=1 excluded=0 rate=Some(0.0) p50=None p90=None ext=1 pp=0 oon=0 group=0 harm=0
        [] non-physician-10bd n=7 met=3 missed=1 within=0 overdue=2 excluded=1 rate=Some(0.5) p50=None p90=None ext=0 pp=1 oon=0 group=1 harm=0
        [] sb221-follow-up-10bd n=1 met=1 missed=0 within=0 overdue=0 excluded=0 rate=Some(1.0) p50=Some(0.05) p90=Some(0.05) ext=0 pp=0 oon=0 group=0 harm=0
    "#]].assert_eq(&render(&report(&events, &rule_set, as_of, &[]).rows));
    expect![[r#"
        ["bkn", "urgent"] urgent-48h n=1 met=1 missed=0 within=0 overdue=0 excluded=0 rate=Some(1.0) p50=Some(0.02) p90=Some(0.02) ext=0 pp=0 oon=0 group=0 harm=0
        ["oak", "routine"] psychiatrist-15bd n=1 met=0 missed=0 within=0 overdue=1 excluded=0 rate=Some(0.0) p50=None p90=None ext=1 pp=0 oon=0 group=0 harm=0
        ["oak", "routine"] non-physician-10bd n=7 met=3 missed=1 within=0 overdue=2 excluded=1 rate=Some(0.5) p50=None p90=None ext=0 pp=1 oon=0 group=1 harm=0
        ["oak", "routine"] sb221-follow-up-10bd n=1 met=1 missed=0 within=0 overdue=0 excluded=0 rate=Some(1.0) p50=Some(0.05) p90=Some(0.05) ext=0 pp=0 oon=0 group=0 harm=0
        ["oak", "urgent"] urgent-48h n=2 met=1 missed=1 within=0 overdue=0 excluded=0 rate=Some(0.5) p50=Some(0.01) p90=Some(2.08) ext=0 pp=0 oon=1 group=0 harm=1
    "#]].assert_eq(&render(&report(&events, &rule_set, as_of, &[GroupBy::Clinic, GroupBy::Urgency]).rows));
}

#[test]
fn worklist_of_the_example_plan() {
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    let events = plan();
    let render = |as_of: &str| {
        let items = worklist(&events, &rule_set, as_of.parse().unwrap());
        items
            .iter()
            .map(|i| {
                format!(
                    "{} {} {} {} {}\n",
                    i.request_id, i.standard, i.outcome, i.seconds_left, i.arrange_out_of_network
                )
            })
            .collect::<String>()
    };
    expect![[r#"
        r04 non-physician-10bd open_within 1087199 false
        r11 non-physician-10bd open_within 1519199 false
        r12 non-physician-10bd open_within 1519199 false
        r07 psychiatrist-15bd open_within 3049200 false
    "#]]
    .assert_eq(&render("2024-01-12T18:00:00Z"));
    expect![[r#"
        r11 non-physician-10bd open_overdue -1785600 true
        r12 non-physician-10bd open_overdue -1785600 true
        r07 psychiatrist-15bd open_overdue -255600 true
    "#]]
    .assert_eq(&render("2024-02-20T00:00:00Z"));
}

proptest! {
    #[test]
    fn without_censoring_km_is_the_empirical_quantile(mut lengths in proptest::collection::vec(0u32..100, 1..60)) {
        let mut waits: Vec<Wait> = lengths.iter().map(|&l| Wait { length: f64::from(l), ended: true }).collect();
        lengths.sort();
        for q in [0.5, 0.9] {
            // The smallest value with at least a share q of values at or below it.
            let k = ((q * lengths.len() as f64) - 1e-9).ceil().max(1.0) as usize;
            prop_assert_eq!(km_quantile(&mut waits, q), Some(f64::from(lengths[k - 1])));
        }
    }

    #[test]
    fn censoring_never_lowers_the_estimate(
        lengths in proptest::collection::vec((0u32..100, any::<bool>()), 1..60),
        extra in 0u32..100,
    ) {
        // Adding a request still waiting never makes the median earlier.
        let mut waits: Vec<Wait> = lengths.iter().map(|&(l, e)| Wait { length: f64::from(l), ended: e }).collect();
        let before = km_quantile(&mut waits, 0.5);
        waits.push(Wait { length: f64::from(extra), ended: false });
        let after = km_quantile(&mut waits, 0.5);
        if let (Some(before), Some(after)) = (before, after) {
            prop_assert!(after >= before);
        }
    }
}
