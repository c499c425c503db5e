//! K̂(z, z′) = E_ν φ(x, z) φ(x, z′) for Gaussian RBF units, x uniform on S^{d−1}(R), in closed
//! form (the pair work shared by the exact field and the RBF teacher target):
//!
//! ```text
//! K̂(z, z′) = exp(−(2R² + |z|² + |z′|²)/(2σ²)) · ₀F₁(; d/2; R²|z + z′|²/(4σ⁴))
//! ∇_z K̂(z, z′) = K̂ · [ −z/σ² + s (z + z′) ],   s = R² ρ(d/2, y)/(d σ⁴),  y = R²|z + z′|²/(4σ⁴)
//! ```
//!
//! with ρ(β, y) = ₀F₁(; β + 1; y)/₀F₁(; β; y) (module docs of [`super`]).

use super::table::PairTable;

/// The closed form of K̂ and s for RBF units of width σ on S^{d−1}(R), with its Chebyshev table.
#[derive(Clone, Debug)]
pub struct SphereRbfKernel {
    dim: usize,
    radius: f64,
    sigma: f64,
    table: PairTable,
}

impl SphereRbfKernel {
    /// The kernel of RBF units of width `sigma` on S^{dim−1}(`radius`).
    pub fn new(dim: usize, radius: f64, sigma: f64) -> Self {
        // s = √y = R|z + z'|/(2σ²) ≤ 4R²/σ² while the centres stay within 4R of the origin;
        // beyond, the direct evaluation is used
        let s_max = (16.0 * radius * radius / (sigma * sigma)).clamp(16.0, 400.0);
        let table = PairTable::new(0.5 * dim as f64, s_max);
        Self {
            dim,
            radius,
            sigma,
            table,
        }
    }

    /// Dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Radius R of the sphere.
    pub fn radius(&self) -> f64 {
        self.radius
    }

    /// RBF width σ.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// The table of ln ₀F₁(; d/2; y) and ρ(d/2, y).
    pub fn table(&self) -> &PairTable {
        &self.table
    }

    /// (K̂(z, z′), s) for one pair, from |z|², |z′|² and |z + z′|².
    #[inline]
    pub fn pair(&self, zsq: f64, zpsq: f64, sum_sq: f64) -> (f64, f64) {
        let (r, s2) = (self.radius, self.sigma * self.sigma);
        let y = r * r * sum_sq.max(0.0) / (4.0 * s2 * s2);
        let (lnf, rho) = self.table.eval(y);
        let k = crate::kernels::exp::exp(lnf - (2.0 * r * r + zsq + zpsq) / (2.0 * s2));
        let s = r * r * rho / (self.dim as f64 * s2 * s2);
        (k, s)
    }

    /// K̂(z, z′) and ∇_z K̂(z, z′) (into `grad`).
    pub fn khat(&self, z: &[f64], zp: &[f64], grad: &mut [f64]) -> f64 {
        let zsq: f64 = z.iter().map(|v| v * v).sum();
        let zpsq: f64 = zp.iter().map(|v| v * v).sum();
        let sum_sq: f64 = z.iter().zip(zp).map(|(a, b)| (a + b) * (a + b)).sum();
        let (k, s) = self.pair(zsq, zpsq, sum_sq);
        let s2 = self.sigma * self.sigma;
        for ((g, a), b) in grad.iter_mut().zip(z).zip(zp) {
            *g = k * (-a / s2 + s * (a + b));
        }
        k
    }
}
