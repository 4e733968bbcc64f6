//! NDJSON: one JSON object per line.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead};

use events::{Field, Raw, RawRecord};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::ErrorKind;

/// Reads one line into `buf` (without its line ending), never holding more
/// than `limit` bytes of it. Returns `Ok(None)` at the end of input, and
/// `Ok(Some(false))` when the line was longer than `limit` (the rest of the
/// line is consumed and dropped).
pub(crate) fn read_line_limited(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Option<bool>> {
    buf.clear();
    let mut read_any = false;
    let mut fits = true;
    loop {
        let available = match input.fill_buf() {
            Ok(available) => available,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if available.is_empty() {
            break;
        }
        read_any = true;
        let (chunk, done) = match memchr(b'\n', available) {
            Some(idx) => (&available[..idx], Some(idx + 1)),
            None => (available, None),
        };
        if fits && buf.len() + chunk.len() <= limit {
            buf.extend_from_slice(chunk);
        } else {
            fits = false;
            buf.clear();
        }
        let consumed = done.unwrap_or(available.len());
        input.consume(consumed);
        if done.is_some() {
            break;
        }
    }
    if !read_any {
        return Ok(None);
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(fits))
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Parses one NDJSON line into `record`, which borrows from `line`. Keys
/// that are no field are left out of the record and returned, so that the
/// record's other problems can be reported with them; a line that is no
/// JSON object, or names a field twice, is an error.
pub(crate) fn parse_object<'a>(
    line: &'a str,
    record: &mut RawRecord<'a>,
) -> Result<Vec<ErrorKind>, ErrorKind> {
    record.clear();
    let problem = Cell::new(None);
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_str(line);
    let result = RecordSeed { record, problem: &problem, unknown: &mut unknown }
        .deserialize(&mut de)
        .and_then(|()| de.end());
    match result {
        Ok(()) => Ok(unknown),
        Err(err) => Err(problem.take().unwrap_or_else(|| syntax(&err))),
    }
}

fn syntax(err: &serde_json::Error) -> ErrorKind {
    let text = err.to_string();
    let message = match text.rsplit_once(" at line ") {
        Some((message, _)) => message.to_owned(),
        None => text,
    };
    let column = (err.column() > 0).then_some(err.column());
    let message = if err.is_eof() {
        format!("{message}: the line ends before the JSON object does (a truncated line?)")
    } else {
        message
    };
    ErrorKind::Syntax { column, message }
}

/// Fills a record from a JSON object; problems that are not JSON syntax are
/// put in `problem`, so that they keep their own kind.
struct RecordSeed<'r, 'a> {
    record: &'r mut RawRecord<'a>,
    problem: &'r Cell<Option<ErrorKind>>,
    /// Keys that are no field of the vocabulary.
    unknown: &'r mut Vec<ErrorKind>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object (one event per line)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<Key>()? {
            let value: &'de RawValue = map.next_value()?;
            let field = match key {
                Key::Known(field) => field,
                Key::Unknown(name) => {
                    self.unknown.push(ErrorKind::UnknownField { name });
                    continue;
                }
            };
            if value.get() == "null" {
                continue;
            }
            if !self.record.set(field, Raw::Json(value.get())) {
                self.problem.set(Some(ErrorKind::DuplicateField { field }));
                return Err(de::Error::custom("duplicate field"));
            }
        }
        Ok(())
    }
}

enum Key {
    Known(Field),
    Unknown(String),
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Key, E> {
                Ok(match Field::from_name(name) {
                    Some(field) => Key::Known(field),
                    None => Key::Unknown(name.chars().take(80).collect()),
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}
