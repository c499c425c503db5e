//! A target that is itself a mean-field network (`teacher`): k Gaussian RBF units with the
//! student's width σ,
//!
//! ```text
//! f(x) = (1/k) Σ_a c*_a φ(x, z*_a),   φ(x, z) = exp(−|x − z|²/(2σ²)),
//! ```
//!
//! centres z*_a uniform on the data sphere S^{d−1}(R), R = √d, charges c*_a ~ N(0, 1), both
//! from the target stream of the seed (centres first, then charges), the charges then scaled by
//! one factor so that E_ν f² = 1 (C_f = ½). For this target the paper's setting holds exactly:
//! f = ∫ c φ(·, z) dμ*(c, z) with μ* the teacher's (bounded) empirical measure, so the mean-field
//! loss has a minimiser of loss zero, reached by a student of n ≥ k units. In exact mode
//!
//! ```text
//! F̂(z) = E_ν f(x) φ(x, z) = (1/k) Σ_a c*_a K̂(z*_a, z),
//! C_f  = ½ E_ν f² = (1/2k²) Σ_ab c*_a c*_b K̂(z*_a, z*_b)
//! ```
//!
//! in the closed form of [`crate::exact::kernel`]. The teacher width k is `--teacher-width`
//! (default [`DEFAULT_TEACHER_WIDTH`] = 16 × 256, wider than every student the reproduction
//! trains, so that the student never has the teacher's degrees of freedom).

use super::{Target, TargetEntry};
use crate::config::TrainConfig;
use crate::error::TrainError;
use crate::exact::kernel::SphereRbfKernel;
use faer::{Mat, MatRef, Par};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use spin_target::{Purpose, sample_sphere, stream};
use std::sync::Arc;

/// Teacher width k when `--teacher-width` is not given.
pub const DEFAULT_TEACHER_WIDTH: usize = 4096;
/// Largest teacher width accepted.
pub const MAX_TEACHER_WIDTH: usize = 1 << 16;

/// The target in the registry.
pub const ENTRY: TargetEntry = TargetEntry {
    name: "teacher",
    help: "a mean-field RBF network of --teacher-width k units (default 4096) with the student's σ, centres uniform on the sphere, charges N(0, 1) scaled to E f² = 1, from --seed (exact mode has it in closed form)",
    build: teacher_for,
};

/// The teacher of a config: width `teacher_width` (or the default), the σ of the config's unit
/// (R/2 for a unit without one), radius √d, from the target stream of its seed.
fn teacher_for(config: &TrainConfig) -> Result<Arc<dyn Target>, TrainError> {
    let k = config.teacher_width.unwrap_or(DEFAULT_TEACHER_WIDTH);
    let radius = config.radius();
    let sigma = config.resolved_unit_param("sigma").unwrap_or(0.5 * radius);
    Ok(Arc::new(RbfTeacher::random(
        config.dim,
        k,
        sigma,
        config.seed,
    )?))
}

/// A teacher network of RBF units on S^{d−1}(R) (see the module docs).
#[derive(Clone, Debug)]
pub struct RbfTeacher {
    kernel: SphereRbfKernel,
    /// Charges c*_a.
    c: Vec<f64>,
    /// Centres z*_a, unit-major: z*_{a,j} at a·d + j.
    z: Vec<f64>,
    /// |z*_a|².
    zsq: Vec<f64>,
    /// C_f = ½ E_ν f².
    cf: f64,
}

impl RbfTeacher {
    /// The random teacher of the module docs: `width` units of width `sigma` on S^{dim−1}(√dim)
    /// from the target stream of `seed`, scaled to E_ν f² = 1.
    pub fn random(dim: usize, width: usize, sigma: f64, seed: u64) -> Result<Self, TrainError> {
        check_width(width)?;
        if dim == 0 {
            return Err(TrainError::config("dim", "an integer ≥ 1"));
        }
        let radius = (dim as f64).sqrt();
        let mut rng = stream(seed, 0, Purpose::Target);
        let mut centres = Mat::<f64>::zeros(width, dim);
        sample_sphere(&mut rng, radius, centres.as_mut());
        let c: Vec<f64> = (0..width)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect();
        let mut t = Self::from_units(dim, radius, sigma, c, centres.as_ref())?;
        // one factor on every charge: C_f scales with its square
        let scale = (0.5 / t.cf).sqrt();
        t.c.iter_mut().for_each(|c| *c *= scale);
        t.cf = t.mean_square_closed_form() / 2.0;
        Ok(t)
    }

    /// The teacher with charges `c` (length k) and centres the rows of `z` (k × dim), RBF width
    /// `sigma`, data on S^{dim−1}(`radius`).
    pub fn from_units(
        dim: usize,
        radius: f64,
        sigma: f64,
        c: Vec<f64>,
        z: MatRef<'_, f64>,
    ) -> Result<Self, TrainError> {
        check_width(c.len())?;
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(TrainError::config("sigma", "a finite number > 0"));
        }
        if z.nrows() != c.len() || z.ncols() != dim {
            return Err(TrainError::config(
                "teacher",
                format!("{} centres of dimension {dim}", c.len()),
            ));
        }
        if c.iter().any(|v| !v.is_finite())
            || (0..z.nrows()).any(|a| (0..dim).any(|j| !z[(a, j)].is_finite()))
        {
            return Err(TrainError::config("teacher", "finite charges and centres"));
        }
        let k = c.len();
        let mut zu = vec![0.0; k * dim];
        for a in 0..k {
            for j in 0..dim {
                zu[a * dim + j] = z[(a, j)];
            }
        }
        let zsq = zu
            .chunks_exact(dim)
            .map(|r| r.iter().map(|v| v * v).sum())
            .collect();
        let mut t = Self {
            kernel: SphereRbfKernel::new(dim, radius, sigma),
            c,
            z: zu,
            zsq,
            cf: 0.0,
        };
        t.cf = t.mean_square_closed_form() / 2.0;
        Ok(t)
    }

    /// E_ν f² = (1/k²) Σ_ab c*_a c*_b K̂(z*_a, z*_b): rows in parallel, each summed in order, then
    /// the rows in order (the same bits on any thread count).
    fn mean_square_closed_form(&self) -> f64 {
        let (k, d) = (self.width(), self.dim());
        let rows: Vec<f64> = (0..k)
            .into_par_iter()
            .map(|a| {
                let za = self.centre(a);
                (0..k)
                    .map(|b| {
                        let zb = self.centre(b);
                        let sum_sq: f64 = (0..d).map(|j| (za[j] + zb[j]) * (za[j] + zb[j])).sum();
                        self.c[b] * self.kernel.pair(self.zsq[a], self.zsq[b], sum_sq).0
                    })
                    .sum::<f64>()
            })
            .collect();
        let inv_k = 1.0 / k as f64;
        rows.iter().zip(&self.c).map(|(r, c)| r * c).sum::<f64>() * inv_k * inv_k
    }

    /// Teacher width k.
    pub fn width(&self) -> usize {
        self.c.len()
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.kernel.dim()
    }

    /// RBF width σ (the student's).
    pub fn sigma(&self) -> f64 {
        self.kernel.sigma()
    }

    /// The closed-form kernel K̂ of this σ and sphere.
    pub fn kernel(&self) -> &SphereRbfKernel {
        &self.kernel
    }

    /// Charges c*_a.
    pub fn charges(&self) -> &[f64] {
        &self.c
    }

    /// Centre z*_a.
    pub fn centre(&self, a: usize) -> &[f64] {
        let d = self.dim();
        &self.z[a * d..(a + 1) * d]
    }

    /// |z*_a|² for every a.
    pub fn centre_norms_sq(&self) -> &[f64] {
        &self.zsq
    }

    /// E_ν f² (= 2 C_f; 1 for [`RbfTeacher::random`] up to round-off).
    pub fn mean_square(&self) -> f64 {
        2.0 * self.cf
    }

    /// f(x) at one point.
    pub fn value(&self, x: &[f64]) -> f64 {
        self.value_by(|j| x[j])
    }

    /// f at the point whose j-th coordinate is `x(j)`: (1/k) Σ_a c*_a exp(−|x − z*_a|²/(2σ²)),
    /// summed in order a = 0..k (no allocation).
    fn value_by(&self, x: impl Fn(usize) -> f64) -> f64 {
        let inv = 1.0 / (2.0 * self.sigma() * self.sigma());
        let sum: f64 = (0..self.width())
            .map(|a| {
                let za = self.centre(a);
                let d2: f64 = za
                    .iter()
                    .enumerate()
                    .map(|(j, v)| (x(j) - v) * (x(j) - v))
                    .sum();
                self.c[a] * (-d2 * inv).exp()
            })
            .sum();
        sum * (1.0 / self.width() as f64)
    }
}

fn check_width(k: usize) -> Result<(), TrainError> {
    if (1..=MAX_TEACHER_WIDTH).contains(&k) {
        Ok(())
    } else {
        Err(TrainError::config(
            "teacher_width",
            format!("an integer in 1..={MAX_TEACHER_WIDTH}"),
        ))
    }
}

impl Target for RbfTeacher {
    fn dim(&self) -> usize {
        self.kernel.dim()
    }
    fn radius(&self) -> f64 {
        self.kernel.radius()
    }
    fn values_into(&self, x: MatRef<'_, f64>, out: &mut [f64], par: Par) {
        let one = |(p, o): (usize, &mut f64)| *o = self.value_by(|j| x[(p, j)]);
        if matches!(par, Par::Seq) {
            out.iter_mut().enumerate().for_each(one);
        } else {
            out.par_iter_mut().enumerate().for_each(one);
        }
    }
    fn zero_network_loss(&self) -> f64 {
        self.cf
    }
    fn teacher(&self) -> Option<&RbfTeacher> {
        Some(self)
    }
}
