//! Access measures beside the compliance table: third next available
//! appointment, the age of open requests, follow-up gaps and the share of
//! appointments going to new patients.

use std::collections::BTreeMap;

use foldhash::HashMap;

use events::{Body, Event, ProviderType, Visit};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::survival::{Wait, km_quantile};

/// Third next available appointment for one clinic, provider type and day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TnaRow {
    /// The clinic.
    pub clinic: String,
    /// The provider type of the slots' clinicians.
    pub provider_type: String,
    /// The day measured (the clinic's local date).
    pub date: Date,
    /// Days from that date to the date of the third open slot starting
    /// after it; `None` when fewer than three open slots were published.
    pub days: Option<i32>,
}

/// Open requests by age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeRow {
    /// The provider type requested.
    pub provider_type: String,
    /// The age band, in days since the request: `0-7`, `8-14`, ...
    pub band: &'static str,
    /// Open requests in the band.
    pub requests: u64,
}

/// Gaps between consecutive attended visits of one patient with one
/// provider type, by clinic and month of the later visit.
#[derive(Debug, Clone, PartialEq)]
pub struct GapRow {
    /// The clinic of the later visit.
    pub clinic: String,
    /// The month of the later visit (`2024-01`).
    pub month: String,
    /// Gaps counted.
    pub gaps: u64,
    /// Median gap in days.
    pub p50_days: Option<f64>,
    /// 90th percentile gap in days.
    pub p90_days: Option<f64>,
    /// Gaps longer than 14 days (about 10 business days).
    pub over_14_days: u64,
}

/// Appointments booked for new and returning patients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRow {
    /// The clinic.
    pub clinic: String,
    /// The month of the appointment (`2024-01`).
    pub month: String,
    /// Appointments booked for initial requests.
    pub new_patients: u64,
    /// Appointments booked for follow-up requests.
    pub returning: u64,
}

/// The access measures of a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Access {
    /// Third next available, day by day.
    pub third_next_available: Vec<TnaRow>,
    /// Open requests by age.
    pub open_age: Vec<AgeRow>,
    /// Follow-up gaps.
    pub follow_up_gaps: Vec<GapRow>,
    /// New against returning patients.
    pub new_vs_returning: Vec<ShareRow>,
}

const AGE_BANDS: &[(i64, &str)] = &[
    (7, "0-7"),
    (14, "8-14"),
    (30, "15-30"),
    (60, "31-60"),
    (90, "61-90"),
    (180, "91-180"),
    (i64::MAX, "over 180"),
];

fn month(date: Date) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

struct Slot {
    clinic: String,
    provider_type: ProviderType,
    published: Timestamp,
    start: Timestamp,
    capacity: u32,
    /// When it was withdrawn, and when each place was taken.
    withdrawn: Option<Timestamp>,
    taken: Vec<Timestamp>,
}

/// Computes the access measures from the events recorded by `as_of`
/// (voided ones left out). `zone` gives each clinic's time zone.
pub(crate) fn access(
    events: &[&Event],
    as_of: Timestamp,
    zone: &dyn Fn(&str) -> TimeZone,
) -> Access {
    let mut provider_of: HashMap<&str, ProviderType> = HashMap::default();
    let mut requests: HashMap<&str, (&str, &str, Visit, ProviderType, Timestamp)> =
        HashMap::default();
    let mut closed: HashMap<&str, Timestamp> = HashMap::default();
    let mut booked_at: HashMap<&str, Timestamp> = HashMap::default();
    let mut slots: BTreeMap<&str, Slot> = BTreeMap::new();
    for event in events {
        let at = event.occurred_at.timestamp();
        match &event.body {
            Body::ClinicianRegistered(c) => {
                provider_of.insert(c.clinician_id.as_str(), c.provider_type);
            }
            Body::RequestOpened(r) => {
                requests.insert(
                    r.request_id.as_str(),
                    (r.clinic.as_str(), r.patient_id.as_str(), r.visit, r.provider_type, at),
                );
            }
            Body::RequestClosed(c) => {
                closed.entry(c.request_id.as_str()).or_insert(at);
            }
            Body::AppointmentBooked(b) => {
                booked_at.insert(b.appointment_id.as_str(), b.appointment_at.timestamp());
            }
            _ => {}
        }
    }
    for event in events {
        let at = event.occurred_at.timestamp();
        match &event.body {
            Body::SlotPublished(s) => {
                let provider_type = provider_of
                    .get(s.clinician_id.as_str())
                    .copied()
                    .unwrap_or(ProviderType::Other);
                slots.insert(
                    s.slot_id.as_str(),
                    Slot {
                        clinic: s.clinic.to_string(),
                        provider_type,
                        published: at,
                        start: s.time.start().timestamp(),
                        capacity: s.capacity.get(),
                        withdrawn: None,
                        taken: Vec::new(),
                    },
                );
            }
            Body::SlotWithdrawn(w) => {
                if let Some(slot) = slots.get_mut(w.slot_id.as_str()) {
                    slot.withdrawn.get_or_insert(at);
                }
            }
            Body::AppointmentBooked(b) => {
                if let Some(slot) = b.slot_id.as_ref().and_then(|id| slots.get_mut(id.as_str())) {
                    slot.taken.push(at);
                }
            }
            _ => {}
        }
    }

    // Third next available, for each day from the first publication to as-of.
    let mut by_key: BTreeMap<(String, &'static str), Vec<&Slot>> = BTreeMap::new();
    for slot in slots.values() {
        by_key.entry((slot.clinic.clone(), slot.provider_type.as_str())).or_default().push(slot);
    }
    let mut third_next_available = Vec::new();
    for ((clinic, provider_type), group) in by_key {
        let tz = zone(&clinic);
        let Some(first) = group.iter().map(|s| s.published).min() else { continue };
        let mut day = tz.to_datetime(first).date();
        let last = tz.to_datetime(as_of).date();
        while day <= last {
            let end_of_day = tz
                .to_ambiguous_timestamp(
                    day.tomorrow().unwrap_or(day).to_datetime(jiff::civil::Time::midnight()),
                )
                .compatible()
                .unwrap_or(as_of);
            let mut open: Vec<Timestamp> = group
                .iter()
                .filter(|s| s.published < end_of_day && s.start >= end_of_day)
                .filter(|s| s.withdrawn.is_none_or(|w| w >= end_of_day))
                .filter(|s| {
                    (s.taken.iter().filter(|t| **t < end_of_day).count() as u32) < s.capacity
                })
                .map(|s| s.start)
                .collect();
            open.sort();
            let days = open.get(2).map(|start| {
                let date = tz.to_datetime(*start).date();
                (date - day).get_days()
            });
            third_next_available.push(TnaRow {
                clinic: clinic.clone(),
                provider_type: provider_type.to_owned(),
                date: day,
                days,
            });
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
    }

    // Open requests by age: not closed by as-of, and never attended.
    let mut attended_requests: HashMap<&str, ()> = HashMap::default();
    let mut visits: BTreeMap<(&str, &str), Vec<(Timestamp, &str)>> = BTreeMap::new();
    let mut shares: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for event in events {
        match &event.body {
            Body::AppointmentAttended(a) => {
                attended_requests.insert(a.request_id.as_str(), ());
                if let (Some(request), Some(at)) =
                    (requests.get(a.request_id.as_str()), booked_at.get(a.appointment_id.as_str()))
                {
                    let (clinic, patient, _, provider_type, _) = *request;
                    visits
                        .entry((patient, provider_type.as_str()))
                        .or_default()
                        .push((*at, clinic));
                }
            }
            Body::AppointmentBooked(b) => {
                if let Some((clinic, _, visit, _, _)) = requests.get(b.request_id.as_str()) {
                    let date = zone(clinic).to_datetime(b.appointment_at.timestamp()).date();
                    let entry = shares.entry(((*clinic).to_owned(), month(date))).or_default();
                    match visit {
                        Visit::Initial => entry.0 += 1,
                        Visit::FollowUp => entry.1 += 1,
                    }
                }
            }
            _ => {}
        }
    }
    let mut ages: BTreeMap<(&str, usize), u64> = BTreeMap::new();
    for (request_id, (_, _, _, provider_type, opened)) in &requests {
        if closed.get(request_id).is_some_and(|c| *c <= as_of)
            || attended_requests.contains_key(request_id)
        {
            continue;
        }
        let days = (as_of - *opened).as_secs() / 86_400;
        let band =
            AGE_BANDS.iter().position(|(max, _)| days <= *max).unwrap_or(AGE_BANDS.len() - 1);
        *ages.entry((provider_type.as_str(), band)).or_default() += 1;
    }
    let open_age = ages
        .into_iter()
        .map(|((provider_type, band), requests)| AgeRow {
            provider_type: provider_type.to_owned(),
            band: AGE_BANDS[band].1,
            requests,
        })
        .collect();

    // Every gap between consecutive attended visits of a patient.
    let mut gaps: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for mut course in visits.into_values() {
        course.sort();
        for pair in course.windows(2) {
            let ((earlier, _), (later, clinic)) = (pair[0], pair[1]);
            let days = (later - earlier).as_secs_f64() / 86_400.0;
            let date = zone(clinic).to_datetime(later).date();
            gaps.entry((clinic.to_owned(), month(date))).or_default().push(days);
        }
    }
    let follow_up_gaps = gaps
        .into_iter()
        .map(|((clinic, month), days)| {
            let mut waits: Vec<Wait> =
                days.iter().map(|&length| Wait { length, ended: true }).collect();
            GapRow {
                clinic,
                month,
                gaps: days.len() as u64,
                p50_days: km_quantile(&mut waits, 0.5),
                p90_days: km_quantile(&mut waits, 0.9),
                over_14_days: days.iter().filter(|d| **d > 14.0).count() as u64,
            }
        })
        .collect();
    let new_vs_returning = shares
        .into_iter()
        .map(|((clinic, month), (new_patients, returning))| ShareRow {
            clinic,
            month,
            new_patients,
            returning,
        })
        .collect();
    Access { third_next_available, open_age, follow_up_gaps, new_vs_returning }
}
