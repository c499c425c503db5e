//! Errors of training runs.

use std::fmt;

/// Why a run could not start or stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// A config field is outside its allowed range (the field is named as its CLI flag, without
    /// the leading dashes).
    Config {
        /// Field name, e.g. `width`.
        field: &'static str,
        /// Allowed range, in words.
        allowed: String,
    },
    /// The loss became non-finite or grew beyond 1e6 × its initial value.
    Diverged {
        /// Step at which it was detected.
        step: u64,
        /// The offending loss.
        loss: f64,
        /// The step size in use.
        dt: f64,
    },
    /// Reading or writing files failed.
    Io(String),
}

impl TrainError {
    /// A config error for `field` with its allowed range.
    pub fn config(field: &'static str, allowed: impl Into<String>) -> Self {
        Self::Config {
            field,
            allowed: allowed.into(),
        }
    }
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config { field, allowed } => {
                write!(
                    f,
                    "invalid --{}: must be {allowed}",
                    field.replace('_', "-")
                )
            }
            Self::Diverged { step, loss, dt } => write!(
                f,
                "the run diverged at step {step} (loss {loss:e}); try a smaller --dt than {dt}"
            ),
            Self::Io(msg) => write!(f, "{msg}"),
        }
    }
}

impl std::error::Error for TrainError {}
