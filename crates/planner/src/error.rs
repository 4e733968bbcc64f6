use std::fmt;

/// Inputs the planner cannot use.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A quantity is not a finite number in its range.
    Invalid {
        /// The parameter's name, as the command line spells it.
        name: &'static str,
        /// What was expected.
        expected: &'static str,
        /// The value given.
        found: f64,
    },
    /// The queue cannot keep up: the load is at or above the servers.
    Unstable {
        /// Offered load, λ/μ (or ρ for single-server forms).
        load: f64,
        /// Servers (1 for single-server forms).
        servers: u32,
    },
    /// No number of servers up to the limit meets the target.
    Unreachable {
        /// The largest number of servers tried.
        limit: u32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid { name, expected, found } => {
                write!(f, "{name}: expected {expected}, found {found}")
            }
            Error::Unstable { load, servers } => write!(
                f,
                "the queue is unstable: offered load {load:.4} is not below {servers} server(s)"
            ),
            Error::Unreachable { limit } => {
                write!(f, "no number of servers up to {limit} meets the target")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Checks that `value` is finite and positive.
pub(crate) fn positive(name: &'static str, value: f64) -> Result<f64, Error> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::Invalid { name, expected: "a positive number", found: value })
    }
}

/// Checks that `value` is finite and not negative.
pub(crate) fn non_negative(name: &'static str, value: f64) -> Result<f64, Error> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(Error::Invalid { name, expected: "a number of 0 or more", found: value })
    }
}
