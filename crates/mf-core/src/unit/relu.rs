//! Single-hidden-layer (ridge) units with the ReLU activation.
//!
//! ```text
//! φ(x, (a, b)) = max(0, a·x + b),   ∇_a φ = 1[a·x + b > 0] x,   ∇_b φ = 1[a·x + b > 0],
//! ```
//! with parameters z = (a, b) ∈ ℝ^{d+1} (q = d + 1). Batched: the pre-activations are the product
//! Z X̃ᵀ (X̃ = [X, 1], tile by tile, [`crate::kernels::tiled`]); the forward pass keeps only the indicator H = 1[Z X̃ᵀ > 0], and with
//! G = H · diag(r) X̃ (one product) h_i = G_i and, by positive homogeneity, g_i = z_i · G_i.
//! Initial law: a uniform on the unit sphere S^{d-1}, b = 0 (so a·x is of order R/√d = 1).

use super::{Unit, UnitEntry, UnitKernel, UnitSpec};
use crate::kernels::contract::weighted_points_product;
use crate::kernels::simd::{Block, Lanes, for_lanes};
use crate::kernels::tiled::{partial_len, row_stride, tiled_forward};
use crate::streams::StreamRng;
use faer::prelude::ReborrowMut;
use faer::{MatMut, MatRef, Par};
use spin_target::sample_sphere;

/// The unit in the registry: `relu`, no parameters, the sampled modes.
pub const ENTRY: UnitEntry = UnitEntry {
    name: "relu",
    help: "single-hidden-layer ReLU unit max(0, a·x + b)",
    params: &[],
    exact: false,
    build: |_| Some(Box::new(Relu)),
};

/// ReLU ridge unit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Relu;

impl Unit for Relu {
    fn spec(&self) -> UnitSpec {
        UnitSpec::new(ENTRY.name, &[])
    }

    fn param_dim(&self, dim: usize) -> usize {
        dim + 1
    }

    fn phi(&self, z: &[f64], x: &[f64]) -> f64 {
        let d = x.len();
        let pre: f64 = z[..d].iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + z[d];
        pre.max(0.0)
    }

    fn grad_phi(&self, z: &[f64], x: &[f64], out: &mut [f64]) {
        let d = x.len();
        let pre: f64 = z[..d].iter().zip(x).map(|(a, b)| a * b).sum::<f64>() + z[d];
        let h = if pre > 0.0 { 1.0 } else { 0.0 };
        for (o, xk) in out[..d].iter_mut().zip(x) {
            *o = h * xk;
        }
        out[d] = h;
    }

    fn init_params(&self, rng: &mut StreamRng, dim: usize, _radius: f64, z: &mut [f64]) {
        sample_sphere(
            rng,
            1.0,
            MatMut::from_row_major_slice_mut(&mut z[..dim], 1, dim),
        );
        z[dim] = 0.0;
    }

    fn state_parts(&self, dim: usize) -> Vec<(&'static str, usize)> {
        vec![("z", dim), ("b", 1)]
    }

    fn kernel(&self) -> Option<&dyn UnitKernel> {
        Some(self)
    }
}

/// The cache-blocked kernel: the indicator 1[a·x + b > 0] row-major at stride
/// B + 8 (padded rows) in the buffer.
impl UnitKernel for Relu {
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
        let (n, b) = (z.nrows(), x.nrows());
        let partial = &mut scratch[n + b..];
        let kernel = row_paths::widest();
        tiled_forward(z, x, partial, buf, fn_out, par, |i, _, row, acc| {
            kernel(row, c[i], acc)
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
        let (n, q) = (z.nrows(), z.ncols());
        weighted_points_product(buf, x, r, xr.rb_mut(), out.rb_mut().subcols_mut(0, q), par);
        // g_i = Σ_k z_ik h_ik, k in order
        let (h, mut g) = out.rb_mut().split_at_col_mut(q);
        let g = &mut crate::kernels::cols::col_mut(&mut g, 0)[..n];
        g.fill(0.0);
        for k in 0..q {
            let hk = crate::kernels::cols::col(h.as_ref(), k);
            for ((gi, zi), hi) in g.iter_mut().zip(crate::kernels::cols::col(z, k)).zip(hk) {
                *gi += zi * hi;
            }
        }
    }
}

/// One row of a tile: acc_p ← acc_p + c_i max(0, s_ip), then s_ip ← 1[s_ip > 0]. Branch-free (the
/// sign of a pre-activation is a coin flip for the predictor); no fused multiply-add, so every
/// processor path gives the same bits.
/// One row as a [`Block`]: pointers to the row and the partial sums, and c_i.
struct RowBlock {
    row: *mut f64,
    acc: *mut f64,
    ci: f64,
}

impl Block for RowBlock {
    #[inline(always)]
    unsafe fn run<V: Lanes, const W: usize>(&mut self, offset: usize) {
        // SAFETY: Block::run's contract: V's features, and `offset + W·LANES` values in bounds of the row, the partial sums (and |x_p|²), which have one value per point of the tile.
        unsafe {
            let (zero, one, ci) = (V::splat(0.0), V::splat(1.0), V::splat(self.ci));
            for j in 0..W {
                let at = offset + j * V::LANES;
                let s = V::load(self.row.add(at));
                // 0 < s: max(0, s) into the partial sum, the indicator into the row
                let relu = zero.lt_select(s, s, zero);
                V::load(self.acc.add(at))
                    .add(ci.mul(relu))
                    .store(self.acc.add(at));
                zero.lt_select(s, one, zero).store(self.row.add(at));
            }
        }
    }
}

/// The row kernel with vectors of `V`.
///
/// # Safety
/// The processor has `V`'s features.
#[inline(always)]
unsafe fn row_lanes<V: Lanes>(row: &mut [f64], ci: f64, acc: &mut [f64]) {
    assert!(acc.len() >= row.len());
    let mut k = RowBlock {
        row: row.as_mut_ptr(),
        acc: acc.as_mut_ptr(),
        ci,
    };
    // SAFETY: the caller guarantees the features; every index is below row.len() ≤ acc.len().
    unsafe { for_lanes::<V, _>(row.len(), &mut k) }
}

crate::kernels::simd::simd_paths!(row_paths, fn(row: &mut [f64], ci: f64, acc: &mut [f64]) => row_lanes);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_kernels_give_the_same_bits_on_every_path() {
        let len = 77;
        let row: Vec<f64> = (0..len).map(|p| (p as f64 * 0.37).sin() * 4.0).collect();
        let run = |kernel: &dyn Fn(&mut [f64], &mut [f64])| {
            crate::kernels::simd::row_kernel_bits(&row, kernel)
        };
        let portable = run(&|r, a| row_paths::portable(r, -1.5, a));
        for (name, kernel) in row_paths::paths() {
            assert_eq!(run(&|r, a| kernel(r, -1.5, a)), portable, "{name}");
        }
        // the definition: acc += c · max(0, s), row = 1[s > 0]
        let (mut r, mut acc) = (row.clone(), vec![0.25; len]);
        row_paths::widest()(&mut r, -1.5, &mut acc);
        for p in 0..len {
            let on = row[p] > 0.0;
            assert_eq!(r[p], if on { 1.0 } else { 0.0 });
            assert_eq!(acc[p], 0.25 + -1.5 * if on { row[p] } else { 0.0 });
        }
    }
}
