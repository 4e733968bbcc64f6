use std::cmp::Ordering;
use std::fmt;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::Offset;

use crate::error::Error;
use crate::field::Field;

const INSTANT_EXPECTED: &str = "an RFC 3339 timestamp with a UTC offset, such as 2024-03-01T09:30:00-08:00 or 2024-03-01T17:30:00Z";

/// The earliest year accepted in a timestamp.
const MIN_YEAR: i16 = 1900;
/// The latest year accepted in a timestamp.
const MAX_YEAR: i16 = 2199;

/// A moment in time together with the UTC offset it was written with.
///
/// Parsed from RFC 3339 (`2024-03-01T09:30:00-08:00`): the offset is required,
/// because a local time without one is ambiguous. The offset is kept so that
/// the event is written back as it was given; comparisons of moments should
/// use [`Instant::timestamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instant {
    timestamp: Timestamp,
    offset: Offset,
}

impl Instant {
    /// Parses a strict RFC 3339 timestamp with a UTC offset and a year from
    /// 1900 to 2199. `T` may be written `t` or a space; `Z` may be `z`.
    pub fn parse(field: Field, text: &str) -> Result<Instant, Error> {
        parse_rfc3339(text).ok_or_else(|| Error::invalid(field, INSTANT_EXPECTED, text))
    }

    /// Builds an instant from a timestamp and the offset to write it with.
    /// Offsets are truncated to whole minutes, as RFC 3339 writes them.
    pub fn new(timestamp: Timestamp, offset: Offset) -> Instant {
        let seconds = offset.seconds() - offset.seconds() % 60;
        let offset = Offset::from_seconds(seconds).unwrap_or(Offset::UTC);
        Instant { timestamp, offset }
    }

    /// A timestamp written in UTC (`Z`).
    pub fn utc(timestamp: Timestamp) -> Instant {
        Instant { timestamp, offset: Offset::UTC }
    }

    /// The moment.
    pub fn timestamp(self) -> Timestamp {
        self.timestamp
    }

    /// The offset the moment was written with.
    pub fn offset(self) -> Offset {
        self.offset
    }
}

impl PartialOrd for Instant {
    fn partial_cmp(&self, other: &Instant) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Instant {
    /// Orders by moment, then by offset so that the order is total.
    fn cmp(&self, other: &Instant) -> Ordering {
        self.timestamp
            .cmp(&other.timestamp)
            .then(self.offset.seconds().cmp(&other.offset.seconds()))
    }
}

impl fmt::Display for Instant {
    /// Writes the canonical form: `YYYY-MM-DDTHH:MM:SS`, a fraction only when
    /// it is not zero and without trailing zeros, then `Z` for a zero offset
    /// or `±HH:MM`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written digit by digit into a buffer: instants are formatted for
        // every event hashed, exported or simulated.
        let local = self.offset.to_datetime(self.timestamp);
        let year = i32::from(local.year());
        if !(0..=9999).contains(&year) {
            // Not reachable from parsed events (years 1900 to 2199): the
            // same form, written the slow way.
            let seconds = self.offset.seconds();
            let sign = if seconds < 0 { '-' } else { '+' };
            let minutes = seconds.abs() / 60;
            return write!(
                f,
                "{year}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}{sign}{:02}:{:02}",
                local.month(),
                local.day(),
                local.hour(),
                local.minute(),
                local.second(),
                local.subsec_nanosecond(),
                minutes / 60,
                minutes % 60
            );
        }
        let mut buf = [0u8; 40];
        digits(&mut buf[..4], year.unsigned_abs());
        let mut len = 4;
        for (separator, value) in [
            (b'-', local.month()),
            (b'-', local.day()),
            (b'T', local.hour()),
            (b':', local.minute()),
            (b':', local.second()),
        ] {
            buf[len] = separator;
            digits(&mut buf[len + 1..len + 3], value.unsigned_abs().into());
            len += 3;
        }
        let mut nanos = local.subsec_nanosecond();
        if nanos != 0 {
            let mut width = 9;
            while nanos % 10 == 0 {
                nanos /= 10;
                width -= 1;
            }
            buf[len] = b'.';
            digits(&mut buf[len + 1..len + 1 + width], nanos.unsigned_abs());
            len += 1 + width;
        }
        let seconds = self.offset.seconds();
        if seconds == 0 {
            buf[len] = b'Z';
            len += 1;
        } else {
            let minutes = seconds.abs() / 60;
            buf[len] = if seconds < 0 { b'-' } else { b'+' };
            digits(&mut buf[len + 1..len + 3], (minutes / 60).unsigned_abs());
            buf[len + 3] = b':';
            digits(&mut buf[len + 4..len + 6], (minutes % 60).unsigned_abs());
            len += 6;
        }
        // Only ASCII digits and separators were written.
        f.write_str(std::str::from_utf8(&buf[..len]).map_err(|_| fmt::Error)?)
    }
}

/// Writes `value` as decimal digits filling `out`, with leading zeros.
fn digits(out: &mut [u8], mut value: u32) {
    for byte in out.iter_mut().rev() {
        *byte = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn parse_rfc3339(text: &str) -> Option<Instant> {
    let b = text.as_bytes();
    // The shortest form is YYYY-MM-DDTHH:MM:SSZ (20 bytes).
    if b.len() < 20 || b.len() > 40 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i32> {
        let digits = b.get(range)?;
        digits
            .iter()
            .try_fold(0i32, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + i32::from(d - b'0')))
    };
    let year = i16::try_from(num(0..4)?).ok()?;
    let ok_seps = b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't' | b' ')
        && b[13] == b':'
        && b[16] == b':';
    if !ok_seps || !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return None;
    }
    let month = i8::try_from(num(5..7)?).ok()?;
    let day = i8::try_from(num(8..10)?).ok()?;
    let hour = i8::try_from(num(11..13)?).ok()?;
    let minute = i8::try_from(num(14..16)?).ok()?;
    let second = i8::try_from(num(17..19)?).ok()?;
    let mut rest = &b[19..];
    let mut nanos = 0i32;
    if let Some((b'.', frac)) = rest.split_first() {
        let n_digits = frac.iter().take_while(|d| d.is_ascii_digit()).count();
        if n_digits == 0 || n_digits > 9 {
            return None;
        }
        for (idx, &d) in frac[..n_digits].iter().enumerate() {
            nanos += i32::from(d - b'0') * 10i32.pow(8 - idx as u32);
        }
        rest = &frac[n_digits..];
    }
    let offset_seconds = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let hours = i32::from(h1 - b'0') * 10 + i32::from(h2 - b'0');
            let minutes = i32::from(m1 - b'0') * 10 + i32::from(m2 - b'0');
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = hours * 3600 + minutes * 60;
            if *sign == b'-' { -seconds } else { seconds }
        }
        _ => return None,
    };
    // Leap seconds (second 60) are not accepted: no scheduling system emits them.
    let civil = DateTime::new(year, month, day, hour, minute, second, nanos).ok()?;
    let offset = Offset::from_seconds(offset_seconds).ok()?;
    let timestamp = offset.to_timestamp(civil).ok()?;
    Some(Instant { timestamp, offset })
}

/// The start and end of a slot: the end is after the start, at most 24 hours
/// later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlotTime {
    start: Instant,
    end: Instant,
}

impl SlotTime {
    /// Checks that `end` is after `start` and at most 24 hours later.
    pub fn new(start: Instant, end: Instant) -> Result<SlotTime, Error> {
        let length = end.timestamp().as_second() - start.timestamp().as_second();
        if end.timestamp() <= start.timestamp() || length > 24 * 3600 {
            return Err(Error::invalid(
                Field::End,
                "a time after `start` and at most 24 hours after it",
                &end.to_string(),
            ));
        }
        Ok(SlotTime { start, end })
    }

    /// When the slot starts.
    pub fn start(self) -> Instant {
        self.start
    }

    /// When the slot ends.
    pub fn end(self) -> Instant {
        self.end
    }
}
