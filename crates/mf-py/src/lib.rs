//! `meanfield._native`: the Rust side of the `meanfield` Python package (the pure-Python
//! layer in `python/meanfield` gives it its documented API).
//!
//! Every entry point releases the GIL while it computes, re-attaching every
//! `SIGNAL_CHECK` (50 ms) to let Python handle Ctrl-C, and never lets a panic cross into Python
//! (`guard`): errors arrive as `ValueError` (bad input: the message names the field and its
//! allowed range, as the command line's do) or `meanfield.MeanfieldError` (a `RuntimeError`:
//! a run that failed, e.g. diverged).

mod arrays;
mod run;
mod scan;
mod target;

use mf_cli::CliError;
use mf_stats::ScanError;
use mf_stats::mf_core::TrainError;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

pyo3::create_exception!(
    meanfield._native,
    MeanfieldError,
    PyRuntimeError,
    "A run or scan that failed (diverged, a file that cannot be written, ...)."
);

/// How often a long computation lets Python handle signals (Ctrl-C).
pub(crate) const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// A command-line error as a Python exception: usage errors are `ValueError`.
pub(crate) fn cli_err(e: CliError) -> PyErr {
    match e {
        CliError::Usage(m) => PyValueError::new_err(m),
        CliError::Run(m) => MeanfieldError::new_err(m),
    }
}

/// A run's error as a Python exception: config and data errors are `ValueError`.
pub(crate) fn train_err(e: TrainError) -> PyErr {
    match e {
        TrainError::Config { .. } | TrainError::Data(_) => PyValueError::new_err(e.to_string()),
        _ => MeanfieldError::new_err(e.to_string()),
    }
}

/// A scan's error as a Python exception.
pub(crate) fn scan_err(e: ScanError) -> PyErr {
    match e {
        ScanError::Train(t) => train_err(t),
        ScanError::Config { .. } | ScanError::Mismatch { .. } => {
            PyValueError::new_err(e.to_string())
        }
        _ => MeanfieldError::new_err(e.to_string()),
    }
}

/// Runs `f`, turning a panic into `MeanfieldError` instead of letting it unwind into Python.
pub(crate) fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        Err(MeanfieldError::new_err(format!(
            "internal error (please report it): {msg}"
        )))
    })
}

/// The defaults of `mf train` (`"train"`) or `mf scan` (`"scan"`) flags, by long name.
#[pyfunction]
fn flag_defaults(command: &str) -> Vec<(String, Option<String>)> {
    mf_cli::api::flag_defaults(command)
}

/// Panics inside `guard`: the test that no panic crosses into Python (it must arrive as
/// `MeanfieldError`).
#[pyfunction]
fn _panic_for_tests() -> PyResult<()> {
    guard(|| panic!("a deliberate panic of the test suite"))
}

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MeanfieldError", m.py().get_type::<MeanfieldError>())?;
    m.add_class::<run::NativeRun>()?;
    m.add_class::<target::NativeTarget>()?;
    m.add_function(wrap_pyfunction!(scan::scan, m)?)?;
    m.add_function(wrap_pyfunction!(target::read_data, m)?)?;
    m.add_function(wrap_pyfunction!(target::make_target, m)?)?;
    m.add_function(wrap_pyfunction!(flag_defaults, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
