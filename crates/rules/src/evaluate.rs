//! The evaluator: per request and standard, the clock, the deadline, what
//! stopped it and the verdict, with the semantics of docs/rules.md.
//! Every judgement call is written in `docs/rules.md`.

use std::fmt;

use events::{Body, CloseReason, DeclineReason, Event, Format, Instant, RequestedFormat, Urgency};
use jiff::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;

use crate::history::History;
use crate::ruleset::{ClockStart, Limit, RuleSet, Standard, Stop};

/// The verdict of one request under one standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// A qualifying offer (or, for NHS standards, an attended treatment) by
    /// the deadline.
    Met,
    /// The deadline passed without one, and the request was offered
    /// something or closed.
    Missed,
    /// The deadline has not passed yet.
    OpenWithin,
    /// The deadline passed; never offered anything; still open.
    OpenOverdue,
    /// Closed as withdrawn, unreachable or declined care by the deadline.
    Excluded,
}

impl Outcome {
    /// The verdict as written in reports: `met`, `missed`, `open_within`,
    /// `open_overdue`, `excluded`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::Missed => "missed",
            Outcome::OpenWithin => "open_within",
            Outcome::OpenOverdue => "open_overdue",
            Outcome::Excluded => "excluded",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! reasons {
    ($($(#[$doc:meta])* $name:ident = $bit:expr, $text:literal;)*) => {
        /// Why a verdict is what it is: a set of reasons.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct Reasons(u32);

        impl Reasons {
            $($(#[$doc])* pub const $name: Reasons = Reasons(1 << $bit);)*

            const ALL: &'static [(Reasons, &'static str)] = &[$((Reasons::$name, $text),)*];

            /// Whether every reason of `other` is in `self`.
            pub fn contains(self, other: Reasons) -> bool {
                self.0 & other.0 == other.0
            }

            /// Adds the reasons of `other`.
            pub fn insert(&mut self, other: Reasons) {
                self.0 |= other.0;
            }

            /// Whether there is no reason.
            pub fn is_empty(self) -> bool {
                self.0 == 0
            }
        }

        impl fmt::Display for Reasons {
            /// Writes the reasons' names joined by `;`, in a fixed order.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut first = true;
                for (reason, text) in Reasons::ALL {
                    if self.contains(*reason) {
                        if !first {
                            f.write_str(";")?;
                        }
                        f.write_str(text)?;
                        first = false;
                    }
                }
                Ok(())
            }
        }
    };
}

reasons! {
    /// The qualifying offer was declined for patient preference: still met.
    PATIENT_PREFERENCE = 0, "patient_preference";
    /// The qualifying offer was declined for another reason: still met.
    DECLINED = 1, "declined_offer";
    /// A clinical extension moved the deadline.
    EXTENSION = 2, "extension";
    /// An extension recorded after the deadline was ignored.
    LATE_EXTENSION = 3, "extension_after_deadline";
    /// The stopping offer was out of network.
    OUT_OF_NETWORK = 4, "out_of_network";
    /// Group care was offered for a request for individual care.
    GROUP_FOR_INDIVIDUAL = 5, "group_offered_for_individual";
    /// An offer for a time already past when made was ignored.
    OFFER_FOR_PAST_TIME = 6, "offer_for_past_time";
    /// Closed as withdrawn by the deadline.
    WITHDRAWN = 7, "withdrawn";
    /// Closed as unreachable by the deadline.
    UNREACHABLE = 8, "unreachable";
    /// Closed as declined care by the deadline.
    DECLINED_CARE = 9, "declined_care";
    /// A follow-up without a known prior appointment: the clock starts at the
    /// request instead.
    PRIOR_APPOINTMENT_UNKNOWN = 10, "prior_appointment_unknown";
    /// Triaged to urgent after opening: the urgent clock starts at triage.
    RETRIAGED = 11, "retriaged_urgent";
    /// A referral out of network was recorded.
    OUT_OF_NETWORK_REFERRAL = 12, "out_of_network_referral";
    /// Nothing was offered.
    NOT_OFFERED = 13, "not_offered";
}

/// The verdict of one request under one standard.
#[derive(Debug, Clone)]
pub struct Verdict<'r, 'e> {
    /// The standard.
    pub standard: &'r Standard,
    /// The verdict.
    pub outcome: Outcome,
    /// Where the clock started, in the clinic's local offset.
    pub clock_start: Instant,
    /// The last moment within the deadline (inclusive), in the clinic's
    /// local offset.
    pub deadline: Instant,
    /// When the clock stopped: the qualifying offer's time, or the first
    /// attended treatment's.
    pub stop_at: Option<Instant>,
    /// The event that stopped it.
    pub stop_event: Option<&'e Event>,
    /// Why.
    pub reasons: Reasons,
    /// The earliest appointment time offered that suits this standard,
    /// whether or not in time: the "earliest date offered" that the
    /// reports' wait measures.
    pub first_offer_at: Option<Instant>,
    /// The booked time of the first attended appointment at or after the
    /// clock start, whether or not in time.
    pub first_attended_at: Option<Instant>,
}

/// A request that could not be judged under a standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The standard.
    pub standard: String,
    /// Why.
    pub message: String,
}

/// What the history says, once, for every standard.
struct Facts<'e> {
    /// The most urgent urgency the request ever had.
    urgency: Urgency,
    /// When it became urgent, if it did after opening.
    urgent_from_triage: Option<Timestamp>,
    opened_at: Timestamp,
    /// The close event, if any.
    closed: Option<(Timestamp, CloseReason)>,
    /// Whether anything was offered, booked or referred.
    offered_anything: bool,
    any_group_for_individual: bool,
    oon_referral: bool,
    offers: Vec<Offer<'e>>,
}

/// Something that can stop a clock: an offer, a booking without one, or an
/// out-of-network referral with an appointment.
#[derive(Clone, Copy)]
struct Offer<'e> {
    event: &'e Event,
    made: Timestamp,
    at: Timestamp,
    provider_type: events::ProviderType,
    format: Format,
    in_network: bool,
    declined: Option<DeclineReason>,
}

fn facts<'e>(history: &History<'e>) -> Facts<'e> {
    let request = history.request;
    let opened_at = history.opened.occurred_at.timestamp();
    let mut urgency = request.urgency;
    let mut urgent_from_triage = None;
    let mut closed = None;
    let mut offers = Vec::new();
    let mut oon_referral = false;
    for event in &history.events {
        let at = event.occurred_at.timestamp();
        match &event.body {
            Body::RequestTriaged(t)
                if t.urgency == Urgency::Urgent && urgency != Urgency::Urgent =>
            {
                urgency = Urgency::Urgent;
                urgent_from_triage = Some(at.max(opened_at));
            }
            Body::RequestClosed(c) if closed.is_none() => closed = Some((at, c.reason)),
            Body::OfferMade(o) => offers.push(Offer {
                event,
                made: at,
                at: o.appointment_at.timestamp(),
                provider_type: o.provider_type,
                format: o.format,
                in_network: o.in_network,
                declined: None,
            }),
            Body::AppointmentBooked(b) if b.offer_id.is_none() => offers.push(Offer {
                event,
                made: at,
                at: b.appointment_at.timestamp(),
                provider_type: request.provider_type,
                format: b.format,
                in_network: true,
                declined: None,
            }),
            Body::ReferralOutOfNetwork(r) => {
                oon_referral = true;
                if let Some(appointment_at) = r.appointment_at {
                    offers.push(Offer {
                        event,
                        made: at,
                        at: appointment_at.timestamp(),
                        provider_type: request.provider_type,
                        format: Format::Individual,
                        in_network: false,
                        declined: None,
                    });
                }
            }
            _ => {}
        }
    }
    for event in &history.events {
        if let Body::OfferDeclined(d) = &event.body {
            for offer in &mut offers {
                if let Body::OfferMade(o) = &offer.event.body
                    && o.offer_id == d.offer_id
                {
                    offer.declined.get_or_insert(d.reason);
                }
            }
        }
    }
    let individual = request.requested_format == RequestedFormat::Individual;
    let any_group_for_individual = individual && offers.iter().any(|o| o.format == Format::Group);
    let offered_anything = !offers.is_empty()
        || oon_referral
        || history.events.iter().any(|e| matches!(e.body, Body::AppointmentBooked(_)));
    Facts {
        urgency,
        urgent_from_triage,
        opened_at,
        closed,
        offered_anything,
        any_group_for_individual,
        oon_referral,
        offers,
    }
}

fn local(timestamp: Timestamp, tz: &TimeZone) -> Instant {
    Instant::new(timestamp, tz.to_offset(timestamp))
}

/// The last instant of a local date.
fn end_of_day(date: jiff::civil::Date, tz: &TimeZone) -> Option<Timestamp> {
    let next = date.tomorrow().ok()?;
    let start = tz.to_ambiguous_timestamp(next.to_datetime(Time::midnight())).compatible().ok()?;
    start.checked_sub(jiff::SignedDuration::from_nanos(1)).ok()
}

/// The last instant within `limit` of `start`.
pub(crate) fn deadline(
    standard: &Standard,
    start: Timestamp,
    tz: &TimeZone,
) -> Result<Timestamp, String> {
    let local_date = tz.to_datetime(start).date();
    let days = |n: u32| {
        local_date
            .checked_add(jiff::Span::new().days(i64::from(n)))
            .map_err(|err| err.to_string())
            .and_then(|date| end_of_day(date, tz).ok_or_else(|| "no such local day".to_owned()))
    };
    match standard.limit {
        Limit::Hours(h) => start
            .checked_add(jiff::SignedDuration::from_hours(i64::from(h)))
            .map_err(|err| err.to_string()),
        Limit::BusinessDays(n) => {
            let last = standard
                .calendar
                .add_business_days(local_date, n)
                .map_err(|err| err.to_string())?;
            end_of_day(last, tz).ok_or_else(|| "no such local day".to_owned())
        }
        Limit::Days(n) => days(n),
        Limit::Weeks(w) => days(w * 7),
    }
}

/// The deadline `last` moved by the request's clinical extensions (E1 in
/// `docs/rules.md`), in order of `occurred_at`: each counts when made on or
/// before the deadline as it then stands (for a day-counted standard, the
/// end of that local day), and never brings it earlier. A day-counted
/// standard's deadline is a whole local day, so an extension moves it to the
/// end of `extended_to`'s local date in the clinic's time zone, whatever the
/// time of day written; an hour-counted one moves to the exact instant.
fn extend(
    standard: &Standard,
    history: &History<'_>,
    tz: &TimeZone,
    mut last: Timestamp,
    reasons: &mut Reasons,
) -> Result<Timestamp, String> {
    for event in &history.events {
        let Body::ExtensionDocumented(ext) = &event.body else { continue };
        if event.occurred_at.timestamp() > last {
            reasons.insert(Reasons::LATE_EXTENSION);
            continue;
        }
        let extended_to = ext.extended_to.timestamp();
        let extended_to = if standard.limit.is_day_counted() {
            end_of_day(tz.to_datetime(extended_to).date(), tz)
                .ok_or_else(|| "no such local day".to_owned())?
        } else {
            extended_to
        };
        if extended_to > last {
            last = extended_to;
            reasons.insert(Reasons::EXTENSION);
        }
    }
    Ok(last)
}

/// Judges one request under every standard of the rule set that applies to
/// it, as of `as_of`, with its clinic's time zone `tz`. Verdicts come in the
/// rule set's order; a standard that applies but cannot be judged (a date
/// outside the calendars' years) gives a problem instead.
pub fn evaluate<'r, 'e>(
    history: &History<'e>,
    rule_set: &'r RuleSet,
    tz: &TimeZone,
    as_of: Timestamp,
    out: &mut Vec<Verdict<'r, 'e>>,
    problems: &mut Vec<Problem>,
) {
    let request = history.request;
    let facts = facts(history);
    for standard in &rule_set.standards {
        let applies = &standard.applies;
        if applies.urgency.as_ref().is_some_and(|u| !u.contains(&facts.urgency))
            || applies.provider_types.as_ref().is_some_and(|p| !p.contains(&request.provider_type))
            || applies.visits.as_ref().is_some_and(|v| !v.contains(&request.visit))
            || applies.prior_auth.is_some_and(|p| p != request.prior_auth)
        {
            continue;
        }
        let mut reasons = Reasons::default();
        let start = match standard.clock_start {
            ClockStart::PriorAppointment => match history.prior_appointment_at {
                Some(prior) => prior.timestamp(),
                None => {
                    reasons.insert(Reasons::PRIOR_APPOINTMENT_UNKNOWN);
                    facts.opened_at
                }
            },
            ClockStart::Request => {
                let urgent_standard =
                    applies.urgency.as_ref().is_some_and(|u| u.contains(&Urgency::Urgent));
                match facts.urgent_from_triage {
                    Some(triaged) if urgent_standard => {
                        reasons.insert(Reasons::RETRIAGED);
                        triaged
                    }
                    _ => facts.opened_at,
                }
            }
        };
        let start_date = tz.to_datetime(start).date();
        if applies.effective_from.is_some_and(|from| start_date < from)
            || applies.effective_until.is_some_and(|until| start_date > until)
        {
            continue;
        }
        // The deadline, moved by clinical extensions.
        let last = deadline(standard, start, tz)
            .and_then(|last| extend(standard, history, tz, last, &mut reasons));
        let last = match last {
            Ok(last) => last,
            Err(message) => {
                problems.push(Problem { standard: standard.id.clone(), message });
                continue;
            }
        };
        if facts.oon_referral {
            reasons.insert(Reasons::OUT_OF_NETWORK_REFERRAL);
        }
        if facts.any_group_for_individual {
            reasons.insert(Reasons::GROUP_FOR_INDIVIDUAL);
        }
        let (offer_stop, first_offer_at) =
            qualifying_offer(standard, history, &facts, start, last, &mut reasons);
        let attended = first_attended(history, start);
        let stop = match standard.stop {
            Stop::FirstQualifyingOffer => offer_stop,
            Stop::FirstAttended => attended,
        };
        let (outcome, stop_at, stop_event) = match stop {
            Some((at, event)) if at <= last => (Outcome::Met, Some(local(at, tz)), Some(event)),
            found => {
                let stop_at = found.map(|(at, _)| local(at, tz));
                let stop_event = found.map(|(_, event)| event);
                let outcome = match facts.closed {
                    Some((closed_at, reason)) if closed_at <= last && excludes(reason) => {
                        reasons.insert(match reason {
                            CloseReason::Withdrawn => Reasons::WITHDRAWN,
                            CloseReason::Unreachable => Reasons::UNREACHABLE,
                            _ => Reasons::DECLINED_CARE,
                        });
                        Outcome::Excluded
                    }
                    _ if as_of <= last => Outcome::OpenWithin,
                    _ if facts.offered_anything || facts.closed.is_some() => Outcome::Missed,
                    _ => {
                        reasons.insert(Reasons::NOT_OFFERED);
                        Outcome::OpenOverdue
                    }
                };
                (outcome, stop_at, stop_event)
            }
        };
        out.push(Verdict {
            standard,
            outcome,
            clock_start: local(start, tz),
            deadline: local(last, tz),
            stop_at,
            stop_event,
            reasons,
            first_offer_at: first_offer_at.map(|at| local(at, tz)),
            first_attended_at: attended.map(|(at, _)| local(at, tz)),
        });
    }
}

fn excludes(reason: CloseReason) -> bool {
    matches!(reason, CloseReason::Withdrawn | CloseReason::Unreachable | CloseReason::DeclinedCare)
}

/// The first offer that stops the clock: made by the deadline, for an
/// appointment no earlier than the offer and the clock start and no later
/// than the deadline, of a qualifying provider type and format. Also returns
/// the earliest appointment time of the suitable offers seen until then,
/// deadline or not (the wait that the reports measure; all suitable offers
/// are seen when none qualifies).
fn qualifying_offer<'e>(
    standard: &Standard,
    history: &History<'e>,
    facts: &Facts<'e>,
    start: Timestamp,
    last: Timestamp,
    reasons: &mut Reasons,
) -> (Option<(Timestamp, &'e Event)>, Option<Timestamp>) {
    let request = history.request;
    let individual = request.requested_format == RequestedFormat::Individual;
    let qualifying = &standard.qualifying;
    let mut first_suitable = None;
    for offer in &facts.offers {
        if offer.at < offer.made {
            reasons.insert(Reasons::OFFER_FOR_PAST_TIME);
            continue;
        }
        let provider_ok = match &qualifying.provider_types {
            Some(types) => types.contains(&offer.provider_type),
            None => offer.provider_type == request.provider_type,
        };
        let format_ok =
            !(individual && offer.format == Format::Group) || qualifying.group_satisfies_individual;
        let network_ok = offer.in_network || qualifying.out_of_network;
        if !(offer.at >= start && provider_ok && format_ok && network_ok) {
            continue;
        }
        // The wait runs to "the earliest date offered": the earliest
        // appointment time of any suitable offer.
        first_suitable = Some(first_suitable.map_or(offer.at, |t: Timestamp| t.min(offer.at)));
        if offer.made <= last && offer.at <= last {
            match offer.declined {
                Some(DeclineReason::PatientPreference) => {
                    reasons.insert(Reasons::PATIENT_PREFERENCE)
                }
                Some(_) => reasons.insert(Reasons::DECLINED),
                None => {}
            }
            if !offer.in_network {
                reasons.insert(Reasons::OUT_OF_NETWORK);
            }
            return (Some((offer.made, offer.event)), first_suitable);
        }
    }
    (None, first_suitable)
}

/// The first attended appointment at or after the clock start, by its
/// booked time.
fn first_attended<'e>(history: &History<'e>, start: Timestamp) -> Option<(Timestamp, &'e Event)> {
    let mut first: Option<(Timestamp, &'e Event)> = None;
    for event in &history.events {
        let Body::AppointmentAttended(attended) = &event.body else { continue };
        let booked = history.events.iter().find_map(|e| match &e.body {
            Body::AppointmentBooked(b) if b.appointment_id == attended.appointment_id => Some(b),
            _ => None,
        });
        let Some(booked) = booked else { continue };
        let at = booked.appointment_at.timestamp();
        if at >= start && first.is_none_or(|(earliest, _)| at < earliest) {
            first = Some((at, *event));
        }
    }
    first
}
