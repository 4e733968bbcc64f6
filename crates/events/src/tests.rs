//! Tests of the value types: timestamps, decimals, ids, text, escaping.

use expect_test::{Expect, expect};
use proptest::prelude::*;

use crate::{Capacity, Field, Fte, Instant};

/// Parses each line as a timestamp and renders it canonically, or the error.
#[track_caller]
fn check_instants(input: &str, expect: Expect) {
    let out: String = input
        .lines()
        .map(|line| match Instant::parse(Field::OccurredAt, line) {
            Ok(instant) => format!("{line} => {instant} ({})\n", instant.timestamp()),
            Err(_) => format!("{line} => error\n"),
        })
        .collect();
    expect.assert_eq(&out);
}

#[test]
fn timestamps() {
    check_instants(
        "2024-03-10T01:59:59-08:00
2024-03-10T03:00:00-07:00
2024-11-03T01:30:00-07:00
2024-11-03T01:30:00-08:00
2024-03-01T09:30:00.500-08:00
2024-03-01T09:30:00.000000001Z
2024-03-01T09:30:00.000Z
2024-03-01t09:30:00z
2024-03-01 09:30:00+00:00
2024-02-29T23:59:59+14:00
2023-02-29T00:00:00Z
2024-03-01T09:30:00
2024-03-01T09:30:00-8:00
2024-03-01T09:30:00-08
2024-03-01T09:30:60Z
2024-03-01T24:00:00Z
2024-03-01T09:30:00.Z
2024-03-01T09:30:00.1234567891Z
1899-12-31T23:59:59Z
2200-01-01T00:00:00Z
2024-03-01T09:30:00+24:00
 2024-03-01T09:30:00Z",
        expect![[r#"
            2024-03-10T01:59:59-08:00 => 2024-03-10T01:59:59-08:00 (2024-03-10T09:59:59Z)
            2024-03-10T03:00:00-07:00 => 2024-03-10T03:00:00-07:00 (2024-03-10T10:00:00Z)
            2024-11-03T01:30:00-07:00 => 2024-11-03T01:30:00-07:00 (2024-11-03T08:30:00Z)
            2024-11-03T01:30:00-08:00 => 2024-11-03T01:30:00-08:00 (2024-11-03T09:30:00Z)
            2024-03-01T09:30:00.500-08:00 => 2024-03-01T09:30:00.5-08:00 (2024-03-01T17:30:00.5Z)
            2024-03-01T09:30:00.000000001Z => 2024-03-01T09:30:00.000000001Z (2024-03-01T09:30:00.000000001Z)
            2024-03-01T09:30:00.000Z => 2024-03-01T09:30:00Z (2024-03-01T09:30:00Z)
            2024-03-01t09:30:00z => 2024-03-01T09:30:00Z (2024-03-01T09:30:00Z)
            2024-03-01 09:30:00+00:00 => 2024-03-01T09:30:00Z (2024-03-01T09:30:00Z)
            2024-02-29T23:59:59+14:00 => 2024-02-29T23:59:59+14:00 (2024-02-29T09:59:59Z)
            2023-02-29T00:00:00Z => error
            2024-03-01T09:30:00 => error
            2024-03-01T09:30:00-8:00 => error
            2024-03-01T09:30:00-08 => error
            2024-03-01T09:30:60Z => error
            2024-03-01T24:00:00Z => error
            2024-03-01T09:30:00.Z => error
            2024-03-01T09:30:00.1234567891Z => error
            1899-12-31T23:59:59Z => error
            2200-01-01T00:00:00Z => error
            2024-03-01T09:30:00+24:00 => error
             2024-03-01T09:30:00Z => error
        "#]],
    );
}

#[test]
fn fte_values() {
    let out: Vec<String> = [
        "1", "1.0", "0.8", "0.125", "0.50", "0", "1.001", "0.0001", ".5", "1.", "-0.5", "0x1", "１",
    ]
    .iter()
    .map(|text| match Fte::parse(Field::Fte, text) {
        Ok(fte) => format!("{text} => {fte}"),
        Err(_) => format!("{text} => error"),
    })
    .collect();
    expect![[r#"
        1 => 1
        1.0 => 1
        0.8 => 0.8
        0.125 => 0.125
        0.50 => 0.5
        0 => error
        1.001 => error
        0.0001 => error
        .5 => error
        1. => error
        -0.5 => error
        0x1 => error
        １ => error"#]]
    .assert_eq(&out.join("\n"));
}

#[test]
fn canonical_strings_escape_as_rfc_8785() {
    let mut out = Vec::new();
    crate::canonical::write_string(&mut out, "a\"b\\c\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}é€😀/");
    expect![[r#""a\"b\\c\b\f\n\r\t\u0001\u001fé€😀/""#]]
        .assert_eq(&String::from_utf8(out).unwrap());
}

proptest! {
    #[test]
    fn timestamps_round_trip(seconds in -2_208_988_800i64..7_258_118_399, nanos in 0i32..1_000_000_000, offset_minutes in -1439i32..1440) {
        let timestamp = jiff::Timestamp::new(seconds, nanos).unwrap();
        let offset = jiff::tz::Offset::from_seconds(offset_minutes * 60).unwrap();
        let instant = Instant::new(timestamp, offset);
        let text = instant.to_string();
        match Instant::parse(Field::OccurredAt, &text) {
            Ok(back) => prop_assert_eq!(back, instant),
            // Years outside 1900..=2199 in local time are refused.
            Err(_) => prop_assert!(!(1900..=2199).contains(&offset.to_datetime(timestamp).year())),
        }
    }

    #[test]
    fn timestamp_parsing_never_panics(text in "\\PC{0,40}") {
        let _ = Instant::parse(Field::OccurredAt, &text);
    }

    #[test]
    fn capacities_are_built_as_parsed(places in 0u32..20_000) {
        prop_assert_eq!(Capacity::new(places), Capacity::parse(Field::Capacity, &places.to_string()).ok());
    }

    #[test]
    fn fte_round_trips(thousandths in 1u16..=1000) {
        let text = format!("{}.{:03}", thousandths / 1000, thousandths % 1000);
        let fte = Fte::parse(Field::Fte, &text).unwrap();
        prop_assert_eq!(Fte::from_thousandths(thousandths), Some(fte));
        prop_assert_eq!(fte.thousandths(), thousandths);
        prop_assert_eq!(Fte::parse(Field::Fte, &fte.to_string()).unwrap(), fte);
    }
}
