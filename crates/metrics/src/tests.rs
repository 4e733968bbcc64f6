//! The report and the worklist on the example plan, and the survival
//! estimate's laws.

use expect_test::expect;
use jiff::Timestamp;
use proptest::prelude::*;
use rules::RuleSet;

use crate::{GroupBy, Wait, km_quantile, report, worklist};

/// The example plan as the ledger would give it, everything recorded at
/// 2024-01-13T00:00:00Z.
fn plan() -> Vec<crate::Entry> {
    let text = include_str!("../../../examples/small-plan.ndjson");
    let events: Vec<events::Event> =
        formats::Reader::new(text.as_bytes(), "plan").unwrap().map(|r| r.unwrap().value).collect();
    let voids: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| e.voids().map(|id| (id.to_string(), e.event_id.to_string())))
        .collect();
    events
        .into_iter()
        .map(|event| {
            let voided_by =
                voids.iter().find(|(t, _)| *t == event.event_id.as_str()).map(|(_, v)| v.clone());
            crate::Entry {
                event,
                recorded_at: "2024-01-13T00:00:00Z".parse().unwrap(),
                backfill: false,
                voided_by,
            }
        })
        .collect()
}

fn live(entries: &[crate::Entry]) -> Vec<&events::Event> {
    entries.iter().filter(|e| e.voided_by.is_none()).map(|e| &e.event).collect()
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
fn report_of_the_example_plan() {
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    // As of 2024-02-20: every deadline has passed.
    let as_of: Timestamp = "2024-02-20T00:00:00Z".parse().unwrap();
    let events = plan();
    expect![[r#"
        [] urgent-48h n=3 met=2 missed=1 within=0 overdue=0 excluded=0 rate=Some(0.667) p50=Some(1.21) p90=Some(3.08) ext=0 pp=0 oon=1 group=0 harm=1
        [] psychiatrist-15bd n=1 met=0 missed=0 within=0 overdue=1 excluded=0 rate=Some(0.0) p50=None p90=None ext=1 pp=0 oon=0 group=0 harm=0
        [] non-physician-10bd n=7 met=3 missed=1 within=0 overdue=2 excluded=1 rate=Some(0.5) p50=Some(4.79) p90=None ext=0 pp=1 oon=0 group=1 harm=0
        [] sb221-follow-up-10bd n=1 met=1 missed=0 within=0 overdue=0 excluded=0 rate=Some(1.0) p50=Some(12.0) p90=Some(12.0) ext=0 pp=0 oon=0 group=0 harm=0
    "#]].assert_eq(&render(&report(&events, &rule_set, as_of, &[], None).rows));
    let grouped = report(&events, &rule_set, as_of, &[GroupBy::Clinic, GroupBy::Urgency], None);
    expect![[r#"
        ["bkn", "urgent"] urgent-48h n=1 met=1 missed=0 within=0 overdue=0 excluded=0 rate=Some(1.0) p50=Some(1.21) p90=Some(1.21) ext=0 pp=0 oon=0 group=0 harm=0
        ["oak", "routine"] psychiatrist-15bd n=1 met=0 missed=0 within=0 overdue=1 excluded=0 rate=Some(0.0) p50=None p90=None ext=1 pp=0 oon=0 group=0 harm=0
        ["oak", "routine"] non-physician-10bd n=7 met=3 missed=1 within=0 overdue=2 excluded=1 rate=Some(0.5) p50=Some(4.79) p90=None ext=0 pp=1 oon=0 group=1 harm=0
        ["oak", "routine"] sb221-follow-up-10bd n=1 met=1 missed=0 within=0 overdue=0 excluded=0 rate=Some(1.0) p50=Some(12.0) p90=Some(12.0) ext=0 pp=0 oon=0 group=0 harm=0
        ["oak", "urgent"] urgent-48h n=2 met=1 missed=1 within=0 overdue=0 excluded=0 rate=Some(0.5) p50=Some(0.89) p90=Some(3.08) ext=0 pp=0 oon=1 group=0 harm=1
    "#]].assert_eq(&render(&grouped.rows));
    let findings: String =
        grouped.integrity.iter().map(|f| format!("{} {:?}\n", f.check, f.events)).collect();
    expect![[r#"
        late_entry ["ex-0001", "ex-0002", "ex-0003", "ex-0004", "ex-0005", "ex-0006", "ex-0007", "ex-0008", "ex-0009", "ex-0010", "ex-0011", "ex-0012", "ex-0013", "ex-0014", "ex-0015", "ex-0016", "ex-0017", "ex-0018", "ex-0019", "ex-0020", "ex-0021", "ex-0022", "ex-0023", "ex-0024", "ex-0025", "ex-0026", "ex-0027", "ex-0028", "ex-0029", "ex-0030", "ex-0031", "ex-0032", "ex-0033", "ex-0034", "ex-0035", "ex-0036", "ex-0037", "ex-0038", "ex-0039", "ex-0040", "ex-0041", "ex-0042", "ex-0043", "ex-0044", "ex-0045", "ex-0046", "ex-0047", "ex-0048", "ex-0049", "ex-0050", "ex-0051", "ex-0052", "ex-0053", "ex-0054", "ex-0055", "ex-0056", "ex-0057", "ex-0058", "ex-0059", "ex-0060", "ex-0061", "ex-0062", "ex-0063", "ex-0064", "ex-0065", "ex-0066", "ex-0067", "ex-0068", "ex-0069", "ex-0070", "ex-0071", "ex-0072", "ex-0073", "ex-0074", "ex-0075", "ex-0076", "ex-0077", "ex-0078", "ex-0079", "ex-0080", "ex-0081", "ex-0082", "ex-0083", "ex-0084", "ex-0085", "ex-0086", "ex-0087", "ex-0088", "ex-0089", "ex-0090", "ex-0091", "ex-0092", "ex-0093", "ex-0094", "ex-0095", "ex-0096", "ex-0097", "ex-0098", "ex-0099", "ex-0100", "ex-0101", "ex-0102", "ex-0103", "ex-0104", "ex-0105", "ex-0106", "ex-0107", "ex-0108", "ex-0109", "ex-0110", "ex-0111", "ex-0112", "ex-0113", "ex-0114", "ex-0115", "ex-0116", "ex-0117", "ex-0118", "ex-0119", "ex-0120", "ex-0121", "ex-0122", "ex-0123", "ex-0124", "ex-0125", "ex-0126", "ex-0127", "ex-0128", "ex-0129", "ex-0130", "ex-0131", "ex-0132", "ex-0133", "ex-0134", "ex-0135", "ex-0136", "ex-0137", "ex-0138", "ex-0139", "ex-0140", "ex-0141", "ex-0142", "ex-0143", "ex-0144", "ex-0145", "ex-0146", "ex-0147", "ex-0148", "ex-0149", "ex-0150", "ex-0151", "ex-0152", "ex-0153", "ex-0154", "ex-0155", "ex-0156", "ex-0157", "ex-0158", "ex-0159", "ex-0160", "ex-0161", "ex-0164", "ex-0165", "ex-0166", "ex-0167", "ex-0168", "ex-0169", "ex-0170", "ex-0171", "ex-0172", "ex-0174", "ex-0175", "ex-0176", "ex-0179", "ex-0181", "ex-0183", "ex-0185", "ex-0190"]
        late_entry_unknown_backfill []
        recorded_before_occurring ["ex-0173", "ex-0193", "ex-0194", "ex-0195"]
        offer_for_past_time []
        slot_never_published []
        slot_already_taken []
        opened_at_booking []
        clock_reset []
        extension_after_deadline []
        unjudged []
        voided_events ["ex-0198"]
        ledger_chain []
    "#]].assert_eq(&findings);
    let access = &grouped.access;
    let tna: String = access
        .third_next_available
        .iter()
        .filter(|r| r.date.day() % 7 == 1)
        .map(|r| format!("{} {} {} {:?}\n", r.clinic, r.provider_type, r.date, r.days))
        .collect();
    expect![[r#"
        bkn non_physician_mh 2024-01-08 Some(2)
        bkn non_physician_mh 2024-01-15 Some(2)
        bkn non_physician_mh 2024-01-22 Some(2)
        bkn non_physician_mh 2024-01-29 None
        bkn non_physician_mh 2024-02-01 None
        bkn non_physician_mh 2024-02-08 None
        bkn non_physician_mh 2024-02-15 None
        oak non_physician_mh 2024-01-08 Some(1)
        oak non_physician_mh 2024-01-15 Some(1)
        oak non_physician_mh 2024-01-22 Some(1)
        oak non_physician_mh 2024-01-29 None
        oak non_physician_mh 2024-02-01 None
        oak non_physician_mh 2024-02-08 None
        oak non_physician_mh 2024-02-15 None
        oak psychiatrist 2024-01-08 Some(2)
        oak psychiatrist 2024-01-15 Some(2)
        oak psychiatrist 2024-01-22 Some(2)
        oak psychiatrist 2024-01-29 None
        oak psychiatrist 2024-02-01 None
        oak psychiatrist 2024-02-08 None
        oak psychiatrist 2024-02-15 None
        oak sud 2024-01-08 Some(2)
        oak sud 2024-01-15 Some(2)
        oak sud 2024-01-22 Some(2)
        oak sud 2024-01-29 None
        oak sud 2024-02-01 None
        oak sud 2024-02-08 None
        oak sud 2024-02-15 None
    "#]]
    .assert_eq(&tna);
    expect![[r#"
        [AgeRow { provider_type: "non_physician_mh", band: "31-60", requests: 5 }, AgeRow { provider_type: "psychiatrist", band: "31-60", requests: 1 }, AgeRow { provider_type: "sud", band: "31-60", requests: 1 }]
        []
        [ShareRow { clinic: "bkn", month: "2024-01", new_patients: 1, returning: 0 }, ShareRow { clinic: "oak", month: "2024-01", new_patients: 5, returning: 0 }]"#]].assert_eq(&format!(
        "{:?}\n{:?}\n{:?}",
        access.open_age, access.follow_up_gaps, access.new_vs_returning
    ));
}

#[test]
fn worklist_of_the_example_plan() {
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    let events = plan();
    let render = |as_of: &str| {
        let items = worklist(&live(&events), &rule_set, as_of.parse().unwrap());
        items
            .iter()
            .map(|i| {
                let outcome = i.outcome.map_or("unjudged".to_owned(), |o| o.to_string());
                let left = i.seconds_left.map_or("-".to_owned(), |s| s.to_string());
                let day = i.deadline_day.map_or("-".to_owned(), |d| d.to_string());
                format!(
                    "{} {} {outcome} {left} {day} {}\n",
                    i.request_id, i.standard, i.arrange_out_of_network
                )
            })
            .collect::<String>()
    };
    expect![[r#"
        r04 non-physician-10bd open_within 1087199 2024-01-24 false
        r11 non-physician-10bd open_within 1519199 2024-01-29 false
        r12 non-physician-10bd open_within 1519199 2024-01-29 false
        r07 psychiatrist-15bd open_within 3074399 2024-02-16 false
    "#]]
    .assert_eq(&render("2024-01-12T18:00:00Z"));
    expect![[r#"
        r11 non-physician-10bd open_overdue -1785600 2024-01-29 true
        r12 non-physician-10bd open_overdue -1785600 2024-01-29 true
        r07 psychiatrist-15bd open_overdue -230400 2024-02-16 true
    "#]]
    .assert_eq(&render("2024-02-20T00:00:00Z"));
}

/// A request the calendar cannot judge (its deadline falls after 2100, the
/// last year the calendars hold) is counted and listed, never dropped; a
/// wait that cannot be counted in business days is counted as such.
#[test]
fn what_cannot_be_judged_or_measured_is_counted_and_listed() {
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    let text = r#"{"event_id":"c","type":"clinic.registered","occurred_at":"2024-01-02T08:00:00-08:00","clinic":"oak","time_zone":"America/Los_Angeles","network":"n1"}
{"event_id":"o1","type":"request.opened","occurred_at":"2100-12-27T10:00:00-08:00","request_id":"r1","patient_id":"p1","clinic":"oak","urgency":"routine","provider_type":"non_physician_mh","visit":"initial"}
{"event_id":"o2","type":"request.opened","occurred_at":"2100-12-31T10:00:00-08:00","request_id":"r2","patient_id":"p2","clinic":"oak","urgency":"urgent","provider_type":"non_physician_mh","visit":"initial"}
{"event_id":"f2","type":"offer.made","occurred_at":"2100-12-31T11:00:00-08:00","request_id":"r2","offer_id":"x2","appointment_at":"2101-01-01T09:00:00-08:00","clinician_id":"d1","provider_type":"non_physician_mh","format":"individual","modality":"video"}
"#;
    let events: Vec<events::Event> =
        formats::Reader::new(text.as_bytes(), "t").unwrap().map(|r| r.unwrap().value).collect();
    let refs: Vec<&events::Event> = events.iter().collect();
    let entries: Vec<crate::Entry> = events
        .iter()
        .map(|event| crate::Entry {
            event: event.clone(),
            recorded_at: "2100-12-31T20:00:00Z".parse().unwrap(),
            backfill: false,
            voided_by: None,
        })
        .collect();
    let as_of: Timestamp = "2101-01-02T00:00:00Z".parse().unwrap();
    let report = report(&entries, &rule_set, as_of, &[], None);
    let rows: Vec<String> = report
        .rows
        .iter()
        .map(|r| {
            format!(
                "{} requests={} unjudged={} met={} p50_bd={:?} unmeasured_bd={}",
                r.standard,
                r.requests,
                r.unjudged,
                r.met,
                r.wait_p50_business_days,
                r.business_days_unmeasured
            )
        })
        .collect();
    expect![[r#"
        urgent-48h requests=1 unjudged=0 met=1 p50_bd=None unmeasured_bd=1
        non-physician-10bd requests=0 unjudged=1 met=0 p50_bd=None unmeasured_bd=0"#]]
    .assert_eq(&rows.join("\n"));
    let unjudged = report.integrity.iter().find(|f| f.check == "unjudged").unwrap();
    expect!["o1 (non-physician-10bd: 2100-12-31 is outside the calendars' years 1990 to 2100)"]
        .assert_eq(&unjudged.events.iter().collect::<Vec<_>>().join("\n"));
    let items = worklist(&refs, &rule_set, as_of);
    let items: Vec<String> = items
        .iter()
        .map(|i| format!("{} {} {:?} {:?}", i.request_id, i.standard, i.outcome, i.problem))
        .collect();
    expect![[r#"r1 non-physician-10bd None Some("2100-12-31 is outside the calendars' years 1990 to 2100")"#]].assert_eq(&items.join("\n"));
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

/// The third next available by its definition, day by day over every slot:
/// the reference for the sweep.
fn third_next_by_definition(
    group: &[&crate::access::Slot],
    tz: &jiff::tz::TimeZone,
    as_of: Timestamp,
) -> Vec<(jiff::civil::Date, Option<i32>)> {
    let Some(first) = group.iter().map(|s| s.published).min() else { return Vec::new() };
    let mut out = Vec::new();
    let mut day = tz.to_datetime(first).date();
    while day <= tz.to_datetime(as_of).date() {
        let end = tz
            .to_ambiguous_timestamp(
                day.tomorrow().unwrap().to_datetime(jiff::civil::Time::midnight()),
            )
            .compatible()
            .unwrap();
        let mut open: Vec<Timestamp> = group
            .iter()
            .filter(|s| s.published < end && s.start >= end)
            .filter(|s| s.withdrawn.is_none_or(|w| w >= end))
            .filter(|s| (s.taken.iter().filter(|t| **t < end).count() as u32) < s.capacity)
            .map(|s| s.start)
            .collect();
        open.sort();
        out.push((day, open.get(2).map(|start| (tz.to_datetime(*start).date() - day).get_days())));
        day = day.tomorrow().unwrap();
    }
    out
}

proptest! {
    #[test]
    fn the_third_next_sweep_agrees_with_the_definition(
        slots in proptest::collection::vec(
            (0i64..40 * 24, 0i64..60 * 24, 1u32..4, proptest::option::of(0i64..60 * 24),
             proptest::collection::vec(0i64..60 * 24, 0..5)),
            0..40,
        ),
    ) {
        // Hours from 2024-02-25, across the change to daylight time.
        let base: Timestamp = "2024-02-25T08:00:00Z".parse().unwrap();
        let at = |hours: i64| base + jiff::SignedDuration::from_hours(hours);
        let slots: Vec<crate::access::Slot> = slots
            .into_iter()
            .map(|(published, start, capacity, withdrawn, taken)| crate::access::Slot {
                clinic: 0,
                provider_type: events::ProviderType::Psychiatrist,
                published: at(published),
                start: at(published + start),
                capacity,
                withdrawn: withdrawn.map(at),
                taken: taken.into_iter().map(at).collect(),
                booked: 0,
            })
            .collect();
        let group: Vec<&crate::access::Slot> = slots.iter().collect();
        let tz = jiff::tz::TimeZone::get("America/Los_Angeles").unwrap();
        let as_of = at(50 * 24);
        prop_assert_eq!(
            crate::access::third_next(&group, &tz, as_of),
            third_next_by_definition(&group, &tz, as_of)
        );
    }
}

/// The report computed in `parts` parts, as a caller spilling to disk does:
/// one scan in ledger order, request events routed by patient (those whose
/// request is not opened yet routed again at the end), each part in ledger
/// order, parts merged in reverse.
fn report_in_parts(
    entries: &[crate::Entry],
    rule_set: &RuleSet,
    as_of: Timestamp,
    by: &[GroupBy],
    parts: usize,
) -> crate::Report {
    use crate::{Partial, Route, Router, Scan};
    let mut scan = Scan::new(as_of);
    let mut router = Router::new(parts);
    let mut buckets: Vec<Vec<(usize, &events::Event)>> = vec![Vec::new(); parts];
    let mut later = Vec::new();
    for (seq, entry) in entries.iter().enumerate() {
        let recorded = crate::Recorded { at: entry.recorded_at, backfill: entry.backfill };
        scan.observe(&entry.event, recorded, entry.voided_by.is_some());
        if entry.voided_by.is_some() {
            continue;
        }
        match router.route(&entry.event) {
            Route::Shared => {}
            Route::Part(part) => buckets[part].push((seq, &entry.event)),
            Route::Unknown => later.push((seq, &entry.event)),
        }
    }
    for (seq, event) in later {
        if let Route::Part(part) = router.route(event) {
            buckets[part].push((seq, event));
        }
    }
    let shared = scan.finish(rule_set);
    let mut merged: Option<Partial> = None;
    for mut bucket in buckets.into_iter().rev() {
        bucket.sort_by_key(|(seq, _)| *seq);
        let events: Vec<&events::Event> = bucket.into_iter().map(|(_, e)| e).collect();
        let partial =
            Partial::compute(&events, &shared, rule_set, as_of, by, &crate::Period::default());
        match &mut merged {
            Some(merged) => merged.merge(partial, rule_set),
            None => merged = Some(partial),
        }
    }
    crate::finish(
        shared,
        merged.expect("at least one part"),
        rule_set,
        as_of,
        by,
        None,
        &crate::Networks::All,
    )
}

#[test]
fn a_report_in_parts_equals_the_report_in_one() {
    let entries = plan();
    for rules in ["ca-dmhc", "nhs-talking-therapies"] {
        let rule_set = RuleSet::shipped(rules).unwrap();
        for as_of in ["2024-01-10T00:00:00Z", "2024-01-20T00:00:00Z", "2024-02-20T00:00:00Z"] {
            let as_of: Timestamp = as_of.parse().unwrap();
            for by in [&[][..], &[GroupBy::Clinic, GroupBy::Urgency], &[GroupBy::Month]] {
                let whole = format!("{:?}", report(&entries, &rule_set, as_of, by, None));
                for parts in 1..=7 {
                    let split =
                        format!("{:?}", report_in_parts(&entries, &rule_set, as_of, by, parts));
                    assert_eq!(split, whole, "{rules} as of {as_of} by {by:?} in {parts} parts");
                }
            }
        }
    }
}

#[test]
fn events_before_their_request_is_opened_are_routed_afterwards() {
    // The ledger accepts, in one batch, an event before the opening of its
    // request: the router says so, and routes it once the opening is seen.
    let entries = plan();
    let offer = entries
        .iter()
        .find(|e| matches!(e.event.body, events::Body::OfferMade(_)))
        .expect("the plan makes offers");
    let mut router = crate::Router::new(3);
    assert_eq!(router.route(&offer.event), crate::Route::Unknown);
    let request = offer.event.request_id().unwrap().as_str();
    let opened = entries
        .iter()
        .find(|e| {
            matches!(&e.event.body, events::Body::RequestOpened(r) if r.request_id.as_str() == request)
        })
        .unwrap();
    let part = router.route(&opened.event);
    assert!(matches!(part, crate::Route::Part(p) if p < 3));
    assert_eq!(router.route(&offer.event), part);
    let clinic =
        entries.iter().find(|e| matches!(e.event.body, events::Body::ClinicRegistered(_))).unwrap();
    assert_eq!(router.route(&clinic.event), crate::Route::Shared);
}

#[test]
fn a_simulated_plan_in_parts_equals_it_in_one() {
    // Patients with several requests, follow-ups naming prior appointments,
    // slots booked, withdrawn and cancelled: what the example plan lacks.
    let scenario =
        sim::Scenario::parse(include_str!("../../sim/test_data/small.toml"), "small.toml").unwrap();
    let run = sim::run_clinics(&scenario, 11, 0);
    let entries: Vec<crate::Entry> = run
        .events()
        .into_iter()
        .map(|event| {
            let recorded_at = event.occurred_at.timestamp() + jiff::SignedDuration::from_hours(2);
            crate::Entry { event, recorded_at, backfill: false, voided_by: None }
        })
        .collect();
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    for as_of in ["2025-04-15T00:00:00Z", "2025-06-10T00:00:00Z"] {
        let as_of: Timestamp = as_of.parse().unwrap();
        let recorded: Vec<crate::Entry> =
            entries.iter().filter(|e| e.recorded_at <= as_of).cloned().collect();
        let by = [GroupBy::Clinic, GroupBy::ProviderType];
        let whole = report(&recorded, &rule_set, as_of, &by, None);
        assert!(
            !whole.access.follow_up_gaps.is_empty()
                && !whole.access.third_next_available.is_empty()
        );
        let whole = format!("{whole:?}");
        for parts in [2, 3, 8] {
            let split = format!("{:?}", report_in_parts(&recorded, &rule_set, as_of, &by, parts));
            assert!(split == whole, "as of {as_of} in {parts} parts: the reports differ");
        }
    }
}

#[test]
fn a_report_lists_the_longest_failing_waits_of_each_standard() {
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    let at: events::Instant =
        events::Instant::parse(events::Field::OccurredAt, "2024-01-02T09:00:00-08:00").unwrap();
    let failing = |standard: &str, n: usize| crate::Failing {
        standard: standard.to_owned(),
        outcome: "missed",
        request_id: format!("r{n:03}"),
        patient_id: format!("p{n}"),
        clinic: "oak".to_owned(),
        clock_start: at,
        deadline: at,
        first_offer_at: None,
        // Waits 0, 1, 2, ... days, one in three tied with the one before.
        wait_days: (n - n / 3) as f64,
    };
    // Two parts, each with some of both standards, in no order.
    let mut one: Vec<crate::Failing> = (0..70).rev().map(|n| failing("urgent-96h", n)).collect();
    one.extend((0..30).map(|n| failing("urgent-48h", n)));
    let mut two: Vec<crate::Failing> = (70..90).map(|n| failing("urgent-96h", n)).collect();
    two.extend((30..60).map(|n| failing("urgent-48h", n)));
    crate::report::keep_longest(&mut one, &rule_set);
    crate::report::keep_longest(&mut two, &rule_set);
    one.extend(two);
    crate::report::keep_longest(&mut one, &rule_set);
    // The rule set's order: urgent-48h first; the 50 longest of each,
    // longest first, ties by request id.
    let listed = |standard: &str| -> Vec<String> {
        one.iter().filter(|f| f.standard == standard).map(|f| f.request_id.clone()).collect()
    };
    assert_eq!(one[0].standard, "urgent-48h");
    assert_eq!(listed("urgent-48h").len(), crate::FAILING_LISTED);
    assert_eq!(listed("urgent-96h").len(), crate::FAILING_LISTED);
    // r086 and r087 both waited 58 days: the smaller id first.
    assert_eq!(listed("urgent-96h")[..4], ["r089", "r088", "r086", "r087"]);
    assert_eq!(listed("urgent-48h")[..3], ["r059", "r058", "r056"]);
    let waits: Vec<f64> = one.iter().map(|f| f.wait_days).collect();
    assert!(waits[..50].windows(2).all(|w| w[0] >= w[1]), "{waits:?}");
}

#[test]
fn a_backfill_excuses_only_history_from_late_entry() {
    // A live feed begins on 1 March; a backfill loaded on 20 March holds
    // January history and an event of 5 March, after the feed began.
    let text = r#"{"event_id":"live","type":"request.opened","occurred_at":"2024-03-01T09:00:00Z","request_id":"r1","patient_id":"p1","clinic":"c","urgency":"routine","provider_type":"sud","visit":"initial"}
{"event_id":"old","type":"request.opened","occurred_at":"2024-01-10T09:00:00Z","request_id":"r2","patient_id":"p2","clinic":"c","urgency":"routine","provider_type":"sud","visit":"initial"}
{"event_id":"new","type":"request.opened","occurred_at":"2024-03-05T09:00:00Z","request_id":"r3","patient_id":"p3","clinic":"c","urgency":"routine","provider_type":"sud","visit":"initial"}
{"event_id":"told","type":"request.opened","occurred_at":"2024-01-11T09:00:00Z","entered_at":"2024-01-15T09:00:00Z","request_id":"r4","patient_id":"p4","clinic":"c","urgency":"routine","provider_type":"sud","visit":"initial"}
"#;
    let events: Vec<events::Event> =
        formats::Reader::new(text.as_bytes(), "t").unwrap().map(|r| r.unwrap().value).collect();
    let entries: Vec<crate::Entry> = events
        .into_iter()
        .enumerate()
        .map(|(idx, event)| crate::Entry {
            event,
            recorded_at: if idx == 0 { "2024-03-01T10:00:00Z" } else { "2024-03-20T00:00:00Z" }
                .parse()
                .unwrap(),
            backfill: idx > 0,
            voided_by: None,
        })
        .collect();
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    let report = report(&entries, &rule_set, "2024-04-01T00:00:00Z".parse().unwrap(), &[], None);
    let found = |check: &str| -> Vec<&str> {
        report.integrity.iter().find(|f| f.check == check).unwrap().events.iter().collect()
    };
    // January's history without an entry time is excused; 5 March's is no
    // history; an entry time given is checked.
    assert_eq!(found("late_entry_unknown_backfill"), ["old"]);
    assert_eq!(found("late_entry"), ["new", "told"]);
}
