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
    /// A value that is none of a field's allowed values, with the allowed
    /// value it most likely meant, when one is close.
    NotAllowedValue {
        /// The field at fault.
        field: Field,
        /// The allowed values, in words.
        expected: &'static str,
        /// The value found, quoted (shortened if long).
        found: String,
        /// The closest allowed value, if one is close enough to suggest.
        did_you_mean: Option<&'static str>,
    },
}

impl Error {
    /// The field at fault.
    pub fn field(&self) -> Field {
        match self {
            Error::Missing { field, .. }
            | Error::NotAllowed { field, .. }
            | Error::Reserved { field }
            | Error::Invalid { field, .. }
            | Error::NotAllowedValue { field, .. } => *field,
        }
    }

    /// A value that is not what `field` expects; `found` is the text as
    /// read, and is shown quoted.
    pub(crate) fn invalid(field: Field, expected: &'static str, found: &str) -> Error {
        Error::Invalid { field, expected, found: shorten(&format!("{found:?}")) }
    }

    /// A value that is none of `allowed`, with the closest one suggested.
    pub(crate) fn not_allowed_value(
        field: Field,
        expected: &'static str,
        found: &str,
        allowed: &[&'static str],
    ) -> Error {
        Error::NotAllowedValue {
            field,
            expected,
            found: shorten(&format!("{found:?}")),
            did_you_mean: closest(found, allowed),
        }
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
            Error::NotAllowedValue { field, expected, found, did_you_mean } => {
                write!(f, "field `{field}`: expected {expected}, found {found}")?;
                match did_you_mean {
                    Some(value) => write!(f, "; did you mean `{value}`?"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for Error {}

/// The allowed value `found` most likely meant: the same letters and digits
/// (`non-physician MH` for `non_physician_mh`), or within one edit (two for
/// 6 letters or more) of one allowed value, ignoring case; `None` when nothing is that close, or two
/// values are equally close.
fn closest(found: &str, allowed: &[&'static str]) -> Option<&'static str> {
    let letters = |text: &str| -> String {
        text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
    };
    let found_letters = letters(found);
    if found_letters.is_empty() || found.len() > 64 {
        return None;
    }
    if let Some(value) = allowed.iter().find(|value| letters(value) == found_letters) {
        return Some(value);
    }
    let found_lower = found.to_lowercase();
    let mut best: Option<(usize, &'static str)> = None;
    let mut tie = false;
    for value in allowed {
        let distance = edits(&found_lower, value);
        match best {
            Some((d, _)) if distance > d => {}
            Some((d, _)) if distance == d => tie = true,
            _ => {
                best = Some((distance, value));
                tie = false;
            }
        }
    }
    // Short words are near everything: one edit for up to 5 letters, two
    // from 6 on.
    let allowed_edits = if found_letters.len() <= 5 { 1 } else { 2 };
    best.filter(|(distance, _)| *distance <= allowed_edits && !tie).map(|(_, value)| value)
}

/// The Levenshtein distance between two short texts, by characters.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(previous + 1).min(row[j] + 1);
        }
    }
    row[b.len()]
}
