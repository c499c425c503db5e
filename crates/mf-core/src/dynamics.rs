//! The particle dynamics in mean-field time.
//!
//! On a set of P points x_p with residuals r_p = f(x_p) − f_n(x_p), the velocity of particle i is
//! n × (−∇_{θ_i} of the empirical loss ½ (1/P) Σ_p r_p²):
//!
//! ```text
//! dc_i/dt = (1/P) Σ_p r_p φ(x_p, z_i)             = ∂F/∂c(θ_i) − (1/n) Σ_j ∂K/∂c(θ_i, θ_j)
//! dz_i/dt = (c_i/P) Σ_p r_p ∇_z φ(x_p, z_i)       = ∇_z F(θ_i) − (1/n) Σ_j ∇_z K(θ_i, θ_j)
//! ```
//!
//! with F and K estimated on the points. Time is mean-field time t = k Δt: a plain learning
//! rate η on the loss corresponds to Δt = η / n, and the relaxation rate in t does not depend on n.
//! The velocity is computed chunk by chunk ([`chunk_len`] points, so that the n × B buffer stays
//! in the last-level cache): per chunk one cache-blocked forward pass (products, the unit's map
//! and the partial sums of f_n tile by tile, [`crate::unit::tiled`]) and one contraction with
//! the weighted points ([`crate::unit::contract`]). Chunks and blocks are reduced in a fixed
//! order, so results do not depend on threads.

use crate::network::Network;
use crate::points::PointSet;
use crate::unit::Unit;
use crate::unit::tiled::{ROW_PAD, TILE_COLS, partial_len, row_stride};
use faer::{Mat, MatRef, Par};

/// Largest number of points processed at once (bounds the n × B buffer).
pub const CHUNK: usize = 4096;

/// Bytes of the n × B work buffer aimed at by [`chunk_len`] (n · B values; the buffer itself
/// holds n · [`row_stride`]`(B)`): small enough to stay in the last level cache between the
/// forward pass and the contraction.
pub const CHUNK_BYTES: usize = 8 << 20;

/// Points per pass B for `width` units and `max_points` points: the largest multiple of
/// [`TILE_COLS`] with n·B·8 ≤ [`CHUNK_BYTES`], within [TILE_COLS, CHUNK], and at most
/// `max_points`. Depends on n and the point count only (never on threads), so the order of the
/// sums over chunks is part of the run's definition.
pub fn chunk_len(width: usize, max_points: usize) -> usize {
    let fit = CHUNK_BYTES / 8 / width.max(1) / TILE_COLS * TILE_COLS;
    max_points.clamp(1, fit.clamp(TILE_COLS, CHUNK))
}

/// Work arrays of the velocity and loss passes for one (n, q, d); allocated once per run.
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

/// Velocities of all particles: dc/dt (length n) and dz/dt (n × q).
#[derive(Clone, Debug, PartialEq)]
pub struct Velocity {
    /// dc_i/dt.
    pub c: Vec<f64>,
    /// dz_i/dt, one row per unit.
    pub z: Mat<f64>,
}

impl Velocity {
    /// Zero velocities for n units with q parameters.
    pub fn zeros(width: usize, q: usize) -> Self {
        Self {
            c: vec![0.0; width],
            z: Mat::zeros(width, q),
        }
    }
}

impl Workspace {
    /// Buffers for `width` units with `q` parameters in dimension `dim`, processing at most
    /// `max_points` points per pass (B = [`chunk_len`]).
    pub fn new(width: usize, q: usize, dim: usize, max_points: usize) -> Self {
        let chunk = chunk_len(width, max_points);
        Self {
            chunk,
            buf: vec![0.0; width * row_stride(chunk)],
            scratch: vec![0.0; width + chunk + partial_len(width, chunk)],
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
fn forward_residuals(
    unit: &dyn Unit,
    net: &Network,
    x: MatRef<'_, f64>,
    y: &[f64],
    ws: &mut Workspace,
    sq: &mut f64,
    par: Par,
) {
    let b = x.nrows();
    unit.forward(
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
    let q = net.z.ncols();
    vel.c.iter_mut().for_each(|v| *v = 0.0);
    vel.z.fill(0.0);
    let total = points.len();
    let mut sq = 0.0;
    for start in (0..total).step_by(ws.chunk) {
        let b = ws.chunk.min(total - start);
        let (x, y) = points.chunk(start, b);
        forward_residuals(unit, net, x, y, ws, &mut sq, par);
        unit.contract(
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
    let total = points.len();
    let mut sq = 0.0;
    for start in (0..total).step_by(ws.chunk) {
        let b = ws.chunk.min(total - start);
        let (x, y) = points.chunk(start, b);
        forward_residuals(unit, net, x, y, ws, &mut sq, par);
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
    let total = x.nrows();
    for start in (0..total).step_by(ws.chunk) {
        let b = ws.chunk.min(total - start);
        unit.forward(
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

/// Moves every particle by Δt along `vel`: θ_i ← θ_i + Δt v_i.
pub fn apply(net: &mut Network, vel: &Velocity, dt: f64) {
    for (c, v) in net.c.iter_mut().zip(&vel.c) {
        *c += dt * v;
    }
    for k in 0..net.z.ncols() {
        for (z, v) in net
            .z
            .col_as_slice_mut(k)
            .iter_mut()
            .zip(vel.z.col_as_slice(k))
        {
            *z += dt * v;
        }
    }
}

/// A time-stepping rule: advances the particles by Δt given a velocity oracle (the velocity of a
/// network state on the points of the current step, returning the loss there).
pub trait Integrator: Send {
    /// Advances `net` by `dt`; returns the loss at the start of the step.
    fn advance(
        &mut self,
        net: &mut Network,
        dt: f64,
        velocity: &mut dyn FnMut(&Network, &mut Velocity) -> f64,
    ) -> f64;
}

/// Forward Euler: θ ← θ + Δt v(θ). One velocity evaluation per step.
#[derive(Clone, Debug)]
pub struct ForwardEuler {
    vel: Velocity,
}

impl ForwardEuler {
    /// Euler stepper for n units with q parameters (allocates its velocity buffer once).
    pub fn new(width: usize, q: usize) -> Self {
        Self {
            vel: Velocity::zeros(width, q),
        }
    }
}

impl Integrator for ForwardEuler {
    fn advance(
        &mut self,
        net: &mut Network,
        dt: f64,
        velocity: &mut dyn FnMut(&Network, &mut Velocity) -> f64,
    ) -> f64 {
        let l = velocity(net, &mut self.vel);
        apply(net, &self.vel, dt);
        l
    }
}
