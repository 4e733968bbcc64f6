//! Tests of the clinic-network model: determinism, replications on threads,
//! the events it writes, the bookkeeping it must never get wrong, and the
//! errors of the scenario format.

use std::collections::{HashMap, HashSet};

use events::{Body, Event};
use expect_test::{Expect, expect};

use crate::{Scenario, replicate, run_clinics};

/// Two small clinics, a quarter of a year: fast enough to run many times.
/// Two clinics, 91 days: the scenario other crates' tests share too.
const SMALL: &str = include_str!("../test_data/small.toml");

fn small() -> Scenario {
    Scenario::parse(SMALL, "small.toml").unwrap()
}

fn ndjson(events: &[Event]) -> Vec<u8> {
    let (mut out, mut scratch) = (Vec::new(), Vec::new());
    for event in events {
        formats::write_ndjson(&mut out, event, &mut scratch).unwrap();
    }
    out
}

#[test]
fn the_same_seed_gives_byte_identical_events_and_replications_differ() {
    let scenario = small();
    let a = run_clinics(&scenario, 42, 0);
    assert!(a.requests > 500, "only {} requests", a.requests);
    assert_eq!(ndjson(&a.events()), ndjson(&run_clinics(&scenario, 42, 0).events()));
    assert_ne!(a.events(), run_clinics(&scenario, 42, 1).events());
    assert_ne!(a.events(), run_clinics(&scenario, 43, 0).events());
    // Built a chunk at a time, the events are the same.
    assert_eq!(a.chunks(1000).flatten().collect::<Vec<_>>(), a.events());
}

#[test]
fn replications_on_threads_equal_sequential_ones() {
    let scenario = small();
    let run = |r| ndjson(&run_clinics(&scenario, 5, r).events());
    let sequential = replicate(4, 1, run);
    assert_eq!(sequential, replicate(4, 3, run));
    assert_eq!(sequential, (0..4).map(run).collect::<Vec<_>>());
}

#[test]
fn the_events_read_back_as_written() {
    // The model builds events directly; the parser must agree with it.
    let scenario = small();
    let run = run_clinics(&scenario, 1, 0);
    let mut scratch = Vec::new();
    for event in &run.events() {
        let mut line = Vec::new();
        formats::write_ndjson(&mut line, event, &mut scratch).unwrap();
        let text = String::from_utf8(line).unwrap();
        let back = formats::event_from_json(text.trim_end())
            .unwrap_or_else(|err| panic!("{text}: {err:?}"));
        assert_eq!(&back, event);
    }
}

#[test]
fn bookkeeping_holds() {
    let scenario = small();
    let run = run_clinics(&scenario, 9, 2);
    let events = run.events();
    let mut capacity: HashMap<&str, u32> = HashMap::new();
    let mut slot_start = HashMap::new();
    let mut booked: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut held: HashMap<&str, u32> = HashMap::new();
    let mut opened = HashMap::new();
    let mut closed = HashSet::new();
    let mut attended = HashSet::new();
    let mut types: HashMap<&str, usize> = HashMap::new();
    for event in &events {
        *types.entry(event.event_type().as_str()).or_default() += 1;
        if let Some(request) = event.request_id() {
            assert!(
                !closed.contains(request.as_str()),
                "{} after request {request} was closed",
                event.event_id
            );
        }
        let at = event.occurred_at.timestamp();
        match &event.body {
            Body::SlotPublished(s) => {
                capacity.insert(s.slot_id.as_str(), s.capacity.get());
                slot_start.insert(s.slot_id.as_str(), s.time.start().timestamp());
                assert!(at <= s.time.start().timestamp(), "slot published after it began");
            }
            Body::RequestOpened(r) => {
                assert!(opened.insert(r.request_id.as_str(), at).is_none());
                if let Some(prior) = &r.prior_appointment_id {
                    assert!(attended.contains(prior.as_str()), "follow-up of an unattended visit");
                }
            }
            Body::OfferMade(o) => {
                assert!(o.appointment_at.timestamp() > at, "offer of a time already past");
                let slot = o.slot_id.as_ref().unwrap().as_str();
                assert_eq!(slot_start[slot], o.appointment_at.timestamp());
            }
            Body::AppointmentBooked(b) => {
                let slot = b.slot_id.as_ref().unwrap().as_str();
                let n = held.entry(slot).or_default();
                *n += 1;
                assert!(*n <= capacity[slot], "slot {slot} booked beyond its capacity");
                booked.insert(b.appointment_id.as_str(), (slot, b.request_id.as_str()));
            }
            Body::AppointmentCancelled(c) => {
                let (slot, _) = booked[c.appointment_id.as_str()];
                *held.get_mut(slot).unwrap() -= 1;
            }
            Body::AppointmentAttended(a) => {
                assert!(booked.contains_key(a.appointment_id.as_str()));
                attended.insert(a.appointment_id.as_str());
            }
            Body::RequestClosed(c) => {
                assert!(opened.contains_key(c.request_id.as_str()));
                closed.insert(c.request_id.as_str());
            }
            _ => {}
        }
    }
    assert_eq!(opened.len() as u64, run.requests);
    // Every kind of event the model can write was written.
    for kind in [
        "clinic.registered",
        "clinician.registered",
        "slot.published",
        "request.opened",
        "offer.made",
        "offer.declined",
        "appointment.booked",
        "appointment.cancelled",
        "appointment.attended",
        "appointment.no_show",
        "referral.out_of_network",
        "harm.reported",
        "request.closed",
    ] {
        assert!(types.contains_key(kind), "no {kind} in {types:?}");
    }
}

#[track_caller]
fn check_errors(cases: &str, expect: Expect) {
    let out: String = cases
        .split("\n---\n")
        .map(|case| match Scenario::parse(case, "bad.toml") {
            Ok(_) => "ok\n".to_owned(),
            Err(err) => format!("{err}\n"),
        })
        .collect();
    expect.assert_eq(&out);
}

#[test]
fn scenario_errors_say_where_and_what() {
    check_errors(
        r#"start = "2025-01-06"
members = 10
[[clinic]]
id = "a"
member_share = 1.0
clinicians = [1.0, 1.0, 1.0]
---
start = "2025-01-06"
members = 10
[[clinic]]
id = "a"
member_share = 1.0
clinicians = [1.0, 1.0]
---
start = "2025-01-06"
members = 10
[demand]
urgent_sahre = 0.2
---
start = "January"
members = 10
[[clinic]]
id = "a"
member_share = 1.0
clinicians = [1.0, 1.0, 1.0]
---
start = "2025-01-06"
members = 10
[[clinic]]
id = "a"
member_share = 0.5
clinicians = [1.0, 1.0, 1.0]
---
start = "2025-01-06"
members = 10
[patients]
no_show_initial = 1.5
[[clinic]]
id = "a"
member_share = 1.0
clinicians = [1.0, 1.0, 1.0]
---
start = "2025-01-06"
members = 10
[[clinic]]
id = "a b"
member_share = 1.0
clinicians = [1.0, 1.0, 1.0]
---
start = "2025-01-06"
members = 10
[[clinic]]
id = "a"
time_zone = "Mars/Olympus"
member_share = 1.0
clinicians = [1.0, 1.0, 1.0]
---
start = "2025-01-06"
members = 10
days = 3
[[clinic]]
id = "a"
member_share = 1.0
clinicians = [1.0, 1.0, 1.0]
---
start = "2025-01-06"
members = 10
[[clinic]]
id = "a"
member_share = 0.5
clinicians = [1.0, 1.0, 1.0]
[[clinic]]
id = "b"
network = "west coast"
member_share = 0.5
clinicians = [1.0, 1.0, 1.0]
---
start = "2025-01-06"
members = 10
[[clinic]]
id = "a"
member_share = 0.5
clinicians = [1.0, 1.0, 1.0]
[[clinic]]
id = "a"
member_share = 0.5
clinicians = [1.0, -1.0, 1.0]
---
start = "2025-01-06"
members = 10
[demand]
provider_mix = [0.5, 0.5, 0.5]
[[clinic]]
id = "a"
member_share = 1.0
clinicians = [1.0, 1.0, 1.0]
---
members = 10
[[clinic]]
id = "a"
member_share = 1.0
clinicians = [1.0, 1.0, 1.0]
"#,
        expect![[r#"
            ok
            bad.toml:6: invalid length 2, expected an array of length 3
            bad.toml:4: unknown field `urgent_sahre`, expected one of `requests_per_1000`, `urgent_share`, `prior_auth_share`, `provider_mix`, `individual_share`, `weekday_weights`, `seasonal_amplitude`
            bad.toml:1: start: expected a date from 1900 to 2190, such as 2025-01-06, found "January"
            bad.toml:5: clinic 1 member_share: expected shares over all clinics that add up to 1, found a total of 0.5
            bad.toml:4: patients.no_show_initial: expected a probability from 0 to 1, found 1.5
            bad.toml:4: clinic 1 id: expected an id of letters, digits and - _ . : / @ + # ~ =, found "a b"
            bad.toml:5: clinic 1 time_zone: expected an IANA time zone such as America/Los_Angeles, found "Mars/Olympus"
            bad.toml:3: days: expected a number of days from 7 to 3660, found 3
            bad.toml:9: clinic 2 network: expected an id of letters, digits and - _ . : / @ + # ~ =, found "west coast"
            bad.toml:10: clinic 2 clinicians: expected three numbers of full-time clinicians from 0 to 10000, found [1.0, -1.0, 1.0]
            bad.toml:4: demand.provider_mix: expected three shares that add up to 1, found [0.5, 0.5, 0.5]
            bad.toml:1: missing field `start`
        "#]],
    );
}

proptest::proptest! {
    #[test]
    fn scenario_parsing_never_panics(text in "\\PC{0,400}") {
        let _ = Scenario::parse(&text, "any.toml");
    }

    #[test]
    fn damaged_scenarios_are_errors_or_valid(cut in 0usize..600, byte in 0u8..128) {
        // A valid scenario with one character replaced or the rest cut off.
        let mut text = SMALL.as_bytes().to_vec();
        let at = cut.min(text.len().saturating_sub(1));
        if byte.is_ascii() && byte != 0 {
            text[at] = byte;
        } else {
            text.truncate(at);
        }
        if let Ok(text) = String::from_utf8(text)
            && let Ok(scenario) = Scenario::parse(&text, "damaged.toml")
        {
            // Whatever parses is simulated without panicking.
            let mut short = scenario;
            short.days = short.days.min(14);
            short.members = short.members.min(2000);
            let _ = run_clinics(&short, 1, 0).events();
        }
    }
}
