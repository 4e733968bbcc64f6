//! Calendar tests: hand-worked business-day counts, the outside truth of the
//! Python `holidays` package (`test_data/python-holidays.txt`, written by
//! `scripts/holidays_golden.py`), and the laws of business-day arithmetic.

use std::collections::{BTreeMap, BTreeSet};

use expect_test::{Expect, expect};
use jiff::civil::{Date, date};
use proptest::prelude::*;

use crate::{Calendar, get};

const GOLDEN: &str = include_str!("../test_data/python-holidays.txt");

/// The dates (with their names) of one set of the golden file.
fn golden(set: &str) -> BTreeMap<Date, String> {
    GOLDEN
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut parts = line.splitn(3, ' ');
            let (name, day, holiday) = (parts.next()?, parts.next()?, parts.next()?);
            (name == set).then(|| (day.parse().unwrap(), holiday.to_owned()))
        })
        .collect()
}

fn ours(calendar: &Calendar) -> BTreeMap<Date, String> {
    let mut out: BTreeMap<Date, String> = BTreeMap::new();
    for holiday in calendar.holidays() {
        let name = match holiday.observed_for {
            Some(_) => format!("{} (observed)", holiday.name),
            None => holiday.name.to_owned(),
        };
        out.entry(holiday.date).and_modify(|n| *n = format!("{n}; {name}")).or_insert(name);
    }
    out
}

/// The dates only one side has, summarised by holiday name.
fn differences(ours: &BTreeMap<Date, String>, theirs: &BTreeMap<Date, String>) -> String {
    let mut only: BTreeMap<String, BTreeSet<i16>> = BTreeMap::new();
    for (day, name) in ours {
        if !theirs.contains_key(day) {
            only.entry(format!("carequeue only: {name}")).or_default().insert(day.year());
        }
    }
    for (day, name) in theirs {
        if !ours.contains_key(day) {
            only.entry(format!("python only: {name}")).or_default().insert(day.year());
        }
    }
    only.iter()
        .map(|(name, years)| {
            let first = years.first().copied().unwrap_or_default();
            let last = years.last().copied().unwrap_or_default();
            format!("{name}: {} years, {first}..={last}\n", years.len())
        })
        .collect()
}

#[test]
fn us_federal_is_the_python_holidays_us_calendar() {
    let federal = ours(get("us-federal").unwrap());
    expect![[r#""#]].assert_eq(&differences(&federal, &golden("us")));
}

#[test]
fn england_wales_is_the_python_holidays_england_calendar() {
    let england = ours(get("england-wales").unwrap());
    expect![[r#""#]].assert_eq(&differences(&england, &golden("gb-eng")));
}

/// Python's California set is the state employees' holidays (with the day
/// after Thanksgiving, and federal observance rules); ours is Government Code
/// 6700 with 6701's observance. Every difference is listed here, so that a
/// change in either shows.
#[test]
fn us_ca_state_differs_from_python_holidays_only_as_documented() {
    let california = ours(get("us-ca-state").unwrap());
    expect![[r#"
        carequeue only: Admission Day: 111 years, 1990..=2100
        carequeue only: Admission Day (observed): 16 years, 1990..=2096
        carequeue only: Columbus Day: 92 years, 2009..=2100
        carequeue only: Genocide Remembrance Day: 78 years, 2023..=2100
        carequeue only: Lincoln Day: 87 years, 2010..=2100
        carequeue only: Lincoln Day (observed): 13 years, 2012..=2096
        carequeue only: Lunar New Year: 70 years, 2023..=2100
        carequeue only: Lunar New Year; Lincoln Day: 4 years, 2040..=2097
        carequeue only: Native American Day: 86 years, 2015..=2100
        python only: Cesar Chavez Day: 6 years, 1995..=2000
        python only: Cesar Chavez Day (observed): 1 years, 1996..=1996
        python only: Christmas Day (observed): 17 years, 1993..=2100
        python only: Day After Thanksgiving: 111 years, 1990..=2100
        python only: Diwali: 9 years, 2026..=2035
        python only: Independence Day (observed): 16 years, 1992..=2099
        python only: Juneteenth National Independence Day: 2 years, 2021..=2022
        python only: Juneteenth National Independence Day (observed): 24 years, 2021..=2100
        python only: Lincoln's Birthday (observed): 3 years, 1994..=2005
        python only: New Year's Day (observed): 17 years, 1993..=2100
        python only: Susan B. Anthony Day: 71 years, 2014..=2099
    "#]]
    .assert_eq(&differences(&california, &golden("us-ca")));
}

#[test]
fn lunar_new_year_matches_the_chinese_calendar_tables() {
    let table = golden("lunar-new-year");
    let mismatches: Vec<String> = (2023..=2100)
        .filter_map(|year| {
            let computed = crate::lunar::new_year(year);
            let expected = table.keys().find(|d| d.year() == year).copied();
            (computed != expected)
                .then(|| format!("{year}: computed {computed:?}, table {expected:?}"))
        })
        .collect();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

/// `add_business_days(start, n)` on a calendar, rendered.
#[track_caller]
fn check(calendar: &str, start: Date, n: u32, expect: Expect) {
    let calendar = get(calendar).unwrap();
    let end = calendar.add_business_days(start, n).unwrap();
    let between = calendar.business_days_between(start, end).unwrap();
    assert_eq!(between, i64::from(n));
    expect.assert_eq(&format!(
        "{} {:?} + {n} = {} {:?}",
        start,
        start.weekday(),
        end,
        end.weekday()
    ));
}

#[test]
fn hand_worked_business_days() {
    // Christmas week 2024: Christmas Wednesday, New Year's Day Wednesday.
    check(
        "us-federal",
        date(2024, 12, 20),
        10,
        expect!["2024-12-20 Friday + 10 = 2025-01-07 Tuesday"],
    );
    // A start on a holiday counts from the next business day.
    check(
        "us-federal",
        date(2024, 7, 4),
        1,
        expect!["2024-07-04 Thursday + 1 = 2024-07-05 Friday"],
    );
    // A start on a Saturday: Monday is business day 1.
    check(
        "us-federal",
        date(2024, 3, 9),
        1,
        expect!["2024-03-09 Saturday + 1 = 2024-03-11 Monday"],
    );
    // Juneteenth 2021 on a Saturday was observed on Friday 18 June.
    check(
        "us-federal",
        date(2021, 6, 17),
        1,
        expect!["2021-06-17 Thursday + 1 = 2021-06-21 Monday"],
    );
    // New Year's Day 2022 on a Saturday: observed on Friday 31 December 2021.
    check(
        "us-federal",
        date(2021, 12, 30),
        1,
        expect!["2021-12-30 Thursday + 1 = 2022-01-03 Monday"],
    );
    // Thanksgiving week: 10 business days from the Monday before.
    check(
        "us-federal",
        date(2024, 11, 25),
        10,
        expect!["2024-11-25 Monday + 10 = 2024-12-10 Tuesday"],
    );
    // California: Cesar Chavez Day 2024 on a Sunday is observed Monday 1 April.
    check(
        "us-ca-state",
        date(2024, 3, 29),
        1,
        expect!["2024-03-29 Friday + 1 = 2024-04-02 Tuesday"],
    );
    // California: Veterans Day 2023 on a Saturday is observed Friday 10 November.
    check(
        "us-ca-state",
        date(2023, 11, 9),
        1,
        expect!["2023-11-09 Thursday + 1 = 2023-11-13 Monday"],
    );
    // California: Native American Day, fourth Friday of September 2024.
    check(
        "us-ca-state",
        date(2024, 9, 26),
        1,
        expect!["2024-09-26 Thursday + 1 = 2024-09-30 Monday"],
    );
    // California: Labor Day 2024 (Monday 2 September).
    check(
        "us-ca-state",
        date(2024, 8, 30),
        2,
        expect!["2024-08-30 Friday + 2 = 2024-09-04 Wednesday"],
    );
    // California: Admission Day 2024 (Monday 9 September); not a federal holiday.
    check(
        "us-ca-state",
        date(2024, 9, 6),
        1,
        expect!["2024-09-06 Friday + 1 = 2024-09-10 Tuesday"],
    );
    check("us-federal", date(2024, 9, 6), 1, expect!["2024-09-06 Friday + 1 = 2024-09-09 Monday"]);
    // California: Lunar New Year 2024 (Saturday 10 February) and Lincoln Day
    // (Monday 12 February): 12 February is no business day.
    check(
        "us-ca-state",
        date(2024, 2, 9),
        1,
        expect!["2024-02-09 Friday + 1 = 2024-02-13 Tuesday"],
    );
    // 15 business days from a psychiatry request on Friday 15 March 2024 in California.
    check(
        "us-ca-state",
        date(2024, 3, 15),
        15,
        expect!["2024-03-15 Friday + 15 = 2024-04-08 Monday"],
    );
    // England: Easter 2024 (Good Friday 29 March, Easter Monday 1 April).
    check(
        "england-wales",
        date(2024, 3, 28),
        1,
        expect!["2024-03-28 Thursday + 1 = 2024-04-02 Tuesday"],
    );
    // England: Christmas 2021 on a Saturday, Boxing Day on a Sunday.
    check(
        "england-wales",
        date(2021, 12, 24),
        1,
        expect!["2021-12-24 Friday + 1 = 2021-12-29 Wednesday"],
    );
    // England: the early May bank holiday 2023, then the coronation on Monday 8 May.
    check(
        "england-wales",
        date(2023, 4, 28),
        2,
        expect!["2023-04-28 Friday + 2 = 2023-05-03 Wednesday"],
    );
    check(
        "england-wales",
        date(2023, 5, 5),
        1,
        expect!["2023-05-05 Friday + 1 = 2023-05-09 Tuesday"],
    );
    // England: the spring bank holiday 2022 moved to Thursday 2 June, with the
    // Platinum Jubilee on Friday 3 June.
    check(
        "england-wales",
        date(2022, 6, 1),
        1,
        expect!["2022-06-01 Wednesday + 1 = 2022-06-06 Monday"],
    );
    // Zero days is the start itself.
    check(
        "us-federal",
        date(2024, 12, 25),
        0,
        expect!["2024-12-25 Wednesday + 0 = 2024-12-25 Wednesday"],
    );
}

#[test]
fn dates_outside_the_calendar_years_are_errors() {
    let federal = get("us-federal").unwrap();
    assert!(federal.is_business_day(date(1989, 12, 31)).is_err());
    assert!(federal.add_business_days(date(2100, 12, 20), 30).is_err());
    // New Year's Day 2101 falls on a Saturday: Friday 31 December 2100 is observed.
    assert_eq!(federal.is_business_day(date(2100, 12, 31)), Ok(false));
    assert_eq!(federal.is_business_day(date(2100, 12, 30)), Ok(true));
    assert!(get("us-texas").is_none());
}

#[test]
fn every_holiday_cites_its_source() {
    for id in crate::IDS {
        for holiday in get(id).unwrap().holidays() {
            assert!(holiday.citation.len() > 10, "{id}: {holiday:?}");
        }
    }
}

fn any_date() -> impl Strategy<Value = Date> {
    (0i64..40_000)
        .prop_map(|days| date(1990, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap())
}

proptest! {
    #[test]
    fn the_nth_business_day_is_a_business_day_n_away(start in any_date(), n in 1u32..60, idx in 0usize..3) {
        let calendar = get(crate::IDS[idx]).unwrap();
        if let Ok(end) = calendar.add_business_days(start, n) {
            prop_assert!(end > start);
            prop_assert_eq!(calendar.is_business_day(end), Ok(true));
            prop_assert_eq!(calendar.business_days_between(start, end), Ok(i64::from(n)));
            // The day before the nth is not yet n business days away.
            let before = end.yesterday().unwrap();
            prop_assert!(calendar.business_days_between(start, before).unwrap() < i64::from(n));
            // More days never end earlier.
            if let Ok(later) = calendar.add_business_days(start, n + 1) {
                prop_assert!(later > end);
            }
        }
    }
}
