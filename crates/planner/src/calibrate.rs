//! Calibration: a scenario fitted to a ledger's events, so that the
//! simulator replays the plan's own demand, behaviour and slot supply.
//!
//! Every estimate is a ratio of counts in the events (docs/planning.md
//! lists them); what the events cannot tell (the urgent carve-out, the
//! booking horizon, harm) keeps the scenario defaults and is named in
//! [`Calibration::notes`].

use std::collections::BTreeMap;

use events::{
    Body, CancelledBy, CloseReason, DeclineReason, Event, Format, RequestedFormat, Urgency, Visit,
};
use foldhash::{HashMap, HashSet};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sim::{Clinic, Scenario};

const DAY: f64 = 86_400.0;

/// A fitted scenario, and what could not be fitted.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// The scenario.
    pub scenario: Scenario,
    /// Initial requests a year, as observed.
    pub requests_per_year: f64,
    /// What the events could not tell, and what was assumed instead.
    pub notes: Vec<String>,
}

use crate::staffing::type_index;

struct Request {
    clinic: usize,
    provider: Option<usize>,
    initial: bool,
    urgent: bool,
    prior_auth: bool,
    individual: bool,
    opened: Timestamp,
    prior_appointment: Option<String>,
    offers: u32,
    first_offer_individual: Option<bool>,
    first_offer_declined: bool,
    first_offer_id: Option<String>,
    first_offer_at: Option<Timestamp>,
    attended: Option<Timestamp>,
    closed: Option<(Timestamp, CloseReason)>,
    no_shows: u32,
}

/// A ratio, or `default` when there is nothing to divide by.
fn ratio(numerator: f64, denominator: f64, default: f64) -> f64 {
    if denominator > 0.0 { numerator / denominator } else { default }
}

/// Fits a scenario to `events` (the ledger's live events, in ledger
/// order) up to `end`. `members` is the plan's membership, which events do
/// not record; without it, the scenario has 10 members per initial request
/// a year (100 requests per 1,000 members).
pub fn calibrate(events: &[&Event], end: Timestamp, members: Option<u32>) -> Calibration {
    let mut scenario = Scenario {
        name: "calibrated from a ledger".to_owned(),
        start: String::new(),
        days: 365,
        members: 1,
        demand: Default::default(),
        course: Default::default(),
        clinician: Default::default(),
        patients: Default::default(),
        policy: Default::default(),
        clinics: Vec::new(),
    };
    let mut notes = Vec::new();
    // Clinics and clinicians.
    let mut clinic_index: HashMap<&str, usize> = HashMap::default();
    let mut clinics: Vec<(Clinic, TimeZone)> = Vec::new();
    let mut clinicians: HashMap<&str, (usize, Option<usize>, f64)> = HashMap::default();
    for event in events {
        match &event.body {
            Body::ClinicRegistered(c) => {
                let clinic = Clinic {
                    id: c.clinic.to_string(),
                    time_zone: c.time_zone.as_str().to_owned(),
                    network: c.network.to_string(),
                    member_share: 0.0,
                    clinicians: [0.0; 3],
                    urgent_carve_out: None,
                };
                match clinic_index.get(c.clinic.as_str()) {
                    Some(&idx) => clinics[idx] = (clinic, c.time_zone.time_zone()),
                    None => {
                        clinic_index.insert(c.clinic.as_str(), clinics.len());
                        clinics.push((clinic, c.time_zone.time_zone()));
                    }
                }
            }
            Body::ClinicianRegistered(c) => {
                if let Some(&clinic) = clinic_index.get(c.clinic.as_str()) {
                    let fte = c.fte.map_or(1.0, |f| f.as_f64());
                    clinicians.insert(
                        c.clinician_id.as_str(),
                        (clinic, type_index(c.provider_type), fte),
                    );
                }
            }
            _ => {}
        }
    }
    // Summed in thousandths, in the order of the ids, so that the totals
    // are exact and the same on every run.
    let mut thousandths = vec![[0u64; 3]; clinics.len()];
    let mut ids: Vec<&&str> = clinicians.keys().collect();
    ids.sort();
    for id in ids {
        if let Some(&(clinic, Some(p), fte)) = clinicians.get(*id) {
            thousandths[clinic][p] += (fte * 1000.0).round() as u64;
        }
    }
    for ((clinic, _), sums) in clinics.iter_mut().zip(&thousandths) {
        clinic.clinicians = sums.map(|t| t as f64 / 1000.0);
    }

    // Requests and what happened to them.
    let mut requests: Vec<Request> = Vec::new();
    let mut request_index: HashMap<&str, usize> = HashMap::default();
    let mut appointment_request: HashMap<&str, (usize, Timestamp, bool)> = HashMap::default();
    let mut group_offers: HashMap<&str, usize> = HashMap::default();
    let (mut group_offered, mut group_accepted) = (0.0, 0.0);
    let (mut bookings, mut cancellations) = (0.0, 0.0_f64);
    let mut no_show = [[0.0; 2]; 2]; // [initial, follow-up][no-show, attended]
    let mut cancelled_at: Vec<(usize, Timestamp)> = Vec::new();
    let mut attended_appointments: HashSet<&str> = HashSet::default();
    for event in events {
        let at = event.occurred_at.timestamp();
        if at > end {
            continue;
        }
        match &event.body {
            Body::RequestOpened(r) => {
                let Some(&clinic) = clinic_index.get(r.clinic.as_str()) else { continue };
                request_index.insert(r.request_id.as_str(), requests.len());
                requests.push(Request {
                    clinic,
                    provider: type_index(r.provider_type),
                    initial: r.visit == Visit::Initial,
                    urgent: r.urgency == Urgency::Urgent,
                    prior_auth: r.prior_auth,
                    individual: r.requested_format == RequestedFormat::Individual,
                    opened: at,
                    prior_appointment: r.prior_appointment_id.as_ref().map(|a| a.to_string()),
                    offers: 0,
                    first_offer_individual: None,
                    first_offer_declined: false,
                    first_offer_id: None,
                    first_offer_at: None,
                    attended: None,
                    closed: None,
                    no_shows: 0,
                });
            }
            Body::OfferMade(o) => {
                let Some(&r) = request_index.get(o.request_id.as_str()) else { continue };
                let request = &mut requests[r];
                if request.offers == 0 {
                    request.first_offer_individual = Some(o.format == Format::Individual);
                    request.first_offer_id = Some(o.offer_id.to_string());
                    request.first_offer_at = Some(o.appointment_at.timestamp());
                }
                request.offers += 1;
                if o.format == Format::Group && request.individual {
                    group_offered += 1.0;
                    group_offers.insert(o.offer_id.as_str(), r);
                }
            }
            Body::OfferDeclined(d) => {
                let Some(&r) = request_index.get(d.request_id.as_str()) else { continue };
                let request = &mut requests[r];
                if d.reason == DeclineReason::PatientPreference
                    && request.first_offer_id.as_deref() == Some(d.offer_id.as_str())
                {
                    request.first_offer_declined = true;
                }
            }
            Body::AppointmentBooked(b) => {
                let Some(&r) = request_index.get(b.request_id.as_str()) else { continue };
                let appointment_at = b.appointment_at.timestamp();
                appointment_request
                    .insert(b.appointment_id.as_str(), (r, appointment_at, requests[r].initial));
                if appointment_at <= end {
                    bookings += 1.0;
                }
                if b.offer_id.as_ref().is_some_and(|o| group_offers.contains_key(o.as_str())) {
                    group_accepted += 1.0;
                }
            }
            Body::AppointmentCancelled(c) if c.by == CancelledBy::Patient => {
                if let Some((r, appointment_at, _)) =
                    appointment_request.get(c.appointment_id.as_str())
                    && *appointment_at <= end
                {
                    cancellations += 1.0;
                    cancelled_at.push((*r, at));
                }
            }
            Body::AppointmentAttended(a) => {
                if let Some(&(r, appointment_at, initial)) =
                    appointment_request.get(a.appointment_id.as_str())
                {
                    requests[r].attended.get_or_insert(appointment_at);
                    attended_appointments.insert(a.appointment_id.as_str());
                    no_show[usize::from(!initial)][1] += 1.0;
                }
            }
            Body::AppointmentNoShow(n) => {
                if let Some(&(r, _, initial)) = appointment_request.get(n.appointment_id.as_str()) {
                    requests[r].no_shows += 1;
                    no_show[usize::from(!initial)][0] += 1.0;
                }
            }
            Body::RequestClosed(c) => {
                if let Some(&r) = request_index.get(c.request_id.as_str()) {
                    requests[r].closed.get_or_insert((at, c.reason));
                }
            }
            _ => {}
        }
    }
    // A cancellation at the moment its request closes as withdrawn is the
    // withdrawal's, not a cancellation of its own.
    for (r, at) in cancelled_at {
        if requests[r].closed == Some((at, CloseReason::Withdrawn)) {
            cancellations -= 1.0;
        }
    }

    let initial: Vec<&Request> = requests.iter().filter(|r| r.initial).collect();
    let n_initial = initial.len() as f64;
    let first = initial.iter().map(|r| r.opened).min().unwrap_or(end);
    let span_days = ((end - first).as_secs_f64() / DAY).max(1.0);
    let requests_per_year = n_initial / span_days * 365.0;

    // The period and the plan.
    let first_zone = clinics.first().map_or(TimeZone::UTC, |(_, tz)| tz.clone());
    let start_date = first_zone.to_datetime(first).date();
    scenario.start = start_date.to_string();
    scenario.days = (span_days.round() as u32).clamp(7, 3660);
    if members.is_none() {
        notes.push("no membership given: 10 members per initial request a year".to_owned());
    }
    let members = members.unwrap_or_else(|| (requests_per_year * 10.0).round().max(1.0) as u32);
    scenario.members = members.max(1);
    scenario.demand.requests_per_1000 = requests_per_year / f64::from(scenario.members) * 1000.0;

    // Demand.
    let count = |f: &dyn Fn(&Request) -> bool| initial.iter().filter(|r| f(r)).count() as f64;
    let urgent = count(&|r| r.urgent);
    scenario.demand.urgent_share = ratio(urgent, n_initial, scenario.demand.urgent_share);
    scenario.demand.prior_auth_share =
        ratio(count(&|r| r.urgent && r.prior_auth), urgent, scenario.demand.prior_auth_share);
    let by_type: [f64; 3] = std::array::from_fn(|p| count(&|r| r.provider == Some(p)));
    let typed: f64 = by_type.iter().sum();
    if typed > 0.0 {
        scenario.demand.provider_mix = by_type.map(|n| n / typed);
    }
    scenario.demand.individual_share =
        ratio(count(&|r| r.individual), n_initial, scenario.demand.individual_share);
    let mut weekdays = [0.0; 7];
    let mut months = [0.0; 12];
    for r in &initial {
        let date = clinics[r.clinic].1.to_datetime(r.opened).date();
        weekdays[date.weekday().to_monday_zero_offset() as usize] += 1.0;
        months[date.month() as usize - 1] += 1.0;
    }
    let mean_weekday = weekdays.iter().sum::<f64>() / 7.0;
    if mean_weekday > 0.0 {
        scenario.demand.weekday_weights = weekdays.map(|n| n / mean_weekday);
    }
    if span_days >= 350.0 {
        // The first harmonic of the monthly rates (counts per day of the
        // month), peaking in January.
        const DAYS: [f64; 12] =
            [31.0, 28.25, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0];
        for (count, days) in months.iter_mut().zip(DAYS) {
            *count /= days;
        }
        let mean_month = months.iter().sum::<f64>() / 12.0;
        let amplitude = months
            .iter()
            .enumerate()
            .map(|(m, n)| {
                (n / mean_month - 1.0)
                    * (2.0 * std::f64::consts::PI * (m as f64 + 0.5) / 12.0).cos()
            })
            .sum::<f64>()
            * 2.0
            / 12.0;
        scenario.demand.seasonal_amplitude = amplitude.clamp(0.0, 1.0);
    } else {
        notes.push("less than a year of requests: the seasonal swing is the default".to_owned());
    }

    // Shares of members by clinic, from where initial requests are made.
    for (idx, (clinic, _)) in clinics.iter_mut().enumerate() {
        clinic.member_share = ratio(count(&|r| r.clinic == idx), n_initial, 0.0);
    }

    // Courses: whether an attended visit led to a follow-up request, for
    // visits at least 30 days before the end (later ones may not have yet).
    let followed: HashSet<&str> =
        requests.iter().filter_map(|r| r.prior_appointment.as_deref()).collect();
    let mature = |at: Timestamp| (end - at).as_secs_f64() >= 30.0 * DAY;
    let mut visits = [[0.0; 2]; 2]; // [initial, follow-up][visits, followed]
    for (appointment, (_, at, initial)) in &appointment_request {
        if attended_appointments.contains(appointment) && mature(*at) {
            let row = &mut visits[usize::from(!initial)];
            row[0] += 1.0;
            if followed.contains(appointment) {
                row[1] += 1.0;
            }
        }
    }
    let c = &mut scenario.course;
    c.follow_up_probability = ratio(visits[0][1], visits[0][0], c.follow_up_probability);
    let again = ratio(visits[1][1], visits[1][0], f64::NAN);
    if again.is_finite() && again < 1.0 {
        // Follow-ups after the first visit are geometric: mean 1/(1 − q).
        c.mean_visits = (1.0 + 1.0 / (1.0 - again)).clamp(2.0, 60.0);
    }
    // The cadence: a return visit can be booked from cadence − 3 days
    // after the visit before, and is mostly offered soon after; the 10th
    // percentile of the gap to the first offer stands for that moment.
    let mut gaps: Vec<f64> = requests
        .iter()
        .filter(|r| !r.initial)
        .filter_map(|r| {
            let (_, prior_at, _) = appointment_request.get(r.prior_appointment.as_deref()?)?;
            Some((r.first_offer_at? - *prior_at).as_secs_f64() / DAY)
        })
        .collect();
    gaps.sort_by(f64::total_cmp);
    if let Some(p10) = gaps.get(gaps.len() / 10) {
        c.cadence_days = ((p10.floor() + 3.0).max(3.0) as u32).min(90);
    }

    // Patients.
    let p = &mut scenario.patients;
    p.no_show_initial = ratio(no_show[0][0], no_show[0][0] + no_show[0][1], p.no_show_initial);
    p.no_show_follow_up = ratio(no_show[1][0], no_show[1][0] + no_show[1][1], p.no_show_follow_up);
    let unreachable = count(&|r| {
        r.no_shows > 0 && r.closed.is_some_and(|(_, reason)| reason == CloseReason::Unreachable)
    });
    p.unreachable_after_no_show =
        ratio(unreachable, no_show[0][0], p.unreachable_after_no_show).min(1.0);
    let first_individual = requests.iter().filter(|r| r.first_offer_individual == Some(true));
    let (offered, declined) = first_individual
        .fold((0.0, 0.0), |(n, d), r| (n + 1.0, d + f64::from(u8::from(r.first_offer_declined))));
    p.decline_probability = ratio(declined, offered, p.decline_probability);
    p.cancel_probability = ratio(cancellations.max(0.0), bookings, p.cancel_probability);
    p.accept_group = ratio(group_accepted, group_offered, p.accept_group);
    // Withdrawals per day of waiting for a first visit.
    let (mut withdrawn, mut waiting_days) = (0.0, 0.0);
    for r in &initial {
        let stop = [r.attended, r.closed.map(|(at, _)| at), Some(end)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(end);
        // The chance is per whole day waited, as the model draws it.
        waiting_days += ((stop - r.opened).as_secs_f64() / DAY).max(0.0).floor();
        if r.closed.is_some_and(|(_, reason)| reason == CloseReason::Withdrawn) {
            withdrawn += 1.0;
        }
    }
    p.withdraw_per_day = ratio(withdrawn, waiting_days, p.withdraw_per_day);
    notes.push("harm while waiting keeps its illustrative default".to_owned());

    // Slot supply, per clinician and week of the slot's start.
    // Weeks from the Monday before the first request, in the first clinic's
    // time zone, that end by the last event: whole weeks only.
    let monday = start_date
        .checked_sub(
            jiff::Span::new().days(i64::from(start_date.weekday().to_monday_zero_offset())),
        )
        .unwrap_or(start_date);
    let week_zero = first_zone
        .to_ambiguous_timestamp(monday.to_datetime(jiff::civil::Time::midnight()))
        .compatible()
        .unwrap_or(first);
    calibrate_slots(events, &clinicians, week_zero, end, &mut scenario, &mut notes);
    scenario.policy.group_when_short = group_offered > 0.0;
    scenario.policy.out_of_network_when_short =
        events.iter().any(|e| matches!(e.body, Body::ReferralOutOfNetwork(_)));
    notes.push(format!(
        "the urgent carve-out ({} sessions a week) and the booking horizon ({} weeks) are not in the events: defaults",
        scenario.clinician.urgent_carve_out, scenario.clinician.horizon_weeks
    ));
    scenario.clinics =
        clinics.into_iter().map(|(c, _)| c).filter(|c| c.member_share > 0.0).collect();
    // Shares that add up to 1 exactly, for the scenario's check.
    let total: f64 = scenario.clinics.iter().map(|c| c.member_share).sum();
    for clinic in &mut scenario.clinics {
        clinic.member_share /= total;
    }
    Calibration { scenario, requests_per_year, notes }
}

fn calibrate_slots(
    events: &[&Event],
    clinicians: &HashMap<&str, (usize, Option<usize>, f64)>,
    week_zero: Timestamp,
    end: Timestamp,
    scenario: &mut Scenario,
    notes: &mut Vec<String>,
) {
    const WEEK: i64 = 7 * 86_400;
    let whole_weeks = (end - week_zero).as_secs().div_euclid(WEEK).max(0);
    // (clinician, week) → (individual, intake, group, group places)
    let mut weeks: BTreeMap<(&str, i64), [f64; 4]> = BTreeMap::new();
    for event in events {
        let Body::SlotPublished(s) = &event.body else { continue };
        let start = s.time.start().timestamp();
        let week = (start - week_zero).as_secs().div_euclid(WEEK);
        if start < week_zero || week >= whole_weeks {
            continue;
        }
        let entry = weeks.entry((s.clinician_id.as_str(), week)).or_default();
        match s.format {
            Format::Individual => {
                entry[0] += 1.0;
                if s.new_patients {
                    entry[1] += 1.0;
                }
            }
            Format::Group => {
                entry[2] += 1.0;
                entry[3] += f64::from(s.capacity.get());
            }
        }
    }
    if weeks.is_empty() {
        notes.push("no published slots: the slot supply is the default".to_owned());
        return;
    }
    let n_weeks = (whole_weeks as f64).max(1.0);
    let mut per_type = [[0.0; 2]; 3]; // [sessions, intake] over full-time active weeks
    let (mut full_time, mut active) = (0.0, 0.0);
    let (mut group_sessions, mut group_weeks, mut places) = (0.0, 0.0, 0.0);
    let mut last = None;
    // Clinicians of a planned type with a slot, and their weeks with one.
    let (mut seen, mut seen_weeks) = (0.0, 0.0);
    for ((clinician, _), [individual, intake, group, group_places]) in &weeks {
        let Some(&(_, Some(p), fte)) = clinicians.get(clinician) else { continue };
        if last != Some(*clinician) {
            last = Some(*clinician);
            seen += 1.0;
        }
        seen_weeks += 1.0;
        if fte >= 0.999 {
            per_type[p][0] += individual;
            per_type[p][1] += intake;
            full_time += individual;
            active += 1.0;
        }
        if p != 1 && *group > 0.0 {
            group_sessions += group;
            group_weeks += 1.0;
            places += group_places;
        }
    }
    let template = &mut scenario.clinician;
    if active > 0.0 {
        template.sessions_per_week = (full_time / active).round() as u32;
    }
    let shares: [f64; 3] =
        std::array::from_fn(|p| ratio(per_type[p][1], per_type[p][0], template.intake_share));
    template.intake_share = ratio(
        per_type.iter().map(|t| t[1]).sum(),
        per_type.iter().map(|t| t[0]).sum(),
        template.intake_share,
    );
    template.intake_shares = Some(shares);
    if group_weeks > 0.0 {
        template.group_sessions_per_week = (group_sessions / group_weeks).round() as u32;
        template.group_capacity = (places / group_sessions).round().max(1.0) as u32;
    }
    // Weeks without a slot are leave, counted over the clinicians seen.
    let leave_share = 1.0 - ratio(seen_weeks, seen * n_weeks, 1.0);
    template.leave_weeks = (leave_share.max(0.0) * 52.0).round() as u32;
}
