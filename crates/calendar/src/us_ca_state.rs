//! California state holidays: Government Code sections 6700 and 6701.

use jiff::civil::Weekday::{Friday, Monday, Thursday};

use crate::rules::Observance::{FridayOrMonday, None as Never, SundayToMonday};
use crate::rules::Rule;
use crate::rules::When::{Fixed, Last, LunarNewYear, Nth};

pub(crate) const DESCRIPTION: &str = "California state holidays as Government Code section 6700 \
     lists them, with section 6701's observance (a January 1, February 12, March 31, July 4, \
     September 9, November 11 or December 25 that falls on a Sunday is observed the Monday after; \
     a November 11 on a Saturday the Friday before), as a plan or regulator might choose for \
     counting business days in California. Holidays added to section 6700 count from the year \
     after their act. Not included: the Good Friday afternoon (6700(a), noon to 3 p.m. only), \
     days appointed ad hoc by the President or Governor other than Thanksgiving, the day after \
     Thanksgiving (a state-employee holiday under section 19853, not a state holiday), and days \
     of observance that are not holidays (such as Susan B. Anthony Day).";

/// Gov. Code 6701: these dates, when on a Sunday, are observed the Monday
/// after; November 11 on a Saturday is observed the Friday before.
pub(crate) const RULES: &[Rule] = &[
    Rule::new(
        "New Year's Day",
        "Cal. Gov. Code 6700(a)(2), 6701: January 1",
        Fixed { month: 1, day: 1 },
        SundayToMonday,
        1951,
    ),
    Rule::new(
        "Dr. Martin Luther King, Jr. Day",
        "Cal. Gov. Code 6700(a)(3): the third Monday in January",
        Nth { month: 1, weekday: Monday, n: 3 },
        Never,
        1986,
    ),
    Rule::new(
        "Lunar New Year",
        "Cal. Gov. Code 6700(a)(4) (AB 2596, Stats. 2022, ch. 792, from 2023): the second new moon after the \
         winter solstice, or the third should an intercalary month intervene",
        LunarNewYear,
        Never,
        2023,
    ),
    Rule::new(
        "Lincoln Day",
        "Cal. Gov. Code 6700(a)(5), 6701: February 12",
        Fixed { month: 2, day: 12 },
        SundayToMonday,
        1951,
    ),
    Rule::new(
        "Washington's Birthday (Presidents' Day)",
        "Cal. Gov. Code 6700(a)(6): the third Monday in February",
        Nth { month: 2, weekday: Monday, n: 3 },
        Never,
        1971,
    ),
    Rule::new(
        "Cesar Chavez Day",
        "Cal. Gov. Code 6700(a)(7), 6701: March 31 (SB 984 of 2000, from 2001)",
        Fixed { month: 3, day: 31 },
        SundayToMonday,
        2001,
    ),
    Rule::new(
        "Genocide Remembrance Day",
        "Cal. Gov. Code 6700(a)(8) (AB 1801 of 2022, from 2023): April 24",
        Fixed { month: 4, day: 24 },
        Never,
        2023,
    ),
    Rule::new(
        "Memorial Day",
        "Cal. Gov. Code 6700(a)(9): the last Monday in May",
        Last { month: 5, weekday: Monday },
        Never,
        1971,
    ),
    Rule::new(
        "Juneteenth",
        "Cal. Gov. Code 6700(a)(10) (AB 1655 of 2022, from 2023): June 19",
        Fixed { month: 6, day: 19 },
        Never,
        2023,
    ),
    Rule::new(
        "Independence Day",
        "Cal. Gov. Code 6700(a)(11), 6701: July 4",
        Fixed { month: 7, day: 4 },
        SundayToMonday,
        1951,
    ),
    Rule::new(
        "Labor Day",
        "Cal. Gov. Code 6700(a)(12): the first Monday in September",
        Nth { month: 9, weekday: Monday, n: 1 },
        Never,
        1951,
    ),
    Rule::new(
        "Admission Day",
        "Cal. Gov. Code 6700(a)(13), 6701: September 9",
        Fixed { month: 9, day: 9 },
        SundayToMonday,
        1951,
    ),
    Rule::new(
        "Native American Day",
        "Cal. Gov. Code 6700(a)(14) (AB 1973 of 2014, from 2015): the fourth Friday in September",
        Nth { month: 9, weekday: Friday, n: 4 },
        Never,
        2015,
    ),
    Rule::new(
        "Columbus Day",
        "Cal. Gov. Code 6700(a)(15): the second Monday in October",
        Nth { month: 10, weekday: Monday, n: 2 },
        Never,
        1971,
    ),
    // 6701: Sunday to Monday, and Saturday to the Friday before.
    Rule::new(
        "Veterans Day",
        "Cal. Gov. Code 6700(a)(16), 6701: November 11",
        Fixed { month: 11, day: 11 },
        FridayOrMonday,
        1951,
    ),
    Rule::new(
        "Thanksgiving Day",
        "Cal. Gov. Code 6700(a)(19)(A): the Thursday in November appointed as Thanksgiving Day \
         (the fourth Thursday, 5 U.S.C. 6103(a))",
        Nth { month: 11, weekday: Thursday, n: 4 },
        Never,
        1951,
    ),
    Rule::new(
        "Christmas Day",
        "Cal. Gov. Code 6700(a)(17), 6701: December 25",
        Fixed { month: 12, day: 25 },
        SundayToMonday,
        1951,
    ),
];
