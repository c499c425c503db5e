//! Training and test sets of your own: P points x_p ∈ ℝ^d with values y_p, read from `.npy`,
//! `.npz` or CSV files ([`read_data`]) or given as arrays ([`Dataset::new`]).
//!
//! A data set replaces the target's law: gd descends the empirical loss
//! ℓ = (1/2P) Σ_p |y_p − f_n(x_p)|² on its points and sgd draws minibatches from them; online
//! and exact modes need a law to draw from or integrate against and refuse a data set (config
//! validation). The points need not lie on a sphere: the run uses the RMS radius
//! R = (1/P Σ_p |x_p|²)^{1/2} of the training inputs wherever the 3-spin target uses √d (the
//! sphere of the initial centres, the default RBF width σ = R/2), and C_f = (1/2P) Σ_p y_p² of
//! the training set as the unit of relative losses.
//!
//! A set's identity is its [`Dataset::fingerprint`] (FNV-1a over the bits of x row by row, then
//! y): the same numbers give the same fingerprint whatever the file format, or arrays from
//! Python. A config records it with the file's path; resuming re-reads the file and refuses one
//! whose numbers changed.
//!
//! Formats ([`read_data`]):
//! - `.npz` with arrays `x` (P × d) and `y` (P, or P × 1), as `numpy.savez(f, x=x, y=y)` or
//!   `savez_compressed` writes them;
//! - a pair `X.npy,Y.npy` (comma-separated) of such arrays, or one `.npy` of shape P × (d + 1)
//!   whose last column is y;
//! - CSV (any other extension): one point per line, d + 1 numbers separated by commas, the last
//!   one y; a first line that is not all numbers is a header and skipped; `#` starts a comment.
//!
//! Every array may be float64, float32 or an integer type, little- or big-endian, C or Fortran
//! order. Every failure names the file and what is wrong ([`DataError`]).

mod csv_file;
mod npy;

use crate::points::PointSet;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Largest dimension of a data set's inputs.
pub const MAX_DATA_DIM: usize = 1 << 16;

/// Why a data set could not be read or used: the file (or the arrays given in memory) and
/// what is wrong with it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{}{file}: {reason}", if *from_file { "data file " } else { "" })]
pub struct DataError {
    /// The file as given, or what the set is (`data arrays`, `test data`, ...).
    pub file: String,
    /// Whether `file` is a file's path.
    pub from_file: bool,
    /// What is wrong, in words (one line).
    pub reason: String,
}

impl DataError {
    /// An error of the file `file`.
    pub(crate) fn new(file: &str, reason: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            from_file: true,
            reason: reason.into(),
        }
    }

    /// An error of a set given in memory (or known by its role), e.g. `data arrays`.
    pub fn about(what: &str, reason: impl Into<String>) -> Self {
        Self {
            file: what.to_string(),
            from_file: false,
            reason: reason.into(),
        }
    }
}

/// P points x_p ∈ ℝ^d (row-major) with values y_p, all finite, P ≥ 1, d ≥ 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    x: Vec<f64>,
    y: Vec<f64>,
    dim: usize,
}

impl Dataset {
    /// The set of `x` (P × `dim`, row-major) and `y` (P values); `origin` names it in errors
    /// (a file, or `arrays`). Refuses empty sets, a length of `x` that is not P · dim, and
    /// non-finite values (naming the first one's row and column).
    pub fn new(x: Vec<f64>, y: Vec<f64>, dim: usize, origin: &str) -> Result<Self, DataError> {
        Self::checked(x, y, dim, origin, true)
    }

    /// As [`Dataset::new`] for arrays given in memory: `what` names them in errors
    /// (`data arrays`, ...).
    pub fn from_arrays(
        x: Vec<f64>,
        y: Vec<f64>,
        dim: usize,
        what: &str,
    ) -> Result<Self, DataError> {
        Self::checked(x, y, dim, what, false)
    }

    fn checked(
        x: Vec<f64>,
        y: Vec<f64>,
        dim: usize,
        origin: &str,
        from_file: bool,
    ) -> Result<Self, DataError> {
        let bad = |r: String| {
            Err(DataError {
                file: origin.to_string(),
                from_file,
                reason: r,
            })
        };
        if dim == 0 || dim > MAX_DATA_DIM {
            return bad(format!(
                "the inputs have dimension {dim}; it must be in 1..={MAX_DATA_DIM}"
            ));
        }
        if y.is_empty() {
            return bad("it has no points (P = 0)".into());
        }
        if y.len() > crate::config::MAX_POINTS {
            return bad(format!(
                "it has {} points, more than {}",
                y.len(),
                crate::config::MAX_POINTS
            ));
        }
        if x.len() != y.len() * dim {
            return bad(format!(
                "x has {} values, y has {} points: x must be P × d = {} × {dim}",
                x.len(),
                y.len(),
                y.len()
            ));
        }
        if let Some(k) = x.iter().position(|v| !v.is_finite()) {
            return bad(format!(
                "x[{}, {}] = {} is not finite",
                k / dim,
                k % dim,
                x[k]
            ));
        }
        if let Some(p) = y.iter().position(|v| !v.is_finite()) {
            return bad(format!("y[{p}] = {} is not finite", y[p]));
        }
        Ok(Self { x, y, dim })
    }

    /// Number of points P.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Always false (a data set has at least one point).
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Dimension d of the inputs.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The inputs, P × d row-major.
    pub fn x(&self) -> &[f64] {
        &self.x
    }

    /// The values y_p.
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// FNV-1a (64 bits) over the bits of x row by row, then of y, as 16 hex digits.
    pub fn fingerprint(&self) -> String {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut h = OFFSET;
        for v in self.x.iter().chain(&self.y) {
            for byte in v.to_bits().to_le_bytes() {
                h = (h ^ u64::from(byte)).wrapping_mul(PRIME);
            }
        }
        format!("{h:016x}")
    }

    /// RMS radius R = (1/P Σ_p |x_p|²)^{1/2} of the inputs (the scale of the run: the sphere of
    /// the initial centres and the default σ = R/2).
    pub fn rms_radius(&self) -> f64 {
        let s: f64 = self.x.iter().map(|v| v * v).sum();
        (s / self.len() as f64).sqrt()
    }

    /// C_f = (1/2P) Σ_p y_p², the loss of the zero network on this set.
    pub fn zero_network_loss(&self) -> f64 {
        0.5 * self.y.iter().map(|v| v * v).sum::<f64>() / self.len() as f64
    }

    /// The set as a [`PointSet`] (the layout of the batched passes).
    pub fn point_set(&self) -> PointSet {
        let mut s = PointSet::zeros(self.len(), self.dim);
        let d = self.dim;
        {
            let mut x = s.x_mut();
            for p in 0..self.len() {
                for k in 0..d {
                    x[(p, k)] = self.x[p * d + k];
                }
            }
        }
        s.set_values(&self.y);
        s
    }

    /// The record of this set in a config, read from `path` (`None`: given as arrays).
    pub fn source(&self, path: Option<String>) -> DataSource {
        DataSource {
            path,
            points: self.len(),
            dim: self.dim,
            fingerprint: self.fingerprint(),
            radius: self.rms_radius(),
        }
    }
}

/// A data set as a config records it (`data.train`, `data.test` in config and summary JSON).
/// Two records are equal when they describe the same numbers, wherever the file is (the path
/// is not compared): scans on the same data in other folders merge and resume.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DataSource {
    /// The file as `--data` / `--test-data` named it, made absolute (`X.npy,Y.npy` for a
    /// pair); absent for arrays given in memory (Python), which must be given again to resume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Number of points P.
    pub points: usize,
    /// Dimension d of the inputs.
    pub dim: usize,
    /// [`Dataset::fingerprint`] of the numbers.
    pub fingerprint: String,
    /// [`Dataset::rms_radius`].
    pub radius: f64,
}

impl PartialEq for DataSource {
    fn eq(&self, other: &Self) -> bool {
        self.points == other.points
            && self.dim == other.dim
            && self.fingerprint == other.fingerprint
            && self.radius.to_bits() == other.radius.to_bits()
    }
}

impl DataSource {
    /// Reads the set this record names and checks that it is the same set (its fingerprint).
    pub fn load(&self) -> Result<Dataset, DataError> {
        let path = self.path.as_deref().ok_or_else(|| {
            DataError::about(
                "data arrays",
                "the run's data were given as arrays: give them again (Python: data=(x, y))",
            )
        })?;
        let set = read_data(path)?;
        self.check(&set, path)?;
        Ok(set)
    }

    /// Checks that `set` is the set this record describes.
    pub fn check(&self, set: &Dataset, origin: &str) -> Result<(), DataError> {
        let fp = set.fingerprint();
        if fp != self.fingerprint || set.len() != self.points || set.dim() != self.dim {
            return Err(DataError::about(
                origin,
                format!(
                    "its numbers changed since the run started (P = {}, d = {}, fingerprint {fp}; the run's: P = {}, d = {}, fingerprint {})",
                    set.len(),
                    set.dim(),
                    self.points,
                    self.dim,
                    self.fingerprint
                ),
            ));
        }
        Ok(())
    }
}

/// The data sets of a run (`--data`, `--test-data`): the test set is the training set when
/// none is given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSets {
    /// The training set.
    pub train: DataSource,
    /// The test set, if one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<DataSource>,
}

impl DataSets {
    /// The record of the test set (the training set's when none was given).
    pub fn test_or_train(&self) -> &DataSource {
        self.test.as_ref().unwrap_or(&self.train)
    }
}

/// Reads a data set from `path`: `X.npy,Y.npy`, `.npy`, `.npz` or CSV (module docs).
pub fn read_data(path: &str) -> Result<Dataset, DataError> {
    // a pair `X.npy,Y.npy` (unless a file of that very name exists)
    if let Some((xs, ys)) = path.split_once(',')
        && !Path::new(path).is_file()
    {
        return npy::read_pair(xs.trim(), ys.trim(), path);
    }
    let ext = Path::new(path)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("npz") => npy::read_npz(path),
        Some("npy") => npy::read_joined(path),
        _ => csv_file::read_csv(path),
    }
}

/// `path` made absolute (against the working folder) for a config record; a pair
/// `X.npy,Y.npy` has both made absolute.
pub fn absolute_path(path: &str) -> String {
    let one = |p: &str| {
        let p = Path::new(p.trim());
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_path_buf())
            .display()
            .to_string()
    };
    match path.split_once(',') {
        Some((a, b)) => format!("{},{}", one(a), one(b)),
        None => one(path),
    }
}

/// Reads a file's bytes, naming it in the error.
fn read_bytes(path: &str) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|e| DataError::new(path, format!("cannot be read ({e})")))
}

#[cfg(test)]
mod tests;
