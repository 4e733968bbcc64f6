//! A compact binary encoding of an event, for carequeue's own temporary
//! files (a report spilling parts of a large ledger to disk): several times
//! faster to read back than JSON. It is not a storage or exchange format:
//! the ledger stores the canonical JSON, and the encoding may change with
//! any version.
//!
//! Decoding checks what parsing checks (ids, texts, time zones, instants'
//! range, a slot's times), so a decoded event is as valid as a parsed one;
//! damaged bytes are an error, never a panic.

use jiff::Timestamp;
use jiff::tz::Offset;

use crate::error::Error;
use crate::event::{
    AppointmentAttended, AppointmentBooked, AppointmentCancelled, AppointmentNoShow, Body,
    ClinicRegistered, ClinicianRegistered, Event, EventVoided, ExtensionDocumented, HarmReported,
    OfferDeclined, OfferMade, ReferralOutOfNetwork, RequestClosed, RequestOpened, RequestTriaged,
    SlotPublished, SlotWithdrawn,
};
use crate::field::Field;
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

/// Appends the encoding of values to a buffer.
struct Writer<'o>(&'o mut Vec<u8>);

impl Writer<'_> {
    fn u8(&mut self, value: u8) {
        self.0.push(value);
    }

    fn u32(&mut self, value: u32) {
        self.0.extend_from_slice(&value.to_le_bytes());
    }

    fn str(&mut self, text: &str) {
        // Texts are limited far below 4 GB by the parser.
        self.u32(u32::try_from(text.len()).unwrap_or(u32::MAX));
        self.0.extend_from_slice(text.as_bytes());
    }

    fn opt_str(&mut self, text: Option<&str>) {
        match text {
            Some(text) => {
                self.u8(1);
                self.str(text);
            }
            None => self.u8(0),
        }
    }

    fn instant(&mut self, instant: Instant) {
        let timestamp = instant.timestamp();
        self.0.extend_from_slice(&timestamp.as_second().to_le_bytes());
        self.0.extend_from_slice(&timestamp.subsec_nanosecond().to_le_bytes());
        self.0.extend_from_slice(&instant.offset().seconds().to_le_bytes());
    }

    fn opt_instant(&mut self, instant: Option<Instant>) {
        match instant {
            Some(instant) => {
                self.u8(1);
                self.instant(instant);
            }
            None => self.u8(0),
        }
    }
}

/// Reads values back, failing on anything damaged.
struct Reader<'b> {
    bytes: &'b [u8],
}

fn damaged() -> Error {
    Error::invalid(Field::Type, "carequeue's binary encoding of an event", "damaged bytes")
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Result<&'b [u8], Error> {
        if self.bytes.len() < n {
            return Err(damaged());
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, Error> {
        let bytes: [u8; 4] = self.take(4)?.try_into().map_err(|_| damaged())?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn i32(&mut self) -> Result<i32, Error> {
        let bytes: [u8; 4] = self.take(4)?.try_into().map_err(|_| damaged())?;
        Ok(i32::from_le_bytes(bytes))
    }

    fn i64(&mut self) -> Result<i64, Error> {
        let bytes: [u8; 8] = self.take(8)?.try_into().map_err(|_| damaged())?;
        Ok(i64::from_le_bytes(bytes))
    }

    fn bool(&mut self) -> Result<bool, Error> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(damaged()),
        }
    }

    fn str(&mut self) -> Result<&'b str, Error> {
        let len = self.u32()? as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| damaged())
    }

    fn present(&mut self) -> Result<bool, Error> {
        self.bool()
    }

    fn instant(&mut self, field: Field) -> Result<Instant, Error> {
        let (seconds, nanos, offset) = (self.i64()?, self.i32()?, self.i32()?);
        let timestamp = Timestamp::new(seconds, nanos).map_err(|_| damaged())?;
        let offset = Offset::from_seconds(offset).map_err(|_| damaged())?;
        let year = offset.to_datetime(timestamp).year();
        // As `Instant::parse` accepts: whole minutes up to 23:59 either
        // way, years 1900 to 2199.
        let minutes = offset.seconds() / 60;
        if offset.seconds() % 60 != 0
            || minutes.abs() > 23 * 60 + 59
            || !(1900..=2199).contains(&year)
        {
            return Err(Error::invalid(field, "a time from 1900 to 2199", "a damaged time"));
        }
        Ok(Instant::new(timestamp, offset))
    }

    fn opt_instant(&mut self, field: Field) -> Result<Option<Instant>, Error> {
        if self.present()? { Ok(Some(self.instant(field)?)) } else { Ok(None) }
    }

    fn text(&mut self, field: Field) -> Result<Text, Error> {
        Text::parse(field, self.str()?)
    }

    fn opt_text(&mut self, field: Field) -> Result<Option<Text>, Error> {
        if self.present()? { Ok(Some(self.text(field)?)) } else { Ok(None) }
    }

    /// A value of an enumeration by its position in `all`.
    fn one_of<T: Copy>(&mut self, all: &[T]) -> Result<T, Error> {
        all.get(usize::from(self.u8()?)).copied().ok_or_else(damaged)
    }
}

/// An id: `parse` checks it as the parser does.
macro_rules! id {
    ($reader:expr, $kind:ident, $field:ident) => {
        $kind::parse(Field::$field, $reader.str()?)?
    };
}

macro_rules! opt_id {
    ($reader:expr, $kind:ident, $field:ident) => {
        if $reader.present()? { Some(id!($reader, $kind, $field)) } else { None }
    };
}

/// The position of a value in its enumeration's `ALL`.
fn index<T: PartialEq>(all: &[T], value: &T) -> u8 {
    all.iter().position(|v| v == value).and_then(|i| u8::try_from(i).ok()).unwrap_or(u8::MAX)
}

impl Event {
    /// Appends the event's binary encoding (see the module documentation)
    /// to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer(out);
        w.u8(index(EventType::ALL, &self.event_type()));
        w.str(self.event_id.as_str());
        w.instant(self.occurred_at);
        w.opt_instant(self.entered_at);
        w.opt_str(self.actor.as_ref().map(ActorId::as_str));
        match &self.body {
            Body::ClinicRegistered(b) => {
                w.str(b.clinic.as_str());
                w.str(b.time_zone.as_str());
                w.str(b.network.as_str());
                w.opt_str(b.name.as_ref().map(Text::as_str));
            }
            Body::ClinicianRegistered(b) => {
                w.str(b.clinician_id.as_str());
                w.str(b.clinic.as_str());
                w.u8(index(ProviderType::ALL, &b.provider_type));
                match b.fte {
                    Some(fte) => {
                        w.u8(1);
                        w.u32(u32::from(fte.thousandths()));
                    }
                    None => w.u8(0),
                }
                w.u32(u32::try_from(b.languages.len()).unwrap_or(u32::MAX));
                for language in &b.languages {
                    w.str(language.as_str());
                }
            }
            Body::SlotPublished(b) => {
                w.str(b.slot_id.as_str());
                w.str(b.clinician_id.as_str());
                w.str(b.clinic.as_str());
                w.instant(b.time.start());
                w.instant(b.time.end());
                w.u8(index(Format::ALL, &b.format));
                w.u32(b.capacity.get());
                w.u8(u8::from(b.new_patients));
            }
            Body::SlotWithdrawn(b) => w.str(b.slot_id.as_str()),
            Body::RequestOpened(b) => {
                w.str(b.request_id.as_str());
                w.str(b.patient_id.as_str());
                w.str(b.clinic.as_str());
                w.u8(index(Urgency::ALL, &b.urgency));
                w.u8(index(ProviderType::ALL, &b.provider_type));
                w.u8(index(Visit::ALL, &b.visit));
                w.u8(u8::from(b.prior_auth));
                w.u8(index(RequestedFormat::ALL, &b.requested_format));
                w.opt_str(b.prior_appointment_id.as_ref().map(AppointmentId::as_str));
                w.opt_instant(b.prior_appointment_at);
                w.opt_str(b.channel.as_ref().map(Text::as_str));
            }
            Body::RequestTriaged(b) => {
                w.str(b.request_id.as_str());
                w.u8(index(Urgency::ALL, &b.urgency));
            }
            Body::OfferMade(b) => {
                w.str(b.request_id.as_str());
                w.str(b.offer_id.as_str());
                w.instant(b.appointment_at);
                w.str(b.clinician_id.as_str());
                w.u8(index(ProviderType::ALL, &b.provider_type));
                w.u8(index(Format::ALL, &b.format));
                w.u8(index(Modality::ALL, &b.modality));
                w.u8(u8::from(b.in_network));
                w.opt_str(b.slot_id.as_ref().map(SlotId::as_str));
            }
            Body::OfferDeclined(b) => {
                w.str(b.request_id.as_str());
                w.str(b.offer_id.as_str());
                w.u8(index(DeclineReason::ALL, &b.reason));
            }
            Body::AppointmentBooked(b) => {
                w.str(b.request_id.as_str());
                w.str(b.appointment_id.as_str());
                w.instant(b.appointment_at);
                w.str(b.clinician_id.as_str());
                w.u8(index(Format::ALL, &b.format));
                w.u8(index(Modality::ALL, &b.modality));
                w.opt_str(b.offer_id.as_ref().map(OfferId::as_str));
                w.opt_str(b.slot_id.as_ref().map(SlotId::as_str));
            }
            Body::AppointmentCancelled(b) => {
                w.str(b.request_id.as_str());
                w.str(b.appointment_id.as_str());
                w.u8(index(CancelledBy::ALL, &b.by));
                w.opt_str(b.reason.as_ref().map(Text::as_str));
            }
            Body::AppointmentAttended(b) => {
                w.str(b.request_id.as_str());
                w.str(b.appointment_id.as_str());
            }
            Body::AppointmentNoShow(b) => {
                w.str(b.request_id.as_str());
                w.str(b.appointment_id.as_str());
            }
            Body::ExtensionDocumented(b) => {
                w.str(b.request_id.as_str());
                w.str(b.clinician_id.as_str());
                w.instant(b.extended_to);
                w.str(b.reason.as_str());
            }
            Body::ReferralOutOfNetwork(b) => {
                w.str(b.request_id.as_str());
                w.opt_str(b.provider.as_ref().map(Text::as_str));
                w.opt_instant(b.appointment_at);
            }
            Body::HarmReported(b) => {
                w.str(b.request_id.as_str());
                w.u8(index(HarmKind::ALL, &b.kind));
            }
            Body::RequestClosed(b) => {
                w.str(b.request_id.as_str());
                w.u8(index(CloseReason::ALL, &b.reason));
            }
            Body::EventVoided(b) => {
                w.str(b.voids.as_str());
                w.str(b.reason.as_str());
            }
        }
    }

    /// Reads an event written by [`Event::encode`]; `bytes` must hold it
    /// exactly. Damaged bytes are an error.
    pub fn decode(bytes: &[u8]) -> Result<Event, Error> {
        let mut r = Reader { bytes };
        let event_type = r.one_of(EventType::ALL)?;
        let event_id = id!(r, EventId, EventId);
        let occurred_at = r.instant(Field::OccurredAt)?;
        let entered_at = r.opt_instant(Field::EnteredAt)?;
        let actor = opt_id!(r, ActorId, Actor);
        let body = match event_type {
            EventType::ClinicRegistered => Body::ClinicRegistered(ClinicRegistered {
                clinic: id!(r, ClinicId, Clinic),
                time_zone: TimeZoneName::parse(Field::TimeZone, r.str()?)?,
                network: id!(r, NetworkId, Network),
                name: r.opt_text(Field::Name)?,
            }),
            EventType::ClinicianRegistered => {
                let clinician_id = id!(r, ClinicianId, ClinicianId);
                let clinic = id!(r, ClinicId, Clinic);
                let provider_type = r.one_of(ProviderType::ALL)?;
                let fte = if r.present()? {
                    let thousandths = u16::try_from(r.u32()?).map_err(|_| damaged())?;
                    Some(Fte::from_thousandths(thousandths).ok_or_else(damaged)?)
                } else {
                    None
                };
                let n = r.u32()? as usize;
                // Each language takes at least its 4-byte length.
                if n > r.bytes.len() / 4 {
                    return Err(damaged());
                }
                let languages = (0..n)
                    .map(|_| crate::parse::list_item(Field::Languages, r.str()?))
                    .collect::<Result<Vec<_>, _>>()?;
                // As parsed: sorted, without repeats.
                if !languages.windows(2).all(|pair| pair[0].as_str() < pair[1].as_str()) {
                    return Err(damaged());
                }
                Body::ClinicianRegistered(ClinicianRegistered {
                    clinician_id,
                    clinic,
                    provider_type,
                    fte,
                    languages,
                })
            }
            EventType::SlotPublished => {
                let slot_id = id!(r, SlotId, SlotId);
                let clinician_id = id!(r, ClinicianId, ClinicianId);
                let clinic = id!(r, ClinicId, Clinic);
                let start = r.instant(Field::Start)?;
                let end = r.instant(Field::End)?;
                Body::SlotPublished(SlotPublished {
                    slot_id,
                    clinician_id,
                    clinic,
                    time: SlotTime::new(start, end)?,
                    format: r.one_of(Format::ALL)?,
                    capacity: Capacity::new(r.u32()?).ok_or_else(damaged)?,
                    new_patients: r.bool()?,
                })
            }
            EventType::SlotWithdrawn => {
                Body::SlotWithdrawn(SlotWithdrawn { slot_id: id!(r, SlotId, SlotId) })
            }
            EventType::RequestOpened => Body::RequestOpened(RequestOpened {
                request_id: id!(r, RequestId, RequestId),
                patient_id: id!(r, PatientId, PatientId),
                clinic: id!(r, ClinicId, Clinic),
                urgency: r.one_of(Urgency::ALL)?,
                provider_type: r.one_of(ProviderType::ALL)?,
                visit: r.one_of(Visit::ALL)?,
                prior_auth: r.bool()?,
                requested_format: r.one_of(RequestedFormat::ALL)?,
                prior_appointment_id: opt_id!(r, AppointmentId, PriorAppointmentId),
                prior_appointment_at: r.opt_instant(Field::PriorAppointmentAt)?,
                channel: r.opt_text(Field::Channel)?,
            }),
            EventType::RequestTriaged => Body::RequestTriaged(RequestTriaged {
                request_id: id!(r, RequestId, RequestId),
                urgency: r.one_of(Urgency::ALL)?,
            }),
            EventType::OfferMade => Body::OfferMade(OfferMade {
                request_id: id!(r, RequestId, RequestId),
                offer_id: id!(r, OfferId, OfferId),
                appointment_at: r.instant(Field::AppointmentAt)?,
                clinician_id: id!(r, ClinicianId, ClinicianId),
                provider_type: r.one_of(ProviderType::ALL)?,
                format: r.one_of(Format::ALL)?,
                modality: r.one_of(Modality::ALL)?,
                in_network: r.bool()?,
                slot_id: opt_id!(r, SlotId, SlotId),
            }),
            EventType::OfferDeclined => Body::OfferDeclined(OfferDeclined {
                request_id: id!(r, RequestId, RequestId),
                offer_id: id!(r, OfferId, OfferId),
                reason: r.one_of(DeclineReason::ALL)?,
            }),
            EventType::AppointmentBooked => Body::AppointmentBooked(AppointmentBooked {
                request_id: id!(r, RequestId, RequestId),
                appointment_id: id!(r, AppointmentId, AppointmentId),
                appointment_at: r.instant(Field::AppointmentAt)?,
                clinician_id: id!(r, ClinicianId, ClinicianId),
                format: r.one_of(Format::ALL)?,
                modality: r.one_of(Modality::ALL)?,
                offer_id: opt_id!(r, OfferId, OfferId),
                slot_id: opt_id!(r, SlotId, SlotId),
            }),
            EventType::AppointmentCancelled => Body::AppointmentCancelled(AppointmentCancelled {
                request_id: id!(r, RequestId, RequestId),
                appointment_id: id!(r, AppointmentId, AppointmentId),
                by: r.one_of(CancelledBy::ALL)?,
                reason: r.opt_text(Field::Reason)?,
            }),
            EventType::AppointmentAttended => Body::AppointmentAttended(AppointmentAttended {
                request_id: id!(r, RequestId, RequestId),
                appointment_id: id!(r, AppointmentId, AppointmentId),
            }),
            EventType::AppointmentNoShow => Body::AppointmentNoShow(AppointmentNoShow {
                request_id: id!(r, RequestId, RequestId),
                appointment_id: id!(r, AppointmentId, AppointmentId),
            }),
            EventType::ExtensionDocumented => Body::ExtensionDocumented(ExtensionDocumented {
                request_id: id!(r, RequestId, RequestId),
                clinician_id: id!(r, ClinicianId, ClinicianId),
                extended_to: r.instant(Field::ExtendedTo)?,
                reason: r.text(Field::Reason)?,
            }),
            EventType::ReferralOutOfNetwork => Body::ReferralOutOfNetwork(ReferralOutOfNetwork {
                request_id: id!(r, RequestId, RequestId),
                provider: r.opt_text(Field::Provider)?,
                appointment_at: r.opt_instant(Field::AppointmentAt)?,
            }),
            EventType::HarmReported => Body::HarmReported(HarmReported {
                request_id: id!(r, RequestId, RequestId),
                kind: r.one_of(HarmKind::ALL)?,
            }),
            EventType::RequestClosed => Body::RequestClosed(RequestClosed {
                request_id: id!(r, RequestId, RequestId),
                reason: r.one_of(CloseReason::ALL)?,
            }),
            EventType::EventVoided => Body::EventVoided(EventVoided {
                voids: id!(r, EventId, Voids),
                reason: r.text(Field::Reason)?,
            }),
        };
        if !r.bytes.is_empty() {
            return Err(damaged());
        }
        Ok(Event { event_id, occurred_at, entered_at, actor, body })
    }
}
