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
}

impl<'a> Fields<'_, 'a> {
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

    /// Fails on the first present field that was not read.
    fn finish(self) -> Result<(), Error> {
        let event_type =
            self.event_type.ok_or(Error::Missing { field: F::Type, event_type: None })?;
        match self.record.present().find(|field| self.used & (1 << field.index()) == 0) {
            Some(F::RecordedAt) => Err(Error::Reserved { field: F::RecordedAt }),
            Some(field) => Err(Error::NotAllowed { field, event_type }),
            None => Ok(()),
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
    /// accepted: carequeue assigns it.
    pub fn parse(record: &RawRecord<'_>) -> Result<Event, Error> {
        let mut fields = Fields { record, event_type: None, used: 0 };
        let event_type = fields.required(F::Type, EventType::parse)?;
        fields.event_type = Some(event_type);
        let event_id = fields.required(F::EventId, EventId::parse)?;
        let occurred_at = fields.required(F::OccurredAt, Instant::parse)?;
        let entered_at = fields.optional(F::EnteredAt, Instant::parse)?;
        let actor = fields.optional(F::Actor, ActorId::parse)?;
        let body = parse_body(event_type, &mut fields)?;
        fields.finish()?;
        Ok(Event { event_id, occurred_at, entered_at, actor, body })
    }
}

fn text(field: Field, value: &str) -> Result<Text, Error> {
    Text::parse(field, value)
}

fn parse_body(event_type: EventType, f: &mut Fields<'_, '_>) -> Result<Body, Error> {
    Ok(match event_type {
        EventType::ClinicRegistered => Body::ClinicRegistered(ClinicRegistered {
            clinic: f.required(F::Clinic, ClinicId::parse)?,
            time_zone: f.required(F::TimeZone, TimeZoneName::parse)?,
            network: f.required(F::Network, NetworkId::parse)?,
            name: f.optional(F::Name, text)?,
        }),
        EventType::ClinicianRegistered => Body::ClinicianRegistered(ClinicianRegistered {
            clinician_id: f.required(F::ClinicianId, ClinicianId::parse)?,
            clinic: f.required(F::Clinic, ClinicId::parse)?,
            provider_type: f.required(F::ProviderType, ProviderType::parse)?,
            fte: f.number(F::Fte, Fte::parse)?,
            languages: f.list(F::Languages)?,
        }),
        EventType::SlotPublished => {
            let slot_id = f.required(F::SlotId, SlotId::parse)?;
            let clinician_id = f.required(F::ClinicianId, ClinicianId::parse)?;
            let clinic = f.required(F::Clinic, ClinicId::parse)?;
            let start = f.required(F::Start, Instant::parse)?;
            let end = f.required(F::End, Instant::parse)?;
            Body::SlotPublished(SlotPublished {
                slot_id,
                clinician_id,
                clinic,
                time: SlotTime::new(start, end)?,
                format: f.required(F::Format, Format::parse)?,
                capacity: f.number(F::Capacity, Capacity::parse)?.unwrap_or(Capacity::ONE),
                new_patients: f.flag(F::NewPatients, true)?,
            })
        }
        EventType::SlotWithdrawn => {
            Body::SlotWithdrawn(SlotWithdrawn { slot_id: f.required(F::SlotId, SlotId::parse)? })
        }
        EventType::RequestOpened => Body::RequestOpened(RequestOpened {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            patient_id: f.required(F::PatientId, PatientId::parse)?,
            clinic: f.required(F::Clinic, ClinicId::parse)?,
            urgency: f.required(F::Urgency, Urgency::parse)?,
            provider_type: f.required(F::ProviderType, ProviderType::parse)?,
            visit: f.required(F::Visit, Visit::parse)?,
            prior_auth: f.flag(F::PriorAuth, false)?,
            requested_format: f
                .optional(F::RequestedFormat, RequestedFormat::parse)?
                .unwrap_or(RequestedFormat::Any),
            prior_appointment_id: f.optional(F::PriorAppointmentId, AppointmentId::parse)?,
            prior_appointment_at: f.optional(F::PriorAppointmentAt, Instant::parse)?,
            channel: f.optional(F::Channel, text)?,
        }),
        EventType::RequestTriaged => Body::RequestTriaged(RequestTriaged {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            urgency: f.required(F::Urgency, Urgency::parse)?,
        }),
        EventType::OfferMade => Body::OfferMade(OfferMade {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            offer_id: f.required(F::OfferId, OfferId::parse)?,
            appointment_at: f.required(F::AppointmentAt, Instant::parse)?,
            clinician_id: f.required(F::ClinicianId, ClinicianId::parse)?,
            provider_type: f.required(F::ProviderType, ProviderType::parse)?,
            format: f.required(F::Format, Format::parse)?,
            modality: f.required(F::Modality, Modality::parse)?,
            in_network: f.flag(F::InNetwork, true)?,
            slot_id: f.optional(F::SlotId, SlotId::parse)?,
        }),
        EventType::OfferDeclined => Body::OfferDeclined(OfferDeclined {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            offer_id: f.required(F::OfferId, OfferId::parse)?,
            reason: f.required(F::Reason, DeclineReason::parse)?,
        }),
        EventType::AppointmentBooked => Body::AppointmentBooked(AppointmentBooked {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            appointment_id: f.required(F::AppointmentId, AppointmentId::parse)?,
            appointment_at: f.required(F::AppointmentAt, Instant::parse)?,
            clinician_id: f.required(F::ClinicianId, ClinicianId::parse)?,
            format: f.required(F::Format, Format::parse)?,
            modality: f.required(F::Modality, Modality::parse)?,
            offer_id: f.optional(F::OfferId, OfferId::parse)?,
            slot_id: f.optional(F::SlotId, SlotId::parse)?,
        }),
        EventType::AppointmentCancelled => Body::AppointmentCancelled(AppointmentCancelled {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            appointment_id: f.required(F::AppointmentId, AppointmentId::parse)?,
            by: f.required(F::By, CancelledBy::parse)?,
            reason: f.optional(F::Reason, text)?,
        }),
        EventType::AppointmentAttended => Body::AppointmentAttended(AppointmentAttended {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            appointment_id: f.required(F::AppointmentId, AppointmentId::parse)?,
        }),
        EventType::AppointmentNoShow => Body::AppointmentNoShow(AppointmentNoShow {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            appointment_id: f.required(F::AppointmentId, AppointmentId::parse)?,
        }),
        EventType::ExtensionDocumented => Body::ExtensionDocumented(ExtensionDocumented {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            clinician_id: f.required(F::ClinicianId, ClinicianId::parse)?,
            extended_to: f.required(F::ExtendedTo, Instant::parse)?,
            reason: f.required(F::Reason, text)?,
        }),
        EventType::ReferralOutOfNetwork => Body::ReferralOutOfNetwork(ReferralOutOfNetwork {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            provider: f.optional(F::Provider, text)?,
            appointment_at: f.optional(F::AppointmentAt, Instant::parse)?,
        }),
        EventType::HarmReported => Body::HarmReported(HarmReported {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            kind: f.required(F::Kind, HarmKind::parse)?,
        }),
        EventType::RequestClosed => Body::RequestClosed(RequestClosed {
            request_id: f.required(F::RequestId, RequestId::parse)?,
            reason: f.required(F::Reason, CloseReason::parse)?,
        }),
        EventType::EventVoided => Body::EventVoided(EventVoided {
            voids: f.required(F::Voids, EventId::parse)?,
            reason: f.required(F::Reason, text)?,
        }),
    })
}
