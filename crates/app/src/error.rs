//! The application layer's one error type.

/// What can go wrong in the application layer. Each message says what and
/// where; none carries patient data beyond what the caller gave.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ledger could not be read (or is not a ledger).
    #[error(transparent)]
    Ledger(#[from] ledger::Error),
    /// A rule set or plan file is not valid.
    #[error(transparent)]
    Rules(#[from] rules::Error),
    /// A file could not be read or written.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// `read`, `write` or `create`.
        action: &'static str,
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A name is neither a shipped rule set nor a file.
    #[error("{name:?} is neither a shipped rule set ({shipped}) nor a file")]
    UnknownRuleSet {
        /// The name given.
        name: String,
        /// The shipped ids, comma-separated.
        shipped: String,
    },
    /// A plan file names one rule set in two ways.
    #[error(
        "{path}: the rule set {id:?} is named in two ways ({name:?} and another for {other}); \
         name it one way, so that its networks are judged and reported together"
    )]
    RuleSetNamedTwice {
        /// The plan file.
        path: String,
        /// The rule set's id.
        id: String,
        /// The second name.
        name: String,
        /// The networks the first name governs, in words.
        other: String,
    },
    /// A plan's rule sets, read one by one, did not see the same batches.
    #[error(
        "the ledger changed while the plan's rule sets were read one by one (one read counted \
         up to batch {first:?}, another up to {other:?}): run again, or give --as-of a moment \
         before the latest batch"
    )]
    ChangedBetweenReads {
        /// The last batch the first read counted.
        first: Option<u64>,
        /// The last batch another read counted.
        other: Option<u64>,
    },
    /// The staffing search failed.
    #[error(transparent)]
    Planner(#[from] planner::Error),
    /// A scenario is not valid.
    #[error(transparent)]
    Scenario(#[from] sim::ScenarioError),
    /// A value given is not valid (the message names it).
    #[error("{0}")]
    Invalid(String),
    /// A report's temporary files were changed or could not be handled, or
    /// a setting from the environment is not valid.
    #[error("{0}")]
    Work(String),
}

impl Error {
    /// An I/O error on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: &std::path::Path,
        source: std::io::Error,
    ) -> Error {
        Error::Io { action, path: path.display().to_string(), source }
    }
}
