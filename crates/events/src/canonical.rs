//! The canonical byte encoding of an event.
//!
//! An event is written as one JSON object holding every field of its type,
//! with defaults written out (`capacity`, `new_patients`, `prior_auth`,
//! `requested_format`, `in_network`) and absent optional fields left out.
//! Keys are sorted by byte value and no whitespace is written. Strings are
//! escaped as RFC 8785 (JCS) requires: `"` and `\` with a backslash,
//! U+0008, U+0009, U+000A, U+000C and U+000D as `\b \t \n \f \r`, other
//! characters below U+0020 as `\u00xx` with lower-case hex, everything else
//! as UTF-8. Numbers are whole (`capacity`) or short decimals (`fte`: `0.8`,
//! `1`). Timestamps are strings in the form [`Instant`]'s `Display` writes.
//! For this vocabulary the result is exactly RFC 8785, so any JCS library, or
//! Python's `json.dumps(obj, sort_keys=True, separators=(",", ":"),
//! ensure_ascii=False)`, reproduces it.

use std::fmt::Write as _;

use crate::event::{Body, Event};
use crate::field::Field;
use crate::text::Text;
use crate::time::Instant;

enum Value<'e> {
    Str(&'e str),
    Owned(String),
    Number(String),
    Bool(bool),
    List(&'e [Text]),
}

struct Object<'e> {
    entries: Vec<(Field, Value<'e>)>,
}

impl<'e> Object<'e> {
    fn str(&mut self, field: Field, value: &'e str) {
        self.entries.push((field, Value::Str(value)));
    }

    fn opt_str(&mut self, field: Field, value: Option<&'e str>) {
        if let Some(value) = value {
            self.str(field, value);
        }
    }

    fn instant(&mut self, field: Field, value: Instant) {
        self.entries.push((field, Value::Owned(value.to_string())));
    }

    fn opt_instant(&mut self, field: Field, value: Option<Instant>) {
        if let Some(value) = value {
            self.instant(field, value);
        }
    }

    fn bool(&mut self, field: Field, value: bool) {
        self.entries.push((field, Value::Bool(value)));
    }

    fn number(&mut self, field: Field, value: String) {
        self.entries.push((field, Value::Number(value)));
    }

    fn write(mut self, out: &mut Vec<u8>) {
        self.entries.sort_unstable_by_key(|(field, _)| field.as_str());
        out.push(b'{');
        for (idx, (field, value)) in self.entries.iter().enumerate() {
            if idx > 0 {
                out.push(b',');
            }
            write_string(out, field.as_str());
            out.push(b':');
            match value {
                Value::Str(text) => write_string(out, text),
                Value::Owned(text) => write_string(out, text),
                Value::Number(text) => out.extend_from_slice(text.as_bytes()),
                Value::Bool(true) => out.extend_from_slice(b"true"),
                Value::Bool(false) => out.extend_from_slice(b"false"),
                Value::List(items) => {
                    out.push(b'[');
                    for (idx, item) in items.iter().enumerate() {
                        if idx > 0 {
                            out.push(b',');
                        }
                        write_string(out, item.as_str());
                    }
                    out.push(b']');
                }
            }
        }
        out.push(b'}');
    }
}

/// Writes a JSON string with the escaping of RFC 8785.
pub(crate) fn write_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (idx, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0a => b"\\n",
            0x0c => b"\\f",
            0x0d => b"\\r",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..idx]);
        if escape.is_empty() {
            let mut hex = String::with_capacity(6);
            let _ = write!(hex, "\\u{byte:04x}");
            out.extend_from_slice(hex.as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        start = idx + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

impl Event {
    /// The canonical encoding of the event (see the module documentation of
    /// `canonical.rs`, repeated in `docs/ledger.md`). Two events are the same
    /// event exactly when their canonical encodings are equal.
    pub fn canonical_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_canonical_json(&mut out);
        out
    }

    /// Appends the canonical encoding to `out`.
    pub fn write_canonical_json(&self, out: &mut Vec<u8>) {
        use Field as F;
        let mut o = Object { entries: Vec::with_capacity(16) };
        o.str(F::EventId, self.event_id.as_str());
        o.str(F::Type, self.event_type().as_str());
        o.instant(F::OccurredAt, self.occurred_at);
        o.opt_instant(F::EnteredAt, self.entered_at);
        o.opt_str(F::Actor, self.actor.as_ref().map(|a| a.as_str()));
        match &self.body {
            Body::ClinicRegistered(b) => {
                o.str(F::Clinic, b.clinic.as_str());
                o.str(F::TimeZone, b.time_zone.as_str());
                o.str(F::Network, b.network.as_str());
                o.opt_str(F::Name, b.name.as_ref().map(Text::as_str));
            }
            Body::ClinicianRegistered(b) => {
                o.str(F::ClinicianId, b.clinician_id.as_str());
                o.str(F::Clinic, b.clinic.as_str());
                o.str(F::ProviderType, b.provider_type.as_str());
                if let Some(fte) = b.fte {
                    o.number(F::Fte, fte.to_string());
                }
                if !b.languages.is_empty() {
                    o.entries.push((F::Languages, Value::List(&b.languages)));
                }
            }
            Body::SlotPublished(b) => {
                o.str(F::SlotId, b.slot_id.as_str());
                o.str(F::ClinicianId, b.clinician_id.as_str());
                o.str(F::Clinic, b.clinic.as_str());
                o.instant(F::Start, b.time.start());
                o.instant(F::End, b.time.end());
                o.str(F::Format, b.format.as_str());
                o.number(F::Capacity, b.capacity.get().to_string());
                o.bool(F::NewPatients, b.new_patients);
            }
            Body::SlotWithdrawn(b) => o.str(F::SlotId, b.slot_id.as_str()),
            Body::RequestOpened(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::PatientId, b.patient_id.as_str());
                o.str(F::Clinic, b.clinic.as_str());
                o.str(F::Urgency, b.urgency.as_str());
                o.str(F::ProviderType, b.provider_type.as_str());
                o.str(F::Visit, b.visit.as_str());
                o.bool(F::PriorAuth, b.prior_auth);
                o.str(F::RequestedFormat, b.requested_format.as_str());
                o.opt_str(
                    F::PriorAppointmentId,
                    b.prior_appointment_id.as_ref().map(|a| a.as_str()),
                );
                o.opt_instant(F::PriorAppointmentAt, b.prior_appointment_at);
                o.opt_str(F::Channel, b.channel.as_ref().map(Text::as_str));
            }
            Body::RequestTriaged(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::Urgency, b.urgency.as_str());
            }
            Body::OfferMade(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::OfferId, b.offer_id.as_str());
                o.instant(F::AppointmentAt, b.appointment_at);
                o.str(F::ClinicianId, b.clinician_id.as_str());
                o.str(F::ProviderType, b.provider_type.as_str());
                o.str(F::Format, b.format.as_str());
                o.str(F::Modality, b.modality.as_str());
                o.bool(F::InNetwork, b.in_network);
                o.opt_str(F::SlotId, b.slot_id.as_ref().map(|s| s.as_str()));
            }
            Body::OfferDeclined(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::OfferId, b.offer_id.as_str());
                o.str(F::Reason, b.reason.as_str());
            }
            Body::AppointmentBooked(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::AppointmentId, b.appointment_id.as_str());
                o.instant(F::AppointmentAt, b.appointment_at);
                o.str(F::ClinicianId, b.clinician_id.as_str());
                o.str(F::Format, b.format.as_str());
                o.str(F::Modality, b.modality.as_str());
                o.opt_str(F::OfferId, b.offer_id.as_ref().map(|s| s.as_str()));
                o.opt_str(F::SlotId, b.slot_id.as_ref().map(|s| s.as_str()));
            }
            Body::AppointmentCancelled(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::AppointmentId, b.appointment_id.as_str());
                o.str(F::By, b.by.as_str());
                o.opt_str(F::Reason, b.reason.as_ref().map(Text::as_str));
            }
            Body::AppointmentAttended(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::AppointmentId, b.appointment_id.as_str());
            }
            Body::AppointmentNoShow(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::AppointmentId, b.appointment_id.as_str());
            }
            Body::ExtensionDocumented(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::ClinicianId, b.clinician_id.as_str());
                o.instant(F::ExtendedTo, b.extended_to);
                o.str(F::Reason, b.reason.as_str());
            }
            Body::ReferralOutOfNetwork(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.opt_str(F::Provider, b.provider.as_ref().map(Text::as_str));
                o.opt_instant(F::AppointmentAt, b.appointment_at);
            }
            Body::HarmReported(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::Kind, b.kind.as_str());
            }
            Body::RequestClosed(b) => {
                o.str(F::RequestId, b.request_id.as_str());
                o.str(F::Reason, b.reason.as_str());
            }
            Body::EventVoided(b) => {
                o.str(F::Voids, b.voids.as_str());
                o.str(F::Reason, b.reason.as_str());
            }
        }
        o.write(out);
    }
}
