//! Sets of data points with their target values, laid out for the batched passes.

use crate::target::Target;
use faer::{Mat, MatMut, MatRef, Par};
use spin_target::{StreamRng, sample_sphere};

/// P points x_p ∈ ℝ^d with targets y_p = f(x_p), stored as X̃ = [X, 1] (P × (d+1), the last
/// column all ones, so biases and row sums come out of the same products).
#[derive(Clone, Debug)]
pub struct PointSet {
    x: Mat<f64>,
    y: Vec<f64>,
}

impl PointSet {
    /// `len` points of dimension `dim`, all zero (the ones column set).
    pub fn zeros(len: usize, dim: usize) -> Self {
        let mut x = Mat::zeros(len, dim + 1);
        for p in 0..len {
            x[(p, dim)] = 1.0;
        }
        Self {
            x,
            y: vec![0.0; len],
        }
    }

    /// A set of `len` points drawn uniformly on the sphere of `target` from `rng`, with y = f(x).
    pub fn sample(target: &dyn Target, len: usize, rng: &mut StreamRng, par: Par) -> Self {
        let mut s = Self::zeros(len, target.dim());
        s.resample(target, rng, par);
        s
    }

    /// Redraws every point uniformly on the sphere (in place, no allocation) and sets y = f(x).
    pub fn resample(&mut self, target: &dyn Target, rng: &mut StreamRng, par: Par) {
        let d = self.dim();
        sample_sphere(rng, target.radius(), self.x.as_mut().subcols_mut(0, d));
        target.values_into(self.x.as_ref().subcols(0, d), &mut self.y, par);
    }

    /// Copies the points `idx` of `from` into the first `idx.len()` rows.
    pub fn gather(&mut self, from: &PointSet, idx: &[usize]) {
        let d1 = self.x.ncols();
        for k in 0..d1 {
            for (p, &i) in idx.iter().enumerate() {
                self.x[(p, k)] = from.x[(i, k)];
            }
        }
        for (p, &i) in idx.iter().enumerate() {
            self.y[p] = from.y[i];
        }
    }

    /// Number of points P.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True when there are no points.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.x.ncols() - 1
    }

    /// X̃ = [X, 1] (P × (d+1)).
    pub fn x_aug(&self) -> MatRef<'_, f64> {
        self.x.as_ref()
    }

    /// X (P × d).
    pub fn x(&self) -> MatRef<'_, f64> {
        self.x.as_ref().subcols(0, self.dim())
    }

    /// Mutable X (P × d); call [`PointSet::set_targets`] after changing points.
    pub fn x_mut(&mut self) -> MatMut<'_, f64> {
        let d = self.dim();
        self.x.as_mut().subcols_mut(0, d)
    }

    /// Targets y_p.
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// Recomputes y = f(x) with `target`.
    pub fn set_targets(&mut self, target: &dyn Target, par: Par) {
        let d = self.dim();
        target.values_into(self.x.as_ref().subcols(0, d), &mut self.y, par);
    }

    /// Rows `start..start + len`: (X̃ chunk, y chunk).
    pub fn chunk(&self, start: usize, len: usize) -> (MatRef<'_, f64>, &[f64]) {
        (
            self.x.as_ref().subrows(start, len),
            &self.y[start..start + len],
        )
    }
}
