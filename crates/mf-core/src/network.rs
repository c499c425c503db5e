//! The network f_n(x) = (1/n) Σ_i c_i φ(x, z_i) as n particles θ_i = (c_i, z_i), and the vector
//! operations the steppers and minimisers need (a network state is a vector of ℝ^{n(q+1)}).
//!
//! Flat order of the parameters (used by Hessians, linear solves and [`Network::to_flat`]): c_i
//! at index i, then the columns of z, z_{ik} at index n + k·n + i.

use crate::streams::StreamRng;
use crate::unit::Unit;
use faer::Mat;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Initial law of the charges c_i.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InitC {
    /// c_i = 0: the network starts at f_n ≡ 0 (loss C_f).
    #[default]
    Zero,
    /// c_i i.i.d. N(0, 1).
    Normal,
}

/// Initial law of the unit parameters z_i.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InitZ {
    /// The unit's own law: RBF centres uniform on S^{d-1}(R), ReLU weights a uniform on
    /// S^{d-1}(1) with b = 0.
    #[default]
    Sphere,
}

/// n particles: charges c (length n) and unit parameters z (n × q, row i is z_i).
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Charges c_i (output weights).
    pub c: Vec<f64>,
    /// Unit parameters z_i, one row per unit.
    pub z: Mat<f64>,
}

/// Velocities dθ_i/dt of all particles have the shape of a network: dc/dt (length n) and dz/dt
/// (n × q).
pub type Velocity = Network;

impl Network {
    /// Draws n particles i.i.d. from the initial law: for each i in order, first z_i (by the
    /// unit's [`Unit::init_params`]) then, if `init_c` is `Normal`, c_i.
    pub fn init(
        unit: &dyn Unit,
        width: usize,
        dim: usize,
        radius: f64,
        init_c: InitC,
        rng: &mut StreamRng,
    ) -> Self {
        let q = unit.param_dim(dim);
        let mut z = Mat::zeros(width, q);
        let mut c = vec![0.0; width];
        let mut zi = vec![0.0; q];
        for i in 0..width {
            unit.init_params(rng, dim, radius, &mut zi);
            for (k, v) in zi.iter().enumerate() {
                z[(i, k)] = *v;
            }
            if init_c == InitC::Normal {
                c[i] = StandardNormal.sample(rng);
            }
        }
        Self { c, z }
    }

    /// n units with q parameters, all zero.
    pub fn zeros(width: usize, q: usize) -> Self {
        Self {
            c: vec![0.0; width],
            z: Mat::zeros(width, q),
        }
    }

    /// A network from its charges and rows z_i (`None` when the rows do not all have length q).
    pub fn from_rows(c: Vec<f64>, rows: &[Vec<f64>], q: usize) -> Option<Self> {
        if rows.len() != c.len() || rows.iter().any(|r| r.len() != q) {
            return None;
        }
        let z = Mat::from_fn(c.len(), q, |i, k| rows[i][k]);
        Some(Self { c, z })
    }

    /// Width n.
    pub fn width(&self) -> usize {
        self.c.len()
    }

    /// Parameters per unit q.
    pub fn param_dim(&self) -> usize {
        self.z.ncols()
    }

    /// Number of parameters n (q + 1).
    pub fn len(&self) -> usize {
        self.c.len() * (self.z.ncols() + 1)
    }

    /// True when there are no units.
    pub fn is_empty(&self) -> bool {
        self.c.is_empty()
    }

    /// z_i as a vector.
    pub fn z_row(&self, i: usize) -> Vec<f64> {
        (0..self.z.ncols()).map(|k| self.z[(i, k)]).collect()
    }

    /// Every z_i as a vector.
    pub fn z_rows(&self) -> Vec<Vec<f64>> {
        (0..self.width()).map(|i| self.z_row(i)).collect()
    }

    /// f_n(x) at one point, directly from the definition (reference for tests).
    pub fn eval(&self, unit: &dyn Unit, x: &[f64]) -> f64 {
        let n = self.width();
        let s: f64 = (0..n)
            .map(|i| self.c[i] * unit.phi(&self.z_row(i), x))
            .sum();
        s / n as f64
    }

    /// True when every parameter is finite.
    pub fn is_finite(&self) -> bool {
        self.c.iter().all(|v| v.is_finite())
            && self.z_cols().all(|col| col.iter().all(|v| v.is_finite()))
    }

    /// The columns of z as slices.
    pub fn z_cols(&self) -> impl Iterator<Item = &[f64]> {
        (0..self.z.ncols()).map(|k| self.z.col_as_slice(k))
    }

    /// self = base + Σ_m (h w_m) x_m, elementwise (the stage combination of the steppers; with
    /// one term of weight 1 it is the Euler move base + h x).
    pub fn set_lincomb(&mut self, base: &Network, h: f64, terms: &[(f64, &Network)]) {
        for (i, o) in self.c.iter_mut().enumerate() {
            let mut v = base.c[i];
            for &(w, x) in terms {
                v += h * w * x.c[i];
            }
            *o = v;
        }
        for k in 0..base.z.ncols() {
            let b = base.z.col_as_slice(k);
            let out = self.z.col_as_slice_mut(k);
            for (i, o) in out.iter_mut().enumerate() {
                let mut v = b[i];
                for &(w, x) in terms {
                    v += h * w * x.z.col_as_slice(k)[i];
                }
                *o = v;
            }
        }
    }

    /// self ← self + a x.
    pub fn axpy(&mut self, a: f64, x: &Network) {
        for (c, v) in self.c.iter_mut().zip(&x.c) {
            *c += a * v;
        }
        for k in 0..self.z.ncols() {
            for (z, v) in self
                .z
                .col_as_slice_mut(k)
                .iter_mut()
                .zip(x.z.col_as_slice(k))
            {
                *z += a * v;
            }
        }
    }

    /// self ← a self.
    pub fn scale(&mut self, a: f64) {
        self.c.iter_mut().for_each(|v| *v *= a);
        for k in 0..self.z.ncols() {
            self.z.col_as_slice_mut(k).iter_mut().for_each(|v| *v *= a);
        }
    }

    /// self ← x (same shape).
    pub fn copy_from(&mut self, x: &Network) {
        self.c.copy_from_slice(&x.c);
        for k in 0..self.z.ncols() {
            self.z
                .col_as_slice_mut(k)
                .copy_from_slice(x.z.col_as_slice(k));
        }
    }

    /// Every parameter ← v.
    pub fn fill(&mut self, v: f64) {
        self.c.fill(v);
        self.z.fill(v);
    }

    /// Euclidean inner product Σ c_i x.c_i + Σ z_ik x.z_ik (in flat order).
    pub fn dot(&self, x: &Network) -> f64 {
        let mut s: f64 = self.c.iter().zip(&x.c).map(|(a, b)| a * b).sum();
        for k in 0..self.z.ncols() {
            s += self
                .z
                .col_as_slice(k)
                .iter()
                .zip(x.z.col_as_slice(k))
                .map(|(a, b)| a * b)
                .sum::<f64>();
        }
        s
    }

    /// Euclidean norm.
    pub fn norm(&self) -> f64 {
        self.dot(self).sqrt()
    }

    /// max_i |c_i| (0 for no units).
    pub fn max_abs_c(&self) -> f64 {
        self.c.iter().fold(0.0, |m, v| m.max(v.abs()))
    }

    /// min over i ≠ j of |z_i − z_j| (+∞ for fewer than two units).
    pub fn min_pair_distance(&self) -> f64 {
        let (n, q) = (self.width(), self.z.ncols());
        let mut best = f64::INFINITY;
        for i in 0..n {
            for j in i + 1..n {
                let d2: f64 = (0..q)
                    .map(|k| (self.z[(i, k)] - self.z[(j, k)]).powi(2))
                    .sum();
                best = best.min(d2);
            }
        }
        best.sqrt()
    }

    /// The parameters in flat order (see the module docs) into `out` (length [`Network::len`]).
    pub fn to_flat(&self, out: &mut [f64]) {
        let n = self.width();
        out[..n].copy_from_slice(&self.c);
        for k in 0..self.z.ncols() {
            out[n + k * n..n + (k + 1) * n].copy_from_slice(self.z.col_as_slice(k));
        }
    }

    /// Sets the parameters from flat order (see the module docs).
    pub fn set_from_flat(&mut self, v: &[f64]) {
        let n = self.width();
        self.c.copy_from_slice(&v[..n]);
        for k in 0..self.z.ncols() {
            self.z
                .col_as_slice_mut(k)
                .copy_from_slice(&v[n + k * n..n + (k + 1) * n]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(n: usize, q: usize, s: f64) -> Network {
        Network {
            c: (0..n).map(|i| s * (i as f64 + 1.0)).collect(),
            z: Mat::from_fn(n, q, |i, k| s * (0.5 + i as f64 - k as f64)),
        }
    }

    #[test]
    fn vector_operations_match_their_definitions() {
        let (a, b, c) = (net(5, 3, 1.0), net(5, 3, -0.25), net(5, 3, 2.0));
        let mut out = Network::zeros(5, 3);
        let (h, w) = (0.5, [2.0, -1.0]);
        out.set_lincomb(&a, h, &[(w[0], &b), (w[1], &c)]);
        let mut flat = vec![0.0; a.len()];
        let (mut fa, mut fb, mut fc) = (flat.clone(), flat.clone(), flat.clone());
        a.to_flat(&mut fa);
        b.to_flat(&mut fb);
        c.to_flat(&mut fc);
        out.to_flat(&mut flat);
        for j in 0..flat.len() {
            assert_eq!(flat[j], fa[j] + h * w[0] * fb[j] + h * w[1] * fc[j]);
        }
        assert_eq!(
            a.dot(&b),
            fa.iter().zip(&fb).map(|(x, y)| x * y).sum::<f64>()
        );
        let mut d = a.clone();
        d.axpy(3.0, &b);
        let mut e = a.clone();
        e.set_lincomb(&a, 3.0, &[(1.0, &b)]);
        assert_eq!(d, e, "axpy is the one-term combination");
        let mut r = Network::zeros(5, 3);
        r.set_from_flat(&fa);
        assert_eq!(r, a);
        assert_eq!(a.max_abs_c(), 5.0);
        // rows i and i+1 differ by 1 in each of 3 coordinates
        assert!((a.min_pair_distance() - 3f64.sqrt()).abs() < 1e-15);
    }
}
