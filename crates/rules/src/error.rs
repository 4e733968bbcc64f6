use std::fmt;

/// A rule file that cannot be used, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The file's name as given.
    pub source_name: String,
    /// The 1-based line.
    pub line: usize,
    /// The 1-based column.
    pub column: usize,
    /// What is wrong, and what was expected.
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.source_name, self.line, self.column, self.message)
    }
}

impl std::error::Error for Error {}
