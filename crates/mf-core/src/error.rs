//! Errors of training runs.

/// Why a run could not start or stopped.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A config field is outside its allowed range (the field is named as its CLI flag, without
    /// the leading dashes).
    #[error("invalid --{}: must be {allowed}", field.replace('_', "-"))]
    Config {
        /// Field name, e.g. `width`.
        field: &'static str,
        /// Allowed range, in words.
        allowed: String,
    },
    /// The loss became non-finite or grew beyond 1e6 × its initial value (or an adaptive step
    /// underflowed).
    #[error("the run diverged at step {step} (loss {loss:e}); try a smaller --dt than {dt}")]
    Diverged {
        /// Step at which it was detected.
        step: u64,
        /// The offending loss.
        loss: f64,
        /// The step size in use.
        dt: f64,
    },
    /// A step rule failed for a reason it states (e.g. a linear system it cannot solve).
    #[error("step {step} failed: {reason}")]
    Step {
        /// Step at which it failed.
        step: u64,
        /// What went wrong.
        reason: String,
    },
    /// The unit given does not match the one the config or checkpoint names.
    #[error("unit mismatch: {0}")]
    Unit(String),
    /// Reading or writing files failed.
    #[error("{0}")]
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
