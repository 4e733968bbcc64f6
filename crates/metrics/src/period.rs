//! Measurement periods: which requests a report counts, by the local date
//! their clock started.

use std::fmt;

use jiff::civil::Date;

/// Requests whose clock started on these local dates (both ends included,
/// either open), each in its clinic's time zone: a regulator's measurement
/// year, a quarter, a month. Which requests were *known* is `as_of`'s
/// business; which ones a figure is *about* is the period's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Period {
    /// The first local date, if any.
    pub from: Option<Date>,
    /// The last local date, if any.
    pub to: Option<Date>,
}

impl Period {
    /// Parses `2025` (a year), `2025-Q3` (a quarter) or `2025-07` (a
    /// month).
    pub fn parse(text: &str) -> Option<Period> {
        let text = text.trim();
        // Digits, one `-` and a `Q`: no signs, no spaces inside.
        if !text.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'Q' || b == b'q') {
            return None;
        }
        let whole = |from: Date, to: Date| Some(Period { from: Some(from), to: Some(to) });
        if let Some((year, quarter)) = text.split_once('-').and_then(|(y, q)| {
            let q = q.strip_prefix(['Q', 'q'])?;
            Some((y.parse::<i16>().ok()?, q.parse::<i8>().ok()?))
        }) {
            if !(1..=4).contains(&quarter) {
                return None;
            }
            let from = Date::new(year, (quarter - 1) * 3 + 1, 1).ok()?;
            let to = Date::new(year, quarter * 3, 1).ok()?.last_of_month();
            return whole(from, to);
        }
        if let Some((year, month)) = text.split_once('-') {
            if month.len() != 2 {
                return None;
            }
            let from = Date::new(year.parse().ok()?, month.parse().ok()?, 1).ok()?;
            return whole(from, from.last_of_month());
        }
        if text.len() != 4 {
            return None;
        }
        let year = text.parse::<i16>().ok()?;
        whole(Date::new(year, 1, 1).ok()?, Date::new(year, 12, 31).ok()?)
    }

    /// Whether the period sets no bound at all.
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Whether `date` lies within the period.
    pub fn contains(&self, date: Date) -> bool {
        self.from.is_none_or(|from| date >= from) && self.to.is_none_or(|to| date <= to)
    }

    /// Keeps what the period selects of one request's judgement: the
    /// verdicts whose clock started in it, and the problems of a request
    /// opened in it (a request that cannot be judged has no clock start),
    /// dates in the clinic's zone `tz`.
    pub fn select(
        &self,
        history: &rules::History<'_>,
        tz: &jiff::tz::TimeZone,
        verdicts: &mut Vec<rules::Verdict<'_, '_>>,
        problems: &mut Vec<rules::Problem>,
    ) {
        if self.is_all() {
            return;
        }
        let within = |at: jiff::Timestamp| self.contains(tz.to_datetime(at).date());
        verdicts.retain(|verdict| within(verdict.clock_start.timestamp()));
        if !within(history.opened.occurred_at.timestamp()) {
            problems.clear();
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.to) {
            (None, None) => f.write_str("all requests"),
            (Some(from), Some(to)) => write!(f, "clock started {from} to {to}"),
            (Some(from), None) => write!(f, "clock started on or after {from}"),
            (None, Some(to)) => write!(f, "clock started on or before {to}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Period;

    #[test]
    fn periods_as_regulators_name_them() {
        let show = |text: &str| Period::parse(text).map_or("-".to_owned(), |p| p.to_string());
        let all: Vec<String> =
            ["2025", "2025-Q3", "2025-q1", "2024-02", "2025-Q5", "25", "2025-7", "x"]
                .iter()
                .map(|t| format!("{t}: {}", show(t)))
                .collect();
        expect_test::expect![[r#"
            2025: clock started 2025-01-01 to 2025-12-31
            2025-Q3: clock started 2025-07-01 to 2025-09-30
            2025-q1: clock started 2025-01-01 to 2025-03-31
            2024-02: clock started 2024-02-01 to 2024-02-29
            2025-Q5: -
            25: -
            2025-7: -
            x: -"#]]
        .assert_eq(&all.join("\n"));
    }
}
