//! Business-day calendars: holidays generated from their rules.
//!
//! A [`Calendar`] knows every holiday of one jurisdiction for every year
//! from [`FIRST_YEAR`] to [`LAST_YEAR`], generated from the rules of the
//! statutes that make them (fixed dates with weekend observance, the nth or
//! last weekday of a month, dates counted from Easter, and the days fixed one
//! at a time by proclamation), never from pasted tables. Each rule cites its
//! source in `us_federal.rs`, `us_ca_state.rs` and `england_wales.rs`.
//!
//! Business days are Monday to Friday less the calendar's holidays. The
//! arithmetic the timely-access rules need is here: the nth business day
//! after a date, and the number of business days between two dates.
//!
//! ```
//! use jiff::civil::date;
//!
//! let federal = calendar::get("us-federal").unwrap();
//! // 2024-12-24 is a Tuesday; Christmas Day is a federal holiday.
//! assert_eq!(federal.add_business_days(date(2024, 12, 24), 1), Ok(date(2024, 12, 26)));
//! ```
//!
//! This crate does no I/O and never reads the wall clock.

mod england_wales;
mod lunar;
mod rules;
mod us_ca_state;
mod us_federal;

use std::fmt;
use std::sync::OnceLock;

use jiff::civil::{Date, Weekday};

use crate::rules::Rule;

/// The first year a calendar covers.
pub const FIRST_YEAR: i16 = 1990;
/// The last year a calendar covers.
pub const LAST_YEAR: i16 = 2100;

/// A date outside the years a calendar covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange {
    /// The date asked about, or the date a count reached.
    pub date: Date,
}

impl fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is outside the calendars' years {FIRST_YEAR} to {LAST_YEAR}", self.date)
    }
}

impl std::error::Error for OutOfRange {}

/// One holiday on one date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    /// The day off: the date itself, or the day it is observed on.
    pub date: Date,
    /// The holiday's name.
    pub name: &'static str,
    /// The statute or proclamation that makes it.
    pub citation: &'static str,
    /// For an observed day, the date the holiday itself falls on.
    pub observed_for: Option<Date>,
}

/// A holiday calendar; see the crate documentation.
pub struct Calendar {
    id: &'static str,
    description: &'static str,
    holidays: Vec<Holiday>,
    /// For each day from 1 January of [`FIRST_YEAR`], the number of business
    /// days before it.
    business_before: Vec<u32>,
}

impl fmt::Debug for Calendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Calendar").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The ids of the shipped calendars.
pub const IDS: &[&str] = &["us-federal", "us-ca-state", "england-wales"];

/// Looks a shipped calendar up by id.
pub fn get(id: &str) -> Option<&'static Calendar> {
    static FEDERAL: OnceLock<Calendar> = OnceLock::new();
    static CALIFORNIA: OnceLock<Calendar> = OnceLock::new();
    static ENGLAND_WALES: OnceLock<Calendar> = OnceLock::new();
    match id {
        "us-federal" => Some(FEDERAL.get_or_init(|| {
            Calendar::build("us-federal", us_federal::DESCRIPTION, us_federal::RULES)
        })),
        "us-ca-state" => Some(CALIFORNIA.get_or_init(|| {
            Calendar::build("us-ca-state", us_ca_state::DESCRIPTION, us_ca_state::RULES)
        })),
        "england-wales" => Some(ENGLAND_WALES.get_or_init(|| {
            Calendar::build("england-wales", england_wales::DESCRIPTION, england_wales::RULES)
        })),
        _ => None,
    }
}

/// Days from 1970-01-01 to a date (proleptic Gregorian), after Howard
/// Hinnant's `days_from_civil`.
fn day_number(date: Date) -> i32 {
    let (y, m, d) = (i32::from(date.year()), i32::from(date.month()), i32::from(date.day()));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn first_day() -> Date {
    Date::constant(FIRST_YEAR, 1, 1)
}

fn last_day() -> Date {
    Date::constant(LAST_YEAR, 12, 31)
}

impl Calendar {
    fn build(id: &'static str, description: &'static str, rules: &[Rule]) -> Calendar {
        let mut holidays = rules::generate(rules, FIRST_YEAR..=LAST_YEAR);
        holidays.retain(|h| (first_day()..=last_day()).contains(&h.date));
        holidays.sort_by_key(|h| h.date);
        let base = day_number(first_day());
        let n_days = (day_number(last_day()) - base + 1) as usize;
        let mut off = vec![false; n_days];
        for holiday in &holidays {
            off[(day_number(holiday.date) - base) as usize] = true;
        }
        let mut business_before = Vec::with_capacity(n_days + 1);
        let mut count = 0u32;
        let mut date = first_day();
        for is_holiday in off {
            business_before.push(count);
            let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
            if !weekend && !is_holiday {
                count += 1;
            }
            date = date.tomorrow().unwrap_or(date);
        }
        business_before.push(count);
        Calendar { id, description, holidays, business_before }
    }

    /// The calendar's id, such as `us-federal`.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// What the calendar is, in a sentence, with its sources.
    pub fn description(&self) -> &'static str {
        self.description
    }

    /// Every holiday from [`FIRST_YEAR`] to [`LAST_YEAR`], by date. Two
    /// holidays may share a date.
    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// The holidays of one year.
    pub fn holidays_in(&self, year: i16) -> impl Iterator<Item = &Holiday> {
        self.holidays.iter().filter(move |h| h.date.year() == year)
    }

    fn index(&self, date: Date) -> Result<usize, OutOfRange> {
        if !(first_day()..=last_day()).contains(&date) {
            return Err(OutOfRange { date });
        }
        Ok((day_number(date) - day_number(first_day())) as usize)
    }

    /// Whether `date` is a holiday of this calendar (weekends aside).
    pub fn is_holiday(&self, date: Date) -> Result<bool, OutOfRange> {
        self.index(date)?;
        Ok(self.holidays.binary_search_by_key(&date, |h| h.date).is_ok())
    }

    /// Whether `date` is a business day: Monday to Friday and no holiday.
    pub fn is_business_day(&self, date: Date) -> Result<bool, OutOfRange> {
        let idx = self.index(date)?;
        Ok(self.business_before[idx + 1] > self.business_before[idx])
    }

    /// The `n`th business day after `date` (`date` itself is not counted,
    /// whether or not it is a business day). `n = 0` gives `date`.
    pub fn add_business_days(&self, date: Date, n: u32) -> Result<Date, OutOfRange> {
        let idx = self.index(date)?;
        if n == 0 {
            return Ok(date);
        }
        // The business days up to and including `date`, plus n.
        let target = self.business_before[idx + 1] + n;
        // The first day whose count of business days through it reaches target.
        let through = |i: usize| self.business_before[i + 1];
        let (mut lo, mut hi) = (idx + 1, self.business_before.len() - 1);
        if hi <= lo || through(hi - 1) < target {
            return Err(OutOfRange { date: last_day() });
        }
        while lo < hi {
            let mid = (lo + hi) / 2;
            if through(mid) >= target { hi = mid } else { lo = mid + 1 }
        }
        let offset = i64::try_from(lo - idx).map_err(|_| OutOfRange { date })?;
        date.checked_add(jiff::Span::new().days(offset)).map_err(|_| OutOfRange { date })
    }

    /// The number of business days after `start` up to and including `end`
    /// (negative when `end` is before `start`).
    pub fn business_days_between(&self, start: Date, end: Date) -> Result<i64, OutOfRange> {
        let (a, b) = (self.index(start)?, self.index(end)?);
        Ok(i64::from(self.business_before[b + 1]) - i64::from(self.business_before[a + 1]))
    }
}

#[cfg(test)]
mod tests;
