//! Sets of data points with their target values, laid out for the batched passes.

use crate::target::Target;
use faer::prelude::{IntoConst, ReborrowMut};
use faer::{Mat, MatMut, MatRef, Par};
use spin_target::{StreamRng, sample_sphere};

/// Points per chunk of the pipelined [`PointSet::resample`] (a multiple of the energy's row
/// block, so the blocks of f's evaluation are those of one call over all points).
pub const RESAMPLE_CHUNK: usize = 1024;
const _: () = assert!(RESAMPLE_CHUNK.is_multiple_of(spin_target::linalg::ROW_BLOCK));

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
    ///
    /// Pipelined by chunks of [`RESAMPLE_CHUNK`] points: while one thread draws chunk c + 1
    /// (one stream, in point order, as a serial draw would), the others evaluate f on chunk c
    /// and the drawing thread joins them when it is done. The draws and every value are those
    /// of drawing all points first and then evaluating f (each f(x_p) depends on x_p alone).
    pub fn resample(&mut self, target: &dyn Target, rng: &mut StreamRng, par: Par) {
        let d = self.dim();
        let len = self.len();
        let radius = target.radius();
        let mut x = self.x.as_mut().subcols_mut(0, d);
        let first = RESAMPLE_CHUNK.min(len);
        sample_sphere(rng, radius, x.rb_mut().subrows_mut(0, first));
        for start in (0..len).step_by(RESAMPLE_CHUNK) {
            let end = (start + RESAMPLE_CHUNK).min(len);
            let next = (end + RESAMPLE_CHUNK).min(len);
            let (done, rest) = x.rb_mut().split_at_row_mut(end);
            let chunk = done.into_const().subrows(start, end - start);
            let y = &mut self.y[start..end];
            if matches!(par, Par::Seq) {
                target.values_into(chunk, y, par);
                sample_sphere(rng, radius, rest.subrows_mut(0, next - end));
            } else {
                let rng = &mut *rng;
                rayon::join(
                    || sample_sphere(rng, radius, rest.subrows_mut(0, next - end)),
                    || target.values_into(chunk, y, par),
                );
            }
        }
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

    /// Sets the values y_p (a data set's; `y.len()` must be P).
    pub fn set_values(&mut self, y: &[f64]) {
        self.y.copy_from_slice(y);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SpinTarget;
    use spin_target::SpinModel;
    use spin_target::streams::{Purpose, stream};

    #[test]
    fn pipelined_resample_equals_drawing_then_evaluating() {
        let d = 6;
        let target = SpinTarget::new(SpinModel::new(d, 3).unwrap());
        // several chunks and a partial one
        let len = 2 * RESAMPLE_CHUNK + 77;
        let mut serial = PointSet::zeros(len, d);
        let mut rng = stream(5, 0, Purpose::Samples);
        sample_sphere(&mut rng, target.radius(), serial.x_mut());
        let mut y = vec![0.0; len];
        target.values_into(serial.x(), &mut y, Par::Seq);
        let after_serial: u64 = rand::RngExt::random(&mut rng);
        for par in [Par::Seq, Par::rayon(2)] {
            let mut p = PointSet::zeros(len, d);
            let mut rng = stream(5, 0, Purpose::Samples);
            p.resample(&target, &mut rng, par);
            for k in 0..=d {
                for i in 0..len {
                    let want = if k < d { serial.x[(i, k)] } else { 1.0 };
                    assert_eq!(p.x[(i, k)].to_bits(), want.to_bits());
                }
            }
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(p.y()), bits(&y));
            // the stream is left where the serial draw leaves it
            assert_eq!(rand::RngExt::random::<u64>(&mut rng), after_serial);
        }
    }
}
