use std::fmt;

macro_rules! fields {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// The name of a field of the event vocabulary, across all event types.
        ///
        /// The names are the contract of `docs/events.md`: NDJSON keys and
        /// CSV header cells are exactly these strings.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Field {
            $($(#[$doc])* $variant,)*
        }

        impl Field {
            /// Every field, in declaration order.
            pub const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// The number of distinct fields.
            pub const COUNT: usize = Field::ALL.len();

            /// The field's name as written in files.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Field::$variant => $name,)*
                }
            }

            /// Looks a field up by its name; `None` if no event type has it.
            pub fn from_name(name: &str) -> Option<Field> {
                match name {
                    $($name => Some(Field::$variant),)*
                    _ => None,
                }
            }

            /// The field's position in [`Field::ALL`].
            pub fn index(self) -> usize {
                self as usize
            }
        }
    };
}

fields! {
    /// Unique id of the event within its source.
    EventId => "event_id",
    /// The event type, such as `request.opened`.
    Type => "type",
    /// When the event happened in the world.
    OccurredAt => "occurred_at",
    /// When carequeue stored the event; never accepted from a source.
    RecordedAt => "recorded_at",
    /// When the source system first recorded the event.
    EnteredAt => "entered_at",
    /// The staff member or system that recorded the event.
    Actor => "actor",
    /// A clinic id.
    Clinic => "clinic",
    /// An IANA time zone name.
    TimeZone => "time_zone",
    /// A network id.
    Network => "network",
    /// A display name.
    Name => "name",
    /// A clinician id.
    ClinicianId => "clinician_id",
    /// A provider type.
    ProviderType => "provider_type",
    /// Full-time equivalent.
    Fte => "fte",
    /// Languages spoken.
    Languages => "languages",
    /// A slot id.
    SlotId => "slot_id",
    /// Start of a slot.
    Start => "start",
    /// End of a slot.
    End => "end",
    /// Individual or group care.
    Format => "format",
    /// Places in a slot.
    Capacity => "capacity",
    /// Whether a slot is open to new patients.
    NewPatients => "new_patients",
    /// A request id.
    RequestId => "request_id",
    /// A patient id.
    PatientId => "patient_id",
    /// Urgent or routine.
    Urgency => "urgency",
    /// Initial visit or follow-up.
    Visit => "visit",
    /// Whether prior authorization is required.
    PriorAuth => "prior_auth",
    /// The format the request asked for.
    RequestedFormat => "requested_format",
    /// The prior appointment of a follow-up request.
    PriorAppointmentId => "prior_appointment_id",
    /// The time of the prior appointment of a follow-up request.
    PriorAppointmentAt => "prior_appointment_at",
    /// How the request reached the plan.
    Channel => "channel",
    /// An offer id.
    OfferId => "offer_id",
    /// The time of an offered or booked appointment.
    AppointmentAt => "appointment_at",
    /// In person, video or phone.
    Modality => "modality",
    /// Whether an offer is in the plan's network.
    InNetwork => "in_network",
    /// A reason (an enumeration or free text, by event type).
    Reason => "reason",
    /// An appointment id.
    AppointmentId => "appointment_id",
    /// Who cancelled an appointment.
    By => "by",
    /// The deadline set by a clinical extension.
    ExtendedTo => "extended_to",
    /// An out-of-network provider.
    Provider => "provider",
    /// The kind of harm reported.
    Kind => "kind",
    /// The event that an `event.voided` voids.
    Voids => "voids",
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
