use std::fmt;

use crate::error::Error;
use crate::field::Field;

macro_rules! enumeration {
    (
        $(#[$doc:meta])* $name:ident, $expected:literal {
            $($(#[$vdoc:meta])* $variant:ident => $text:literal,)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The value as written in files.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// Parses the value as written in files, in any case (`Routine`
            /// is `routine`, as spreadsheets write it); `field` names the
            /// field in the error, which suggests the closest value.
            pub fn parse(field: Field, text: &str) -> Result<$name, Error> {
                match text {
                    $($text => Ok($name::$variant),)*
                    _ => $name::ALL
                        .iter()
                        .copied()
                        .find(|value| value.as_str().eq_ignore_ascii_case(text))
                        .ok_or_else(|| {
                            let allowed: Vec<&'static str> =
                                $name::ALL.iter().map(|value| value.as_str()).collect();
                            Error::not_allowed_value(field, $expected, text, &allowed)
                        }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

enumeration! {
    /// How soon care is needed.
    Urgency, "one of urgent, routine" {
        /// Urgent care (48 or 96 hours in California).
        Urgent => "urgent",
        /// Non-urgent care.
        Routine => "routine",
    }
}

enumeration! {
    /// The kind of clinician a request asks for or an offer provides.
    ProviderType, "one of psychiatrist, non_physician_mh, sud, primary_care, other" {
        /// A psychiatrist (a physician).
        Psychiatrist => "psychiatrist",
        /// A non-physician mental-health provider: therapist, psychologist, counsellor.
        NonPhysicianMh => "non_physician_mh",
        /// A substance-use-disorder provider.
        Sud => "sud",
        /// A primary-care provider.
        PrimaryCare => "primary_care",
        /// Any other provider.
        Other => "other",
    }
}

enumeration! {
    /// Whether a request is for a first visit or a follow-up in a course of care.
    Visit, "one of initial, follow_up" {
        /// A first visit.
        Initial => "initial",
        /// A follow-up visit in an ongoing course of treatment.
        FollowUp => "follow_up",
    }
}

enumeration! {
    /// Individual or group care, as offered or booked.
    Format, "one of individual, group" {
        /// One clinician, one patient.
        Individual => "individual",
        /// Group care.
        Group => "group",
    }
}

enumeration! {
    /// The format a request asks for.
    RequestedFormat, "one of individual, group, any" {
        /// Individual care.
        Individual => "individual",
        /// Group care.
        Group => "group",
        /// Either.
        Any => "any",
    }
}

enumeration! {
    /// How an appointment takes place.
    Modality, "one of in_person, video, phone" {
        /// In person.
        InPerson => "in_person",
        /// By video.
        Video => "video",
        /// By telephone.
        Phone => "phone",
    }
}

enumeration! {
    /// Why a patient declined an offer.
    DeclineReason, "one of patient_preference, time, modality, clinician, other" {
        /// The patient preferred another time or provider.
        PatientPreference => "patient_preference",
        /// The time did not suit.
        Time => "time",
        /// The modality did not suit.
        Modality => "modality",
        /// The clinician did not suit.
        Clinician => "clinician",
        /// Any other reason.
        Other => "other",
    }
}

enumeration! {
    /// Who cancelled an appointment.
    CancelledBy, "one of patient, provider, plan" {
        /// The patient.
        Patient => "patient",
        /// The provider.
        Provider => "provider",
        /// The plan.
        Plan => "plan",
    }
}

enumeration! {
    /// The kind of harm reported while a patient waited.
    HarmKind, "one of ed_visit, inpatient, crisis, suicide_attempt, death" {
        /// An emergency-department visit.
        EdVisit => "ed_visit",
        /// An inpatient admission.
        Inpatient => "inpatient",
        /// A crisis contact.
        Crisis => "crisis",
        /// A suicide attempt.
        SuicideAttempt => "suicide_attempt",
        /// A death.
        Death => "death",
    }
}

enumeration! {
    /// Why a request was closed.
    CloseReason, "one of served, withdrawn, unreachable, declined_care, other" {
        /// The patient was served.
        Served => "served",
        /// The patient withdrew the request.
        Withdrawn => "withdrawn",
        /// The patient could not be reached.
        Unreachable => "unreachable",
        /// The patient declined care.
        DeclinedCare => "declined_care",
        /// Any other reason.
        Other => "other",
    }
}

enumeration! {
    /// The type of an event.
    EventType, "an event type such as request.opened (docs/events.md lists them)" {
        /// A clinic and its time zone.
        ClinicRegistered => "clinic.registered",
        /// A clinician at a clinic.
        ClinicianRegistered => "clinician.registered",
        /// A slot a clinician makes available.
        SlotPublished => "slot.published",
        /// A published slot taken back.
        SlotWithdrawn => "slot.withdrawn",
        /// A request for care.
        RequestOpened => "request.opened",
        /// A change of a request's urgency.
        RequestTriaged => "request.triaged",
        /// An appointment offered for a request.
        OfferMade => "offer.made",
        /// An offer the patient declined.
        OfferDeclined => "offer.declined",
        /// An appointment booked.
        AppointmentBooked => "appointment.booked",
        /// An appointment cancelled.
        AppointmentCancelled => "appointment.cancelled",
        /// An appointment the patient attended.
        AppointmentAttended => "appointment.attended",
        /// An appointment the patient missed.
        AppointmentNoShow => "appointment.no_show",
        /// A clinical extension of a deadline.
        ExtensionDocumented => "extension.documented",
        /// A referral to a provider outside the network.
        ReferralOutOfNetwork => "referral.out_of_network",
        /// Harm while waiting.
        HarmReported => "harm.reported",
        /// A request closed.
        RequestClosed => "request.closed",
        /// An earlier event declared void.
        EventVoided => "event.voided",
    }
}
