use crate::field::Field;

/// One field's value as it appears in a source, before it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raw<'a> {
    /// The raw JSON text of a value in an NDJSON object: `"urgent"`, `3`,
    /// `true`, `["en","es"]` (never `null`: a null is an absent field).
    Json(&'a str),
    /// The text of a non-empty CSV cell (an empty cell is an absent field).
    Text(&'a str),
}

/// The fields of one record (an NDJSON object or a CSV row), unchecked.
///
/// Each field is present at most once. [`crate::Event::parse`] checks the
/// record against its event type.
#[derive(Debug, Clone)]
pub struct RawRecord<'a> {
    values: [Option<Raw<'a>>; Field::COUNT],
}

impl Default for RawRecord<'_> {
    fn default() -> Self {
        RawRecord { values: [None; Field::COUNT] }
    }
}

impl<'a> RawRecord<'a> {
    /// Sets a field. Returns `false`, and changes nothing, if the field was
    /// already set: a record may name a field only once.
    pub fn set(&mut self, field: Field, value: Raw<'a>) -> bool {
        let slot = &mut self.values[field.index()];
        if slot.is_some() {
            return false;
        }
        *slot = Some(value);
        true
    }

    /// The value of a field, if present.
    pub fn get(&self, field: Field) -> Option<Raw<'a>> {
        self.values[field.index()]
    }

    /// The fields present, in [`Field::ALL`] order.
    pub fn present(&self) -> impl Iterator<Item = Field> + '_ {
        Field::ALL.iter().copied().filter(|field| self.values[field.index()].is_some())
    }

    /// Removes every field, keeping the record for reuse.
    pub fn clear(&mut self) {
        self.values = [None; Field::COUNT];
    }
}
