//! The report in parts, so that a ledger of any size fits in memory.
//!
//! A report needs two kinds of fact: those of one patient (a request's
//! verdicts, follow-up gaps, clock resets) and those that cross patients
//! (slots, clinics, the late entries and voids). So it is computed as:
//!
//! 1. [`Scan`]: every stored entry, in ledger order, once; it keeps only the
//!    facts that cross patients, in compact form, and the findings that are
//!    made event by event. [`Scan::finish`] gives the [`Shared`] facts.
//! 2. [`Router`] sends each live request event to the part of its patient;
//!    the caller keeps the parts (in memory, or spilled to disk).
//! 3. [`Partial::compute`] on each part's events, in any order and on any
//!    thread; [`Partial::merge`] adds parts together.
//! 4. [`finish`] turns the shared facts and the merged part into the
//!    [`Report`].
//!
//! The result does not depend on how many parts there are or how patients
//! fall into them: a test holds every split to the report of one part.

use std::borrow::Cow;

use foldhash::HashMap;
use foldhash::fast::FixedState;
use hashbrown::HashTable;
use jiff::Timestamp;
use jiff::tz::TimeZone;

use events::{Body, Event, EventType, Instant, ProviderType};
use rules::RuleSet;

use crate::access::{self, AccessPart, Slot, TnaRow};
use crate::integrity::{self, Checks, OpenedChecks};
use crate::report::{self, GroupBy, Groups};
use crate::{Entry, Report};

/// Dense numbers for strings: each distinct string gets the next `u32`.
/// The strings live in one arena, so millions of ids cost a few bytes each
/// beyond their text.
#[derive(Default)]
pub(crate) struct Interner {
    text: String,
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: FixedState,
}

impl Interner {
    fn hash(&self, text: &str) -> u64 {
        use std::hash::BuildHasher;
        self.hasher.hash_one(text)
    }

    fn get_index(&self, idx: u32) -> &str {
        let idx = idx as usize;
        let start = if idx == 0 { 0 } else { self.ends[idx - 1] };
        &self.text[start..self.ends[idx]]
    }

    /// The number of `text`, if it has one.
    pub(crate) fn get(&self, text: &str) -> Option<u32> {
        let hash = self.hash(text);
        self.table.find(hash, |&idx| self.get_index(idx) == text).copied()
    }

    /// The number of `text`, and whether it is new.
    pub(crate) fn intern(&mut self, text: &str) -> (u32, bool) {
        let hash = self.hash(text);
        if let Some(&idx) = self.table.find(hash, |&idx| self.get_index(idx) == text) {
            return (idx, false);
        }
        let idx = u32::try_from(self.ends.len()).expect("fewer than 2^32 distinct ids");
        self.text.push_str(text);
        self.ends.push(self.text.len());
        let Interner { text, ends, table, hasher } = self;
        table.insert_unique(hash, idx, |&other| {
            use std::hash::BuildHasher;
            let other = other as usize;
            let start = if other == 0 { 0 } else { ends[other - 1] };
            hasher.hash_one(&text[start..ends[other]])
        });
        (idx, true)
    }

    /// The string numbered `idx`.
    pub(crate) fn name(&self, idx: u32) -> &str {
        self.get_index(idx)
    }
}

/// Where [`Router::route`] sends an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Not an event of a request: [`Scan`] has all a report needs of it.
    Shared,
    /// An event of a request, for this part.
    Part(usize),
    /// An event of a request not opened (yet): offer it again after the
    /// other events; when its request is never opened, it counts for
    /// nothing (as [`rules::assemble`] leaves it out).
    Unknown,
}

/// Sends each request's events to the part of its patient, so that
/// everything about one patient (follow-ups, clock resets, gaps between
/// visits) is in one part.
pub struct Router {
    parts: usize,
    requests: Interner,
    part_of: Vec<u32>,
}

impl Router {
    /// A router over `parts` parts (at least one).
    pub fn new(parts: usize) -> Router {
        Router { parts: parts.max(1), requests: Interner::default(), part_of: Vec::new() }
    }

    /// The part of a live event.
    pub fn route(&mut self, event: &Event) -> Route {
        let Some(request_id) = event.request_id() else { return Route::Shared };
        if let Body::RequestOpened(opened) = &event.body {
            use std::hash::BuildHasher;
            let part = (FixedState::with_seed(0x6361_7265).hash_one(opened.patient_id.as_str())
                % self.parts as u64) as u32;
            let (idx, new) = self.requests.intern(request_id.as_str());
            if new {
                self.part_of.push(part);
            } else {
                self.part_of[idx as usize] = part;
            }
            return Route::Part(part as usize);
        }
        match self.requests.get(request_id.as_str()) {
            Some(idx) => Route::Part(self.part_of[idx as usize] as usize),
            None => Route::Unknown,
        }
    }
}

/// The facts that cross patients, from one pass over the ledger in order.
pub struct Scan {
    as_of: Timestamp,
    /// When the ledger's first live event was recorded: from then on its
    /// events came as they were entered, and a backfill of events after it
    /// is no history.
    first_live: Option<Timestamp>,
    clinic_names: Interner,
    /// By clinic number: the latest registration's zone and network.
    clinics: Vec<Option<(TimeZone, String)>>,
    clinicians: Interner,
    clinician_types: Vec<Option<ProviderType>>,
    slot_ids: Interner,
    /// By slot number: the slot (`None` until published) and its clinician.
    slots: Vec<Option<(Slot, u32)>>,
    appointment_ids: Interner,
    /// By appointment number: its booked time, and its slot's number when
    /// that slot was published.
    appointments: Vec<(Instant, Option<u32>)>,
    checks: Checks,
}

impl Scan {
    /// A scan for a report as of `as_of`.
    pub fn new(as_of: Timestamp) -> Scan {
        Scan {
            first_live: None,
            as_of,
            clinic_names: Interner::default(),
            clinics: Vec::new(),
            clinicians: Interner::default(),
            clinician_types: Vec::new(),
            slot_ids: Interner::default(),
            slots: Vec::new(),
            appointment_ids: Interner::default(),
            appointments: Vec::new(),
            checks: Checks::default(),
        }
    }

    fn clinic(&mut self, name: &str) -> u32 {
        let (idx, new) = self.clinic_names.intern(name);
        if new {
            self.clinics.push(None);
        }
        idx
    }

    fn clinician(&mut self, id: &str) -> u32 {
        let (idx, new) = self.clinicians.intern(id);
        if new {
            self.clinician_types.push(None);
        }
        idx
    }

    fn slot(&mut self, id: &str) -> u32 {
        let (idx, new) = self.slot_ids.intern(id);
        if new {
            self.slots.push(None);
        }
        idx
    }

    /// Takes the next stored entry, in ledger order: `recorded` is when and
    /// how the ledger stored it, `voided` whether a void names it (as of the
    /// report's moment).
    pub fn observe(&mut self, event: &Event, recorded: crate::Recorded, voided: bool) {
        if !recorded.backfill && self.first_live.is_none() {
            self.first_live = Some(recorded.at);
        }
        if voided {
            self.checks.voided.push(event.event_id.as_str());
            return;
        }
        let recorded_at = recorded.at;
        let at = event.occurred_at.timestamp();
        let entered = event.entered_at.map_or(recorded_at, |e| e.timestamp());
        let limit = if event.event_type() == EventType::RequestOpened {
            integrity::LATE_OPENING_SECONDS
        } else {
            integrity::LATE_OTHER_SECONDS
        };
        if (entered - at).as_secs() > limit {
            // A backfill's recording moment is not an entry time: without
            // entered_at, when history was entered at its source is
            // unknown. History is what happened before the ledger's live
            // feed began; a backfill of later events is judged as late.
            let history = self.first_live.is_none_or(|live| at < live);
            if recorded.backfill && event.entered_at.is_none() && history {
                self.checks.backfilled.push(event.event_id.as_str());
            } else {
                self.checks.late.push(event.event_id.as_str());
            }
        }
        let latest = at.max(entered);
        if latest.duration_since(recorded_at) > integrity::FUTURE {
            self.checks.before_occurring.push(event.event_id.as_str());
        }
        match &event.body {
            Body::ClinicRegistered(c) => {
                let idx = self.clinic(c.clinic.as_str());
                self.clinics[idx as usize] = Some((c.time_zone.time_zone(), c.network.to_string()));
            }
            Body::ClinicianRegistered(c) => {
                let idx = self.clinician(c.clinician_id.as_str());
                self.clinician_types[idx as usize] = Some(c.provider_type);
            }
            Body::SlotPublished(s) => {
                let clinic = self.clinic(s.clinic.as_str());
                let clinician = self.clinician(s.clinician_id.as_str());
                let idx = self.slot(s.slot_id.as_str());
                // The ledger creates each slot once; a second publication
                // (never stored) would leave the first.
                if self.slots[idx as usize].is_none() {
                    let slot = Slot {
                        clinic,
                        provider_type: ProviderType::Other,
                        published: at,
                        start: s.time.start().timestamp(),
                        capacity: s.capacity.get(),
                        withdrawn: None,
                        taken: Vec::new(),
                        booked: 0,
                    };
                    self.slots[idx as usize] = Some((slot, clinician));
                }
            }
            Body::SlotWithdrawn(w) => {
                if let Some(idx) = self.slot_ids.get(w.slot_id.as_str())
                    && let Some((slot, _)) = &mut self.slots[idx as usize]
                {
                    slot.withdrawn.get_or_insert(at);
                }
            }
            Body::OfferMade(o) => {
                if o.appointment_at.timestamp() < at {
                    self.checks.past_time.push(event.event_id.as_str());
                }
                if let Some(slot_id) = &o.slot_id {
                    let slot = self
                        .slot_ids
                        .get(slot_id.as_str())
                        .and_then(|idx| self.slots[idx as usize].as_ref().map(|(slot, _)| slot));
                    match slot {
                        None => self.checks.never_published.push(event.event_id.as_str()),
                        Some(slot) => {
                            if slot.booked >= slot.capacity
                                || slot.withdrawn.is_some_and(|w| w <= at)
                            {
                                self.checks.already_taken.push(event.event_id.as_str());
                            }
                        }
                    }
                }
            }
            Body::AppointmentBooked(b) => {
                let mut slot_idx = None;
                if let Some(slot_id) = &b.slot_id {
                    let found = self.slot_ids.get(slot_id.as_str());
                    match found.and_then(|idx| self.slots[idx as usize].as_mut()) {
                        None => self.checks.never_published.push(event.event_id.as_str()),
                        Some((slot, _)) => {
                            if slot.booked >= slot.capacity
                                || slot.withdrawn.is_some_and(|w| w <= at)
                            {
                                self.checks.already_taken.push(event.event_id.as_str());
                            }
                            slot.booked += 1;
                            slot.taken.push(at);
                            slot_idx = found;
                        }
                    }
                }
                let (idx, new) = self.appointment_ids.intern(b.appointment_id.as_str());
                if new {
                    self.appointments.push((b.appointment_at, slot_idx));
                } else {
                    self.appointments[idx as usize] = (b.appointment_at, slot_idx);
                }
            }
            Body::AppointmentCancelled(c) => {
                if let Some(idx) = self.appointment_ids.get(c.appointment_id.as_str())
                    && let Some(slot) = self.appointments[idx as usize].1
                    && let Some((slot, _)) = &mut self.slots[slot as usize]
                {
                    slot.booked = slot.booked.saturating_sub(1);
                }
            }
            _ => {}
        }
    }

    /// The shared facts, with the third next available computed.
    pub fn finish(self, rule_set: &RuleSet) -> Shared {
        let Scan {
            as_of,
            first_live: _,
            clinic_names,
            clinics,
            clinicians: _,
            clinician_types,
            slot_ids: _,
            slots,
            appointment_ids,
            appointments,
            checks,
        } = self;
        let mut by_name = HashMap::default();
        for (idx, clinic) in clinics.into_iter().enumerate() {
            if let Some((time_zone, network)) = clinic {
                by_name.insert(
                    clinic_names.name(idx as u32).to_owned(),
                    report::Clinic { time_zone, network },
                );
            }
        }
        let unregistered = report::Clinic {
            time_zone: rule_set.time_zone.clone(),
            network: "(unregistered)".to_owned(),
        };
        let slots: Vec<Slot> = slots
            .into_iter()
            .flatten()
            .map(|(mut slot, clinician)| {
                slot.provider_type =
                    clinician_types[clinician as usize].unwrap_or(ProviderType::Other);
                slot
            })
            .collect();
        let zone = |clinic: &str| {
            by_name
                .get(clinic)
                .map_or_else(|| unregistered.time_zone.clone(), |c| c.time_zone.clone())
        };
        let third_next_available =
            access::third_next_available(&slots, &|idx| clinic_names.name(idx), &zone, as_of);
        Shared {
            clinics: by_name,
            unregistered,
            third_next_available,
            appointment_ids,
            appointments: appointments.into_iter().map(|(at, _)| at).collect(),
            checks,
        }
    }
}

/// What every part needs, from [`Scan::finish`].
pub struct Shared {
    clinics: HashMap<String, report::Clinic>,
    unregistered: report::Clinic,
    third_next_available: Vec<TnaRow>,
    appointment_ids: Interner,
    appointments: Vec<Instant>,
    checks: Checks,
}

impl Shared {
    pub(crate) fn clinic(&self, id: &str) -> &report::Clinic {
        self.clinics.get(id).unwrap_or(&self.unregistered)
    }

    /// A clinic's network (`(unregistered)` for a clinic never
    /// registered).
    pub fn network(&self, id: &str) -> &str {
        &self.clinic(id).network
    }

    /// A clinic's time zone (the rule set's for one never registered).
    pub(crate) fn zone(&self, id: &str) -> &TimeZone {
        &self.clinic(id).time_zone
    }

    /// The time zone of a registered clinic (its latest registration);
    /// `None` for a clinic never registered.
    pub fn registered_time_zone(&self, id: &str) -> Option<&TimeZone> {
        self.clinics.get(id).map(|c| &c.time_zone)
    }

    /// The booked time of an appointment anywhere in the ledger (for
    /// [`rules::assemble_with`]).
    pub fn appointment_at(&self, id: &str) -> Option<Instant> {
        self.appointment_ids.get(id).map(|idx| self.appointments[idx as usize])
    }

    pub(crate) fn third_next_available(&self) -> &[TnaRow] {
        &self.third_next_available
    }
}

/// One part's share of a report; parts add up with [`Partial::merge`].
pub struct Partial {
    groups: Vec<Groups>,
    late_extensions: Vec<String>,
    unjudged: Vec<String>,
    failing: Vec<report::Failing>,
    access: AccessPart,
    opened: OpenedChecks,
}

impl Partial {
    /// The share of the live events of some patients (all events of each
    /// of their requests, in ledger order).
    pub fn compute(
        events: &[&Event],
        shared: &Shared,
        rule_set: &RuleSet,
        as_of: Timestamp,
        by: &[GroupBy],
        period: &crate::Period,
    ) -> Partial {
        let report::Compliance { groups, late_extensions, unjudged, failing } = report::compliance(
            events,
            shared,
            rule_set,
            as_of,
            &[by, &[GroupBy::Month], &[GroupBy::Network]],
            period,
        );
        let access = access::access_part(events, as_of, shared);
        let opened = integrity::opened_checks(events, shared);
        Partial { groups, late_extensions, unjudged, failing, access, opened }
    }

    /// Adds another part's share (`rule_set` is the one both were computed
    /// under).
    pub fn merge(&mut self, other: Partial, rule_set: &RuleSet) {
        self.failing.extend(other.failing);
        report::keep_longest(&mut self.failing, rule_set);
        for (mine, theirs) in self.groups.iter_mut().zip(other.groups) {
            report::merge_groups(mine, theirs);
        }
        self.late_extensions.extend(other.late_extensions);
        self.unjudged.extend(other.unjudged);
        self.access.merge(other.access);
        self.opened.merge(other.opened);
    }
}

/// The report from the shared facts and every part's share merged.
/// `chain` is the ledger's verification failure, if it failed.
pub fn finish(
    mut shared: Shared,
    partial: Partial,
    rule_set: &RuleSet,
    as_of: Timestamp,
    by: &[GroupBy],
    chain: Option<&str>,
    networks: &Networks,
) -> Report {
    let Partial { groups, mut late_extensions, mut unjudged, failing, access, opened } = partial;
    let mut tables = groups.into_iter().map(|groups| report::rows(groups, rule_set));
    let rows = tables.next().unwrap_or_default();
    let by_month = tables.next().unwrap_or_default();
    let by_network = tables.next().unwrap_or_default();
    late_extensions.sort();
    late_extensions.dedup();
    unjudged.sort();
    // Slots are shared; a report over some networks keeps their clinics'.
    let mut third_next_available = std::mem::take(&mut shared.third_next_available);
    third_next_available.retain(|row| networks.keeps(shared.network(&row.clinic)));
    let Shared { checks, .. } = shared;
    let access = access.finish(third_next_available);
    let integrity = integrity::findings(checks, opened, late_extensions, unjudged, chain);
    Report {
        rule_set: rule_set.id.clone(),
        as_of,
        by: by.to_vec(),
        rows,
        by_month,
        by_network,
        failing,
        access,
        integrity,
    }
}

/// The report of `entries` in one part (see [`crate::report`]).
pub(crate) fn whole(
    entries: &[Entry],
    rule_set: &RuleSet,
    as_of: Timestamp,
    by: &[GroupBy],
    chain: Option<&str>,
) -> Report {
    let mut scan = Scan::new(as_of);
    for entry in entries {
        let recorded = crate::Recorded { at: entry.recorded_at, backfill: entry.backfill };
        scan.observe(&entry.event, recorded, entry.voided_by.is_some());
    }
    let shared = scan.finish(rule_set);
    let events: Vec<&Event> =
        entries.iter().filter(|e| e.voided_by.is_none()).map(|e| &e.event).collect();
    let partial =
        Partial::compute(&events, &shared, rule_set, as_of, by, &crate::Period::default());
    finish(shared, partial, rule_set, as_of, by, chain, &Networks::All)
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("parts", &self.parts)
            .field("requests", &self.part_of.len())
            .finish()
    }
}

impl std::fmt::Debug for Scan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scan")
            .field("as_of", &self.as_of)
            .field("clinics", &self.clinics.len())
            .field("slots", &self.slots.len())
            .field("appointments", &self.appointments.len())
            .finish()
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("clinics", &self.clinics.len())
            .field("third_next_available", &self.third_next_available.len())
            .field("appointments", &self.appointments.len())
            .finish()
    }
}

impl std::fmt::Debug for Partial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partial").field("groupings", &self.groups.len()).finish()
    }
}

/// Which networks a report, or a part of one, covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Networks {
    /// Every network.
    #[default]
    All,
    /// Only these.
    Only(Vec<String>),
    /// All but these.
    Except(Vec<String>),
}

impl Networks {
    /// Whether `network` is covered.
    pub fn keeps(&self, network: &str) -> bool {
        match self {
            Networks::All => true,
            Networks::Only(only) => only.iter().any(|n| n == network),
            Networks::Except(except) => !except.iter().any(|n| n == network),
        }
    }

    /// Keeps, of one part's events (whole request histories) and their
    /// sequence numbers, the requests opened in a covered network; every
    /// network's, as they are, without a copy.
    pub fn select<'a, 'e>(
        &self,
        events: &'a [&'e Event],
        seqs: &'a [u64],
        shared: &Shared,
    ) -> (Cow<'a, [&'e Event]>, Cow<'a, [u64]>) {
        if *self == Networks::All {
            return (Cow::Borrowed(events), Cow::Borrowed(seqs));
        }
        let kept: std::collections::HashSet<&str> = events
            .iter()
            .filter_map(|event| match &event.body {
                events::Body::RequestOpened(opened)
                    if self.keeps(shared.network(opened.clinic.as_str())) =>
                {
                    Some(opened.request_id.as_str())
                }
                _ => None,
            })
            .collect();
        let (events, seqs): (Vec<&'e Event>, Vec<u64>) = events
            .iter()
            .zip(seqs)
            .filter(|(event, _)| event.request_id().is_none_or(|id| kept.contains(id.as_str())))
            .map(|(event, seq)| (*event, *seq))
            .unzip();
        (Cow::Owned(events), Cow::Owned(seqs))
    }
}
