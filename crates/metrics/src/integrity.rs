//! Integrity checks: the patterns that have hidden waits before, each with a
//! documented threshold and the events involved.

use foldhash::HashMap;

use events::{Body, CloseReason, Event};
use jiff::Timestamp;

use crate::scan::Shared;

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The check's id, such as `late_entry`.
    pub check: &'static str,
    /// What it looks for, with its threshold.
    pub description: &'static str,
    /// The events involved (event ids).
    pub events: EventIds,
}

/// A list of event ids, compactly: their texts end to end and where each
/// ends (a few bytes an id rather than a heap string each; a backfilled
/// ledger can have every event entered late).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EventIds {
    text: String,
    ends: Vec<usize>,
}

impl EventIds {
    /// Appends an id.
    pub fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    /// The number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The ids, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter()).map(|(start, &end)| &self.text[start..end])
    }
}

impl std::fmt::Debug for EventIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> FromIterator<&'a str> for EventIds {
    fn from_iter<I: IntoIterator<Item = &'a str>>(ids: I) -> EventIds {
        let mut out = EventIds::default();
        for id in ids {
            out.push(id);
        }
        out
    }
}

/// An event whose `occurred_at` or `entered_at` is later than this after
/// its `recorded_at` was recorded before it happened (the ledger's
/// `FUTURE_TOLERANCE`, which refuses such events at ingest).
pub(crate) const FUTURE: jiff::SignedDuration = jiff::SignedDuration::from_secs(5 * 60);

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

/// The extension events recorded after the deadline they meant to extend,
/// found by the evaluator.
pub(crate) type LateExtensions = Vec<String>;

/// The findings made event by event, in ledger order, by [`crate::Scan`].
#[derive(Debug, Default)]
pub(crate) struct Checks {
    pub(crate) late: EventIds,
    pub(crate) backfilled: EventIds,
    pub(crate) before_occurring: EventIds,
    pub(crate) past_time: EventIds,
    pub(crate) never_published: EventIds,
    pub(crate) already_taken: EventIds,
    pub(crate) voided: EventIds,
}

/// A request's opening, as the checks need it.
struct Opened<'e> {
    clinic: &'e str,
    provider: &'e str,
    patient: &'e str,
    at: Timestamp,
    event_id: &'e str,
}

/// The findings about requests' openings of one part: each with the
/// opening's time, for the order of the merged list.
#[derive(Debug, Default)]
pub(crate) struct OpenedChecks {
    booked_at_request: Vec<(Timestamp, String)>,
    resets: Vec<(Timestamp, String)>,
}

impl OpenedChecks {
    /// Adds another part's findings.
    pub(crate) fn merge(&mut self, other: OpenedChecks) {
        self.booked_at_request.extend(other.booked_at_request);
        self.resets.extend(other.resets);
    }
}

/// Requests opened minutes before their first offer where the clinic had no
/// slot for weeks, and closures followed by a new request, among the live
/// events of some patients.
pub(crate) fn opened_checks(events: &[&Event], shared: &Shared) -> OpenedChecks {
    let tna_of: HashMap<(&str, &str, jiff::civil::Date), Option<i32>> = shared
        .third_next_available()
        .iter()
        .map(|r| ((r.clinic.as_str(), r.provider_type.as_str(), r.date), r.days))
        .collect();
    let mut opened: HashMap<&str, Opened<'_>> = crate::access::sized(events.len() / 4);
    let mut first_offer: HashMap<&str, (Timestamp, Timestamp)> =
        crate::access::sized(events.len() / 4);
    let mut closures: HashMap<(&str, &str, &str), Vec<Timestamp>> = HashMap::default();
    for event in events {
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
    let mut out = OpenedChecks::default();
    for (request_id, o) in &opened {
        if let Some((offer, appointment)) = first_offer.get(request_id)
            && (*offer - o.at).as_secs() <= BOOKED_AT_REQUEST_SECONDS
            && (*appointment - *offer).as_secs() <= BOOKED_AT_REQUEST_APPOINTMENT_SECONDS
        {
            let date = shared.zone(o.clinic).to_datetime(o.at).date();
            let far = tna_of.get(&(o.clinic, o.provider, date)).copied().flatten();
            if far.is_some_and(|d| d > BOOKED_AT_REQUEST_TNA_DAYS) {
                out.booked_at_request.push((o.at, o.event_id.to_owned()));
            }
        }
        let reset = closures.get(&(o.clinic, o.provider, o.patient)).is_some_and(|times| {
            times
                .iter()
                .any(|closed| *closed <= o.at && (o.at - *closed).as_secs() <= RESET_SECONDS)
        });
        if reset {
            out.resets.push((o.at, o.event_id.to_owned()));
        }
    }
    out
}

/// Every check's findings: those made in ledger order, those about
/// openings (ordered by the opening's time, then event id), the extensions
/// recorded late and the chain's break.
pub(crate) fn findings(
    checks: Checks,
    opened: OpenedChecks,
    late_extensions: LateExtensions,
    unjudged: Vec<String>,
    chain: Option<&str>,
) -> Vec<Finding> {
    let Checks {
        late,
        backfilled,
        before_occurring,
        past_time,
        never_published,
        already_taken,
        voided,
    } = checks;
    let in_order = |mut found: Vec<(Timestamp, String)>| {
        found.sort();
        found.iter().map(|(_, id)| id.as_str()).collect::<EventIds>()
    };
    let booked_at_request = in_order(opened.booked_at_request);
    let resets = in_order(opened.resets);
    let chain_problem: EventIds = chain.into_iter().collect();
    vec![
        Finding {
            check: "late_entry",
            description: "events entered (entered_at, or recorded_at when the source gives none, except for history loaded by ingest --backfill) more than 1 day after they occurred for request.opened, 3 days for other events",
            events: late,
        },
        Finding {
            check: "late_entry_unknown_backfill",
            description: "events of backfill batches (history loaded after the fact, ingest --backfill) that occurred before the ledger's first live event was recorded, give no entered_at and were recorded later than late_entry allows: when they were entered at their source is unknown, so they are not counted as late; give entered_at to check them",
            events: backfilled,
        },
        Finding {
            check: "recorded_before_occurring",
            description: "events whose occurred_at or entered_at lies more than 5 minutes after the moment the ledger recorded them: they had not happened yet (ingest refuses them; an older ledger may hold some), and they change verdicts as of moments before they happened",
            events: before_occurring,
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
            events: late_extensions.iter().map(String::as_str).collect(),
        },
        Finding {
            check: "unjudged",
            description: "requests a standard applies to that cannot be judged under it, each as its opening event with the standard and the reason (counted in the compliance table's unjudged column, never dropped)",
            events: unjudged.iter().map(String::as_str).collect(),
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
