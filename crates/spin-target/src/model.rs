//! The continuous spherical 3-spin model.
//!
//! ```text
//! f(x) = κ Σ_{p,q,r=1..d} a_pqr x_p x_q x_r,   x ∈ S^{d-1}(R),   a_pqr i.i.d. N(0, 1).
//! ```
//!
//! Only the symmetrised tensor a^S_pqr = (1/6) Σ_{perm} a_{perm(pqr)} matters for f, and with it
//! ∇f(x)_s = 3κ Σ_qr a^S_sqr x_q x_r. Batched over the rows of X (P × d): since a^S_sqr = a^S_srq,
//! only the m = d(d+1)/2 monomials x_q x_r with q ≤ r are needed. With U the P × m matrix of those
//! monomials and T the m × d matrix T[(q,r), s] = w_qr a^S_sqr (w_qr = 2 if q < r, 1 if q = r):
//!
//! ```text
//! G = U T                     (P × d, one matrix product, half the flops of (X ⊙ X)(A^S)ᵀ)
//! f(X) = κ rowsum(X ∘ G),      ∇f(X) = 3κ G.
//! ```
//!
//! The energies alone need one product of the other shape, with the short inner dimension d:
//!
//! ```text
//! H = X Tᵀ                    (P × m),     f_p = κ Σ_{q ≤ r} x_pq x_pr H_{p,(q,r)},
//! ```
//!
//! the same flops as G but a product faer runs at its peak, and the last sum is elementwise.
//!
//! Rows are processed in blocks of [`ROW_BLOCK`](crate::linalg::ROW_BLOCK) points, each block
//! (fill of U or the block's coordinates, product, last sum) one task with its buffers in cache;
//! gradients are then written block by block in order on the calling thread. Blocks are fixed by
//! P alone, so the result does not depend on threads.

use crate::error::SpinError;
use crate::linalg::for_each_block;
use crate::monomial_dot::monomial_dot;
use crate::streams::{Purpose, StreamRng, stream};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rand_distr::{Distribution, StandardNormal};

/// Largest supported dimension (at d = 512: the d × d² matrix A^S is 1 GiB, T 0.5 GiB and an
/// [`EnergyWorkspace`] 2.2 GB).
pub const MAX_DIM: usize = 512;

/// Rows of X processed at once by the batched routines (bounds the P × m monomial buffer).
pub const CHUNK_ROWS: usize = 2048;
// chunks are whole blocks: the block index k of a chunk maps to rows k·BLOCK.. of the chunk
const _: () = assert!(CHUNK_ROWS.is_multiple_of(BLOCK));

const BLOCK: usize = crate::linalg::ROW_BLOCK;

/// A realisation of the spherical 3-spin model: dimension d, radius R, scale κ and the
/// coefficients a_pqr.
#[derive(Clone, Debug)]
pub struct SpinModel {
    dim: usize,
    radius: f64,
    scale: f64,
    seed: u64,
    /// Raw coefficients, flat, index (p·d + q)·d + r.
    coefficients: Vec<f64>,
    /// A^S as a d × d² matrix.
    sym: Mat<f64>,
    /// T = the q ≤ r rows of (A^S)ᵀ weighted by w_qr (m × d, module docs).
    tri: Mat<f64>,
}

/// Work arrays for the batched energy and gradient; allocate once, reuse for every batch.
#[derive(Clone, Debug)]
pub struct EnergyWorkspace {
    dim: usize,
    /// U (gradients) or H (energies) by blocks: block k (len ≤ BLOCK rows) is column-major
    /// len × m at `mono[k·BLOCK·m..]`.
    mono: Vec<f64>,
    /// G (gradients) or the block's coordinates then its energies (energies) by blocks: block k
    /// (len ≤ BLOCK rows) is column-major len × d at `prod[k·BLOCK·(d+1)..]`, then len entries.
    prod: Vec<f64>,
}

impl EnergyWorkspace {
    /// Work arrays for a model of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            mono: vec![0.0; CHUNK_ROWS * monomials(dim)],
            prod: vec![0.0; CHUNK_ROWS * (dim + 1)],
        }
    }
}

/// m = d(d+1)/2, the number of monomials x_q x_r with q ≤ r.
fn monomials(dim: usize) -> usize {
    dim * (dim + 1) / 2
}

impl SpinModel {
    /// The model of dimension `dim` with the default normalisation R = √d, κ = 1/d, its
    /// coefficients drawn from the [`Purpose::Target`] stream of `seed` (in the order p, q, r of
    /// the flat index, one N(0,1) each), hence identical on every platform.
    pub fn new(dim: usize, seed: u64) -> Result<Self, SpinError> {
        let d = dim as f64;
        Self::with_normalisation(dim, seed, d.sqrt(), 1.0 / d)
    }

    /// As [`SpinModel::new`] with an explicit radius R > 0 and scale κ (finite, non-zero).
    pub fn with_normalisation(
        dim: usize,
        seed: u64,
        radius: f64,
        scale: f64,
    ) -> Result<Self, SpinError> {
        validate(dim, radius, scale)?;
        let mut rng: StreamRng = stream(seed, 0, Purpose::Target);
        let coefficients: Vec<f64> = (0..dim * dim * dim)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        Self::from_coefficients(dim, radius, scale, seed, coefficients)
    }

    /// A model with given coefficients (flat, index (p·d + q)·d + r, length d³).
    pub fn from_coefficients(
        dim: usize,
        radius: f64,
        scale: f64,
        seed: u64,
        coefficients: Vec<f64>,
    ) -> Result<Self, SpinError> {
        validate(dim, radius, scale)?;
        if coefficients.len() != dim * dim * dim {
            return Err(SpinError::Invalid {
                field: "coefficients",
                allowed: format!("length d³ = {}", dim * dim * dim),
            });
        }
        if coefficients.iter().any(|a| !a.is_finite()) {
            return Err(SpinError::Invalid {
                field: "coefficients",
                allowed: "finite numbers".into(),
            });
        }
        let d = dim;
        let idx = |p: usize, q: usize, r: usize| (p * d + q) * d + r;
        let sym = Mat::from_fn(d, d * d, |s, qr| {
            let (q, r) = (qr / d, qr % d);
            let a = &coefficients;
            (a[idx(s, q, r)]
                + a[idx(s, r, q)]
                + a[idx(q, s, r)]
                + a[idx(q, r, s)]
                + a[idx(r, s, q)]
                + a[idx(r, q, s)])
                / 6.0
        });
        let pairs: Vec<(usize, usize)> = (0..d).flat_map(|q| (q..d).map(move |r| (q, r))).collect();
        let tri = Mat::from_fn(pairs.len(), d, |k, s| {
            let (q, r) = pairs[k];
            let w = if q < r { 2.0 } else { 1.0 };
            w * sym[(s, q * d + r)]
        });
        Ok(Self {
            dim,
            radius,
            scale,
            seed,
            coefficients,
            sym,
            tri,
        })
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }
    /// Radius R of the sphere carrying the data.
    pub fn radius(&self) -> f64 {
        self.radius
    }
    /// Scale κ in front of the cubic form.
    pub fn scale(&self) -> f64 {
        self.scale
    }
    /// Seed the coefficients were drawn from.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Raw coefficients a_pqr, flat, index (p·d + q)·d + r.
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }
    /// The symmetrised tensor as a d × d² matrix A^S[s, q·d + r] = a^S_sqr.
    pub fn symmetric_matrix(&self) -> MatRef<'_, f64> {
        self.sym.as_ref()
    }

    /// f(x) = κ Σ_pqr a_pqr x_p x_q x_r at one point (direct triple sum, O(d³)).
    pub fn energy(&self, x: &[f64]) -> f64 {
        assert_eq!(x.len(), self.dim, "point of wrong dimension");
        let d = self.dim;
        let mut s = 0.0;
        for p in 0..d {
            for q in 0..d {
                let xpq = x[p] * x[q];
                let row = &self.coefficients[(p * d + q) * d..(p * d + q + 1) * d];
                let inner: f64 = row.iter().zip(x).map(|(a, xr)| a * xr).sum();
                s += xpq * inner;
            }
        }
        self.scale * s
    }

    /// Ambient gradient ∇f(x)_s = 3κ Σ_qr a^S_sqr x_q x_r, written into `out` (length d).
    pub fn gradient(&self, x: &[f64], out: &mut [f64]) {
        let d = self.dim;
        assert_eq!(x.len(), d);
        assert_eq!(out.len(), d);
        for (s, o) in out.iter_mut().enumerate() {
            let mut acc = 0.0;
            for q in 0..d {
                for r in 0..d {
                    acc += self.sym[(s, q * d + r)] * x[q] * x[r];
                }
            }
            *o = 3.0 * self.scale * acc;
        }
    }

    /// Tangent (Riemannian) gradient on the sphere: ∇f(x) − (∇f(x)·x) x / |x|², orthogonal to x.
    pub fn tangent_gradient(&self, x: &[f64], out: &mut [f64]) {
        self.gradient(x, out);
        let xx: f64 = x.iter().map(|v| v * v).sum();
        let gx: f64 = out.iter().zip(x).map(|(g, v)| g * v).sum();
        for (o, v) in out.iter_mut().zip(x) {
            *o -= gx / xx * v;
        }
    }

    /// Energies of the rows of `x` (P × d) into `out` (length P): H = X Tᵀ and
    /// f_p = κ Σ_{q≤r} x_pq x_pr H_{p,(q,r)} (module docs), in blocks of points, each block one
    /// sequential product and one ordered sum. Deterministic for any `par`: blocks are fixed by P
    /// and no sum crosses them.
    pub fn energies_into(
        &self,
        x: MatRef<'_, f64>,
        out: &mut [f64],
        ws: &mut EnergyWorkspace,
        par: Par,
    ) {
        let d = self.dim;
        assert_eq!(x.ncols(), d, "points of wrong dimension");
        assert_eq!(ws.dim, d, "workspace of wrong dimension");
        assert_eq!(out.len(), x.nrows(), "one energy per point");
        let m = monomials(d);
        let tri_t = self.tri.transpose();
        for row0 in (0..x.nrows()).step_by(CHUNK_ROWS) {
            let rows = CHUNK_ROWS.min(x.nrows() - row0);
            let blocks = rows.div_ceil(BLOCK);
            // per block: its coordinates (len × d, column-major), then its len energies
            let xe = &mut ws.prod[..blocks * BLOCK * (d + 1)];
            let h = &mut ws.mono[..blocks * BLOCK * m];
            for_each_block(par, xe, BLOCK * (d + 1), h, BLOCK * m, |k, xe, h| {
                let start = row0 + k * BLOCK;
                let len = BLOCK.min(row0 + rows - start);
                let (xcols, e) = xe.split_at_mut(len * d);
                for j in 0..d {
                    for (p, v) in xcols[j * len..(j + 1) * len].iter_mut().enumerate() {
                        *v = x[(start + p, j)];
                    }
                }
                let h = &mut h[..len * m];
                matmul(
                    MatMut::from_column_major_slice_mut(h, len, m),
                    Accum::Replace,
                    MatRef::from_column_major_slice(xcols, len, d),
                    tri_t,
                    1.0,
                    Par::Seq,
                );
                let e = &mut e[..len];
                monomial_dot(d, xcols, h, e);
                e.iter_mut().for_each(|v| *v *= self.scale);
            });
            for (k, o) in out[row0..row0 + rows].chunks_mut(BLOCK).enumerate() {
                let len = o.len();
                o.copy_from_slice(&xe[k * BLOCK * (d + 1) + len * d..][..len]);
            }
        }
    }

    /// Energies of the rows of `x` (allocating convenience form of [`SpinModel::energies_into`]).
    pub fn energies(&self, x: MatRef<'_, f64>) -> Vec<f64> {
        let mut out = vec![0.0; x.nrows()];
        let mut ws = EnergyWorkspace::new(self.dim);
        self.energies_into(x, &mut out, &mut ws, Par::rayon(0));
        out
    }

    /// Ambient gradients of the rows of `x` into the rows of `out` (P × d): ∇f(X) = 3κ G.
    pub fn gradients_into(
        &self,
        x: MatRef<'_, f64>,
        mut out: MatMut<'_, f64>,
        ws: &mut EnergyWorkspace,
        par: Par,
    ) {
        let k = 3.0 * self.scale;
        self.batched(x, ws, par, |row0, _x, g| {
            for s in 0..g.ncols() {
                for p in 0..g.nrows() {
                    out[(row0 + p, s)] = k * g[(p, s)];
                }
            }
        });
    }

    /// Runs G = U T chunk by chunk (blocks of rows in parallel) and hands (first row, X block,
    /// G block) to `sink`, blocks in order.
    fn batched<F>(&self, x: MatRef<'_, f64>, ws: &mut EnergyWorkspace, par: Par, mut sink: F)
    where
        F: FnMut(usize, MatRef<'_, f64>, MatRef<'_, f64>),
    {
        let d = self.dim;
        let m = monomials(d);
        assert_eq!(x.ncols(), d, "points of wrong dimension");
        assert_eq!(ws.dim, d, "workspace of wrong dimension");
        let tri = self.tri.as_ref();
        for row0 in (0..x.nrows()).step_by(CHUNK_ROWS) {
            let rows = CHUNK_ROWS.min(x.nrows() - row0);
            let blocks = rows.div_ceil(BLOCK);
            let mono = &mut ws.mono[..blocks * BLOCK * m];
            let prod = &mut ws.prod[..blocks * BLOCK * (d + 1)];
            for_each_block(
                par,
                mono,
                BLOCK * m,
                prod,
                BLOCK * (d + 1),
                |k, mono, prod| {
                    let start = row0 + k * BLOCK;
                    let len = BLOCK.min(row0 + rows - start);
                    let xb = x.subrows(start, len);
                    // column (q, r) of U is x_q ∘ x_r, for q ≤ r in order
                    let mut col = 0;
                    for q in 0..d {
                        for r in q..d {
                            let u = &mut mono[col * len..(col + 1) * len];
                            for (p, v) in u.iter_mut().enumerate() {
                                *v = xb[(p, q)] * xb[(p, r)];
                            }
                            col += 1;
                        }
                    }
                    matmul(
                        MatMut::from_column_major_slice_mut(&mut prod[..len * d], len, d),
                        Accum::Replace,
                        MatRef::from_column_major_slice(&mono[..len * m], len, m),
                        tri,
                        1.0,
                        Par::Seq,
                    );
                },
            );
            for k in 0..blocks {
                let start = row0 + k * BLOCK;
                let len = BLOCK.min(row0 + rows - start);
                let g = &prod[k * BLOCK * (d + 1)..][..len * d];
                sink(
                    start,
                    x.subrows(start, len),
                    MatRef::from_column_major_slice(g, len, d),
                );
            }
        }
    }
}

fn validate(dim: usize, radius: f64, scale: f64) -> Result<(), SpinError> {
    if dim == 0 || dim > MAX_DIM {
        return Err(SpinError::Invalid {
            field: "dim",
            allowed: format!("an integer in 1..={MAX_DIM}"),
        });
    }
    if !(radius.is_finite() && radius > 0.0) {
        return Err(SpinError::Invalid {
            field: "radius",
            allowed: "a finite number > 0".into(),
        });
    }
    if !(scale.is_finite() && scale != 0.0) {
        return Err(SpinError::Invalid {
            field: "scale",
            allowed: "a finite non-zero number".into(),
        });
    }
    Ok(())
}
