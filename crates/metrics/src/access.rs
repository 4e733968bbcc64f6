//! Access measures beside the compliance table: third next available
//! appointment, the age of open requests, follow-up gaps and the share of
//! appointments going to new patients.

use std::collections::BTreeMap;

use foldhash::HashMap;

use events::{Body, Event, ProviderType, Visit};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use crate::scan::Shared;
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

pub(crate) struct Slot {
    /// The clinic's number in the scan.
    pub(crate) clinic: u32,
    pub(crate) provider_type: ProviderType,
    pub(crate) published: Timestamp,
    pub(crate) start: Timestamp,
    pub(crate) capacity: u32,
    /// When it was withdrawn, and when each place was taken.
    pub(crate) withdrawn: Option<Timestamp>,
    pub(crate) taken: Vec<Timestamp>,
    /// Places booked and not cancelled, as the ledger is read in order (for
    /// the integrity checks).
    pub(crate) booked: u32,
}

/// The end of local day `day`: the first moment of the next.
fn end_of_day(tz: &TimeZone, day: Date, as_of: Timestamp) -> Timestamp {
    tz.to_ambiguous_timestamp(
        day.tomorrow().unwrap_or(day).to_datetime(jiff::civil::Time::midnight()),
    )
    .compatible()
    .unwrap_or(as_of)
}

/// The third next available appointment of a group of slots, day by day
/// from the first publication to `as_of`: at the end of each local day,
/// the slots published, not withdrawn, not full and not yet begun, and the
/// days from that day to the third earliest start. A sweep over the days
/// with the open slots in an ordered set: a slot is open from its
/// publication until it is withdrawn or its last place is taken.
pub(crate) fn third_next(
    group: &[&Slot],
    tz: &TimeZone,
    as_of: Timestamp,
) -> Vec<(Date, Option<i32>)> {
    let Some(first) = group.iter().map(|s| s.published).min() else { return Vec::new() };
    // When each slot stops being open: withdrawn, or full.
    let leave: Vec<Option<Timestamp>> = group
        .iter()
        .map(|s| {
            let mut taken = s.taken.clone();
            taken.sort();
            let full = taken.get(s.capacity.max(1) as usize - 1).copied();
            match (s.withdrawn, full) {
                (Some(w), Some(f)) => Some(w.min(f)),
                (w, f) => w.or(f),
            }
        })
        .collect();
    let mut by_published: Vec<usize> = (0..group.len()).collect();
    by_published.sort_by_key(|i| group[*i].published);
    let mut by_leave: Vec<usize> = (0..group.len()).filter(|i| leave[*i].is_some()).collect();
    by_leave.sort_by_key(|i| leave[*i]);
    let (mut next_published, mut next_leave) = (0, 0);
    let mut open: std::collections::BTreeSet<(Timestamp, usize)> =
        std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let mut day = tz.to_datetime(first).date();
    let last = tz.to_datetime(as_of).date();
    while day <= last {
        let end = end_of_day(tz, day, as_of);
        while let Some(&i) = by_published.get(next_published) {
            if group[i].published >= end {
                break;
            }
            next_published += 1;
            // A slot gone before this day's end is never open again.
            if leave[i].is_none_or(|l| l >= end) {
                open.insert((group[i].start, i));
            }
        }
        while let Some(&i) = by_leave.get(next_leave) {
            if leave[i].is_some_and(|l| l >= end) {
                break;
            }
            next_leave += 1;
            open.remove(&(group[i].start, i));
        }
        // Slots already begun are no one's next appointment again.
        while open.first().is_some_and(|(start, _)| *start < end) {
            open.pop_first();
        }
        let days =
            open.iter().nth(2).map(|(start, _)| (tz.to_datetime(*start).date() - day).get_days());
        out.push((day, days));
        match day.tomorrow() {
            Ok(next) => day = next,
            Err(_) => break,
        }
    }
    out
}

/// Third next available, for each clinic and provider type and each day
/// from the first publication to `as_of`. `clinic` names a clinic number.
pub(crate) fn third_next_available<'n>(
    slots: &[Slot],
    clinic: &dyn Fn(u32) -> &'n str,
    zone: &dyn Fn(&str) -> TimeZone,
    as_of: Timestamp,
) -> Vec<TnaRow> {
    let mut by_key: BTreeMap<(&'n str, &'static str), Vec<&Slot>> = BTreeMap::new();
    for slot in slots {
        by_key.entry((clinic(slot.clinic), slot.provider_type.as_str())).or_default().push(slot);
    }
    let mut third_next_available = Vec::new();
    for ((clinic, provider_type), group) in by_key {
        let tz = zone(clinic);
        for (date, days) in third_next(&group, &tz, as_of) {
            third_next_available.push(TnaRow {
                clinic: clinic.to_owned(),
                provider_type: provider_type.to_owned(),
                date,
                days,
            });
        }
    }
    third_next_available
}

/// A map sized for `n` entries: growing one of millions rehashes it.
pub(crate) fn sized<K, V>(n: usize) -> HashMap<K, V> {
    HashMap::with_capacity_and_hasher(n, Default::default())
}

/// One part's share of the access measures other than the third next
/// available (which [`crate::Scan`] computes from every slot).
#[derive(Default)]
pub(crate) struct AccessPart {
    ages: BTreeMap<(&'static str, usize), u64>,
    gaps: BTreeMap<(String, String), Vec<f64>>,
    shares: BTreeMap<(String, String), (u64, u64)>,
}

/// The access measures of the live events of some patients.
pub(crate) fn access_part(events: &[&Event], as_of: Timestamp, shared: &Shared) -> AccessPart {
    let mut requests: HashMap<&str, (&str, &str, Visit, ProviderType, Timestamp)> =
        sized(events.len() / 4);
    let mut closed: HashMap<&str, Timestamp> = sized(events.len() / 4);
    let mut booked_at: HashMap<&str, Timestamp> = HashMap::default();
    for event in events {
        let at = event.occurred_at.timestamp();
        match &event.body {
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

    // Open requests by age: not closed by as-of, and never attended.
    let mut attended_requests: HashMap<&str, ()> = sized(events.len() / 8);
    let mut visits: HashMap<(&str, &str), Vec<(Timestamp, &str)>> = HashMap::default();
    let mut part = AccessPart::default();
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
                    let date = shared.zone(clinic).to_datetime(b.appointment_at.timestamp()).date();
                    let entry = part.shares.entry(((*clinic).to_owned(), month(date))).or_default();
                    match visit {
                        Visit::Initial => entry.0 += 1,
                        Visit::FollowUp => entry.1 += 1,
                    }
                }
            }
            _ => {}
        }
    }
    for (request_id, (_, _, _, provider_type, opened)) in &requests {
        if closed.get(request_id).is_some_and(|c| *c <= as_of)
            || attended_requests.contains_key(request_id)
        {
            continue;
        }
        let days = (as_of - *opened).as_secs() / 86_400;
        let band =
            AGE_BANDS.iter().position(|(max, _)| days <= *max).unwrap_or(AGE_BANDS.len() - 1);
        *part.ages.entry((provider_type.as_str(), band)).or_default() += 1;
    }

    // Every gap between consecutive attended visits of a patient.
    for mut course in visits.into_values() {
        course.sort();
        for pair in course.windows(2) {
            let ((earlier, _), (later, clinic)) = (pair[0], pair[1]);
            let days = (later - earlier).as_secs_f64() / 86_400.0;
            let date = shared.zone(clinic).to_datetime(later).date();
            part.gaps.entry((clinic.to_owned(), month(date))).or_default().push(days);
        }
    }
    part
}

impl AccessPart {
    /// Adds another part's share.
    pub(crate) fn merge(&mut self, other: AccessPart) {
        for (key, n) in other.ages {
            *self.ages.entry(key).or_default() += n;
        }
        for (key, days) in other.gaps {
            self.gaps.entry(key).or_default().extend(days);
        }
        for (key, (new_patients, returning)) in other.shares {
            let entry = self.shares.entry(key).or_default();
            entry.0 += new_patients;
            entry.1 += returning;
        }
    }

    /// The access measures, with the third next available computed apart.
    pub(crate) fn finish(self, third_next_available: Vec<TnaRow>) -> Access {
        let open_age = self
            .ages
            .into_iter()
            .map(|((provider_type, band), requests)| AgeRow {
                provider_type: provider_type.to_owned(),
                band: AGE_BANDS[band].1,
                requests,
            })
            .collect();
        let follow_up_gaps = self
            .gaps
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
        let new_vs_returning = self
            .shares
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
}
