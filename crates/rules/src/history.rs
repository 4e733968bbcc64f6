//! One request's history, assembled from a stream of events.

use foldhash::HashMap;

use events::{Body, Event, Instant, RequestOpened};

/// One request, as the evaluator sees it: its opening, its other events in
/// time order, and the time of the prior appointment when it is known.
#[derive(Debug, Clone)]
pub struct History<'e> {
    /// The `request.opened` event.
    pub opened: &'e Event,
    /// Its body.
    pub request: &'e RequestOpened,
    /// The request's other events, by `occurred_at` then `event_id`.
    pub events: Vec<&'e Event>,
    /// For a follow-up: `prior_appointment_at`, or the booked time of the
    /// appointment `prior_appointment_id` names, when the ledger holds it.
    pub prior_appointment_at: Option<Instant>,
}

impl<'e> History<'e> {
    /// Builds a history around a `request.opened` event (`None` for any
    /// other); `events` may come in any order.
    pub fn new(
        opened: &'e Event,
        mut events: Vec<&'e Event>,
        prior_appointment_at: Option<Instant>,
    ) -> Option<History<'e>> {
        let Body::RequestOpened(request) = &opened.body else { return None };
        events.sort_by(|a, b| {
            a.occurred_at
                .timestamp()
                .cmp(&b.occurred_at.timestamp())
                .then_with(|| a.event_id.cmp(&b.event_id))
        });
        let prior_appointment_at = request.prior_appointment_at.or(prior_appointment_at);
        Some(History { opened, request, events, prior_appointment_at })
    }
}

/// Groups events by request. Events must already exclude voided ones (and
/// those recorded after the as-of moment); events of requests never opened
/// are left out. Histories come in the order their requests were opened in
/// the input.
pub fn assemble<'e>(events: impl IntoIterator<Item = &'e Event>) -> Vec<History<'e>> {
    assemble_with(events, &|_| None)
}

/// [`assemble`], where a follow-up's `prior_appointment_id` not booked in
/// `events` is looked up with `booked_elsewhere` (the booked time of that
/// appointment elsewhere in the ledger): for a report computed a few
/// patients at a time.
pub fn assemble_with<'e>(
    events: impl IntoIterator<Item = &'e Event>,
    booked_elsewhere: &dyn Fn(&str) -> Option<Instant>,
) -> Vec<History<'e>> {
    let mut order: Vec<&'e Event> = Vec::new();
    let events = events.into_iter();
    // Sized up front: growing a table of millions of requests rehashes it.
    let requests = events.size_hint().0 / 4;
    let mut by_request: HashMap<&'e str, Vec<&'e Event>> =
        HashMap::with_capacity_and_hasher(requests, Default::default());
    let mut appointments: HashMap<&'e str, Instant> = HashMap::default();
    for event in events {
        if let Body::AppointmentBooked(booked) = &event.body {
            appointments.insert(booked.appointment_id.as_str(), booked.appointment_at);
        }
        match &event.body {
            Body::RequestOpened(_) => order.push(event),
            _ => {
                if let Some(request_id) = event.request_id() {
                    by_request.entry(request_id.as_str()).or_default().push(event);
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|opened| {
            let Body::RequestOpened(body) = &opened.body else { return None };
            let events = by_request.remove(body.request_id.as_str()).unwrap_or_default();
            let prior = body.prior_appointment_id.as_ref().and_then(|id| {
                appointments.get(id.as_str()).copied().or_else(|| booked_elsewhere(id.as_str()))
            });
            History::new(opened, events, prior)
        })
        .collect()
}
