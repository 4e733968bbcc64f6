//! Data-driven tests: a file's text in, each record's outcome out.

use expect_test::{Expect, expect};

use crate::{CsvWriter, Reader, TableWriter, write_ndjson};

/// Reads `input` and renders each item as `line: canonical json` or
/// `error: message`.
#[track_caller]
fn check(input: &str, expect: Expect) {
    check_bytes(input.as_bytes(), expect);
}

#[track_caller]
fn check_bytes(input: &[u8], expect: Expect) {
    let mut out = String::new();
    match Reader::new(input, "t") {
        Err(err) => out.push_str(&format!("error: {err}\n")),
        Ok(reader) => {
            out.push_str(&format!("{:?}\n", reader.format()));
            for item in reader {
                match item {
                    Ok(located) => out.push_str(&format!(
                        "{}: {}\n",
                        located.line,
                        String::from_utf8(located.value.canonical_json()).unwrap()
                    )),
                    Err(err) => out.push_str(&format!("error: {err}\n")),
                }
            }
        }
    }
    expect.assert_eq(&out);
}

const OPENED: &str = r#"{"event_id":"e1","type":"request.opened","occurred_at":"2024-03-01T09:30:00-08:00","request_id":"r1","patient_id":"p1","clinic":"c1","urgency":"routine","provider_type":"non_physician_mh","visit":"initial"}"#;

#[test]
fn ndjson_request_opened_gets_defaults() {
    check(
        OPENED,
        expect![[r#"
            Ndjson
            1: {"clinic":"c1","event_id":"e1","occurred_at":"2024-03-01T09:30:00-08:00","patient_id":"p1","prior_auth":false,"provider_type":"non_physician_mh","request_id":"r1","requested_format":"any","type":"request.opened","urgency":"routine","visit":"initial"}
        "#]],
    );
}

#[test]
fn ndjson_every_type() {
    check(
        r#"
{"event_id":"a","type":"clinic.registered","occurred_at":"2024-01-01T00:00:00Z","clinic":"c1","time_zone":"america/los_angeles","network":"n1","name":"Oakland \"East\" Clinic"}
{"event_id":"b","type":"clinician.registered","occurred_at":"2024-01-01T00:00:00Z","clinician_id":"d1","clinic":"c1","provider_type":"psychiatrist","fte":0.50,"languages":["en","es"]}
{"event_id":"c","type":"slot.published","occurred_at":"2024-01-01T00:00:00Z","slot_id":"s1","clinician_id":"d1","clinic":"c1","start":"2024-01-08T09:00:00-08:00","end":"2024-01-08T09:50:00-08:00","format":"group","capacity":8,"new_patients":false}
{"event_id":"d","type":"slot.withdrawn","occurred_at":"2024-01-02T00:00:00Z","slot_id":"s1"}
{"event_id":"e","type":"request.triaged","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","urgency":"urgent"}
{"event_id":"f","type":"offer.made","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","offer_id":"o1","appointment_at":"2024-01-03T10:00:00-08:00","clinician_id":"d1","provider_type":"psychiatrist","format":"individual","modality":"video","in_network":false,"slot_id":"s2"}
{"event_id":"g","type":"offer.declined","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","offer_id":"o1","reason":"patient_preference"}
{"event_id":"h","type":"appointment.booked","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","appointment_id":"a1","appointment_at":"2024-01-04T10:00:00-08:00","clinician_id":"d1","format":"individual","modality":"in_person","offer_id":"o2"}
{"event_id":"i","type":"appointment.cancelled","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","appointment_id":"a1","by":"provider","reason":"clinician ill"}
{"event_id":"j","type":"appointment.attended","occurred_at":"2024-01-04T10:00:00-08:00","request_id":"r1","appointment_id":"a1"}
{"event_id":"k","type":"appointment.no_show","occurred_at":"2024-01-04T10:00:00-08:00","request_id":"r1","appointment_id":"a1"}
{"event_id":"l","type":"extension.documented","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","clinician_id":"d1","extended_to":"2024-01-20T23:59:59.999-08:00","reason":"stable; weekly check-in"}
{"event_id":"m","type":"referral.out_of_network","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","provider":"Dr. Outside"}
{"event_id":"n","type":"harm.reported","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","kind":"ed_visit","actor":"sys:ehr","entered_at":"2024-01-05T08:00:00+00:00"}
{"event_id":"o","type":"request.closed","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","reason":"served"}
{"event_id":"p","type":"event.voided","occurred_at":"2024-01-02T00:00:00Z","voids":"m","reason":"entered against the wrong request"}
"#,
        expect![[r#"
            Ndjson
            2: {"clinic":"c1","event_id":"a","name":"Oakland \"East\" Clinic","network":"n1","occurred_at":"2024-01-01T00:00:00Z","time_zone":"America/Los_Angeles","type":"clinic.registered"}
            3: {"clinic":"c1","clinician_id":"d1","event_id":"b","fte":0.5,"languages":["en","es"],"occurred_at":"2024-01-01T00:00:00Z","provider_type":"psychiatrist","type":"clinician.registered"}
            4: {"capacity":8,"clinic":"c1","clinician_id":"d1","end":"2024-01-08T09:50:00-08:00","event_id":"c","format":"group","new_patients":false,"occurred_at":"2024-01-01T00:00:00Z","slot_id":"s1","start":"2024-01-08T09:00:00-08:00","type":"slot.published"}
            5: {"event_id":"d","occurred_at":"2024-01-02T00:00:00Z","slot_id":"s1","type":"slot.withdrawn"}
            6: {"event_id":"e","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","type":"request.triaged","urgency":"urgent"}
            7: {"appointment_at":"2024-01-03T10:00:00-08:00","clinician_id":"d1","event_id":"f","format":"individual","in_network":false,"modality":"video","occurred_at":"2024-01-02T00:00:00Z","offer_id":"o1","provider_type":"psychiatrist","request_id":"r1","slot_id":"s2","type":"offer.made"}
            8: {"event_id":"g","occurred_at":"2024-01-02T00:00:00Z","offer_id":"o1","reason":"patient_preference","request_id":"r1","type":"offer.declined"}
            9: {"appointment_at":"2024-01-04T10:00:00-08:00","appointment_id":"a1","clinician_id":"d1","event_id":"h","format":"individual","modality":"in_person","occurred_at":"2024-01-02T00:00:00Z","offer_id":"o2","request_id":"r1","type":"appointment.booked"}
            10: {"appointment_id":"a1","by":"provider","event_id":"i","occurred_at":"2024-01-02T00:00:00Z","reason":"clinician ill","request_id":"r1","type":"appointment.cancelled"}
            11: {"appointment_id":"a1","event_id":"j","occurred_at":"2024-01-04T10:00:00-08:00","request_id":"r1","type":"appointment.attended"}
            12: {"appointment_id":"a1","event_id":"k","occurred_at":"2024-01-04T10:00:00-08:00","request_id":"r1","type":"appointment.no_show"}
            13: {"clinician_id":"d1","event_id":"l","extended_to":"2024-01-20T23:59:59.999-08:00","occurred_at":"2024-01-02T00:00:00Z","reason":"stable; weekly check-in","request_id":"r1","type":"extension.documented"}
            14: {"event_id":"m","occurred_at":"2024-01-02T00:00:00Z","provider":"Dr. Outside","request_id":"r1","type":"referral.out_of_network"}
            15: {"actor":"sys:ehr","entered_at":"2024-01-05T08:00:00Z","event_id":"n","kind":"ed_visit","occurred_at":"2024-01-02T00:00:00Z","request_id":"r1","type":"harm.reported"}
            16: {"event_id":"o","occurred_at":"2024-01-02T00:00:00Z","reason":"served","request_id":"r1","type":"request.closed"}
            17: {"event_id":"p","occurred_at":"2024-01-02T00:00:00Z","reason":"entered against the wrong request","type":"event.voided","voids":"m"}
        "#]],
    );
}

#[test]
fn ndjson_errors_are_located_and_reading_goes_on() {
    check(
        r#"{"event_id":"e1","type":"request.triaged","occurred_at":"2024-03-01T09:30:00","request_id":"r1","urgency":"urgent"}
{"event_id":"e2","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"asap"}
{"event_id":"e3","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1"}
{"event_id":"e4","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"urgent","colour":"red"}
{"event_id":"e5","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"urgent","urgency":"routine"}
{"event_id":"e6","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"urgent","clinic":"c1"}
{"event_id":"e7","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"urgent","recorded_at":"2024-03-01T09:30:00Z"}
{"event_id":"e8","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"urgent"
["not","an","object"]
{"event_id":"e 9","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"urgent"}
{"event_id":"e10","type":"request.teleported","occurred_at":"2024-03-01T09:30:00Z"}
{"type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"urgent"}
{"event_id":"e12","type":"slot.published","occurred_at":"2024-01-01T00:00:00Z","slot_id":"s1","clinician_id":"d1","clinic":"c1","start":"2024-01-08T09:00:00-08:00","end":"2024-01-08T08:50:00-08:00","format":"group"}
{"event_id":"e13","type":"slot.published","occurred_at":"2024-01-01T00:00:00Z","slot_id":"s1","clinician_id":"d1","clinic":"c1","start":"2024-01-08T09:00:00-08:00","end":"2024-01-08T09:50:00-08:00","format":"group","capacity":"8"}
{"event_id":"e14","type":"clinician.registered","occurred_at":"2024-01-01T00:00:00Z","clinician_id":"d1","clinic":"c1","provider_type":"psychiatrist","fte":1.5}
{"event_id":"e15","type":"clinic.registered","occurred_at":"2024-01-01T00:00:00Z","clinic":"c1","time_zone":"Pacific Time","network":"n1"}
{"event_id":"e16","type":"request.triaged","occurred_at":"2024-02-30T09:30:00Z","request_id":"r1","urgency":"urgent"}
{"event_id":"e17","type":"request.triaged","occurred_at":"2024-03-01T09:30:00-05","request_id":"r1","urgency":"urgent"}
{"event_id":"e18","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"urgent","actor":null}
{"event_id":"e19","type":"request.triaged","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","urgency":"urgent"} trailing
"#,
        expect![[r#"
            Ndjson
            error: t:1: field `occurred_at`: expected an RFC 3339 timestamp with a UTC offset, such as 2024-03-01T09:30:00-08:00 or 2024-03-01T17:30:00Z, found "2024-03-01T09:30:00"
            error: t:2: field `urgency`: expected one of urgent, routine, found "asap"
            error: t:3: field `urgency`: required for `request.triaged` events, but absent
            error: t:4: unknown field "colour"; the fields are listed in docs/events.md
            error: t:5: field `urgency` appears twice
            error: t:6: field `clinic`: not a field of `request.triaged` events (they have: request_id, urgency)
            error: t:7: field `recorded_at`: assigned by carequeue when the event is stored, so a source may not supply it
            error: t:8: column 115: EOF while parsing an object: the line ends before the JSON object does (a truncated line?)
            error: t:9: invalid type: sequence, expected a JSON object (one event per line)
            error: t:10: field `event_id`: expected an id of 1 to 128 characters from A-Z a-z 0-9 and - _ . : / @ + # ~ =, found "e 9"
            error: t:11: field `type`: expected an event type such as request.opened (docs/events.md lists them), found "request.teleported"
            error: t:12: field `event_id`: required for `request.triaged` events, but absent
            error: t:13: field `end`: expected a time after `start` and at most 24 hours after it, found "2024-01-08T08:50:00-08:00"
            error: t:14: field `capacity`: expected a whole number from 1 to 10000, found "8"
            error: t:15: field `fte`: expected a decimal above 0 and at most 1, such as 0.8, found 1.5
            error: t:16: field `time_zone`: expected an IANA time zone name such as America/Los_Angeles, found "Pacific Time"
            error: t:17: field `occurred_at`: expected an RFC 3339 timestamp with a UTC offset, such as 2024-03-01T09:30:00-08:00 or 2024-03-01T17:30:00Z, found "2024-02-30T09:30:00Z"
            error: t:18: field `occurred_at`: expected an RFC 3339 timestamp with a UTC offset, such as 2024-03-01T09:30:00-08:00 or 2024-03-01T17:30:00Z, found "2024-03-01T09:30:00-05"
            19: {"event_id":"e18","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"request.triaged","urgency":"urgent"}
            error: t:20: column 119: trailing characters
        "#]],
    );
}

#[test]
fn ndjson_bytes_problems() {
    let mut input = Vec::new();
    input.extend_from_slice(b"\xef\xbb\xbf{\"event_id\":\"e1\",\"type\":\"harm.reported\",\"occurred_at\":\"2024-03-01T09:30:00Z\",\"request_id\":\"r1\",\"kind\":\"crisis\"}\r\n");
    input.extend_from_slice(b"{\"event_id\":\"e2\",\"type\":\"event.voided\",\"occurred_at\":\"2024-03-01T09:30:00Z\",\"voids\":\"e1\",\"reason\":\"bad \xff byte\"}\n");
    input.extend_from_slice(b"{\"event_id\":\"");
    input.extend(std::iter::repeat_n(b'x', crate::MAX_LINE_BYTES + 10));
    input.extend_from_slice(b"\"}\n\n   \n");
    input.extend_from_slice(b"{\"event_id\":\"e4\",\"type\":\"harm.reported\",\"occurred_at\":\"2024-03-01T09:30:00Z\",\"request_id\":\"r1\",\"kind\":\"crisis\"}\n");
    input.extend_from_slice(
        b"{\"event_id\":\"e5\",\"type\":\"harm.reported\",\"occurred_at\":\"2024-03-01T09:3",
    );
    check_bytes(
        &input,
        expect![[r#"
            Ndjson
            1: {"event_id":"e1","kind":"crisis","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"harm.reported"}
            error: t:2: column 104: invalid UTF-8; event files must be UTF-8
            error: t:3: line or record longer than 1048576 bytes; an event is a single line of a few hundred bytes
            6: {"event_id":"e4","kind":"crisis","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"harm.reported"}
            error: t:7: column 70: EOF while parsing a string: the line ends before the JSON object does (a truncated line?)
        "#]],
    );
}

#[test]
fn csv_any_subset_of_fields_and_several_types() {
    check(
        "type,event_id,occurred_at,request_id,urgency,kind,clinic,time_zone,network,languages,clinician_id,provider_type\n\
         request.triaged,e1,2024-03-01T09:30:00-08:00,r1,urgent,,,,,,,\n\
         harm.reported, e2 ,2024-03-01 09:30:00Z,r1,,crisis,,,,,,\n\
         \n\
         clinic.registered,e3,2024-03-01T09:30:00Z,,,,c1,Europe/London,n1,,,\n\
         clinician.registered,e4,2024-03-01T09:30:00Z,,,,c1,,,en; cy,d1,sud\n\
         \"request.triaged\",e5,2024-03-01T09:30:00Z,r1,\"urgent\",,,,,,,\n",
        expect![[r#"
            Csv
            2: {"event_id":"e1","occurred_at":"2024-03-01T09:30:00-08:00","request_id":"r1","type":"request.triaged","urgency":"urgent"}
            3: {"event_id":"e2","kind":"crisis","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"harm.reported"}
            4: {"clinic":"c1","event_id":"e3","network":"n1","occurred_at":"2024-03-01T09:30:00Z","time_zone":"Europe/London","type":"clinic.registered"}
            6: {"clinic":"c1","clinician_id":"d1","event_id":"e4","languages":["cy","en"],"occurred_at":"2024-03-01T09:30:00Z","provider_type":"sud","type":"clinician.registered"}
            7: {"event_id":"e5","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"request.triaged","urgency":"urgent"}
        "#]],
    );
}

/// What spreadsheets write: semicolons (much of Europe) or tabs between
/// cells, a byte-order mark, CRLF line ends, empty columns after the last
/// named one, enumerations capitalised.
#[test]
fn csv_as_spreadsheets_write_it() {
    check_bytes(
        b"\xef\xbb\xbftype;event_id;occurred_at;request_id;urgency;;\r\n\
          request.triaged;e1;2024-03-01T09:30:00-08:00;r1;Urgent;;\r\n\
          Request.Triaged;e2;2024-03-01T09:31:00-08:00;r1;URGENT;;\r\n",
        expect![[r#"
            Csv
            2: {"event_id":"e1","occurred_at":"2024-03-01T09:30:00-08:00","request_id":"r1","type":"request.triaged","urgency":"urgent"}
            3: {"event_id":"e2","occurred_at":"2024-03-01T09:31:00-08:00","request_id":"r1","type":"request.triaged","urgency":"urgent"}
        "#]],
    );
    // Blank lines in a CRLF file, and rows with more empty cells than the
    // header has columns.
    check(
        "type,event_id,occurred_at,request_id,kind\r\n\r\n\
         harm.reported,e8,2024-03-01T09:30:00Z,r1,crisis,,\r\n\r\n\
         harm.reported,e9,2024-03-01T09:30:00Z,r1\r\n\r\n",
        expect![[r#"
            Csv
            3: {"event_id":"e8","kind":"crisis","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"harm.reported"}
            error: t:5: row has 4 cells but the header names 5 columns
        "#]],
    );
    // Non-breaking spaces around a cell, as some spreadsheets export them.
    check(
        "type,event_id,occurred_at,request_id,kind\nharm.reported,e7\u{a0},2024-03-01T09:30:00Z,\u{a0}r1,crisis\n",
        expect![[r#"
            Csv
            2: {"event_id":"e7","kind":"crisis","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"harm.reported"}
        "#]],
    );
    // A quoted last cell before CRLF, and a cell holding a line break.
    check(
        "type,event_id,occurred_at,request_id,kind,actor\r\n\
         harm.reported,e4,2024-03-01T09:30:00Z,r1,crisis,\"d 1\"\r\n\
         harm.reported,e5,2024-03-01T09:30:00Z,r1,\"crisis\",\"two\r\nlines\"\r\n\
         harm.reported,e6,2024-03-01T09:30:00Z,r1,crisis,x\r\n",
        expect![[r#"
            Csv
            error: t:2: field `actor`: expected an id of 1 to 128 characters from A-Z a-z 0-9 and - _ . : / @ + # ~ =, found "d 1"
            error: t:3: field `actor`: expected an id of 1 to 128 characters from A-Z a-z 0-9 and - _ . : / @ + # ~ =, found "two\r\nlines"
            5: {"actor":"x","event_id":"e6","kind":"crisis","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"harm.reported"}
        "#]],
    );
    check(
        "type\tevent_id\toccurred_at\trequest_id\tkind\nharm.reported\te3\t2024-03-01T09:30:00Z\tr1\tCrisis\n",
        expect![[r#"
            Csv
            2: {"event_id":"e3","kind":"crisis","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"harm.reported"}
        "#]],
    );
    // A value under a column with no name is not silently dropped.
    check(
        "type,event_id,occurred_at,request_id,kind,\nharm.reported,e3,2024-03-01T09:30:00Z,r1,crisis,oops\n",
        expect![[r#"
            Csv
            error: t:2: column 6: a value under a column the header does not name (it names 5)
        "#]],
    );
    // A blank line before a semicolon header; a file separated by pipes.
    check(
        "\n\ntype;event_id;occurred_at;request_id;kind\nharm.reported;e10;2024-03-01T09:30:00Z;r1;crisis\n",
        expect![[r#"
            Csv
            4: {"event_id":"e10","kind":"crisis","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","type":"harm.reported"}
        "#]],
    );
    check(
        "type|event_id|occurred_at\n",
        expect![[r#"
        Csv
        error: t:1: CSV header: column 1 is named "type|event_id|occurred_at", which is no field of the vocabulary (docs/events.md lists the fields); is the file separated by `|`? carequeue reads commas, semicolons and tabs
    "#]],
    );
    check(
        "type,event_id,,occurred_at\n",
        expect![[r#"
            Csv
            error: t:1: CSV header: column 3 has no name, between columns that do (docs/events.md lists the fields)
        "#]],
    );
}

/// Every problem of a row at once, and the closest allowed value offered.
#[test]
fn all_problems_of_a_row_at_once() {
    check(
        "type,event_id,occurred_at,request_id,patient_id,clinic,urgency,provider_type,visit\n\
         request.opened,e1,2024-03-01T09:30:00Z,,,,,,\n\
         request.opened,e2,2024-03-01T09:30:00Z,r2,p2,c1,routin,non-physician mh,first\n",
        expect![[r#"
            Csv
            error: t:2: field `request_id`: required for `request.opened` events, but absent
            error: t:2: field `patient_id`: required for `request.opened` events, but absent
            error: t:2: field `clinic`: required for `request.opened` events, but absent
            error: t:2: field `urgency`: required for `request.opened` events, but absent
            error: t:2: field `provider_type`: required for `request.opened` events, but absent
            error: t:2: field `visit`: required for `request.opened` events, but absent
            error: t:3: field `urgency`: expected one of urgent, routine, found "routin"; did you mean `routine`?
            error: t:3: field `provider_type`: expected one of psychiatrist, non_physician_mh, sud, primary_care, other, found "non-physician mh"; did you mean `non_physician_mh`?
            error: t:3: field `visit`: expected one of initial, follow_up, found "first"
        "#]],
    );
    check(
        r#"{"event_id":"e3","type":"request.opend","occurred_at":"2024-03-01T09:30:00Z"}
{"event_id":"e4","type":"harm.reported","occurred_at":"yesterday","kind":"crises","colour":"red"}
{"event_id":"e5","type":"harm.reported","occurred_at":"2024-03-01T09:30:00Z","request_id":"r1","kind":"crisis","urgency":"urgent","recorded_at":"2024-03-01T09:30:00Z"}
"#,
        expect![[r#"
            Ndjson
            error: t:1: field `type`: expected an event type such as request.opened (docs/events.md lists them), found "request.opend"; did you mean `request.opened`?
            error: t:2: unknown field "colour"; the fields are listed in docs/events.md
            error: t:2: field `occurred_at`: expected an RFC 3339 timestamp with a UTC offset, such as 2024-03-01T09:30:00-08:00 or 2024-03-01T17:30:00Z, found "yesterday"
            error: t:2: field `request_id`: required for `harm.reported` events, but absent
            error: t:2: field `kind`: expected one of ed_visit, inpatient, crisis, suicide_attempt, death, found "crises"; did you mean `crisis`?
            error: t:3: field `recorded_at`: assigned by carequeue when the event is stored, so a source may not supply it
            error: t:3: field `urgency`: not a field of `harm.reported` events (they have: request_id, kind)
        "#]],
    );
}

#[test]
fn csv_errors() {
    check(
        "type,event_id,occurred_at,colour\n",
        expect![[r#"
            Csv
            error: t:1: CSV header: column 4 is named "colour", which is no field of the vocabulary (docs/events.md lists the fields)
        "#]],
    );
    check(
        "type,event_id\n",
        expect![[r#"
        Csv
        error: t:1: CSV header: no `occurred_at` column; every event needs one
    "#]],
    );
    check(
        "type,event_id,occurred_at,type\n",
        expect![[r#"
        Csv
        error: t:1: CSV header: column `type` appears twice
    "#]],
    );
    check(
        "type,event_id,occurred_at,recorded_at\n",
        expect![[r#"
        Csv
        error: t:1: CSV header: column `recorded_at` is assigned by carequeue when an event is stored, so a source may not supply it
    "#]],
    );
    check(
        "type,event_id,occurred_at,request_id,urgency\n\
         request.triaged,e1,2024-03-01T09:30:00Z,r1\n\
         request.triaged,e2,2024-03-01T09:30:00Z,r1,soon\n\
         request.triaged,e3,2024-03-01T09:30:00Z,,urgent\n\
         request.triaged,e4,\"2024-03-01T09:30:00Z\n,r1,urgent\n\
         request.triaged,e5,2024-03-01T09:30:00Z,r1,urgent\n",
        expect![[r#"
            Csv
            error: t:2: row has 4 cells but the header names 5 columns
            error: t:3: field `urgency`: expected one of urgent, routine, found "soon"
            error: t:4: field `request_id`: required for `request.triaged` events, but absent
            error: t:5: row has 3 cells but the header names 5 columns
        "#]],
    );
    check_bytes(
        b"type,event_id,occurred_at,request_id,urgency\nrequest.triaged,e\xff1,2024-03-01T09:30:00Z,r1,urgent\n",
        expect![[r#"
            Csv
            error: t:2: field `event_id`: expected valid UTF-8 text, found 3 bytes with an invalid byte at byte 2
        "#]],
    );
}

#[test]
fn written_ndjson_and_csv_read_back_to_the_same_events() {
    let input = include_str!("../../../examples/small-plan.ndjson");
    let events: Vec<events::Event> =
        Reader::new(input.as_bytes(), "small-plan").unwrap().map(|r| r.unwrap().value).collect();
    assert!(events.len() > 50, "the example plan has {} events", events.len());

    let mut ndjson = Vec::new();
    let mut scratch = Vec::new();
    let mut csv = CsvWriter::new(Vec::new()).unwrap();
    for event in &events {
        write_ndjson(&mut ndjson, event, &mut scratch).unwrap();
        csv.write(event).unwrap();
    }
    let csv = csv.finish().unwrap();

    for (name, bytes) in [("ndjson", &ndjson), ("csv", &csv)] {
        let back: Vec<events::Event> =
            Reader::new(bytes.as_slice(), name).unwrap().map(|r| r.unwrap().value).collect();
        assert_eq!(back, events, "{name} round trip");
    }
}

/// Ids and texts that a spreadsheet would run as formulas are written
/// safely, and read back unchanged.
#[test]
fn formula_cells_are_written_safely_and_read_back_unchanged() {
    let input = r#"{"event_id":"=1+1","type":"clinic.registered","occurred_at":"2024-01-02T08:00:00-08:00","clinic":"+c","time_zone":"America/Los_Angeles","network":"-n","name":"'=already quoted"}
{"event_id":"@e","type":"request.opened","occurred_at":"2024-01-08T10:00:00-08:00","request_id":"=HYPERLINK","patient_id":"-p","clinic":"+c","urgency":"routine","provider_type":"sud","visit":"initial"}
{"event_id":"plain","type":"request.closed","occurred_at":"2024-01-09T10:00:00-08:00","request_id":"=HYPERLINK","reason":"other"}
"#;
    let events: Vec<events::Event> =
        Reader::new(input.as_bytes(), "ids").unwrap().map(|r| r.unwrap().value).collect();
    let mut csv = CsvWriter::new(Vec::new()).unwrap();
    for event in &events {
        csv.write(event).unwrap();
    }
    let csv = String::from_utf8(csv.finish().unwrap()).unwrap();
    // No cell starts with a formula's first character.
    for line in csv.lines().skip(1) {
        for cell in line.split(',') {
            assert!(!cell.trim_start_matches('"').starts_with(['=', '+', '-', '@']), "{line}");
        }
    }
    expect![[r#"
        '=1+1,clinic.registered,2024-01-02T08:00:00-08:00,,,'+c,America/Los_Angeles,'-n,''=already quoted,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,
    "#]]
    .assert_eq(&format!("{}\n", csv.lines().nth(1).unwrap()));
    let back: Vec<events::Event> =
        Reader::new(csv.as_bytes(), "csv").unwrap().map(|r| r.unwrap().value).collect();
    assert_eq!(back, events);

    let mut table = TableWriter::new(Vec::new(), Some("a note"), ["id", "n"]).unwrap();
    table.row(["=SUM(A1)", "3"]).unwrap();
    table.row(["-x", "@y"]).unwrap();
    table.row(["-1785600", "-0.25"]).unwrap();
    let table = String::from_utf8(table.finish().unwrap()).unwrap();
    expect![[r#"
        # a note
        id,n
        '=SUM(A1),3
        '-x,'@y
        -1785600,-0.25
    "#]]
    .assert_eq(&table);
}

mod cells {
    use proptest::prelude::*;

    use crate::{escape_cell, unescape_cell};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

        /// Escaping is undone exactly, and an escaped cell never starts a
        /// formula.
        #[test]
        fn escaping_round_trips(text in "['=+@\\-\t\ra-z0-9.]{0,6}") {
            let escaped = escape_cell(&text);
            prop_assert_eq!(unescape_cell(&escaped), text.as_str());
            let number = text.trim_start_matches('-').split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                && text.matches('.').count() <= 1
                && text.matches('-').count() <= usize::from(text.starts_with('-'));
            prop_assert!(number || !escaped.starts_with(['=', '+', '-', '@', '\t', '\r']), "{escaped}");
        }

        /// A cell carequeue would not have changed reads as it is.
        #[test]
        fn unchanged_cells_read_as_they_are(text in "['=+@\\-a-z0-9.]{0,6}") {
            if escape_cell(&text) == text.as_str() {
                prop_assert_eq!(unescape_cell(&text), text.as_str());
            }
        }
    }
}

mod properties {
    //! No input makes a reader panic: arbitrary bytes, and valid files with
    //! random damage.

    use proptest::prelude::*;

    use crate::Reader;

    const VALID_NDJSON: &str = include_str!("../../../examples/small-plan.ndjson");
    const VALID_CSV: &str = include_str!("../../../examples/small-plan.csv");

    /// Reads everything; the property is that this returns.
    fn read_all(bytes: &[u8]) -> usize {
        match Reader::new(bytes, "prop") {
            Ok(reader) => reader.count(),
            Err(_) => 0,
        }
    }

    /// A prefix of a valid file with bytes replaced, inserted and removed.
    fn damaged(valid: &'static str) -> impl Strategy<Value = Vec<u8>> {
        let len = valid.len().min(4000);
        (
            Just(valid.as_bytes()[..len].to_vec()),
            proptest::collection::vec((0..len, any::<u8>(), 0..3u8), 1..12),
        )
            .prop_map(|(mut bytes, edits)| {
                for (pos, byte, op) in edits {
                    let pos = pos.min(bytes.len().saturating_sub(1));
                    match op {
                        0 if !bytes.is_empty() => bytes[pos] = byte,
                        1 => bytes.insert(pos, byte),
                        _ if !bytes.is_empty() => {
                            bytes.remove(pos);
                        }
                        _ => {}
                    }
                }
                bytes
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
            read_all(&bytes);
        }

        #[test]
        fn arbitrary_text_lines_never_panic(text in "(\\{[\\PC\"{}:,\\[\\]0-9a-z_.]{0,120}\\}\n){0,20}") {
            read_all(text.as_bytes());
        }

        #[test]
        fn damaged_ndjson_never_panics(bytes in damaged(VALID_NDJSON)) {
            read_all(&bytes);
        }

        #[test]
        fn damaged_csv_never_panics(bytes in damaged(VALID_CSV)) {
            read_all(&bytes);
        }
    }
}

#[test]
fn a_csv_record_cannot_grow_without_end() {
    // A quoted cell with a newline every 1000 bytes: no line is long, but
    // the record is.
    let mut input = String::from(
        "type,event_id,occurred_at,request_id,kind\nharm.reported,e1,2024-01-01T00:00:00Z,r1,\"",
    );
    for _ in 0..2000 {
        input.push_str(&"x".repeat(999));
        input.push('\n');
    }
    input.push_str("\"\n");
    check(
        &input,
        expect![[r#"
        Csv
        error: t:2: line or record longer than 1048576 bytes; an event is a single line of a few hundred bytes
    "#]],
    );
}

mod binary {
    //! The binary encoding reports spill to disk: every event comes back
    //! equal, and damaged bytes are errors, never panics.

    use proptest::prelude::*;

    fn plan() -> Vec<events::Event> {
        let text = include_str!("../../../examples/small-plan.ndjson");
        crate::Reader::new(text.as_bytes(), "plan").unwrap().map(|r| r.unwrap().value).collect()
    }

    fn encoded(event: &events::Event) -> Vec<u8> {
        let mut out = Vec::new();
        event.encode(&mut out);
        out
    }

    #[test]
    fn every_event_of_the_example_plan_comes_back_equal() {
        let events = plan();
        let mut types: Vec<&str> = events.iter().map(|e| e.event_type().as_str()).collect();
        types.sort();
        types.dedup();
        assert_eq!(types.len(), events::EventType::ALL.len(), "the plan has every type");
        for event in &events {
            let bytes = encoded(event);
            assert_eq!(&events::Event::decode(&bytes).unwrap(), event);
            // Smaller than the canonical JSON it stands for.
            assert!(bytes.len() < event.canonical_json().len(), "{}", event.event_id);
        }
    }

    #[test]
    fn a_truncated_or_extended_encoding_is_an_error() {
        for event in plan() {
            let bytes = encoded(&event);
            for cut in 0..bytes.len() {
                assert!(
                    events::Event::decode(&bytes[..cut]).is_err(),
                    "{} cut at {cut}",
                    event.event_id
                );
            }
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(events::Event::decode(&longer).is_err());
        }
    }

    proptest! {
        #[test]
        fn any_bytes_decode_or_fail_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = events::Event::decode(&bytes);
        }

        #[test]
        fn damaged_encodings_decode_to_valid_events_or_fail(
            which in 0usize..199, at in any::<prop::sample::Index>(), byte in any::<u8>(),
        ) {
            let events = plan();
            let event = &events[which % events.len()];
            let mut bytes = encoded(event);
            let at = at.index(bytes.len());
            bytes[at] = byte;
            // What decodes is a valid event: its canonical form parses back to it.
            if let Ok(decoded) = events::Event::decode(&bytes) {
                let json = String::from_utf8(decoded.canonical_json()).unwrap();
                prop_assert_eq!(crate::event_from_json(&json).unwrap(), decoded);
            }
        }
    }
}
