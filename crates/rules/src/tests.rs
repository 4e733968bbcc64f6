//! The hand-worked cases of `test_data/cases.txt`, rule-file errors, and
//! the evaluator's laws as properties.

use std::collections::HashMap;

use events::{Event, Field, Instant, Raw, RawRecord};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::{History, Outcome, RuleSet, assemble, evaluate};

const CASES: &str = include_str!("../test_data/cases.txt");

/// Builds an event from `(field, value)` pairs, as a CSV row would give them.
fn event(fields: &[(Field, &str)]) -> Event {
    let mut record = RawRecord::default();
    for (field, value) in fields {
        record.set(*field, Raw::Text(value));
    }
    Event::parse(&record).unwrap_or_else(|err| panic!("{err}: {fields:?}"))
}

struct Case {
    name: String,
    rules: String,
    tz: Option<String>,
    as_of: Timestamp,
    /// Events with their recorded moment and whether they are voided.
    events: Vec<(Event, Timestamp, bool)>,
    expected: Vec<String>,
}

fn parse_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut case: Option<Case> = None;
    let mut n_event = 0;
    let mut n_offer: HashMap<String, usize> = HashMap::new();
    let mut n_appointment = 0;
    for (idx, line) in CASES.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("== ") {
            cases.extend(case.take());
            n_appointment = 0;
            case = Some(Case {
                name: name.to_owned(),
                rules: String::new(),
                tz: None,
                as_of: Timestamp::UNIX_EPOCH,
                events: Vec::new(),
                expected: Vec::new(),
            });
            continue;
        }
        let case = case.as_mut().unwrap_or_else(|| panic!("line {}: outside a case", idx + 1));
        let words: Vec<&str> = line.split_whitespace().collect();
        let keyword = |key: &str| {
            words.iter().find_map(|w| w.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
        };
        let flag = |key: &str| words.contains(&key);
        match words[0] {
            "rules" => case.rules = words[1].to_owned(),
            "tz" => case.tz = Some(words[1].to_owned()),
            "as-of" => case.as_of = instant(words[1]),
            "=>" => case.expected.push(words[1..].join(" ")),
            kind => {
                n_event += 1;
                let event_id = format!("e{n_event}");
                let request = keyword("request").unwrap_or("r1");
                let at = words[1];
                let mut fields: Vec<(Field, String)> = vec![
                    (Field::EventId, event_id),
                    (Field::OccurredAt, at.to_owned()),
                    (Field::RequestId, request.to_owned()),
                ];
                let mut push = |field: Field, value: &str| fields.push((field, value.to_owned()));
                match kind {
                    "opened" => {
                        push(Field::Type, "request.opened");
                        push(Field::PatientId, "p1");
                        push(Field::Clinic, "c1");
                        push(Field::Urgency, words[2]);
                        push(Field::ProviderType, words[3]);
                        push(Field::Visit, words[4]);
                        if flag("prior_auth") {
                            push(Field::PriorAuth, "true");
                        }
                        if let Some(format) = keyword("format") {
                            push(Field::RequestedFormat, format);
                        }
                        if let Some(prior) = keyword("prior") {
                            push(Field::PriorAppointmentAt, prior);
                        }
                        if let Some(prior) = keyword("prior_id") {
                            push(Field::PriorAppointmentId, prior);
                        }
                    }
                    "triaged" => {
                        push(Field::Type, "request.triaged");
                        push(Field::Urgency, words[2]);
                    }
                    "offer" => {
                        let n = n_offer.entry(case.name.clone()).or_default();
                        *n += 1;
                        let id = keyword("id").map_or_else(|| format!("o{n}"), str::to_owned);
                        push(Field::Type, "offer.made");
                        push(Field::OfferId, &id);
                        push(Field::AppointmentAt, words[2]);
                        push(Field::ClinicianId, "d1");
                        let provider =
                            keyword("provider").map(str::to_owned).unwrap_or_else(|| {
                                // The provider type the request asked for.
                                case.events
                                    .iter()
                                    .find_map(|(e, _, _)| match &e.body {
                                        events::Body::RequestOpened(o)
                                            if o.request_id.as_str() == request =>
                                        {
                                            Some(o.provider_type.as_str().to_owned())
                                        }
                                        _ => None,
                                    })
                                    .unwrap_or_else(|| "non_physician_mh".to_owned())
                            });
                        push(Field::ProviderType, &provider);
                        push(Field::Format, if flag("group") { "group" } else { "individual" });
                        push(Field::Modality, "video");
                        if flag("oon") {
                            push(Field::InNetwork, "false");
                        }
                    }
                    "declined" => {
                        push(Field::Type, "offer.declined");
                        push(Field::OfferId, words[2]);
                        push(Field::Reason, words.get(3).copied().unwrap_or("patient_preference"));
                    }
                    "booked" => {
                        n_appointment += 1;
                        let id = keyword("id")
                            .map_or_else(|| format!("a{n_appointment}"), str::to_owned);
                        push(Field::Type, "appointment.booked");
                        push(Field::AppointmentId, &id);
                        push(Field::AppointmentAt, words[2]);
                        push(Field::ClinicianId, "d1");
                        push(Field::Format, if flag("group") { "group" } else { "individual" });
                        push(Field::Modality, "video");
                        if let Some(offer) = keyword("offer") {
                            push(Field::OfferId, offer);
                        }
                    }
                    "attended" | "noshow" => {
                        push(
                            Field::Type,
                            if kind == "attended" {
                                "appointment.attended"
                            } else {
                                "appointment.no_show"
                            },
                        );
                        push(Field::AppointmentId, words[2]);
                    }
                    "cancelled" => {
                        push(Field::Type, "appointment.cancelled");
                        push(Field::AppointmentId, words[2]);
                        push(Field::By, words[3]);
                    }
                    "extension" => {
                        push(Field::Type, "extension.documented");
                        push(Field::ClinicianId, "d1");
                        push(Field::ExtendedTo, words[2]);
                        push(Field::Reason, "a longer wait will not harm the patient");
                    }
                    "referral" => {
                        push(Field::Type, "referral.out_of_network");
                        if let Some(at) = keyword("at") {
                            push(Field::AppointmentAt, at);
                        }
                    }
                    "harm" => {
                        push(Field::Type, "harm.reported");
                        push(Field::Kind, words[2]);
                    }
                    "closed" => {
                        push(Field::Type, "request.closed");
                        push(Field::Reason, words[2]);
                    }
                    other => panic!("line {}: unknown line {other:?}", idx + 1),
                }
                let fields: Vec<(Field, &str)> =
                    fields.iter().map(|(f, v)| (*f, v.as_str())).collect();
                let event = event(&fields);
                let recorded =
                    keyword("recorded").map_or_else(|| event.occurred_at.timestamp(), instant);
                case.events.push((event, recorded, flag("void")));
            }
        }
    }
    cases.extend(case);
    cases
}

fn instant(text: &str) -> Timestamp {
    Instant::parse(Field::OccurredAt, text)
        .unwrap_or_else(|err| panic!("{text}: {err}"))
        .timestamp()
}

/// Renders every verdict of a case as its expectation lines would read.
fn render(case: &Case) -> Vec<String> {
    let rule_set =
        RuleSet::shipped(&case.rules).unwrap_or_else(|| panic!("no rule set {}", case.rules));
    let tz = match &case.tz {
        Some(name) => TimeZone::get(name).unwrap(),
        None => rule_set.time_zone.clone(),
    };
    let visible: Vec<&Event> = case
        .events
        .iter()
        .filter(|(_, recorded, voided)| !voided && *recorded <= case.as_of)
        .map(|(event, _, _)| event)
        .collect();
    let mut out = Vec::new();
    for history in assemble(visible.iter().copied()) {
        let mut verdicts = Vec::new();
        let mut problems = Vec::new();
        evaluate(&history, &rule_set, &tz, case.as_of, &mut verdicts, &mut problems);
        assert!(problems.is_empty(), "{}: {problems:?}", case.name);
        let request = history.request.request_id.as_str();
        for verdict in verdicts {
            let prefix = if request == "r1" { String::new() } else { format!("{request}:") };
            let reasons = if verdict.reasons.is_empty() {
                String::new()
            } else {
                format!(" reason={}", verdict.reasons)
            };
            out.push(format!(
                "{prefix}{} {} {}{reasons}",
                verdict.standard.id, verdict.outcome, verdict.deadline
            ));
        }
    }
    if out.is_empty() {
        out.push("none".to_owned());
    }
    out
}

/// Expands a date deadline (`2024-01-23`) to the end of that local day.
fn expand(expected: &str, tz: &TimeZone) -> String {
    let mut words: Vec<String> = expected.split(' ').map(str::to_owned).collect();
    if let Some(deadline) = words.get(2)
        && deadline.len() == 10
        && let Ok(date) = deadline.parse::<jiff::civil::Date>()
    {
        let end = tz
            .to_ambiguous_timestamp(
                date.tomorrow().unwrap().to_datetime(jiff::civil::Time::midnight()),
            )
            .compatible()
            .unwrap()
            - jiff::SignedDuration::from_nanos(1);
        words[2] = Instant::new(end, tz.to_offset(end)).to_string();
    }
    words.join(" ")
}

#[test]
fn hand_worked_cases() {
    let cases = parse_cases();
    assert!(cases.len() >= 80, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let rule_set = RuleSet::shipped(&case.rules).unwrap();
        let tz = case
            .tz
            .as_ref()
            .map_or_else(|| rule_set.time_zone.clone(), |n| TimeZone::get(n).unwrap());
        let expected: Vec<String> = case.expected.iter().map(|e| expand(e, &tz)).collect();
        let actual = render(case);
        if actual != expected {
            failures
                .push(format!("{}\n  expected: {expected:?}\n  actual:   {actual:?}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn every_case_outcome_is_exercised() {
    let cases = parse_cases();
    for outcome in ["met", "missed", "open_within", "open_overdue", "excluded"] {
        let n = cases
            .iter()
            .flat_map(|c| &c.expected)
            .filter(|e| e.contains(&format!(" {outcome} ")))
            .count();
        assert!(n >= 3, "only {n} cases expect {outcome}");
    }
    let _ = History::new;
    let _ = Outcome::Met;
}
