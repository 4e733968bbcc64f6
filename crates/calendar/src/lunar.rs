//! The Lunar New Year, computed from the Sun and the Moon.
//!
//! California Government Code 6700(a)(4) defines the day as "the date
//! corresponding with the second new moon following the winter solstice, or
//! the third new moon following the winter solstice should an intercalary
//! month intervene". Dates are taken in China Standard Time (UTC+8), where
//! the lunisolar calendar that defines the day is reckoned.
//!
//! New moons follow Meeus, *Astronomical Algorithms* (2nd ed.), chapter 49;
//! the Sun's apparent longitude chapter 25 (low accuracy, about 0.01 degree,
//! which is about a quarter of an hour); Delta T the polynomials of Espenak
//! and Meeus (2006). An intercalary month intervenes when the year from one
//! winter-solstice month to the next holds thirteen months and the first of
//! them without a principal solar term (a multiple of 30 degrees of solar
//! longitude) is the 11th or 12th month. The results are checked against
//! the Chinese calendar tables of the Python `holidays` package for every
//! year the calendar covers (see the tests).

use jiff::civil::Date;

/// China Standard Time, in days.
const CST: f64 = 8.0 / 24.0;

/// Julian day of 2000-01-01 12:00 TT.
const J2000: f64 = 2_451_545.0;

fn sin_deg(x: f64) -> f64 {
    x.to_radians().sin()
}

/// Delta T (TT minus UT) in days, for a year.
fn delta_t(year: f64) -> f64 {
    let seconds = if year < 2050.0 {
        let t = year - 2000.0;
        62.92 + 0.32217 * t + 0.005589 * t * t
    } else {
        let u = (year - 1820.0) / 100.0;
        -20.0 + 32.0 * u * u - 0.5628 * (2150.0 - year)
    };
    seconds / 86_400.0
}

/// The Julian Ephemeris Day of mean-lunation `k`'s new moon (Meeus 49).
fn new_moon(k: f64) -> f64 {
    let t = k / 1236.85;
    let jde = 2_451_550.097_66 + 29.530_588_861 * k + 0.000_154_37 * t * t
        - 0.000_000_150 * t * t * t
        + 0.000_000_000_73 * t * t * t * t;
    let e = 1.0 - 0.002_516 * t - 0.000_007_4 * t * t;
    let m = 2.5534 + 29.105_356_70 * k - 0.000_001_4 * t * t - 0.000_000_11 * t * t * t;
    let mp = 201.5643 + 385.816_935_28 * k + 0.010_758_2 * t * t + 0.000_012_38 * t * t * t
        - 0.000_000_058 * t * t * t * t;
    let f = 160.7108 + 390.670_502_84 * k - 0.001_611_8 * t * t - 0.000_002_27 * t * t * t
        + 0.000_000_011 * t * t * t * t;
    let omega = 124.7746 - 1.563_755_88 * k + 0.002_067_2 * t * t + 0.000_002_15 * t * t * t;
    let correction = -0.40720 * sin_deg(mp)
        + 0.17241 * e * sin_deg(m)
        + 0.01608 * sin_deg(2.0 * mp)
        + 0.01039 * sin_deg(2.0 * f)
        + 0.00739 * e * sin_deg(mp - m)
        - 0.00514 * e * sin_deg(mp + m)
        + 0.00208 * e * e * sin_deg(2.0 * m)
        - 0.00111 * sin_deg(mp - 2.0 * f)
        - 0.00057 * sin_deg(mp + 2.0 * f)
        + 0.00056 * e * sin_deg(2.0 * mp + m)
        - 0.00042 * sin_deg(3.0 * mp)
        + 0.00042 * e * sin_deg(m + 2.0 * f)
        + 0.00038 * e * sin_deg(m - 2.0 * f)
        - 0.00024 * e * sin_deg(2.0 * mp - m)
        - 0.00017 * sin_deg(omega)
        - 0.00007 * sin_deg(mp + 2.0 * m)
        + 0.00004 * sin_deg(2.0 * mp - 2.0 * f)
        + 0.00004 * sin_deg(3.0 * m)
        + 0.00003 * sin_deg(mp + m - 2.0 * f)
        + 0.00003 * sin_deg(2.0 * mp + 2.0 * f)
        - 0.00003 * sin_deg(mp + m + 2.0 * f)
        + 0.00003 * sin_deg(mp - m + 2.0 * f)
        - 0.00002 * sin_deg(mp - m - 2.0 * f)
        - 0.00002 * sin_deg(3.0 * mp + m)
        + 0.00002 * sin_deg(4.0 * mp);
    let a = [
        299.77 + 0.107_408 * k - 0.009_173 * t * t,
        251.88 + 0.016_321 * k,
        251.83 + 26.651_886 * k,
        349.42 + 36.412_478 * k,
        84.66 + 18.206_239 * k,
        141.74 + 53.303_771 * k,
        207.14 + 2.453_732 * k,
        154.84 + 7.306_860 * k,
        34.52 + 27.261_239 * k,
        207.19 + 0.121_824 * k,
        291.34 + 1.844_379 * k,
        161.72 + 24.198_154 * k,
        239.56 + 25.513_099 * k,
        331.55 + 3.592_518 * k,
    ];
    let weights = [
        0.000_325, 0.000_165, 0.000_164, 0.000_126, 0.000_110, 0.000_062, 0.000_060, 0.000_056,
        0.000_047, 0.000_042, 0.000_040, 0.000_037, 0.000_035, 0.000_023,
    ];
    let planetary: f64 = a.iter().zip(weights).map(|(a, w)| w * sin_deg(*a)).sum();
    jde + correction + planetary
}

/// The Sun's apparent longitude in degrees at a Julian Ephemeris Day
/// (Meeus 25, low accuracy).
fn sun_longitude(jde: f64) -> f64 {
    let t = (jde - J2000) / 36_525.0;
    let l0 = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t * t;
    let m = 357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t * t;
    let c = (1.914_602 - 0.004_817 * t - 0.000_014 * t * t) * sin_deg(m)
        + (0.019_993 - 0.000_101 * t) * sin_deg(2.0 * m)
        + 0.000_289 * sin_deg(3.0 * m);
    let omega = 125.04 - 1934.136 * t;
    (l0 + c - 0.005_69 - 0.004_78 * sin_deg(omega)).rem_euclid(360.0)
}

/// The Julian Ephemeris Day, near `guess`, when the Sun's apparent
/// longitude is `target` degrees.
fn sun_at(target: f64, guess: f64) -> f64 {
    let mut jde = guess;
    for _ in 0..50 {
        let diff = (target - sun_longitude(jde) + 540.0).rem_euclid(360.0) - 180.0;
        jde += diff * 365.242_2 / 360.0;
        if diff.abs() < 1e-7 {
            break;
        }
    }
    jde
}

/// The civil date in China Standard Time of a Julian Ephemeris Day.
fn cst_day(jde: f64) -> i64 {
    let year = 2000.0 + (jde - J2000) / 365.25;
    let jd_ut = jde - delta_t(year);
    // Julian days start at noon; the civil day starts half a day earlier.
    (jd_ut + 0.5 + CST).floor() as i64
}

/// The CST day number of the new moon that starts the lunar month holding
/// CST day `day`, and that month's index `k`.
fn month_start(day: i64) -> (f64, i64) {
    let approx = ((day as f64 - 2_451_550.5) / 29.530_588_861).floor();
    let mut k = approx - 1.0;
    while cst_day(new_moon(k + 1.0)) <= day {
        k += 1.0;
    }
    while cst_day(new_moon(k)) > day {
        k -= 1.0;
    }
    (k, cst_day(new_moon(k)))
}

/// The CST day of the December solstice of `year`.
fn winter_solstice(year: i16) -> i64 {
    let guess = J2000 + (f64::from(year) - 2000.0) * 365.242_2 + 355.0;
    cst_day(sun_at(270.0, guess))
}

/// Whether the lunar month starting at new moon `k` holds a principal solar
/// term (a multiple of 30 degrees of solar longitude).
fn has_principal_term(k: f64) -> bool {
    let (start, end) = (new_moon(k), new_moon(k + 1.0));
    let longitude = sun_longitude(start);
    let next_term = ((longitude / 30.0).floor() + 1.0) * 30.0;
    let at =
        sun_at(next_term.rem_euclid(360.0), start + (next_term - longitude) * 365.242_2 / 360.0);
    cst_day(at) < cst_day(end) && cst_day(at) >= cst_day(start)
}

/// The Lunar New Year of Gregorian `year`, as California counts it.
pub(crate) fn new_year(year: i16) -> Option<Date> {
    let (k11, _) = month_start(winter_solstice(year - 1));
    let (k11_next, _) = month_start(winter_solstice(year));
    // Thirteen months from one solstice month to the next: a leap year. The
    // leap month is the first without a principal term; if it is the 11th or
    // 12th month, it intervenes before the new year.
    let leap_before_new_year = k11_next - k11 == 13.0
        && (1..=2).any(|n| !has_principal_term(k11 + f64::from(n)))
        && !has_principal_term(if has_principal_term(k11 + 1.0) { k11 + 2.0 } else { k11 + 1.0 });
    let k = k11 + if leap_before_new_year { 3.0 } else { 2.0 };
    date_of_day(cst_day(new_moon(k)))
}

/// The civil date of a Julian day number (a day starting at midnight).
fn date_of_day(julian_day: i64) -> Option<Date> {
    // 2440588 is the Julian day of 1970-01-01.
    let days = julian_day - 2_440_588;
    Date::constant(1970, 1, 1).checked_add(jiff::Span::new().days(days)).ok()
}
