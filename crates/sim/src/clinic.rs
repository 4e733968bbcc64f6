//! The clinic-network model (docs/simulation.md): members make requests,
//! clinicians publish weekly slot templates, a booking policy offers the
//! earliest suitable slot, patients decline, miss, cancel or withdraw,
//! courses of follow-up visits compete with intake for the same clinicians,
//! group care and out-of-network referral fill gaps when the policy says so,
//! and (illustratively) harm may happen while people wait. It emits the
//! events of the real system, so its output goes through the same rules and
//! reports.

use std::collections::{BTreeSet, HashMap};

use events::{
    AppointmentAttended, AppointmentBooked, AppointmentCancelled, AppointmentId, AppointmentNoShow,
    Body, CancelledBy, Capacity, ClinicId, ClinicRegistered, ClinicianId, ClinicianRegistered,
    CloseReason, DeclineReason, Event, EventId, Field, Format, Fte, HarmKind, HarmReported,
    Modality, NetworkId, OfferDeclined, OfferId, OfferMade, PatientId, ProviderType,
    ReferralOutOfNetwork, RequestClosed, RequestId, RequestOpened, RequestedFormat, SlotId,
    SlotPublished, SlotTime, Text, TimeZoneName, Urgency, Visit,
};
use jiff::Timestamp;
use jiff::civil::{Date, Time as CivilTime};
use jiff::tz::TimeZone;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::kernel::Scheduler;
use crate::scenario::Scenario;
use crate::streams::{Purpose, exponential, stream};

const PROVIDERS: [ProviderType; 3] =
    [ProviderType::NonPhysicianMh, ProviderType::Psychiatrist, ProviderType::Sud];
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
    patient: u32,
    clinic: usize,
    urgent: bool,
    provider: usize,
    follow_up: bool,
    individual: bool,
    prior_auth: bool,
    /// The attended visit a follow-up follows.
    prior_appointment: Option<u32>,
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
    /// The day of waiting (counted from the opening) on which the next
    /// harm event happens if the patient is still waiting.
    harm_day: u32,
    /// The day of waiting on which the patient withdraws if still waiting.
    withdraw_day: u32,
}

/// The attended visit that a follow-up request follows.
#[derive(Clone, Copy)]
struct Prior {
    appointment: u32,
    /// When the visit was.
    at: i64,
    clinician: usize,
    patient: u32,
    /// Visits of the course still to come after the follow-up.
    remaining: u32,
    /// Whether the course asked for individual care.
    individual: bool,
}

enum Ev {
    /// Slots for another week are published.
    Week(u32),
    /// Noon: the waiting list is tried again (carve-out slots are open to
    /// everyone from a day before they start).
    Noon,
    Arrival,
    Visit {
        request: usize,
        appointment: u32,
        slot: usize,
    },
    Cancel {
        request: usize,
        appointment: u32,
        slot: usize,
    },
    /// A waiting patient's next harm or withdrawal day.
    Waiting {
        request: usize,
        day: u32,
    },
}

/// No harm or withdrawal within this many days of waiting.
const NEVER: u32 = 20 * 366;

/// What happened, compactly; turned into events when the run ends, from
/// the model's final state (what a log entry refers to does not change
/// after it is written).
#[derive(Clone, Copy)]
enum Rec {
    Clinic,
    Clinician(u32),
    Slot(u32),
    Opened(u32),
    Offer { offer: u32, request: u32, slot: u32 },
    Declined { offer: u32, request: u32 },
    Booked { appointment: u32, offer: u32, request: u32, slot: u32 },
    Cancelled { appointment: u32, request: u32 },
    Attended { appointment: u32, request: u32 },
    NoShow { appointment: u32, request: u32 },
    Referral { request: u32, appointment_at: i64 },
    Harm(u32),
    Closed { request: u32, reason: CloseReason },
}

impl Rec {
    /// The request the entry is about, if any.
    fn request(self) -> Option<u32> {
        match self {
            Rec::Clinic | Rec::Clinician(_) | Rec::Slot(_) => None,
            Rec::Opened(request)
            | Rec::Harm(request)
            | Rec::Offer { request, .. }
            | Rec::Declined { request, .. }
            | Rec::Booked { request, .. }
            | Rec::Cancelled { request, .. }
            | Rec::Attended { request, .. }
            | Rec::NoShow { request, .. }
            | Rec::Referral { request, .. }
            | Rec::Closed { request, .. } => Some(request),
        }
    }
}

/// One request's events, as the rules judge them.
#[derive(Debug)]
pub struct RequestEvents<'r> {
    /// Its `request.opened`.
    pub opened: Event,
    /// Its other events, in the order written.
    pub others: Vec<Event>,
    /// For a follow-up, when the visit it follows was booked for.
    pub prior_appointment_at: Option<events::Instant>,
    /// Its clinic's time zone.
    pub time_zone: &'r TimeZone,
}

/// One log entry: when, at which clinic, what.
#[derive(Clone, Copy)]
struct Logged {
    at: i64,
    clinic: u32,
    rec: Rec,
}

/// What a run produced: a compact log, turned into events on demand (all
/// at once with [`ClinicRun::events`], or a chunk at a time with
/// [`ClinicRun::chunks`] to keep memory bounded).
pub struct ClinicRun<'s> {
    model: Model<'s>,
    /// `None` only if a scenario id is not valid, which parsing prevents.
    names: Option<Names>,
    /// Requests opened (initial and follow-up).
    pub requests: u64,
    /// The moment the run starts: midnight of the first day, in the first
    /// clinic's time zone.
    pub start: Timestamp,
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
    log: Vec<Logged>,
    n_offers: u32,
    n_appointments: u32,
    /// The slot of each appointment (appointment n at index n − 1).
    appointment_slots: Vec<u32>,
    calendar: Scheduler<Ev>,
    arrivals: ChaCha8Rng,
    patients: ChaCha8Rng,
    peak_rate: f64,
    /// The first day, counted in days since 1970 on the first clinic's clock.
    first_local_day: i64,
}

impl Model<'_> {
    fn log(&mut self, at: i64, clinic: usize, rec: Rec) {
        self.log.push(Logged { at, clinic: clinic as u32, rec });
    }

    /// The timestamp of a local date and hour at a clinic.
    fn at(&self, clinic: usize, date: Date, hour: i8) -> i64 {
        let dt = date.to_datetime(CivilTime::new(hour, 0, 0, 0).unwrap_or(CivilTime::midnight()));
        self.zones[clinic].to_ambiguous_timestamp(dt).compatible().map_or(0, |t| t.as_second())
    }

    /// Publishes the sessions of week `week` (counted from the Monday on or
    /// before the first day), at `now`.
    fn publish_week(&mut self, week: u32, now: i64) {
        let template = &self.scenario.clinician;
        let first_monday = self
            .start_date
            .checked_sub(
                jiff::Span::new()
                    .days(i64::from(self.start_date.weekday().to_monday_zero_offset())),
            )
            .unwrap_or(self.start_date);
        let monday = first_monday
            .checked_add(jiff::Span::new().days(i64::from(week) * 7))
            .unwrap_or(first_monday);
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
            let intake = (sessions as f64 * template.intake_share_of(provider)).round() as usize;
            // The week's sessions in the order they are filled: one a day
            // across the week, then the next hour, so that each kind of
            // slot (carve-out first, then intake, then return) is spread
            // over the days; clinicians start on different days and hours.
            let times: Vec<(i64, i8)> = (0..35)
                .map(|n| ((n + c) % 5, HOURS[(n / 5 + c / 5) % HOURS.len()]))
                .map(|(day, hour)| (day as i64, hour))
                .collect();
            let publish_at = now.max(self.start);
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
        self.log(publish_at, clinic, Rec::Slot(idx as u32));
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

    /// The earliest free slot for a request at or after `from`, looked for
    /// at `now`: carve-out slots are for urgent requests until a day ahead.
    fn find(&self, r: &Request, now: i64, from: i64, group: bool) -> Option<usize> {
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
        let carve = first(Kind::Carve).filter(|i| r.urgent || self.slots[*i].start - now <= DAY);
        match (intake, carve) {
            (Some(a), Some(b)) => {
                Some(if self.slots[b].start < self.slots[a].start { b } else { a })
            }
            (a, b) => a.or(b),
        }
    }

    /// Offers and books for a waiting request, as the policy says.
    fn book(&mut self, r: usize, now: i64) {
        let policy = &self.scenario.policy;
        let req = &self.requests[r];
        if req.stage != Stage::Waiting {
            return;
        }
        // A first visit can be booked from two hours ahead, a return visit
        // from the next day.
        let lead = if req.follow_up { DAY } else { 2 * HOUR };
        let from = (now + lead).max(req.not_before);
        // The target of a first visit (follow-ups are booked at the earliest
        // return slot, with no substitute).
        let target = if req.urgent {
            req.opened + i64::from(policy.urgent_target_hours) * HOUR
        } else {
            req.opened + i64::from(policy.routine_target_days) * DAY
        };
        let individual = self.find(req, now, from, false);
        let in_time = individual.filter(|i| self.slots[*i].start <= target);
        let clinic = self.requests[r].clinic;
        if in_time.is_none() && !self.requests[r].follow_up {
            if policy.group_when_short && self.requests[r].provider != 1 {
                let group = self
                    .find(&self.requests[r], now, from, true)
                    .filter(|i| self.slots[*i].start <= target);
                if let Some(slot) = group {
                    let accept = if self.requests[r].individual {
                        self.patients.random_bool(self.scenario.patients.accept_group)
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
                let appointment_at = (now + (target - now) / 2).max(now + HOUR);
                self.log(now, clinic, Rec::Referral { request: r as u32, appointment_at });
                self.requests[r].stage = Stage::Done;
                self.log(
                    now,
                    clinic,
                    Rec::Closed { request: r as u32, reason: CloseReason::Served },
                );
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
                    let next = self.find(&self.requests[r], now, self.slots[slot].start + 1, false);
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
        let offer = self.n_offers;
        let clinic = self.requests[r].clinic;
        let (request, slot_index) = (r as u32, slot as u32);
        self.log(now, clinic, Rec::Offer { offer, request, slot: slot_index });
        if !accept {
            self.log(now, clinic, Rec::Declined { offer, request });
            return;
        }
        self.n_appointments += 1;
        let appointment = self.n_appointments;
        self.appointment_slots.push(slot as u32);
        self.log(now, clinic, Rec::Booked { appointment, offer, request, slot: slot_index });
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
        prior: Option<Prior>,
    ) -> usize {
        // A follow-up keeps its course's format, so that the stream of
        // arrivals is the same whatever the staffing (common random numbers).
        let individual = match prior {
            Some(p) => p.individual,
            None => self.arrivals.random_bool(self.scenario.demand.individual_share),
        };
        let prior_auth = urgent && self.arrivals.random_bool(self.scenario.demand.prior_auth_share);
        let (patient, follow_up, clinician, not_before, remaining) = match prior {
            Some(p) => (
                p.patient,
                true,
                Some(p.clinician),
                p.at + i64::from(self.scenario.course.cadence_days) * DAY - 3 * DAY,
                p.remaining,
            ),
            None => (self.arrivals.random_range(0..self.scenario.members), false, None, now, 0),
        };
        self.requests.push(Request {
            patient,
            clinic,
            urgent,
            provider,
            follow_up,
            individual,
            prior_auth,
            prior_appointment: prior.map(|p| p.appointment),
            opened: now,
            stage: Stage::Waiting,
            remaining,
            clinician,
            not_before,
            offers: 0,
            attended_any: false,
            appointment: None,
            harm_day: NEVER,
            withdraw_day: NEVER,
        });
        let r = self.requests.len() - 1;
        self.log(now, clinic, Rec::Opened(r as u32));
        if !follow_up {
            let patients = &self.scenario.patients;
            self.requests[r].harm_day = next_harm_day(&mut self.patients, patients, 0);
            self.requests[r].withdraw_day =
                day_of_first(&mut self.patients, patients.withdraw_per_day);
            self.schedule_waiting(r);
        }
        self.book(r, now);
        r
    }

    /// Schedules a waiting request's next harm or withdrawal day.
    fn schedule_waiting(&mut self, r: usize) {
        let req = &self.requests[r];
        let day = req.harm_day.min(req.withdraw_day);
        let at = req.opened + i64::from(day) * DAY;
        if day < NEVER && at < self.end {
            self.calendar.schedule(hours(at - self.start), Ev::Waiting { request: r, day });
        }
    }

    /// The plan's rate of new requests per second at `now`, on the clock of
    /// `clinic` (its local weekday and hour), and the peak of that rate.
    fn demand_rate(&self, now: i64, clinic: usize) -> (f64, f64) {
        let d = &self.scenario.demand;
        let per_second =
            d.requests_per_1000 * f64::from(self.scenario.members) / 1000.0 / (365.0 * DAY as f64);
        let moment = Timestamp::from_second(now).unwrap_or(Timestamp::UNIX_EPOCH);
        let local = now + i64::from(self.zones[clinic].to_offset(moment).seconds());
        let day = local.div_euclid(DAY) - self.first_local_day;
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
        let hour = local.rem_euclid(DAY) / HOUR;
        let (day_weight, night_weight) = (2.0, 0.2);
        let hourly = if (8..18).contains(&hour) { day_weight } else { night_weight };
        let mean_hourly = (10.0 * day_weight + 14.0 * night_weight) / 24.0;
        let rate = per_second * weights[weekday] / mean_weight * season * hourly / mean_hourly;
        let heaviest = weights.iter().copied().fold(0.0, f64::max);
        let peak = per_second * heaviest / mean_weight * (1.0 + d.seasonal_amplitude) * day_weight
            / mean_hourly;
        (rate, peak)
    }
}

/// An id written as a letter and a number (`r42`), on the stack: the
/// model writes millions of them.
struct Numbered {
    buf: [u8; 21],
    len: usize,
}

impl Numbered {
    fn as_str(&self) -> &str {
        // Only an ASCII letter and digits are written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

fn numbered(prefix: u8, mut n: u64) -> Numbered {
    let mut digits = [0u8; 20];
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut buf = [0u8; 21];
    buf[0] = prefix;
    for (i, d) in digits[..len].iter().rev().enumerate() {
        buf[1 + i] = *d;
    }
    Numbered { buf, len: len + 1 }
}

/// The ids that events repeat, parsed once.
struct Names {
    clinics: Vec<ClinicId>,
    zones: Vec<TimeZoneName>,
    networks: Vec<NetworkId>,
    clinicians: Vec<ClinicianId>,
    out_of_network: Text,
    phone: Text,
    clinician: Text,
}

impl Names {
    fn new(model: &Model<'_>) -> Result<Names, events::Error> {
        let clinics = &model.scenario.clinics;
        Ok(Names {
            clinics: clinics
                .iter()
                .map(|c| ClinicId::parse(Field::Clinic, &c.id))
                .collect::<Result<_, _>>()?,
            zones: clinics
                .iter()
                .map(|c| TimeZoneName::parse(Field::TimeZone, &c.time_zone))
                .collect::<Result<_, _>>()?,
            networks: clinics
                .iter()
                .map(|c| NetworkId::parse(Field::Network, &c.network))
                .collect::<Result<_, _>>()?,
            clinicians: model
                .clinicians
                .iter()
                .map(|c| ClinicianId::parse(Field::ClinicianId, &c.id))
                .collect::<Result<_, _>>()?,
            out_of_network: Text::parse(Field::Provider, "Out-of-network provider")?,
            phone: Text::parse(Field::Channel, "phone")?,
            clinician: Text::parse(Field::Channel, "clinician")?,
        })
    }
}

impl std::fmt::Debug for ClinicRun<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClinicRun")
            .field("events", &self.len())
            .field("requests", &self.requests)
            .field("start", &self.start)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl ClinicRun<'_> {
    /// How many events the run wrote.
    pub fn len(&self) -> usize {
        self.model.log.len()
    }

    /// Whether the run wrote no events.
    pub fn is_empty(&self) -> bool {
        self.model.log.is_empty()
    }

    /// Every event, in the order written.
    pub fn events(&self) -> Vec<Event> {
        self.build(0..self.len(), |_| true)
    }

    /// The events that judging requests needs, in the order written: the
    /// clinics and everything about requests, without the roster of
    /// clinicians and slots (about a quarter of the events).
    pub fn request_events(&self) -> Vec<Event> {
        self.build(0..self.len(), |entry| !matches!(entry.rec, Rec::Clinician(_) | Rec::Slot(_)))
    }

    /// The events in order, `size` at a time.
    pub fn chunks(&self, size: usize) -> impl Iterator<Item = Vec<Event>> + '_ {
        let size = size.max(1);
        (0..self.len())
            .step_by(size)
            .map(move |first| self.build(first..(first + size).min(self.len()), |_| true))
    }

    /// Folds every request's events, a request at a time, into one
    /// accumulator per thread (as many threads as there are cores), without
    /// holding the run's events all at once. The accumulators come back in
    /// the order of the requests they saw.
    pub fn fold_requests<A: Send>(
        &self,
        init: impl Fn() -> A + Sync,
        fold: impl Fn(&mut A, RequestEvents<'_>) + Sync,
    ) -> Vec<A> {
        self.fold_requests_from(Timestamp::MIN, init, fold)
    }

    /// [`ClinicRun::fold_requests`] for the requests opened at or after
    /// `from` only (the others' events are never built).
    pub fn fold_requests_from<A: Send>(
        &self,
        from: Timestamp,
        init: impl Fn() -> A + Sync,
        fold: impl Fn(&mut A, RequestEvents<'_>) + Sync,
    ) -> Vec<A> {
        let from = from.as_second();
        let Some(names) = &self.names else {
            return Vec::new();
        };
        let model = &self.model;
        let n_requests = model.requests.len();
        // The log's entries grouped by request, by a counting sort.
        let mut starts = vec![0usize; n_requests + 1];
        for entry in &model.log {
            if let Some(r) = entry.rec.request() {
                starts[r as usize + 1] += 1;
            }
        }
        for r in 0..n_requests {
            starts[r + 1] += starts[r];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; starts[n_requests]];
        for (n, entry) in model.log.iter().enumerate() {
            if let Some(r) = entry.rec.request() {
                order[next[r as usize]] = n as u32;
                next[r as usize] += 1;
            }
        }
        let one_request = |acc: &mut A, r: usize| {
            if model.requests[r].opened < from {
                return;
            }
            let mut opened = None;
            let mut others = Vec::with_capacity(starts[r + 1] - starts[r]);
            for &n in &order[starts[r]..starts[r + 1]] {
                let entry = &model.log[n as usize];
                match model.event(names, n as usize, entry) {
                    Ok(event) if matches!(entry.rec, Rec::Opened(_)) => opened = Some(event),
                    Ok(event) => others.push(event),
                    Err(err) => {
                        debug_assert!(false, "the clinic model wrote an invalid event: {err}")
                    }
                }
            }
            let Some(opened) = opened else { return };
            let request = &model.requests[r];
            let zone = &model.zones[request.clinic];
            let prior_appointment_at = request.prior_appointment.and_then(|a| {
                let slot = *model.appointment_slots.get(a.checked_sub(1)? as usize)?;
                let start = model.slots.get(slot as usize)?.start;
                let moment = Timestamp::from_second(start).ok()?;
                Some(events::Instant::new(moment, zone.to_offset(moment)))
            });
            fold(acc, RequestEvents { opened, others, prior_appointment_at, time_zone: zone });
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let part = n_requests.div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let one_request = &one_request;
            let init = &init;
            let parts: Vec<_> = (0..n_requests)
                .step_by(part)
                .map(|first| {
                    scope.spawn(move || {
                        let mut acc = init();
                        for r in first..(first + part).min(n_requests) {
                            one_request(&mut acc, r);
                        }
                        acc
                    })
                })
                .collect();
            parts
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        })
    }

    /// Log entries `range` as events, built on as many threads as there
    /// are cores; the result does not depend on how many.
    fn build(
        &self,
        range: std::ops::Range<usize>,
        keep: impl Fn(&Logged) -> bool + Sync,
    ) -> Vec<Event> {
        let Some(names) = &self.names else {
            return Vec::new();
        };
        let model = &self.model;
        let one =
            |n: usize| match keep(&model.log[n]).then(|| model.event(names, n, &model.log[n]))? {
                Ok(event) => Some(event),
                Err(err) => {
                    // The model writes only valid events.
                    debug_assert!(false, "the clinic model wrote an invalid event: {err}");
                    None
                }
            };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if threads == 1 || range.len() < 10_000 {
            return range.filter_map(one).collect();
        }
        let part = range.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let one = &one;
            let parts: Vec<_> = (range.start..range.end)
                .step_by(part)
                .map(|first| {
                    let last = (first + part).min(range.end);
                    scope.spawn(move || (first..last).filter_map(one).collect::<Vec<_>>())
                })
                .collect();
            let mut out = Vec::with_capacity(range.len());
            for events in parts {
                out.extend(events.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
            }
            out
        })
    }
}

impl Model<'_> {
    /// Log entry `n` (from 0) as an event.
    fn event(&self, names: &Names, n: usize, entry: &Logged) -> Result<Event, events::Error> {
        let clinic = entry.clinic as usize;
        let zone = &self.zones[clinic];
        let instant = |ts: i64| {
            let moment = Timestamp::from_second(ts).unwrap_or(Timestamp::UNIX_EPOCH);
            events::Instant::new(moment, zone.to_offset(moment))
        };
        let request_id =
            |r: u32| RequestId::parse(Field::RequestId, numbered(b'r', r.into()).as_str());
        let appointment_id =
            |a: u32| AppointmentId::parse(Field::AppointmentId, numbered(b'a', a.into()).as_str());
        let offer_id = |o: u32| OfferId::parse(Field::OfferId, numbered(b'o', o.into()).as_str());
        let slot_id = |s: u32| SlotId::parse(Field::SlotId, numbered(b's', s.into()).as_str());
        let format =
            |slot: &Slot| if slot.kind == Kind::Group { Format::Group } else { Format::Individual };
        let body = match entry.rec {
            Rec::Clinic => Body::ClinicRegistered(ClinicRegistered {
                clinic: names.clinics[clinic].clone(),
                time_zone: names.zones[clinic].clone(),
                network: names.networks[clinic].clone(),
                name: None,
            }),
            Rec::Clinician(c) => {
                let x = &self.clinicians[c as usize];
                Body::ClinicianRegistered(ClinicianRegistered {
                    clinician_id: names.clinicians[c as usize].clone(),
                    clinic: names.clinics[x.clinic].clone(),
                    provider_type: PROVIDERS[x.provider],
                    fte: Fte::from_thousandths((x.fte * 1000.0).round() as u16),
                    languages: Vec::new(),
                })
            }
            Rec::Slot(s) => {
                let slot = &self.slots[s as usize];
                let minutes = if slot.kind == Kind::Group { 90 } else { 50 };
                Body::SlotPublished(SlotPublished {
                    slot_id: slot_id(s)?,
                    clinician_id: names.clinicians[slot.clinician].clone(),
                    clinic: names.clinics[clinic].clone(),
                    time: SlotTime::new(instant(slot.start), instant(slot.start + minutes * 60))?,
                    format: format(slot),
                    capacity: Capacity::new(slot.capacity).unwrap_or(Capacity::ONE),
                    new_patients: slot.kind != Kind::Return,
                })
            }
            Rec::Opened(r) => {
                let req = &self.requests[r as usize];
                Body::RequestOpened(RequestOpened {
                    request_id: request_id(r)?,
                    patient_id: PatientId::parse(
                        Field::PatientId,
                        numbered(b'p', req.patient.into()).as_str(),
                    )?,
                    clinic: names.clinics[clinic].clone(),
                    urgency: if req.urgent { Urgency::Urgent } else { Urgency::Routine },
                    provider_type: PROVIDERS[req.provider],
                    visit: if req.follow_up { Visit::FollowUp } else { Visit::Initial },
                    prior_auth: req.prior_auth,
                    requested_format: if req.individual {
                        RequestedFormat::Individual
                    } else {
                        RequestedFormat::Any
                    },
                    prior_appointment_id: req.prior_appointment.map(appointment_id).transpose()?,
                    prior_appointment_at: None,
                    channel: Some(
                        if req.follow_up { &names.clinician } else { &names.phone }.clone(),
                    ),
                })
            }
            Rec::Offer { offer, request, slot: s } => {
                let slot = &self.slots[s as usize];
                Body::OfferMade(OfferMade {
                    request_id: request_id(request)?,
                    offer_id: offer_id(offer)?,
                    appointment_at: instant(slot.start),
                    clinician_id: names.clinicians[slot.clinician].clone(),
                    provider_type: PROVIDERS[self.clinicians[slot.clinician].provider],
                    format: format(slot),
                    modality: Modality::InPerson,
                    in_network: true,
                    slot_id: Some(slot_id(s)?),
                })
            }
            Rec::Declined { offer, request } => Body::OfferDeclined(OfferDeclined {
                request_id: request_id(request)?,
                offer_id: offer_id(offer)?,
                reason: DeclineReason::PatientPreference,
            }),
            Rec::Booked { appointment, offer, request, slot: s } => {
                let slot = &self.slots[s as usize];
                Body::AppointmentBooked(AppointmentBooked {
                    request_id: request_id(request)?,
                    appointment_id: appointment_id(appointment)?,
                    appointment_at: instant(slot.start),
                    clinician_id: names.clinicians[slot.clinician].clone(),
                    format: format(slot),
                    modality: Modality::InPerson,
                    offer_id: Some(offer_id(offer)?),
                    slot_id: Some(slot_id(s)?),
                })
            }
            Rec::Cancelled { appointment, request } => {
                Body::AppointmentCancelled(AppointmentCancelled {
                    request_id: request_id(request)?,
                    appointment_id: appointment_id(appointment)?,
                    by: CancelledBy::Patient,
                    reason: None,
                })
            }
            Rec::Attended { appointment, request } => {
                Body::AppointmentAttended(AppointmentAttended {
                    request_id: request_id(request)?,
                    appointment_id: appointment_id(appointment)?,
                })
            }
            Rec::NoShow { appointment, request } => Body::AppointmentNoShow(AppointmentNoShow {
                request_id: request_id(request)?,
                appointment_id: appointment_id(appointment)?,
            }),
            Rec::Referral { request, appointment_at } => {
                Body::ReferralOutOfNetwork(ReferralOutOfNetwork {
                    request_id: request_id(request)?,
                    provider: Some(names.out_of_network.clone()),
                    appointment_at: Some(instant(appointment_at)),
                })
            }
            Rec::Harm(request) => Body::HarmReported(HarmReported {
                request_id: request_id(request)?,
                kind: HarmKind::EdVisit,
            }),
            Rec::Closed { request, reason } => {
                Body::RequestClosed(RequestClosed { request_id: request_id(request)?, reason })
            }
        };
        // The simulated source records every event as it happens.
        let at = instant(entry.at);
        Ok(Event {
            event_id: EventId::parse(Field::EventId, numbered(b'e', n as u64 + 1).as_str())?,
            occurred_at: at,
            entered_at: Some(at),
            actor: None,
            body,
        })
    }
}

/// The first day (1, 2, ...) on which an event of daily probability `p`
/// happens: a geometric variate, by inversion.
fn day_of_first(rng: &mut ChaCha8Rng, p: f64) -> u32 {
    if p <= 0.0 {
        return NEVER;
    }
    if p >= 1.0 {
        return 1;
    }
    let u: f64 = 1.0 - rng.random::<f64>();
    let day = (u.ln() / (1.0 - p).ln()).floor() + 1.0;
    if day.is_finite() && day < f64::from(NEVER) { day as u32 } else { NEVER }
}

/// The next day after `after` on which harm happens to a patient still
/// waiting: on day d of waiting the chance is `base × (1 + d / 30)`
/// (illustrative only), drawn by inverting the survival function, one
/// uniform per harm event rather than one per day.
fn next_harm_day(rng: &mut ChaCha8Rng, patients: &crate::scenario::Patients, after: u32) -> u32 {
    let base = patients.harm_hazard_per_day;
    if base <= 0.0 {
        return NEVER;
    }
    let u: f64 = rng.random();
    let mut survival = 1.0;
    for day in after + 1..NEVER {
        survival *= 1.0 - (base * (1.0 + f64::from(day) / 30.0)).min(1.0);
        if survival <= u {
            return day;
        }
    }
    NEVER
}

fn hours(seconds: i64) -> f64 {
    seconds as f64 / 3600.0
}

/// Runs replication `replication` of a scenario with `seed`.
pub fn run_clinics(scenario: &Scenario, seed: u64, replication: u32) -> ClinicRun<'_> {
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
    let mut clinicians = Vec::new();
    for (clinic_idx, clinic) in scenario.clinics.iter().enumerate() {
        for (provider, count) in clinic.clinicians.iter().enumerate() {
            let mut left = *count;
            let mut n: u32 = 0;
            while left > 1e-9 {
                n += 1;
                let fte = left.min(1.0);
                left -= fte;
                let weeks = scenario.days.div_ceil(7);
                let mut leave = BTreeSet::new();
                // Each clinician draws from a part of the stream of their
                // own, so that their leave does not depend on the roster.
                let mut other = stream(seed, replication, Purpose::Other);
                other.set_word_pos(
                    ((clinic_idx as u128) << 48)
                        | ((provider as u128) << 40)
                        | (u128::from(n) << 20),
                );
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
        log: Vec::new(),
        n_offers: 0,
        n_appointments: 0,
        appointment_slots: Vec::new(),
        calendar: Scheduler::default(),
        arrivals: stream(seed, replication, Purpose::Arrivals),
        patients: stream(seed, replication, Purpose::Patients),
        peak_rate: 0.0,
        first_local_day: 0,
    };
    model.first_local_day = (start
        + i64::from(
            model.zones[0]
                .to_offset(Timestamp::from_second(start).unwrap_or(Timestamp::UNIX_EPOCH))
                .seconds(),
        ))
    .div_euclid(DAY);
    // The roster first, then slots for the first weeks ahead.
    for clinic in 0..scenario.clinics.len() {
        model.log(start, clinic, Rec::Clinic);
    }
    for c in 0..model.clinicians.len() {
        model.log(start, model.clinicians[c].clinic, Rec::Clinician(c as u32));
    }
    let weeks = scenario.days.div_ceil(7);
    for week in 0..scenario.clinician.horizon_weeks.min(weeks + 4) {
        model.publish_week(week, start);
    }
    for week in 1..=weeks {
        model.calendar.schedule(hours(i64::from(week) * 7 * DAY), Ev::Week(week));
    }
    for day in 0..i64::from(scenario.days) {
        // Noon on the first clinic's clock.
        let date = start_date.checked_add(jiff::Span::new().days(day)).unwrap_or(start_date);
        model.calendar.schedule(hours(model.at(0, date, 12) - start), Ev::Noon);
    }
    // Arrivals by thinning a Poisson process at the peak rate: an arrival
    // goes to a clinic by its share of members and is kept with the ratio
    // of the rate on that clinic's clock to the peak.
    model.peak_rate = model.demand_rate(start, 0).1;
    // The arrivals are drawn beside the calendar: the next one is taken when
    // it comes before the calendar's next event.
    let mut next_arrival = exponential(&mut model.arrivals, model.peak_rate * 3600.0);

    let share: Vec<f64> = scenario.clinics.iter().map(|c| c.member_share).collect();
    loop {
        let (t, ev) = if model.calendar.peek_time().is_none_or(|next| next_arrival < next) {
            let t = next_arrival;
            model.calendar.advance_to(t);
            next_arrival = t + exponential(&mut model.arrivals, model.peak_rate * 3600.0);
            (t, Ev::Arrival)
        } else {
            match model.calendar.take_next() {
                Some(next) => next,
                None => break,
            }
        };
        let now = start + (t * 3600.0).round() as i64;
        if now >= end {
            break;
        }
        match ev {
            Ev::Week(week) => {
                model.publish_week(week + scenario.clinician.horizon_weeks - 1, now);
            }
            Ev::Noon => {
                let waiting = std::mem::take(&mut model.waitlist);
                for r in waiting {
                    model.book(r, now);
                }
            }
            Ev::Arrival => {
                let mut pick: f64 = model.arrivals.random();
                let clinic = share
                    .iter()
                    .position(|s| {
                        pick -= s;
                        pick < 0.0
                    })
                    .unwrap_or(0);
                let accept: f64 = model.arrivals.random();
                if accept * model.peak_rate > model.demand_rate(now, clinic).0 {
                    continue;
                }
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
            Ev::Waiting { request, day } => {
                let req = &model.requests[request];
                if req.attended_any || req.stage == Stage::Done {
                    continue;
                }
                let (harm_day, withdraw_day, clinic) = (req.harm_day, req.withdraw_day, req.clinic);
                let r = request as u32;
                if day == harm_day {
                    model.log(now, clinic, Rec::Harm(r));
                    model.requests[request].harm_day =
                        next_harm_day(&mut model.patients, &scenario.patients, harm_day);
                }
                if day == withdraw_day {
                    if let Some((appointment, slot)) = model.requests[request].appointment.take() {
                        model.release(slot);
                        model.log(now, clinic, Rec::Cancelled { appointment, request: r });
                    }
                    model.requests[request].stage = Stage::Done;
                    model.log(
                        now,
                        clinic,
                        Rec::Closed { request: r, reason: CloseReason::Withdrawn },
                    );
                    continue;
                }
                model.schedule_waiting(request);
            }
            Ev::Cancel { request, appointment, slot } => {
                let req = &model.requests[request];
                if req.stage != Stage::Booked || req.appointment.map(|a| a.0) != Some(appointment) {
                    continue;
                }
                let clinic = req.clinic;
                model.release(slot);
                model.log(now, clinic, Rec::Cancelled { appointment, request: request as u32 });
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
                let r = request as u32;
                let no_show = if follow_up {
                    scenario.patients.no_show_follow_up
                } else {
                    scenario.patients.no_show_initial
                };
                if model.patients.random_bool(no_show) {
                    model.log(now + 15 * 60, clinic, Rec::NoShow { appointment, request: r });
                    model.requests[request].stage = Stage::Waiting;
                    model.requests[request].appointment = None;
                    if !follow_up
                        && model.patients.random_bool(scenario.patients.unreachable_after_no_show)
                    {
                        model.requests[request].stage = Stage::Done;
                        let reason = CloseReason::Unreachable;
                        model.log(now + HOUR, clinic, Rec::Closed { request: r, reason });
                    } else {
                        model.book(request, now + HOUR);
                    }
                    continue;
                }
                model.log(now + 50 * 60, clinic, Rec::Attended { appointment, request: r });
                let reason = CloseReason::Served;
                model.log(now + 55 * 60, clinic, Rec::Closed { request: r, reason });
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
                    let prior = Prior {
                        appointment,
                        at: model.slots[slot].start,
                        clinician,
                        patient,
                        remaining: remaining - 1,
                        individual: model.requests[request].individual,
                    };
                    model.open(now + 55 * 60, clinic, false, provider, Some(prior));
                }
            }
        }
    }
    let requests = model.requests.len() as u64;
    // What is left to do is turning the log into events.
    model.calendar = Scheduler::default();
    model.free.clear();
    model.free_return.clear();
    let names = Names::new(&model)
        .inspect_err(|err| debug_assert!(false, "a scenario id is not valid: {err}"))
        .ok();
    ClinicRun {
        model,
        names,
        requests,
        start: Timestamp::from_second(start).unwrap_or(Timestamp::UNIX_EPOCH),
        end: Timestamp::from_second(end).unwrap_or(Timestamp::UNIX_EPOCH),
    }
}
