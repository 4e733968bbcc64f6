//! Cells that are safe to open in a spreadsheet.
//!
//! A spreadsheet opening a CSV file runs a cell that starts with `=`, `+`,
//! `-` or `@` (or a tab or carriage return before one) as a formula: an id
//! such as `=HYPERLINK(...)` in a report would become a link, or worse, on a
//! compliance officer's machine (OWASP, "CSV Injection"). Every CSV that
//! carequeue writes puts a `'` before such a cell, which spreadsheets show
//! as text; a cell that already starts with `'` before one of those
//! characters gets one more, so that [`unescape_cell`] gives back exactly
//! what [`escape_cell`] was given, and the readers read carequeue's own
//! files back unchanged. A plain number (`-3`, `-0.25`) is left as it is:
//! a spreadsheet reads it as the number it is, and a column of seconds left
//! must stay numeric.

use std::borrow::Cow;

/// The characters that start a formula.
const TRIGGERS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// Whether `text` would start a formula (after any `'`s), and is not a
/// plain number.
fn needs_quote(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(TRIGGERS) && !is_number(text)
}

/// A plain decimal number, negative or not: `-12`, `-0.5`.
fn is_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !fraction.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// `text` as a cell a spreadsheet shows as text.
pub fn escape_cell(text: &str) -> Cow<'_, str> {
    if needs_quote(text) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// The text of a cell written by [`escape_cell`]; a cell it would not have
/// changed is given back as it is.
pub fn unescape_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => cell,
    }
}
