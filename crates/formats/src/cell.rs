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
//! files back unchanged.

use std::borrow::Cow;

/// The characters that start a formula.
const TRIGGERS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// `text` as a cell a spreadsheet shows as text.
pub fn escape_cell(text: &str) -> Cow<'_, str> {
    if text.trim_start_matches('\'').starts_with(TRIGGERS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The text of a cell written by [`escape_cell`]; a cell it would not have
/// changed is given back as it is.
pub fn unescape_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(TRIGGERS) => rest,
        _ => cell,
    }
}
