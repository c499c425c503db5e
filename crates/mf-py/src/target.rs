//! Targets from Python: the shipped ones (`meanfield.target`), data sets
//! (`meanfield.Target.from_data`) and data files (`meanfield.read_data`).

use crate::arrays::{dataset, matrix};
use crate::{guard, train_err};
use mf_stats::mf_core::data::read_data as read_file;
use mf_stats::mf_core::faer::{Mat, Par};
use mf_stats::mf_core::target::{DataTarget, Target, TargetName, target_for};
use mf_stats::mf_core::{TrainConfig, UnitKind};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;

/// A target function f on S^{d−1}(R), or a data set.
#[pyclass(module = "meanfield._native", frozen)]
pub struct NativeTarget {
    pub(crate) target: Arc<dyn Target>,
    pub(crate) name: String,
}

#[pymethods]
impl NativeTarget {
    /// A data set as a target (x: P × d, y: P).
    #[staticmethod]
    fn from_data(x: PyReadonlyArray2<'_, f64>, y: PyReadonlyArray1<'_, f64>) -> PyResult<Self> {
        let set = dataset(&x, &y, "data arrays")?;
        let t = DataTarget::new(set, None).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Self {
            target: Arc::new(t),
            name: "data".into(),
        })
    }

    /// The registry name (`spin3`, `teacher`, `data`).
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// Dimension d.
    #[getter]
    fn dim(&self) -> usize {
        self.target.dim()
    }

    /// Radius R of the data sphere (a data set: the RMS radius of its inputs).
    #[getter]
    fn radius(&self) -> f64 {
        self.target.radius()
    }

    /// E_ν f² = 2 C_f (a data set: the mean of y² over its points).
    #[getter]
    fn mean_square(&self) -> f64 {
        2.0 * self.target.zero_network_loss()
    }

    /// f at the rows of `x` (P × d).
    fn energy<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        if self.target.data().is_some() {
            return Err(PyValueError::new_err(
                "a data set has values only at its points (its .y); energy(x) needs a target with a law (spin3, teacher)",
            ));
        }
        let (v, p, d) = matrix(&x);
        if d != self.target.dim() {
            return Err(PyValueError::new_err(format!(
                "x: {d} columns; the target has dimension {}",
                self.target.dim()
            )));
        }
        let target = self.target.clone();
        let out = py.detach(|| {
            guard(|| {
                let m = Mat::from_fn(p, d, |i, k| v[i * d + k]);
                let mut out = vec![0.0; p];
                target.values_into(m.as_ref(), &mut out, Par::rayon(0));
                Ok(out)
            })
        })?;
        Ok(PyArray1::from_vec(py, out))
    }

    /// The inputs of a data set (P × d); `None` for other targets.
    #[getter]
    fn x<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        let Some(d) = self.target.data() else {
            return Ok(None);
        };
        let set = d.train();
        let rows: Vec<Vec<f64>> = set.x().chunks(set.dim()).map(<[f64]>::to_vec).collect();
        PyArray2::from_vec2(py, &rows)
            .map(Some)
            .map_err(|e| PyValueError::new_err(e.to_string()))
    }

    /// The values of a data set (P); `None` for other targets.
    #[getter]
    fn y<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        self.target
            .data()
            .map(|d| PyArray1::from_vec(py, d.train().y().to_vec()))
    }
}

/// The shipped target `name` of dimension `dim` from `seed` (teacher: width and σ).
#[pyfunction]
#[pyo3(signature = (name, dim, seed, teacher_width = None, sigma = None))]
pub fn make_target(
    py: Python<'_>,
    name: &str,
    dim: usize,
    seed: u64,
    teacher_width: Option<usize>,
    sigma: Option<f64>,
) -> PyResult<NativeTarget> {
    let mut cfg = TrainConfig::new(UnitKind::named("rbf"), dim, 1, 1, 1.0, seed);
    cfg.target = TargetName::parse(name)
        .filter(|t| t.as_str() != "data")
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "invalid target: must be spin3 or teacher (a data set: Target.from_data(x, y)), not {name:?}"
            ))
        })?;
    if name != "teacher" && (teacher_width.is_some() || sigma.is_some()) {
        return Err(PyValueError::new_err(
            "invalid teacher_width / sigma: only with target=\"teacher\"",
        ));
    }
    cfg.teacher_width = teacher_width;
    cfg.sigma = sigma;
    cfg.validate().map_err(train_err)?;
    let target = py.detach(|| guard(|| target_for(&cfg).map_err(train_err)))?;
    Ok(NativeTarget {
        target,
        name: name.to_string(),
    })
}

/// (x, y) of a data set as NumPy arrays.
type XyArrays<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>);

/// Reads a data file (`.npz`, `X.npy,Y.npy`, `.npy`, CSV) as (x, y).
#[pyfunction]
pub fn read_data<'py>(py: Python<'py>, path: &str) -> PyResult<XyArrays<'py>> {
    let path = path.to_string();
    let set =
        py.detach(|| guard(|| read_file(&path).map_err(|e| PyValueError::new_err(e.to_string()))))?;
    let rows: Vec<Vec<f64>> = set.x().chunks(set.dim()).map(<[f64]>::to_vec).collect();
    let x = PyArray2::from_vec2(py, &rows).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok((x, PyArray1::from_vec(py, set.y().to_vec())))
}
