use std::fmt;

use crate::error::Error;
use crate::field::Field;

/// The longest id accepted, in bytes.
const MAX_ID_LEN: usize = 128;

const ID_EXPECTED: &str = "an id of 1 to 128 characters from A-Z a-z 0-9 and - _ . : / @ + # ~ =";

fn is_id_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"-_.:/@+#~=".contains(&byte)
}

/// Checks the common id syntax: 1 to 128 ASCII letters, digits and `-_.:/@+#~=`.
///
/// Ids are restricted so that they need no escaping in JSON, CSV or URLs, and
/// so that two ids that look alike are alike.
pub(crate) fn check_id(field: Field, text: &str) -> Result<(), Error> {
    if text.is_empty() || text.len() > MAX_ID_LEN || !text.bytes().all(is_id_byte) {
        return Err(Error::invalid(field, ID_EXPECTED, text));
    }
    Ok(())
}

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident,)*) => {$(
        $(#[$doc])*
        ///
        /// Holds 1 to 128 ASCII letters, digits and `-_.:/@+#~=`.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(Box<str>);

        impl $name {
            /// Checks `text` and wraps it; `field` names the field in the error.
            pub fn parse(field: Field, text: &str) -> Result<$name, Error> {
                check_id(field, text)?;
                Ok($name(text.into()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

ids! {
    /// The id of an event, unique within the ledger.
    EventId,
    /// The id of a request for care.
    RequestId,
    /// The id of a patient (a pseudonym in anything that leaves the plan).
    PatientId,
    /// The id of a clinic.
    ClinicId,
    /// The id of a network of providers.
    NetworkId,
    /// The id of a clinician.
    ClinicianId,
    /// The id of a published slot.
    SlotId,
    /// The id of an offer of an appointment.
    OfferId,
    /// The id of a booked appointment.
    AppointmentId,
    /// The id of the staff member or system that recorded an event.
    ActorId,
}
