//! The continuous spherical 3-spin model.
//!
//! ```text
//! f(x) = κ Σ_{p,q,r=1..d} a_pqr x_p x_q x_r,   x ∈ S^{d-1}(R),   a_pqr i.i.d. N(0, 1).
//! ```
//!
//! Only the symmetrised tensor a^S_pqr = (1/6) Σ_{perm} a_{perm(pqr)} matters for f, and with it
//! ∇f(x)_s = 3κ Σ_qr a^S_sqr x_q x_r. Batched over the rows of X (P × d), with A^S the d × d²
//! matrix A^S[s, q·d + r] = a^S_sqr and X ⊙ X the row-wise Kronecker product (P × d²):
//!
//! ```text
//! G = (X ⊙ X) (A^S)ᵀ          (P × d, one matrix product)
//! f(X) = κ rowsum(X ∘ G),      ∇f(X) = 3κ G.
//! ```

use crate::error::SpinError;
use crate::linalg::matmul_rows;
use crate::streams::{Purpose, StreamRng, stream};
use faer::prelude::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use rand_distr::{Distribution, StandardNormal};

/// Largest supported dimension (the d × d² coefficient matrix is 1 GiB at d = 512).
pub const MAX_DIM: usize = 512;

/// Rows of X processed at once by the batched routines (bounds the P × d² Kronecker buffer).
pub const CHUNK_ROWS: usize = 2048;

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
}

/// Work arrays for the batched energy and gradient; allocate once, reuse for every batch.
#[derive(Clone, Debug)]
pub struct EnergyWorkspace {
    kron: Mat<f64>,
    prod: Mat<f64>,
}

impl EnergyWorkspace {
    /// Work arrays for a model of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Self {
            kron: Mat::zeros(CHUNK_ROWS, dim * dim),
            prod: Mat::zeros(CHUNK_ROWS, dim),
        }
    }
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
        Ok(Self {
            dim,
            radius,
            scale,
            seed,
            coefficients,
            sym,
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

    /// Energies of the rows of `x` (P × d) into `out` (length P), as matrix products (module
    /// docs). Deterministic for any `par`: the only reduction across threads is inside the faer
    /// product, whose inner dimension d² is not split.
    pub fn energies_into(
        &self,
        x: MatRef<'_, f64>,
        out: &mut [f64],
        ws: &mut EnergyWorkspace,
        par: Par,
    ) {
        self.batched(x, ws, par, |row0, x, g| {
            for p in 0..x.nrows() {
                let mut acc = 0.0;
                for s in 0..x.ncols() {
                    acc += x[(p, s)] * g[(p, s)];
                }
                out[row0 + p] = self.scale * acc;
            }
        });
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

    /// Runs G = (X ⊙ X)(A^S)ᵀ chunk by chunk and hands (first row, X chunk, G chunk) to `sink`.
    fn batched<F>(&self, x: MatRef<'_, f64>, ws: &mut EnergyWorkspace, par: Par, mut sink: F)
    where
        F: FnMut(usize, MatRef<'_, f64>, MatRef<'_, f64>),
    {
        let d = self.dim;
        assert_eq!(x.ncols(), d, "points of wrong dimension");
        assert_eq!(ws.kron.ncols(), d * d, "workspace of wrong dimension");
        let mut row0 = 0;
        while row0 < x.nrows() {
            let rows = CHUNK_ROWS.min(x.nrows() - row0);
            let xc = x.subrows(row0, rows);
            let mut kron = ws.kron.as_mut().subrows_mut(0, rows);
            // column (q, r) of X ⊙ X is x_q ∘ x_r: elementwise, so any split gives the same bits
            let fill = |qr: usize, mut col: MatMut<'_, f64>| {
                let (q, r) = (qr / d, qr % d);
                for p in 0..rows {
                    col[(p, 0)] = xc[(p, q)] * xc[(p, r)];
                }
            };
            if matches!(par, Par::Seq) {
                for qr in 0..d * d {
                    fill(qr, kron.rb_mut().subcols_mut(qr, 1));
                }
            } else {
                use rayon::prelude::*;
                kron.rb_mut()
                    .par_col_chunks_mut(1)
                    .enumerate()
                    .for_each(|(qr, col)| fill(qr, col));
            }
            let mut g = ws.prod.as_mut().subrows_mut(0, rows);
            matmul_rows(
                g.rb_mut(),
                Accum::Replace,
                kron.rb(),
                self.sym.transpose(),
                1.0,
                par,
            );
            sink(row0, xc, g.rb());
            row0 += rows;
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
