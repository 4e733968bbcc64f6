//! Appending: all or nothing, idempotency, references, voids, as-of reads.

use expect_test::{Expect, expect};
use ledger::{Ledger, Verification};

use crate::support::{
    SMALL_PLAN, SMALL_PLAN_CSV, append_text, at, backends, bodies, options, read, render,
};

/// The story every `check` starts from: one clinic, request r1 with offer o1
/// and appointment a1, and request r2.
const BASE: &str = r#"{"event_id":"b1","type":"clinic.registered","occurred_at":"2024-01-02T08:00:00-08:00","clinic":"c1","time_zone":"America/Los_Angeles","network":"n1"}
{"event_id":"b2","type":"request.opened","occurred_at":"2024-01-08T10:00:00-08:00","request_id":"r1","patient_id":"p1","clinic":"c1","urgency":"routine","provider_type":"non_physician_mh","visit":"initial"}
{"event_id":"b3","type":"offer.made","occurred_at":"2024-01-08T11:00:00-08:00","request_id":"r1","offer_id":"o1","appointment_at":"2024-01-10T09:00:00-08:00","clinician_id":"d1","provider_type":"non_physician_mh","format":"individual","modality":"video"}
{"event_id":"b4","type":"appointment.booked","occurred_at":"2024-01-08T11:05:00-08:00","request_id":"r1","appointment_id":"a1","appointment_at":"2024-01-10T09:00:00-08:00","clinician_id":"d1","format":"individual","modality":"video","offer_id":"o1"}
{"event_id":"b5","type":"request.opened","occurred_at":"2024-01-09T10:00:00-08:00","request_id":"r2","patient_id":"p2","clinic":"c1","urgency":"urgent","provider_type":"psychiatrist","visit":"initial"}
"#;

/// Appends `BASE`, then `batch`, on every backend; renders the second
/// append, the event count after it and whether the chain verifies. Every
/// backend must give the same text.
#[track_caller]
fn check(batch: &str, expect: Expect) {
    let mut outputs = Vec::new();
    for db in backends() {
        let ledger = crate::support::open(&db);
        let base = append_text(&ledger, "base", BASE, at(0));
        assert!(base.starts_with("stored"), "{base}");
        let out = append_text(&ledger, "batch", batch, at(10));
        let n_events = bodies(&ledger).len();
        let verified = matches!(ledger.verify(None).expect("verify"), Verification::Valid { .. });
        outputs.push((db.kind(), format!("{out}\nevents: {n_events}, verifies: {verified}\n")));
    }
    for (kind, output) in &outputs[1..] {
        assert_eq!(output, &outputs[0].1, "{kind} differs from {}", outputs[0].0);
    }
    expect.assert_eq(&outputs[0].1);
}

#[test]
fn new_events_are_stored_after_the_base() {
    check(
        r#"{"event_id":"n1","type":"appointment.attended","occurred_at":"2024-01-10T09:50:00-08:00","request_id":"r1","appointment_id":"a1"}
{"event_id":"n2","type":"request.closed","occurred_at":"2024-01-10T10:00:00-08:00","request_id":"r1","reason":"served"}"#,
        expect![[r#"
            stored: read 2 new 2 duplicate 0 seq 6..=7
            events: 7, verifies: true
        "#]],
    );
}

#[test]
fn the_same_batch_twice_is_a_no_op() {
    check(
        BASE,
        expect![[r#"
        stored: read 5 new 0 duplicate 5 seq 6..=5
        events: 5, verifies: true
    "#]],
    );
}

#[test]
fn a_duplicate_inside_one_batch_is_a_no_op() {
    check(
        r#"{"event_id":"n1","type":"harm.reported","occurred_at":"2024-01-10T09:50:00-08:00","request_id":"r2","kind":"crisis"}
{"event_id":"n1","type":"harm.reported","occurred_at":"2024-01-10T09:50:00-08:00","request_id":"r2","kind":"crisis"}"#,
        expect![[r#"
            stored: read 2 new 1 duplicate 1 seq 6..=6
            events: 6, verifies: true
        "#]],
    );
}

#[test]
fn the_same_id_with_another_body_is_rejected_naming_both() {
    check(
        r#"{"event_id":"n1","type":"harm.reported","occurred_at":"2024-01-10T09:50:00-08:00","request_id":"r2","kind":"crisis"}
{"event_id":"b5","type":"request.opened","occurred_at":"2024-01-09T10:00:00-08:00","request_id":"r2","patient_id":"p2","clinic":"c1","urgency":"routine","provider_type":"psychiatrist","visit":"initial"}"#,
        expect![[r#"
            rejected after reading 2 events:
              line 2: event "b5": this event_id is already stored (ledger seq 5) with a different body: `urgency` is "urgent" there and "routine" here; an event is never edited, so record a correction as a new event (or void the old one)
            events: 5, verifies: true
        "#]],
    );
}

#[test]
fn an_entity_is_created_once() {
    check(
        r#"{"event_id":"n1","type":"request.opened","occurred_at":"2024-01-09T10:00:00-08:00","request_id":"r2","patient_id":"p9","clinic":"c1","urgency":"routine","provider_type":"psychiatrist","visit":"initial"}
{"event_id":"n2","type":"offer.made","occurred_at":"2024-01-08T11:00:00-08:00","request_id":"r2","offer_id":"o7","appointment_at":"2024-01-10T09:00:00-08:00","clinician_id":"d1","provider_type":"psychiatrist","format":"individual","modality":"video"}
{"event_id":"n3","type":"offer.made","occurred_at":"2024-01-08T11:00:00-08:00","request_id":"r2","offer_id":"o7","appointment_at":"2024-01-11T09:00:00-08:00","clinician_id":"d1","provider_type":"psychiatrist","format":"individual","modality":"video"}"#,
        expect![[r#"
            rejected after reading 3 events:
              line 1: event "n1": request "r2" was already created by event "b5"
              line 3: event "n3": offer "o7" was already created by event "n2"
            events: 5, verifies: true
        "#]],
    );
}

#[test]
fn references_must_resolve_to_the_ledger_or_the_batch() {
    check(
        r#"{"event_id":"n1","type":"offer.made","occurred_at":"2024-01-08T11:00:00-08:00","request_id":"r9","offer_id":"o9","appointment_at":"2024-01-10T09:00:00-08:00","clinician_id":"d1","provider_type":"psychiatrist","format":"individual","modality":"video"}
{"event_id":"n2","type":"appointment.cancelled","occurred_at":"2024-01-09T08:00:00-08:00","request_id":"r1","appointment_id":"a7","by":"patient"}
{"event_id":"n3","type":"offer.declined","occurred_at":"2024-01-09T08:00:00-08:00","request_id":"r2","offer_id":"o1","reason":"time"}
{"event_id":"n4","type":"slot.withdrawn","occurred_at":"2024-01-09T08:00:00-08:00","slot_id":"s404"}
{"event_id":"n5","type":"event.voided","occurred_at":"2024-01-09T08:00:00-08:00","voids":"nope","reason":"typo"}
{"event_id":"n6","type":"request.opened","occurred_at":"2024-01-09T10:00:00-08:00","request_id":"r3","patient_id":"p1","clinic":"c1","urgency":"routine","provider_type":"non_physician_mh","visit":"follow_up","prior_appointment_id":"a404"}"#,
        expect![[r#"
            rejected after reading 6 events:
              line 1: event "n1": field `request_id`: unknown request "r9"; it is neither in the ledger nor in this file
              line 2: event "n2": field `appointment_id`: unknown appointment "a7"; it is neither in the ledger nor in this file
              line 3: event "n3": field `offer_id`: offer "o1" belongs to request "r1", not to request "r2"
              line 4: event "n4": field `slot_id`: unknown slot "s404"; it is neither in the ledger nor in this file
              line 5: event "n5": field `voids`: unknown event "nope"; it is neither in the ledger nor in this file
              line 6: event "n6": field `prior_appointment_id`: unknown appointment "a404"; it is neither in the ledger nor in this file
            events: 5, verifies: true
        "#]],
    );
}

#[test]
fn a_reference_may_come_before_its_creation_in_the_batch() {
    check(
        r#"{"event_id":"n1","type":"appointment.attended","occurred_at":"2024-01-12T09:50:00-08:00","request_id":"r3","appointment_id":"a3"}
{"event_id":"n2","type":"appointment.booked","occurred_at":"2024-01-09T11:05:00-08:00","request_id":"r3","appointment_id":"a3","appointment_at":"2024-01-12T09:00:00-08:00","clinician_id":"d1","format":"individual","modality":"video"}
{"event_id":"n3","type":"request.opened","occurred_at":"2024-01-09T10:00:00-08:00","request_id":"r3","patient_id":"p3","clinic":"c9","urgency":"routine","provider_type":"non_physician_mh","visit":"follow_up","prior_appointment_id":"a1"}"#,
        expect![[r#"
            stored: read 3 new 3 duplicate 0 seq 6..=8
            events: 8, verifies: true
        "#]],
    );
}

#[test]
fn a_forward_reference_to_another_request_is_caught_at_the_end() {
    check(
        r#"{"event_id":"n1","type":"offer.declined","occurred_at":"2024-01-09T08:00:00-08:00","request_id":"r2","offer_id":"o3","reason":"time"}
{"event_id":"n2","type":"offer.made","occurred_at":"2024-01-08T11:00:00-08:00","request_id":"r1","offer_id":"o3","appointment_at":"2024-01-10T09:00:00-08:00","clinician_id":"d1","provider_type":"psychiatrist","format":"individual","modality":"video"}"#,
        expect![[r#"
            rejected after reading 2 events:
              line 1: event "n1": field `offer_id`: offer "o3" belongs to request "r1", not to request "r2"
            events: 5, verifies: true
        "#]],
    );
}

#[test]
fn voids() {
    check(
        r#"{"event_id":"v1","type":"event.voided","occurred_at":"2024-01-09T08:00:00-08:00","voids":"b3","reason":"wrong request"}
{"event_id":"v2","type":"event.voided","occurred_at":"2024-01-09T08:01:00-08:00","voids":"b3","reason":"again"}
{"event_id":"v3","type":"event.voided","occurred_at":"2024-01-09T08:02:00-08:00","voids":"v1","reason":"undo"}"#,
        expect![[r#"
            rejected after reading 3 events:
              line 2: event "v2": event "b3" was already voided by event "v1"
              line 3: event "v3": field `voids`: event "v1" is itself a void; a void cannot be voided (record the original event again under a new id)
            events: 5, verifies: true
        "#]],
    );
}

#[test]
fn a_source_error_rejects_the_whole_file() {
    check(
        r#"{"event_id":"n1","type":"harm.reported","occurred_at":"2024-01-10T09:50:00-08:00","request_id":"r2","kind":"crisis"}
{"event_id":"n2","type":"harm.reported","occurred_at":"2024-01-10T09:50:00","request_id":"r2","kind":"crisis"}
{"event_id":"n3","type":"harm.reported","occurred_at":"2024-01-10T09:50:00-08:00","request_id":"r2","kind":"flood"}"#,
        expect![[r#"
            rejected after reading 1 events:
              input:2: field `occurred_at`: expected an RFC 3339 timestamp with a UTC offset, such as 2024-03-01T09:30:00-08:00 or 2024-03-01T17:30:00Z, found "2024-01-10T09:50:00"
              input:3: field `kind`: expected one of ed_visit, inpatient, crisis, suicide_attempt, death, found "flood"
            events: 5, verifies: true
        "#]],
    );
}

#[test]
fn exported_events_ingest_into_a_fresh_ledger_unchanged() {
    for db in backends() {
        let ledger = crate::support::open(&db);
        append_text(&ledger, "plan", SMALL_PLAN, at(0));
        let mut exported = Vec::new();
        let mut scratch = Vec::new();
        ledger
            .for_each_event(None, |stored| {
                formats::write_ndjson(&mut exported, &stored.event, &mut scratch)?;
                Ok(())
            })
            .unwrap();
        let fresh = crate::support::sqlite();
        let copy = crate::support::open(&fresh);
        let out = append_text(&copy, "export", std::str::from_utf8(&exported).unwrap(), at(5));
        assert_eq!(out, "stored: read 199 new 199 duplicate 0 seq 1..=199", "{}", db.kind());
        assert_eq!(bodies(&copy), bodies(&ledger), "{}", db.kind());
    }
}

#[test]
fn the_same_events_as_csv_and_as_ndjson_give_the_same_ledger() {
    for db in backends() {
        let from_ndjson = crate::support::open(&db);
        append_text(&from_ndjson, "plan", SMALL_PLAN, at(0));
        let other = crate::support::sqlite();
        let from_csv = crate::support::open(&other);
        append_text(&from_csv, "plan", SMALL_PLAN_CSV, at(0));
        assert_eq!(bodies(&from_csv), bodies(&from_ndjson));
        // With the same recorded_at the chains are identical, hash for hash.
        assert_eq!(from_csv.head().unwrap(), from_ndjson.head().unwrap(), "{}", db.kind());
    }
}

#[test]
fn as_of_reads_see_only_what_was_recorded_by_then() {
    for db in backends() {
        let ledger = crate::support::open(&db);
        append_text(&ledger, "base", BASE, at(0));
        let void = r#"{"event_id":"v1","type":"event.voided","occurred_at":"2024-01-09T08:00:00-08:00","voids":"b3","reason":"wrong request"}"#;
        append_text(&ledger, "void", void, at(100));
        let seen = |as_of| {
            let mut out = Vec::new();
            ledger
                .for_each_event(as_of, |s| {
                    let voided = s.voided_by.map(|v| format!(" voided by {v}")).unwrap_or_default();
                    out.push(format!("{} {}{voided}", s.seq, s.event.event_id));
                    Ok(())
                })
                .unwrap();
            out.join(", ")
        };
        assert_eq!(seen(Some(at(-1))), "");
        assert_eq!(seen(Some(at(50))), "1 b1, 2 b2, 3 b3, 4 b4, 5 b5");
        assert_eq!(seen(Some(at(100))), "1 b1, 2 b2, 3 b3 voided by v1, 4 b4, 5 b5, 6 v1");
        assert_eq!(seen(None), seen(Some(at(100))));
        // The read that also checks the chain gives the same events.
        let fused = |as_of| {
            let mut out = Vec::new();
            let checked = ledger
                .verify_and_read(as_of, |s| {
                    let voided = s.voided_by.map(|v| format!(" voided by {v}")).unwrap_or_default();
                    out.push(format!("{} {}{voided}", s.seq, s.event.event_id));
                    Ok(())
                })
                .unwrap();
            assert_eq!(checked.verification, ledger.verify(None).unwrap());
            // Every batch of the snapshot, whatever the as-of moment.
            assert_eq!(checked.batches, ledger.batches().unwrap());
            out.join(", ")
        };
        for as_of in [Some(at(-1)), Some(at(50)), Some(at(100)), None] {
            assert_eq!(fused(as_of), seen(as_of), "as of {as_of:?}");
        }
    }
}

#[test]
fn recorded_at_never_goes_backwards() {
    for db in backends() {
        let ledger = crate::support::open(&db);
        append_text(&ledger, "base", BASE, at(100));
        let more = r#"{"event_id":"n1","type":"harm.reported","occurred_at":"2024-01-10T09:50:00-08:00","request_id":"r2","kind":"crisis"}"#;
        // The clock went back 3 seconds (within the tolerance); the ledger keeps
        // the later time.
        append_text(&ledger, "more", more, at(97));
        let batches = ledger.batches().unwrap();
        assert_eq!(batches[0].recorded_at, batches[1].recorded_at, "{}", db.kind());
        assert!(matches!(ledger.verify(None).unwrap(), Verification::Valid { .. }));
    }
}

#[test]
fn appends_from_many_clients_are_kept_in_one_order() {
    for db in backends() {
        let setup = crate::support::open(&db);
        append_text(&setup, "base", BASE, at(0));
        drop(setup);
        let appending = std::sync::atomic::AtomicUsize::new(4);
        std::thread::scope(|scope| {
            // Verification runs meanwhile and must never see a broken chain.
            let location = db.location().to_owned();
            let appending = &appending;
            scope.spawn(move || {
                let ledger = Ledger::open(&location).unwrap();
                let mut n_checks = 0;
                while appending.load(std::sync::atomic::Ordering::SeqCst) > 0 || n_checks == 0 {
                    let verification = ledger.verify(None).unwrap();
                    assert!(matches!(verification, Verification::Valid { .. }), "{verification:?}");
                    n_checks += 1;
                }
            });
            for client in 0..4 {
                let location = db.location().to_owned();
                scope.spawn(move || {
                    // Each client has its own connection, as separate processes would.
                    let ledger = Ledger::create(&location).unwrap();
                    for batch in 0..5 {
                        let text: String = (0..20)
                            .map(|n| {
                                format!(
                                    r#"{{"event_id":"c{client}-{batch}-{n}","type":"harm.reported","occurred_at":"2024-01-10T09:50:00-08:00","request_id":"r2","kind":"crisis"}}"#
                                ) + "\n"
                            })
                            .collect();
                        let out = ledger.append(read(&text), &options("client", at(1))).unwrap();
                        assert!(render(&out).starts_with("stored"), "{}", render(&out));
                    }
                    appending.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                });
            }
        });
        let ledger = crate::support::open(&db);
        assert_eq!(bodies(&ledger).len(), 5 + 4 * 5 * 20, "{}", db.kind());
        assert_eq!(ledger.batches().unwrap().len(), 1 + 4 * 5);
        assert!(
            matches!(ledger.verify(None).unwrap(), Verification::Valid { .. }),
            "{}",
            db.kind()
        );
    }
}

/// A ledger of `n` clinic registrations: more rows than the reading
/// threads hold in flight.
fn many_rows(db: &crate::support::TestDb, n: usize) -> Ledger {
    let ledger = crate::support::open(db);
    let text: String = (0..n)
        .map(|i| {
            format!(
                "{{\"event_id\":\"c{i}\",\"type\":\"clinic.registered\",\"occurred_at\":\"2024-01-01T00:00:00Z\",\"clinic\":\"c{i}\",\"time_zone\":\"UTC\",\"network\":\"n\"}}\n"
            )
        })
        .collect();
    append_text(&ledger, "many", &text, at(0));
    ledger
}

#[test]
fn a_reader_stopped_early_by_error_or_panic_ends_and_says_so() {
    let db = crate::support::sqlite();
    let ledger = std::sync::Arc::new(many_rows(&db, 20_000));
    // An error from the callback is returned, after few rows.
    let mut seen = 0;
    let result = ledger.verify_and_read(None, |_| {
        seen += 1;
        if seen == 10 { Err("enough".into()) } else { Ok(()) }
    });
    assert_eq!(seen, 10);
    assert!(result.unwrap_err().to_string().contains("enough"));
    // A panic in the callback reaches the caller instead of leaving the
    // reading threads waiting for ever.
    let (done, finished) = std::sync::mpsc::channel();
    let reading = std::sync::Arc::clone(&ledger);
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut seen = 0;
            reading.verify_and_read(None, |_| {
                seen += 1;
                assert!(seen < 10, "a callback that fails");
                Ok(())
            })
        }));
        let _ = done.send(outcome.is_err());
    });
    assert_eq!(finished.recv_timeout(std::time::Duration::from_secs(120)), Ok(true));
    // And the ledger reads whole afterwards.
    let mut all = 0;
    let verification = ledger
        .verify_and_read(None, |_| {
            all += 1;
            Ok(())
        })
        .unwrap()
        .verification;
    assert_eq!(all, 20_000);
    assert!(
        matches!(verification, Verification::Valid { n_events: 20_000, .. }),
        "{verification:?}"
    );
}
