use std::fmt;
use std::num::NonZeroU32;

use crate::error::Error;
use crate::field::Field;

/// The longest free text accepted, in bytes.
const MAX_TEXT_LEN: usize = 1000;

/// Free text: a name, a reason in words, a provider.
///
/// Holds 1 to 1000 bytes of UTF-8 without control characters and without
/// leading or trailing whitespace.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(Box<str>);

impl Text {
    /// Checks `text` and wraps it; `field` names the field in the error.
    pub fn parse(field: Field, text: &str) -> Result<Text, Error> {
        let ok = !text.is_empty()
            && text.len() <= MAX_TEXT_LEN
            && text.trim() == text
            && !text.chars().any(char::is_control);
        if !ok {
            return Err(Error::invalid(
                field,
                "text of 1 to 1000 bytes, without control characters or surrounding spaces",
                text,
            ));
        }
        Ok(Text(text.into()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The number of places in a slot: at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Capacity(NonZeroU32);

impl Capacity {
    /// One place, the default for a slot.
    pub const ONE: Capacity = Capacity(NonZeroU32::MIN);

    /// Parses a whole number from 1 to 10000.
    pub fn parse(field: Field, text: &str) -> Result<Capacity, Error> {
        text.parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n) && !text.starts_with('+'))
            .and_then(NonZeroU32::new)
            .map(Capacity)
            .ok_or_else(|| Error::invalid(field, "a whole number from 1 to 10000", text))
    }

    /// A capacity of `places`, when it is from 1 to 10000.
    pub fn new(places: u32) -> Option<Capacity> {
        NonZeroU32::new(places).filter(|n| n.get() <= 10_000).map(Capacity)
    }

    /// The number of places.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

/// Full-time equivalent, above 0 and at most 1, in thousandths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fte(u16);

impl Fte {
    /// Parses a decimal above 0 and at most 1 with at most three decimals,
    /// such as `1`, `0.8` or `0.125`.
    pub fn parse(field: Field, text: &str) -> Result<Fte, Error> {
        let err = || Error::invalid(field, "a decimal above 0 and at most 1, such as 0.8", text);
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 1 || !digits(whole) || !digits(frac) {
            return Err(err());
        }
        if frac.len() > 3 || (text.contains('.') && frac.is_empty()) {
            return Err(err());
        }
        let whole: u16 = whole.parse().map_err(|_| err())?;
        let mut thousandths = whole * 1000;
        let mut scale = 100;
        for b in frac.bytes() {
            thousandths += u16::from(b - b'0') * scale;
            scale /= 10;
        }
        if thousandths == 0 || thousandths > 1000 {
            return Err(err());
        }
        Ok(Fte(thousandths))
    }

    /// The FTE of `thousandths` thousandths, when it is from 1 to 1000.
    pub fn from_thousandths(thousandths: u16) -> Option<Fte> {
        (1..=1000).contains(&thousandths).then_some(Fte(thousandths))
    }

    /// The value in thousandths (1 to 1000).
    pub fn thousandths(self) -> u16 {
        self.0
    }

    /// The value as a float.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 1000.0
    }
}

impl fmt::Display for Fte {
    /// Writes the shortest decimal: `1`, `0.8`, `0.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 1000;
        let mut frac = self.0 % 1000;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let mut width = 3;
        while frac.is_multiple_of(10) {
            frac /= 10;
            width -= 1;
        }
        write!(f, "{whole}.{frac:0width$}")
    }
}

/// The time zone database compiled into carequeue. The host's database
/// (`/usr/share/zoneinfo`) is never consulted: it differs between machines
/// and versions, and a stored event must mean the same everywhere.
fn bundled() -> &'static jiff::tz::TimeZoneDatabase {
    static DB: std::sync::OnceLock<jiff::tz::TimeZoneDatabase> = std::sync::OnceLock::new();
    DB.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
}

/// An IANA time zone name known to the bundled time zone database, in its
/// canonical spelling (`America/Los_Angeles`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeZoneName(Box<str>);

impl TimeZoneName {
    /// Looks the name up in the time zone database bundled with carequeue.
    ///
    /// The bundled database, not the host's, is used so that every machine
    /// computes the same local times.
    pub fn parse(field: Field, text: &str) -> Result<TimeZoneName, Error> {
        let err =
            || Error::invalid(field, "an IANA time zone name such as America/Los_Angeles", text);
        if text.is_empty() || text.len() > 64 || text.contains(char::is_whitespace) {
            return Err(err());
        }
        let tz = bundled().get(text).map_err(|_| err())?;
        let canonical = tz.iana_name().ok_or_else(err)?;
        Ok(TimeZoneName(canonical.into()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The time zone's rules.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        // The name was found in the bundled database when it was parsed.
        bundled().get(&self.0).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
