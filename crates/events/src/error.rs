use std::fmt;

use crate::field::Field;
use crate::vocab::EventType;

/// Why a record is not a valid event.
///
/// Every variant names the field at fault, so that a reader can locate the
/// error precisely (file, line, field, what was expected, what was found).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A field that this event type requires is absent or empty.
    Missing {
        /// The absent field.
        field: Field,
        /// The event's type, or `None` when `type` itself is missing.
        event_type: Option<EventType>,
    },
    /// A field is present that this event type does not have.
    NotAllowed {
        /// The unexpected field.
        field: Field,
        /// The event's type.
        event_type: EventType,
    },
    /// A field that carequeue assigns itself was supplied by the source.
    Reserved {
        /// The reserved field (`recorded_at`).
        field: Field,
    },
    /// A value does not have the form the field requires.
    Invalid {
        /// The field at fault.
        field: Field,
        /// What the field requires, in words.
        expected: &'static str,
        /// The value found, as written in the source (shortened if long).
        found: String,
    },
}

impl Error {
    /// The field at fault.
    pub fn field(&self) -> Field {
        match self {
            Error::Missing { field, .. }
            | Error::NotAllowed { field, .. }
            | Error::Reserved { field }
            | Error::Invalid { field, .. } => *field,
        }
    }

    /// A value that is not what `field` expects; `found` is the text as
    /// read, and is shown quoted.
    pub(crate) fn invalid(field: Field, expected: &'static str, found: &str) -> Error {
        Error::Invalid { field, expected, found: shorten(&format!("{found:?}")) }
    }

    /// Like [`Error::invalid`], for a raw JSON value, shown as written.
    pub(crate) fn invalid_raw(field: Field, expected: &'static str, raw: &str) -> Error {
        Error::Invalid { field, expected, found: shorten(raw) }
    }
}

/// Shortens a found value for an error message, on a character boundary.
fn shorten(found: &str) -> String {
    const MAX: usize = 80;
    if found.len() <= MAX {
        return found.to_owned();
    }
    let mut end = MAX;
    while !found.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &found[..end], found.len())
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing { field, event_type: Some(event_type) } => {
                write!(f, "field `{field}`: required for `{event_type}` events, but absent")
            }
            Error::Missing { field, event_type: None } => {
                write!(f, "field `{field}`: required for every event, but absent")
            }
            Error::NotAllowed { field, event_type } => write!(
                f,
                "field `{field}`: not a field of `{event_type}` events (they have: {})",
                event_type.field_list()
            ),
            Error::Reserved { field } => write!(
                f,
                "field `{field}`: assigned by carequeue when the event is stored, \
                 so a source may not supply it"
            ),
            Error::Invalid { field, expected, found } => {
                write!(f, "field `{field}`: expected {expected}, found {found}")
            }
        }
    }
}

impl std::error::Error for Error {}
