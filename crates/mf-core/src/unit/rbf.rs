//! Gaussian radial basis function units.
//!
//! ```text
//! φ(x, z) = exp(−|x − z|² / (2σ²)),    ∇_z φ(x, z) = φ(x, z) (x − z) / σ²,    z ∈ ℝ^d.
//! ```
//!
//! Batched: with S = Z Xᵀ (one product), φ_ip = exp((2 s_ip − |z_i|² − |x_p|²) / (2σ²)); with
//! G = Φ · diag(r) X̃ (one product, X̃ = [X, 1]) the last column of G is g = Φ r and
//! h_i = (G_{i,1..d} − g_i z_i) / σ².
//!
//! Default width σ = R/2 (σ² = R²/4): random pairs of points of S^{d-1}(R) are about R√2 apart,
//! so with σ = R/2 a unit sees a cap of the sphere, not a point (σ ≪ R makes learning slow, as
//! the overlap of units decays like exp(−R²/σ²)) nor the whole sphere (σ ≳ R/√2 makes units
//! nearly constant over the data and the loss stalls near C_f/2 for a long time).
//! Initial centres: uniform on S^{d-1}(R).

use super::{Unit, weighted_points_product};
use crate::fastexp::exp_in_place;
use crate::streams::StreamRng;
use faer::prelude::ReborrowMut;
use faer::{Accum, MatMut, MatRef, Par};
use rayon::prelude::*;
use spin_target::linalg::matmul_rows as matmul;
use spin_target::sample_sphere;

/// Gaussian RBF unit of width σ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rbf {
    /// Width σ > 0.
    pub sigma: f64,
}

impl Rbf {
    /// The default width σ = R/2 for data on the sphere of radius R (see the module docs).
    pub fn default_sigma(radius: f64) -> f64 {
        0.5 * radius
    }
}

impl Unit for Rbf {
    fn name(&self) -> &'static str {
        "rbf"
    }

    fn param_dim(&self, dim: usize) -> usize {
        dim
    }

    fn phi(&self, z: &[f64], x: &[f64]) -> f64 {
        let d2: f64 = z.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum();
        (-d2 / (2.0 * self.sigma * self.sigma)).exp()
    }

    fn grad_phi(&self, z: &[f64], x: &[f64], out: &mut [f64]) {
        let phi = self.phi(z, x);
        let s2 = self.sigma * self.sigma;
        for ((o, zk), xk) in out.iter_mut().zip(z).zip(x) {
            *o = phi * (xk - zk) / s2;
        }
    }

    fn init_params(&self, rng: &mut StreamRng, dim: usize, radius: f64, z: &mut [f64]) {
        sample_sphere(rng, radius, MatMut::from_row_major_slice_mut(z, 1, dim));
    }

    fn forward(
        &self,
        z: MatRef<'_, f64>,
        x: MatRef<'_, f64>,
        c: &[f64],
        scratch: &mut [f64],
        buf: &mut [f64],
        fn_out: &mut [f64],
        par: Par,
    ) {
        let (n, d, b) = (z.nrows(), z.ncols(), x.nrows());
        for (i, s) in scratch[..n].iter_mut().enumerate() {
            *s = (0..d).map(|k| z[(i, k)] * z[(i, k)]).sum();
        }
        let buf = &mut buf[..n * b];
        matmul(
            MatMut::from_column_major_slice_mut(buf, n, b),
            Accum::Replace,
            z,
            x.subcols(0, d).transpose(),
            1.0,
            par,
        );
        let zsq = &scratch[..n];
        let inv = 1.0 / (2.0 * self.sigma * self.sigma);
        let inv_n = 1.0 / n as f64;
        buf.par_chunks_mut(n)
            .zip(fn_out[..b].par_iter_mut())
            .enumerate()
            .for_each(|(p, (col, f))| {
                let xsq: f64 = (0..d).map(|k| x[(p, k)] * x[(p, k)]).sum();
                // three passes over one cache-resident column, each vectorised (a fused sweep
                // measured 2× slower: the ordered sum serialises the exp lanes)
                for (v, zs) in col.iter_mut().zip(zsq) {
                    *v = (2.0 * *v - zs - xsq) * inv;
                }
                exp_in_place(col);
                let acc: f64 = col.iter().zip(c).fold(0.0, |a, (v, ci)| a + ci * v);
                *f = acc * inv_n;
            });
    }

    fn contract(
        &self,
        z: MatRef<'_, f64>,
        x: MatRef<'_, f64>,
        buf: &[f64],
        r: &[f64],
        mut xr: MatMut<'_, f64>,
        mut out: MatMut<'_, f64>,
        par: Par,
    ) {
        let (n, d) = (z.nrows(), z.ncols());
        weighted_points_product(buf, n, x, r, xr.rb_mut(), out.rb_mut(), par);
        let inv_s2 = 1.0 / (self.sigma * self.sigma);
        for k in 0..d {
            for i in 0..n {
                out[(i, k)] = (out[(i, k)] - out[(i, d)] * z[(i, k)]) * inv_s2;
            }
        }
    }
}
