//! The carequeue event vocabulary.
//!
//! Everything carequeue knows is an append-only stream of [`Event`]s (the
//! vocabulary of `docs/events.md`). This crate holds the types of that
//! vocabulary and the two conversions every other crate relies on:
//!
//! - [`Event::parse`] turns a [`RawRecord`] (the fields of one NDJSON object or
//!   one CSV row, as text) into an event. Past this point an event is valid by
//!   construction: ids are checked newtypes, timestamps carry an offset,
//!   enumerations are Rust enums, and cross-field rules (a slot ends after it
//!   starts) are held by types.
//! - [`Event::canonical_json`] writes the one canonical byte encoding of an
//!   event: a JSON object with every field (defaults written out), keys in
//!   byte order and no insignificant whitespace, which is RFC 8785 (JCS) for
//!   the values this vocabulary allows. The ledger hashes these bytes.
//!
//! ```
//! use events::{Event, Field, Raw, RawRecord};
//!
//! let mut record = RawRecord::default();
//! record.set(Field::EventId, Raw::Text("e1"));
//! record.set(Field::Type, Raw::Text("request.triaged"));
//! record.set(Field::OccurredAt, Raw::Json(r#""2024-03-01T09:30:00.500-08:00""#));
//! record.set(Field::RequestId, Raw::Text("r1"));
//! record.set(Field::Urgency, Raw::Text("urgent"));
//! let event = Event::parse(&record).unwrap();
//! assert_eq!(event.event_type().as_str(), "request.triaged");
//! assert_eq!(
//!     String::from_utf8(event.canonical_json()).unwrap(),
//!     r#"{"event_id":"e1","occurred_at":"2024-03-01T09:30:00.5-08:00","request_id":"r1","type":"request.triaged","urgency":"urgent"}"#,
//! );
//! ```
//!
//! This crate does no I/O and never reads the wall clock.

mod binary;
mod canonical;
mod error;
mod event;
mod field;
mod id;
mod parse;
mod raw;
mod text;
mod time;
mod vocab;

pub use crate::error::Error;
pub use crate::event::{
    AppointmentAttended, AppointmentBooked, AppointmentCancelled, AppointmentNoShow, Body,
    ClinicRegistered, ClinicianRegistered, Entity, Event, EventVoided, ExtensionDocumented,
    HarmReported, OfferDeclined, OfferMade, Reference, ReferralOutOfNetwork, RequestClosed,
    RequestOpened, RequestTriaged, SlotPublished, SlotWithdrawn,
};
pub use crate::field::Field;
pub use crate::id::{
    ActorId, AppointmentId, ClinicId, ClinicianId, EventId, NetworkId, OfferId, PatientId,
    RequestId, SlotId,
};
pub use crate::raw::{Raw, RawRecord};
pub use crate::text::{Capacity, Fte, Text, TimeZoneName};
pub use crate::time::{Instant, SlotTime};
pub use crate::vocab::{
    CancelledBy, CloseReason, DeclineReason, EventType, Format, HarmKind, Modality, ProviderType,
    RequestedFormat, Urgency, Visit,
};

#[cfg(test)]
mod tests;
