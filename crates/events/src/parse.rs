//! Checking a [`RawRecord`] against its event type.

use std::borrow::Cow;

use crate::error::Error;
use crate::event::*;
use crate::field::Field as F;
use crate::field::Field;
use crate::id::*;
use crate::raw::{Raw, RawRecord};
use crate::text::{Capacity, Fte, Text, TimeZoneName};
use crate::time::{Instant, SlotTime};
use crate::vocab::*;

impl EventType {
    /// The fields of this event type besides the common ones, required ones
    /// first.
    pub fn fields(self) -> (&'static [Field], &'static [Field]) {
        match self {
            EventType::ClinicRegistered => (&[F::Clinic, F::TimeZone, F::Network], &[F::Name]),
            EventType::ClinicianRegistered => {
                (&[F::ClinicianId, F::Clinic, F::ProviderType], &[F::Fte, F::Languages])
            }
            EventType::SlotPublished => (
                &[F::SlotId, F::ClinicianId, F::Clinic, F::Start, F::End, F::Format],
                &[F::Capacity, F::NewPatients],
            ),
            EventType::SlotWithdrawn => (&[F::SlotId], &[]),
            EventType::RequestOpened => (
                &[F::RequestId, F::PatientId, F::Clinic, F::Urgency, F::ProviderType, F::Visit],
                &[
                    F::PriorAuth,
                    F::RequestedFormat,
                    F::PriorAppointmentId,
                    F::PriorAppointmentAt,
                    F::Channel,
                ],
            ),
            EventType::RequestTriaged => (&[F::RequestId, F::Urgency], &[]),
            EventType::OfferMade => (
                &[
                    F::RequestId,
                    F::OfferId,
                    F::AppointmentAt,
                    F::ClinicianId,
                    F::ProviderType,
                    F::Format,
                    F::Modality,
                ],
                &[F::InNetwork, F::SlotId],
            ),
            EventType::OfferDeclined => (&[F::RequestId, F::OfferId, F::Reason], &[]),
            EventType::AppointmentBooked => (
                &[
                    F::RequestId,
                    F::AppointmentId,
                    F::AppointmentAt,
                    F::ClinicianId,
                    F::Format,
                    F::Modality,
                ],
                &[F::OfferId, F::SlotId],
            ),
            EventType::AppointmentCancelled => {
                (&[F::RequestId, F::AppointmentId, F::By], &[F::Reason])
            }
            EventType::AppointmentAttended | EventType::AppointmentNoShow => {
                (&[F::RequestId, F::AppointmentId], &[])
            }
            EventType::ExtensionDocumented => {
                (&[F::RequestId, F::ClinicianId, F::ExtendedTo, F::Reason], &[])
            }
            EventType::ReferralOutOfNetwork => (&[F::RequestId], &[F::Provider, F::AppointmentAt]),
            EventType::HarmReported => (&[F::RequestId, F::Kind], &[]),
            EventType::RequestClosed => (&[F::RequestId, F::Reason], &[]),
            EventType::EventVoided => (&[F::Voids, F::Reason], &[]),
        }
    }

    /// The fields of this type in words, for error messages.
    pub(crate) fn field_list(self) -> String {
        let (required, optional) = self.fields();
        let mut names: Vec<String> = required.iter().map(|f| f.as_str().to_owned()).collect();
        names.extend(optional.iter().map(|f| format!("{f}?")));
        names.join(", ")
    }
}

/// Tracks which fields of a record were read, so that the rest can be
/// reported as not belonging to the event type.
struct Fields<'r, 'a> {
    record: &'r RawRecord<'a>,
    event_type: Option<EventType>,
    used: u64,
    /// Every problem found so far.
    errors: Vec<Error>,
}

impl<'a> Fields<'_, 'a> {
    /// The value, or `None` with the problem kept.
    fn keep<T>(&mut self, result: Result<T, Error>) -> Option<T> {
        result.map_err(|err| self.errors.push(err)).ok()
    }

    fn raw(&mut self, field: Field) -> Option<Raw<'a>> {
        self.used |= 1 << field.index();
        self.record.get(field)
    }

    fn required<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(Field, &str) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match self.optional(field, parse)? {
            Some(value) => Ok(value),
            None => Err(Error::Missing { field, event_type: self.event_type }),
        }
    }

    fn optional<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(Field, &str) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        let Some(raw) = self.raw(field) else { return Ok(None) };
        let text = string(field, raw)?;
        parse(field, &text).map(Some)
    }

    fn flag(&mut self, field: Field, default: bool) -> Result<bool, Error> {
        let expected = "true or false";
        match self.raw(field) {
            None => Ok(default),
            Some(Raw::Json("true")) => Ok(true),
            Some(Raw::Json("false")) => Ok(false),
            Some(Raw::Text(text)) if text.eq_ignore_ascii_case("true") => Ok(true),
            Some(Raw::Text(text)) if text.eq_ignore_ascii_case("false") => Ok(false),
            Some(Raw::Json(raw)) => Err(Error::invalid_raw(field, expected, raw)),
            Some(Raw::Text(text)) => Err(Error::invalid(field, expected, text)),
        }
    }

    /// A number: a JSON number in NDJSON, digits in CSV.
    fn number<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(Field, &str) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        match self.raw(field) {
            None => Ok(None),
            Some(Raw::Text(text)) => parse(field, text).map(Some),
            Some(Raw::Json(raw)) => parse(field, raw).map(Some).map_err(|err| match err {
                Error::Invalid { expected, .. } => Error::invalid_raw(field, expected, raw),
                other => other,
            }),
        }
    }

    /// A set of texts: a JSON array of strings, or `;`-separated in CSV.
    /// Sorted and without repeats, so that the same set is the same event.
    fn list(&mut self, field: Field) -> Result<Vec<Text>, Error> {
        let mut items = self.list_items(field)?;
        items.sort();
        items.dedup();
        Ok(items)
    }

    fn list_items(&mut self, field: Field) -> Result<Vec<Text>, Error> {
        let expected = "a list of texts (a JSON array of strings, or separated by ; in CSV)";
        match self.raw(field) {
            None => Ok(Vec::new()),
            Some(Raw::Json(text)) => {
                let items: Vec<Cow<'_, str>> = serde_json::from_str(text)
                    .map_err(|_| Error::invalid_raw(field, expected, text))?;
                items.iter().map(|item| list_item(field, item)).collect()
            }
            Some(Raw::Text(text)) => {
                text.split(';').map(|item| list_item(field, item.trim())).collect()
            }
        }
    }

    /// Keeps a problem for every present field that was not read.
    fn finish(&mut self) {
        let Some(event_type) = self.event_type else { return };
        let unread: Vec<Field> =
            self.record.present().filter(|field| self.used & (1 << field.index()) == 0).collect();
        for field in unread {
            self.errors.push(match field {
                F::RecordedAt => Error::Reserved { field: F::RecordedAt },
                field => Error::NotAllowed { field, event_type },
            });
        }
    }
}

/// One item of a list; `;` separates items in CSV, so no item may hold one.
pub(crate) fn list_item(field: Field, item: &str) -> Result<Text, Error> {
    if item.contains(';') {
        return Err(Error::invalid(field, "list items without `;`", item));
    }
    Text::parse(field, item)
}

/// The text of a string field: a JSON string in NDJSON, the cell in CSV.
fn string<'a>(field: Field, raw: Raw<'a>) -> Result<Cow<'a, str>, Error> {
    match raw {
        Raw::Text(text) => Ok(Cow::Borrowed(text)),
        Raw::Json(text) => {
            let inner = text.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
            match inner {
                Some(inner) if !inner.contains(['\\', '"']) => Ok(Cow::Borrowed(inner)),
                Some(_) => serde_json::from_str::<String>(text)
                    .map(Cow::Owned)
                    .map_err(|_| Error::invalid_raw(field, "a JSON string", text)),
                None => Err(Error::invalid_raw(field, "a JSON string", text)),
            }
        }
    }
}

impl Event {
    /// Checks a record against the vocabulary and builds the event.
    ///
    /// Fails on the first problem found: a missing or malformed field, or a
    /// field that the event's type does not have. `recorded_at` is never
    /// accepted: carequeue assigns it. [`Event::parse_all`] gives every
    /// problem of the record.
    pub fn parse(record: &RawRecord<'_>) -> Result<Event, Error> {
        Event::parse_all(record).map_err(|mut errors| errors.swap_remove(0))
    }

    /// Checks a record against the vocabulary and builds the event, or
    /// gives every problem of the record (at least one), in the order of
    /// the type's fields, so that a row can be mended in one pass.
    pub fn parse_all(record: &RawRecord<'_>) -> Result<Event, Vec<Error>> {
        let mut f = Fields { record, event_type: None, used: 0, errors: Vec::new() };
        let event_type = f.required(F::Type, EventType::parse);
        let event_type = f.keep(event_type);
        f.event_type = event_type;
        let event_id = f.required(F::EventId, EventId::parse);
        let occurred_at = f.required(F::OccurredAt, Instant::parse);
        let entered_at = f.optional(F::EnteredAt, Instant::parse);
        let actor = f.optional(F::Actor, ActorId::parse);
        let (event_id, occurred_at, entered_at, actor) =
            (f.keep(event_id), f.keep(occurred_at), f.keep(entered_at), f.keep(actor));
        let body = event_type.and_then(|event_type| parse_body(event_type, &mut f));
        f.finish();
        match (event_id, occurred_at, entered_at, actor, body) {
            (Some(event_id), Some(occurred_at), Some(entered_at), Some(actor), Some(body))
                if f.errors.is_empty() =>
            {
                Ok(Event { event_id, occurred_at, entered_at, actor, body })
            }
            _ if f.errors.is_empty() => {
                Err(vec![Error::Missing { field: F::Type, event_type: None }])
            }
            _ => Err(f.errors),
        }
    }
}

fn text(field: Field, value: &str) -> Result<Text, Error> {
    Text::parse(field, value)
}

/// Keeps every field's result, so that all of a record's problems are
/// found; returns `None` from the caller when any field failed, and
/// otherwise binds each name to its value.
macro_rules! take {
    ($f:ident; $($name:ident),+ $(,)?) => {
        $( let $name = $f.keep($name); )+
        if !$f.errors.is_empty() {
            return None;
        }
        $( let $name = $name?; )+
    };
}

/// The body of an event of `event_type`; `None` when a field failed (the
/// problems are in `f.errors`).
fn parse_body(event_type: EventType, f: &mut Fields<'_, '_>) -> Option<Body> {
    Some(match event_type {
        EventType::ClinicRegistered => {
            let clinic = f.required(F::Clinic, ClinicId::parse);
            let time_zone = f.required(F::TimeZone, TimeZoneName::parse);
            let network = f.required(F::Network, NetworkId::parse);
            let name = f.optional(F::Name, text);
            take!(f; clinic, time_zone, network, name);
            Body::ClinicRegistered(ClinicRegistered { clinic, time_zone, network, name })
        }
        EventType::ClinicianRegistered => {
            let clinician_id = f.required(F::ClinicianId, ClinicianId::parse);
            let clinic = f.required(F::Clinic, ClinicId::parse);
            let provider_type = f.required(F::ProviderType, ProviderType::parse);
            let fte = f.number(F::Fte, Fte::parse);
            let languages = f.list(F::Languages);
            take!(f; clinician_id, clinic, provider_type, fte, languages);
            Body::ClinicianRegistered(ClinicianRegistered {
                clinician_id,
                clinic,
                provider_type,
                fte,
                languages,
            })
        }
        EventType::SlotPublished => {
            let slot_id = f.required(F::SlotId, SlotId::parse);
            let clinician_id = f.required(F::ClinicianId, ClinicianId::parse);
            let clinic = f.required(F::Clinic, ClinicId::parse);
            let start = f.required(F::Start, Instant::parse);
            let end = f.required(F::End, Instant::parse);
            let format = f.required(F::Format, Format::parse);
            let capacity = f.number(F::Capacity, Capacity::parse);
            let new_patients = f.flag(F::NewPatients, true);
            take!(f; slot_id, clinician_id, clinic, start, end, format, capacity, new_patients);
            let time = f.keep(SlotTime::new(start, end))?;
            Body::SlotPublished(SlotPublished {
                slot_id,
                clinician_id,
                clinic,
                time,
                format,
                capacity: capacity.unwrap_or(Capacity::ONE),
                new_patients,
            })
        }
        EventType::SlotWithdrawn => {
            let slot_id = f.required(F::SlotId, SlotId::parse);
            take!(f; slot_id);
            Body::SlotWithdrawn(SlotWithdrawn { slot_id })
        }
        EventType::RequestOpened => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let patient_id = f.required(F::PatientId, PatientId::parse);
            let clinic = f.required(F::Clinic, ClinicId::parse);
            let urgency = f.required(F::Urgency, Urgency::parse);
            let provider_type = f.required(F::ProviderType, ProviderType::parse);
            let visit = f.required(F::Visit, Visit::parse);
            let prior_auth = f.flag(F::PriorAuth, false);
            let requested_format = f.optional(F::RequestedFormat, RequestedFormat::parse);
            let prior_appointment_id = f.optional(F::PriorAppointmentId, AppointmentId::parse);
            let prior_appointment_at = f.optional(F::PriorAppointmentAt, Instant::parse);
            let channel = f.optional(F::Channel, text);
            take!(f; request_id, patient_id, clinic, urgency, provider_type, visit, prior_auth, requested_format, prior_appointment_id, prior_appointment_at, channel);
            Body::RequestOpened(RequestOpened {
                request_id,
                patient_id,
                clinic,
                urgency,
                provider_type,
                visit,
                prior_auth,
                requested_format: requested_format.unwrap_or(RequestedFormat::Any),
                prior_appointment_id,
                prior_appointment_at,
                channel,
            })
        }
        EventType::RequestTriaged => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let urgency = f.required(F::Urgency, Urgency::parse);
            take!(f; request_id, urgency);
            Body::RequestTriaged(RequestTriaged { request_id, urgency })
        }
        EventType::OfferMade => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let offer_id = f.required(F::OfferId, OfferId::parse);
            let appointment_at = f.required(F::AppointmentAt, Instant::parse);
            let clinician_id = f.required(F::ClinicianId, ClinicianId::parse);
            let provider_type = f.required(F::ProviderType, ProviderType::parse);
            let format = f.required(F::Format, Format::parse);
            let modality = f.required(F::Modality, Modality::parse);
            let in_network = f.flag(F::InNetwork, true);
            let slot_id = f.optional(F::SlotId, SlotId::parse);
            take!(f; request_id, offer_id, appointment_at, clinician_id, provider_type, format, modality, in_network, slot_id);
            Body::OfferMade(OfferMade {
                request_id,
                offer_id,
                appointment_at,
                clinician_id,
                provider_type,
                format,
                modality,
                in_network,
                slot_id,
            })
        }
        EventType::OfferDeclined => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let offer_id = f.required(F::OfferId, OfferId::parse);
            let reason = f.required(F::Reason, DeclineReason::parse);
            take!(f; request_id, offer_id, reason);
            Body::OfferDeclined(OfferDeclined { request_id, offer_id, reason })
        }
        EventType::AppointmentBooked => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let appointment_id = f.required(F::AppointmentId, AppointmentId::parse);
            let appointment_at = f.required(F::AppointmentAt, Instant::parse);
            let clinician_id = f.required(F::ClinicianId, ClinicianId::parse);
            let format = f.required(F::Format, Format::parse);
            let modality = f.required(F::Modality, Modality::parse);
            let offer_id = f.optional(F::OfferId, OfferId::parse);
            let slot_id = f.optional(F::SlotId, SlotId::parse);
            take!(f; request_id, appointment_id, appointment_at, clinician_id, format, modality, offer_id, slot_id);
            Body::AppointmentBooked(AppointmentBooked {
                request_id,
                appointment_id,
                appointment_at,
                clinician_id,
                format,
                modality,
                offer_id,
                slot_id,
            })
        }
        EventType::AppointmentCancelled => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let appointment_id = f.required(F::AppointmentId, AppointmentId::parse);
            let by = f.required(F::By, CancelledBy::parse);
            let reason = f.optional(F::Reason, text);
            take!(f; request_id, appointment_id, by, reason);
            Body::AppointmentCancelled(AppointmentCancelled {
                request_id,
                appointment_id,
                by,
                reason,
            })
        }
        EventType::AppointmentAttended => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let appointment_id = f.required(F::AppointmentId, AppointmentId::parse);
            take!(f; request_id, appointment_id);
            Body::AppointmentAttended(AppointmentAttended { request_id, appointment_id })
        }
        EventType::AppointmentNoShow => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let appointment_id = f.required(F::AppointmentId, AppointmentId::parse);
            take!(f; request_id, appointment_id);
            Body::AppointmentNoShow(AppointmentNoShow { request_id, appointment_id })
        }
        EventType::ExtensionDocumented => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let clinician_id = f.required(F::ClinicianId, ClinicianId::parse);
            let extended_to = f.required(F::ExtendedTo, Instant::parse);
            let reason = f.required(F::Reason, text);
            take!(f; request_id, clinician_id, extended_to, reason);
            Body::ExtensionDocumented(ExtensionDocumented {
                request_id,
                clinician_id,
                extended_to,
                reason,
            })
        }
        EventType::ReferralOutOfNetwork => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let provider = f.optional(F::Provider, text);
            let appointment_at = f.optional(F::AppointmentAt, Instant::parse);
            take!(f; request_id, provider, appointment_at);
            Body::ReferralOutOfNetwork(ReferralOutOfNetwork {
                request_id,
                provider,
                appointment_at,
            })
        }
        EventType::HarmReported => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let kind = f.required(F::Kind, HarmKind::parse);
            take!(f; request_id, kind);
            Body::HarmReported(HarmReported { request_id, kind })
        }
        EventType::RequestClosed => {
            let request_id = f.required(F::RequestId, RequestId::parse);
            let reason = f.required(F::Reason, CloseReason::parse);
            take!(f; request_id, reason);
            Body::RequestClosed(RequestClosed { request_id, reason })
        }
        EventType::EventVoided => {
            let voids = f.required(F::Voids, EventId::parse);
            let reason = f.required(F::Reason, text);
            take!(f; voids, reason);
            Body::EventVoided(EventVoided { voids, reason })
        }
    })
}
