//! Errors of the spin-target crate.

use std::fmt;

/// Invalid input: names the field and the allowed range.
#[derive(Clone, Debug, PartialEq)]
pub enum SpinError {
    /// `field` is outside its allowed range `allowed`.
    Invalid {
        /// Name of the offending field.
        field: &'static str,
        /// Human-readable allowed range.
        allowed: String,
    },
}

impl fmt::Display for SpinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpinError::Invalid { field, allowed } => {
                write!(f, "invalid {field}: must be {allowed}")
            }
        }
    }
}

impl std::error::Error for SpinError {}
