//! Errors of scans: bad scan settings, folders holding another scan, failed cells, files.
//!
//! Every message is one line for the user. [`ScanError::Config`] (and a [`TrainError::Config`]
//! inside [`ScanError::Train`]) is bad input, naming the flag and its allowed range; everything
//! else is a failed run.

use mf_core::TrainError;
use mf_core::spin_target::SpinError;
use std::path::{Path, PathBuf};

/// An error of a scan or of its files.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// The run configuration of the cells (or a run outside any cell) failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// A scan setting is outside its allowed range (the field is named as its CLI flag, without
    /// the leading dashes and with `_` for `-`).
    #[error("invalid --{}: must be {allowed}", field.replace('_', "-"))]
    Config {
        /// Field name, e.g. `widths`.
        field: &'static str,
        /// Allowed range, in words.
        allowed: String,
    },
    /// The target of the probe set could not be built.
    #[error(transparent)]
    Target(#[from] SpinError),
    /// `dir` holds a different scan than the one asked for (`reference`: the folder it was
    /// compared with, when merging).
    #[error("{} holds a different scan{}", dir.display(), than(reference.as_deref()))]
    Mismatch {
        /// The folder holding the other scan.
        dir: PathBuf,
        /// The folder whose scan was expected (none: the scan being run).
        reference: Option<PathBuf>,
    },
    /// A folder of the scan could not be created.
    #[error("cannot create {}: {source}", path.display())]
    Io {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Cell (n, r) failed while running, e.g. diverged (the message names the step and the step
    /// size to lower).
    #[error("cell n={n} replica={replica}: {source}")]
    Cell {
        /// Width n.
        n: usize,
        /// Replica r.
        replica: u64,
        /// The failure of its run.
        source: TrainError,
    },
    /// A cell or aggregate could not be encoded as JSON.
    #[error("cannot encode {}: {source}", path.display())]
    Json {
        /// The file it was meant for.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// The scan was stopped (e.g. Ctrl-C from Python) before all its cells ran; the finished
    /// cells are kept and the scan resumes from them.
    #[error(
        "the scan was stopped after {done} of {total} cells (finished cells are kept: run it again to resume)"
    )]
    Stopped {
        /// Cells finished (computed or reused).
        done: usize,
        /// Cells of the scan (or shard).
        total: usize,
    },
    /// An aggregate could not be encoded as CSV.
    #[error("cannot encode {}: {source}", path.display())]
    Csv {
        /// The file it was meant for.
        path: PathBuf,
        /// Why.
        source: csv::Error,
    },
}

fn than(reference: Option<&Path>) -> String {
    match reference {
        Some(r) => format!(" than {}", r.display()),
        None => "; use another --out or remove it".to_string(),
    }
}

impl ScanError {
    /// A config error for `field` with its allowed range.
    pub fn config(field: &'static str, allowed: impl Into<String>) -> Self {
        Self::Config {
            field,
            allowed: allowed.into(),
        }
    }

    /// An I/O error on `path`.
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_flag_the_folder_and_the_cell() {
        assert_eq!(
            ScanError::config("probe_size", "an integer in 1..=1000000").to_string(),
            "invalid --probe-size: must be an integer in 1..=1000000"
        );
        let e = ScanError::Mismatch {
            dir: "a".into(),
            reference: None,
        };
        assert_eq!(
            e.to_string(),
            "a holds a different scan; use another --out or remove it"
        );
        let e = ScanError::Mismatch {
            dir: "b".into(),
            reference: Some("a".into()),
        };
        assert_eq!(e.to_string(), "b holds a different scan than a");
        let e = ScanError::Cell {
            n: 8,
            replica: 2,
            source: TrainError::Diverged {
                step: 7,
                loss: f64::INFINITY,
                dt: 0.5,
            },
        };
        assert_eq!(
            e.to_string(),
            "cell n=8 replica=2: the run diverged at step 7 (loss inf); try a smaller --dt than 0.5"
        );
    }
}
