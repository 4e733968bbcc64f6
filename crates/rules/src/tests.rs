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
    /// A calendar for every standard, in place of the rule set's.
    calendar: Option<String>,
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
                calendar: None,
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
            "calendar" => case.calendar = Some(words[1].to_owned()),
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

/// The case's shipped rule set, with its calendar in place of the set's if
/// it names one (as a rule file may choose `us-ca-state` for `ca-dmhc`).
fn rule_set(case: &Case) -> RuleSet {
    let mut rule_set =
        RuleSet::shipped(&case.rules).unwrap_or_else(|| panic!("no rule set {}", case.rules));
    if let Some(id) = &case.calendar {
        let calendar = calendar::get(id).unwrap_or_else(|| panic!("no calendar {id}"));
        for standard in &mut rule_set.standards {
            standard.calendar = calendar;
        }
    }
    rule_set
}

/// Renders every verdict of a case as its expectation lines would read.
fn render(case: &Case) -> Vec<String> {
    let rule_set = rule_set(case);
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
        let rule_set = rule_set(case);
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

/// Parses a rule file and renders the error, or `ok` with its standards.
#[track_caller]
fn check_rules(text: &str, expect: expect_test::Expect) {
    let out = match RuleSet::parse(text, "my-rules.toml") {
        Ok(rule_set) => {
            let ids: Vec<String> =
                rule_set.standards.iter().map(|s| format!("{} {}", s.id, s.limit)).collect();
            format!("ok: {}", ids.join(", "))
        }
        Err(err) => err.to_string(),
    };
    expect.assert_eq(&out);
}

const HEADER: &str = r#"id = "mine"
name = "Mine"
jurisdiction = "Somewhere"
source = "Local rule 1"
calendar = "us-ca-state"
time_zone = "America/Los_Angeles"
threshold = 0.8
threshold_source = "Local rule 2"
"#;

fn with_standard(standard: &str) -> String {
    format!("{HEADER}\n[[standard]]\nid = \"s1\"\nname = \"S\"\nsource = \"Rule 3\"\n{standard}")
}

#[test]
fn rule_files() {
    use expect_test::expect;
    check_rules(&with_standard("limit = \"5bd\"\nurgency = [\"routine\"]"), expect!["ok: s1 5bd"]);
    check_rules(
        &with_standard("limit = \"5 days\""),
        expect![[
            r#"my-rules.toml:14:9: expected a limit such as 48h, 10bd, 7d or 6w, found "5 days""#
        ]],
    );
    check_rules(
        &with_standard("limit = \"0h\""),
        expect![[
            r#"my-rules.toml:14:9: expected a limit such as 48h, 10bd, 7d or 6w, found "0h""#
        ]],
    );
    check_rules(
        &with_standard("limit = \"5bd\"\nurgency = [\"soon\"]"),
        expect![[
            r#"my-rules.toml:15:12: field `urgency`: expected one of urgent, routine, found "soon""#
        ]],
    );
    check_rules(
        &with_standard("limit = \"5bd\"\nprovider_types = [\"therapist\"]"),
        expect![[
            r#"my-rules.toml:15:19: field `provider_type`: expected one of psychiatrist, non_physician_mh, sud, primary_care, other, found "therapist""#
        ]],
    );
    check_rules(
        &with_standard("limit = \"5bd\"\ncalendar = \"us-texas\""),
        expect![[
            r#"my-rules.toml:15:12: unknown calendar "us-texas"; the calendars are us-federal, us-ca-state, england-wales"#
        ]],
    );
    check_rules(
        &with_standard("limit = \"5bd\"\nclock_start = \"referral\""),
        expect![[
            r#"my-rules.toml:15:15: expected request or prior_appointment, found "referral""#
        ]],
    );
    check_rules(
        &with_standard("limit = \"5bd\"\nstop = \"first_booking\""),
        expect![[
            r#"my-rules.toml:15:8: expected first_qualifying_offer or first_attended, found "first_booking""#
        ]],
    );
    check_rules(
        &with_standard("limit = \"5bd\"\neffective_from = \"2022-13-01\""),
        expect![[r#"my-rules.toml:15:18: expected a date such as 2022-07-01, found "2022-13-01""#]],
    );
    check_rules(
        &with_standard("limit = \"5bd\"\ncolour = \"red\""),
        expect![
            "my-rules.toml:15:1: unknown field `colour`, expected one of `id`, `name`, `source`, `urgency`, `provider_types`, `visits`, `prior_auth`, `effective_from`, `effective_until`, `clock_start`, `limit`, `calendar`, `stop`, `threshold`, `qualifying_provider_types`, `group_satisfies_individual`, `out_of_network_qualifies`"
        ],
    );
    check_rules(
        &with_standard("limit = \"5bd\"\nthreshold = 1.5"),
        expect!["my-rules.toml:15:13: expected a rate from 0 to 1, found 1.5"],
    );
    check_rules(
        &with_standard(
            "limit = \"5bd\"\n\n[[standard]]\nid = \"s1\"\nname = \"T\"\nsource = \"R\"\nlimit = \"2d\"",
        ),
        expect![[r#"my-rules.toml:17:6: standard "s1" appears twice"#]],
    );
    check_rules(&with_standard("name = \"again\""), expect!["my-rules.toml:14:1: duplicate key"]);
    check_rules(
        &HEADER.replace("America/Los_Angeles", "Pacific"),
        expect![[
            r#"my-rules.toml:6:13: field `time_zone`: expected an IANA time zone name such as America/Los_Angeles, found "Pacific""#
        ]],
    );
    check_rules(HEADER, expect!["my-rules.toml:1:1: a rule set needs at least one [[standard]]"]);
    check_rules(
        "id = \"x\"\nname = ",
        expect!["my-rules.toml:2:8: string values must be quoted, expected literal string"],
    );
}

#[test]
fn day_counted_limits() {
    for (text, day_counted) in [("48h", false), ("10bd", true), ("7d", true), ("6w", true)] {
        let limit = crate::Limit::parse(text).unwrap();
        assert_eq!(limit.is_day_counted(), day_counted, "{text}");
    }
}

#[test]
fn every_shipped_rule_set_parses() {
    for (id, text) in crate::SHIPPED {
        let rule_set = RuleSet::parse(text, id).unwrap();
        assert_eq!(rule_set.id, *id);
        assert!(!rule_set.standards.is_empty());
        for standard in &rule_set.standards {
            assert!(standard.source.len() > 10, "{id}/{}: cite the source", standard.id);
        }
    }
}

mod properties {
    //! The evaluator's laws, on random request histories.

    use events::{Event, Field};
    use jiff::Timestamp;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    use super::event;
    use crate::{RuleSet, assemble, evaluate};

    /// Seconds from 2024-01-01T00:00:00Z.
    fn at(seconds: i64) -> String {
        let moment = Timestamp::from_second(1_704_067_200 + seconds).unwrap();
        events::Instant::new(moment, jiff::tz::Offset::from_hours(-8).unwrap()).to_string()
    }

    const DAY: i64 = 86_400;

    #[derive(Debug, Clone)]
    enum Step {
        Offer { made: i64, lead: i64, group: bool, psychiatrist: bool, oon: bool },
        Decline { offer: usize },
        Triage,
        Extension { made: i64, days: i64 },
        Close { after: i64, reason: usize },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..30 * DAY, -DAY..40 * DAY, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
                |(made, lead, group, psychiatrist, oon)| Step::Offer { made, lead, group, psychiatrist, oon }
            ),
            1 => (0..4usize).prop_map(|offer| Step::Decline { offer }),
            1 => Just(Step::Triage),
            1 => (0..20 * DAY, 1..40i64).prop_map(|(made, days)| Step::Extension { made, days }),
            1 => (0..40 * DAY, 0..4usize).prop_map(|(after, reason)| Step::Close { after, reason }),
        ]
    }

    #[derive(Debug, Clone)]
    struct Scenario {
        opened: i64,
        urgent: bool,
        provider: usize,
        follow_up: bool,
        format: usize,
        steps: Vec<Step>,
        as_of: i64,
    }

    fn scenario() -> impl Strategy<Value = Scenario> {
        (
            0..300 * DAY,
            any::<bool>(),
            0..3usize,
            any::<bool>(),
            0..3usize,
            proptest::collection::vec(step(), 0..8),
            0..60 * DAY,
        )
            .prop_map(|(opened, urgent, provider, follow_up, format, steps, as_of)| {
                Scenario { opened, urgent, provider, follow_up, format, steps, as_of }
            })
    }

    fn build(s: &Scenario) -> Vec<Event> {
        build_with(s, &|_, extended_to| at(extended_to))
    }

    /// [`build`], with the `extended_to` of the `k`th extension written by
    /// `extended_to(k, seconds from 2024-01-01T00:00:00Z)`.
    fn build_with(s: &Scenario, extended_to: &dyn Fn(usize, i64) -> String) -> Vec<Event> {
        let providers = ["non_physician_mh", "psychiatrist", "sud"];
        let formats = ["individual", "group", "any"];
        let mut out = vec![event(&[
            (Field::EventId, "e0"),
            (Field::Type, "request.opened"),
            (Field::OccurredAt, &at(s.opened)),
            (Field::RequestId, "r1"),
            (Field::PatientId, "p1"),
            (Field::Clinic, "c1"),
            (Field::Urgency, if s.urgent { "urgent" } else { "routine" }),
            (Field::ProviderType, providers[s.provider]),
            (Field::Visit, if s.follow_up { "follow_up" } else { "initial" }),
            (Field::RequestedFormat, formats[s.format]),
            (Field::PriorAppointmentAt, &at(s.opened - DAY)),
        ])];
        let mut n_offers = 0;
        let mut n_extensions = 0;
        for (idx, step) in s.steps.iter().enumerate() {
            let id = format!("e{}", idx + 1);
            let base = [(Field::EventId, id.as_str()), (Field::RequestId, "r1")];
            let mut fields: Vec<(Field, String)> = Vec::new();
            match step {
                Step::Offer { made, lead, group, psychiatrist, oon } => {
                    n_offers += 1;
                    fields.extend([
                        (Field::Type, "offer.made".to_owned()),
                        (Field::OccurredAt, at(s.opened + made)),
                        (Field::OfferId, format!("o{n_offers}")),
                        (Field::AppointmentAt, at(s.opened + made + lead)),
                        (Field::ClinicianId, "d1".to_owned()),
                        (
                            Field::ProviderType,
                            if *psychiatrist { "psychiatrist" } else { providers[s.provider] }
                                .to_owned(),
                        ),
                        (Field::Format, if *group { "group" } else { "individual" }.to_owned()),
                        (Field::Modality, "video".to_owned()),
                        (Field::InNetwork, (!oon).to_string()),
                    ]);
                }
                Step::Decline { offer } if *offer < n_offers => fields.extend([
                    (Field::Type, "offer.declined".to_owned()),
                    (Field::OccurredAt, at(s.opened + 31 * DAY)),
                    (Field::OfferId, format!("o{}", offer + 1)),
                    (Field::Reason, "patient_preference".to_owned()),
                ]),
                Step::Decline { .. } => continue,
                Step::Triage => fields.extend([
                    (Field::Type, "request.triaged".to_owned()),
                    (Field::OccurredAt, at(s.opened + DAY)),
                    (Field::Urgency, "urgent".to_owned()),
                ]),
                Step::Extension { made, days } => {
                    n_extensions += 1;
                    fields.extend([
                        (Field::Type, "extension.documented".to_owned()),
                        (Field::OccurredAt, at(s.opened + made)),
                        (Field::ClinicianId, "d1".to_owned()),
                        (Field::ExtendedTo, extended_to(n_extensions - 1, s.opened + days * DAY)),
                        (Field::Reason, "stable".to_owned()),
                    ]);
                }
                Step::Close { after, reason } => fields.extend([
                    (Field::Type, "request.closed".to_owned()),
                    (Field::OccurredAt, at(s.opened + after)),
                    (
                        Field::Reason,
                        ["served", "withdrawn", "unreachable", "declined_care"][*reason].to_owned(),
                    ),
                ]),
            }
            let mut all: Vec<(Field, &str)> = base.to_vec();
            all.extend(fields.iter().map(|(f, v)| (*f, v.as_str())));
            out.push(event(&all));
        }
        out
    }

    fn verdicts(events: &[Event], rule_set: &RuleSet, as_of: i64) -> Vec<String> {
        let tz = TimeZone::get("America/Los_Angeles").unwrap();
        let as_of = Timestamp::from_second(1_704_067_200 + as_of).unwrap();
        let mut out = Vec::new();
        for history in assemble(events) {
            let (mut verdicts, mut problems) = (Vec::new(), Vec::new());
            evaluate(&history, rule_set, &tz, as_of, &mut verdicts, &mut problems);
            out.extend(verdicts.iter().map(|v| {
                format!(
                    "{} {} {} {} {:?} {}",
                    v.standard.id, v.outcome, v.clock_start, v.deadline, v.stop_at, v.reasons
                )
            }));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

        #[test]
        fn verdicts_do_not_depend_on_event_order(s in scenario(), seed in any::<u64>()) {
            let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
            let events = build(&s);
            let mut shuffled = events.clone();
            // A fixed permutation from the seed.
            let n = shuffled.len();
            for idx in (1..n).rev() {
                let j = (seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(idx as u64) % (idx as u64 + 1)) as usize;
                shuffled.swap(idx, j);
            }
            prop_assert_eq!(verdicts(&events, &rule_set, s.opened + s.as_of), verdicts(&shuffled, &rule_set, s.opened + s.as_of));
        }

        #[test]
        fn adding_an_offer_never_undoes_met(s in scenario(), made in 0..30 * DAY, lead in 0..40 * DAY) {
            let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
            let events = build(&s);
            let before = verdicts(&events, &rule_set, s.opened + s.as_of);
            let mut more = events.clone();
            more.push(event(&[
                (Field::EventId, "extra"),
                (Field::Type, "offer.made"),
                (Field::OccurredAt, &at(s.opened + made)),
                (Field::RequestId, "r1"),
                (Field::OfferId, "extra"),
                (Field::AppointmentAt, &at(s.opened + made + lead)),
                (Field::ClinicianId, "d2"),
                (Field::ProviderType, "psychiatrist"),
                (Field::Format, "individual"),
                (Field::Modality, "phone"),
            ]));
            let after = verdicts(&more, &rule_set, s.opened + s.as_of);
            prop_assert_eq!(before.len(), after.len());
            for (b, a) in before.iter().zip(&after) {
                if b.split(' ').nth(1) == Some("met") {
                    prop_assert_eq!(a.split(' ').nth(1), Some("met"), "{} became {}", b, a);
                }
            }
        }

        #[test]
        fn a_later_as_of_never_undoes_met_or_excluded(s in scenario(), later in 0..60 * DAY) {
            let rule_set = RuleSet::shipped("ca-dmhc").unwrap();
            let events = build(&s);
            let now = verdicts(&events, &rule_set, s.opened + s.as_of);
            let then = verdicts(&events, &rule_set, s.opened + s.as_of + later);
            for (n, t) in now.iter().zip(&then) {
                let outcome = n.split(' ').nth(1);
                if matches!(outcome, Some("met" | "excluded" | "missed")) {
                    prop_assert_eq!(n, t);
                }
            }
        }

        #[test]
        fn day_counted_verdicts_do_not_depend_on_the_time_of_day_extended_to(
            s in scenario(),
            extension in (0..20 * DAY, 1..40i64),
            times in proptest::collection::vec((0..DAY, 0usize..3), 9),
            which in 0usize..3,
        ) {
            // Day-counted standards only: ca-dmhc's business days, the same
            // standards counted in calendar days, and NHS weeks.
            let mut rule_set = RuleSet::shipped(["ca-dmhc", "ca-dmhc", "nhs-talking-therapies"][which]).unwrap();
            for standard in &mut rule_set.standards {
                if which == 1 {
                    standard.limit = match standard.limit {
                        crate::Limit::Hours(h) => crate::Limit::Days(h / 24),
                        crate::Limit::BusinessDays(n) => crate::Limit::Days(n),
                        other => other,
                    };
                }
            }
            rule_set.standards.retain(|standard| standard.limit.is_day_counted());
            prop_assert!(!rule_set.standards.is_empty());
            // At least one extension.
            let mut s = s;
            s.steps.push(Step::Extension { made: extension.0, days: extension.1 });
            let events = build(&s);
            // The same local dates in the clinic's zone (Los Angeles), at
            // other times of day, written with other offsets.
            let tz = TimeZone::get("America/Los_Angeles").unwrap();
            let moved = build_with(&s, &|k, seconds| {
                let original = Timestamp::from_second(1_704_067_200 + seconds).unwrap();
                let (time_of_day, offset) = times[k % times.len()];
                let midnight = tz.to_datetime(original).date().to_datetime(jiff::civil::Time::midnight());
                let local = midnight.checked_add(jiff::SignedDuration::from_secs(time_of_day)).unwrap();
                let moment = tz.to_ambiguous_timestamp(local).compatible().unwrap();
                // Midnight and 23:59:59 always exist there: the same date.
                assert_eq!(tz.to_datetime(moment).date(), midnight.date());
                let india = jiff::tz::Offset::from_seconds(19_800).unwrap();
                let offset = [tz.to_offset(moment), jiff::tz::Offset::UTC, india][offset];
                events::Instant::new(moment, offset).to_string()
            });
            prop_assert_eq!(verdicts(&events, &rule_set, s.opened + s.as_of), verdicts(&moved, &rule_set, s.opened + s.as_of));
        }

        #[test]
        fn a_longer_limit_never_gives_an_earlier_deadline(
            start in 0..(70 * 365 * DAY),
            n in 1u32..60,
            extra in 1u32..30,
            unit in 0usize..4,
            calendar_idx in 0usize..3,
            zone in 0usize..3,
        ) {
            let mut rule_set = RuleSet::shipped("ca-dmhc").unwrap();
            let tz = TimeZone::get(["America/Los_Angeles", "Europe/London", "Pacific/Auckland"][zone]).unwrap();
            let start = Timestamp::from_second(631_152_000 + start).unwrap();
            let mut standard = rule_set.standards.remove(0);
            standard.calendar = calendar::get(calendar::IDS[calendar_idx]).unwrap();
            let limit = |n: u32| match unit {
                0 => crate::Limit::Hours(n),
                1 => crate::Limit::BusinessDays(n),
                2 => crate::Limit::Days(n),
                _ => crate::Limit::Weeks(n),
            };
            standard.limit = limit(n);
            let shorter = crate::evaluate::deadline(&standard, start, &tz);
            standard.limit = limit(n + extra);
            let longer = crate::evaluate::deadline(&standard, start, &tz);
            if let (Ok(shorter), Ok(longer)) = (shorter, longer) {
                prop_assert!(shorter < longer);
                prop_assert!(shorter >= start);
            }
        }
    }
}

#[test]
fn plan_files_map_networks_to_rule_sets() {
    let plan = crate::PlanFile::parse(
        "name = \"Golden State (synthetic)\"\ndefault_rules = \"ca-dmhc\"\n[[network]]\nid = \"east\"\nrules = \"us-qhp\"\n",
        "plan.toml",
    )
    .unwrap();
    assert_eq!(plan.rules_of("east"), "us-qhp");
    assert_eq!(plan.rules_of("bay-area"), "ca-dmhc");
    assert_eq!(plan.rule_sets(), ["ca-dmhc", "us-qhp"]);
    let error = |text: &str| crate::PlanFile::parse(text, "plan.toml").unwrap_err().to_string();
    expect_test::expect![[r#"
        plan.toml:1:1: missing field `default_rules`
        plan.toml:7:6: network "a" is named twice
        plan.toml:3:1: unknown field `networks`, expected one of `name`, `default_rules`, `network`"#]].assert_eq(&[
        error("name = \"x\"\n"),
        error("name = \"x\"\ndefault_rules = \"ca-dmhc\"\n[[network]]\nid = \"a\"\nrules = \"us-qhp\"\n[[network]]\nid = \"a\"\nrules = \"ca-dmhc\"\n"),
        error("name = \"x\"\ndefault_rules = \"ca-dmhc\"\nnetworks = 3\n"),
    ].join("\n"));
}
