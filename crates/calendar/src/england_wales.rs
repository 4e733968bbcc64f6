//! Bank holidays in England and Wales.

use jiff::civil::Weekday::Monday;

use crate::rules::Observance::{None as Never, Substitute};
use crate::rules::Rule;
use crate::rules::When::{Dates, Easter, Fixed, Last, Nth};

pub(crate) const DESCRIPTION: &str = "Bank and public holidays in England and Wales: the bank \
     holidays of the Banking and Financial Dealings Act 1971, Schedule 1, the days added or moved \
     by royal proclamation under section 1 of that Act, and the common-law holidays of Good \
     Friday and Christmas Day. A holiday on a Saturday or Sunday is replaced by the next weekday \
     that is not already a holiday (a substitute day).";

const BFDA: &str = "Banking and Financial Dealings Act 1971, Schedule 1, paragraph 1";

pub(crate) const RULES: &[Rule] = &[
    Rule::new(
        "New Year's Day",
        "Royal proclamation under the Banking and Financial Dealings Act 1971, s. 1(3), annually since 1974",
        Fixed { month: 1, day: 1 },
        Substitute,
        1974,
    ),
    Rule::new("Good Friday", "Common-law holiday (Banking and Financial Dealings Act 1971, s. 1(1))", Easter { offset: -2 }, Never, 1871),
    Rule::new("Easter Monday", BFDA, Easter { offset: 1 }, Never, 1871),
    Rule::new(
        "Early May bank holiday",
        "Royal proclamation under the Banking and Financial Dealings Act 1971, s. 1(3): the first Monday in May, since 1978",
        Nth { month: 5, weekday: Monday, n: 1 },
        Never,
        1978,
    )
    .except(&[1995, 2020]),
    Rule::new(
        "Early May bank holiday (VE Day)",
        "Royal proclamations moving the early May bank holiday to 8 May for the 50th and 75th \
         anniversaries of VE Day (1995, 2020)",
        Dates(&[(1995, 5, 8), (2020, 5, 8)]),
        Never,
        1995,
    ),
    Rule::new("Spring bank holiday", BFDA, Last { month: 5, weekday: Monday }, Never, 1971)
        .except(&[2002, 2012, 2022]),
    Rule::new(
        "Spring bank holiday (moved for a jubilee)",
        "Royal proclamations moving the spring bank holiday for the Golden (2002), Diamond (2012) \
         and Platinum (2022) Jubilees",
        Dates(&[(2002, 6, 4), (2012, 6, 4), (2022, 6, 2)]),
        Never,
        2002,
    ),
    Rule::new(
        "Jubilee bank holiday",
        "Royal proclamations under the Banking and Financial Dealings Act 1971, s. 1(3), for the \
         Golden, Diamond and Platinum Jubilees",
        Dates(&[(2002, 6, 3), (2012, 6, 5), (2022, 6, 3)]),
        Never,
        2002,
    ),
    Rule::new("Summer bank holiday", BFDA, Last { month: 8, weekday: Monday }, Never, 1971),
    Rule::new("Christmas Day", "Common-law holiday (Banking and Financial Dealings Act 1971, s. 1(1))", Fixed { month: 12, day: 25 }, Substitute, 1871),
    Rule::new(
        "Boxing Day",
        "Banking and Financial Dealings Act 1971, Schedule 1, paragraph 1: 26 December, or 27 \
         December when 25 or 26 December is a Sunday",
        Fixed { month: 12, day: 26 },
        Substitute,
        1871,
    ),
    Rule::new(
        "Millennium bank holiday",
        "Royal proclamation under the Banking and Financial Dealings Act 1971, s. 1(3)",
        Dates(&[(1999, 12, 31)]),
        Never,
        1999,
    ),
    Rule::new(
        "Royal wedding",
        "Royal proclamation under the Banking and Financial Dealings Act 1971, s. 1(3)",
        Dates(&[(2011, 4, 29)]),
        Never,
        2011,
    ),
    Rule::new(
        "State funeral of Queen Elizabeth II",
        "Royal proclamation under the Banking and Financial Dealings Act 1971, s. 1(3)",
        Dates(&[(2022, 9, 19)]),
        Never,
        2022,
    ),
    Rule::new(
        "Coronation of King Charles III",
        "Royal proclamation under the Banking and Financial Dealings Act 1971, s. 1(3)",
        Dates(&[(2023, 5, 8)]),
        Never,
        2023,
    ),
];
