//! United States federal holidays: 5 U.S.C. 6103.

use jiff::civil::Weekday::{Monday, Thursday};

use crate::rules::Observance::FridayOrMonday;
use crate::rules::Rule;
use crate::rules::When::{Fixed, Last, Nth};

pub(crate) const DESCRIPTION: &str = "United States federal holidays: the legal public holidays of \
     5 U.S.C. 6103(a), with a holiday on a Saturday observed the Friday before and one on a Sunday \
     the Monday after (5 U.S.C. 6103(b) and Executive Order 11582). Inauguration Day (6103(c)), \
     a holiday only in the Washington area, is not included.";

/// 5 U.S.C. 6103(b): "Instead of a holiday that occurs on a Saturday, the
/// Friday immediately before is a legal public holiday ... Instead of a
/// holiday that occurs on a Sunday, the Monday immediately after is a legal
/// public holiday". Holidays fixed to a Monday or Thursday never move.
pub(crate) const RULES: &[Rule] = &[
    Rule::new(
        "New Year's Day",
        "5 U.S.C. 6103(a): January 1",
        Fixed { month: 1, day: 1 },
        FridayOrMonday,
        1870,
    ),
    Rule::new(
        "Birthday of Martin Luther King, Jr.",
        "5 U.S.C. 6103(a): the third Monday in January (Pub. L. 98-144, from 1986)",
        Nth { month: 1, weekday: Monday, n: 3 },
        FridayOrMonday,
        1986,
    ),
    Rule::new(
        "Washington's Birthday",
        "5 U.S.C. 6103(a): the third Monday in February (Pub. L. 90-363, from 1971)",
        Nth { month: 2, weekday: Monday, n: 3 },
        FridayOrMonday,
        1971,
    ),
    Rule::new(
        "Memorial Day",
        "5 U.S.C. 6103(a): the last Monday in May (Pub. L. 90-363, from 1971)",
        Last { month: 5, weekday: Monday },
        FridayOrMonday,
        1971,
    ),
    Rule::new(
        "Juneteenth National Independence Day",
        "5 U.S.C. 6103(a): June 19 (Pub. L. 117-17, from 2021)",
        Fixed { month: 6, day: 19 },
        FridayOrMonday,
        2021,
    ),
    Rule::new(
        "Independence Day",
        "5 U.S.C. 6103(a): July 4",
        Fixed { month: 7, day: 4 },
        FridayOrMonday,
        1870,
    ),
    Rule::new(
        "Labor Day",
        "5 U.S.C. 6103(a): the first Monday in September",
        Nth { month: 9, weekday: Monday, n: 1 },
        FridayOrMonday,
        1894,
    ),
    Rule::new(
        "Columbus Day",
        "5 U.S.C. 6103(a): the second Monday in October (Pub. L. 90-363, from 1971)",
        Nth { month: 10, weekday: Monday, n: 2 },
        FridayOrMonday,
        1971,
    ),
    Rule::new(
        "Veterans Day",
        "5 U.S.C. 6103(a): November 11 (Pub. L. 94-97, from 1978)",
        Fixed { month: 11, day: 11 },
        FridayOrMonday,
        1978,
    ),
    Rule::new(
        "Thanksgiving Day",
        "5 U.S.C. 6103(a): the fourth Thursday in November",
        Nth { month: 11, weekday: Thursday, n: 4 },
        FridayOrMonday,
        1942,
    ),
    Rule::new(
        "Christmas Day",
        "5 U.S.C. 6103(a): December 25",
        Fixed { month: 12, day: 25 },
        FridayOrMonday,
        1870,
    ),
];
