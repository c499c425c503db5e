//! NumPy arrays in and out (inputs arrive as C-contiguous float64 from the Python layer; any
//! layout is read in logical row-major order all the same).

use mf_stats::mf_core::data::Dataset;
use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// A P × d array as (row-major values, P, d).
pub(crate) fn matrix(x: &PyReadonlyArray2<'_, f64>) -> (Vec<f64>, usize, usize) {
    let shape = x.shape();
    let v: Vec<f64> = x.as_array().iter().copied().collect();
    (v, shape[0], shape[1])
}

/// A data set from arrays `x` (P × d) and `y` (P); `what` names it in errors.
pub(crate) fn dataset(
    x: &PyReadonlyArray2<'_, f64>,
    y: &PyReadonlyArray1<'_, f64>,
    what: &str,
) -> PyResult<Dataset> {
    let (xv, p, d) = matrix(x);
    let yv: Vec<f64> = y.as_array().iter().copied().collect();
    if yv.len() != p {
        return Err(PyValueError::new_err(format!(
            "{what}: x has {p} points (rows) but y has {} values: they must have the same P",
            yv.len()
        )));
    }
    Dataset::from_arrays(xv, yv, d, what).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The optional (x, y) pair of a data set.
pub(crate) type ArrayPair<'py> = Option<(PyReadonlyArray2<'py, f64>, PyReadonlyArray1<'py, f64>)>;
