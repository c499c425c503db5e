//! The field of a network on a set of points: gd (a fixed training set), sgd (minibatches of
//! it) and online SGD (fresh points every step).
//!
//! On P points x_p with targets y_p = f(x_p), F and K are estimated by their sample means,
//!
//! ```text
//! F(θ) = c F̂(z),  F̂(z) = (1/P) Σ_p y_p φ(x_p, z)
//! K(θ, θ') = c c' K̂(z, z'),  K̂(z, z') = (1/P) Σ_p φ(x_p, z) φ(x_p, z')
//! ```
//!
//! and the particle i moves by
//!
//! ```text
//! dθ_i/dt = ∇F(θ_i) − (1/n) Σ_j ∇_θ K(θ_i, θ_j):
//!   dc_i/dt = F̂(z_i) − (1/n) Σ_j c_j K̂(z_i, z_j)
//!   dz_i/dt = c_i ∇F̂(z_i) − (1/n) Σ_j c_i c_j ∇_z K̂(z_i, z_j)
//! ```
//!
//! — [`reference_velocity`] computes exactly these lines (O(n² P), the reference of the tests).
//! With the residuals r_p = y_p − f_n(x_p) the same sums collapse to one pass over the points,
//!
//! ```text
//! dc_i/dt = (1/P) Σ_p r_p φ(x_p, z_i),   dz_i/dt = (c_i/P) Σ_p r_p ∇_z φ(x_p, z_i),
//! ```
//!
//! n × (−∇_{θ_i}) of the loss ½ (1/P) Σ_p r_p² — which is what [`velocity`] computes, chunk by
//! chunk ([`chunk_len`] points, so that the n × B buffer stays in the last-level cache): per
//! chunk the unit's forward pass (f_n and whatever the contraction needs) and its contraction
//! with the residuals ([`crate::unit::UnitKernel`]). Chunks are reduced in a fixed order, so
//! results do not depend on threads.

use super::field::Field;
use crate::kernels::tiled::{ROW_PAD, TILE_COLS};
use crate::network::{Network, Velocity};
use crate::points::PointSet;
use crate::unit::reference::Reference;
use crate::unit::{Unit, UnitKernel};
use faer::{Mat, MatRef, Par};

/// Largest number of points processed at once (bounds the n × B buffer).
pub const CHUNK: usize = 4096;

/// Bytes of the n × B work buffer aimed at by [`chunk_len`] (n · B values; the buffer of the
/// shipped kernels holds n · (B + 8)): small enough to stay in the last level cache
/// between the forward pass and the contraction.
pub const CHUNK_BYTES: usize = 8 << 20;

/// Points per pass B for `width` units and `max_points` points: the largest multiple of
/// 256 (the tile width) with n·B·8 ≤ [`CHUNK_BYTES`], within [256, CHUNK], and at most
/// `max_points`. Depends on n and the point count only (never on threads), so the order of the
/// sums over chunks is part of the run's definition.
pub fn chunk_len(width: usize, max_points: usize) -> usize {
    let fit = CHUNK_BYTES / 8 / width.max(1) / TILE_COLS * TILE_COLS;
    max_points.clamp(1, fit.clamp(TILE_COLS, CHUNK))
}

/// Work arrays of the velocity and loss passes of one unit at one (n, d); allocated once per
/// run.
#[derive(Clone, Debug)]
pub struct Workspace {
    chunk: usize,
    buf: Vec<f64>,
    scratch: Vec<f64>,
    fn_out: Vec<f64>,
    resid: Vec<f64>,
    xr: Mat<f64>,
    out: Mat<f64>,
}

impl Workspace {
    /// Buffers for `width` units of `unit` in dimension `dim`, processing at most `max_points`
    /// points per pass (B = [`chunk_len`]), laid out as the unit's kernel asks.
    pub fn new(unit: &dyn Unit, width: usize, dim: usize, max_points: usize) -> Self {
        let chunk = chunk_len(width, max_points);
        let q = unit.param_dim(dim);
        let reference = Reference(unit);
        let kernel = unit.kernel().unwrap_or(&reference);
        Self {
            chunk,
            buf: vec![0.0; kernel.buffer_len(width, chunk)],
            scratch: vec![0.0; kernel.scratch_len(width, chunk)],
            fn_out: vec![0.0; chunk],
            resid: vec![0.0; chunk],
            // padded columns, for the reason of `ROW_PAD` (the pass uses the first B rows)
            xr: Mat::zeros(chunk + ROW_PAD, dim + 1),
            out: Mat::zeros(width, q + 1),
        }
    }
}

/// The forward pass on one chunk: f_n into `ws.fn_out`, the residuals r_p = y_p − f_n(x_p) into
/// `ws.resid`; adds every r_p² to `sq` in p order (one running sum across chunks).
#[allow(clippy::too_many_arguments)]
fn forward_residuals(
    kernel: &dyn UnitKernel,
    net: &Network,
    x: MatRef<'_, f64>,
    y: &[f64],
    ws: &mut Workspace,
    sq: &mut f64,
    par: Par,
) {
    let b = x.nrows();
    kernel.forward(
        net.z.as_ref(),
        x,
        &net.c,
        &mut ws.scratch,
        &mut ws.buf,
        &mut ws.fn_out,
        par,
    );
    for ((r, yp), fp) in ws.resid[..b].iter_mut().zip(y).zip(&ws.fn_out[..b]) {
        *r = yp - fp;
        *sq += *r * *r;
    }
}

/// Computes the velocity of every particle on `points` into `vel` and returns the loss on
/// those points before the move, ½ (1/P) Σ_p r_p².
pub fn velocity(
    unit: &dyn Unit,
    net: &Network,
    points: &PointSet,
    ws: &mut Workspace,
    vel: &mut Velocity,
    par: Par,
) -> f64 {
    let reference = Reference(unit);
    let kernel = unit.kernel().unwrap_or(&reference);
    let q = net.z.ncols();
    vel.fill(0.0);
    let total = points.len();
    let mut sq = 0.0;
    for start in (0..total).step_by(ws.chunk) {
        let b = ws.chunk.min(total - start);
        let (x, y) = points.chunk(start, b);
        forward_residuals(kernel, net, x, y, ws, &mut sq, par);
        kernel.contract(
            net.z.as_ref(),
            x,
            &ws.buf,
            &ws.resid[..b],
            ws.xr.as_mut().subrows_mut(0, b),
            ws.out.as_mut(),
            par,
        );
        for (v, o) in vel.c.iter_mut().zip(ws.out.col_as_slice(q)) {
            *v += o;
        }
        for k in 0..q {
            for (v, o) in vel
                .z
                .col_as_slice_mut(k)
                .iter_mut()
                .zip(ws.out.col_as_slice(k))
            {
                *v += o;
            }
        }
    }
    let inv_p = 1.0 / total as f64;
    for k in 0..q {
        for (v, c) in vel.z.col_as_slice_mut(k).iter_mut().zip(&net.c) {
            *v *= c * inv_p;
        }
    }
    vel.c.iter_mut().for_each(|v| *v *= inv_p);
    0.5 * sq * inv_p
}

/// The loss ½ (1/P) Σ_p (f(x_p) − f_n(x_p))² on `points`, from the residuals (never from the
/// C_f − F + K form, which cancels catastrophically at small loss). Deterministic summation.
pub fn loss(
    unit: &dyn Unit,
    net: &Network,
    points: &PointSet,
    ws: &mut Workspace,
    par: Par,
) -> f64 {
    let reference = Reference(unit);
    let kernel = unit.kernel().unwrap_or(&reference);
    let total = points.len();
    let mut sq = 0.0;
    for start in (0..total).step_by(ws.chunk) {
        let b = ws.chunk.min(total - start);
        let (x, y) = points.chunk(start, b);
        forward_residuals(kernel, net, x, y, ws, &mut sq, par);
    }
    0.5 * sq / total as f64
}

/// f_n at the rows of `x` (P × (d+1), ones in the last column) into `out`.
pub fn outputs(
    unit: &dyn Unit,
    net: &Network,
    x: MatRef<'_, f64>,
    ws: &mut Workspace,
    out: &mut [f64],
    par: Par,
) {
    let reference = Reference(unit);
    let kernel = unit.kernel().unwrap_or(&reference);
    let total = x.nrows();
    for start in (0..total).step_by(ws.chunk) {
        let b = ws.chunk.min(total - start);
        kernel.forward(
            net.z.as_ref(),
            x.subrows(start, b),
            &net.c,
            &mut ws.scratch,
            &mut ws.buf,
            &mut out[start..start + b],
            par,
        );
    }
}

/// The particle step of the module docs written literally in the F/K form:
/// dc_i/dt = F̂(z_i) − (1/n) Σ_j c_j K̂_ij and dz_i/dt = c_i ∇F̂(z_i) − (1/n) Σ_j c_i c_j ∇_z K̂_ij
/// with F̂, K̂ the sample means on `points` (one unit at a time, from φ and ∇φ: O(n² P)).
/// Returns the loss C − (1/n) Σ_i c_i F̂_i + (1/2n²) Σ_ij c_i c_j K̂_ij, C = ½ (1/P) Σ_p y_p².
/// The reference [`velocity`] is tested against.
pub fn reference_velocity(
    unit: &dyn Unit,
    net: &Network,
    points: &PointSet,
    vel: &mut Velocity,
) -> f64 {
    let (n, q, d, p) = (net.width(), net.param_dim(), points.dim(), points.len());
    let (nf, pf) = (n as f64, p as f64);
    let x = points.x();
    let y = points.y();
    let rows = net.z_rows();
    let xs: Vec<Vec<f64>> = (0..p)
        .map(|k| (0..d).map(|j| x[(k, j)]).collect())
        .collect();
    // φ_ip and ∇_z φ_ip
    let phi: Vec<Vec<f64>> = rows
        .iter()
        .map(|z| xs.iter().map(|xp| unit.phi(z, xp)).collect())
        .collect();
    let grad: Vec<Vec<Vec<f64>>> = rows
        .iter()
        .map(|z| {
            xs.iter()
                .map(|xp| {
                    let mut g = vec![0.0; q];
                    unit.grad_phi(z, xp, &mut g);
                    g
                })
                .collect()
        })
        .collect();
    let fhat: Vec<f64> = (0..n)
        .map(|i| (0..p).map(|k| y[k] * phi[i][k]).sum::<f64>() / pf)
        .collect();
    let khat = |i: usize, j: usize| (0..p).map(|k| phi[i][k] * phi[j][k]).sum::<f64>() / pf;
    let mut loss = 0.5 * y.iter().map(|v| v * v).sum::<f64>() / pf;
    for i in 0..n {
        let ci = net.c[i];
        let mut dc = fhat[i];
        let mut dz: Vec<f64> = (0..q)
            .map(|m| ci * (0..p).map(|k| y[k] * grad[i][k][m]).sum::<f64>() / pf)
            .collect();
        for (j, phi_j) in phi.iter().enumerate() {
            let (cj, kij) = (net.c[j], khat(i, j));
            dc -= cj * kij / nf;
            for (m, v) in dz.iter_mut().enumerate() {
                let dk = (0..p).map(|k| grad[i][k][m] * phi_j[k]).sum::<f64>() / pf;
                *v -= ci * cj * dk / nf;
            }
            loss += ci * cj * kij / (2.0 * nf * nf);
        }
        loss -= ci * fhat[i] / nf;
        vel.c[i] = dc;
        for (m, v) in dz.into_iter().enumerate() {
            vel.z[(i, m)] = v;
        }
    }
    loss
}

/// The field of `unit` on `points` (one step's points in gd, sgd and online modes).
pub struct SampledField<'a> {
    /// The unit.
    pub unit: &'a dyn Unit,
    /// The step's points.
    pub points: &'a PointSet,
    /// Work arrays.
    pub ws: &'a mut Workspace,
    /// Parallelism of the passes.
    pub par: Par,
}

impl Field for SampledField<'_> {
    fn velocity(&mut self, net: &Network, vel: &mut Velocity) -> f64 {
        velocity(self.unit, net, self.points, self.ws, vel, self.par)
    }

    fn loss(&mut self, net: &Network) -> f64 {
        loss(self.unit, net, self.points, self.ws, self.par)
    }
}
