//! The clinic-network model (design.md section 5): members make requests,
//! clinicians publish weekly slot templates, a booking policy offers the
//! earliest suitable slot, patients decline, miss, cancel or withdraw,
//! courses of follow-up visits compete with intake for the same clinicians,
//! group care and out-of-network referral fill gaps when the policy says so,
//! and (illustratively) harm may happen while people wait. It emits the
//! events of the real system, so its output goes through the same rules and
//! reports.

use std::collections::{BTreeSet, HashMap};

use events::{Event, Field, Raw, RawRecord};
use jiff::Timestamp;
use jiff::civil::{Date, Time as CivilTime};
use jiff::tz::TimeZone;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::kernel::Scheduler;
use crate::scenario::Scenario;
use crate::streams::{Purpose, exponential, stream};

const PROVIDERS: [&str; 3] = ["non_physician_mh", "psychiatrist", "sud"];
const PROVIDER_CODES: [&str; 3] = ["th", "md", "sud"];
/// Session start hours, local time, Monday to Friday.
const HOURS: [i8; 7] = [9, 10, 11, 13, 14, 15, 16];
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    /// Intake held for urgent requests until a day ahead.
    Carve = 0,
    Intake = 1,
    Return = 2,
    Group = 3,
}

struct Slot {
    start: i64,
    clinician: usize,
    kind: Kind,
    capacity: u32,
    booked: u32,
}

struct Clinician {
    id: String,
    clinic: usize,
    provider: usize,
    fte: f64,
    leave: BTreeSet<u32>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Waiting,
    Booked,
    Done,
}

struct Request {
    id: u32,
    patient: u32,
    clinic: usize,
    urgent: bool,
    provider: usize,
    follow_up: bool,
    individual: bool,
    opened: i64,
    stage: Stage,
    /// Visits of the course still to come after this one.
    remaining: u32,
    /// The clinician of the course, for follow-ups.
    clinician: Option<usize>,
    /// The earliest start for a follow-up (the cadence).
    not_before: i64,
    offers: u32,
    attended_any: bool,
    appointment: Option<(u32, usize)>,
}

enum Ev {
    Week(u32),
    Arrival,
    Visit { request: usize, appointment: u32, slot: usize },
    Cancel { request: usize, appointment: u32, slot: usize },
    Tick { request: usize },
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct ClinicRun {
    /// Every event, in the order it happened.
    pub events: Vec<Event>,
    /// Requests opened (initial and follow-up).
    pub requests: u64,
    /// The moment the run ends.
    pub end: Timestamp,
}

struct Model<'s> {
    scenario: &'s Scenario,
    zones: Vec<TimeZone>,
    start_date: Date,
    start: i64,
    end: i64,
    clinicians: Vec<Clinician>,
    slots: Vec<Slot>,
    /// Free slots per (clinic, provider, kind): (start, slot index).
    free: HashMap<(usize, usize, Kind), BTreeSet<(i64, usize)>>,
    /// Free return slots per clinician.
    free_return: Vec<BTreeSet<(i64, usize)>>,
    requests: Vec<Request>,
    waitlist: Vec<usize>,
    out: Vec<Event>,
    n_events: u64,
    n_offers: u32,
    n_appointments: u32,
    calendar: Scheduler<Ev>,
    arrivals: ChaCha8Rng,
    patients: ChaCha8Rng,
    peak_rate: f64,
}

fn instant(ts: i64, tz: &TimeZone) -> String {
    let moment = Timestamp::from_second(ts).unwrap_or(Timestamp::UNIX_EPOCH);
    events::Instant::new(moment, tz.to_offset(moment)).to_string()
}

impl Model<'_> {
    fn emit(&mut self, event_type: &str, at: i64, clinic: usize, fields: &[(Field, &str)]) {
        self.n_events += 1;
        let event_id = format!("e{}", self.n_events);
        let occurred = instant(at, &self.zones[clinic]);
        let mut record = RawRecord::default();
        record.set(Field::EventId, Raw::Text(&event_id));
        record.set(Field::Type, Raw::Text(event_type));
        record.set(Field::OccurredAt, Raw::Text(&occurred));
        // The simulated source records every event as it happens.
        record.set(Field::EnteredAt, Raw::Text(&occurred));
        for (field, value) in fields {
            record.set(*field, Raw::Text(value));
        }
        // The model writes only valid events; a failure here is a bug in it.
        match Event::parse(&record) {
            Ok(event) => self.out.push(event),
            Err(err) => debug_assert!(false, "the clinic model wrote an invalid event: {err}"),
        }
    }

    fn local(&self, clinic: usize, ts: i64) -> String {
        instant(ts, &self.zones[clinic])
    }

    /// The timestamp of a local date and hour at a clinic.
    fn at(&self, clinic: usize, date: Date, hour: i8) -> i64 {
        let dt = date.to_datetime(CivilTime::new(hour, 0, 0, 0).unwrap_or(CivilTime::midnight()));
        self.zones[clinic].to_ambiguous_timestamp(dt).compatible().map_or(0, |t| t.as_second())
    }

    fn publish_week(&mut self, week: u32) {
        let template = &self.scenario.clinician;
        let monday = self
            .start_date
            .checked_add(jiff::Span::new().days(i64::from(week) * 7))
            .unwrap_or(self.start_date);
        for c in 0..self.clinicians.len() {
            if self.clinicians[c].leave.contains(&week) {
                continue;
            }
            let clinic = self.clinicians[c].clinic;
            let provider = self.clinicians[c].provider;
            let sessions =
                (f64::from(template.sessions_per_week) * self.clinicians[c].fte).round() as usize;
            let carve = self.scenario.clinics[clinic]
                .urgent_carve_out
                .unwrap_or(template.urgent_carve_out) as usize;
            let intake = (sessions as f64 * template.intake_share).round() as usize;
            let mut times = Vec::with_capacity(sessions + 1);
            for day in 0..5 {
                for hour in HOURS {
                    times.push((day, hour));
                }
            }
            // Spread the sessions over the week, in a fixed order per clinician.
            let offset = c % times.len();
            times.rotate_left(offset);
            let publish_at = (monday
                .checked_sub(jiff::Span::new().days(i64::from(template.horizon_weeks) * 7)))
            .map_or(self.start, |d| self.at(clinic, d, 8).max(self.start));
            for (n, (day, hour)) in times.into_iter().take(sessions.min(35)).enumerate() {
                let kind = if n < carve.min(intake) {
                    Kind::Carve
                } else if n < intake {
                    Kind::Intake
                } else {
                    Kind::Return
                };
                let date = monday.checked_add(jiff::Span::new().days(day)).unwrap_or(monday);
                self.add_slot(
                    clinic,
                    provider,
                    c,
                    self.at(clinic, date, hour),
                    kind,
                    1,
                    publish_at,
                );
            }
            if provider != 1 {
                for g in 0..template.group_sessions_per_week.min(5) {
                    let date =
                        monday.checked_add(jiff::Span::new().days(i64::from(g))).unwrap_or(monday);
                    self.add_slot(
                        clinic,
                        provider,
                        c,
                        self.at(clinic, date, 17),
                        Kind::Group,
                        template.group_capacity.max(1),
                        publish_at,
                    );
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_slot(
        &mut self,
        clinic: usize,
        provider: usize,
        clinician: usize,
        start: i64,
        kind: Kind,
        capacity: u32,
        publish_at: i64,
    ) {
        if start < self.start || start >= self.end + 30 * DAY {
            return;
        }
        let idx = self.slots.len();
        self.slots.push(Slot { start, clinician, kind, capacity, booked: 0 });
        self.free.entry((clinic, provider, kind)).or_default().insert((start, idx));
        if kind == Kind::Return {
            self.free_return[clinician].insert((start, idx));
        }
        let slot_id = format!("s{idx}");
        let start_text = self.local(clinic, start);
        let end_text =
            self.local(clinic, start + if kind == Kind::Group { 90 * 60 } else { 50 * 60 });
        let format = if kind == Kind::Group { "group" } else { "individual" };
        let capacity_text = capacity.to_string();
        let new_patients = if kind == Kind::Return { "false" } else { "true" };
        let clinic_id = self.scenario.clinics[clinic].id.clone();
        let clinician_id = self.clinicians[clinician].id.clone();
        self.emit(
            "slot.published",
            publish_at,
            clinic,
            &[
                (Field::SlotId, &slot_id),
                (Field::ClinicianId, &clinician_id),
                (Field::Clinic, &clinic_id),
                (Field::Start, &start_text),
                (Field::End, &end_text),
                (Field::Format, format),
                (Field::Capacity, &capacity_text),
                (Field::NewPatients, new_patients),
            ],
        );
    }

    fn take(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        s.booked += 1;
        if s.booked >= s.capacity {
            let clinic = self.clinicians[s.clinician].clinic;
            let provider = self.clinicians[s.clinician].provider;
            let key = (s.start, slot);
            if let Some(set) = self.free.get_mut(&(clinic, provider, s.kind)) {
                set.remove(&key);
            }
            if s.kind == Kind::Return {
                self.free_return[s.clinician].remove(&key);
            }
        }
    }

    fn release(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        s.booked = s.booked.saturating_sub(1);
        let clinic = self.clinicians[s.clinician].clinic;
        let provider = self.clinicians[s.clinician].provider;
        let key = (s.start, slot);
        let kind = s.kind;
        let clinician = s.clinician;
        self.free.entry((clinic, provider, kind)).or_default().insert(key);
        if kind == Kind::Return {
            self.free_return[clinician].insert(key);
        }
    }

    /// The earliest free slot for a request at or after `from`.
    fn find(&self, r: &Request, from: i64, group: bool) -> Option<usize> {
        let first = |kind: Kind| {
            self.free
                .get(&(r.clinic, r.provider, kind))
                .and_then(|set| set.range((from, 0)..).next().map(|(_, i)| *i))
        };
        if group {
            return first(Kind::Group);
        }
        if r.follow_up {
            if let Some(c) = r.clinician
                && let Some((_, i)) = self.free_return[c].range((from, 0)..).next()
            {
                return Some(*i);
            }
            return first(Kind::Return).or_else(|| first(Kind::Intake));
        }
        let intake = first(Kind::Intake);
        let carve = first(Kind::Carve).filter(|i| r.urgent || self.slots[*i].start - from <= DAY);
        match (intake, carve) {
            (Some(a), Some(b)) => {
                Some(if self.slots[b].start < self.slots[a].start { b } else { a })
            }
            (a, b) => a.or(b),
        }
    }

    fn ids(&self, r: usize) -> (String, String) {
        (
            format!("r{}", self.requests[r].id),
            self.scenario.clinics[self.requests[r].clinic].id.clone(),
        )
    }

    /// Offers and books for a waiting request, as the policy says.
    fn book(&mut self, r: usize, now: i64) {
        let policy = &self.scenario.policy;
        let req = &self.requests[r];
        if req.stage != Stage::Waiting {
            return;
        }
        let lead = if req.urgent { 2 * HOUR } else { DAY };
        let from = (now + lead).max(req.not_before);
        let target = if req.follow_up {
            req.not_before + 14 * DAY
        } else if req.urgent {
            req.opened + i64::from(policy.urgent_target_hours) * HOUR
        } else {
            req.opened + i64::from(policy.routine_target_days) * DAY
        };
        let individual = self.find(req, from, false);
        let in_time = individual.filter(|i| self.slots[*i].start <= target);
        let (request_id, clinic_id) = self.ids(r);
        let clinic = self.requests[r].clinic;
        if in_time.is_none() && !self.requests[r].follow_up {
            if policy.group_when_short && self.requests[r].provider != 1 {
                let group = self
                    .find(&self.requests[r], from, true)
                    .filter(|i| self.slots[*i].start <= target);
                if let Some(slot) = group {
                    let accept = if self.requests[r].individual {
                        self.patients.random_bool(0.5)
                    } else {
                        true
                    };
                    self.offer(r, slot, now, accept);
                    if accept {
                        return;
                    }
                }
            }
            if policy.out_of_network_when_short {
                let at = self.local(clinic, (now + (target - now) / 2).max(now + HOUR));
                self.emit(
                    "referral.out_of_network",
                    now,
                    clinic,
                    &[
                        (Field::RequestId, &request_id),
                        (Field::Provider, "Out-of-network provider"),
                        (Field::AppointmentAt, &at),
                    ],
                );
                self.requests[r].stage = Stage::Done;
                self.emit(
                    "request.closed",
                    now,
                    clinic,
                    &[(Field::RequestId, &request_id), (Field::Reason, "served")],
                );
                let _ = clinic_id;
                return;
            }
        }
        match individual {
            Some(slot) => {
                // A patient may decline; the next slot after it is offered,
                // up to three offers.
                let decline = self.requests[r].offers < 2
                    && self.patients.random_bool(self.scenario.patients.decline_probability);
                self.offer(r, slot, now, !decline);
                if decline {
                    let next = self.find(&self.requests[r], self.slots[slot].start + 1, false);
                    if let Some(next) = next {
                        self.offer(r, next, now, true);
                    } else {
                        self.waitlist.push(r);
                    }
                }
            }
            None => self.waitlist.push(r),
        }
    }

    /// Makes an offer of `slot`; books it if the patient accepts.
    fn offer(&mut self, r: usize, slot: usize, now: i64, accept: bool) {
        self.n_offers += 1;
        self.requests[r].offers += 1;
        let offer_id = format!("o{}", self.n_offers);
        let (request_id, _) = self.ids(r);
        let clinic = self.requests[r].clinic;
        let s = &self.slots[slot];
        let clinician_id = self.clinicians[s.clinician].id.clone();
        let provider = PROVIDERS[self.clinicians[s.clinician].provider];
        let format = if s.kind == Kind::Group { "group" } else { "individual" };
        let at = self.local(clinic, s.start);
        let slot_id = format!("s{slot}");
        self.emit(
            "offer.made",
            now,
            clinic,
            &[
                (Field::RequestId, &request_id),
                (Field::OfferId, &offer_id),
                (Field::AppointmentAt, &at),
                (Field::ClinicianId, &clinician_id),
                (Field::ProviderType, provider),
                (Field::Format, format),
                (Field::Modality, "in_person"),
                (Field::SlotId, &slot_id),
            ],
        );
        if !accept {
            self.emit(
                "offer.declined",
                now,
                clinic,
                &[
                    (Field::RequestId, &request_id),
                    (Field::OfferId, &offer_id),
                    (Field::Reason, "patient_preference"),
                ],
            );
            return;
        }
        self.n_appointments += 1;
        let appointment = self.n_appointments;
        let appointment_id = format!("a{appointment}");
        self.emit(
            "appointment.booked",
            now,
            clinic,
            &[
                (Field::RequestId, &request_id),
                (Field::AppointmentId, &appointment_id),
                (Field::AppointmentAt, &at),
                (Field::ClinicianId, &clinician_id),
                (Field::Format, format),
                (Field::Modality, "in_person"),
                (Field::OfferId, &offer_id),
                (Field::SlotId, &slot_id),
            ],
        );
        self.take(slot);
        let start = self.slots[slot].start;
        self.requests[r].stage = Stage::Booked;
        self.requests[r].appointment = Some((appointment, slot));
        if self.patients.random_bool(self.scenario.patients.cancel_probability) {
            let when = now + (start - now) / 2;
            self.calendar
                .schedule(hours(when - self.start), Ev::Cancel { request: r, appointment, slot });
        } else {
            self.calendar
                .schedule(hours(start - self.start), Ev::Visit { request: r, appointment, slot });
        }
    }

    fn open(
        &mut self,
        now: i64,
        clinic: usize,
        urgent: bool,
        provider: usize,
        prior: Option<(u32, i64, usize, u32, u32)>,
    ) -> usize {
        let individual = self.arrivals.random_bool(self.scenario.demand.individual_share);
        let prior_auth = urgent && self.arrivals.random_bool(self.scenario.demand.prior_auth_share);
        let id = self.requests.len() as u32;
        let (patient, follow_up, clinician, not_before, remaining) = match prior {
            Some((appointment, at, c, patient, remaining)) => {
                let _ = appointment;
                (
                    patient,
                    true,
                    Some(c),
                    at + i64::from(self.scenario.course.cadence_days) * DAY - 3 * DAY,
                    remaining,
                )
            }
            None => (self.arrivals.random_range(0..self.scenario.members), false, None, now, 0),
        };
        self.requests.push(Request {
            id,
            patient,
            clinic,
            urgent,
            provider,
            follow_up,
            individual,
            opened: now,
            stage: Stage::Waiting,
            remaining,
            clinician,
            not_before,
            offers: 0,
            attended_any: false,
            appointment: None,
        });
        let r = self.requests.len() - 1;
        let (request_id, clinic_id) = self.ids(r);
        let patient_id = format!("p{patient}");
        let mut fields: Vec<(Field, String)> = vec![
            (Field::RequestId, request_id),
            (Field::PatientId, patient_id),
            (Field::Clinic, clinic_id),
            (Field::Urgency, if urgent { "urgent" } else { "routine" }.to_owned()),
            (Field::ProviderType, PROVIDERS[provider].to_owned()),
            (Field::Visit, if follow_up { "follow_up" } else { "initial" }.to_owned()),
            (Field::PriorAuth, prior_auth.to_string()),
            (Field::RequestedFormat, if individual { "individual" } else { "any" }.to_owned()),
            (Field::Channel, if follow_up { "clinician" } else { "phone" }.to_owned()),
        ];
        if let Some((appointment, _, _, _, _)) = prior {
            fields.push((Field::PriorAppointmentId, format!("a{appointment}")));
        }
        let refs: Vec<(Field, &str)> = fields.iter().map(|(f, v)| (*f, v.as_str())).collect();
        self.emit("request.opened", now, clinic, &refs);
        if !follow_up {
            self.calendar.schedule(hours(now + DAY - self.start), Ev::Tick { request: r });
        }
        self.book(r, now);
        r
    }

    fn demand_rate(&self, now: i64) -> f64 {
        let d = &self.scenario.demand;
        let per_second =
            d.requests_per_1000 * f64::from(self.scenario.members) / 1000.0 / (365.0 * DAY as f64);
        let day = (now - self.start).div_euclid(DAY);
        let weekday = (i64::from(self.start_date.weekday().to_monday_zero_offset()) + day)
            .rem_euclid(7) as usize;
        let weights = d.weekday_weights;
        let mean_weight = weights.iter().sum::<f64>() / 7.0;
        let season = 1.0
            + d.seasonal_amplitude
                * (2.0
                    * std::f64::consts::PI
                    * (f64::from(self.start_date.day_of_year()) + day as f64)
                    / 365.25)
                    .cos();
        // Requests come in working hours (8:00 to 18:00) ten times as often
        // as at night; the weights average 1 over a day.
        let hour = ((now - self.start).rem_euclid(DAY)) / HOUR;
        let hourly = if (8..18).contains(&hour) { 2.0 } else { 0.2 };
        let mean_hourly = (10.0 * 2.0 + 14.0 * 0.2) / 24.0;
        per_second * weights[weekday] / mean_weight * season * hourly / mean_hourly
    }
}

fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

/// Runs replication `replication` of a scenario with `seed`.
pub fn run_clinics(scenario: &Scenario, seed: u64, replication: u32) -> ClinicRun {
    let start_date: Date = scenario.start.parse().unwrap_or(Date::constant(2025, 1, 6));
    let zones: Vec<TimeZone> = scenario
        .clinics
        .iter()
        .map(|c| TimeZone::get(&c.time_zone).unwrap_or(TimeZone::UTC))
        .collect();
    let start = zones[0]
        .to_ambiguous_timestamp(start_date.to_datetime(CivilTime::midnight()))
        .compatible()
        .map_or(0, |t| t.as_second());
    let end = start + i64::from(scenario.days) * DAY;
    let mut other = stream(seed, replication, Purpose::Other);
    let mut clinicians = Vec::new();
    for (clinic_idx, clinic) in scenario.clinics.iter().enumerate() {
        for (provider, count) in clinic.clinicians.iter().enumerate() {
            let mut left = *count;
            let mut n = 0;
            while left > 1e-9 {
                n += 1;
                let fte = left.min(1.0);
                left -= fte;
                let weeks = scenario.days.div_ceil(7);
                let mut leave = BTreeSet::new();
                let n_leave = (f64::from(scenario.clinician.leave_weeks) * f64::from(weeks) / 52.0)
                    .round() as u32;
                while (leave.len() as u32) < n_leave.min(weeks) {
                    leave.insert(other.random_range(0..weeks));
                }
                clinicians.push(Clinician {
                    id: format!("{}-{}{n}", clinic.id, PROVIDER_CODES[provider]),
                    clinic: clinic_idx,
                    provider,
                    fte,
                    leave,
                });
            }
        }
    }
    let mut model = Model {
        scenario,
        zones,
        start_date,
        start,
        end,
        free_return: vec![BTreeSet::new(); clinicians.len()],
        clinicians,
        slots: Vec::new(),
        free: HashMap::new(),
        requests: Vec::new(),
        waitlist: Vec::new(),
        out: Vec::new(),
        n_events: 0,
        n_offers: 0,
        n_appointments: 0,
        calendar: Scheduler::default(),
        arrivals: stream(seed, replication, Purpose::Arrivals),
        patients: stream(seed, replication, Purpose::Patients),
        peak_rate: 0.0,
    };
    // The roster first, then slots for the first weeks ahead.
    for (idx, clinic) in scenario.clinics.iter().enumerate() {
        let tz = clinic.time_zone.clone();
        model.emit(
            "clinic.registered",
            start,
            idx,
            &[
                (Field::Clinic, &clinic.id),
                (Field::TimeZone, &tz),
                (Field::Network, &clinic.network),
            ],
        );
    }
    for c in 0..model.clinicians.len() {
        let (id, clinic, provider, fte) = {
            let x = &model.clinicians[c];
            (x.id.clone(), x.clinic, x.provider, x.fte)
        };
        let clinic_id = scenario.clinics[clinic].id.clone();
        let fte_text = format!("{}", (fte * 1000.0).round() / 1000.0);
        model.emit(
            "clinician.registered",
            start,
            clinic,
            &[
                (Field::ClinicianId, &id),
                (Field::Clinic, &clinic_id),
                (Field::ProviderType, PROVIDERS[provider]),
                (Field::Fte, &fte_text),
            ],
        );
    }
    let weeks = scenario.days.div_ceil(7);
    for week in 0..scenario.clinician.horizon_weeks.min(weeks + 4) {
        model.publish_week(week);
    }
    for week in 1..=weeks {
        model.calendar.schedule(hours(i64::from(week) * 7 * DAY), Ev::Week(week));
    }
    // Arrivals by thinning a Poisson process at the peak rate.
    model.peak_rate = (0..7 * 24).map(|h| model.demand_rate(start + h * HOUR)).fold(0.0, f64::max)
        * (1.0 + scenario.demand.seasonal_amplitude);
    let first = exponential(&mut model.arrivals, model.peak_rate * 3600.0);
    model.calendar.schedule(first, Ev::Arrival);

    let share: Vec<f64> = scenario.clinics.iter().map(|c| c.member_share).collect();
    while let Some((t, ev)) = model.calendar.take_next() {
        let now = start + (t * 3600.0) as i64;
        if now >= end {
            break;
        }
        match ev {
            Ev::Week(week) => {
                model.publish_week(week + scenario.clinician.horizon_weeks - 1);
                let waiting = std::mem::take(&mut model.waitlist);
                for r in waiting {
                    model.book(r, now);
                }
            }
            Ev::Arrival => {
                let next = t + exponential(&mut model.arrivals, model.peak_rate * 3600.0);
                model.calendar.schedule(next, Ev::Arrival);
                let accept: f64 = model.arrivals.random();
                if accept * model.peak_rate > model.demand_rate(now) {
                    continue;
                }
                let mut pick: f64 = model.arrivals.random();
                let clinic = share
                    .iter()
                    .position(|s| {
                        pick -= s;
                        pick < 0.0
                    })
                    .unwrap_or(0);
                let urgent = model.arrivals.random_bool(scenario.demand.urgent_share);
                let mut p: f64 = model.arrivals.random();
                let provider = scenario
                    .demand
                    .provider_mix
                    .iter()
                    .position(|s| {
                        p -= s;
                        p < 0.0
                    })
                    .unwrap_or(0);
                model.open(now, clinic, urgent, provider, None);
            }
            Ev::Tick { request } => {
                let req = &model.requests[request];
                if req.attended_any || req.stage == Stage::Done {
                    continue;
                }
                let waited = (now - req.opened) as f64 / DAY as f64;
                let (request_id, _) = model.ids(request);
                let clinic = req.clinic;
                let patients = &scenario.patients;
                if model
                    .patients
                    .random_bool((patients.harm_hazard_per_day * (1.0 + waited / 30.0)).min(1.0))
                {
                    model.emit(
                        "harm.reported",
                        now,
                        clinic,
                        &[(Field::RequestId, &request_id), (Field::Kind, "ed_visit")],
                    );
                }
                if model.patients.random_bool(patients.withdraw_per_day) {
                    if let Some((appointment, slot)) = model.requests[request].appointment.take() {
                        model.release(slot);
                        let appointment_id = format!("a{appointment}");
                        model.emit(
                            "appointment.cancelled",
                            now,
                            clinic,
                            &[
                                (Field::RequestId, &request_id),
                                (Field::AppointmentId, &appointment_id),
                                (Field::By, "patient"),
                            ],
                        );
                    }
                    model.requests[request].stage = Stage::Done;
                    model.emit(
                        "request.closed",
                        now,
                        clinic,
                        &[(Field::RequestId, &request_id), (Field::Reason, "withdrawn")],
                    );
                    continue;
                }
                model.calendar.schedule(t + 24.0, Ev::Tick { request });
            }
            Ev::Cancel { request, appointment, slot } => {
                let req = &model.requests[request];
                if req.stage != Stage::Booked || req.appointment.map(|a| a.0) != Some(appointment) {
                    continue;
                }
                let (request_id, _) = model.ids(request);
                let clinic = req.clinic;
                model.release(slot);
                let appointment_id = format!("a{appointment}");
                model.emit(
                    "appointment.cancelled",
                    now,
                    clinic,
                    &[
                        (Field::RequestId, &request_id),
                        (Field::AppointmentId, &appointment_id),
                        (Field::By, "patient"),
                    ],
                );
                model.requests[request].stage = Stage::Waiting;
                model.requests[request].appointment = None;
                model.book(request, now);
            }
            Ev::Visit { request, appointment, slot } => {
                let req = &model.requests[request];
                if req.stage != Stage::Booked || req.appointment.map(|a| a.0) != Some(appointment) {
                    continue;
                }
                let (clinic, follow_up, patient, provider, course_left) =
                    (req.clinic, req.follow_up, req.patient, req.provider, req.remaining);
                let (request_id, _) = model.ids(request);
                let appointment_id = format!("a{appointment}");
                let no_show = if follow_up {
                    scenario.patients.no_show_follow_up
                } else {
                    scenario.patients.no_show_initial
                };
                if model.patients.random_bool(no_show) {
                    model.emit(
                        "appointment.no_show",
                        now + 15 * 60,
                        clinic,
                        &[(Field::RequestId, &request_id), (Field::AppointmentId, &appointment_id)],
                    );
                    model.requests[request].stage = Stage::Waiting;
                    model.requests[request].appointment = None;
                    if !follow_up && model.patients.random_bool(0.3) {
                        model.requests[request].stage = Stage::Done;
                        model.emit(
                            "request.closed",
                            now + HOUR,
                            clinic,
                            &[(Field::RequestId, &request_id), (Field::Reason, "unreachable")],
                        );
                    } else {
                        model.book(request, now + HOUR);
                    }
                    continue;
                }
                model.emit(
                    "appointment.attended",
                    now + 50 * 60,
                    clinic,
                    &[(Field::RequestId, &request_id), (Field::AppointmentId, &appointment_id)],
                );
                model.emit(
                    "request.closed",
                    now + 55 * 60,
                    clinic,
                    &[(Field::RequestId, &request_id), (Field::Reason, "served")],
                );
                model.requests[request].stage = Stage::Done;
                model.requests[request].attended_any = true;
                let clinician = model.slots[slot].clinician;
                let remaining = if follow_up {
                    course_left
                } else if model.patients.random_bool(scenario.course.follow_up_probability) {
                    // Visits after the first: geometric with the course's mean.
                    let p = 1.0 / (scenario.course.mean_visits - 1.0).max(1.0);
                    let mut n = 1;
                    while n < 60 && !model.patients.random_bool(p.min(1.0)) {
                        n += 1;
                    }
                    n
                } else {
                    0
                };
                if remaining > 0 {
                    let prior =
                        (appointment, model.slots[slot].start, clinician, patient, remaining - 1);
                    model.open(now + 55 * 60, clinic, false, provider, Some(prior));
                }
            }
        }
    }
    let requests = model.requests.len() as u64;
    ClinicRun {
        events: model.out,
        requests,
        end: Timestamp::from_second(end).unwrap_or(Timestamp::UNIX_EPOCH),
    }
}
