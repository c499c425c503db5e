//! Gaussian radial basis function units.
//!
//! ```text
//! φ(x, z) = exp(−|x − z|² / (2σ²)),    ∇_z φ(x, z) = φ(x, z) (x − z) / σ²,    z ∈ ℝ^d.
//! ```
//!
//! Batched: with S = Z Xᵀ (products tile by tile, [`crate::kernels::tiled`]),
//! φ_ip = exp((2 s_ip − |z_i|² − |x_p|²) / (2σ²)); with
//! G = Φ · diag(r) X̃ (the contraction of [`crate::kernels::contract`], X̃ = [X, 1]) the last column of G
//! is g = Φ r and h_i = (G_{i,1..d} − g_i z_i) / σ².
//!
//! Default width σ = R/2 (σ² = R²/4): random pairs of points of S^{d-1}(R) are about R√2 apart,
//! so with σ = R/2 a unit sees a cap of the sphere, not a point (σ ≪ R makes learning slow, as
//! the overlap of units decays like exp(−R²/σ²)) nor the whole sphere (σ ≳ R/√2 makes units
//! nearly constant over the data and the loss stalls near C_f/2 for a long time).
//! Initial centres: uniform on S^{d-1}(R).

use super::{Unit, UnitEntry, UnitKernel, UnitParam, UnitSpec};
use crate::kernels::contract::weighted_points_product;
use crate::kernels::exp::exp_lanes;
use crate::kernels::simd::{Block, Lanes, for_lanes};
use crate::kernels::tiled::{partial_len, row_stride, tiled_forward};
use crate::streams::StreamRng;
use faer::prelude::ReborrowMut;
use faer::{MatMut, MatRef, Par};
use spin_target::sample_sphere;

/// The unit in the registry: `rbf` with its width `sigma` (default R/2); exact mode has its
/// population loss in closed form.
pub const ENTRY: UnitEntry = UnitEntry {
    name: "rbf",
    help: "Gaussian radial basis function exp(−|x − z|²/(2σ²))",
    params: &[UnitParam {
        name: "sigma",
        help: "the width σ (default R/2)",
        default: Rbf::default_sigma,
    }],
    exact: true,
    build: |spec| {
        let sigma = spec.param("sigma")?;
        (sigma.is_finite() && sigma > 0.0).then(|| Box::new(Rbf { sigma }) as Box<dyn Unit>)
    },
};

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
    fn spec(&self) -> UnitSpec {
        UnitSpec::new(ENTRY.name, &[("sigma", self.sigma)])
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

    fn kernel(&self) -> Option<&dyn UnitKernel> {
        Some(self)
    }

    fn gaussian_width(&self) -> Option<f64> {
        Some(self.sigma)
    }
}

/// The cache-blocked kernel: Φ row-major at stride B + 8 in the buffer (rows padded, see the module docs).
impl UnitKernel for Rbf {
    fn buffer_len(&self, n: usize, b: usize) -> usize {
        n * row_stride(b)
    }

    fn scratch_len(&self, n: usize, b: usize) -> usize {
        n + b + partial_len(n, b)
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
        let (zsq, rest) = scratch.split_at_mut(n);
        let (xsq, partial) = rest.split_at_mut(b);
        squared_norms(z, zsq);
        squared_norms(x.subcols(0, d), xsq);
        let (zsq, xsq) = (&*zsq, &*xsq);
        let inv = 1.0 / (2.0 * self.sigma * self.sigma);
        let kernel = row_paths::widest();
        tiled_forward(
            z,
            x.subcols(0, d),
            partial,
            buf,
            fn_out,
            par,
            |i, j0, row, acc| kernel(row, &xsq[j0..], zsq[i], inv, c[i], acc),
        );
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
        weighted_points_product(buf, x, r, xr.rb_mut(), out.rb_mut(), par);
        let inv_s2 = 1.0 / (self.sigma * self.sigma);
        let (mut h, mut g) = out.rb_mut().split_at_col_mut(d);
        let g = crate::kernels::cols::col_mut(&mut g, 0);
        for k in 0..d {
            let zk = crate::kernels::cols::col(z, k);
            for ((o, gi), zi) in crate::kernels::cols::col_mut(&mut h, k)[..n]
                .iter_mut()
                .zip(&*g)
                .zip(zk)
            {
                *o = (*o - gi * zi) * inv_s2;
            }
        }
    }
}

/// norms[i] = Σ_k m_ik² (k in order) for the rows of `m`, column by column.
fn squared_norms(m: MatRef<'_, f64>, norms: &mut [f64]) {
    let norms = &mut norms[..m.nrows()];
    norms.fill(0.0);
    for k in 0..m.ncols() {
        for (s, v) in norms.iter_mut().zip(crate::kernels::cols::col(m, k)) {
            *s += v * v;
        }
    }
}

/// One row as a [`Block`]: pointers to the row, |x_p|² and the partial sums.
struct RowBlock {
    row: *mut f64,
    xsq: *const f64,
    acc: *mut f64,
    zs: f64,
    inv: f64,
    ci: f64,
}

impl Block for RowBlock {
    #[inline(always)]
    unsafe fn run<V: Lanes, const W: usize>(&mut self, offset: usize) {
        // SAFETY: Block::run's contract: V's features, and `offset + W·LANES` values in bounds of the row, the partial sums (and |x_p|²), which have one value per point of the tile.
        unsafe {
            let (two, zs, inv, ci) = (
                V::splat(2.0),
                V::splat(self.zs),
                V::splat(self.inv),
                V::splat(self.ci),
            );
            let mut a = [zs; W];
            for (j, v) in a.iter_mut().enumerate() {
                let at = offset + j * V::LANES;
                let s = V::load(self.row.add(at));
                *v = two.mul(s).sub(zs).sub(V::load(self.xsq.add(at))).mul(inv);
            }
            let phi = exp_lanes::<V, W, true>(a);
            for (j, v) in phi.iter().enumerate() {
                let at = offset + j * V::LANES;
                v.store(self.row.add(at));
                V::load(self.acc.add(at))
                    .add(ci.mul(*v))
                    .store(self.acc.add(at));
            }
        }
    }
}

/// One row of a tile with vectors of `V`: s_ip ← φ_ip = exp((2 s_ip − |z_i|² − |x_p|²) / (2σ²)),
/// then acc_p ← acc_p + c_i φ_ip. The exp is the table form of [`crate::kernels::exp`] (its steps
/// fused multiply-adds), the rest is not contracted, so every path (`row_paths`) gives the same
/// bits.
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
unsafe fn row_lanes<V: Lanes>(
    row: &mut [f64],
    xsq: &[f64],
    zs: f64,
    inv: f64,
    ci: f64,
    acc: &mut [f64],
) {
    let len = row.len();
    assert!(xsq.len() >= len && acc.len() >= len);
    let mut k = RowBlock {
        row: row.as_mut_ptr(),
        xsq: xsq.as_ptr(),
        acc: acc.as_mut_ptr(),
        zs,
        inv,
        ci,
    };
    // SAFETY: the caller guarantees the features; every index is below len (asserted above).
    unsafe { for_lanes::<V, _>(len, &mut k) }
}

crate::kernels::simd::simd_paths!(
    row_paths,
    fn(row: &mut [f64], xsq: &[f64], zs: f64, inv: f64, ci: f64, acc: &mut [f64]) => row_lanes
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_kernels_give_the_same_bits_on_every_path() {
        let len = 77;
        let row: Vec<f64> = (0..len).map(|p| (p as f64 * 0.37).sin() * 4.0).collect();
        let xsq: Vec<f64> = (0..len).map(|p| 5.0 + (p as f64).cos()).collect();
        let run = |kernel: &dyn Fn(&mut [f64], &mut [f64])| {
            crate::kernels::simd::row_kernel_bits(&row, kernel)
        };
        let portable = run(&|r, a| row_paths::portable(r, &xsq, 4.5, 0.125, -1.5, a));
        for (name, kernel) in row_paths::paths() {
            let v = run(&|r, a| kernel(r, &xsq, 4.5, 0.125, -1.5, a));
            assert_eq!(v, portable, "{name}");
        }
    }
}
