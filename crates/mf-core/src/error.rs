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
    /// An adaptive rule's step size fell below 10⁻¹⁴ of its first step (or the loss is not
    /// finite): the flow is singular or too stiff for the rule there.
    #[error(
        "the {rule} rule's step size fell to {h:e} at step {step} (t = {time}): the flow is too stiff or singular there for this rule; try --step-rule rodas3 (the stiff rule) or a looser --tol"
    )]
    StepUnderflow {
        /// Step at which it happened.
        step: u64,
        /// Mean-field time reached.
        time: f64,
        /// The last step size tried.
        h: f64,
        /// The rule's name.
        rule: String,
    },
    /// A step rule cannot run on this field.
    #[error("step {step} failed: {source}")]
    Step {
        /// Step at which it failed.
        step: u64,
        /// Why.
        source: crate::dynamics::StepError,
    },
    /// The unit given does not match the one the config or checkpoint names.
    #[error("unit mismatch: {0}")]
    Unit(String),
    /// Reading, writing or parsing a run's file failed.
    #[error("cannot {action} {}: {reason}", path.display())]
    File {
        /// What was being done.
        action: FileAction,
        /// The file (or what was being serialised).
        path: std::path::PathBuf,
        /// The underlying error, in words.
        reason: String,
    },
    /// A data set (`--data`, `--test-data`, arrays from Python) that cannot be read or used.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// A checkpoint whose particles do not match its config.
    #[error("the checkpoint does not match its config ({0})")]
    Checkpoint(&'static str),
}

/// What was being done to a file when it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction {
    /// Reading it.
    Read,
    /// Writing it.
    Write,
    /// Parsing its contents.
    Parse,
    /// Serialising a value for it.
    Serialise,
}

impl std::fmt::Display for FileAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Parse => "parse",
            Self::Serialise => "serialise",
        })
    }
}

impl TrainError {
    /// A file error: `action` on `path` failed with `reason`.
    pub fn file(
        action: FileAction,
        path: &std::path::Path,
        reason: impl std::fmt::Display,
    ) -> Self {
        Self::File {
            action,
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }

    /// A config error for `field` with its allowed range.
    pub fn config(field: &'static str, allowed: impl Into<String>) -> Self {
        Self::Config {
            field,
            allowed: allowed.into(),
        }
    }
}
