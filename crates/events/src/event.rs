use crate::id::{
    ActorId, AppointmentId, ClinicId, ClinicianId, EventId, NetworkId, OfferId, PatientId,
    RequestId, SlotId,
};
use crate::text::{Capacity, Fte, Text, TimeZoneName};
use crate::time::{Instant, SlotTime};
use crate::vocab::{
    CancelledBy, CloseReason, DeclineReason, EventType, Format, HarmKind, Modality, ProviderType,
    RequestedFormat, Urgency, Visit,
};

/// One event of the vocabulary: the fields every event has, and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique id of the event.
    pub event_id: EventId,
    /// When the event happened in the world.
    pub occurred_at: Instant,
    /// When the source system first recorded the event, if it says.
    pub entered_at: Option<Instant>,
    /// Who or what recorded the event, if the source says.
    pub actor: Option<ActorId>,
    /// The type-specific part.
    pub body: Body,
}

/// The type-specific part of an event; one variant per event type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Body {
    ClinicRegistered(ClinicRegistered),
    ClinicianRegistered(ClinicianRegistered),
    SlotPublished(SlotPublished),
    SlotWithdrawn(SlotWithdrawn),
    RequestOpened(RequestOpened),
    RequestTriaged(RequestTriaged),
    OfferMade(OfferMade),
    OfferDeclined(OfferDeclined),
    AppointmentBooked(AppointmentBooked),
    AppointmentCancelled(AppointmentCancelled),
    AppointmentAttended(AppointmentAttended),
    AppointmentNoShow(AppointmentNoShow),
    ExtensionDocumented(ExtensionDocumented),
    ReferralOutOfNetwork(ReferralOutOfNetwork),
    HarmReported(HarmReported),
    RequestClosed(RequestClosed),
    EventVoided(EventVoided),
}

/// `clinic.registered`: a clinic, its time zone and network.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ClinicRegistered {
    pub clinic: ClinicId,
    pub time_zone: TimeZoneName,
    pub network: NetworkId,
    pub name: Option<Text>,
}

/// `clinician.registered`: a clinician at a clinic.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ClinicianRegistered {
    pub clinician_id: ClinicianId,
    pub clinic: ClinicId,
    pub provider_type: ProviderType,
    pub fte: Option<Fte>,
    /// Sorted and without repeats; empty when the source does not say.
    pub languages: Vec<Text>,
}

/// `slot.published`: time a clinician makes available.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct SlotPublished {
    pub slot_id: SlotId,
    pub clinician_id: ClinicianId,
    pub clinic: ClinicId,
    /// The fields `start` and `end`.
    pub time: SlotTime,
    pub format: Format,
    /// Defaults to 1.
    pub capacity: Capacity,
    /// Defaults to true.
    pub new_patients: bool,
}

/// `slot.withdrawn`: a published slot taken back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct SlotWithdrawn {
    pub slot_id: SlotId,
}

/// `request.opened`: a request for care; its clock starts here.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct RequestOpened {
    pub request_id: RequestId,
    pub patient_id: PatientId,
    pub clinic: ClinicId,
    pub urgency: Urgency,
    pub provider_type: ProviderType,
    pub visit: Visit,
    /// Defaults to false.
    pub prior_auth: bool,
    /// Defaults to `any`.
    pub requested_format: RequestedFormat,
    pub prior_appointment_id: Option<AppointmentId>,
    pub prior_appointment_at: Option<Instant>,
    pub channel: Option<Text>,
}

/// `request.triaged`: a request's urgency set again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct RequestTriaged {
    pub request_id: RequestId,
    pub urgency: Urgency,
}

/// `offer.made`: an appointment offered for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct OfferMade {
    pub request_id: RequestId,
    pub offer_id: OfferId,
    pub appointment_at: Instant,
    pub clinician_id: ClinicianId,
    pub provider_type: ProviderType,
    pub format: Format,
    pub modality: Modality,
    /// Defaults to true.
    pub in_network: bool,
    pub slot_id: Option<SlotId>,
}

/// `offer.declined`: the patient declined an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct OfferDeclined {
    pub request_id: RequestId,
    pub offer_id: OfferId,
    pub reason: DeclineReason,
}

/// `appointment.booked`: an appointment booked for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct AppointmentBooked {
    pub request_id: RequestId,
    pub appointment_id: AppointmentId,
    pub appointment_at: Instant,
    pub clinician_id: ClinicianId,
    pub format: Format,
    pub modality: Modality,
    pub offer_id: Option<OfferId>,
    pub slot_id: Option<SlotId>,
}

/// `appointment.cancelled`: a booked appointment cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct AppointmentCancelled {
    pub request_id: RequestId,
    pub appointment_id: AppointmentId,
    pub by: CancelledBy,
    pub reason: Option<Text>,
}

/// `appointment.attended`: the patient came.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct AppointmentAttended {
    pub request_id: RequestId,
    pub appointment_id: AppointmentId,
}

/// `appointment.no_show`: the patient did not come.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct AppointmentNoShow {
    pub request_id: RequestId,
    pub appointment_id: AppointmentId,
}

/// `extension.documented`: a clinician documented that a later deadline
/// will not harm the patient.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ExtensionDocumented {
    pub request_id: RequestId,
    pub clinician_id: ClinicianId,
    pub extended_to: Instant,
    pub reason: Text,
}

/// `referral.out_of_network`: care arranged outside the network.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct ReferralOutOfNetwork {
    pub request_id: RequestId,
    pub provider: Option<Text>,
    pub appointment_at: Option<Instant>,
}

/// `harm.reported`: harm while the patient waited.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct HarmReported {
    pub request_id: RequestId,
    pub kind: HarmKind,
}

/// `request.closed`: a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct RequestClosed {
    pub request_id: RequestId,
    pub reason: CloseReason,
}

/// `event.voided`: an earlier event declared void; it stays stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct EventVoided {
    pub voids: EventId,
    pub reason: Text,
}

/// A kind of thing that events create and other events refer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    /// Created by `request.opened`.
    Request,
    /// Created by `offer.made`.
    Offer,
    /// Created by `appointment.booked`.
    Appointment,
    /// Created by `slot.published`.
    Slot,
    /// Any event, referred to by `event.voided`.
    Event,
}

impl Entity {
    /// A lower-case name: `request`, `offer`, `appointment`, `slot`, `event`.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Request => "request",
            Entity::Offer => "offer",
            Entity::Appointment => "appointment",
            Entity::Slot => "slot",
            Entity::Event => "event",
        }
    }

    /// The event type that creates this entity (`None` for [`Entity::Event`]).
    pub fn created_by(self) -> Option<EventType> {
        match self {
            Entity::Request => Some(EventType::RequestOpened),
            Entity::Offer => Some(EventType::OfferMade),
            Entity::Appointment => Some(EventType::AppointmentBooked),
            Entity::Slot => Some(EventType::SlotPublished),
            Entity::Event => None,
        }
    }
}

/// A reference from an event to an entity that must exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference<'e> {
    /// The field holding the reference.
    pub field: crate::Field,
    /// What it refers to.
    pub entity: Entity,
    /// The id referred to.
    pub id: &'e str,
    /// Whether the entity must belong to the same request as the event
    /// (a decline names an offer of its own request).
    pub same_request: bool,
}

impl Event {
    /// The event's type.
    pub fn event_type(&self) -> EventType {
        match &self.body {
            Body::ClinicRegistered(_) => EventType::ClinicRegistered,
            Body::ClinicianRegistered(_) => EventType::ClinicianRegistered,
            Body::SlotPublished(_) => EventType::SlotPublished,
            Body::SlotWithdrawn(_) => EventType::SlotWithdrawn,
            Body::RequestOpened(_) => EventType::RequestOpened,
            Body::RequestTriaged(_) => EventType::RequestTriaged,
            Body::OfferMade(_) => EventType::OfferMade,
            Body::OfferDeclined(_) => EventType::OfferDeclined,
            Body::AppointmentBooked(_) => EventType::AppointmentBooked,
            Body::AppointmentCancelled(_) => EventType::AppointmentCancelled,
            Body::AppointmentAttended(_) => EventType::AppointmentAttended,
            Body::AppointmentNoShow(_) => EventType::AppointmentNoShow,
            Body::ExtensionDocumented(_) => EventType::ExtensionDocumented,
            Body::ReferralOutOfNetwork(_) => EventType::ReferralOutOfNetwork,
            Body::HarmReported(_) => EventType::HarmReported,
            Body::RequestClosed(_) => EventType::RequestClosed,
            Body::EventVoided(_) => EventType::EventVoided,
        }
    }

    /// The request the event belongs to, for the event types that have one.
    pub fn request_id(&self) -> Option<&RequestId> {
        match &self.body {
            Body::ClinicRegistered(_)
            | Body::ClinicianRegistered(_)
            | Body::SlotPublished(_)
            | Body::SlotWithdrawn(_)
            | Body::EventVoided(_) => None,
            Body::RequestOpened(b) => Some(&b.request_id),
            Body::RequestTriaged(b) => Some(&b.request_id),
            Body::OfferMade(b) => Some(&b.request_id),
            Body::OfferDeclined(b) => Some(&b.request_id),
            Body::AppointmentBooked(b) => Some(&b.request_id),
            Body::AppointmentCancelled(b) => Some(&b.request_id),
            Body::AppointmentAttended(b) => Some(&b.request_id),
            Body::AppointmentNoShow(b) => Some(&b.request_id),
            Body::ExtensionDocumented(b) => Some(&b.request_id),
            Body::ReferralOutOfNetwork(b) => Some(&b.request_id),
            Body::HarmReported(b) => Some(&b.request_id),
            Body::RequestClosed(b) => Some(&b.request_id),
        }
    }

    /// The entity this event creates, if any: a request, offer, appointment
    /// or slot. Each entity is created once.
    pub fn creates(&self) -> Option<(Entity, &str)> {
        match &self.body {
            Body::RequestOpened(b) => Some((Entity::Request, b.request_id.as_str())),
            Body::OfferMade(b) => Some((Entity::Offer, b.offer_id.as_str())),
            Body::AppointmentBooked(b) => Some((Entity::Appointment, b.appointment_id.as_str())),
            Body::SlotPublished(b) => Some((Entity::Slot, b.slot_id.as_str())),
            _ => None,
        }
    }

    /// The event this event voids, for `event.voided`.
    pub fn voids(&self) -> Option<&EventId> {
        match &self.body {
            Body::EventVoided(b) => Some(&b.voids),
            _ => None,
        }
    }

    /// The references this event makes that must resolve, to the ledger or to
    /// the same batch.
    ///
    /// Clinic and clinician ids need not resolve (rosters often arrive
    /// separately), nor do the slot ids of offers and bookings (the integrity
    /// checks report slots never published). A follow-up's
    /// `prior_appointment_id` must resolve only when `prior_appointment_at`
    /// is absent, since the appointment may predate the ledger.
    pub fn references(&self) -> impl Iterator<Item = Reference<'_>> {
        use crate::Field as F;
        fn request(id: &RequestId) -> Reference<'_> {
            Reference {
                field: F::RequestId,
                entity: Entity::Request,
                id: id.as_str(),
                same_request: false,
            }
        }
        fn own(field: F, entity: Entity, id: &str) -> Reference<'_> {
            Reference { field, entity, id, same_request: true }
        }
        let refs: [Option<Reference<'_>>; 2] = match &self.body {
            Body::ClinicRegistered(_) | Body::ClinicianRegistered(_) | Body::SlotPublished(_) => {
                [None, None]
            }
            Body::SlotWithdrawn(b) => [
                Some(Reference {
                    field: F::SlotId,
                    entity: Entity::Slot,
                    id: b.slot_id.as_str(),
                    same_request: false,
                }),
                None,
            ],
            Body::RequestOpened(b) => [
                b.prior_appointment_id.as_ref().filter(|_| b.prior_appointment_at.is_none()).map(
                    |id| Reference {
                        field: F::PriorAppointmentId,
                        entity: Entity::Appointment,
                        id: id.as_str(),
                        same_request: false,
                    },
                ),
                None,
            ],
            Body::RequestTriaged(b) => [Some(request(&b.request_id)), None],
            Body::OfferMade(b) => [Some(request(&b.request_id)), None],
            Body::OfferDeclined(b) => [
                Some(request(&b.request_id)),
                Some(own(F::OfferId, Entity::Offer, b.offer_id.as_str())),
            ],
            Body::AppointmentBooked(b) => [
                Some(request(&b.request_id)),
                b.offer_id.as_ref().map(|id| own(F::OfferId, Entity::Offer, id.as_str())),
            ],
            Body::AppointmentCancelled(b) => [
                Some(request(&b.request_id)),
                Some(own(F::AppointmentId, Entity::Appointment, b.appointment_id.as_str())),
            ],
            Body::AppointmentAttended(b) => [
                Some(request(&b.request_id)),
                Some(own(F::AppointmentId, Entity::Appointment, b.appointment_id.as_str())),
            ],
            Body::AppointmentNoShow(b) => [
                Some(request(&b.request_id)),
                Some(own(F::AppointmentId, Entity::Appointment, b.appointment_id.as_str())),
            ],
            Body::ExtensionDocumented(b) => [Some(request(&b.request_id)), None],
            Body::ReferralOutOfNetwork(b) => [Some(request(&b.request_id)), None],
            Body::HarmReported(b) => [Some(request(&b.request_id)), None],
            Body::RequestClosed(b) => [Some(request(&b.request_id)), None],
            Body::EventVoided(b) => [
                Some(Reference {
                    field: F::Voids,
                    entity: Entity::Event,
                    id: b.voids.as_str(),
                    same_request: false,
                }),
                None,
            ],
        };
        refs.into_iter().flatten()
    }
}
