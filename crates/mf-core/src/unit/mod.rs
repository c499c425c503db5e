//! Units φ(x, z): the feature map of one particle, batched over points and units.
//!
//! A network is f_n(x) = (1/n) Σ_i c_i φ(x, z_i); a particle is θ_i = (c_i, z_i) with z_i ∈ ℝ^q.
//! A unit provides φ and ∇_z φ at one point (the reference used by tests and by the default
//! batched methods), and two batched passes over a chunk of B points x_1..x_B:
//!
//! - [`Unit::forward`]: f_n(x_p) = (1/n) Σ_i c_i φ(x_p, z_i) for every p, leaving in a n × B buffer
//!   whatever [`Unit::contract`] needs (Φ itself for RBF, the indicator φ > 0 for ReLU);
//! - [`Unit::contract`]: with weights r_p (the residuals f − f_n on the chunk),
//!   g_i = Σ_p r_p φ(x_p, z_i) and h_i = Σ_p r_p ∇_z φ(x_p, z_i), written as the rows
//!   [h_i, g_i] of a n × (q+1) matrix.
//!
//! The dynamics needs nothing else: dc_i/dt = g_i / P and dz_i/dt = c_i h_i / P.
//!
//! Buffers: points are the rows of X̃ = [X, 1] (B × (d+1), the last column all ones); the layout
//! of the n × B buffer is agreed between a unit's own `forward` and `contract` (the defaults use
//! column-major, column p is `buf[p·n..(p+1)·n]`; the shipped units use rows at stride
//! [`tiled::row_stride`]`(B)` = B + [`tiled::ROW_PAD`], as left by [`tiled`]); `buf` has at
//! least n · [`tiled::row_stride`]`(B)` entries and `scratch` n + B + [`tiled::partial_len`]`(n, B)`.
//! A new unit is one file implementing [`Unit::phi`], [`Unit::grad_phi`] and
//! [`Unit::init_params`]; the default batched passes are correct (and slow) for any unit.

pub mod contract;
mod rbf;
mod relu;
pub mod tiled;

pub use rbf::Rbf;
pub use relu::Relu;

use crate::streams::StreamRng;
use faer::{MatMut, MatRef, Par};
use rayon::prelude::*;

/// A unit φ(x, z) of a two-layer network. See the module docs for the batched contract.
pub trait Unit: Send + Sync {
    /// Short name (`rbf`, `relu`, ...), as written in configs and `state.json`.
    fn name(&self) -> &'static str;

    /// Number q of parameters z of one unit for inputs of dimension `dim`.
    fn param_dim(&self, dim: usize) -> usize;

    /// φ(x, z) at one point x ∈ ℝ^d.
    fn phi(&self, z: &[f64], x: &[f64]) -> f64;

    /// ∇_z φ(x, z) into `out` (length q).
    fn grad_phi(&self, z: &[f64], x: &[f64], out: &mut [f64]);

    /// Draws the initial z of one unit (length q) for data on S^{d-1}(`radius`).
    fn init_params(&self, rng: &mut StreamRng, dim: usize, radius: f64, z: &mut [f64]);

    /// f_n on a chunk (see module docs): writes `fn_out[p] = (1/n) Σ_i c_i φ(x_p, z_i)` and fills
    /// `buf` (at least n · [`tiled::row_stride`]`(B)` entries) with what [`Unit::contract`] reads.
    /// The default stores Φ column-major in the first n · B.
    #[allow(clippy::too_many_arguments)]
    fn forward(
        &self,
        z: MatRef<'_, f64>,
        x: MatRef<'_, f64>,
        c: &[f64],
        _scratch: &mut [f64],
        buf: &mut [f64],
        fn_out: &mut [f64],
        _par: Par,
    ) {
        let (n, d) = (z.nrows(), x.ncols() - 1);
        let q = z.ncols();
        let inv_n = 1.0 / n as f64;
        buf[..n * x.nrows()]
            .par_chunks_mut(n)
            .zip(fn_out[..x.nrows()].par_iter_mut())
            .enumerate()
            .for_each(|(p, (col, f))| {
                let xp: Vec<f64> = (0..d).map(|j| x[(p, j)]).collect();
                let mut zi = vec![0.0; q];
                let mut acc = 0.0;
                for (i, v) in col.iter_mut().enumerate() {
                    for (k, zk) in zi.iter_mut().enumerate() {
                        *zk = z[(i, k)];
                    }
                    *v = self.phi(&zi, &xp);
                    acc += c[i] * *v;
                }
                *f = acc * inv_n;
            });
    }

    /// h_i = Σ_p r_p ∇_z φ(x_p, z_i) into columns 0..q of row i of `out` (n × (q+1)) and
    /// g_i = Σ_p r_p φ(x_p, z_i) into its column q, from the `buf` left by [`Unit::forward`].
    /// `xr` (B × (d+1)) is scratch. The default assumes `buf` holds Φ.
    #[allow(clippy::too_many_arguments)]
    fn contract(
        &self,
        z: MatRef<'_, f64>,
        x: MatRef<'_, f64>,
        buf: &[f64],
        r: &[f64],
        _xr: MatMut<'_, f64>,
        mut out: MatMut<'_, f64>,
        _par: Par,
    ) {
        let (n, q, b, d) = (z.nrows(), z.ncols(), x.nrows(), x.ncols() - 1);
        let rows: Vec<Vec<f64>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let zi: Vec<f64> = (0..q).map(|k| z[(i, k)]).collect();
                let mut xp = vec![0.0; d];
                let mut grad = vec![0.0; q];
                let mut row = vec![0.0; q + 1];
                for p in 0..b {
                    row[q] += r[p] * buf[p * n + i];
                    for (j, v) in xp.iter_mut().enumerate() {
                        *v = x[(p, j)];
                    }
                    self.grad_phi(&zi, &xp, &mut grad);
                    for (hk, gk) in row.iter_mut().zip(&grad) {
                        *hk += r[p] * gk;
                    }
                }
                row
            })
            .collect();
        for (i, row) in rows.into_iter().enumerate() {
            for (k, v) in row.into_iter().enumerate() {
                out[(i, k)] = v;
            }
        }
    }
}

/// G = Φ · diag(r) X̃: scales the rows of X̃ by the residuals into `xr`, then contracts the
/// row-major n × B buffer left by [`tiled::tiled_forward`] (row stride [`tiled::row_stride`])
/// with it into `out` (n × (d+1), [`contract::contract_points`]). Shared by the units whose
/// contraction is a single product against the points (RBF with Φ, ReLU with the indicator).
pub(crate) fn weighted_points_product(
    buf: &[f64],
    x: MatRef<'_, f64>,
    r: &[f64],
    mut xr: MatMut<'_, f64>,
    out: MatMut<'_, f64>,
    par: Par,
) {
    let b = x.nrows();
    for k in 0..x.ncols() {
        let xk = crate::cols::col(x, k);
        for ((o, rp), xp) in crate::cols::col_mut(&mut xr, k)
            .iter_mut()
            .zip(&r[..b])
            .zip(xk)
        {
            *o = rp * xp;
        }
    }
    contract::contract_points(buf, tiled::row_stride(b), xr.as_ref(), out, par);
}

/// The units shipped with the crate, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// Gaussian radial basis function, [`Rbf`].
    Rbf,
    /// Single-hidden-layer ReLU unit, [`Relu`].
    Relu,
}

impl UnitKind {
    /// Parses `rbf` or `relu`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "rbf" => Some(Self::Rbf),
            "relu" => Some(Self::Relu),
            _ => None,
        }
    }

    /// Name as written in configs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rbf => "rbf",
            Self::Relu => "relu",
        }
    }
}
