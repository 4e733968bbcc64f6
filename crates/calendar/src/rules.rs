//! Holiday rules as data, and the generation of dates from them.

use std::ops::RangeInclusive;

use jiff::civil::{Date, Weekday};

use crate::Holiday;

/// When a holiday falls in a year.
#[derive(Debug, Clone, Copy)]
pub(crate) enum When {
    /// A fixed month and day.
    Fixed { month: i8, day: i8 },
    /// The `n`th given weekday of a month (`n` from 1).
    Nth { month: i8, weekday: Weekday, n: i8 },
    /// The last given weekday of a month.
    Last { month: i8, weekday: Weekday },
    /// Days from Easter Sunday (Gregorian computus): -2 is Good Friday.
    Easter { offset: i16 },
    /// Days fixed one at a time (by proclamation): `(year, month, day)`.
    Dates(&'static [(i16, i8, i8)]),
    /// The Lunar New Year: the second new moon after the winter solstice,
    /// or the third should an intercalary month intervene.
    LunarNewYear,
}

/// What happens when a holiday falls on a weekend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Observance {
    /// Nothing: the weekend day is the holiday.
    None,
    /// Saturday: the Friday before is observed; Sunday: the Monday after.
    FridayOrMonday,
    /// Sunday: the Monday after is observed; Saturday: nothing.
    SundayToMonday,
    /// Saturday or Sunday: the next weekday that is not already a holiday
    /// is a substitute day (England and Wales).
    Substitute,
}

/// One holiday's rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub(crate) name: &'static str,
    pub(crate) citation: &'static str,
    pub(crate) when: When,
    pub(crate) observance: Observance,
    /// The first and last years the rule makes a holiday.
    pub(crate) years: (i16, i16),
    /// Years in which the rule's date was moved (the new date is another
    /// rule, usually [`When::Dates`]).
    pub(crate) except: &'static [i16],
}

impl Rule {
    /// A rule in force from `from` on, observed as given.
    pub(crate) const fn new(
        name: &'static str,
        citation: &'static str,
        when: When,
        observance: Observance,
        from: i16,
    ) -> Rule {
        Rule { name, citation, when, observance, years: (from, i16::MAX), except: &[] }
    }

    pub(crate) const fn except(mut self, years: &'static [i16]) -> Rule {
        self.except = years;
        self
    }

    fn date_in(&self, year: i16) -> Option<Date> {
        if year < self.years.0 || year > self.years.1 || self.except.contains(&year) {
            return None;
        }
        match self.when {
            When::Fixed { month, day } => Date::new(year, month, day).ok(),
            When::Nth { month, weekday, n } => {
                Date::new(year, month, 1).ok()?.nth_weekday_of_month(n, weekday).ok()
            }
            When::Last { month, weekday } => {
                Date::new(year, month, 1).ok()?.nth_weekday_of_month(-1, weekday).ok()
            }
            When::Easter { offset } => {
                easter(year).checked_add(jiff::Span::new().days(i64::from(offset))).ok()
            }
            When::Dates(dates) => dates
                .iter()
                .find(|(y, _, _)| *y == year)
                .and_then(|&(y, m, d)| Date::new(y, m, d).ok()),
            When::LunarNewYear => crate::lunar::new_year(year),
        }
    }
}

/// Easter Sunday in the Gregorian calendar (the anonymous algorithm of
/// Meeus, *Astronomical Algorithms*, chapter 8).
pub(crate) fn easter(year: i16) -> Date {
    let y = i32::from(year);
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // Months are 3 or 4 and days 1 to 31: the casts cannot truncate.
    Date::new(year, month as i8, day as i8).unwrap_or(Date::constant(2000, 4, 23))
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The holidays the rules make in `years`, with observed days.
pub(crate) fn generate(rules: &[Rule], years: RangeInclusive<i16>) -> Vec<Holiday> {
    // Generate one year beyond each end, for days observed across New Year.
    let years = (*years.start() - 1)..=(*years.end() + 1);
    let mut out: Vec<Holiday> = Vec::new();
    let mut substitutes: Vec<(Date, &Rule)> = Vec::new();
    for year in years {
        for rule in rules {
            let Some(date) = rule.date_in(year) else { continue };
            out.push(Holiday {
                date,
                name: rule.name,
                citation: rule.citation,
                observed_for: None,
            });
            let observed = match (rule.observance, date.weekday()) {
                (Observance::FridayOrMonday, Weekday::Saturday) => date.yesterday().ok(),
                (Observance::FridayOrMonday | Observance::SundayToMonday, Weekday::Sunday) => {
                    date.tomorrow().ok()
                }
                (Observance::Substitute, _) if is_weekend(date) => {
                    substitutes.push((date, rule));
                    None
                }
                _ => None,
            };
            if let Some(observed) = observed {
                out.push(Holiday {
                    date: observed,
                    name: rule.name,
                    citation: rule.citation,
                    observed_for: Some(date),
                });
            }
        }
    }
    // Substitute days, in date order, each on the next weekday that is not
    // already a holiday: Christmas on a Saturday is observed on Monday the
    // 27th and Boxing Day on Tuesday the 28th.
    substitutes.sort_by_key(|(date, _)| *date);
    for (date, rule) in substitutes {
        let mut day = date;
        while is_weekend(day) || out.iter().any(|h| h.date == day) {
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
        out.push(Holiday {
            date: day,
            name: rule.name,
            citation: rule.citation,
            observed_for: Some(date),
        });
    }
    out
}
