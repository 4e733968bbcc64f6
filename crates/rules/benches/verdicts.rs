//! Benchmark: verdicts per second, on one core and on all cores.
//!
//! ```text
//! cargo bench -p rules --bench verdicts -- [--requests N]
//! ```
//!
//! Generates a pool of 200,000 synthetic request histories (a fixed seed;
//! routine and urgent, therapy, psychiatry and SUD, initial and follow-up
//! requests with offers, declines, bookings, extensions and closures over
//! 2024 and 2025), then judges N requests (default 10,000,000) by going
//! through the pool repeatedly under `ca-dmhc`: first on one thread, then
//! on as many threads as the machine has cores. Generation is not timed.
//! Nothing here is asserted.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant as Clock;

use events::{Event, Field, Raw, RawRecord};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rules::{History, RuleSet, assemble, evaluate};

const POOL: usize = 200_000;

fn event(fields: &[(Field, &str)]) -> Event {
    let mut record = RawRecord::default();
    for (field, value) in fields {
        record.set(*field, Raw::Text(value));
    }
    Event::parse(&record).unwrap()
}

fn stamp(seconds: i64) -> String {
    let moment = Timestamp::from_second(1_704_067_200 + seconds).unwrap();
    events::Instant::new(moment, jiff::tz::Offset::from_hours(-8).unwrap()).to_string()
}

fn generate(rng: &mut ChaCha8Rng) -> Vec<Event> {
    const DAY: i64 = 86_400;
    let providers = ["non_physician_mh", "non_physician_mh", "psychiatrist", "sud"];
    let mut out = Vec::with_capacity(POOL * 6);
    for r in 0..POOL {
        let request = format!("r{r}");
        let opened = rng.random_range(0..700 * DAY);
        let urgent = rng.random_bool(0.15);
        let provider = providers[rng.random_range(0..providers.len())];
        let follow_up = rng.random_bool(0.3);
        let prior = stamp(opened - rng.random_range(0..5 * DAY));
        let mut fields = vec![
            (Field::EventId, format!("{request}-o")),
            (Field::Type, "request.opened".to_owned()),
            (Field::OccurredAt, stamp(opened)),
            (Field::RequestId, request.clone()),
            (Field::PatientId, format!("p{}", r % 50_000)),
            (Field::Clinic, format!("c{}", r % 40)),
            (Field::Urgency, if urgent { "urgent" } else { "routine" }.to_owned()),
            (Field::ProviderType, provider.to_owned()),
            (Field::Visit, if follow_up { "follow_up" } else { "initial" }.to_owned()),
            (Field::RequestedFormat, "individual".to_owned()),
        ];
        if follow_up {
            fields.push((Field::PriorAppointmentAt, prior));
        }
        let as_refs =
            |f: &[(Field, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
        let owned = as_refs(&fields);
        out.push(event(&owned.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()));
        let n_offers = rng.random_range(0..3);
        for n in 0..n_offers {
            let made = opened + rng.random_range(0..10 * DAY);
            let at = made + rng.random_range(DAY..25 * DAY);
            let group = rng.random_bool(0.1);
            let f = [
                (Field::EventId, format!("{request}-m{n}")),
                (Field::Type, "offer.made".to_owned()),
                (Field::OccurredAt, stamp(made)),
                (Field::RequestId, request.clone()),
                (Field::OfferId, format!("{request}-{n}")),
                (Field::AppointmentAt, stamp(at)),
                (Field::ClinicianId, "d1".to_owned()),
                (Field::ProviderType, provider.to_owned()),
                (Field::Format, if group { "group" } else { "individual" }.to_owned()),
                (Field::Modality, "video".to_owned()),
            ];
            out.push(event(&f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()));
            if rng.random_bool(0.15) {
                let f = [
                    (Field::EventId, format!("{request}-d{n}")),
                    (Field::Type, "offer.declined".to_owned()),
                    (Field::OccurredAt, stamp(made + 600)),
                    (Field::RequestId, request.clone()),
                    (Field::OfferId, format!("{request}-{n}")),
                    (Field::Reason, "patient_preference".to_owned()),
                ];
                out.push(event(&f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()));
            }
        }
        if rng.random_bool(0.05) {
            let f = [
                (Field::EventId, format!("{request}-x")),
                (Field::Type, "extension.documented".to_owned()),
                (Field::OccurredAt, stamp(opened + DAY)),
                (Field::RequestId, request.clone()),
                (Field::ClinicianId, "d1".to_owned()),
                (Field::ExtendedTo, stamp(opened + 30 * DAY)),
                (Field::Reason, "stable".to_owned()),
            ];
            out.push(event(&f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()));
        }
        if rng.random_bool(0.6) {
            let reason = ["served", "served", "withdrawn", "unreachable"][rng.random_range(0..4)];
            let f = [
                (Field::EventId, format!("{request}-c")),
                (Field::Type, "request.closed".to_owned()),
                (Field::OccurredAt, stamp(opened + rng.random_range(DAY..40 * DAY))),
                (Field::RequestId, request.clone()),
                (Field::Reason, reason.to_owned()),
            ];
            out.push(event(&f.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()));
        }
    }
    out
}

/// Judges `n` requests, cycling through `histories`; returns the number of
/// verdicts (to keep the work observable).
fn judge(
    histories: &[History<'_>],
    rule_set: &RuleSet,
    tz: &TimeZone,
    as_of: Timestamp,
    n: usize,
) -> usize {
    let mut verdicts = Vec::with_capacity(8);
    let mut problems = Vec::new();
    let mut n_verdicts = 0;
    for history in histories.iter().cycle().take(n) {
        verdicts.clear();
        evaluate(history, rule_set, tz, as_of, &mut verdicts, &mut problems);
        n_verdicts += verdicts.len();
    }
    n_verdicts
}

fn main() {
    let mut n_requests = 10_000_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--requests" => {
                n_requests = args.next().and_then(|n| n.parse().ok()).expect("--requests N")
            }
            "--bench" => {}
            other => panic!("unknown argument {other:?}"),
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let started = Clock::now();
    let events = generate(&mut rng);
    let histories = assemble(&events);
    println!(
        "generated {} requests ({} events) in {:.1} s",
        histories.len(),
        events.len(),
        started.elapsed().as_secs_f64()
    );
    let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
    let tz = TimeZone::get("America/Los_Angeles").unwrap();
    let as_of = Timestamp::from_second(1_767_225_600).unwrap();

    let started = Clock::now();
    let n_verdicts = judge(&histories, &rule_set, &tz, as_of, n_requests);
    let one = started.elapsed().as_secs_f64();
    println!(
        "1 thread:  {n_requests} requests ({n_verdicts} verdicts) in {one:.2} s: {:.2} M requests/s",
        n_requests as f64 / one / 1e6
    );

    let n_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Clock::now();
    let total: usize = std::thread::scope(|scope| {
        let per_thread = n_requests / n_threads;
        let chunk = histories.len().div_ceil(n_threads);
        let handles: Vec<_> = histories
            .chunks(chunk)
            .map(|part| {
                let (rule_set, tz) = (&rule_set, &tz);
                scope.spawn(move || judge(part, rule_set, tz, as_of, per_thread))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let all = started.elapsed().as_secs_f64();
    println!(
        "{n_threads} threads: {} requests ({total} verdicts) in {all:.2} s: {:.2} M requests/s ({:.2} per thread; {:.2}x one thread)",
        n_requests / n_threads * n_threads,
        n_requests as f64 / all / 1e6,
        n_requests as f64 / all / 1e6 / n_threads as f64,
        one / all
    );
}
