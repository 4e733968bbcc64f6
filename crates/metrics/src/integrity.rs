//! Integrity checks: the patterns that have hidden waits before, each with a
//! documented threshold and the events involved.

use foldhash::HashMap;

use events::{Body, CloseReason, EventType};
use jiff::Timestamp;

use crate::Entry;
use crate::access::TnaRow;

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The check's id, such as `late_entry`.
    pub check: &'static str,
    /// What it looks for, with its threshold.
    pub description: &'static str,
    /// The events involved (event ids).
    pub events: Vec<String>,
}

/// Entry later than this after the event is late (request openings).
pub(crate) const LATE_OPENING_SECONDS: i64 = 24 * 3600;
/// Entry later than this after the event is late (other events).
pub(crate) const LATE_OTHER_SECONDS: i64 = 3 * 24 * 3600;
/// A first offer this soon after the request looks like a clock started at
/// booking...
pub(crate) const BOOKED_AT_REQUEST_SECONDS: i64 = 15 * 60;
/// ...for an appointment this soon...
pub(crate) const BOOKED_AT_REQUEST_APPOINTMENT_SECONDS: i64 = 3 * 24 * 3600;
/// ...when the clinic's third next available appointment was this far away.
pub(crate) const BOOKED_AT_REQUEST_TNA_DAYS: i32 = 14;
/// A new request this soon after a closure of the same patient's request
/// for the same clinic and provider type looks like a clock reset.
pub(crate) const RESET_SECONDS: i64 = 7 * 24 * 3600;

/// A request's opening, as the checks need it.
struct Opened<'e> {
    clinic: &'e str,
    provider: &'e str,
    patient: &'e str,
    at: Timestamp,
    event_id: &'e str,
}

/// The extension events recorded after the deadline they meant to extend,
/// found by the evaluator.
pub(crate) type LateExtensions = Vec<String>;

pub(crate) fn integrity(
    entries: &[Entry],
    tna: &[TnaRow],
    late_extensions: LateExtensions,
    chain: Option<&str>,
    zone: &dyn Fn(&str) -> jiff::tz::TimeZone,
) -> Vec<Finding> {
    let live = || entries.iter().filter(|e| e.voided_by.is_none());
    let mut late = Vec::new();
    let mut past_time = Vec::new();
    let mut never_published = Vec::new();
    let mut already_taken = Vec::new();
    let mut voided = Vec::new();
    let mut slots: HashMap<&str, (u32, Option<Timestamp>)> = HashMap::default();
    let mut taken: HashMap<&str, u32> = HashMap::default();
    let mut appointment_slot: HashMap<&str, &str> = HashMap::default();
    for entry in live() {
        let event = &entry.event;
        let at = event.occurred_at.timestamp();
        let entered = event.entered_at.map_or(entry.recorded_at, |e| e.timestamp());
        let limit = if event.event_type() == EventType::RequestOpened {
            LATE_OPENING_SECONDS
        } else {
            LATE_OTHER_SECONDS
        };
        if (entered - at).as_secs() > limit {
            late.push(event.event_id.to_string());
        }
        match &event.body {
            Body::SlotPublished(s) => {
                slots.insert(s.slot_id.as_str(), (s.capacity.get(), None));
            }
            Body::SlotWithdrawn(w) => {
                if let Some(slot) = slots.get_mut(w.slot_id.as_str()) {
                    slot.1.get_or_insert(at);
                }
            }
            Body::OfferMade(o) => {
                if o.appointment_at.timestamp() < at {
                    past_time.push(event.event_id.to_string());
                }
                if let Some(slot_id) = &o.slot_id {
                    match slots.get(slot_id.as_str()) {
                        None => never_published.push(event.event_id.to_string()),
                        Some((capacity, withdrawn)) => {
                            let full =
                                taken.get(slot_id.as_str()).copied().unwrap_or(0) >= *capacity;
                            if full || withdrawn.is_some_and(|w| w <= at) {
                                already_taken.push(event.event_id.to_string());
                            }
                        }
                    }
                }
            }
            Body::AppointmentBooked(b) => {
                if let Some(slot_id) = &b.slot_id {
                    match slots.get(slot_id.as_str()) {
                        None => never_published.push(event.event_id.to_string()),
                        Some((capacity, withdrawn)) => {
                            let count = taken.entry(slot_id.as_str()).or_default();
                            if *count >= *capacity || withdrawn.is_some_and(|w| w <= at) {
                                already_taken.push(event.event_id.to_string());
                            }
                            *count += 1;
                        }
                    }
                    appointment_slot.insert(b.appointment_id.as_str(), slot_id.as_str());
                }
            }
            Body::AppointmentCancelled(c) => {
                if let Some(slot) = appointment_slot.get(c.appointment_id.as_str())
                    && let Some(count) = taken.get_mut(slot)
                {
                    *count = count.saturating_sub(1);
                }
            }
            _ => {}
        }
    }
    for entry in entries {
        if entry.voided_by.is_some() {
            voided.push(entry.event.event_id.to_string());
        }
    }

    // Requests opened minutes before their first offer where the clinic had
    // no slot for weeks, and closures followed by a new request.
    let tna_of: HashMap<(&str, &str, jiff::civil::Date), Option<i32>> = tna
        .iter()
        .map(|r| ((r.clinic.as_str(), r.provider_type.as_str(), r.date), r.days))
        .collect();
    let mut opened: HashMap<&str, Opened<'_>> = HashMap::default();
    let mut first_offer: HashMap<&str, (Timestamp, Timestamp)> = HashMap::default();
    let mut closures: HashMap<(&str, &str, &str), Vec<Timestamp>> = HashMap::default();
    for entry in live() {
        let event = &entry.event;
        let at = event.occurred_at.timestamp();
        match &event.body {
            Body::RequestOpened(r) => {
                opened.insert(
                    r.request_id.as_str(),
                    Opened {
                        clinic: r.clinic.as_str(),
                        provider: r.provider_type.as_str(),
                        patient: r.patient_id.as_str(),
                        at,
                        event_id: event.event_id.as_str(),
                    },
                );
            }
            Body::OfferMade(o) => {
                let offer = (at, o.appointment_at.timestamp());
                first_offer
                    .entry(o.request_id.as_str())
                    .and_modify(|t| *t = (*t).min(offer))
                    .or_insert(offer);
            }
            Body::RequestClosed(c) if c.reason != CloseReason::Served => {
                if let Some(o) = opened.get(c.request_id.as_str()) {
                    closures.entry((o.clinic, o.provider, o.patient)).or_default().push(at);
                }
            }
            _ => {}
        }
    }
    let mut booked_at_request = Vec::new();
    let mut resets = Vec::new();
    let mut requests: Vec<(&str, &Opened<'_>)> = opened.iter().map(|(k, v)| (*k, v)).collect();
    requests.sort_by_key(|(_, o)| (o.at, o.event_id));
    for (request_id, o) in requests {
        if let Some((offer, appointment)) = first_offer.get(request_id)
            && (*offer - o.at).as_secs() <= BOOKED_AT_REQUEST_SECONDS
            && (*appointment - *offer).as_secs() <= BOOKED_AT_REQUEST_APPOINTMENT_SECONDS
        {
            let date = zone(o.clinic).to_datetime(o.at).date();
            let far = tna_of.get(&(o.clinic, o.provider, date)).copied().flatten();
            if far.is_some_and(|d| d > BOOKED_AT_REQUEST_TNA_DAYS) {
                booked_at_request.push(o.event_id.to_owned());
            }
        }
        let reset = closures.get(&(o.clinic, o.provider, o.patient)).is_some_and(|times| {
            times
                .iter()
                .any(|closed| *closed <= o.at && (o.at - *closed).as_secs() <= RESET_SECONDS)
        });
        if reset {
            resets.push(o.event_id.to_owned());
        }
    }
    let chain_problem: Vec<String> = chain.map(|c| vec![c.to_owned()]).unwrap_or_default();
    vec![
        Finding {
            check: "late_entry",
            description: "events entered (entered_at, or recorded_at when the source gives none) more than 1 day after they occurred for request.opened, 3 days for other events",
            events: late,
        },
        Finding {
            check: "offer_for_past_time",
            description: "offers for an appointment earlier than the moment the offer was made",
            events: past_time,
        },
        Finding {
            check: "slot_never_published",
            description: "offers and bookings of a slot_id never published",
            events: never_published,
        },
        Finding {
            check: "slot_already_taken",
            description: "offers and bookings of a slot already withdrawn or with every place booked",
            events: already_taken,
        },
        Finding {
            check: "opened_at_booking",
            description: "requests whose first offer, made within 15 minutes, was for an appointment within 3 days although the clinic's third next available appointment for the provider type was more than 14 days away (the clock may have started when a slot came free)",
            events: booked_at_request,
        },
        Finding {
            check: "clock_reset",
            description: "requests opened within 7 days after the same patient's request for the same clinic and provider type was closed other than as served",
            events: resets,
        },
        Finding {
            check: "extension_after_deadline",
            description: "clinical extensions recorded after the deadline they would extend (they do not count)",
            events: late_extensions,
        },
        Finding {
            check: "voided_events",
            description: "events voided by a later event (kept, and counted for nothing)",
            events: voided,
        },
        Finding {
            check: "ledger_chain",
            description: "a break in the ledger's hash chain (carequeue verify)",
            events: chain_problem,
        },
    ]
}
